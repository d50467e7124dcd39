/**
 * The probe calls' bookkeeping, apart from their sockets so it can be tested on plain numbers: telling a
 * burst's arrival (a rising edge of loudness), pairing arrivals with sent bursts, and the bridge's send-slot
 * grid as seen by the caller.
 */

/** The probes' packet time. */
export const PROBE_PTIME_MS = 20;
/** A burst not seen this long after it was sent counts as lost. */
export const BURST_TIMEOUT_MS = 2000;

/**
 * Rising edges of loudness: true for the first loud frame after a quiet one. A burst's tail (filters spread it
 * into the next frame) is not a second burst.
 */
export class LoudnessEdge {
  private wasLoud = false;

  constructor(private readonly threshold: number) {}

  rising(level: number): boolean {
    const loud = level > this.threshold;
    const edge = loud && !this.wasLoud;
    this.wasLoud = loud;
    return edge;
  }
}

/** A sent burst waiting for its arrival. */
export interface SentBurst {
  sentAt: number;
  /** Sent inside the measuring window (only those count). */
  inWindow: boolean;
}

/**
 * Pairs arrivals with bursts in the order they were sent (each direction of a call is one ordered stream).
 * Bursts older than {@link BURST_TIMEOUT_MS} are dropped and, when sent in the window, counted as lost, so one
 * lost burst cannot shift every later pairing.
 */
export class BurstMatcher {
  private readonly queue: SentBurst[] = [];
  /** In-window bursts that timed out. */
  lost = 0;

  sent(at: number, inWindow: boolean): void {
    this.queue.push({ sentAt: at, inWindow });
  }

  /** The burst an arrival at `now` belongs to, or undefined (nothing outstanding: not a burst of ours). */
  match(now: number): SentBurst | undefined {
    while (this.queue.length > 0 && now - this.queue[0].sentAt > BURST_TIMEOUT_MS) {
      if (this.queue.shift()!.inWindow) this.lost++;
    }
    if (this.queue.length === 0 || this.queue[0].sentAt > now) return undefined;
    return this.queue.shift();
  }
}

/**
 * The bridge's send slots for one call, in our clock. The bridge sends slot k at start + k·ptime and stamps it
 * with RTP timestamp ts0 + k·samples; a packet arrives at that time plus its lateness and transit, both ≥ 0. So
 * the least of (arrival − k·ptime) over the call is the grid's origin as we see it: slot times are
 * `origin + k·ptime` (a packet that took the least time to come counts as on time).
 */
export class SlotGrid {
  private ts0: number | undefined;
  private origin = Infinity;
  private seen = 0;

  constructor(
    private readonly ptimeMs = PROBE_PTIME_MS,
    private readonly samplesPerPacket = 160,
  ) {}

  /** Enough packets seen to trust the origin. */
  get known(): boolean {
    return this.seen >= 10;
  }

  observe(rtpTimestamp: number, arrival: number): void {
    if (this.ts0 === undefined) this.ts0 = rtpTimestamp;
    const k = ((rtpTimestamp - this.ts0) >>> 0) / this.samplesPerPacket;
    this.origin = Math.min(this.origin, arrival - k * this.ptimeMs);
    this.seen++;
  }

  /** The first slot time at or after `t`. */
  nextSlotAfter(t: number): number {
    return this.origin + Math.ceil((t - this.origin) / this.ptimeMs) * this.ptimeMs;
  }
}
