import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { digestHa1, digestResponseFromHa1, parseDigestAlgorithm, type DigestAlgorithm } from './digest.js';
import { formatAuthHeader, parseAuthHeader } from './digest-params.js';

export interface DigestServerOptions {
  clock: Clock;
  /** A nonce older than this is answered with stale=true (default 300 s). */
  nonceLifetimeMs?: number;
  /** Algorithms offered in challenges, strongest first (default SHA-256 then MD5, RFC 8760 §2.4). */
  algorithms?: DigestAlgorithm[];
  /** HMAC key for nonces; random per process by default. */
  secret?: Buffer;
}

/**
 * Challenge parameters written as bare tokens. qop is not one of them: in a challenge it is a quoted list
 * (RFC 7616 §3.3 `qop="auth"`, RFC 3261 §25.1 `qop-options = "qop" EQUAL LDQUOT qop-value ... RDQUOT`), and UACs
 * that read it strictly (sipvicious among them) otherwise answer without nc/cnonce. In an Authorization it is a
 * token (message-qop), which the client side writes.
 */
const CHALLENGE_TOKENS: ReadonlySet<string> = new Set(['algorithm', 'stale']);

/** What a verification found. */
export type DigestVerdict =
  | { kind: 'ok'; username: string }
  /** No Authorization for our realm: challenge. */
  | { kind: 'missing' }
  /** Our nonce, but expired: challenge again with stale=true (RFC 7616 §3.3). */
  | { kind: 'stale'; username: string }
  /** Credentials present and wrong (unknown user, bad response, forged or replayed nonce). */
  | { kind: 'invalid'; reason: string; username?: string };

/**
 * UAS side of Digest authentication (RFC 3261 §22.4, RFC 7616, RFC 8760): stateless HMAC-signed nonces that
 * carry their issue time, qop=auth only, MD5 and SHA-256, and replay protection by nonce count (each nc of a
 * nonce is accepted once and must grow).
 */
export class DigestServer {
  private readonly secret: Buffer;
  private readonly lifetime: number;
  private readonly algorithms: DigestAlgorithm[];
  /** Highest nc seen per nonce; pruned when nonces expire. */
  private readonly seen = new Map<string, { nc: number; expires: number }>();

  constructor(private readonly options: DigestServerOptions) {
    this.secret = options.secret ?? randomBytes(32);
    this.lifetime = options.nonceLifetimeMs ?? 300_000;
    this.algorithms = options.algorithms ?? ['SHA-256', 'MD5'];
  }

  /** WWW-Authenticate values for a 401: one challenge per algorithm, a fresh nonce each (RFC 8760 §2.4). */
  challenges(realm: string, stale = false, algorithms: readonly DigestAlgorithm[] = this.algorithms): string[] {
    return algorithms.map((algorithm) => {
      const params: Array<[string, string]> = [
        ['realm', realm],
        ['nonce', this.issueNonce()],
        ['algorithm', algorithm],
        ['qop', 'auth'],
      ];
      if (stale) params.push(['stale', 'true']);
      return formatAuthHeader('Digest', params, CHALLENGE_TOKENS);
    });
  }

  /**
   * Checks an Authorization header value. `passwordOf(username)` gives the configured password or undefined.
   * `method` is the request method (HA2 = H(method:uri)).
   */
  verify(
    authorization: string | undefined,
    realm: string,
    method: string,
    passwordOf: (username: string) => string | undefined,
  ): DigestVerdict {
    if (authorization === undefined) return { kind: 'missing' };
    const parsed = parseAuthHeader(authorization);
    if (!parsed || parsed.scheme.toLowerCase() !== 'digest') return { kind: 'invalid', reason: 'not a Digest Authorization' };
    const p = parsed.params;
    const username = p.get('username');
    if (p.get('realm') !== realm) return { kind: 'missing' };
    const nonce = p.get('nonce');
    const uri = p.get('uri');
    const response = p.get('response');
    if (!username || !nonce || uri === undefined || !response) return { kind: 'invalid', reason: 'incomplete Digest credentials', username };
    const algorithm = parseDigestAlgorithm(p.get('algorithm'));
    if (!algorithm || algorithm.endsWith('-sess')) return { kind: 'invalid', reason: `unsupported algorithm ${p.get('algorithm')}`, username };
    const issued = this.nonceIssuedAt(nonce);
    if (issued === undefined) return { kind: 'invalid', reason: 'nonce not issued by us', username };
    const qop = p.get('qop');
    if (qop !== 'auth') return { kind: 'invalid', reason: 'qop=auth required', username };
    const nc = p.get('nc');
    const cnonce = p.get('cnonce');
    if (!nc || !/^[0-9a-fA-F]{8}$/.test(nc) || !cnonce) return { kind: 'invalid', reason: 'bad nc/cnonce', username };
    const password = passwordOf(username);
    if (password === undefined) return { kind: 'invalid', reason: 'unknown user', username };
    const ha1 = digestHa1({ algorithm, username, realm, password });
    const expected = digestResponseFromHa1(algorithm, ha1, { method, uri, nonce, qop: 'auth', nc, cnonce });
    if (!sameText(expected, response.toLowerCase())) return { kind: 'invalid', reason: 'wrong credentials', username };
    const now = this.options.clock.now();
    if (now - issued > this.lifetime) return { kind: 'stale', username };
    // Replay: each nonce count is used once and must grow (RFC 7616 §3.4: the server "MUST" detect repeats).
    this.prune(now);
    const count = parseInt(nc, 16);
    const prior = this.seen.get(nonce);
    if (prior && count <= prior.nc) return { kind: 'invalid', reason: 'nonce count replayed', username };
    this.seen.set(nonce, { nc: count, expires: issued + this.lifetime });
    return { kind: 'ok', username };
  }

  private issueNonce(): string {
    const body = Buffer.alloc(16);
    body.writeDoubleBE(this.options.clock.now(), 0);
    randomBytes(8).copy(body, 8);
    return Buffer.concat([body, this.mac(body)]).toString('base64url');
  }

  private nonceIssuedAt(nonce: string): number | undefined {
    const raw = Buffer.from(nonce, 'base64url');
    if (raw.length !== 32) return undefined;
    const body = raw.subarray(0, 16);
    if (!timingSafeEqual(raw.subarray(16), this.mac(body))) return undefined;
    return body.readDoubleBE(0);
  }

  private mac(body: Buffer): Buffer {
    return createHmac('sha256', this.secret).update(body).digest().subarray(0, 16);
  }

  private prune(now: number): void {
    for (const [nonce, entry] of this.seen) if (entry.expires < now) this.seen.delete(nonce);
  }
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
