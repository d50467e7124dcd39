/**
 * Windowed-sinc low-pass design with a Kaiser window (Kaiser's formulas for β and length), plus a frequency
 * response evaluator used by tests and the benchmark to report ripple and stopband attenuation.
 */

/** Zeroth-order modified Bessel function of the first kind (power series; converges fast for β < 20). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 50; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-16) break;
  }
  return sum;
}

/** Kaiser β for a stopband attenuation of `attenuationDb`. */
export function kaiserBeta(attenuationDb: number): number {
  if (attenuationDb > 50) return 0.1102 * (attenuationDb - 8.7);
  if (attenuationDb >= 21) return 0.5842 * (attenuationDb - 21) ** 0.4 + 0.07886 * (attenuationDb - 21);
  return 0;
}

/** Specification of a low-pass filter; frequencies in Hz at sample rate `sampleRate`. */
export interface LowpassSpec {
  sampleRate: number;
  passbandHz: number;
  stopbandHz: number;
  attenuationDb: number;
  /** DC gain of the whole filter (the interpolation factor for a polyphase upsampler). */
  gain: number;
  /** Round the length up to a multiple of this (so it splits evenly into polyphase branches). */
  lengthMultiple?: number;
}

/** Designs the taps of a linear-phase low-pass FIR (odd-symmetric around (N-1)/2). */
export function designLowpass(spec: LowpassSpec): Float64Array {
  const deltaF = (spec.stopbandHz - spec.passbandHz) / spec.sampleRate; // normalised transition width
  const cutoff = (spec.passbandHz + spec.stopbandHz) / 2 / spec.sampleRate; // normalised cut-off (cycles/sample)
  let n = Math.ceil((spec.attenuationDb - 7.95) / (14.36 * deltaF)) + 1;
  const mult = spec.lengthMultiple ?? 1;
  n = Math.ceil(n / mult) * mult;
  const beta = kaiserBeta(spec.attenuationDb);
  const i0Beta = besselI0(beta);
  const centre = (n - 1) / 2;
  const taps = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const x = i - centre;
    const sinc = x === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x);
    const r = n > 1 ? (2 * i) / (n - 1) - 1 : 0;
    const w = besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0Beta;
    taps[i] = sinc * w;
    sum += taps[i];
  }
  const scale = spec.gain / sum;
  for (let i = 0; i < n; i++) taps[i] *= scale;
  return taps;
}

/** |H(f)| of an FIR at `freqHz` (sample rate `sampleRate`), linear. */
export function magnitudeAt(taps: ArrayLike<number>, sampleRate: number, freqHz: number): number {
  const w = (2 * Math.PI * freqHz) / sampleRate;
  let re = 0;
  let im = 0;
  for (let i = 0; i < taps.length; i++) {
    re += taps[i] * Math.cos(w * i);
    im -= taps[i] * Math.sin(w * i);
  }
  return Math.hypot(re, im);
}
