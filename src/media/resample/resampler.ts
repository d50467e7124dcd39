/**
 * Streaming rational resampler for mono Int16 PCM: polyphase FIR, Kaiser-windowed sinc anti-aliasing/anti-imaging
 * low-pass, filter state kept across calls so consecutive frames join seamlessly.
 *
 * Why hand-written: the npm candidates did not fit. `@alexanderolsen/libsamplerate-js` and
 * `@echogarden/speex-resampler-wasm` are WASM (async init, Float32 I/O); `wave-resampler` works on whole buffers
 * only (no state between calls, so 20 ms frames would click at the joins); `@purinton/resampler` is a small
 * single-maintainer package without a documented streaming contract or stopband figure. The rates we need
 * (8/16/24/48 kHz) have small integer ratios, where a polyphase FIR is short, exact and cheap (see `npm run bench`).
 */
import { designLowpass } from './kaiser.js';

/**
 * Stopband attenuation the filters are designed for; the requirement is >= 60 dB, the 10 dB margin covers the
 * Kaiser formula's approximation and Int16 rounding (80 dB cost ~20 % more taps for no audible gain).
 */
export const DESIGN_ATTENUATION_DB = 70;
/**
 * Pass band edge as a fraction of the lower of the two rates: 0.4375 → 3.5 kHz at 8 kHz (telephony's 3.4 kHz)
 * and 7 kHz at 16 kHz (wideband's 7 kHz).
 */
export const PASSBAND_FRACTION = 0.4375;

/** The inner loop is unrolled by this; each branch is zero-padded to a multiple of it. */
const UNROLL = 4;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** What the resampler was built with (for tests and the benchmark). */
export interface ResamplerFilterInfo {
  /** Interpolation factor L. */
  up: number;
  /** Decimation factor M. */
  down: number;
  /** Rate the filter runs at (fromRate · L). */
  designRate: number;
  passbandHz: number;
  stopbandHz: number;
  /** Full prototype filter (gain L at DC); empty for the identity resampler. */
  taps: Float64Array;
}

export class Resampler {
  /** Filter delay in output samples (group delay of the linear-phase FIR, rounded). */
  readonly delaySamples: number;
  readonly filter: ResamplerFilterInfo;

  private readonly identity: boolean;
  private readonly up: number;
  private readonly down: number;
  /** Taps per polyphase branch, padded with zeros to a multiple of {@link UNROLL}. */
  private readonly tapsPerPhase: number;
  /**
   * coefs[p·K + j] = h[p + (K-1-j)·L]: branch p's taps reversed, so coefs and input are both walked forward
   * (j = K-1 meets the newest sample). Float64 so the inner loop does no float32→float64 conversions.
   */
  private readonly coefs: Float64Array;
  /** Per branch p: the branch after the next output, and how many input samples that output moves on. */
  private readonly nextPhase: Int32Array;
  private readonly advance: Int32Array;
  /**
   * Pure decimation (L = 1): the single branch is the symmetric prototype, so `process` folds the window and does
   * half the multiplies; `halfTaps[j]` = h[j] for j < ⌈N/2⌉ (the middle tap last when N is odd).
   */
  private readonly halfTaps: Float64Array;
  /** Prototype length N when folding (L = 1), else 0. */
  private readonly foldLength: number;
  /**
   * Upsampling by 2 (L = 2, M = 1): branch 1 is branch 0 reversed, so for each input position the two outputs
   * are S ± D with S = Σ pairSum[j]·(w[j] + w[K-1-j]) and D = Σ pairDiff[j]·(w[j] − w[K-1-j]) — half the multiplies.
   * Empty on other paths.
   */
  private readonly pairSum: Float64Array;
  private readonly pairDiff: Float64Array;
  /** Unpadded branch length when {@link pairSum} is used, else 0. */
  private readonly pairLength: number;
  /** K-1 samples of history followed by the current input; grown on demand, never shrunk. */
  private work: Float64Array;
  /** Next output's position relative to the next input chunk, as upsampled time inputIndex·L + phase. */
  private inputIndex = 0;
  private phase = 0;

  constructor(
    readonly fromRate: number,
    readonly toRate: number,
  ) {
    if (!Number.isInteger(fromRate) || !Number.isInteger(toRate) || fromRate <= 0 || toRate <= 0) {
      throw new RangeError(`invalid resampling rates ${fromRate} -> ${toRate}`);
    }
    const g = gcd(fromRate, toRate);
    this.up = toRate / g;
    this.down = fromRate / g;
    this.identity = fromRate === toRate;
    const lower = Math.min(fromRate, toRate);
    const designRate = fromRate * this.up;
    const passbandHz = PASSBAND_FRACTION * lower;
    const stopbandHz = lower / 2; // nothing at or above the lower Nyquist survives, so nothing aliases in-band
    if (this.identity) {
      this.tapsPerPhase = 1;
      this.coefs = new Float64Array(0);
      this.nextPhase = new Int32Array(0);
      this.advance = new Int32Array(0);
      this.halfTaps = new Float64Array(0);
      this.foldLength = 0;
      this.pairSum = new Float64Array(0);
      this.pairDiff = new Float64Array(0);
      this.pairLength = 0;
      this.work = new Float64Array(0);
      this.delaySamples = 0;
      this.filter = { up: 1, down: 1, designRate, passbandHz, stopbandHz, taps: new Float64Array(0) };
      return;
    }
    if (this.up > 64 || this.down > 64) {
      throw new RangeError(`resampling ratio ${toRate}/${fromRate} too awkward for a polyphase FIR`);
    }
    const L = this.up;
    const M = this.down;
    const taps = designLowpass({
      sampleRate: designRate,
      passbandHz,
      stopbandHz,
      attenuationDb: DESIGN_ATTENUATION_DB,
      gain: L,
      lengthMultiple: L,
    });
    const branchTaps = taps.length / L;
    const paired = L === 2 && M === 1;
    // Folding and pairing need the branches unpadded (their symmetry is about their own middle).
    const k = L === 1 || paired ? branchTaps : Math.ceil(branchTaps / UNROLL) * UNROLL;
    this.pairLength = paired ? branchTaps : 0;
    const halves = paired ? Math.ceil(branchTaps / 2) : 0;
    this.pairSum = new Float64Array(halves);
    this.pairDiff = new Float64Array(halves);
    for (let j = 0; j < halves; j++) {
      // Branch 0 reversed: c[j] = h[(K-1-j)·2]; branch 1 reversed is c[K-1-j] (exactly, up to window rounding).
      const a = taps[(branchTaps - 1 - j) * 2];
      const b = taps[j * 2];
      const middle = j === branchTaps - 1 - j;
      this.pairSum[j] = middle ? a : (a + b) / 2;
      this.pairDiff[j] = middle ? 0 : (a - b) / 2;
    }
    this.foldLength = L === 1 ? branchTaps : 0;
    this.halfTaps = new Float64Array(L === 1 ? Math.ceil(branchTaps / 2) : 0);
    // Symmetrised so rounding in the window cannot make the folded filter differ from the unfolded one.
    for (let j = 0; j < this.halfTaps.length; j++) this.halfTaps[j] = (taps[j] + taps[branchTaps - 1 - j]) / 2;
    this.tapsPerPhase = k;
    this.coefs = new Float64Array(L * k); // the padding (oldest end of each branch) stays 0
    for (let p = 0; p < L; p++) {
      for (let j = 0; j < branchTaps; j++) this.coefs[p * k + (k - 1 - j)] = taps[p + j * L];
    }
    this.nextPhase = new Int32Array(L);
    this.advance = new Int32Array(L);
    for (let p = 0; p < L; p++) {
      this.nextPhase[p] = (p + M) % L;
      this.advance[p] = Math.floor((p + M) / L);
    }
    this.work = new Float64Array(k - 1 + 960);
    this.delaySamples = Math.round((taps.length - 1) / 2 / M);
    this.filter = { up: L, down: M, designRate, passbandHz, stopbandHz, taps };
  }

  /**
   * Resamples the next chunk of a continuous stream. Output length varies by at most one sample between calls
   * for non-integer ratios; it is exact when `input.length · toRate / fromRate` is an integer (every 10 ms
   * multiple at our rates). Identity resamplers return `input` itself.
   */
  process(input: Int16Array): Int16Array {
    if (this.identity) return input;
    const n = input.length;
    const k = this.tapsPerPhase;
    const hist = k - 1;
    if (this.work.length < hist + n) {
      const bigger = new Float64Array(hist + n);
      bigger.set(this.work.subarray(0, hist));
      this.work = bigger;
    }
    const work = this.work;
    for (let i = 0; i < n; i++) work[hist + i] = input[i];

    if (this.foldLength > 0) return this.decimate(n);
    if (this.pairLength > 0) return this.interpolate2(n);
    const L = this.up;
    const end = n * L;
    const t = this.inputIndex * L + this.phase;
    const count = t < end ? Math.ceil((end - t) / this.down) : 0;
    const out = new Int16Array(count);
    const coefs = this.coefs;
    const nextPhase = this.nextPhase;
    const advance = this.advance;
    let phase = this.phase;
    // Output at input index i uses work[i .. i+k-1] (work[i+k-1] = input[i]); stepping phase and index by table
    // keeps divisions out of the per-output loop.
    let x = this.inputIndex;
    for (let o = 0; o < count; o++) {
      const base = phase * k;
      // Four accumulators break the add dependency chain; the order is fixed, so chunking cannot change results.
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      for (let j = 0; j < k; j += 4) {
        a0 += coefs[base + j] * work[x + j];
        a1 += coefs[base + j + 1] * work[x + j + 1];
        a2 += coefs[base + j + 2] * work[x + j + 2];
        a3 += coefs[base + j + 3] * work[x + j + 3];
      }
      // Int16Array stores wrap, so clamp; Math.round keeps rounding symmetric enough for audio.
      const v = Math.round(a0 + a1 + (a2 + a3));
      out[o] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      x += advance[phase];
      phase = nextPhase[phase];
    }
    this.inputIndex = x - n;
    this.phase = phase;
    work.copyWithin(0, n, n + hist);
    return out;
  }

  /** `process` for L = 1 on the `n` new samples already in `work`: one output every M inputs, folded window. */
  private decimate(n: number): Int16Array {
    const len = this.foldLength;
    const hist = len - 1;
    const M = this.down;
    const x0 = this.inputIndex;
    const count = x0 < n ? Math.ceil((n - x0) / M) : 0;
    const out = new Int16Array(count);
    const h = this.halfTaps;
    const pairs = len >> 1;
    const pairs2 = pairs & ~1;
    const odd = len & 1;
    const work = this.work;
    let x = x0;
    for (let o = 0; o < count; o++, x += M) {
      // work[x + j] and work[x + len-1-j] share tap h[j]; two accumulators, fixed order (chunking-invariant).
      let a0 = odd ? h[pairs] * work[x + pairs] : 0;
      let a1 = 0;
      let lo = x;
      let hi = x + len - 1;
      let j = 0;
      for (; j < pairs2; j += 2, lo += 2, hi -= 2) {
        a0 += h[j] * (work[lo] + work[hi]);
        a1 += h[j + 1] * (work[lo + 1] + work[hi - 1]);
      }
      if (j < pairs) a0 += h[j] * (work[lo] + work[hi]);
      const v = Math.round(a0 + a1);
      out[o] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    this.inputIndex = x - n;
    work.copyWithin(0, n, n + hist);
    return out;
  }

  /** `process` for L = 2, M = 1 on the `n` new samples in `work`: two outputs per input (phase is always 0 here). */
  private interpolate2(n: number): Int16Array {
    const len = this.pairLength;
    const hist = len - 1;
    const out = new Int16Array(2 * n);
    const ps = this.pairSum;
    const pd = this.pairDiff;
    const pairs = len >> 1;
    const odd = len & 1;
    const work = this.work;
    for (let x = 0; x < n; x++) {
      let s = odd ? ps[pairs] * work[x + pairs] : 0;
      let d = 0;
      let lo = x;
      let hi = x + len - 1;
      for (let j = 0; j < pairs; j++, lo++, hi--) {
        const a = work[lo];
        const b = work[hi];
        s += ps[j] * (a + b);
        d += pd[j] * (a - b);
      }
      const v0 = Math.round(s + d);
      const v1 = Math.round(s - d);
      out[2 * x] = v0 > 32767 ? 32767 : v0 < -32768 ? -32768 : v0;
      out[2 * x + 1] = v1 > 32767 ? 32767 : v1 < -32768 ? -32768 : v1;
    }
    work.copyWithin(0, n, n + hist);
    return out;
  }

  /** Forgets the filter history (start of an unrelated stream). */
  reset(): void {
    this.work.fill(0);
    this.inputIndex = 0;
    this.phase = 0;
  }
}
