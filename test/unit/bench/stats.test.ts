import { describe, expect, it } from 'vitest';
import { percentile, Samples, summarize } from '../../../src/bench/stats.js';

describe('bench statistics', () => {
  it('percentile is nearest-rank', () => {
    const s = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(s, 50)).toBe(50);
    expect(percentile(s, 99)).toBe(99);
    expect(percentile(s, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('Samples keeps at most its capacity and counts the rest', () => {
    const s = new Samples(3000);
    for (let i = 0; i < 5000; i++) s.add(i % 10);
    expect(s.count).toBe(3000);
    expect(s.overflow).toBe(2000);
    const sum = s.summary();
    expect(sum.dropped).toBe(2000);
    expect(sum.max).toBe(9);
    s.clear();
    expect(s.summary().n).toBe(0);
  });

  it('summarize gives mean, p50, p99 and max', () => {
    expect(summarize([1, 2, 3, 10])).toMatchObject({ n: 4, p50: 2, p99: 10, max: 10, mean: 4 });
  });
});
