/**
 * The bridge's own latency figures, both directions, from a media worker: a caller speaking (SIPp's recorded
 * PCMA) and a bot answering with audio. The samples cross from the worker to the main thread in its periodic
 * report and end up in `trunkbridge_bridge_latency_ms{direction}` on /metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeProcess } from './harness/bridge-process.js';
import { describeSipp, runSipp } from './harness/sipp.js';
import { TestBotServer } from './harness/test-bot.js';
import { RtpListener } from './harness/rtp-listener.js';
import { reservePorts } from '../helpers/ports.js';
import { testConfig } from './harness/config.js';
import { sineL16 } from './harness/signal.js';
import { metric } from './harness/metrics.js';
import { waitFor } from '../helpers/wait-for.js';

const RATE = 8000;

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
      extraMedia: '  workers: 1',
      bots: { tester: `{ url: "${bots.url}", sampleRate: ${RATE} }` },
      numbers: { '+15550100': 'tester' },
    }),
  );
  await bridge.start();
});

afterAll(async () => {
  await bridge?.stop();
  await bots?.close();
  listener?.close();
});

/** `{direction="..."}` count and sum of the latency histogram. */
async function latency(direction: string): Promise<{ count: number; sum: number }> {
  const text = await metric(bridge.metricsPort, 'trunkbridge_bridge_latency_ms_');
  const read = (what: string) => Number(new RegExp(`_${what}\\{direction="${direction}"\\} (\\S+)`).exec(text)?.[1] ?? 0);
  return { count: read('count'), sum: read('sum') };
}

describe('bridge-added latency metrics', () => {
  it('caller -> bot and bot -> caller are both sampled from the media worker', async () => {
    const run = runSipp({
      scenario: 'uac-pcap-g711a-caller-hangup.xml',
      target: { host: '127.0.0.1', port: bridge.sipPort() },
      service: '+15550100',
      keys: { rtp_port: listener.port },
      args: ['-d', '6000'], // speaks for 6 s, then hangs up
    });
    const bot = await bots.firstStarted();
    await bot.until(() => bot.frames.length >= 50, 10_000, 'a second of caller audio at the bot');
    const tone = sineL16(1000, RATE, 20, 12000);
    for (let i = 0; i < 50; i++) bot.sendPcm(tone); // a second of bot audio at once: each chunk is timed
    // Each worker report (once a second) carries one sample in ten of each direction.
    const sampled = (direction: string) =>
      waitFor(async () => {
        const l = await latency(direction);
        return l.count > 0 ? l : undefined;
      }, { timeoutMs: 5000, what: `${direction} samples` });
    const c2b = await sampled('caller_to_bot');
    const b2c = await sampled('bot_to_caller');
    // A frame leaves within the jitter buffer's delay plus a little; the bot's second of audio queues behind its
    // first chunk, so its chunks wait up to a second for their turn.
    expect(c2b.sum / c2b.count).toBeLessThan(200);
    expect(b2c.sum / b2c.count).toBeGreaterThan(100);
    expect(b2c.sum / b2c.count).toBeLessThan(1100);
    const done = await run;
    expect(done.code, describeSipp(done)).toBe(0);
  });
});
