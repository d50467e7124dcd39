/**
 * The audio inside one call: caller frames to the bot, bot audio to the caller, and after a bridged transfer
 * caller <-> destination (with the bot listening to both mixed, or to nothing). Call control sets the table
 * (sink -> sources); this module moves the frames, so audio never leaves the engine's thread.
 *
 * The bot's playout commands live here too: `clear` and `mark` act on the bot's home leg (the first leg the
 * bot was routed to: the caller), and that leg's marks go back to the bot, without a trip through call control.
 */
import type { BotCommand, BotSession } from '../bot/index.js';
import { mixL16, type MediaSession } from '../media/index.js';
import type { Logger } from '../core/logger.js';

/** The bot's endpoint name. */
export const BOT = 'bot';

/** Frames a secondary mix source may queue ahead of the one that sets the pace (the caller's clock drives). */
const MAX_MIX_BACKLOG = 10;

/** What routes audio needs of a leg. */
export type RoutedLeg = Pick<MediaSession, 'playAudio' | 'mark' | 'clear' | 'on' | 'off'>;

/** One sink and how it hears its sources. */
interface SinkPlan {
  sink: string;
  sources: readonly string[];
  /** Frames queued from each source but the first (mixing only). */
  backlog: Map<string, Buffer[]>;
}

export class AudioRouter {
  private readonly legs = new Map<string, RoutedLeg>();
  private bot: BotSession | undefined;
  /** For each source, the sinks it feeds. */
  private bySource = new Map<string, SinkPlan[]>();
  private routes: Readonly<Record<string, readonly string[]>> = {};
  /** The leg the bot talks to (its marks and clears), fixed by the first route that feeds a leg from the bot. */
  private homeLeg: string | undefined;

  constructor(private readonly log: Logger) {}

  /** The leg the bot talks to, once routed. */
  get home(): string | undefined {
    return this.homeLeg;
  }

  addLeg(id: string, leg: RoutedLeg): void {
    this.legs.set(id, leg);
    leg.on('frame', (frame: Buffer) => this.deliver(id, frame));
    leg.on('mark', (name: string) => {
      if (id === this.homeLeg) this.bot?.sendEvent({ type: 'mark', name });
    });
  }

  removeLeg(id: string): void {
    this.legs.delete(id);
  }

  setBot(bot: BotSession): void {
    this.bot = bot;
    bot.on('audio', (pcm: Buffer) => this.deliver(BOT, pcm));
  }

  /**
   * Handles the bot's playout commands (`clear`, `mark`) on its home leg; true when handled, false for the
   * commands call control acts on.
   */
  botCommand(cmd: BotCommand): boolean {
    if (cmd.type !== 'clear' && cmd.type !== 'mark') return false;
    const leg = this.homeLeg !== undefined ? this.legs.get(this.homeLeg) : undefined;
    if (cmd.type === 'mark') {
      // With no leg to play on, the mark is reached at once.
      if (leg) leg.mark(cmd.name);
      else this.bot?.sendEvent({ type: 'mark', name: cmd.name });
      return true;
    }
    const { playedMs, lastMark } = leg ? leg.clear() : { playedMs: 0, lastMark: undefined };
    this.bot?.sendEvent(lastMark === undefined ? { type: 'cleared', playedMs } : { type: 'cleared', playedMs, lastMark });
    return true;
  }

  /** Replaces the table. A leg that stops hearing the bot drops the bot audio it had queued. */
  route(routes: Readonly<Record<string, readonly string[]>>): void {
    for (const [sink, sources] of Object.entries(this.routes)) {
      if (sink !== BOT && sources.includes(BOT) && !(routes[sink] ?? []).includes(BOT)) this.legs.get(sink)?.clear();
    }
    this.routes = routes;
    const bySource = new Map<string, SinkPlan[]>();
    for (const [sink, sources] of Object.entries(routes)) {
      if (sources.length === 0) continue;
      if (this.homeLeg === undefined && sink !== BOT && sources.includes(BOT)) this.homeLeg = sink;
      const plan: SinkPlan = { sink, sources, backlog: new Map(sources.slice(1).map((s) => [s, []] as const)) };
      for (const source of sources) {
        const list = bySource.get(source);
        if (list) list.push(plan);
        else bySource.set(source, [plan]);
      }
    }
    this.bySource = bySource;
    this.log.debug({ routes }, 'audio routes');
  }

  /** Hot path: one frame (leg) or chunk (bot) from `source`, to every sink that hears it. */
  private deliver(source: string, audio: Buffer): void {
    const plans = this.bySource.get(source);
    if (plans === undefined) return;
    for (let i = 0; i < plans.length; i++) {
      const plan = plans[i];
      if (plan.sources.length === 1) this.send(plan.sink, audio);
      else this.mix(plan, source, audio);
    }
  }

  /** The first source sets the pace; the others' frames are queued (bounded) and mixed into its frames. */
  private mix(plan: SinkPlan, source: string, audio: Buffer): void {
    if (source !== plan.sources[0]) {
      const q = plan.backlog.get(source)!;
      q.push(audio);
      if (q.length > MAX_MIX_BACKLOG) q.shift();
      return;
    }
    let out = audio;
    for (const q of plan.backlog.values()) out = mixL16(out, q.shift());
    this.send(plan.sink, out);
  }

  private send(sink: string, audio: Buffer): void {
    if (sink === BOT) this.bot?.sendAudio(audio);
    else this.legs.get(sink)?.playAudio(audio);
  }
}
