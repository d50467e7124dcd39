/**
 * Bot -> caller latency stays bounded after a 150 ms stall of the media worker's event loop (test hook: a GC pause
 * or a CPU-hungry neighbour). The bot streams 20 ms frames in real time with a 20 ms tone burst every 400 ms; the
 * caller's RTP port (a UDP listener here) times when each burst arrives. Before the stall and once it is over the
 * added delay is the same few milliseconds: the stall may cost audio, never lasting delay.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import alawmulaw from 'alawmulaw';
import { BridgeProcess } from './harness/bridge-process.js';
import { describeSipp, runSipp } from './harness/sipp.js';
import { TestBotServer } from './harness/test-bot.js';
import { RtpListener } from './harness/rtp-listener.js';
import { reservePorts } from '../helpers/ports.js';
import { testConfig } from './harness/config.js';
import { sineL16 } from './harness/signal.js';
import { metric } from './harness/metrics.js';

const RATE = 8000;
const FRAME_BYTES = 320; // 20 ms of L16 at 8 kHz
const BURST_EVERY = 20; // frames: one tone burst every 400 ms
const STALL_AT_MS = 2400;
const STREAM_MS = 6000;

let bridge: BridgeProcess;
let bots: TestBotServer;
let listener: RtpListener;

beforeAll(async () => {
  const rtpBase = await reservePorts(4);
  bots = await TestBotServer.start();
  listener = await RtpListener.start();
  bridge = new BridgeProcess(
    testConfig({
      rtpPortMin: rtpBase,
      rtpPortMax: rtpBase + 3,
      extraMedia: '  workers: 2',
      bots: { tester: `{ url: "${bots.url}", sampleRate: ${RATE} }` },
      numbers: { '+15550100': 'tester' },
    }),
    { TRUNKBRIDGE_TEST_HOOKS: '1' },
  );
  await bridge.start();
});

afterAll(async () => {
  await bridge?.stop();
  await bots?.close();
  listener?.close();
});

/** Arrival time of the first packet after `from` whose audio is loud: the burst's start. */
function burstArrival(from: number): number | undefined {
  for (const p of listener.packets) {
    if ((p.at ?? 0) < from || p.payloadType !== 0) continue;
    const pcm = alawmulaw.mulaw.decode(p.payload);
    let energy = 0;
    for (const s of pcm) energy += s * s;
    if (Math.sqrt(energy / pcm.length) > 2000) return p.at;
  }
  return undefined;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

describe('latency after an event-loop stall', () => {
  it('bot -> caller delay is back to its level before the stall (no lasting delay)', async () => {
    const run = runSipp({
      scenario: 'uac-expect-bye-from-bridge.xml',
      target: { host: '127.0.0.1', port: bridge.sipPort() },
      service: '+15550100',
      keys: { rtp_port: listener.port },
    });
    const bot = await bots.firstStarted();
    const silence = Buffer.alloc(FRAME_BYTES);
    const tone = sineL16(1000, RATE, 20, 12000);
    const sent: Array<{ at: number; afterStall: boolean }> = [];
    const started = Date.now();
    let stalled = false;
    let stallAnswer: Promise<Response> | undefined;
    // Real-time streaming, paced on the wall clock (frame k goes at started + 20k).
    for (let k = 0; Date.now() - started < STREAM_MS; k++) {
      const due = started + k * 20;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (!stalled && Date.now() - started >= STALL_AT_MS) {
        stalled = true;
        // Not awaited here: the bot keeps its real-time pace while the request is on its way.
        stallAnswer = fetch(`http://127.0.0.1:${bridge.metricsPort}/_test/media-workers/0/stall?ms=150`, { method: 'POST' });
      }
      if (k % BURST_EVERY === 0 && k > 0) {
        sent.push({ at: Date.now(), afterStall: stalled });
        bot.sendPcm(tone);
      } else bot.sendPcm(silence);
    }
    expect((await stallAnswer!).status).toBe(202);
    await new Promise((r) => setTimeout(r, 1200)); // a worker report (once a second) carries the latency samples
    // The bridge's own sampled figure of the same thing is exported.
    expect(await metric(bridge.metricsPort, 'trunkbridge_bridge_latency_ms_count')).toMatch(/direction="bot_to_caller"\} [1-9]/);
    bot.sendJson({ type: 'hangup' });
    const done = await run;
    expect(done.code, describeSipp(done)).toBe(0);
    // What the stall cost is counted once the call has ended. Usually its slots 60 ms late or more, with their
    // audio, as `late` (0.12 s in two runs here; the sim in rtp-send-stall.test.ts, 70-110 ms depending on the
    // phase). When this process is held up too, the bot's audio of the stall comes after the worker resumed: those
    // slots find nothing to drop, and the backlog trim takes the excess afterwards (CI once: late 0, backlog
    // 0.155 s). Either way the stall costs some audio and not much; never a queue overflow.
    const dropped = await metric(bridge.metricsPort, 'trunkbridge_playout_dropped_seconds_total');
    const droppedFor = (reason: string): number => Number(new RegExp(`reason="${reason}"\\} ([\\d.e-]+)`).exec(dropped)?.[1]);
    const stallCost = droppedFor('late') + droppedFor('backlog');
    expect(stallCost, dropped).toBeGreaterThanOrEqual(0.04);
    expect(stallCost, dropped).toBeLessThan(0.5);
    expect(droppedFor('overflow'), dropped).toBe(0);

    const delays = sent.map((s) => ({ ...s, delay: (burstArrival(s.at) ?? Infinity) - s.at }));
    const before = delays.filter((d) => !d.afterStall).map((d) => d.delay);
    // The first burst after the stall may still carry it; from the second on the stall must be gone.
    const after = delays.filter((d) => d.afterStall).slice(1).map((d) => d.delay);
    expect(before.length).toBeGreaterThan(3);
    expect(after.length).toBeGreaterThan(3);
    const summary = JSON.stringify({ before, after });
    // Arrivals are timed in this process, which a loaded CI machine can hold up for a moment: one burst either
    // side may carry that (once, 417 ms before the stall). A lasting delay would hold up every burst after it.
    const baseline = median(before);
    expect(baseline, summary).toBeLessThan(50);
    expect(before.filter((d) => d >= 100).length, summary).toBeLessThanOrEqual(1);
    // No lasting delay: after the stall the bursts come as fast as before it (loopback: a few ms; 20 ms of slack
    // for the test's own timers), and all but at most one within 40 ms of that.
    expect(median(after), summary).toBeLessThanOrEqual(baseline + 20);
    expect(after.filter((d) => d > baseline + 40).length, summary).toBeLessThanOrEqual(1);
  });
});
