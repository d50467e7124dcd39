/**
 * Spreads a periodic report over its interval: each item (a call's media leg) gets a slice when first seen,
 * round-robin, and keeps it, so every item is reported once per cycle of `slices` ticks however items come and
 * go. All at once, 250 calls' figures held the media worker 1–3 ms each second and the main thread, decoding
 * and storing them, 0.5–8 ms: on a shared core both delay the packets due meanwhile (docs/capacity-log.md, "The
 * stats burst and the GC helpers").
 */
export class StatsSlices<T extends object> {
  private readonly sliceOf = new WeakMap<T, number>();
  private next = 0;
  private tick = 0;

  constructor(readonly slices: number) {
    if (!Number.isInteger(slices) || slices < 1) throw new RangeError(`slices must be a positive integer: ${slices}`);
  }

  /** The slice this tick reports (0 .. slices − 1); 0 starts a cycle. Advances to the next tick. */
  nextTick(): number {
    const t = this.tick;
    this.tick = (this.tick + 1) % this.slices;
    return t;
  }

  /** True when `item` is reported in `slice`. */
  has(item: T, slice: number): boolean {
    let s = this.sliceOf.get(item);
    if (s === undefined) {
      s = this.next;
      this.next = (this.next + 1) % this.slices;
      this.sliceOf.set(item, s);
    }
    return s === slice;
  }
}
