/**
 * RTCP through a real MediaSession over loopback sockets, time driven by a ManualClock: the report it sends on
 * the odd port (or muxed on the RTP port), the RTT it derives from the far end's answer, and the final BYE.
 */
import dgram from 'node:dgram';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { codecRegistry } from '../../../src/media/codecs/index.js';
import { MediaSession, type MediaSessionOptions } from '../../../src/media/media-session.js';
import { RtpPortPool, writeRtpPacket } from '../../../src/media/rtp/index.js';
import { ntpMiddle32, parseRtcpCompound, writeReceiverReport, writeSdesCname, type RtcpPacket } from '../../../src/media/rtcp/index.js';
import { waitFor } from '../../helpers/wait-for.js';

const PCMU = codecRegistry.get('PCMU')!;
const LOOPBACK = '127.0.0.1';
const pool = new RtpPortPool({ min: 40000 + 2 * Math.floor(Math.random() * 4000), max: 49999, host: LOOPBACK, rtcp: true });

/** A UDP socket collecting datagrams. */
class Listener {
  readonly socket = dgram.createSocket('udp4');
  readonly datagrams: Buffer[] = [];
  private waiters: Array<() => void> = [];
  async bind(port = 0): Promise<this> {
    await new Promise<void>((r) => this.socket.bind(port, LOOPBACK, r));
    this.socket.on('message', (m) => {
      this.datagrams.push(Buffer.from(m));
      this.waiters.splice(0).forEach((w) => w());
    });
    return this;
  }
  get port(): number {
    return this.socket.address().port;
  }
  async next(match: (b: Buffer) => boolean): Promise<Buffer> {
    for (;;) {
      const hit = this.datagrams.find(match);
      if (hit) {
        this.datagrams.splice(this.datagrams.indexOf(hit), 1);
        return hit;
      }
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }
  send(buf: Buffer, port: number): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(buf, port, LOOPBACK, (e) => (e ? reject(e) : resolve())));
  }
}

const isRtcp = (b: Buffer) => parseRtcpCompound(b) !== null;
const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

/** Far end with RTP on an even port and RTCP on the one above. */
async function farPair(): Promise<{ rtp: Listener; rtcp: Listener }> {
  for (let i = 0; i < 20; i++) {
    const rtp = await new Listener().bind();
    if (rtp.port % 2 === 0) {
      try {
        const rtcp = await new Listener().bind(rtp.port + 1);
        cleanups.push(() => (rtp.socket.close(), rtcp.socket.close()));
        return { rtp, rtcp };
      } catch {
        // odd port taken; try another pair
      }
    }
    rtp.socket.close();
  }
  throw new Error('no free port pair');
}

async function setup(extra: Partial<MediaSessionOptions> = {}) {
  const clock = new ManualClock(1000);
  const far = await farPair();
  const socket = await pool.allocate();
  const session = new MediaSession({
    clock,
    logger: silentLogger(),
    socket,
    codec: PCMU,
    payloadType: 0,
    remote: { address: LOOPBACK, port: far.rtp.port },
    ptimeMs: 20,
    appSampleRate: 8000,
    latching: 'off',
    ...extra,
  });
  cleanups.push(() => session.close());
  return { clock, far, socket, session };
}

/** Far-end RTP: `n` packets, 20 ms apart on the manual clock. */
async function feed(session: MediaSession, far: Listener, port: number, clock: ManualClock, seqs: number[]): Promise<void> {
  for (const seq of seqs) {
    await far.send(writeRtpPacket({ payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc: 0xfeed }, Buffer.alloc(160, 0xff)), port);
  }
  // let the datagrams land before the clock moves
  await waitFor(() => session.stats.packetsReceived >= seqs.length, { timeoutMs: 250, intervalMs: 5, onTimeout: 'resolve' });
  clock.advance(0);
}

describe('MediaSession RTCP', () => {
  it('pool binds the odd port above the RTP port for RTCP', async () => {
    const s = await pool.allocate();
    expect(s.port % 2).toBe(0);
    expect(s.rtcp?.address().port).toBe(s.port + 1);
    s.close();
  });

  it('sends SR + SDES to the far end\'s port + 1 within 7.5 s, with a report block on its stream, and computes RTT from its RR', async () => {
    const { clock, far, socket, session } = await setup();
    session.start();
    await feed(session, far.rtp, socket.port, clock, [1, 2, 3, 5]); // 4 lost
    // Step the clock one packet time at a time until the first report leaves, to know when its SR was built.
    const send = vi.spyOn(socket.rtcp!, 'send');
    for (let t = 0; t < 7600 && send.mock.calls.length === 0; t += 20) clock.advance(20);
    expect(send).toHaveBeenCalledTimes(1);
    const srBuiltAt = clock.now();
    expect(srBuiltAt - 1000).toBeGreaterThanOrEqual(1250);
    expect(srBuiltAt - 1000).toBeLessThanOrEqual(3760);
    const report = parseRtcpCompound(await far.rtcp.next(isRtcp))!;
    expect(report.map((p) => p.type)).toEqual(['sr', 'sdes']);
    const sr = report[0] as Extract<RtcpPacket, { type: 'sr' }>;
    expect(sr.sender.packetCount).toBeGreaterThan(50); // first report 1.25..3.75 s in, 50 packets a second
    expect(sr.sender.octetCount).toBe(sr.sender.packetCount * 160);
    expect(sr.reports).toEqual([
      expect.objectContaining({ ssrc: 0xfeed, cumulativeLost: 1, extendedHighestSeq: 5, fractionLost: Math.floor(256 / 5) }),
    ]);
    expect((report[1] as Extract<RtcpPacket, { type: 'sdes' }>).chunks[0].cname).toMatch(/@trunkbridge$/);

    // The far end answers 30 ms (manual clock) after our SR left, having held it 10 ms: RTT 20 ms.
    const lsr = ntpMiddle32(sr.sender.ntpSec, sr.sender.ntpFrac);
    const rr = Buffer.concat([
      writeReceiverReport(0xfeed, [{ ssrc: sr.ssrc, fractionLost: 0, cumulativeLost: 0, extendedHighestSeq: 1, jitter: 0, lastSr: lsr, delaySinceLastSr: Math.round(0.01 * 65536) }]),
      writeSdesCname(0xfeed, 'far@test'),
    ]);
    clock.advance(30);
    const got = new Promise<number | undefined>((r) => session.once('rtcp', (i) => r(i.rttMs)));
    await far.rtcp.send(rr, socket.port + 1);
    const rtt = await got;
    expect(clock.now() - srBuiltAt).toBe(30);
    expect(rtt).toBeCloseTo(20, 0);
    expect(session.quality).toMatchObject({ packetsReceived: 4, packetsLost: 1, rttMs: rtt });
  });

  it('on close sends a last report ending in BYE', async () => {
    const { clock, far, session } = await setup();
    session.start();
    clock.advance(100);
    session.close();
    const last = parseRtcpCompound(await far.rtcp.next(isRtcp))!;
    expect(last.map((p) => p.type)).toEqual(['sr', 'sdes', 'bye']);
  });

  it('with rtcp-mux sends RTCP on the RTP port and demultiplexes the far end\'s RTCP from its RTP', async () => {
    const { clock, far, socket, session } = await setup({ rtcp: { mux: true } });
    session.start();
    await feed(session, far.rtp, socket.port, clock, [10, 11]);
    const rtcpSeen = new Promise<void>((r) => session.once('rtcp', () => r()));
    await far.rtp.send(Buffer.concat([writeReceiverReport(0xfeed), writeSdesCname(0xfeed, 'far@test')]), socket.port);
    await rtcpSeen;
    expect(session.stats.packetsIgnored).toBe(0); // RTCP was not taken for a broken RTP packet
    clock.advance(7600);
    const report = parseRtcpCompound(await far.rtp.next(isRtcp))!;
    expect(report[0].type).toBe('sr');
    expect(far.rtcp.datagrams).toHaveLength(0);
  });

  it('ignores garbage on the RTCP port and keeps going', async () => {
    const { clock, far, socket, session } = await setup();
    session.start();
    await far.rtcp.send(Buffer.from('definitely not rtcp'), socket.port + 1);
    await new Promise((r) => setTimeout(r, 20));
    clock.advance(7600);
    expect(parseRtcpCompound(await far.rtcp.next(isRtcp))).not.toBeNull();
  });
});
