/**
 * One timer for the send loops of many media sessions: instead of each session arming its own Clock timer for
 * every packet, sessions register here and a single drift-free tick (tick j at origin + j·periodMs) runs every
 * registered session's due work. Each session still computes its own due packets from its own start time, so
 * its packet timestamps and catch-up rules are unchanged; what changes is when the packets leave: packet k
 * goes at the first tick at or after start + k·ptime (a fixed lag below periodMs per call, not jitter).
 */
import type { Clock, TimerHandle } from '../core/clock.js';

/** A registered send loop. */
export interface PacedStream {
  /**
   * Sends what is due by `at` (a point of the scheduler's grid, at most `now`; due work is computed from it
   * so a late timer does not make calls near the grid phase alternate between 0 and 2 packets), then runs
   * the per-tick work with the real time `now`.
   */
  pace(at: number, now: number): void;
}

export interface PacingSchedulerOptions {
  clock: Clock;
  /**
   * Grid step, ms (default 10): the most a packet waits past its due time. Every ptime that is a multiple
   * of it keeps an exact period on the wire.
   */
  periodMs?: number;
}

export class PacingScheduler {
  private readonly clock: Clock;
  readonly periodMs: number;
  private readonly streams = new Set<PacedStream>();
  private timer: TimerHandle | undefined;
  /** True from the first registration to the last unregistration (the timer is unset while a tick runs). */
  private active = false;
  private origin = 0;
  private tickIndex = 0;

  constructor(o: PacingSchedulerOptions) {
    this.clock = o.clock;
    this.periodMs = o.periodMs ?? 10;
    if (!(this.periodMs > 0)) throw new RangeError(`periodMs must be positive, got ${this.periodMs}`);
  }

  /** Number of registered streams. */
  get size(): number {
    return this.streams.size;
  }

  /** Adds a stream; its first `pace` call comes at the next grid tick. The first stream sets the grid origin. */
  register(stream: PacedStream): void {
    this.streams.add(stream);
    if (this.active) return;
    this.active = true;
    this.origin = this.clock.now();
    this.tickIndex = 1;
    this.timer = this.clock.setTimeout(this.tick, this.periodMs);
  }

  /** Removes a stream (safe while a tick runs, and twice); the timer stops with the last one. */
  unregister(stream: PacedStream): void {
    this.streams.delete(stream);
    if (this.streams.size === 0 && this.active) {
      this.active = false;
      this.timer?.cancel();
      this.timer = undefined;
    }
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    const now = this.clock.now();
    // The latest grid point not after now: after a stall the sessions catch up (or skip) by their own rules.
    this.tickIndex = Math.max(this.tickIndex, Math.floor((now - this.origin) / this.periodMs));
    const at = this.origin + this.tickIndex * this.periodMs;
    this.tickIndex++;
    let failure: unknown;
    let failed = false;
    for (const s of this.streams) {
      // One call's failure must not stop the others' audio; it is rethrown below, as a per-call timer would.
      try {
        s.pace(at, now);
      } catch (err) {
        if (!failed) failure = err;
        failed = true;
      }
    }
    // Not when the last stream left, nor when one registered after that and restarted the grid meanwhile.
    if (this.active && !this.timer) this.timer = this.clock.setTimeout(this.tick, this.origin + this.tickIndex * this.periodMs - now);
    if (failed) throw failure;
  };
}
