/**
 * HTTP Digest authentication, client side, as SIP uses it (RFC 3261 §22, RFC 2617, RFC 7616, RFC 8760):
 * parse a WWW-Authenticate / Proxy-Authenticate challenge and compute the Authorization /
 * Proxy-Authorization answer. Pure functions (the cnonce is passed in so tests are exact).
 */
import { createHash, randomBytes } from 'node:crypto';
import { SipParseError } from '../../core/errors.js';

export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess';

const ALGORITHMS: ReadonlyMap<string, DigestAlgorithm> = new Map([
  ['md5', 'MD5'],
  ['md5-sess', 'MD5-sess'],
  ['sha-256', 'SHA-256'],
  ['sha-256-sess', 'SHA-256-sess'],
]);

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

/** Splits `a="x, y", b=z` into pairs, honouring quoted strings with backslash escapes. */
function parseAuthParams(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && /[\s,]/.test(text[i])) i++;
    const eq = text.indexOf('=', i);
    if (eq < 0) break;
    const name = text.slice(i, eq).trim().toLowerCase();
    i = eq + 1;
    while (i < n && /\s/.test(text[i])) i++;
    let value = '';
    if (text[i] === '"') {
      i++;
      while (i < n && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < n) i++;
        value += text[i];
        i++;
      }
      i++; // closing quote
    } else {
      const end = text.indexOf(',', i);
      value = (end < 0 ? text.slice(i) : text.slice(i, end)).trim();
      i = end < 0 ? n : end;
    }
    if (name !== '') out.set(name, value);
  }
  return out;
}

/**
 * Parses one challenge header value ("Digest realm=..., nonce=..."). Throws {@link SipParseError} for a
 * non-Digest scheme, a missing realm/nonce or an algorithm we do not implement.
 */
export function parseDigestChallenge(header: string): DigestChallenge {
  const m = /^\s*(\S+)\s+(.*)$/s.exec(header);
  if (!m || m[1].toLowerCase() !== 'digest') throw new SipParseError(`not a Digest challenge: "${header.slice(0, 60)}"`);
  const p = parseAuthParams(m[2]);
  const realm = p.get('realm');
  const nonce = p.get('nonce');
  if (realm === undefined || nonce === undefined) throw new SipParseError('Digest challenge without realm or nonce');
  const algText = p.get('algorithm') ?? 'MD5';
  const algorithm = ALGORITHMS.get(algText.toLowerCase());
  if (!algorithm) throw new SipParseError(`unsupported Digest algorithm "${algText}"`);
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
  return parsed.find((c) => c.algorithm.startsWith('SHA-256')) ?? parsed[0];
}

export interface DigestCredentials {
  username: string;
  password: string;
}

export interface DigestRequest {
  method: string;
  /** digest-uri: the Request-URI as sent. */
  uri: string;
  /** Body, for qop=auth-int only. */
  body?: Buffer;
}

export interface DigestAnswerOptions {
  /** Client nonce; random when omitted. */
  cnonce?: string;
  /** Nonce count for this nonce (1 for the first use). */
  nc?: number;
}

function hash(alg: DigestAlgorithm, data: string | Buffer): string {
  return createHash(alg.startsWith('SHA-256') ? 'sha256' : 'md5').update(data).digest('hex');
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
 * Computes the answer to `challenge`. With qop (auth preferred over auth-int):
 * response = H(H(A1):nonce:nc:cnonce:qop:H(A2)); without qop (RFC 2069): H(H(A1):nonce:H(A2)).
 * A1 = user:realm:password (and ":nonce:cnonce" for -sess); A2 = method:uri (":H(body)" for auth-int).
 */
export function computeDigestAnswer(
  challenge: DigestChallenge,
  credentials: DigestCredentials,
  request: DigestRequest,
  options: DigestAnswerOptions = {},
): DigestAnswer {
  const alg = challenge.algorithm;
  const qop = challenge.qop.includes('auth') ? 'auth' : challenge.qop.includes('auth-int') ? 'auth-int' : undefined;
  const cnonce = options.cnonce ?? randomBytes(8).toString('hex');
  const nc = (options.nc ?? 1).toString(16).padStart(8, '0');
  let ha1 = hash(alg, `${credentials.username}:${challenge.realm}:${credentials.password}`);
  if (alg.endsWith('-sess')) ha1 = hash(alg, `${ha1}:${challenge.nonce}:${cnonce}`);
  const a2 = qop === 'auth-int' ? `${request.method}:${request.uri}:${hash(alg, request.body ?? Buffer.alloc(0))}` : `${request.method}:${request.uri}`;
  const ha2 = hash(alg, a2);
  const response = qop
    ? hash(alg, `${ha1}:${challenge.nonce}:${nc}:${cnonce}:${qop}:${ha2}`)
    : hash(alg, `${ha1}:${challenge.nonce}:${ha2}`);
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
