/**
 * A simulated event loop and a send path wired to it, for deterministic send-latency tests.
 *
 * {@link SimLoop} is a Clock that runs like Node's loop: each iteration runs the timers due (in due order; a timer
 * set meanwhile, even for 0 ms, waits for the next iteration), then the I/O due (a bot's WebSocket messages).
 * `block(ms)` is synchronous work: time passes and nothing runs, so afterwards the late timers fire first and the
 * messages that arrived meanwhile come after them — a stalled event loop.
 */
import type { Clock, TimerHandle } from '../../../../src/core/clock.js';
import { silentLogger } from '../../../../src/core/logger.js';
import { codecRegistry } from '../../../../src/media/codecs/index.js';
import { RtcpReporter } from '../../../../src/media/rtcp/rtcp-reporter.js';
import { parseRtpPacket, type RtpSocket } from '../../../../src/media/rtp/index.js';
import { RtpSendPath, type LateTimerPolicy } from '../../../../src/media/rtp-send-path.js';
import { RtpStreamSender } from '../../../../src/media/rtp-stream-sender.js';
import type { MediaSessionStats } from '../../../../src/media/media-session-types.js';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export class SimLoop implements Clock {
  private t: number;
  private seq = 0;
  private timers: Pending[] = [];
  private io: Pending[] = [];

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const p: Pending = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(p);
    return { cancel: () => (p.cancelled = true) };
  }

  /** An I/O callback (a message arriving) at time `at`: it runs in the poll phase, after that iteration's timers. */
  input(at: number, fn: () => void): void {
    this.io.push({ at, seq: this.seq++, fn, cancelled: false });
  }

  /** Synchronous work for `ms`: time passes, nothing runs. */
  block(ms: number): void {
    this.t += ms;
  }

  /** Runs loop iterations until `end`. */
  runUntil(end: number): void {
    for (;;) {
      this.timers = this.timers.filter((p) => !p.cancelled);
      let next = Number.POSITIVE_INFINITY;
      for (const p of this.timers) next = Math.min(next, p.at);
      for (const p of this.io) next = Math.min(next, p.at);
      if (next > end) {
        this.t = Math.max(this.t, end);
        return;
      }
      this.t = Math.max(this.t, next);
      this.runPhase('timers');
      this.runPhase('io');
    }
  }

  private runPhase(phase: 'timers' | 'io'): void {
    const list = phase === 'timers' ? this.timers : this.io;
    const due = list.filter((p) => p.at <= this.t).sort((a, b) => a.at - b.at || a.seq - b.seq);
    if (due.length === 0) return;
    // Callbacks scheduled by these ones, even for now, wait for the next iteration.
    if (phase === 'timers') this.timers = list.filter((p) => p.at > this.t);
    else this.io = list.filter((p) => p.at > this.t);
    for (const p of due) if (!p.cancelled) p.fn();
  }
}

export interface SentPacket {
  at: number;
  seq: number;
  ts: number;
  marker: boolean;
  payloadType: number;
  payload: Buffer;
}

export interface SendSimOptions {
  idleFill?: 'silence' | 'none';
  lateTimer?: LateTimerPolicy;
  telephoneEvent?: { payloadType: number; clockRate: number };
  /** Keep payloads (off for long runs). */
  keepPayload?: boolean;
}

export const TS0 = 0xfffff000; // wraps after a few hundred packets

/** A real RtpSendPath (8 kHz bot, PCMU, 20 ms) on a socket stand-in that records what leaves and when. */
export function sendSim(clock: Clock, opts: SendSimOptions = {}) {
  const sent: SentPacket[] = [];
  const latencies: number[] = [];
  const cleared: number[] = [];
  const marks: Array<{ name: string; at: number }> = [];
  const socket = {
    port: 0,
    socket: {
      send: (pkt: Buffer, _port: number, _addr: string, done: (err: Error | null) => void) => {
        const p = parseRtpPacket(pkt)!;
        sent.push({
          at: clock.now(),
          seq: p.header.sequenceNumber,
          ts: p.header.timestamp,
          marker: p.header.marker,
          payloadType: p.header.payloadType,
          payload: opts.keepPayload === false ? Buffer.alloc(0) : Buffer.from(p.payload),
        });
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
    codec: codecRegistry.get('PCMU')!,
    payloadType: 0,
    ptimeMs: 20,
    appSampleRate: 8000,
    idleFill: opts.idleFill ?? 'silence',
    remoteFmtp: undefined,
    telephoneEvent: opts.telephoneEvent,
    stream,
    onMark: (name) => marks.push({ name, at: clock.now() }),
    onTick: () => undefined,
    onLatency: (ms) => latencies.push(ms),
    onCleared: (ms) => cleared.push(ms),
    ...(opts.lateTimer ? { lateTimer: opts.lateTimer } : {}),
  });
  return { path, sent, latencies, marks, stats, cleared };
}

/** L16 LE bytes of `n` samples at a constant level (a recognisable, non-quiet frame). */
export function level(n: number, value: number): Buffer {
  const b = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) b.writeInt16LE(value, i * 2);
  return b;
}

/** Deterministic uniform numbers in [0, 1). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Percentile (0..100) of a list of numbers, nearest rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export interface BotOptions {
  /** First frame's arrival. */
  start: number;
  /** No frame after this time. */
  end: number;
  /** Spacing of the frames on the bot's clock (20 = real time; 20 / 1.005 = a clock 0.5 % fast). */
  periodMs?: number;
  /** Each arrival is delayed by a uniform random amount in [0, jitterMs). */
  jitterMs?: number;
  seed?: number;
  /** Extra delay for some frames (index → ms). */
  late?: ReadonlyMap<number, number>;
  /** Samples per frame (160 = 20 ms at 8 kHz). */
  samples?: number;
  /** Called after frame k was queued (for marks). */
  after?: (k: number) => void;
}

/**
 * A bot streaming in real time over a WebSocket: frame k (a constant level, never silence) arrives as I/O at
 * start + k·period (+ jitter). Frames are queued as I/O ahead of time, so a stalled loop finds all that arrived
 * meanwhile (as a socket would hold them).
 * Returns the arrival time of each frame.
 */
export function realTimeBot(loop: SimLoop, path: RtpSendPath, o: BotOptions): number[] {
  const period = o.periodMs ?? 20;
  const rnd = lcg(o.seed ?? 1);
  const arrivals: number[] = [];
  const samples = o.samples ?? 160;
  const schedule = (k: number): void => {
    const at = o.start + k * period + rnd() * (o.jitterMs ?? 0) + (o.late?.get(k) ?? 0);
    if (at > o.end) return;
    loop.input(at, () => {
      arrivals[k] = loop.now();
      path.playAudio(level(samples, 4000));
      o.after?.(k);
      schedule(k + LOOKAHEAD);
    });
  };
  for (let k = 0; k < LOOKAHEAD; k++) schedule(k);
  return arrivals;
}

/** Frames queued as I/O ahead of the loop: more than a stall of this many frames. */
const LOOKAHEAD = 32;
