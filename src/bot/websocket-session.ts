import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import type { Clock } from '../core/clock.js';
import { wsCloseCodeOf } from '../core/failures.js';
import type { Logger } from '../core/logger.js';
import { CallerAudioPacer } from './caller-audio-pacer.js';
import type { BotInput, Dialect, DialectCodec, DialectContext, WireFrame } from './protocols/dialect.js';
import { nativeDialect, type BridgeEvent, type CallQuality, type StartMessage } from './protocols/native.js';
import { BaseBotSession, type BotSession } from './session.js';

export interface WebSocketBotSessionOptions {
  logger: Logger;
  /**
   * Audio frames are dropped while the socket has more than this many bytes queued. Default 64 KiB
   * (about 1.3 s of 24 kHz L16): enough to ride out a hiccup, small enough that a stuck bot costs little.
   */
  maxBufferedBytes?: number;
  /** Called for every dropped frame (metrics). */
  onFrameDropped?: () => void;
  /** The wire protocol spoken on the socket. Default: native (protocol v1). */
  dialect?: Dialect;
  /** The call the dialect frames (ids, parameters, rate). Default: an empty one, enough for native. */
  context?: DialectContext;
  /** Paces silence into gaps of caller audio for dialects that stream continuously; without it, none is added. */
  clock?: Clock;
}

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
 * The socket is paused until {@link sendStart}, so nothing the bot sends is lost before call control has
 * attached its listeners (the 200 OK/ACK happen between connect and start).
 */
export class WebSocketBotSession extends BaseBotSession implements BotSession {
  private readonly log: Logger;
  private readonly maxBufferedBytes: number;
  private readonly onFrameDropped: (() => void) | undefined;
  private readonly dialect: Dialect;
  private readonly codec: DialectCodec;
  private readonly clock: Clock | undefined;
  private pacer: CallerAudioPacer | undefined;
  private started = false;
  private stopRequested = false;
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
    ws.pause();
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('error', (err) => this.log.warn({ err: err.message }, 'bot socket error'));
    ws.on('close', (code, reason) => {
      this.pacer?.stop();
      this.finish({ code, reason: reason.toString('utf8'), initiatedByBot: !this.stopRequested });
    });
  }

  /** Audio frames dropped so far because the bot was not reading fast enough. */
  get framesDropped(): number {
    return this.dropped;
  }

  sendStart(msg: StartMessage): void {
    if (this.started) return;
    this.started = true;
    for (const frame of this.codec.handshake(msg)) this.sendFrame(frame);
    if (this.dialect.continuousAudio && this.clock && this.ws.readyState === WebSocket.OPEN) {
      const { frameMs, sampleRate } = msg.media;
      this.pacer = new CallerAudioPacer({
        clock: this.clock,
        frameMs,
        frameBytes: ((sampleRate * frameMs) / 1000) * 2,
        send: (frame) => this.offerAudio(frame),
      });
      this.pacer.start();
    }
    this.ws.resume();
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
    if (this.ws.readyState !== WebSocket.OPEN) return;
    for (const frame of this.codec.stop(reason, extra?.quality)) this.sendFrame(frame);
    this.ws.close(wsCloseCodeOf(reason), closeReason(reason));
    // Read again (if paused before start) so the bot's close reply completes the handshake.
    this.ws.resume();
  }

  /** One caller frame (real or paced silence) to the bot, unless the socket is backed up. */
  private offerAudio(frame: Buffer): void {
    if (this.ws.readyState !== WebSocket.OPEN || this.stopRequested) return;
    if (this.ws.bufferedAmount > this.maxBufferedBytes) {
      this.dropped++;
      this.onFrameDropped?.();
      if (!this.dropping) {
        this.dropping = true;
        this.log.warn({ bufferedAmount: this.ws.bufferedAmount }, 'bot is not reading; dropping audio frames');
      }
      return;
    }
    if (this.dropping) {
      this.dropping = false;
      this.log.info({ framesDropped: this.dropped }, 'bot caught up; sending audio again');
    }
    // Encoded only once it will be sent, so a dropped frame takes no sequence number.
    for (const out of this.codec.callerAudio(frame)) this.sendFrame(out);
  }

  private sendFrame(frame: WireFrame): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    // ws copies a Buffer before masking it, so the caller may reuse `frame`.
    if (typeof frame === 'string') this.ws.send(frame);
    else this.ws.send(frame, { binary: true });
  }

  private onMessage(data: WebSocket.RawData, isBinary: boolean): void {
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
