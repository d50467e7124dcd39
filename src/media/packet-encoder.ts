/**
 * One packet of the bot's PCM at the app rate → resampled to the codec rate → an RTP payload, through reused
 * buffers. The send path swaps the codec on a re-INVITE.
 */
import type { AudioCodec, AudioEncoder } from './codecs/types.js';
import { Resampler } from './resample/resampler.js';

export class PacketEncoder {
  private encoder!: AudioEncoder;
  private resampler!: Resampler;
  private samplesPerPacket = 0;
  private buf = new Int16Array(0);

  constructor(
    private readonly appSampleRate: number,
    private readonly ptimeMs: number,
    codec: AudioCodec,
    remoteFmtp: string | undefined,
  ) {
    this.switchCodec(codec, remoteFmtp);
  }

  /** A new encoder and resampler for `codec` (shaped by the far end's a=fmtp). */
  switchCodec(codec: AudioCodec, remoteFmtp: string | undefined): void {
    this.encoder = codec.createEncoder(remoteFmtp);
    this.resampler = new Resampler(this.appSampleRate, codec.sampleRate);
    this.samplesPerPacket = (codec.sampleRate * this.ptimeMs) / 1000;
    this.buf = new Int16Array(this.samplesPerPacket);
  }

  /** Encodes one packet of app-rate PCM. */
  encode(pcm: Int16Array): Buffer {
    const resampled = this.resampler.processReused(pcm);
    if (resampled.length === this.samplesPerPacket) return this.encoder.encode(resampled);
    // Only for ratios where a packet is not a whole number of output samples (none at 8/16/24/48 kHz).
    this.buf.fill(0);
    this.buf.set(resampled.subarray(0, this.samplesPerPacket));
    return this.encoder.encode(this.buf);
  }

  /** Forgets the resampler's history: the next talkspurt starts clean. */
  reset(): void {
    this.resampler.reset();
  }
}
