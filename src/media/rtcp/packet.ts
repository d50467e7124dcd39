/**
 * RTCP (RFC 3550 section 6) parse/serialize: SR, RR, SDES (CNAME), BYE in compound packets. Pure functions over
 * Buffers. Written here rather than taken from werift-rtp: its RTCP classes have no BYE and allocate an object
 * graph per packet, while an audio bridge needs only these four types, a few hundred bytes every 5 s.
 */

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;

/** One reception report block (RFC 3550 6.4.1). */
export interface ReportBlock {
  /** SSRC of the source this block reports on. */
  ssrc: number;
  /** Fraction lost since the previous report, 0..255 (x/256). */
  fractionLost: number;
  /** Cumulative packets lost (signed 24-bit: duplicates can make it negative). */
  cumulativeLost: number;
  /** Extended highest sequence number received (cycles << 16 | max seq). */
  extendedHighestSeq: number;
  /** Interarrival jitter, RTP timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR received from that source, 0 if none. */
  lastSr: number;
  /** Delay since that SR, 1/65536 s units, 0 if none. */
  delaySinceLastSr: number;
}

export interface SenderInfo {
  /** NTP timestamp, seconds since 1900 (32 bits). */
  ntpSec: number;
  /** NTP timestamp fraction (32 bits). */
  ntpFrac: number;
  rtpTimestamp: number;
  packetCount: number;
  /** Payload octets sent (RTP headers and padding excluded). */
  octetCount: number;
}

export type RtcpPacket =
  | { type: 'sr'; ssrc: number; sender: SenderInfo; reports: ReportBlock[] }
  | { type: 'rr'; ssrc: number; reports: ReportBlock[] }
  | { type: 'sdes'; chunks: Array<{ ssrc: number; cname?: string }> }
  | { type: 'bye'; ssrcs: number[]; reason?: string }
  | { type: 'other'; packetType: number };

/**
 * RFC 5761 demultiplexing on a shared port: RTCP packet types 192–223 occupy the second byte's range that
 * RTP payload types 64–95 (with or without marker) would, which no sane RTP stream uses.
 */
export function looksLikeRtcp(buf: Buffer): boolean {
  return buf.length >= 8 && buf[0] >> 6 === 2 && buf[1] >= 192 && buf[1] <= 223;
}

/**
 * Parses a compound RTCP packet. Returns null when it is not valid per RFC 3550 A.2 (version 2, lengths adding
 * up exactly to the datagram, first packet SR or RR; padding only on the last).
 */
export function parseRtcpCompound(buf: Buffer): RtcpPacket[] | null {
  if (buf.length < 4) return null;
  const first = buf[1];
  if (first !== RTCP_SR && first !== RTCP_RR) return null;
  const out: RtcpPacket[] = [];
  let off = 0;
  while (off < buf.length) {
    if (off + 4 > buf.length) return null;
    const b0 = buf[off];
    if (b0 >> 6 !== 2) return null;
    const len = (buf.readUInt16BE(off + 2) + 1) * 4;
    const end = off + len;
    if (end > buf.length) return null;
    let bodyEnd = end;
    if (b0 & 0x20) {
      if (end !== buf.length) return null; // padding only on the last packet
      const pad = buf[end - 1];
      if (pad === 0 || pad > len - 4) return null;
      bodyEnd = end - pad;
    }
    const pkt = parseOne(buf, off, bodyEnd, b0 & 0x1f, buf[off + 1]);
    if (!pkt) return null;
    out.push(pkt);
    off = end;
  }
  return out;
}

function parseOne(buf: Buffer, off: number, end: number, count: number, pt: number): RtcpPacket | null {
  switch (pt) {
    case RTCP_SR: {
      if (off + 28 + count * 24 > end) return null;
      return {
        type: 'sr',
        ssrc: buf.readUInt32BE(off + 4),
        sender: {
          ntpSec: buf.readUInt32BE(off + 8),
          ntpFrac: buf.readUInt32BE(off + 12),
          rtpTimestamp: buf.readUInt32BE(off + 16),
          packetCount: buf.readUInt32BE(off + 20),
          octetCount: buf.readUInt32BE(off + 24),
        },
        reports: readBlocks(buf, off + 28, count),
      };
    }
    case RTCP_RR:
      if (off + 8 + count * 24 > end) return null;
      return { type: 'rr', ssrc: buf.readUInt32BE(off + 4), reports: readBlocks(buf, off + 8, count) };
    case RTCP_SDES:
      return parseSdes(buf, off + 4, end, count);
    case RTCP_BYE: {
      let p = off + 4;
      if (p + count * 4 > end) return null;
      const ssrcs: number[] = [];
      for (let i = 0; i < count; i++, p += 4) ssrcs.push(buf.readUInt32BE(p));
      if (p < end) {
        const n = buf[p];
        if (p + 1 + n > end) return null;
        return { type: 'bye', ssrcs, reason: buf.toString('utf8', p + 1, p + 1 + n) };
      }
      return { type: 'bye', ssrcs };
    }
    default:
      return { type: 'other', packetType: pt };
  }
}

function readBlocks(buf: Buffer, off: number, count: number): ReportBlock[] {
  const blocks: ReportBlock[] = [];
  for (let i = 0; i < count; i++, off += 24) {
    blocks.push({
      ssrc: buf.readUInt32BE(off),
      fractionLost: buf[off + 4],
      cumulativeLost: (buf.readUIntBE(off + 5, 3) << 8) >> 8, // sign-extend 24 bits
      extendedHighestSeq: buf.readUInt32BE(off + 8),
      jitter: buf.readUInt32BE(off + 12),
      lastSr: buf.readUInt32BE(off + 16),
      delaySinceLastSr: buf.readUInt32BE(off + 20),
    });
  }
  return blocks;
}

const SDES_CNAME = 1;

function parseSdes(buf: Buffer, off: number, end: number, count: number): RtcpPacket | null {
  const chunks: Array<{ ssrc: number; cname?: string }> = [];
  let p = off;
  for (let i = 0; i < count; i++) {
    if (p + 4 > end) return null;
    const chunk: { ssrc: number; cname?: string } = { ssrc: buf.readUInt32BE(p) };
    p += 4;
    for (;;) {
      if (p >= end) return null;
      const item = buf[p];
      if (item === 0) {
        p = (p + 4) & ~3; // the END item, then padding to the next 32-bit boundary
        break;
      }
      if (p + 2 > end) return null;
      const n = buf[p + 1];
      if (p + 2 + n > end) return null;
      if (item === SDES_CNAME) chunk.cname = buf.toString('utf8', p + 2, p + 2 + n);
      p += 2 + n;
    }
    chunks.push(chunk);
  }
  return { type: 'sdes', chunks };
}

// ---- serialize ---------------------------------------------------------------------------------------------

function header(buf: Buffer, off: number, count: number, pt: number, bytes: number): void {
  buf[off] = 0x80 | count;
  buf[off + 1] = pt;
  buf.writeUInt16BE(bytes / 4 - 1, off + 2);
}

function writeBlocks(buf: Buffer, off: number, reports: readonly ReportBlock[]): void {
  for (const r of reports) {
    buf.writeUInt32BE(r.ssrc >>> 0, off);
    buf[off + 4] = Math.max(0, Math.min(255, r.fractionLost));
    // Clamp to the signed 24-bit range, as RFC 3550 6.4.1 asks.
    const lost = Math.max(-0x800000, Math.min(0x7fffff, r.cumulativeLost));
    buf.writeUIntBE(lost & 0xffffff, off + 5, 3);
    buf.writeUInt32BE(r.extendedHighestSeq >>> 0, off + 8);
    buf.writeUInt32BE(r.jitter >>> 0, off + 12);
    buf.writeUInt32BE(r.lastSr >>> 0, off + 16);
    buf.writeUInt32BE(r.delaySinceLastSr >>> 0, off + 20);
    off += 24;
  }
}

/** A sender report. At most 31 report blocks. */
export function writeSenderReport(ssrc: number, sender: SenderInfo, reports: readonly ReportBlock[] = []): Buffer {
  if (reports.length > 31) throw new RangeError('at most 31 report blocks');
  const bytes = 28 + reports.length * 24;
  const buf = Buffer.alloc(bytes);
  header(buf, 0, reports.length, RTCP_SR, bytes);
  buf.writeUInt32BE(ssrc >>> 0, 4);
  buf.writeUInt32BE(sender.ntpSec >>> 0, 8);
  buf.writeUInt32BE(sender.ntpFrac >>> 0, 12);
  buf.writeUInt32BE(sender.rtpTimestamp >>> 0, 16);
  buf.writeUInt32BE(sender.packetCount >>> 0, 20);
  buf.writeUInt32BE(sender.octetCount >>> 0, 24);
  writeBlocks(buf, 28, reports);
  return buf;
}

/** A receiver report (possibly empty, as the first packet of a compound when nothing was received). */
export function writeReceiverReport(ssrc: number, reports: readonly ReportBlock[] = []): Buffer {
  if (reports.length > 31) throw new RangeError('at most 31 report blocks');
  const bytes = 8 + reports.length * 24;
  const buf = Buffer.alloc(bytes);
  header(buf, 0, reports.length, RTCP_RR, bytes);
  buf.writeUInt32BE(ssrc >>> 0, 4);
  writeBlocks(buf, 8, reports);
  return buf;
}

/** SDES with one chunk carrying CNAME (required in every compound packet, RFC 3550 6.1). */
export function writeSdesCname(ssrc: number, cname: string): Buffer {
  const text = Buffer.from(cname, 'utf8');
  if (text.length > 255) throw new RangeError('CNAME longer than 255 bytes');
  // ssrc + type + length + text + END, padded to 32 bits (at least one null octet ends the list)
  const chunk = (4 + 2 + text.length + 1 + 3) & ~3;
  const bytes = 4 + chunk;
  const buf = Buffer.alloc(bytes);
  header(buf, 0, 1, RTCP_SDES, bytes);
  buf.writeUInt32BE(ssrc >>> 0, 4);
  buf[8] = SDES_CNAME;
  buf[9] = text.length;
  text.copy(buf, 10);
  return buf;
}

/** BYE for our SSRC(s), with an optional reason. */
export function writeBye(ssrcs: readonly number[], reason?: string): Buffer {
  if (ssrcs.length > 31) throw new RangeError('at most 31 SSRCs');
  const text = reason === undefined ? undefined : Buffer.from(reason, 'utf8').subarray(0, 255);
  const raw = 4 + ssrcs.length * 4 + (text ? 1 + text.length : 0);
  const bytes = (raw + 3) & ~3;
  const buf = Buffer.alloc(bytes);
  header(buf, 0, ssrcs.length, RTCP_BYE, bytes);
  ssrcs.forEach((s, i) => buf.writeUInt32BE(s >>> 0, 4 + i * 4));
  if (text) {
    buf[4 + ssrcs.length * 4] = text.length;
    text.copy(buf, 5 + ssrcs.length * 4);
  }
  return buf;
}

/** 1900-01-01 to 1970-01-01 in seconds: NTP timestamps count from 1900. */
const NTP_UNIX_OFFSET = 2_208_988_800;

/** Unix time in ms → 64-bit NTP timestamp as two 32-bit halves. */
export function ntpFromUnixMs(ms: number): { ntpSec: number; ntpFrac: number } {
  const sec = Math.floor(ms / 1000);
  const frac = Math.floor(((ms - sec * 1000) / 1000) * 0x1_0000_0000);
  return { ntpSec: (sec + NTP_UNIX_OFFSET) >>> 0, ntpFrac: frac >>> 0 };
}

/** The middle 32 bits of an NTP timestamp (LSR field, and units of RTT arithmetic: 1/65536 s). */
export function ntpMiddle32(ntpSec: number, ntpFrac: number): number {
  return (((ntpSec & 0xffff) << 16) | (ntpFrac >>> 16)) >>> 0;
}
