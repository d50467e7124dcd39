import { DelayEstimator, type DelayEstimatorOptions } from './delay-estimator.js';

/**
 * A receive jitter buffer for one RTP stream, driven by the caller's clock (pure: time is passed in, no timers of
 * its own). Packets are ordered by RTP timestamp and released when their playout time comes:
 *
 *   playoutAt(ts) = anchorAt + (ts − anchorTs) / clockRate   (anchorAt = arrival of the first packet + target)
 *
 * The delay is fixed (`targetMs`), or with `adaptive` it follows the measured jitter ({@link DelayEstimator}):
 * each arrival re-aims the playout point so that a packet on the fastest recent path waits the estimated
 * target. Growing moves the playout point later at once (the output pauses; nothing is dropped or invented).
 * Shrinking moves it earlier by at most 1/16 of a packet per packet received, so buffered audio is handed on
 * a little faster than real time until the delay is down — the consumer is a bot fed frame by frame, not a
 * sound card with its own clock, so no audio has to be dropped or time-compressed to shrink.
 *
 * Handles reordering (timestamp order, 32-bit wrap), duplicates and late packets (dropped and counted), gaps
 * (a `missing` slot of one packet's length each time its playout time comes, for the decoder to conceal; a gap
 * longer than `maxConcealMs` or a marked packet is a talkspurt/DTX boundary and is skipped without
 * concealment), SSRC changes and timestamp jumps (re-anchored), and a far end whose clock runs fast (when the
 * buffered audio exceeds target + `maxExtraMs`, the oldest packets are dropped). When the buffer ran dry and a
 * packet arrives after its playout time (the delay grew, or the far clock runs slow), the delay is restarted from
 * it; a run of packets arriving after their slots were concealed re-anchors the buffer too.
 */

export interface JitterPacket {
  ssrc: number;
  sequenceNumber: number;
  timestamp: number;
  payloadType: number;
  marker: boolean;
  payload: Buffer;
  /** Length in RTP clock units (from the codec: G.711 bytes, Opus TOC...). */
  duration: number;
  /** When it arrived (clock ms), carried through for the receive path's latency figure. */
  arrivedAt?: number;
}

export type JitterOutput =
  | { kind: 'packet'; packet: JitterPacket }
  /** `duration` RTP clock units are missing here; `next` is the packet after the gap (Opus FEC could use it). */
  | { kind: 'missing'; duration: number; payloadType: number; next: JitterPacket };

/** Adaptive mode: the target delay follows the jitter, within these bounds (see {@link DelayEstimatorOptions}). */
export type AdaptiveDelayOptions = Omit<DelayEstimatorOptions, 'initialMs'>;

export interface JitterBufferOptions {
  /** RTP clock rate of the stream. */
  clockRate: number;
  /**
   * Delay added to the first packet's arrival, ms (> 0; pass-through is done by not using a buffer at all).
   * With `adaptive`, only the starting delay (clamped to its bounds).
   */
  targetMs: number;
  /** Makes the delay adaptive. */
  adaptive?: AdaptiveDelayOptions;
  /** Gaps longer than this are not concealed (DTX, silence suppression), ms. Default 120. */
  maxConcealMs?: number;
  /** Buffered audio beyond target + this is trimmed (far clock fast, bursts), ms. Default 200. */
  maxExtraMs?: number;
  /** A timestamp this far from the expected one re-anchors the buffer, ms. Default 1000. */
  jumpMs?: number;
  /** This many late packets in a row re-anchor the buffer. Default 3. */
  lateRunReset?: number;
}

export interface JitterBufferStats {
  late: number;
  duplicates: number;
  /** Packets dropped to bring an overfull buffer back to its target. */
  trimmed: number;
  /** RTP clock units reported as missing (concealed by the decoder). */
  concealed: number;
  /** Re-anchorings (SSRC change, timestamp jump, run of late packets). */
  resets: number;
  /** Times the buffer ran dry and a packet came after its playout time: the target delay is restored from it. */
  underruns: number;
}

/** Counters plus the delay now applied, as a media session reports them (metrics read `delayMs`). */
export interface JitterBufferReport extends JitterBufferStats {
  /** The delay the buffer adds now, ms (see {@link JitterBuffer.delayMs}). */
  delayMs: number;
  /** The delay it aims at, ms (adaptive: follows the jitter; fixed: the configured delay). */
  targetMs: number;
  mode: 'fixed' | 'adaptive';
}

/** Playout offset moved earlier per packet while the delay is above target, as a fraction of the packet. */
const SHRINK_PER_PACKET = 1 / 16;

/** Signed distance a − b between two 32-bit RTP timestamps. */
function tsDiff(a: number, b: number): number {
  return ((a - b) << 0) | 0;
}

export class JitterBuffer {
  readonly stats: JitterBufferStats = { late: 0, duplicates: 0, trimmed: 0, concealed: 0, resets: 0, underruns: 0 };
  /** Sorted by timestamp (ascending, wrap-aware). Short (a few packets), so insertion sort is cheapest. */
  private readonly packets: JitterPacket[] = [];
  /** Packets of the old timeline after a re-anchor: played out at once, nothing received is thrown away. */
  private readonly flushing: JitterPacket[] = [];
  private readonly msPerUnit: number;
  private readonly maxConceal: number;
  private readonly maxExtraMs: number;
  private readonly jump: number;
  private readonly lateRunReset: number;
  private ssrc = -1;
  private anchorTs = 0;
  private anchorAt = 0;
  /** Timestamp of the next audio to play; undefined until the first packet. */
  private nextTs: number | undefined;
  private lastDuration = 0;
  private lateRun = 0;
  private needsAnchor = false;
  /** Adaptive mode only. */
  private readonly estimator: DelayEstimator | undefined;
  /** Fixed: the target. Adaptive: the estimator's current target. */
  private targetMs: number;
  /** Delay a packet on the fastest recent path waits now, ms (adaptive: converges on the target). */
  private appliedMs: number;
  /** Media time (ms, unwrapped) of the newest timestamp seen on this timeline, for the estimator. */
  private mediaMs = 0;
  private mediaTs = 0;

  constructor(private readonly opts: JitterBufferOptions) {
    if (!(opts.targetMs > 0)) throw new RangeError('jitter buffer target must be > 0 ms');
    this.estimator = opts.adaptive ? new DelayEstimator({ ...opts.adaptive, initialMs: opts.targetMs }) : undefined;
    this.targetMs = this.estimator ? this.estimator.targetMs : opts.targetMs;
    this.appliedMs = this.targetMs;
    this.msPerUnit = 1000 / opts.clockRate;
    this.maxConceal = ((opts.maxConcealMs ?? 120) * opts.clockRate) / 1000;
    this.maxExtraMs = opts.maxExtraMs ?? 200;
    this.jump = ((opts.jumpMs ?? 1000) * opts.clockRate) / 1000;
    this.lateRunReset = opts.lateRunReset ?? 3;
  }

  /**
   * The delay the buffer adds now, ms: how long a packet arriving on the fastest recent path waits before its
   * playout time (fixed mode: the target). For metrics.
   */
  get delayMs(): number {
    return this.appliedMs;
  }

  /** The delay aimed at, ms (fixed mode: the target; adaptive: the jitter estimate plus margin, clamped). */
  get targetDelayMs(): number {
    return this.targetMs;
  }

  /** Counters and the current delay, copied. */
  report(): JitterBufferReport {
    return { ...this.stats, delayMs: this.appliedMs, targetMs: this.targetMs, mode: this.estimator ? 'adaptive' : 'fixed' };
  }

  /** Audio held, ms (from the next playout position to the end of the newest packet). */
  get bufferedMs(): number {
    if (this.packets.length === 0 || this.nextTs === undefined) return 0;
    const last = this.packets[this.packets.length - 1];
    return Math.max(0, tsDiff(last.timestamp + last.duration, this.nextTs)) * this.msPerUnit;
  }

  /** Adds a packet that arrived at `now`. Returns false when it was dropped (duplicate or late). */
  push(p: JitterPacket, now: number): boolean {
    if (p.ssrc !== this.ssrc) {
      this.reanchor(p, now, this.ssrc !== -1, false);
    } else if (this.nextTs !== undefined && Math.abs(tsDiff(p.timestamp, this.nextTs)) > this.jump) {
      this.reanchor(p, now, true, false);
    } else if (this.needsAnchor) {
      this.reanchor(p, now, true, true);
    }
    const relative = this.estimator ? this.adapt(p, now) : 0;
    const next = this.nextTs!;
    if (tsDiff(p.timestamp, next) < 0) {
      this.stats.late++;
      if (++this.lateRun >= this.lateRunReset) this.needsAnchor = true;
      return false;
    }
    this.lateRun = 0;
    if (this.packets.length === 0 && this.playoutAt(p.timestamp) < now) {
      // Ran dry and this packet is already due: restart the delay from it, or jitter is no longer absorbed.
      // (Adaptive: the target already covers this packet's lateness unless clamped at its maximum; then it is
      // played at once rather than with the whole target on top, and the delay comes down from there.)
      this.stats.underruns++;
      this.anchorTs = p.timestamp;
      this.anchorAt = now + (this.estimator ? 0 : this.targetMs);
      if (this.estimator) this.appliedMs = relative;
    }
    // Insert in timestamp order from the back (packets mostly arrive in order).
    let i = this.packets.length;
    while (i > 0 && tsDiff(this.packets[i - 1].timestamp, p.timestamp) > 0) i--;
    if (i > 0 && this.packets[i - 1].timestamp === p.timestamp) {
      this.stats.duplicates++;
      return false;
    }
    this.packets.splice(i, 0, p);
    this.trim();
    return true;
  }

  /**
   * Appends to `out` everything due at `now`, in playout order. A caller that polls on a fixed tick passes the
   * time of its next poll as `releaseBefore`: packets that follow on without a gap and fall due before then are
   * released now rather than up to a tick late (early release cannot lose anything: nothing is missing before
   * them). Gaps are concealed only once their playout time has really come, so a late packet still has all of
   * the delay to arrive.
   */
  pop(now: number, out: JitterOutput[], releaseBefore = now): void {
    for (const packet of this.flushing) out.push({ kind: 'packet', packet });
    this.flushing.length = 0;
    while (this.nextTs !== undefined && this.packets.length > 0) {
      const head = this.packets[0];
      const gap = tsDiff(head.timestamp, this.nextTs);
      if (gap < 0) {
        this.packets.shift(); // overlaps audio already played (cannot normally happen: push rejects these)
        this.stats.late++;
        continue;
      }
      if (gap > 0 && (gap > this.maxConceal || head.marker)) {
        this.nextTs = head.timestamp; // talkspurt boundary or DTX: nothing to conceal
        continue;
      }
      const due = this.playoutAt(this.nextTs);
      if (due > now && (gap > 0 || due >= releaseBefore)) return;
      if (gap === 0) {
        this.packets.shift();
        out.push({ kind: 'packet', packet: head });
        this.lastDuration = head.duration > 0 ? head.duration : this.lastDuration;
        this.nextTs = (head.timestamp + head.duration) >>> 0;
        continue;
      }
      // A lost packet whose time has come: conceal one packet's length (or the rest of the gap).
      const duration = Math.min(gap, this.lastDuration > 0 ? this.lastDuration : gap);
      out.push({ kind: 'missing', duration, payloadType: head.payloadType, next: head });
      this.stats.concealed += duration;
      this.nextTs = (this.nextTs + duration) >>> 0;
    }
  }

  /**
   * Adaptive mode: feeds the arrival to the estimator and moves the playout point toward its target (at once
   * when growing, a little per packet when shrinking). Returns the packet's relative delay, ms.
   */
  private adapt(p: JitterPacket, now: number): number {
    // Media time on this timeline, unwrapped from the newest timestamp (a reordered packet lands before it).
    const d = tsDiff(p.timestamp, this.mediaTs);
    const media = this.mediaMs + d * this.msPerUnit;
    if (d > 0) {
      this.mediaTs = p.timestamp;
      this.mediaMs = media;
    }
    const estimator = this.estimator!;
    const relative = estimator.update(media, now);
    this.targetMs = estimator.targetMs;
    // A packet of this media time on the fastest path would have come at now − relative; it waits `current`.
    const current = this.playoutAt(p.timestamp) - (now - relative);
    const diff = this.targetMs - current;
    const step = diff > 0 ? diff : Math.max(diff, -p.duration * this.msPerUnit * SHRINK_PER_PACKET);
    this.anchorAt += step;
    this.appliedMs = current + step;
    return relative;
  }

  private playoutAt(ts: number): number {
    return this.anchorAt + tsDiff(ts, this.anchorTs) * this.msPerUnit;
  }

  /**
   * Restarts the timeline at `p`. Buffered packets are played out at once (nothing received is thrown away),
   * except, with `keepLater` (same source and timeline, only the delay changed), those after `p`.
   */
  private reanchor(p: JitterPacket, now: number, counted: boolean, keepLater: boolean): void {
    if (counted) this.stats.resets++;
    const keep = keepLater ? this.packets.filter((q) => tsDiff(q.timestamp, p.timestamp) > 0) : [];
    for (const q of this.packets) if (!keep.includes(q)) this.flushing.push(q);
    this.packets.length = 0;
    this.packets.push(...keep);
    this.ssrc = p.ssrc;
    this.anchorTs = p.timestamp;
    this.anchorAt = now + this.targetMs;
    this.nextTs = p.timestamp;
    if (!keepLater) {
      // A new source or timeline: its transit has nothing to do with the old one's (the network's history stays).
      this.estimator?.resetTimeline();
      this.mediaTs = p.timestamp;
      this.mediaMs = 0;
    }
    this.lateRun = 0;
    this.needsAnchor = false;
  }

  /** Drops the oldest packets while more than target + maxExtra is held, moving the playout point past them. */
  private trim(): void {
    while (this.packets.length > 1 && this.bufferedMs > this.targetMs + this.maxExtraMs) {
      this.packets.shift();
      this.stats.trimmed++;
      const newNext = this.packets[0].timestamp;
      // Play the remaining audio at the times the dropped audio would have had: shift the anchor back.
      this.anchorAt -= tsDiff(newNext, this.nextTs!) * this.msPerUnit;
      this.nextTs = newNext;
    }
  }
}
