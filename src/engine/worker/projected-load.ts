/**
 * What a worker's utilization will be with the calls it has now. Its reports come once a second and are smoothed,
 * so in a ramp of new calls the figure trails the calls by a few seconds, and the overload guard would let a burst
 * in past the limit (measured: the guard's figure crossed 0.85 only after the last of 200 calls ramped in at
 * 10 a second). The calls on a worker are known at once: each call added since the last report is taken to cost
 * what the calls then cost on average.
 */

/**
 * `utilization` (0..1, smoothed) was reported with `callsAtReport` calls on the worker; it has `callsNow`. Calls
 * gone since do not lower it (their cost leaves the next reports); with no calls at the report there is no
 * per-call cost to scale by, and the figure stands.
 */
export function projectedUtilization(utilization: number, callsAtReport: number, callsNow: number): number {
  if (callsAtReport <= 0 || callsNow <= callsAtReport) return utilization;
  return (utilization * callsNow) / callsAtReport;
}
