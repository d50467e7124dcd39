/**
 * One call's connection to its bot, whatever carries it (a WebSocket, an in-process bot). Call control talks
 * only to {@link BotSession}; it never sees sockets.
 */
import { TypedEmitter } from '../core/typed-emitter.js';
import type { BotCommand, BridgeEvent, CallQuality, StartMessage } from './protocols/native.js';

/** How a bot session ended. */
export interface BotCloseInfo {
  /** WebSocket close code (1000 normal, 1006 connection lost). */
  code: number;
  reason: string;
  /** True when the bot (or the network) ended it, false when we called {@link BotSession.stop}. */
  initiatedByBot: boolean;
  /**
   * True when the connection was lost rather than closed by a bot hanging up (see {@link isDropClose}), and no
   * reconnect brought it back: call control then runs the call's fallback instead of just hanging up.
   */
  dropped?: boolean;
}

/**
 * What happened to a call's link to its bot, for sessions that reconnect: it dropped and a new socket is being
 * opened, a new socket took over (the bot got `start` again with `resumed: true`), or the reconnect window passed
 * (a 'close' with `dropped: true` follows at once).
 */
export type BotLinkEvent =
  | { state: 'reconnecting'; code: number; reason: string }
  | { state: 'resumed'; downMs: number; attempts: number }
  | { state: 'lost'; downMs: number; attempts: number };

/** How {@link BotSession.sendStart} is called. */
export interface StartOptions {
  /**
   * The call is not answered yet (its 200 OK is about to go): the opening messages go now and the caller-audio
   * stream starts (paced silence for dialects that stream continuously), but what the bot sends stays unread, held
   * back in the socket, until `sendStart` is called again without this flag. Nothing the bot says before the
   * answer is lost, and a bot that waits for its first media before it says anything (Plivo) is not kept waiting
   * for the caller's ACK.
   */
  beforeAnswer?: boolean;
}

export interface BotSession {
  /**
   * Sends the `start` message (the dialect's opening messages) and begins reading what the bot sends. Bot messages
   * are held back until this is called without `beforeAnswer`, so attach listeners first. The opening messages go
   * once, whichever call sends them.
   */
  sendStart(msg: StartMessage, options?: StartOptions): void;
  /**
   * Sends one L16 frame of caller audio. Dropped (and counted) when the transport is backed up, so a slow
   * bot never grows our memory. Frames sent before {@link sendStart} or after close are ignored.
   */
  sendAudio(frame: Buffer): void;
  sendEvent(e: BridgeEvent): void;
  /** Sends `{type:'stop',reason[,quality]}` then closes normally (1000). Safe to call more than once. */
  stop(reason: string, extra?: { quality?: CallQuality }): void;
  /** Bot audio (L16, even length). */
  on(event: 'audio', l: (pcm: Buffer) => void): this;
  on(event: 'command', l: (cmd: BotCommand) => void): this;
  /** Emitted once. A listener added after the close is called right away (on a microtask). */
  on(event: 'close', l: (info: BotCloseInfo) => void): this;
  /** The bot sent something invalid; the session has answered `{type:'error'}` and carries on. */
  on(event: 'protocol-error', l: (err: Error) => void): this;
  /** Reconnecting sessions only: the link dropped, came back, or was lost. */
  on(event: 'link', l: (e: BotLinkEvent) => void): this;
  /** Caller audio frames dropped so far because the bot was not reading fast enough (0 where nothing drops). */
  readonly framesDropped: number;
}

/** The events of a {@link BotSession}, as typed listeners (see the `on` overloads there). */
export interface BotSessionEvents {
  audio: (pcm: Buffer) => void;
  command: (cmd: BotCommand) => void;
  close: (info: BotCloseInfo) => void;
  'protocol-error': (err: Error) => void;
  link: (e: BotLinkEvent) => void;
}

/**
 * Shared event plumbing: 'close' fires once and is replayed to late listeners. Listener errors go to
 * {@link TypedEmitter.onListenerError} (a subclass with a logger logs them).
 */
export abstract class BaseBotSession extends TypedEmitter<BotSessionEvents> {
  private closeInfo: BotCloseInfo | undefined;

  /** Caller audio frames dropped for backpressure; sessions that drop none keep 0. */
  get framesDropped(): number {
    return 0;
  }

  /** True once the session has closed. */
  get closed(): boolean {
    return this.closeInfo !== undefined;
  }

  override on<K extends keyof BotSessionEvents>(event: K, listener: BotSessionEvents[K]): this {
    const info = this.closeInfo;
    if (event === 'close' && info !== undefined) {
      const late = listener as BotSessionEvents['close'];
      queueMicrotask(() => {
        try {
          late.call(this, info);
        } catch (err) {
          this.onListenerError(err, 'close');
        }
      });
      return this;
    }
    return super.on(event, listener);
  }

  /** Marks the session closed and notifies listeners once. */
  protected finish(info: BotCloseInfo): void {
    if (this.closeInfo) return;
    this.closeInfo = info;
    this.emit('close', info);
    this.removeAllListeners('close');
  }
}
