/**
 * Keeps the send grid locked onto a real-time bot's audio (README, "Send-side latency"). A chunk that arrives
 * after its slot makes the slot wait and the grid move later at once (RtpSendPath's hold); this moves it back
 * earlier when chunks come before their slots again, so a late chunk, a late timer or a bot clock that runs fast
 * never leaves lasting delay: the queue of a bot streaming in real time stays under one packet.
 *
 * It watches how long before its slot each chunk arrived (the slot's time − the chunk's arrival). When the
 * smallest of those over a window is more than {@link ON_TIME_MS} but less than a ptime (a phase, not a backlog
 * the bot built up on purpose), the grid moves earlier by it, at most {@link MAX_PULL} of the window per window (a
 * bot clock a little fast is followed, one far ahead of real time (TTS, a prebuffer) is not), spread over the
 * next packets at most {@link STEP_MS} each.
 */

/** Chunks that come less than this before their slot are on time: the grid stays. */
const ON_TIME_MS = 0.5;
/** Fastest the grid moves earlier: 2 % of the time (a bot clock off by up to 2 % is followed). */
export const MAX_PULL = 0.02;
/**
 * Most the grid moves earlier at one packet, ms: a window's pull goes over its next packets. Taken in one step (up
 * to 4 ms), it was a pacing jolt as large as the late chunk that caused it, so each late chunk counted twice in
 * the caller's inter-departure figures.
 */
const STEP_MS = 1;

export class PhaseTrack {
  /** The least (early + pulled so far) over the window: early measured against the grid as it was then. */
  private floor = Number.POSITIVE_INFINITY;
  private slots = 0;
  /** ms the grid has moved earlier since the last reset (samples are judged against the grid of their time). */
  private pulled = 0;
  /** ms still to move earlier, a little per packet. */
  private pending = 0;

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
    const v = earlyMs + this.pulled;
    if (v < this.floor) this.floor = v;
  }

  /** One audio packet sent; returns how many ms earlier the grid should move now (0 mostly). */
  slot(): number {
    if (++this.slots >= this.windowSlots) {
      const floor = this.floor - this.pulled; // against the grid as it is now (nothing measured: +Infinity)
      this.slots = 0;
      this.floor = Number.POSITIVE_INFINITY;
      const phase = floor > ON_TIME_MS && floor < this.ptimeMs; // not on time, not a backlog
      this.pending = phase ? Math.min(floor - ON_TIME_MS, MAX_PULL * this.windowSlots * this.ptimeMs) : 0;
    }
    if (this.pending <= 0) return 0;
    const step = Math.min(this.pending, STEP_MS);
    this.pending -= step;
    this.pulled += step;
    return step;
  }

  /** A new talkspurt, a clear: the window starts over. */
  reset(): void {
    this.floor = Number.POSITIVE_INFINITY;
    this.slots = 0;
    this.pending = 0;
    this.pulled = 0;
  }
}
