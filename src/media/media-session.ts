/**
 * One call's audio path between an RTP peer and the bot:
 *
 *   receive: UDP → parseRtpPacket → decode → resample to appSampleRate → exact frameMs frames → 'frame'
 *   send:    playAudio → PlayoutQueue → every ptimeMs: take → resample to codec rate → encode → RTP → UDP
 *
 * Knows nothing of SIP or bots: call control builds it from the SDP negotiation and wires its events.
 * This class is the composition: the socket, symmetric-RTP latching, SRTP unprotect and the RTCP channel;
 * the two directions live in {@link RtpReceivePath} and {@link RtpSendPath} (+ {@link RtpStreamSender}).
 */
import type dgram from 'node:dgram';
import { randomBytes, randomInt } from 'node:crypto';
import { isIPv4 } from 'node:net';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { TypedEmitter } from '../core/typed-emitter.js';
import type { PlayoutClearResult } from './playout-queue.js';
import { parseRtpPacket } from './rtp/packet.js';
import { classifyDatagram, countForeign } from './rtp/demux.js';
import type { LastPacket, RtpSocket } from './rtp/port-pool.js';
import { looksLikeRtcp } from './rtcp/packet.js';
import { RtcpReporter, type MediaQuality } from './rtcp/rtcp-reporter.js';
import { RtcpChannel } from './rtcp/rtcp-channel.js';
import { SrtpError, SrtpSession } from './srtp/srtp-context.js';
import type { JitterBufferReport } from './jitter/jitter-buffer.js';
import type { CodecSwitch, MediaSessionEvents, MediaSessionOptions, MediaSessionStats } from './media-session-types.js';
import { RtpReceivePath, atAppRate } from './rtp-receive-path.js';
import { RtpSendPath } from './rtp-send-path.js';
import { RtpStreamSender } from './rtp-stream-sender.js';

export type { CodecSwitch, MediaSessionEvents, MediaSessionOptions, MediaSessionStats, RtcpOptions } from './media-session-types.js';

export class MediaSession extends TypedEmitter<MediaSessionEvents> {
  /** What {@link stats} returns: the paths count into it as packets pass. */
  private readonly counters: MediaSessionStats = {
    packetsReceived: 0,
    packetsSent: 0,
    bytesReceived: 0,
    bytesSent: 0,
    packetsLost: 0,
    packetsIgnored: 0,
    foreign: { stun: 0, dtls: 0, unknown: 0, wrongSource: 0 },
    playoutDroppedMs: { late: 0, backlog: 0, overflow: 0 },
  };

  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly rtp: RtpSocket;
  private latched = false;
  /** The source RTP is accepted from once latched to it; undefined while not latched (or latching is off). */
  private latchedTo: { address: string; port: number } | undefined;
  private readonly latching: 'any' | 'same-ip' | 'off';
  private readonly appSampleRate: number;
  private readonly ptimeMs: number;
  /** The send codec (at the app rate where it can be) and payload type now running. */
  private sending: { codec: string; payloadType: number };
  private started = false;
  private closed = false;

  private readonly reporter: RtcpReporter;
  private readonly rx: RtpReceivePath;
  private readonly stream: RtpStreamSender;
  private readonly tx: RtpSendPath;

  // RTCP
  private readonly rtcpMux: boolean;
  private readonly rtcp: RtcpChannel;

  // SRTP, when negotiated
  private readonly srtp: SrtpSession | undefined;
  private srtpFailures = 0;
  private readonly held: { replay(): void } | undefined;
  private listenerErrors = 0;

  constructor(opts: MediaSessionOptions) {
    super();
    const frameMs = opts.frameMs ?? 20;
    for (const [name, v] of [['ptimeMs', opts.ptimeMs], ['frameMs', frameMs]] as const) {
      if (!Number.isInteger(v) || v <= 0 || v % 10 !== 0) throw new RangeError(`${name} must be a positive multiple of 10, got ${v}`);
    }
    this.clock = opts.clock;
    this.log = opts.logger;
    this.rtp = opts.socket;
    const codec = atAppRate(opts.codec, opts.appSampleRate);
    this.appSampleRate = opts.appSampleRate;
    this.ptimeMs = opts.ptimeMs;
    this.sending = { codec: opts.codec.name, payloadType: opts.payloadType };
    this.latching = opts.latching ?? 'any';
    this.held = opts.held;
    this.srtp = opts.srtp ? new SrtpSession(opts.srtp.suite, opts.srtp.localKeySalt, opts.srtp.remoteKeySalt) : undefined;
    this.rtcpMux = opts.rtcp?.mux === true;
    const ssrc = randomInt(0, 2 ** 32);
    this.reporter = new RtcpReporter({
      ssrc,
      cname: opts.rtcp?.cname ?? `${randomBytes(6).toString('hex')}@trunkbridge`,
      sendClockRate: opts.codec.clockRate,
      // performance.now() has no wall-clock meaning; anchor it once so SR NTP times are real dates.
      wallClockOffsetMs: Date.now() - opts.clock.now(),
    });
    const codecSamplesPerPacket = (codec.sampleRate * opts.ptimeMs) / 1000;
    this.stream = new RtpStreamSender({
      logger: opts.logger,
      socket: opts.socket,
      ssrc,
      initialSeq: randomInt(0, 2 ** 16),
      initialTimestamp: randomInt(0, 2 ** 32),
      timestampStep: (codec.clockRate * opts.ptimeMs) / 1000,
      maxPayload: maxPayloadOf(codecSamplesPerPacket),
      srtp: this.srtp,
      reporter: this.reporter,
      stats: this.counters,
      remote: this.sendable(opts.remote),
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
      onSendDone: this.stream.onSendDone,
    });
    this.rx = new RtpReceivePath({
      clock: opts.clock,
      logger: opts.logger,
      codec: opts.codec,
      payloadType: opts.payloadType,
      receivable: opts.receivable ?? [],
      appSampleRate: opts.appSampleRate,
      frameMs,
      jitterBufferMs: opts.jitterBufferMs,
      jitterBuffer: opts.jitterBuffer,
      telephoneEvent: opts.telephoneEvent,
      rtpTimeoutMs: opts.rtpTimeoutMs,
      reporter: this.reporter,
      stats: this.counters,
      onFrame: (pcm) => this.emit('frame', pcm),
      ...(opts.onReceiveLatency ? { onLatency: opts.onReceiveLatency } : {}),
      onDtmf: (press) => this.emit('dtmf', press),
      onRtpTimeout: () => this.emit('rtp-timeout'),
    });
    this.tx = new RtpSendPath({
      clock: opts.clock,
      logger: opts.logger,
      codec,
      payloadType: opts.payloadType,
      ptimeMs: opts.ptimeMs,
      appSampleRate: opts.appSampleRate,
      idleFill: opts.idleFill ?? 'silence',
      remoteFmtp: opts.remoteFmtp,
      telephoneEvent: opts.telephoneEvent,
      stream: this.stream,
      onMark: (name) => this.emit('mark', name),
      onTick: this.onTick,
      ...(opts.onSendLatency ? { onLatency: opts.onSendLatency } : {}),
      ...(opts.onClearedOnWire ? { onCleared: opts.onClearedOnWire } : {}),
      ...(opts.lateTimer ? { lateTimer: opts.lateTimer } : {}),
    });
  }

  /** Current RTP send target (the SDP address until latched to the peer's actual source). */
  get remote(): { address: string; port: number } {
    return { ...this.stream.remote };
  }

  /** Milliseconds of bot audio queued and not yet sent (the playout queue's depth). */
  get bufferedMs(): number {
    return this.tx.bufferedMs;
  }

  /** The session's counters; the send loop's dropped audio is brought up to date here (read about once a second). */
  get stats(): MediaSessionStats {
    Object.assign(this.counters.playoutDroppedMs!, this.tx.droppedMs);
    return this.counters;
  }

  /**
   * A recording's tap on what the far end hears: called with the samples (app rate) of each packet sent, silence
   * included; undefined removes it. The buffer is reused: copy what you keep.
   */
  setPlayedTap(tap: ((pcm: Int16Array) => void) | undefined): void {
    this.tx.played = tap;
  }

  /** Begins receiving and the paced send loop. Idempotent. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.rtp.socket.on('message', this.onMessage);
    this.rtp.socket.on('error', this.onSocketError);
    const now = this.clock.now();
    this.rx.start(now);
    this.rtcp.start(now);
    this.tx.start(now);
    this.held?.replay();
  }

  /** Queues bot audio: L16 LE mono at appSampleRate, any length (an odd trailing byte waits for the next chunk). */
  playAudio(pcm: Buffer): void {
    if (this.closed) return;
    this.tx.playAudio(pcm);
  }

  /** Emits 'mark' with `name` when playback reaches this point (at once, synchronously, if nothing is queued). */
  mark(name: string): void {
    if (this.closed) return;
    this.tx.mark(name);
  }

  /** Drops queued bot audio and pending marks (barge-in). See {@link PlayoutClearResult}. */
  clear(): PlayoutClearResult {
    return this.tx.clear();
  }

  /** True when telephone-event was negotiated, so {@link sendDtmf} can play keys in-band. */
  get canSendDtmf(): boolean {
    return this.tx.canSendDtmf;
  }

  /**
   * Queues DTMF keys to play as RFC 4733 events between the paced audio packets (bot audio waits meanwhile).
   * @throws RangeError for a bad key or duration, or when telephone-event was not negotiated.
   */
  sendDtmf(digits: string, durationMs: number): void {
    if (!this.tx.canSendDtmf) throw new RangeError('the far end did not negotiate telephone-event');
    if (this.closed) return;
    this.tx.enqueueDtmf(digits, durationMs);
  }

  /** Changes the send target (re-INVITE); symmetric-RTP latching may still replace it once. */
  updateRemote(remote: { address: string; port: number }): void {
    if (this.closed) return;
    this.stream.remote = this.sendable(remote);
    this.latched = false;
    this.latchedTo = undefined;
    this.rtcp.updateRemote(remote);
  }

  /** The codec name and payload type the session sends (and mainly expects) now. */
  get codec(): { name: string; payloadType: number } {
    return { name: this.sending.codec, payloadType: this.sending.payloadType };
  }

  /**
   * Changes codec mid-call (re-INVITE / UPDATE): from the next packet slot we encode and send the new codec
   * under its payload type, marker set, in the same RTP stream (SSRC kept, sequence numbers continuing, the
   * timestamp moving on at the new clock rate); incoming packets of the new payload types are decoded. Bot audio
   * already queued, pending marks, hold state, RTCP, SRTP and latching are untouched. The packetisation (ptime)
   * stays as negotiated at setup: the pacing grid is shared with the rest of the send loop.
   */
  switchCodec(change: CodecSwitch): void {
    if (this.closed) return;
    const codec = atAppRate(change.codec, this.appSampleRate);
    const samplesPerPacket = (codec.sampleRate * this.ptimeMs) / 1000;
    this.stream.setCodecFormat((codec.clockRate * this.ptimeMs) / 1000, maxPayloadOf(samplesPerPacket));
    this.reporter.setSendClockRate(codec.clockRate);
    this.tx.switchCodec(codec, change.payloadType, change.remoteFmtp, change.telephoneEvent);
    this.rx.switchCodec(change.codec, change.payloadType, change.receivable, change.telephoneEvent);
    this.log.info({ from: this.sending, to: { codec: change.codec.name, payloadType: change.payloadType } }, 'media codec switched');
    this.sending = { codec: change.codec.name, payloadType: change.payloadType };
  }

  /** Loss, jitter and RTT of the call so far (RTCP figures; RTT once the far end reported on our stream). */
  get quality(): MediaQuality {
    return this.reporter.quality(this.counters.packetsReceived);
  }

  /** Jitter buffer counters (late, duplicates, concealed...) and current delay (`delayMs`), undefined in pass-through. */
  get jitterStats(): JitterBufferReport | undefined {
    return this.rx.jitterStats;
  }

  /**
   * Applies the negotiated direction of our side (RFC 3264 §6.1, re-INVITE hold/resume): while it is 'recvonly'
   * or 'inactive' no RTP is sent (bot audio due in that time is dropped, timestamps keep running), and while
   * the far end sends nothing ('sendonly' or 'inactive' on our side) the RTP timeout is not armed.
   */
  setDirection(direction: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive'): void {
    this.tx.sendEnabled = direction === 'sendrecv' || direction === 'sendonly';
    this.rx.setExpectRx(direction === 'sendrecv' || direction === 'recvonly', this.clock.now());
  }

  /** Stops the send loop and closes the socket (returning its port to the pool). Safe twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.rx.close();
    this.tx.close();
    this.stream.close();
    this.rtp.socket.off('message', this.onMessage);
    this.rtcp.stop();
    // A last report with BYE (RFC 3550 6.6) tells the far end's RTCP this stream is gone.
    const last: LastPacket | undefined = this.started ? this.rtcp.lastPacket(this.clock.now(), this.stream.remote) : undefined;
    this.rtp.close(last ? [last] : []);
    this.rtp.socket.off('error', this.onSocketError);
  }

  /** A dual-stack (udp6) socket reaches IPv4 peers only through IPv4-mapped addresses. */
  private sendable(remote: { address: string; port: number }): { address: string; port: number } {
    if (isIPv4(remote.address) && this.rtp.socket.address().family === 'IPv6') return { address: `::ffff:${remote.address}`, port: remote.port };
    return { address: remote.address, port: remote.port };
  }

  private readonly onMessage = (msg: Buffer, rinfo: dgram.RemoteInfo): void => {
    if (this.closed) return;
    // RFC 7983: STUN, DTLS and strays are told from RTP by the first byte and dropped before SRTP sees them,
    // so they are counted instead of logged as failed SRTP packet after packet.
    const kind = classifyDatagram(msg);
    const foreign = this.counters.foreign!;
    if (kind !== 'rtp') {
      countForeign(foreign, kind);
      this.counters.packetsIgnored++;
      return;
    }
    if (this.latchedTo && (rinfo.port !== this.latchedTo.port || rinfo.address !== this.latchedTo.address)) {
      // Latched: another source cannot inject audio into the call.
      foreign.wrongSource++;
      this.counters.packetsIgnored++;
      return;
    }
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
      this.counters.packetsIgnored++;
      return;
    }
    if (!this.latched) this.latch(rinfo);
    this.rx.onPacket(pkt, msg.length);
  };

  /** Symmetric RTP (RFC 4961): behind NAT the SDP address is often private; answer where packets come from. */
  private latch(rinfo: dgram.RemoteInfo): void {
    this.latched = true;
    const remote = this.stream.remote;
    // A source port of 0 cannot be answered (some traffic generators send from it); keep the signalled address.
    const allowed = rinfo.port > 0 && (this.latching === 'any' || (this.latching === 'same-ip' && rinfo.address === remote.address));
    if (allowed && (rinfo.address !== remote.address || rinfo.port !== remote.port)) {
      this.log.info({ from: remote, to: { address: rinfo.address, port: rinfo.port } }, 'RTP remote latched to packet source');
      this.stream.remote = { address: rinfo.address, port: rinfo.port };
    }
    if (allowed) this.latchedTo = { address: rinfo.address, port: rinfo.port };
  }

  /** The send tick's other timed work: received DTMF and jitter playout, the RTP timeout, RTCP reports. */
  private readonly onTick = (now: number): void => {
    this.rx.poll(now);
    if (this.closed) return;
    this.rx.checkTimeout(now);
    this.rtcp.poll(now, this.stream.remote);
  };

  /** SRTP → plain RTP, or null (counted, logged now and then) for a packet that fails authentication or replay. */
  private unprotect(msg: Buffer): Buffer | null {
    try {
      return this.srtp!.remote.unprotectRtp(msg);
    } catch (err) {
      if (!(err instanceof SrtpError)) throw err;
      this.counters.packetsIgnored++;
      if (this.srtpFailures++ % 500 === 0) this.log.warn({ err: err.message, kind: err.kind, failures: this.srtpFailures }, 'SRTP packet dropped');
      return null;
    }
  }

  /**
   * A throwing listener is a bug in call control; the media path carries on. 'frame' fires 50 times a second,
   * so a listener that throws every time is logged now and then, not per frame.
   */
  protected override onListenerError(err: unknown, event: string): void {
    if (this.listenerErrors++ % 500 === 0) this.log.error({ err, event, errors: this.listenerErrors }, 'media session listener threw');
  }

  private readonly onSocketError = (err: Error): void => {
    this.log.warn({ err }, 'RTP socket error');
  };
}

/** Ring buffer room for one packet: worst case 16-bit PCM per sample (G.711 needs a quarter of that). */
function maxPayloadOf(codecSamplesPerPacket: number): number {
  return codecSamplesPerPacket * 2 + 64;
}
