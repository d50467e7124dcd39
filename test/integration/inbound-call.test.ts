/**
 * End-to-end: SIPp as the carrier -> the real bridge process -> a real `ws` bot written here, and back.
 * Everything on 127.0.0.1.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import alawmulaw from 'alawmulaw';
import { BridgeProcess } from './harness/bridge-process.js';
import { runSipp, describeSipp } from './harness/sipp.js';
import { TestBotServer, type BotConnection } from './harness/test-bot.js';
import { RtpListener, expectPacedStream } from './harness/rtp-listener.js';
import { reservePorts } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait-for.js';
import { testConfig } from './harness/config.js';
import { readPcapRtp } from './harness/pcap.js';
import { bestLaggedCorrelation, goertzelAmplitude, l16, rmsEnvelope, sineL16, strongestWindow } from './harness/signal.js';
import { metric } from './harness/metrics.js';

const PCAP = '/usr/share/sip-tester/g711a.pcap';
const BOT_RATE = 16000;
const FRAME_BYTES = (BOT_RATE / 50) * 2;

function decodeG711(pt: number, payload: Buffer): Int16Array {
  return pt === 8 ? alawmulaw.alaw.decode(payload) : alawmulaw.mulaw.decode(payload);
}

/** The bridge's open fds (sockets included) return to the baseline within a second: nothing leaked. */
async function expectFdsBackTo(bridge: BridgeProcess, baseline: number): Promise<void> {
  await waitFor(() => bridge.openFds() <= baseline, { timeoutMs: 1000, intervalMs: 50, onTimeout: 'resolve' });
  expect(bridge.openFds()).toBeLessThanOrEqual(baseline);
}

describe('inbound call: SIPp carrier -> bridge -> ws bot', () => {
  let bridge: BridgeProcess | undefined;
  let bots: TestBotServer | undefined;
  let listener: RtpListener | undefined;
  let sipPort: number;
  let metricsPort: number;
  let rtpBase: number;

  beforeEach(async () => {
    rtpBase = await reservePorts(9);
  });

  afterEach(async () => {
    await bridge?.stop();
    await bots?.close();
    listener?.close();
    bridge = undefined;
    bots = undefined;
    listener = undefined;
  });

  async function startBridge(botUrl: string, extra: Partial<Parameters<typeof testConfig>[0]> = {}): Promise<BridgeProcess> {
    const b = new BridgeProcess(
      testConfig({
        rtpPortMin: rtpBase,
        rtpPortMax: rtpBase + 8,
        bots: { tester: `{ url: "${botUrl}", sampleRate: ${BOT_RATE}, connectTimeoutMs: 2000 }`, echo: '{ builtin: echo }' },
        numbers: { '+15550100': 'tester' },
        extraMedia: '  latching: off',
        ...extra,
      }),
    );
    await b.start();
    sipPort = b.sipPort();
    metricsPort = b.metricsPort;
    return b;
  }

  it('streams the caller pcap to the bot as 20 ms L16 frames and plays the bot tone back as RTP', async () => {
    const TONE_HZ = 1000;
    bots = await TestBotServer.start((c: BotConnection) => {
      c.ws.once('message', () => {
        // After `start`, speak 1.5 s of a 1 kHz tone (in uneven chunks, as TTS would).
        const tone = sineL16(TONE_HZ, BOT_RATE, 1500);
        for (let off = 0; off < tone.length; off += 3002) c.sendPcm(tone.subarray(off, off + 3002));
      });
    });
    bridge = await startBridge(bots.url);
    listener = await RtpListener.start();
    const fdsBefore = bridge.openFds();

    const run = await runSipp({
      scenario: 'uac-pcap-g711a-caller-hangup.xml',
      target: { host: '127.0.0.1', port: sipPort },
      service: '+15550100',
      keys: { rtp_port: listener.port },
      args: ['-d', '8000'],
    });
    expect(run.code, describeSipp(run)).toBe(0);

    const bot = await bots.nextConnection();
    await bot.until(() => bot.closeCode !== undefined, 5000, 'socket close');

    // start message
    const start = bot.events[0];
    expect(start).toMatchObject({
      type: 'start',
      from: '+15551230001',
      to: '+15550100',
      trunk: 'carrier-a',
      direction: 'inbound',
      headers: { 'X-Customer-Id': 'cust-42' },
      media: { encoding: 'L16', sampleRate: BOT_RATE, channels: 1, frameMs: 20 },
    });
    expect(typeof start.callId).toBe('string');
    expect(typeof start.sipCallId).toBe('string');

    // caller audio: exact 20 ms frames whose envelope follows the pcap's
    expect(bot.frames.length).toBeGreaterThan(250);
    for (const f of bot.frames) expect(f.length).toBe(FRAME_BYTES);
    const reference = readPcapRtp(PCAP).flatMap((p) => Array.from(decodeG711(p.payloadType, p.payload)));
    const refEnv = rmsEnvelope(reference, 160); // 20 ms at 8 kHz
    const gotEnv = rmsEnvelope(l16(Buffer.concat(bot.frames)), BOT_RATE / 50);
    const { r } = bestLaggedCorrelation(refEnv, gotEnv, 100);
    expect(r).toBeGreaterThan(0.9);

    // stop
    expect(bot.event('stop')).toMatchObject({ type: 'stop', reason: 'caller-hangup' });

    // bot tone back to the caller as RTP in the negotiated codec
    const answerPt = /m=audio \d+ RTP\/AVP (\d+)/.exec(run.messages.split('SIP/2.0 200 OK')[1] ?? '')?.[1];
    expect(answerPt, 'negotiated PT in 200 OK').toBeDefined();
    const pkts = listener.packets.filter((p) => p.payloadType === Number(answerPt));
    expect(pkts.length).toBeGreaterThan(100);
    expect(new Set(pkts.map((p) => p.ssrc)).size).toBe(1);
    expect(pkts[0].marker).toBe(true);
    expectPacedStream(pkts, (p) => p.payload.length, expect);
    const pcm = pkts.flatMap((p) => Array.from(decodeG711(p.payloadType, p.payload)));
    // Strongest 500 ms window: the tone, at 1 kHz and not at neighbouring frequencies.
    const { level: best, win } = strongestWindow(pcm, 8000, TONE_HZ, 4000, 800);
    expect(best).toBeGreaterThan(2000);
    expect(goertzelAmplitude(win, 8000, 600)).toBeLessThan(best / 20);
    expect(goertzelAmplitude(win, 8000, 1600)).toBeLessThan(best / 20);

    // nothing leaked: metrics show no active call, fds back to where they were
    await bridge.waitForLog((l) => l.msg === 'call ended');
    await expectFdsBackTo(bridge, fdsBefore);
    expect(await metric(metricsPort, 'trunkbridge_active_calls')).toMatch(/ 0$/m);
    // ~236 pcap packets in, at least the tone's packets out
    expect(Number(/ (\d+)$/.exec(await metric(metricsPort, 'trunkbridge_rtp_packets_received_total'))?.[1])).toBeGreaterThan(200);
    expect(Number(/ (\d+)$/.exec(await metric(metricsPort, 'trunkbridge_rtp_packets_sent_total'))?.[1])).toBeGreaterThan(100);
  }, 40_000);

  it('SIGTERM hangs up live calls with BYE, tells the bot, and exits 0', async () => {
    bots = await TestBotServer.start();
    bridge = await startBridge(bots.url);
    listener = await RtpListener.start();
    const running = runSipp({
      scenario: 'uac-expect-bye-from-bridge.xml',
      target: { host: '127.0.0.1', port: sipPort },
      service: '+15550100',
      keys: { rtp_port: listener.port },
    });
    const bot = await bots.nextConnection();
    await bot.until(() => bot.event('start') !== undefined, 5000, 'start');
    const b = bridge;
    bridge = undefined;
    expect(await b.stop()).toBe(0);
    const run = await running;
    expect(run.code, describeSipp(run)).toBe(0);
    await bot.until(() => bot.closeCode !== undefined, 3000, 'close');
    expect(bot.event('stop')).toMatchObject({ type: 'stop', reason: 'shutdown' });
  }, 30_000);
});
