/**
 * One call's RTCP state (RFC 3550): what we sent (for SR sender info), what we received (sequence/loss per A.3,
 * interarrival jitter per A.8) and what the far end reported back (RTT from LSR/DLSR, its view of our stream).
 * No sockets and no timers: the media session feeds it packets with the injected clock's time and sends the
 * compound packets it builds.
 */
import { SequenceTracker } from '../rtp/sequence-tracker.js';
import {
  ntpFromUnixMs,
  ntpMiddle32,
  parseRtcpCompound,
  writeBye,
  writeReceiverReport,
  writeSdesCname,
  writeSenderReport,
  type ReportBlock,
  type RtcpPacket,
} from './packet.js';

export interface RtcpReporterOptions {
  /** Our RTP SSRC. */
  ssrc: number;
  /** Our SDES CNAME. */
  cname: string;
  /** RTP clock rate of what we send (SR RTP timestamp extrapolation). */
  sendClockRate: number;
  /** Unix time in ms at clock time 0: NTP = offset + clock time. Only differences matter for RTT. */
  wallClockOffsetMs: number;
}

/** Per-call quality as the bot and the metrics see it. */
export interface MediaQuality {
  /** RTP packets received from the far end (RFC 3550 counting). */
  packetsReceived: number;
  /** Expected − received over the whole call (never negative). */
  packetsLost: number;
  /** Interarrival jitter of the far end's stream (RFC 3550 A.8), ms. */
  jitterMs: number;
  /** Round-trip time from the far end's last report on our stream, ms; absent until one arrived. */
  rttMs?: number;
  /** What the far end last reported about our stream: cumulative loss and jitter (ms). */
  remote?: { packetsLost: number; jitterMs: number };
}

export interface RtcpInput {
  packets: RtcpPacket[];
  /** SSRCs that said BYE in this compound. */
  bye: number[];
  /** RTT computed from a report block about our SSRC in this compound, ms. */
  rttMs?: number;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

export class RtcpReporter {
  private readonly opts: RtcpReporterOptions;
  readonly sequence = new SequenceTracker();

  // sent
  private packetsSent = 0;
  private octetsSent = 0;
  private lastRtpTimestamp = 0;
  private lastRtpSentAt = 0;
  private sentSinceReport = false;

  // received (current source)
  private jitter = 0;
  private lastTransit: number | undefined;
  private rxClockRate = 8000;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private priorSsrc = -1;
  private lastSrMiddle = 0;
  private lastSrAt = 0;

  // reported back
  private rtt: number | undefined;
  private remoteView: { packetsLost: number; jitterMs: number } | undefined;

  constructor(opts: RtcpReporterOptions) {
    this.opts = opts;
  }

  /** Records one RTP packet we sent: its RTP timestamp and payload size (RFC 3550 octet count). */
  onRtpSent(rtpTimestamp: number, payloadBytes: number, nowMs: number): void {
    this.packetsSent++;
    this.octetsSent += payloadBytes;
    this.lastRtpTimestamp = rtpTimestamp;
    this.lastRtpSentAt = nowMs;
    this.sentSinceReport = true;
  }

  /**
   * Records one RTP packet received: sequence accounting and interarrival jitter (A.8, in units of the payload's
   * clock rate). Returns true when the packet is newer than all before it (see {@link SequenceTracker.accept}).
   */
  onRtpReceived(ssrc: number, seq: number, rtpTimestamp: number, arrivalMs: number, clockRate: number): boolean {
    const before = this.sequence.ssrc;
    const inOrder = this.sequence.accept(ssrc, seq);
    if (this.sequence.ssrc !== before || this.sequence.received === 1) {
      // New source (or a restarted sequence): jitter and interval counts start over.
      this.jitter = 0;
      this.lastTransit = undefined;
      this.expectedPrior = 0;
      this.receivedPrior = 0;
      this.priorSsrc = ssrc;
    }
    this.rxClockRate = clockRate;
    const transit = (arrivalMs * clockRate) / 1000 - rtpTimestamp;
    if (this.lastTransit !== undefined) {
      // Timestamps wrap at 2^32; the difference between consecutive transits is small, so fold it.
      let d = Math.abs(transit - this.lastTransit);
      if (d > 2 ** 31) d = Math.abs(d - 2 ** 32);
      this.jitter += (d - this.jitter) / 16;
    }
    this.lastTransit = transit;
    return inOrder;
  }

  /** Reads a compound RTCP packet from the far end; null when it is not valid RTCP. */
  onRtcp(buf: Buffer, nowMs: number): RtcpInput | null {
    const packets = parseRtcpCompound(buf);
    if (!packets) return null;
    const input: RtcpInput = { packets, bye: [] };
    for (const p of packets) {
      if (p.type === 'sr') {
        this.lastSrMiddle = ntpMiddle32(p.sender.ntpSec, p.sender.ntpFrac);
        this.lastSrAt = nowMs;
      }
      if (p.type === 'sr' || p.type === 'rr') {
        const mine = p.reports.find((r) => r.ssrc === this.opts.ssrc);
        if (mine) {
          this.remoteView = { packetsLost: Math.max(0, mine.cumulativeLost), jitterMs: round1((mine.jitter * 1000) / this.opts.sendClockRate) };
          const rtt = this.rttFrom(mine, nowMs);
          if (rtt !== undefined) {
            this.rtt = rtt;
            input.rttMs = rtt;
          }
        }
      }
      if (p.type === 'bye') input.bye.push(...p.ssrcs);
    }
    return input;
  }

  /** RTT = A − LSR − DLSR (RFC 3550 6.4.1), in 1/65536 s, converted to ms. */
  private rttFrom(block: ReportBlock, nowMs: number): number | undefined {
    if (block.lastSr === 0) return undefined;
    const t = ntpFromUnixMs(this.opts.wallClockOffsetMs + nowMs);
    const a = ntpMiddle32(t.ntpSec, t.ntpFrac);
    const rtt = (a - block.lastSr - block.delaySinceLastSr) >>> 0;
    if (rtt >= 0x8000_0000) return undefined; // negative: the far end's DLSR is off; ignore rather than report nonsense
    return round1((rtt * 1000) / 65536);
  }

  /** The report block about the far end's stream, or none before its first packet. Advances the interval. */
  private reportBlock(nowMs: number): ReportBlock[] {
    const s = this.sequence;
    if (s.ssrc < 0) return [];
    if (s.ssrc !== this.priorSsrc) {
      this.expectedPrior = 0;
      this.receivedPrior = 0;
      this.priorSsrc = s.ssrc;
    }
    const expected = s.expected;
    const expectedInterval = expected - this.expectedPrior;
    const lostInterval = expectedInterval - (s.received - this.receivedPrior);
    this.expectedPrior = expected;
    this.receivedPrior = s.received;
    const fractionLost = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval << 8) / expectedInterval);
    return [
      {
        ssrc: s.ssrc,
        fractionLost,
        cumulativeLost: s.sourceLost,
        extendedHighestSeq: s.extendedMax >>> 0,
        jitter: Math.floor(this.jitter),
        lastSr: this.lastSrMiddle,
        delaySinceLastSr: this.lastSrMiddle === 0 ? 0 : Math.floor(((nowMs - this.lastSrAt) / 1000) * 65536),
      },
    ];
  }

  /** The send codec changed clock rate (re-INVITE); later SRs extrapolate at the new rate. */
  setSendClockRate(clockRate: number): void {
    this.opts.sendClockRate = clockRate;
  }

  /**
   * A compound packet for now: SR when we sent RTP since the last report (else RR), a report block on the far
   * end's stream, SDES CNAME, and BYE when `bye` is set.
   */
  buildReport(nowMs: number, bye = false): Buffer {
    const blocks = this.reportBlock(nowMs);
    const parts: Buffer[] = [];
    if (this.sentSinceReport || (bye && this.packetsSent > 0)) {
      const ntp = ntpFromUnixMs(this.opts.wallClockOffsetMs + nowMs);
      // The RTP timestamp that corresponds to the NTP time: the last one sent, moved on by the time since.
      const rtpTimestamp = (this.lastRtpTimestamp + Math.round(((nowMs - this.lastRtpSentAt) * this.opts.sendClockRate) / 1000)) >>> 0;
      parts.push(
        writeSenderReport(this.opts.ssrc, { ...ntp, rtpTimestamp, packetCount: this.packetsSent, octetCount: this.octetsSent }, blocks),
      );
    } else {
      parts.push(writeReceiverReport(this.opts.ssrc, blocks));
    }
    this.sentSinceReport = false;
    parts.push(writeSdesCname(this.opts.ssrc, this.opts.cname));
    if (bye) parts.push(writeBye([this.opts.ssrc]));
    return Buffer.concat(parts);
  }

  /** The call's quality figures so far; `packetsReceived` comes from the caller's own count (all payload types). */
  quality(packetsReceived: number): MediaQuality {
    const q: MediaQuality = {
      packetsReceived,
      packetsLost: this.sequence.lost,
      jitterMs: round1((this.jitter * 1000) / this.rxClockRate),
    };
    if (this.rtt !== undefined) q.rttMs = this.rtt;
    if (this.remoteView) q.remote = { ...this.remoteView };
    return q;
  }
}

/**
 * RFC 3550 6.3.1 reporting interval for a two-party call: the nominal interval times a random factor in
 * [0.5, 1.5), halved before the first report, so that peers do not synchronise.
 */
export function rtcpInterval(nominalMs: number, first: boolean, random: () => number = Math.random): number {
  const base = first ? nominalMs / 2 : nominalMs;
  return base * (0.5 + random());
}
