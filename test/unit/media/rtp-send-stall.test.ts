import { describe, expect, it } from 'vitest';
import { CATCH_UP_MS, type LateTimerPolicy } from '../../../src/media/rtp-send-path.js';
import { SimLoop, TS0, percentile, realTimeBot, sendSim } from './helpers/send-sim.js';

const STALL_MS = 150;
const STALL_AT = 1000;

interface StallRun {
  /** Added latency of every frame sent, and of those arriving 60 ms or more after the stall. */
  latencies: number[];
  latenciesAfter: number[];
  /** Latency of the frames sent from the stall's end on, in order. */
  recovery: number[];
  droppedMs: number;
  /** |gap − ptime| between consecutive packets at the far end. */
  deviations: number[];
  /** Packets that left less than ptime/2 after the one before, from 500 ms on (not the talkspurt's start). */
  bunched: number;
  /** How late packets leave against their own timestamp (the far end's view), beyond the pre-stall level. */
  tsLateness: number[];
  /** The same, for the packets of the last second of streaming. */
  tsLatenessSettled: number[];
  queuedAfterMs: number;
}

/** A bot streaming in real time; the loop blocks for 150 ms at STALL_AT + `phase` (timers then I/O after it). */
function stall(policy: LateTimerPolicy, phase: number): StallRun {
  const loop = new SimLoop(0);
  const { path, sent, latencies } = sendSim(loop, { lateTimer: policy, keepPayload: false });
  const latencyAt: Array<{ at: number; ms: number }> = [];
  path.start(0);
  const arrivals = realTimeBot(loop, path, { start: 7.3, end: 3000, jitterMs: 0.5, seed: 11 });
  const stallAt = STALL_AT + phase;
  loop.runUntil(stallAt);
  const before = latencies.length;
  loop.block(STALL_MS);
  const stallEnd = loop.now();
  const seen = latencies.length;
  loop.runUntil(stallEnd + 5);
  for (let i = seen; i < latencies.length; i++) latencyAt.push({ at: stallEnd, ms: latencies[i] });
  loop.runUntil(3100);
  const queuedAfterMs = path.bufferedMs;
  const offset = (p: { at: number; ts: number }) => p.at - ((p.ts - TS0) >>> 0) / 8;
  const pre = sent.filter((p) => p.at < stallAt && p.at > 500).map(offset);
  const base = Math.min(...pre);
  const gaps = sent.slice(1).map((p, i) => p.at - sent[i].at);
  const firstLateFrame = arrivals.findIndex((t) => t >= stallEnd + 60);
  const sentFrames = latencies.length;
  return {
    latencies,
    // Frames are sent in order; dropped ones have no latency, so count from the end.
    latenciesAfter: latencies.slice(sentFrames - (arrivals.length - firstLateFrame)),
    recovery: latencies.slice(before),
    droppedMs: path.droppedMs.late,
    deviations: gaps.map((g) => Math.abs(g - 20)),
    bunched: gaps.filter((g, i) => g < 10 && sent[i + 1].at > 500).length,
    tsLateness: sent.map((p) => offset(p) - base),
    tsLatenessSettled: sent.filter((p) => p.at > 1900 && p.at < 2900).map((p) => offset(p) - base),
    queuedAfterMs,
  };
}

const PHASES = Array.from({ length: 20 }, (_, i) => i); // the stall starting at every ms of a slot

describe('late timers: a 150 ms event-loop stall while the bot streams in real time (simulated loop)', () => {
  it.each(['catch-up', 'skip'] as const)('%s: added latency is back under 5 ms within 3 packets and no delay is left', (policy) => {
    for (const phase of PHASES) {
      const r = stall(policy, phase);
      expect(r.recovery.slice(3).every((ms) => ms < 5)).toBe(true);
      expect(Math.max(...r.latenciesAfter)).toBeLessThanOrEqual(1);
      expect(r.queuedAfterMs).toBeLessThanOrEqual(20);
      // The far end sees packets leave at a steady offset from their timestamps again (the grid followed the
      // frames arriving after the stall by under a ptime; the timestamps stayed contiguous).
      const settled = r.tsLatenessSettled;
      expect(Math.max(...settled)).toBeLessThan(20);
      expect(Math.max(...settled) - Math.min(...settled)).toBeLessThan(1.5);
    }
  });

  it('catch-up sends the stall\'s slots up to CATCH_UP_MS late back to back and drops older ones; skip sends only the present', () => {
    for (const phase of PHASES) {
      const c = stall('catch-up', phase);
      const s = stall('skip', phase);
      // The stall's 7-8 slots: catch-up keeps those less than CATCH_UP_MS late, skip only the current one.
      expect(c.droppedMs).toBeGreaterThanOrEqual(STALL_MS - CATCH_UP_MS - 20);
      expect(c.droppedMs).toBeLessThanOrEqual(STALL_MS - CATCH_UP_MS + 20);
      expect(s.droppedMs).toBeGreaterThanOrEqual(STALL_MS - 40);
      expect(s.droppedMs).toBeLessThanOrEqual(STALL_MS - 10);
      const burst = CATCH_UP_MS / 20 - 1; // gaps inside the back-to-back packets
      expect(c.bunched).toBeGreaterThanOrEqual(burst - 1);
      expect(c.bunched).toBeLessThanOrEqual(burst + 1); // and the next slot
      expect(s.bunched).toBeLessThanOrEqual(1); // the current slot, up to a ptime late, and the next one on time
      expect(Math.max(...c.tsLateness)).toBeGreaterThan(CATCH_UP_MS - 30); // the burst, late for its timestamps
      expect(Math.max(...c.tsLateness)).toBeLessThan(CATCH_UP_MS + 1);
      expect(Math.max(...s.tsLateness)).toBeLessThan(21); // the current slot, up to a ptime late (+ bot jitter)
    }
    if (process.env.PACING_REPORT) report();
  });
});

/** The README table: both policies over the 20 stall phases (PACING_REPORT=1 npx vitest run <this file>). */
function report(): void {
  for (const policy of ['catch-up', 'skip'] as const) {
    const runs = PHASES.map((p) => stall(policy, p));
    const all = (f: (r: StallRun) => number[]) => runs.flatMap(f);
    const lat = all((r) => r.latencies);
    const dev = all((r) => r.deviations);
    const tsl = all((r) => r.tsLateness);
    const row = {
      policy,
      latencyP50: percentile(lat, 50).toFixed(2),
      latencyP99: percentile(lat, 99).toFixed(2),
      latencyMax: Math.max(...lat).toFixed(2),
      droppedMsMean: (runs.reduce((s, r) => s + r.droppedMs, 0) / runs.length).toFixed(1),
      deviationP99: percentile(dev, 99).toFixed(2),
      deviationMax: Math.max(...dev).toFixed(2),
      bunchedPerStall: (runs.reduce((s, r) => s + r.bunched, 0) / runs.length).toFixed(1),
      tsLatenessMax: Math.max(...tsl).toFixed(1),
      packetsToRecover: Math.max(...runs.map((r) => r.recovery.findIndex((_, i) => r.recovery.slice(i).every((ms) => ms < 5)))),
    };
    console.info(JSON.stringify(row));
  }
}
