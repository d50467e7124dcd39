/**
 * The send half of a media session: bot audio → PlayoutQueue → every ptimeMs (a drift-free tick: slot k is due
 * at start + k·ptime) take one packet → resample to the codec rate → encode → {@link RtpStreamSender}, with
 * RFC 4733 DTMF keys taking the place of audio in their slots. The tick also drives the session's other timed
 * work through `onTick`, so a call has one timer.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { AudioCodec, AudioEncoder } from './codecs/types.js';
import { L16Splitter } from './pcm.js';
import { PlayoutQueue, type PlayoutClearResult } from './playout-queue.js';
import { Resampler } from './resample/resampler.js';
import { TelephoneEventSender } from './dtmf/telephone-event-sender.js';
import type { RtpStreamSender } from './rtp-stream-sender.js';

/** Late ticks sent back to back at most; a longer stall skips time slots instead of bursting. */
const MAX_CATCH_UP_PACKETS = 5;

export interface RtpSendPathOptions {
  clock: Clock;
  logger: Logger;
  /** The negotiated codec, already at the app rate where it can be. */
  codec: AudioCodec;
  payloadType: number;
  ptimeMs: number;
  appSampleRate: number;
  idleFill: 'silence' | 'none';
  remoteFmtp: string | undefined;
  telephoneEvent: { payloadType: number; clockRate: number } | undefined;
  stream: RtpStreamSender;
  /** A playout mark was reached. */
  onMark: (name: string) => void;
  /** After each tick's packets, unless closed meanwhile. */
  onTick: (now: number) => void;
}

export class RtpSendPath {
  private readonly o: RtpSendPathOptions;
  private readonly stream: RtpStreamSender;
  private readonly queue: PlayoutQueue;
  private overflowing = false;
  private readonly splitter = new L16Splitter();
  private encoder: AudioEncoder;
  private txResampler: Resampler;
  private dtmfTx: TelephoneEventSender | undefined;
  private readonly appSamplesPerPacket: number;
  private codecSamplesPerPacket: number;
  private readonly takeBuf: Int16Array;
  private readonly zeros: Int16Array;
  private codecBuf: Int16Array;
  private firstPacket = true;
  private prevWasAudio = false;
  private startAt = 0;
  private tickIndex = 0;
  private timer: TimerHandle | undefined;
  private closed = false;
  /** False while our negotiated direction forbids sending (hold). */
  sendEnabled = true;

  constructor(o: RtpSendPathOptions) {
    this.o = o;
    this.stream = o.stream;
    if (o.telephoneEvent) this.dtmfTx = new TelephoneEventSender({ clockRate: o.telephoneEvent.clockRate, ptimeMs: o.ptimeMs });
    this.queue = new PlayoutQueue(o.appSampleRate);
    this.queue.onMark(o.onMark);
    this.encoder = o.codec.createEncoder(o.remoteFmtp);
    this.txResampler = new Resampler(o.appSampleRate, o.codec.sampleRate);
    this.appSamplesPerPacket = (o.appSampleRate * o.ptimeMs) / 1000;
    this.codecSamplesPerPacket = (o.codec.sampleRate * o.ptimeMs) / 1000;
    this.takeBuf = new Int16Array(this.appSamplesPerPacket);
    this.zeros = new Int16Array(this.appSamplesPerPacket);
    this.codecBuf = new Int16Array(this.codecSamplesPerPacket);
  }

  /** Milliseconds of bot audio queued and not yet sent. */
  get bufferedMs(): number {
    return this.queue.bufferedMs;
  }

  /** True when telephone-event was negotiated. */
  get canSendDtmf(): boolean {
    return this.dtmfTx !== undefined;
  }

  /** Runs the first tick now; later ones follow on the clock. */
  start(now: number): void {
    this.startAt = now;
    this.tick();
  }

  /** Cancels the tick; nothing more is sent. */
  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Queues L16 LE bytes of any length (an odd trailing byte waits for the next chunk). */
  playAudio(pcm: Buffer): void {
    const samples = this.splitter.push(pcm);
    if (samples.length === 0) return;
    const accepted = this.queue.push(samples);
    // Logged once per overflow episode: a bot far ahead of real time keeps overflowing with every message.
    if (accepted < samples.length && !this.overflowing) {
      this.o.logger.warn({ bufferedMs: Math.round(this.queue.bufferedMs) }, 'bot audio queue full; dropping audio');
    }
    this.overflowing = accepted < samples.length;
  }

  mark(name: string): void {
    this.queue.mark(name);
  }

  /**
   * Switches to another codec mid-call (re-INVITE): new encoder and resampler, the next packet marked. The
   * queue, marks, a DTMF key in progress (when the telephone-event clock rate stays), the slot grid and the
   * stream's sequence numbers carry on; the caller moves the stream's timestamp step to the new clock rate.
   */
  switchCodec(codec: AudioCodec, payloadType: number, remoteFmtp: string | undefined, telephoneEvent: { payloadType: number; clockRate: number } | undefined): void {
    this.o.codec = codec;
    this.o.payloadType = payloadType;
    this.o.remoteFmtp = remoteFmtp;
    this.encoder = codec.createEncoder(remoteFmtp);
    this.txResampler = new Resampler(this.o.appSampleRate, codec.sampleRate);
    this.codecSamplesPerPacket = (codec.sampleRate * this.o.ptimeMs) / 1000;
    this.codecBuf = new Int16Array(this.codecSamplesPerPacket);
    if (!telephoneEvent) this.dtmfTx = undefined;
    else if (!this.dtmfTx || telephoneEvent.clockRate !== this.o.telephoneEvent?.clockRate) {
      this.dtmfTx = new TelephoneEventSender({ clockRate: telephoneEvent.clockRate, ptimeMs: this.o.ptimeMs });
    }
    this.o.telephoneEvent = telephoneEvent;
    // RFC 3550 §5.1: the marker flags the discontinuity for the far end's playout.
    this.firstPacket = true;
  }

  clear(): PlayoutClearResult {
    this.splitter.reset();
    return this.queue.clear();
  }

  /** @throws RangeError when telephone-event was not negotiated (checked by the session) or for bad keys. */
  enqueueDtmf(digits: string, durationMs: number): void {
    this.dtmfTx!.enqueue(digits, durationMs);
  }

  /** Sends every packet due by now (tick k is due at startAt + k·ptime), then sleeps until the next one. */
  private readonly tick = (): void => {
    this.timer = undefined;
    if (this.closed) return;
    const now = this.o.clock.now();
    let due = Math.floor((now - this.startAt) / this.o.ptimeMs) + 1 - this.tickIndex;
    if (due > MAX_CATCH_UP_PACKETS) {
      const skipped = due - MAX_CATCH_UP_PACKETS;
      this.o.logger.warn({ skippedPackets: skipped }, 'RTP send loop stalled; skipping slots');
      this.tickIndex += skipped;
      this.stream.skip(skipped);
      this.prevWasAudio = false; // the next audio starts a new talkspurt
      due = MAX_CATCH_UP_PACKETS;
    }
    for (let i = 0; i < due && !this.closed; i++) {
      this.sendOne();
      this.tickIndex++;
    }
    if (this.closed) return;
    this.o.onTick(now);
    if (this.closed) return;
    this.timer = this.o.clock.setTimeout(this.tick, this.startAt + this.tickIndex * this.o.ptimeMs - now);
  };

  private sendOne(): void {
    if (!this.sendEnabled) {
      // On hold: time passes for the stream, nothing goes on the wire.
      this.queue.take(this.appSamplesPerPacket, this.takeBuf);
      this.stream.skip(1);
      this.prevWasAudio = false;
      return;
    }
    const dtmf = this.dtmfTx?.next(this.stream.timestamp);
    if (dtmf) {
      // The key replaces audio in this slot; bot audio stays queued until the key is done.
      this.sendPacket(this.o.telephoneEvent!.payloadType, dtmf.marker, dtmf.timestamp, dtmf.payload);
      this.prevWasAudio = false;
      return;
    }
    let pcm = this.queue.take(this.appSamplesPerPacket, this.takeBuf);
    const isAudio = pcm !== null;
    if (!pcm) {
      if (this.o.idleFill === 'none') {
        if (this.prevWasAudio) this.txResampler.reset(); // a new talkspurt starts clean
        this.stream.skip(1);
        this.prevWasAudio = false;
        return;
      }
      pcm = this.zeros;
    }
    const payload = this.encoder.encode(this.toCodecFrame(pcm));
    const marker = this.firstPacket || (isAudio && !this.prevWasAudio);
    this.prevWasAudio = isAudio;
    this.sendPacket(this.o.payloadType, marker, this.stream.timestamp, payload);
  }

  private sendPacket(payloadType: number, marker: boolean, timestamp: number, payload: Buffer): void {
    this.firstPacket = false;
    this.stream.send(payloadType, marker, timestamp, payload, this.startAt + this.tickIndex * this.o.ptimeMs);
  }

  /** Resamples one packet of app audio to exactly one packet at the codec rate. */
  private toCodecFrame(pcm: Int16Array): Int16Array {
    const resampled = this.txResampler.process(pcm);
    if (resampled.length === this.codecSamplesPerPacket) return resampled;
    // Only for ratios where a packet is not a whole number of output samples (none at 8/16/24/48 kHz).
    this.codecBuf.fill(0);
    this.codecBuf.set(resampled.subarray(0, this.codecSamplesPerPacket));
    return this.codecBuf;
  }
}
