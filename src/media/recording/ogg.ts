/**
 * Ogg pages (RFC 3533) carrying Opus (RFC 7845): the CRC, page framing with its lacing table, and the two
 * header packets (OpusHead, OpusTags). Pure: packets in, page bytes out; the recorder decides the granules.
 */

/** CRC-32 of Ogg: polynomial 0x04c11db7, no reflection, initial 0, no final xor (RFC 3533 §6). */
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let j = 0; j < 8; j++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    t[i] = r >>> 0;
  }
  return t;
})();

export function oggCrc32(buf: Uint8Array): number {
  let crc = 0;
  for (let i = 0; i < buf.length; i++) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ buf[i]) & 0xff]) >>> 0;
  return crc >>> 0;
}

/** Header-type flags of a page. */
export const OGG_BOS = 0x02;
export const OGG_EOS = 0x04;

/** Most packet bytes one page may hold whole: 255 lacing values of 255 (a packet ending on 255 needs a 0 after). */
export const OGG_MAX_PAGE_PAYLOAD = 255 * 255 - 1;

export interface OggPageInput {
  /** BOS / EOS flags (continuation pages are not written: packets never span pages here). */
  flags: number;
  /** Granule position after the last packet ending on this page (48 kHz samples for Opus). */
  granule: bigint;
  serial: number;
  sequence: number;
  packets: readonly Uint8Array[];
}

/**
 * One page holding `packets` whole.
 * @throws RangeError when they do not fit one page (more than 255 lacing values).
 */
export function oggPage(p: OggPageInput): Buffer {
  const lacing: number[] = [];
  let bodyBytes = 0;
  for (const pkt of p.packets) {
    let n = pkt.length;
    while (n >= 255) {
      lacing.push(255);
      n -= 255;
    }
    lacing.push(n); // a packet whose length is a multiple of 255 ends with a 0 lacing value
    bodyBytes += pkt.length;
  }
  if (lacing.length > 255) throw new RangeError(`packets need ${lacing.length} lacing values; a page holds 255`);
  const page = Buffer.alloc(27 + lacing.length + bodyBytes);
  page.write('OggS', 0, 'ascii');
  page[4] = 0; // version
  page[5] = p.flags;
  page.writeBigUInt64LE(p.granule, 6);
  page.writeUInt32LE(p.serial >>> 0, 14);
  page.writeUInt32LE(p.sequence >>> 0, 18);
  page.writeUInt32LE(0, 22); // CRC, filled below
  page[26] = lacing.length;
  for (let i = 0; i < lacing.length; i++) page[27 + i] = lacing[i];
  let at = 27 + lacing.length;
  for (const pkt of p.packets) {
    page.set(pkt, at);
    at += pkt.length;
  }
  page.writeUInt32LE(oggCrc32(page), 22);
  return page;
}

/** Lacing values a packet takes on a page. */
export function lacingCount(packetBytes: number): number {
  return Math.floor(packetBytes / 255) + 1;
}

/** The OpusHead packet (RFC 7845 §5.1), channel mapping family 0 (mono or stereo). */
export function opusHead(o: { channels: 1 | 2; preSkip: number; inputSampleRate: number }): Buffer {
  const h = Buffer.alloc(19);
  h.write('OpusHead', 0, 'ascii');
  h[8] = 1; // version
  h[9] = o.channels;
  h.writeUInt16LE(o.preSkip, 10);
  h.writeUInt32LE(o.inputSampleRate, 12);
  h.writeInt16LE(0, 16); // output gain
  h[18] = 0; // mapping family
  return h;
}

/** The OpusTags packet (RFC 7845 §5.2) with `vendor` and the given `KEY=value` comments. */
export function opusTags(vendor: string, comments: readonly string[] = []): Buffer {
  const v = Buffer.from(vendor, 'utf8');
  const cs = comments.map((c) => Buffer.from(c, 'utf8'));
  const out = Buffer.alloc(8 + 4 + v.length + 4 + cs.reduce((n, c) => n + 4 + c.length, 0));
  out.write('OpusTags', 0, 'ascii');
  out.writeUInt32LE(v.length, 8);
  v.copy(out, 12);
  let at = 12 + v.length;
  out.writeUInt32LE(cs.length, at);
  at += 4;
  for (const c of cs) {
    out.writeUInt32LE(c.length, at);
    c.copy(out, at + 4);
    at += 4 + c.length;
  }
  return out;
}
