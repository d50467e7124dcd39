import type { Clock, TimerHandle } from '../../core/clock.js';
import { optionTagsOf } from '../message/accessors.js';
import type { SipRequest } from '../message/types.js';

/** RFC 4028 §4: Min-SE "MUST NOT be less than 90 seconds". */
export const DEFAULT_MIN_SE = 90;

/** What a UAS does with an INVITE's session timer request (RFC 4028 §9). */
export type SessionTimerDecision =
  | { kind: 'none' }
  /** Session-Expires below our Min-SE: 422 with Min-SE. */
  | { kind: 'too-small'; minSE: number }
  | { kind: 'timer'; interval: number; refresher: 'uac' | 'uas'; peerSupportsTimer: boolean };

/** "1800;refresher=uac" → { seconds, refresher }; undefined when malformed. */
export function parseSessionExpires(value: string | undefined): { seconds: number; refresher?: 'uac' | 'uas' } | undefined {
  if (value === undefined) return undefined;
  const [num, ...params] = value.split(';').map((p) => p.trim());
  if (!/^\d{1,10}$/.test(num)) return undefined;
  const out: { seconds: number; refresher?: 'uac' | 'uas' } = { seconds: Number(num) };
  for (const p of params) {
    const m = /^refresher\s*=\s*(uac|uas)$/i.exec(p);
    if (m) out.refresher = m[1].toLowerCase() as 'uac' | 'uas';
  }
  return out;
}

/**
 * RFC 4028 §9 for an INVITE (initial or refresh): no Session-Expires → no timer; below our Min-SE → 422;
 * otherwise the interval as asked, and the refresher as asked, else the UAC when it supports "timer", else us.
 */
export function decideSessionTimer(req: SipRequest, minSE = DEFAULT_MIN_SE): SessionTimerDecision {
  const se = parseSessionExpires(req.headers.get('Session-Expires'));
  if (!se) return { kind: 'none' };
  if (se.seconds < minSE) return { kind: 'too-small', minSE };
  const peerSupportsTimer = optionTagsOf(req, 'Supported').includes('timer') || optionTagsOf(req, 'Require').includes('timer');
  const refresher = se.refresher ?? (peerSupportsTimer ? 'uac' : 'uas');
  return { kind: 'timer', interval: se.seconds, refresher, peerSupportsTimer };
}

/** Headers of a 2xx that confirms a session timer (RFC 4028 §9: Session-Expires with refresher; Require when supported). */
export function sessionTimerHeaders(d: SessionTimerDecision): Array<[string, string]> {
  if (d.kind !== 'timer') return [];
  const h: Array<[string, string]> = [['Session-Expires', `${d.interval};refresher=${d.refresher}`]];
  if (d.peerSupportsTimer) h.push(['Require', 'timer']);
  return h;
}

export interface SessionTimerEvents {
  /** We are the refresher and half the interval has passed: send a refresh (RFC 4028 §10). */
  onRefreshDue(): void;
  /** No refresh arrived in time: the session is over, send BYE (RFC 4028 §10). */
  onExpired(): void;
}

/**
 * The running timer of one dialog on the injected clock. As refresher we refresh at half the interval; either
 * way, without a refresh the session ends at interval - min(32, interval/3) seconds (RFC 4028 §10: "the BYE
 * SHOULD be sent ... before the session expiration").
 */
export class SessionTimer {
  private refreshTimer: TimerHandle | undefined;
  private expiryTimer: TimerHandle | undefined;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private decision: Extract<SessionTimerDecision, { kind: 'timer' }>,
    private readonly events: SessionTimerEvents,
  ) {}

  get current(): Extract<SessionTimerDecision, { kind: 'timer' }> {
    return this.decision;
  }

  /** (Re)starts both timers, optionally with a new negotiated interval/refresher. */
  refreshed(decision?: Extract<SessionTimerDecision, { kind: 'timer' }>): void {
    if (this.stopped) return;
    if (decision) this.decision = decision;
    this.refreshTimer?.cancel();
    this.expiryTimer?.cancel();
    const intervalMs = this.decision.interval * 1000;
    if (this.decision.refresher === 'uas') {
      this.refreshTimer = this.clock.setTimeout(() => this.events.onRefreshDue(), intervalMs / 2);
    }
    const guard = Math.min(32_000, intervalMs / 3);
    this.expiryTimer = this.clock.setTimeout(() => this.events.onExpired(), intervalMs - guard);
  }

  stop(): void {
    this.stopped = true;
    this.refreshTimer?.cancel();
    this.expiryTimer?.cancel();
  }
}
