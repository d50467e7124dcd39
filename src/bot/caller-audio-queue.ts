/**
 * Caller audio waiting for a backed-up bot socket: bounded in bytes, and when full the oldest frame goes first,
 * so a bot that catches up hears the most recent audio (what the caller is saying now), not a stale backlog.
 */

/** A FIFO of caller frames capped at `maxBytes`; what does not fit pushes the oldest frames out. */
export class CallerAudioQueue {
  private readonly frames: Buffer[] = [];
  private head = 0;
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** Frames waiting. */
  get length(): number {
    return this.frames.length - this.head;
  }

  /** Bytes waiting. */
  get byteLength(): number {
    return this.bytes;
  }

  /**
   * Queues a copy of `frame` (the caller may reuse its buffer); returns how many older frames were dropped to
   * make room (a frame larger than the whole queue replaces everything).
   */
  push(frame: Buffer): number {
    let dropped = 0;
    while (this.length > 0 && this.bytes + frame.length > this.maxBytes) {
      this.bytes -= this.frames[this.head++].length;
      dropped++;
    }
    this.frames.push(Buffer.from(frame));
    this.bytes += frame.length;
    this.compact();
    return dropped;
  }

  /** The oldest frame, removed; undefined when empty. */
  shift(): Buffer | undefined {
    if (this.length === 0) return undefined;
    const frame = this.frames[this.head++];
    this.bytes -= frame.length;
    this.compact();
    return frame;
  }

  clear(): void {
    this.frames.length = 0;
    this.head = 0;
    this.bytes = 0;
  }

  /** Drops consumed slots now and then, so the array does not grow with the call. */
  private compact(): void {
    if (this.head === this.frames.length) {
      this.frames.length = 0;
      this.head = 0;
    } else if (this.head > 64) {
      this.frames.splice(0, this.head);
      this.head = 0;
    }
  }
}
