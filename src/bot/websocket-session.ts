import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import type { Clock } from '../core/clock.js';
import { wsCloseCodeOf } from '../core/failures.js';
import type { Logger } from '../core/logger.js';
import { CallerAudioPacer } from './caller-audio-pacer.js';
import { CallerAudioQueue } from './caller-audio-queue.js';
import { Keepalive } from './keepalive.js';
import type { BotInput, Dialect, DialectCodec, DialectContext, WireFrame } from './protocols/dialect.js';
import { nativeDialect, type BridgeEvent, type CallQuality, type StartMessage } from './protocols/native.js';
import { BaseBotSession, type BotSession, type StartOptions } from './session.js';

export interface WebSocketBotSessionOptions {
  logger: Logger;
  /**
   * Backpressure bound, bytes. Caller audio is written to the socket while it has at most this much queued;
   * beyond that frames wait in a queue of the same size, whose oldest frames are dropped (and counted) when it is
   * full. So one call's caller audio never holds more than about twice this (plus what the kernel's socket
   * buffer took). Default 64 KiB (about 1.3 s of 24 kHz L16): enough to ride out a hiccup, small enough that a
   * stuck bot costs little.
   */
  maxBufferedBytes?: number;
  /** Called for every dropped frame (metrics). */
  onFrameDropped?: () => void;
  /** The wire protocol spoken on the socket. Default: native (protocol v1). */
  dialect?: Dialect;
  /** The call the dialect frames (ids, parameters, rate). Default: an empty one, enough for native. */
  context?: DialectContext;
  /**
   * Paces silence into gaps of caller audio for dialects that stream continuously, drains the backpressure queue
   * and times the keepalive pings; without it, none of those run.
   */
  clock?: Clock;
  /** Keepalive ping period, ms (0: none; default 0, the connector passes the bot's setting). */
  pingIntervalMs?: number;
  /** An unanswered ping past this is a dropped connection, ms (default 3000). */
  pingTimeoutMs?: number;
}

/** How often a backed-up socket is checked for room, ms: one caller frame. */
const DRAIN_POLL_MS = 20;

/** What a dialect is opened with when the caller gave nothing: native needs only `parameters`. */
function emptyContext(): DialectContext {
  return { callId: '', botName: '', sampleRate: 0, parameters: {}, randomBytes, wallClock: Date.now };
}

/** WebSocket close reasons are limited to 123 bytes. */
function closeReason(reason: string): string {
  const buf = Buffer.from(reason, 'utf8');
  return buf.length <= 123 ? reason : buf.subarray(0, 123).toString('utf8').replace(/\uFFFD+$/, '');
}

/**
 * A bot over an open `ws` client socket, speaking one {@link Dialect}: the dialect turns the call's start, caller
 * audio and events into frames and the bot's frames into audio and commands; this class moves them.
 * The socket is paused until {@link sendStart} is called without `beforeAnswer`, so nothing the bot sends is lost
 * before call control has attached its listeners and the call is answered (its opening messages and caller
 * audio may go before that).
 */
export class WebSocketBotSession extends BaseBotSession implements BotSession {
  private readonly log: Logger;
  private readonly maxBufferedBytes: number;
  private readonly onFrameDropped: (() => void) | undefined;
  private readonly dialect: Dialect;
  private readonly codec: DialectCodec;
  private readonly clock: Clock | undefined;
  private pacer: CallerAudioPacer | undefined;
  private readonly keepalive: Keepalive | undefined;
  private readonly backlog: CallerAudioQueue;
  private drainTimer: { cancel(): void } | undefined;
  /** The opening messages went out (caller audio may follow). */
  private started = false;
  /** The bot's messages are read (the socket resumed). */
  private listening = false;
  private stopRequested = false;
  private pingTimedOut = false;
  private dropped = 0;
  private dropping = false;

  constructor(
    private readonly ws: WebSocket,
    options: WebSocketBotSessionOptions,
  ) {
    super();
    this.log = options.logger;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 64 * 1024;
    this.onFrameDropped = options.onFrameDropped;
    this.dialect = options.dialect ?? nativeDialect;
    this.codec = this.dialect.open(options.context ?? emptyContext());
    this.clock = options.clock;
    this.backlog = new CallerAudioQueue(this.maxBufferedBytes);
    const clock = options.clock;
    const interval = options.pingIntervalMs ?? 0;
    if (clock && interval > 0) {
      this.keepalive = new Keepalive({
        clock,
        intervalMs: interval,
        timeoutMs: options.pingTimeoutMs ?? 3000,
        ping: () => this.ping(),
        onDead: () => this.onPingTimeout(),
      });
    }
    ws.pause();
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('pong', () => this.keepalive?.alive());
    ws.on('error', (err) => this.log.warn({ err: err.message }, 'bot socket error'));
    ws.on('close', (code, reason) => this.onClose(code, reason.toString('utf8')));
  }

  /** Audio frames dropped so far because the bot was not reading fast enough. */
  override get framesDropped(): number {
    return this.dropped;
  }

  sendStart(msg: StartMessage, options?: StartOptions): void {
    if (!this.started) {
      this.started = true;
      for (const frame of this.codec.handshake(msg)) this.sendFrame(frame);
      this.startStream(msg);
    }
    if (options?.beforeAnswer === true || this.listening || this.stopRequested) return;
    this.listening = true;
    // Pings start with reading: until then the socket is paused, and a pong nobody reads proves nothing.
    this.keepalive?.start();
    this.ws.resume();
  }

  /** Continuous dialects: the first media right behind the opening messages, then paced silence in the gaps. */
  private startStream(msg: StartMessage): void {
    if (!this.dialect.continuousAudio || !this.clock || this.ws.readyState !== WebSocket.OPEN) return;
    const { frameMs, sampleRate } = msg.media;
    this.pacer = new CallerAudioPacer({
      clock: this.clock,
      frameMs,
      frameBytes: ((sampleRate * frameMs) / 1000) * 2,
      send: (frame) => this.offerAudio(frame),
      leadFrame: true,
    });
    this.pacer.start();
  }

  sendAudio(frame: Buffer): void {
    // Audio before start would reach the bot ahead of the format it is in; after close there is no one to hear it.
    if (!this.started || this.ws.readyState !== WebSocket.OPEN || this.stopRequested) return;
    this.pacer?.counted();
    this.offerAudio(frame);
  }

  sendEvent(e: BridgeEvent): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    const frames = this.codec.event(e);
    if (frames.length === 0) this.log.debug({ event: e.type, protocol: this.dialect.name }, 'event has no frame in this bot protocol');
    for (const frame of frames) this.sendFrame(frame);
  }

  stop(reason: string, extra?: { quality?: CallQuality }): void {
    if (this.stopRequested) return;
    this.stopRequested = true;
    this.pacer?.stop();
    this.keepalive?.stop();
    this.backlog.clear();
    if (this.ws.readyState !== WebSocket.OPEN) return;
    for (const frame of this.codec.stop(reason, extra?.quality)) this.sendFrame(frame);
    this.ws.close(wsCloseCodeOf(reason), closeReason(reason));
    // Read again (if paused before start) so the bot's close reply completes the handshake.
    this.ws.resume();
  }

  /**
   * One caller frame (real or paced silence) to the bot. While the socket is backed up it waits in the bounded
   * backlog instead (the oldest waiting frame is dropped when that is full), so what the bot reads once it catches
   * up is the most recent audio.
   */
  private offerAudio(frame: Buffer): void {
    if (this.ws.readyState !== WebSocket.OPEN || this.stopRequested) return;
    // Room may have come since the last poll: what waits goes first, oldest first.
    if (this.backlog.length > 0) this.flush();
    if (this.backlog.length > 0 || this.ws.bufferedAmount > this.maxBufferedBytes) {
      const lost = this.backlog.push(frame);
      if (lost > 0) this.countDropped(lost);
      this.drainLater();
      return;
    }
    this.sendCallerFrame(frame);
  }

  /** Encoded only once it is written, so a dropped frame takes no sequence number. */
  private sendCallerFrame(frame: Buffer): void {
    for (const out of this.codec.callerAudio(frame)) this.sendFrame(out);
  }

  private countDropped(n: number): void {
    this.dropped += n;
    for (let i = 0; i < n; i++) this.onFrameDropped?.();
    if (!this.dropping) {
      this.dropping = true;
      this.log.warn({ bufferedAmount: this.ws.bufferedAmount, waiting: this.backlog.byteLength }, 'bot is not reading; dropping the oldest caller audio');
    }
  }

  /** Writes waiting frames while the socket has room. */
  private flush(): void {
    while (this.backlog.length > 0 && this.ws.bufferedAmount <= this.maxBufferedBytes) this.sendCallerFrame(this.backlog.shift()!);
  }

  /** The poll while frames wait: writes what fits, polls again while some still wait. */
  private drain(): void {
    this.drainTimer = undefined;
    if (this.ws.readyState !== WebSocket.OPEN || this.stopRequested) return;
    this.flush();
    if (this.backlog.length > 0) {
      this.drainLater();
    } else if (this.dropping) {
      this.dropping = false;
      this.log.info({ framesDropped: this.dropped }, 'bot caught up; sending audio again');
    }
  }

  private drainLater(): void {
    if (this.drainTimer || !this.clock) return;
    this.drainTimer = this.clock.setTimeout(() => this.drain(), DRAIN_POLL_MS);
  }

  private ping(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.ping();
  }

  /** The bot stopped answering: the socket is cut (close code 1006), which makes it a drop, not a hang-up. */
  private onPingTimeout(): void {
    if (this.stopRequested || this.ws.readyState !== WebSocket.OPEN) return;
    this.pingTimedOut = true;
    this.log.warn('bot did not answer a ping in time; treating the connection as dropped');
    this.ws.terminate();
  }

  private onClose(code: number, reason: string): void {
    this.pacer?.stop();
    this.keepalive?.stop();
    this.drainTimer?.cancel();
    this.drainTimer = undefined;
    this.backlog.clear();
    if (this.pingTimedOut) this.finish({ code: 1006, reason: 'ping timeout', initiatedByBot: true, dropped: true });
    else this.finish({ code, reason, initiatedByBot: !this.stopRequested });
  }

  private sendFrame(frame: WireFrame): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    // ws copies a Buffer before masking it, so the caller may reuse `frame`.
    if (typeof frame === 'string') this.ws.send(frame);
    else this.ws.send(frame, { binary: true });
  }

  private onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    this.keepalive?.alive();
    const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    for (const input of this.codec.receive(isBinary ? buf : buf.toString('utf8'))) this.act(input);
  }

  private act(input: BotInput): void {
    switch (input.kind) {
      case 'audio':
        this.emit('audio', input.pcm);
        return;
      case 'command':
        this.emit('command', input.command);
        return;
      case 'reply':
        this.sendFrame(input.frame);
        return;
      case 'invalid':
        this.emit('protocol-error', input.error);
        return;
      case 'ignored':
        this.log.debug({ protocol: this.dialect.name, what: input.what }, 'bot message ignored');
        return;
    }
  }

  /** A throwing listener must not break the socket's receive loop (emit is safe); it is a bug, so it is logged as an error. */
  protected override onListenerError(err: unknown, event: string): void {
    this.log.error({ err, event }, 'bot session listener threw');
  }
}
