/**
 * G.722 bit-exactness guard: the encoder's bytes and the decoder's samples for fixed inputs, as SHA-256 digests
 * recorded from the implementation that passed the baresip interop tests (test/integration/baresip-codecs).
 * Speed work on g722-core.ts must leave every bit as it was.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { G722 } from '../../../src/media/codecs/index.js';

/** 2 s at 16 kHz: a rising sweep, noise, a clipped loud stretch and silence (every ADPCM regime). */
function testInput(): Int16Array {
  const pcm = new Int16Array(32000);
  let seed = 4242;
  let phase = 0;
  for (let i = 0; i < pcm.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    phase += (2 * Math.PI * (100 + (7800 * i) / pcm.length)) / 16000;
    const loud = i >= 16000 && i < 20000 ? 4 : 1;
    const v = i >= 28000 ? 0 : loud * (9000 * Math.sin(phase) + ((seed % 6000) - 3000));
    pcm[i] = Math.max(-32768, Math.min(32767, Math.round(v)));
  }
  return pcm;
}

function sha(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function int16Bytes(pcm: Int16Array): Uint8Array {
  const b = Buffer.alloc(pcm.length * 2);
  pcm.forEach((v, i) => b.writeInt16LE(v, i * 2));
  return b;
}

describe('G.722 bit-exactness', () => {
  it('encodes the test input to the recorded bytes, and decodes them to the recorded samples', () => {
    const input = testInput();
    const enc = G722.createEncoder();
    const dec = G722.createDecoder();
    const payloads: Buffer[] = [];
    const decoded = new Int16Array(input.length);
    for (let off = 0; off < input.length; off += 320) {
      const p = Buffer.from(enc.encode(input.subarray(off, off + 320)));
      payloads.push(p);
      decoded.set(dec.decode(p), off);
    }
    expect(sha(Buffer.concat(payloads))).toBe('c22787a6ccddbfa93f890cbeaa69321fececad9b91359c4fbeff0dd4dcd18a82');
    expect(sha(int16Bytes(decoded))).toBe('510b5e5c2b12b7604110ce829406131f67712d8ae4e05c8cb179a4c725b370c9');
  });

  it('decodes arbitrary bytes (every code word) to the recorded samples', () => {
    const dec = G722.createDecoder();
    const bytes = Buffer.alloc(16000);
    let seed = 7;
    for (let i = 0; i < bytes.length; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      bytes[i] = i < 256 ? i : seed >> 16;
    }
    const out = new Int16Array(bytes.length * 2);
    for (let off = 0; off < bytes.length; off += 160) out.set(dec.decode(bytes.subarray(off, off + 160)), off * 2);
    expect(sha(int16Bytes(out))).toBe('e593a9824a9d164e4bbc552919b4c772a29129fc62ac382acf3925ca1a4bfb08');
  });
});
