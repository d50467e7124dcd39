/** What the user agent is built with: clock, logger, listeners, timers, and the observers and guards around it. */
import type { Logger } from 'pino';
import type { Clock } from '../../core/clock.js';
import type { SipTimerConfig } from '../transaction/common.js';
import type { ListenSpec } from '../transport/factory.js';
import type { DnsClient } from '../resolve/sip-resolver.js';
import type { SipSecurityOptions } from '../security/options.js';

export interface SipUserAgentOptions {
  clock: Clock;
  logger: Logger;
  listen: ListenSpec[];
  /** Address put in Contact and Via (NAT/public IP); defaults to the bound address. */
  publicAddress?: string;
  /** Server / User-Agent header value. */
  userAgent?: string;
  /** RFC 3261 timer overrides (T1, T2, T4, Timer D). */
  timers?: Partial<SipTimerConfig>;
  /** Option tags we implement (Supported header, Require check). Default none. */
  supported?: string[];
  /** RFC 4028 Min-SE in seconds (default 90, the RFC's floor). */
  minSessionExpires?: number;
  /** Final answer deadline for an incoming INVITE before the stack sends 408 (default 180 s). */
  pendingInviteTimeoutMs?: number;
  /** DNS for RFC 3263 next-hop resolution of outgoing calls (default: node:dns with the system servers). */
  dns?: DnsClient;
  /** Told of every incoming message (request method, or 'response') and every malformed one: metrics. */
  traffic?: SipTrafficObserver;
  /** Guards for a listener facing the internet (budgets, limits, scanners, admission); absent: limits only. */
  security?: SipSecurityOptions;
}

/** Counts of SIP traffic, for operators; plain calls so the SIP layer knows nothing of Prometheus. */
export interface SipTrafficObserver {
  messageReceived(method: string): void;
  malformedReceived(): void;
  /** A final or provisional response sent or received, by its CSeq method. */
  response?(direction: 'sent' | 'received', method: string, status: number): void;
  /** A request that matched a live server transaction: the peer retransmitted it. */
  retransmissionReceived?(method: string): void;
  /** We sent a request (Timer A/E) or a response (Timer G, a retransmitted request answered) again. */
  retransmissionSent?(method: string): void;
  /** A transaction timed out (Timer B/F on ours, Timer H: no ACK for our final response). */
  transactionTimeout?(method: string): void;
}
