/**
 * Two mono streams (left: the caller, right: what the caller hears) laid on one time line and interleaved. Each
 * side arrives on its own clock (the caller's RTP pace, the bridge's send slots) and may pause (no RTP, silence
 * suppression): a side that falls more than `slackMs` behind the wall time is filled with silence up to there,
 * so the two stay aligned within that slack and a long gap on one side never holds the other back. Pure: the
 * caller passes the time of each push.
 */

export const LEFT = 0;
export const RIGHT = 1;
export type Side = typeof LEFT | typeof RIGHT;

export interface StereoTimelineOptions {
  sampleRate: number;
  /** Time of sample 0, ms. */
  startMs: number;
  /** How far a side may lag the wall time before silence fills it (the jitter either side may have). */
  slackMs: number;
}

export class StereoTimeline {
  /** Samples per side not interleaved yet. */
  private readonly pending: [number[], number[]] = [[], []];
  /** Samples per side placed on the time line so far (emitted + pending). */
  private readonly placed: [number, number] = [0, 0];
  private readonly slack: number;

  constructor(private readonly o: StereoTimelineOptions) {
    this.slack = Math.round((o.slackMs * o.sampleRate) / 1000);
  }

  /** Samples per side the wall time `nowMs` stands for. */
  private due(nowMs: number): number {
    return Math.max(0, Math.floor(((nowMs - this.o.startMs) * this.o.sampleRate) / 1000));
  }

  /**
   * Places `samples` of one side at `nowMs` (after filling either side's lag beyond the slack with silence);
   * returns the interleaved stereo samples both sides now cover.
   */
  push(side: Side, samples: ArrayLike<number>, nowMs: number): Int16Array {
    this.fillLag(nowMs, side, samples.length);
    const q = this.pending[side];
    for (let i = 0; i < samples.length; i++) q.push(samples[i]);
    this.placed[side] += samples.length;
    return this.drain(false);
  }

  /** Advances the time line to `nowMs` without audio (a timer while both sides are quiet); returns what is ready. */
  tick(nowMs: number): Int16Array {
    this.fillLag(nowMs);
    return this.drain(false);
  }

  /** Everything left, the shorter side padded with silence. */
  flush(): Int16Array {
    return this.drain(true);
  }

  /** Samples of one side placed on the time line so far (interleaved or waiting). */
  placedOf(side: Side): number {
    return this.placed[side];
  }

  /** Stereo frames (per side samples) interleaved so far. */
  get emitted(): number {
    return this.placed[LEFT] - this.pending[LEFT].length;
  }

  /** Silence for a side behind the slack; the side being pushed counts the chunk it brings. */
  private fillLag(nowMs: number, pushed?: Side, n = 0): void {
    const floor = this.due(nowMs) - this.slack;
    for (const side of [LEFT, RIGHT] as const) {
      const missing = floor - this.placed[side] - (side === pushed ? n : 0);
      if (missing <= 0) continue;
      const q = this.pending[side];
      for (let i = 0; i < missing; i++) q.push(0);
      this.placed[side] += missing;
    }
  }

  private drain(all: boolean): Int16Array {
    const [l, r] = this.pending;
    const n = all ? Math.max(l.length, r.length) : Math.min(l.length, r.length);
    if (n === 0) return new Int16Array(0);
    const out = new Int16Array(n * 2);
    for (let i = 0; i < n; i++) {
      out[2 * i] = l[i] ?? 0;
      out[2 * i + 1] = r[i] ?? 0;
    }
    this.pending[LEFT] = l.length > n ? l.slice(n) : [];
    this.pending[RIGHT] = r.length > n ? r.slice(n) : [];
    if (all) {
      this.placed[LEFT] = this.placed[RIGHT] = Math.max(this.placed[LEFT], this.placed[RIGHT]);
    }
    return out;
  }
}
