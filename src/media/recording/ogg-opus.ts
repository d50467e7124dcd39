/**
 * A stereo Ogg/Opus stream (RFC 7845) built from interleaved 16-bit PCM: 20 ms Opus packets from libopus
 * (@discordjs/opus), pages of about a second each, granule positions at 48 kHz. Bytes out, no I/O.
 */
import opus from '@discordjs/opus';
import { OGG_BOS, OGG_EOS, lacingCount, oggPage, opusHead, opusTags } from './ogg.js';

const { OpusEncoder } = opus;

/** Rates libopus encodes natively. */
export const OPUS_RATES = [8000, 12000, 16000, 24000, 48000] as const;

/** libopus' encoder delay at its default settings: 6.5 ms, as 48 kHz samples (RFC 7845 §4.2 pre-skip). */
const PRE_SKIP = 312;
/** Packets per page: a page a second bounds what a crash can cost. */
const PACKETS_PER_PAGE = 50;

export class OggOpusStream {
  private readonly encoder: InstanceType<typeof OpusEncoder>;
  /** Samples per channel in one 20 ms packet. */
  private readonly frame: number;
  private readonly serial: number;
  private sequence = 0;
  /** Interleaved samples waiting for a whole packet. */
  private carry = new Int16Array(0);
  private packets: Buffer[] = [];
  /** Samples per channel encoded so far (at the input rate), and how many of them were real (not padding). */
  private encoded = 0;
  private real = 0;

  /** @throws RangeError for a rate libopus cannot take. */
  constructor(
    private readonly sampleRate: number,
    serial: number,
  ) {
    if (!(OPUS_RATES as readonly number[]).includes(sampleRate)) throw new RangeError(`Opus cannot encode at ${sampleRate} Hz`);
    this.encoder = new OpusEncoder(sampleRate, 2);
    this.frame = sampleRate / 50;
    this.serial = serial >>> 0;
  }

  /** The two header pages (OpusHead alone on the first, BOS; OpusTags on the second). */
  header(vendor = 'trunkbridge'): Buffer {
    const head = oggPage({ flags: OGG_BOS, granule: 0n, serial: this.serial, sequence: this.sequence++, packets: [opusHead({ channels: 2, preSkip: PRE_SKIP, inputSampleRate: this.sampleRate })] });
    const tags = oggPage({ flags: 0, granule: 0n, serial: this.serial, sequence: this.sequence++, packets: [opusTags(vendor)] });
    return Buffer.concat([head, tags]);
  }

  /** Encodes interleaved stereo samples; returns the pages completed (often none). */
  write(stereo: Int16Array): Buffer {
    this.real += stereo.length / 2;
    let input = stereo;
    if (this.carry.length > 0) {
      input = new Int16Array(this.carry.length + stereo.length);
      input.set(this.carry);
      input.set(stereo, this.carry.length);
    }
    const step = this.frame * 2;
    let at = 0;
    const pages: Buffer[] = [];
    for (; at + step <= input.length; at += step) {
      this.encodePacket(input.subarray(at, at + step));
      if (this.packets.length >= PACKETS_PER_PAGE) pages.push(this.page(0));
    }
    this.carry = input.slice(at);
    return Buffer.concat(pages);
  }

  /** The last page (EOS): what is left padded to a packet, the granule trimmed to the real end. */
  finish(): Buffer {
    if (this.carry.length > 0 || this.packets.length === 0) {
      const last = new Int16Array(this.frame * 2);
      last.set(this.carry);
      this.carry = new Int16Array(0);
      this.encodePacket(last);
    }
    return this.page(OGG_EOS, this.granuleOf(this.real));
  }

  private encodePacket(frame: Int16Array): void {
    const pcm = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
    this.packets.push(this.encoder.encode(pcm));
    this.encoded += this.frame;
  }

  private granuleOf(samples: number): bigint {
    return BigInt(PRE_SKIP + Math.round((samples * 48000) / this.sampleRate));
  }

  private page(flags: number, granule = this.granuleOf(this.encoded)): Buffer {
    // 50 packets of 20 ms stay far below 255 lacing values unless packets grow past ~1.3 kB: split if so.
    const out: Buffer[] = [];
    let batch: Buffer[] = [];
    let lacing = 0;
    let samplesBefore = this.encoded - this.packets.length * this.frame;
    for (const p of this.packets) {
      if (lacing + lacingCount(p.length) > 255) {
        out.push(oggPage({ flags: 0, granule: this.granuleOf(samplesBefore), serial: this.serial, sequence: this.sequence++, packets: batch }));
        batch = [];
        lacing = 0;
      }
      batch.push(p);
      lacing += lacingCount(p.length);
      samplesBefore += this.frame;
    }
    out.push(oggPage({ flags, granule, serial: this.serial, sequence: this.sequence++, packets: batch }));
    this.packets = [];
    return Buffer.concat(out);
  }
}
