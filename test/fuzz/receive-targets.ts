/**
 * Fuzz target for the media receive path behind the RTP parser: any sequence of well-formed RTP packets (any
 * payload type, sequence and timestamp jumps, SSRC changes, garbage payloads for G.711, G.722 and Opus, RFC 4733
 * events) through decoding, the jitter buffer (off, fixed, adaptive) and re-framing. No exception, every frame
 * exactly frameMs, and no more frames than the time and the packets can explain.
 */
import fc from 'fast-check';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { codecRegistry } from '../../src/media/codecs/index.js';
import type { JitterBufferMode, MediaSessionStats } from '../../src/media/media-session-types.js';
import { RtcpReporter } from '../../src/media/rtcp/rtcp-reporter.js';
import { RtpReceivePath } from '../../src/media/rtp-receive-path.js';
import { parseRtpPacket, writeRtpPacket } from '../../src/media/rtp/packet.js';
import type { FuzzTarget } from './runner.js';

const APP_RATE = 16000;
const FRAME_MS = 20;
const TE_PT = 101;
/** One logger for every input: a pino instance each would be garbage the heap check has to wait for. */
const LOGGER = silentLogger();

interface Packet {
  pt: number;
  seqStep: number;
  tsStep: number;
  ssrc: number;
  marker: boolean;
  payload: Uint8Array;
  dt: number;
}

interface Input {
  codec: 'PCMU' | 'G722' | 'opus';
  jitter: JitterBufferMode | undefined;
  packets: Packet[];
}

const packetArb: fc.Arbitrary<Packet> = fc.record({
  pt: fc.oneof(fc.constant(-1), fc.constant(TE_PT), fc.nat({ max: 127 })), // -1: the negotiated type
  seqStep: fc.oneof(fc.constant(1), fc.integer({ min: -5, max: 5 }), fc.nat({ max: 0xffff })),
  tsStep: fc.oneof(fc.constant(160), fc.integer({ min: -1000, max: 1000 }), fc.nat({ max: 0xffffffff })),
  ssrc: fc.constantFrom(1, 2),
  marker: fc.boolean(),
  payload: fc.oneof(fc.uint8Array({ maxLength: 400 }), fc.uint8Array({ minLength: 4, maxLength: 4 })),
  dt: fc.oneof(fc.constant(20), fc.nat({ max: 300 })),
});

export const rtpReceiveTarget: FuzzTarget<Input> = {
  name: 'rtp-receive',
  arbitrary: fc.record({
    codec: fc.constantFrom('PCMU' as const, 'G722' as const, 'opus' as const),
    jitter: fc.constantFrom<JitterBufferMode | undefined>(undefined, { mode: 'fixed', delayMs: 60 }, { mode: 'adaptive', minMs: 20, maxMs: 200 }),
    packets: fc.array(packetArb, { maxLength: 60 }),
  }),
  check({ codec: name, jitter, packets }) {
    const codec = codecRegistry.get(name)!;
    const pt = codec.staticPayloadType ?? 111;
    const clock = new ManualClock();
    const stats: MediaSessionStats = { packetsReceived: 0, packetsSent: 0, bytesReceived: 0, bytesSent: 0, packetsLost: 0, packetsIgnored: 0 };
    const frameBytes = (APP_RATE * FRAME_MS * 2) / 1000;
    let frames = 0;
    const rx = new RtpReceivePath({
      clock,
      logger: LOGGER,
      codec,
      payloadType: pt,
      receivable: [{ payloadType: pt, codec }, { payloadType: 8, codec: codecRegistry.get('PCMA')! }],
      appSampleRate: APP_RATE,
      frameMs: FRAME_MS,
      jitterBufferMs: undefined,
      jitterBuffer: jitter,
      telephoneEvent: { payloadType: TE_PT, clockRate: 8000 },
      rtpTimeoutMs: 1000,
      reporter: new RtcpReporter({ ssrc: 9, cname: 'fuzz', sendClockRate: codec.clockRate, wallClockOffsetMs: 0 }),
      stats,
      onFrame: (pcm) => {
        if (pcm.length !== frameBytes) throw new Error(`frame of ${pcm.length} bytes, expected ${frameBytes}`);
        frames++;
      },
      onDtmf: () => undefined,
      onRtpTimeout: () => undefined,
    });
    rx.start(0);
    let seq = 1000;
    let ts = 0;
    for (const p of packets) {
      seq = (seq + p.seqStep) & 0xffff;
      ts = (ts + p.tsStep) >>> 0;
      const wire = writeRtpPacket({ payloadType: p.pt < 0 ? pt : p.pt, sequenceNumber: seq, timestamp: ts, ssrc: p.ssrc, marker: p.marker }, Buffer.from(p.payload));
      const parsed = parseRtpPacket(wire);
      if (parsed) rx.onPacket(parsed, wire.length);
      clock.advance(p.dt);
      rx.poll(clock.now());
      rx.checkTimeout(clock.now());
    }
    // Each packet can carry at most 120 ms (Opus); concealment fills at most the time that passed.
    const bound = packets.length * 6 + Math.ceil(clock.now() / FRAME_MS) + 2;
    if (frames > bound) throw new Error(`${frames} frames from ${packets.length} packets in ${clock.now()} ms`);
  },
};
