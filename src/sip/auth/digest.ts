import { createHash } from 'node:crypto';

/**
 * Pure HTTP/SIP Digest computations (RFC 2617, RFC 7616, RFC 8760 for SIP), shared by the UAS side
 * (challenging callers) and the UAC side (answering challenges). No I/O, no state: strings in, hex out.
 */

/** Digest algorithms we compute. "-sess" variants hash HA1 once more with nonce and cnonce (RFC 7616 §3.4.2). */
export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess' | 'SHA-512-256' | 'SHA-512-256-sess';

const NODE_HASH: Readonly<Record<string, string>> = {
  MD5: 'md5',
  'SHA-256': 'sha256',
  'SHA-512-256': 'sha512-256',
};

/** Normalises an algorithm token as sent on the wire ("md5", "sha-256") to our spelling, or undefined if unknown. */
export function parseDigestAlgorithm(token: string | undefined): DigestAlgorithm | undefined {
  // RFC 7616 §3.3: an absent algorithm means MD5.
  if (token === undefined || token === '') return 'MD5';
  const upper = token.trim().toUpperCase();
  const sess = upper.endsWith('-SESS');
  const base = sess ? upper.slice(0, -5) : upper;
  if (!(base in NODE_HASH)) return undefined;
  return (sess ? `${base}-sess` : base) as DigestAlgorithm;
}

/** Lowercase hex digest of `data` with the hash behind `algorithm` (the "-sess" suffix is ignored). */
export function digestHash(algorithm: DigestAlgorithm, data: string): string {
  const base = algorithm.replace(/-sess$/, '');
  return createHash(NODE_HASH[base]).update(data, 'utf8').digest('hex');
}

export interface Ha1Input {
  algorithm: DigestAlgorithm;
  username: string;
  realm: string;
  password: string;
  /** Needed for the -sess variants only. */
  nonce?: string;
  cnonce?: string;
}

/** HA1 = H(username:realm:password), or for -sess H(H(username:realm:password):nonce:cnonce) (RFC 7616 §3.4.2). */
export function digestHa1(input: Ha1Input): string {
  const base = digestHash(input.algorithm, `${input.username}:${input.realm}:${input.password}`);
  if (!input.algorithm.endsWith('-sess')) return base;
  return digestHash(input.algorithm, `${base}:${input.nonce ?? ''}:${input.cnonce ?? ''}`);
}

/** HA2 = H(method:uri) for qop=auth or no qop (RFC 7616 §3.4.3). auth-int is not supported. */
export function digestHa2(algorithm: DigestAlgorithm, method: string, uri: string): string {
  return digestHash(algorithm, `${method}:${uri}`);
}

export interface DigestResponseInput extends Ha1Input {
  method: string;
  /** The digest-uri exactly as sent in the `uri` parameter. */
  uri: string;
  nonce: string;
  /** "auth", or undefined for the RFC 2069 form without qop. */
  qop?: 'auth';
  /** Nonce count, 8 hex digits ("00000001"). Required with qop. */
  nc?: string;
  cnonce?: string;
}

/**
 * The `response` parameter: with qop, H(HA1:nonce:nc:cnonce:qop:HA2); without, H(HA1:nonce:HA2)
 * (RFC 2617 §3.2.2.1, RFC 7616 §3.4.1).
 */
export function digestResponse(input: DigestResponseInput): string {
  return digestResponseFromHa1(input.algorithm, digestHa1(input), input);
}

/** Like {@link digestResponse} but from a precomputed HA1 (servers may store HA1 instead of passwords). */
export function digestResponseFromHa1(
  algorithm: DigestAlgorithm,
  ha1: string,
  input: { method: string; uri: string; nonce: string; qop?: 'auth'; nc?: string; cnonce?: string },
): string {
  const ha2 = digestHa2(algorithm, input.method, input.uri);
  if (input.qop === undefined) return digestHash(algorithm, `${ha1}:${input.nonce}:${ha2}`);
  return digestHash(algorithm, `${ha1}:${input.nonce}:${input.nc ?? ''}:${input.cnonce ?? ''}:${input.qop}:${ha2}`);
}
