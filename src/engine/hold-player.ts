/**
 * Hold audio while a call's bot reconnects: the prompt looped into the call in the bot's place, a little ahead of
 * playout (so it never runs dry) and never far ahead (so the bot's return cuts it at once). It starts only once
 * what the bot had queued before it dropped has played out.
 */
import type { Clock, TimerHandle } from '../core/clock.js';

/** Where hold audio goes and how much is queued there. */
export interface HoldSink {
  /** Queued and not yet played, ms. */
  depthMs(): number;
  play(pcm: Buffer): void;
}

/** Top up every this often, ms. */
const TICK_MS = 100;
/** Keep this much queued, ms: two ticks, so a late timer still finds audio to play. */
const AHEAD_MS = 200;

/** Loops one L16 prompt into a {@link HoldSink} until stopped. */
export class HoldPlayer {
  private timer: TimerHandle | undefined;
  private offset = 0;
  private pushed = 0;
  private readonly chunkBytes: number;

  constructor(
    private readonly clock: Clock,
    private readonly pcm: Buffer,
    sampleRate: number,
    private readonly sink: HoldSink,
  ) {
    this.chunkBytes = ((sampleRate * TICK_MS) / 1000) * 2;
  }

  /** Bytes of hold audio queued so far. */
  get bytesPlayed(): number {
    return this.pushed;
  }

  start(): void {
    if (this.timer || this.pcm.length < 2) return;
    this.tick();
  }

  /** Stops; returns true when any hold audio was queued (the caller may want to drop what is left of it). */
  stop(): boolean {
    this.timer?.cancel();
    this.timer = undefined;
    return this.pushed > 0;
  }

  private tick(): void {
    // Bounded per tick: a sink that queues nothing (the bot routed nowhere) must not spin this loop.
    for (let i = 0; i < AHEAD_MS / TICK_MS + 1 && this.sink.depthMs() < AHEAD_MS; i++) {
      const end = Math.min(this.pcm.length, this.offset + this.chunkBytes);
      const chunk = this.pcm.subarray(this.offset, end);
      this.offset = end >= this.pcm.length ? 0 : end;
      this.pushed += chunk.length;
      this.sink.play(chunk);
    }
    this.timer = this.clock.setTimeout(() => this.tick(), TICK_MS);
  }
}
