/**
 * The resampler's inner loop as a WebAssembly SIMD (f32x4) kernel, and the one shared linear memory it works in.
 *
 * Why: the polyphase FIR is most of the media CPU of a call whose bot does not run at the codec's rate; the
 * Float64 JS loop managed about 1 ns per multiply-add, this kernel about 0.1 (README, "Audio path cost"). f32 is
 * plenty for 16-bit audio: coefficient rounding sits ~140 dB down, accumulation error well under 1 LSB.
 *
 * Memory layout: polyphase filters (coefficients + phase tables) are shared by every resampler of the same design
 * and placed once, from address 0 up; above them a scratch area that each `process` call fills (history + new
 * samples as f32, the Int16 input, the Int16 output) and that nothing keeps between calls. JS is single-threaded
 * and `run` is not re-entrant, so one scratch area serves all resamplers.
 */
import { assembleModule, type WasmFunc } from './wasm-asm.js';

/**
 * `run(coefs, tab, k, work, in, n, out, count, phase, x) → (x << 8) | phase`:
 * widens the n Int16 samples at `in` into f32 after the k-1 history samples at `work`, then computes `count`
 * outputs. Output o uses branch `phase` (k taps at coefs + phase·k, reversed, zero-padded to a multiple of 8 at
 * the oldest end) against work[x .. x+k-1]; then x += tab[phase].advance, phase = tab[phase].next.
 * The widening reads and writes up to 3 samples past n (the caller leaves room).
 */
const RUN: WasmFunc = {
  name: 'run',
  params: [
    ['$coefs', 'i32'],
    ['$tab', 'i32'],
    ['$k', 'i32'],
    ['$work', 'i32'],
    ['$in', 'i32'],
    ['$n', 'i32'],
    ['$out', 'i32'],
    ['$count', 'i32'],
    ['$phase', 'i32'],
    ['$x', 'i32'],
  ],
  result: 'i32',
  locals: [
    ['$i', 'i32'],
    ['$o', 'i32'],
    ['$c', 'i32'],
    ['$w', 'i32'],
    ['$end', 'i32'],
    ['$acc', 'v128'],
    ['$acc2', 'v128'],
  ],
  body: `
    ;; widen the n new Int16 samples, 4 at a time, into f32 after the k-1 history samples at $work
    (local.set $w (i32.add (local.get $work) (i32.shl (i32.sub (local.get $k) (i32.const 1)) (i32.const 2))))
    (block $wdone
      (loop $wl
        (br_if $wdone (i32.ge_u (local.get $i) (local.get $n)))
        (v128.store (i32.add (local.get $w) (i32.shl (local.get $i) (i32.const 2)))
          (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_s
            (v128.load64_zero (i32.add (local.get $in) (i32.shl (local.get $i) (i32.const 1)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $wl)))
    (block $done
      (loop $outer
        (br_if $done (i32.ge_u (local.get $o) (local.get $count)))
        ;; c = this phase's branch, w = the window of input it meets, end = c + k taps
        (local.set $c (i32.add (local.get $coefs) (i32.shl (i32.mul (local.get $phase) (local.get $k)) (i32.const 2))))
        (local.set $w (i32.add (local.get $work) (i32.shl (local.get $x) (i32.const 2))))
        (local.set $end (i32.add (local.get $c) (i32.shl (local.get $k) (i32.const 2))))
        (local.set $acc (f32x4.splat (f32.const 0)))
        (local.set $acc2 (f32x4.splat (f32.const 0)))
        ;; two accumulators, 8 taps a turn: the adds of one do not wait for the other's
        (loop $inner
          (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (local.get $c)) (v128.load (local.get $w)))))
          (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (v128.load offset=16 (local.get $c)) (v128.load offset=16 (local.get $w)))))
          (local.set $c (i32.add (local.get $c) (i32.const 32)))
          (local.set $w (i32.add (local.get $w) (i32.const 32)))
          (br_if $inner (i32.lt_u (local.get $c) (local.get $end))))
        (local.set $acc (f32x4.add (local.get $acc) (local.get $acc2)))
        ;; out[o] = the lane sum rounded to nearest and clamped to Int16
        (i32.store16 (i32.add (local.get $out) (i32.shl (local.get $o) (i32.const 1)))
          (i32.trunc_f32_s (f32.max (f32.const -32768) (f32.min (f32.const 32767) (f32.nearest (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
            (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))))))
        ;; step by table: tab[phase] = (input samples to advance, next phase)
        (local.set $w (i32.add (local.get $tab) (i32.shl (local.get $phase) (i32.const 3))))
        (local.set $x (i32.add (local.get $x) (i32.load (local.get $w))))
        (local.set $phase (i32.load offset=4 (local.get $w)))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (br $outer)))
    (i32.or (i32.shl (local.get $x) (i32.const 8)) (local.get $phase))
  `,
};

/** The kernel's bytes, made from the text above (exported for the assembler's test). */
export function firKernelBytes(): Uint8Array<ArrayBuffer> {
  return assembleModule([RUN], 1);
}

/** Most input samples per kernel call; `Resampler` splits longer inputs. */
export const MAX_CHUNK = 4096;

/** Where a polyphase filter lives in the kernel's memory (byte addresses). */
export interface PlacedFilter {
  coefs: number;
  tab: number;
}

/**
 * The instantiated kernel and its memory. One per process; see the module comment for the layout. Views are
 * re-made whenever the memory grows (growing detaches the old ArrayBuffer).
 */
export class FirWasm {
  private readonly memory: WebAssembly.Memory;
  private readonly runFn: (...args: number[]) => number;
  private f32: Float32Array;
  private i16: Int16Array;
  private i32: Int32Array;
  /** End of the placed filters (bytes, 16-aligned); the scratch area starts here. */
  private top = 0;

  constructor(module: WebAssembly.Module) {
    const instance = new WebAssembly.Instance(module, {});
    this.memory = instance.exports.memory as WebAssembly.Memory;
    this.runFn = instance.exports.run as (...args: number[]) => number;
    this.f32 = new Float32Array(this.memory.buffer);
    this.i16 = new Int16Array(this.memory.buffer);
    this.i32 = new Int32Array(this.memory.buffer);
  }

  /** Copies a filter's reversed, padded branches and its (advance, next phase) table in for good. */
  place(coefs: Float32Array, tab: Int32Array): PlacedFilter {
    const at = { coefs: this.top, tab: this.top + coefs.length * 4 };
    this.top = align16(at.tab + tab.length * 4);
    this.ensure(this.top);
    this.f32.set(coefs, at.coefs >> 2);
    this.i32.set(tab, at.tab >> 2);
    return at;
  }

  /**
   * Runs one chunk (at most {@link MAX_CHUNK} samples, so the packed result cannot overflow and the scratch area
   * stays small: memory never shrinks): `hist` (k-1 samples, f32) and `input` in, `count` outputs into `out` from
   * `outAt`, the last k-1 samples back into `hist`. Returns the kernel's packed (x << 8) | phase.
   */
  run(f: PlacedFilter, k: number, hist: Float32Array, input: Int16Array, out: Int16Array, outOffset: number, count: number, phase: number, x: number): number {
    const n = input.length;
    const work = this.top;
    const inAt = align16(work + (k - 1 + n + 4) * 4); // +4: the widening writes whole f32x4
    const outAt = align16(inAt + (n + 4) * 2);
    this.ensure(outAt + count * 2);
    const w = work >> 2;
    this.f32.set(hist, w);
    this.i16.set(input, inAt >> 1);
    const packed = this.runFn(f.coefs, f.tab, k, work, inAt, n, outAt, count, phase, x);
    // Copied by loops, not set(subarray): a view per call was a tenth of a media worker's allocation.
    const f32 = this.f32;
    for (let i = 0, from = w + n; i < k - 1; i++) hist[i] = f32[from + i];
    const i16 = this.i16;
    for (let i = 0, from = outAt >> 1; i < count; i++) out[outOffset + i] = i16[from + i];
    return packed;
  }

  private ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    this.memory.grow(Math.ceil((bytes - have) / 65536));
    this.f32 = new Float32Array(this.memory.buffer);
    this.i16 = new Int16Array(this.memory.buffer);
    this.i32 = new Int32Array(this.memory.buffer);
  }
}

function align16(n: number): number {
  return (n + 15) & ~15;
}

let shared: FirWasm | null | undefined;

/**
 * The process-wide kernel, made on first use; null where WebAssembly SIMD is unavailable (Node >= 16.4 on x64 and
 * arm64 has it), and the resampler then runs its JS loop.
 */
export function firWasm(): FirWasm | null {
  if (shared !== undefined) return shared;
  const bytes = firKernelBytes();
  shared = typeof WebAssembly === 'object' && WebAssembly.validate(bytes) ? new FirWasm(new WebAssembly.Module(bytes)) : null;
  return shared;
}
