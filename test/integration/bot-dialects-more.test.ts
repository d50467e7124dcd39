/**
 * End to end for the Plivo, Exotel, Vonage and jambonz dialects (Twilio and Telnyx: bot-dialects.test.ts): SIPp
 * as the carrier -> the real bridge process (media on a worker thread) -> a bot written from the provider's
 * documentation and Pipecat's behaviour (harness/provider-bot.ts), and back. One call each: the bot hears the
 * caller's pcap, the caller hears the bot's tones, marks/checkpoints/notifies come back after playout (at once
 * when idle), a clear cuts playout (and each provider answers it its own way), DTMF reaches the bot, and the bot
 * closing its socket ends the call with BYE. Everything on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import alawmulaw from 'alawmulaw';
import { WebSocketServer } from 'ws';
import { BridgeProcess } from './harness/bridge-process.js';
import { describeSipp, runSipp, type SippRun } from './harness/sipp.js';
import { RtpListener, type CapturedRtp } from './harness/rtp-listener.js';
import { ProviderBot, type Provider } from './harness/provider-bot.js';
import { readPcapRtp } from './harness/pcap.js';
import { bestLaggedCorrelation, goertzelAmplitude, rmsEnvelope } from './harness/signal.js';
import { generateTone } from '../helpers/audio.js';
import { reservePorts } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait-for.js';
import { testConfig } from './harness/config.js';

const PCAP = '/usr/share/sip-tester/g711a.pcap';
const GREETING_HZ = 1000;
const LONG_HZ = 600;
/** How long the bot listens after a clear for marks that must not come back. */
const SETTLE_MS = 700;

/** What the bot did and when (Date.now() of the test process, the clock the RTP listener stamps packets with). */
interface Script {
  clearAt: number;
  idleSentAt: number;
  hungUpAt: number;
}

/** The bot's part of the call: greet, an idle mark, a long answer cut by barge-in, wait for # and hang up. */
async function converse(bot: ProviderBot): Promise<Script> {
  await bot.until(() => bot.detected !== 'unknown', 'handshake');
  const tone = (hz: number) => generateTone(hz, bot.rate, 1000, { amplitude: 8000 });
  await bot.speak([{ pcm: tone(GREETING_HZ), mark: 'greeting' }]);
  await bot.markNamed('greeting');
  const idleSentAt = bot.mark('idle');
  await bot.markNamed('idle');
  void bot.speak([
    { pcm: tone(LONG_HZ), mark: 'part1' },
    { pcm: tone(LONG_HZ), mark: 'part2' },
    { pcm: tone(LONG_HZ), mark: 'part3' },
  ]);
  // Sent at twice real time, the whole 3 s is queued after 1.5 s; the caller has heard about 1.6 s at the clear.
  await new Promise((r) => setTimeout(r, 1600));
  const clearAt = bot.clear();
  if (bot.provider === 'jambonz') await bot.markNamed('part3');
  else if (bot.provider !== 'exotel') await bot.until(() => bot.clearAcks.length > 0, 'clear acknowledged', 2000);
  // Long enough for a dropped mark that wrongly came back to be seen.
  await new Promise((r) => setTimeout(r, SETTLE_MS));
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

interface Case {
  provider: Provider;
  rate: number;
  bot: string;
}

describe.each<Case>([
  { provider: 'plivo', rate: 8000, bot: '{ url: "URL", protocol: plivo, parameters: { tenant: acme } }' },
  { provider: 'exotel', rate: 24000, bot: '{ url: "URL", protocol: exotel, sampleRate: 24000, parameters: { tenant: acme } }' },
  { provider: 'vonage', rate: 16000, bot: '{ url: "URL", protocol: vonage, parameters: { tenant: acme } }' },
  { provider: 'jambonz', rate: 8000, bot: '{ url: "URL", protocol: jambonz, parameters: { tenant: acme } }' },
])('$provider dialect: SIPp -> bridge -> a $provider bot at $rate Hz', ({ provider, rate, bot: botSpec }) => {
  let bridge: BridgeProcess;
  let wss: WebSocketServer;
  let listener: RtpListener;
  let bot: ProviderBot | undefined;
  let offered: string[] = [];
  let script: Promise<Script> | undefined;
  let run: SippRun;

  beforeAll(async () => {
    wss = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      perMessageDeflate: false,
      handleProtocols: (protocols) => {
        offered = [...protocols];
        // A jambonz endpoint accepts audio.jambonz.org; the other providers' bots offer none back.
        return protocols.has('audio.jambonz.org') ? 'audio.jambonz.org' : false;
      },
    });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    wss.on('connection', (ws) => {
      bot = new ProviderBot(ws, provider, rate);
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

  it('opens with the provider\'s handshake, recognised as the provider, and never sends a frame the bot could not parse', () => {
    const b = bot!;
    expect(b.detected).toBe(provider);
    // The opening messages go when the socket opens (bound: 3 s; in practice at once).
    expect(b.handshakeAt[b.handshakeAt.length - 1] - b.openedAt).toBeLessThan(3000);
    expect(b.violations).toEqual([]);
    expect(offered).toEqual(provider === 'jambonz' ? ['audio.jambonz.org'] : []);
    const start = b.start;
    const inner = (start.start ?? {}) as Record<string, unknown>;
    const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    switch (provider) {
      case 'plivo':
        // start first (no connected), then the first media: Pipecat's runner reads these two
        expect(b.handshake.map((m) => m.event)).toEqual(['start', 'media']);
        expect(start).toMatchObject({ sequenceNumber: 1, extra_headers: 'X-Customer-Id=cust-42;tenant=acme' });
        expect(inner).toMatchObject({ tracks: ['inbound'], mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000 } });
        expect(inner.callId).toMatch(UUID);
        expect(inner.streamId).toMatch(UUID);
        expect(inner.accountId).toMatch(/^MA[0-9A-F]{18}$/);
        break;
      case 'exotel':
        expect(b.handshake[0]).toEqual({ event: 'connected' });
        expect(start).toMatchObject({ sequence_number: '1', stream_sid: inner.stream_sid });
        expect(inner).toMatchObject({
          from: '+15551230001',
          to: '+15550100',
          custom_parameters: { 'X-Customer-Id': 'cust-42', tenant: 'acme' },
          media_format: { encoding: 'audio/x-raw', sample_rate: '24000', bit_rate: '384kbps' },
        });
        for (const sid of ['stream_sid', 'call_sid', 'account_sid']) expect(inner[sid]).toMatch(/^[0-9a-f]{32}$/);
        break;
      case 'vonage':
        expect(start).toEqual({ event: 'websocket:connected', 'content-type': 'audio/l16;rate=16000', 'X-Customer-Id': 'cust-42', tenant: 'acme' });
        break;
      case 'jambonz':
        expect(start).toMatchObject({ sampleRate: 8000, mixType: 'mono', direction: 'inbound', from: '+15551230001', to: '+15550100', 'X-Customer-Id': 'cust-42', tenant: 'acme' });
        expect(start.callSid).toMatch(UUID);
        expect(start.callId).toEqual(expect.any(String));
        break;
    }
  });

  it('streams caller audio as one 20 ms frame per message without gaps, silence included, numbered as the provider does', () => {
    const b = bot!;
    const frameBytes = provider === 'plivo' ? 160 : (rate / 50) * 2;
    expect(b.media.length).toBeGreaterThan(350);
    expect(b.media.every((m) => m.bytes === frameBytes)).toBe(true);
    // The caller is quiet for 600 ms between the pcap's end (7 s) and its DTMF, and sends no audio during DTMF:
    // frames keep coming at the wall clock's pace all the same (a gap here would be 600 ms or more).
    const at = b.media.map((m) => m.at);
    const gaps = at.slice(1).map((t, i) => t - at[i]);
    expect(Math.max(...gaps)).toBeLessThan(400);
    expect(b.media.length * 20).toBeGreaterThan((at[at.length - 1] - at[0]) * 0.85);
    const texts = [...b.handshake, ...b.received.flatMap((r) => (r.msg ? [r.msg] : []))];
    if (provider === 'plivo') {
      const seq = texts.map((m) => m.sequenceNumber).filter((s) => s !== undefined);
      expect(seq).toEqual(seq.map((_, i) => i + 1));
      const media = texts.filter((m) => m.event === 'media').map((m) => m.media as Record<string, unknown>);
      expect(media.map((m) => m.chunk)).toEqual(media.map((_, i) => i + 1));
      const ts = media.map((m) => Number(m.timestamp));
      // Unix milliseconds, 20 ms apart
      expect(Math.abs(ts[0] - Date.now())).toBeLessThan(60_000);
      expect(ts.slice(1).map((t, i) => t - ts[i])).toEqual(ts.slice(1).map(() => 20));
    } else if (provider === 'exotel') {
      const seq = texts.map((m) => m.sequence_number).filter((s) => s !== undefined);
      expect(seq).toEqual(seq.map((_, i) => String(i + 1)));
      const media = texts.filter((m) => m.event === 'media').map((m) => m.media as Record<string, string>);
      media.forEach((m, i) => expect(m).toMatchObject({ chunk: String(i + 1), timestamp: String(i * 20) }));
    }
  });

  it('hears the caller: the envelope of its audio follows the SIPp pcap', () => {
    const reference = readPcapRtp(PCAP).flatMap((p) => Array.from(p.payloadType === 8 ? alawmulaw.alaw.decode(p.payload) : alawmulaw.mulaw.decode(p.payload)));
    const ref = rmsEnvelope(reference, 160);
    const got = rmsEnvelope(bot!.callerPcm, rate / 50);
    // Either may lead: the caller's first packets can beat the ACK that opens the route to the bot, the bot's
    // stream may start with paced silence, and a Plivo bot's first media is its handshake.
    const r = Math.max(bestLaggedCorrelation(ref, got, 100).r, bestLaggedCorrelation(got, ref, 10).r);
    expect(r).toBeGreaterThan(0.9);
  });

  it('is heard by the caller, and gets its marks back after playout (even with no audio after them), at once when idle', async () => {
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

  it('barge-in: the clear cuts playout within 100 ms and is answered as the provider does', async () => {
    const b = bot!;
    const { clearAt } = await script!;
    const long = toneArrivals(listener.packets, LONG_HZ);
    expect(long[long.length - 1] - clearAt).toBeLessThan(100);
    // about 1.6 s of the 3 s answer was heard
    expect(long.length).toBeGreaterThan(60);
    expect(long.length).toBeLessThan(100);
    const at = (name: string) => b.marks.find((m) => m.name === name)!.at;
    expect(at('part1')).toBeLessThan(clearAt);
    if (provider === 'jambonz') {
      expect(b.marks.map((m) => [m.name, m.how])).toEqual([
        ['greeting', 'playout'], ['idle', 'playout'], ['part1', 'playout'], ['part2', 'cleared'], ['part3', 'cleared'],
      ]);
      for (const pending of ['part2', 'part3']) expect(at(pending) - clearAt).toBeLessThan(500);
    } else {
      // Plivo drops unplayed checkpoints, Exotel unplayed marks, Vonage notifies whose audio never played.
      expect(b.marks.map((m) => m.name)).toEqual(['greeting', 'idle', 'part1']);
    }
    if (provider === 'plivo' || provider === 'vonage') {
      expect(b.clearAcks).toHaveLength(1);
      expect(b.clearAcks[0] - clearAt).toBeLessThan(1000);
    } else {
      expect(b.clearAcks).toEqual([]);
    }
  });

  it('gets the caller\'s DTMF', async () => {
    await waitFor(() => bot!.dtmf.length >= 2, { timeoutMs: 1000, onTimeout: 'resolve' });
    expect(bot!.dtmf).toEqual(['5', '#']);
  });
});
