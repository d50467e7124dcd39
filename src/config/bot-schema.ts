/**
 * `bots.<name>`: a builtin bot or a WebSocket bot, and for the latter the wire protocol it speaks. Errors name
 * the exact field (`bots.support.protocol`), including for the dialects issue #10 plans but trunkbridge does not
 * speak yet.
 */
import { z } from 'zod';
import { BOT_LINK_KEYS, botLinkFields, linkConfigOf, type BotLinkConfig } from './bot-link-schema.js';

/**
 * Wire protocols a bot may speak. The same names as bot/'s dialect registry (config/ does not import bot/;
 * app-seams.ts fails to compile when the two lists differ).
 */
export const BOT_PROTOCOLS = ['native', 'twilio', 'telnyx'] as const;
/** One of {@link BOT_PROTOCOLS}. */
export type BotProtocol = (typeof BOT_PROTOCOLS)[number];

/** Dialects announced in issue #10 and not there yet: refused, saying so, rather than as unknown words. */
const PLANNED_PROTOCOLS: readonly string[] = ['plivo', 'exotel', 'vonage', 'jambonz'];

/** Dialects whose audio has one rate whatever the bot would like (G.711 at 8 kHz). */
const FIXED_RATE: Partial<Record<BotProtocol, 8000>> = { twilio: 8000, telnyx: 8000 };

const protocolSchema = z.enum(BOT_PROTOCOLS, {
  error: (issue) =>
    typeof issue.input === 'string' && PLANNED_PROTOCOLS.includes(issue.input)
      ? `"${issue.input}" is not available yet (planned); use one of: ${BOT_PROTOCOLS.join(', ')}`
      : `must be one of: ${BOT_PROTOCOLS.join(', ')}`,
});

/**
 * Raw bot entry: one object with every allowed key so that errors name the exact field (a zod union would
 * report "no branch matched" at the bot itself). The superRefine enforces which keys go with which kind.
 */
const ECHO_ONLY_KEYS = ['delayFrames'] as const;
const WS_ONLY_KEYS = ['url', 'sampleRate', 'headers', 'connectTimeoutMs', 'protocol', 'parameters', 'encoding', ...BOT_LINK_KEYS] as const;

const rawBotSchema = z
  .strictObject({
    builtin: z.enum(['echo']).optional(),
    /** Echo bot: frames of delay before audio comes back (20 ms each). */
    delayFrames: z.number().int().min(0).max(500).optional(),
    url: z
      .string()
      .refine((s) => /^wss?:\/\/[^\s/]+/i.test(s) && URL.canParse(s), { message: 'must be a ws:// or wss:// URL' })
      .optional(),
    sampleRate: z.literal([8000, 16000, 24000], { error: 'must be 8000, 16000 or 24000' }).optional(),
    headers: z.record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'invalid header name'), z.string()).optional(),
    connectTimeoutMs: z.number().int().min(50).max(60000).optional(),
    /** Wire protocol; default native (protocol v1). */
    protocol: protocolSchema.optional(),
    /** Reach the bot in its dialect's custom-parameter field (Twilio customParameters, native start.headers). */
    parameters: z.record(z.string().min(1).max(128), z.string().max(1024)).optional(),
    /** Telnyx: G.711 law of the caller audio the bot gets (its start.media_format.encoding). */
    encoding: z.enum(['PCMU', 'PCMA'], { error: 'must be PCMU or PCMA' }).optional(),
    // Reconnect, keepalive, buffers, signing (bot-link-schema.ts).
    ...botLinkFields,
  })
  .superRefine((b, ctx) => {
    if (b.builtin !== undefined && b.url !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'a bot has either "builtin" or "url", not both' });
      return;
    }
    if (b.builtin === undefined && b.url === undefined) {
      ctx.addIssue({ code: 'custom', path: [], message: 'a bot needs "url" (ws:// or wss://) or "builtin: echo"' });
      return;
    }
    const wrong = b.builtin !== undefined ? WS_ONLY_KEYS : ECHO_ONLY_KEYS;
    for (const key of wrong) {
      if (b[key] !== undefined) {
        ctx.addIssue({ code: 'custom', path: [key], message: `not allowed for a ${b.builtin ? 'builtin' : 'url'} bot` });
      }
    }
    if (b.builtin === undefined) checkProtocolFields(b, ctx);
  }, { when: () => true }); // run even when a field failed, so misplaced keys are reported in the same pass

/** The fields that depend on the protocol: a fixed audio rate, Telnyx's encoding. */
function checkProtocolFields(b: { protocol?: unknown; sampleRate?: unknown; encoding?: unknown }, ctx: z.RefinementCtx): void {
  const protocol = typeof b.protocol === 'string' ? (b.protocol as BotProtocol) : 'native';
  const fixed = FIXED_RATE[protocol];
  if (fixed !== undefined && b.sampleRate !== undefined && b.sampleRate !== fixed) {
    ctx.addIssue({ code: 'custom', path: ['sampleRate'], message: `protocol ${protocol} carries ${fixed} Hz G.711: leave sampleRate out or set ${fixed}` });
  }
  if (b.encoding !== undefined && protocol !== 'telnyx') {
    ctx.addIssue({ code: 'custom', path: ['encoding'], message: 'only for protocol telnyx' });
  }
}

/** A bot run inside the bridge (no socket). */
export interface BuiltinBotConfig {
  readonly builtin: 'echo';
  readonly delayFrames: number;
}

/** A bot reached over WebSocket (its link keys: bot-link-schema.ts). */
export interface WebSocketBotConfig extends BotLinkConfig {
  readonly url: string;
  /** The L16 rate of a native bot; a G.711 dialect's own rate (8000) for Twilio and Telnyx. */
  readonly sampleRate: 8000 | 16000 | 24000;
  readonly headers: Readonly<Record<string, string>>;
  readonly connectTimeoutMs: number;
  /** Absent: native (protocol v1). */
  readonly protocol?: BotProtocol;
  readonly parameters?: Readonly<Record<string, string>>;
  /** Telnyx only (default PCMU). */
  readonly encoding?: 'PCMU' | 'PCMA';
}

/** One parsed `bots.<name>` entry. */
export type BotConfig = BuiltinBotConfig | WebSocketBotConfig;

/** `bots.<name>`: the raw entry checked, defaults applied, protocol fields only where they say something. */
export const botSchema = rawBotSchema.transform((b): BotConfig => {
  if (b.builtin !== undefined) return { builtin: b.builtin, delayFrames: b.delayFrames ?? 0 };
  const protocol = b.protocol ?? 'native';
  return {
    url: b.url ?? '',
    sampleRate: FIXED_RATE[protocol] ?? b.sampleRate ?? 16000,
    headers: b.headers ?? {},
    connectTimeoutMs: b.connectTimeoutMs ?? 3000,
    // A native bot's entry stays what it always was: the protocol fields appear only when they say something.
    ...(protocol !== 'native' ? { protocol } : {}),
    ...(b.parameters !== undefined ? { parameters: b.parameters } : {}),
    ...(protocol === 'telnyx' ? { encoding: b.encoding ?? 'PCMU' } : {}),
    ...linkConfigOf(b),
  };
});
