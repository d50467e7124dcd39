/**
 * HTTP Digest authentication, client side, as SIP uses it (RFC 3261 §22, RFC 2617, RFC 7616, RFC 8760):
 * parse a WWW-Authenticate / Proxy-Authenticate challenge and compute the Authorization /
 * Proxy-Authorization answer. Pure functions (the cnonce is passed in so tests are exact).
 */
import { randomBytes } from 'node:crypto';
import { SipParseError } from '../../core/errors.js';
import { digestResponse, parseDigestAlgorithm, type DigestAlgorithm } from './digest.js';
import { parseAuthHeader } from './digest-params.js';

export type { DigestAlgorithm } from './digest.js';

/** One Digest challenge. */
export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque?: string;
  algorithm: DigestAlgorithm;
  /** qop options offered ("auth", "auth-int"); empty for an RFC 2069 challenge. */
  qop: string[];
  /** The server says the nonce was stale, not the credentials wrong (retry with the same password). */
  stale: boolean;
}

/**
 * Parses one challenge header value ("Digest realm=..., nonce=..."). Throws {@link SipParseError} for a
 * non-Digest scheme, a missing realm/nonce or an algorithm we do not implement.
 */
export function parseDigestChallenge(header: string): DigestChallenge {
  const parsed = parseAuthHeader(header);
  if (!parsed || parsed.scheme.toLowerCase() !== 'digest') throw new SipParseError(`not a Digest challenge: "${header.slice(0, 60)}"`);
  const p = parsed.params;
  const realm = p.get('realm');
  const nonce = p.get('nonce');
  if (realm === undefined || nonce === undefined) throw new SipParseError('Digest challenge without realm or nonce');
  const algorithm = parseDigestAlgorithm(p.get('algorithm'));
  if (!algorithm) throw new SipParseError(`unsupported Digest algorithm "${p.get('algorithm') ?? ''}"`);
  const challenge: DigestChallenge = {
    realm,
    nonce,
    algorithm,
    qop: (p.get('qop') ?? '').split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== ''),
    stale: (p.get('stale') ?? '').toLowerCase() === 'true',
  };
  const opaque = p.get('opaque');
  if (opaque !== undefined) challenge.opaque = opaque;
  return challenge;
}

/**
 * The challenge to answer among several header values (RFC 8760 §2.4: a server may offer SHA-256 and MD5;
 * the client uses the strongest it supports). Unparseable or unsupported values are skipped.
 */
export function chooseDigestChallenge(headers: readonly string[]): DigestChallenge | undefined {
  const parsed: DigestChallenge[] = [];
  for (const h of headers) {
    try {
      parsed.push(parseDigestChallenge(h));
    } catch {
      // Another scheme (e.g. Bearer) or algorithm: the next value may be usable.
    }
  }
  return parsed.find((c) => c.algorithm.startsWith('SHA-512-256')) ?? parsed.find((c) => c.algorithm.startsWith('SHA-256')) ?? parsed[0];
}

export interface DigestCredentials {
  username: string;
  password: string;
}

export interface DigestRequest {
  method: string;
  /** digest-uri: the Request-URI as sent. */
  uri: string;
}

export interface DigestAnswerOptions {
  /** Client nonce; random when omitted. */
  cnonce?: string;
  /** Nonce count for this nonce (1 for the first use). */
  nc?: number;
}

/** The fields of an answer and the `response` hash (RFC 7616 §3.4.1). */
export interface DigestAnswer {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm: DigestAlgorithm;
  qop?: string;
  nc?: string;
  cnonce?: string;
  opaque?: string;
}

/**
 * Computes the answer to `challenge` with the shared pure digest functions (./digest.ts). With qop=auth:
 * response = H(H(A1):nonce:nc:cnonce:qop:H(A2)); without qop (RFC 2069): H(H(A1):nonce:H(A2)).
 * Throws {@link SipParseError} for a challenge offering only qop=auth-int.
 */
export function computeDigestAnswer(
  challenge: DigestChallenge,
  credentials: DigestCredentials,
  request: DigestRequest,
  options: DigestAnswerOptions = {},
): DigestAnswer {
  const alg = challenge.algorithm;
  // qop=auth-int (a body hash) is not implemented by the shared digest module; auth is what SIP servers offer.
  if (challenge.qop.length > 0 && !challenge.qop.includes('auth')) throw new SipParseError('Digest challenge offers only auth-int');
  const qop = challenge.qop.length > 0 ? ('auth' as const) : undefined;
  const cnonce = options.cnonce ?? randomBytes(8).toString('hex');
  const nc = (options.nc ?? 1).toString(16).padStart(8, '0');
  const response = digestResponse({
    algorithm: alg,
    username: credentials.username,
    realm: challenge.realm,
    password: credentials.password,
    method: request.method,
    uri: request.uri,
    nonce: challenge.nonce,
    ...(qop ? { qop, nc, cnonce } : alg.endsWith('-sess') ? { cnonce } : {}),
  });
  const answer: DigestAnswer = {
    username: credentials.username,
    realm: challenge.realm,
    nonce: challenge.nonce,
    uri: request.uri,
    response,
    algorithm: alg,
  };
  if (qop) Object.assign(answer, { qop, nc, cnonce });
  if (challenge.opaque !== undefined) answer.opaque = challenge.opaque;
  return answer;
}

function quote(s: string): string {
  return `"${s.replace(/(["\\])/g, '\\$1')}"`;
}

/** Formats an answer as an Authorization / Proxy-Authorization header value. */
export function formatDigestAnswer(a: DigestAnswer): string {
  const parts = [
    `username=${quote(a.username)}`,
    `realm=${quote(a.realm)}`,
    `nonce=${quote(a.nonce)}`,
    `uri=${quote(a.uri)}`,
    `response=${quote(a.response)}`,
    `algorithm=${a.algorithm}`,
  ];
  if (a.cnonce !== undefined) parts.push(`cnonce=${quote(a.cnonce)}`);
  if (a.opaque !== undefined) parts.push(`opaque=${quote(a.opaque)}`);
  if (a.qop !== undefined) parts.push(`qop=${a.qop}`, `nc=${a.nc ?? '00000001'}`);
  return `Digest ${parts.join(', ')}`;
}

/**
 * For a 401 or 407 response: which header carries the challenge and which one answers it
 * (RFC 3261 §22.2: WWW-Authenticate → Authorization, §22.3: Proxy-Authenticate → Proxy-Authorization).
 */
export function challengeHeaders(status: number): { challenge: string; answer: string } | undefined {
  if (status === 401) return { challenge: 'WWW-Authenticate', answer: 'Authorization' };
  if (status === 407) return { challenge: 'Proxy-Authenticate', answer: 'Proxy-Authorization' };
  return undefined;
}
