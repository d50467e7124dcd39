/**
 * Call load benchmark (run by `npm run bench` after the micro-benchmarks; alone: `node --expose-gc
 * dist/bench/calls.js <calls> [seconds] [8000|16000]`, which prints one JSON line). N media sessions on
 * loopback sockets from an RtpPortPool, each with a far-end UDP socket in this process that sends 20 ms PCMU
 * at real pace and records what comes back; the bot side runs at 16 kHz and echoes every frame into playAudio.
 * After a 1 s warm-up it measures, for `seconds`: process CPU per call-second, RSS and heap per call (after GC,
 * against the empty process; the far ends included), event-loop delay, and the pacing of the packets each far
 * end receives (inter-arrival deviation from 20 ms, and packets received against expected).
 *
 * Each session paces with its own drift-free Clock timer. A shared tick for all sessions (one timer, sessions
 * registered on a 10 ms grid) was measured against it with this benchmark and was not clearly better (README,
 * "Capacity"), so it was not kept.
 * The far ends share one drift-free loop, in four phase groups so their packets do not all arrive at once.
 * Loopback only, bounded: the process exits by itself after the run (or after a hard deadline).
 */
import dgram from 'node:dgram';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { SystemClock } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import { codecRegistry } from '../media/codecs/index.js';
import { MediaSession } from '../media/media-session.js';
import { RtpPortPool } from '../media/rtp/port-pool.js';
import { writeRtpPacket, RTP_HEADER_SIZE } from '../media/rtp/packet.js';

const LOOPBACK = '127.0.0.1';
const PTIME = 20;
const WARMUP_MS = 1000;
const FAR_END_GROUPS = 4;

export interface CallsBenchResult {
  calls: number;
  appSampleRate: number;
  seconds: number;
  /** Process CPU (user + system) per call per second of call, µs. */
  cpuUsPerCallSecond: number;
  rssKbPerCall: number;
  heapKbPerCall: number;
  loopDelayP50Ms: number;
  loopDelayP99Ms: number;
  /** Mean inter-arrival at the far ends, ms (20 when paced right). */
  interArrivalMeanMs: number;
  /** 99th percentile of |inter-arrival − 20 ms|. */
  interArrivalP99DevMs: number;
  /** Packets the far ends received in the window over those due at 20 ms (1 = no drift, no loss). */
  receivedOverExpected: number;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

interface FarEnd {
  socket: dgram.Socket;
  port: number;
  seq: number;
  ts: number;
  pkt: Buffer;
  lastArrival: number;
  received: number;
  /** The session's RTP port. */
  dest: number;
}

/** Runs one load level in this process. */
export async function runCallsBench(calls: number, seconds: number, appSampleRate = 16000): Promise<CallsBenchResult> {
  const clock = new SystemClock();
  const logger = silentLogger();
  const pcmu = codecRegistry.get('PCMU')!;
  const pool = new RtpPortPool({ min: 40000, max: 49998, host: LOOPBACK });
  // A 440 Hz tone, one encoded 20 ms payload reused by every far end (the header changes per packet).
  const tone = new Int16Array(160).map((_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
  const payload = pcmu.createEncoder().encode(tone);

  gc();
  const base = process.memoryUsage();

  let measuring = false;
  const windowMs = seconds * 1000;
  const maxSamples = Math.ceil(calls * (windowMs / PTIME) * 1.5) + 1000;
  const deviations = new Float64Array(maxSamples);
  let nDev = 0;
  let sumInterArrival = 0;

  const sessions: MediaSession[] = [];
  const farEnds: FarEnd[] = [];
  for (let i = 0; i < calls; i++) {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, LOOPBACK, r));
    const far: FarEnd = { socket, port: socket.address().port, seq: 0, ts: 0, pkt: Buffer.alloc(RTP_HEADER_SIZE + payload.length), lastArrival: -1, received: 0, dest: 0 };
    socket.on('message', () => {
      if (!measuring) return;
      const t = performance.now();
      far.received++;
      if (far.lastArrival >= 0) {
        const ia = t - far.lastArrival;
        sumInterArrival += ia;
        if (nDev < maxSamples) deviations[nDev++] = Math.abs(ia - PTIME);
      }
      far.lastArrival = t;
    });
    farEnds.push(far);
    const rtp = await pool.allocate();
    far.dest = rtp.port;
    const session = new MediaSession({
      clock,
      logger,
      socket: rtp,
      codec: pcmu,
      payloadType: 0,
      remote: { address: LOOPBACK, port: far.port },
      ptimeMs: PTIME,
      appSampleRate,
    });
    session.on('frame', (pcm) => session.playAudio(pcm)); // the echo bot
    session.start();
    sessions.push(session);
  }

  // Far ends: one drift-free loop, group g sends on ticks where tick % groups === g (5 ms apart).
  const farStart = performance.now();
  let farTick = 0;
  let farTimer: NodeJS.Timeout | undefined;
  const stepMs = PTIME / FAR_END_GROUPS;
  const farLoop = (): void => {
    const now = performance.now();
    const due = Math.floor((now - farStart) / stepMs);
    for (; farTick <= due; farTick++) {
      const g = farTick % FAR_END_GROUPS;
      for (let i = g; i < farEnds.length; i += FAR_END_GROUPS) {
        const f = farEnds[i];
        writeRtpPacket({ payloadType: 0, sequenceNumber: f.seq, timestamp: f.ts, ssrc: 1000 + i, marker: f.seq === 0 }, payload, f.pkt);
        f.seq = (f.seq + 1) & 0xffff;
        f.ts = (f.ts + 160) >>> 0;
        f.socket.send(f.pkt, f.dest, LOOPBACK);
      }
    }
    farTimer = setTimeout(farLoop, farStart + farTick * stepMs - performance.now());
  };
  farLoop();

  await sleep(WARMUP_MS);
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  measuring = true;
  await sleep(windowMs);
  measuring = false;
  const elapsed = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  loop.disable();

  gc();
  const mem = process.memoryUsage();
  const received = farEnds.reduce((s, f) => s + f.received, 0);
  clearTimeout(farTimer);
  for (const s of sessions) s.close();
  for (const f of farEnds) f.socket.close();

  const sorted = deviations.subarray(0, nDev).sort();
  return {
    calls,
    appSampleRate,
    seconds,
    cpuUsPerCallSecond: (cpu.user + cpu.system) / calls / (elapsed / 1000),
    rssKbPerCall: (mem.rss - base.rss) / 1024 / calls,
    heapKbPerCall: (mem.heapUsed - base.heapUsed) / 1024 / calls,
    loopDelayP50Ms: loop.percentile(50) / 1e6,
    loopDelayP99Ms: loop.percentile(99) / 1e6,
    interArrivalMeanMs: nDev > 0 ? sumInterArrival / nDev : NaN,
    interArrivalP99DevMs: nDev > 0 ? sorted[Math.min(nDev - 1, Math.floor(nDev * 0.99))] : NaN,
    receivedOverExpected: received / (calls * (elapsed / PTIME)),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// Run as a script: one level, one JSON line on stdout, then exit (a hard deadline guards a hung run).
if (process.argv[1]?.endsWith('calls.js')) {
  const calls = Number(process.argv[2] ?? 50);
  const seconds = Number(process.argv[3] ?? 5);
  const appRate = Number(process.argv[4] ?? 16000);
  if (!Number.isInteger(calls) || calls < 1 || calls > 2000 || !(seconds > 0 && seconds <= 60) || ![8000, 16000].includes(appRate)) {
    console.error('usage: calls.js <calls 1..2000> [seconds ≤ 60] [bot rate 8000|16000]');
    process.exit(2);
  }
  setTimeout(() => {
    console.error('calls bench: deadline passed');
    process.exit(1);
  }, (seconds + 30) * 1000).unref();
  runCallsBench(calls, seconds, appRate).then(
    (r) => {
      console.log(JSON.stringify(r));
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
