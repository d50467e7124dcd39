/**
 * Typed errors. Each has a stable `code` (the error class, for tests and logs) and a catalogued `reason`
 * (see failures.ts) that fixes its SIP status, HTTP status and log level. {@link classifyFailure} is the one
 * place that turns any thrown value into that answer.
 */
import { failureSpec, type FailureReason } from './failures.js';

export type { FailureReason } from './failures.js';

/** Headers a SIP rejection carries (an array value is sent as one header line per element). */
export type SipHeaders = Record<string, string | readonly string[]>;

export class TrunkbridgeError extends Error {
  readonly code: string;
  readonly reason: FailureReason;
  readonly sipStatus: number;

  constructor(code: string, reason: FailureReason, message: string, options?: { sipStatus?: number; cause?: unknown }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = new.target.name;
    this.code = code;
    this.reason = reason;
    this.sipStatus = options?.sipStatus ?? failureSpec(reason).sip;
  }
}

/** Malformed SIP message. Where a response is possible the transport answers 400. */
export class SipParseError extends TrunkbridgeError {
  constructor(message: string) {
    super('SIP_PARSE', 'sip-malformed', message);
  }
}

/**
 * A call (or leg, transfer, API request) refused for a catalogued reason: 403 not allowed, 404 not routed,
 * 486 busy, 503 bot down, a far end's final status... The SIP status comes from the catalogue unless given
 * (a far end's own status, a NOTIFY's sipfrag status).
 */
export class CallRejectedError extends TrunkbridgeError {
  /** Headers the rejection must carry (WWW-Authenticate on 401...). Retry-After is added by the catalogue. */
  readonly headers: Readonly<SipHeaders>;
  constructor(reason: FailureReason, message?: string, options?: { sipStatus?: number; cause?: unknown; headers?: SipHeaders }) {
    super('CALL_REJECTED', reason, message ?? reason, options);
    this.headers = options?.headers ?? {};
  }
}

/** Offer and answer share no codec. */
export class CodecNegotiationError extends TrunkbridgeError {
  constructor(message: string) {
    super('NO_COMMON_CODEC', 'no-common-codec', message);
  }
}

/** The bot's WebSocket could not be opened (refused, timed out, rejected the upgrade). */
export class BotConnectError extends TrunkbridgeError {
  constructor(message: string, cause?: unknown) {
    super('BOT_UNAVAILABLE', 'bot-unavailable', message, { cause });
  }
}

/** Every RTP port in the configured range is in use. */
export class PortPoolExhaustedError extends TrunkbridgeError {
  constructor(message = 'no free RTP port') {
    super('RTP_PORTS_EXHAUSTED', 'no-media-port', message);
  }
}

/** A SIP transaction got no final response in time (Timer B/F), or no ACK came for our 2xx. */
export class TransactionTimeoutError extends TrunkbridgeError {
  constructor(message: string) {
    super('SIP_TIMEOUT', 'sip-timeout', message);
  }
}

/** One problem found while validating config: `path` names the field, e.g. `inboundTrunks[0].bot`. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** Config rejected at load. `issues` lists every bad field at once. */
export class ConfigError extends TrunkbridgeError {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[], source?: string) {
    const where = source ? ` in ${source}` : '';
    super(
      'CONFIG_INVALID',
      'config-invalid',
      `invalid config${where}:\n` + issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`).join('\n'),
    );
    this.issues = issues;
  }
}

/** A bot sent a message that is not valid trunkbridge protocol (bad JSON, unknown type, bad fields). */
export class BotProtocolError extends TrunkbridgeError {
  constructor(message: string) {
    super('BOT_PROTOCOL', 'bot-protocol', message);
  }
}

/** A recording control refused (mode, state, not configured) or a recording that does not exist. */
export class RecordingError extends TrunkbridgeError {
  constructor(reason: 'recording-off' | 'recording-state' | 'recording-unavailable' | 'no-recording', message: string) {
    super('RECORDING', reason, message);
  }
}

/** An SDP offer or answer we cannot use: unparsable, no usable audio stream, no address, SRTP-only. */
export class SdpError extends TrunkbridgeError {
  constructor(message: string) {
    super('SDP_UNUSABLE', 'sdp-unusable', message);
  }
}

/** How any failure is answered, logged and counted. */
export interface ClassifiedFailure {
  reason: FailureReason;
  sipStatus: number;
  httpStatus: number;
  /** Log level: expected refusals at info, faults elsewhere at warn, our own bugs at error. */
  level: 'info' | 'warn' | 'error';
  /** A short message for logs and API bodies (never a stack). */
  message: string;
  /** For the log line's `err`: the message of an expected failure, the whole error (stack) of a bug. */
  logErr: unknown;
  /** Headers for a SIP rejection: the error's own plus Retry-After where the reason is temporary. */
  sipHeaders: SipHeaders;
}

/** The one classifier every catch block asks: reason, statuses, log level and headers of any thrown value. */
export function classifyFailure(err: unknown): ClassifiedFailure {
  if (!(err instanceof TrunkbridgeError)) {
    return { reason: 'internal', sipStatus: 500, httpStatus: 500, level: 'error', message: 'internal error', logErr: err, sipHeaders: {} };
  }
  const spec = failureSpec(err.reason);
  const sipHeaders: SipHeaders = err instanceof CallRejectedError ? { ...err.headers } : {};
  if (spec.retryAfterSec !== undefined && sipHeaders['Retry-After'] === undefined) sipHeaders['Retry-After'] = String(spec.retryAfterSec);
  return {
    reason: err.reason,
    sipStatus: err.sipStatus,
    httpStatus: spec.http,
    level: spec.level,
    message: err.message,
    logErr: err.message,
    sipHeaders,
  };
}

/** The SIP status to answer for any error: its catalogued (or given) one, 500 for a bug. */
export function sipStatusOf(err: unknown): number {
  return err instanceof TrunkbridgeError ? err.sipStatus : 500;
}
