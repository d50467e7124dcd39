/**
 * Plays DTMF keys as RFC 4733 telephone-event packets inside a paced RTP stream. The media session asks once per
 * packet slot ({@link TelephoneEventSender.next}); while a key plays, its packets take the place of audio:
 *
 *   start (marker bit) → continuations with growing duration → end packet sent 3 times (§2.5.1.4) → a short gap
 *   of normal audio → next key.
 *
 * Every packet of one key carries the stream timestamp of the slot where the key began (§2.5.1.2); each packet
 * still gets its own sequence number from the session, as RFC 3550 requires.
 */
import { dtmfEventOf, writeTelephoneEvent, TELEPHONE_EVENT_PAYLOAD_SIZE } from './telephone-event.js';

export interface TelephoneEventSenderOptions {
  /** RTP clock rate of the negotiated telephone-event format (units of the duration field). */
  clockRate: number;
  /** Packet interval of the stream, ms. */
  ptimeMs: number;
  /** Audio between two keys, ms (rounded up to whole packets). Default 60. */
  gapMs?: number;
  /** Volume field, -dBm0 (default 10, what most stacks send). */
  volume?: number;
}

/** What to send in one slot instead of audio. `payload` is reused by the next call: send it before asking again. */
export interface TelephoneEventSlot {
  payload: Buffer;
  marker: boolean;
  /** RTP timestamp for the packet: the stream timestamp where the key began. */
  timestamp: number;
}

interface Key {
  event: number;
  /** Packets carrying a growing duration; the last of them has the end bit. */
  ticks: number;
}

/** End packets are sent this many times in all. */
const END_COPIES = 3;
/** Longest key accepted, ms: the 16-bit duration field holds about 8 s at 8 kHz; longer ones would need segments. */
export const MAX_DTMF_DURATION_MS = 5000;
export const MIN_DTMF_DURATION_MS = 40;

export class TelephoneEventSender {
  private readonly keys: Key[] = [];
  private readonly step: number;
  private readonly gapTicks: number;
  private readonly volume: number;
  private readonly buf = Buffer.alloc(TELEPHONE_EVENT_PAYLOAD_SIZE);
  private cur: { key: Key; tick: number; timestamp: number } | undefined;
  private gapLeft = 0;

  constructor(private readonly opts: TelephoneEventSenderOptions) {
    this.step = (opts.clockRate * opts.ptimeMs) / 1000;
    this.gapTicks = Math.ceil((opts.gapMs ?? 60) / opts.ptimeMs);
    this.volume = opts.volume ?? 10;
  }

  /**
   * Queues keys. Throws RangeError for a character that is not a DTMF key or a duration outside
   * [{@link MIN_DTMF_DURATION_MS}, {@link MAX_DTMF_DURATION_MS}]; nothing is queued then.
   */
  enqueue(digits: string, durationMs: number): void {
    if (!Number.isFinite(durationMs) || durationMs < MIN_DTMF_DURATION_MS || durationMs > MAX_DTMF_DURATION_MS) {
      throw new RangeError(`DTMF duration must be ${MIN_DTMF_DURATION_MS}..${MAX_DTMF_DURATION_MS} ms, got ${durationMs}`);
    }
    const events = [...digits].map((d) => {
      const e = dtmfEventOf(d);
      if (e === undefined) throw new RangeError(`not a DTMF key: ${JSON.stringify(d)}`);
      return e;
    });
    const ticks = Math.max(1, Math.round(durationMs / this.opts.ptimeMs));
    for (const event of events) this.keys.push({ event, ticks });
  }

  /** True while keys are queued or playing (including the trailing gap). */
  get busy(): boolean {
    return this.cur !== undefined || this.keys.length > 0 || this.gapLeft > 0;
  }

  /** Drops queued keys; a key already playing is finished properly (its end packets are still sent). */
  clearQueued(): void {
    this.keys.length = 0;
  }

  /**
   * The telephone-event packet for this slot, or null when the slot carries audio.
   * @param streamTimestamp the RTP timestamp this slot would have as audio.
   */
  next(streamTimestamp: number): TelephoneEventSlot | null {
    if (!this.cur) {
      if (this.gapLeft > 0) {
        this.gapLeft--;
        return null;
      }
      const key = this.keys.shift();
      if (!key) return null;
      this.cur = { key, tick: 0, timestamp: streamTimestamp >>> 0 };
    }
    const c = this.cur;
    const { ticks, event } = c.key;
    const end = c.tick >= ticks - 1;
    const duration = Math.min(c.tick + 1, ticks) * this.step;
    const payload = writeTelephoneEvent({ event, end, volume: this.volume, duration }, this.buf);
    const slot: TelephoneEventSlot = { payload, marker: c.tick === 0, timestamp: c.timestamp };
    c.tick++;
    if (c.tick >= ticks + END_COPIES - 1) {
      this.cur = undefined;
      this.gapLeft = this.gapTicks;
    }
    return slot;
  }
}
