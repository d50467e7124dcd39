/**
 * Audio test helpers: tone generation and tone detection. Shared by media, bot and integration tests.
 */

/**
 * Amplitude of the `freq` component in `samples` (same unit as the samples, e.g. Int16 full scale 32767),
 * via the Goertzel algorithm. Exact when `samples` holds a whole number of cycles of `freq`; otherwise
 * leakage makes it approximate (use a longer window or check relative levels).
 */
export function goertzel(samples: ArrayLike<number>, sampleRate: number, freq: number): number {
  const n = samples.length;
  if (n === 0) return 0;
  const w = (2 * Math.PI * freq) / sampleRate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = samples[i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * Math.sqrt(Math.max(0, power))) / n;
}

/** Options for {@link generateTone}. */
export interface ToneOptions {
  /** Peak amplitude, default 10000 (about -10 dBFS). */
  amplitude?: number;
  /** Starting phase in radians, default 0. */
  phase?: number;
}

/** A sine tone as Int16 PCM: `durationMs` of `freq` Hz at `sampleRate`. */
export function generateTone(freq: number, sampleRate: number, durationMs: number, opts: ToneOptions = {}): Int16Array {
  const amp = opts.amplitude ?? 10000;
  const phase = opts.phase ?? 0;
  const n = Math.round((sampleRate * durationMs) / 1000);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(amp * Math.sin((2 * Math.PI * freq * i) / sampleRate + phase));
  return out;
}

/** Streams a continuous tone chunk by chunk (phase carries across calls). */
export class ToneGenerator {
  private index = 0;
  constructor(
    private readonly freq: number,
    private readonly sampleRate: number,
    private readonly amplitude = 10000,
  ) {}

  next(samples: number): Int16Array {
    const out = new Int16Array(samples);
    for (let i = 0; i < samples; i++, this.index++) {
      out[i] = Math.round(this.amplitude * Math.sin((2 * Math.PI * this.freq * this.index) / this.sampleRate));
    }
    return out;
  }
}

/** Root mean square of the samples. */
export function rms(samples: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
  return samples.length ? Math.sqrt(sum / samples.length) : 0;
}

/** 20·log10(a/b), the level of `a` relative to `b` in dB. */
export function db(a: number, b: number): number {
  return 20 * Math.log10(Math.max(a, 1e-12) / Math.max(b, 1e-12));
}

/** Signal-to-noise ratio in dB of `test` against `reference` (same length, already aligned). */
export function snrDb(reference: ArrayLike<number>, test: ArrayLike<number>): number {
  const n = Math.min(reference.length, test.length);
  let sig = 0;
  let noise = 0;
  for (let i = 0; i < n; i++) {
    sig += reference[i] * reference[i];
    const e = reference[i] - test[i];
    noise += e * e;
  }
  return 10 * Math.log10(Math.max(sig, 1e-12) / Math.max(noise, 1e-12));
}

/** Of the candidate frequencies, the one with the strongest Goertzel amplitude. */
export function strongestFrequency(samples: ArrayLike<number>, sampleRate: number, candidates: number[]): number {
  let best = candidates[0];
  let bestAmp = -1;
  for (const f of candidates) {
    const a = goertzel(samples, sampleRate, f);
    if (a > bestAmp) {
      bestAmp = a;
      best = f;
    }
  }
  return best;
}

/** Int16 PCM → L16 little-endian bytes (what the bot side speaks). */
export function int16ToL16(pcm: Int16Array): Buffer {
  const b = Buffer.alloc(pcm.length * 2);
  for (let i = 0; i < pcm.length; i++) b.writeInt16LE(pcm[i], i * 2);
  return b;
}

/** L16 little-endian bytes → Int16 PCM. */
export function l16ToInt16(buf: Buffer): Int16Array {
  const out = new Int16Array(buf.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = buf.readInt16LE(i * 2);
  return out;
}
