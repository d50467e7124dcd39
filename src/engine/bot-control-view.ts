/**
 * The control half of a call's bot connection, handed to call control: `start`, events, `stop`, and the
 * commands call control acts on (hangup, transfer, dtmf), and the link events of a reconnecting session. The bot's
 * audio and its playout commands (clear, mark, status) are handled by the {@link AudioRouter} in this thread.
 */
import type { BotCloseInfo, BotCommand, BotLinkEvent, BotSession, BridgeEvent, CallQuality, StartMessage, StartOptions } from '../bot/index.js';
import { TypedEmitter } from '../core/typed-emitter.js';
import type { AudioRouter } from './audio-router.js';
import type { Logger } from '../core/logger.js';

/** Commands left for call control once the router took its own. */
export type ControlCommand = Exclude<BotCommand, { type: 'clear' } | { type: 'mark' } | { type: 'status' }>;

interface ViewEvents {
  command: (cmd: ControlCommand) => void;
  close: (info: BotCloseInfo) => void;
  'protocol-error': (err: Error) => void;
  link: (e: BotLinkEvent) => void;
}

export class BotControlView {
  private readonly commands: TypedEmitter<{ command: (cmd: ControlCommand) => void }>;

  constructor(
    private readonly bot: BotSession,
    router: AudioRouter,
    log: Logger,
  ) {
    this.commands = new TypedEmitter({ onListenerError: (err) => log.error({ err }, 'bot command listener failed') });
    bot.on('command', (cmd: BotCommand) => {
      if (!router.botCommand(cmd)) this.commands.emit('command', cmd as ControlCommand);
    });
  }

  sendStart(msg: StartMessage, options?: StartOptions): void {
    this.bot.sendStart(msg, options);
  }

  sendEvent(e: BridgeEvent): void {
    this.bot.sendEvent(e);
  }

  stop(reason: string, extra?: { quality?: CallQuality }): void {
    this.bot.stop(reason, extra);
  }

  on<E extends keyof ViewEvents>(event: E, listener: ViewEvents[E]): this {
    if (event === 'command') this.commands.on('command', listener as ViewEvents['command']);
    else if (event === 'close') this.bot.on('close', listener as ViewEvents['close']);
    else if (event === 'link') this.bot.on('link', listener as ViewEvents['link']);
    else this.bot.on('protocol-error', listener as ViewEvents['protocol-error']);
    return this;
  }
}
