/**
 * Ties a send stream's RTP timestamps to the clock across talkspurts. Within a talkspurt they run contiguously,
 * paced by the bot's audio. With silence suppression the next talkspurt starts on the wall clock (RFC 3550 §5.1:
 * the timestamp says how much time passed), never overlapping the last packet; with silence fill the stream stays
 * contiguous and the silence packets' timing comes back to the wall clock instead ({@link behindMs}).
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
   * How far the stream's next timestamp is behind the wall clock at time `t`, ms (negative: ahead). With silence
   * fill the stream never jumps: its packets go a little early or late until this is back to zero.
   */
  behindMs(t: number): number {
    return (((this.wallTs(t) - this.stream.timestamp) | 0) * 1000) / this.base.rate;
  }

  private wallTs(t: number): number {
    return (this.base.ts + Math.round(((t - this.base.at) * this.base.rate) / 1000)) >>> 0;
  }
}

/** The later of two RTP timestamps (mod 2^32). */
function laterTs(a: number, b: number): number {
  return ((a - b) | 0) >= 0 ? a >>> 0 : b >>> 0;
}
