/**
 * What the JSON media-stream dialects (Twilio, Telnyx, Plivo, Exotel) share: every frame is a JSON text frame
 * with an `event` field, marks are echoed once the audio before them played (and, for Twilio and Telnyx, when a
 * clear drops them), and the stream identifiers look like the provider's. Pure helpers, no state beyond
 * {@link PendingMarks}.
 */
import { createHash } from 'node:crypto';
import { BotProtocolError } from '../../core/errors.js';
import type { BotInput, WireFrame } from './dialect.js';
import { decodeG711, fromBase64, type G711Law } from './g711.js';
import { describeValue } from './describe.js';

/** Longest mark name accepted: it ends up in logs (native's limit too). */
export const MAX_MARK_NAME = 256;

/** A frame from the bot with its `event`, or the input that reports why it is not one. */
export type ParsedEvent = { event: string; msg: Record<string, unknown> } | { input: BotInput };

const invalid = (message: string): { input: BotInput } => ({ input: { kind: 'invalid', error: new BotProtocolError(message) } });

/** Reads one bot frame as a JSON object with a string `event`. */
export function parseEventFrame(frame: WireFrame): ParsedEvent {
  if (Buffer.isBuffer(frame)) return invalid('binary frame: this dialect carries audio in JSON "media" events');
  let msg: unknown;
  try {
    msg = JSON.parse(frame);
  } catch (err) {
    return invalid(`invalid JSON: ${(err as Error).message}`);
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return invalid('message must be a JSON object');
  const m = msg as Record<string, unknown>;
  if (typeof m.event !== 'string') return invalid('message has no string "event"');
  return { event: m.event, msg: m };
}

/** The object at `msg[key]`, or undefined. */
function objectField(msg: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
  const v = msg[key];
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** A bot `media` event (`media.payload`, base64 G.711) as L16 audio; an empty payload is nothing. */
export function mediaInput(msg: Record<string, unknown>, law: G711Law): BotInput[] {
  const payload = objectField(msg, 'media')?.payload;
  if (typeof payload !== 'string') return [invalid('"media" needs a string "media.payload"').input];
  const bytes = fromBase64(payload);
  if (!bytes) return [invalid('"media.payload" is not base64').input];
  return bytes.length > 0 ? [{ kind: 'audio', pcm: decodeG711(bytes, law) }] : [];
}

/** A bot `mark` event (`mark.name`) as the bridge's mark command, remembered as pending. */
export function markInput(msg: Record<string, unknown>, pending: PendingMarks): BotInput[] {
  const name = objectField(msg, 'mark')?.name;
  if (typeof name !== 'string') return [invalid('"mark" needs a string "mark.name"').input];
  if (name.length > MAX_MARK_NAME) return [invalid(`"mark.name" longer than ${MAX_MARK_NAME} characters`).input];
  pending.add(name);
  return [{ kind: 'command', command: { type: 'mark', name } }];
}

/**
 * A bot frame of the media-streams family (Twilio, Telnyx: same events from the bot): `media` (base64 PCMU, as
 * both providers' bidirectional streams and Pipecat's runners send it), `mark`, `clear`; anything else ignored.
 */
export function receiveStreamFrame(frame: WireFrame, pending: PendingMarks): BotInput[] {
  const parsed = parseEventFrame(frame);
  if ('input' in parsed) return [parsed.input];
  switch (parsed.event) {
    case 'media':
      return mediaInput(parsed.msg, 'PCMU');
    case 'mark':
      return markInput(parsed.msg, pending);
    case 'clear':
      return [{ kind: 'command', command: { type: 'clear' } }];
    default:
      return ignoredEvent(parsed.event);
  }
}

/** An event the dialect does not know: ignored, as the providers do. */
export function ignoredEvent(event: string): BotInput[] {
  return [{ kind: 'ignored', what: `event ${describeValue(event)}` }];
}

/**
 * Marks the bot placed and has not had back yet, in order. The audio router answers each mark once reached
 * and a clear with `cleared` (its native event); these providers instead echo every pending mark at a clear,
 * which only the dialect can do, since only it knows which marks its bot is still waiting for.
 */
export class PendingMarks {
  private readonly names: string[] = [];

  add(name: string): void {
    this.names.push(name);
  }

  /** True when `name` was pending (the first of that name is no longer). */
  reached(name: string): boolean {
    const i = this.names.indexOf(name);
    if (i < 0) return false;
    this.names.splice(i, 1);
    return true;
  }

  /** Every pending mark, oldest first; none is pending afterwards. */
  drain(): string[] {
    return this.names.splice(0);
  }
}

/** One string counter shared by every event of a stream, starting at "1". */
export class SequenceCounter {
  private n = 0;

  next(): string {
    return String(++this.n);
  }
}

/** 32 lowercase hex digits standing for `id`: a UUID's own digits, else a hash (stable either way). */
export function hex32(id: string): string {
  const plain = id.replace(/-/g, '').toLowerCase();
  return /^[0-9a-f]{32}$/.test(plain) ? plain : createHash('sha256').update(id).digest('hex').slice(0, 32);
}

/** 16 bytes as a UUID (version 4 and variant bits set), for identifiers providers give as UUIDs. */
export function uuidOf(bytes: Buffer): string {
  const b = Buffer.from(bytes.subarray(0, 16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Stable per bot: the same bot always shows the same account identifier. */
export function botDigest(botName: string): string {
  return createHash('sha256').update(`trunkbridge-bot:${botName}`).digest('hex');
}

/** The INVITE's X- headers, then the bot's configured parameters (which win on the same name). */
export function customParameters(headers: Readonly<Record<string, string>>, parameters: Readonly<Record<string, string>>): Record<string, string> {
  return { ...headers, ...parameters };
}

/** Milliseconds of `samples` at `rate`, rounded: media timestamps are whole milliseconds. */
export function msOf(samples: number, rate: number): number {
  return Math.round((samples * 1000) / rate);
}
