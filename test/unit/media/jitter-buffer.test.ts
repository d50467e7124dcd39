import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { JitterBuffer, RepeatFadeConcealer, type JitterBufferOptions, type JitterOutput } from '../../../src/media/jitter/index.js';

/** One scripted arrival: sequence number, packet index (timestamp = base + index·160), arrival time in ms. */
interface Arrival {
  seq: number;
  idx: number;
  at: number;
  ssrc?: number;
  marker?: boolean;
  /** Raw timestamp override. */
  ts?: number;
}

const TS0 = 1_000_000;

/**
 * Feeds arrivals at their times on a ManualClock while a 10 ms poll drains the buffer (as the media session's
 * tick does), and returns what came out as "t:P<seq>" / "t:M<units>" strings.
 */
function simulate(arrivals: Arrival[], until: number, opts: Partial<JitterBufferOptions> = {}) {
  const clock = new ManualClock(0);
  const jb = new JitterBuffer({ clockRate: 8000, targetMs: 40, ...opts });
  const log: string[] = [];
  const out: JitterOutput[] = [];
  const drain = () => {
    jb.pop(clock.now(), out);
    for (const o of out.splice(0)) log.push(o.kind === 'packet' ? `${clock.now()}:P${o.packet.sequenceNumber}` : `${clock.now()}:M${o.duration}`);
  };
  for (const a of arrivals) {
    clock.setTimeout(() => {
      jb.push(
        {
          ssrc: a.ssrc ?? 7,
          sequenceNumber: a.seq & 0xffff,
          timestamp: (a.ts ?? TS0 + a.idx * 160) >>> 0,
          payloadType: 0,
          marker: a.marker ?? false,
          payload: Buffer.alloc(160),
          duration: 160,
        },
        clock.now(),
      );
      drain();
    }, a.at);
  }
  const poll = () => {
    drain();
    if (clock.now() < until) clock.setTimeout(poll, 10);
  };
  clock.setTimeout(poll, 0);
  clock.advance(until);
  return { log, stats: jb.stats };
}

/** In-order arrivals every 20 ms starting at t=0. */
function steady(n: number, from = 0, seq0 = 100): Arrival[] {
  return Array.from({ length: n }, (_, i) => ({ seq: seq0 + from + i, idx: from + i, at: (from + i) * 20 }));
}

describe('JitterBuffer', () => {
  it('delays a steady stream by the target and releases each packet at its time', () => {
    const { log, stats } = simulate(steady(5), 200);
    expect(log).toEqual(['40:P100', '60:P101', '80:P102', '100:P103', '120:P104']);
    expect(stats).toEqual({ late: 0, duplicates: 0, trimmed: 0, concealed: 0, resets: 0, underruns: 0 });
  });

  it('absorbs jitter below the target: packets arriving up to 40 ms late still play on time', () => {
    const arrivals = steady(6).map((a, i) => ({ ...a, at: a.at + [0, 35, 5, 39, 0, 20][i] }));
    expect(simulate(arrivals, 200).log).toEqual(['40:P100', '60:P101', '80:P102', '100:P103', '120:P104', '140:P105']);
  });

  it('reorders', () => {
    const arrivals: Arrival[] = [
      { seq: 100, idx: 0, at: 0 },
      { seq: 102, idx: 2, at: 20 },
      { seq: 101, idx: 1, at: 25 },
      { seq: 104, idx: 4, at: 60 },
      { seq: 103, idx: 3, at: 61 },
    ];
    expect(simulate(arrivals, 200).log).toEqual(['40:P100', '60:P101', '80:P102', '100:P103', '120:P104']);
  });

  it('drops duplicates', () => {
    const arrivals = [...steady(3), { seq: 101, idx: 1, at: 30 }, { seq: 100, idx: 0, at: 35 }, { seq: 100, idx: 0, at: 45 }];
    const { log, stats } = simulate(arrivals, 200);
    expect(log).toEqual(['40:P100', '60:P101', '80:P102']);
    expect(stats.duplicates).toBe(2); // still buffered
    expect(stats.late).toBe(1); // the copy at 45 came after its original played
  });

  it('conceals single losses and a loss burst one packet at a time, at their playout times', () => {
    const arrivals = steady(8).filter((a) => ![2, 4, 5].includes(a.idx));
    const { log, stats } = simulate(arrivals, 300);
    expect(log).toEqual(['40:P100', '60:P101', '80:M160', '100:P103', '120:M160', '140:M160', '160:P106', '180:P107']);
    expect(stats.concealed).toBe(480);
  });

  it('drops a packet that arrives after its slot was concealed, and carries on', () => {
    const arrivals = steady(5).map((a) => (a.idx === 2 ? { ...a, at: 95 } : a));
    const { log, stats } = simulate(arrivals, 200);
    expect(log).toEqual(['40:P100', '60:P101', '80:M160', '100:P103', '120:P104']);
    expect(stats.late).toBe(1);
  });

  it('handles sequence and timestamp wrap-around', () => {
    const arrivals = steady(6).map((a, i) => ({ ...a, seq: 65533 + i, ts: (0xffffffff - 320 + i * 160 + 1) >>> 0 }));
    // reorder two packets across the wrap as well
    [arrivals[2].at, arrivals[3].at] = [arrivals[3].at, arrivals[2].at];
    expect(simulate(arrivals, 200).log).toEqual(['40:P65533', '60:P65534', '80:P65535', '100:P0', '120:P1', '140:P2']);
  });

  it('does not conceal a long gap (DTX / silence suppression) nor a marked new talkspurt', () => {
    const arrivals: Arrival[] = [
      ...steady(2),
      { seq: 102, idx: 50, at: 1000 }, // 1 s later, 48 packets of silence not sent
      { seq: 103, idx: 51, at: 1020 },
      { seq: 104, idx: 53, at: 1060, marker: true }, // short gap, but a new talkspurt
    ];
    const { log, stats } = simulate(arrivals, 1200);
    expect(log).toEqual(['40:P100', '60:P101', '1040:P102', '1060:P103', '1100:P104']);
    expect(stats.concealed).toBe(0);
  });

  it('re-anchors on an SSRC change and on a timestamp jump', () => {
    const arrivals: Arrival[] = [
      ...steady(2),
      { seq: 5000, idx: 0, ts: 42, at: 40, ssrc: 9 }, // new source
      { seq: 5001, idx: 0, ts: 202, at: 60, ssrc: 9 },
      { seq: 5002, idx: 0, ts: 202 + 8000 * 30, at: 80, ssrc: 9 }, // 30 s forward jump
    ];
    const { log, stats } = simulate(arrivals, 300);
    // Buffered packets of the old timeline play out at once at each re-anchor: nothing received is lost.
    expect(log).toEqual(['40:P100', '40:P101', '80:P5000', '80:P5001', '120:P5002']);
    expect(stats.resets).toBe(2);
  });

  it('trims when the far end sends faster than real time (burst after a stall)', () => {
    // 20 packets arrive at once at t=0: 400 ms of audio, target 40 + extra 100 allowed.
    const arrivals = Array.from({ length: 20 }, (_, i) => ({ seq: 100 + i, idx: i, at: 0 }));
    const { log, stats } = simulate(arrivals, 500, { maxExtraMs: 100 });
    expect(stats.trimmed).toBe(13);
    expect(log[0]).toBe('40:P113');
    expect(log).toHaveLength(7);
  });

  it('restores the target delay after running dry (the network delay stepped up)', () => {
    // The path delay grows from 0 to 100 ms at packet 5.
    const arrivals = steady(12).map((a) => (a.idx >= 5 ? { ...a, at: a.at + 100 } : a));
    const { log, stats } = simulate(arrivals, 500);
    expect(stats.underruns).toBe(1);
    expect(log).toEqual([
      '40:P100', '60:P101', '80:P102', '100:P103', '120:P104',
      // packet 5 arrived at 200: played 40 ms later, and the rest keep that delay
      '240:P105', '260:P106', '280:P107', '300:P108', '320:P109', '340:P110', '360:P111',
    ]);
  });

  it('re-anchors after a run of packets arriving after their slots were concealed', () => {
    // Packets 3.. arrive 70 ms late while a later packet (idx 9, sent early by a misbehaving peer) is buffered.
    const arrivals: Arrival[] = [...steady(3), { seq: 109, idx: 9, at: 45 }, ...steady(6, 3).map((a) => ({ ...a, at: a.at + 70 }))];
    const { stats, log } = simulate(arrivals, 500);
    expect(stats.late).toBe(3);
    expect(stats.resets).toBe(1);
    expect(log).toEqual([
      '40:P100', '60:P101', '80:P102',
      '100:M160', '120:M160', '140:M160', '160:M160', '180:M160', // 103..107 missing while 109 waits
      // 103, 104, 105 came after their slots; 106 (at 190) restarts the delay; 109 stays in order
      '230:P106', '250:P107', '270:P108', '290:P109',
    ]);
  });
});

describe('RepeatFadeConcealer', () => {
  it('repeats the last audio at half, then quarter level, then silence', () => {
    const c = new RepeatFadeConcealer();
    c.good(Int16Array.from([1000, -2000, 3000, -4000]));
    expect(Array.from(c.conceal(4))).toEqual([500, -1000, 1500, -2000]);
    expect(Array.from(c.conceal(6))).toEqual([250, -500, 750, -1000, 250, -500]);
    expect(Array.from(c.conceal(4))).toEqual([0, 0, 0, 0]);
    c.good(Int16Array.from([8, 8]));
    expect(Array.from(c.conceal(2))).toEqual([4, 4]);
  });

  it('is silence before any good audio', () => {
    expect(Array.from(new RepeatFadeConcealer().conceal(3))).toEqual([0, 0, 0]);
  });
});
