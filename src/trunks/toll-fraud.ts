/**
 * Toll-fraud caps per trunk (issue #12), on top of the transfer allowlist: how many transfers a trunk's calls may
 * have running at once, and how many outbound calls the API may place through one trunk per minute. A stolen
 * bot token or a bot gone wrong then costs a bounded number of paid minutes. Pure counting on the injected clock.
 */
import type { Clock } from '../core/clock.js';
import { CallRejectedError } from '../core/errors.js';

/** Transfers at once per trunk; one more is refused with 'transfer-limit'. */
export class TransferCap {
  private readonly active = new Map<string, number>();

  constructor(private readonly perTrunk: number) {}

  /**
   * Takes a transfer slot on `trunk`; returns its release (idempotent).
   * @throws CallRejectedError 'transfer-limit' when the trunk has `perTrunk` transfers running.
   */
  acquire(trunk: string): () => void {
    const n = this.active.get(trunk) ?? 0;
    if (n >= this.perTrunk) throw new CallRejectedError('transfer-limit', `trunk ${trunk} has ${n} transfers running (limit ${this.perTrunk})`);
    this.active.set(trunk, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.active.get(trunk) ?? 1) - 1;
      if (left <= 0) this.active.delete(trunk);
      else this.active.set(trunk, left);
    };
  }

  /** Transfers running on `trunk`. */
  runningOn(trunk: string): number {
    return this.active.get(trunk) ?? 0;
  }
}

/** Outbound calls per trunk in any 60 s (a sliding window); one more is refused with 'outbound-rate-limit'. */
export class OutboundRateCap {
  private readonly placed = new Map<string, number[]>();

  constructor(
    private readonly perMinute: number,
    private readonly clock: Clock,
  ) {}

  /**
   * Counts one call through `trunk`.
   * @throws CallRejectedError 'outbound-rate-limit' when `perMinute` calls went through it in the last minute.
   */
  take(trunk: string): void {
    const now = this.clock.now();
    const recent = (this.placed.get(trunk) ?? []).filter((t) => now - t < 60_000);
    if (recent.length >= this.perMinute) {
      this.placed.set(trunk, recent);
      throw new CallRejectedError('outbound-rate-limit', `trunk ${trunk} placed ${recent.length} calls in the last minute (limit ${this.perMinute})`);
    }
    recent.push(now);
    this.placed.set(trunk, recent);
  }
}
