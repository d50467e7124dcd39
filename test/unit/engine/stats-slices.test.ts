import { describe, expect, it } from 'vitest';
import { StatsSlices } from '../../../src/engine/worker/stats-slices.js';

/** Runs one cycle of ticks over the items alive at each tick; returns how often each was reported. */
function cycle(slices: StatsSlices<{ id: number }>, aliveAt: (tick: number) => Array<{ id: number }>): Map<number, number> {
  const seen = new Map<number, number>();
  for (let t = 0; t < slices.slices; t++) {
    const slice = slices.nextTick();
    expect(slice).toBe(t);
    for (const item of aliveAt(t)) if (slices.has(item, slice)) seen.set(item.id, (seen.get(item.id) ?? 0) + 1);
  }
  return seen;
}

const items = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => ({ id: from + i }));

describe('StatsSlices: a periodic report spread over its interval', () => {
  it.each([
    [1, 7],
    [10, 250],
    [10, 3],
    [4, 41],
  ])('%i slices, %i items: each item once per cycle, slices within one item of each other', (n, count) => {
    const s = new StatsSlices<{ id: number }>(n);
    const all = items(0, count);
    const perSlice = new Array<number>(n).fill(0);
    for (let round = 0; round < 3; round++) {
      for (let t = 0; t < n; t++) {
        const slice = s.nextTick();
        const picked = all.filter((it) => s.has(it, slice));
        if (round === 0) perSlice[slice] = picked.length;
        else expect(picked.length).toBe(perSlice[slice]); // the same items every cycle
      }
    }
    expect(perSlice.reduce((a, b) => a + b, 0)).toBe(count);
    expect(Math.max(...perSlice) - Math.min(...perSlice)).toBeLessThanOrEqual(1);
  });

  it('items that come and go keep their slice: the ones alive all cycle are reported exactly once', () => {
    const s = new StatsSlices<{ id: number }>(10);
    const stay = items(0, 30);
    const comers = items(100, 120);
    cycle(s, () => stay); // the stayers have their slices
    // Half the cycle some items are gone, others arrive midway.
    const seen = cycle(s, (t) => [...stay.filter((it) => t < 5 || it.id % 2 === 0), ...(t >= 5 ? comers : [])]);
    for (const it of stay) if (it.id % 2 === 0) expect(seen.get(it.id), `item ${it.id}`).toBe(1);
    for (const [, n] of seen) expect(n).toBe(1); // nothing twice
    const next = cycle(s, () => [...stay, ...comers]);
    expect(next.size).toBe(50);
    expect([...next.values()].every((n) => n === 1)).toBe(true);
  });

  it('rejects a slice count that is not a positive integer', () => {
    expect(() => new StatsSlices(0)).toThrow(RangeError);
    expect(() => new StatsSlices(2.5)).toThrow(RangeError);
  });
});
