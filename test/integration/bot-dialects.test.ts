/**
 * End to end, per provider dialect: SIPp as the carrier -> the real bridge process (media on a worker thread)
 * -> a bot written from the provider's documentation and Pipecat's behaviour (harness/media-stream-bot.ts), and
 * back. One call each: the bot hears the caller's pcap, the caller hears the bot's tones, marks come back after
 * playout (at once when idle, at a clear when pending), a clear cuts playout, DTMF reaches the bot, and the bot
 * closing its socket ends the call with BYE. Everything on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import alawmulaw from 'alawmulaw';
import { WebSocketServer } from 'ws';
import { BridgeProcess } from './harness/bridge-process.js';
import { describeSipp, runSipp, type SippRun } from './harness/sipp.js';
import { RtpListener, type CapturedRtp } from './harness/rtp-listener.js';
import { MediaStreamBot, type Provider } from './harness/media-stream-bot.js';
import { readPcapRtp } from './harness/pcap.js';
import { bestLaggedCorrelation, goertzelAmplitude, rmsEnvelope } from './harness/signal.js';
import { generateTone } from '../helpers/audio.js';
import { reservePorts } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait-for.js';
import { testConfig } from './harness/config.js';

const PCAP = '/usr/share/sip-tester/g711a.pcap';
const GREETING_HZ = 1000;
const LONG_HZ = 600;

/** What the bot did and when (Date.now() of the test process, the clock the RTP listener stamps packets with). */
interface Script {
  clearAt: number;
  idleSentAt: number;
  hungUpAt: number;
}

/** The bot's part of the call: greet, an idle mark, a long answer cut by barge-in, wait for # and hang up. */
async function converse(bot: MediaStreamBot): Promise<Script> {
  await bot.until(() => bot.handshake.length === 2, 'handshake');
  await bot.speak([{ pcm: generateTone(GREETING_HZ, 8000, 1000, { amplitude: 8000 }), mark: 'greeting' }]);
  await bot.markNamed('greeting');
  const idleSentAt = bot.mark('idle');
  await bot.markNamed('idle');
  const part = () => generateTone(LONG_HZ, 8000, 1000, { amplitude: 8000 });
  void bot.speak([
    { pcm: part(), mark: 'part1' },
    { pcm: part(), mark: 'part2' },
    { pcm: part(), mark: 'part3' },
  ]);
  // Sent at twice real time, the whole 3 s is queued after 1.5 s; the caller has heard about 1.6 s at the clear.
  await new Promise((r) => setTimeout(r, 1600));
  const clearAt = bot.clear();
  await bot.markNamed('part3');
  await bot.until(() => bot.dtmf.includes('#'), 'DTMF #', 20_000);
  return { clearAt, idleSentAt, hungUpAt: bot.hangUp() };
}

function decode(p: CapturedRtp): Int16Array {
  return p.payloadType === 8 ? alawmulaw.alaw.decode(p.payload) : alawmulaw.mulaw.decode(p.payload);
}

/** Arrival times of the caller-side packets where `hz` dominates (a tone, not speech or comfort silence). */
function toneArrivals(packets: CapturedRtp[], hz: number): number[] {
  return packets.filter((p) => p.payloadType === 0 || p.payloadType === 8).filter((p) => goertzelAmplitude(decode(p), 8000, hz) > 2000).map((p) => p.at!);
}

describe.each<{ provider: Provider; bot: string }>([
  { provider: 'twilio', bot: '{ url: "URL", protocol: twilio, parameters: { tenant: acme } }' },
  { provider: 'telnyx', bot: '{ url: "URL", protocol: telnyx, encoding: PCMA, parameters: { tenant: acme } }' },
])('$provider dialect: SIPp -> bridge -> a $provider bot', ({ provider, bot: botSpec }) => {
  let bridge: BridgeProcess;
  let wss: WebSocketServer;
  let listener: RtpListener;
  let bot: MediaStreamBot | undefined;
  let script: Promise<Script> | undefined;
  let run: SippRun;

  beforeAll(async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    wss.on('connection', (ws) => {
      bot = new MediaStreamBot(ws, provider);
      script = converse(bot);
      script.catch(() => undefined); // asserted below; a rejection here must not go unhandled first
    });
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/media`;
    const rtpBase = await reservePorts(4);
    listener = await RtpListener.start();
    bridge = new BridgeProcess(
      testConfig({ rtpPortMin: rtpBase, rtpPortMax: rtpBase + 3, bots: { dialect: botSpec.replace('URL', url) }, numbers: { '+15550100': 'dialect' }, extraMedia: '  latching: off' }),
    );
    await bridge.start();
    run = await runSipp({
      scenario: 'uac-pcap-g711a-dtmf-expect-bye.xml',
      target: { host: '127.0.0.1', port: bridge.sipPort() },
      service: '+15550100',
      keys: { rtp_port: listener.port },
      timeoutMs: 40_000,
    });
  }, 60_000);

  afterAll(async () => {
    await bridge?.stop();
    for (const c of wss?.clients ?? []) c.terminate();
    await new Promise<void>((r) => (wss ? wss.close(() => r()) : r()));
    listener?.close();
  });

  it('the bot closing its socket ends the call with BYE within 2 s', async () => {
    expect(run.code, describeSipp(run)).toBe(0);
    const { hungUpAt } = await script!;
    const ended = await bridge.waitForLog((l) => l.msg === 'call ended');
    expect(ended.reason).toBe('bot-closed');
    expect(Date.parse(String(ended.time)) - hungUpAt).toBeLessThan(2000);
  });

  it('opens with exactly the two handshake messages Pipecat reads, and never sends a frame it could not parse', () => {
    const b = bot!;
    expect(b.detected).toBe(provider);
    // The opening messages go when the socket opens (bound: 3 s; in practice at once).
    expect(b.handshakeAt[b.handshakeAt.length - 1] - b.openedAt).toBeLessThan(3000);
    expect(b.handshake[0].event).toBe('connected');
    expect(b.violations).toEqual([]);
    const start = b.start.start as Record<string, unknown>;
    if (provider === 'twilio') {
      expect(b.start.streamSid).toMatch(/^MZ[0-9a-f]{32}$/);
      expect(start).toMatchObject({
        streamSid: b.start.streamSid,
        tracks: ['inbound'],
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        customParameters: { 'X-Customer-Id': 'cust-42', tenant: 'acme', from_number: '+15551230001', to_number: '+15550100' },
      });
      expect(start.callSid).toMatch(/^CA[0-9a-f]{32}$/);
      expect(start.accountSid).toMatch(/^AC[0-9a-f]{32}$/);
    } else {
      expect(b.start.stream_id).toEqual(expect.any(String));
      expect(start).toMatchObject({
        call_control_id: expect.stringMatching(/^v3:/),
        from: '+15551230001',
        to: '+15550100',
        custom_parameters: { 'X-Customer-Id': 'cust-42', tenant: 'acme' },
        // the call itself is PCMU (the bridge's preference): the bot still gets the law it asked for
        media_format: { encoding: 'PCMA', sample_rate: 8000, channels: 1 },
      });
    }
  });

  it('numbers every event on one string counter and streams 20 ms media without gaps, silence included', () => {
    const b = bot!;
    const seq = b.sequenceNumbers;
    expect(seq).toEqual(seq.map((_, i) => String(i + 1)));
    const media = b.media.map((r) => r.msg.media as Record<string, string>);
    expect(media.length).toBeGreaterThan(350);
    media.forEach((m, i) => {
      expect(m.track).toBe('inbound');
      expect(m.chunk).toBe(String(i + 1));
      expect(m.timestamp).toBe(String(i * 20));
      expect(Buffer.from(m.payload, 'base64')).toHaveLength(160);
    });
    // The caller is quiet for 600 ms between the pcap's end (7 s) and its DTMF, and sends no audio during DTMF:
    // frames keep coming at the wall clock's pace all the same (a gap here would be 600 ms or more).
    const at = b.media.map((r) => r.at);
    const gaps = at.slice(1).map((t, i) => t - at[i]);
    expect(Math.max(...gaps)).toBeLessThan(400);
    expect(media.length * 20).toBeGreaterThan((at[at.length - 1] - at[0]) * 0.85);
    expect(Number(media[media.length - 1].timestamp)).toBeGreaterThan(7600);
  });

  it('hears the caller: the envelope of its audio follows the SIPp pcap', () => {
    const reference = readPcapRtp(PCAP).flatMap((p) => Array.from(p.payloadType === 8 ? alawmulaw.alaw.decode(p.payload) : alawmulaw.mulaw.decode(p.payload)));
    const ref = rmsEnvelope(reference, 160);
    const got = rmsEnvelope(bot!.callerPcm, 160);
    // Either may lead: the caller's first packets can beat the ACK that opens the route to the bot (the pcap's
    // opening silence is then missing), and the bot's stream may start with paced silence.
    const r = Math.max(bestLaggedCorrelation(ref, got, 100).r, bestLaggedCorrelation(got, ref, 10).r);
    expect(r).toBeGreaterThan(0.9);
  });

  it('is heard by the caller, and gets its marks back after playout, at once when idle', async () => {
    const b = bot!;
    const { idleSentAt } = await script!;
    const greeting = toneArrivals(listener.packets, GREETING_HZ);
    // ~1 s of tone at 20 ms a packet
    expect(greeting.length).toBeGreaterThan(40);
    expect(greeting.length).toBeLessThan(60);
    const greetingMark = b.marks.find((m) => m.name === 'greeting')!.at;
    expect(greetingMark).toBeGreaterThan(greeting[greeting.length - 1] - 250);
    expect(greetingMark).toBeLessThan(greeting[greeting.length - 1] + 500);
    expect(b.marks.find((m) => m.name === 'idle')!.at - idleSentAt).toBeLessThan(500);
  });

  it('barge-in: clear cuts playout within 120 ms and returns every pending mark', async () => {
    const b = bot!;
    const { clearAt } = await script!;
    const long = toneArrivals(listener.packets, LONG_HZ);
    expect(long[long.length - 1] - clearAt).toBeLessThan(120);
    // about 1.6 s of the 3 s answer was heard
    expect(long.length).toBeGreaterThan(60);
    expect(long.length).toBeLessThan(100);
    const names = b.marks.map((m) => m.name);
    expect(names).toEqual(['greeting', 'idle', 'part1', 'part2', 'part3']);
    const at = (name: string) => b.marks.find((m) => m.name === name)!.at;
    expect(at('part1')).toBeLessThan(clearAt);
    for (const pending of ['part2', 'part3']) {
      expect(at(pending)).toBeGreaterThanOrEqual(clearAt);
      expect(at(pending) - clearAt).toBeLessThan(500);
    }
  });

  it('gets the caller\'s DTMF', async () => {
    await waitFor(() => bot!.dtmf.length >= 2, { timeoutMs: 1000, onTimeout: 'resolve' });
    expect(bot!.dtmf).toEqual(['5', '#']);
  });
});
