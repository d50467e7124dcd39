/**
 * Typed errors. Each has a stable `code` that tests assert on, and where it maps to a protocol
 * answer, the SIP status to send. {@link sipStatusOf} is the one place that maps any error to a status.
 */
export class TrunkbridgeError extends Error {
  readonly code: string;
  readonly sipStatus: number | undefined;

  constructor(code: string, message: string, options?: { sipStatus?: number; cause?: unknown }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = new.target.name;
    this.code = code;
    this.sipStatus = options?.sipStatus;
  }
}

/** Malformed SIP message. Where a response is possible the transport answers 400. */
export class SipParseError extends TrunkbridgeError {
  constructor(message: string) {
    super('SIP_PARSE', message, { sipStatus: 400 });
  }
}

/** A call refused with a SIP status: 403 not allowed, 404 not routed, 488 no codec, 503 bot down, ... */
export class CallRejectedError extends TrunkbridgeError {
  readonly reason: string;
  /** Headers the rejection must carry (WWW-Authenticate on 401, Retry-After on 503...). */
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  constructor(sipStatus: number, reason: string, message?: string, cause?: unknown, headers?: Record<string, string | readonly string[]>) {
    super('CALL_REJECTED', message ?? reason, { sipStatus, cause });
    this.reason = reason;
    this.headers = headers ?? {};
  }
}

/** Offer and answer share no codec. */
export class CodecNegotiationError extends TrunkbridgeError {
  constructor(message: string) {
    super('NO_COMMON_CODEC', message, { sipStatus: 488 });
  }
}

/** The bot's WebSocket could not be opened (refused, timed out, rejected the upgrade). */
export class BotConnectError extends TrunkbridgeError {
  constructor(message: string, cause?: unknown) {
    super('BOT_UNAVAILABLE', message, { sipStatus: 503, cause });
  }
}

/** Every RTP port in the configured range is in use. */
export class PortPoolExhaustedError extends TrunkbridgeError {
  constructor(message = 'no free RTP port') {
    super('RTP_PORTS_EXHAUSTED', message, { sipStatus: 503 });
  }
}

/** A SIP transaction got no final response in time (Timer B/F). */
export class TransactionTimeoutError extends TrunkbridgeError {
  constructor(message: string) {
    super('SIP_TIMEOUT', message, { sipStatus: 408 });
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
      `invalid config${where}:\n` + issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`).join('\n'),
    );
    this.issues = issues;
  }
}

/** The SIP status to answer for any error: its own when it carries one, 500 otherwise. */
export function sipStatusOf(err: unknown): number {
  if (err instanceof TrunkbridgeError && err.sipStatus !== undefined) return err.sipStatus;
  return 500;
}

/** Stable code for logs and metric labels. */
export function errorCodeOf(err: unknown): string {
  if (err instanceof TrunkbridgeError) return err.code;
  return 'INTERNAL';
}

/** A bot sent a message that is not valid trunkbridge protocol (bad JSON, unknown type, bad fields). */
export class BotProtocolError extends TrunkbridgeError {
  constructor(message: string) {
    super('BOT_PROTOCOL', message);
  }
}

/** An SDP offer or answer we cannot use: unparsable, no usable audio stream, no address, SRTP-only. */
export class SdpError extends TrunkbridgeError {
  constructor(message: string) {
    super('SDP_UNUSABLE', message, { sipStatus: 488 });
  }
}
