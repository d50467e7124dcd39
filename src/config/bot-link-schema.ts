/**
 * The keys of a WebSocket bot that keep its connection from stranding a caller (README "Bot connection: reconnect,
 * keepalive, backpressure, signed start"): reconnect window and hold audio, keepalive pings, buffer limits and the
 * upgrade signing secret. Spread into `bots.<name>` by bot-schema.ts; defaults are applied by bot/ (DEFAULT_LINK),
 * so a parsed entry says only what its file says.
 */
import { z } from 'zod';

/** A prompt file: an absolute or config-relative path to a WAV (checked at startup, see app.ts). */
export const promptPath = z.string().min(1).max(4096);

/** The link keys, each optional. */
export const botLinkFields = {
  /** Reopen a dropped socket for this long before the fallback runs, ms; 0 = no reconnect (default 2000). */
  reconnectMs: z.number().int().min(0).max(60_000).optional(),
  /** Played (looped) to the caller while the bot reconnects; default: silence. */
  holdFile: promptPath.optional(),
  /** WebSocket ping period, ms; 0 = no pings (default 5000). */
  pingIntervalMs: z.number().int().refine((n) => n === 0 || (n >= 100 && n <= 600_000), { message: 'must be 0 (off) or 100..600000' }).optional(),
  /** No pong (or any frame) this long after a ping: the connection is treated as dropped, ms (default 3000). */
  pingTimeoutMs: z.number().int().min(100).max(120_000).optional(),
  /** Caller audio the bridge holds for a slow bot before dropping the oldest, bytes (default 65536). */
  sendBufferBytes: z.number().int().min(4096).max(16 * 1024 * 1024).optional(),
  /** Bot audio queued beyond this is refused with a playout-overflow error, s (default 60). */
  maxPlayoutSec: z.number().int().min(1).max(600).optional(),
  /** Signs every upgrade with HMAC-SHA256 (X-Trunkbridge-Signature); never logged. */
  secret: z.string().min(16, 'must be at least 16 characters').max(512).optional(),
} as const;

/** The link keys' names (WebSocket bots only). */
export const BOT_LINK_KEYS = Object.keys(botLinkFields) as Array<keyof typeof botLinkFields>;

/** The link keys of a parsed WebSocket bot entry (present only when configured). */
export interface BotLinkConfig {
  readonly reconnectMs?: number;
  readonly holdFile?: string;
  readonly pingIntervalMs?: number;
  readonly pingTimeoutMs?: number;
  readonly sendBufferBytes?: number;
  readonly maxPlayoutSec?: number;
  readonly secret?: string;
}

/** The configured link keys of a raw entry, nothing else. */
export function linkConfigOf(b: Partial<Record<keyof typeof botLinkFields, unknown>>): BotLinkConfig {
  const out: Record<string, unknown> = {};
  for (const key of BOT_LINK_KEYS) if (b[key] !== undefined) out[key] = b[key];
  return out as BotLinkConfig;
}
