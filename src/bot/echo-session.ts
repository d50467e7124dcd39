import type { BridgeEvent, StartMessage } from './protocols/native.js';
import { BaseBotSession, type BotSession } from './session.js';

export interface EchoBotSessionOptions {
  /** Frames held back before being echoed: 0 echoes each frame as it arrives. */
  delayFrames?: number;
}

/**
 * The builtin echo bot, in process, no socket: every caller frame comes back as bot audio, optionally
 * `delayFrames` frames later. Events and commands mean nothing to it. Used for smoke tests and the default config.
 */
export class EchoBotSession extends BaseBotSession implements BotSession {
  private readonly delayFrames: number;
  private readonly queue: Buffer[] = [];
  private started = false;

  constructor(options: EchoBotSessionOptions = {}) {
    super();
    this.delayFrames = Math.max(0, Math.floor(options.delayFrames ?? 0));
  }

  sendStart(_msg: StartMessage): void {
    this.started = true;
  }

  sendAudio(frame: Buffer): void {
    if (!this.started || this.closed) return;
    // Copy: the caller may reuse its frame buffer, and a delayed frame outlives this call.
    this.queue.push(Buffer.from(frame));
    while (this.queue.length > this.delayFrames) {
      this.emit('audio', this.queue.shift() as Buffer);
    }
  }

  sendEvent(_e: BridgeEvent): void {
    // An echo bot has nothing to say about marks, clears or errors.
  }

  stop(reason: string): void {
    this.queue.length = 0;
    this.finish({ code: 1000, reason, initiatedByBot: false });
  }
}
