/**
 * Keeps caller audio flowing to a bot whose dialect expects a stream without gaps (telephony providers send
 * media every 20 ms from the start, silence included). The media path delivers a frame only when the caller's
 * RTP brings one (none before the first packet, none during silence suppression, hold or a DTMF-only stretch);
 * this pacer fills what falls behind the wall clock with silent frames.
 *
 * It counts every frame offered to the bot (real or silent, sent or dropped for backpressure) against the time
 * since {@link CallerAudioPacer.start}. Only a stream more than `slackMs` behind is topped up, to `slackMs`
 * behind: the jitter buffer's own bursts never get silence spliced into speech, and a caller whose frames
 * arrive ahead (a faster clock, a burst after a stall) is never held back.
 */
import type { Clock, TimerHandle } from '../core/clock.js';

/** How far behind real time the stream may fall before silence is added, ms. */
const DEFAULT_SLACK_MS = 100;

/** What a {@link CallerAudioPacer} paces and where its silence goes. */
export interface CallerAudioPacerOptions {
  clock: Clock;
  /** Length of one frame, ms. */
  frameMs: number;
  /** Bytes of one silent L16 frame. */
  frameBytes: number;
  /** Offers one frame (silence) to the bot. */
  send(frame: Buffer): void;
  slackMs?: number;
  /**
   * Sends one silent frame at {@link CallerAudioPacer.start} when nothing was offered yet (default false): the
   * stream's first media follows the opening messages at once, for bots whose handshake includes it (Plivo).
   */
  leadFrame?: boolean;
}

/** Tops one bot's caller-audio stream up with silence to within `slackMs` of the wall clock. */
export class CallerAudioPacer {
  private readonly silence: Buffer;
  private readonly slackMs: number;
  private startedAt = Number.NaN;
  /** Milliseconds of audio offered so far. */
  private offeredMs = 0;
  private ticks = 0;
  private timer: TimerHandle | undefined;
  private stopped = false;
  private silent = 0;

  constructor(private readonly o: CallerAudioPacerOptions) {
    this.silence = Buffer.alloc(o.frameBytes);
    this.slackMs = o.slackMs ?? DEFAULT_SLACK_MS;
  }

  /** Silent frames sent so far. */
  get silentFrames(): number {
    return this.silent;
  }

  /** Starts the clock: the stream is due from now. */
  start(): void {
    if (this.stopped || !Number.isNaN(this.startedAt)) return;
    this.startedAt = this.o.clock.now();
    if (this.o.leadFrame === true && this.offeredMs === 0) this.sendSilence();
    this.schedule();
  }

  /** A real frame was offered to the bot. */
  counted(): void {
    this.offeredMs += this.o.frameMs;
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Ticks on the frame grid from the start, so the pace does not drift with timer lateness. */
  private schedule(): void {
    const next = this.startedAt + ++this.ticks * this.o.frameMs;
    this.timer = this.o.clock.setTimeout(() => this.tick(), Math.max(0, next - this.o.clock.now()));
  }

  private tick(): void {
    if (this.stopped) return;
    const due = this.o.clock.now() - this.startedAt - this.slackMs;
    while (this.offeredMs + this.o.frameMs <= due && !this.stopped) this.sendSilence();
    if (!this.stopped) this.schedule();
  }

  private sendSilence(): void {
    this.offeredMs += this.o.frameMs;
    this.silent++;
    // The same zeroed buffer each time: senders copy or encode it, never keep it.
    this.o.send(this.silence);
  }
}
