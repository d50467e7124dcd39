/**
 * The resampler's two kernels (WASM SIMD and the JS fallback), the telephone-band design, `processInto`, and the
 * tiny WebAssembly assembler the kernel is built with.
 */
import { describe, expect, it } from 'vitest';
import { Resampler, TELEPHONE_PASSBAND_HZ, TELEPHONE_STOPBAND_HZ } from '../../../src/media/resample/index.js';
import { magnitudeAt } from '../../../src/media/resample/kaiser.js';
import { firKernelBytes, firWasm, MAX_CHUNK } from '../../../src/media/resample/fir-wasm.js';
import { assembleModule } from '../../../src/media/resample/wasm-asm.js';
import { db, generateTone, goertzel } from '../../helpers/audio.js';

const RATES = [8000, 16000, 24000, 48000];
const PATHS: Array<[number, number]> = RATES.flatMap((a) => RATES.filter((b) => b !== a).map((b) => [a, b] as [number, number]));

/** Noise plus a tone, loud enough to reach the clamps now and then. */
function noisy(rate: number, ms: number): Int16Array {
  const out = new Int16Array((rate * ms) / 1000);
  let seed = 99;
  for (let i = 0; i < out.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    out[i] = Math.max(-32768, Math.min(32767, Math.round(30000 * Math.sin(i * 0.05) + ((seed % 8000) - 4000))));
  }
  return out;
}

describe('Resampler kernels', () => {
  it('has the WASM SIMD kernel on this Node', () => {
    expect(WebAssembly.validate(firKernelBytes())).toBe(true);
    expect(firWasm()).not.toBeNull();
  });

  it.each(PATHS)('%i -> %i: the WASM and JS kernels agree within 1 LSB, frame by frame', (from, to) => {
    for (const band of from === 8000 || to === 8000 ? (['telephone', 'full'] as const) : (['full'] as const)) {
      const wasm = new Resampler(from, to, { band });
      const js = new Resampler(from, to, { band, kernel: 'js' });
      const input = noisy(from, 200);
      let worst = 0;
      let samples = 0;
      for (let pos = 0; pos < input.length; pos += from / 50) {
        const frame = input.subarray(pos, pos + from / 50);
        const a = wasm.process(frame);
        const b = js.process(frame);
        expect(a.length).toBe(b.length);
        for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
        samples += a.length;
      }
      expect(samples).toBe((input.length * to) / from);
      expect(worst).toBeLessThanOrEqual(1);
    }
  });

  it('splits inputs longer than one kernel call without changing the result', () => {
    const input = noisy(48000, 300); // 14400 samples: 4 kernel calls
    expect(input.length).toBeGreaterThan(3 * MAX_CHUNK);
    const whole = new Resampler(48000, 16000).process(input);
    const r = new Resampler(48000, 16000);
    const parts: number[] = [];
    for (let pos = 0; pos < input.length; pos += 960) parts.push(...r.process(input.subarray(pos, pos + 960)));
    expect(Array.from(whole)).toEqual(parts);
  });

  it('processInto writes the same samples as process into the given array, and checks its room', () => {
    const input = noisy(8000, 20);
    const expected = new Resampler(8000, 24000).process(input);
    const r = new Resampler(8000, 24000);
    const out = new Int16Array(r.maxOutput(input.length)).fill(7);
    expect(r.processInto(input, out)).toBe(480);
    expect(out).toEqual(expected);
    expect(() => r.processInto(input, new Int16Array(479))).toThrow(RangeError);
    const same = new Resampler(16000, 16000);
    const copy = new Int16Array(160);
    expect(same.processInto(input, copy)).toBe(160);
    expect(copy).toEqual(input);
  });
});

describe('telephone-band design', () => {
  it('is the default on 8 kHz paths only, with a shorter filter than the full band', () => {
    for (const [from, to] of PATHS) {
      const r = new Resampler(from, to);
      const eight = Math.min(from, to) === 8000;
      expect(r.filter.band).toBe(eight ? 'telephone' : 'full');
      if (eight) expect(r.filter.taps.length).toBeLessThan(new Resampler(from, to, { band: 'full' }).filter.taps.length / 2);
    }
    expect(() => new Resampler(16000, 48000, { band: 'telephone' })).toThrow(RangeError);
  });

  it.each(PATHS.filter(([a, b]) => Math.min(a, b) === 8000))(
    '%i -> %i: flat to 3400 Hz (< 0.1 dB), >= 60 dB down from 4600 Hz',
    (from, to) => {
      const { taps, designRate, up, passbandHz, stopbandHz } = new Resampler(from, to).filter;
      expect([passbandHz, stopbandHz]).toEqual([TELEPHONE_PASSBAND_HZ, TELEPHONE_STOPBAND_HZ]);
      for (let f = 0; f <= passbandHz; f += 50) expect(Math.abs(db(magnitudeAt(taps, designRate, f), up))).toBeLessThan(0.1);
      for (let f = stopbandHz; f <= designRate / 2; f += 25) expect(db(magnitudeAt(taps, designRate, f), up)).toBeLessThan(-60);
    },
  );

  it('8 -> 16 kHz: a 3.4 kHz tone passes and its image at 4.6 kHz is >= 60 dB down', () => {
    const r = new Resampler(8000, 16000);
    const out = r.process(generateTone(3400, 8000, 300, { amplitude: 16000 }));
    const win = out.subarray(r.delaySamples * 2 + 320, r.delaySamples * 2 + 320 + 1600);
    const level = goertzel(win, 16000, 3400);
    expect(Math.abs(db(level, 16000))).toBeLessThan(0.5);
    expect(db(goertzel(win, 16000, 4600), level)).toBeLessThan(-60);
  });

  it('16 -> 8 kHz: a 4.7 kHz tone (alias at 3.3 kHz, in band) is >= 60 dB down', () => {
    const r = new Resampler(16000, 8000);
    const out = r.process(generateTone(4700, 16000, 300, { amplitude: 16000 }));
    const win = out.subarray(r.delaySamples * 2 + 160, r.delaySamples * 2 + 160 + 800);
    expect(db(goertzel(win, 8000, 3300), 16000)).toBeLessThan(-60);
  });
});

describe('wasm-asm', () => {
  it('assembles a module that runs: locals, constants (negative, f32), blocks and branches', () => {
    const bytes = assembleModule(
      [
        {
          name: 'sumTo',
          params: [['$n', 'i32']],
          result: 'i32',
          locals: [['$acc', 'i32']],
          body: `
            (local.set $acc (i32.const -129)) ;; start below zero: a two-byte negative LEB128
            (block $done
              (loop $again
                (br_if $done (i32.lt_u (local.get $n) (i32.const 1)))
                (local.set $acc (i32.add (local.get $acc) (local.get $n)))
                (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                (br $again)))
            (local.get $acc)
          `,
        },
        { name: 'half', params: [], result: 'i32', locals: [], body: '(i32.trunc_f32_s (f32.nearest (f32.const 2.5)))' },
      ],
      1,
    );
    const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    expect((exports.sumTo as (n: number) => number)(10)).toBe(55 - 129);
    expect((exports.half as () => number)()).toBe(2); // nearest rounds half to even
    expect((exports.memory as WebAssembly.Memory).buffer.byteLength).toBe(65536);
  });

  it('rejects unknown instructions, locals and labels, and malformed expressions', () => {
    const f = (body: string) => () => assembleModule([{ name: 'f', params: [], locals: [], body }], 1);
    expect(f('(i64.add)')).toThrow(/unknown instruction/);
    expect(f('(local.get $nope)')).toThrow(/unknown local/);
    expect(f('(br $nowhere)')).toThrow(/unknown label/);
    expect(f('(block $open (nop)')).toThrow(/unbalanced/);
    expect(f('i32.const 1')).toThrow(/expected '\('/);
  });
});
