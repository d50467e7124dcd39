/**
 * End-to-end audio quality with a real softphone: baresip calls the bridge offering one codec at a time and
 * plays a 1 kHz tone; a ws bot (8 or 16 kHz) checks it arrives at the right frequency and level, and plays a
 * 600 Hz tone back, which baresip decodes and records for the test to check. Everything on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeProcess } from './harness/bridge-process.js';
import { TestBotServer, type BotConnection } from './harness/test-bot.js';
import { reservePorts } from '../helpers/ports.js';
import { testConfig } from './harness/config.js';
import { baresipCall } from './harness/baresip.js';
import { goertzelAmplitude, l16, sineL16, strongestWindow } from './harness/signal.js';

const CALLER_HZ = 1000;
const CALLER_AMP = 8000;
const BOT_HZ = 600;
const BOT_AMP = 6000;
const SECONDS = 3;


const dB = (a: number, ref: number): number => 20 * Math.log10(a / ref);

describe('baresip softphone <-> bridge <-> ws bot: tones both ways per codec', () => {
  let bridge: BridgeProcess;
  let bots: TestBotServer;
  let sipPort: number;

  beforeAll(async () => {
    const rtpBase = await reservePorts(17);
    bots = await TestBotServer.start((c: BotConnection) => {
      c.ws.once('message', (data) => {
        const start = JSON.parse(String(data)) as { media: { sampleRate: number } };
        const tone = sineL16(BOT_HZ, start.media.sampleRate, (SECONDS + 1) * 1000, BOT_AMP);
        for (let off = 0; off < tone.length; off += 4000) c.sendPcm(tone.subarray(off, off + 4000));
      });
    });
    bridge = new BridgeProcess(
      testConfig({
        rtpPortMin: rtpBase,
        rtpPortMax: rtpBase + 16,
        bots: {
          bot8: `{ url: "${bots.url}", sampleRate: 8000, connectTimeoutMs: 2000 }`,
          bot16: `{ url: "${bots.url}", sampleRate: 16000, connectTimeoutMs: 2000 }`,
        },
        numbers: { '+15550108': 'bot8', '+15550116': 'bot16' },
        extraMedia: '  codecs: [opus, G722, PCMU, PCMA]',
        trunkExtra: '    srtp: optional\n', // plain offers stay plain; baresip's srtp-mand offers get SRTP
      }),
    );
    await bridge.start();
    sipPort = bridge.sipPort();
  });

  afterAll(async () => {
    await bridge?.stop();
    await bots?.close();
  });

  it.each([
    ['PCMU/8000/1', 'PCMU', 8000, 'RTP'],
    ['PCMA/8000/1', 'PCMA', 16000, 'RTP'],
    ['G722/16000/1', 'G722', 16000, 'RTP'],
    ['G722/16000/1', 'G722', 8000, 'RTP'],
    ['opus/48000/2', 'opus', 16000, 'RTP'],
    ['opus/48000/2', 'opus', 8000, 'RTP'],
    ['PCMU/8000/1', 'PCMU', 8000, 'SRTP'],
    ['G722/16000/1', 'G722', 16000, 'SRTP'],
  ] as const)('%s with a %s call to a %i Hz bot over %s', async (baresipCodec, codec, botRate, transport) => {
    const before = bots.connections.length;
    const srtp = transport === 'SRTP';
    const call = await baresipCall({
      // baresip's srtp module, mandatory: it offers RTP/SAVP with a=crypto and refuses a plain answer.
      ...(srtp ? { modules: ['srtp.so'], accountParams: ';mediaenc=srtp-mand' } : {}),
      target: { host: '127.0.0.1', port: sipPort },
      user: botRate === 8000 ? '+15550108' : '+15550116',
      codec: baresipCodec,
      source: { pcm: new Int16Array(l16(sineL16(CALLER_HZ, 48000, (SECONDS + 1) * 1000, CALLER_AMP)).buffer), sampleRate: 48000 },
      seconds: SECONDS,
    });
    expect(call.output).toMatch(/Call established/);
    expect(bots.connections.length).toBe(before + 1);
    const bot = bots.connections[before];
    await bot.until(() => bot.closeCode !== undefined, 5000, 'socket close');
    expect(bot.events[0]).toMatchObject({ type: 'start', media: { sampleRate: botRate, codec } });
    const stop = bot.event('stop') as { reason: string; quality: { packetsReceived: number; packetsLost: number; jitterMs: number; rttMs?: number } };
    expect(stop).toMatchObject({ type: 'stop', reason: 'caller-hangup' });
    // loopback: nothing lost, little jitter; baresip's 20 ms packets for SECONDS
    expect(stop.quality.packetsLost).toBe(0);
    expect(stop.quality.packetsReceived).toBeGreaterThan(SECONDS * 40);
    expect(stop.quality.jitterMs).toBeLessThan(10);

    // caller -> bot: 1 kHz at the level baresip sent, nothing at neighbouring frequencies
    const heard = l16(Buffer.concat(bot.frames));
    expect(heard.length).toBeGreaterThan(botRate * 1.5);
    const up = strongestWindow(heard, botRate, CALLER_HZ, Math.round(botRate * 0.4), Math.round(botRate * 0.1));
    expect(Math.abs(dB(up.level, CALLER_AMP))).toBeLessThan(2);
    for (const hz of [600, 1500, 2500]) expect(goertzelAmplitude(up.win, botRate, hz)).toBeLessThan(up.level / 30);

    // bot -> caller: baresip decoded a 600 Hz tone at the bot's level
    const { pcm, sampleRate } = call.received;
    expect(sampleRate).toBe(codec === 'PCMU' || codec === 'PCMA' ? 8000 : codec === 'G722' ? 16000 : 48000);
    const down = strongestWindow(pcm, sampleRate, BOT_HZ, Math.round(sampleRate * 0.4), Math.round(sampleRate * 0.1));
    expect(Math.abs(dB(down.level, BOT_AMP))).toBeLessThan(2);
    for (const hz of [1000, 900, 1800]) expect(goertzelAmplitude(down.win, sampleRate, hz)).toBeLessThan(down.level / 30);

    // the bridge answered with the codec baresip offered and sent RTP to loopback only
    const negotiated = bridge.logs.filter((l) => l.msg === 'media negotiated').at(-1)!;
    expect(negotiated).toMatchObject({ codec, remote: { address: '127.0.0.1' }, srtp: srtp ? 'AES_CM_128_HMAC_SHA1_80' : 'none' });
    if (srtp) {
      expect(call.output).toMatch(/srtp/i);
      // SRTP authenticated every packet both ways: nothing dropped as a forgery or replay
      expect(bridge.logs.some((l) => l.msg === 'SRTP packet dropped')).toBe(false);
    }
  }, 30_000);
});
