import { describe, expect, it } from 'vitest';
import { LOOP_DELAY_RESOLUTION_MS, loopDelayP99Ms } from '../../../src/core/loop-delay.js';

/** A histogram stand-in whose 99th percentile is `ms` (in ns, as Node reports it). */
const at = (ms: number) => ({ percentile: (p: number) => (p === 99 ? ms * 1e6 : Number.NaN) });

describe('loopDelayP99Ms', () => {
  it.each([
    [LOOP_DELAY_RESOLUTION_MS + 0.2, 0.2], // an idle loop: its timer came on time
    [LOOP_DELAY_RESOLUTION_MS + 35, 35], // a 35 ms block
    [LOOP_DELAY_RESOLUTION_MS - 1, 0], // a timer a little early is no delay, never negative
  ])('histogram p99 %f ms -> delay %f ms', (raw, delay) => {
    expect(loopDelayP99Ms(at(raw))).toBeCloseTo(delay, 9);
  });
});
