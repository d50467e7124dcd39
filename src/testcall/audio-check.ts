/**
 * What test-call sends and how it judges what came back: a sine tone, levels in dBFS, the tone's strength by
 * Goertzel, and when sound first came back. Pure functions over L16 samples.
 */

/** A sine of `hz` at `rate` for `seconds`, at -12 dBFS peak (loud enough to measure, far from clipping). */
export function sineTone(hz: number, rate: number, seconds: number): Int16Array {
  const out = new Int16Array(Math.round(rate * seconds));
  const amp = 32767 * 10 ** (-12 / 20);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(amp * Math.sin((2 * Math.PI * hz * i) / rate));
  return out;
}

/** RMS level of `pcm` in dBFS (a full-scale sine is -3 dBFS); -Infinity for digital silence. */
export function levelDbfs(pcm: Int16Array): number {
  if (pcm.length === 0) return Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) sum += pcm[i] * pcm[i];
  const rms = Math.sqrt(sum / pcm.length);
  return rms === 0 ? Number.NEGATIVE_INFINITY : 20 * Math.log10(rms / 32768);
}

/** Amplitude of `hz` in `pcm` (Goertzel), in sample units. */
export function toneAmplitude(pcm: Int16Array, rate: number, hz: number): number {
  const k = (2 * Math.PI * hz) / rate;
  const coeff = 2 * Math.cos(k);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < pcm.length; i++) {
    const s0 = pcm[i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return pcm.length === 0 ? 0 : (2 * Math.sqrt(Math.max(0, power))) / pcm.length;
}

/** A received frame and when it arrived (ms on the run's clock). */
export interface TimedFrame {
  at: number;
  pcm: Int16Array;
}

/** What came back: overall level, the loudest frame, when sound first came, and whether it was our tone. */
export interface AudioVerdict {
  frames: number;
  levelDbfs: number;
  peakFrameDbfs: number;
  /** Arrival of the first frame above -45 dBFS, ms after `sentAt`; absent when nothing loud came back. */
  firstSoundMs?: number;
  /** The tone's frequency dominates what came back (at least 10x its neighbours +-150 Hz). */
  toneHeard: boolean;
}

const SOUND_DBFS = -45;

export function judgeAudio(frames: readonly TimedFrame[], sentAt: number, rate: number, toneHz: number | undefined): AudioVerdict {
  const all = new Int16Array(frames.reduce((n, f) => n + f.pcm.length, 0));
  let off = 0;
  let peak = Number.NEGATIVE_INFINITY;
  let first: number | undefined;
  for (const f of frames) {
    all.set(f.pcm, off);
    off += f.pcm.length;
    const l = levelDbfs(f.pcm);
    peak = Math.max(peak, l);
    if (first === undefined && l > SOUND_DBFS && f.at >= sentAt) first = f.at - sentAt;
  }
  let toneHeard = false;
  if (toneHz !== undefined && all.length > 0) {
    const at = toneAmplitude(all, rate, toneHz);
    const side = Math.max(toneAmplitude(all, rate, toneHz - 150), toneAmplitude(all, rate, toneHz + 150));
    toneHeard = at > 300 && at > 10 * side;
  }
  return { frames: frames.length, levelDbfs: levelDbfs(all), peakFrameDbfs: peak, ...(first !== undefined ? { firstSoundMs: first } : {}), toneHeard };
}
