/**
 * `--paced-sink`: the sink bot's echo on its own clock, one frame per 20 ms per call, as a bot that streams in
 * real time sends it, instead of each frame at once. Echoing at once hands the carrier's timing (SIPp's playing
 * threads on a busy core) straight back to the bridge, whose send clock follows a bot's late audio; on its own
 * clock the bot's frames come at a steady pace and what the caller sees is the bridge's pacing. The clock starts
 * `marginMs` after the first frame so frames a little late still make their slot; a frame that misses its slot
 * goes in the next (nothing is dropped: the bench counts every frame), and a queue deeper than `maxDepth` is
 * sent at once so a burst cannot add lasting delay.
 *
 * The margin is 40 ms (it was 10 until 2026-12-06): the frames it echoes carry the carrier's timing, and at 250
 * calls SIPp's RTP on a busy core came up to 15 ms late (p99, kernel timestamps); each frame that missed its slot
 * made the "bot" skip a beat and then catch up, which is the carrier's jitter handed back to the bridge, not a bot
 * streaming in real time. The margin only delays the echo; latency is measured by the probes, not through it.
 */
export interface PacedEchoOptions {
  ptimeMs?: number;
  marginMs?: number;
  maxDepth?: number;
  /** Each frame sent on the clock: how late after its slot, ms (the bot's own timing, bench-side noise). */
  onLate?: (ms: number) => void;
}

export class PacedEcho {
  private readonly queue: Buffer[] = [];
  private due = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly ptimeMs: number;
  private readonly marginMs: number;
  private readonly maxDepth: number;
  private readonly onLate: ((ms: number) => void) | undefined;

  constructor(
    private readonly send: (frame: Buffer) => void,
    o: PacedEchoOptions = {},
  ) {
    this.ptimeMs = o.ptimeMs ?? 20;
    this.marginMs = o.marginMs ?? 40;
    this.maxDepth = o.maxDepth ?? 6;
    this.onLate = o.onLate;
  }

  push(frame: Buffer): void {
    if (this.closed) return;
    this.queue.push(frame);
    while (this.queue.length > this.maxDepth) this.send(this.queue.shift()!);
    if (this.timer === undefined) {
      this.due = performance.now() + this.marginMs;
      this.arm();
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.queue.length = 0;
  }

  private arm(): void {
    this.timer = setTimeout(() => this.tick(), Math.max(0, this.due - performance.now()));
  }

  /** One slot: the oldest frame, if any; the next slot is due one ptime after this one, not after now (no drift). */
  private tick(): void {
    const frame = this.queue.shift();
    if (frame) {
      this.onLate?.(performance.now() - this.due);
      this.send(frame);
    }
    this.due += this.ptimeMs;
    // Far behind (the process stalled): restart the clock from now rather than firing the missed slots at once.
    if (performance.now() - this.due > 5 * this.ptimeMs) this.due = performance.now();
    this.arm();
  }
}
