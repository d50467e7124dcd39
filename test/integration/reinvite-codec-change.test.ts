/**
 * End-to-end codec change by re-INVITE: SIPp calls offering PCMU, then re-INVITEs offering only PCMA and plays
 * the g711a.pcap; the real bridge process answers the re-INVITE with PCMA, decodes the caller's PCMA for the
 * ws bot, and switches its own RTP (the bot's tone) to PT 8 in the same stream. Everything on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import alawmulaw from 'alawmulaw';
import { BridgeProcess } from './harness/bridge-process.js';
import { runSipp, describeSipp } from './harness/sipp.js';
import { TestBotServer, type BotConnection } from './harness/test-bot.js';
import { RtpListener, expectPacedStream } from './harness/rtp-listener.js';
import { reservePorts } from '../helpers/ports.js';
import { testConfig } from './harness/config.js';
import { readPcapRtp } from './harness/pcap.js';
import { bestLaggedCorrelation, goertzelAmplitude, l16, rmsEnvelope, sineL16 } from './harness/signal.js';

const PCAP = '/usr/share/sip-tester/g711a.pcap';
const BOT_RATE = 16000;
const TONE_HZ = 1000;

let bridge: BridgeProcess;
let bots: TestBotServer;
let sipPort: number;

beforeAll(async () => {
  const rtpBase = await reservePorts(8);
  bots = await TestBotServer.start((c: BotConnection) => {
    // After `start`, 4 s of a 1 kHz tone: queued before the re-INVITE, still playing after it.
    c.ws.once('message', () => c.sendPcm(sineL16(TONE_HZ, BOT_RATE, 4000)));
  });
  bridge = new BridgeProcess(
    testConfig({
      rtpPortMin: rtpBase,
      rtpPortMax: rtpBase + 7,
      bots: { tester: `{ url: "${bots.url}", sampleRate: ${BOT_RATE}, connectTimeoutMs: 2000 }` },
      numbers: { '+15550100': 'tester' },
      // SIPp plays the pcap from its own media port; keep sending to the port the SDP names (our listener).
      extraMedia: '  latching: off',
    }),
  );
  await bridge.start();
  sipPort = bridge.sipPort();
});

afterAll(async () => {
  await bridge?.stop();
  await bots?.close();
});

describe('re-INVITE codec change with SIPp', () => {
  it('PCMU call re-offered as PCMA only: 200 selects PCMA, the bot hears the caller, our RTP switches to PT 8 in one stream', async () => {
    const listener = await RtpListener.start();
    try {
      const run = await runSipp({
        scenario: 'uac-reinvite-codec-change.xml',
        target: { host: '127.0.0.1', port: sipPort },
        service: '+15550100',
        keys: { rtp_port: listener.port },
        args: ['-d', '2500'],
        timeoutMs: 20_000,
      });
      expect(run.code, describeSipp(run)).toBe(0);

      // The first 200 selects PCMU, the 200 to the re-INVITE PCMA, with the o= version moved on.
      const oks = run.messages.split('SIP/2.0 200 OK').slice(1);
      expect(oks[0]).toMatch(/m=audio \d+ RTP\/AVP 0 101/);
      expect(oks[1]).toMatch(/m=audio \d+ RTP\/AVP 8 101/);
      expect(oks[1]).toMatch(/a=rtpmap:8 PCMA\/8000/);
      const version = (sdp: string) => Number(/^o=\S+ \S+ (\d+)/m.exec(sdp)?.[1]);
      expect(version(oks[1])).toBe(version(oks[0]) + 1);
      await bridge.waitForLog((l) => l.msg === 'media codec switched' && typeof l.callId === 'string', 5000);

      // The caller's PCMA (sent only after the switch) reached the bot: its envelope follows the pcap's and its
      // level matches the A-law decode of the pcap (μ-law decoding of those bytes would be far off).
      const bot = await bots.nextConnection();
      await bot.until(() => bot.closeCode !== undefined, 5000, 'socket close');
      const got = l16(Buffer.concat(bot.frames));
      expect(got.length).toBeGreaterThan(BOT_RATE * 2);
      const reference = readPcapRtp(PCAP).flatMap((p) => Array.from(alawmulaw.alaw.decode(p.payload)));
      const refEnv = rmsEnvelope(reference, 160).slice(0, 100); // the pcap's first 2 s, 20 ms blocks
      const gotEnv = rmsEnvelope(got, BOT_RATE / 50);
      const { r, lag } = bestLaggedCorrelation(refEnv, gotEnv, 50);
      expect(r).toBeGreaterThan(0.9);
      const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
      const ratioDb = 20 * Math.log10(mean(gotEnv.slice(lag, lag + refEnv.length)) / mean(refEnv));
      expect(Math.abs(ratioDb)).toBeLessThan(2);

      // Our RTP: PCMU, then PCMA from one packet on, in one stream (SSRC kept, no sequence gap, marker there).
      const pk = listener.packets;
      const firstA = pk.findIndex((p) => p.payloadType === 8);
      expect(firstA).toBeGreaterThan(20); // ~1 s of PCMU first
      expect(pk.slice(0, firstA).every((p) => p.payloadType === 0)).toBe(true);
      expect(pk.slice(firstA).every((p) => p.payloadType === 8)).toBe(true);
      expect(pk.length - firstA).toBeGreaterThan(50);
      expect(new Set(pk.map((p) => p.ssrc)).size).toBe(1);
      expectPacedStream(pk, () => 160, expect);
      expect(pk[firstA].marker).toBe(true);
      // The bot's tone, queued before the switch, goes on in A-law after it.
      const after = pk.slice(firstA + 2, firstA + 27).flatMap((p) => Array.from(alawmulaw.alaw.decode(p.payload))); // 500 ms
      const level = goertzelAmplitude(after, 8000, TONE_HZ);
      expect(level).toBeGreaterThan(5000);
      expect(goertzelAmplitude(after, 8000, 600)).toBeLessThan(level / 20);
    } finally {
      listener.close();
    }
  }, 30_000);
});
