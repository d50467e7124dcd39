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
    ;; w = work + (k-1)·4: where the new samples go
    local.get $work
    local.get $k
    i32.const 1
    i32.sub
    i32.const 2
    i32.shl
    i32.add
    local.set $w
    block $wdone
    loop $wl
      local.get $i
      local.get $n
      i32.ge_u
      br_if $wdone
      ;; 4 Int16 → i32x4 → f32x4
      local.get $w
      local.get $i
      i32.const 2
      i32.shl
      i32.add
      local.get $in
      local.get $i
      i32.const 1
      i32.shl
      i32.add
      v128.load64_zero
      i32x4.extend_low_i16x8_s
      f32x4.convert_i32x4_s
      v128.store
      local.get $i
      i32.const 4
      i32.add
      local.set $i
      br $wl
    end
    end
    block $done
    loop $outer
      local.get $o
      local.get $count
      i32.ge_u
      br_if $done
      ;; c = coefs + phase·k·4; w = work + x·4; end = c + k·4
      local.get $coefs
      local.get $phase
      local.get $k
      i32.mul
      i32.const 2
      i32.shl
      i32.add
      local.set $c
      local.get $work
      local.get $x
      i32.const 2
      i32.shl
      i32.add
      local.set $w
      local.get $c
      local.get $k
      i32.const 2
      i32.shl
      i32.add
      local.set $end
      f32.const 0
      f32x4.splat
      local.set $acc
      f32.const 0
      f32x4.splat
      local.set $acc2
      ;; two accumulators, 8 taps a turn: the adds of one do not wait for the other's
      loop $inner
        local.get $acc
        local.get $c
        v128.load
        local.get $w
        v128.load
        f32x4.mul
        f32x4.add
        local.set $acc
        local.get $acc2
        local.get $c
        v128.load offset=16
        local.get $w
        v128.load offset=16
        f32x4.mul
        f32x4.add
        local.set $acc2
        local.get $c
        i32.const 32
        i32.add
        local.set $c
        local.get $w
        i32.const 32
        i32.add
        local.set $w
        local.get $c
        local.get $end
        i32.lt_u
        br_if $inner
      end
      local.get $acc
      local.get $acc2
      f32x4.add
      local.set $acc
      ;; s = nearest(lane sum), clamped to Int16 and stored at out + o·2
      local.get $out
      local.get $o
      i32.const 1
      i32.shl
      i32.add
      f32.const -32768
      f32.const 32767
      local.get $acc
      f32x4.extract_lane 0
      local.get $acc
      f32x4.extract_lane 1
      f32.add
      local.get $acc
      f32x4.extract_lane 2
      local.get $acc
      f32x4.extract_lane 3
      f32.add
      f32.add
      f32.nearest
      f32.min
      f32.max
      i32.trunc_f32_s
      i32.store16
      ;; step: tab holds (advance, next phase) per phase as two i32
      local.get $tab
      local.get $phase
      i32.const 3
      i32.shl
      i32.add
      local.set $w
      local.get $x
      local.get $w
      i32.load
      i32.add
      local.set $x
      local.get $w
      i32.load offset=4
      local.set $phase
      local.get $o
      i32.const 1
      i32.add
      local.set $o
      br $outer
    end
    end
    local.get $x
    i32.const 8
    i32.shl
    local.get $phase
    i32.or
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
    hist.set(this.f32.subarray(w + n, w + n + k - 1));
    out.set(this.i16.subarray(outAt >> 1, (outAt >> 1) + count), outOffset);
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
