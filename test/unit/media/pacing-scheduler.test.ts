import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, type Clock, type TimerHandle } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { codecRegistry } from '../../../src/media/codecs/index.js';
import { MediaSession } from '../../../src/media/media-session.js';
import { PacingScheduler, type PacedStream } from '../../../src/media/pacing-scheduler.js';
import { RtcpReporter } from '../../../src/media/rtcp/rtcp-reporter.js';
import { parseRtpPacket, RtpPortPool, type RtpSocket } from '../../../src/media/rtp/index.js';
import { RtpSendPath } from '../../../src/media/rtp-send-path.js';
import { RtpStreamSender } from '../../../src/media/rtp-stream-sender.js';
import type { MediaSessionStats } from '../../../src/media/media-session-types.js';

const PCMU = codecRegistry.get('PCMU')!;
const TS0 = 0xfffff000; // wraps after a few hundred packets

/** A clock whose timers fire only when the test says, at a time of its choosing (a late timer). */
class StallingClock implements Clock {
  private t = 0;
  private pending: Array<{ fn: () => void; at: number }> = [];
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const entry = { fn, at: this.t + ms };
    this.pending.push(entry);
    return { cancel: () => (this.pending = this.pending.filter((e) => e !== entry)) };
  }
  get dueAt(): number[] {
    return this.pending.map((p) => p.at);
  }
  fireAt(t: number): void {
    const due = this.pending;
    this.pending = [];
    this.t = t;
    for (const p of due) p.fn();
  }
}

interface Sent {
  at: number;
  seq: number;
  ts: number;
}

/** A real send path and stream sender on a socket stand-in that records each packet with the clock time it left. */
function sendPath(clock: Clock, scheduler?: PacingScheduler, onPacket?: (p: Sent) => void) {
  const sent: Sent[] = [];
  const socket = {
    port: 0,
    socket: {
      send: (pkt: Buffer, _port: number, _addr: string, done: (err: Error | null) => void) => {
        const p = parseRtpPacket(pkt)!;
        const s = { at: clock.now(), seq: p.header.sequenceNumber, ts: p.header.timestamp };
        if (onPacket) onPacket(s);
        else sent.push(s);
        done(null);
      },
    },
    close: () => undefined,
  } as unknown as RtpSocket;
  const stats: MediaSessionStats = { packetsReceived: 0, packetsSent: 0, bytesReceived: 0, bytesSent: 0, packetsLost: 0, packetsIgnored: 0 };
  const stream = new RtpStreamSender({
    logger: silentLogger(),
    socket,
    ssrc: 7,
    initialSeq: 65000,
    initialTimestamp: TS0,
    timestampStep: 160,
    maxPayload: 400,
    srtp: undefined,
    reporter: new RtcpReporter({ ssrc: 7, cname: 'x', sendClockRate: 8000, wallClockOffsetMs: 0 }),
    stats,
    remote: { address: '127.0.0.1', port: 9 },
  });
  let ticks = 0;
  const path = new RtpSendPath({
    clock,
    logger: silentLogger(),
    codec: PCMU,
    payloadType: 0,
    ptimeMs: 20,
    appSampleRate: 8000,
    idleFill: 'silence',
    remoteFmtp: undefined,
    telephoneEvent: undefined,
    stream,
    onMark: () => undefined,
    onTick: () => ticks++,
    scheduler,
  });
  return { path, sent, ticks: () => ticks };
}

describe('PacingScheduler', () => {
  it('ticks every registered stream on one drift-free grid and stops its timer with the last one', () => {
    const clock = new ManualClock(1000);
    const s = new PacingScheduler({ clock, periodMs: 10 });
    const calls: string[] = [];
    const a: PacedStream = { pace: (at, now) => calls.push(`a${at}/${now}`) };
    const b: PacedStream = { pace: (at, now) => calls.push(`b${at}/${now}`) };
    s.register(a);
    clock.advance(5);
    s.register(b); // joins the running grid (origin 1000)
    for (let i = 0; i < 3; i++) clock.advance(7); // 1026
    expect(calls).toEqual(['a1010/1010', 'b1010/1010', 'a1020/1020', 'b1020/1020']);
    expect(clock.pending()).toBe(1);
    s.unregister(a);
    clock.advance(4); // 1030
    expect(calls.slice(4)).toEqual(['b1030/1030']);
    s.unregister(b);
    s.unregister(b); // twice is harmless
    expect(s.size).toBe(0);
    expect(clock.pending()).toBe(0);
    clock.advance(100);
    expect(calls).toHaveLength(5);
  });

  it('hands a late tick the latest grid point, keeps the grid, and unregisters safely mid-tick', () => {
    const clock = new StallingClock();
    const s = new PacingScheduler({ clock, periodMs: 20 });
    const seen: Array<[number, number]> = [];
    const a: PacedStream = { pace: (at, now) => seen.push([at, now]) };
    const b: PacedStream = { pace: () => s.unregister(b) }; // e.g. a call ending on its RTP timeout
    s.register(a);
    s.register(b);
    expect(clock.dueAt).toEqual([20]);
    clock.fireAt(75);
    expect(seen).toEqual([[60, 75]]);
    expect(s.size).toBe(1);
    expect(clock.dueAt).toEqual([80]); // back on the grid, not 75 + 20
    clock.fireAt(80);
    expect(seen).toEqual([[60, 75], [80, 80]]);
  });

  it('keeps ticking the other streams when one throws, then rethrows', () => {
    const clock = new ManualClock();
    const s = new PacingScheduler({ clock, periodMs: 20 });
    let okTicks = 0;
    s.register({ pace: () => { throw new Error('boom'); } });
    s.register({ pace: () => okTicks++ });
    expect(() => clock.advance(20)).toThrow('boom');
    expect(okTicks).toBe(1);
    expect(clock.pending()).toBe(1);
  });
});

describe('RtpSendPath on a PacingScheduler', () => {
  it('sends the same packets at the same times as its own timer when started on the grid', () => {
    const clock = new ManualClock(1000);
    const own = sendPath(clock);
    const shared = sendPath(clock, new PacingScheduler({ clock, periodMs: 20 }));
    own.path.start(clock.now());
    shared.path.start(clock.now());
    for (let i = 0; i < 100; i++) clock.advance(7); // 700 ms in uneven steps
    expect(own.sent).toHaveLength(36);
    expect(shared.sent).toEqual(own.sent);
    expect(shared.ticks()).toBe(own.ticks());
  });

  it('started off the grid: same timestamps, packet k leaves at the first tick at or after start + k·20 ms', () => {
    const clock = new ManualClock(1000);
    const scheduler = new PacingScheduler({ clock, periodMs: 10 });
    const first = sendPath(clock, scheduler);
    first.path.start(clock.now()); // grid origin 1000
    clock.advance(3);
    const own = sendPath(clock);
    const late = sendPath(clock, scheduler);
    own.path.start(1003);
    late.path.start(1003);
    clock.advance(400);
    expect(own.sent).toHaveLength(21);
    expect(late.sent).toHaveLength(20); // the slot due at 1403 leaves at 1410
    expect(late.sent.map((p) => [p.seq, p.ts])).toEqual(own.sent.slice(0, 20).map((p) => [p.seq, p.ts]));
    // Packet 0 at once, then each 7 ms after its slot (the next 10 ms grid point): a fixed lag, not jitter.
    expect(late.sent.map((p) => p.at)).toEqual(own.sent.map((p, k) => (k === 0 ? 1003 : p.at + 7)).filter((t) => t <= 1403));
  });

  it('catches up after a stall and skips slots after a long one, exactly like its own timer', () => {
    const run = (shared: boolean) => {
      const clock = new StallingClock();
      const { path, sent } = sendPath(clock, shared ? new PacingScheduler({ clock, periodMs: 20 }) : undefined);
      path.start(0);
      const dues: number[][] = [];
      for (const t of [75, 80, 500, 520]) {
        clock.fireAt(t);
        dues.push(clock.dueAt);
      }
      return { sent, dues };
    };
    const own = run(false);
    const shared = run(true);
    expect(own.sent.map((p) => p.at)).toEqual([0, 75, 75, 75, 80, 500, 500, 500, 500, 500, 520]);
    expect(own.sent.map((p) => (p.ts - TS0) >>> 0)).toEqual([0, 160, 320, 480, 640, 420 * 8, 440 * 8, 460 * 8, 480 * 8, 500 * 8, 520 * 8]);
    expect(shared).toEqual(own);
  });

  it('stays exact over 3 hours: packet k leaves at start + k·20 ms with timestamp TS0 + 160·k (mod 2^32)', () => {
    const HOURS = 3;
    const packets = (HOURS * 3600 * 1000) / 20;
    for (const shared of [false, true]) {
      const clock = new ManualClock(1234.5);
      const start = clock.now();
      let k = 0;
      let wrong = 0;
      const { path } = sendPath(clock, shared ? new PacingScheduler({ clock, periodMs: 20 }) : undefined, (p) => {
        if (p.at !== start + k * 20 || p.ts !== (TS0 + 160 * k) % 2 ** 32 || p.seq !== (65000 + k) % 65536) wrong++;
        k++;
      });
      path.start(start);
      // Uneven steps (a coarse, irregular timer) summing to exactly 3 hours.
      for (let elapsed = 0; elapsed < packets * 20; elapsed += 60) {
        clock.advance(13);
        clock.advance(47);
      }
      expect(wrong).toBe(0);
      expect(k).toBe(packets + 1); // slots 0..packets: the last one is due exactly at start + 3 h
      expect(clock.now()).toBe(start + HOURS * 3600 * 1000);
      path.close();
      expect(clock.pending()).toBe(0);
    }
  });
});

describe('MediaSession with a shared PacingScheduler', () => {
  const pool = new RtpPortPool({ min: 30000 + 2 * Math.floor(Math.random() * 4000), max: 39998, host: '127.0.0.1' });
  const sockets: RtpSocket[] = [];
  afterEach(() => sockets.splice(0).forEach((s) => s.close()));

  it('unregisters on close; no timer is left after the last session closes', async () => {
    const clock = new ManualClock(0);
    const pacing = new PacingScheduler({ clock });
    const sessions: MediaSession[] = [];
    for (let i = 0; i < 3; i++) {
      const socket = await pool.allocate();
      sockets.push(socket);
      const session = new MediaSession({ clock, logger: silentLogger(), socket, codec: PCMU, payloadType: 0, remote: { address: '127.0.0.1', port: 9 }, ptimeMs: 20, appSampleRate: 8000, pacing });
      session.start();
      sessions.push(session);
      clock.advance(5);
    }
    expect(pacing.size).toBe(3);
    expect(clock.pending()).toBe(1); // one timer for three calls
    clock.advance(100);
    expect(sessions.map((s) => s.stats.packetsSent)).toEqual([6, 6, 6]);
    sessions[1].close();
    expect(pacing.size).toBe(2);
    clock.advance(20);
    expect(sessions.map((s) => s.stats.packetsSent)).toEqual([7, 6, 7]);
    sessions[0].close();
    sessions[2].close();
    expect(pacing.size).toBe(0);
    expect(clock.pending()).toBe(0);
  });
});
