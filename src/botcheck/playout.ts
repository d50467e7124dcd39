/**
 * The caller's side of bot audio, simulated in real time: audio queues and plays at 1 ms per ms, a mark is
 * reached when the audio before it has played (at once when nothing is queued), and a clear drops what is
 * queued. It answers with the bridge's own events (`mark`, `cleared`), which the dialect then frames as the
 * bridge does (Twilio, for one, answers a clear by returning the pending marks).
 */
import type { BridgeEvent } from '../bot/index.js';

/** Wall-clock timers, injectable so the playout can be driven in tests. */
export interface PlayoutTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): { cancel(): void };
}

/** Real time. */
export const realTimers: PlayoutTimers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, Math.max(0, ms));
    return { cancel: () => clearTimeout(t) };
  },
};

interface PendingMark {
  name: string;
  timer: { cancel(): void };
}

/** One call's bot audio as the caller would hear it, answering marks and clears with the bridge's events. */
export class SimulatedPlayout {
  /** When the queued audio will have played, on the timers' clock. */
  private queueEnd = 0;
  /** Played before the current queue started (since the last clear). */
  private playedBeforeQueue = 0;
  private queueStart = 0;
  private pending: PendingMark[] = [];
  private lastMark: string | undefined;
  /** Marks reached so far, in order (for the report). */
  readonly reached: string[] = [];
  /** Marks a clear dropped before they were reached (the dialect may still return them, as Twilio's does). */
  readonly dropped: string[] = [];

  constructor(
    private readonly emit: (e: BridgeEvent) => void,
    private readonly timers: PlayoutTimers = realTimers,
  ) {}

  /** Bot audio of `ms` joins the queue. */
  audio(ms: number): void {
    const now = this.timers.now();
    if (this.queueEnd <= now) {
      // The queue had run dry: what it held has all played.
      this.playedBeforeQueue += this.queueEnd - this.queueStart;
      this.queueStart = now;
      this.queueEnd = now;
    }
    this.queueEnd += ms;
  }

  /** A mark after the audio queued so far: reached when that has played. */
  mark(name: string): void {
    const wait = Math.max(0, this.queueEnd - this.timers.now());
    const entry: PendingMark = {
      name,
      timer: this.timers.setTimeout(() => {
        this.pending = this.pending.filter((p) => p !== entry);
        this.lastMark = name;
        this.reached.push(name);
        this.emit({ type: 'mark', name });
      }, wait),
    };
    this.pending.push(entry);
  }

  /** Drops the queue and the marks not reached; answers `cleared` with what had played since the last clear. */
  clear(): void {
    const now = this.timers.now();
    const playedMs = Math.round(this.playedBeforeQueue + Math.min(now, this.queueEnd) - this.queueStart);
    for (const p of this.pending) p.timer.cancel();
    this.dropped.push(...this.pending.map((p) => p.name));
    this.pending = [];
    const lastMark = this.lastMark;
    this.lastMark = undefined;
    this.playedBeforeQueue = 0;
    this.queueStart = now;
    this.queueEnd = now;
    this.emit(lastMark === undefined ? { type: 'cleared', playedMs } : { type: 'cleared', playedMs, lastMark });
  }

  /** Milliseconds still queued. */
  get queuedMs(): number {
    return Math.max(0, this.queueEnd - this.timers.now());
  }

  /** Marks placed and not reached yet. */
  get pendingMarks(): number {
    return this.pending.length;
  }

  /** Stops every timer (the check is over). */
  close(): void {
    for (const p of this.pending) p.timer.cancel();
    this.pending = [];
  }
}
