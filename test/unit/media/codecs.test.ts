import { describe, expect, it } from 'vitest';
import { codecRegistry, PCMA, PCMU } from '../../../src/media/codecs/index.js';
import { generateTone, goertzel, snrDb } from '../../helpers/audio.js';

describe('codec registry', () => {
  it('has PCMU and PCMA registered, looked up case-insensitively', () => {
    expect(codecRegistry.names()).toEqual(expect.arrayContaining(['PCMU', 'PCMA']));
    expect(codecRegistry.get('pcmu')).toBe(PCMU);
    expect(codecRegistry.get('PCMA')).toBe(PCMA);
    expect(codecRegistry.get('G729')).toBeUndefined();
  });

  it('describes G.711 for SDP and RTP', () => {
    expect(PCMU).toMatchObject({ name: 'PCMU', clockRate: 8000, sampleRate: 8000, channels: 1, staticPayloadType: 0 });
    expect(PCMA).toMatchObject({ name: 'PCMA', clockRate: 8000, sampleRate: 8000, channels: 1, staticPayloadType: 8 });
  });
});

// Reference values from ITU-T G.711 (decoder output in 16-bit linear, as alawmulaw and most stacks scale it).
const decodeCases: Array<[string, number, number]> = [
  ['PCMU', 0xff, 0],
  ['PCMU', 0x7f, 0],
  ['PCMU', 0x80, 32124],
  ['PCMU', 0x00, -32124],
  ['PCMU', 0xfe, 8],
  ['PCMU', 0x7e, -8],
  ['PCMU', 0xef, 132],
  ['PCMA', 0xd5, 8],
  ['PCMA', 0x55, -8],
  ['PCMA', 0xaa, 32256],
  ['PCMA', 0x2a, -32256],
  ['PCMA', 0xd4, 24],
];

describe('G.711 decode table', () => {
  it.each(decodeCases)('%s 0x%s decodes to %i', (name, byte, expected) => {
    const dec = codecRegistry.get(name)!.createDecoder();
    expect(dec.decode(Buffer.from([byte]))[0]).toBe(expected);
  });
});

const encodeCases: Array<[string, number, number]> = [
  ['PCMU', 0, 0xff],
  ['PCMU', 32767, 0x80],
  ['PCMU', -32768, 0x00],
  ['PCMA', 0, 0xd5],
  ['PCMA', 8, 0xd5],
  ['PCMA', -8, 0x55],
  ['PCMA', 32767, 0xaa],
  ['PCMA', -32768, 0x2a],
];

describe('G.711 encode table', () => {
  it.each(encodeCases)('%s %i encodes to byte %i', (name, sample, expected) => {
    const enc = codecRegistry.get(name)!.createEncoder();
    expect(enc.encode(Int16Array.of(sample))[0]).toBe(expected);
  });

  it.each(['PCMU', 'PCMA'])('%s: every code word survives decode→encode', (name) => {
    const codec = codecRegistry.get(name)!;
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const back = codec.createEncoder().encode(codec.createDecoder().decode(all));
    for (let i = 0; i < 256; i++) {
      // μ-law has two zero code words (0x7f, 0xff); both decode to 0, which encodes to 0xff.
      if (name === 'PCMU' && i === 0x7f) expect(back[i]).toBe(0xff);
      else expect(back[i]).toBe(i);
    }
  });
});

describe('G.711 round trip', () => {
  it.each(['PCMU', 'PCMA'])('%s keeps a 1 kHz sine with SNR > 30 dB', (name) => {
    const codec = codecRegistry.get(name)!;
    const tone = generateTone(1000, 8000, 100, { amplitude: 12000 });
    const payload = codec.createEncoder().encode(tone);
    expect(payload.length).toBe(tone.length);
    const decoded = codec.createDecoder().decode(payload);
    expect(snrDb(tone, decoded)).toBeGreaterThan(30);
    expect(goertzel(decoded, 8000, 1000)).toBeGreaterThan(11500);
  });
});
