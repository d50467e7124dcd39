import { describe, expect, it } from 'vitest';
import { LEVEL_WINDOW_MS, LevelMeter, SILENCE_DBFS, dbfsOfMeanSquare } from '../../../src/media/level-meter.js';

const RATE = 8000;
/** Samples in one meter window at RATE. */
const WINDOW = (RATE * LEVEL_WINDOW_MS) / 1000;

/** `n` samples of a sine of `peak` (full scale 32767) at `hz`. */
function sine(n: number, peak: number, hz = 1000, rate = RATE): Int16Array {
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(peak * Math.sin((2 * Math.PI * hz * i) / rate));
  return out;
}

/** Little-endian L16 bytes of `samples`, starting `offset` bytes into a larger buffer (frames can sit at odd offsets). */
function l16(samples: Int16Array, offset = 0): Buffer {
  const whole = Buffer.alloc(offset + samples.length * 2 + 1, 0x7f);
  for (let i = 0; i < samples.length; i++) whole.writeInt16LE(samples[i], offset + 2 * i);
  return whole.subarray(offset, offset + samples.length * 2);
}

const fill = (n: number, v: number): Int16Array => new Int16Array(n).fill(v);
const square = (n: number): Int16Array => Int16Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 32767 : -32768));

describe('LevelMeter: RMS dBFS of 16-bit PCM over a window', () => {
  it.each<[string, Int16Array, number]>([
    ['digital silence is the floor', fill(WINDOW, 0), SILENCE_DBFS],
    ['a full-scale square is 0 dBFS', square(WINDOW), 0],
    ['a full-scale sine is -3.0 dBFS', sine(WINDOW, 32767), -3],
    ['a sine 20 dB below full scale is -23.0 dBFS', sine(WINDOW, 3277), -23],
    ['a 300 Hz sine at half scale is -9.0 dBFS', sine(WINDOW, 16384, 300), -9],
    ['a constant of one LSB is -90.3 dBFS', fill(WINDOW, 1), -90.3],
    ['a constant of -1 LSB reads the same', fill(WINDOW, -1), -90.3],
  ])('%s', (_name, samples, dbfs) => {
    const fromSamples = new LevelMeter(RATE);
    fromSamples.addSamples(samples, 0);
    expect(fromSamples.dbfs(0)).toBe(dbfs);
    // The same audio as raw L16 bytes, at an odd offset in its buffer as pooled Buffers can be.
    const fromBytes = new LevelMeter(RATE);
    fromBytes.addL16(l16(samples, 1), 0);
    expect(fromBytes.dbfs(0)).toBe(dbfs);
  });

  it('reads silence until a whole window came, then the last whole window: 20 ms frames as a call gives them', () => {
    const meter = new LevelMeter(RATE);
    const loud = l16(sine(160, 32767));
    const quiet = l16(sine(160, 3277));
    const frames = WINDOW / 160; // 15 frames of 20 ms make 300 ms
    for (let i = 0; i < frames - 1; i++) meter.addL16(loud, i * 20);
    expect(meter.dbfs(frames * 20)).toBe(SILENCE_DBFS);
    meter.addL16(loud, (frames - 1) * 20);
    expect(meter.dbfs(frames * 20)).toBe(-3);
    // The next window is quiet: the level follows once it is whole, not before.
    for (let i = 0; i < frames - 1; i++) meter.addL16(quiet, 300 + i * 20);
    expect(meter.dbfs(600)).toBe(-3);
    meter.addL16(quiet, 600);
    expect(meter.dbfs(600)).toBe(-23);
  });

  it('reads silence once no audio came for two windows (the stream stopped)', () => {
    const meter = new LevelMeter(RATE);
    meter.addSamples(sine(WINDOW, 32767), 1000);
    expect(meter.dbfs(1000 + 2 * LEVEL_WINDOW_MS)).toBe(-3);
    expect(meter.dbfs(1001 + 2 * LEVEL_WINDOW_MS)).toBe(SILENCE_DBFS);
  });

  it('sizes its window by the sample rate (16 kHz: 4800 samples)', () => {
    const meter = new LevelMeter(16_000);
    meter.addSamples(sine(4799, 32767, 1000, 16_000), 0);
    expect(meter.dbfs(0)).toBe(SILENCE_DBFS);
    meter.addSamples(sine(1, 32767, 1000, 16_000), 0);
    expect(meter.dbfs(0)).toBe(-3);
  });

  // The loops sum in two or four lanes: every length, and the tail each lane count leaves, sums every sample once.
  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 160, 161, 162, 163])('sums every sample of a %d-sample block, either entry point', (n) => {
    const samples = Int16Array.from({ length: n }, (_, i) => ((i * 7919 + 13) % 65536) - 32768);
    let sum = 0;
    for (const s of samples) sum += s * s;
    const expected = dbfsOfMeanSquare(sum / n);
    const fromSamples = new LevelMeter(1000, n); // a window of n samples at 1 kHz
    fromSamples.addSamples(samples, 0);
    expect(fromSamples.dbfs(0)).toBe(expected);
    // As bytes with a stray odd byte after them (it waits: it is not a sample).
    const bytes = Buffer.concat([l16(samples, 1), Buffer.from([0x7f])]);
    const fromBytes = new LevelMeter(1000, n);
    fromBytes.addL16(bytes, 0);
    expect(fromBytes.dbfs(0)).toBe(expected);
  });

  it('refuses a rate or window that is not positive', () => {
    expect(() => new LevelMeter(0)).toThrow(RangeError);
    expect(() => new LevelMeter(8000, -1)).toThrow(RangeError);
  });

  it.each<[number, number]>([
    [0, SILENCE_DBFS],
    [Number.NaN, SILENCE_DBFS],
    [32768 * 32768, 0],
    [(32768 * 32768) / 100, -20],
    [1e-3, SILENCE_DBFS],
  ])('dbfsOfMeanSquare(%d) = %d', (meanSquare, dbfs) => {
    expect(dbfsOfMeanSquare(meanSquare)).toBe(dbfs);
  });
});
