/**
 * The failure catalogue: every reason a call, a leg, a transfer or an API request can fail for, with the SIP
 * status, HTTP status and log level that go with it. Reasons are public API (the bot's `stop`/`transfer`
 * messages, HTTP error bodies, metric labels): a closed union, kebab-case, never renamed.
 *
 * One place decides how an error is answered: {@link classifyFailure}. Catch blocks ask it instead of picking a
 * status, reason, log level and Retry-After each on their own.
 */

/** How one reason is answered on each protocol. */
export interface FailureSpec {
  /** SIP status to answer with (a caller's INVITE, or reported as `sipStatus` to a bot). */
  readonly sip: number;
  /** HTTP status when an API request fails for this reason. */
  readonly http: number;
  /** `info` for an expected refusal, `warn` for a fault elsewhere, `error` for our own bug. */
  readonly level: 'info' | 'warn' | 'error';
  /** Retry-After (s) sent with a 503: the condition is temporary (RFC 3261 §21.5.4). */
  readonly retryAfterSec?: number;
  /** One line for the README's reason table. */
  readonly about: string;
}

const spec = (sip: number, http: number, about: string, extra: Partial<FailureSpec> = {}): FailureSpec => ({
  sip,
  http,
  level: 'info',
  about,
  ...extra,
});

/** Reasons of our own making: routing, authentication, media, bots, configuration, the API. */
export const OWN_FAILURES = {
  // Inbound routing and authentication (trunks/).
  'source-not-allowed': spec(403, 403, 'the source address is allowed by no trunk'),
  'auth-challenge': spec(401, 401, 'a trunk with credentials challenges the request (digest)'),
  'auth-stale': spec(401, 401, 'the nonce expired: challenged again with stale=true'),
  'bad-credentials': spec(403, 403, 'wrong digest credentials, unknown user or replayed nonce'),
  'auth-locked-out': spec(403, 403, 'the source failed digest authentication too often and is locked out (sip.security.authLockout)'),
  'bridge-busy': spec(503, 503, 'the bridge is at sip.security.maxConcurrentCalls', { retryAfterSec: 5 }),
  'number-not-routed': spec(404, 404, 'no bot or forward target for the dialled number'),
  'from-not-e164': spec(404, 404, 'the trunk requires an E.164 From user'),
  'trunk-busy': spec(486, 429, 'the trunk is at its maxConcurrentCalls'),
  'invalid-number': spec(484, 400, 'a number that cannot be formatted as E.164'),
  // Call setup (calls/).
  'caller-cancelled': spec(487, 409, 'the caller cancelled before the answer'),
  'no-sdp-offer': spec(488, 400, 'an INVITE without SDP where an offer is required (pstn mode)'),
  'no-sdp-answer': spec(488, 502, 'the answer to our offer carried no SDP'),
  'no-common-codec': spec(488, 502, 'offer and answer share no codec'),
  'sdp-unusable': spec(488, 502, 'unparsable SDP, no audio stream or address, or an SRTP policy mismatch'),
  'bot-unavailable': spec(503, 503, "the bot's WebSocket did not open in time or refused the upgrade", { retryAfterSec: 5, level: 'warn' }),
  'no-media-port': spec(503, 503, 'every RTP port in the range is in use', { retryAfterSec: 5, level: 'warn' }),
  'media-busy': spec(503, 503, 'every media worker is busier than media.workerBusyLimit', { retryAfterSec: 5, level: 'warn' }),
  'media-unavailable': spec(503, 503, 'no media worker is running: their starts failed and they are being started again', { retryAfterSec: 5, level: 'error' }),
  'shutting-down': spec(503, 503, 'the bridge is shutting down', { retryAfterSec: 30 }),
  'outbound-unavailable': spec(503, 503, 'this bridge cannot place calls (no outbound engine or not configured)', { retryAfterSec: 5 }),
  'sip-timeout': spec(408, 504, 'a SIP transaction got no final response (Timer B/F), or no ACK came'),
  misconfigured: spec(500, 500, 'the configuration names something that does not exist', { level: 'error' }),
  internal: spec(500, 500, 'a bug in trunkbridge: logged with its stack', { level: 'error' }),
  // Placing a leg (outbound calls, transfers, pstn forwards).
  'unknown-trunk': spec(404, 404, 'no outbound trunk of that name, or a number without a trunk'),
  'outbound-rate-limit': spec(503, 429, 'the trunk placed sip.security.tollFraud.outboundCallsPerMinutePerTrunk API calls in the last minute', { retryAfterSec: 60 }),
  'unknown-bot': spec(404, 404, 'no bot of that name'),
  'bad-header': spec(400, 400, 'a custom header that is not X-*/P-* or has a bad value'),
  'bad-uri': spec(400, 400, 'a SIP URI that cannot be routed'),
  'no-transport': spec(503, 502, 'no listener for the transport the next hop needs', { level: 'warn' }),
  unresolvable: spec(503, 502, 'the next hop does not resolve (DNS)', { level: 'warn' }),
  'transport-error': spec(503, 502, 'the INVITE could not be sent', { level: 'warn' }),
  'bad-response': spec(500, 502, 'the far end answered something we cannot parse', { level: 'warn' }),
  'no-response': spec(408, 504, 'no response to the INVITE (Timer B)'),
  timeout: spec(408, 504, 'no answer before the ring timeout (CANCEL sent)'),
  cancelled: spec(487, 409, 'we cancelled the leg'),
  'remote-rejected': spec(500, 502, 'the far end answered a final status with no reason of its own here'),
  // Transfers (the bot's `transfer` event reason).
  'not-allowed': spec(403, 403, 'the destination is not on the allowlist'),
  'no-pbx': spec(403, 403, 'an ext:/pbx: destination without a PBX registration'),
  'in-progress': spec(409, 409, 'a transfer is already running, or the call is already bridged'),
  'transfer-limit': spec(503, 429, "the trunk's calls have sip.security.tollFraud.maxConcurrentTransfersPerTrunk transfers running"),
  'transfer-unavailable': spec(503, 409, 'this call has no transfer services'),
  'bridge-unsupported': spec(501, 409, 'the signaling engine cannot place calls'),
  'refer-unsupported': spec(501, 409, 'the dialog cannot send REFER'),
  'refer-failed': spec(500, 409, 'the REFER was refused or its NOTIFY reported a failure'),
  'bad-answer': spec(488, 502, "the destination's SDP answer is unusable (the leg is hung up)"),
  'call-ended': spec(481, 409, 'the call ended while the transfer ran'),
  // The HTTP API.
  unauthorized: spec(401, 401, 'no or a wrong bearer token'),
  'bad-request': spec(400, 400, 'a body that fails validation (the issues name the fields)'),
  'bad-json': spec(400, 400, 'a body that is not JSON'),
  'body-too-large': spec(413, 413, 'a body over the size limit'),
  'not-found': spec(404, 404, 'no such route'),
  'method-not-allowed': spec(405, 405, 'a route that exists, asked with a method it does not take (Allow lists them)'),
  'unknown-call': spec(404, 404, 'no live call with that id'),
  'not-answered-yet': spec(409, 409, 'a command for a live call (transfer) sent to an outbound call that still rings'),
  'tool-busy': spec(503, 429, 'as many test calls or bot checks as the bridge runs at once are already running'),
  'events-busy': spec(503, 429, 'as many event-stream clients (GET /v1/events) as the bridge serves are connected'),
  // Recordings (README "Recording"): a control the call refuses, a file that failed.
  'recording-off': spec(500, 409, "the call's recording mode does not allow this control (off, or always for start/pause)"),
  'recording-state': spec(500, 409, 'the recording cannot do this now (pause while not recording, a second start)'),
  'recording-unavailable': spec(500, 409, 'recordings are not configured, or the call has no caller leg to record'),
  'no-recording': spec(404, 404, 'no recording file for that call (not recorded, not finished, or deleted)'),
  forbidden: spec(403, 403, "the API key's role is too low for the route (read < operate < admin)"),
  'already-exists': spec(409, 409, 'an admin API create names an item that exists (or a number another trunk owns)'),
  'in-use': spec(409, 409, 'an admin API delete of an item that others still name (a trunk with numbers)'),
  'stale-revision': spec(412, 412, 'If-Match named an older configuration revision than the stored one'),
  'store-failed': spec(500, 500, 'the configuration store could not be read or written (nothing was changed)', { level: 'error' }),
  // A cluster (README "Past one machine").
  'store-unreachable': spec(503, 503, "the shared store cannot be reached: a limited trunk's calls cannot be counted, or the cluster's calls listed or found", { retryAfterSec: 5, level: 'warn' }),
  'node-unreachable': spec(503, 502, 'the node that owns the call cannot be reached at its store.apiUrl (or has none)', { level: 'warn' }),
  'node-timeout': spec(503, 504, 'the node that owns the call did not answer the forwarded request in time', { level: 'warn' }),
  // Other layers.
  'bot-protocol': spec(500, 400, 'a bot message that is not valid protocol (the call goes on)'),
  'sip-malformed': spec(400, 400, 'a malformed SIP message'),
  'config-invalid': spec(500, 400, 'a config that fails validation'),
} as const satisfies Record<string, FailureSpec>;

/**
 * Final statuses a far end may fail one of our legs with, each under the slug of its reason phrase
 * ("486 Busy Here" -> "busy-here"): the bot and the API see `{ sipStatus: 486, reason: "busy-here" }`.
 */
export const REMOTE_STATUS_REASONS = {
  300: 'multiple-choices', 301: 'moved-permanently', 302: 'moved-temporarily', 305: 'use-proxy', 380: 'alternative-service',
  400: 'bad-request', 401: 'unauthorized', 402: 'payment-required', 403: 'forbidden', 404: 'not-found',
  405: 'method-not-allowed', 406: 'not-acceptable', 407: 'proxy-authentication-required', 408: 'request-timeout',
  410: 'gone', 413: 'request-entity-too-large', 414: 'request-uri-too-long', 415: 'unsupported-media-type',
  416: 'unsupported-uri-scheme', 420: 'bad-extension', 421: 'extension-required', 422: 'session-interval-too-small',
  423: 'interval-too-brief', 480: 'temporarily-unavailable', 481: 'call-transaction-does-not-exist',
  482: 'loop-detected', 483: 'too-many-hops', 484: 'address-incomplete', 485: 'ambiguous', 486: 'busy-here',
  487: 'request-terminated', 488: 'not-acceptable-here', 489: 'bad-event', 491: 'request-pending', 493: 'undecipherable',
  500: 'server-internal-error', 501: 'not-implemented', 502: 'bad-gateway', 503: 'service-unavailable',
  504: 'server-time-out', 505: 'version-not-supported', 513: 'message-too-large', 580: 'precondition-failure',
  // 606 shares its phrase with 406: the global class gets its own slug.
  600: 'busy-everywhere', 603: 'decline', 604: 'does-not-exist-anywhere', 606: 'global-not-acceptable', 607: 'unwanted',
  608: 'rejected',
} as const;

export type OwnFailureReason = keyof typeof OWN_FAILURES;
export type RemoteStatusReason = (typeof REMOTE_STATUS_REASONS)[keyof typeof REMOTE_STATUS_REASONS];
/** Every reason a failure can carry: ours, or the far end's final status as a slug. */
export type FailureReason = OwnFailureReason | RemoteStatusReason;

const REMOTE_BY_SLUG = new Map<string, number>(
  Object.entries(REMOTE_STATUS_REASONS).map(([status, slug]) => [slug, Number(status)] as const),
);

/** The reason for a far end's final status: its slug, or "remote-rejected" for a status not in the table. */
export function remoteStatusReason(status: number): FailureReason {
  return (REMOTE_STATUS_REASONS as Record<number, RemoteStatusReason>)[status] ?? 'remote-rejected';
}

/** True for a string that is a catalogued reason (parsing reasons that crossed a process boundary). */
export function isFailureReason(s: string): s is FailureReason {
  return s in OWN_FAILURES || REMOTE_BY_SLUG.has(s);
}

/** The answer spec of a reason; a far end's status answers with that status (HTTP 502: a gateway's failure). */
export function failureSpec(reason: FailureReason): FailureSpec {
  if (reason in OWN_FAILURES) return OWN_FAILURES[reason as OwnFailureReason];
  const status = REMOTE_BY_SLUG.get(reason) ?? 500;
  return { sip: status, http: 502, level: 'info', about: `the far end answered ${status}` };
}

/**
 * Why an answered call ended: the bot's `stop.reason`, the log line and the `reason` label of the calls-ended
 * metric (a closed set, so labels stay bounded), with the close code the bridge closes the bot's socket with.
 */
export const END_REASONS = {
  'caller-hangup': { ws: 1000, about: 'the caller hung up (in pstn mode: either party)' },
  'caller-cancelled': { ws: 1000, about: 'the caller cancelled before the answer' },
  'bot-hangup': { ws: 1000, about: 'the bot sent `hangup`' },
  'bot-closed': { ws: 1000, about: 'the bot closed its socket (hung up)' },
  'bot-lost': { ws: 1000, about: "the bot's connection dropped and did not come back within reconnectMs (after the fallback, if any)" },
  'bot-unavailable': { ws: 1000, about: 'the bot could not be reached: the call was answered only for its fallback (prompt or failed transfer)' },
  'ack-timeout': { ws: 1000, about: 'no ACK came for our 200 OK' },
  'rtp-timeout': { ws: 1000, about: 'no RTP from the caller for rtpTimeoutSec' },
  'session-expired': { ws: 1000, about: 'the RFC 4028 session timer ran out without a refresh (the carrier is gone)' },
  shutdown: { ws: 1001, about: 'the bridge is shutting down' },
  error: { ws: 1000, about: 'the call failed after the bot was connected' },
  'api-hangup': { ws: 1000, about: 'POST /v1/calls/{id}/hangup' },
  transfer: { ws: 1000, about: 'the caller was handed to a transfer destination' },
  'not-answered': { ws: 1000, about: 'an outbound call whose early media the bot heard was not answered' },
} as const satisfies Record<string, { ws: number; about: string }>;

export type EndReason = keyof typeof END_REASONS;

/** The WebSocket close code for a `stop` reason (1000 for anything not catalogued). */
export function wsCloseCodeOf(reason: string): number {
  return (END_REASONS as Record<string, { ws: number }>)[reason]?.ws ?? 1000;
}
