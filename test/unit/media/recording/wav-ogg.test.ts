import { describe, expect, it } from 'vitest';
import opus from '@discordjs/opus';
import { OggOpusStream, oggCrc32, oggPage, opusHead, opusTags, pcmBytesLE, wavHeader, OGG_BOS, OGG_EOS } from '../../../../src/media/recording/index.js';
import { generateTone, goertzel } from '../../../helpers/audio.js';

describe('wavHeader', () => {
  it.each([
    { sampleRate: 8000, channels: 2, dataBytes: 0, riff: 36, byteRate: 32000, align: 4 },
    { sampleRate: 16000, channels: 2, dataBytes: 64000, riff: 64036, byteRate: 64000, align: 4 },
    { sampleRate: 8000, channels: 1, dataBytes: 2, riff: 38, byteRate: 16000, align: 2 },
  ])('$sampleRate Hz x$channels, $dataBytes bytes', ({ sampleRate, channels, dataBytes, riff, byteRate, align }) => {
    const h = wavHeader({ sampleRate, channels, dataBytes });
    expect(h.length).toBe(44);
    expect(h.toString('ascii', 0, 4)).toBe('RIFF');
    expect(h.readUInt32LE(4)).toBe(riff);
    expect(h.toString('ascii', 8, 16)).toBe('WAVEfmt ');
    expect(h.readUInt16LE(20)).toBe(1);
    expect(h.readUInt16LE(22)).toBe(channels);
    expect(h.readUInt32LE(24)).toBe(sampleRate);
    expect(h.readUInt32LE(28)).toBe(byteRate);
    expect(h.readUInt16LE(32)).toBe(align);
    expect(h.readUInt16LE(34)).toBe(16);
    expect(h.toString('ascii', 36, 40)).toBe('data');
    expect(h.readUInt32LE(40)).toBe(dataBytes);
  });

  it.each([
    { dataBytes: -4, why: 'negative' },
    { dataBytes: 6, why: 'not whole stereo frames' },
    { dataBytes: 0x1_0000_0000, why: 'beyond 32 bits' },
  ])('refuses a length that is $why', ({ dataBytes }) => {
    expect(() => wavHeader({ sampleRate: 8000, channels: 2, dataBytes })).toThrow(RangeError);
  });

  it('writes samples little-endian', () => {
    expect([...pcmBytesLE(Int16Array.from([1, -2, 0x1234]))]).toEqual([1, 0, 0xfe, 0xff, 0x34, 0x12]);
  });
});

describe('Ogg pages', () => {
  it('CRC-32 of Ogg (poly 0x04c11db7, init 0, no xor) of "123456789" is 0x89a1897f', () => {
    expect(oggCrc32(Buffer.from('123456789'))).toBe(0x89a1897f);
    expect(oggCrc32(Buffer.alloc(0))).toBe(0);
  });

  it.each([
    { sizes: [0], lacing: [0] },
    { sizes: [10, 20], lacing: [10, 20] },
    { sizes: [255], lacing: [255, 0] },
    { sizes: [300], lacing: [255, 45] },
    { sizes: [510, 1], lacing: [255, 255, 0, 1] },
  ])('lays out packets of $sizes bytes with lacing $lacing', ({ sizes, lacing }) => {
    const packets = sizes.map((n, i) => Buffer.alloc(n, i + 1));
    const page = oggPage({ flags: OGG_BOS, granule: 960n, serial: 0x01020304, sequence: 7, packets });
    expect(page.toString('ascii', 0, 4)).toBe('OggS');
    expect(page[5]).toBe(OGG_BOS);
    expect(page.readBigUInt64LE(6)).toBe(960n);
    expect(page.readUInt32LE(14)).toBe(0x01020304);
    expect(page.readUInt32LE(18)).toBe(7);
    expect(page[26]).toBe(lacing.length);
    expect([...page.subarray(27, 27 + lacing.length)]).toEqual(lacing);
    expect(page.length).toBe(27 + lacing.length + sizes.reduce((a, b) => a + b, 0));
    // The CRC is computed with its own field zeroed.
    const crc = page.readUInt32LE(22);
    const zeroed = Buffer.from(page);
    zeroed.writeUInt32LE(0, 22);
    expect(oggCrc32(zeroed)).toBe(crc);
  });

  it('refuses packets that need more than 255 lacing values', () => {
    expect(() => oggPage({ flags: 0, granule: 0n, serial: 1, sequence: 0, packets: [Buffer.alloc(255 * 255)] })).toThrow(RangeError);
  });

  it('OpusHead and OpusTags per RFC 7845', () => {
    const head = opusHead({ channels: 2, preSkip: 312, inputSampleRate: 16000 });
    expect(head.toString('ascii', 0, 8)).toBe('OpusHead');
    expect([head[8], head[9], head.readUInt16LE(10), head.readUInt32LE(12), head.readInt16LE(16), head[18]]).toEqual([1, 2, 312, 16000, 0, 0]);
    const tags = opusTags('tb', ['A=b']);
    expect(tags.toString('ascii', 0, 8)).toBe('OpusTags');
    expect(tags.readUInt32LE(8)).toBe(2);
    expect(tags.toString('ascii', 12, 14)).toBe('tb');
    expect(tags.readUInt32LE(14)).toBe(1);
    expect(tags.readUInt32LE(18)).toBe(3);
    expect(tags.toString('ascii', 22)).toBe('A=b');
  });
});

/** Splits a byte stream into pages, checking each page's CRC; returns [flags, granule, packets] per page. */
function readPages(bytes: Buffer): Array<{ flags: number; granule: bigint; sequence: number; packets: Buffer[] }> {
  const pages = [];
  let at = 0;
  while (at < bytes.length) {
    expect(bytes.toString('ascii', at, at + 4)).toBe('OggS');
    const nseg = bytes[at + 26];
    const lacing = [...bytes.subarray(at + 27, at + 27 + nseg)];
    const size = 27 + nseg + lacing.reduce((a, b) => a + b, 0);
    const page = Buffer.from(bytes.subarray(at, at + size));
    const crc = page.readUInt32LE(22);
    page.writeUInt32LE(0, 22);
    expect(oggCrc32(page)).toBe(crc);
    const packets: Buffer[] = [];
    let body = at + 27 + nseg;
    let len = 0;
    for (const l of lacing) {
      len += l;
      if (l < 255) {
        packets.push(bytes.subarray(body, body + len));
        body += len;
        len = 0;
      }
    }
    pages.push({ flags: bytes[at + 5], granule: bytes.readBigUInt64LE(at + 6), sequence: bytes.readUInt32LE(at + 18), packets });
    at += size;
  }
  return pages;
}

describe('OggOpusStream', () => {
  it('encodes stereo whose channels decode back to their own tones, granules ending at the real length', () => {
    const rate = 16000;
    const left = generateTone(440, rate, 2510);
    const right = generateTone(1500, rate, 2510);
    const stereo = new Int16Array(left.length * 2);
    for (let i = 0; i < left.length; i++) {
      stereo[2 * i] = left[i];
      stereo[2 * i + 1] = right[i];
    }
    const s = new OggOpusStream(rate, 42);
    const parts = [s.header()];
    // Odd chunk sizes: the stream carries what does not fill a packet.
    for (let at = 0; at < stereo.length; at += 1234) parts.push(s.write(stereo.subarray(at, Math.min(stereo.length, at + 1234))));
    parts.push(s.finish());
    const pages = readPages(Buffer.concat(parts));
    expect(pages[0].flags).toBe(OGG_BOS);
    expect(pages[0].packets[0].toString('ascii', 0, 8)).toBe('OpusHead');
    expect(pages[1].packets[0].toString('ascii', 0, 8)).toBe('OpusTags');
    expect(pages.at(-1)!.flags).toBe(OGG_EOS);
    expect(pages.map((p) => p.sequence)).toEqual(pages.map((_, i) => i));
    expect(pages.at(-1)!.granule).toBe(BigInt(312 + Math.round((left.length * 48000) / rate)));
    const audio = pages.slice(2).flatMap((p) => p.packets);
    expect(audio.length).toBe(Math.ceil(left.length / 320));
    const dec = new opus.OpusEncoder(rate, 2);
    const pcm = Buffer.concat(audio.map((p) => dec.decode(p)));
    const out = new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length / 2);
    const l: number[] = [];
    const r: number[] = [];
    for (let i = 2 * rate; i < 4 * rate; i += 2) {
      l.push(out[i]);
      r.push(out[i + 1]);
    }
    expect(goertzel(l, rate, 440)).toBeGreaterThan(5000);
    expect(goertzel(l, rate, 1500)).toBeLessThan(500);
    expect(goertzel(r, rate, 1500)).toBeGreaterThan(5000);
    expect(goertzel(r, rate, 440)).toBeLessThan(500);
  });

  it('refuses a rate Opus cannot encode', () => {
    expect(() => new OggOpusStream(11025, 1)).toThrow(RangeError);
  });
});
