/**
 * Event-loop delay from Node's `monitorEventLoopDelay`. Its histogram records the time between two of its own
 * timer ticks, so every value includes the sampling interval: an idle loop reads ~10 ms at the usual resolution.
 * Delay is what is left after taking the interval off.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** Sampling interval of the delay monitors, ms (Node's default). */
export const LOOP_DELAY_RESOLUTION_MS = 10;

/** A started monitor of this thread's event loop. */
export function startLoopDelayMonitor(): IntervalHistogram {
  const h = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
  h.enable();
  return h;
}

/** The 99th percentile of the loop's delay since the histogram's last reset, ms (the sampling interval taken off). */
export function loopDelayP99Ms(h: Pick<IntervalHistogram, 'percentile'>): number {
  return Math.max(0, h.percentile(99) / 1e6 - LOOP_DELAY_RESOLUTION_MS);
}
