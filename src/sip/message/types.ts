import type { SipHeaders } from './headers.js';

/** A SIP request (RFC 3261 §7.1). Headers are the source of truth; see accessors.ts for typed views. */
export interface SipRequest {
  readonly kind: 'request';
  /** Method token, case-sensitive (§7.1), e.g. "INVITE". */
  method: string;
  /** Request-URI as written. */
  uri: string;
  /** "SIP/2.0" normally; other versions are parsed so the UA can answer 505. */
  version: string;
  headers: SipHeaders;
  body: Buffer;
}

/** A SIP response (RFC 3261 §7.2). */
export interface SipResponse {
  readonly kind: 'response';
  status: number;
  reason: string;
  version: string;
  headers: SipHeaders;
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

/** Methods this stack knows by name (RFC 3261 and common extensions). */
export const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'INFO',
  'REFER', 'MESSAGE', 'UPDATE',
]);
