/**
 * The receive half of a media session, from a parsed (already unprotected, already latched) RTP packet to the
 * bot: RFC 4733 DTMF, a decoder + resampler per payload type, the optional jitter buffer with loss concealment,
 * re-framing into exact frameMs frames, and the RTP-timeout watch. Allocates nothing per packet beyond what
 * the codecs and the jitter buffer entry need.
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { emptyKeepingCapacity } from '../core/arrays.js';
import type { AudioCodec, AudioDecoder } from './codecs/types.js';
import { int16ToL16Buffer } from './pcm.js';
import { Resampler } from './resample/resampler.js';
import type { ParsedRtpPacket } from './rtp/packet.js';
import type { RtcpReporter } from './rtcp/rtcp-reporter.js';
import { TelephoneEventReceiver, type DtmfPress } from './dtmf/telephone-event-receiver.js';
import { JitterBuffer, type JitterBufferReport, type JitterOutput } from './jitter/jitter-buffer.js';
import { RepeatFadeConcealer } from './jitter/concealment.js';
import { JitterPacketPool } from './jitter/packet-pool.js';
import type { JitterBufferMode, MediaSessionStats } from './media-session-types.js';

/** The adaptive buffer's delay before it has measured anything, ms (clamped to its bounds). */
const ADAPTIVE_START_MS = 20;
/** Poll gaps above this are not taken as the poll cadence (a stalled event loop), ms. */
const MAX_POLL_INTERVAL_MS = 100;

/** The buffer a session's options ask for, or undefined for pass-through. */
function jitterModeOf(o: Pick<RtpReceivePathOptions, 'jitterBuffer' | 'jitterBufferMs'>): JitterBufferMode | undefined {
  const mode: JitterBufferMode | undefined = o.jitterBuffer ?? (o.jitterBufferMs !== undefined ? { mode: 'fixed', delayMs: o.jitterBufferMs } : undefined);
  return mode && (mode.mode === 'adaptive' || mode.delayMs > 0) ? mode : undefined;
}

function makeJitterBuffer(mode: JitterBufferMode, clockRate: number): JitterBuffer {
  if (mode.mode === 'fixed') return new JitterBuffer({ clockRate, targetMs: mode.delayMs });
  const start = Math.min(mode.maxMs, Math.max(mode.minMs, ADAPTIVE_START_MS));
  return new JitterBuffer({ clockRate, targetMs: start, adaptive: { minMs: mode.minMs, maxMs: mode.maxMs } });
}

/** A codec that can work at the bot's rate natively (Opus) does, saving a resampler. */
export function atAppRate(codec: AudioCodec, appSampleRate: number): AudioCodec {
  return codec.forSampleRate?.(appSampleRate) ?? codec;
}

/** Decoding state for one received payload type. */
interface Receiver {
  codec: AudioCodec;
  decoder: AudioDecoder;
  resampler: Resampler;
  concealer: RepeatFadeConcealer;
}

function makeReceiver(offered: AudioCodec, appSampleRate: number): Receiver {
  const codec = atAppRate(offered, appSampleRate);
  return { codec, decoder: codec.createDecoder(), resampler: new Resampler(codec.sampleRate, appSampleRate), concealer: new RepeatFadeConcealer() };
}

export interface RtpReceivePathOptions {
  clock: Clock;
  logger: Logger;
  /** The negotiated codec (as offered; adapted to the app rate here) and its payload type. */
  codec: AudioCodec;
  payloadType: number;
  receivable: ReadonlyArray<{ payloadType: number; codec: AudioCodec }>;
  appSampleRate: number;
  frameMs: number;
  /** > 0: reorder and conceal through a jitter buffer of this fixed delay; otherwise pass-through. */
  jitterBufferMs: number | undefined;
  /** Adaptive or fixed jitter buffer; wins over `jitterBufferMs`. */
  jitterBuffer?: JitterBufferMode | undefined;
  telephoneEvent: { payloadType: number; clockRate: number } | undefined;
  rtpTimeoutMs: number | undefined;
  /** Receive statistics for RTCP reports (sequence, loss, jitter). */
  reporter: RtcpReporter;
  /** The session's counters, updated in place. */
  stats: MediaSessionStats;
  onFrame: (pcm: Buffer) => void;
  /** Added latency of each frame, ms: the packet carrying its first sample received → onFrame returned. */
  onLatency?: (ms: number) => void;
  onDtmf: (press: DtmfPress) => void;
  onRtpTimeout: () => void;
}

export class RtpReceivePath {
  private readonly o: RtpReceivePathOptions;
  private closed = false;
  // one decoder + resampler per payload type seen (the negotiated one made up front)
  private readonly receivers = new Map<number, Receiver | null>();
  private readonly jitterMode: JitterBufferMode | undefined;
  private jitter: JitterBuffer | undefined;
  private readonly jitterOut: JitterOutput[] = [];
  /** Storage for packets waiting in the jitter buffer (reused once played). */
  private readonly packetPool = new JitterPacketPool();
  /** When poll() last ran and its cadence, so an arrival can release what falls due before the next one. */
  private lastPollAt = Number.NaN;
  private pollIntervalMs = 0;
  private dtmfRx: TelephoneEventReceiver | undefined;
  private readonly frame: Int16Array;
  /** Byte view of {@link frame}, made once. */
  private readonly frameBytes: Uint8Array;
  private framePos = 0;
  /** Arrival of the packet that began the frame being filled; NaN when it began with concealment. */
  private frameArrivedAt = Number.NaN;
  private decodeFailures = 0;
  private lastRxAt = 0;
  private timeoutFired = false;
  /** False while the far end is not expected to send RTP. */
  private expectRx = true;

  constructor(o: RtpReceivePathOptions) {
    this.o = o;
    if (o.telephoneEvent) this.dtmfRx = new TelephoneEventReceiver(o.telephoneEvent.clockRate);
    this.receivers.set(o.payloadType, makeReceiver(o.codec, o.appSampleRate));
    this.jitterMode = jitterModeOf(o);
    if (this.jitterMode) this.jitter = makeJitterBuffer(this.jitterMode, o.codec.clockRate);
    this.frame = new Int16Array((o.appSampleRate * o.frameMs) / 1000);
    this.frameBytes = new Uint8Array(this.frame.buffer);
  }

  /** Arms the RTP timeout from `now`. */
  start(now: number): void {
    this.lastRxAt = now;
  }

  /** Stops all delivery at once (a listener may close the session mid-packet). */
  close(): void {
    this.closed = true;
  }

  /** Whether RTP is expected from the far end (re-INVITE direction); restarts the timeout either way. */
  setExpectRx(expectRx: boolean, now: number): void {
    this.expectRx = expectRx;
    this.lastRxAt = now;
  }

  /** Jitter buffer counters (late, duplicates, concealed...) and current delay, undefined in pass-through mode. */
  get jitterStats(): JitterBufferReport | undefined {
    return this.jitter?.report();
  }

  /** The delay the jitter buffer adds now, ms (for metrics); undefined in pass-through mode. */
  get jitterDelayMs(): number | undefined {
    return this.jitter?.delayMs;
  }

  /**
   * The far end switched codec (re-INVITE): decoders for the new payload types; the old negotiated one keeps
   * decoding packets still in flight unless the new offer gives its number to another format. The jitter
   * buffer and the DTMF receiver are rebuilt only when their clock rate changes; frame re-framing carries on.
   */
  switchCodec(
    codec: AudioCodec,
    payloadType: number,
    receivable: ReadonlyArray<{ payloadType: number; codec: AudioCodec }>,
    telephoneEvent: { payloadType: number; clockRate: number } | undefined,
  ): void {
    const redefined = (pt: number) => pt === payloadType || receivable.some((r) => r.payloadType === pt);
    const kept = [...this.receivers].filter(([pt, r]) => r !== null && !redefined(pt));
    const same = this.receivers.get(payloadType);
    this.receivers.clear();
    for (const [pt, r] of kept) this.receivers.set(pt, r);
    this.receivers.set(payloadType, same && same.codec.name === atAppRate(codec, this.o.appSampleRate).name && same.codec.clockRate === codec.clockRate ? same : makeReceiver(codec, this.o.appSampleRate));
    if (this.jitterMode && codec.clockRate !== this.o.codec.clockRate) this.jitter = makeJitterBuffer(this.jitterMode, codec.clockRate);
    if (!telephoneEvent) this.dtmfRx = undefined;
    else if (!this.dtmfRx || telephoneEvent.clockRate !== this.o.telephoneEvent?.clockRate) this.dtmfRx = new TelephoneEventReceiver(telephoneEvent.clockRate);
    this.o.codec = codec;
    this.o.payloadType = payloadType;
    this.o.receivable = receivable;
    this.o.telephoneEvent = telephoneEvent;
  }

  /** One RTP packet of `bytes` on the wire: DTMF, or audio to decode (now, or via the jitter buffer). */
  onPacket(pkt: ParsedRtpPacket, bytes: number): void {
    const h = pkt.header;
    const stats = this.o.stats;
    if (this.dtmfRx && h.payloadType === this.o.telephoneEvent?.payloadType) {
      this.lastRxAt = this.o.clock.now();
      this.timeoutFired = false;
      this.emitDtmf(this.dtmfRx.push({ ssrc: h.ssrc, timestamp: h.timestamp, payload: pkt.payload }, this.lastRxAt));
      return;
    }
    const receiver = this.receiverFor(h.payloadType);
    if (!receiver) {
      stats.packetsIgnored++;
      return;
    }
    stats.packetsReceived++;
    stats.bytesReceived += bytes;
    const now = this.o.clock.now();
    this.lastRxAt = now;
    this.timeoutFired = false;
    const inOrder = this.o.reporter.onRtpReceived(h.ssrc, h.sequenceNumber, h.timestamp, now, receiver.codec.clockRate);
    stats.packetsLost = this.o.reporter.sequence.lost;
    if (this.jitter) {
      // A copy waits, not the datagram (packet-pool.ts: what waits would be promoted and die in the old space).
      const queuedPacket = this.packetPool.take(h, pkt.payload, receiver.codec.rtpDuration(pkt.payload), now);
      if (!this.jitter.push(queuedPacket, now)) {
        stats.packetsIgnored++;
        this.packetPool.give(queuedPacket);
      }
      // What falls due before the next poll goes now: waiting for the tick would add up to a whole tick.
      const nextPoll = this.lastPollAt + this.pollIntervalMs;
      this.drainJitter(now, nextPoll > now ? nextPoll : now);
      return;
    }
    // Pass-through: played in arrival order, duplicates and late packets dropped.
    if (!inOrder) {
      stats.packetsIgnored++;
      return;
    }
    this.play(receiver, pkt.payload, now);
  }

  /** Timed work, from the session's tick: DTMF key ends and jitter buffer playout due by `now`. */
  poll(now: number): void {
    if (this.dtmfRx) this.emitDtmf(this.dtmfRx.poll(now));
    const interval = now - this.lastPollAt; // NaN on the first poll
    if (interval <= MAX_POLL_INTERVAL_MS) this.pollIntervalMs = interval;
    this.lastPollAt = now;
    this.drainJitter(now, now + this.pollIntervalMs);
  }

  /** Fires onRtpTimeout once when no RTP came for rtpTimeoutMs (re-armed by the next packet). */
  checkTimeout(now: number): void {
    if (this.o.rtpTimeoutMs === undefined || this.timeoutFired || !this.expectRx) return;
    if (now - this.lastRxAt >= this.o.rtpTimeoutMs) {
      this.timeoutFired = true;
      this.o.onRtpTimeout();
    }
  }

  /** Decodes one payload and delivers it. A payload the decoder rejects is dropped (and logged once). */
  private play(receiver: Receiver, payload: Buffer, arrivedAt: number): void {
    let pcm: Int16Array;
    try {
      pcm = receiver.decoder.decode(payload);
    } catch (err) {
      this.o.stats.packetsIgnored++;
      if (this.decodeFailures++ % 500 === 0) this.o.logger.warn({ err: (err as Error).message, codec: receiver.codec.name }, 'RTP payload not decodable');
      return;
    }
    receiver.concealer.good(pcm);
    this.deliver(receiver.resampler.processReused(pcm), arrivedAt); // nothing keeps it past deliver
  }

  /** Plays what the jitter buffer releases at `now` (gap-free packets due before `releaseBefore` too). */
  private drainJitter(now: number, releaseBefore: number): void {
    const jb = this.jitter;
    if (!jb) return;
    const out = this.jitterOut;
    jb.pop(now, out, releaseBefore);
    for (let i = 0; i < out.length && !this.closed; i++) {
      const o = out[i];
      const receiver = this.receiverFor(o.kind === 'packet' ? o.packet.payloadType : o.payloadType);
      if (!receiver) continue;
      if (o.kind === 'packet') {
        this.play(receiver, o.packet.payload, o.packet.arrivedAt ?? Number.NaN);
        this.packetPool.give(o.packet); // decoded: nothing holds its payload
      } else {
        const samples = Math.round((o.duration * receiver.codec.sampleRate) / receiver.codec.clockRate);
        const pcm = receiver.decoder.conceal ? receiver.decoder.conceal(samples) : receiver.concealer.conceal(samples);
        this.deliver(receiver.resampler.processReused(pcm), Number.NaN);
      }
    }
    emptyKeepingCapacity(out);
  }

  private emitDtmf(presses: DtmfPress[]): void {
    for (const p of presses) {
      if (this.closed) return;
      this.o.onDtmf(p);
    }
  }

  /** Decoder for a payload type: the negotiated one, another offered codec (made on first use), or null. */
  private receiverFor(pt: number): Receiver | null {
    let r = this.receivers.get(pt);
    if (r === undefined) {
      const codec = this.o.receivable.find((c) => c.payloadType === pt)?.codec;
      r = codec ? makeReceiver(codec, this.o.appSampleRate) : null;
      this.receivers.set(pt, r);
    }
    return r;
  }

  /** Re-frames decoded audio (from a packet that arrived at `arrivedAt`) into exact frameMs frames. */
  private deliver(pcm: Int16Array, arrivedAt: number): void {
    const frame = this.frame;
    let pos = 0;
    while (pos < pcm.length) {
      if (this.framePos === 0) this.frameArrivedAt = arrivedAt;
      const n = Math.min(frame.length - this.framePos, pcm.length - pos);
      for (let i = 0, at = this.framePos; i < n; i++) frame[at + i] = pcm[pos + i]; // a loop: no view per packet
      this.framePos += n;
      pos += n;
      if (this.framePos === frame.length) {
        this.framePos = 0;
        this.o.onFrame(int16ToL16Buffer(frame, this.frameBytes));
        if (this.closed) return; // a listener may close us
        if (this.o.onLatency && this.frameArrivedAt === this.frameArrivedAt) this.o.onLatency(this.o.clock.now() - this.frameArrivedAt);
      }
    }
  }
}
