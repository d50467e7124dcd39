/**
 * Keeps the send grid locked onto a real-time bot's audio (README, "Send-side latency"). A chunk that arrives
 * after its slot makes the slot wait and the grid move later at once (RtpSendPath's hold); this moves it back
 * earlier when chunks come before their slots again, so a late chunk, a late timer or a bot clock that runs fast
 * never leaves lasting delay: the queue of a bot streaming in real time stays under one packet.
 *
 * It watches how long before its slot each chunk arrived (the slot's time − the chunk's arrival). When the
 * smallest of those over a window is more than {@link ON_TIME_MS} but less than a ptime (a phase, not a backlog
 * the bot built up on purpose), the grid moves earlier by it, at most {@link MAX_PULL} of the window at once: a
 * bot clock a little fast is followed, one far ahead of real time (TTS, a prebuffer) is not.
 */

/** Chunks that come less than this before their slot are on time: the grid stays. */
const ON_TIME_MS = 0.5;
/** Fastest the grid moves earlier: 2 % of the time (a bot clock off by up to 2 % is followed). */
export const MAX_PULL = 0.02;

export class PhaseTrack {
  private floor = Number.POSITIVE_INFINITY;
  private slots = 0;

  /**
   * @param windowSlots audio packets between two corrections
   * @param ptimeMs packet interval: a chunk that waits that long is a backlog, not a phase
   */
  constructor(
    private readonly windowSlots: number,
    private readonly ptimeMs: number,
  ) {}

  /** How long before its slot one chunk arrived, ms. */
  sample(earlyMs: number): void {
    if (earlyMs < this.floor) this.floor = earlyMs;
  }

  /** One audio packet sent; returns how many ms earlier the grid should move now (0 mostly). */
  slot(): number {
    if (++this.slots < this.windowSlots) return 0;
    const floor = this.floor;
    this.slots = 0;
    this.floor = Number.POSITIVE_INFINITY;
    if (floor <= ON_TIME_MS || floor >= this.ptimeMs) return 0; // on time, or a backlog (or nothing measured)
    return Math.min(floor - ON_TIME_MS, MAX_PULL * this.windowSlots * this.ptimeMs);
  }

  /** A new talkspurt, a clear: the window starts over. */
  reset(): void {
    this.floor = Number.POSITIVE_INFINITY;
    this.slots = 0;
  }
}
