import { describe, expect, it } from 'vitest';
import { codecRegistry, G722, OPUS, opusPacketSamples48k, parseFmtp, type AudioCodec } from '../../../src/media/codecs/index.js';
import { db, generateTone, goertzel, snrDb } from '../../helpers/audio.js';

/** Encodes `pcm` in 20 ms packets through one encoder/decoder pair and returns the decoded stream. */
function roundTrip(codec: AudioCodec, pcm: Int16Array, remoteFmtp?: string): { out: Int16Array; payloads: Buffer[] } {
  const enc = codec.createEncoder(remoteFmtp);
  const dec = codec.createDecoder();
  const n = codec.sampleRate / 50;
  const out = new Int16Array(pcm.length);
  const payloads: Buffer[] = [];
  for (let off = 0; off + n <= pcm.length; off += n) {
    const p = enc.encode(pcm.subarray(off, off + n));
    payloads.push(p);
    out.set(dec.decode(p), off);
  }
  return { out, payloads };
}

/** Best SNR over small alignment delays (codec delay). */
function alignedSnr(ref: Int16Array, got: Int16Array, maxDelay: number, skip: number): { snr: number; delay: number } {
  let best = { snr: -Infinity, delay: 0 };
  for (let d = 0; d <= maxDelay; d++) {
    const snr = snrDb(ref.subarray(skip, ref.length - maxDelay), got.subarray(skip + d, got.length - maxDelay + d));
    if (snr > best.snr) best = { snr, delay: d };
  }
  return best;
}

describe('G.722', () => {
  it('is registered as G722/8000, static PT 9, 16 kHz audio, one byte per clock tick', () => {
    expect(codecRegistry.get('g722')).toBe(G722);
    expect(G722).toMatchObject({ clockRate: 8000, sampleRate: 16000, staticPayloadType: 9 });
    expect(G722.rtpDuration(Buffer.alloc(160))).toBe(160);
  });

  it.each([
    [300, 35],
    [1000, 40],
    [3000, 30],
    [5500, 20], // high band: 2-bit ADPCM
  ])('%i Hz round trip in 20 ms packets: SNR > %i dB, level within 1 dB, 22-sample codec delay', (hz, minSnr) => {
    const tone = generateTone(hz, 16000, 1000, { amplitude: 10000 });
    const { out, payloads } = roundTrip(G722, tone);
    expect(payloads.every((p) => p.length === 160)).toBe(true);
    const { snr } = alignedSnr(tone, out, 40, 1600);
    expect(snr).toBeGreaterThan(minSnr);
    expect(Math.abs(db(goertzel(out.subarray(1600), 16000, hz), 10000))).toBeLessThan(1);
  });

  it('a speech-like mix keeps SNR > 25 dB with the QMF delay of 22 samples', () => {
    const mix = new Int16Array(16000);
    for (const [hz, amp] of [[200, 6000], [700, 4000], [1900, 2500], [3300, 1500], [6000, 600]]) {
      const t = generateTone(hz, 16000, 1000, { amplitude: amp });
      for (let i = 0; i < mix.length; i++) mix[i] += t[i];
    }
    const { snr, delay } = alignedSnr(mix, roundTrip(G722, mix).out, 40, 1600);
    expect(delay).toBe(22);
    expect(snr).toBeGreaterThan(25);
  });

  it('silence stays (near) silent and full scale does not wrap', () => {
    const { out: quiet } = roundTrip(G722, new Int16Array(3200));
    expect(Math.max(...quiet.map(Math.abs))).toBeLessThan(20);
    const loud = generateTone(1000, 16000, 200, { amplitude: 32000 });
    const { out } = roundTrip(G722, loud);
    expect(alignedSnr(loud, out, 40, 800).snr).toBeGreaterThan(30);
  });
});

describe('Opus', () => {
  it('is registered as opus/48000 with native 8/16/24 kHz variants', () => {
    expect(codecRegistry.get('OPUS')).toBe(OPUS);
    expect(OPUS).toMatchObject({ name: 'opus', clockRate: 48000, sampleRate: 48000 });
    expect(OPUS.forSampleRate!(16000)).toMatchObject({ clockRate: 48000, sampleRate: 16000 });
    expect(OPUS.forSampleRate!(44100)).toBeUndefined();
  });

  it.each([
    // TOC byte (config<<3 | code), extra bytes → samples at 48 kHz
    [[0x08], 960], // SILK NB 20 ms, 1 frame
    [[0x18], 2880], // SILK 60 ms
    [[0x78], 960], // hybrid FB 20 ms
    [[0xf8], 960], // CELT FB 20 ms
    [[0xe0], 120], // CELT 2.5 ms
    [[0xf9], 1920], // CELT 20 ms, 2 frames (code 1)
    [[0xfb, 0x03], 2880], // code 3, 3 frames
    [[0xfb], 0], // code 3 without frame count: malformed
    [[], 0],
  ])('TOC %j lasts %i samples', (bytes, samples) => {
    expect(opusPacketSamples48k(Buffer.from(bytes))).toBe(samples);
  });

  it.each([8000, 16000, 24000, 48000])('a 1 kHz tone survives at %i Hz (level within 1.5 dB)', (rate) => {
    const codec = OPUS.forSampleRate!(rate)!;
    const tone = generateTone(1000, rate, 1000, { amplitude: 8000 });
    const { out, payloads } = roundTrip(codec, tone);
    expect(payloads.every((p) => opusPacketSamples48k(p) === 960)).toBe(true);
    const win = out.subarray(rate / 5);
    const level = goertzel(win, rate, 1000);
    expect(Math.abs(db(level, 8000))).toBeLessThan(1.5);
    expect(goertzel(win, rate, 1500)).toBeLessThan(level / 30);
  });

  it('honours maxplaybackrate: a 7 kHz tone is not coded when the far end plays back at 8 kHz', () => {
    const codec = OPUS.forSampleRate!(16000)!;
    const tone = generateTone(7000, 16000, 1000, { amplitude: 8000 });
    const full = goertzel(roundTrip(codec, tone).out.subarray(3200), 16000, 7000);
    const limited = goertzel(roundTrip(codec, tone, 'maxplaybackrate=8000').out.subarray(3200), 16000, 7000);
    expect(full).toBeGreaterThan(4000);
    expect(limited).toBeLessThan(full / 10);
  });

  it('conceals a lost packet with libopus PLC, exactly as long as asked', () => {
    const codec = OPUS.forSampleRate!(16000)!;
    const dec = codec.createDecoder();
    const enc = codec.createEncoder();
    const tone = generateTone(500, 16000, 200, { amplitude: 8000 });
    for (let off = 0; off < tone.length; off += 320) dec.decode(enc.encode(tone.subarray(off, off + 320)));
    const plc = dec.conceal!(320);
    expect(plc).toHaveLength(320);
    expect(goertzel(plc, 16000, 500)).toBeGreaterThan(1000); // continues the tone rather than silence
  });

  it('parses fmtp parameters', () => {
    expect(parseFmtp('maxplaybackrate=16000; useinbandfec=1;x')).toEqual(new Map([['maxplaybackrate', '16000'], ['useinbandfec', '1']]));
  });
});
