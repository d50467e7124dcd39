/**
 * A MOS estimate from network figures: the ITU-T G.107 E-model reduced to what RTCP gives us (loss, jitter,
 * round-trip time), as VoIP monitors commonly do. Codec impairment uses G.113 Appendix I values for G.711 with
 * packet-loss concealment (Ie 0, Bpl 25.1, which our decoders do); wideband codecs are scored on the same
 * narrowband scale, so the figure is comparable across calls, not an absolute listening score.
 */

export interface MosInput {
  /** Packets lost over packets expected, 0..1. */
  lossRatio: number;
  /** Interarrival jitter, ms. */
  jitterMs: number;
  /** Round-trip time, ms; absent: only the jitter and a 10 ms codec delay count. */
  rttMs?: number;
}

/** Packet-loss robustness of a G.711 decoder with concealment (G.113 Appendix I). */
const BPL = 25.1;
/** R of a perfect narrowband call (G.107 default R0 - Is). */
const R_MAX = 93.2;

/** The estimate, 1..4.5, rounded to 2 decimals. */
export function estimateMos(q: MosInput): number {
  const lossPct = Math.min(100, Math.max(0, q.lossRatio * 100));
  // One-way delay: half the round trip, the jitter buffer (about twice the jitter) and packetisation.
  const delayMs = (q.rttMs ?? 0) / 2 + 2 * Math.max(0, q.jitterMs) + 10;
  // Delay impairment Id, the usual piecewise fit of G.107's curve (flat-ish to 177 ms, steeper after).
  const id = 0.024 * delayMs + (delayMs > 177.3 ? 0.11 * (delayMs - 177.3) : 0);
  // Effective equipment impairment Ie-eff (G.107 §7.2, random loss): Ie + (95 - Ie) * Ppl / (Ppl + Bpl).
  const ieEff = (95 * lossPct) / (lossPct + BPL);
  return mosFromR(R_MAX - id - ieEff);
}

/** G.107 Annex B: MOS-CQE from the rating factor R. */
export function mosFromR(r: number): number {
  if (r <= 0) return 1;
  if (r >= 100) return 4.5;
  const mos = 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
  return Math.round(Math.min(4.5, Math.max(1, mos)) * 100) / 100;
}
