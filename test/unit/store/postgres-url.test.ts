import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../../src/store/index.js';

describe('redactUrl (the store location in logs)', () => {
  it.each([
    ['postgres://tb:s3cret@db:5432/trunkbridge', 'postgres://tb@db:5432/trunkbridge'],
    ['postgresql://tb@127.0.0.1/x?sslmode=require', 'postgresql://tb@127.0.0.1/x?sslmode=require'],
    ['postgres://db/x', 'postgres://db/x'],
    ['not a url', '(unparsable postgres url)'],
  ])('%s -> %s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });
});
