import { describe, expect, it } from 'vitest';
import { BURST_TIMEOUT_MS, BurstMatcher, LoudnessEdge, SlotGrid } from '../../../src/bench/probe-signal.js';

describe('probe bookkeeping', () => {
  it('LoudnessEdge fires once per burst, not on its tail', () => {
    const e = new LoudnessEdge(1000);
    expect([0, 5000, 2500, 0, 0, 4000, 0].map((l) => e.rising(l))).toEqual([false, true, false, false, false, true, false]);
  });

  it('BurstMatcher pairs arrivals with bursts in order, skipping bursts that timed out', () => {
    const m = new BurstMatcher();
    m.sent(0, true);
    m.sent(500, true);
    m.sent(1000, false);
    expect(m.match(-5)).toBeUndefined(); // nothing sent before it: not one of ours
    expect(m.match(3)?.sentAt).toBe(0);
    // the 500 ms burst never arrives; an arrival after its timeout goes to the next one
    const late = 500 + BURST_TIMEOUT_MS + 1;
    expect(m.match(late)?.sentAt).toBe(1000);
    expect(m.lost).toBe(1);
    expect(m.match(late + 1)).toBeUndefined();
  });

  it('SlotGrid finds the send grid from the least-delayed packet', () => {
    const g = new SlotGrid();
    // slots at 1000 + k·20 (our clock); packets arrive 0.1 to 3 ms late; timestamps start at a random value
    const ts0 = 4_294_967_000; // wraps during the call
    for (let k = 0; k < 20; k++) g.observe((ts0 + k * 160) >>> 0, 1000 + k * 20 + (k === 7 ? 0.1 : 1 + (k % 3)));
    expect(g.known).toBe(true);
    expect(g.nextSlotAfter(1000.1 + 45)).toBeCloseTo(1060.1, 6);
    expect(g.nextSlotAfter(1060.1)).toBeCloseTo(1060.1, 6);
  });

  it('SlotGrid is not trusted before ten packets', () => {
    const g = new SlotGrid();
    for (let k = 0; k < 9; k++) g.observe(k * 160, k * 20);
    expect(g.known).toBe(false);
    g.observe(9 * 160, 180);
    expect(g.known).toBe(true);
  });
});
