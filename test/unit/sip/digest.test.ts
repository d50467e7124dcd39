import { describe, expect, it } from 'vitest';
import {
  digestHa1,
  digestResponse,
  parseDigestAlgorithm,
} from '../../../src/sip/auth/digest.js';
import { formatAuthHeader, parseAuthHeader } from '../../../src/sip/auth/digest-params.js';

describe('digest computations', () => {
  it('RFC 2617 §3.5 example (MD5, qop=auth)', () => {
    expect(
      digestResponse({
        algorithm: 'MD5',
        username: 'Mufasa',
        realm: 'testrealm@host.com',
        password: 'Circle Of Life',
        method: 'GET',
        uri: '/dir/index.html',
        nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
        qop: 'auth',
        nc: '00000001',
        cnonce: '0a4f113b',
      }),
    ).toBe('6629fae49393a05397450978507c4ef1');
  });

  const rfc7616 = {
    username: 'Mufasa',
    realm: 'http-auth@example.org',
    password: 'Circle of Life',
    method: 'GET',
    uri: '/dir/index.html',
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    qop: 'auth' as const,
    nc: '00000001',
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  };

  it('RFC 7616 §3.9.1 example, MD5', () => {
    expect(digestResponse({ ...rfc7616, algorithm: 'MD5' })).toBe('8ca523f5e9506fed4657c9700eebdbec');
  });

  it('RFC 7616 §3.9.1 example, SHA-256', () => {
    expect(digestResponse({ ...rfc7616, algorithm: 'SHA-256' })).toBe(
      '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    );
  });

  it('RFC 2069 form without qop and the -sess HA1', () => {
    const plain = digestResponse({ ...rfc7616, algorithm: 'MD5', qop: undefined });
    expect(plain).toMatch(/^[0-9a-f]{32}$/);
    expect(plain).not.toBe('8ca523f5e9506fed4657c9700eebdbec');
    const sess = digestHa1({ ...rfc7616, algorithm: 'MD5-sess' });
    expect(sess).not.toBe(digestHa1({ ...rfc7616, algorithm: 'MD5' }));
    expect(digestHa1({ ...rfc7616, algorithm: 'SHA-256' })).toHaveLength(64);
  });

  it('normalises algorithm tokens', () => {
    expect(parseDigestAlgorithm(undefined)).toBe('MD5');
    expect(parseDigestAlgorithm('md5')).toBe('MD5');
    expect(parseDigestAlgorithm('sha-256')).toBe('SHA-256');
    expect(parseDigestAlgorithm('SHA-256-sess')).toBe('SHA-256-sess');
    expect(parseDigestAlgorithm('SHA-1')).toBeUndefined();
  });
});

describe('digest header params', () => {
  it('parses quoted and token values, escapes, lowercase names', () => {
    const v = parseAuthHeader(
      'Digest username="Mu\\"fasa", Realm="r,1", nonce="abc", uri="sip:a@b", response="00", algorithm=SHA-256, qop=auth, nc=00000001, cnonce="x"',
    );
    expect(v?.scheme).toBe('Digest');
    expect(v?.params.get('username')).toBe('Mu"fasa');
    expect(v?.params.get('realm')).toBe('r,1');
    expect(v?.params.get('algorithm')).toBe('SHA-256');
    expect(v?.params.get('nc')).toBe('00000001');
  });

  it('rejects malformed values', () => {
    expect(parseAuthHeader('Digest')).toBeUndefined();
    expect(parseAuthHeader('Digest realm="open')).toBeUndefined();
    expect(parseAuthHeader('Digest realm="a", realm="b"')).toBeUndefined();
    expect(parseAuthHeader('Digest realm="a" nonce="b"')).toBeUndefined();
  });

  it('round-trips through format', () => {
    const text = formatAuthHeader('Digest', [
      ['realm', 'a"b'],
      ['nonce', 'n'],
      ['algorithm', 'MD5'],
      ['qop', '"auth"'.replace(/"/g, '')],
    ]);
    expect(text).toBe('Digest realm="a\\"b", nonce="n", algorithm=MD5, qop=auth');
    expect(parseAuthHeader(text)?.params.get('realm')).toBe('a"b');
  });
});
