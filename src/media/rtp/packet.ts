/**
 * RTP (RFC 3550) fixed header parse/write. Pure functions over Buffers; the parser returns the payload as a
 * subarray of the input (no copy) and null for anything that is not a well-formed RTP packet, including RTCP
 * multiplexed on the same port (RFC 5761 packet types 192–223).
 */

export interface RtpHeader {
  version: 2;
  padding: boolean;
  extension: boolean;
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcCount: number;
}

export interface ParsedRtpPacket {
  header: RtpHeader;
  /** Payload without CSRCs, header extension or padding; shares memory with the input. */
  payload: Buffer;
}

/** RTP fixed header length without CSRCs. */
export const RTP_HEADER_SIZE = 12;

export function parseRtpPacket(buf: Buffer): ParsedRtpPacket | null {
  const len = buf.length;
  if (len < RTP_HEADER_SIZE) return null;
  const b0 = buf[0];
  if (b0 >> 6 !== 2) return null;
  const b1 = buf[1];
  const payloadType = b1 & 0x7f;
  if (payloadType >= 64 && payloadType <= 95) return null; // RTCP SR/RR/SDES/BYE/APP... on a muxed port
  const padding = (b0 & 0x20) !== 0;
  const extension = (b0 & 0x10) !== 0;
  const csrcCount = b0 & 0x0f;
  let offset = RTP_HEADER_SIZE + csrcCount * 4;
  if (extension) {
    if (offset + 4 > len) return null;
    offset += 4 + buf.readUInt16BE(offset + 2) * 4;
  }
  let end = len;
  if (padding) {
    const pad = buf[len - 1];
    if (pad === 0) return null;
    end -= pad;
  }
  if (offset > end) return null;
  return {
    header: {
      version: 2,
      padding,
      extension,
      marker: (b1 & 0x80) !== 0,
      payloadType,
      sequenceNumber: buf.readUInt16BE(2),
      timestamp: buf.readUInt32BE(4),
      ssrc: buf.readUInt32BE(8),
      csrcCount,
    },
    payload: buf.subarray(offset, end),
  };
}

/** Header fields for {@link writeRtpPacket}. Version is always 2; no padding or extension is written. */
export interface RtpWriteFields {
  marker?: boolean;
  payloadType: number;
  /** Taken modulo 2^16. */
  sequenceNumber: number;
  /** Taken modulo 2^32. */
  timestamp: number;
  ssrc: number;
  csrcs?: readonly number[];
}

const NO_CSRCS: readonly number[] = [];

/**
 * Serialises an RTP packet. With `out` (reused by the send loop to avoid a Buffer per packet) the packet is
 * written at its start and a subarray of exactly the packet's length is returned; `out` must be large enough.
 */
export function writeRtpPacket(fields: RtpWriteFields, payload: Buffer, out?: Buffer): Buffer {
  const csrcs = fields.csrcs ?? NO_CSRCS;
  if (csrcs.length > 15) throw new RangeError('at most 15 CSRCs');
  const headerLen = RTP_HEADER_SIZE + csrcs.length * 4;
  const total = headerLen + payload.length;
  let buf: Buffer;
  if (out) {
    if (out.length < total) throw new RangeError(`RTP output buffer too small: ${out.length} < ${total}`);
    buf = out.length === total ? out : out.subarray(0, total); // the send ring's slots fit G.711 packets exactly
  } else {
    buf = Buffer.allocUnsafe(total);
  }
  buf[0] = 0x80 | csrcs.length;
  buf[1] = (fields.marker ? 0x80 : 0) | (fields.payloadType & 0x7f);
  buf.writeUInt16BE(fields.sequenceNumber & 0xffff, 2);
  buf.writeUInt32BE(fields.timestamp >>> 0, 4);
  buf.writeUInt32BE(fields.ssrc >>> 0, 8);
  for (let i = 0; i < csrcs.length; i++) buf.writeUInt32BE(csrcs[i] >>> 0, RTP_HEADER_SIZE + i * 4);
  payload.copy(buf, headerLen);
  return buf;
}
