/**
 * The config schema: shape and defaults in one place (cross-field rules in cross-checks.ts). Parsing happens
 * once at load (see load.ts); everything downstream receives the typed, frozen result and never re-validates.
 */
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import { apiSchema, forwardToSchema, outboundTrunkSchema, registrationSchema, transferAllowSchema, transferDestinationSchema } from './outbound-schema.js';
import { DIAL_PLANS } from '../trunks/number-format.js';
import { crossCheck, type LooseConfig } from './cross-checks.js';
import { callRecordsSchema, webhookSchema } from './records-schema.js';
import { botSchema } from './bot-schema.js';
import { fallbackSchema } from './fallback-schema.js';
import { checkRecordingModes, recordingModeSchema, recordingsSchema } from './recordings-schema.js';
import { securitySchema } from './security-schema.js';

export type { CallRecordsConfig, WebhookConfig } from './records-schema.js';
export type { BotConfig, BotProtocol, BuiltinBotConfig, WebSocketBotConfig } from './bot-schema.js';
export type { FallbackConfig } from './fallback-schema.js';
export type { RecordingMode, RecordingsConfig } from './recordings-schema.js';
export type { SecurityConfig } from './security-schema.js';

/** A TCP/UDP port; 0 means "any free port" (handy for tests). */
const listenPort = z.number().int().min(0).max(65535);

/** Names used as references (bot names, trunk names): safe in logs and metric labels. */
const nameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be 1-64 chars of letters, digits, "_", "." or "-"');

/** A literal IP address (v4 or v6). */
const ipAddress = z.string().refine((s) => isIP(s) !== 0, { message: 'must be an IP address' });

/** A host to advertise: an IP address or a DNS name. */
const hostName = z
  .string()
  .refine((s) => isIP(s) !== 0 || /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,62}\.?)*[A-Za-z0-9]?$/.test(s), {
    message: 'must be an IP address or host name',
  });

/**
 * Checks an allow-list entry: a plain IP or a CIDR "addr/prefix". Returns an error message or undefined.
 * Exported for the router, which must agree on what is valid.
 */
export function checkAddressRule(rule: string): string | undefined {
  const slash = rule.indexOf('/');
  if (slash < 0) {
    return isIP(rule) || isHostRule(rule) ? undefined : 'must be an IP address, CIDR (e.g. 198.51.100.0/24) or host name';
  }
  const addr = rule.slice(0, slash);
  const prefixText = rule.slice(slash + 1);
  const family = isIP(addr);
  if (family === 0) return `"${addr}" is not an IP address`;
  const maxPrefix = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > maxPrefix) {
    return `prefix length must be 0..${maxPrefix}`;
  }
  try {
    new BlockList().addSubnet(addr, Number(prefixText), family === 4 ? 'ipv4' : 'ipv6');
  } catch (err) {
    return `invalid CIDR: ${(err as Error).message}`;
  }
  return undefined;
}

/** A DNS name in an allow list (resolved at load and periodically by the trunk layer). */
export function isHostRule(rule: string): boolean {
  return isIP(rule) === 0 && /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$/.test(rule) && /[A-Za-z]/.test(rule);
}

const addressRule = z.string().superRefine((s, ctx) => {
  const problem = checkAddressRule(s);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const listenSchema = z
  .strictObject({
    transport: z.enum(['udp', 'tcp', 'tls']).default('udp'),
    host: ipAddress.default('0.0.0.0'),
    /** Default 5060, or 5061 for tls (RFC 3261 §19.1.2). */
    port: listenPort.optional(),
    /** PEM certificate chain file; required for tls. */
    certFile: z.string().min(1).optional(),
    /** PEM private key file; required for tls. */
    keyFile: z.string().min(1).optional(),
    /** tcp/tls: a connection with no traffic this long is closed. */
    idleTimeoutSec: z.number().int().min(5).max(86_400).default(600),
    /** tcp/tls: connections one source IP may hold open at once. */
    maxConnectionsPerSource: z.number().int().min(1).max(10_000).default(32),
  })
  .superRefine((l, ctx) => {
    if (l.transport === 'tls') {
      if (!l.certFile) ctx.addIssue({ code: 'custom', path: ['certFile'], message: 'required for tls' });
      if (!l.keyFile) ctx.addIssue({ code: 'custom', path: ['keyFile'], message: 'required for tls' });
    }
  })
  .transform((l) => ({ ...l, port: l.port ?? (l.transport === 'tls' ? 5061 : 5060) }));

const sipSchema = z.strictObject({
  listen: z.array(listenSchema).min(1).prefault([{ transport: 'udp', host: '0.0.0.0', port: 5060 }]),
  /** Host advertised in Via/Contact/SDP when the bind address is not reachable by peers (NAT, 0.0.0.0). */
  publicAddress: hostName.optional(),
  userAgent: z.string().min(1).max(128).default('trunkbridge'),
  /**
   * DNS servers for RFC 3263 lookups of outbound next hops ("10.0.0.2", "127.0.0.1:5353", "[::1]:53").
   * Unset: the system's servers for SRV, the OS resolver (with /etc/hosts) for addresses.
   */
  dnsServers: z
    .array(z.string().regex(/^(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:]+)(?::\d{1,5})?$/, 'must be an IP address with an optional :port'))
    .optional(),
  /**
   * RFC 3261 timers. T1 (RTT estimate, default 500 ms) sets INVITE/non-INVITE retransmission and the
   * transaction timeouts (64*T1 = 32 s): a lower T1 fails over to the next server sooner on lossless links.
   */
  timers: z
    .strictObject({
      t1Ms: z.number().int().min(10).max(10_000).optional(),
      t2Ms: z.number().int().min(10).max(60_000).optional(),
      t4Ms: z.number().int().min(10).max(60_000).optional(),
    })
    .optional(),
  /** Guards for a listener facing the internet (security-schema.ts). */
  security: securitySchema.prefault({}),
});

const rtpPort = z.number().int().min(1024).max(65535);

/** Codec names the bridge implements, for preference lists. */
export const CODEC_NAMES = ['opus', 'G722', 'PCMU', 'PCMA'] as const;

const codecList = z
  .array(z.enum(CODEC_NAMES))
  .min(1)
  .refine((c) => new Set(c).size === c.length, { message: 'codecs must not repeat' });

const mediaSchema = z.strictObject({
  /** Address RTP sockets bind to; defaults (in the app) to the first SIP listen host. */
  host: ipAddress.optional(),
  /** Address put in SDP c= lines; defaults to sip.publicAddress, then the bind address. */
  publicAddress: hostName.optional(),
  rtpPortMin: rtpPort.default(10000),
  rtpPortMax: rtpPort.default(20000),
  /** Preference order for the SDP answer. */
  /** Wideband first: a caller offering Opus or G.722 gets it, everyone else G.711. */
  codecs: codecList.default(['opus', 'G722', 'PCMU', 'PCMA']),
  /** What the caller hears while the bot sends nothing: comfort silence keeps NAT pinholes and jitter buffers happy. */
  idleFill: z.enum(['silence', 'none']).default('silence'),
  /** Symmetric RTP: send to where the caller's RTP comes from ('any'), only if from the signalled IP ('same-ip'), or never ('off'). */
  latching: z.enum(['any', 'same-ip', 'off']).default('any'),
  /**
   * Media worker threads: each call's media and its bot socket run in one of them; SIP and call control stay on
   * the main thread. 0 = in the main thread. Default: the CPUs the process may use, its cgroup quota included
   * (resolved by the app, app/cpu-limit.ts).
   */
  workers: z.number().int().min(0).max(64).optional(),
  /**
   * A media worker that has sent nothing for this long (they report every second) is taken for hung: it is
   * ended, its calls end (BYE), and a new one starts. 0 = never. Seconds.
   */
  workerWatchdogSec: z.number().min(0).max(600).default(10),
  /**
   * Overload guard: new calls go only to media workers less busy than this share of the time (0.5..1; event-loop
   * utilization or running plus waiting for a core, smoothed); when every worker is over it, calls are refused 503
   * (Retry-After) so the calls already up keep their audio. Unset: no guard.
   */
  workerBusyLimit: z.number().min(0.5).max(1).optional(),
});

/** Dialed numbers / SIP users as they appear in a Request-URI: "+15550100", "1000", "support". */
const numberKey = z.string().regex(/^\+?[A-Za-z0-9*#._-]+$/, 'must be a SIP user like "+15550100" or "1000"');


/** `inboundTrunks[].numbers.<number>`: a DID -> a bot, or (mode pstn) a forward target. */
export const numberEntrySchema = z
  .strictObject({
    bot: nameSchema.optional(),
    mode: z.enum(['flow', 'pstn']).optional(),
    forwardTo: forwardToSchema.optional(),
    /** When this number's bot is gone; default: the trunk's fallback. */
    fallback: fallbackSchema.optional(),
    /** How this number's calls are recorded; default: the trunk's, else the bot's, else off. */
    recording: recordingModeSchema.optional(),
  })
  .superRefine((n, ctx) => {
    if (n.mode === 'pstn' ? n.forwardTo === undefined : n.bot === undefined) {
      ctx.addIssue({ code: 'custom', path: [n.mode === 'pstn' ? 'forwardTo' : 'bot'], message: n.mode === 'pstn' ? 'required for mode pstn' : 'required' });
    }
    if (n.mode !== 'pstn' && n.forwardTo !== undefined) ctx.addIssue({ code: 'custom', path: ['forwardTo'], message: 'only with mode: pstn' });
  });

export const sipUserSchema = z.strictObject({
  username: z.string().regex(/^[A-Za-z0-9._~+-]{1,64}$/, 'must be 1-64 chars of letters, digits and ._~+-'),
  password: z.string().max(256),
});

/** One `inboundTrunks` entry. */
export const inboundTrunkSchema = z.strictObject({
  name: nameSchema,
  /** Source IPs, CIDRs or host names allowed to send INVITEs on this trunk. Empty: digest credentials only. */
  allow: z.array(addressRule).default([]),
  /** SIP users (digest, RFC 8760) that may send calls on this trunk; with `allow` both must pass. */
  credentials: z.array(sipUserSchema).default([]),
  /**
   * Digest algorithms offered in a 401, most preferred first (RFC 8760 §2.4). A UAC must use the first it
   * supports, but some (SIPp 3.6) take the first regardless: list MD5 first for those.
   */
  digestAlgorithms: z.array(z.enum(['SHA-256', 'MD5'])).min(1).default(['SHA-256', 'MD5'])
    .refine((a) => new Set(a).size === a.length, { message: 'algorithms must not repeat' }),
  /** Digest realm in challenges; defaults to `domain`, else the trunk name. */
  realm: z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e ]{1,128}$/, 'printable, no quotes or backslashes').optional(),
  /** SIP domain this trunk owns: INVITEs whose Request-URI host is this domain belong to the trunk. */
  domain: hostName.transform((d) => d.toLowerCase()).optional(),
  /** ISO 3166 country for national numbers on this trunk ("US", "GB", "IN"): dialed numbers become E.164. */
  country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code like "US"').refine((c) => Object.hasOwn(DIAL_PLANS, c), { message: 'country not in the dial-plan table' }).optional(),
  /** A header naming the bot for the call (e.g. "X-Agent-ID"); checked before numbers. */
  routingHeader: z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'invalid header name').optional(),
  /** Refuse (404) calls whose From user is not an E.164 number. */
  requireE164From: z.boolean().default(false),
  /** Calls at once on this trunk; more get 486 Busy Here. */
  maxConcurrentCalls: z.number().int().min(1).max(100_000).optional(),
  /** flow = calls go to a bot; pstn = calls are bridged to `forwardTo` without a bot (B2BUA). */
  mode: z.enum(['flow', 'pstn']).default('flow'),
  /** pstn mode: where calls go. */
  forwardTo: forwardToSchema.optional(),
  /** Bot for numbers not listed in `numbers`. */
  bot: nameSchema.optional(),
  numbers: z.record(numberKey, numberEntrySchema).default({}),
  /** When the bot cannot be reached or its connection is lost: reject (default), play a prompt, or transfer. */
  fallback: fallbackSchema.optional(),
  /** Toll-fraud guard: what bots on this trunk may transfer to besides named destinations (see README). */
  transferAllow: transferAllowSchema,
  /** Codec preference for this trunk's calls (default: media.codecs). */
  codecs: codecList.optional(),
  /**
   * Receive jitter buffer (see config/jitter-buffer.ts): adaptive (default; the delay follows the measured jitter
   * within jitterBufferMinMs..jitterBufferMaxMs) or fixed (jitterBufferMs; setting it alone means fixed).
   */
  jitterBuffer: z.enum(['adaptive', 'fixed']).optional(),
  /** Fixed receive delay, ms; 0 = pass-through (decode on arrival). */
  jitterBufferMs: z.number().int().min(0).max(1000).optional(),
  /** Adaptive: the lowest delay, ms (default 0). */
  jitterBufferMinMs: z.number().int().min(0).max(1000).optional(),
  /** Adaptive: the highest delay, ms (default 200). */
  jitterBufferMaxMs: z.number().int().min(1).max(1000).optional(),
  /** No RTP from the caller for this long ends the call (BYE, stop reason rtp-timeout); 0 = never. Hold excluded. */
  rtpTimeoutSec: z.number().int().min(0).max(3600).default(30),
  /**
   * SRTP with SDES keys (RFC 4568, AES_CM_128_HMAC_SHA1_80/_32): required = plain RTP offers get 488;
   * optional = SRTP when the offer has RTP/SAVP, else plain; off = plain only (SRTP-only offers get 488).
   */
  srtp: z.enum(['required', 'optional', 'off']).default('off'),
  /** How this trunk's calls are recorded (numbers may override); default: the bot's, else off. */
  recording: recordingModeSchema.optional(),
});

const loggingSchema = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

const metricsSchema = z.strictObject({
  enabled: z.boolean().default(true),
  host: ipAddress.default('127.0.0.1'),
  port: listenPort.default(9464),
  /** Distinct trunk (and bot) label values per metric; names beyond it are counted as `other`. */
  labelLimit: z.number().int().min(1).max(1000).default(50),
});

/** SIGTERM/SIGINT: drain, then stop. */
const lifecycleSchema = z.strictObject({
  /** How long calls in progress may go on after the signal before they are ended with BYE (stop reason shutdown), s. */
  drainTimeoutSec: z.number().int().min(0).max(86_400).default(30),
  /** Retry-After on the 503 that new INVITEs and OPTIONS get while draining, s. */
  retryAfterSec: z.number().int().min(1).max(86_400).default(30),
});

/** `store`: PostgreSQL for now; `url` is a libpq URL (its password never reaches a log). */
const storeSchema = z.strictObject({
  type: z.literal('postgres'),
  url: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL'),
  /** This node's name among those sharing the store (owner of its calls and leases); default `<hostname>-<pid>`. */
  nodeId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, ".", "_" and "-", at most 64').optional(),
  /** Where the other nodes reach this node's API to forward call commands, e.g. `http://10.0.0.5:8080`. */
  apiUrl: z.url({ protocol: /^https?$/ }).optional(),
});

/** The whole config file. Cross-field rules run even when some fields failed, so every problem is reported at once. */
export const configSchema = z
  .strictObject({
    sip: sipSchema.prefault({}),
    media: mediaSchema.prefault({}),
    bots: z.record(nameSchema, botSchema).default({}),
    inboundTrunks: z.array(inboundTrunkSchema).default([]),
    outboundTrunks: z.array(outboundTrunkSchema).default([]),
    transferDestinations: z.record(nameSchema, transferDestinationSchema).default({}),
    api: apiSchema.prefault({}),
    registrations: z.array(registrationSchema).default([]),
    callRecords: callRecordsSchema.prefault({}),
    webhooks: z.array(webhookSchema).default([]),
    logging: loggingSchema.prefault({}),
    metrics: metricsSchema.prefault({}),
    /** Call recordings (README "Recording"); absent: no call is recorded. */
    recordings: recordingsSchema.optional(),
    /**
     * Folder of the embedded configuration store (README "Admin API"): the YAML's routing sections seed it at
     * first start, then the store is the source of them. Unset: API changes live in memory until restart.
     */
    dataDir: z.string().min(1).optional(),
    lifecycle: lifecycleSchema.prefault({}),
    /**
     * A shared configuration store for a cluster (README "Past one machine"): every bridge with the same `url`
     * reads and writes the same routing sections, and hears the others' changes. Unset: the embedded store.
     */
    store: storeSchema.optional(),
  })
  .superRefine((cfg, ctx) => crossCheck(cfg as unknown as LooseConfig, ctx), { when: () => true })
  .superRefine((cfg, ctx) => checkRecordingModes(cfg as Parameters<typeof checkRecordingModes>[0], ctx), { when: () => true });

export type Config = z.infer<typeof configSchema>;
