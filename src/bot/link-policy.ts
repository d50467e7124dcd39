/**
 * How the bridge keeps a call's bot connection alive: which closes are a bot hanging up and which are drops worth
 * a reconnect, and the per-bot settings for reconnects, keepalive pings and buffers (plain data: they cross to
 * the media worker inside a {@link BotTarget}).
 */
import type { BotCloseInfo } from './session.js';

/** Per-bot connection settings (`bots.<name>` keys of the same names). */
export interface BotLinkSettings {
  /** How long to keep trying to reopen a dropped socket before the call's fallback runs, ms; 0: no reconnect. */
  reconnectMs: number;
  /** Ping the bot this often, ms; 0: no pings. */
  pingIntervalMs: number;
  /** A bot that sends nothing back (pong or any frame) this long after a ping is treated as dropped, ms. */
  pingTimeoutMs: number;
  /** Caller audio waiting for the socket beyond this many bytes is dropped, oldest first (see the session). */
  sendBufferBytes: number;
  /** Bot audio queued for the caller beyond this is refused with a `playout-overflow` error, s. */
  maxPlayoutSec: number;
  /** A prompt file (WAV) looped to the caller while a dropped bot is being reconnected; absent: silence. */
  holdFile?: string;
}

/** The defaults, as the config schema applies them. */
export const DEFAULT_LINK: Readonly<BotLinkSettings> = {
  reconnectMs: 2000,
  pingIntervalMs: 5000,
  pingTimeoutMs: 3000,
  sendBufferBytes: 64 * 1024,
  maxPlayoutSec: 60,
};

/**
 * Close codes that say the connection was lost or the bot's server is going away, not that the bot hung up:
 * 1001 going away (a server restarting), 1006 no close frame (TCP reset, a crashed process, a ping timeout),
 * 1011 internal error, 1012 service restart, 1013 try again later, 1014 bad gateway (a proxy lost the bot).
 * Every other close the bot makes (1000 normal, 1005 no code, application codes) is a hang-up.
 */
export const DROP_CLOSE_CODES: ReadonlySet<number> = new Set([1001, 1006, 1011, 1012, 1013, 1014]);

/** True when a close is a drop (the bot did not mean to hang up), false for a hang-up or our own `stop`. */
export function isDropClose(info: BotCloseInfo): boolean {
  return info.initiatedByBot && (info.dropped === true || DROP_CLOSE_CODES.has(info.code));
}
