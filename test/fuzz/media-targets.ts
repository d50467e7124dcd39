/**
 * Fuzz targets for the media plane's parsers: SDP offer/answer, RTP, RTCP compounds, SRTP/SRTCP unprotect and
 * RFC 4733 telephone-events. Seeds are real packets written by our own serializers and the SDP fixtures.
 */
import fc from 'fast-check';
import { CodecNegotiationError, SdpError } from '../../src/core/errors.js';
import { TelephoneEventReceiver } from '../../src/media/dtmf/telephone-event-receiver.js';
import { writeTelephoneEvent } from '../../src/media/dtmf/telephone-event.js';
import { parseRtcpCompound, writeBye, writeReceiverReport, writeSdesCname, writeSenderReport } from '../../src/media/rtcp/packet.js';
import { parseRtpPacket, writeRtpPacket } from '../../src/media/rtp/packet.js';
import { SrtpContext, SrtpError } from '../../src/media/srtp/srtp-context.js';
import { negotiateAnswer } from '../../src/sdp/negotiate.js';
import { parseAnswer } from '../../src/sdp/offer.js';
import { sdpCorpus } from './corpus.js';
import { fuzzBytes, mutated } from './mutator.js';
import { only, type FuzzTarget } from './runner.js';

function fail(what: string): never {
  throw new Error(what);
}

const SDP_TYPED = [SdpError, CodecNegotiationError];

function checkNegotiated(n: { payloadType: number; remote: { port: number }; ptimeMs: number; telephoneEvent?: { payloadType: number; clockRate: number } }, what: string) {
  if (!Number.isInteger(n.payloadType) || n.payloadType < 0 || n.payloadType > 127) fail(`${what}: payload type ${n.payloadType}`);
  if (n.telephoneEvent && (n.telephoneEvent.payloadType < 0 || n.telephoneEvent.payloadType > 127)) fail(`${what}: telephone-event type ${n.telephoneEvent.payloadType}`);
  if (n.telephoneEvent && !(n.telephoneEvent.clockRate > 0)) fail(`${what}: telephone-event rate ${n.telephoneEvent.clockRate}`);
  if (!Number.isInteger(n.remote.port) || n.remote.port < 1 || n.remote.port > 65535) fail(`${what}: remote port ${n.remote.port}`);
  if (![10, 20, 30, 40, 50, 60].includes(n.ptimeMs)) fail(`${what}: ptime ${n.ptimeMs}`);
}

/** An offer answers with a usable codec and address, or a 488 (SdpError/CodecNegotiationError); our answer re-parses. */
export const sdpTarget: FuzzTarget<Buffer> = {
  name: 'sdp-negotiate',
  arbitrary: fuzzBytes(sdpCorpus(), 256),
  check(buf) {
    const text = buf.toString('utf8');
    for (const srtp of ['off', 'optional', 'required'] as const) {
      const n = only(
        () => negotiateAnswer(text, { localAddress: '127.0.0.1', localPort: 40000, codecPreference: ['opus', 'G722', 'PCMU', 'PCMA'], sessionId: 1, srtp }),
        SDP_TYPED,
        `negotiateAnswer(${srtp})`,
      );
      if (!n) continue;
      checkNegotiated(n, 'offer');
      // What we wrote must be a valid answer to read back (our outbound side reads answers with parseAnswer).
      const back = only(() => parseAnswer(['opus', 'G722', 'PCMU', 'PCMA'], n.answerSdp), SDP_TYPED, 'our answer');
      if (!back && n.srtp === undefined) fail(`our answer does not read back:\n${n.answerSdp}`);
    }
    const a = only(() => parseAnswer(['PCMU', 'PCMA', 'G722', 'opus'], text), SDP_TYPED, 'parseAnswer');
    if (a) checkNegotiated(a, 'answer');
  },
};

function rtpSeeds(): Buffer[] {
  const payload = Buffer.alloc(160, 0xd5);
  const plain = writeRtpPacket({ payloadType: 0, sequenceNumber: 1000, timestamp: 160000, ssrc: 0x11223344, marker: true }, payload);
  const csrc = writeRtpPacket({ payloadType: 8, sequenceNumber: 65535, timestamp: 0xffffffff, ssrc: 1, csrcs: [1, 2, 3] }, payload);
  // An extension header (RFC 8285 one-byte) of one word, and padding: what writeRtpPacket never writes.
  const ext = Buffer.concat([Buffer.from([0x90, 0x00, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0xbe, 0xde, 0, 1, 0x10, 0xaa, 0, 0]), payload]);
  const padded = Buffer.concat([Buffer.from([0xa0, 0x00, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2]), payload, Buffer.from([0, 0, 0, 4])]);
  const dtmf = writeRtpPacket({ payloadType: 101, sequenceNumber: 5, timestamp: 800, ssrc: 7 }, writeTelephoneEvent({ event: 5, end: false, volume: 10, duration: 400 }));
  return [plain, csrc, ext, padded, dtmf];
}

/** parseRtpPacket: null or a payload inside the packet, never an exception. */
export const rtpTarget: FuzzTarget<Buffer> = {
  name: 'rtp',
  arbitrary: fuzzBytes(rtpSeeds(), 64),
  check(buf) {
    const p = parseRtpPacket(buf);
    if (!p) return;
    const start = p.payload.byteOffset - buf.byteOffset;
    if (start < 12 || start + p.payload.length > buf.length) fail(`payload [${start}, ${start + p.payload.length}) outside a ${buf.length}-byte packet`);
    if (p.header.payloadType > 127) fail(`payload type ${p.header.payloadType}`);
  },
};

function rtcpSeeds(): Buffer[] {
  const block = { ssrc: 9, fractionLost: 12, cumulativeLost: -3, extendedHighestSeq: 70000, jitter: 40, lastSr: 1, delaySinceLastSr: 2 };
  const sr = writeSenderReport(1, { ntpSec: 1, ntpFrac: 2, rtpTimestamp: 3, packetCount: 4, octetCount: 5 }, [block]);
  const rr = writeReceiverReport(2, [block, block]);
  return [
    Buffer.concat([sr, writeSdesCname(1, 'trunkbridge@127.0.0.1')]),
    Buffer.concat([rr, writeSdesCname(2, 'x'), writeBye([2], 'call ended')]),
    writeReceiverReport(3),
  ];
}

/** parseRtcpCompound: null or packets, never an exception (lengths larger than the packet included). */
export const rtcpTarget: FuzzTarget<Buffer> = {
  name: 'rtcp',
  arbitrary: fuzzBytes(rtcpSeeds(), 64),
  check(buf) {
    const r = parseRtcpCompound(buf);
    if (r !== null && !Array.isArray(r)) fail('not an array');
  },
};

const KEY = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d', 'hex');

/** SRTP/SRTCP unprotect: the packet back, or SrtpError; a mutated protected packet never decrypts. */
export const srtpTarget: FuzzTarget<{ buf: Buffer; rtcp: boolean }> = {
  name: 'srtp',
  arbitrary: fc.boolean().chain((rtcp) => {
    const sender = new SrtpContext('AES_CM_128_HMAC_SHA1_80', KEY);
    const seeds = rtcp ? rtcpSeeds().map((p) => sender.protectRtcp(p)) : rtpSeeds().map((p) => sender.protectRtp(p));
    return fc.record({ buf: mutated(seeds, 3), rtcp: fc.constant(rtcp) });
  }),
  check({ buf, rtcp }) {
    const receiver = new SrtpContext('AES_CM_128_HMAC_SHA1_80', KEY);
    const out = only(() => (rtcp ? receiver.unprotectRtcp(buf) : receiver.unprotectRtp(buf)), [SrtpError], rtcp ? 'unprotectRtcp' : 'unprotectRtp');
    if (out && out.length > buf.length) fail('unprotected packet longer than the protected one');
  },
};

/** RFC 4733 events in any order and shape: presses are valid keys with sane durations, state stays bounded. */
export const dtmfTarget: FuzzTarget<Array<{ ssrc: number; timestamp: number; payload: Buffer; dt: number }>> = {
  name: 'dtmf',
  arbitrary: fc.array(
    fc.record({
      ssrc: fc.constantFrom(1, 2, 0xffffffff),
      timestamp: fc.oneof(fc.constantFrom(0, 160, 320, 0xffffffff), fc.nat()),
      payload: fc.oneof(
        fc.uint8Array({ maxLength: 12 }).map((u) => Buffer.from(u)),
        fc.record({ event: fc.nat({ max: 255 }), end: fc.boolean(), volume: fc.nat({ max: 63 }), duration: fc.nat({ max: 0xffff }) }).map((e) => writeTelephoneEvent(e)),
      ),
      dt: fc.nat({ max: 2000 }),
    }),
    { maxLength: 40 },
  ),
  check(packets) {
    const rx = new TelephoneEventReceiver(8000, 1000);
    let now = 0;
    for (const p of packets) {
      now += p.dt;
      for (const press of [...rx.push(p, now), ...rx.poll(now)]) {
        if (!/^[0-9*#A-D]$/.test(press.digit)) fail(`press ${press.digit}`);
        if (!Number.isFinite(press.durationMs) || press.durationMs < 0 || press.durationMs > 8200) fail(`duration ${press.durationMs}`);
      }
    }
    const remembered = (rx as unknown as { reported: unknown[] }).reported.length;
    if (remembered > 16) fail(`receiver remembers ${remembered} events`);
  },
};
