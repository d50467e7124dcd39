import { describe, expect, it } from 'vitest';
import { keepSecrets, mergePatch, secretsSet, withoutSecrets } from '../../../../src/api/admin/secrets.js';

describe('withoutSecrets', () => {
  it.each([
    ['a trunk user password', { name: 't', credentials: [{ username: 'u', password: 'Abcdefgh1234' }] }, [], { name: 't', credentials: [{ username: 'u' }] }],
    ['an outbound trunk auth password', { name: 'o', auth: { username: 'u', password: 'p' } }, [], { name: 'o', auth: { username: 'u' } }],
    ['a registration password', { name: 'r', username: 'u', password: 'p', bot: 'b' }, [], { name: 'r', username: 'u', bot: 'b' }],
    ['a bot secret, twilio authToken and headers', { name: 'b', url: 'ws://x', secret: 's'.repeat(16), headers: { Authorization: 'Bearer x' }, twilio: { accountSid: 'AC1', authToken: 't' } }, ['headers'], { name: 'b', url: 'ws://x', twilio: { accountSid: 'AC1' } }],
  ])('leaves out %s', (_name, item, top, expected) => {
    expect(withoutSecrets(item, top)).toEqual(expected);
  });
});

describe('keepSecrets (replace without the secrets a client cannot read back)', () => {
  it.each([
    ['an omitted password', { auth: { username: 'u', password: 'old' } }, { auth: { username: 'u' } }, [], { auth: { username: 'u', password: 'old' } }],
    ['a new password wins', { auth: { username: 'u', password: 'old' } }, { auth: { username: 'u', password: 'new' } }, [], { auth: { username: 'u', password: 'new' } }],
    ['users matched by username, not position', { credentials: [{ username: 'a', password: 'pa' }, { username: 'b', password: 'pb' }] }, { credentials: [{ username: 'b' }, { username: 'c', password: 'pc' }] }, [], { credentials: [{ username: 'b', password: 'pb' }, { username: 'c', password: 'pc' }] }],
    ['a removed auth block stays removed', { auth: { username: 'u', password: 'old' } }, {}, [], {}],
    ['bot headers kept when omitted', { url: 'ws://x', headers: { A: '1' } }, { url: 'ws://y' }, ['headers'], { url: 'ws://y', headers: { A: '1' } }],
  ])('%s', (_name, old, next, top, expected) => {
    expect(keepSecrets(old, next, top)).toEqual(expected);
  });
});

describe('mergePatch (RFC 7396)', () => {
  it.each([
    [{ a: 1, b: { c: 2, d: 3 } }, { b: { c: 9 } }, { a: 1, b: { c: 9, d: 3 } }],
    [{ a: 1, b: 2 }, { b: null }, { a: 1 }],
    [{ a: [1, 2] }, { a: [3] }, { a: [3] }],
    [{ a: 1 }, { n: { x: 1 } }, { a: 1, n: { x: 1 } }],
  ])('%j + %j = %j', (target, patch, expected) => {
    expect(mergePatch(target, patch)).toEqual(expected);
  });
});

describe('secretsSet (what a client shows as "set" without the values)', () => {
  it.each([
    ['a bot with headers and a secret', { name: 'b', url: 'ws://h/', headers: { A: '1' }, secret: 'x'.repeat(16) }, ['headers'], ['headers', 'secret']],
    ['a bot with neither', { name: 'b', url: 'ws://h/' }, ['headers'], []],
    ['a registration with its password', { name: 'r', username: 'u', password: 'p' }, [], ['password']],
    ['nested passwords are not listed', { name: 't', credentials: [{ username: 'u', password: 'p' }] }, [], []],
    ['a secret removed (null)', { name: 'b', secret: null }, ['headers'], []],
  ])('%s', (_what, item, topLevel, want) => {
    expect(secretsSet(item, topLevel)).toEqual(want);
  });
});
