/** SRTP through a real MediaSession over loopback: what it sends decrypts with its key, what it gets is authenticated. */
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { codecRegistry } from '../../../src/media/codecs/index.js';
import { MediaSession } from '../../../src/media/media-session.js';
import { parseRtpPacket, RtpPortPool, writeRtpPacket } from '../../../src/media/rtp/index.js';
import { parseRtcpCompound } from '../../../src/media/rtcp/index.js';
import { SrtpContext, type SrtpSuite } from '../../../src/media/srtp/index.js';
import { waitFor } from '../../helpers/wait-for.js';

const PCMU = codecRegistry.get('PCMU')!;
const LOOPBACK = '127.0.0.1';
const pool = new RtpPortPool({ min: 50000 + 2 * Math.floor(Math.random() * 3000), max: 59999, host: LOOPBACK, rtcp: true });
const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

async function udp(): Promise<{ socket: dgram.Socket; got: Buffer[] }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, LOOPBACK, r));
  const got: Buffer[] = [];
  socket.on('message', (m) => got.push(Buffer.from(m)));
  cleanups.push(() => socket.close());
  return { socket, got };
}

// Resolves on timeout too: the assertions after each wait report what did not arrive.
const until = async (cond: () => boolean) => {
  await waitFor(cond, { timeoutMs: 2000, intervalMs: 5, onTimeout: 'resolve' });
};

describe.each(['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const)('MediaSession with SRTP %s', (suite: SrtpSuite) => {
  it('sends SRTP (and SRTCP with mux) the far end can decrypt; decodes authentic SRTP, drops plain RTP and forgeries', async () => {
    const ours = randomBytes(30);
    const theirs = randomBytes(30);
    const far = await udp();
    const socket = await pool.allocate();
    const clock = new ManualClock(0);
    const session = new MediaSession({
      clock,
      logger: silentLogger(),
      socket,
      codec: PCMU,
      payloadType: 0,
      remote: { address: LOOPBACK, port: far.socket.address().port },
      ptimeMs: 20,
      appSampleRate: 8000,
      latching: 'off',
      rtcp: { mux: true },
      srtp: { suite, localKeySalt: ours, remoteKeySalt: theirs },
    });
    cleanups.push(() => session.close());
    const frames: Buffer[] = [];
    session.on('frame', (f) => frames.push(f));
    session.start();
    // ~380 packets and at least one RTCP report, in steps so loopback buffers never overflow under load
    for (let t = 0; t < 7600; t += 200) {
      clock.advance(200);
      await new Promise((r) => setImmediate(r));
    }
    await until(() => far.got.length >= 100);

    const farRx = new SrtpContext(suite, ours);
    const rtcp = far.got.filter((d) => d[1] >= 200 && d[1] <= 204);
    const rtp = far.got.filter((d) => !(d[1] >= 200 && d[1] <= 204));
    expect(rtp.length).toBeGreaterThan(100);
    for (const d of rtp.slice(0, 50)) {
      expect(parseRtpPacket(d)!.payload.length).toBe(160 + (suite.endsWith('80') ? 10 : 4)); // the tag rides at the end
      const plain = parseRtpPacket(farRx.unprotectRtp(d))!;
      expect(plain.payload).toEqual(Buffer.alloc(160, 0xff)); // μ-law silence
    }
    expect(rtcp.length).toBeGreaterThanOrEqual(1);
    expect(parseRtcpCompound(rtcp[0])).toBeNull(); // encrypted on the wire
    expect(parseRtcpCompound(farRx.unprotectRtcp(rtcp[0]))![0].type).toBe('sr');

    const farTx = new SrtpContext(suite, theirs);
    const port = socket.port;
    const send = (b: Buffer) => new Promise<void>((r) => far.socket.send(b, port, LOOPBACK, () => r()));
    const pkt = (seq: number) => writeRtpPacket({ payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc: 42 }, Buffer.alloc(160, 0x80));
    await send(pkt(1)); // plain RTP: not authentic
    const forged = farTx.protectRtp(pkt(2));
    forged[15] ^= 0xff;
    await send(forged);
    for (let seq = 3; seq < 8; seq++) await send(farTx.protectRtp(pkt(seq)));
    await until(() => session.stats.packetsReceived >= 5);
    expect(session.stats.packetsReceived).toBe(5);
    expect(session.stats.packetsIgnored).toBe(2);
    expect(frames.length).toBeGreaterThanOrEqual(5);
    expect(session.quality.packetsLost).toBe(0);
  });
});
