import { describe, expect, it } from 'vitest';
import {
  RtcpReporter,
  ntpFromUnixMs,
  ntpMiddle32,
  parseRtcpCompound,
  rtcpInterval,
  writeReceiverReport,
  writeSenderReport,
  type RtcpPacket,
} from '../../../src/media/rtcp/index.js';

const OURS = 0x1234;
const THEIRS = 0x9999;
const OFFSET = 1_700_000_000_000; // unix ms at clock 0

function reporter(): RtcpReporter {
  return new RtcpReporter({ ssrc: OURS, cname: 'test@trunkbridge', sendClockRate: 8000, wallClockOffsetMs: OFFSET });
}

function first(buf: Buffer): RtcpPacket {
  const p = parseRtcpCompound(buf);
  expect(p).not.toBeNull();
  return p![0];
}

describe('RtcpReporter: what we received', () => {
  it('interarrival jitter per RFC 3550 A.8: steady stream 0, alternating 10 ms lateness converges to 10 ms', () => {
    const steady = reporter();
    for (let i = 0; i < 50; i++) steady.onRtpReceived(THEIRS, i, i * 160, 1000 + i * 20, 8000);
    expect(steady.quality(50).jitterMs).toBe(0);

    const bumpy = reporter();
    for (let i = 0; i < 300; i++) bumpy.onRtpReceived(THEIRS, i, i * 160, 1000 + i * 20 + (i % 2) * 10, 8000);
    expect(bumpy.quality(300).jitterMs).toBeCloseTo(10, 1);
  });

  it('jitter survives an RTP timestamp wrap', () => {
    const r = reporter();
    const ts0 = 2 ** 32 - 5 * 160;
    for (let i = 0; i < 20; i++) r.onRtpReceived(THEIRS, i, (ts0 + i * 160) >>> 0, i * 20, 8000);
    expect(r.quality(20).jitterMs).toBe(0);
  });

  it('report block: fraction lost per interval, cumulative loss, extended highest sequence, jitter', () => {
    const r = reporter();
    for (const seq of [100, 101, 102, 104, 105, 106, 107, 108, 109]) r.onRtpReceived(THEIRS, seq, seq * 160, seq * 20, 8000);
    let rr = first(r.buildReport(5000));
    expect(rr.type).toBe('rr');
    if (rr.type !== 'rr') return;
    expect(rr.ssrc).toBe(OURS);
    expect(rr.reports).toEqual([
      { ssrc: THEIRS, fractionLost: Math.floor(256 / 10), cumulativeLost: 1, extendedHighestSeq: 109, jitter: 0, lastSr: 0, delaySinceLastSr: 0 },
    ]);
    // next interval without loss: fraction 0, cumulative stays
    for (let seq = 110; seq < 120; seq++) r.onRtpReceived(THEIRS, seq, seq * 160, seq * 20, 8000);
    rr = first(r.buildReport(10000));
    expect(rr).toMatchObject({ reports: [{ fractionLost: 0, cumulativeLost: 1, extendedHighestSeq: 119 }] });
  });

  it('reordered packets are not reported lost', () => {
    const r = reporter();
    for (const seq of [1, 3, 2, 5, 4, 6]) r.onRtpReceived(THEIRS, seq, seq * 160, seq * 20, 8000);
    expect(r.quality(6).packetsLost).toBe(0);
    expect(first(r.buildReport(1000))).toMatchObject({ reports: [{ fractionLost: 0, cumulativeLost: 0 }] });
  });

  it('LSR/DLSR echo the far end\'s last SR: middle NTP bits and the delay since, in 1/65536 s', () => {
    const r = reporter();
    r.onRtpReceived(THEIRS, 1, 160, 0, 8000);
    const sr = writeSenderReport(THEIRS, { ntpSec: 0xe1234567, ntpFrac: 0x89abcdef, rtpTimestamp: 160, packetCount: 1, octetCount: 160 });
    expect(r.onRtcp(sr, 1000)).not.toBeNull();
    expect(first(r.buildReport(1500))).toMatchObject({ reports: [{ lastSr: 0x456789ab, delaySinceLastSr: 32768 }] });
  });
});

describe('RtcpReporter: what we sent', () => {
  it('SR once we sent RTP: counts, payload octets, NTP from the wall clock, RTP timestamp extrapolated', () => {
    const r = reporter();
    expect(first(r.buildReport(0)).type).toBe('rr'); // nothing sent yet
    for (let i = 0; i < 100; i++) r.onRtpSent(5000 + i * 160, 160, i * 20);
    const sr = first(r.buildReport(2000)); // 20 ms after the last packet's slot at 1980
    expect(sr.type).toBe('sr');
    if (sr.type !== 'sr') return;
    expect(sr.sender).toEqual({ ...ntpFromUnixMs(OFFSET + 2000), rtpTimestamp: 5000 + 99 * 160 + 160, packetCount: 100, octetCount: 16000 });
    expect(sr.reports).toEqual([]);
    // no RTP since the last report: RR
    expect(first(r.buildReport(7000)).type).toBe('rr');
  });

  it('compound always carries SDES CNAME; BYE when closing', () => {
    const r = reporter();
    r.onRtpSent(0, 160, 0);
    const packets = parseRtcpCompound(r.buildReport(100, true))!;
    expect(packets.map((p) => p.type)).toEqual(['sr', 'sdes', 'bye']);
    expect(packets[1]).toEqual({ type: 'sdes', chunks: [{ ssrc: OURS, cname: 'test@trunkbridge' }] });
    expect(packets[2]).toEqual({ type: 'bye', ssrcs: [OURS] });
  });
});

describe('RtcpReporter: what the far end reported', () => {
  it('RTT = arrival − LSR − DLSR', () => {
    const r = reporter();
    r.onRtpSent(0, 160, 0);
    const sr = first(r.buildReport(1000));
    if (sr.type !== 'sr') throw new Error('expected SR');
    const lsr = ntpMiddle32(sr.sender.ntpSec, sr.sender.ntpFrac);
    // The far end held our SR 60 ms before answering; its RR reaches us at 1100: RTT 40 ms.
    const rr = writeReceiverReport(THEIRS, [
      { ssrc: OURS, fractionLost: 0, cumulativeLost: 2, extendedHighestSeq: 10, jitter: 80, lastSr: lsr, delaySinceLastSr: Math.round(0.06 * 65536) },
    ]);
    const input = r.onRtcp(rr, 1100)!;
    expect(input.rttMs).toBeCloseTo(40, 0);
    const q = r.quality(0);
    expect(q.rttMs).toBeCloseTo(40, 0);
    expect(q.remote).toEqual({ packetsLost: 2, jitterMs: 10 });
  });

  it('no RTT from a block without LSR, or about another SSRC, or with a DLSR longer than the elapsed time', () => {
    const r = reporter();
    const mk = (ssrc: number, lastSr: number, dlsr: number) =>
      writeReceiverReport(THEIRS, [{ ssrc, fractionLost: 0, cumulativeLost: 0, extendedHighestSeq: 0, jitter: 0, lastSr, delaySinceLastSr: dlsr }]);
    expect(r.onRtcp(mk(OURS, 0, 0), 10)!.rttMs).toBeUndefined();
    const t = ntpFromUnixMs(OFFSET + 10);
    expect(r.onRtcp(mk(0x4242, ntpMiddle32(t.ntpSec, t.ntpFrac), 0), 10)!.rttMs).toBeUndefined();
    expect(r.onRtcp(mk(OURS, ntpMiddle32(t.ntpSec, t.ntpFrac), 65536), 20)!.rttMs).toBeUndefined();
    expect(r.quality(0).rttMs).toBeUndefined();
  });

  it('reports BYE SSRCs, and null for garbage', () => {
    const r = reporter();
    const bye = Buffer.concat([writeReceiverReport(THEIRS), Buffer.from('81cb000100009999', 'hex')]);
    expect(r.onRtcp(bye, 0)!.bye).toEqual([THEIRS]);
    expect(r.onRtcp(Buffer.from('hello world!'), 0)).toBeNull();
  });
});

describe('rtcpInterval (RFC 3550 6.3.1)', () => {
  it.each([
    [5000, false, 0, 2500],
    [5000, false, 0.999, 7495],
    [5000, true, 0.5, 2500],
  ])('nominal %i first=%s random=%f → %i ms', (nominal, isFirst, rnd, expected) => {
    expect(rtcpInterval(nominal, isFirst, () => rnd)).toBeCloseTo(expected, 0);
  });
});
