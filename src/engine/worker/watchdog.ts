/**
 * Finds media workers that stopped answering. Every worker reports at least once a second; one silent for longer
 * than the limit is taken for hung (an endless loop in a bug) and handed to `replace`. A round that runs late is
 * skipped: then this thread was the one held up, and the workers' messages of that time are still queued.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';

export interface WatchedWorker {
  /** When it last sent anything, clock ms. */
  readonly lastHeardAt: number;
  /** It has been silent `silentMs`: end it (and its calls) and start another. */
  replaceUnresponsive(silentMs: number): void;
}

/** How often the watchdog looks, ms. */
export const WATCHDOG_CHECK_MS = 1000;

export class WorkerWatchdog {
  private timer: TimerHandle | undefined;
  private due = 0;

  constructor(
    private readonly clock: Clock,
    private readonly workers: readonly WatchedWorker[],
    private readonly limitMs: number,
  ) {}

  start(): void {
    if (this.limitMs <= 0 || this.timer) return;
    this.arm(this.clock.now());
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** One round at `now` (the timer's; public for tests, which cannot make a timer late). */
  check(now: number): void {
    if (now - this.due <= WATCHDOG_CHECK_MS) {
      for (const w of this.workers) if (now - w.lastHeardAt > this.limitMs) w.replaceUnresponsive(now - w.lastHeardAt);
    }
  }

  private arm(now: number): void {
    this.due = now + WATCHDOG_CHECK_MS;
    this.timer = this.clock.setTimeout(() => {
      const at = this.clock.now();
      this.check(at);
      this.arm(at);
    }, WATCHDOG_CHECK_MS);
  }
}
