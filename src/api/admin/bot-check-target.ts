/**
 * What `POST /v1/bot-checks` checks: a URL the client gives, or a stored bot by name (`{ "bot": "support" }`),
 * whose URL, dialect, sample rate, connect timeout, headers and signing secret come from the live configuration
 * (custom parameters and Telnyx encoding too) here, in the bridge, so the secret and the header values never travel to the client. Pure.
 */
import { z } from 'zod';
import type { BotConfig } from '../../config/index.js';
import { AdminApiError } from './http.js';

/** A bot check as the runner takes it (app/tools.ts hands it to botcheck/). */
export interface BotCheckRequest {
  url: string;
  protocol: string;
  sampleRate?: number;
  listenSec?: number;
  /** The stored bot's name, when the check is of one (for the log and the first step line). */
  bot?: string;
  /** Sent on the upgrade (a stored bot's `headers`); never logged. */
  headers?: Record<string, string>;
  /** A stored bot's `secret`: the upgrade is signed as a call's would be; never logged. */
  secret?: string;
  connectTimeoutMs?: number;
  /** A stored bot's custom parameters (its dialect's custom-parameter field). */
  parameters?: Record<string, string>;
  /** A stored Telnyx bot's G.711 law. */
  encoding?: 'PCMU' | 'PCMA';
}

/** The body of POST /v1/bot-checks; `protocols` are the dialects the bridge has. */
export function botCheckBody(protocols: readonly [string, ...string[]]) {
  return z
    .strictObject({
      bot: z.string().min(1).max(64).optional().describe('a stored bot: its URL, protocol, sample rate, headers and secret are used'),
      url: z.string().regex(/^wss?:\/\//i, 'must be a ws:// or wss:// URL').refine((u) => URL.canParse(u), 'must be a ws:// or wss:// URL').optional(),
      protocol: z.enum(protocols).optional().describe('with url; default native'),
      sampleRate: z.union([z.literal(8000), z.literal(16000), z.literal(24000)]).optional(),
      listenSec: z.number().min(1).max(30).optional(),
    })
    .superRefine((b, ctx) => {
      if (b.bot === undefined && b.url === undefined) ctx.addIssue({ code: 'custom', path: ['url'], message: 'give a url, or the name of a stored bot as "bot"' });
      if (b.bot === undefined) return;
      for (const k of ['url', 'protocol', 'sampleRate'] as const) {
        if (b[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: `not with "bot": the stored bot's ${k} is used` });
      }
    });
}

export type BotCheckBody = z.output<ReturnType<typeof botCheckBody>>;

const botIssue = (message: string): AdminApiError => new AdminApiError('bad-request', `invalid bot check: bot: ${message}`, { issues: [{ field: 'bot', path: 'bot', message }] });

/**
 * The request a body stands for: a URL as given (protocol defaulting to `defaultProtocol`), or the stored bot
 * `bots[body.bot]`. @throws AdminApiError 400 naming `bot` for an unknown or built-in bot.
 */
export function botCheckRequestOf(body: BotCheckBody, bots: Readonly<Record<string, BotConfig>>, defaultProtocol: string): BotCheckRequest {
  const listen = body.listenSec !== undefined ? { listenSec: body.listenSec } : {};
  if (body.bot === undefined) {
    return { url: body.url ?? '', protocol: body.protocol ?? defaultProtocol, ...(body.sampleRate !== undefined ? { sampleRate: body.sampleRate } : {}), ...listen };
  }
  const b = Object.hasOwn(bots, body.bot) ? bots[body.bot] : undefined;
  if (!b) throw botIssue(`no bot "${body.bot}"`);
  if (!('url' in b)) throw botIssue(`"${body.bot}" is a built-in bot (${b.builtin}): there is no WebSocket to check`);
  return {
    bot: body.bot,
    url: b.url,
    protocol: b.protocol ?? 'native',
    sampleRate: b.sampleRate,
    connectTimeoutMs: b.connectTimeoutMs,
    ...(Object.keys(b.headers).length > 0 ? { headers: { ...b.headers } } : {}),
    ...(b.secret !== undefined ? { secret: b.secret } : {}),
    ...(b.parameters !== undefined ? { parameters: { ...b.parameters } } : {}),
    ...(b.encoding !== undefined ? { encoding: b.encoding } : {}),
    ...listen,
  };
}
