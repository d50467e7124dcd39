/**
 * `bots.<name>`: a builtin bot or a WebSocket bot, and for the latter the wire protocol it speaks. Errors name
 * the exact field (`bots.support.protocol`, `bots.support.sampleRate`).
 */
import { z } from 'zod';
import { BOT_LINK_KEYS, botLinkFields, linkConfigOf, type BotLinkConfig } from './bot-link-schema.js';
import { recordingModeSchema, type RecordingMode } from './recordings-schema.js';

/**
 * Wire protocols a bot may speak. The same names as bot/'s dialect registry (config/ does not import bot/;
 * app/seams.ts fails to compile when the two lists differ).
 */
export const BOT_PROTOCOLS = ['native', 'twilio', 'telnyx', 'plivo', 'exotel', 'vonage', 'jambonz'] as const;
/** One of {@link BOT_PROTOCOLS}. */
export type BotProtocol = (typeof BOT_PROTOCOLS)[number];

/** A bot's L16 rate, Hz. */
type BotRate = 8000 | 16000 | 24000;

/**
 * The audio rates each protocol allows, and the one a bot gets without `sampleRate`: G.711 dialects have one
 * rate; Exotel streams 8, 16 or 24 kHz (8 kHz unless told, as Exotel and Pipecat's serializer assume), Vonage 8
 * or 16 kHz (16 kHz, Vonage's recommendation and Pipecat's default), jambonz 8 kHz unless told (`listen`'s own
 * default); protocol v1 any of the three (16 kHz).
 */
const RATES: Record<BotProtocol, { allowed: readonly BotRate[]; default: BotRate }> = {
  native: { allowed: [8000, 16000, 24000], default: 16000 },
  twilio: { allowed: [8000], default: 8000 },
  telnyx: { allowed: [8000], default: 8000 },
  plivo: { allowed: [8000], default: 8000 },
  exotel: { allowed: [8000, 16000, 24000], default: 8000 },
  vonage: { allowed: [8000, 16000], default: 16000 },
  jambonz: { allowed: [8000, 16000, 24000], default: 8000 },
};

const protocolSchema = z.enum(BOT_PROTOCOLS, { error: `must be one of: ${BOT_PROTOCOLS.join(', ')}` });

/**
 * Raw bot entry: one object with every allowed key so that errors name the exact field (a zod union would
 * report "no branch matched" at the bot itself). The superRefine enforces which keys go with which kind.
 */
const ECHO_ONLY_KEYS = ['delayFrames'] as const;
const WS_ONLY_KEYS = ['url', 'sampleRate', 'headers', 'connectTimeoutMs', 'protocol', 'parameters', 'encoding', 'twilio', ...BOT_LINK_KEYS] as const;

/**
 * `bots.<name>.twilio`: the credentials of the Twilio-compatible REST shim (README "Twilio REST shim"). The
 * account SID is also the one the bot sees in `start.accountSid`, so a Pipecat bot that reads it from `start`
 * and posts it back with this token is authenticated. Shaped like Twilio's (AC + 32 hex) because bots and
 * Twilio's SDKs may check it.
 */
const twilioCredentialsSchema = z.strictObject({
  accountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be "AC" followed by 32 hex digits, as Twilio shapes it'),
  /** Basic-auth password of the shim; a secret (redacted by the key name "token"). */
  authToken: z.string().min(16, 'at least 16 characters').max(256),
  /** Outbound trunk a `<Dial>NUMBER</Dial>` transfer and a call placed through Calls.json dial through (TwiML cannot name one). */
  transferTrunk: z.string().min(1).max(64).optional(),
});

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
    /** Twilio: the REST shim's credentials for this bot. */
    twilio: twilioCredentialsSchema.optional(),
    // Reconnect, keepalive, buffers, signing (bot-link-schema.ts).
    ...botLinkFields,
    /** How this bot's calls are recorded where the number and trunk say nothing (default off). */
    recording: recordingModeSchema.optional(),
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

/** The fields that depend on the protocol: the rates it carries, Telnyx's encoding, Twilio's REST credentials. */
function checkProtocolFields(b: { protocol?: unknown; sampleRate?: unknown; encoding?: unknown; twilio?: unknown }, ctx: z.RefinementCtx): void {
  const protocol = typeof b.protocol === 'string' && b.protocol in RATES ? (b.protocol as BotProtocol) : 'native';
  const { allowed } = RATES[protocol];
  if (typeof b.sampleRate === 'number' && !allowed.includes(b.sampleRate as BotRate)) {
    const message =
      allowed.length === 1
        ? `protocol ${protocol} carries ${allowed[0]} Hz G.711: leave sampleRate out or set ${allowed[0]}`
        : `protocol ${protocol} carries ${allowed.join(' or ')} Hz audio`;
    ctx.addIssue({ code: 'custom', path: ['sampleRate'], message });
  }
  if (b.encoding !== undefined && protocol !== 'telnyx') {
    ctx.addIssue({ code: 'custom', path: ['encoding'], message: 'only for protocol telnyx' });
  }
  if (b.twilio !== undefined && protocol !== 'twilio') {
    ctx.addIssue({ code: 'custom', path: ['twilio'], message: 'only for protocol twilio' });
  }
}

/** A bot run inside the bridge (no socket). */
export interface BuiltinBotConfig {
  readonly builtin: 'echo';
  readonly delayFrames: number;
  readonly recording?: RecordingMode;
}

/** A bot reached over WebSocket (its link keys: bot-link-schema.ts). */
export interface WebSocketBotConfig extends BotLinkConfig {
  readonly url: string;
  /** The L16 rate the bot hears and speaks: its `sampleRate`, the protocol's default, or a G.711 dialect's 8000. */
  readonly sampleRate: BotRate;
  readonly headers: Readonly<Record<string, string>>;
  readonly connectTimeoutMs: number;
  /** Absent: native (protocol v1). */
  readonly protocol?: BotProtocol;
  readonly parameters?: Readonly<Record<string, string>>;
  /** Telnyx only (default PCMU). */
  readonly encoding?: 'PCMU' | 'PCMA';
  /** Twilio only: the REST shim's credentials (the account SID is also the one in `start`). */
  readonly twilio?: { readonly accountSid: string; readonly authToken: string; readonly transferTrunk?: string };
  readonly recording?: RecordingMode;
}

/** One parsed `bots.<name>` entry. */
export type BotConfig = BuiltinBotConfig | WebSocketBotConfig;

/** `bots.<name>`: the raw entry checked, defaults applied, protocol fields only where they say something. */
export const botSchema = rawBotSchema.transform((b): BotConfig => {
  if (b.builtin !== undefined) return { builtin: b.builtin, delayFrames: b.delayFrames ?? 0, ...(b.recording !== undefined ? { recording: b.recording } : {}) };
  const protocol = b.protocol ?? 'native';
  return {
    url: b.url ?? '',
    sampleRate: b.sampleRate ?? RATES[protocol].default,
    headers: b.headers ?? {},
    connectTimeoutMs: b.connectTimeoutMs ?? 3000,
    // A native bot's entry stays what it always was: the protocol fields appear only when they say something.
    ...(protocol !== 'native' ? { protocol } : {}),
    ...(b.parameters !== undefined ? { parameters: b.parameters } : {}),
    ...(protocol === 'telnyx' ? { encoding: b.encoding ?? 'PCMU' } : {}),
    ...(b.twilio !== undefined ? { twilio: b.twilio } : {}),
    ...linkConfigOf(b),
    ...(b.recording !== undefined ? { recording: b.recording } : {}),
  };
});
