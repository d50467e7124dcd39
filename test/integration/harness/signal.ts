/** Signal checks for audio that crossed the bridge: independent of the bridge's own DSP code. */
import { generateTone, goertzel, int16ToL16, l16ToInt16 } from '../../helpers/audio.js';

export { goertzel as goertzelAmplitude, l16ToInt16 as l16 };

/** L16 little-endian sine tone. */
export function sineL16(freq: number, sampleRate: number, ms: number, amplitude = 8000): Buffer {
  return int16ToL16(generateTone(freq, sampleRate, ms, { amplitude }));
}

/** RMS of each consecutive block of `block` samples. */
export function rmsEnvelope(samples: ArrayLike<number>, block: number): number[] {
  const out: number[] = [];
  for (let start = 0; start + block <= samples.length; start += block) {
    let sum = 0;
    for (let i = start; i < start + block; i++) sum += samples[i] * samples[i];
    out.push(Math.sqrt(sum / block));
  }
  return out;
}

/** Pearson correlation of two equal-length series. */
export function pearson(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    num += (a[i] - ma) * (b[i] - mb);
    da += (a[i] - ma) ** 2;
    db += (b[i] - mb) ** 2;
  }
  return num / Math.sqrt(da * db);
}

/**
 * Best Pearson correlation of `reference` against `received` over lags 0..maxLag blocks
 * (the received stream starts later: setup time, jitter).
 */
export function bestLaggedCorrelation(reference: number[], received: number[], maxLag: number): { r: number; lag: number } {
  let best = { r: -1, lag: 0 };
  for (let lag = 0; lag <= maxLag && lag < received.length; lag++) {
    const n = Math.min(reference.length, received.length - lag);
    if (n < 20) break;
    const r = pearson(reference.slice(0, n), received.slice(lag, lag + n));
    if (r > best.r) best = { r, lag };
  }
  return best;
}

/**
 * The `winSamples` window of `pcm` (stepping by `stepSamples`) where `hz` is strongest: finds a tone wherever it
 * lies after codec, filter and call start-up. Returns its level (Goertzel amplitude) and the window.
 */
export function strongestWindow<T extends ArrayLike<number> & { slice(start: number, end: number): T }>(
  pcm: T,
  rate: number,
  hz: number,
  winSamples: number,
  stepSamples: number,
): { level: number; win: T } {
  let best = { level: 0, win: pcm.slice(0, 0) };
  for (let s = 0; s + winSamples <= pcm.length; s += stepSamples) {
    const w = pcm.slice(s, s + winSamples);
    const level = goertzel(w, rate, hz);
    if (level > best.level) best = { level, win: w };
  }
  return best;
}

/**
 * Which of `freqs` dominates each `blockMs` block of `pcm` (index into freqs), or -1 for a block where none stands
 * out (silence, speech): a tone counts when its Goertzel level is above `minLevel` and 4x every other one's.
 */
export function dominantTones(pcm: ArrayLike<number> & { slice(start: number, end: number): ArrayLike<number> }, rate: number, freqs: number[], blockMs = 100, minLevel = 1500): number[] {
  const block = Math.round((rate * blockMs) / 1000);
  const out: number[] = [];
  for (let s = 0; s + block <= pcm.length; s += block) {
    const w = pcm.slice(s, s + block);
    const levels = freqs.map((f) => goertzel(w, rate, f));
    const best = levels.indexOf(Math.max(...levels));
    out.push(levels[best] > minLevel && levels.every((l, i) => i === best || l * 4 < levels[best]) ? best : -1);
  }
  return out;
}
