/** Retry delays for webhook deliveries: exponential, doubling from `initialMs`, capped at `maxMs`. */

export interface BackoffPolicy {
  /** Delay before the first retry, ms. */
  initialMs: number;
  /** Longest delay between two attempts, ms. */
  maxMs: number;
}

/** The delay before retry number `failures` (1 after the first failed attempt). */
export function retryDelayMs(failures: number, p: BackoffPolicy): number {
  if (failures < 1) return 0;
  // 2^30 already exceeds any sane cap: no float overflow for a receiver down for weeks.
  return Math.min(p.maxMs, p.initialMs * 2 ** Math.min(failures - 1, 30));
}
