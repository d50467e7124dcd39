/**
 * Turns received RFC 4733 telephone-event packets into key presses, each reported exactly once.
 *
 * An event is identified by (SSRC, RTP timestamp): every packet of one key press carries the timestamp of its
 * start (§2.5.1.2). The press is reported when the first end packet arrives, with the duration from the payload
 * (§2.5.1.3), not from arrival times; the redundant end packets (§2.5.1.4, sent three times) and any late
 * continuation are then recognised by their timestamp and ignored. If the end packets are all lost, the press is
 * reported when another event starts or, via {@link TelephoneEventReceiver.poll}, once no packet of it arrived
 * for `endTimeoutMs`.
 */
import { dtmfDigitOf, parseTelephoneEvent } from './telephone-event.js';

export interface DtmfPress {
  /** '0'–'9', '*', '#', 'A'–'D'. */
  digit: string;
  /** From the payload's duration field, in ms. */
  durationMs: number;
}

export interface TelephoneEventPacket {
  ssrc: number;
  timestamp: number;
  payload: Buffer;
}

interface OpenEvent {
  ssrc: number;
  timestamp: number;
  event: number;
  duration: number;
  lastSeenAt: number;
}

/** Events already reported, remembered so their retransmitted end packets are recognised. */
const REMEMBERED = 16;

export class TelephoneEventReceiver {
  private open: OpenEvent | undefined;
  private readonly reported: string[] = [];

  /**
   * @param clockRate RTP clock rate of the telephone-event format (usually 8000).
   * @param endTimeoutMs How long an event without end packet stays open before it is reported anyway.
   */
  constructor(
    private readonly clockRate: number,
    private readonly endTimeoutMs = 1000,
  ) {}

  /**
   * Feeds one packet. Returns the key presses it completes, in order (usually none or one; two when a new event
   * starts while the previous one never got its end packet).
   */
  push(pkt: TelephoneEventPacket, now: number): DtmfPress[] {
    const te = parseTelephoneEvent(pkt.payload);
    if (!te) return [];
    const key = `${pkt.ssrc}:${pkt.timestamp}`;
    if (this.reported.includes(key)) return []; // retransmitted end, or a straggler of a finished event
    const out: DtmfPress[] = [];
    let cur = this.open;
    if (cur && (cur.ssrc !== pkt.ssrc || cur.timestamp !== pkt.timestamp)) {
      // A new event began: the previous one lost all its end packets.
      this.finish(cur, out);
      cur = undefined;
    }
    if (!cur) {
      cur = { ssrc: pkt.ssrc, timestamp: pkt.timestamp, event: te.event, duration: 0, lastSeenAt: now };
      this.open = cur;
    }
    // Packets may be reordered: the duration only grows.
    cur.duration = Math.max(cur.duration, te.duration);
    cur.lastSeenAt = now;
    if (te.end) this.finish(cur, out);
    return out;
  }

  /** Reports an open event whose end packets never came, once `endTimeoutMs` passed without any of its packets. */
  poll(now: number): DtmfPress[] {
    const cur = this.open;
    if (!cur || now - cur.lastSeenAt < this.endTimeoutMs) return [];
    const out: DtmfPress[] = [];
    this.finish(cur, out);
    return out;
  }

  private finish(ev: OpenEvent, out: DtmfPress[]): void {
    if (this.open === ev) this.open = undefined;
    this.reported.push(`${ev.ssrc}:${ev.timestamp}`);
    if (this.reported.length > REMEMBERED) this.reported.shift();
    const digit = dtmfDigitOf(ev.event);
    // Non-DTMF events (flash, fax tones) are consumed but not reported.
    if (digit !== undefined) out.push({ digit, durationMs: Math.round((ev.duration * 1000) / this.clockRate) });
  }
}
