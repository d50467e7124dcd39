import { describe, expect, it } from 'vitest';
import { parseRtpPacket, writeRtpPacket } from '../../../src/media/rtp/index.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// RTP part of the second packet in SIPp's g711a.pcap: PT 8, seq 0xe6fd, ts 0xf0, 30 ms of A-law silence.
const SIPP_PCAP_RTP = hex('8008e6fd000000f0dee0ee8f' + 'd5'.repeat(240));

interface ParseCase {
  name: string;
  packet: Buffer;
  header?: Partial<ReturnType<typeof parseRtpPacket> extends infer R ? R extends { header: infer H } ? H : never : never>;
  payload?: string;
}

const cases: ParseCase[] = [
  {
    name: 'plain PCMA packet (SIPp pcap)',
    packet: SIPP_PCAP_RTP,
    header: { version: 2, marker: false, payloadType: 8, sequenceNumber: 0xe6fd, timestamp: 0xf0, ssrc: 0xdee0ee8f, csrcCount: 0 },
    payload: 'd5'.repeat(240),
  },
  {
    name: 'marker bit, PT 0',
    packet: hex('80 80 0001 00000000 12345678 ffff'),
    header: { marker: true, payloadType: 0, sequenceNumber: 1, timestamp: 0, ssrc: 0x12345678 },
    payload: 'ffff',
  },
  {
    name: 'two CSRCs',
    packet: hex('82 00 0002 00000010 00000001 aaaaaaaa bbbbbbbb 0102'),
    header: { csrcCount: 2, sequenceNumber: 2, timestamp: 16 },
    payload: '0102',
  },
  {
    name: 'header extension (one 32-bit word)',
    packet: hex('90 08 0003 00000020 00000001 bede0001 10ff0000 0a0b'),
    header: { extension: true, payloadType: 8 },
    payload: '0a0b',
  },
  {
    name: 'padding (3 bytes)',
    packet: hex('a0 00 0004 00000030 00000001 c0c1 000003'),
    header: { padding: true },
    payload: 'c0c1',
  },
  {
    name: 'CSRC + extension + padding together',
    packet: hex('b1 e5 ffff ffffffff ffffffff 00000009 0000 0000 77 ee 02'),
    header: { padding: true, extension: true, csrcCount: 1, marker: true, payloadType: 101, sequenceNumber: 65535, timestamp: 0xffffffff },
    payload: '77',
  },
  { name: 'empty payload', packet: hex('80 00 0005 00000000 00000001'), header: { sequenceNumber: 5 }, payload: '' },
];

const malformed: Array<[string, Buffer]> = [
  ['too short', hex('80 00 0001 00000000 000000')],
  ['version 1', hex('40 00 0001 00000000 00000001 ff')],
  ['version 0 (STUN-like)', hex('00 01 0000 2112a442 00000000 00000000')],
  ['RTCP receiver report on a muxed port', hex('81 c9 0007 00000001 00000002 00000000 00000000 00000000 00000000 00000000 00000000')],
  ['RTCP sender report', hex('80 c8 0006 00000001 00000000 00000000 00000000 00000000 00000000')],
  ['CSRC count beyond the end', hex('8f 00 0001 00000000 00000001 00000002')],
  ['extension header cut off', hex('90 00 0001 00000000 00000001 bede')],
  ['extension length beyond the end', hex('90 00 0001 00000000 00000001 bede0004 00000000')],
  ['padding length 0', hex('a0 00 0001 00000000 00000001 ff00')],
  ['padding longer than the payload', hex('a0 00 0001 00000000 00000001 ff05')],
  ['empty', Buffer.alloc(0)],
];

describe('parseRtpPacket', () => {
  it.each(cases)('$name', ({ packet, header, payload }) => {
    const parsed = parseRtpPacket(packet);
    expect(parsed).not.toBeNull();
    expect(parsed!.header).toMatchObject(header!);
    expect(parsed!.payload.toString('hex')).toBe(payload);
  });

  it.each(malformed)('returns null for %s', (_name, packet) => {
    expect(parseRtpPacket(packet)).toBeNull();
  });

  it('returns the payload as a view into the input (no copy)', () => {
    const pkt = Buffer.from(SIPP_PCAP_RTP);
    const parsed = parseRtpPacket(pkt)!;
    expect(parsed.payload.buffer).toBe(pkt.buffer);
    pkt[12] = 0x11;
    expect(parsed.payload[0]).toBe(0x11);
  });
});

describe('writeRtpPacket', () => {
  it('writes the SIPp pcap packet byte for byte', () => {
    const out = writeRtpPacket(
      { payloadType: 8, sequenceNumber: 0xe6fd, timestamp: 0xf0, ssrc: 0xdee0ee8f },
      Buffer.alloc(240, 0xd5),
    );
    expect(out.equals(SIPP_PCAP_RTP)).toBe(true);
  });

  it('round-trips through the parser, wrapping seq and timestamp', () => {
    const out = writeRtpPacket(
      { marker: true, payloadType: 0, sequenceNumber: 65536 + 7, timestamp: 2 ** 32 + 160, ssrc: 0xfedcba98, csrcs: [1, 2] },
      Buffer.from([1, 2, 3]),
    );
    const p = parseRtpPacket(out)!;
    expect(p.header).toEqual({
      version: 2, padding: false, extension: false, marker: true, payloadType: 0,
      sequenceNumber: 7, timestamp: 160, ssrc: 0xfedcba98, csrcCount: 2,
    });
    expect([...p.payload]).toEqual([1, 2, 3]);
  });

  it('writes into a caller buffer and returns a subarray of it', () => {
    const scratch = Buffer.alloc(1500, 0xee);
    const out = writeRtpPacket({ payloadType: 8, sequenceNumber: 1, timestamp: 2, ssrc: 3 }, Buffer.alloc(160, 0xd5), scratch);
    expect(out.length).toBe(172);
    expect(out.buffer).toBe(scratch.buffer);
    expect(out.byteOffset).toBe(scratch.byteOffset);
    expect(() => writeRtpPacket({ payloadType: 8, sequenceNumber: 1, timestamp: 2, ssrc: 3 }, Buffer.alloc(160), Buffer.alloc(100))).toThrow(RangeError);
  });
});
