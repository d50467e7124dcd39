/**
 * The load calls' far ends, as a helper process of the benchmark (its CPU is not the bridge's): the sink bot
 * and the carrier's RTP receiver.
 * - Sink bot: a `ws` server the bridge (or the floor relay) connects to, once per call. It echoes every binary
 *   frame at once and counts frames each way; `start`/`stop` messages count calls up and ended.
 * - RTP sink: one UDP socket that the load calls' SDP names as the caller's media address, so every call's
 *   bot->caller RTP lands here (SIPp plays the carrier's audio but cannot report per-packet receipt). Packets
 *   are told apart by SSRC: per stream it counts packets, sequence gaps, audio against silence fill (the
 *   bridge encodes zeros when the bot is quiet: 0xFF/0x7F bytes in PCMU) and |inter-arrival − 20 ms|.
 * Counting covers exactly `windowMs` from the `window-start` request, a whole number of 20 ms periods: a
 * stream paced at 20 ms then has exactly windowMs/20 packets in it whatever its phase (a window of any other
 * length gives each call the floor or the ceiling of that, and calls started at a fixed rate share a few
 * phases, so those roundings do not average out).
 */
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { WebSocketServer, type WebSocket } from 'ws';
import { serve } from './processes.js';
import { Samples, type Summary } from './stats.js';
import { PacedEcho } from './paced-echo.js';

const LOOPBACK = '127.0.0.1';
const PTIME_MS = 20;
/** Inter-arrival samples kept per window: enough for 2000 calls for 60 s. */
const MAX_SAMPLES = 2000 * 50 * 60;

/** What the sink saw in one measuring window. */
export interface SinkWindow {
  /** The window's length: the one asked for, rounded to whole 20 ms periods. */
  ms: number;
  /** Calls whose bot socket was open (after `start`) at the window's start and end. */
  callsAtStart: number;
  callsAtEnd: number;
  /** Binary frames the bot received (caller->bot) and echoed (bot->caller) in the window. */
  framesToBot: number;
  framesFromBot: number;
  /** Fewest and most frames one call's bot socket received in the window (windowMs/20 each when none is lost; calls that received none are not in it). */
  framesPerCall: { min: number; max: number };
  /** RTP packets received, those carrying audio (not silence fill), RTCP packets, RTP streams seen. */
  rtpPackets: number;
  rtpAudio: number;
  rtcpPackets: number;
  streams: number;
  /** Packets missing by sequence number inside the window, summed over streams. */
  rtpSeqLost: number;
  /** |inter-arrival − 20 ms| per stream, ms. */
  pacing: Summary;
  /** `--paced-sink`: how late after its slot on the bot's clock each echoed frame was sent, ms: bench-side noise the bridge follows. */
  botSendLate?: Summary;
  /** The sink's own event-loop delay in the window (p99, ms): bench-side noise. */
  sinkLoopP99Ms: number;
  /** Datagrams the kernel dropped on the RTP socket (its receive queue was full), cumulative. */
  socketDrops: number;
}

/** Calls seen since the last reset. */
export interface SinkStatus {
  live: number;
  started: number;
  stopped: number;
  stopReasons: Record<string, number>;
  /** Sums of the bridge's `stop` quality over ended calls (RTP from the caller as the bridge received it). */
  bridgePacketsReceived: number;
  bridgePacketsLost: number;
}

interface Stream {
  lastSeq: number;
  ext: number;
  firstExt: number;
  received: number;
  lastArrival: number;
}

const streams = new Map<number, Stream>();
const pacing = new Samples(MAX_SAMPLES);
const botLate = new Samples(MAX_SAMPLES);
const loop = monitorEventLoopDelay({ resolution: 1 });
let measuring = false;
/** `--paced-sink`: echo on each call's own 20 ms clock (paced-echo.ts) instead of at once. */
let pacedEcho = false;
let windowStart = 0;
let windowMs = 0;

/** Inside the window now (`measuring` is still true for a moment after the window's end). */
function inWindow(t: number): boolean {
  return measuring && t - windowStart <= windowMs;
}
let callsAtStart = 0;
let w = { framesToBot: 0, framesFromBot: 0, rtpPackets: 0, rtpAudio: 0, rtcpPackets: 0 };
let status: SinkStatus = newStatus();

function newStatus(): SinkStatus {
  return { live: 0, started: 0, stopped: 0, stopReasons: {}, bridgePacketsReceived: 0, bridgePacketsLost: 0 };
}

/** True when a PCMU payload is all zero samples (the bridge's silence fill). */
function isSilence(pkt: Buffer, from: number): boolean {
  for (let i = from; i < pkt.length; i++) if (pkt[i] !== 0xff && pkt[i] !== 0x7f) return false;
  return true;
}

function onRtp(pkt: Buffer): void {
  const t = performance.now();
  if (!inWindow(t) || pkt.length < 12) return;
  if (pkt[1] >= 200 && pkt[1] <= 204) {
    w.rtcpPackets++; // rtcp-mux: RTCP shares the port (RFC 5761: PT 200-204 fill the second byte)
    return;
  }
  const ssrc = pkt.readUInt32BE(8);
  const seq = pkt.readUInt16BE(2);
  w.rtpPackets++;
  if (!isSilence(pkt, 12 + (pkt[0] & 0x0f) * 4)) w.rtpAudio++;
  const s = streams.get(ssrc);
  if (!s) {
    streams.set(ssrc, { lastSeq: seq, ext: seq, firstExt: seq, received: 1, lastArrival: t });
    return;
  }
  const delta = (seq - s.lastSeq) & 0xffff;
  if (delta > 0 && delta < 0x8000) {
    s.ext += delta;
    s.lastSeq = seq;
  }
  s.received++;
  pacing.add(Math.abs(t - s.lastArrival - PTIME_MS));
  s.lastArrival = t;
}

/** Frames each bot socket received in the window (a loss spread thinly over calls, or all in a few). */
const perCall = new Map<WebSocket, number>();

function onBotSocket(ws: WebSocket): void {
  let started = false;
  const echo = (frame: Buffer): void => {
    ws.send(frame, { binary: true });
    if (inWindow(performance.now())) w.framesFromBot++;
  };
  const onLate = (ms: number): void => {
    if (inWindow(performance.now())) botLate.add(ms);
  };
  const paced = pacedEcho ? new PacedEcho(echo, { onLate }) : undefined;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) {
      if (inWindow(performance.now())) {
        w.framesToBot++;
        perCall.set(ws, (perCall.get(ws) ?? 0) + 1);
      }
      if (paced) paced.push(data);
      else echo(data);
      return;
    }
    let msg: { type?: string; reason?: string; quality?: { packetsReceived?: number; packetsLost?: number } };
    try {
      msg = JSON.parse(data.toString('utf8'));
    } catch {
      return;
    }
    if (msg.type === 'start' && !started) {
      started = true;
      status.live++;
      status.started++;
    } else if (msg.type === 'stop') {
      status.stopped++;
      const reason = msg.reason ?? 'unknown';
      status.stopReasons[reason] = (status.stopReasons[reason] ?? 0) + 1;
      status.bridgePacketsReceived += msg.quality?.packetsReceived ?? 0;
      status.bridgePacketsLost += msg.quality?.packetsLost ?? 0;
    }
  });
  ws.once('close', () => {
    paced?.close();
    if (started) status.live--;
  });
}

/** Cumulative drops of the UDP socket bound to `port` on 127.0.0.1 (/proc/net/udp, last column). */
function socketDrops(port: number): number {
  const want = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[1] === want) return Number(f[f.length - 1]);
  }
  return NaN;
}

async function main(): Promise<void> {
  const rtp = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 * 1024 * 1024 });
  await new Promise<void>((r) => rtp.bind(0, LOOPBACK, r));
  rtp.on('message', onRtp);
  const wss = new WebSocketServer({ host: LOOPBACK, port: 0, perMessageDeflate: false, maxPayload: 1 << 20 });
  await new Promise<void>((r) => wss.once('listening', r));
  wss.on('connection', onBotSocket);
  const rtpPort = rtp.address().port;
  const wsPort = (wss.address() as { port: number }).port;

  serve(
    {
      info: () => ({ rtpPort, wsPort, rtpRecvBuffer: rtp.getRecvBufferSize() }),
      status: () => status,
      'paced-echo': (a) => (pacedEcho = (a as { on: boolean }).on),
      reset: () => {
        status = newStatus();
        return status;
      },
      'window-start': (a) => {
        // A whole number of 20 ms periods, see the file comment.
        windowMs = Math.max(PTIME_MS, Math.round((a as { windowMs: number }).windowMs / PTIME_MS) * PTIME_MS);
        streams.clear();
        pacing.clear();
        botLate.clear();
        w = { framesToBot: 0, framesFromBot: 0, rtpPackets: 0, rtpAudio: 0, rtcpPackets: 0 };
        callsAtStart = status.live;
        perCall.clear();
        loop.reset();
        loop.enable();
        windowStart = performance.now();
        measuring = true;
        return callsAtStart;
      },
      'window-end': (): SinkWindow => {
        measuring = false;
        loop.disable();
        let lost = 0;
        for (const s of streams.values()) lost += Math.max(0, s.ext - s.firstExt + 1 - s.received);
        if (performance.now() - windowStart < windowMs) throw new Error('window-end before the window is over');
        return {
          ms: windowMs,
          callsAtStart,
          callsAtEnd: status.live,
          ...w,
          framesPerCall: { min: Math.min(...perCall.values()), max: Math.max(...perCall.values()) },
          streams: streams.size,
          rtpSeqLost: lost,
          pacing: pacing.summary(),
          ...(pacedEcho ? { botSendLate: botLate.summary() } : {}),
          sinkLoopP99Ms: loop.percentile(99) / 1e6,
          socketDrops: socketDrops(rtpPort),
        };
      },
    },
    () => {
      rtp.close();
      wss.close();
    },
  );
}

void main();
