import { expect } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { parseConfig } from '../../src/config/index.js';

/** The issues a config text is refused with (fails the test when it is accepted or fails otherwise). */
export function issuesOf(text: string): Array<{ path: string; message: string }> {
  try {
    parseConfig(text, 'test.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected ConfigError');
}
