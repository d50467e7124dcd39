/**
 * PCM plumbing for the per-packet paths: conversions between L16 little-endian byte streams (the bot side) and
 * Int16 samples (the DSP side), and a slab allocator for the short Int16 arrays those paths make.
 */
import { endianness } from 'node:os';

const LITTLE_ENDIAN = endianness() === 'LE';

/** Samples per slab (16 KiB), and the largest array carved from one. */
const SLAB_SAMPLES = 8192;
const MAX_POOLED = 1024;
let slab = new Int16Array(SLAB_SAMPLES);
/** Byte view of `slab`, so byte copies into a carved array need no view of their own. */
let slabBytes = new Uint8Array(slab.buffer);
let slabUsed = 0;

/**
 * A new zero-filled Int16Array of `n` samples, like `new Int16Array(n)` but carved from a shared 16 KiB slab when
 * n <= 1024 (Buffer.allocUnsafe's pool, for samples). Why: each `new Int16Array(n)` above 64 bytes gets its own
 * ArrayBuffer, ~0.4-0.5 µs to make and to collect, against ~0.06 µs for a view (README, "Audio path cost"); the
 * receive and send paths made four per packet. The array is the caller's: slabs are never reused, so no later
 * allocation overlaps it. Its `buffer` is the slab (use byteOffset/byteLength); it keeps the slab alive.
 */
export function allocInt16(n: number): Int16Array {
  if (n > MAX_POOLED) return new Int16Array(n);
  if (slabUsed + n > SLAB_SAMPLES) {
    slab = new Int16Array(SLAB_SAMPLES);
    slabBytes = new Uint8Array(slab.buffer);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + n);
  slabUsed += (n + 3) & ~3; // keep carved arrays 8-byte aligned
  return out;
}

/**
 * Copies samples into a new Buffer of L16 little-endian bytes. The Buffer comes from Node's pool
 * (Buffer.allocUnsafe): use its byteOffset with its `buffer`.
 */
export function int16ToL16Buffer(pcm: Int16Array): Buffer {
  const buf = Buffer.allocUnsafe(pcm.byteLength);
  buf.set(new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength));
  if (!LITTLE_ENDIAN) buf.swap16();
  return buf;
}

/**
 * Splits a stream of L16 LE byte chunks of any length into Int16 samples, carrying an odd trailing byte over to
 * the next chunk.
 */
export class L16Splitter {
  private carry = -1;

  /** Samples completed by this chunk (possibly empty): a new array, see {@link allocInt16}. */
  push(chunk: Buffer): Int16Array {
    if (chunk.length === 0) return new Int16Array(0);
    const carried = this.carry >= 0 ? 1 : 0;
    const total = carried + chunk.length;
    const n = total >> 1;
    const out = allocInt16(n);
    if (n > 0) {
      const bytes = out.buffer === slabBytes.buffer ? slabBytes : new Uint8Array(out.buffer);
      const at = out.byteOffset;
      if (carried) {
        bytes[at] = this.carry;
        chunk.copy(bytes, at + 1, 0, n * 2 - 1);
      } else {
        chunk.copy(bytes, at, 0, n * 2);
      }
      if (!LITTLE_ENDIAN) Buffer.from(out.buffer, out.byteOffset, out.byteLength).swap16();
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
