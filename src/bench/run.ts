/**
 * Media micro-benchmark: `npm run bench`. For every resampling path between 8/16/24/48 kHz it prints the
 * anti-aliasing filter's passband ripple and stopband attenuation (from its frequency response) and the cost of
 * one 20 ms frame on the WASM SIMD kernel and on the JS loop; the per-packet array makers; then each codec's cost per 20 ms frame, the whole receive/send path per packet for 8 and
 * 16 kHz bots, the jitter buffer's and RTCP accounting's cost per packet, and SRTP protect/unprotect per packet
 * (ours, and werift-rtp's for comparison). `npm run bench` runs it first (main.ts), then the load benchmark;
 * `node dist/bench/run.js` runs it alone.
 */
import { codecRegistry } from '../media/codecs/index.js';
import { Resampler, type ResamplerBand } from '../media/resample/resampler.js';
import { allocInt16, int16ToL16Buffer, L16Splitter } from '../media/pcm.js';
import { magnitudeAt } from '../media/resample/kaiser.js';
import { JitterBuffer, type JitterOutput } from '../media/jitter/jitter-buffer.js';
import type { AudioCodec } from '../media/codecs/types.js';
import { randomBytes } from 'node:crypto';
import { SrtpContext } from '../media/srtp/srtp-context.js';
import { RtcpReporter } from '../media/rtcp/rtcp-reporter.js';
import { writeRtpPacket } from '../media/rtp/packet.js';
import { LevelMeter } from '../media/level-meter.js';
import { SrtpSession as WeriftSrtpSession, ProtectionProfileAes128CmHmacSha1_80, RtpPacket } from 'werift-rtp';

const RATES = [8000, 16000, 24000, 48000];
const FRAME_MS = 20;

function dB(x: number): number {
  return 20 * Math.log10(Math.max(x, 1e-15));
}

/** Runs `fn` for about `budgetMs` after a warm-up; returns µs per call. Alone it is one noisy sample: prefer {@link interleaved}. */
function timeIt(fn: () => void, budgetMs = 300): number {
  for (let i = 0; i < 200; i++) fn();
  let calls = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(budgetMs * 1e6);
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 100; i++) fn();
    calls += 100;
    now = process.hrtime.bigint();
  }
  return Number(now - start) / 1e3 / calls;
}

/** Deterministic noise-plus-tone input, so timing does not depend on zeros. */
function testSignal(rate: number, samples: number): Int16Array {
  const out = new Int16Array(samples);
  let seed = 12345;
  for (let i = 0; i < samples; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    out[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate) + ((seed % 4000) - 2000));
  }
  return out;
}

interface Row {
  [column: string]: string;
}

function printTable(title: string, rows: Row[]): void {
  const cols = Object.keys(rows[0]);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(width[i]) : c.padStart(width[i]))).join('  ');
  console.log(`\n${title}`);
  console.log(line(cols));
  console.log(width.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(cols.map((c) => r[c])));
}

/** Median of `rounds` timings of each function, taken in turns so a noisy neighbour hits all alike. */
function interleaved(fns: Array<() => void>, rounds = 5, budgetMs = 80): number[] {
  const runs: number[][] = fns.map(() => []);
  for (let r = 0; r < rounds; r++) fns.forEach((fn, i) => runs[i].push(timeIt(fn, budgetMs)));
  return runs.map((t) => t.sort((a, b) => a - b)[t.length >> 1]);
}

/** Ripple over the passband and worst attenuation from `fromHz` to Nyquist, from the filter's response. */
function response(r: Resampler, fromHz: number): { ripple: number; atten: number } {
  const { taps, designRate, passbandHz, up } = r.filter;
  let pMin = Infinity;
  let pMax = -Infinity;
  for (let i = 0; i <= 200; i++) {
    const g = dB(magnitudeAt(taps, designRate, (passbandHz * i) / 200) / up);
    pMin = Math.min(pMin, g);
    pMax = Math.max(pMax, g);
  }
  let worst = -Infinity;
  const nyq = designRate / 2;
  for (let i = 0; i <= 2000; i++) worst = Math.max(worst, dB(magnitudeAt(taps, designRate, fromHz + ((nyq - fromHz) * i) / 2000) / up));
  return { ripple: pMax - pMin, atten: -worst };
}

/**
 * Every path between 8/16/24/48 kHz with its default design (telephone band on 8 kHz paths), and the 8 kHz
 * paths again with the full-band design for comparison; each timed on the WASM SIMD kernel and the JS loop.
 */
function resamplerRows(): Row[] {
  const rows: Row[] = [];
  const designs: Array<[number, number, ResamplerBand | undefined]> = [];
  for (const from of RATES) for (const to of RATES) if (from !== to) designs.push([from, to, undefined]);
  for (const [from, to] of designs.filter(([a, b]) => Math.min(a, b) === 8000)) designs.push([from, to, 'full']);
  for (const [from, to, band] of designs) {
    const r = new Resampler(from, to, band ? { band } : {});
    const js = new Resampler(from, to, { ...(band ? { band } : {}), kernel: 'js' });
    const { taps, passbandHz, stopbandHz, up, down } = r.filter;
    const { ripple, atten } = response(r, stopbandHz);
    const lowerNyquist = Math.min(from, to) / 2;
    const frame = testSignal(from, (from * FRAME_MS) / 1000);
    const out = new Int16Array(r.maxOutput(frame.length));
    const [wasmUs, jsUs] = interleaved([() => r.processInto(frame, out), () => js.processInto(frame, out)]);
    rows.push({
      path: `${from / 1000}k -> ${to / 1000}k`,
      band: r.filter.band,
      'L/M': `${up}/${down}`,
      taps: String(taps.length),
      'passband Hz': `0-${Math.round(passbandHz)}`,
      'ripple dB': ripple.toFixed(4),
      'stopband from Hz': String(stopbandHz),
      'stopband atten dB': atten.toFixed(1),
      'atten @ lower Nyquist dB': stopbandHz > lowerNyquist ? (-dB(magnitudeAt(taps, r.filter.designRate, lowerNyquist) / up)).toFixed(1) : '-',
      'delay (out samples)': String(r.delaySamples),
      'wasm us / 20 ms': wasmUs.toFixed(2),
      'js us / 20 ms': jsUs.toFixed(2),
    });
  }
  return rows;
}

/**
 * The per-packet array makers: a fresh ArrayBuffer per array (the earlier code, inlined here as the reference)
 * against a view of a shared slab or Node's Buffer pool.
 */
function plumbingRows(): Row[] {
  const frame = testSignal(16000, 320);
  const l16 = int16ToL16Buffer(frame);
  const splitter = new L16Splitter();
  let sink: unknown;
  const cases: Array<[string, () => unknown]> = [
    ['new Int16Array(160)', () => new Int16Array(160)],
    ['allocInt16(160)', () => allocInt16(160)],
    ['frame to L16 Buffer, own ArrayBuffer (before)', () => Buffer.from(new Int16Array(frame).buffer)],
    ['int16ToL16Buffer, pooled (320 samples)', () => int16ToL16Buffer(frame)],
    [
      'L16 bytes to a new Int16Array (before)',
      () => {
        const out = new Int16Array(l16.length >> 1);
        new Uint8Array(out.buffer).set(l16);
        return out;
      },
    ],
    ['L16Splitter.push, slab (640 bytes)', () => splitter.push(l16)],
  ];
  const us = interleaved(cases.map(([, fn]) => () => (sink = fn())), 11, 40);
  if (sink === undefined) throw new Error('unreachable');
  return cases.map(([name], i) => ({ operation: name, 'ns / call': (us[i] * 1000).toFixed(0) }));
}

function codecRows(): Row[] {
  const rows: Row[] = [];
  const variants = codecRegistry.names().flatMap((name) => {
    const c = codecRegistry.get(name)!;
    const native = c.forSampleRate?.(16000);
    return native ? [[name, c] as const, [`${name} @16k PCM`, native] as const] : [[name, c] as const];
  });
  for (const [name, codec] of variants) {
    const pcm = testSignal(codec.sampleRate, (codec.sampleRate * FRAME_MS) / 1000);
    const enc = codec.createEncoder();
    const dec = codec.createDecoder();
    const payload = enc.encode(pcm);
    rows.push({
      codec: name,
      'payload bytes / 20 ms': String(payload.length),
      'encode us / 20 ms': timeIt(() => enc.encode(pcm)).toFixed(2),
      'decode us / 20 ms': timeIt(() => dec.decode(payload)).toFixed(2),
    });
  }
  return rows;
}

/** The codec as the media session uses it for a bot at `appRate` (Opus natively at the bot's rate). */
function atAppRate(codec: AudioCodec, appRate: number): AudioCodec {
  return codec.forSampleRate?.(appRate) ?? codec;
}

/** Whole per-packet paths as a call runs them: receive = decode + resample to the bot; send = resample + encode. */
function pathRows(): Row[] {
  const cases: Array<{ codec: string; appRate: number; receive: () => void; send: () => void }> = [];
  for (const name of codecRegistry.names()) {
    for (const appRate of [8000, 16000]) {
      const codec = atAppRate(codecRegistry.get(name)!, appRate);
      const enc = codec.createEncoder();
      const dec = codec.createDecoder();
      const up = new Resampler(codec.sampleRate, appRate);
      const down = new Resampler(appRate, codec.sampleRate);
      const app = testSignal(appRate, (appRate * FRAME_MS) / 1000);
      const payload = enc.encode(down.process(app));
      cases.push({ codec: name, appRate, receive: () => up.process(dec.decode(payload)), send: () => enc.encode(down.process(app)) });
    }
  }
  const us = interleaved(cases.flatMap((c) => [c.receive, c.send]));
  return cases.map((c, i) => ({
    codec: c.codec,
    'bot rate': `${c.appRate / 1000}k`,
    'receive us / 20 ms (decode+resample)': us[2 * i].toFixed(2),
    'send us / 20 ms (resample+encode)': us[2 * i + 1].toFixed(2),
  }));
}

/**
 * Jitter buffer cost per packet: push one, pop what is due, on one steady stream with 0–12 ms of arrival jitter
 * (no reordering): the fixed 40 ms buffer and the adaptive one (its estimator runs on every packet).
 */
function jitterRows(): Row[] {
  const payload = Buffer.alloc(160);
  const row = (component: string, jb: JitterBuffer): Row => {
    const out: JitterOutput[] = [];
    let i = 0;
    const us = timeIt(() => {
      const now = i * 20 + ((i * 7919) % 13);
      jb.push({ ssrc: 1, sequenceNumber: i & 0xffff, timestamp: (i * 160) >>> 0, payloadType: 0, marker: false, payload, duration: 160 }, now);
      jb.pop(now, out, now + 20);
      out.length = 0;
      i++;
    });
    return { component, 'us / packet': us.toFixed(3) };
  };
  return [
    row('jitter buffer push+pop, fixed 40 ms', new JitterBuffer({ clockRate: 8000, targetMs: 40 })),
    row('jitter buffer push+pop, adaptive 0..200 ms', new JitterBuffer({ clockRate: 8000, targetMs: 20, adaptive: { minMs: 0, maxMs: 200 } })),
  ];
}

/** RTCP receive accounting (sequence, loss, jitter) per packet. */
function rtcpRow(): Row[] {
  const r = new RtcpReporter({ ssrc: 1, cname: 'bench', sendClockRate: 8000, wallClockOffsetMs: 0 });
  let i = 0;
  const us = timeIt(() => {
    r.onRtpReceived(7, i & 0xffff, (i * 160) >>> 0, i * 20 + (i & 3), 8000);
    r.onRtpSent((i * 160) >>> 0, 160, i * 20);
    i++;
  });
  return [{ component: 'RTCP accounting (one packet in, one out)', 'us / packet': us.toFixed(3) }];
}

/** The live level meter (media/level-meter.ts) per 20 ms frame: L16 bytes (caller frames) and samples (packets sent). */
function levelMeterRows(): Row[] {
  return [8000, 16000].map((rate) => {
    const samples = testSignal(rate, (rate * FRAME_MS) / 1000);
    const bytes = int16ToL16Buffer(samples);
    const meter = new LevelMeter(rate);
    let now = 0;
    const [l16, int16] = interleaved([() => meter.addL16(bytes, (now += 20)), () => meter.addSamples(samples, (now += 20))]);
    return { rate: `${rate / 1000} kHz`, 'L16 bytes us / frame': l16.toFixed(3), 'Int16 samples us / frame': int16.toFixed(3) };
  });
}

/** SRTP per 20 ms packet: PCMU (160-byte payload) and Opus-sized (80 bytes), protect and unprotect. */
function srtpRows(): Row[] {
  const rows: Row[] = [];
  for (const suite of ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const) {
    for (const size of [160, 80]) {
      const key = randomBytes(30);
      const tx = new SrtpContext(suite, key);
      const rx = new SrtpContext(suite, key);
      const slot = Buffer.alloc(12 + size + 16);
      let seq = 0;
      const protect = timeIt(() => {
        const pkt = writeRtpPacket({ payloadType: 0, sequenceNumber: seq++ & 0xffff, timestamp: seq * 160, ssrc: 5 }, Buffer.alloc(size, 1), slot);
        tx.protectRtp(pkt, slot);
      });
      // Unprotect needs fresh packets (the replay list refuses repeats): time one pass over a pre-protected batch,
      // made by a fresh sender (the timed loop above may have wrapped the sequence, moving its rollover counter).
      const batchTx = new SrtpContext(suite, key);
      const batch = Array.from({ length: 20000 }, (_, i) =>
        Buffer.from(batchTx.protectRtp(writeRtpPacket({ payloadType: 0, sequenceNumber: (seq + i) & 0xffff, timestamp: i * 160, ssrc: 5 }, Buffer.alloc(size, 1)))),
      );
      for (let i = 0; i < 2000; i++) rx.unprotectRtp(batch[i]); // warm-up
      const t0 = process.hrtime.bigint();
      for (let i = 2000; i < batch.length; i++) rx.unprotectRtp(batch[i]);
      const unprotect = Number(process.hrtime.bigint() - t0) / 1e3 / (batch.length - 2000);
      rows.push({ implementation: `trunkbridge ${suite}`, 'payload bytes': String(size), 'protect us': protect.toFixed(2), 'unprotect us': unprotect.toFixed(2) });
    }
  }
  // werift-rtp (AES_CM_128_HMAC_SHA1_80 only), same packets
  const key = randomBytes(30);
  const keys = { localMasterKey: key.subarray(0, 16), localMasterSalt: key.subarray(16), remoteMasterKey: key.subarray(0, 16), remoteMasterSalt: key.subarray(16) };
  const w = new WeriftSrtpSession({ keys, profile: ProtectionProfileAes128CmHmacSha1_80 });
  const plain = RtpPacket.deSerialize(writeRtpPacket({ payloadType: 0, sequenceNumber: 1, timestamp: 160, ssrc: 5 }, Buffer.alloc(160, 1)));
  const wProtect = timeIt(() => w.encrypt(plain.payload, plain.header));
  const wr = new WeriftSrtpSession({ keys, profile: ProtectionProfileAes128CmHmacSha1_80 });
  const sealed = w.encrypt(plain.payload, plain.header);
  const wUnprotect = timeIt(() => wr.decrypt(sealed)); // werift keeps no replay list, so one packet can be reused
  rows.push({ implementation: 'werift-rtp AES_CM_128_HMAC_SHA1_80', 'payload bytes': '160', 'protect us': wProtect.toFixed(2), 'unprotect us': wUnprotect.toFixed(2) });
  return rows;
}

console.log(`trunkbridge media bench — node ${process.version}, ${process.arch}`);
printTable('Resampler (polyphase FIR, Kaiser-windowed sinc; median of 5 interleaved runs)', resamplerRows());
printTable('PCM plumbing per call (median of 11 interleaved runs)', plumbingRows());
printTable('Codecs', codecRows());
printTable('Per-packet paths in a call (20 ms, one direction each; median of 5 interleaved runs)', pathRows());
printTable('Receive timing', [...jitterRows(), ...rtcpRow()]);
printTable('SRTP per RTP packet (RFC 3711)', srtpRows());
printTable('Level meter per 20 ms frame (median of 5 interleaved runs)', levelMeterRows());
