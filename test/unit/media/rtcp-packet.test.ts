import { describe, expect, it } from 'vitest';
import { RtcpRrPacket, RtcpReceiverInfo, RtcpSrPacket, RtcpSenderInfo } from 'werift-rtp';
import {
  looksLikeRtcp,
  ntpFromUnixMs,
  ntpMiddle32,
  parseRtcpCompound,
  writeBye,
  writeReceiverReport,
  writeSdesCname,
  writeSenderReport,
  type ReportBlock,
} from '../../../src/media/rtcp/index.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const block: ReportBlock = {
  ssrc: 0x11223344,
  fractionLost: 25,
  cumulativeLost: 7,
  extendedHighestSeq: 0x0001_0005,
  jitter: 42,
  lastSr: 0xabcd1234,
  delaySinceLastSr: 0x00018000,
};

describe('RTCP packets: raw fixtures', () => {
  it.each([
    [
      'RR, one block, then SDES CNAME "ab"',
      '81c90007 deadbeef 11223344 19000007 00010005 0000002a abcd1234 00018000' + '81ca0003 deadbeef 0102 6162 00000000',
      [
        { type: 'rr', ssrc: 0xdeadbeef, reports: [block] },
        { type: 'sdes', chunks: [{ ssrc: 0xdeadbeef, cname: 'ab' }] },
      ],
    ],
    [
      'SR without blocks, then BYE with reason',
      '80c80006 00000001 e8000000 80000000 00000fa0 00000032 00001f40' + '81cb0002 00000001 03627965',
      [
        { type: 'sr', ssrc: 1, sender: { ntpSec: 0xe8000000, ntpFrac: 0x80000000, rtpTimestamp: 4000, packetCount: 50, octetCount: 8000 }, reports: [] },
        { type: 'bye', ssrcs: [1], reason: 'bye' },
      ],
    ],
    [
      'RR with negative cumulative loss (duplicates), unknown APP packet kept as other',
      '81c90007 00000002 00000003 00fffffe 00000010 00000000 00000000 00000000' + '80cc0002 00000002 6e616d65',
      [
        { type: 'rr', ssrc: 2, reports: [{ ssrc: 3, fractionLost: 0, cumulativeLost: -2, extendedHighestSeq: 16, jitter: 0, lastSr: 0, delaySinceLastSr: 0 }] },
        { type: 'other', packetType: 204 },
      ],
    ],
    ['empty RR with padding on the last packet', 'a0c90002 00000009 00000004', [{ type: 'rr', ssrc: 9, reports: [] }]],
  ])('%s', (_name, raw, expected) => {
    expect(parseRtcpCompound(hex(raw))).toEqual(expected);
  });

  it.each([
    ['too short', '80c9'],
    ['version 1', '40c90001 00000001'],
    ['first packet is SDES, not SR/RR', '81ca0003 deadbeef 0102 6162 00000000'],
    ['length beyond the datagram', '80c90005 00000001'],
    ['trailing garbage after the last packet', '80c90001 00000001 ff'],
    ['report count larger than the packet', '82c90001 00000001'],
    ['padding on a packet that is not last', 'a0c90002 00000009 00000004 80c90001 00000001'],
    ['SDES item running past the end', '80c90001 00000001 81ca0002 deadbeef 0109 6162'],
    ['an RTP packet (PT 0)', '80000001 00000000 00000001 ffff'],
  ])('rejects %s', (_name, raw) => {
    expect(parseRtcpCompound(hex(raw))).toBeNull();
  });

  it('looksLikeRtcp separates RTCP from RTP on a muxed port (RFC 5761)', () => {
    expect(looksLikeRtcp(hex('80c90001 00000001'))).toBe(true);
    expect(looksLikeRtcp(hex('80c80006 00000001'))).toBe(true);
    expect(looksLikeRtcp(hex('80000001 00000000 00000001'))).toBe(false); // PCMU
    expect(looksLikeRtcp(hex('80e50001 00000000 00000001'))).toBe(false); // marker + PT 101 (telephone-event)
    expect(looksLikeRtcp(hex('80c9'))).toBe(false);
  });
});

describe('RTCP packets: serialize', () => {
  it('writes the fixture bytes back exactly', () => {
    const rr = writeReceiverReport(0xdeadbeef, [block]);
    const sdes = writeSdesCname(0xdeadbeef, 'ab');
    expect(Buffer.concat([rr, sdes]).toString('hex')).toBe(
      '81c90007deadbeef1122334419000007000100050000002aabcd123400018000' + '81ca0003deadbeef0102616200000000',
    );
    expect(writeBye([1], 'bye').toString('hex')).toBe('81cb00020000000103627965');
    expect(writeBye([1], 'done').toString('hex')).toBe('81cb000300000001' + '04646f6e65000000');
    expect(writeBye([7]).toString('hex')).toBe('81cb000100000007');
  });

  it.each(['', 'a', 'abc', 'abcd', 'x'.repeat(255)])('SDES CNAME of %j round-trips with a terminating null', (cname) => {
    const buf = Buffer.concat([writeReceiverReport(5), writeSdesCname(5, cname)]);
    expect(buf.length % 4).toBe(0);
    expect(parseRtcpCompound(buf)).toEqual([
      { type: 'rr', ssrc: 5, reports: [] },
      { type: 'sdes', chunks: [{ ssrc: 5, cname }] },
    ]);
  });

  it('clamps cumulative loss to signed 24 bits', () => {
    const big = parseRtcpCompound(writeReceiverReport(1, [{ ...block, cumulativeLost: 1e9 }]))!;
    expect(big[0]).toMatchObject({ reports: [{ cumulativeLost: 0x7fffff }] });
  });

  it('agrees with werift-rtp (an independent implementation) both ways', () => {
    const sender = { ntpSec: 0xe8001234, ntpFrac: 0x40000000, rtpTimestamp: 123456, packetCount: 250, octetCount: 40000 };
    const ours = writeSenderReport(0xcafe, sender, [block]);
    const theirs = new RtcpSrPacket({
      ssrc: 0xcafe,
      senderInfo: new RtcpSenderInfo({ ntpTimestamp: (0xe8001234n << 32n) | 0x40000000n, rtpTimestamp: 123456, packetCount: 250, octetCount: 40000 }),
      reports: [new RtcpReceiverInfo({ ssrc: block.ssrc, fractionLost: 25, packetsLost: 7, highestSequence: 0x10005, jitter: 42, lsr: 0xabcd1234, dlsr: 0x18000 })],
    }).serialize();
    expect(ours.toString('hex')).toBe(theirs.toString('hex'));
    const rr = new RtcpRrPacket({ ssrc: 77, reports: [new RtcpReceiverInfo({ ssrc: 1, fractionLost: 0, packetsLost: 3, highestSequence: 99, jitter: 5, lsr: 0, dlsr: 0 })] }).serialize();
    expect(parseRtcpCompound(rr)).toEqual([
      { type: 'rr', ssrc: 77, reports: [{ ssrc: 1, fractionLost: 0, cumulativeLost: 3, extendedHighestSeq: 99, jitter: 5, lastSr: 0, delaySinceLastSr: 0 }] },
    ]);
  });

  it('NTP time: 1900 epoch, 2^32 fractions, middle 32 bits', () => {
    expect(ntpFromUnixMs(0)).toEqual({ ntpSec: 2_208_988_800, ntpFrac: 0 });
    expect(ntpFromUnixMs(1500)).toEqual({ ntpSec: 2_208_988_801, ntpFrac: 0x80000000 });
    expect(ntpMiddle32(0x0001_0002, 0x0003_0004)).toBe(0x0002_0003);
  });
});
