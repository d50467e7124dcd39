import { describe, expect, it } from 'vitest';
import {
  chooseDigestChallenge,
  computeDigestAnswer,
  formatDigestAnswer,
  parseDigestChallenge,
} from '../../../src/sip/auth/digest-client.js';

describe('digest client: published test vectors', () => {
  it('RFC 2617 §3.5 (MD5, qop=auth)', () => {
    const ch = parseDigestChallenge(
      'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    );
    expect(ch).toMatchObject({ realm: 'testrealm@host.com', algorithm: 'MD5', qop: ['auth', 'auth-int'], stale: false });
    const a = computeDigestAnswer(ch, { username: 'Mufasa', password: 'Circle Of Life' }, { method: 'GET', uri: '/dir/index.html' }, { cnonce: '0a4f113b', nc: 1 });
    expect(a.response).toBe('6629fae49393a05397450978507c4ef1');
    expect(a).toMatchObject({ qop: 'auth', nc: '00000001', cnonce: '0a4f113b', opaque: '5ccc069c403ebaf9f0171e9517f40e41' });
  });

  const rfc7616 = (alg: string) =>
    `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=${alg}, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`;
  const req = { method: 'GET', uri: '/dir/index.html' };
  const creds = { username: 'Mufasa', password: 'Circle of Life' };
  const opts = { cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ', nc: 1 };

  it('RFC 7616 §3.9.1 (MD5)', () => {
    const a = computeDigestAnswer(parseDigestChallenge(rfc7616('MD5')), creds, req, opts);
    expect(a.response).toBe('8ca523f5e9506fed4657c9700eebdbec');
  });

  it('RFC 7616 §3.9.1 (SHA-256)', () => {
    const a = computeDigestAnswer(parseDigestChallenge(rfc7616('SHA-256')), creds, req, opts);
    expect(a.response).toBe('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  });

  it('RFC 2069 style (no qop): H(HA1:nonce:HA2)', () => {
    // HA1 = md5("Mufasa:testrealm@host.com:Circle Of Life") = 939e7578ed9e3c518a452acee763bce9
    // HA2 = md5("GET:/dir/index.html") = 39aff3a2bab6126f332b942af96d3366; md5(HA1:nonce:HA2) computed with openssl
    const ch = parseDigestChallenge('Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093"');
    const a = computeDigestAnswer(ch, { username: 'Mufasa', password: 'Circle Of Life' }, req);
    expect(a.response).toBe('670fd8c2df070c60b045671b8b24ff02');
    expect(a.qop).toBeUndefined();
    expect(formatDigestAnswer(a)).not.toMatch(/qop|nc=|cnonce/);
  });
});

describe('digest client: challenges and header text', () => {
  it.each([
    ['Basic realm="x"', /not a Digest/],
    ['Digest realm="x"', /realm or nonce/],
    ['Digest realm="x", nonce="n", algorithm=SHA-1', /unsupported/],
  ])('rejects %s', (text, msg) => {
    expect(() => parseDigestChallenge(text)).toThrow(msg);
  });

  it('refuses to answer a challenge offering only qop=auth-int', () => {
    const ch = parseDigestChallenge('Digest realm="x", nonce="n", qop="auth-int"');
    expect(() => computeDigestAnswer(ch, { username: 'u', password: 'p' }, { method: 'INVITE', uri: 'sip:x' })).toThrow(/auth-int/);
  });

  it('understands unquoted values, escapes, stale and -sess', () => {
    const ch = parseDigestChallenge('digest realm="a \\"b\\"",nonce=abc , stale=TRUE, algorithm=md5-sess');
    expect(ch).toEqual({ realm: 'a "b"', nonce: 'abc', algorithm: 'MD5-sess', qop: [], stale: true });
  });

  it('prefers SHA-256 when both are offered, skips unusable ones', () => {
    const ch = chooseDigestChallenge(['Bearer x', 'Digest realm="r", nonce="1", algorithm=MD5', 'Digest realm="r", nonce="2", algorithm=SHA-256']);
    expect(ch?.algorithm).toBe('SHA-256');
    expect(chooseDigestChallenge(['Bearer x'])).toBeUndefined();
  });

  it('formats an Authorization value SIPp and Kamailio read', () => {
    const ch = parseDigestChallenge('Digest realm="sip.example.com", nonce="n1", qop="auth", opaque="o"');
    const a = computeDigestAnswer(ch, { username: 'alice', password: 'pw' }, { method: 'INVITE', uri: 'sip:+15550100@sip.example.com' }, { cnonce: 'c1', nc: 2 });
    expect(formatDigestAnswer(a)).toBe(
      `Digest username="alice", realm="sip.example.com", nonce="n1", uri="sip:+15550100@sip.example.com", response="${a.response}", algorithm=MD5, cnonce="c1", opaque="o", qop=auth, nc=00000002`,
    );
  });
});
