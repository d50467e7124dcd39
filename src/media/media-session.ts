/**
 * One call's audio path between an RTP peer and the bot:
 *
 *   receive: UDP → parseRtpPacket → decode → resample to appSampleRate → exact frameMs frames → 'frame'
 *   send:    playAudio → PlayoutQueue → every ptimeMs: take → resample to codec rate → encode → RTP → UDP
 *
 * Knows nothing of SIP or bots: call control builds it from the SDP negotiation and wires its events.
 */
import type dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { randomBytes, randomInt } from 'node:crypto';
import { isIPv4 } from 'node:net';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { AudioCodec, AudioDecoder, AudioEncoder } from './codecs/types.js';
import { L16Splitter, int16ToL16Buffer } from './pcm.js';
import { PlayoutQueue, type PlayoutClearResult } from './playout-queue.js';
import { Resampler } from './resample/resampler.js';
import { parseRtpPacket, writeRtpPacket, RTP_HEADER_SIZE } from './rtp/packet.js';
import type { LastPacket, RtpSocket } from './rtp/port-pool.js';
import { looksLikeRtcp } from './rtcp/packet.js';
import { RtcpReporter, type MediaQuality, type RtcpInput } from './rtcp/rtcp-reporter.js';
import { RtcpChannel } from './rtcp/rtcp-channel.js';
import { SrtpError, SrtpSession, type SrtpSuite } from './srtp/srtp-context.js';
import { TelephoneEventReceiver, type DtmfPress } from './dtmf/telephone-event-receiver.js';
import { TelephoneEventSender } from './dtmf/telephone-event-sender.js';
import { JitterBuffer, type JitterBufferStats, type JitterOutput } from './jitter/jitter-buffer.js';
import { RepeatFadeConcealer } from './jitter/concealment.js';

export interface MediaSessionOptions {
  clock: Clock;
  logger: Logger;
  socket: RtpSocket;
  codec: AudioCodec;
  /** Negotiated RTP payload type for `codec` (the offer's, which may differ from the static one). */
  payloadType: number;
  /** Where to send RTP, from SDP. Replaced once by the source of the first RTP packet (symmetric RTP). */
  remote: { address: string; port: number };
  /** Outbound packetisation in ms (multiple of 10; 20 is usual). */
  ptimeMs: number;
  /** Sample rate of the bot's audio, both directions. */
  appSampleRate: number;
  /** Size of the frames delivered in 'frame' events, ms (default 20). */
  frameMs?: number;
  /** What to send while the playout queue is empty: encoded silence (default) or nothing. */
  idleFill?: 'silence' | 'none';
  /** Emit 'rtp-timeout' once no RTP has arrived for this long (ms). Off when unset. */
  rtpTimeoutMs?: number;
  /**
   * Other payload types the far end may send (offered codecs besides the negotiated one); decoded too, each with
   * its own decoder and resampler, created on first use.
   */
  receivable?: ReadonlyArray<{ payloadType: number; codec: AudioCodec }>;
  /**
   * Symmetric RTP latching (callers behind NAT): 'any' (default) sends to the source of the first packet;
   * 'same-ip' only when that source has the signalled IP (port may differ); 'off' always sends to the SDP address.
   */
  latching?: 'any' | 'same-ip' | 'off';
  /**
   * Receive jitter buffer delay, ms: packets are reordered and played out this long after the first one's
   * arrival, losses concealed. 0 or unset: pass-through (decoded on arrival, late/duplicate packets dropped).
   */
  jitterBufferMs?: number;
  /** The far end's a=fmtp for the codec (shapes our encoder: Opus maxplaybackrate, useinbandfec...). */
  remoteFmtp?: string;
  /** Negotiated RFC 4733 telephone-event format: enables DTMF both ways. */
  telephoneEvent?: { payloadType: number; clockRate: number };
  /**
   * RTCP (RFC 3550): on the socket's RTCP port (odd port above RTP), or multiplexed on the RTP port when the
   * offer had a=rtcp-mux (RFC 5761). Off when neither an RTCP socket nor mux is available.
   */
  rtcp?: RtcpOptions;
  /** SRTP (RFC 3711, keys from SDES): RTP and RTCP both ways are protected; plain packets are dropped. */
  srtp?: { suite: SrtpSuite; localKeySalt: Buffer; remoteKeySalt: Buffer };
}

export interface RtcpOptions {
  /** Send and receive RTCP on the RTP port (the offer had a=rtcp-mux and our answer accepted it). */
  mux?: boolean;
  /** The far end's RTCP address from a=rtcp (RFC 3605); default: RTP address, port + 1 (or the RTP port with mux). */
  remote?: { address?: string; port: number };
  /** Nominal report interval, ms (default 5000; randomised per RFC 3550 6.3.1). */
  intervalMs?: number;
  /** Our SDES CNAME (default: a random one per call). */
  cname?: string;
}

export interface MediaSessionStats {
  /** RTP packets of the negotiated payload type received (duplicates and late ones included). */
  packetsReceived: number;
  packetsSent: number;
  /** UDP bytes (RTP header included) of those packets. */
  bytesReceived: number;
  bytesSent: number;
  /** Expected minus received, from sequence numbers (RFC 3550 A.3 style, per SSRC, summed). */
  packetsLost: number;
  /** Datagrams dropped without decoding: not RTP, other payload types (e.g. telephone-event), duplicates, late. */
  packetsIgnored: number;
}

export interface MediaSessionEvents {
  /** Exactly frameMs of L16 LE mono PCM at appSampleRate. */
  frame: (pcm: Buffer) => void;
  /** Playback reached a mark placed with {@link MediaSession.mark}. */
  mark: (name: string) => void;
  /** A DTMF key press received as RFC 4733 telephone-event, reported once per press. */
  dtmf: (press: DtmfPress) => void;
  /** No RTP for rtpTimeoutMs; fires once, re-armed when RTP flows again. */
  'rtp-timeout': () => void;
  /** A valid RTCP compound packet arrived from the far end (RTT set when it reported on our stream). */
  rtcp: (input: RtcpInput) => void;
}

// Typed events via declaration merging with the class below.
export interface MediaSession {
  on<E extends keyof MediaSessionEvents>(event: E, listener: MediaSessionEvents[E]): this;
  once<E extends keyof MediaSessionEvents>(event: E, listener: MediaSessionEvents[E]): this;
  off<E extends keyof MediaSessionEvents>(event: E, listener: MediaSessionEvents[E]): this;
  emit<E extends keyof MediaSessionEvents>(event: E, ...args: Parameters<MediaSessionEvents[E]>): boolean;
}

/** Late ticks sent back to back at most; a longer stall skips time slots instead of bursting. */
const MAX_CATCH_UP_PACKETS = 5;
/**
 * Outgoing packets rotate through this many preallocated buffers. dgram reads a buffer only when the send
 * actually happens (after an async address lookup), so a slot is reused only once its send has completed;
 * if a burst finds the next slot still in flight, that packet gets a fresh buffer instead.
 */
const SEND_RING = 8;

/** Decoding state for one received payload type. */
interface Receiver {
  codec: AudioCodec;
  decoder: AudioDecoder;
  resampler: Resampler;
  concealer: RepeatFadeConcealer;
}

/** A codec that can work at the bot's rate natively (Opus) does, saving a resampler. */
function atAppRate(codec: AudioCodec, appSampleRate: number): AudioCodec {
  return codec.forSampleRate?.(appSampleRate) ?? codec;
}

function makeReceiver(offered: AudioCodec, appSampleRate: number): Receiver {
  const codec = atAppRate(offered, appSampleRate);
  return { codec, decoder: codec.createDecoder(), resampler: new Resampler(codec.sampleRate, appSampleRate), concealer: new RepeatFadeConcealer() };
}

interface SendSlot {
  buf: Buffer;
  busy: boolean;
  done: (err: Error | null) => void;
}

export class MediaSession extends EventEmitter {
  readonly stats: MediaSessionStats = {
    packetsReceived: 0,
    packetsSent: 0,
    bytesReceived: 0,
    bytesSent: 0,
    packetsLost: 0,
    packetsIgnored: 0,
  };

  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly rtp: RtpSocket;
  private readonly codec: AudioCodec;
  private readonly payloadType: number;
  private readonly ptimeMs: number;
  private readonly idleFill: 'silence' | 'none';
  private readonly rtpTimeoutMs: number | undefined;
  private remoteAddr: { address: string; port: number };
  private latched = false;
  private readonly latching: 'any' | 'same-ip' | 'off';
  private started = false;
  private closed = false;

  // receive side: one decoder + resampler per payload type seen (the negotiated one made up front)
  private readonly receivers = new Map<number, Receiver | null>();
  private readonly jitter: JitterBuffer | undefined;
  private readonly jitterOut: JitterOutput[] = [];
  private readonly receivable: ReadonlyArray<{ payloadType: number; codec: AudioCodec }>;
  private readonly appSampleRate: number;
  private readonly frame: Int16Array;
  private framePos = 0;
  private readonly reporter: RtcpReporter;
  private lastRxAt = 0;
  private timeoutFired = false;

  // send side
  private readonly queue: PlayoutQueue;
  private readonly splitter = new L16Splitter();
  private readonly encoder: AudioEncoder;
  private readonly txResampler: Resampler;
  private readonly appSamplesPerPacket: number;
  private readonly codecSamplesPerPacket: number;
  private readonly timestampStep: number;
  private readonly takeBuf: Int16Array;
  private readonly zeros: Int16Array;
  private readonly codecBuf: Int16Array;
  private readonly sendRing: SendSlot[];
  private ringPos = 0;
  private readonly ssrc = randomInt(0, 2 ** 32);
  private seq = randomInt(0, 2 ** 16);
  private timestamp = randomInt(0, 2 ** 32);
  private firstPacket = true;
  private prevWasAudio = false;
  private startAt = 0;
  private tickIndex = 0;
  private timer: TimerHandle | undefined;

  // RTCP
  private readonly rtcpMux: boolean;
  private readonly rtcp: RtcpChannel;

  // SRTP, when negotiated
  private readonly srtp: SrtpSession | undefined;
  private srtpFailures = 0;

  // DTMF (RFC 4733), when negotiated
  private readonly telephoneEvent: { payloadType: number; clockRate: number } | undefined;
  private readonly dtmfRx: TelephoneEventReceiver | undefined;
  private readonly dtmfTx: TelephoneEventSender | undefined;

  constructor(opts: MediaSessionOptions) {
    super();
    const frameMs = opts.frameMs ?? 20;
    for (const [name, v] of [['ptimeMs', opts.ptimeMs], ['frameMs', frameMs]] as const) {
      if (!Number.isInteger(v) || v <= 0 || v % 10 !== 0) throw new RangeError(`${name} must be a positive multiple of 10, got ${v}`);
    }
    this.clock = opts.clock;
    this.log = opts.logger;
    this.rtp = opts.socket;
    this.codec = atAppRate(opts.codec, opts.appSampleRate);
    this.payloadType = opts.payloadType;
    this.ptimeMs = opts.ptimeMs;
    this.idleFill = opts.idleFill ?? 'silence';
    this.latching = opts.latching ?? 'any';
    this.rtpTimeoutMs = opts.rtpTimeoutMs;
    this.remoteAddr = this.sendable(opts.remote);
    this.srtp = opts.srtp ? new SrtpSession(opts.srtp.suite, opts.srtp.localKeySalt, opts.srtp.remoteKeySalt) : undefined;
    this.rtcpMux = opts.rtcp?.mux === true;
    this.reporter = new RtcpReporter({
      ssrc: this.ssrc,
      cname: opts.rtcp?.cname ?? `${randomBytes(6).toString('hex')}@trunkbridge`,
      sendClockRate: opts.codec.clockRate,
      // performance.now() has no wall-clock meaning; anchor it once so SR NTP times are real dates.
      wallClockOffsetMs: Date.now() - opts.clock.now(),
    });
    this.rtcp = new RtcpChannel({
      clock: opts.clock,
      logger: opts.logger,
      rtp: opts.socket,
      reporter: this.reporter,
      mux: this.rtcpMux,
      rtpRemote: opts.remote,
      ...(opts.rtcp?.remote ? { given: opts.rtcp.remote } : {}),
      intervalMs: opts.rtcp?.intervalMs ?? 5000,
      latching: this.latching,
      ...(this.srtp ? { srtp: this.srtp } : {}),
      sendable: (a) => this.sendable(a),
      onInput: (input) => {
        if (!this.closed) this.emit('rtcp', input);
      },
      onSendDone: this.onSendDone,
    });
    this.telephoneEvent = opts.telephoneEvent;
    if (opts.telephoneEvent) {
      this.dtmfRx = new TelephoneEventReceiver(opts.telephoneEvent.clockRate);
      this.dtmfTx = new TelephoneEventSender({ clockRate: opts.telephoneEvent.clockRate, ptimeMs: opts.ptimeMs });
    }

    this.appSampleRate = opts.appSampleRate;
    this.receivable = opts.receivable ?? [];
    this.receivers.set(opts.payloadType, makeReceiver(opts.codec, opts.appSampleRate));
    if (opts.jitterBufferMs !== undefined && opts.jitterBufferMs > 0) {
      this.jitter = new JitterBuffer({ clockRate: opts.codec.clockRate, targetMs: opts.jitterBufferMs });
    }
    this.frame = new Int16Array((opts.appSampleRate * frameMs) / 1000);

    this.queue = new PlayoutQueue(opts.appSampleRate);
    this.queue.onMark((name) => this.emit('mark', name));
    this.encoder = this.codec.createEncoder(opts.remoteFmtp);
    this.txResampler = new Resampler(opts.appSampleRate, this.codec.sampleRate);
    this.appSamplesPerPacket = (opts.appSampleRate * opts.ptimeMs) / 1000;
    this.codecSamplesPerPacket = (this.codec.sampleRate * opts.ptimeMs) / 1000;
    this.timestampStep = (this.codec.clockRate * opts.ptimeMs) / 1000;
    this.takeBuf = new Int16Array(this.appSamplesPerPacket);
    this.zeros = new Int16Array(this.appSamplesPerPacket);
    this.codecBuf = new Int16Array(this.codecSamplesPerPacket);
    // Worst case payload: 16-bit PCM per sample; G.711 needs a quarter of that.
    this.sendRing = Array.from({ length: SEND_RING }, () => {
      const slot: SendSlot = {
        buf: Buffer.alloc(RTP_HEADER_SIZE + this.codecSamplesPerPacket * 2 + 64),
        busy: false,
        done: (err) => {
          slot.busy = false;
          this.onSendDone(err);
        },
      };
      return slot;
    });
  }

  /** Current RTP send target (the SDP address until latched to the peer's actual source). */
  get remote(): { address: string; port: number } {
    return { ...this.remoteAddr };
  }

  /** Milliseconds of bot audio queued and not yet sent. */
  get bufferedMs(): number {
    return this.queue.bufferedMs;
  }

  /** Begins receiving and the paced send loop. Idempotent. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.rtp.socket.on('message', this.onMessage);
    this.rtp.socket.on('error', this.onSocketError);
    this.startAt = this.clock.now();
    this.lastRxAt = this.startAt;
    this.rtcp.start(this.startAt);
    this.tick();
  }

  /** Queues bot audio: L16 LE mono at appSampleRate, any length (an odd trailing byte waits for the next chunk). */
  playAudio(pcm: Buffer): void {
    if (this.closed) return;
    const samples = this.splitter.push(pcm);
    if (samples.length > 0) this.queue.push(samples);
  }

  /** Emits 'mark' with `name` when playback reaches this point (at once, synchronously, if nothing is queued). */
  mark(name: string): void {
    if (this.closed) return;
    this.queue.mark(name);
  }

  /** Drops queued bot audio and pending marks (barge-in). See {@link PlayoutClearResult}. */
  clear(): PlayoutClearResult {
    this.splitter.reset();
    return this.queue.clear();
  }

  /** True when telephone-event was negotiated, so {@link sendDtmf} can play keys in-band. */
  get canSendDtmf(): boolean {
    return this.dtmfTx !== undefined;
  }

  /**
   * Queues DTMF keys to play as RFC 4733 events between the paced audio packets (bot audio waits meanwhile).
   * @throws RangeError for a bad key or duration, or when telephone-event was not negotiated.
   */
  sendDtmf(digits: string, durationMs: number): void {
    if (!this.dtmfTx) throw new RangeError('the far end did not negotiate telephone-event');
    if (this.closed) return;
    this.dtmfTx.enqueue(digits, durationMs);
  }

  /** Changes the send target (re-INVITE); symmetric-RTP latching may still replace it once. */
  updateRemote(remote: { address: string; port: number }): void {
    if (this.closed) return;
    this.remoteAddr = this.sendable(remote);
    this.latched = false;
    this.rtcp.updateRemote(remote);
  }

  /** Loss, jitter and RTT of the call so far (RTCP figures; RTT once the far end reported on our stream). */
  get quality(): MediaQuality {
    return this.reporter.quality(this.stats.packetsReceived);
  }

  /**
   * Applies the negotiated direction of our side (RFC 3264 §6.1, re-INVITE hold/resume): while it is 'recvonly'
   * or 'inactive' no RTP is sent (bot audio due in that time is dropped, timestamps keep running), and while
   * the far end sends nothing ('sendonly' or 'inactive' on our side) the RTP timeout is not armed.
   */
  setDirection(direction: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive'): void {
    this.sendEnabled = direction === 'sendrecv' || direction === 'sendonly';
    this.expectRx = direction === 'sendrecv' || direction === 'recvonly';
    this.lastRxAt = this.clock.now();
  }

  /** Stops the send loop and closes the socket (returning its port to the pool). Safe twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.rtp.socket.off('message', this.onMessage);
    this.rtcp.stop();
    // A last report with BYE (RFC 3550 6.6) tells the far end's RTCP this stream is gone.
    const last: LastPacket | undefined = this.started ? this.rtcp.lastPacket(this.clock.now(), this.remoteAddr) : undefined;
    this.rtp.close(last ? [last] : []);
    this.rtp.socket.off('error', this.onSocketError);
  }

  /** A dual-stack (udp6) socket reaches IPv4 peers only through IPv4-mapped addresses. */
  private sendable(remote: { address: string; port: number }): { address: string; port: number } {
    if (isIPv4(remote.address) && this.rtp.socket.address().family === 'IPv6') return { address: `::ffff:${remote.address}`, port: remote.port };
    return { address: remote.address, port: remote.port };
  }

  // ---- receive ------------------------------------------------------------------------------------------

  private readonly onMessage = (msg: Buffer, rinfo: dgram.RemoteInfo): void => {
    if (this.closed) return;
    if (this.rtcpMux && looksLikeRtcp(msg)) {
      this.rtcp.onMessage(msg, rinfo);
      return;
    }
    if (this.srtp) {
      const plain = this.unprotect(msg);
      if (!plain) return;
      msg = plain;
    }
    const pkt = parseRtpPacket(msg);
    if (!pkt) {
      this.stats.packetsIgnored++;
      return;
    }
    if (!this.latched) {
      // Symmetric RTP (RFC 4961): behind NAT the SDP address is often private; answer where packets come from.
      this.latched = true;
      // A source port of 0 cannot be answered (some traffic generators send from it); keep the signalled address.
      const allowed =
        rinfo.port > 0 &&
        (this.latching === 'any' || (this.latching === 'same-ip' && rinfo.address === this.remoteAddr.address));
      if (allowed && (rinfo.address !== this.remoteAddr.address || rinfo.port !== this.remoteAddr.port)) {
        this.log.info({ from: this.remoteAddr, to: { address: rinfo.address, port: rinfo.port } }, 'RTP remote latched to packet source');
        this.remoteAddr = { address: rinfo.address, port: rinfo.port };
      }
    }
    const h = pkt.header;
    if (this.dtmfRx && h.payloadType === this.telephoneEvent?.payloadType) {
      this.lastRxAt = this.clock.now();
      this.timeoutFired = false;
      this.emitDtmf(this.dtmfRx.push({ ssrc: h.ssrc, timestamp: h.timestamp, payload: pkt.payload }, this.lastRxAt));
      return;
    }
    const receiver = this.receiverFor(h.payloadType);
    if (!receiver) {
      this.stats.packetsIgnored++;
      return;
    }
    this.stats.packetsReceived++;
    this.stats.bytesReceived += msg.length;
    const now = this.clock.now();
    this.lastRxAt = now;
    this.timeoutFired = false;
    const inOrder = this.reporter.onRtpReceived(h.ssrc, h.sequenceNumber, h.timestamp, now, receiver.codec.clockRate);
    this.stats.packetsLost = this.reporter.sequence.lost;
    if (this.jitter) {
      const queued = this.jitter.push(
        {
          ssrc: h.ssrc,
          sequenceNumber: h.sequenceNumber,
          timestamp: h.timestamp,
          payloadType: h.payloadType,
          marker: h.marker,
          payload: pkt.payload, // dgram hands us a fresh Buffer per datagram: safe to hold
          duration: receiver.codec.rtpDuration(pkt.payload),
        },
        now,
      );
      if (!queued) this.stats.packetsIgnored++;
      this.drainJitter(now);
      return;
    }
    // Pass-through: played in arrival order, duplicates and late packets dropped.
    if (!inOrder) {
      this.stats.packetsIgnored++;
      return;
    }
    this.play(receiver, pkt.payload);
  };

  /** Decodes one payload and delivers it. A payload the decoder rejects is dropped (and logged once). */
  private play(receiver: Receiver, payload: Buffer): void {
    let pcm: Int16Array;
    try {
      pcm = receiver.decoder.decode(payload);
    } catch (err) {
      this.stats.packetsIgnored++;
      if (this.decodeFailures++ % 500 === 0) this.log.warn({ err: (err as Error).message, codec: receiver.codec.name }, 'RTP payload not decodable');
      return;
    }
    receiver.concealer.good(pcm);
    this.deliver(receiver.resampler.process(pcm));
  }

  private decodeFailures = 0;

  /** Plays what the jitter buffer releases at `now`: packets decoded, gaps concealed. */
  private drainJitter(now: number): void {
    const jb = this.jitter;
    if (!jb) return;
    const out = this.jitterOut;
    jb.pop(now, out);
    for (let i = 0; i < out.length && !this.closed; i++) {
      const o = out[i];
      const receiver = this.receiverFor(o.kind === 'packet' ? o.packet.payloadType : o.payloadType);
      if (!receiver) continue;
      if (o.kind === 'packet') {
        this.play(receiver, o.packet.payload);
      } else {
        const samples = Math.round((o.duration * receiver.codec.sampleRate) / receiver.codec.clockRate);
        const pcm = receiver.decoder.conceal ? receiver.decoder.conceal(samples) : receiver.concealer.conceal(samples);
        this.deliver(receiver.resampler.process(pcm));
      }
    }
    out.length = 0;
  }

  /** Jitter buffer counters (late, duplicates, concealed...), undefined in pass-through mode. */
  get jitterStats(): JitterBufferStats | undefined {
    return this.jitter ? { ...this.jitter.stats } : undefined;
  }

  private emitDtmf(presses: DtmfPress[]): void {
    for (const p of presses) {
      if (this.closed) return;
      this.emit('dtmf', p);
    }
  }

  /** Decoder for a payload type: the negotiated one, another offered codec (made on first use), or null. */
  private receiverFor(pt: number): Receiver | null {
    let r = this.receivers.get(pt);
    if (r === undefined) {
      const codec = this.receivable.find((c) => c.payloadType === pt)?.codec;
      r = codec ? makeReceiver(codec, this.appSampleRate) : null;
      this.receivers.set(pt, r);
    }
    return r;
  }

  /** Re-frames decoded audio into exact frameMs frames. */
  private deliver(pcm: Int16Array): void {
    const frame = this.frame;
    let pos = 0;
    while (pos < pcm.length) {
      const n = Math.min(frame.length - this.framePos, pcm.length - pos);
      frame.set(pcm.subarray(pos, pos + n), this.framePos);
      this.framePos += n;
      pos += n;
      if (this.framePos === frame.length) {
        this.framePos = 0;
        this.emit('frame', int16ToL16Buffer(frame));
        if (this.closed) return; // a listener may close us
      }
    }
  }

  // ---- send ---------------------------------------------------------------------------------------------

  /** Sends every packet due by now (tick k is due at startAt + k·ptime), then sleeps until the next one. */
  private readonly tick = (): void => {
    this.timer = undefined;
    if (this.closed) return;
    const now = this.clock.now();
    let due = Math.floor((now - this.startAt) / this.ptimeMs) + 1 - this.tickIndex;
    if (due > MAX_CATCH_UP_PACKETS) {
      const skipped = due - MAX_CATCH_UP_PACKETS;
      this.log.warn({ skippedPackets: skipped }, 'RTP send loop stalled; skipping slots');
      this.tickIndex += skipped;
      this.timestamp = (this.timestamp + skipped * this.timestampStep) >>> 0;
      this.prevWasAudio = false; // the next audio starts a new talkspurt
      due = MAX_CATCH_UP_PACKETS;
    }
    for (let i = 0; i < due && !this.closed; i++) {
      this.sendOne();
      this.tickIndex++;
    }
    if (this.closed) return;
    if (this.dtmfRx) this.emitDtmf(this.dtmfRx.poll(now));
    this.drainJitter(now);
    if (this.closed) return;
    this.checkRtpTimeout(now);
    this.rtcp.poll(now, this.remoteAddr);
    this.timer = this.clock.setTimeout(this.tick, this.startAt + this.tickIndex * this.ptimeMs - now);
  };

  private sendOne(): void {
    if (!this.sendEnabled) {
      // On hold: time passes for the stream, nothing goes on the wire.
      this.queue.take(this.appSamplesPerPacket, this.takeBuf);
      this.timestamp = (this.timestamp + this.timestampStep) >>> 0;
      this.prevWasAudio = false;
      return;
    }
    const dtmf = this.dtmfTx?.next(this.timestamp);
    if (dtmf) {
      // The key replaces audio in this slot; bot audio stays queued until the key is done.
      this.sendPacket(this.telephoneEvent!.payloadType, dtmf.marker, dtmf.timestamp, dtmf.payload);
      this.prevWasAudio = false;
      return;
    }
    let pcm = this.queue.take(this.appSamplesPerPacket, this.takeBuf);
    const isAudio = pcm !== null;
    if (!pcm) {
      if (this.idleFill === 'none') {
        if (this.prevWasAudio) this.txResampler.reset(); // a new talkspurt starts clean
        this.timestamp = (this.timestamp + this.timestampStep) >>> 0;
        this.prevWasAudio = false;
        return;
      }
      pcm = this.zeros;
    }
    const payload = this.encoder.encode(this.toCodecFrame(pcm));
    const marker = this.firstPacket || (isAudio && !this.prevWasAudio);
    this.prevWasAudio = isAudio;
    this.sendPacket(this.payloadType, marker, this.timestamp, payload);
  }

  /** Sends one RTP packet in this slot and advances sequence number and stream timestamp. */
  private sendPacket(payloadType: number, marker: boolean, timestamp: number, payload: Buffer): void {
    this.firstPacket = false;
    const slot = this.sendRing[this.ringPos];
    const useSlot = !slot.busy && slot.buf.length >= RTP_HEADER_SIZE + payload.length;
    if (useSlot) {
      slot.busy = true;
      this.ringPos = (this.ringPos + 1) % SEND_RING;
    }
    let packet = writeRtpPacket(
      { marker, payloadType, sequenceNumber: this.seq, timestamp, ssrc: this.ssrc },
      payload,
      useSlot ? slot.buf : undefined,
    );
    // In place in the slot (it has room for the tag): no extra Buffer per packet.
    if (this.srtp) packet = this.srtp.local.protectRtp(packet, useSlot ? slot.buf : undefined);
    this.seq = (this.seq + 1) & 0xffff;
    this.timestamp = (this.timestamp + this.timestampStep) >>> 0;
    try {
      this.rtp.socket.send(packet, this.remoteAddr.port, this.remoteAddr.address, useSlot ? slot.done : this.onSendDone);
    } catch (err) {
      // dgram throws synchronously on a bad destination; one call's bad address must never take the process down.
      if (useSlot) slot.done(null);
      this.onSendDone(err as Error);
      return;
    }
    this.stats.packetsSent++;
    this.stats.bytesSent += packet.length;
    // The slot's stream timestamp at the slot's nominal time: what the SR's NTP↔RTP mapping extrapolates from.
    this.reporter.onRtpSent((this.timestamp - this.timestampStep) >>> 0, payload.length, this.startAt + this.tickIndex * this.ptimeMs);
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

  private checkRtpTimeout(now: number): void {
    if (this.rtpTimeoutMs === undefined || this.timeoutFired || !this.expectRx) return;
    if (now - this.lastRxAt >= this.rtpTimeoutMs) {
      this.timeoutFired = true;
      this.emit('rtp-timeout');
    }
  }

  // ---- SRTP ---------------------------------------------------------------------------------------------

  /** SRTP → plain RTP, or null (counted, logged now and then) for a packet that fails authentication or replay. */
  private unprotect(msg: Buffer): Buffer | null {
    try {
      return this.srtp!.remote.unprotectRtp(msg);
    } catch (err) {
      if (!(err instanceof SrtpError)) throw err;
      this.stats.packetsIgnored++;
      if (this.srtpFailures++ % 500 === 0) this.log.warn({ err: err.message, kind: err.kind, failures: this.srtpFailures }, 'SRTP packet dropped');
      return null;
    }
  }

  private sendFailures = 0;
  /** False while our negotiated direction forbids sending (hold). */
  private sendEnabled = true;
  /** False while the far end is not expected to send RTP. */
  private expectRx = true;

  /** Logs the first send failure of the call, then every 500th: a dead route fails 50 times a second. */
  private readonly onSendDone = (err: Error | null): void => {
    if (!err || this.closed) return;
    if (this.sendFailures++ % 500 === 0) {
      this.log.warn({ err: err.message, remote: this.remoteAddr, failures: this.sendFailures }, 'RTP send failed');
    }
  };

  private readonly onSocketError = (err: Error): void => {
    this.log.warn({ err }, 'RTP socket error');
  };
}
