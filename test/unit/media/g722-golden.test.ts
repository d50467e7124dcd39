/**
 * G.722 bit-exactness guard: the encoder's bytes and the decoder's samples for fixed inputs, as SHA-256 digests
 * recorded from the implementation that passed the baresip interop tests (test/integration/baresip-codecs).
 * Speed work on g722-core.ts must leave every bit as it was.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { G722 } from '../../../src/media/codecs/index.js';
import { quantiseLow } from '../../../src/media/codecs/g722-core.js';

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

describe('G.722 low-band quantiser', () => {
  /** The reference's decision: linear scan over Q6 (ITU-T G.722 block 1L). */
  const Q6 = [0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940, 1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919];
  function scan(wd: number, det: number): number {
    let i = 1;
    for (; i < 30; i++) if (wd < (Q6[i] * det) >> 12) break;
    return i;
  }

  it('matches the linear scan at every decision boundary for every reachable step size', () => {
    const ILB = [2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834, 2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008];
    // det = (ILB[k] shifted by 8 - (nb >> 11), nb in 0..18432) << 2, as Band.scale makes it
    const dets = new Set<number>();
    for (const base of ILB) for (let sh = -1; sh <= 8; sh++) dets.add((sh < 0 ? base << -sh : base >> sh) << 2);
    let checked = 0;
    for (const det of dets) {
      const edges = [0, 1, 32766, 32767];
      for (const q of Q6) for (const e of [-1, 0, 1]) edges.push(((q * det) >> 12) + e);
      for (const wd of edges) {
        if (wd < 0 || wd > 32767) continue;
        expect(quantiseLow(wd, det)).toBe(scan(wd, det));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20000);
  });
});
