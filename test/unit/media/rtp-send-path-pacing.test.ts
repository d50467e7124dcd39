import { describe, expect, it } from 'vitest';
import { ManualClock, type Clock, type TimerHandle } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { codecRegistry } from '../../../src/media/codecs/index.js';
import { RtcpReporter } from '../../../src/media/rtcp/rtcp-reporter.js';
import { parseRtpPacket, type RtpSocket } from '../../../src/media/rtp/index.js';
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
function sendPath(clock: Clock, onPacket?: (p: Sent) => void) {
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
    onTick: () => undefined,
  });
  return { path, sent };
}

describe('RtpSendPath pacing (its own drift-free timer)', () => {
  it('catches up after a stall and skips slots after a long one, then returns to the grid', () => {
    const clock = new StallingClock();
    const { path, sent } = sendPath(clock);
    path.start(0);
    const dues: number[][] = [];
    for (const t of [75, 80, 500, 520]) {
      clock.fireAt(t);
      dues.push(clock.dueAt);
    }
    // Slots less than CATCH_UP_MS (60 ms) late go back to back; older ones are skipped.
    expect(sent.map((p) => p.at)).toEqual([0, 75, 75, 75, 80, 500, 500, 500, 520]);
    expect(sent.map((p) => (p.ts - TS0) >>> 0)).toEqual([0, 160, 320, 480, 640, 460 * 8, 480 * 8, 500 * 8, 520 * 8]);
    expect(dues).toEqual([[80], [100], [520], [540]]);
  });

  it('stays exact over 3 hours: packet k leaves at start + k·20 ms with timestamp TS0 + 160·k (mod 2^32)', () => {
    const HOURS = 3;
    const packets = (HOURS * 3600 * 1000) / 20;
    const clock = new ManualClock(1234.5);
    const start = clock.now();
    let k = 0;
    let wrong = 0;
    const { path } = sendPath(clock, (p) => {
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
  });
});
