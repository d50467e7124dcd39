// The README's verification recipes (Node and Python, run as written in the README) accept what the bridge signs
// and refuse a wrong secret, another URL, another call id, a stale timestamp and a missing header.
import { describe, expect, it } from 'vitest';
import { signedStartHeaders } from '../../../src/bot/index.js';
import { nodeRecipe, pythonRecipe } from '../../helpers/readme-recipes.js';

const SECRET = 'a-long-random-string-0123';
const URL_ = 'wss://bots.example/stream?tenant=acme';

describe('signed start: the README recipes', () => {
  const now = Date.now();
  const good = signedStartHeaders(SECRET, 'call-1', URL_, now);
  const cases: Array<[string, Record<string, string>, string, string, boolean]> = [
    ['what the bridge signs', good, SECRET, URL_, true],
    ['a wrong secret', good, 'another-secret-0123456', URL_, false],
    ['another URL', good, SECRET, 'wss://bots.example/stream', false],
    ['another call id', { ...good, 'x-trunkbridge-call-id': 'call-2' }, SECRET, URL_, false],
    ['a timestamp 10 minutes old', signedStartHeaders(SECRET, 'call-1', URL_, now - 600_000), SECRET, URL_, false],
    ['no signature', { 'x-trunkbridge-call-id': 'call-1', 'x-trunkbridge-timestamp': good['x-trunkbridge-timestamp'] }, SECRET, URL_, false],
  ];

  it.each(cases)('Node: %s', async (_what, headers, secret, url, verdict) => {
    const verify = await nodeRecipe();
    expect(verify(headers, secret, url)).toBe(verdict);
  });

  it.each(cases)('Python: %s', (_what, headers, secret, url, verdict) => {
    expect(pythonRecipe(headers, secret, url)).toBe(verdict);
  });
});
