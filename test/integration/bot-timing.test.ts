/**
 * The "Timing the bots can rely on", end to end where the dialect tests leave a row unchecked: SIPp as the
 * carrier -> the real bridge process (media on a worker thread) -> bots written here.
 *
 * - A Plivo bot that, as Pipecat's runner does, reads exactly two messages (`start`, then the first `media`)
 *   before it says anything, behind an upgrade that takes 600 ms, called by a silent carrier that is 1.5 s late
 *   with its ACK: the 200 OK goes only once the socket is open, both opening messages arrive at once (before the
 *   ACK), caller audio is silence paced at 20 ms from the start, and the bot's greeting, checkpoint and hang-up
 *   all work.
 * - A native (protocol v1) bot: `start` at once, an idle mark back within 500 ms, a mark not early by more than
 *   250 ms, `cleared` within 1 s of a clear, the caller hearing nothing more of the cleared audio after 120 ms, and
 *   BYE within 2 s of the bot closing its socket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import alawmulaw from 'alawmulaw';
import { BridgeProcess } from './harness/bridge-process.js';
import { describeSipp, runSipp, tracedMessages, type SippRun } from './harness/sipp.js';
import { PathBots } from './harness/path-bots.js';
import { ProviderBot } from './harness/provider-bot.js';
import { RtpListener, type CapturedRtp } from './harness/rtp-listener.js';
import { goertzelAmplitude, sineL16 } from './harness/signal.js';
import { testConfig } from './harness/config.js';
import { generateTone } from '../helpers/audio.js';
import { reservePorts } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait-for.js';

const UPGRADE_DELAY_MS = 600;
/** The carrier scenarios offer a=ptime:30: the caller gets one packet per 30 ms. */
const PTIME_MS = 30;

let bridge: BridgeProcess;
let bots: PathBots;
let sipPort: number;

beforeAll(async () => {
  const rtpBase = await reservePorts(4);
  bots = await PathBots.start();
  bridge = new BridgeProcess(
    testConfig({
      rtpPortMin: rtpBase,
      rtpPortMax: rtpBase + 3,
      extraMedia: '  latching: off',
      bots: {
        plivo: `{ url: "${bots.base}/plivo", protocol: plivo, connectTimeoutMs: 3000 }`,
        native: `{ url: "${bots.base}/native", sampleRate: 8000 }`,
      },
      numbers: { '+15550120': 'plivo', '+15550121': 'native' },
    }),
  );
  await bridge.start();
  sipPort = bridge.sipPort();
});

afterAll(async () => {
  await bridge?.stop();
  await bots?.close();
});

function call(scenario: string, service: string, listener: RtpListener): Promise<SippRun> {
  return runSipp({ scenario, target: { host: '127.0.0.1', port: sipPort }, service, keys: { rtp_port: listener.port }, timeoutMs: 25_000 });
}

function decode(p: CapturedRtp): Int16Array {
  return p.payloadType === 8 ? alawmulaw.alaw.decode(p.payload) : alawmulaw.mulaw.decode(p.payload);
}

/** Arrival times of the caller-side packets where `hz` dominates. */
function toneArrivals(packets: CapturedRtp[], hz: number): number[] {
  return packets.filter((p) => p.payloadType === 0 || p.payloadType === 8).filter((p) => goertzelAmplitude(decode(p), 8000, hz) > 2000).map((p) => p.at!);
}

/** When the bridge wrote a log line (its ISO timestamp), ms since the epoch. */
const at = (l: Record<string, unknown>): number => Date.parse(String(l.time));

describe('caller audio from the moment the socket is open: a Plivo bot that waits for its second message', () => {
  it('answered only once the socket is open; start and the first media at once, before the ACK; silence paced from the start', async () => {
    let openedAt = 0;
    let bot: ProviderBot | undefined;
    let script: Promise<{ hungUpAt: number; greetingMarkAt: number }> | undefined;
    bots.upgrade = (path) => (path === '/plivo' ? { delayMs: UPGRADE_DELAY_MS } : 'accept');
    bots.behaviour = (path, c) => {
      if (path !== '/plivo') return;
      openedAt = Date.now();
      const b = new ProviderBot(c.ws, 'plivo', 8000);
      bot = b;
      script = (async () => {
        // Pipecat's runner: two messages, then the bot speaks.
        await b.until(() => b.handshake.length === 2, 'handshake');
        await b.speak([{ pcm: generateTone(1000, 8000, 1000, { amplitude: 8000 }), mark: 'greeting' }]);
        const greetingMarkAt = await b.markNamed('greeting');
        return { greetingMarkAt, hungUpAt: b.hangUp() };
      })();
      script.catch(() => undefined); // asserted below
    };
    const listener = await RtpListener.start();
    const t0 = Date.now();
    try {
      const run = await call('uac-slow-ack-silent-expect-bye.xml', '+15550120', listener);
      expect(run.code, describeSipp(run)).toBe(0);
      const { hungUpAt, greetingMarkAt } = await script!;
      const b = bot!;
      const trace = tracedMessages(run);
      const okAt = trace.find((e) => e.dir === 'received' && e.line.startsWith('SIP/2.0 200'))!.at;
      const ackAt = trace.find((e) => e.dir === 'sent' && e.line.startsWith('ACK'))!.at;
      expect(ackAt - okAt).toBeGreaterThanOrEqual(1400);

      // The call is answered only once the bot's socket is open (the upgrade took 600 ms).
      expect(openedAt - t0).toBeGreaterThanOrEqual(UPGRADE_DELAY_MS - 50);
      expect(okAt).toBeGreaterThanOrEqual(openedAt - 20);
      // Both opening messages at once (the table's bound is 3 s), long before the caller's ACK.
      expect(b.handshake.map((m) => m.event)).toEqual(['start', 'media']);
      expect(b.detected).toBe('plivo');
      expect(b.violations).toEqual([]);
      expect(b.handshakeAt[1] - openedAt).toBeLessThan(500);
      expect(b.handshakeAt[1]).toBeLessThan(ackAt);
      // Caller audio flowed between socket open and the ACK: silence, paced at 20 ms.
      const beforeAck = b.media.filter((m) => m.at < ackAt).length + 1; // + the handshake's media
      expect(beforeAck).toBeGreaterThan(((ackAt - openedAt) / 20) * 0.6);
      // The caller never sends RTP: every frame the bot got is silence, and the stream has no gap.
      expect(b.callerPcm.every((s) => Math.abs(s) <= 8)).toBe(true);
      const arrivals = [b.handshakeAt[1], ...b.media.map((m) => m.at)];
      const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]);
      expect(Math.max(...gaps)).toBeLessThan(400);
      expect(arrivals.length * 20).toBeGreaterThan((arrivals[arrivals.length - 1] - arrivals[0]) * 0.85);

      // What the bot said reached the caller after the answer, and its checkpoint came back after playout.
      const greeting = toneArrivals(listener.packets, 1000);
      expect(greeting.length * PTIME_MS).toBeGreaterThan(800); // the 1 s greeting
      expect(greeting.length * PTIME_MS).toBeLessThan(1200);
      expect(greeting[0]).toBeGreaterThanOrEqual(ackAt - 20);
      expect(greetingMarkAt).toBeGreaterThan(greeting[greeting.length - 1] - 250);
      const ended = await bridge.waitForLog((l) => l.msg === 'call ended' && at(l) >= t0);
      expect(ended.reason).toBe('bot-closed');
      expect(at(ended) - hungUpAt).toBeLessThan(2000);
    } finally {
      listener.close();
      bots.upgrade = () => 'accept';
    }
  });
});

describe('a native bot: marks, clear and hang-up on the clock', () => {
  it('start at once, idle mark within 500 ms, a mark never 250 ms early, cleared within 1 s, playout cut within 120 ms, BYE within 2 s', async () => {
    const times: Array<{ type: string; at: number }> = [];
    let openedAt = 0;
    const sent: Record<string, number> = {};
    let done: Promise<void> | undefined;
    bots.behaviour = (path, c) => {
      if (path !== '/native') return;
      openedAt = Date.now();
      c.ws.on('message', (data, isBinary) => {
        if (!isBinary) times.push({ type: String((JSON.parse(String(data)) as { type: string }).type), at: Date.now() });
      });
      const arrived = (type: string, name?: string) =>
        waitFor(() => c.events.some((e) => e.type === type && (name === undefined || e.name === name)), { timeoutMs: 8000, what: `${type} ${name ?? ''}` });
      done = (async () => {
        await arrived('start');
        sent.idle = Date.now();
        c.sendJson({ type: 'mark', name: 'idle' });
        await arrived('mark', 'idle');
        c.sendPcm(sineL16(1000, 8000, 1000));
        c.sendJson({ type: 'mark', name: 'greeting' });
        await arrived('mark', 'greeting');
        for (let i = 0; i < 30; i++) c.sendPcm(sineL16(600, 8000, 100)); // 3 s queued at once
        await new Promise((r) => setTimeout(r, 1200));
        sent.clear = Date.now();
        c.sendJson({ type: 'clear' });
        await arrived('cleared');
        await new Promise((r) => setTimeout(r, 500)); // long enough to hear cleared audio that wrongly played on
        sent.close = Date.now();
        c.ws.close(1000, 'done');
      })();
      done.catch(() => undefined); // asserted below
    };
    const listener = await RtpListener.start();
    const t0 = Date.now();
    try {
      const run = await call('uac-expect-bye-from-bridge.xml', '+15550121', listener);
      expect(run.code, describeSipp(run)).toBe(0);
      await done;
      const first = (type: string) => times.find((e) => e.type === type)!.at;
      const marks = times.filter((e) => e.type === 'mark');
      expect(first('start') - openedAt).toBeLessThan(3000);
      expect(marks[0].at - sent.idle).toBeLessThan(500);
      const greeting = toneArrivals(listener.packets, 1000);
      expect(greeting.length * PTIME_MS).toBeGreaterThan(800);
      expect(marks[1].at).toBeGreaterThan(greeting[greeting.length - 1] - 250);
      expect(marks[1].at).toBeLessThan(greeting[greeting.length - 1] + 500);
      expect(first('cleared') - sent.clear).toBeLessThan(1000);
      const long = toneArrivals(listener.packets, 600);
      expect(long.length * PTIME_MS).toBeGreaterThan(800); // about 1.2 s of it played before the clear
      expect(long.length * PTIME_MS).toBeLessThan(1800);
      expect(long[long.length - 1] - sent.clear).toBeLessThan(120);
      const ended = await bridge.waitForLog((l) => l.msg === 'call ended' && at(l) >= t0);
      expect(ended.reason).toBe('bot-closed');
      expect(at(ended) - sent.close).toBeLessThan(2000);
    } finally {
      listener.close();
    }
  });
});

describe('the bridge itself', () => {
  it('logged no error', () => {
    expect(bridge.logs.filter((l) => l.level >= 50)).toEqual([]);
  });
});
