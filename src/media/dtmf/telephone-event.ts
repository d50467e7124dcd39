/**
 * RFC 4733 telephone-event payload (§2.3): event(8) | E(1) R(1) volume(6) | duration(16), as pure functions,
 * and the DTMF key ↔ event code mapping (§3.2: 0–9, * = 10, # = 11, A–D = 12–15).
 */

/** One telephone-event payload. `duration` is in RTP clock units of the telephone-event format. */
export interface TelephoneEventPayload {
  event: number;
  end: boolean;
  /** Power level in -dBm0, 0..63 (sent as 10 for DTMF by most stacks). */
  volume: number;
  duration: number;
}

export const TELEPHONE_EVENT_PAYLOAD_SIZE = 4;

const DIGITS = '0123456789*#ABCD';

/** The DTMF key for an event code (0–15), or undefined for other events (flash, modem tones). */
export function dtmfDigitOf(event: number): string | undefined {
  return event >= 0 && event < DIGITS.length ? DIGITS[event] : undefined;
}

/** The event code of a DTMF key ('0'–'9', '*', '#', 'A'–'D', case-insensitive), or undefined. */
export function dtmfEventOf(digit: string): number | undefined {
  if (digit.length !== 1) return undefined;
  const i = DIGITS.indexOf(digit.toUpperCase());
  return i < 0 ? undefined : i;
}

/** True when every character of `digits` is a DTMF key. */
export function isDtmfDigits(digits: string): boolean {
  if (digits.length === 0) return false;
  for (const d of digits) if (dtmfEventOf(d) === undefined) return false;
  return true;
}

/** Parses a payload; null when shorter than 4 bytes. Extra bytes (a second, redundant block) are ignored. */
export function parseTelephoneEvent(payload: Buffer): TelephoneEventPayload | null {
  if (payload.length < TELEPHONE_EVENT_PAYLOAD_SIZE) return null;
  return {
    event: payload[0],
    end: (payload[1] & 0x80) !== 0,
    volume: payload[1] & 0x3f,
    duration: payload.readUInt16BE(2),
  };
}

/** Writes a payload into `out` (4 bytes, allocated when omitted). Duration is clamped to 16 bits. */
export function writeTelephoneEvent(p: TelephoneEventPayload, out: Buffer = Buffer.allocUnsafe(TELEPHONE_EVENT_PAYLOAD_SIZE)): Buffer {
  out[0] = p.event & 0xff;
  out[1] = (p.end ? 0x80 : 0) | (p.volume & 0x3f);
  out.writeUInt16BE(Math.min(0xffff, Math.max(0, Math.round(p.duration))), 2);
  return out.subarray(0, TELEPHONE_EVENT_PAYLOAD_SIZE);
}
