/**
 * The adaptive jitter buffer's delay target, estimated the way WebRTC NetEQ's delay manager does (facts taken
 * from it, code not):
 *
 * - Each packet's transit is `arrival − media time`. The smallest transit of the last `historyMs` of arrivals is
 *   the path's base; a packet's relative delay is how much later than that it came (≥ 0). Clock offsets cancel
 *   out, and a slow drift between the far clock and ours moves the base with it.
 * - Every `intervalMs` the largest relative delay seen in the interval goes into a histogram with 1 ms buckets
 *   and exponential forgetting (`forgetFactor` per interval: about 30 s of memory at 0.983 and 500 ms). The
 *   first intervals are averaged plainly, so the estimate is good after a second or two rather than after 30 s.
 * - The target is the histogram's `quantile` (95 %) of those interval maxima, or the current interval's maximum
 *   when that is larger (a late packet raises the target at once), plus `marginMs`, clamped to [minMs, maxMs].
 *
 * So the target grows at the first late packet and comes down only as the histogram forgets, over seconds.
 * Allocation-free per packet; the histogram is walked once per interval.
 */

export interface DelayEstimatorOptions {
  /** Lower clamp of the target, ms. */
  minMs: number;
  /** Upper clamp of the target, ms (also the histogram's range). */
  maxMs: number;
  /** Target before the first interval has been measured, ms (clamped to [minMs, maxMs]). */
  initialMs: number;
  /** Quantile of the interval maxima aimed at. Default 0.95. */
  quantile?: number;
  /** Histogram forgetting per interval. Default 0.983. */
  forgetFactor?: number;
  /** Interval whose largest relative delay is one histogram sample, ms. Default 500. */
  intervalMs?: number;
  /** Arrivals over which the base (smallest) transit is taken, ms. Default 2000. */
  historyMs?: number;
  /** Headroom added to the quantile, ms. Default 3. */
  marginMs?: number;
}

/**
 * Sliding minimum of (arrival, transit) pairs over a time window: a monotonic deque in a growable ring. It starts
 * small (it holds only the rising transits of the window: a few on a clean link) and doubles when needed.
 */
class MinWindow {
  private at = new Float64Array(16);
  private val = new Float64Array(16);
  private head = 0;
  private size = 0;

  clear(): void {
    this.head = 0;
    this.size = 0;
  }

  /** Adds a sample at time `t` (non-decreasing), forgets samples older than `t − windowMs`, returns the minimum. */
  push(t: number, v: number, windowMs: number): number {
    const mask = this.at.length - 1;
    // Samples not smaller than the new one can never be the minimum again.
    while (this.size > 0 && this.val[(this.head + this.size - 1) & mask] >= v) this.size--;
    if (this.size === this.at.length) this.grow();
    const m = this.at.length - 1;
    const i = (this.head + this.size) & m;
    this.at[i] = t;
    this.val[i] = v;
    this.size++;
    while (this.at[this.head] < t - windowMs) {
      this.head = (this.head + 1) & m;
      this.size--;
    }
    return this.val[this.head];
  }

  private grow(): void {
    const n = this.at.length;
    const at = new Float64Array(n * 2);
    const val = new Float64Array(n * 2);
    for (let k = 0; k < this.size; k++) {
      at[k] = this.at[(this.head + k) & (n - 1)];
      val[k] = this.val[(this.head + k) & (n - 1)];
    }
    this.at = at;
    this.val = val;
    this.head = 0;
  }
}

export class DelayEstimator {
  private readonly minMs: number;
  private readonly maxMs: number;
  private readonly quantile: number;
  private readonly forget: number;
  private readonly intervalMs: number;
  private readonly historyMs: number;
  private readonly marginMs: number;
  /** Probability mass per 1 ms bucket of relative delay; the last bucket takes everything from maxMs up. */
  private readonly hist: Float64Array;
  private samples = 0;
  /** The histogram's quantile, ms (upper edge of its bucket); the initial target until the first sample. */
  private quantileMs: number;
  private readonly base = new MinWindow();
  private intervalStart = Number.NaN;
  private intervalMax = 0;
  private target: number;

  constructor(o: DelayEstimatorOptions) {
    if (!(o.maxMs >= o.minMs && o.minMs >= 0)) throw new RangeError('delay estimator needs 0 <= minMs <= maxMs');
    this.minMs = o.minMs;
    this.maxMs = o.maxMs;
    this.quantile = o.quantile ?? 0.95;
    this.forget = o.forgetFactor ?? 0.983;
    this.intervalMs = o.intervalMs ?? 500;
    this.historyMs = o.historyMs ?? 2000;
    this.marginMs = o.marginMs ?? 3;
    this.hist = new Float64Array(Math.ceil(o.maxMs) + 1);
    this.quantileMs = Math.max(0, o.initialMs - this.marginMs);
    this.target = this.clamp(o.initialMs);
  }

  /** The delay to aim at now, ms. */
  get targetMs(): number {
    return this.target;
  }

  /**
   * One packet of media time `mediaMs` (the sender's clock, any origin) arrived at `now`. Returns its relative
   * delay (how much later than the fastest recent packet it came, ms) and updates the target.
   */
  update(mediaMs: number, now: number): number {
    const transit = now - mediaMs;
    const relative = transit - this.base.push(now, transit, this.historyMs);
    if (!(now - this.intervalStart < this.intervalMs)) {
      // NaN on the first packet: starts the first interval without a sample.
      if (this.intervalStart === this.intervalStart) this.addSample(this.intervalMax);
      this.intervalStart = now;
      this.intervalMax = 0;
    }
    if (relative > this.intervalMax) this.intervalMax = relative;
    this.target = this.clamp(Math.max(this.quantileMs, this.intervalMax) + this.marginMs);
    return relative;
  }

  /** A new timeline (SSRC change, timestamp jump): transit restarts from the next packet; the network history stays. */
  resetTimeline(): void {
    this.base.clear();
    this.intervalStart = Number.NaN;
    this.intervalMax = 0;
  }

  private clamp(ms: number): number {
    return Math.min(this.maxMs, Math.max(this.minMs, ms));
  }

  /** One interval maximum into the histogram: plain average for the first samples, then exponential forgetting. */
  private addSample(ms: number): void {
    const hist = this.hist;
    const n = this.samples++;
    const f = Math.min(this.forget, n / (n + 1));
    for (let i = 0; i < hist.length; i++) hist[i] *= f;
    hist[Math.min(hist.length - 1, Math.floor(ms))] += 1 - f;
    // Upper edge of the first bucket where the cumulative mass reaches the quantile.
    let sum = 0;
    let i = 0;
    for (; i < hist.length - 1; i++) {
      sum += hist[i];
      if (sum >= this.quantile) break;
    }
    this.quantileMs = i + 1;
  }
}
