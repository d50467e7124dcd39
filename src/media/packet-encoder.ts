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
  /** One packet at the codec rate, when the resampler's room is larger than a packet. */
  private buf = new Int16Array(0);
  /** The resampler's output, reused packet after packet: no array per packet. */
  private resampled = new Int16Array(0);

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
    this.resampled = new Int16Array(this.resampler.maxOutput((this.appSampleRate * this.ptimeMs) / 1000));
  }

  /** Encodes one packet of app-rate PCM. */
  encode(pcm: Int16Array): Buffer {
    if (this.resampler.fromRate === this.resampler.toRate && pcm.length === this.samplesPerPacket) return this.encoder.encode(pcm);
    const room = this.resampler.maxOutput(pcm.length);
    if (this.resampled.length < room) this.resampled = new Int16Array(room);
    const count = this.resampler.processInto(pcm, this.resampled);
    // Short only for ratios where a packet is not a whole number of output samples (none at 8/16/24/48 kHz).
    if (count < this.samplesPerPacket) this.resampled.fill(0, count, this.samplesPerPacket);
    if (this.resampled.length === this.samplesPerPacket) return this.encoder.encode(this.resampled);
    for (let i = 0; i < this.samplesPerPacket; i++) this.buf[i] = this.resampled[i];
    return this.encoder.encode(this.buf);
  }

  /** Forgets the resampler's history: the next talkspurt starts clean. */
  reset(): void {
    this.resampler.reset();
  }
}
