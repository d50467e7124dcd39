// Prompt files: WAV (16-bit PCM mono, 8/16 kHz, chunks in any order after fmt) and headerless .sln/.sln16, refused
// with a reason otherwise; resampled to a leg's rate with the tone kept and nothing above the band.
import { describe, expect, it } from 'vitest';
import { decodePrompt, encodeWav, promptAt } from '../../../src/media/index.js';
import { generateTone, goertzel } from '../../helpers/audio.js';

function wavWith(opts: { tag?: number; channels?: number; rate?: number; bits?: number; extraChunk?: boolean }): Buffer {
  const wav = encodeWav(new Int16Array([1, -2, 3, -4]), opts.rate ?? 8000);
  wav.writeUInt16LE(opts.tag ?? 1, 20);
  wav.writeUInt16LE(opts.channels ?? 1, 22);
  wav.writeUInt16LE(opts.bits ?? 16, 34);
  if (!opts.extraChunk) return wav;
  // A LIST chunk (odd size, padded) between fmt and data, as editors write them.
  const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([3, 0, 0, 0]), Buffer.from('abc'), Buffer.alloc(1)]);
  return Buffer.concat([wav.subarray(0, 36), list, wav.subarray(36)]);
}

describe('decodePrompt', () => {
  it('reads a 16-bit mono WAV at its rate, skipping other chunks', () => {
    for (const rate of [8000, 16000]) {
      const p = decodePrompt(wavWith({ rate, extraChunk: true }), 'x.wav');
      expect(p.sampleRate).toBe(rate);
      expect(Array.from(p.samples)).toEqual([1, -2, 3, -4]);
    }
  });

  it('reads headerless 16-bit little-endian: .sln/.raw at 8 kHz, .sln16 at 16 kHz', () => {
    const raw = Buffer.from([1, 0, 0xfe, 0xff, 7]); // odd trailing byte ignored
    expect(decodePrompt(raw, 'a.sln')).toEqual({ sampleRate: 8000, samples: new Int16Array([1, -2]) });
    expect(decodePrompt(raw, 'a.RAW').sampleRate).toBe(8000);
    expect(decodePrompt(raw, 'a.sln16').sampleRate).toBe(16000);
  });

  it.each([
    ['not RIFF', Buffer.from('hello world, no header'), /not a RIFF WAVE/],
    ['8-bit', wavWith({ bits: 8 }), /16-bit PCM/],
    ['float', wavWith({ tag: 3 }), /16-bit PCM/],
    ['stereo', wavWith({ channels: 2 }), /mono/],
    ['44.1 kHz', wavWith({ rate: 44100 }), /8000 or 16000/],
    ['no data', encodeWav(new Int16Array(0), 8000).subarray(0, 36), /no data chunk/],
  ])('refuses %s with the reason', (_what, bytes, reason) => {
    expect(() => decodePrompt(bytes, 'bad.wav')).toThrow(reason);
  });
});

describe('promptAt', () => {
  it('returns the samples as they are at their own rate', () => {
    const p = { sampleRate: 8000, samples: new Int16Array([5, 6]) };
    expect(promptAt(p, 8000)).toBe(p.samples);
  });

  it('resamples 8 kHz to 16 kHz and back: length doubles/halves (plus the filter delay), the tone is kept', () => {
    const tone = generateTone(1000, 8000, 500, { amplitude: 8000 });
    const up = promptAt({ sampleRate: 8000, samples: tone }, 16000);
    expect(up.length).toBeGreaterThanOrEqual(16000 / 2);
    expect(up.length).toBeLessThan(16000 / 2 + 200);
    const mid = up.subarray(2000, 6000);
    expect(goertzel(mid, 16000, 1000)).toBeGreaterThan(7000);
    expect(goertzel(mid, 16000, 3000)).toBeLessThan(100);
    const down = promptAt({ sampleRate: 16000, samples: generateTone(600, 16000, 500, { amplitude: 8000 }) }, 8000);
    expect(goertzel(down.subarray(1000, 3000), 8000, 600)).toBeGreaterThan(7000);
  });
});
