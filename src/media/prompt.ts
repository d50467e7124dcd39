/**
 * Prompt files the bridge plays by itself (a fallback announcement, hold audio while a bot reconnects): a RIFF
 * WAVE file of 16-bit PCM mono at 8 or 16 kHz, or headerless 16-bit little-endian mono (`.sln`/`.raw` at 8 kHz,
 * `.sln16` at 16 kHz, Asterisk's convention). Decoded once and resampled to the rate a leg takes audio at.
 */
import { Resampler } from './resample/index.js';

/** A decoded prompt: mono samples at `sampleRate`. */
export interface PromptAudio {
  sampleRate: number;
  samples: Int16Array;
}

/** Rates a prompt may be recorded at (telephone and wideband): anything else is refused rather than guessed. */
const PROMPT_RATES = [8000, 16000];

/** Largest prompt accepted: 10 minutes at 16 kHz (a prompt is read whole into memory). */
const MAX_PROMPT_BYTES = 600 * 16000 * 2;

/** Headerless 16-bit mono by file extension. */
const RAW_RATES: Record<string, number> = { sln: 8000, raw: 8000, pcm: 8000, sln16: 16000 };

/**
 * Decodes a prompt file's bytes; `name` (the file name) picks headerless formats by extension.
 * @throws RangeError naming what is wrong (not WAVE, not 16-bit PCM mono, a rate other than 8/16 kHz, too long).
 */
export function decodePrompt(bytes: Buffer, name: string): PromptAudio {
  if (bytes.length > MAX_PROMPT_BYTES) throw new RangeError(`${name}: longer than 10 minutes at 16 kHz`);
  const ext = /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase() ?? '';
  if (ext !== 'wav' && RAW_RATES[ext] !== undefined) return { sampleRate: RAW_RATES[ext], samples: int16LE(bytes, 0, bytes.length & ~1) };
  return decodeWav(bytes, name);
}

function decodeWav(bytes: Buffer, name: string): PromptAudio {
  if (bytes.length < 12 || bytes.toString('ascii', 0, 4) !== 'RIFF' || bytes.toString('ascii', 8, 12) !== 'WAVE') {
    throw new RangeError(`${name}: not a RIFF WAVE file (or name it .sln/.sln16 for headerless 16-bit PCM)`);
  }
  let format: { tag: number; channels: number; rate: number; bits: number } | undefined;
  // Chunks: fmt must come before data (RIFF allows others, e.g. LIST, anywhere: skipped).
  for (let off = 12; off + 8 <= bytes.length; ) {
    const id = bytes.toString('ascii', off, off + 4);
    const size = bytes.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ' && size >= 16 && body + 16 <= bytes.length) {
      format = { tag: bytes.readUInt16LE(body), channels: bytes.readUInt16LE(body + 2), rate: bytes.readUInt32LE(body + 4), bits: bytes.readUInt16LE(body + 14) };
    } else if (id === 'data') {
      if (!format) throw new RangeError(`${name}: data chunk before the fmt chunk`);
      checkFormat(format, name);
      const end = Math.min(bytes.length, body + size);
      return { sampleRate: format.rate, samples: int16LE(bytes, body, end - ((end - body) & 1)) };
    }
    off = body + size + (size & 1); // chunks are padded to an even length
  }
  throw new RangeError(`${name}: no data chunk`);
}

function checkFormat(f: { tag: number; channels: number; rate: number; bits: number }, name: string): void {
  // 0xFFFE (WAVE_FORMAT_EXTENSIBLE) with 16-bit mono is still plain PCM for our purposes.
  if ((f.tag !== 1 && f.tag !== 0xfffe) || f.bits !== 16) throw new RangeError(`${name}: must be 16-bit PCM (format ${f.tag}, ${f.bits} bits)`);
  if (f.channels !== 1) throw new RangeError(`${name}: must be mono (${f.channels} channels)`);
  if (!PROMPT_RATES.includes(f.rate)) throw new RangeError(`${name}: must be 8000 or 16000 Hz (${f.rate})`);
}

function int16LE(bytes: Buffer, start: number, end: number): Int16Array {
  const out = new Int16Array((end - start) >> 1);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readInt16LE(start + 2 * i);
  return out;
}

/** The prompt at `rate` (resampled through media's anti-aliasing resampler when it was recorded at another rate). */
export function promptAt(prompt: PromptAudio, rate: number): Int16Array {
  if (prompt.sampleRate === rate) return prompt.samples;
  const resampler = new Resampler(prompt.sampleRate, rate);
  const body = resampler.process(prompt.samples);
  // The filter's delay holds back the last few samples: a short run of silence flushes them out.
  const tail = resampler.process(new Int16Array(Math.ceil((resampler.delaySamples * prompt.sampleRate) / rate) + 1));
  const out = new Int16Array(body.length + tail.length);
  out.set(body);
  out.set(tail, body.length);
  return out;
}

/** A WAVE file of 16-bit PCM mono samples (tests and tools write prompts with it). */
export function encodeWav(samples: Int16Array, sampleRate: number): Buffer {
  const data = samples.length * 2;
  const out = Buffer.alloc(44 + data);
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(36 + data, 4);
  out.write('WAVEfmt ', 8, 'ascii');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20);
  out.writeUInt16LE(1, 22);
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * 2, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'ascii');
  out.writeUInt32LE(data, 40);
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i], 44 + 2 * i);
  return out;
}
