/**
 * A leg's two level meters: what it receives (its decoded frames: the far end speaking) and what it sends (the
 * samples of each packet, silence included: what the far end hears). The send side is the session's one
 * played tap, so a recording that taps it too is chained behind the meter ({@link forwardPlayed}).
 */
import type { Clock } from '../core/clock.js';
import { LevelMeter, type AudioLevels } from '../media/index.js';

export class LegLevels {
  private readonly received: LevelMeter;
  private readonly sent: LevelMeter;
  /** The next tap on what is sent (a recording's right channel), if any. */
  private next: ((pcm: Int16Array) => void) | undefined;

  /** 'frame' listener: bound once, so the hot path allocates nothing. */
  readonly onFrame = (pcm: Buffer): void => this.received.addL16(pcm, this.clock.now());

  /** The session's played tap. */
  readonly onPlayed = (pcm: Int16Array): void => {
    this.sent.addSamples(pcm, this.clock.now());
    this.next?.(pcm);
  };

  constructor(
    private readonly clock: Clock,
    /** Rate of the leg's L16 audio both ways (the bot's). */
    sampleRate: number,
  ) {
    this.received = new LevelMeter(sampleRate);
    this.sent = new LevelMeter(sampleRate);
  }

  /** Chains another tap on what is sent (undefined removes it). */
  forwardPlayed(tap: ((pcm: Int16Array) => void) | undefined): void {
    this.next = tap;
  }

  /** Both levels now, dBFS. */
  read(): AudioLevels {
    const now = this.clock.now();
    return { received: this.received.dbfs(now), sent: this.sent.dbfs(now) };
  }
}
