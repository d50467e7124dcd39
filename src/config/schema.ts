/**
 * The config schema: shape, defaults and cross-field rules in one place. Parsing happens once at load
 * (see load.ts); everything downstream receives the typed, frozen result and never re-validates.
 */
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import { apiSchema, forwardToSchema, outboundTrunkSchema, registrationSchema, transferAllowSchema, transferDestinationSchema } from './outbound-schema.js';
import { DIAL_PLANS, normalizeDialed } from '../trunks/number-format.js';

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
});

/**
 * Raw bot entry: one object with every allowed key so that errors name the exact field (a zod union would
 * report "no branch matched" at the bot itself). The superRefine enforces which keys go with which kind.
 */
const ECHO_ONLY_KEYS = ['delayFrames'] as const;
const WS_ONLY_KEYS = ['url', 'sampleRate', 'headers', 'connectTimeoutMs'] as const;

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
  }, { when: () => true }); // run even when a field failed, so misplaced keys are reported in the same pass

/** A bot run inside the bridge (no socket). */
export interface BuiltinBotConfig {
  readonly builtin: 'echo';
  readonly delayFrames: number;
}

/** A bot reached over WebSocket. */
export interface WebSocketBotConfig {
  readonly url: string;
  readonly sampleRate: 8000 | 16000 | 24000;
  readonly headers: Readonly<Record<string, string>>;
  readonly connectTimeoutMs: number;
}

export type BotConfig = BuiltinBotConfig | WebSocketBotConfig;

const botSchema = rawBotSchema.transform((b): BotConfig => {
  if (b.builtin !== undefined) return { builtin: b.builtin, delayFrames: b.delayFrames ?? 0 };
  return {
    url: b.url ?? '',
    sampleRate: b.sampleRate ?? 16000,
    headers: b.headers ?? {},
    connectTimeoutMs: b.connectTimeoutMs ?? 3000,
  };
});

/** Dialed numbers / SIP users as they appear in a Request-URI: "+15550100", "1000", "support". */
const numberKey = z.string().regex(/^\+?[A-Za-z0-9*#._-]+$/, 'must be a SIP user like "+15550100" or "1000"');

/**
 * Password policy for trunk SIP users: at least 12 characters with upper and lower case letters and digits.
 * Returns the problem or undefined.
 */
export function checkPasswordPolicy(password: string): string | undefined {
  const missing: string[] = [];
  if (password.length < 12) missing.push('at least 12 characters');
  if (!/[A-Z]/.test(password)) missing.push('an upper case letter');
  if (!/[a-z]/.test(password)) missing.push('a lower case letter');
  if (!/[0-9]/.test(password)) missing.push('a digit');
  return missing.length ? `needs ${missing.join(', ')}` : undefined;
}

const sipUserSchema = z.strictObject({
  username: z.string().regex(/^[A-Za-z0-9._~+-]{1,64}$/, 'must be 1-64 chars of letters, digits and ._~+-'),
  password: z.string().max(256),
});

const trunkSchema = z.strictObject({
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
  numbers: z
    .record(
      numberKey,
      z
        .strictObject({ bot: nameSchema.optional(), mode: z.enum(['flow', 'pstn']).optional(), forwardTo: forwardToSchema.optional() })
        .superRefine((n, ctx) => {
          if (n.mode === 'pstn' ? n.forwardTo === undefined : n.bot === undefined) {
            ctx.addIssue({ code: 'custom', path: [n.mode === 'pstn' ? 'forwardTo' : 'bot'], message: n.mode === 'pstn' ? 'required for mode pstn' : 'required' });
          }
          if (n.mode !== 'pstn' && n.forwardTo !== undefined) ctx.addIssue({ code: 'custom', path: ['forwardTo'], message: 'only with mode: pstn' });
        }),
    )
    .default({}),
  /** Toll-fraud guard: what bots on this trunk may transfer to besides named destinations (see README). */
  transferAllow: transferAllowSchema,
  /** Codec preference for this trunk's calls (default: media.codecs). */
  codecs: codecList.optional(),
  /** Receive jitter buffer delay, ms; 0 = pass-through (decode on arrival). */
  jitterBufferMs: z.number().int().min(0).max(1000).default(40),
  /** No RTP from the caller for this long ends the call (BYE, stop reason rtp-timeout); 0 = never. Hold excluded. */
  rtpTimeoutSec: z.number().int().min(0).max(3600).default(30),
  /**
   * SRTP with SDES keys (RFC 4568, AES_CM_128_HMAC_SHA1_80/_32): required = plain RTP offers get 488;
   * optional = SRTP when the offer has RTP/SAVP, else plain; off = plain only (SRTP-only offers get 488).
   */
  srtp: z.enum(['required', 'optional', 'off']).default('off'),
});

const loggingSchema = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

const metricsSchema = z.strictObject({
  enabled: z.boolean().default(true),
  host: ipAddress.default('127.0.0.1'),
  port: listenPort.default(9464),
});

/** The whole config file. Cross-field rules run even when some fields failed, so every problem is reported at once. */
export const configSchema = z
  .strictObject({
    sip: sipSchema.prefault({}),
    media: mediaSchema.prefault({}),
    bots: z.record(nameSchema, botSchema).default({}),
    inboundTrunks: z.array(trunkSchema).default([]),
    outboundTrunks: z.array(outboundTrunkSchema).default([]),
    transferDestinations: z.record(nameSchema, transferDestinationSchema).default({}),
    api: apiSchema.prefault({}),
    registrations: z.array(registrationSchema).default([]),
    logging: loggingSchema.prefault({}),
    metrics: metricsSchema.prefault({}),
  })
  .superRefine((cfg, ctx) => crossCheck(cfg as unknown as LooseConfig, ctx), { when: () => true });

export type Config = z.infer<typeof configSchema>;

/**
 * What the cross-field check sees: the partially parsed value, where any field may be missing or still raw
 * if its own validation failed. Every access is therefore defensive.
 */
interface LooseConfig {
  sip?: { listen?: unknown };
  media?: { rtpPortMin?: unknown; rtpPortMax?: unknown };
  bots?: unknown;
  inboundTrunks?: unknown;
  outboundTrunks?: unknown;
  transferDestinations?: unknown;
  registrations?: unknown;
}

type Ctx = z.RefinementCtx;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function crossCheck(cfg: LooseConfig, ctx: Ctx): void {
  checkRtpRange(cfg, ctx);
  checkListenUnique(cfg, ctx);
  checkTrunks(cfg, ctx);
  checkOutbound(cfg, ctx);
  checkPstn(cfg, ctx);
  checkRegistrations(cfg, ctx);
}

/** Registration names are unique (metric labels, trunk names in `start`) and name existing bots. */
function checkRegistrations(cfg: LooseConfig, ctx: Ctx): void {
  if (!Array.isArray(cfg.registrations)) return;
  const bots = isRecord(cfg.bots) ? cfg.bots : {};
  const names = new Set<string>();
  cfg.registrations.forEach((r: unknown, i) => {
    if (!isRecord(r)) return;
    if (typeof r.bot === 'string' && !Object.hasOwn(bots, r.bot)) {
      ctx.addIssue({ code: 'custom', path: ['registrations', i, 'bot'], message: `unknown bot "${r.bot}"` });
    }
    if (typeof r.name === 'string') {
      if (names.has(r.name)) ctx.addIssue({ code: 'custom', path: ['registrations', i, 'name'], message: `duplicate registration "${r.name}"` });
      names.add(r.name);
    }
  });
}

/** A pstn trunk needs forwardTo; forward targets name existing outbound trunks. */
function checkPstn(cfg: LooseConfig, ctx: Ctx): void {
  if (!Array.isArray(cfg.inboundTrunks)) return;
  const outbound = new Set(
    Array.isArray(cfg.outboundTrunks) ? cfg.outboundTrunks.map((t: unknown) => (isRecord(t) ? t.name : undefined)) : [],
  );
  const checkTarget = (f: unknown, path: Array<string | number>) => {
    if (isRecord(f) && typeof f.trunk === 'string' && !outbound.has(f.trunk)) {
      ctx.addIssue({ code: 'custom', path: [...path, 'trunk'], message: `unknown outbound trunk "${f.trunk}"` });
    }
  };
  cfg.inboundTrunks.forEach((t: unknown, i) => {
    if (!isRecord(t)) return;
    if (t.mode === 'pstn' && t.forwardTo === undefined) {
      ctx.addIssue({ code: 'custom', path: ['inboundTrunks', i, 'forwardTo'], message: 'required for mode pstn' });
    }
    if (t.mode !== 'pstn' && t.forwardTo !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['inboundTrunks', i, 'forwardTo'], message: 'only with mode: pstn' });
    }
    checkTarget(t.forwardTo, ['inboundTrunks', i, 'forwardTo']);
    if (isRecord(t.numbers)) for (const [num, n] of Object.entries(t.numbers)) if (isRecord(n)) checkTarget(n.forwardTo, ['inboundTrunks', i, 'numbers', num, 'forwardTo']);
  });
}

/** Outbound trunk names are unique; destinations name existing trunks. */
function checkOutbound(cfg: LooseConfig, ctx: Ctx): void {
  const names = new Set<string>();
  if (Array.isArray(cfg.outboundTrunks)) {
    cfg.outboundTrunks.forEach((t: unknown, i) => {
      if (!isRecord(t) || typeof t.name !== 'string') return;
      if (names.has(t.name)) ctx.addIssue({ code: 'custom', path: ['outboundTrunks', i, 'name'], message: `duplicate outbound trunk "${t.name}"` });
      names.add(t.name);
    });
  }
  if (!isRecord(cfg.transferDestinations)) return;
  for (const [name, d] of Object.entries(cfg.transferDestinations)) {
    if (isRecord(d) && typeof d.trunk === 'string' && !names.has(d.trunk)) {
      ctx.addIssue({ code: 'custom', path: ['transferDestinations', name, 'trunk'], message: `unknown outbound trunk "${d.trunk}"` });
    }
  }
}

function checkRtpRange(cfg: LooseConfig, ctx: Ctx): void {
  const min = cfg.media?.rtpPortMin;
  const max = cfg.media?.rtpPortMax;
  if (typeof min === 'number' && Number.isInteger(min) && min % 2 !== 0) {
    // RTP takes the even port, RTCP the odd one above it.
    ctx.addIssue({ code: 'custom', path: ['media', 'rtpPortMin'], message: 'must be even' });
  }
  if (typeof min === 'number' && typeof max === 'number' && min >= max) {
    ctx.addIssue({ code: 'custom', path: ['media', 'rtpPortMax'], message: `must be greater than rtpPortMin (${min})` });
  }
}

function checkListenUnique(cfg: LooseConfig, ctx: Ctx): void {
  const listen = cfg.sip?.listen;
  if (!Array.isArray(listen)) return;
  const seen = new Set<string>();
  listen.forEach((l: unknown, i) => {
    if (!isRecord(l)) return;
    const key = `${String(l.transport)}|${String(l.host)}|${String(l.port)}`;
    if (l.port !== 0 && seen.has(key)) {
      ctx.addIssue({ code: 'custom', path: ['sip', 'listen', i], message: 'duplicate listen entry' });
    }
    seen.add(key);
  });
}

/** Numbers match leniently with or without a leading '+', so uniqueness compares them that way too. */
function normalizeNumber(n: string): string {
  return n.startsWith('+') ? n.slice(1) : n;
}

function checkTrunks(cfg: LooseConfig, ctx: Ctx): void {
  const trunks = cfg.inboundTrunks;
  if (!Array.isArray(trunks)) return;
  const bots = isRecord(cfg.bots) ? cfg.bots : {};
  const botExists = (name: unknown) => typeof name !== 'string' || Object.hasOwn(bots, name);
  const trunkNames = new Map<string, number>();
  const numberOwner = new Map<string, { trunk: number; key: string }>();

  trunks.forEach((t: unknown, i) => {
    if (!isRecord(t)) return;
    if (typeof t.name === 'string') {
      const first = trunkNames.get(t.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['inboundTrunks', i, 'name'],
          message: `duplicate trunk name "${t.name}" (also inboundTrunks[${first}])`,
        });
      } else {
        trunkNames.set(t.name, i);
      }
    }
    const trunkLabel = typeof t.name === 'string' ? `trunk "${t.name}"` : `inboundTrunks[${i}]`;
    const allowList = Array.isArray(t.allow) ? t.allow : [];
    const creds = Array.isArray(t.credentials) ? t.credentials : [];
    if (Array.isArray(t.allow) && Array.isArray(t.credentials) && allowList.length === 0 && creds.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['inboundTrunks', i, 'allow'], message: `${trunkLabel} needs an allow list or credentials` });
    }
    const usernames = new Set<string>();
    creds.forEach((c: unknown, j) => {
      if (!isRecord(c)) return;
      if (typeof c.password === 'string') {
        const problem = checkPasswordPolicy(c.password);
        if (problem) {
          ctx.addIssue({ code: 'custom', path: ['inboundTrunks', i, 'credentials', j, 'password'], message: `${trunkLabel}: weak password for "${String(c.username)}": ${problem}` });
        }
      }
      if (typeof c.username === 'string') {
        if (usernames.has(c.username)) {
          ctx.addIssue({ code: 'custom', path: ['inboundTrunks', i, 'credentials', j, 'username'], message: `${trunkLabel}: duplicate username "${c.username}"` });
        }
        usernames.add(c.username);
      }
    });
    if (!botExists(t.bot)) {
      ctx.addIssue({ code: 'custom', path: ['inboundTrunks', i, 'bot'], message: `unknown bot "${String(t.bot)}"` });
    }
    if (!isRecord(t.numbers)) return;
    for (const [num, entry] of Object.entries(t.numbers)) {
      if (isRecord(entry) && !botExists(entry.bot)) {
        ctx.addIssue({
          code: 'custom',
          path: ['inboundTrunks', i, 'numbers', num, 'bot'],
          message: `unknown bot "${String(entry.bot)}"`,
        });
      }
      const norm = normalizeNumber(normalizeDialed(num, typeof t.country === 'string' && Object.hasOwn(DIAL_PLANS, t.country) ? t.country : undefined));
      const owner = numberOwner.get(norm);
      if (owner && owner.trunk !== i) {
        ctx.addIssue({
          code: 'custom',
          path: ['inboundTrunks', i, 'numbers', num],
          message: `number also routed by inboundTrunks[${owner.trunk}] ("${owner.key}")`,
        });
      } else if (!owner) {
        numberOwner.set(norm, { trunk: i, key: num });
      }
    }
  });
}
