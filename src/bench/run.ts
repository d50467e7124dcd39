/**
 * Media micro-benchmark: `npm run bench`. For every resampling path between 8/16/24/48 kHz it prints the
 * anti-aliasing filter's passband ripple and stopband attenuation (from its frequency response) and the cost of
 * one 20 ms frame; then each codec's cost per 20 ms frame, the whole receive/send path per packet for 8 and
 * 16 kHz bots, the jitter buffer's and RTCP accounting's cost per packet, and SRTP protect/unprotect per packet
 * (ours, and werift-rtp's for comparison). `npm run bench` runs it first (main.ts), then the load benchmark;
 * `node dist/bench/run.js` runs it alone.
 */
import { codecRegistry } from '../media/codecs/index.js';
import { Resampler } from '../media/resample/resampler.js';
import { magnitudeAt } from '../media/resample/kaiser.js';
import { JitterBuffer, type JitterOutput } from '../media/jitter/jitter-buffer.js';
import type { AudioCodec } from '../media/codecs/types.js';
import { randomBytes } from 'node:crypto';
import { SrtpContext } from '../media/srtp/srtp-context.js';
import { RtcpReporter } from '../media/rtcp/rtcp-reporter.js';
import { writeRtpPacket } from '../media/rtp/packet.js';
import { SrtpSession as WeriftSrtpSession, ProtectionProfileAes128CmHmacSha1_80, RtpPacket } from 'werift-rtp';

const RATES = [8000, 16000, 24000, 48000];
const FRAME_MS = 20;

function dB(x: number): number {
  return 20 * Math.log10(Math.max(x, 1e-15));
}

/** Runs `fn` for about `budgetMs` after a warm-up; returns µs per call. */
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

function resamplerRows(): Row[] {
  const rows: Row[] = [];
  for (const from of RATES) {
    for (const to of RATES) {
      if (from === to) continue;
      const r = new Resampler(from, to);
      const { taps, designRate, passbandHz, stopbandHz, up } = r.filter;
      let pMin = Infinity;
      let pMax = -Infinity;
      for (let i = 0; i <= 200; i++) {
        const g = dB(magnitudeAt(taps, designRate, (passbandHz * i) / 200) / up);
        pMin = Math.min(pMin, g);
        pMax = Math.max(pMax, g);
      }
      let worstStop = -Infinity;
      const nyq = designRate / 2;
      for (let i = 0; i <= 2000; i++) {
        worstStop = Math.max(worstStop, dB(magnitudeAt(taps, designRate, stopbandHz + ((nyq - stopbandHz) * i) / 2000) / up));
      }
      const frame = testSignal(from, (from * FRAME_MS) / 1000);
      const us = timeIt(() => r.process(frame));
      rows.push({
        path: `${from / 1000}k -> ${to / 1000}k`,
        'L/M': `${up}/${r.filter.down}`,
        taps: String(taps.length),
        'passband Hz': `0-${Math.round(passbandHz)}`,
        'ripple dB': (pMax - pMin).toFixed(4),
        'stopband from Hz': String(stopbandHz),
        'stopband atten dB': (-worstStop).toFixed(1),
        'delay (out samples)': String(r.delaySamples),
        'us / 20 ms frame': us.toFixed(1),
      });
    }
  }
  return rows;
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
  const rows: Row[] = [];
  for (const name of codecRegistry.names()) {
    for (const appRate of [8000, 16000]) {
      const codec = atAppRate(codecRegistry.get(name)!, appRate);
      const enc = codec.createEncoder();
      const dec = codec.createDecoder();
      const up = new Resampler(codec.sampleRate, appRate);
      const down = new Resampler(appRate, codec.sampleRate);
      const app = testSignal(appRate, (appRate * FRAME_MS) / 1000);
      const payload = enc.encode(down.process(app));
      rows.push({
        codec: name,
        'bot rate': `${appRate / 1000}k`,
        'receive us / 20 ms (decode+resample)': timeIt(() => up.process(dec.decode(payload))).toFixed(2),
        'send us / 20 ms (resample+encode)': timeIt(() => enc.encode(down.process(app))).toFixed(2),
      });
    }
  }
  return rows;
}

/** Jitter buffer cost per packet: push one, pop what is due (steady stream). */
function jitterRow(): Row[] {
  const jb = new JitterBuffer({ clockRate: 8000, targetMs: 40 });
  const out: JitterOutput[] = [];
  const payload = Buffer.alloc(160);
  let i = 0;
  const us = timeIt(() => {
    jb.push({ ssrc: 1, sequenceNumber: i & 0xffff, timestamp: (i * 160) >>> 0, payloadType: 0, marker: false, payload, duration: 160 }, i * 20);
    jb.pop(i * 20, out);
    out.length = 0;
    i++;
  });
  return [{ component: 'jitter buffer push+pop', 'us / packet': us.toFixed(3) }];
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
      // Unprotect needs fresh packets (the replay list refuses repeats): time one pass over a pre-protected batch.
      const batch = Array.from({ length: 20000 }, (_, i) =>
        Buffer.from(tx.protectRtp(writeRtpPacket({ payloadType: 0, sequenceNumber: (seq + i) & 0xffff, timestamp: i * 160, ssrc: 5 }, Buffer.alloc(size, 1)))),
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
printTable('Resampler (polyphase FIR, Kaiser-windowed sinc)', resamplerRows());
printTable('Codecs', codecRows());
printTable('Per-packet paths in a call (20 ms, one direction each)', pathRows());
printTable('Receive timing', [...jitterRow(), ...rtcpRow()]);
printTable('SRTP per RTP packet (RFC 3711)', srtpRows());
