/**
 * End-to-end DTMF: SIPp as the carrier presses keys (replaying SIPp's own RFC 4733 captures, and SIP INFO),
 * the bot receives each press once; the bot sends keys and a UDP listener in the caller's place checks the
 * RFC 4733 packets the bridge sends. Everything on 127.0.0.1.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BridgeProcess } from './harness/bridge-process.js';
import { runSipp, describeSipp } from './harness/sipp.js';
import { TestBotServer, type BotConnection } from './harness/test-bot.js';
import { RtpListener, type CapturedRtp } from './harness/rtp-listener.js';
import { reservePorts } from '../helpers/ports.js';
import { testConfig } from './harness/config.js';

const TE_PT = 101; // the payload type recorded in /usr/share/sip-tester/dtmf_2833_*.pcap, offered by the scenario

describe('DTMF: SIPp carrier <-> bridge <-> ws bot', () => {
  let bridge: BridgeProcess | undefined;
  let bots: TestBotServer | undefined;
  let listener: RtpListener | undefined;

  beforeEach(async () => {
    const rtpBase = await reservePorts(9);
    bots = await TestBotServer.start((c: BotConnection) => {
      c.ws.once('message', () => c.sendJson({ type: 'dtmf', digits: '19#', durationMs: 100 }));
    });
    bridge = new BridgeProcess(
      testConfig({
        rtpPortMin: rtpBase,
        rtpPortMax: rtpBase + 8,
        bots: { tester: `{ url: "${bots.url}", sampleRate: 8000, connectTimeoutMs: 2000 }` },
        numbers: { '+15550100': 'tester' },
        // SIPp replays pcaps from its own media port; keep sending to the SDP address (our listener).
        extraMedia: '  latching: off',
      }),
    );
    await bridge.start();
    listener = await RtpListener.start();
    target = { host: '127.0.0.1', port: bridge.sipPort() };
  });
  let target: { host: string; port: number };

  afterEach(async () => {
    await bridge?.stop();
    await bots?.close();
    listener?.close();
  });

  function dtmfEvents(bot: BotConnection): Array<Record<string, unknown>> {
    return bot.events.filter((e) => e.type === 'dtmf');
  }

  it('each RFC 4733 key press from SIPp reaches the bot once; bot keys go out as RFC 4733 packets', async () => {
    const run = await runSipp({
      scenario: 'uac-pcap-dtmf-all-keys-caller-hangup.xml',
      target,
      service: '+15550100',
      keys: { rtp_port: listener!.port },
    });
    expect(run.code, describeSipp(run)).toBe(0);
    const bot = await bots!.nextConnection();
    await bot.until(() => bot.closeCode !== undefined, 5000, 'socket close');

    // The trunk's default receive jitter buffer (adaptive, up to 200 ms) is announced in `start` by its bound.
    expect(bot.events[0]).toMatchObject({ type: 'start', media: { sampleRate: 8000, jitterBufferMs: 200, codec: 'PCMU' } });
    // SIPp's captures carry 7 updates and 3 end packets per key, duration 2240 at 8 kHz = 280 ms.
    expect(dtmfEvents(bot)).toEqual([...'1234567890*#'].map((digit) => ({ type: 'dtmf', digit, durationMs: 280 })));
    expect(bot.event('stop')).toMatchObject({ type: 'stop', reason: 'caller-hangup' });

    // The bot's "19#" as the caller's media port saw it.
    const te = listener!.packets.filter((p) => p.payloadType === TE_PT);
    const audio = listener!.packets.filter((p) => p.payloadType === 0);
    expect(audio.length).toBeGreaterThan(50);
    expect(new Set(listener!.packets.map((p) => p.ssrc)).size).toBe(1);
    const byTimestamp = new Map<number, CapturedRtp[]>();
    for (const p of te) byTimestamp.set(p.timestamp, [...(byTimestamp.get(p.timestamp) ?? []), p]);
    const keys = [...byTimestamp.values()];
    expect(keys.map((k) => k[0].payload[0])).toEqual([1, 9, 11]);
    for (const k of keys) {
      // 100 ms at 20 ms ptime: 5 packets with growing duration (the 5th with E), E repeated twice more.
      expect(k.map((p) => p.marker)).toEqual([true, false, false, false, false, false, false]);
      expect(k.map((p) => p.payload.readUInt16BE(2))).toEqual([160, 320, 480, 640, 800, 800, 800]);
      expect(k.map((p) => (p.payload[1] & 0x80) !== 0)).toEqual([false, false, false, false, true, true, true]);
      expect(k.every((p) => (p.payload[1] & 0x3f) === 10)).toBe(true);
    }
    // One sequence-number space with the audio, no gaps or repeats, and audio timestamps keep pace around keys.
    const all = listener!.packets;
    for (let i = 1; i < all.length; i++) expect((all[i].seq - all[i - 1].seq) & 0xffff).toBe(1);
    const firstKey = all.indexOf(keys[0][0]);
    const afterKey = all.findIndex((p, i) => i > firstKey && p.payloadType === 0);
    expect((all[afterKey].timestamp - keys[0][0].timestamp) >>> 0).toBe((afterKey - firstKey) * 160);
  }, 40_000);

  it('SIP INFO keys (dtmf-relay and dtmf) reach the bot once each; other INFO bodies are ignored', async () => {
    const run = await runSipp({
      scenario: 'uac-info-dtmf-caller-hangup.xml',
      target,
      service: '+15550100',
      keys: { rtp_port: listener!.port },
    });
    expect(run.code, describeSipp(run)).toBe(0);
    const bot = await bots!.nextConnection();
    await bot.until(() => bot.closeCode !== undefined, 5000, 'socket close');
    expect(dtmfEvents(bot)).toEqual([
      { type: 'dtmf', digit: '5', durationMs: 160 },
      { type: 'dtmf', digit: '#', durationMs: 100 },
    ]);
  }, 30_000);
});
