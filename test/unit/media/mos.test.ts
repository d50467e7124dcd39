// The MOS estimate (simplified E-model): reference points computed by hand from G.107's R -> MOS mapping.
import { describe, expect, it } from 'vitest';
import { estimateMos, lossPercent, mosFromR } from '../../../src/media/rtcp/mos.js';

describe('estimateMos', () => {
  it.each([
    // lossPercent, jitterMs, rttMs, MOS
    [0, 0, undefined, 4.4],
    [0, 0, 0, 4.4],
    [1, 10, 100, 4.31],
    [5, 20, 300, 3.72],
    [10, 50, 600, 2.02],
    [40, 0, 0, 1],
    [0, 0, 2000, 1],
    [150, 0, 0, 1],
  ] as const)('loss %s%%, jitter %s ms, RTT %s ms -> %s', (loss, jitter, rtt, mos) => {
    expect(estimateMos({ lossPercent: loss, jitterMs: jitter, ...(rtt !== undefined ? { rttMs: rtt } : {}) })).toBe(mos);
  });

  it('R -> MOS: G.107 Annex B end points and clamps', () => {
    expect(mosFromR(0)).toBe(1);
    expect(mosFromR(100)).toBe(4.5);
    expect(mosFromR(50)).toBeCloseTo(2.575, 6);
    expect(mosFromR(3)).toBe(1);
  });

  it('loss percent of expected packets, 0 when none were expected', () => {
    expect(lossPercent(99, 1)).toBe(1);
    expect(lossPercent(0, 0)).toBe(0);
    expect(lossPercent(0, 5)).toBe(100);
  });
});
