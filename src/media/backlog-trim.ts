/**
 * Takes back the backlog a bot streaming in real time is left with after a burst (README, "Send-side latency").
 * When a bot's audio is held up on its way (its loop or the network stalls) and then arrives at once, the queue
 * holds that much more from then on: the bot goes on at real-time pace, so the extra never drains, and every
 * later chunk waits that long — for the rest of a continuous stream.
 *
 * Over a window of audio packets (sliding on in quarters) it compares what the bot pushed with what was played,
 * and keeps the least time a chunk waited for its slot (the slot's time − the chunk's arrival; PhaseTrack gets
 * the same). If the bot kept pace (within {@link PACE_TOLERANCE}) and every chunk waited a packet or more, that
 * wait was never
 * needed to ride out jitter: it is delay only, and that much audio is dropped from the head — where it is quiet
 * within the next {@link QUIET_WAIT_PACKETS} packets, else there. What the queue cannot spare at a slot (the
 * chunks arrive just after their slots) is taken back by sending the next packets a little early instead. A bot
 * far ahead of real time (speech synthesised faster than it plays) does not keep pace, so what it queued stays.
 */
import type { PlayoutQueue } from './playout-queue.js';

/** A bot pushing within this share of what was played in the window keeps pace (chunks of up to ~40 ms). */
export const PACE_TOLERANCE = 0.04;
/** Packets to wait for a quiet span before dropping the backlog wherever it is. */
export const QUIET_WAIT_PACKETS = 10;
/** A span whose samples all stay below this (≈ −30 dBFS, a pause in speech) is quiet. */
const QUIET_PEAK = 1000;

/** The window slides on in this many steps. */
const STEPS = 4;

export class BacklogTrim {
  /** Per quarter of the window, the newest last: samples pushed, samples taken, least wait (ms). */
  private readonly pushed = new Float64Array(STEPS);
  private readonly taken = new Float64Array(STEPS);
  private readonly floorMs = new Float64Array(STEPS).fill(Number.POSITIVE_INFINITY);
  private slots = 0;
  private steps = 0;
  private readonly stepSlots: number;
  /** Samples to drop, found at the end of the last window, and the packets since. */
  private due = 0;
  private dueFor = 0;
  private droppedTotal = 0;

  /**
   * @param windowSlots audio packets per window
   * @param need samples per packet
   * @param ptimeMs packet interval
   */
  constructor(
    windowSlots: number,
    private readonly need: number,
    private readonly ptimeMs: number,
  ) {
    this.stepSlots = Math.max(1, Math.round(windowSlots / STEPS));
  }

  /** Samples dropped so far. */
  get dropped(): number {
    return this.droppedTotal;
  }

  /** The bot queued `n` samples. */
  onPushed(n: number): void {
    this.pushed[STEPS - 1] += n;
  }

  /** How long before its slot one chunk arrived, ms. */
  sample(earlyMs: number): void {
    if (earlyMs < this.floorMs[STEPS - 1]) this.floorMs[STEPS - 1] = earlyMs;
  }

  /**
   * Before a packet of a talkspurt is taken: drops what is due from the head of `queue`, never its last packet.
   * Returns how many ms earlier the send grid should move (a quarter ptime at most per packet) for a rest the
   * queue cannot spare.
   */
  trim(queue: PlayoutQueue): number {
    if (this.due === 0) return 0;
    const waited = this.dueFor++ >= QUIET_WAIT_PACKETS;
    const n = Math.min(this.due, queue.bufferedSamples - this.need);
    if (n > 0 && (waited || queue.peakAbs(n) <= QUIET_PEAK)) {
      const dropped = queue.skip(n);
      this.droppedTotal += dropped;
      this.due -= dropped;
      return 0;
    }
    if (!waited) return 0;
    const pull = Math.min(this.due, this.need / 4);
    this.due -= pull;
    return (pull * this.ptimeMs) / this.need;
  }

  /** After an audio packet: judges the window at the end of each quarter, then slides it on. */
  slot(): void {
    this.taken[STEPS - 1] += this.need;
    if (++this.slots < this.stepSlots) return;
    this.slots = 0;
    if (++this.steps >= STEPS && this.due === 0) this.judge();
    this.pushed.copyWithin(0, 1);
    this.taken.copyWithin(0, 1);
    this.floorMs.copyWithin(0, 1);
    this.pushed[STEPS - 1] = 0;
    this.taken[STEPS - 1] = 0;
    this.floorMs[STEPS - 1] = Number.POSITIVE_INFINITY;
  }

  /** A new talkspurt or a clear: nothing carries over. */
  reset(): void {
    this.pushed.fill(0);
    this.taken.fill(0);
    this.floorMs.fill(Number.POSITIVE_INFINITY);
    this.slots = 0;
    this.steps = 0;
    this.due = 0;
  }

  /** The bot kept pace over the window and every chunk waited a packet or more: that much is due. */
  private judge(): void {
    let pushed = 0;
    let taken = 0;
    let floor = Number.POSITIVE_INFINITY;
    for (let i = 0; i < STEPS; i++) {
      pushed += this.pushed[i];
      taken += this.taken[i];
      floor = Math.min(floor, this.floorMs[i]);
    }
    if (Math.abs(pushed - taken) > PACE_TOLERANCE * taken || !(floor >= this.ptimeMs && floor < Infinity)) return;
    this.due = Math.floor((floor * this.need) / this.ptimeMs);
    this.dueFor = 0;
  }
}
