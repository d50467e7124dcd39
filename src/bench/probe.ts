/**
 * Probe calls, as a helper process of the benchmark: a few calls of its own next to the load, which measure
 * the latency the bridge adds in each direction from outside it. This process is the caller (a minimal SIP
 * UAC, sip-uac.ts, and one RTP socket per call) and the bot (its own `ws` server), so both ends of each
 * measurement read the same clock (`performance.now()`), and it carries only these few calls, so its own
 * timing stays close to the truth while the bridge is loaded.
 *
 * caller->bot: each call sends 20 ms PCMU silence at real pace and, every `burstEveryMs`, one packet of a loud
 * tone; the latency is from that packet's send to the first loud WebSocket frame at the bot.
 * bot->caller: every `burstEveryMs` (half a period later) the bot sends one loud 20 ms frame at a random phase of
 * the bridge's 20 ms packets (a real bot's frames come at any phase of the silence fill, and the phase is what
 * a sender that waits for its grid makes them wait). `raw` is from the frame's send to the first loud RTP packet —
 * the figure reported, since the bridge's send clock aligns to the bot's audio after silence; `added` is from the
 * first send slot after the frame was sent to that packet (the slot grid learnt from the arrival times and RTP
 * timestamps), meaningful only for a fixed-grid sender (kept in the JSON for comparison).
 */
import dgram from 'node:dgram';
import { WebSocketServer, type WebSocket } from 'ws';
import { PCMU } from '../media/codecs/index.js';
import { serve } from './processes.js';
import { ProbeUac, type ProbeDialog } from './sip-uac.js';
import { LoudnessEdge, BurstMatcher, SlotGrid, PROBE_PTIME_MS } from './probe-signal.js';
import { Samples, type Summary } from './stats.js';

const BOT_HOST = '127.0.0.1';

/** What the bench asks for. */
export interface ProbeStartArgs {
  count: number;
  /** The probes' source address (the bridge routes it to the probe trunk). */
  localHost: string;
  target: { host: string; port: number };
  /** Numbers dialled: `${numberPrefix}${index}`. */
  numberPrefix: string;
  burstEveryMs: number;
  botSampleRate: number;
}

/** Latency in one window, ms. */
export interface ProbeWindow {
  callerToBot: Summary;
  botToCallerAdded: Summary;
  botToCallerRaw: Summary;
  /** Bursts sent in the window that never arrived (or arrived more than 2 s late). */
  lostBursts: number;
  burstsSent: number;
}

interface Probe {
  index: number;
  rtp: dgram.Socket;
  uac: ProbeUac;
  dialog?: ProbeDialog;
  ws?: WebSocket;
  seq: number;
  grid: SlotGrid;
  c2b: BurstMatcher;
  b2c: BurstMatcher;
  atBot: LoudnessEdge;
  atCaller: LoudnessEdge;
  b2cTimer?: NodeJS.Timeout;
}

const SILENCE = Buffer.alloc(160, 0xff);
const THRESHOLD = 3000;
let loud8k: Buffer;
let loudBotFrame: Buffer;
const probes: Probe[] = [];
let measuring = false;
let args: ProbeStartArgs;
let sendTimer: NodeJS.Timeout | undefined;
const c2bLatency = new Samples(100_000);
const b2cAdded = new Samples(100_000);
const b2cRaw = new Samples(100_000);
let burstsSent = 0;

/** A 1 kHz tone, 20 ms, amplitude 16000, at `rate`. */
function tone(rate: number): Int16Array {
  return Int16Array.from({ length: (rate * PROBE_PTIME_MS) / 1000 }, (_, i) => Math.round(16000 * Math.sin((2 * Math.PI * 1000 * i) / rate)));
}

function meanAbs(pcm: Int16Array): number {
  let s = 0;
  for (let i = 0; i < pcm.length; i++) s += Math.abs(pcm[i]);
  return pcm.length ? s / pcm.length : 0;
}

/** Mean |sample| of 16-bit little-endian PCM (read bytewise: a WebSocket frame may start at an odd offset). */
function meanAbsL16(buf: Buffer): number {
  let s = 0;
  const n = buf.length >> 1;
  for (let i = 0; i < n; i++) s += Math.abs(buf.readInt16LE(i * 2));
  return n ? s / n : 0;
}

const decoder = PCMU.createDecoder();

function onCallerRtp(p: Probe, pkt: Buffer): void {
  if (pkt.length < 12 || (pkt[1] >= 200 && pkt[1] <= 204)) return;
  const now = performance.now();
  p.grid.observe(pkt.readUInt32BE(4), now);
  const level = meanAbs(decoder.decode(pkt.subarray(12 + (pkt[0] & 0x0f) * 4)));
  if (!p.atCaller.rising(level)) return;
  const burst = p.b2c.match(now);
  if (!burst || !burst.inWindow) return;
  b2cRaw.add(now - burst.sentAt);
  b2cAdded.add(now - p.grid.nextSlotAfter(burst.sentAt));
}

function onBotFrame(p: Probe, frame: Buffer): void {
  const now = performance.now();
  if (!p.atBot.rising(meanAbsL16(frame))) return;
  const burst = p.c2b.match(now);
  if (burst?.inWindow) c2bLatency.add(now - burst.sentAt);
}

/** One drift-free 20 ms loop for every probe's RTP: slot k at start + k·20 ms. */
function startSending(): void {
  const start = performance.now();
  const every = Math.max(1, Math.round(args.burstEveryMs / PROBE_PTIME_MS));
  let k = 0;
  const tick = () => {
    const due = Math.floor((performance.now() - start) / PROBE_PTIME_MS);
    for (; k <= due; k++) {
      for (const p of probes) {
        if (!p.dialog) continue;
        // Probes burst in turn, spread over the period, not all at once.
        const burst = (k + Math.round((p.index * every) / probes.length)) % every === 0;
        const pkt = Buffer.alloc(172);
        pkt[0] = 0x80;
        pkt.writeUInt16BE(p.seq & 0xffff, 2);
        pkt.writeUInt32BE((p.seq * 160) >>> 0, 4);
        pkt.writeUInt32BE(0x50b00000 + p.index, 8);
        (burst ? loud8k : SILENCE).copy(pkt, 12);
        p.seq++;
        if (burst) {
          p.c2b.sent(performance.now(), measuring);
          if (measuring) burstsSent++;
        }
        p.rtp.send(pkt, p.dialog.media.port, p.dialog.media.address);
      }
    }
    sendTimer = setTimeout(tick, start + k * PROBE_PTIME_MS - performance.now());
  };
  tick();
}

/** The bot's bursts: every period, plus a random part of a packet time (uniform over the slot's phases). */
function scheduleBotBurst(p: Probe, at: number): void {
  const fire = () => {
    if (p.ws && p.ws.readyState === p.ws.OPEN && p.grid.known) {
      const sentAt = performance.now();
      p.ws.send(loudBotFrame, { binary: true });
      p.b2c.sent(sentAt, measuring);
      if (measuring) burstsSent++;
    }
    scheduleBotBurst(p, at + args.burstEveryMs);
  };
  const target = at + Math.random() * PROBE_PTIME_MS;
  p.b2cTimer = setTimeout(fire, Math.max(0, target - performance.now()));
}

function onBotSocket(ws: WebSocket): void {
  let probe: Probe | undefined;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) {
      if (probe) onBotFrame(probe, data);
      return;
    }
    let msg: { type?: string; to?: string };
    try {
      msg = JSON.parse(data.toString('utf8')) as typeof msg;
    } catch {
      return;
    }
    if (msg.type !== 'start') return;
    const index = Number((msg.to ?? '').slice(args.numberPrefix.length));
    probe = probes[index];
    if (!probe) return;
    probe.ws = ws;
    scheduleBotBurst(probe, performance.now() + args.burstEveryMs / 2);
  });
}

async function startProbes(a: ProbeStartArgs): Promise<number> {
  args = a;
  loud8k = PCMU.createEncoder().encode(tone(8000));
  const t = tone(a.botSampleRate);
  loudBotFrame = Buffer.from(t.buffer, t.byteOffset, t.byteLength);
  for (let i = 0; i < a.count; i++) {
    const rtp = dgram.createSocket('udp4');
    await new Promise<void>((r) => rtp.bind(0, a.localHost, r));
    const p: Probe = {
      index: i,
      rtp,
      uac: await ProbeUac.open(a.localHost, a.target),
      seq: 0,
      grid: new SlotGrid(),
      c2b: new BurstMatcher(),
      b2c: new BurstMatcher(),
      atBot: new LoudnessEdge(THRESHOLD),
      atCaller: new LoudnessEdge(THRESHOLD),
    };
    rtp.on('message', (m) => onCallerRtp(p, m));
    probes.push(p);
  }
  startSending();
  await Promise.all(probes.map(async (p) => (p.dialog = await p.uac.invite(`${a.numberPrefix}${p.index}`, p.rtp.address().port))));
  return probes.length;
}

async function hangup(): Promise<number> {
  clearTimeout(sendTimer);
  let ok = 0;
  await Promise.all(
    probes.map(async (p) => {
      clearTimeout(p.b2cTimer);
      if (p.dialog && (await p.uac.bye(p.dialog)) === 200) ok++;
    }),
  );
  for (const p of probes.splice(0)) {
    p.uac.close();
    p.rtp.close();
  }
  return ok;
}

async function main(): Promise<void> {
  const wss = new WebSocketServer({ host: BOT_HOST, port: 0, perMessageDeflate: false });
  await new Promise<void>((r) => wss.once('listening', r));
  wss.on('connection', onBotSocket);
  const wsPort = (wss.address() as { port: number }).port;
  serve(
    {
      info: () => ({ wsPort }),
      start: (a) => startProbes(a as ProbeStartArgs),
      'window-start': () => {
        for (const s of [c2bLatency, b2cAdded, b2cRaw]) s.clear();
        burstsSent = 0;
        for (const p of probes) p.c2b.lost = p.b2c.lost = 0;
        measuring = true;
        return probes.filter((p) => p.ws).length;
      },
      'window-end': async (): Promise<ProbeWindow> => {
        measuring = false;
        await new Promise((r) => setTimeout(r, 300)); // bursts sent at the end of the window are still on their way
        return {
          callerToBot: c2bLatency.summary(),
          botToCallerAdded: b2cAdded.summary(),
          botToCallerRaw: b2cRaw.summary(),
          lostBursts: probes.reduce((s, p) => s + p.c2b.lost + p.b2c.lost, 0),
          burstsSent,
        };
      },
      hangup,
    },
    () => wss.close(),
  );
}

void main();
