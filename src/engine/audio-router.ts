/**
 * The audio inside one call: caller frames to the bot, bot audio to the caller, and after a bridged transfer
 * caller <-> destination (with the bot listening to both mixed, or to nothing). Call control sets the table
 * (sink -> sources); this module moves the frames, so audio never leaves the engine's thread.
 *
 * The bot's playout commands live here too: `clear` and `mark` act on the bot's home leg (the first leg the
 * bot was routed to: the caller), and that leg's marks go back to the bot, without a trip through call control.
 * So do the bot's buffer limits: audio beyond `maxPlayoutMs` queued on the home leg is refused with an
 * `error` (code "playout-overflow"), and `status` is answered with the playout depth and the drop counters.
 */
import type { BotCommand, BotSession } from '../bot/index.js';
import { mixL16, type MediaSession } from '../media/index.js';
import type { Logger } from '../core/logger.js';
import type { Clock } from '../core/clock.js';

/** Voice-AI figures the router can see: answer -> the bot's first audio, and which clears the bot asked for. */
export interface RouterFigures {
  clock: Clock;
  /** The bot's first audio chunk arrived, ms after the bot was first routed to a leg (the answer). */
  onFirstBotAudio?(ms: number): void;
}

/** The bot's endpoint name. */
export const BOT = 'bot';

/** Frames a secondary mix source may queue ahead of the one that sets the pace (the caller's clock drives). */
const MAX_MIX_BACKLOG = 10;

/** What routes audio needs of a leg. */
export type RoutedLeg = Pick<MediaSession, 'playAudio' | 'mark' | 'clear' | 'on' | 'off' | 'bufferedMs'>;

/** The bot's audio format and playout limit, fixed when it connects. */
export interface BotPlayout {
  /** Rate of the bot's L16 audio, Hz. */
  sampleRate: number;
  /** Most bot audio queued on its home leg, ms; a chunk that would go beyond it is refused. */
  maxPlayoutMs: number;
}

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
  private playout: BotPlayout | undefined;
  /** Bot audio refused for overflow so far, ms. */
  private refusedMs = 0;
  /** Refusing now: the bot was told once and is not told again until a chunk fits. */
  private overflowing = false;
  /** The leg the bot talks to (its marks and clears), fixed by the first route that feeds a leg from the bot. */
  private homeLeg: string | undefined;

  /** When the bot was first routed to a leg (the answer), until its first audio is reported. */
  private routedAt: number | undefined;
  private firstAudioSeen = false;
  /** Legs cleared by the bot's `clear` whose "off the wire" figure is still to come. */
  private readonly botClears = new Set<string>();

  constructor(
    private readonly log: Logger,
    private readonly figures?: RouterFigures,
  ) {}

  /** True once for a leg the bot cleared (its send path reports when the old audio left the wire). */
  takeBotClear(leg: string): boolean {
    return this.botClears.delete(leg);
  }

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

  /** The call's bot; with `playout`, its audio is held to that limit (none: unlimited, as the echo bot). */
  setBot(bot: BotSession, playout?: BotPlayout): void {
    this.bot = bot;
    this.playout = playout;
    bot.on('audio', (pcm: Buffer) => this.fromBot(pcm));
  }

  /** Bot audio queued on the home leg and not played yet, ms (0 without a home leg). */
  homeDepthMs(): number {
    const leg = this.homeLeg !== undefined ? this.legs.get(this.homeLeg) : undefined;
    return leg ? leg.bufferedMs : 0;
  }

  /**
   * Audio the bridge plays in the bot's place (hold audio while it reconnects): it goes wherever the bot's audio
   * goes, and is not held to the bot's playout limit.
   */
  playAsBot(pcm: Buffer): void {
    this.deliver(BOT, pcm);
  }

  /** Drops what the legs hearing the bot have queued (hold audio once the bot is back). No event to the bot. */
  dropBotAudio(): void {
    for (const [sink, sources] of Object.entries(this.routes)) if (sink !== BOT && sources.includes(BOT)) this.legs.get(sink)?.clear();
  }

  /**
   * Handles the bot's playout commands (`clear`, `mark`) on its home leg; true when handled, false for the
   * commands call control acts on.
   */
  botCommand(cmd: BotCommand): boolean {
    if (cmd.type === 'status') {
      this.bot?.sendEvent({
        type: 'status',
        playoutMs: Math.round(this.homeDepthMs()),
        maxPlayoutMs: this.playout?.maxPlayoutMs ?? 0,
        framesDropped: this.bot.framesDropped,
        refusedMs: Math.round(this.refusedMs),
      });
      return true;
    }
    if (cmd.type !== 'clear' && cmd.type !== 'mark') return false;
    const leg = this.homeLeg !== undefined ? this.legs.get(this.homeLeg) : undefined;
    if (cmd.type === 'mark') {
      // With no leg to play on, the mark is reached at once.
      if (leg) leg.mark(cmd.name);
      else this.bot?.sendEvent({ type: 'mark', name: cmd.name });
      return true;
    }
    if (leg && this.homeLeg !== undefined) this.botClears.add(this.homeLeg);
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
      if (this.homeLeg === undefined && sink !== BOT && sources.includes(BOT)) {
        this.homeLeg = sink;
        this.routedAt = this.figures?.clock.now();
      }
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

  /** Bot audio: refused (and the bot told, once per overflow) when the home leg's queue would pass the limit. */
  private fromBot(pcm: Buffer): void {
    if (!this.firstAudioSeen && this.routedAt !== undefined && this.figures) {
      this.firstAudioSeen = true;
      this.figures.onFirstBotAudio?.(Math.max(0, this.figures.clock.now() - this.routedAt));
    }
    const p = this.playout;
    const home = this.homeLeg;
    if (p && home !== undefined && (this.routes[home] ?? []).includes(BOT)) {
      const chunkMs = (pcm.length / 2 / p.sampleRate) * 1000;
      if (this.homeDepthMs() + chunkMs > p.maxPlayoutMs) {
        this.refusedMs += chunkMs;
        if (!this.overflowing) {
          this.overflowing = true;
          this.log.warn({ maxPlayoutMs: p.maxPlayoutMs }, 'bot audio beyond maxPlayoutSec refused');
          this.bot?.sendEvent({ type: 'error', code: 'playout-overflow', message: `playout queue full (${p.maxPlayoutMs} ms queued at most): audio refused` });
        }
        return;
      }
      this.overflowing = false;
    }
    this.deliver(BOT, pcm);
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
