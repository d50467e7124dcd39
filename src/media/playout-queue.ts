/**
 * FIFO of the bot's outbound PCM (Int16, one sample rate) with named marks placed between samples. The send loop
 * takes fixed-size frames from it; marks fire as soon as every sample queued before them has been taken.
 *
 * Positions are absolute sample counts since construction, so marks and clears need no re-indexing. Each chunk
 * keeps the time it arrived, so the send loop can tell how long a chunk's first sample waited (its added latency).
 */
import { emptyKeepingCapacity } from '../core/arrays.js';

export interface PlayoutClearResult {
  /**
   * Milliseconds of audio taken (played) from the queue since the previous `clear()` (or since construction),
   * not counting the zero padding of a final partial frame. With barge-in this says how much of everything the
   * bot sent since the last interruption was actually heard. Spans the send loop dropped to stay on time
   * ({@link PlayoutQueue.skip}) count too: it is the playback position.
   */
  playedMs: number;
  /**
   * Milliseconds played of the current contiguous stretch of audio: since the queue last went from empty to
   * non-empty (or since the previous clear, whichever is later). This is "how far into the current utterance".
   */
  segmentPlayedMs: number;
  /** Milliseconds of queued audio thrown away by this clear. */
  discardedMs: number;
  /** Name of the last mark reached since the previous clear, if any. */
  lastMark?: string;
  /** Marks still pending that were dropped by this clear (not fired), in queue order. */
  discardedMarks: string[];
}

interface PendingMark {
  /** Absolute sample position: fires once `taken >= at`. */
  at: number;
  name: string;
}

export class PlayoutQueue {
  private chunks: Int16Array[] = [];
  /** Arrival time of each chunk, parallel to `chunks`. */
  private arrivals: number[] = [];
  /** Read offset into chunks[0]. */
  private head = 0;
  private pushed = 0;
  private taken = 0;
  private marks: PendingMark[] = [];
  private listeners: Array<(name: string) => void> = [];
  private takenAtClear = 0;
  private segmentStart = 0;
  private lastMarkSinceClear: string | undefined;
  private readonly maxSamples: number;
  private dropped = 0;
  /**
   * Arrival times of the chunks whose first sample the last {@link take} returned, oldest first. Reused: read it
   * before the next take (no array is allocated per packet).
   */
  readonly startedArrivals: number[] = [];

  /**
   * @param maxBufferedMs most audio held at once (default 120 s): a bot that streams faster than real time for
   *   too long must not grow memory without bound; what does not fit is dropped (newest first) and counted.
   * @param release called with each queued chunk once the queue is done with it (played, skipped or cleared),
   *   so its storage can be reused ({@link Int16Blocks.release}).
   */
  constructor(
    readonly sampleRate: number,
    maxBufferedMs = 120_000,
    private readonly release?: (chunk: Int16Array) => void,
  ) {
    if (!(sampleRate > 0)) throw new RangeError(`invalid sample rate ${sampleRate}`);
    this.maxSamples = Math.floor((sampleRate * maxBufferedMs) / 1000);
  }

  /** Samples dropped because the queue was full. */
  get droppedSamples(): number {
    return this.dropped;
  }

  /** Samples queued and not yet taken. */
  get bufferedSamples(): number {
    return this.pushed - this.taken;
  }

  /** Milliseconds queued and not yet taken. */
  get bufferedMs(): number {
    return (this.bufferedSamples * 1000) / this.sampleRate;
  }

  /**
   * Appends audio; returns how many samples were queued (fewer when the queue is full). The array is kept by
   * reference: do not modify it afterwards. `arrivedAt` (a clock time) is reported back through
   * {@link startedArrivals} when the chunk's first sample is taken. A chunk refused whole goes to `release` at once:
   * the queue is done with every chunk it is given.
   */
  push(pcm: Int16Array, arrivedAt = Number.NaN): number {
    const room = this.maxSamples - this.bufferedSamples;
    const accepted = Math.max(0, Math.min(room, pcm.length));
    this.dropped += pcm.length - accepted;
    if (accepted === 0) {
      this.release?.(pcm);
      return 0;
    }
    if (this.bufferedSamples === 0) this.segmentStart = this.taken;
    this.chunks.push(accepted === pcm.length ? pcm : pcm.subarray(0, accepted));
    this.arrivals.push(arrivedAt);
    this.pushed += accepted;
    return accepted;
  }

  /** Places a mark after the audio queued so far; with nothing queued it fires now (synchronously). */
  mark(name: string): void {
    if (this.bufferedSamples === 0) {
      this.reach(name);
      return;
    }
    this.marks.push({ at: this.pushed, name });
  }

  /** Subscribes to marks as playback reaches them. */
  onMark(cb: (name: string) => void): void {
    this.listeners.push(cb);
  }

  /**
   * Takes the next `n` samples, or null when nothing is queued. A short tail is padded with zeros to `n`.
   * `out` (length >= n) is filled and returned instead of allocating, for the per-packet send loop.
   * Marks whose position has been passed fire before this returns.
   */
  take(n: number, out?: Int16Array): Int16Array | null {
    emptyKeepingCapacity(this.startedArrivals);
    if (this.bufferedSamples === 0) return null;
    const dst = out ? (out.length === n ? out : out.subarray(0, n)) : new Int16Array(n);
    const filled = this.consume(n, dst);
    if (filled < n) dst.fill(0, filled);
    return dst;
  }

  /**
   * Drops up to `n` samples from the head as if they had been played (the playback position moves past them,
   * marks there fire, `playedMs` counts them): the send loop uses it to stay on the wall clock. Returns how many.
   */
  skip(n: number): number {
    emptyKeepingCapacity(this.startedArrivals);
    const skipped = this.consume(n, undefined);
    emptyKeepingCapacity(this.startedArrivals); // skipped chunks never reach the caller: no latency to report
    return skipped;
  }

  /** Largest |sample| among the next `n` queued samples (0 when empty): is that span quiet enough to drop? */
  peakAbs(n: number): number {
    let peak = 0;
    let left = n;
    let offset = this.head;
    for (let c = 0; c < this.chunks.length && left > 0; c++) {
      const chunk = this.chunks[c];
      const end = Math.min(chunk.length, offset + left);
      for (let i = offset; i < end; i++) {
        const v = chunk[i] < 0 ? -chunk[i] : chunk[i];
        if (v > peak) peak = v;
      }
      left -= end - offset;
      offset = 0;
    }
    return peak;
  }

  /** Moves up to `n` samples from the head into `dst` (or nowhere), firing the marks passed; returns how many. */
  private consume(n: number, dst: Int16Array | undefined): number {
    let filled = 0;
    while (filled < n && this.chunks.length > 0) {
      const chunk = this.chunks[0];
      if (this.head === 0) this.startedArrivals.push(this.arrivals[0]);
      const count = Math.min(n - filled, chunk.length - this.head);
      if (dst) for (let i = 0, from = this.head; i < count; i++) dst[filled + i] = chunk[from + i]; // no view per packet
      filled += count;
      this.head += count;
      if (this.head === chunk.length) {
        this.release?.(chunk);
        this.chunks.shift();
        this.arrivals.shift();
        this.head = 0;
      }
    }
    this.taken += filled;
    while (this.marks.length > 0 && this.marks[0].at <= this.taken) this.reach(this.marks.shift()!.name);
    return filled;
  }

  /** Drops everything queued and every pending mark; see {@link PlayoutClearResult} for what it reports. */
  clear(): PlayoutClearResult {
    const toMs = (samples: number) => (samples * 1000) / this.sampleRate;
    const result: PlayoutClearResult = {
      playedMs: toMs(this.taken - this.takenAtClear),
      segmentPlayedMs: toMs(this.taken - Math.max(this.segmentStart, this.takenAtClear)),
      discardedMs: this.bufferedMs,
      discardedMarks: this.marks.map((m) => m.name),
    };
    if (this.lastMarkSinceClear !== undefined) result.lastMark = this.lastMarkSinceClear;
    if (this.release) for (const chunk of this.chunks) this.release(chunk);
    this.chunks = [];
    this.arrivals = [];
    this.head = 0;
    this.marks = [];
    this.pushed = this.taken;
    this.takenAtClear = this.taken;
    this.segmentStart = this.taken;
    this.lastMarkSinceClear = undefined;
    return result;
  }

  private reach(name: string): void {
    this.lastMarkSinceClear = name;
    for (const cb of this.listeners) cb(name);
  }
}
