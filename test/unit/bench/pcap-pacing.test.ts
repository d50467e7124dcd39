import { describe, expect, it } from 'vitest';
import { departureDeviations } from '../../../src/bench/pcap-pacing.js';

/** One captured packet: Ethernet (zero MACs, as on loopback) + IPv4 + UDP + 12-byte RTP header. */
interface Rec {
  ms: number;
  dstPort: number;
  ssrc: number;
  seq: number;
  pt?: number;
  proto?: number;
}

function packet(r: Rec): Buffer {
  const eth = Buffer.alloc(14);
  eth.writeUInt16BE(0x0800, 12);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip[9] = r.proto ?? 17;
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(40000, 0);
  udp.writeUInt16BE(r.dstPort, 2);
  const rtp = Buffer.alloc(12);
  rtp[0] = 0x80;
  rtp[1] = r.pt ?? 0;
  rtp.writeUInt16BE(r.seq, 2);
  rtp.writeUInt32BE(r.ssrc, 8);
  return Buffer.concat([eth, ip, udp, rtp]);
}

/** A pcap file as tcpdump writes it on little-endian Linux, with nanosecond (or microsecond) timestamps. */
function pcap(recs: Rec[], nanos = true, linkType = 1): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(nanos ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(64, 16);
  head.writeUInt32LE(linkType, 20);
  const parts: Buffer[] = [head];
  for (const r of recs) {
    const body = packet(r);
    const h = Buffer.alloc(16);
    const sec = Math.floor(r.ms / 1000);
    h.writeUInt32LE(sec, 0);
    h.writeUInt32LE(Math.round((r.ms - sec * 1000) * (nanos ? 1e6 : 1e3)), 4);
    h.writeUInt32LE(body.length, 8);
    h.writeUInt32LE(body.length, 12);
    parts.push(h, body);
  }
  return Buffer.concat(parts);
}

const T0 = 1_765_000_000_000; // epoch ms
const round = (xs: number[]) => xs.map((x) => Math.round(x * 1000) / 1000);

describe('bench --kernel-pacing: |inter-departure − 20 ms| from a capture', () => {
  it.each([
    ['steady 20 ms, one stream', [0, 20, 40, 60].map((t, i) => ({ ms: T0 + t, dstPort: 5000, ssrc: 1, seq: i })), [0, 0, 0]],
    ['late and early packets', [0, 23.5, 40, 58].map((t, i) => ({ ms: T0 + t, dstPort: 5000, ssrc: 1, seq: i })), [3.5, 3.5, 2]],
    [
      'two interleaved streams are told apart by SSRC',
      [
        { ms: T0, dstPort: 5000, ssrc: 1, seq: 10 },
        { ms: T0 + 5, dstPort: 5000, ssrc: 2, seq: 70 },
        { ms: T0 + 20, dstPort: 5000, ssrc: 1, seq: 11 },
        { ms: T0 + 31, dstPort: 5000, ssrc: 2, seq: 71 },
      ],
      [0, 6],
    ],
    [
      'a sequence gap, another port, RTCP and a non-UDP packet are skipped',
      [
        { ms: T0, dstPort: 5000, ssrc: 1, seq: 1 },
        { ms: T0 + 40, dstPort: 5000, ssrc: 1, seq: 3 },
        { ms: T0 + 45, dstPort: 6000, ssrc: 1, seq: 4 },
        { ms: T0 + 50, dstPort: 5000, ssrc: 1, seq: 4, pt: 200 },
        { ms: T0 + 55, dstPort: 5000, ssrc: 1, seq: 4, proto: 6 },
        { ms: T0 + 61, dstPort: 5000, ssrc: 1, seq: 4 },
      ],
      [1],
    ],
    ['sequence numbers wrap', [{ ms: T0, dstPort: 5000, ssrc: 1, seq: 65535 }, { ms: T0 + 22, dstPort: 5000, ssrc: 1, seq: 0 }], [2]],
  ])('%s', (_name, recs, expected) => {
    expect(round(departureDeviations(pcap(recs as Rec[]), 5000, T0 - 1, T0 + 1000))).toEqual(expected);
  });

  it('counts only packets inside the window (the previous packet may be before it)', () => {
    const recs = [0, 20, 40, 61, 80].map((t, i) => ({ ms: T0 + t, dstPort: 5000, ssrc: 1, seq: i }));
    expect(round(departureDeviations(pcap(recs), 5000, T0 + 30, T0 + 65))).toEqual([0, 1]);
  });

  it('reads microsecond captures; an unknown link type or magic is refused', () => {
    const recs = [0, 21].map((t, i) => ({ ms: T0 + t, dstPort: 5000, ssrc: 1, seq: i }));
    expect(round(departureDeviations(pcap(recs, false), 5000, T0 - 1, T0 + 100))).toEqual([1]);
    expect(() => departureDeviations(pcap(recs, true, 228), 5000, T0, T0 + 100)).toThrow(/link type 228/);
    expect(() => departureDeviations(Buffer.alloc(24), 5000, T0, T0 + 100)).toThrow(/unknown magic/);
  });
});
