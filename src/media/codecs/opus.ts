/**
 * Opus (RFC 6716) over RTP (RFC 7587): SDP "opus/48000/2", RTP clock always 48000, dynamic payload type.
 * libopus through `@discordjs/opus` (native binding, prebuilt). Mono both ways: a mono decoder downmixes
 * stereo packets, and RFC 7587's "/2" only says stereo may be sent.
 *
 * The decoder and encoder run at the bot's rate when it is one Opus supports natively (8/12/16/24/48 kHz; see
 * {@link AudioCodec.forSampleRate}), which saves a resampler per direction.
 *
 * Loss: libopus PLC (a decode call with an empty packet). The binding has no `decode_fec` flag, so in-band FEC
 * cannot be decoded: our SDP does not ask for it (no useinbandfec=1); when the far end says it can decode FEC
 * (useinbandfec=1) our encoder sends it.
 */
import opus from '@discordjs/opus';
import { codecRegistry } from './registry.js';
import type { AudioCodec, AudioDecoder, AudioEncoder } from './types.js';

const { OpusEncoder: OpusNative } = opus;

// libopus CTL request codes and values (opus_defines.h)
const SET_BITRATE = 4002;
const SET_MAX_BANDWIDTH = 4004;
const SET_INBAND_FEC = 4012;
const SET_PACKET_LOSS_PERC = 4014;
const SET_SIGNAL = 4024;
const SIGNAL_VOICE = 3001;
const BANDWIDTH = { nb: 1101, mb: 1102, wb: 1103, swb: 1104, fb: 1105 };

const NATIVE_RATES = new Set([8000, 12000, 16000, 24000, 48000]);

/** Parses "a=1;b=2" fmtp parameters (names lower-cased). */
export function parseFmtp(fmtp: string | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of (fmtp ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) m.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  return m;
}

/** Samples (at 48 kHz) in one Opus packet, from its TOC byte (RFC 6716 §3.1); 0 for a malformed packet. */
export function opusPacketSamples48k(packet: Buffer): number {
  if (packet.length < 1) return 0;
  const toc = packet[0];
  const config = toc >> 3;
  let frame48: number;
  if (config < 12) frame48 = [480, 960, 1920, 2880][config & 3]; // SILK: 10/20/40/60 ms
  else if (config < 16) frame48 = [480, 960][config & 1]; // hybrid: 10/20 ms
  else frame48 = [120, 240, 480, 960][config & 3]; // CELT: 2.5/5/10/20 ms
  const c = toc & 3;
  let frames: number;
  if (c === 0) frames = 1;
  else if (c !== 3) frames = 2;
  else {
    if (packet.length < 2) return 0;
    frames = packet[1] & 0x3f;
  }
  return frames * frame48;
}

function int16View(buf: Buffer): Int16Array {
  if (buf.byteOffset % 2 === 0) return new Int16Array(buf.buffer, buf.byteOffset, buf.length >> 1);
  const copy = new Int16Array(buf.length >> 1);
  Buffer.from(copy.buffer).set(buf.subarray(0, copy.length * 2));
  return copy;
}

class OpusDecoder implements AudioDecoder {
  private readonly native: InstanceType<typeof OpusNative>;
  constructor(private readonly rate: number) {
    this.native = new OpusNative(rate, 1);
  }
  decode(payload: Buffer): Int16Array {
    // The binding takes an empty buffer as "conceal" and returns 5760 samples whatever the rate (360 ms at
    // 16 kHz): a zero-length payload from the far end (DTX) is no audio, not a burst of PLC.
    if (payload.length === 0) return new Int16Array(0);
    return int16View(this.native.decode(payload));
  }
  /** libopus PLC. The binding conceals a fixed 120 ms per call; we keep the length of the gap. */
  conceal(samples: number): Int16Array {
    const plc = int16View(this.native.decode(Buffer.alloc(0)));
    if (plc.length >= samples) return plc.subarray(0, samples);
    const out = new Int16Array(samples);
    out.set(plc);
    return out;
  }
}

class OpusEncoderImpl implements AudioEncoder {
  private readonly native: InstanceType<typeof OpusNative>;
  constructor(rate: number, remoteFmtp: string | undefined) {
    this.native = new OpusNative(rate, 1);
    this.native.applyEncoderCTL(SET_SIGNAL, SIGNAL_VOICE);
    const params = parseFmtp(remoteFmtp);
    const maxPlayback = Number(params.get('maxplaybackrate') ?? 48000);
    // RFC 7587 §6.1: no point in coding audio the far end cannot play back.
    const bw = maxPlayback <= 8000 ? BANDWIDTH.nb : maxPlayback <= 12000 ? BANDWIDTH.mb : maxPlayback <= 16000 ? BANDWIDTH.wb : maxPlayback <= 24000 ? BANDWIDTH.swb : BANDWIDTH.fb;
    this.native.applyEncoderCTL(SET_MAX_BANDWIDTH, bw);
    const maxAverage = Number(params.get('maxaveragebitrate'));
    this.native.applyEncoderCTL(SET_BITRATE, Number.isFinite(maxAverage) && maxAverage >= 6000 ? Math.min(maxAverage, 32000) : 32000);
    if (params.get('useinbandfec') === '1') {
      this.native.applyEncoderCTL(SET_INBAND_FEC, 1);
      this.native.applyEncoderCTL(SET_PACKET_LOSS_PERC, 10);
    }
  }
  encode(pcm: Int16Array): Buffer {
    return this.native.encode(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
  }
}

function opusAt(rate: number): AudioCodec {
  return {
    name: 'opus',
    clockRate: 48000,
    sampleRate: rate,
    channels: 1,
    fmtp: 'minptime=10',
    rtpDuration: opusPacketSamples48k,
    createDecoder: () => new OpusDecoder(rate),
    createEncoder: (remoteFmtp?: string) => new OpusEncoderImpl(rate, remoteFmtp),
    forSampleRate: (r: number) => (NATIVE_RATES.has(r) ? opusAt(r) : undefined),
  };
}

/** Opus at 48 kHz PCM; `forSampleRate` gives the native variants. */
export const OPUS: AudioCodec = opusAt(48000);

codecRegistry.register(OPUS);
