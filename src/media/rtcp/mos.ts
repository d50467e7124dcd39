/**
 * A MOS estimate from network figures: the simplified E-model (ITU-T G.107) of Cole & Rosenbluth, "Voice over
 * IP performance monitoring" (2001), as most VoIP monitors compute it. It assumes G.711 with packet-loss
 * concealment and no echo; it is an estimate for dashboards and alerts, not a listening test.
 */

/** What the estimate is computed from. */
export interface MosInput {
  /** Packet loss, percent (0-100). */
  lossPercent: number;
  /** Interarrival jitter, ms. */
  jitterMs: number;
  /** Round-trip time, ms; absent (no RTCP from the far end): no network delay counted. */
  rttMs?: number;
}

/** R factor -> MOS (G.107 Annex B), clamped to 1..4.5. */
export function mosFromR(r: number): number {
  if (r <= 0) return 1;
  if (r >= 100) return 4.5;
  // The cubic dips just below 1 for R under ~6.5.
  return Math.max(1, 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r));
}

/**
 * Estimated MOS (1..4.5, two decimals): one-way delay is half the RTT, jitter counts twice (a jitter buffer
 * adds about that much), 10 ms of codec delay; delay past 160 ms costs ten times more; each percent of loss 2.5.
 */
export function estimateMos(q: MosInput): number {
  const effectiveLatency = (q.rttMs ?? 0) / 2 + 2 * Math.max(0, q.jitterMs) + 10;
  const delayCost = effectiveLatency < 160 ? effectiveLatency / 40 : (effectiveLatency - 120) / 10;
  const loss = Math.min(100, Math.max(0, q.lossPercent));
  const r = 93.2 - delayCost - 2.5 * loss;
  return Math.round(mosFromR(r) * 100) / 100;
}

/** Loss percent from RFC 3550 counts: lost / expected, 0 when nothing was expected. */
export function lossPercent(received: number, lost: number): number {
  const expected = received + lost;
  return expected > 0 ? (100 * lost) / expected : 0;
}
