import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, type Clock, type TimerHandle } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { codecRegistry, type AudioCodec } from '../../../src/media/codecs/index.js';
import { MediaSession, type MediaSessionOptions } from '../../../src/media/media-session.js';
import { writeRtpPacket, RtpPortPool, type RtpSocket } from '../../../src/media/rtp/index.js';
import { FarEnd, LOOPBACK, decodeAll } from './helpers/far-end.js';
import { db, generateTone, goertzel, int16ToL16, l16ToInt16, ToneGenerator } from '../../helpers/audio.js';
import { waitFor } from '../../helpers/wait-for.js';

const PCMU = codecRegistry.get('PCMU')!;
const PCMA = codecRegistry.get('PCMA')!;

const pool = new RtpPortPool({ min: 30000 + 2 * Math.floor(Math.random() * 4000), max: 39998, host: LOOPBACK });


/** A clock whose single pending timer fires only when the test says, at a time of its choosing (a late timer). */
class StallingClock implements Clock {
  private t = 0;
  private pending: { fn: () => void; at: number } | undefined;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const entry = { fn, at: this.t + ms };
    this.pending = entry;
    return { cancel: () => { if (this.pending === entry) this.pending = undefined; } };
  }
  get dueAt(): number | undefined {
    return this.pending?.at;
  }
  fireAt(t: number): void {
    const p = this.pending!;
    this.pending = undefined;
    this.t = t;
    p.fn();
  }
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  cleanups.splice(0).forEach((f) => f());
});

async function setup<C extends Clock = ManualClock>(overrides: Partial<MediaSessionOptions> & { clock?: C } = {}, codec: AudioCodec = PCMU) {
  const clock = (overrides.clock ?? new ManualClock(1000)) as C;
  const far = await new FarEnd().bind();
  const socket: RtpSocket = await pool.allocate();
  const session = new MediaSession({
    logger: silentLogger(),
    socket,
    codec,
    payloadType: codec.staticPayloadType!,
    remote: { address: LOOPBACK, port: far.port },
    ptimeMs: 20,
    appSampleRate: 16000,
    ...overrides,
    clock,
  });
  cleanups.push(() => {
    session.close();
    far.socket.close();
  });
  return { clock, far, socket, session };
}

function collectFrames(session: MediaSession, n: number): Promise<Buffer[]> {
  const frames: Buffer[] = [];
  return new Promise((resolve) => {
    session.on('frame', (f) => {
      frames.push(f);
      if (frames.length === n) resolve(frames);
    });
  });
}

function concat(arrays: Int16Array[]): Int16Array {
  const out = new Int16Array(arrays.reduce((s, a) => s + a.length, 0));
  let o = 0;
  for (const a of arrays) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

describe('MediaSession receive path', () => {
  it.each([
    ['PCMU', 20, 16000, PCMU],
    ['PCMA', 30, 16000, PCMA], // SIPp's g711a.pcap sends 30 ms A-law packets
    ['PCMU', 60, 24000, PCMU],
    ['PCMA', 10, 8000, PCMA],
  ] as const)('%s in %i ms packets → exact 20 ms frames of a 1 kHz tone at %i Hz', async (_n, packetMs, appRate, codec) => {
    const { session, far, socket } = await setup({ appSampleRate: appRate }, codec);
    session.start();
    const totalMs = 360;
    const frames = collectFrames(session, totalMs / 20);
    const enc = codec.createEncoder();
    const tone = new ToneGenerator(1000, 8000, 12000);
    const perPacket = (8000 * packetMs) / 1000;
    for (let i = 0; i < totalMs / packetMs; i++) {
      const payload = enc.encode(tone.next(perPacket));
      await far.send(writeRtpPacket({ payloadType: codec.staticPayloadType!, sequenceNumber: 100 + i, timestamp: i * perPacket, ssrc: 42 }, payload), socket.port);
    }
    const got = await frames;
    expect(got.every((f) => f.length === (appRate * 20 * 2) / 1000)).toBe(true);
    const pcm = l16ToInt16(Buffer.concat(got));
    const win = pcm.subarray(appRate / 10, appRate / 10 + appRate / 5); // skip filter start-up, 200 ms window
    const level = goertzel(win, appRate, 1000);
    expect(Math.abs(db(level, 12000))).toBeLessThan(1);
    expect(goertzel(win, appRate, 1500)).toBeLessThan(level / 100);
    expect(goertzel(win, appRate, 500)).toBeLessThan(level / 100);
    expect(session.stats).toMatchObject({ packetsReceived: totalMs / packetMs, packetsLost: 0, packetsIgnored: 0 });
  });

  it('ignores other payload types and non-RTP datagrams, counts loss, drops duplicates', async () => {
    const { session, far, socket } = await setup({ appSampleRate: 8000 });
    session.start();
    const frames = collectFrames(session, 2);
    const payload = Buffer.alloc(160, 0xff);
    await far.send(Buffer.from('not rtp at all'), socket.port);
    await far.send(writeRtpPacket({ payloadType: 101, sequenceNumber: 1, timestamp: 0, ssrc: 7 }, Buffer.from([1, 0, 0, 160])), socket.port);
    await far.send(writeRtpPacket({ payloadType: 0, sequenceNumber: 10, timestamp: 0, ssrc: 7 }, payload), socket.port);
    await far.send(writeRtpPacket({ payloadType: 0, sequenceNumber: 10, timestamp: 0, ssrc: 7 }, payload), socket.port); // duplicate
    await far.send(writeRtpPacket({ payloadType: 0, sequenceNumber: 13, timestamp: 480, ssrc: 7 }, payload), socket.port); // 11, 12 lost
    const got = await frames;
    expect(got).toHaveLength(2);
    // RFC 3550 A.3: lost = expected (10..13: 4) − received (3, the duplicate included) = 1; the duplicate masks one loss.
    expect(session.stats).toMatchObject({ packetsReceived: 3, packetsIgnored: 3, packetsLost: 1 });
  });
});

/** Decodes what the far end got into one PCM stream at 8 kHz. */

describe('MediaSession send path', () => {
  it.each([
    ['PCMU', 16000, PCMU],
    ['PCMA', 24000, PCMA],
    ['PCMU', 8000, PCMU],
  ] as const)('%s: a 440 Hz tone at %i Hz leaves as paced RTP with consecutive seq, ts +160, one SSRC, marker first', async (_n, appRate, codec) => {
    const { session, far, clock } = await setup({ appSampleRate: appRate }, codec);
    session.playAudio(int16ToL16(generateTone(440, appRate, 300, { amplitude: 10000 })));
    session.start(); // sends packet 0 at once
    for (let i = 0; i < 14; i++) clock.advance(20);
    await far.received(15);
    const pk = far.packets;
    expect(pk).toHaveLength(15);
    expect(session.stats.packetsSent).toBe(15);
    expect(session.stats.bytesSent).toBe(15 * 172);
    for (let i = 0; i < pk.length; i++) {
      const h = pk[i].header;
      expect(h.payloadType).toBe(codec.staticPayloadType);
      expect(h.ssrc).toBe(pk[0].header.ssrc);
      expect(h.sequenceNumber).toBe((pk[0].header.sequenceNumber + i) & 0xffff);
      expect(h.timestamp).toBe((pk[0].header.timestamp + i * 160) >>> 0);
      expect(h.marker).toBe(i === 0);
      expect(pk[i].payload.length).toBe(160);
    }
    const pcm = decodeAll(codec, pk).subarray(400, 2000); // 200 ms, whole cycles of 440 Hz (88)
    const level = goertzel(pcm, 8000, 440);
    expect(Math.abs(db(level, 10000))).toBeLessThan(1);
    expect(goertzel(pcm, 8000, 640)).toBeLessThan(level / 50);
  });

  it('fills idle time with silence and marks the first packet of each talkspurt', async () => {
    const { session, far, clock } = await setup({ appSampleRate: 8000 });
    session.start(); // idle: silence packet with the first-packet marker
    clock.advance(20);
    session.playAudio(int16ToL16(generateTone(440, 8000, 40)));
    // (times from start) The audio arrived at +20, just after a silence packet: it leaves at once, then +40; the
    // +60 slot finds the queue dry and waits a ptime for more audio; silence again at +80.
    clock.advance(20);
    clock.advance(20);
    clock.advance(20);
    clock.advance(20);
    await far.received(5);
    expect(far.packets.map((p) => p.header.marker)).toEqual([true, false, true, false, false]);
    expect([...far.packets[0].payload].every((b) => b === 0xff)).toBe(true); // μ-law silence
    expect([...far.packets[4].payload].every((b) => b === 0xff || b === 0x7f || b === 0xfe || b === 0x7e)).toBe(true);
  });

  it("idleFill 'none' sends nothing when idle but keeps timestamps on the wall clock", async () => {
    const { session, far, clock } = await setup({ appSampleRate: 8000, idleFill: 'none' });
    session.start();
    clock.advance(40); // 3 idle slots
    session.playAudio(int16ToL16(generateTone(440, 8000, 40)));
    clock.advance(20);
    clock.advance(20);
    await far.received(2);
    clock.advance(100);
    expect(session.stats.packetsSent).toBe(2);
    const [a, b] = far.packets;
    expect(a.header.marker).toBe(true);
    expect(b.header.marker).toBe(false);
    expect(b.header.sequenceNumber).toBe((a.header.sequenceNumber + 1) & 0xffff);
    expect(b.header.timestamp - a.header.timestamp).toBe(160);
  });

  it('paces drift-free at start + n·ptime whatever the timer granularity', async () => {
    const { session, far, clock } = await setup({ appSampleRate: 8000 });
    session.start();
    for (let i = 0; i < 100; i++) clock.advance(7); // 700 ms in uneven steps
    expect(session.stats.packetsSent).toBe(Math.floor(700 / 20) + 1);
    await far.received(36);
    const seqs = far.packets.map((p) => p.header.sequenceNumber);
    expect(seqs.every((s, i) => i === 0 || s === ((seqs[i - 1] + 1) & 0xffff))).toBe(true);
  });

  it('catches up when a timer fires late, and skips slots after a long stall', async () => {
    const clock = new StallingClock();
    const { session, far } = await setup({ appSampleRate: 8000, clock });
    session.start(); // t=0: packet 0, next due at 20
    expect(clock.dueAt).toBe(20);
    clock.fireAt(75); // late: slots 20, 40, 60 are due → 3 packets back to back
    expect(session.stats.packetsSent).toBe(4);
    expect(clock.dueAt).toBe(80); // back on the grid, not 75 + 20
    clock.fireAt(80);
    expect(session.stats.packetsSent).toBe(5);
    clock.fireAt(500); // a 420 ms stall: 21 slots due, the 3 less than 60 ms late sent, the rest skipped
    expect(session.stats.packetsSent).toBe(8);
    expect(clock.dueAt).toBe(520);
    await far.received(8);
    const ts = far.packets.map((p) => p.header.timestamp - far.packets[0].header.timestamp);
    // Timestamps follow the slots actually used: 0..80 ms, then the last three slots before 500 ms.
    expect(ts).toEqual([0, 160, 320, 480, 640, 460 * 8, 480 * 8, 500 * 8]);
  });

  it("counts the bot audio a stall's dropped slots took with them in its stats, by reason", async () => {
    const clock = new StallingClock();
    const { session } = await setup({ appSampleRate: 8000, clock });
    session.playAudio(int16ToL16(new Int16Array(8000).fill(3000))); // 1 s of audio queued
    session.start(); // t=0: the first packet
    expect(session.stats.playoutDroppedMs).toEqual({ late: 0, backlog: 0, overflow: 0 });
    clock.fireAt(500); // late while talking: I/O gets a turn first
    clock.fireAt(500); // slots 20..500 due: 440 ms of them 60 ms late or more go with their audio
    expect(session.stats.packetsSent).toBe(4);
    expect(session.stats.playoutDroppedMs).toEqual({ late: 440, backlog: 0, overflow: 0 });
    expect(session.bufferedMs).toBe(1000 - 80 - 440);
  });

  it('clear() reports how much was played; marks fire when playback passes them', async () => {
    const { session, far, clock } = await setup({ appSampleRate: 16000 });
    const marks: string[] = [];
    session.on('mark', (m) => marks.push(m));
    session.mark('before-audio'); // nothing queued: fires at once
    expect(marks).toEqual(['before-audio']);
    session.playAudio(int16ToL16(generateTone(440, 16000, 100)));
    session.mark('after-100ms');
    session.playAudio(int16ToL16(generateTone(440, 16000, 1000)));
    session.mark('after-1100ms');
    session.start(); // packet 1 (0–20 ms)
    for (let i = 0; i < 3; i++) clock.advance(20); // 80 ms played
    expect(marks).toEqual(['before-audio']);
    clock.advance(20); // 100 ms
    expect(marks).toEqual(['before-audio', 'after-100ms']);
    clock.advance(20); // 120 ms
    expect(session.bufferedMs).toBe(980);
    expect(session.clear()).toMatchObject({ playedMs: 120, lastMark: 'after-100ms', discardedMarks: ['after-1100ms'] });
    clock.advance(40);
    expect(marks).toEqual(['before-audio', 'after-100ms']);
    await far.received(8);
  });

  it('keeps an odd trailing byte of L16 for the next chunk', async () => {
    const { session, far, clock } = await setup({ appSampleRate: 8000 });
    const bytes = int16ToL16(generateTone(440, 8000, 100, { amplitude: 10000 }));
    // Feed in 3-byte pieces: every other piece ends mid-sample.
    for (let i = 0; i < bytes.length; i += 3) session.playAudio(bytes.subarray(i, i + 3));
    session.start();
    for (let i = 0; i < 4; i++) clock.advance(20);
    await far.received(5);
    const pcm = decodeAll(PCMU, far.packets).subarray(0, 800);
    const level = goertzel(pcm.subarray(0, 792), 8000, 440);
    expect(Math.abs(db(level, 10000))).toBeLessThan(1);
  });

  it('latches the send target to the source of incoming RTP (symmetric RTP), once', async () => {
    const { session, far, socket, clock } = await setup({ appSampleRate: 8000, remote: { address: LOOPBACK, port: 9 } });
    const other = await new FarEnd().bind();
    cleanups.push(() => other.socket.close());
    session.start();
    await far.send(writeRtpPacket({ payloadType: 0, sequenceNumber: 1, timestamp: 0, ssrc: 5 }, Buffer.alloc(160, 0xff)), socket.port);
    await new Promise<void>((resolve) => session.once('frame', () => resolve()));
    expect(session.remote).toEqual({ address: LOOPBACK, port: far.port });
    await other.send(writeRtpPacket({ payloadType: 0, sequenceNumber: 1, timestamp: 0, ssrc: 6 }, Buffer.alloc(160, 0xff)), socket.port);
    // Another source after latching: ignored and counted, never played.
    await waitFor(() => (session.stats.foreign?.wrongSource === 1 ? true : undefined));
    expect(session.stats.packetsReceived).toBe(1);
    expect(session.remote.port).toBe(far.port); // not hijacked by a second source
    clock.advance(20);
    await far.received(1);
    expect(other.packets).toHaveLength(0);
  });

  it('STUN, DTLS and stray datagrams on the RTP port are counted by kind (RFC 7983), not decoded, and do not latch', async () => {
    const { session, far, socket } = await setup({ appSampleRate: 8000, remote: { address: LOOPBACK, port: 9 } });
    session.start();
    const stunBinding = Buffer.concat([Buffer.from([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]), Buffer.alloc(12, 7)]);
    const dtlsHello = Buffer.from([0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    for (const d of [stunBinding, stunBinding, dtlsHello, Buffer.from([0x50, 1, 2, 3]), Buffer.from([0xff, 0xff])]) await far.send(d, socket.port);
    await waitFor(() => (session.stats.packetsIgnored === 5 ? true : undefined));
    expect(session.stats.foreign).toEqual({ stun: 2, dtls: 1, unknown: 2, wrongSource: 0 });
    expect(session.stats.packetsReceived).toBe(0);
    expect(session.remote.port).toBe(9);
  });

  it.each([
    ['off', 9],
    ['same-ip', 'far'],
  ] as const)('with latching %s keeps or moves the send target as configured', async (latching, expected) => {
    const { session, far, socket } = await setup({ appSampleRate: 8000, remote: { address: LOOPBACK, port: 9 }, latching });
    session.start();
    await far.send(writeRtpPacket({ payloadType: 0, sequenceNumber: 1, timestamp: 0, ssrc: 5 }, Buffer.alloc(160, 0xff)), socket.port);
    await new Promise<void>((resolve) => session.once('frame', () => resolve()));
    expect(session.remote.port).toBe(expected === 'far' ? far.port : 9);
  });

  it('a destination the socket refuses (port 0) is logged, not thrown, and sending goes on being attempted', async () => {
    const { session, clock } = await setup({ appSampleRate: 8000, remote: { address: LOOPBACK, port: 0 } });
    session.start();
    expect(() => clock.advance(200)).not.toThrow();
    expect(session.stats.packetsSent).toBe(0);
  });

  it('sends to an IPv4 peer from a dual-stack IPv6 socket', async () => {
    const v6pool = new RtpPortPool({ min: 30000 + 2 * Math.floor(Math.random() * 4000), max: 39998, host: '::' });
    const far = await new FarEnd().bind();
    const socket = await v6pool.allocate();
    const session = new MediaSession({
      clock: new ManualClock(), logger: silentLogger(), socket, codec: PCMU, payloadType: 0,
      remote: { address: LOOPBACK, port: far.port }, ptimeMs: 20, appSampleRate: 8000,
    });
    cleanups.push(() => {
      session.close();
      far.socket.close();
    });
    session.start();
    await far.received(1);
    expect(far.packets[0].header.payloadType).toBe(0);
  });

  it("emits 'rtp-timeout' once when RTP stops", async () => {
    const { session, clock } = await setup({ appSampleRate: 8000, rtpTimeoutMs: 100 });
    let fired = 0;
    session.on('rtp-timeout', () => fired++);
    session.start();
    clock.advance(80);
    expect(fired).toBe(0);
    clock.advance(40);
    expect(fired).toBe(1);
    clock.advance(400);
    expect(fired).toBe(1);
  });

  it('hold (setDirection): no RTP timeout while the far end is not meant to send, re-armed on resume; recvonly sends nothing', async () => {
    const { session, clock } = await setup({ appSampleRate: 8000, rtpTimeoutMs: 100 });
    let fired = 0;
    session.on('rtp-timeout', () => fired++);
    session.start();
    session.setDirection('sendonly'); // the caller put us on hold: it sends nothing
    clock.advance(1000);
    expect(fired).toBe(0);
    session.setDirection('inactive');
    const sent = session.stats.packetsSent;
    clock.advance(1000);
    expect(fired).toBe(0);
    expect(session.stats.packetsSent).toBe(sent);
    session.setDirection('sendrecv'); // resumed: the timeout counts from here
    clock.advance(80);
    expect(fired).toBe(0);
    expect(session.stats.packetsSent).toBeGreaterThan(sent);
    clock.advance(40);
    expect(fired).toBe(1);
  });

  it('close() stops timers, frees the port, and is safe twice', async () => {
    const { session, clock, socket } = await setup({ appSampleRate: 8000 });
    session.start();
    clock.advance(40);
    const inUse = pool.inUse();
    session.close();
    session.close();
    expect(clock.pending()).toBe(0);
    expect(pool.inUse()).toBe(inUse - 1);
    const sent = session.stats.packetsSent;
    clock.advance(100);
    expect(session.stats.packetsSent).toBe(sent);
    expect(() => socket.socket.address()).toThrow();
  });
});

/** Lets queued I/O callbacks (UDP delivery on loopback) run until `pred` holds. */
async function until(pred: () => boolean, what: string): Promise<void> {
  await waitFor(pred, { timeoutMs: 2000, intervalMs: 1, what });
}

describe('MediaSession jitter buffer', () => {
  it('reorders, waits the target delay on the injected clock and conceals a lost packet', async () => {
    const { session, far, socket, clock } = await setup({ appSampleRate: 8000, jitterBufferMs: 40 });
    const frames: Int16Array[] = [];
    session.on('frame', (f) => frames.push(l16ToInt16(f)));
    session.start();
    const enc = PCMU.createEncoder();
    // Packet i carries a constant level (i+1)·1000, so each played frame says which packet it came from.
    const packet = (i: number) =>
      writeRtpPacket({ payloadType: 0, sequenceNumber: 500 + i, timestamp: 8000 + i * 160, ssrc: 3 }, enc.encode(new Int16Array(160).fill((i + 1) * 1000)));
    for (const i of [0, 2, 1, 4]) await far.send(packet(i), socket.port); // 3 lost, 1 and 2 swapped
    await until(() => session.stats.packetsReceived === 4, 'packets');
    expect(frames).toHaveLength(0); // nothing before the 40 ms target
    const levels: number[] = [];
    for (let t = 0; t < 5; t++) {
      clock.advance(20);
      levels.push(...frames.splice(0).map((f) => Math.round(f.reduce((s, v) => s + v, 0) / f.length / 100) * 100));
    }
    // t+20: nothing; t+40: packet 0; +60: 1; +80: 2; +100: packet 3 concealed (packet 2 at half level); +120: 4.
    expect(levels).toEqual([1000, 2000, 3000, 1500]);
    clock.advance(20);
    expect(frames).toHaveLength(1);
    expect(Math.abs(frames[0][0] - 5000)).toBeLessThan(200); // μ-law step near 5000
    expect(session.jitterStats).toMatchObject({ concealed: 160, late: 0, duplicates: 0 });
  });

  it('plays each packet with its own audio while queued packets reuse the storage of played ones (reordered pairs, 30 packets)', async () => {
    const { session, far, socket, clock } = await setup({ appSampleRate: 8000, jitterBufferMs: 40 });
    const frames: Int16Array[] = [];
    session.on('frame', (f) => frames.push(l16ToInt16(f)));
    session.start();
    const enc = PCMU.createEncoder();
    const level = (i: number) => ((i % 7) + 1) * 1000 * (i % 2 === 0 ? 1 : -1);
    const packet = (i: number) => writeRtpPacket({ payloadType: 0, sequenceNumber: 900 + i, timestamp: 4000 + i * 160, ssrc: 9 }, enc.encode(new Int16Array(160).fill(level(i))));
    const levels: number[] = [];
    for (let i = 0; i < 30; i += 2) {
      for (const k of i === 0 ? [0, 1] : [i + 1, i]) await far.send(packet(k), socket.port); // later pairs swapped (the first anchors the buffer)
      await until(() => session.stats.packetsReceived === i + 2, 'packets');
      clock.advance(40); // two packets' time: the buffer holds about two, so played packets are reused
      levels.push(...frames.splice(0).map((f) => Math.round(f.reduce((s, v) => s + v, 0) / f.length / 1000) * 1000));
    }
    clock.advance(80);
    levels.push(...frames.splice(0).map((f) => Math.round(f.reduce((s, v) => s + v, 0) / f.length / 1000) * 1000));
    expect(levels).toEqual(Array.from({ length: 30 }, (_, i) => level(i)));
    expect(session.jitterStats).toMatchObject({ concealed: 0, late: 0, duplicates: 0 });
  });

  it('adaptive: settles at a few ms on a clean link and hands each packet on as it arrives, not at the next tick', async () => {
    const { session, far, socket, clock } = await setup({ appSampleRate: 8000, jitterBuffer: { mode: 'adaptive', minMs: 0, maxMs: 200 } });
    let frames = 0;
    session.on('frame', () => frames++);
    session.start(); // ticks (and polls) at 1000, 1020, ...
    const enc = PCMU.createEncoder();
    const onArrival: number[] = [];
    for (let i = 0; i < 60; i++) {
      clock.advance(i === 0 ? 7 : 20); // each packet lands 7 ms after a tick
      await far.send(writeRtpPacket({ payloadType: 0, sequenceNumber: i, timestamp: i * 160, ssrc: 4 }, enc.encode(new Int16Array(160))), socket.port);
      await until(() => session.stats.packetsReceived === i + 1, 'packet');
      onArrival.push(frames);
    }
    // Settled (after the first 500 ms interval): the delay is the 1 ms bucket + 3 ms margin, due 13 ms before
    // the next tick, so the frame is out by the time the packet has been handled.
    expect(session.jitterStats).toMatchObject({ mode: 'adaptive', delayMs: 4, targetMs: 4, late: 0 });
    expect(onArrival.slice(40)).toEqual(Array.from({ length: 20 }, (_, k) => 41 + k));
  });

  it('is pass-through when the target is 0', async () => {
    const { session } = await setup({ appSampleRate: 8000, jitterBufferMs: 0 });
    expect(session.jitterStats).toBeUndefined();
  });
});

describe('MediaSession DTMF', () => {
  const TE = { payloadType: 101, clockRate: 8000 };

  it('reports each RFC 4733 key press once and keeps audio flowing', async () => {
    const { session, far, socket } = await setup({ appSampleRate: 8000, telephoneEvent: TE });
    const presses: unknown[] = [];
    session.on('dtmf', (p) => presses.push(p));
    session.start();
    const ev = (seq: number, end: boolean, dur: number) =>
      writeRtpPacket({ payloadType: 101, sequenceNumber: seq, timestamp: 4000, ssrc: 5, marker: seq === 1 }, Buffer.from([5, (end ? 0x80 : 0) | 10, dur >> 8, dur & 0xff]));
    for (const [seq, end, dur] of [[1, false, 160], [2, false, 320], [3, true, 480], [3, true, 480], [3, true, 480]] as const) {
      await far.send(ev(seq, end, dur), socket.port);
    }
    await far.send(writeRtpPacket({ payloadType: 0, sequenceNumber: 4, timestamp: 4480, ssrc: 5 }, Buffer.alloc(160, 0xff)), socket.port);
    await until(() => session.stats.packetsReceived === 1, 'audio after the key');
    expect(presses).toEqual([{ digit: '5', durationMs: 60 }]);
  });

  it('sends keys as telephone-event packets in the audio sequence space, bot audio waiting meanwhile', async () => {
    const { session, far, clock } = await setup({ appSampleRate: 8000, telephoneEvent: TE });
    session.playAudio(int16ToL16(new Int16Array(160).fill(2000)));
    session.sendDtmf('7', 40);
    session.start();
    // Slots 0-3 the key, 4 the audio; slot 5 waits a ptime for more audio, so the 7th packet leaves at slot 6.
    for (let i = 0; i < 7; i++) clock.advance(20);
    await far.received(7);
    const pk = far.packets.slice(0, 7);
    expect(pk.map((p) => p.header.payloadType)).toEqual([101, 101, 101, 101, 0, 0, 0]);
    expect(pk.map((p) => p.header.marker)).toEqual([true, false, false, false, true, false, false]);
    expect(pk.slice(0, 4).map((p) => p.payload.toString('hex'))).toEqual(['070a00a0', '078a0140', '078a0140', '078a0140']);
    expect(new Set(pk.slice(0, 4).map((p) => p.header.timestamp)).size).toBe(1);
    for (let i = 1; i < 7; i++) expect((pk[i].header.sequenceNumber - pk[i - 1].header.sequenceNumber) & 0xffff).toBe(1);
    // the bot audio (a new talkspurt, hence the marker) follows the key's last end packet
    expect(PCMU.createDecoder().decode(pk[4].payload)[0]).toBeGreaterThan(1900);
    expect((pk[4].header.timestamp - pk[0].header.timestamp) >>> 0).toBe(4 * 160);
  });

  it('refuses to send keys without telephone-event', async () => {
    const { session } = await setup({ appSampleRate: 8000 });
    expect(() => session.sendDtmf('1', 100)).toThrow(/telephone-event/);
  });
});
