/**
 * What the dialects that carry raw 16-bit PCM share (Exotel in base64 JSON, Vonage and jambonz in binary
 * frames): bot audio whose messages may split a sample, JSON control frames keyed by a field other than
 * `event`, and marks the bridge tracks by its own token so that a bot's names (or Vonage's arbitrary notify
 * payloads) never collide in the audio router. Pure helpers with per-connection state only.
 */
import { BotProtocolError } from '../../core/errors.js';
import type { BotInput } from './dialect.js';

/** A reason a bot frame was refused, as the session's input. */
export function invalidInput(message: string): BotInput {
  return { kind: 'invalid', error: new BotProtocolError(message) };
}

/**
 * Bot audio in L16 of any length. A message may end mid-sample (a bot that chunks bytes, not samples); the odd
 * byte waits for the next message instead of shifting every later sample by one byte.
 */
export class L16Joiner {
  private carryByte = -1;

  /** The whole samples available after `bytes`, as audio input (none when there is not one yet). */
  take(bytes: Buffer): BotInput[] {
    let pcm = bytes;
    if (this.carryByte >= 0) {
      pcm = Buffer.allocUnsafe(bytes.length + 1);
      pcm[0] = this.carryByte;
      bytes.copy(pcm, 1);
      this.carryByte = -1;
    }
    if (pcm.length % 2 === 1) {
      this.carryByte = pcm[pcm.length - 1];
      pcm = pcm.subarray(0, pcm.length - 1);
    }
    return pcm.length > 0 ? [{ kind: 'audio', pcm }] : [];
  }
}

/** A text frame read as a JSON object, or the input saying why it is not one. */
export type JsonObjectFrame = { msg: Record<string, unknown> } | { input: BotInput };

/** Reads one text frame as a JSON object (any fields). */
export function jsonObjectFrame(text: string): JsonObjectFrame {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch (err) {
    return { input: invalidInput(`invalid JSON: ${(err as Error).message}`) };
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return { input: invalidInput('message must be a JSON object') };
  return { msg: msg as Record<string, unknown> };
}

/** The object at `msg[key]`, or undefined. */
export function objectAt(msg: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
  const v = msg[key];
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/**
 * The bot's marks (checkpoints, notifies) still waiting for their audio, each under a token the bridge made up:
 * the audio router sees only tokens, so two marks of one name, or a mark the bot dropped and placed again, are
 * told apart, and a payload that is not a name (Vonage's notify) travels with its token.
 */
export class MarkTokens<T> {
  private readonly pending = new Map<string, T>();
  private counter = 0;

  /** Remembers `value`; the returned token is the mark name for the audio router. */
  add(value: T): string {
    const token = `m${++this.counter}`;
    this.pending.set(token, value);
    return token;
  }

  /** The value of a reached token, now no longer pending; undefined for a token dropped meanwhile. */
  reached(token: string): T | undefined {
    const value = this.pending.get(token);
    if (value !== undefined) this.pending.delete(token);
    return value;
  }

  /** Every pending value, oldest first; none is pending afterwards. */
  drain(): T[] {
    const values = [...this.pending.values()];
    this.pending.clear();
    return values;
  }
}
