// The overload guard's figure: a worker's reported utilization, scaled up by the calls added since the report.
import { describe, expect, it } from 'vitest';
import { projectedUtilization } from '../../../src/engine/worker/projected-load.js';

describe('projectedUtilization', () => {
  it.each([
    // [utilization, calls at the report, calls now, projected]
    [0.6, 60, 60, 0.6], // nothing added
    [0.6, 60, 80, 0.8], // a third more calls: a third more load
    [0.4, 10, 40, 1.6], // a burst: past 1, so over any limit
    [0.6, 60, 30, 0.6], // calls ended: the next reports will say
    [0.05, 0, 20, 0.05], // no calls at the report: no per-call cost to scale by
    [0, 0, 0, 0],
  ])('%f with %i calls at the report and %i now -> %f', (u, atReport, now, want) => {
    expect(projectedUtilization(u, atReport, now)).toBeCloseTo(want, 10);
  });
});
