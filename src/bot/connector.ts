/**
 * Opening a bot session for a call: the builtin echo bot in process, or a WebSocket to the bot's URL with a
 * connect timeout on the injected clock.
 */
import { randomBytes } from 'node:crypto';
import type { ClientRequest, IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import type { Clock } from '../core/clock.js';
import { BotConnectError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { EchoBotSession } from './echo-session.js';
import { DEFAULT_LINK, type BotLinkSettings } from './link-policy.js';
import { signedStartHeaders } from './signature.js';
import { dialectFor, type DialectName } from './protocols/registry.js';
import type { BotSession } from './session.js';
import { WebSocketBotSession } from './websocket-session.js';

/**
 * Where a call's bot lives and how it talks, resolved from config once at startup. Plain data only: it is
 * structured-cloned to the media worker thread that opens the socket.
 */
export interface BotTarget {
  name: string;
  url?: string;
  builtin?: 'echo';
  /** Sample rate of the L16 audio exchanged with the bot (a G.711 dialect's own rate, 8000, for those). */
  sampleRate: number;
  /** Wire protocol (see protocols/registry.ts); absent: native, protocol v1. */
  protocol?: DialectName;
  /** `bots.<name>.parameters`: reach the bot in its dialect's custom-parameter field. */
  parameters?: Record<string, string>;
  /** Telnyx: G.711 law of the caller audio sent to the bot (default PCMU). */
  encoding?: 'PCMU' | 'PCMA';
  /** Twilio: the configured account SID shown in `start` (never the auth token: that stays with the REST shim). */
  accountSid?: string;
  /** Sent on the WebSocket upgrade (e.g. Authorization). Never logged. */
  headers?: Record<string, string>;
  connectTimeoutMs: number;
  /** Reconnect, keepalive and buffer settings (WebSocket bots; absent: {@link DEFAULT_LINK}). */
  link?: BotLinkSettings;
  /** Signs every upgrade (see signature.ts). Never logged. */
  secret?: string;
  /** Builtin echo only: frames of delay. */
  echoDelayFrames?: number;
}

export interface ConnectContext {
  callId: string;
  clock: Clock;
  logger: Logger;
  /** Called for every caller audio frame dropped because the bot is backed up (metrics). */
  onFrameDropped?: () => void;
  /** Backpressure threshold, see {@link WebSocketBotSession}. */
  maxBufferedBytes?: number;
  /** Aborts a connection attempt still in progress (the caller cancelled): the socket is closed at once. */
  abort?: AbortSignal;
  /** Wall-clock milliseconds since the epoch, for signature timestamps (default Date.now). */
  wallClock?: () => number;
}

/**
 * One configured bot as the connector reads it: the builtin echo bot, or a WebSocket bot. bot/ declares this
 * itself instead of importing config/ (config's `bots.<name>` entries fit it, checked in src/app/seams.ts).
 */
export type BotDefinition =
  | { readonly builtin: 'echo'; readonly delayFrames: number }
  | {
      readonly url: string;
      readonly sampleRate: number;
      readonly headers: Readonly<Record<string, string>>;
      readonly connectTimeoutMs: number;
      readonly protocol?: DialectName;
      readonly parameters?: Readonly<Record<string, string>>;
      readonly encoding?: 'PCMU' | 'PCMA';
      readonly twilio?: { readonly accountSid: string };
      readonly reconnectMs?: number;
      readonly pingIntervalMs?: number;
      readonly pingTimeoutMs?: number;
      readonly sendBufferBytes?: number;
      readonly maxPlayoutSec?: number;
      readonly holdFile?: string;
      readonly secret?: string;
    };

/** Largest message accepted from a bot (bounds memory if a bot misbehaves): 4 MiB is ~87 s of 24 kHz audio. */
const MAX_BOT_MESSAGE_BYTES = 4 * 1024 * 1024;

/**
 * Converts one `bots.<name>` config entry.
 * The echo bot runs at 8 kHz: it returns what it gets, and 8 kHz is the telephone rate (no resampling).
 * A dialect with its own audio rate (Twilio, Telnyx: 8 kHz G.711) sets the rate; native bots keep theirs.
 */
export function botTargetFromConfig(name: string, cfg: BotDefinition): BotTarget {
  if ('builtin' in cfg) {
    return { name, builtin: cfg.builtin, sampleRate: 8000, connectTimeoutMs: 0, echoDelayFrames: cfg.delayFrames };
  }
  const dialect = dialectFor(cfg.protocol);
  return {
    name,
    url: cfg.url,
    sampleRate: dialect.sampleRate ?? cfg.sampleRate,
    headers: { ...cfg.headers },
    connectTimeoutMs: cfg.connectTimeoutMs,
    // Only what differs from a native bot, so a native target stays exactly what it always was.
    ...(cfg.protocol !== undefined && cfg.protocol !== 'native' ? { protocol: cfg.protocol } : {}),
    ...(cfg.parameters !== undefined && Object.keys(cfg.parameters).length > 0 ? { parameters: { ...cfg.parameters } } : {}),
    ...(cfg.encoding !== undefined ? { encoding: cfg.encoding } : {}),
    ...(cfg.twilio !== undefined ? { accountSid: cfg.twilio.accountSid } : {}),
    link: linkOf(cfg),
    ...(cfg.secret !== undefined ? { secret: cfg.secret } : {}),
  };
}

/** The link settings of a bot entry, defaults where it says nothing. */
function linkOf(cfg: Partial<BotLinkSettings>): BotLinkSettings {
  return {
    reconnectMs: cfg.reconnectMs ?? DEFAULT_LINK.reconnectMs,
    pingIntervalMs: cfg.pingIntervalMs ?? DEFAULT_LINK.pingIntervalMs,
    pingTimeoutMs: cfg.pingTimeoutMs ?? DEFAULT_LINK.pingTimeoutMs,
    sendBufferBytes: cfg.sendBufferBytes ?? DEFAULT_LINK.sendBufferBytes,
    maxPlayoutSec: cfg.maxPlayoutSec ?? DEFAULT_LINK.maxPlayoutSec,
    ...(cfg.holdFile !== undefined ? { holdFile: cfg.holdFile } : {}),
  };
}

/** The session over an open socket, speaking the target's dialect for this call. */
function sessionOn(ws: WebSocket, target: BotTarget, ctx: ConnectContext): WebSocketBotSession {
  return new WebSocketBotSession(ws, {
    logger: ctx.logger,
    onFrameDropped: ctx.onFrameDropped,
    maxBufferedBytes: ctx.maxBufferedBytes ?? target.link?.sendBufferBytes,
    dialect: dialectFor(target.protocol),
    clock: ctx.clock,
    pingIntervalMs: target.link?.pingIntervalMs ?? DEFAULT_LINK.pingIntervalMs,
    pingTimeoutMs: target.link?.pingTimeoutMs ?? DEFAULT_LINK.pingTimeoutMs,
    context: {
      callId: ctx.callId,
      botName: target.name,
      sampleRate: target.sampleRate,
      parameters: target.parameters ?? {},
      ...(target.encoding !== undefined ? { encoding: target.encoding } : {}),
      ...(target.accountSid !== undefined ? { accountSid: target.accountSid } : {}),
      randomBytes,
      wallClock: Date.now,
    },
  });
}

/** URL for logs: no credentials, no query string (tokens often live there). */
function loggableUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid url)';
  }
}

/**
 * Opens the bot session for one call. Resolves once the socket is open (upgrade answered 101).
 * @throws BotConnectError (SIP 503) when the connection is refused, times out, or the upgrade is answered
 *   with anything but 101.
 */
export async function connectBot(target: BotTarget, ctx: ConnectContext): Promise<BotSession> {
  if (target.builtin === 'echo') return new EchoBotSession({ delayFrames: target.echoDelayFrames ?? 0 });
  if (!target.url) throw new BotConnectError(`bot "${target.name}" has neither url nor builtin`);
  const url = target.url;
  const where = `bot "${target.name}" at ${loggableUrl(url)}`;
  const dialect = dialectFor(target.protocol);
  ctx.logger.debug({ bot: target.name, url: loggableUrl(url), protocol: dialect.name }, 'connecting to bot');

  return new Promise<BotSession>((resolve, reject) => {
    let settled = false;
    let ws: WebSocket;
    try {
      // Signed per attempt: a reconnect gets a fresh timestamp.
      const signed = target.secret !== undefined ? signedStartHeaders(target.secret, ctx.callId, url, (ctx.wallClock ?? Date.now)()) : {};
      ws = new WebSocket(url, dialect.subprotocol !== undefined ? [dialect.subprotocol] : [], {
        perMessageDeflate: false,
        headers: { ...target.headers, ...signed },
        maxPayload: MAX_BOT_MESSAGE_BYTES,
        followRedirects: false,
      });
    } catch (err) {
      reject(new BotConnectError(`${where}: ${(err as Error).message}`, err));
      return;
    }
    const fail = (message: string, cause?: unknown) => {
      if (settled) return;
      settled = true;
      timer.cancel();
      ctx.abort?.removeEventListener('abort', onAbort);
      reject(new BotConnectError(`${where}: ${message}`, cause));
      ws.terminate();
    };
    const timer = ctx.clock.setTimeout(
      () => fail(`no WebSocket upgrade within ${target.connectTimeoutMs} ms`),
      target.connectTimeoutMs,
    );
    const onError = (err: Error) => fail(err.message, err);
    ws.on('error', onError);
    // Removed once the attempt settles: the call's signal lives as long as the call and would keep this
    // attempt's closure (socket, timer) with it.
    const onAbort = () => fail('connection attempt aborted');
    if (ctx.abort) {
      if (ctx.abort.aborted) fail('connection attempt aborted');
      else ctx.abort.addEventListener('abort', onAbort, { once: true });
    }
    ws.on('unexpected-response', (_req: ClientRequest, res: IncomingMessage) => {
      res.resume();
      fail(`upgrade rejected with HTTP ${res.statusCode ?? '?'}`);
    });
    ws.once('open', () => {
      if (settled) return;
      settled = true;
      timer.cancel();
      ws.off('error', onError);
      ctx.abort?.removeEventListener('abort', onAbort);
      resolve(sessionOn(ws, target, ctx));
    });
  });
}
