/**
 * The user agent's own vocabulary for the calls it places. sip/ defines these itself rather than importing
 * call control's port (calls/signaling.ts): the arrows point one way, and the two meet only in the composition
 * root, where app/seams.ts checks at compile time that these shapes fit call control's (structural typing).
 */
import type { SipTransportName } from '../transport/transport.js';
import type { DialogSession } from './dialog-session.js';

/** A call we place (UAC INVITE): where it goes and what it says. */
export interface OutgoingCallRequest {
  /** Request-URI, e.g. "sip:+15557654321@carrier.example.com;user=phone". */
  requestUri: string;
  /** From URI (our identity / caller ID), e.g. "sip:+15550100@carrier.example.com". */
  fromUri: string;
  fromDisplayName?: string;
  /** To URI; defaults to the Request-URI. */
  toUri?: string;
  /**
   * Next hop: the trunk host or its outbound proxy. A host name is resolved per RFC 3263 (SRV when
   * `explicitPort` is false, then A/AAAA) with failover between the addresses; `explicitPort` defaults to true.
   */
  nextHop: { host: string; port: number; transport: SipTransportName; explicitPort?: boolean };
  /** Preloaded Route (outbound proxy, RFC 3261 §8.1.2), e.g. "<sip:proxy.example.com;lr>". */
  route?: string;
  /** Our SDP offer. */
  sdp: string;
  /** Extra headers on the INVITE. */
  headers?: ReadonlyArray<readonly [string, string]>;
  /** Digest credentials answered to 401/407 (once per challenge). */
  credentials?: { username: string; password: string };
  /** CANCEL after this long without an answer; the call then fails with status 408, reason "timeout". */
  ringTimeoutMs: number;
}

/** What an outgoing call resolves with once answered: the confirmed dialog and the 2xx's SDP answer. */
export interface AnsweredCall {
  dialog: DialogSession;
  /** SDP answer from the 2xx. */
  sdp: string;
}
