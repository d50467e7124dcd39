/** Small statistics helpers shared by the benchmark's processes. */

/**
 * A bounded list of samples (ms): keeps the first `capacity` and counts the rest, so a runaway step cannot
 * grow a process without limit; the count of dropped samples is reported with the figures.
 */
export class Samples {
  private data: Float64Array;
  private n = 0;
  /** Samples offered after the list was full. */
  overflow = 0;

  constructor(private readonly capacity: number) {
    this.data = new Float64Array(Math.min(capacity, 1024));
  }

  get count(): number {
    return this.n;
  }

  add(v: number): void {
    if (this.n === this.data.length) {
      if (this.n >= this.capacity) {
        this.overflow++;
        return;
      }
      const grown = new Float64Array(Math.min(this.capacity, this.data.length * 2));
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.n++] = v;
  }

  clear(): void {
    this.n = 0;
    this.overflow = 0;
  }

  /** The samples, sorted ascending (a copy). */
  sorted(): Float64Array {
    return this.data.slice(0, this.n).sort();
  }

  summary(): Summary {
    return summarize(this.sorted(), this.overflow);
  }
}

/** Percentiles of a set of samples; NaN fields when there were none. */
export interface Summary {
  n: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
  /** Samples not kept (the list was full). */
  dropped: number;
}

/** Nearest-rank percentile (p in 0..100) of ascending `sorted`; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** {@link Summary} of ascending `sorted`. */
export function summarize(sorted: ArrayLike<number>, dropped = 0): Summary {
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i];
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
    mean: sorted.length ? sum / sorted.length : NaN,
    dropped,
  };
}
