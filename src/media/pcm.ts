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
 * Like {@link allocInt16}, but carved from blocks of one owner's own. Why: a view keeps its whole slab alive, so
 * arrays that are kept (a playout queue's chunks) must not sit in the shared slab, where each pinned 16 KiB that
 * every call's short-lived arrays passed through (at 200 calls about 13 KB per call; docs/capacity-log.md,
 * "memory per call and the 8 kHz CPU"). Here what an owner keeps pins only its own blocks: its kept audio plus at
 * most one block. Arrays above half a block get their own buffer.
 *
 * An owner that says when it is done with an array ({@link release}) gets its blocks back: a block none of whose
 * arrays is held any more is carved again instead of a new one. Why: a new 2 KiB block every three 16 kHz frames
 * left about 13 dead blocks per call waiting for V8's old-space collection in malloc's arena at 200 calls
 * (docs/capacity-log.md, "memory per call, young generation and malloc"). Arrays never released only cost the
 * recycling: their blocks are left to GC.
 */
export class Int16Blocks {
  private block: Block = { samples: new Int16Array(0), bytes: new Uint8Array(0), live: 0 };
  private used = 0;
  /** Earlier blocks some of whose arrays are still held, oldest first (at most HELD_BLOCKS tracked). */
  private held: Block[] = [];
  /** Emptied earlier blocks kept to be carved again (at most SPARE_BLOCKS). */
  private spare: Block[] = [];

  /** @param blockSamples samples per block (default 1024: 2 KiB, six 20 ms frames at 8 kHz, three at 16 kHz). */
  constructor(private readonly blockSamples = 1024) {}

  /** A new zero-filled array of `n` samples, the caller's; its `buffer` is the block (use byteOffset). */
  alloc(n: number): Int16Array {
    if (n === 0 || n * 2 > this.blockSamples) return new Int16Array(n);
    if (this.used + n > this.block.samples.length) this.nextBlock();
    const out = this.block.samples.subarray(this.used, this.used + n);
    this.block.live++;
    this.used += (n + 3) & ~3; // 8-byte aligned, as allocInt16
    return out;
  }

  /**
   * The caller is done with `a` (from {@link alloc}; nothing reads or writes it afterwards). Call it once per
   * array; arrays of other origins are ignored.
   */
  release(a: Int16Array): void {
    if (a.buffer === this.block.samples.buffer) {
      // Nothing held in the current block: carve it again from its start.
      if (--this.block.live === 0) this.reuse(this.block);
      return;
    }
    const i = this.held.findIndex((b) => b.samples.buffer === a.buffer);
    if (i < 0) return;
    const b = this.held[i];
    if (--b.live > 0) return;
    this.held.splice(i, 1);
    if (this.spare.length < SPARE_BLOCKS) this.spare.push(b);
  }

  /** The byte view of `a`'s block when `a` came from the current one (no view made), else undefined. */
  bytesOf(a: Int16Array): Uint8Array | undefined {
    return a.buffer === this.block.bytes.buffer ? this.block.bytes : undefined;
  }

  private nextBlock(): void {
    const full = this.block;
    if (full.live > 0) {
      this.held.push(full);
      if (this.held.length > HELD_BLOCKS) this.held.shift(); // its arrays were dropped unreleased: left to GC
    }
    const again = this.spare.pop();
    if (again) this.reuse(again);
    else {
      const samples = new Int16Array(this.blockSamples);
      this.block = { samples, bytes: new Uint8Array(samples.buffer), live: 0 };
      this.used = 0;
    }
  }

  private reuse(b: Block): void {
    b.samples.fill(0, 0, b === this.block ? this.used : b.samples.length);
    this.block = b;
    this.used = 0;
  }
}

/** One block of {@link Int16Blocks}: its samples, a byte view of them, and how many carved arrays are held. */
interface Block {
  samples: Int16Array;
  bytes: Uint8Array;
  live: number;
}
/** Earlier blocks tracked for release (a playout queue holding more than this many blocks of audio is rare). */
const HELD_BLOCKS = 8;
/** Emptied blocks kept for reuse. */
const SPARE_BLOCKS = 2;

/**
 * Copies samples into a new Buffer of L16 little-endian bytes. The Buffer comes from Node's pool
 * (Buffer.allocUnsafe): use its byteOffset with its `buffer`. `bytes`, a byte view of exactly `pcm` that the
 * caller keeps, saves making one per call.
 */
export function int16ToL16Buffer(pcm: Int16Array, bytes?: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(pcm.byteLength);
  buf.set(bytes ?? new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength));
  if (!LITTLE_ENDIAN) buf.swap16();
  return buf;
}

/**
 * Splits a stream of L16 LE byte chunks of any length into Int16 samples, carrying an odd trailing byte over to
 * the next chunk.
 */
export class L16Splitter {
  private carry = -1;

  /** @param blocks where the arrays come from when they are kept (a playout queue's); default the shared slab. */
  constructor(private readonly blocks?: Int16Blocks) {}

  /** Samples completed by this chunk (possibly empty): a new array, see {@link allocInt16} and {@link Int16Blocks}. */
  push(chunk: Buffer): Int16Array {
    if (chunk.length === 0) return new Int16Array(0);
    const carried = this.carry >= 0 ? 1 : 0;
    const total = carried + chunk.length;
    const n = total >> 1;
    const out = this.blocks ? this.blocks.alloc(n) : allocInt16(n);
    if (n > 0) {
      const bytes = out.buffer === slabBytes.buffer ? slabBytes : (this.blocks?.bytesOf(out) ?? new Uint8Array(out.buffer));
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
