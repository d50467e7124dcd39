import { describe, expect, it } from 'vitest';
import { DelayEstimator, JitterBuffer, type JitterOutput, type JitterPacket } from '../../../src/media/jitter/index.js';

const UNITS = 160; // 20 ms at 8 kHz

function packet(idx: number, ssrc = 7, ts0 = 1000): JitterPacket {
  return { ssrc, sequenceNumber: idx & 0xffff, timestamp: (ts0 + idx * UNITS) >>> 0, payloadType: 0, marker: false, payload: Buffer.alloc(0), duration: UNITS };
}

function adaptive(minMs = 0, maxMs = 200, startMs = 20): JitterBuffer {
  return new JitterBuffer({ clockRate: 8000, targetMs: startMs, adaptive: { minMs, maxMs } });
}

/** What pop() releases at `now` (horizon `releaseBefore`), as "P<seq>" / "M<units>". */
function popAt(jb: JitterBuffer, now: number, releaseBefore = now): string[] {
  const out: JitterOutput[] = [];
  jb.pop(now, out, releaseBefore);
  return out.map((o) => (o.kind === 'packet' ? `P${o.packet.sequenceNumber}` : `M${o.duration}`));
}

describe('DelayEstimator', () => {
  it('starts at the initial target, then follows the 95th percentile of 500 ms maxima plus the margin', () => {
    const e = new DelayEstimator({ minMs: 0, maxMs: 200, initialMs: 20 });
    expect(e.targetMs).toBe(20);
    // 2 s of packets every 20 ms, each 0..0.9 ms later than the fastest: target = 1 ms bucket edge + 3 ms margin.
    for (let i = 0; i < 100; i++) e.update(i * 20, i * 20 + 5 + (i % 10) * 0.1);
    expect(e.targetMs).toBe(4);
  });

  it('raises the target at once for a late packet and keeps it while such packets recur', () => {
    const e = new DelayEstimator({ minMs: 0, maxMs: 200, initialMs: 20 });
    for (let i = 0; i < 100; i++) e.update(i * 20, i * 20);
    expect(e.update(100 * 20, 100 * 20 + 30)).toBe(30); // relative delay of that packet
    expect(e.targetMs).toBe(33);
    // One 30 ms spike in every 500 ms interval: it is the 95th percentile, so the target stays.
    for (let i = 101; i < 1000; i++) e.update(i * 20, i * 20 + (i % 25 === 0 ? 30 : 0));
    expect(e.targetMs).toBe(34); // bucket 30 → upper edge 31, + 3
  });

  it('lets a single spike go again once its interval is a small part of the history', () => {
    const e = new DelayEstimator({ minMs: 0, maxMs: 200, initialMs: 20 });
    for (let i = 0; i < 1500; i++) e.update(i * 20, i * 20 + (i === 700 ? 80 : 0)); // 30 s, one spike at 14 s
    expect(e.targetMs).toBe(4);
  });

  it('clamps to [minMs, maxMs]', () => {
    const low = new DelayEstimator({ minMs: 15, maxMs: 200, initialMs: 0 });
    for (let i = 0; i < 100; i++) low.update(i * 20, i * 20);
    expect(low.targetMs).toBe(15);
    const high = new DelayEstimator({ minMs: 0, maxMs: 50, initialMs: 20 });
    high.update(0, 0);
    high.update(20, 20 + 400);
    expect(high.targetMs).toBe(50);
    expect(() => new DelayEstimator({ minMs: 60, maxMs: 50, initialMs: 20 })).toThrow(RangeError);
  });

  it('measures against the fastest path of the last 2 s, so a constant offset or a step in path delay is not jitter for long', () => {
    const e = new DelayEstimator({ minMs: 0, maxMs: 200, initialMs: 20 });
    // Path delay 40 ms, then 90 ms from 10 s on: the step counts as 50 ms late until the old minimum is 2 s old.
    const rel: number[] = [];
    for (let i = 0; i < 1000; i++) rel.push(e.update(i * 20, i * 20 + (i < 500 ? 40 : 90)));
    expect(rel.slice(0, 500).every((r) => r === 0)).toBe(true);
    expect(rel[500]).toBe(50);
    expect(rel[700]).toBe(0);
  });
});

describe('JitterBuffer, adaptive', () => {
  it('settles at a few ms on a clean link and reports it as its delay', () => {
    const jb = adaptive();
    expect(jb.delayMs).toBe(20);
    for (let i = 0; i < 200; i++) {
      jb.push(packet(i), i * 20);
      popAt(jb, i * 20);
    }
    expect(jb.targetDelayMs).toBe(4);
    expect(jb.delayMs).toBe(4);
    expect(jb.report()).toMatchObject({ mode: 'adaptive', delayMs: 4, targetMs: 4, late: 0 });
  });

  it('grows at once for a late packet (no loss, the output pauses) and shrinks by 1/16 packet per packet', () => {
    const jb = adaptive();
    // 30 s of a clean link: a single spike is then a small part of the history.
    for (let i = 0; i < 1500; i++) {
      jb.push(packet(i), i * 20);
      popAt(jb, i * 20);
    }
    expect(jb.delayMs).toBe(4);
    // Packet 1500 is 30 ms late, and 1501 comes on time right behind it.
    jb.push(packet(1500), 30_000 + 30);
    expect(jb.delayMs).toBe(33);
    expect(popAt(jb, 30_030)).toEqual(['P1499']); // packet 1500 is due at 30 000 + 33
    expect(popAt(jb, 30_033)).toEqual(['P1500']);
    jb.push(packet(1501), 30_020);
    expect(jb.delayMs).toBeCloseTo(33, 5); // the spike's interval is still open: the target holds
    // Once the interval closes the target falls back, and the delay follows 1.25 ms per packet.
    const seen: number[] = [];
    for (let i = 1502; i < 1600; i++) {
      jb.push(packet(i), i * 20);
      popAt(jb, i * 20);
      seen.push(jb.delayMs);
    }
    for (let k = 1; k < seen.length; k++) expect(seen[k - 1] - seen[k]).toBeLessThanOrEqual(1.25 + 1e-9);
    expect(seen[seen.length - 1]).toBe(4);
    expect(jb.stats.late).toBe(0);
  });

  it('plays a packet later than the maximum at once and comes down from there', () => {
    const jb = adaptive(0, 50);
    for (let i = 0; i < 50; i++) {
      jb.push(packet(i), i * 20);
      popAt(jb, i * 20, i * 20 + 20); // polled every 20 ms: the buffer runs empty between packets
    }
    // A 300 ms stall: packets 50..64 come at once at 1300, then the stream is on time again.
    jb.push(packet(50), 1300);
    expect(jb.stats.underruns).toBe(1);
    expect(popAt(jb, 1300, 1320)).toEqual(['P50']);
    expect(jb.delayMs).toBe(300);
    for (let i = 51; i < 65; i++) jb.push(packet(i), 1300);
    const seen: number[] = [];
    for (let i = 65; i < 400; i++) {
      jb.push(packet(i), i * 20);
      popAt(jb, i * 20, i * 20 + 20);
      seen.push(jb.delayMs);
    }
    expect(seen[0]).toBeLessThan(300);
    for (let k = 1; k < seen.length; k++) expect(seen[k]).toBeLessThanOrEqual(seen[k - 1]);
    expect(seen[seen.length - 1]).toBe(50); // back at the target, clamped to the maximum, in under 7 s
    expect(jb.stats.late).toBe(0);
  });

  it('keeps a new source (SSRC change) from counting as jitter', () => {
    const jb = adaptive();
    for (let i = 0; i < 100; i++) jb.push(packet(i), i * 20);
    // The new source's timestamps bear no relation to the old ones.
    for (let i = 0; i < 100; i++) jb.push(packet(i, 9, 77_000_000), 2000 + i * 20);
    expect(jb.stats.resets).toBe(1);
    expect(jb.targetDelayMs).toBe(4);
  });
});

describe('JitterBuffer release horizon (the poll that comes next)', () => {
  it('releases gap-free packets due before the next poll, but conceals a gap only when its time has come', () => {
    const jb = new JitterBuffer({ clockRate: 8000, targetMs: 40 });
    jb.push(packet(0), 0);
    jb.push(packet(2), 5); // packet 1 missing
    expect(popAt(jb, 20, 40)).toEqual([]); // packet 0 due at 40: not before the next poll at 40
    expect(popAt(jb, 25, 45)).toEqual(['P0']); // due before 45: now rather than 20 ms late
    expect(popAt(jb, 55, 75)).toEqual([]); // the gap is due at 60: not concealed early
    expect(popAt(jb, 60, 80)).toEqual(['M160']); // the gap at its time
    expect(popAt(jb, 80, 100)).toEqual(['P2']);
  });
});
