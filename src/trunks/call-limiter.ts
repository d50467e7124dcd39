import { CallRejectedError } from '../core/errors.js';

/**
 * Per-trunk concurrent call limits (`maxConcurrentCalls`): a call over the limit is refused with 486 Busy Here.
 * Pure counting; call control takes a slot once the call is routed and gives it back when the call ends or
 * its setup fails.
 */
export class TrunkCallLimiter {
  private readonly active = new Map<string, number>();

  private total = 0;

  /** `maxTotal`: calls on all trunks together (sip.security.maxConcurrentCalls); more get 503. */
  constructor(
    private limits: ReadonlyMap<string, number>,
    private readonly maxTotal?: number,
  ) {}

  /** New limits from a new configuration; calls already holding slots keep them (counted against the new limit). */
  setLimits(limits: ReadonlyMap<string, number>): void {
    this.limits = limits;
  }

  /**
   * Takes a slot on `trunk`; returns the release function (idempotent).
   * @throws CallRejectedError 486 'trunk-busy' when the trunk is at its limit, 503 'bridge-busy' when all are.
   */
  acquire(trunk: string): () => void {
    const limit = this.limits.get(trunk);
    const n = this.active.get(trunk) ?? 0;
    if (limit !== undefined && n >= limit) {
      throw new CallRejectedError('trunk-busy', `trunk ${trunk} is at its limit of ${limit} calls`);
    }
    if (this.maxTotal !== undefined && this.total >= this.maxTotal) {
      throw new CallRejectedError('bridge-busy', `the bridge is at its limit of ${this.maxTotal} calls`);
    }
    this.active.set(trunk, n + 1);
    this.total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.active.get(trunk) ?? 1) - 1;
      if (left <= 0) this.active.delete(trunk);
      else this.active.set(trunk, left);
    };
  }

  /** `trunk`'s maxConcurrentCalls; undefined when it has none. */
  limitOf(trunk: string): number | undefined {
    return this.limits.get(trunk);
  }

  /** Calls holding a slot on `trunk`. */
  activeOn(trunk: string): number {
    return this.active.get(trunk) ?? 0;
  }
}
