/**
 * MediaSession.switchCodec (re-INVITE codec change): real loopback UDP, the injected ManualClock for pacing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { codecRegistry, type AudioCodec } from '../../../src/media/codecs/index.js';
import { MediaSession } from '../../../src/media/media-session.js';
import { writeRtpPacket, RtpPortPool, type RtpSocket } from '../../../src/media/rtp/index.js';
import { FarEnd, LOOPBACK, decodeAll } from './helpers/far-end.js';
import { db, generateTone, goertzel, int16ToL16, l16ToInt16, ToneGenerator } from '../../helpers/audio.js';

const PCMU = codecRegistry.get('PCMU')!;
const PCMA = codecRegistry.get('PCMA')!;
const G722 = codecRegistry.get('G722')!;
const OPUS = codecRegistry.get('opus')!;

const pool = new RtpPortPool({ min: 30000 + 2 * Math.floor(Math.random() * 4000), max: 39998, host: LOOPBACK });


const cleanups: Array<() => void> = [];
afterEach(() => {
  cleanups.splice(0).forEach((f) => f());
});

async function setup(appSampleRate = 16000) {
  const clock = new ManualClock(1000);
  const far = await new FarEnd().bind();
  const socket: RtpSocket = await pool.allocate();
  const session = new MediaSession({
    clock,
    logger: silentLogger(),
    socket,
    codec: PCMU,
    payloadType: 0,
    remote: { address: LOOPBACK, port: far.port },
    ptimeMs: 20,
    appSampleRate,
    telephoneEvent: { payloadType: 101, clockRate: 8000 },
  });
  cleanups.push(() => {
    session.close();
    far.socket.close();
  });
  return { clock, far, socket, session };
}


describe('MediaSession.switchCodec, send side', () => {
  it.each([
    ['PCMA', PCMA, 8, 160],
    ['G722', G722, 9, 160], // 64 kbit/s: 160 bytes per 20 ms; RTP clock 8000 (RFC 3551 §4.5.2)
  ] as const)('PCMU → %s mid-call: same SSRC, seq and timestamps continue, marker on the first new packet, the tone decodes', async (_n, codec, pt, payloadBytes) => {
    const { session, far, clock } = await setup();
    // 600 ms of 440 Hz queued before the switch keeps playing after it; a mark at its end fires on time.
    session.playAudio(int16ToL16(generateTone(440, 16000, 600, { amplitude: 10000 })));
    const marks: number[] = [];
    session.on('mark', () => marks.push(clock.now()));
    session.mark('end');
    session.start(); // packet 0 at once
    for (let i = 0; i < 9; i++) clock.advance(20);
    await far.received(10);
    session.switchCodec({ codec, payloadType: pt, receivable: [], telephoneEvent: { payloadType: 101, clockRate: 8000 } });
    expect(session.codec).toEqual({ name: codec.name, payloadType: pt });
    expect(session.bufferedMs).toBe(400);
    for (let i = 0; i < 20; i++) clock.advance(20);
    await far.received(30);
    const pk = far.packets;
    expect(pk).toHaveLength(30);
    for (let i = 0; i < pk.length; i++) {
      const h = pk[i].header;
      expect(h.ssrc).toBe(pk[0].header.ssrc);
      expect(h.sequenceNumber).toBe((pk[0].header.sequenceNumber + i) & 0xffff);
      expect(h.timestamp).toBe((pk[0].header.timestamp + i * 160) >>> 0);
      expect(h.payloadType).toBe(i < 10 ? 0 : pt);
      expect(h.marker).toBe(i === 0 || i === 10);
      expect(pk[i].payload.length).toBe(i < 10 ? 160 : payloadBytes);
    }
    // The mark at the end of the 600 ms (30 packets) fired with the last packet of the tone.
    expect(marks).toEqual([1000 + 29 * 20]);
    const rate = codec.sampleRate;
    // Packets 14..27 (skip the new encoder's start-up), decoded by the new codec: the 440 Hz tone at full level.
    const pcm = decodeAll(codec, pk.slice(10, 30)).subarray((4 * rate) / 50, (18 * rate) / 50);
    const level = goertzel(pcm, rate, 440);
    expect(Math.abs(db(level, 10000))).toBeLessThan(1);
    expect(goertzel(pcm, rate, 640)).toBeLessThan(level / 30);
  });

  it('PCMU → opus: the timestamp moves on at 48 kHz from the switch (960 per 20 ms), seq continuous', async () => {
    const { session, far, clock } = await setup();
    session.playAudio(int16ToL16(generateTone(440, 16000, 400)));
    session.start();
    for (let i = 0; i < 4; i++) clock.advance(20);
    await far.received(5);
    session.switchCodec({ codec: OPUS, payloadType: 111, receivable: [] });
    for (let i = 0; i < 5; i++) clock.advance(20);
    await far.received(10);
    const h = far.packets.map((p) => p.header);
    expect(h.map((x) => x.payloadType)).toEqual([0, 0, 0, 0, 0, 111, 111, 111, 111, 111]);
    expect(h.map((x) => (x.sequenceNumber - h[0].sequenceNumber) & 0xffff)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(h.map((x) => (x.timestamp - h[0].timestamp) >>> 0)).toEqual([0, 160, 320, 480, 640, 800, 1760, 2720, 3680, 4640]);
    expect(h.map((x) => x.marker)).toEqual([true, false, false, false, false, true, false, false, false, false]);
    const dec = OPUS.createDecoder();
    const pcm = far.packets.slice(5).flatMap((p) => [...dec.decode(p.payload)]);
    expect(goertzel(pcm.slice(OPUS.sampleRate / 50), OPUS.sampleRate, 440)).toBeGreaterThan(3000);
  });

  it('DTMF keeps working after the switch, under the new telephone-event payload type', async () => {
    const { session, far, clock } = await setup(8000);
    session.start();
    clock.advance(20);
    await far.received(2);
    session.switchCodec({ codec: PCMA, payloadType: 8, receivable: [], telephoneEvent: { payloadType: 96, clockRate: 8000 } });
    session.sendDtmf('5', 100);
    for (let i = 0; i < 10; i++) clock.advance(20);
    await far.received(12);
    const dtmf = far.packets.filter((p) => p.header.payloadType === 96);
    expect(dtmf.length).toBeGreaterThan(4);
    expect(dtmf[0].payload[0]).toBe(5);
    expect(far.packets.some((p) => p.header.payloadType === 101)).toBe(false);
    // Without telephone-event in the new offer there is no DTMF to send.
    session.switchCodec({ codec: PCMU, payloadType: 0, receivable: [] });
    expect(session.canSendDtmf).toBe(false);
  });
});

describe('MediaSession.switchCodec, receive side', () => {
  it.each([
    ['PCMA', PCMA, 8],
    ['G722', G722, 9],
  ] as const)('after PCMU → %s the far end’s new-codec packets decode to the tone', async (_n, codec, pt) => {
    const { session, far, socket } = await setup();
    session.start();
    const frames: Buffer[] = [];
    session.on('frame', (f) => frames.push(f));
    const pcmu = PCMU.createEncoder();
    const toneU = new ToneGenerator(1000, 8000, 12000);
    let seq = 500;
    let ts = 8000;
    for (let i = 0; i < 5; i++, seq++, ts += 160) {
      await far.send(writeRtpPacket({ payloadType: 0, sequenceNumber: seq, timestamp: ts, ssrc: 77 }, pcmu.encode(toneU.next(160))), socket.port);
    }
    // Sent is not yet received: without this wait `before` could be 0 and the window below would straddle the
    // switch, where the old codec's tone (its own resampler delay) meets the new one's at another phase.
    await expect.poll(() => frames.length, { timeout: 2000 }).toBe(5);
    session.switchCodec({ codec, payloadType: pt, receivable: [] });
    const before = frames.length;
    const enc = codec.createEncoder();
    const tone = new ToneGenerator(1000, codec.sampleRate, 12000);
    const perPacket = (codec.sampleRate * 20) / 1000;
    for (let i = 0; i < 15; i++, seq++, ts += 160) {
      await far.send(writeRtpPacket({ payloadType: pt, sequenceNumber: seq, timestamp: ts, ssrc: 77, marker: i === 0 }, enc.encode(tone.next(perPacket))), socket.port);
    }
    await expect.poll(() => frames.length, { timeout: 2000 }).toBeGreaterThanOrEqual(before + 15);
    const pcm = l16ToInt16(Buffer.concat(frames.slice(before + 4, before + 15))); // 220 ms at 16 kHz
    const level = goertzel(pcm, 16000, 1000);
    expect(Math.abs(db(level, 12000))).toBeLessThan(1.5);
    expect(goertzel(pcm, 16000, 1500)).toBeLessThan(level / 30);
    expect(session.stats).toMatchObject({ packetsReceived: 20, packetsLost: 0, packetsIgnored: 0 });
  });
});
