/**
 * What inbound routing needs from digest authentication (RFC 3261 §22.4, RFC 8760), declared here so trunks/
 * does not import sip/. sip/auth's DigestServer fits it; the composition root wires it in.
 */
import type { TrunkDigestAlgorithm } from './trunk-config.js';

/** What a verification found. */
export type DigestVerdict =
  | { kind: 'ok'; username: string }
  /** No Authorization for this realm: challenge. */
  | { kind: 'missing' }
  /** A nonce we issued, but expired: challenge again with stale=true. */
  | { kind: 'stale'; username: string }
  /** Credentials present and wrong. */
  | { kind: 'invalid'; reason: string; username?: string };

/** Issues digest challenges and checks the answers to them. */
export interface DigestVerifier {
  /** WWW-Authenticate values for a 401: one challenge per algorithm. */
  challenges(realm: string, stale: boolean, algorithms: readonly TrunkDigestAlgorithm[]): string[];
  /** Checks an Authorization header value; `passwordOf(username)` gives the configured password or undefined. */
  verify(authorization: string | undefined, realm: string, method: string, passwordOf: (username: string) => string | undefined): DigestVerdict;
}
