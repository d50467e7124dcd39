/**
 * Time source for everything that waits: SIP transaction timers, jitter buffers, pacing, call timeouts.
 * Injected so tests drive time with {@link ManualClock} instead of sleeping on real timers.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Monotonic milliseconds (fractional allowed). Not wall-clock time. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

/** Real time: performance.now() and Node timers. Timers are unref'd so they never keep the process alive alone. */
export class SystemClock implements Clock {
  now(): number {
    return performance.now();
  }

  /** Timers armed on any SystemClock and not yet fired or cancelled (the long tests' leak check). */
  static get liveTimers(): number {
    return liveTimers;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    // Node fires a timer longer than 2^31-1 ms at once (TimeoutOverflowWarning); a peer's Session-Expires of
    // 4294967 s must not end the call 1 ms later, so longer waits are chained.
    const due = this.now() + Math.max(0, ms);
    let t: ReturnType<typeof setTimeout>;
    let live = true;
    const settle = () => {
      if (live) liveTimers--;
      live = false;
    };
    const arm = (wait: number) => {
      const capped = wait > MAX_NODE_DELAY_MS;
      t = setTimeout(() => {
        if (capped) return arm(due - this.now());
        settle();
        fn();
      }, capped ? MAX_NODE_DELAY_MS : Math.max(0, wait));
      t.unref?.();
    };
    liveTimers++;
    arm(Math.max(0, ms));
    return {
      cancel: () => {
        clearTimeout(t);
        settle();
      },
    };
  }
}

let liveTimers = 0;

/** Longest delay Node's setTimeout honours. */
const MAX_NODE_DELAY_MS = 2 ** 31 - 1;

interface ManualTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** Deterministic clock for tests: time moves only when {@link ManualClock.advance} is called. */
export class ManualClock implements Clock {
  private current = 0;
  private seq = 0;
  private timers: ManualTimer[] = [];

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: ManualTimer = { at: this.current + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Number of timers still pending (not fired, not cancelled). */
  pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by `ms`, firing due timers in order (timers scheduled while firing run too if due). */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const due = this.timers
        .filter((t) => !t.cancelled && t.at <= target)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.current = due.at;
      due.cancelled = true;
      this.timers = this.timers.filter((t) => t !== due);
      due.fn();
    }
    this.current = target;
    this.timers = this.timers.filter((t) => !t.cancelled);
  }
}
