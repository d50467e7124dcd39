/**
 * SRTP/SRTCP (RFC 3711) with AES-128 counter mode and HMAC-SHA1, for the SDES suites of RFC 4568:
 * AES_CM_128_HMAC_SHA1_80 and AES_CM_128_HMAC_SHA1_32 (SRTP tag 80 or 32 bits; SRTCP always 80).
 *
 * Written on node:crypto rather than taken from werift-rtp: werift's session supports only the _80 tag, copies
 * each packet several times and keeps no replay list. Verified against the RFC 3711 B.2/B.3 vectors and, for
 * _80, against werift both ways (test/unit/media/srtp.test.ts).
 */
import { createCipheriv, createHmac, timingSafeEqual } from 'node:crypto';

export type SrtpSuite = 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32';

export const SRTP_SUITES: readonly SrtpSuite[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'];

/** Master key (16 bytes) followed by master salt (14 bytes), as carried base64 in a=crypto inline:. */
export const SRTP_KEY_SALT_BYTES = 30;

const SRTCP_TAG = 10;
/** Packets behind the newest one we still accept once each (RFC 3711 3.3.2: at least 64). */
const REPLAY_WINDOW = 128;

/** AES-CM keystream of `length` bytes for a 16-byte IV. */
function keystream(key: Buffer, iv: Buffer, length: number): Buffer {
  return createCipheriv('aes-128-ctr', key, iv).update(Buffer.alloc(length));
}

/** RFC 3711 4.3.1 key derivation with kdr = 0: x = (label << 48) XOR master salt, IV = x · 2^16. */
export function deriveSessionKey(masterKey: Buffer, masterSalt: Buffer, label: number, length: number): Buffer {
  const iv = Buffer.alloc(16);
  masterSalt.copy(iv, 0, 0, 14);
  iv[7] ^= label;
  return keystream(masterKey, iv, length);
}

interface Keys {
  encKey: Buffer;
  salt: Buffer;
  authKey: Buffer;
}

function keysFor(masterKey: Buffer, masterSalt: Buffer, rtcp: boolean): Keys {
  const base = rtcp ? 3 : 0;
  return {
    encKey: deriveSessionKey(masterKey, masterSalt, base, 16),
    authKey: deriveSessionKey(masterKey, masterSalt, base + 1, 20),
    salt: deriveSessionKey(masterKey, masterSalt, base + 2, 14),
  };
}

/** IV = (salt · 2^16) XOR (SSRC · 2^64) XOR (index · 2^16), index being the 48-bit packet index. */
function counterIv(salt: Buffer, ssrc: number, index: number, out: Buffer): Buffer {
  out.fill(0);
  salt.copy(out, 0, 0, 14);
  out[4] ^= ssrc >>> 24;
  out[5] ^= (ssrc >>> 16) & 0xff;
  out[6] ^= (ssrc >>> 8) & 0xff;
  out[7] ^= ssrc & 0xff;
  const hi = Math.floor(index / 0x1_0000_0000);
  const lo = index >>> 0;
  out[8] ^= (hi >>> 8) & 0xff;
  out[9] ^= hi & 0xff;
  out[10] ^= lo >>> 24;
  out[11] ^= (lo >>> 16) & 0xff;
  out[12] ^= (lo >>> 8) & 0xff;
  out[13] ^= lo & 0xff;
  return out;
}

/** RTP header length (fixed + CSRCs + extension), or -1 when malformed. */
function rtpHeaderLength(buf: Buffer): number {
  if (buf.length < 12 || buf[0] >> 6 !== 2) return -1;
  let off = 12 + (buf[0] & 0x0f) * 4;
  if (buf[0] & 0x10) {
    if (off + 4 > buf.length) return -1;
    off += 4 + buf.readUInt16BE(off + 2) * 4;
  }
  return off > buf.length ? -1 : off;
}

/** Per-SSRC receive state: highest index seen and the replay window. */
interface RxState {
  maxIndex: number;
  seen: Float64Array;
}

/** Thrown (and counted by the caller) for packets that fail authentication, replay or parsing. */
export class SrtpError extends Error {
  constructor(
    message: string,
    readonly kind: 'auth' | 'replay' | 'malformed',
  ) {
    super(message);
    this.name = 'SrtpError';
  }
}

/**
 * One direction of one SRTP session: protects what we send with our master key, or unprotects what the far end
 * sends with its key. {@link SrtpSession} pairs two of them.
 */
export class SrtpContext {
  private readonly rtp: Keys;
  private readonly rtcp: Keys;
  private readonly tagLength: number;
  private readonly iv = Buffer.alloc(16);
  private readonly rocBySsrc = new Map<number, { roc: number; lastSeq: number }>();
  private readonly rxBySsrc = new Map<number, RxState>();
  private readonly rtcpRxBySsrc = new Map<number, RxState>();
  private srtcpIndex = 0;

  constructor(suite: SrtpSuite, keySalt: Buffer) {
    if (keySalt.length !== SRTP_KEY_SALT_BYTES) throw new RangeError(`SRTP key||salt must be ${SRTP_KEY_SALT_BYTES} bytes, got ${keySalt.length}`);
    const masterKey = keySalt.subarray(0, 16);
    const masterSalt = keySalt.subarray(16, 30);
    this.rtp = keysFor(masterKey, masterSalt, false);
    this.rtcp = keysFor(masterKey, masterSalt, true);
    this.tagLength = suite === 'AES_CM_128_HMAC_SHA1_32' ? 4 : 10;
  }

  /** Extra bytes protection adds to an RTP packet. */
  get rtpOverhead(): number {
    return this.tagLength;
  }

  /**
   * Encrypts an RTP packet's payload and appends the tag. With `out` (at least packet + tag bytes, not
   * overlapping `packet` unless it is the same buffer) the result is written there; returns the SRTP packet.
   */
  protectRtp(packet: Buffer, out?: Buffer): Buffer {
    const hlen = rtpHeaderLength(packet);
    if (hlen < 0) throw new SrtpError('not an RTP packet', 'malformed');
    const ssrc = packet.readUInt32BE(8);
    const seq = packet.readUInt16BE(2);
    let st = this.rocBySsrc.get(ssrc);
    if (!st) {
      st = { roc: 0, lastSeq: seq };
      this.rocBySsrc.set(ssrc, st);
    } else if (seq < st.lastSeq && st.lastSeq - seq > 0x8000) {
      st.roc = (st.roc + 1) >>> 0; // the sequence number wrapped
    }
    st.lastSeq = seq;
    const total = packet.length + this.tagLength;
    const dst = out ? out.subarray(0, total) : Buffer.allocUnsafe(total);
    if (dst !== packet) packet.copy(dst, 0, 0, packet.length);
    const index = st.roc * 0x10000 + seq;
    const cipher = createCipheriv('aes-128-ctr', this.rtp.encKey, counterIv(this.rtp.salt, ssrc, index, this.iv));
    const enc = cipher.update(packet.subarray(hlen));
    enc.copy(dst, hlen);
    this.rtpTag(dst.subarray(0, packet.length), st.roc).copy(dst, packet.length, 0, this.tagLength);
    return dst;
  }

  /** Authenticates, replay-checks and decrypts an SRTP packet; returns the RTP packet (a new Buffer). */
  unprotectRtp(packet: Buffer): Buffer {
    const hlen = rtpHeaderLength(packet);
    if (hlen < 0 || packet.length < hlen + this.tagLength) throw new SrtpError('SRTP packet too short', 'malformed');
    const ssrc = packet.readUInt32BE(8);
    const seq = packet.readUInt16BE(2);
    let rx = this.rxBySsrc.get(ssrc);
    // RFC 3711 3.3.1: guess the ROC from the highest index seen.
    let index: number;
    if (!rx) {
      index = seq;
    } else {
      const roc = Math.floor(rx.maxIndex / 0x10000);
      const sl = rx.maxIndex % 0x10000;
      let v = roc;
      if (sl < 0x8000) {
        if (seq - sl > 0x8000 && roc > 0) v = roc - 1;
      } else if (sl - 0x8000 > seq) {
        v = roc + 1;
      }
      index = v * 0x10000 + seq;
      if (index <= rx.maxIndex - REPLAY_WINDOW || rx.seen[index % REPLAY_WINDOW] === index) {
        throw new SrtpError(`SRTP replay (index ${index})`, 'replay');
      }
    }
    const bodyEnd = packet.length - this.tagLength;
    const expected = this.rtpTag(packet.subarray(0, bodyEnd), Math.floor(index / 0x10000));
    if (!timingSafeEqual(expected.subarray(0, this.tagLength), packet.subarray(bodyEnd))) {
      throw new SrtpError('SRTP authentication failed', 'auth');
    }
    if (!rx) {
      rx = { maxIndex: index, seen: new Float64Array(REPLAY_WINDOW).fill(-1) };
      this.rxBySsrc.set(ssrc, rx);
    }
    rx.seen[index % REPLAY_WINDOW] = index;
    if (index > rx.maxIndex) rx.maxIndex = index;
    const out = Buffer.allocUnsafe(bodyEnd);
    packet.copy(out, 0, 0, hlen);
    const cipher = createCipheriv('aes-128-ctr', this.rtp.encKey, counterIv(this.rtp.salt, ssrc, index, this.iv));
    cipher.update(packet.subarray(hlen, bodyEnd)).copy(out, hlen);
    return out;
  }

  /** Encrypts a compound RTCP packet (all but the first 8 bytes), appends E|index and an 80-bit tag. */
  protectRtcp(packet: Buffer): Buffer {
    if (packet.length < 8) throw new SrtpError('RTCP packet too short', 'malformed');
    const ssrc = packet.readUInt32BE(4);
    const index = this.srtcpIndex;
    this.srtcpIndex = (this.srtcpIndex + 1) & 0x7fffffff;
    const out = Buffer.allocUnsafe(packet.length + 4 + SRTCP_TAG);
    packet.copy(out, 0, 0, 8);
    const cipher = createCipheriv('aes-128-ctr', this.rtcp.encKey, counterIv(this.rtcp.salt, ssrc, index, this.iv));
    cipher.update(packet.subarray(8)).copy(out, 8);
    out.writeUInt32BE((0x80000000 | index) >>> 0, packet.length);
    const tag = createHmac('sha1', this.rtcp.authKey).update(out.subarray(0, packet.length + 4)).digest();
    tag.copy(out, packet.length + 4, 0, SRTCP_TAG);
    return out;
  }

  /** Authenticates, replay-checks and decrypts an SRTCP packet; returns the plain compound RTCP packet. */
  unprotectRtcp(packet: Buffer): Buffer {
    if (packet.length < 8 + 4 + SRTCP_TAG) throw new SrtpError('SRTCP packet too short', 'malformed');
    const tagAt = packet.length - SRTCP_TAG;
    const expected = createHmac('sha1', this.rtcp.authKey).update(packet.subarray(0, tagAt)).digest();
    if (!timingSafeEqual(expected.subarray(0, SRTCP_TAG), packet.subarray(tagAt))) throw new SrtpError('SRTCP authentication failed', 'auth');
    const word = packet.readUInt32BE(tagAt - 4);
    const encrypted = (word & 0x80000000) !== 0;
    const index = word & 0x7fffffff;
    const ssrc = packet.readUInt32BE(4);
    let rx = this.rtcpRxBySsrc.get(ssrc);
    if (rx && (index <= rx.maxIndex - REPLAY_WINDOW || rx.seen[index % REPLAY_WINDOW] === index)) {
      throw new SrtpError(`SRTCP replay (index ${index})`, 'replay');
    }
    if (!rx) {
      rx = { maxIndex: index, seen: new Float64Array(REPLAY_WINDOW).fill(-1) };
      this.rtcpRxBySsrc.set(ssrc, rx);
    }
    rx.seen[index % REPLAY_WINDOW] = index;
    if (index > rx.maxIndex) rx.maxIndex = index;
    const bodyEnd = tagAt - 4;
    const out = Buffer.from(packet.subarray(0, bodyEnd));
    if (encrypted) {
      const cipher = createCipheriv('aes-128-ctr', this.rtcp.encKey, counterIv(this.rtcp.salt, ssrc, index, this.iv));
      cipher.update(packet.subarray(8, bodyEnd)).copy(out, 8);
    }
    return out;
  }

  /** HMAC-SHA1 over the authenticated portion and the ROC (RFC 3711 4.2). */
  private rtpTag(authenticated: Buffer, roc: number): Buffer {
    const rocBuf = Buffer.allocUnsafe(4);
    rocBuf.writeUInt32BE(roc >>> 0, 0);
    return createHmac('sha1', this.rtp.authKey).update(authenticated).update(rocBuf).digest();
  }
}

/** Both directions of a call: ours protects with our key, theirs unprotects with the far end's. */
export class SrtpSession {
  readonly local: SrtpContext;
  readonly remote: SrtpContext;
  constructor(
    readonly suite: SrtpSuite,
    localKeySalt: Buffer,
    remoteKeySalt: Buffer,
  ) {
    this.local = new SrtpContext(suite, localKeySalt);
    this.remote = new SrtpContext(suite, remoteKeySalt);
  }
}
