/**
 * The media engine that runs each call's media in this thread: RTP ports from the pool, a MediaSession per leg,
 * the bot's connection, and the {@link AudioRouter} between them. Call control sees it only through its port
 * (calls/media-engine.ts). A worker thread runs this same engine for the calls placed on it.
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { BotSession, BotTarget, ConnectContext } from '../bot/index.js';
import type { RtpPortPool } from '../media/index.js';
import { InProcessCallGroup } from './call-group.js';
import type { RecordingEvent, RecordingSettings } from './recording/settings.js';

export interface InProcessMediaEngineOptions {
  ports: RtpPortPool;
  clock: Clock;
  /** Opens a bot session (bot/connectBot, with the app's metrics hooks). */
  connectBot(target: BotTarget, ctx: ConnectContext): Promise<BotSession>;
  /** A sample of bot -> caller latencies (chunk arrival -> its first RTP packet sent), ms: one chunk in ten. */
  onSendLatencySample?(ms: number): void;
  /** Where and how calls are recorded (config `recordings`); absent: recording controls are refused. */
  recordings?: RecordingSettings;
  /** A call's recording finished (`recording-ready`: the file is in place) or failed (`recording-failed`). */
  onRecording?(e: RecordingEvent): void;
  /** A sample of caller -> bot latencies (RTP packet received -> the frame it began handed to the bot), ms: one frame in ten. */
  onReceiveLatencySample?(ms: number): void;
  /** Answer -> the bot's first audio, ms, once per call (voice-AI figure). */
  onFirstBotAudio?(ms: number): void;
  /** The bot's `clear` -> its old audio off the wire, ms (voice-AI figure). */
  onClearToSilence?(ms: number): void;
}

/** One bot chunk (caller frame) in this many is sampled for the latency metric: the figure, not every one, is wanted. */
const LATENCY_SAMPLE_EVERY = 10;

export class InProcessMediaEngine {
  private readonly groups = new Set<InProcessCallGroup>();

  private readonly groupDeps: InProcessMediaEngineOptions & { onSendLatency?(ms: number): void; onReceiveLatency?(ms: number): void };

  constructor(private readonly options: InProcessMediaEngineOptions) {
    const send = sampled(options.onSendLatencySample);
    const receive = sampled(options.onReceiveLatencySample);
    this.groupDeps = { ...options, ...(send ? { onSendLatency: send } : {}), ...(receive ? { onReceiveLatency: receive } : {}) };
  }

  /** Opens the media of one call. */
  openCall(ctx: { callId: string; logger: Logger }): InProcessCallGroup {
    const group = new InProcessCallGroup(ctx.callId, ctx.logger, this.groupDeps, () => this.groups.delete(group));
    this.groups.add(group);
    return group;
  }

  /** Every open leg's jitter-buffer delay and playout depth now (sampled for the media metrics). */
  samples(): Array<{ jitterDelayMs?: number; playoutMs: number }> {
    return [...this.groups].flatMap((g) => g.samples());
  }

  /** Calls whose media is open here. */
  get openCalls(): number {
    return this.groups.size;
  }
}

/** Passes one call in {@link LATENCY_SAMPLE_EVERY} on to `sample`. */
function sampled(sample: ((ms: number) => void) | undefined): ((ms: number) => void) | undefined {
  if (!sample) return undefined;
  let n = 0;
  return (ms) => {
    if (++n % LATENCY_SAMPLE_EVERY === 0) sample(ms);
  };
}
