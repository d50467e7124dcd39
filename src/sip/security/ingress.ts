import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { SipParseError } from '../../core/errors.js';
import { buildResponse } from '../message/build.js';
import { newTag } from '../message/ids.js';
import type { SipMessage, SipResponse } from '../message/types.js';
import { parseSipMessage } from '../parser/parse.js';
import { badRequestFor, rawCallId, statelessAnswerFor } from '../transport/bad-request.js';
import { normalizeAddress, stampReceived } from '../transport/response-routing.js';
import type { SipEndpoint } from '../transport/transport.js';
import type { FloodGuard } from './flood-guard.js';
import { checkMessageLimits, DEFAULT_MESSAGE_LIMITS, type SipMessageLimits } from './limits.js';
import { isScannerUserAgent, scannerPatterns } from './scanners.js';

/** Why the ingress did not hand a message on: the `reason` label of the guard metric. */
export type IngressDropReason =
  | 'flood'
  | 'banned'
  | 'oversize'
  | 'malformed'
  | 'bad-version'
  | 'scanner'
  | 'too-many-headers'
  | 'header-too-long'
  | 'too-many-vias'
  | 'body-too-large';

/** What happened to one raw message. */
export type IngressOutcome =
  | { kind: 'message'; message: SipMessage }
  /** A stateless answer (400, 413, 513) the transport sends back; the message goes no further. */
  | { kind: 'answer'; reason: IngressDropReason; response: SipResponse; malformed?: SipParseError }
  /** Dropped without an answer. `closeConnection`: a stream from this source should be cut (it is banned). */
  | { kind: 'drop'; reason: IngressDropReason; malformed?: SipParseError; closeConnection?: boolean };

/**
 * Every reason a guard stops something: the ingress's, plus new requests the admission check drops silently
 * (`hidden`: no trunk allows the source; `locked-out`: digest brute force) and refused connections.
 */
export type SipGuardReason = IngressDropReason | 'hidden' | 'locked-out' | 'connection-limit' | 'banned-connection';

/** Every {@link SipGuardReason}, for metric label sets. */
export const SIP_GUARD_REASONS: readonly SipGuardReason[] = [
  'flood', 'banned', 'oversize', 'malformed', 'bad-version', 'scanner', 'too-many-headers', 'header-too-long', 'too-many-vias',
  'body-too-large', 'hidden', 'locked-out', 'connection-limit', 'banned-connection',
];

/** Told of each message the guards stopped (metrics); kept free of Prometheus like the rest of sip/. */
export interface SipGuardObserver {
  /** A message dropped or answered statelessly, or a connection refused, by reason. */
  rejected(reason: SipGuardReason): void;
  /** A source went over its budget and is banned from now. */
  banned?(address: string): void;
}

export interface SipIngressOptions {
  logger: Logger;
  /** Server header of stateless answers. */
  serverName: string;
  /** Default {@link DEFAULT_MESSAGE_LIMITS}. */
  limits?: SipMessageLimits;
  /** Per-source budget; absent: no flood control. */
  flood?: FloodGuard;
  /** User-Agent substrings dropped silently (case-insensitive); absent or empty: none. */
  scannerUserAgents?: readonly string[];
  observer?: SipGuardObserver;
}

/**
 * The one path every received message takes, for UDP, TCP and TLS alike, so the guards cannot drift apart
 * between transports (sipgo's TransportReadFilter): per-source budget on the raw bytes, size cap, parse (400
 * for a malformed request), scanner User-Agents, header/Via/body limits (513/413), then RFC 3261 §18.2.1 Via
 * stamping. Transports only move bytes: they act on the {@link IngressOutcome}.
 */
export class SipIngress {
  readonly limits: SipMessageLimits;
  private readonly scanners: readonly string[];
  private readonly log: Logger;

  constructor(private readonly options: SipIngressOptions) {
    this.limits = options.limits ?? DEFAULT_MESSAGE_LIMITS;
    this.scanners = scannerPatterns(options.scannerUserAgents ?? []);
    this.log = options.logger.child({ component: 'sip-ingress' });
  }

  /** We send requests to `address` (an IP literal; names are skipped): its answers get the trusted budget. */
  trustPeer(address: string): void {
    if (isIP(address) !== 0) this.options.flood?.trust(normalizeAddress(address));
  }

  /**
   * A new TCP/TLS connection from `address` spends one token of its budget, so a connection (or TLS handshake)
   * flood bans the source like a message flood. False: refuse it without reading (counted here).
   */
  admitConnection(address: string): boolean {
    const verdict = this.options.flood?.admit(address) ?? 'pass';
    if (verdict === 'pass') return true;
    if (verdict === 'ban-started') {
      this.log.warn({ source: address }, 'SIP source over its message budget: banned');
      this.options.observer?.banned?.(address);
    }
    this.options.observer?.rejected('banned-connection');
    return false;
  }

  /** A stream transport refused a connection over a connection limit: counted. */
  connectionRefused(reason: 'connection-limit'): void {
    this.options.observer?.rejected(reason);
  }

  /** A stream that could not be framed (a message over maxMessageBytes, or no/bad Content-Length): counted. */
  framingLost(reason: string): void {
    this.options.observer?.rejected(/too large/.test(reason) ? 'oversize' : 'malformed');
  }

  /**
   * Runs the guards over one raw message from `source`: a datagram (`datagram` framing: the body is the rest)
   * or one message a stream framer cut out (`exact`).
   */
  receive(raw: Buffer, source: SipEndpoint, framing: 'datagram' | 'exact'): IngressOutcome {
    const budget = this.options.flood?.admit(source.address) ?? 'pass';
    if (budget !== 'pass') {
      if (budget === 'ban-started') {
        // One line per ban, never one per dropped message: a flood must not become a log flood.
        this.log.warn({ source: source.address, transport: source.transport, sipCallId: rawCallId(raw) }, 'SIP source over its message budget: banned');
        this.options.observer?.banned?.(source.address);
      }
      return this.drop(budget === 'banned' ? 'banned' : 'flood', { closeConnection: true });
    }
    if (raw.length > this.limits.maxMessageBytes) return this.oversize(raw, source);
    let message: SipMessage;
    try {
      message = parseSipMessage(raw, { framing });
    } catch (err) {
      return this.malformed(raw, err instanceof SipParseError ? err : new SipParseError(String(err)), source);
    }
    if (message.kind === 'response') {
      if (message.version !== 'SIP/2.0') {
        this.log.warn({ sipCallId: rawCallId(raw), source }, 'response with unsupported SIP version dropped');
        return this.drop('bad-version');
      }
      const over = checkMessageLimits(message, this.limits);
      return over ? this.drop(over.reason) : { kind: 'message', message };
    }
    if (isScannerUserAgent(message.headers.get('User-Agent'), this.scanners)) {
      // Silence: an answer would only tell the scanner a SIP server listens here.
      this.log.debug({ source: source.address, sipCallId: rawCallId(raw) }, 'scanner User-Agent dropped');
      return this.drop('scanner');
    }
    try {
      stampReceived(message, source);
    } catch (err) {
      return this.malformed(raw, new SipParseError(String(err)), source);
    }
    const breach = checkMessageLimits(message, this.limits);
    if (breach) {
      const sipCallId = rawCallId(raw);
      this.log.warn({ sipCallId, source, reason: breach.reason, detail: breach.detail }, `SIP request over a limit answered ${breach.status}`);
      this.options.observer?.rejected(breach.reason);
      if (message.method === 'ACK') return { kind: 'drop', reason: breach.reason };
      const response = buildResponse(message, breach.status, { toTag: newTag(), headers: [['Server', this.options.serverName]] });
      return { kind: 'answer', reason: breach.reason, response };
    }
    return { kind: 'message', message };
  }

  private oversize(raw: Buffer, source: SipEndpoint): IngressOutcome {
    const sipCallId = rawCallId(raw);
    this.options.observer?.rejected('oversize');
    const response = statelessAnswerFor(raw, 513, source, this.options.serverName);
    this.log.warn({ sipCallId, bytes: raw.length, source }, response ? 'oversized SIP request answered 513' : 'oversized SIP message dropped');
    return response ? { kind: 'answer', reason: 'oversize', response } : { kind: 'drop', reason: 'oversize' };
  }

  private malformed(raw: Buffer, error: SipParseError, source: SipEndpoint): IngressOutcome {
    const sipCallId = rawCallId(raw);
    this.options.observer?.rejected('malformed');
    const response = badRequestFor(raw, error, source, this.options.serverName);
    if (!response) {
      this.log.warn({ sipCallId, source, reason: error.message }, 'malformed SIP message dropped');
      return { kind: 'drop', reason: 'malformed', malformed: error };
    }
    this.log.warn({ sipCallId, source, reason: error.message }, 'malformed SIP request answered 400');
    return { kind: 'answer', reason: 'malformed', response, malformed: error };
  }

  private drop(reason: IngressDropReason, extra: { closeConnection?: boolean } = {}): IngressOutcome {
    this.options.observer?.rejected(reason);
    return { kind: 'drop', reason, ...extra };
  }
}
