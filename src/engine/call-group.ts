/**
 * One call's media in this thread: its legs (RTP ports becoming MediaSessions), its bot connection and the
 * router between them. Closing the group releases whatever is still held, whichever step failed.
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { DEFAULT_LINK, ReconnectingBotSession, type BotLinkEvent, type BotSession, type BotTarget, type ConnectContext } from '../bot/index.js';
import { MediaSession, RtpHold, type MediaQuality, type MediaSessionOptions, type RtpPortPool, type RtpSocket } from '../media/index.js';
import { AudioRouter, type BotPlayout } from './audio-router.js';
import { BotControlView } from './bot-control-view.js';
import { InProcessCallMedia } from './call-media.js';
import { HoldPlayer } from './hold-player.js';
import { promptL16 } from './prompts.js';
import { GroupRecording, type RecordedLeg } from './recording/group-recording.js';
import { LegLevels } from './leg-levels.js';
import type { RecordingAction, RecordingEvent, RecordingSettings, RecordingState } from './recording/settings.js';

/** What a leg's media is built from: the session options less what the engine owns. */
export type LegMediaOptions = Omit<MediaSessionOptions, 'clock' | 'socket' | 'held' | 'onSendLatency' | 'onReceiveLatency' | 'onClearedOnWire'>;

interface GroupDeps {
  ports: RtpPortPool;
  clock: Clock;
  connectBot(target: BotTarget, ctx: ConnectContext): Promise<BotSession>;
  /** Bot audio chunk arrival -> first RTP packet carrying it sent, ms (every chunk; the engine samples). */
  onSendLatency?(ms: number): void;
  /** Where and how calls are recorded (absent: recording controls are refused). */
  recordings?: RecordingSettings;
  /** A recording finished (file in place) or failed. */
  onRecording?(e: RecordingEvent): void;
  /** RTP packet received -> the caller audio frame it began handed to the bot, ms (every frame; the engine samples). */
  onReceiveLatency?(ms: number): void;
  /** Answer -> the bot's first audio chunk, ms (once per call). */
  onFirstBotAudio?(ms: number): void;
  /** The bot's `clear` -> its old audio off the wire (the next packet slot), ms. */
  onClearToSilence?(ms: number): void;
}

export class InProcessCallGroup {
  readonly router: AudioRouter;
  private readonly legs = new Set<InProcessMediaLeg>();
  private readonly opened = new Map<string, InProcessCallMedia>();
  private bot: BotSession | undefined;
  private hold: HoldPlayer | undefined;
  /** Set before the connection's first await: a second connectBot while the first is opening is refused. */
  private botRequested = false;
  private nextLeg = 0;
  private closed = false;
  /** Each open leg's session with its app rate (a recording taps the home leg's, behind its level meter). */
  private readonly sessions = new Map<string, { session: RecordedLeg['session']; appSampleRate: number }>();
  private readonly recording: GroupRecording;

  constructor(
    readonly callId: string,
    private readonly log: Logger,
    private readonly deps: GroupDeps,
    private readonly onClosed: () => void,
  ) {
    this.router = new AudioRouter(log, { clock: deps.clock, ...(deps.onFirstBotAudio ? { onFirstBotAudio: deps.onFirstBotAudio } : {}) });
    this.recording = new GroupRecording({
      callId,
      clock: deps.clock,
      log,
      settings: deps.recordings,
      ...(deps.onRecording ? { onEvent: deps.onRecording } : {}),
      notifyBot: (e) => this.bot?.sendEvent(e),
    });
  }

  /**
   * Starts, pauses, resumes or stops the call's recording (on the leg the bot talks to).
   * @throws RecordingError when not configured, no leg yet, or the state refuses it.
   */
  record(action: RecordingAction): RecordingState {
    this.assertOpen();
    const home = this.router.home;
    const leg = home !== undefined ? this.sessions.get(home) : undefined;
    return this.recording.control(action, leg && home !== undefined ? { id: home, ...leg } : undefined);
  }

  async allocate(options: { holdEarlyPackets?: boolean } = {}): Promise<InProcessMediaLeg> {
    this.assertOpen();
    const rtp = await this.deps.ports.allocate();
    if (this.closed) {
      rtp.close();
      throw new Error('the call ended while its RTP port was allocated');
    }
    const leg = new InProcessMediaLeg(`leg${++this.nextLeg}`, rtp, this, options.holdEarlyPackets === true);
    this.legs.add(leg);
    return leg;
  }

  async connectBot(target: BotTarget, options: { abort?: AbortSignal } = {}): Promise<BotControlView> {
    this.assertOpen();
    if (this.botRequested) throw new Error('this call already has a bot');
    this.botRequested = true;
    let bot: BotSession;
    try {
      bot = await this.deps.connectBot(target, {
        callId: this.callId,
        clock: this.deps.clock,
        logger: this.log,
        ...(options.abort ? { abort: options.abort } : {}),
      });
    } catch (err) {
      this.botRequested = false; // that attempt failed: the call may try again
      throw err;
    }
    if (this.closed) {
      bot.stop('error');
      throw new Error('the call ended while its bot was connecting');
    }
    const session = this.reconnecting(bot, target);
    this.bot = session;
    this.router.setBot(session, playoutOf(target));
    return new BotControlView(session, this.router, this.log);
  }

  /**
   * Plays a prompt file to one leg in place of what it had queued; resolves once played (or the leg closed).
   * @throws when the file cannot be read or is not a prompt (see media/prompt.ts).
   */
  async play(legId: string, file: string): Promise<void> {
    const media = this.opened.get(legId);
    if (!media) return;
    await media.play(promptL16(file, media.appSampleRate));
  }

  /**
   * A WebSocket bot with a reconnect window gets a session that reopens a dropped socket here, in the thread
   * that owns it; hold audio covers the gap. Call control hears only the link events and the final close.
   */
  private reconnecting(first: BotSession, target: BotTarget): BotSession {
    const link = target.link ?? DEFAULT_LINK;
    if (target.url === undefined || link.reconnectMs <= 0) return first;
    const session = new ReconnectingBotSession(first, {
      clock: this.deps.clock,
      logger: this.log,
      reconnectMs: link.reconnectMs,
      connect: ({ timeoutMs, abort }) =>
        this.deps.connectBot(
          // Each attempt may take no longer than what is left of the window.
          { ...target, connectTimeoutMs: Math.max(1, Math.min(target.connectTimeoutMs, Math.ceil(timeoutMs))) },
          { callId: this.callId, clock: this.deps.clock, logger: this.log, abort },
        ),
    });
    session.on('link', (e) => this.onLink(e, target));
    // Stopped during an outage (the call ended, or a transfer took the caller): no 'resumed'/'lost' follows.
    session.on('close', () => {
      this.hold?.stop();
      this.hold = undefined;
    });
    return session;
  }

  /** Hold audio while the bot is away (when configured); what is left of it goes once the bot is back. */
  private onLink(e: BotLinkEvent, target: BotTarget): void {
    const holdFile = target.link?.holdFile;
    if (e.state === 'reconnecting') {
      if (holdFile === undefined || this.closed) return;
      try {
        const pcm = promptL16(holdFile, target.sampleRate);
        this.hold = new HoldPlayer(this.deps.clock, pcm, target.sampleRate, { depthMs: () => this.router.homeDepthMs(), play: (chunk) => this.router.playAsBot(chunk) });
        this.hold.start();
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'hold file not played');
      }
      return;
    }
    const played = this.hold?.stop() ?? false;
    this.hold = undefined;
    if (e.state === 'resumed' && played) this.router.dropBotAudio();
  }

  route(routes: Readonly<Record<string, readonly string[]>>): void {
    if (!this.closed) this.router.route(routes);
  }

  /** Releases every leg and the bot (a bot not stopped yet by call control gets `stop` "error"). Safe twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.recording.close();
    this.hold?.stop();
    for (const leg of this.legs) leg.dispose();
    this.legs.clear();
    this.bot?.stop('error');
    this.onClosed();
  }

  /** A leg's session, once opened. */
  openSession(leg: InProcessMediaLeg, options: LegMediaOptions, rtp: RtpSocket, held: RtpHold | undefined): InProcessCallMedia {
    const { onSendLatency, onReceiveLatency } = this.deps;
    const onClear = this.deps.onClearToSilence;
    // Only the bot's own clears count: route changes and hold-audio drops clear legs too.
    const onClearedOnWire = onClear ? (ms: number) => (this.router.takeBotClear(leg.id) ? onClear(ms) : undefined) : undefined;
    const session = new MediaSession({
      ...options,
      clock: this.deps.clock,
      socket: rtp,
      ...(held ? { held } : {}),
      ...(onSendLatency ? { onSendLatency } : {}),
      ...(onReceiveLatency ? { onReceiveLatency } : {}),
      ...(onClearedOnWire ? { onClearedOnWire } : {}),
    });
    this.router.addLeg(leg.id, session);
    const levels = new LegLevels(this.deps.clock, options.appSampleRate);
    session.on('frame', levels.onFrame);
    session.setPlayedTap(levels.onPlayed);
    // The session has one played tap, the meter's: a recording's tap goes behind it.
    const tapped: RecordedLeg['session'] = { on: (e, l) => session.on(e, l), off: (e, l) => session.off(e, l), setPlayedTap: (tap) => levels.forwardPlayed(tap) };
    this.sessions.set(leg.id, { session: tapped, appSampleRate: options.appSampleRate });
    const media = new InProcessCallMedia(
      leg.id,
      session,
      () => {
        this.recording.legClosed(leg.id);
        this.sessions.delete(leg.id);
        this.router.removeLeg(leg.id);
        this.legs.delete(leg);
        this.opened.delete(leg.id);
      },
      options.appSampleRate,
      levels,
    );
    this.opened.set(leg.id, media);
    return media;
  }

  /** Every open leg's figures now. */
  samples(): Array<{ jitterDelayMs?: number; playoutMs: number }> {
    return [...this.opened.values()].map((m) => m.sample());
  }

  /** Loss, jitter and RTT of the leg the bot talks to (the caller), for the bot's `stop`. */
  homeQuality(): MediaQuality | undefined {
    const home = this.router.home;
    return home !== undefined ? this.opened.get(home)?.quality : undefined;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the call media is closed');
  }
}

/** A WebSocket bot's audio is held to its maxPlayoutSec; the echo bot's is not (it only returns what it heard). */
function playoutOf(target: BotTarget): BotPlayout | undefined {
  if (target.url === undefined) return undefined;
  return { sampleRate: target.sampleRate, maxPlayoutMs: (target.link ?? DEFAULT_LINK).maxPlayoutSec * 1000 };
}

/** One bound RTP port on its way to becoming a leg's media. */
export class InProcessMediaLeg {
  private readonly hold: RtpHold | undefined;
  private media: InProcessCallMedia | undefined;
  private state: 'allocated' | 'open' | 'released' = 'allocated';

  constructor(
    readonly id: string,
    private readonly rtp: RtpSocket,
    private readonly group: InProcessCallGroup,
    holdEarlyPackets: boolean,
  ) {
    this.hold = holdEarlyPackets ? new RtpHold(rtp) : undefined;
  }

  get port(): number {
    return this.rtp.port;
  }

  answered(): void {
    this.hold?.answered();
  }

  open(options: LegMediaOptions): InProcessCallMedia {
    if (this.state !== 'allocated') throw new Error(`media leg on port ${this.port} is already ${this.state}`);
    this.media = this.group.openSession(this, options, this.rtp, this.hold);
    this.state = 'open';
    return this.media;
  }

  release(): void {
    if (this.state !== 'allocated') return;
    this.state = 'released';
    this.hold?.release();
    this.rtp.close();
  }

  /** Whatever state it is in: media closed, or the bare port released. */
  dispose(): void {
    if (this.media) this.media.close();
    else this.release();
  }
}
