/**
 * Keeps a send stream's RTP timestamps tied to the clock across talkspurts (RFC 3550 §5.1: after silence the
 * timestamp says how much time passed). Within a talkspurt they run contiguously, paced by the bot's audio; at its
 * edges they go back to the wall clock, never backwards and never overlapping the last packet sent.
 */
import type { RtpStreamSender } from './rtp-stream-sender.js';

export class WallTimestamps {
  /** W(t) = ts + (t − at)·rate/1000. */
  private base = { ts: 0, at: 0, rate: 8000 };
  /** Stream timestamp right after the last packet sent. */
  private afterSent = 0;

  constructor(private readonly stream: RtpStreamSender) {}

  /** Anchors the mapping: the stream's next timestamp belongs to clock time `at` (start, codec switch). */
  anchor(at: number, clockRate: number): void {
    this.base = { ts: this.stream.timestamp, at, rate: clockRate };
    this.afterSent = this.stream.timestamp;
  }

  /** A packet went out. */
  sent(): void {
    this.afterSent = this.stream.timestamp;
  }

  /** A talkspurt after silence suppression starts at clock time `at`: its timestamp is the wall clock's. */
  startSpurt(at: number): void {
    this.stream.timestamp = laterTs(this.wallTs(at), this.afterSent);
  }

  /**
   * Silence after a talkspurt, sent at `now`: a stream behind the wall clock jumps to it; one ahead (its talkspurt
   * began early) keeps its timestamp. Returns how many ms ahead, for the caller to send that much later.
   */
  relock(now: number): number {
    const wall = this.wallTs(now);
    const ts = laterTs(wall, this.stream.timestamp);
    this.stream.timestamp = ts;
    return (((ts - wall) | 0) * 1000) / this.base.rate;
  }

  private wallTs(t: number): number {
    return (this.base.ts + Math.round(((t - this.base.at) * this.base.rate) / 1000)) >>> 0;
  }
}

/** The later of two RTP timestamps (mod 2^32). */
function laterTs(a: number, b: number): number {
  return ((a - b) | 0) >= 0 ? a >>> 0 : b >>> 0;
}
