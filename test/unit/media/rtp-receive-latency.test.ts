import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { codecRegistry } from '../../../src/media/codecs/index.js';
import { RtcpReporter } from '../../../src/media/rtcp/rtcp-reporter.js';
import { parseRtpPacket, writeRtpPacket } from '../../../src/media/rtp/index.js';
import { RtpReceivePath, type RtpReceivePathOptions } from '../../../src/media/rtp-receive-path.js';
import type { MediaSessionStats } from '../../../src/media/media-session-types.js';

const PCMU = codecRegistry.get('PCMU')!;

/** A receive path (PCMU in, 8 kHz 20 ms frames out) on a manual clock; every frame's handling takes `handleMs`. */
function receiver(overrides: Partial<RtpReceivePathOptions>, handleMs = 0) {
  const clock = new ManualClock(1000);
  const frames: number[] = [];
  const latencies: number[] = [];
  const stats: MediaSessionStats = { packetsReceived: 0, packetsSent: 0, bytesReceived: 0, bytesSent: 0, packetsLost: 0, packetsIgnored: 0 };
  const path = new RtpReceivePath({
    clock,
    logger: silentLogger(),
    codec: PCMU,
    payloadType: 0,
    receivable: [],
    appSampleRate: 8000,
    frameMs: 20,
    jitterBufferMs: undefined,
    telephoneEvent: undefined,
    rtpTimeoutMs: undefined,
    reporter: new RtcpReporter({ ssrc: 1, cname: 'x', sendClockRate: 8000, wallClockOffsetMs: 0 }),
    stats,
    onFrame: () => {
      frames.push(clock.now());
      clock.advance(handleMs); // the bot socket write, as the listener would spend it
    },
    onLatency: (ms) => latencies.push(ms),
    onDtmf: () => undefined,
    onRtpTimeout: () => undefined,
    ...overrides,
  });
  path.start(clock.now());
  let seq = 100;
  /** One packet of `ms` of PCMU (timestamps contiguous unless `skip` packets were lost before it). */
  const packet = (ms: number, skip = 0) => {
    seq += skip;
    const samples = ms * 8;
    const buf = writeRtpPacket({ marker: false, payloadType: 0, sequenceNumber: seq, timestamp: seq * samples, ssrc: 5 }, Buffer.alloc(samples, 0x7f));
    seq++;
    path.onPacket(parseRtpPacket(buf)!, buf.length);
  };
  return { clock, path, packet, frames, latencies };
}

describe('RtpReceivePath: caller -> bot added latency (onLatency)', () => {
  it('pass-through: a frame is timed from its packet to the end of its handling', () => {
    const { clock, packet, frames, latencies } = receiver({}, 0.25);
    for (let i = 0; i < 5; i++) {
      packet(20);
      clock.advance(20);
    }
    expect(frames).toHaveLength(5);
    expect(latencies).toEqual([0.25, 0.25, 0.25, 0.25, 0.25]);
  });

  it('10 ms packets: a frame is timed from the packet carrying its first sample', () => {
    const { clock, packet, latencies } = receiver({});
    for (let i = 0; i < 6; i++) {
      packet(10);
      clock.advance(10);
    }
    expect(latencies).toEqual([10, 10, 10]); // each frame waited for its second half
  });

  it('through a 40 ms jitter buffer: the buffer delay is part of it; concealed frames are not reported', () => {
    const { clock, path, packet, frames, latencies } = receiver({ jitterBufferMs: 40 });
    for (let i = 0; i < 10; i++) {
      if (i !== 4) packet(20, i === 5 ? 1 : 0); // packet 4 is lost
      clock.advance(10);
      path.poll(clock.now());
      clock.advance(10);
      path.poll(clock.now());
    }
    // Packet k arrived at 20k and plays at 20k + 40: packets 0-8 are out by 200 ms, 4 of them concealed.
    expect(frames).toHaveLength(9);
    expect(latencies).toEqual(new Array(8).fill(40));
  });
});
