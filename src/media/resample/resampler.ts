/**
 * Streaming rational resampler for mono Int16 PCM: polyphase FIR, Kaiser-windowed sinc anti-aliasing/anti-imaging
 * low-pass, filter state kept across calls so consecutive frames join seamlessly. The multiply-adds run in a
 * WebAssembly SIMD kernel (fir-wasm.ts), or in a plain JS loop where WebAssembly SIMD is missing.
 *
 * Why hand-written: of the npm candidates, `wave-resampler` works on whole buffers only (no state between calls,
 * so 20 ms frames would click at the joins) and `@purinton/resampler` has no documented streaming contract or
 * stopband figure. `@echogarden/speex-resampler-wasm` (speexdsp's resampler, SIMD WASM) and
 * `@alexanderolsen/libsamplerate-js` were measured per 20 ms frame, Int16 in and out: speex at quality 4 (flat to
 * 3.4 kHz, ~90 dB) took 1.1-1.3x this kernel's time on the full-band design and 1.7-2.6x on the telephone band,
 * starts asynchronously, and its filter cannot be checked by our frequency-response tests; libsamplerate was
 * 15-40x slower (README, "Audio path cost").
 */
import { allocInt16 } from '../pcm.js';
import { firWasm, MAX_CHUNK } from './fir-wasm.js';
import { polyphaseFor, type Polyphase, type ResamplerBand } from './polyphase.js';

export { DESIGN_ATTENUATION_DB, PASSBAND_FRACTION, TELEPHONE_PASSBAND_HZ, TELEPHONE_STOPBAND_HZ, type ResamplerBand } from './polyphase.js';

/** What the resampler was built with (for tests and the benchmark). */
export interface ResamplerFilterInfo {
  /** Interpolation factor L. */
  up: number;
  /** Decimation factor M. */
  down: number;
  band: ResamplerBand;
  /** Rate the filter runs at (fromRate · L). */
  designRate: number;
  passbandHz: number;
  stopbandHz: number;
  /** Full prototype filter (gain L at DC); empty for the identity resampler. */
  taps: Float64Array;
}

export interface ResamplerOptions {
  /**
   * Anti-aliasing design. Default: 'telephone' when the lower rate is 8 kHz (an 8 kHz stream in this bridge is
   * G.711 or an 8 kHz bot: telephone audio, 300-3400 Hz), else 'full'. See {@link TELEPHONE_PASSBAND_HZ}.
   */
  band?: ResamplerBand;
  /** 'js' forces the plain loop (tests, benchmark); default: the WASM SIMD kernel when available. */
  kernel?: 'wasm' | 'js';
}

export class Resampler {
  /** Filter delay in output samples (group delay of the linear-phase FIR, rounded). */
  readonly delaySamples: number;
  readonly filter: ResamplerFilterInfo;

  private readonly design: Polyphase | null;
  private readonly useWasm: boolean;
  /** The last k-1 input samples (f32, oldest first): the filter's memory between calls. */
  private readonly hist: Float32Array;
  /** JS loop only: history followed by the current input; grown on demand. */
  private work: Float32Array;
  /** {@link processReused}'s output, grown on demand. */
  private reused = new Int16Array(0);
  /** Next output's position relative to the next input chunk, as upsampled time inputIndex·L + phase. */
  private inputIndex = 0;
  private phase = 0;

  /** @throws RangeError for non-integer or non-positive rates, or a ratio too awkward for a polyphase FIR. */
  constructor(
    readonly fromRate: number,
    readonly toRate: number,
    options: ResamplerOptions = {},
  ) {
    if (!Number.isInteger(fromRate) || !Number.isInteger(toRate) || fromRate <= 0 || toRate <= 0) {
      throw new RangeError(`invalid resampling rates ${fromRate} -> ${toRate}`);
    }
    const lower = Math.min(fromRate, toRate);
    const band = options.band ?? (lower === 8000 ? 'telephone' : 'full');
    if (fromRate === toRate) {
      this.design = null;
      this.useWasm = false;
      this.hist = new Float32Array(0);
      this.work = this.hist;
      this.delaySamples = 0;
      this.filter = { up: 1, down: 1, band, designRate: fromRate, passbandHz: fromRate / 2, stopbandHz: fromRate / 2, taps: new Float64Array(0) };
      return;
    }
    const d = polyphaseFor(fromRate, toRate, band);
    this.design = d;
    this.useWasm = d.placed !== null && options.kernel !== 'js' && firWasm() !== null;
    this.hist = new Float32Array(d.k - 1);
    this.work = this.useWasm ? this.hist : new Float32Array(d.k - 1 + 960);
    this.delaySamples = Math.round((d.taps.length - 1) / 2 / d.down);
    const { up, down, designRate, passbandHz, stopbandHz, taps } = d;
    this.filter = { up, down, band, designRate, passbandHz, stopbandHz, taps };
  }

  /** Most samples {@link processInto} can write for an input of `n` samples. */
  maxOutput(n: number): number {
    return this.design ? Math.ceil((n * this.design.up) / this.design.down) : n;
  }

  /**
   * Resamples the next chunk of a continuous stream into a new array. Output length varies by at most one sample
   * between calls for non-integer ratios; it is exact when `input.length · toRate / fromRate` is an integer
   * (every 10 ms multiple at our rates). Identity resamplers return `input` itself.
   */
  process(input: Int16Array): Int16Array {
    if (!this.design) return input;
    const out = allocInt16(this.maxOutput(input.length));
    const count = this.processInto(input, out);
    return count === out.length ? out : out.subarray(0, count);
  }

  /**
   * As {@link process}, but into an array this resampler keeps and overwrites on its next call, for the per-packet
   * paths (a new array per packet was a share of a media worker's allocation). Identity resamplers return `input`.
   */
  processReused(input: Int16Array): Int16Array {
    if (!this.design) return input;
    const room = this.maxOutput(input.length);
    if (this.reused.length < room) this.reused = new Int16Array(room);
    const count = this.processInto(input, this.reused);
    return count === this.reused.length ? this.reused : this.reused.subarray(0, count);
  }

  /**
   * As {@link process}, writing into `out` (from index 0, length >= {@link maxOutput}) instead of allocating, for
   * the per-packet paths; returns the number of samples written. Nothing keeps `out` after the call.
   */
  processInto(input: Int16Array, out: Int16Array): number {
    const d = this.design;
    if (!d) {
      out.set(input);
      return input.length;
    }
    if (out.length < this.maxOutput(input.length)) throw new RangeError(`output room ${out.length} < ${this.maxOutput(input.length)}`);
    if (!this.useWasm) return this.processJs(d, input, out);
    if (input.length <= MAX_CHUNK) return this.processWasm(d, input, out, 0);
    let written = 0;
    for (let pos = 0; pos < input.length; pos += MAX_CHUNK) written += this.processWasm(d, input.subarray(pos, pos + MAX_CHUNK), out, written);
    return written;
  }

  /** One kernel call: `input` (at most MAX_CHUNK samples) → out[outOffset..]; returns the samples written. */
  private processWasm(d: Polyphase, input: Int16Array, out: Int16Array, outOffset: number): number {
    const n = input.length;
    const t = this.inputIndex * d.up + this.phase;
    const count = t < n * d.up ? Math.ceil((n * d.up - t) / d.down) : 0;
    const packed = firWasm()!.run(d.placed!, d.k, this.hist, input, out, outOffset, count, this.phase, this.inputIndex);
    this.inputIndex = (packed >> 8) - n;
    this.phase = packed & 0xff;
    return count;
  }

  /** The same computation as the WASM kernel, in JS (f32 taps and history, f64 sums). */
  private processJs(d: Polyphase, input: Int16Array, out: Int16Array): number {
    const n = input.length;
    const k = d.k;
    const hist = k - 1;
    if (this.work.length < hist + n) this.work = new Float32Array(hist + n);
    const work = this.work;
    work.set(this.hist);
    for (let i = 0; i < n; i++) work[hist + i] = input[i];
    const L = d.up;
    const t = this.inputIndex * L + this.phase;
    const count = t < n * L ? Math.ceil((n * L - t) / d.down) : 0;
    const { coefs, tab } = d;
    let phase = this.phase;
    let x = this.inputIndex;
    for (let o = 0; o < count; o++) {
      const base = phase * k;
      let a0 = 0;
      let a1 = 0;
      for (let j = 0; j < k; j += 2) {
        a0 += coefs[base + j] * work[x + j];
        a1 += coefs[base + j + 1] * work[x + j + 1];
      }
      const v = Math.round(a0 + a1);
      out[o] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      x += tab[2 * phase];
      phase = tab[2 * phase + 1];
    }
    this.inputIndex = x - n;
    this.phase = phase;
    this.hist.set(work.subarray(n, n + hist));
    return count;
  }

  /** Forgets the filter history (start of an unrelated stream). */
  reset(): void {
    this.hist.fill(0);
    this.inputIndex = 0;
    this.phase = 0;
  }
}
