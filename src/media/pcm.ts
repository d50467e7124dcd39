/** Conversions between L16 little-endian byte streams (the bot side) and Int16 samples (the DSP side). */
import { endianness } from 'node:os';

const LITTLE_ENDIAN = endianness() === 'LE';

/** Copies samples into a new Buffer of L16 little-endian bytes. */
export function int16ToL16Buffer(pcm: Int16Array): Buffer {
  const copy = new Int16Array(pcm); // own ArrayBuffer, so the Buffer below is exactly the frame
  const buf = Buffer.from(copy.buffer, 0, copy.byteLength);
  if (!LITTLE_ENDIAN) buf.swap16();
  return buf;
}

/**
 * Splits a stream of L16 LE byte chunks of any length into Int16 samples, carrying an odd trailing byte over to
 * the next chunk.
 */
export class L16Splitter {
  private carry = -1;

  /** Samples completed by this chunk (possibly empty). */
  push(chunk: Buffer): Int16Array {
    if (chunk.length === 0) return new Int16Array(0);
    const carried = this.carry >= 0 ? 1 : 0;
    const total = carried + chunk.length;
    const n = total >> 1;
    const out = new Int16Array(n);
    const bytes = new Uint8Array(out.buffer);
    if (n > 0) {
      if (carried) {
        bytes[0] = this.carry;
        bytes.set(chunk.subarray(0, n * 2 - 1), 1);
      } else {
        bytes.set(chunk.subarray(0, n * 2));
      }
      if (!LITTLE_ENDIAN) Buffer.from(out.buffer).swap16();
    }
    this.carry = total % 2 === 1 ? chunk[chunk.length - 1] : -1;
    return out;
  }

  /** Drops a pending odd byte (after a clear, so stale half-samples do not misalign new audio). */
  reset(): void {
    this.carry = -1;
  }
}

/** Sums two L16 LE frames with clipping (a mono mix of two parties); `b` missing or shorter counts as silence. */
export function mixL16(a: Buffer, b: Buffer | undefined): Buffer {
  if (!b) return a;
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i + 1 < a.length; i += 2) {
    const s = a.readInt16LE(i) + (i + 1 < b.length ? b.readInt16LE(i) : 0);
    out.writeInt16LE(s > 32767 ? 32767 : s < -32768 ? -32768 : s, i);
  }
  return out;
}
