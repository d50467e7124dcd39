/**
 * Polyphase filter design for a rational resampler: the Kaiser low-pass for a pair of rates and a band, split
 * into L reversed branches, with the per-branch step table. Designs are pure functions of (from, to, band), so
 * each is made once per process and shared by every resampler on that path (and placed once in the WASM
 * kernel's memory).
 */
import { designLowpass } from './kaiser.js';
import { firWasm, type PlacedFilter } from './fir-wasm.js';

/**
 * Stopband attenuation the filters are designed for; the requirement is >= 60 dB, the 10 dB margin covers the
 * Kaiser formula's approximation and f32/Int16 rounding (80 dB cost ~20 % more taps for no audible gain).
 */
export const DESIGN_ATTENUATION_DB = 70;
/**
 * 'full' band: pass band edge as a fraction of the lower of the two rates, 0.4375 → 7 kHz at 16 kHz (wideband's
 * 7 kHz), 10.5 kHz at 24 kHz; the stopband starts at the lower rate's Nyquist.
 */
export const PASSBAND_FRACTION = 0.4375;
/**
 * 'telephone' band, for paths whose lower rate is 8 kHz: G.711 and the telephone network carry 300-3400 Hz
 * (ITU-T G.712), so the filter passes 0-3400 Hz and stops from 4600 Hz, mirror images about 4 kHz. Upsampling
 * 8 kHz audio, every image of 0-3.4 kHz content lies at or above 4.6 kHz; downsampling to 8 kHz, content at
 * 4-4.6 kHz folds only into 3.4-4 kHz, outside the band the far end uses. The transition is 2.4 times wider than
 * the 'full' design's 3.5-4 kHz, so the filter has 2.4 times fewer taps.
 */
export const TELEPHONE_PASSBAND_HZ = 3400;
export const TELEPHONE_STOPBAND_HZ = 4600;

/** Taps per branch are zero-padded to a multiple of this (the WASM kernel takes 8 a turn). */
export const BRANCH_MULTIPLE = 8;

/** Which anti-aliasing design: see {@link TELEPHONE_PASSBAND_HZ}. */
export type ResamplerBand = 'full' | 'telephone';

export interface Polyphase {
  /** Interpolation factor L. */
  up: number;
  /** Decimation factor M. */
  down: number;
  band: ResamplerBand;
  /** Rate the filter runs at (fromRate · L). */
  designRate: number;
  passbandHz: number;
  stopbandHz: number;
  /** Full prototype filter (gain L at DC). */
  taps: Float64Array;
  /** Taps per branch after padding. */
  k: number;
  /** coefs[p·k + j] = h[p + (k-1-j)·L]: branch p reversed (j = k-1 meets the newest sample), oldest end padded. */
  coefs: Float32Array;
  /** Per branch p: [2p] input samples the next output moves on, [2p+1] the branch after it. */
  tab: Int32Array;
  /** Its place in the WASM kernel's memory; null when the kernel is unavailable. */
  placed: PlacedFilter | null;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

const designs = new Map<string, Polyphase>();

/**
 * The polyphase design for a path, made on first use and cached.
 * @throws RangeError when the ratio needs more than 64 branches (or decimation by more than 64), or for the
 *   telephone band on a path whose lower rate is not 8 kHz.
 */
export function polyphaseFor(fromRate: number, toRate: number, band: ResamplerBand): Polyphase {
  const key = `${fromRate}:${toRate}:${band}`;
  const cached = designs.get(key);
  if (cached) return cached;
  const g = gcd(fromRate, toRate);
  const L = toRate / g;
  const M = fromRate / g;
  if (L > 64 || M > 64) throw new RangeError(`resampling ratio ${toRate}/${fromRate} too awkward for a polyphase FIR`);
  const lower = Math.min(fromRate, toRate);
  if (band === 'telephone' && lower !== 8000) throw new RangeError(`the telephone-band design is for 8 kHz paths, not ${fromRate} -> ${toRate}`);
  const passbandHz = band === 'telephone' ? TELEPHONE_PASSBAND_HZ : PASSBAND_FRACTION * lower;
  const stopbandHz = band === 'telephone' ? TELEPHONE_STOPBAND_HZ : lower / 2;
  const designRate = fromRate * L;
  const taps = designLowpass({ sampleRate: designRate, passbandHz, stopbandHz, attenuationDb: DESIGN_ATTENUATION_DB, gain: L, lengthMultiple: L });
  const branchTaps = taps.length / L;
  const k = Math.ceil(branchTaps / BRANCH_MULTIPLE) * BRANCH_MULTIPLE;
  const coefs = new Float32Array(L * k);
  for (let p = 0; p < L; p++) {
    for (let j = 0; j < branchTaps; j++) coefs[p * k + (k - 1 - j)] = taps[p + j * L];
  }
  const tab = new Int32Array(2 * L);
  for (let p = 0; p < L; p++) {
    tab[2 * p] = Math.floor((p + M) / L);
    tab[2 * p + 1] = (p + M) % L;
  }
  const placed = firWasm()?.place(coefs, tab) ?? null;
  const design: Polyphase = { up: L, down: M, band, designRate, passbandHz, stopbandHz, taps, k, coefs, tab, placed };
  designs.set(key, design);
  return design;
}
