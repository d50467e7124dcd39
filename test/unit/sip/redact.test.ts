// SIP text as it reaches a debug log: digest proofs and SDES keys are redacted, everything else is byte-exact.
import { describe, expect, it } from 'vitest';
import { redactSipText } from '../../../src/sip/message/redact.js';

const INVITE_WITH_AUTH = [
  'INVITE sip:+15550100@127.0.0.1 SIP/2.0',
  'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1',
  'Authorization: Digest username="alice", realm="trunk.example", nonce="abc123", uri="sip:+15550100@127.0.0.1", response="6629fae49393a05397450978507c4ef1", algorithm=MD5, cnonce="0a4f113b", qop=auth, nc=00000001',
  'Proxy-Authorization: Digest username="bob", realm="p", nonce="n", uri="sip:x@y", response=deadbeef',
  'Content-Type: application/sdp',
  '',
  'v=0',
  'm=audio 4000 RTP/SAVP 0',
  'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32',
  'a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj',
  '',
].join('\r\n');

describe('redactSipText', () => {
  const out = redactSipText(INVITE_WITH_AUTH);

  it.each([
    ['digest response', '6629fae49393a05397450978507c4ef1'],
    ['cnonce', '0a4f113b'],
    ['unquoted response', 'deadbeef'],
    ['SDES key with lifetime and MKI', 'WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz'],
    ['SDES key', 'NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj'],
  ])('drops the %s', (_what, secret) => {
    expect(INVITE_WITH_AUTH).toContain(secret);
    expect(out).not.toContain(secret);
  });

  it('keeps who, realm and the rest of the message as it was', () => {
    expect(out).toContain('Authorization: Digest username="alice", realm="trunk.example", nonce="abc123", uri="sip:+15550100@127.0.0.1", response="[redacted]", algorithm=MD5, cnonce="[redacted]", qop=auth, nc=00000001\r\n');
    expect(out).toContain('a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:[redacted]|2^20|1:32\r\n');
    expect(out.split('\r\n').length).toBe(INVITE_WITH_AUTH.split('\r\n').length);
    expect(redactSipText('OPTIONS sip:a@b SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n')).toBe('OPTIONS sip:a@b SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n');
  });
});
