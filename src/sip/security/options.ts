import type { Clock } from '../../core/clock.js';
import type { Logger } from 'pino';
import type { SipRequest } from '../message/types.js';
import type { SipEndpoint } from '../transport/transport.js';
import { FloodGuard, type BucketBudget } from './flood-guard.js';
import { SipIngress, type SipGuardObserver } from './ingress.js';
import type { SipMessageLimits } from './limits.js';

/** Whether a new request may open a transaction, or why it is dropped without an answer. */
export type AdmitVerdict = 'accept' | 'hidden' | 'locked-out';

/** The SIP guards as the user agent is configured with them (config `sip.security`, resolved by the app). */
export interface SipSecurityOptions {
  limits?: SipMessageLimits;
  /** Per-source budgets; absent: no flood control. */
  flood?: { untrusted: BucketBudget; trusted: BucketBudget; banMs: number; maxSources: number };
  /** Sources with the trusted budget (trunk allow lists, registrars). */
  isTrusted?: (address: string) => boolean;
  /** User-Agent substrings dropped silently. */
  scannerUserAgents?: readonly string[];
  /** Stream connections in total per listener (default 4096). */
  maxConnections?: number;
  /**
   * Asked once per new out-of-dialog request (no To tag, not ACK/CANCEL) before it opens a transaction; a drop
   * sends nothing, and since no transaction exists, its retransmissions are dropped the same way.
   */
  admit?: (req: SipRequest, source: SipEndpoint) => AdmitVerdict;
  observer?: SipGuardObserver;
}

/** The shared ingress (and its flood guard) for every listener of one user agent. */
export function buildIngress(security: SipSecurityOptions | undefined, deps: { clock: Clock; logger: Logger; serverName: string }): SipIngress {
  const flood = security?.flood
    ? new FloodGuard({ clock: deps.clock, ...security.flood, ...(security.isTrusted ? { isTrusted: security.isTrusted } : {}) })
    : undefined;
  return new SipIngress({
    logger: deps.logger,
    serverName: deps.serverName,
    ...(security?.limits ? { limits: security.limits } : {}),
    ...(flood ? { flood } : {}),
    ...(security?.scannerUserAgents ? { scannerUserAgents: security.scannerUserAgents } : {}),
    ...(security?.observer ? { observer: security.observer } : {}),
  });
}
