import { CallRejectedError } from '../core/errors.js';

/**
 * Per-trunk concurrent call limits (`maxConcurrentCalls`): a call over the limit is refused with 486 Busy Here.
 * Pure counting; call control takes a slot once the call is routed and gives it back when the call ends or
 * its setup fails.
 */
export class TrunkCallLimiter {
  private readonly active = new Map<string, number>();

  constructor(private limits: ReadonlyMap<string, number>) {}

  /** New limits from a new configuration; calls already holding slots keep them (counted against the new limit). */
  setLimits(limits: ReadonlyMap<string, number>): void {
    this.limits = limits;
  }

  /**
   * Takes a slot on `trunk`; returns the release function (idempotent).
   * @throws CallRejectedError 486 'trunk-busy' when the trunk is at its limit.
   */
  acquire(trunk: string): () => void {
    const limit = this.limits.get(trunk);
    const n = this.active.get(trunk) ?? 0;
    if (limit !== undefined && n >= limit) {
      throw new CallRejectedError('trunk-busy', `trunk ${trunk} is at its limit of ${limit} calls`);
    }
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

  /** Calls holding a slot on `trunk`. */
  activeOn(trunk: string): number {
    return this.active.get(trunk) ?? 0;
  }
}
