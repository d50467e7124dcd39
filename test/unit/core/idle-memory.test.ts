/** The idle heap compaction after a burst of calls (issue #12 soak): when it runs, and that it gives pages back. */
import { getHeapSpaceStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { IdleMemoryReclaimer, compactingGc } from '../../../src/core/idle-memory.js';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';

function reclaimer(quietMs = 37_000) {
  const clock = new ManualClock();
  let runs = 0;
  const r = new IdleMemoryReclaimer({ clock, logger: silentLogger(), quietMs, collect: () => runs++ });
  return { clock, r, runs: () => runs };
}

describe('IdleMemoryReclaimer', () => {
  it('never runs on a bridge that has taken no call', () => {
    const { clock, r, runs } = reclaimer();
    for (let i = 0; i < 100; i++) {
      clock.advance(1000);
      r.sample(false);
    }
    expect(runs()).toBe(0);
  });

  it('runs once, quietMs after the last call, then not again until calls come back', () => {
    const { clock, r, runs } = reclaimer(37_000);
    for (let i = 0; i < 10; i++) {
      r.sample(true);
      clock.advance(1000);
    }
    r.sample(false); // the last call ended 1 s ago
    clock.advance(35_000);
    r.sample(false);
    expect(runs()).toBe(0); // its transactions are still alive
    clock.advance(1000);
    r.sample(false);
    expect(runs()).toBe(1);
    clock.advance(60_000);
    r.sample(false);
    expect(runs()).toBe(1);
    r.sample(true);
    clock.advance(37_000);
    r.sample(false);
    expect(runs()).toBe(2);
  });

  it('a call during the quiet time starts the wait again', () => {
    const { clock, r, runs } = reclaimer(37_000);
    r.sample(true);
    clock.advance(30_000);
    r.sample(true);
    clock.advance(30_000);
    r.sample(false);
    expect(runs()).toBe(0);
    clock.advance(7000);
    r.sample(false);
    expect(runs()).toBe(1);
  });

  it('a failing collector is logged, never thrown into the sampler', () => {
    const clock = new ManualClock();
    const r = new IdleMemoryReclaimer({ clock, logger: silentLogger(), quietMs: 10, collect: () => { throw new Error('no'); } });
    r.sample(true);
    clock.advance(10);
    expect(() => r.sample(false)).not.toThrow();
  });
});

function oldSpace(): { used: number; committed: number } {
  const s = getHeapSpaceStatistics().find((x) => x.space_name === 'old_space')!;
  return { used: s.space_used_size, committed: s.physical_space_size };
}

describe('compactingGc', () => {
  it('leaves little free space in the heap it keeps: the survivors moved together, the emptied pages returned', () => {
    const collect = compactingGc();
    expect(collect).toBeDefined();
    // Survivors spread over many pages: one object in ten kept, like the few long-lived objects among a burst's.
    const keep: object[] = [];
    let junk: object[] | undefined = [];
    for (let i = 0; i < 400_000; i++) (i % 10 === 0 ? keep : junk).push({ a: `x${i}`, b: [i, i + 1], c: { d: i } });
    junk = undefined;
    const grown = oldSpace();
    collect!();
    const after = oldSpace();
    expect(keep.length).toBe(40_000);
    // A plain full GC keeps the grown pages for the scattered survivors: ~60 MB committed but free (measured).
    expect(grown.committed).toBeGreaterThan(after.committed + 20 * 2 ** 20);
    expect(after.committed - after.used).toBeLessThan(8 * 2 ** 20);
  });
});
