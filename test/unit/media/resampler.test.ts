import { describe, expect, it } from 'vitest';
import { Resampler } from '../../../src/media/resample/index.js';
import { magnitudeAt } from '../../../src/media/resample/kaiser.js';
import { db, generateTone, goertzel, rms } from '../../helpers/audio.js';

const RATES = [8000, 16000, 24000, 48000];
const PATHS: Array<[number, number]> = RATES.flatMap((a) => RATES.filter((b) => b !== a).map((b) => [a, b] as [number, number]));

/** Steady-state window of the output: skip the filter's start-up, take 100 ms (whole cycles of 1 and 3 kHz). */
function steady(out: Int16Array, rate: number, delay: number): Int16Array {
  const start = delay * 2 + rate / 50;
  const win = out.subarray(start, start + rate / 10);
  expect(win.length).toBe(rate / 10);
  return win;
}

describe('Resampler', () => {
  it('is the identity (same array) when rates are equal', () => {
    const r = new Resampler(16000, 16000);
    const x = generateTone(440, 16000, 20);
    expect(r.process(x)).toBe(x);
    expect(r.delaySamples).toBe(0);
  });

  it('rejects nonsense rates', () => {
    expect(() => new Resampler(0, 8000)).toThrow(RangeError);
    expect(() => new Resampler(8000, 44100.5)).toThrow(RangeError);
  });

  it.each(PATHS)('%i -> %i: 1 kHz and 3 kHz pass at the right frequency and level (±1 dB)', (from, to) => {
    for (const f of [1000, 3000]) {
      const r = new Resampler(from, to);
      const input = generateTone(f, from, 300, { amplitude: 12000 });
      const out = r.process(input);
      expect(out.length).toBe((input.length * to) / from);
      const win = steady(out, to, r.delaySamples);
      const level = goertzel(win, to, f);
      expect(Math.abs(db(level, 12000))).toBeLessThan(1);
      // The energy is at f, not elsewhere: the tone accounts for (almost) all of the output power.
      expect(db(level / Math.SQRT2, rms(win))).toBeGreaterThan(-0.1);
      expect(goertzel(win, to, f + 200)).toBeLessThan(level / 100);
    }
  });

  it.each([
    [16000, 8000, 6000],
    [48000, 8000, 10000],
    [48000, 16000, 12000],
    [24000, 16000, 9000],
    [48000, 24000, 15000],
    [24000, 8000, 7000],
  ])('%i -> %i: a %i Hz tone above the target Nyquist is attenuated by >= 60 dB', (from, to, f) => {
    const r = new Resampler(from, to);
    const out = r.process(generateTone(f, from, 300, { amplitude: 16000 }));
    const win = out.subarray(r.delaySamples * 2 + to / 50);
    expect(db(rms(win), 16000 / Math.SQRT2)).toBeLessThan(-60);
  });

  it.each([
    [8000, 16000, 1000, 7000],
    [8000, 48000, 1000, 7000],
    [16000, 24000, 2000, 14000],
  ])('%i -> %i: the image of a %i Hz tone (at %i Hz) is >= 60 dB down', (from, to, f, image) => {
    const r = new Resampler(from, to);
    const out = r.process(generateTone(f, from, 300, { amplitude: 16000 }));
    const win = steady(out, to, r.delaySamples);
    expect(db(goertzel(win, to, image), goertzel(win, to, f))).toBeLessThan(-60);
  });

  it.each(PATHS)('%i -> %i: chunked processing equals one-shot processing', (from, to) => {
    const input = generateTone(700, from, 400, { amplitude: 20000 });
    const oneShot = new Resampler(from, to).process(input);
    const r = new Resampler(from, to);
    const parts: Int16Array[] = [];
    // Irregular chunk sizes, including tiny and empty ones, so joins land on every filter phase.
    const sizes = [1, 0, 7, 160, 33, 480, 2, 999, 321];
    let pos = 0;
    for (let i = 0; pos < input.length; i++) {
      const n = Math.min(sizes[i % sizes.length], input.length - pos);
      parts.push(r.process(input.subarray(pos, pos + n)));
      pos += n;
    }
    const joined = new Int16Array(parts.reduce((s, p) => s + p.length, 0));
    let o = 0;
    for (const p of parts) {
      joined.set(p, o);
      o += p.length;
    }
    expect(joined).toEqual(oneShot);
  });

  it('20 ms frames give exact frame sizes and join without clicks', () => {
    const r = new Resampler(24000, 8000);
    const frames: Int16Array[] = [];
    const input = generateTone(500, 24000, 200, { amplitude: 10000 });
    for (let i = 0; i < 10; i++) frames.push(r.process(input.subarray(i * 480, (i + 1) * 480)));
    expect(frames.every((f) => f.length === 160)).toBe(true);
    // A 500 Hz sine at 8 kHz moves at most 2π·500/8000·10000 ≈ 3927 per sample; a click would exceed that.
    let prev = frames[2][159];
    for (const f of frames.slice(3)) {
      expect(Math.abs(f[0] - prev)).toBeLessThan(4000);
      prev = f[f.length - 1];
    }
  });

  it('designs filters with >= 60 dB stopband and < 0.1 dB passband ripple', () => {
    for (const [from, to] of PATHS) {
      const { taps, designRate, passbandHz, stopbandHz, up } = new Resampler(from, to).filter;
      for (let f = 0; f <= passbandHz; f += passbandHz / 40) {
        expect(Math.abs(db(magnitudeAt(taps, designRate, f), up))).toBeLessThan(0.1);
      }
      for (let f = stopbandHz; f <= designRate / 2; f += (designRate / 2 - stopbandHz) / 200) {
        expect(db(magnitudeAt(taps, designRate, f), up)).toBeLessThan(-60);
      }
    }
  });
});

describe('Resampler.processReused (the per-packet paths)', () => {
  it.each([
    [8000, 16000],
    [16000, 8000],
    [8000, 48000],
    [48000, 16000],
  ])('%i -> %i Hz: the same samples as process, in one array it reuses', (from, to) => {
    const a = new Resampler(from, to);
    const b = new Resampler(from, to);
    const frame = (from * 20) / 1000;
    let first: Int16Array | undefined;
    for (let k = 0; k < 5; k++) {
      const input = Int16Array.from({ length: frame }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * (k * frame + i)) / from)));
      const reused = b.processReused(input);
      expect([...reused]).toEqual([...a.process(input)]);
      first ??= reused;
      expect(reused).toBe(first);
    }
  });

  it('returns the input itself at equal rates', () => {
    const input = new Int16Array([1, 2, 3]);
    expect(new Resampler(16000, 16000).processReused(input)).toBe(input);
  });
});
