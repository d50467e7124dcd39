/**
 * The narrow interface between call control and whatever speaks SIP. Call control (this folder) only sees
 * these shapes; `src/sip/ua` implements them today, and another engine (drachtio, a Kamailio-fronted
 * cluster) can implement them later without touching calls/.
 */
import type { EventEmitter } from 'node:events';

export type TransportName = 'udp' | 'tcp' | 'tls';

export interface PeerAddress {
  address: string;
  port: number;
  transport: TransportName;
}

/** An identity from a From/To header or a Request-URI, reduced to what routing needs. */
export interface PartyInfo {
  /** URI user part, e.g. "+15550100" (percent-decoding applied), or "" when absent. */
  user: string;
  /** URI host part. */
  host: string;
  /** The full URI as text, e.g. "sip:+15550100@example.com;user=phone". */
  uri: string;
  displayName?: string;
}

/** A new call offered by the far end, before we answer it. */
export interface IncomingCallSignal {
  /** SIP Call-ID. */
  readonly callId: string;
  readonly source: PeerAddress;
  readonly requestUri: PartyInfo;
  readonly from: PartyInfo;
  readonly to: PartyInfo;
  /** SDP offer text, undefined for a delayed offer (INVITE without body). */
  readonly sdp: string | undefined;
  /** Every header as [name, value] in arrival order; names in canonical case (e.g. "X-Agent-ID" as sent). */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** First value of a header, case-insensitive, compact forms understood. */
  header(name: string): string | undefined;
  /** Sends a provisional response (180 Ringing, 183 Session Progress with optional SDP). */
  progress(status: number, sdp?: string): void;
  /**
   * Sends a final error response (>= 300). Safe to call once; later calls are ignored. An array header value
   * is sent as one line per element (several WWW-Authenticate challenges).
   */
  reject(status: number, reason?: string, extraHeaders?: Record<string, string | readonly string[]>): void;
  /**
   * Sends 200 OK with the SDP answer (retransmitted until the ACK arrives) and resolves with the dialog once
   * the ACK comes. Rejects with a TransactionTimeoutError if no ACK within 64*T1 (a BYE is then sent).
   */
  accept(sdpAnswer: string): Promise<DialogSignal>;
  /** True once the caller CANCELled (a 487 has been sent by the stack). */
  readonly cancelled: boolean;
  /** 'cancel': the caller cancelled before we answered (the stack already sent 200 to CANCEL and 487). */
  on(event: 'cancel', listener: () => void): this;
}

/** An established dialog (after 200 OK + ACK). */
export interface DialogSignal {
  readonly callId: string;
  /** The SDP answer carried by the ACK, for a call answered with our offer (delayed offer). */
  readonly ackSdp?: string | undefined;
  /** Sends BYE; resolves on its final response or transaction timeout. Safe to call twice. */
  hangup(): Promise<void>;
  readonly terminated: boolean;
  /** 'bye': the far end hung up (the stack already answered 200). */
  on(event: 'bye', listener: () => void): this;
  /**
   * 'reinvite': an in-dialog INVITE/UPDATE with an SDP offer. Call `answer(sdp)` to accept with our answer or
   * `reject(status)`. Without a listener the stack answers 200 with the last local SDP.
   */
  on(event: 'reinvite', listener: (offer: string | undefined, answer: (sdp: string) => void, reject: (status: number) => void) => void): this;
  /**
   * 'info': an in-dialog INFO request (RFC 6086), already answered 200 by the stack; carries e.g. DTMF
   * (application/dtmf-relay, application/dtmf). `contentType` is lower-case without parameters ('' when absent).
   */
  on(event: 'info', listener: (contentType: string, body: string) => void): this;
  /** 'terminated': the dialog is gone for any reason (BYE either way, ACK timeout). Emitted once. */
  on(event: 'terminated', listener: (reason: string) => void): this;
  /** 'expired': the RFC 4028 session timer ran out (no refresh); a BYE is on its way. */
  on(event: 'expired', listener: () => void): this;
  /**
   * Asks the peer to call `referTo` (REFER, RFC 3515) and follows the NOTIFY sipfrag until a final status
   * (or `timeoutMs`). Optional so other engines may lack it.
   */
  refer?(referTo: string, options: { referredBy: string; timeoutMs: number }): Promise<ReferOutcome>;
}

/** A call we place (UAC): where it goes and what it says. */
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
  nextHop: { host: string; port: number; transport: TransportName; explicitPort?: boolean };
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

/** The answered outcome of an {@link OutgoingCallSignal}. */
export interface AnsweredCall {
  dialog: DialogSignal;
  /** SDP answer from the 2xx. */
  sdp: string;
}

/** A call being placed. `answered` rejects with a CallRejectedError carrying the final SIP status. */
export interface OutgoingCallSignal {
  readonly callId: string;
  readonly answered: Promise<AnsweredCall>;
  /** CANCELs (or, if the 2xx crossed it, ACKs and BYEs). The call fails with 487, reason "cancelled". */
  cancel(): void;
  /** 'progress': 180/183 with the early-media SDP if any. */
  on(event: 'progress', listener: (status: number, sdp: string | undefined) => void): this;
}

/** Result of a REFER (RFC 3515): accepted and the NOTIFY reported a final status, or failed with a status. */
export interface ReferOutcome {
  ok: boolean;
  /** The REFER's own final status when it was rejected, else the sipfrag status of the last NOTIFY (or 408). */
  sipStatus: number;
}

/** The signaling engine as call control sees it. */
export interface SignalingEngine extends Pick<EventEmitter, never> {
  /** Starts listening. Resolves once every listener is bound. */
  start(): Promise<void>;
  /** Stops listening and releases sockets. Safe to call twice. */
  stop(): Promise<void>;
  /** Registers the handler for new calls. Exactly one handler. */
  onIncomingCall(handler: (call: IncomingCallSignal) => void): void;
  /** Addresses actually bound (port 0 resolved), for logs and tests. */
  boundAddresses(): PeerAddress[];
  /** Places a call (UAC INVITE). Optional: an inbound-only engine leaves it out. */
  placeCall?(request: OutgoingCallRequest): OutgoingCallSignal;
  /** Host:port we advertise for `transport` (Contact, From host of our own URIs). */
  advertisedHost?(transport: TransportName): string;
}
