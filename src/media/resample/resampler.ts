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

/** Stopband attenuation the filters are designed for; the requirement is >= 60 dB, the margin covers Int16 rounding. */
export const DESIGN_ATTENUATION_DB = 80;
/** Pass band edge as a fraction of the lower of the two rates (0.44 → 3.52 kHz at 8 kHz). */
export const PASSBAND_FRACTION = 0.44;

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
  private readonly tapsPerPhase: number;
  /** coefs[p * K + j] = h[p + j·L]: branch p's taps, in the order they meet input samples newest-first. */
  private readonly coefs: Float32Array;
  /** K-1 samples of history followed by the current input; grown on demand, never shrunk. */
  private work: Float32Array;
  /** Upsampled-time index of the next output, relative to the first sample of the next input chunk. */
  private t = 0;

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
      this.coefs = new Float32Array(0);
      this.work = new Float32Array(0);
      this.delaySamples = 0;
      this.filter = { up: 1, down: 1, designRate, passbandHz, stopbandHz, taps: new Float64Array(0) };
      return;
    }
    if (this.up > 64 || this.down > 64) {
      throw new RangeError(`resampling ratio ${toRate}/${fromRate} too awkward for a polyphase FIR`);
    }
    const taps = designLowpass({
      sampleRate: designRate,
      passbandHz,
      stopbandHz,
      attenuationDb: DESIGN_ATTENUATION_DB,
      gain: this.up,
      lengthMultiple: this.up,
    });
    const k = taps.length / this.up;
    this.tapsPerPhase = k;
    this.coefs = new Float32Array(taps.length);
    for (let p = 0; p < this.up; p++) {
      for (let j = 0; j < k; j++) this.coefs[p * k + j] = taps[p + j * this.up];
    }
    this.work = new Float32Array(k - 1 + 960);
    this.delaySamples = Math.round((taps.length - 1) / 2 / this.down);
    this.filter = { up: this.up, down: this.down, designRate, passbandHz, stopbandHz, taps };
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
      const bigger = new Float32Array(hist + n);
      bigger.set(this.work.subarray(0, hist));
      this.work = bigger;
    }
    const work = this.work;
    for (let i = 0; i < n; i++) work[hist + i] = input[i];

    const L = this.up;
    const M = this.down;
    const end = n * L;
    let t = this.t;
    const count = t < end ? Math.ceil((end - t) / M) : 0;
    const out = new Int16Array(count);
    const coefs = this.coefs;
    for (let o = 0; o < count; o++, t += M) {
      const i0 = Math.floor(t / L);
      const base = (t - i0 * L) * k;
      let xi = hist + i0;
      let acc = 0;
      for (let j = 0; j < k; j++) acc += coefs[base + j] * work[xi--];
      // Int16Array stores wrap, so clamp; Math.round keeps rounding symmetric enough for audio.
      const v = Math.round(acc);
      out[o] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    this.t = t - end;
    work.copyWithin(0, n, n + hist);
    return out;
  }

  /** Forgets the filter history (start of an unrelated stream). */
  reset(): void {
    this.work.fill(0);
    this.t = 0;
  }
}
