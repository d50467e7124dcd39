/**
 * A call's bot connection that survives a dropped socket. It stands in front of the real session (one per
 * socket): when that one drops (see {@link isDropClose}: a lost connection, a ping timeout, a server going away;
 * never a bot hanging up, never our own `stop`), new sockets are tried for `reconnectMs`. The first that opens
 * gets the dialect's `start` again, for the same call, with `resumed: true` (native), then what call control said
 * meanwhile; audio flows again. If none opens in time, the session closes with `dropped: true` and call control
 * runs the call's fallback.
 *
 * It runs where the socket lives (the call's engine group, possibly a media worker thread): call control sees
 * only its 'link' events (reconnecting, resumed, lost) and, at the very end, one 'close'.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { isDropClose } from './link-policy.js';
import type { BridgeEvent, CallQuality, StartMessage } from './protocols/native.js';
import { BaseBotSession, type BotCloseInfo, type BotSession, type StartOptions } from './session.js';

/** What a {@link ReconnectingBotSession} needs besides its first session. */
export interface ReconnectingOptions {
  clock: Clock;
  logger: Logger;
  /** The reconnect window, ms (> 0). */
  reconnectMs: number;
  /** Opens one new session; `timeoutMs` bounds the attempt (the rest of the window), `abort` ends it at once. */
  connect(attempt: { timeoutMs: number; abort: AbortSignal }): Promise<BotSession>;
  /** Pause between failed attempts, ms (default 250): a refused connection fails in a millisecond. */
  retryMs?: number;
}

/** Events for the bot said while no socket was open: delivered after the new `start`, the most recent kept. */
const MAX_QUEUED_EVENTS = 64;

interface Outage {
  since: number;
  attempts: number;
  /** How the dropped socket closed: the close reported if it never comes back. */
  first: BotCloseInfo;
  abort: AbortController | undefined;
  deadline: TimerHandle;
  retry: TimerHandle | undefined;
}

/** A {@link BotSession} that reopens a dropped socket within a window (see the module comment). */
export class ReconnectingBotSession extends BaseBotSession implements BotSession {
  private current: BotSession | undefined;
  private outage: Outage | undefined;
  private start: StartMessage | undefined;
  /** Some socket got `start`: a later one resumes the call. */
  private startSent = false;
  /** Call control let the bot's messages through (see {@link StartOptions.beforeAnswer}). */
  private listening = false;
  private answered = false;
  private stopReason: string | undefined;
  private readonly queued: BridgeEvent[] = [];
  /** Frames the sockets before this one dropped. */
  private droppedBefore = 0;
  private readonly retryMs: number;

  constructor(
    first: BotSession,
    private readonly o: ReconnectingOptions,
  ) {
    super();
    this.retryMs = o.retryMs ?? 250;
    this.attach(first);
  }

  /** True while a dropped socket is being replaced. */
  get reconnecting(): boolean {
    return this.outage !== undefined;
  }

  override get framesDropped(): number {
    return this.droppedBefore + (this.current?.framesDropped ?? 0);
  }

  sendStart(msg: StartMessage, options?: StartOptions): void {
    this.start ??= msg;
    if (options?.beforeAnswer !== true) this.listening = true;
    if (this.current) {
      this.startSent = true;
      if (this.listening) this.current.sendStart(this.start);
      else this.current.sendStart(this.start, { beforeAnswer: true });
    }
  }

  sendAudio(frame: Buffer): void {
    // While no socket is open the caller's audio is lost: the bot hears from the moment it is back.
    this.current?.sendAudio(frame);
  }

  sendEvent(e: BridgeEvent): void {
    if (e.type === 'answered') this.answered = true;
    if (this.current) {
      this.current.sendEvent(e);
      return;
    }
    if (!this.outage) return;
    this.queued.push(e);
    if (this.queued.length > MAX_QUEUED_EVENTS) this.queued.shift();
  }

  stop(reason: string, extra?: { quality?: CallQuality }): void {
    if (this.stopReason !== undefined) return;
    this.stopReason = reason;
    if (this.current) {
      this.current.stop(reason, extra);
      return;
    }
    const outage = this.outage;
    if (!outage) return;
    this.endOutage(outage);
    this.finish({ code: 1000, reason, initiatedByBot: false });
  }

  private attach(s: BotSession): void {
    this.current = s;
    s.on('audio', (pcm) => {
      if (this.current === s) this.emit('audio', pcm);
    });
    s.on('command', (cmd) => {
      if (this.current === s) this.emit('command', cmd);
    });
    s.on('protocol-error', (err) => {
      if (this.current === s) this.emit('protocol-error', err);
    });
    s.on('close', (info) => this.onClose(s, info));
  }

  private onClose(s: BotSession, info: BotCloseInfo): void {
    if (this.current !== s) return;
    this.current = undefined;
    this.droppedBefore += s.framesDropped;
    const drop = isDropClose(info);
    if (this.stopReason !== undefined || !drop) {
      this.finish(info);
      return;
    }
    this.o.logger.warn({ code: info.code, reason: info.reason, reconnectMs: this.o.reconnectMs }, 'bot connection dropped; reconnecting');
    const outage: Outage = {
      since: this.o.clock.now(),
      attempts: 0,
      first: info,
      abort: undefined,
      retry: undefined,
      deadline: this.o.clock.setTimeout(() => this.lose(outage), this.o.reconnectMs),
    };
    this.outage = outage;
    this.emit('link', { state: 'reconnecting', code: info.code, reason: info.reason });
    this.attempt(outage);
  }

  private attempt(outage: Outage): void {
    if (this.outage !== outage) return;
    outage.retry = undefined;
    const remaining = outage.since + this.o.reconnectMs - this.o.clock.now();
    if (remaining <= 0) return this.lose(outage);
    outage.attempts++;
    const abort = new AbortController();
    outage.abort = abort;
    this.o.connect({ timeoutMs: remaining, abort: abort.signal }).then(
      (s) => this.opened(outage, s),
      (err: unknown) => {
        if (this.outage !== outage) return;
        this.o.logger.info({ attempt: outage.attempts, err: (err as Error).message }, 'bot reconnect attempt failed');
        outage.retry = this.o.clock.setTimeout(() => this.attempt(outage), this.retryMs);
      },
    );
  }

  private opened(outage: Outage, s: BotSession): void {
    if (this.outage !== outage) {
      // The window closed (or the call ended) while this socket opened: nobody is there to use it.
      s.stop(this.stopReason ?? 'error');
      return;
    }
    const pending = this.queued.splice(0);
    this.endOutage(outage);
    this.attach(s);
    const downMs = this.o.clock.now() - outage.since;
    if (this.start) {
      // The same call: its ids again; `early` only while the call had not been answered.
      const { early: _early, ...rest } = this.start;
      const again: StartMessage = { ...(this.answered ? rest : this.start), ...(this.startSent ? { resumed: true } : {}) };
      this.startSent = true;
      if (this.listening) s.sendStart(again);
      else s.sendStart(again, { beforeAnswer: true });
    }
    for (const e of pending) s.sendEvent(e);
    this.o.logger.info({ downMs: Math.round(downMs), attempts: outage.attempts }, 'bot connection resumed');
    this.emit('link', { state: 'resumed', downMs, attempts: outage.attempts });
  }

  private lose(outage: Outage): void {
    if (this.outage !== outage) return;
    this.endOutage(outage);
    const downMs = this.o.clock.now() - outage.since;
    this.o.logger.warn({ downMs: Math.round(downMs), attempts: outage.attempts }, 'bot did not come back within reconnectMs');
    this.emit('link', { state: 'lost', downMs, attempts: outage.attempts });
    this.finish({ ...outage.first, dropped: true });
  }

  private endOutage(outage: Outage): void {
    this.outage = undefined;
    outage.deadline.cancel();
    outage.retry?.cancel();
    outage.abort?.abort();
    this.queued.length = 0;
  }
}
