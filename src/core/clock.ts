/**
 * Time source for everything that waits: SIP transaction timers, jitter buffers, pacing, call timeouts.
 * Injected so tests drive time with {@link ManualClock} instead of sleeping on real timers.
 */
import { HeapTimer, TimerHeap } from './timer-heap.js';
import { emptyKeepingCapacity } from './arrays.js';

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Monotonic milliseconds (fractional allowed). Not wall-clock time. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

/** Waits for `p` to settle, `ms` at most on `clock`: true when it settled in time. */
export async function settledWithin(p: Promise<unknown>, ms: number, clock: Clock): Promise<boolean> {
  let timer: TimerHandle | undefined;
  const waited = new Promise<false>((resolve) => {
    timer = clock.setTimeout(() => resolve(false), ms);
  });
  const settled = await Promise.race([p.then(() => true, () => true), waited]);
  timer?.cancel();
  return settled;
}

/**
 * Real time: performance.now() and one Node timer per clock, armed for the earliest of the clock's waits
 * ({@link TimerHeap}); it is unref'd, so waits never keep the process alive alone. When it fires, every wait due
 * by then runs, in due order (never before its time: a reconnect window or a SIP timer is a minimum); waits armed
 * meanwhile run on a later turn, after I/O.
 */
export class SystemClock implements Clock {
  private readonly heap = new TimerHeap();
  private readonly due: SystemTimer[] = [];
  private node: ReturnType<typeof setTimeout> | undefined;
  /** When {@link node} fires (performance.now() time), Infinity when it is not armed. */
  private nodeAt = Infinity;

  now(): number {
    return performance.now();
  }

  /** Timers armed on any SystemClock and not yet fired or cancelled (the long tests' leak check). */
  static get liveTimers(): number {
    return liveTimers;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t = new SystemTimer(this.now() + Math.max(0, ms), fn, this);
    liveTimers++;
    this.heap.insert(t);
    if (t.at < this.nodeAt) this.armNode();
    return t;
  }

  /** @internal SystemTimer.cancel */
  cancelTimer(t: SystemTimer): void {
    // In the heap, or taken out to run this turn and not yet run: either way it was live.
    if (this.heap.remove(t) || t.index === RUNNING) liveTimers--;
    t.cancelled = true;
    // The Node timer stays armed for the cancelled wait: it finds nothing due and re-arms for the next.
  }

  private armNode(): void {
    if (this.node !== undefined) clearTimeout(this.node);
    const at = this.heap.earliest;
    if (at === undefined) {
      this.node = undefined;
      this.nodeAt = Infinity;
      return;
    }
    // Node fires a timer longer than 2^31-1 ms at once (TimeoutOverflowWarning); a peer's Session-Expires of
    // 4294967 s must not end the call 1 ms later, so the Node timer waits at most that and then looks again.
    const wait = Math.min(MAX_NODE_DELAY_MS, Math.max(0, at - this.now()));
    this.nodeAt = wait === MAX_NODE_DELAY_MS ? this.now() + wait : at;
    this.node = setTimeout(this.fire, wait);
    this.node.unref?.();
  }

  private readonly fire = (): void => {
    this.node = undefined;
    this.nodeAt = Infinity;
    const due = this.due;
    this.heap.takeDue(this.now(), due);
    for (const t of due) t.index = RUNNING;
    this.armNode();
    for (let i = 0; i < due.length; i++) {
      const t = due[i];
      if (t.cancelled) continue;
      t.cancelled = true;
      liveTimers--;
      try {
        t.fn();
      } catch (error) {
        // One wait's failure must not cost the others their turn; it still reaches the process as uncaught.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
    emptyKeepingCapacity(due); // and lets go of the waits that ran
  };
}

/** A SystemClock wait: its own handle, so arming allocates one small object. */
class SystemTimer extends HeapTimer implements TimerHandle {
  cancelled = false;
  constructor(
    at: number,
    fn: () => void,
    private readonly clock: SystemClock,
  ) {
    super(at, fn);
  }

  cancel(): void {
    if (!this.cancelled) this.clock.cancelTimer(this);
  }
}

/** {@link HeapTimer.index} of a wait taken out of the heap to run in the current turn. */
const RUNNING = -2;

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
