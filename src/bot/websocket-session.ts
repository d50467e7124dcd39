import WebSocket from 'ws';
import { BotProtocolError } from '../core/errors.js';
import { wsCloseCodeOf } from '../core/failures.js';
import type { Logger } from '../core/logger.js';
import { encodeBridgeEvent, parseBotCommand, type BridgeEvent, type CallQuality, type StartMessage } from './protocols/native.js';
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
}

/** WebSocket close reasons are limited to 123 bytes. */
function closeReason(reason: string): string {
  const buf = Buffer.from(reason, 'utf8');
  return buf.length <= 123 ? reason : buf.subarray(0, 123).toString('utf8').replace(/\uFFFD+$/, '');
}

/**
 * A bot over an open `ws` client socket. Text frames are JSON commands, binary frames are L16 audio.
 * The socket is paused until {@link sendStart}, so nothing the bot sends is lost before call control has
 * attached its listeners (the 200 OK/ACK happen between connect and start).
 */
export class WebSocketBotSession extends BaseBotSession implements BotSession {
  private readonly log: Logger;
  private readonly maxBufferedBytes: number;
  private readonly onFrameDropped: (() => void) | undefined;
  private started = false;
  private stopRequested = false;
  /** Odd trailing byte of the previous binary message (a sample split across messages), or -1. */
  private carryByte = -1;
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
    ws.pause();
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('error', (err) => this.log.warn({ err: err.message }, 'bot socket error'));
    ws.on('close', (code, reason) =>
      this.finish({ code, reason: reason.toString('utf8'), initiatedByBot: !this.stopRequested }),
    );
  }

  /** Audio frames dropped so far because the bot was not reading fast enough. */
  get framesDropped(): number {
    return this.dropped;
  }

  sendStart(msg: StartMessage): void {
    if (this.started) return;
    this.started = true;
    this.sendEvent(msg);
    this.ws.resume();
  }

  sendAudio(frame: Buffer): void {
    // Audio before start would reach the bot ahead of the format it is in; after close there is no one to hear it.
    if (!this.started || this.ws.readyState !== WebSocket.OPEN || this.stopRequested) return;
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
    // ws copies a Buffer before masking it, so the caller may reuse `frame`.
    this.ws.send(frame, { binary: true });
  }

  sendEvent(e: BridgeEvent): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(encodeBridgeEvent(e));
  }

  stop(reason: string, extra?: { quality?: CallQuality }): void {
    if (this.stopRequested) return;
    this.stopRequested = true;
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(encodeBridgeEvent(extra?.quality ? { type: 'stop', reason, quality: extra.quality } : { type: 'stop', reason }));
    this.ws.close(wsCloseCodeOf(reason), closeReason(reason));
    // Read again (if paused before start) so the bot's close reply completes the handshake.
    this.ws.resume();
  }

  private onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (isBinary) {
      this.onAudio(buf);
      return;
    }
    let cmd;
    try {
      cmd = parseBotCommand(buf.toString('utf8'));
    } catch (err) {
      if (!(err instanceof BotProtocolError)) throw err;
      this.emit('protocol-error', err);
      this.sendEvent({ type: 'error', message: err.message });
      return;
    }
    this.emit('command', cmd);
  }

  private onAudio(buf: Buffer): void {
    let pcm = buf;
    if (this.carryByte >= 0) {
      pcm = Buffer.allocUnsafe(buf.length + 1);
      pcm[0] = this.carryByte;
      buf.copy(pcm, 1);
      this.carryByte = -1;
    }
    if (pcm.length % 2 === 1) {
      this.carryByte = pcm[pcm.length - 1];
      pcm = pcm.subarray(0, pcm.length - 1);
    }
    if (pcm.length > 0) this.emit('audio', pcm);
  }

  /** A throwing listener must not break the socket's receive loop (emit is safe); it is a bug, so it is logged as an error. */
  protected override onListenerError(err: unknown, event: string): void {
    this.log.error({ err, event }, 'bot session listener threw');
  }
}
