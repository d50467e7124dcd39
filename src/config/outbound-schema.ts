/**
 * Config for the outbound half: outbound trunks, named transfer destinations, the calls API.
 * Kept apart from schema.ts (which composes it) so each file stays readable.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { DIAL_PLANS } from '../trunks/number-format.js';
import type { OutboundTrunkConfig } from '../trunks/trunk-config.js';
import { parseRouteString } from './route-string.js';
import { fallbackSchema, type FallbackConfig } from './fallback-schema.js';

const nameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be 1-64 chars of letters, digits, "_", "." or "-"');

const hostSchema = z.string().regex(/^(?:[0-9A-Fa-f:.]+|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)$/, 'must be an IP address or host name');
const portSchema = z.number().int().min(1).max(65535);
const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'invalid header name');

/** Digest credentials (RFC 3261 §22): answered to 401 and 407. */
export const digestAuthSchema = z.strictObject({
  username: z.string().min(1).max(128),
  password: z.string().min(1).max(256),
});

export const outboundTrunkSchema = z
  .strictObject({
    name: nameSchema,
    /** Vida form: "host[:port][;transport=udp|tcp|tls][;proxyAddress=proxy[:port]]". Alternative to host/port/transport/proxy. */
    route: z.string().min(1).optional(),
    host: hostSchema.optional(),
    port: portSchema.optional(),
    transport: z.enum(['udp', 'tcp', 'tls']).optional(),
    /** Outbound proxy "host[:port]": requests go there with a preloaded Route. */
    proxy: z.string().min(1).optional(),
    auth: digestAuthSchema.optional(),
    /** Number (or SIP user) put in From for calls on this trunk. */
    callerId: z.string().regex(/^\+?[A-Za-z0-9*#._-]+$/, 'must be a number or SIP user').optional(),
    numberFormat: z.enum(['e164', 'e164-no-plus', 'national']).default('e164'),
    /** ISO 3166 alpha-2 country for national numbers (and for reading national input). */
    country: z.string().optional(),
    /** Extra headers on every INVITE (carrier account ids, P-Asserted-Identity...). */
    headers: z.record(headerName, z.string()).default({}),
    /**
     * A call placed through this trunk (POST /v1/calls) whose bot cannot be reached, or drops and does not come
     * back: `reject` (default: cancel while ringing, BYE once answered), `play` or `transfer` for the callee.
     */
    fallback: fallbackSchema.optional(),
  })
  .superRefine((t, ctx) => {
    if ((t.route === undefined) === (t.host === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['host'], message: 'an outbound trunk needs exactly one of "host" or "route"' });
    }
    if (t.route !== undefined) {
      const r = parseRouteString(t.route);
      if (typeof r === 'string') ctx.addIssue({ code: 'custom', path: ['route'], message: r });
      for (const k of ['port', 'transport', 'proxy'] as const) {
        if (t[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: 'set it inside "route" instead' });
      }
    }
    if (t.proxy !== undefined && typeof parseRouteString(t.proxy) === 'string') {
      ctx.addIssue({ code: 'custom', path: ['proxy'], message: 'must be host[:port]' });
    }
    if (t.country !== undefined && !Object.hasOwn(DIAL_PLANS, t.country.toUpperCase())) {
      ctx.addIssue({ code: 'custom', path: ['country'], message: `unknown country (known: ${Object.keys(DIAL_PLANS).join(', ')})` });
    }
    if (t.numberFormat === 'national' && t.country === undefined) {
      ctx.addIssue({ code: 'custom', path: ['country'], message: 'required for numberFormat national' });
    }
  })
  .transform((t): OutboundTrunkConfig & { readonly fallback?: FallbackConfig } => {
    const r = t.route !== undefined ? parseRouteString(t.route) : undefined;
    const route = typeof r === 'object' ? r : undefined;
    const transport = route?.transport ?? t.transport ?? 'udp';
    const proxyParsed = route?.proxy ?? (t.proxy !== undefined ? parseRouteString(t.proxy) : undefined);
    const proxy = typeof proxyParsed === 'object' ? proxyParsed : undefined;
    const defaultPort = transport === 'tls' ? 5061 : 5060;
    return {
      name: t.name,
      host: route?.host ?? t.host ?? '',
      port: route?.port ?? t.port ?? defaultPort,
      explicitPort: (route?.port ?? t.port) !== undefined,
      transport,
      ...(proxy ? { proxy: { host: proxy.host, port: proxy.port ?? defaultPort, explicitPort: proxy.port !== undefined } } : {}),
      ...(t.auth ? { auth: { username: t.auth.username, password: t.auth.password } } : {}),
      ...(t.callerId !== undefined ? { callerId: t.callerId } : {}),
      numberFormat: t.numberFormat,
      ...(t.country !== undefined ? { country: t.country.toUpperCase() } : {}),
      headers: t.headers,
      ...(t.fallback !== undefined ? { fallback: t.fallback } : {}),
    };
  });

/**
 * A named place a bot may hand a caller to: a number through an outbound trunk, or a SIP URI (with optional
 * digest credentials for the leg we place in `bridge` mode).
 */
export const transferDestinationSchema = z
  .strictObject({
    number: z.string().regex(/^\+?[0-9 ()\-.]{3,32}$/, 'must be a phone number').optional(),
    trunk: nameSchema.optional(),
    uri: z.string().regex(/^sips?:[^\s<>"]+$/i, 'must be a sip: or sips: URI').optional(),
    auth: digestAuthSchema.optional(),
    /** How the transfer is done unless the bot says otherwise. */
    method: z.enum(['refer', 'bridge']).default('bridge'),
    /** Bridge: caller ID on the new leg: the original caller's number or the trunk's callerId. */
    callerId: z.enum(['caller', 'trunk']).default('caller'),
    /** Bridge: seconds to ring the destination before giving up (failed, status 408). */
    ringTimeoutSec: z.number().int().min(1).max(300).default(30),
  })
  .superRefine((d, ctx) => {
    if ((d.number === undefined) === (d.uri === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'a destination needs exactly one of "number" (with "trunk") or "uri"' });
    }
    if (d.number !== undefined && d.trunk === undefined) ctx.addIssue({ code: 'custom', path: ['trunk'], message: 'required with "number"' });
    if (d.uri !== undefined && d.trunk !== undefined) ctx.addIssue({ code: 'custom', path: ['trunk'], message: 'not used with "uri"' });
  });

/**
 * One API key: `key` itself or `keyEnv`, the environment variable holding it (so the file need not carry it).
 * Roles are ordered read < operate (calls) < admin (configuration).
 */
const apiKeySchema = z
  .strictObject({
    name: nameSchema,
    role: z.enum(['read', 'operate', 'admin']),
    key: z.string().min(16, 'use at least 16 characters').max(256).optional(),
    keyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name').optional(),
  })
  .superRefine((k, ctx) => {
    if ((k.key === undefined) === (k.keyEnv === undefined)) ctx.addIssue({ code: 'custom', path: ['key'], message: 'an API key needs exactly one of "key" or "keyEnv"' });
  });

/** The HTTP calls API (`/v1/calls`), served next to /metrics. */
export const apiSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /**
   * Bearer token for /v1 routes. Without one, /v1 answers only clients on loopback addresses, so a metrics
   * port opened to the network never lets strangers place calls.
   */
  token: z.string().min(16, 'use at least 16 characters').optional(),
  /** Bearer API keys with roles (README "Admin API"); `api.token`, when set, is one more `admin` key. */
  keys: z.array(apiKeySchema).default([]),
  /** A listener of its own for /v1 (default: the /v1 routes share the metrics listener). */
  listen: z.strictObject({ host: z.string().refine((s) => isIP(s) !== 0, { message: 'must be an IP address' }), port: z.number().int().min(0).max(65535) }).optional(),
});

/** Destination patterns: names, exact numbers, "+1555*" prefixes, "sip:*@pbx.example.com". */
export const transferAllowSchema = z.array(z.string().min(1).max(256)).optional();

/**
 * Where a `mode: pstn` trunk or DID sends its calls (no bot): a SIP URI, or a number through an outbound trunk.
 */
export const forwardToSchema = z
  .strictObject({
    uri: z.string().regex(/^sips?:[^\s<>"]+$/i, 'must be a sip: or sips: URI').optional(),
    number: z.string().regex(/^\+?[0-9 ()\-.]{3,32}$/, 'must be a phone number').optional(),
    trunk: nameSchema.optional(),
    auth: digestAuthSchema.optional(),
    /** Seconds to ring the forward target before the caller gets 408. */
    ringTimeoutSec: z.number().int().min(1).max(600).default(60),
  })
  .superRefine((f, ctx) => {
    if ((f.uri === undefined) === (f.number === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'forwardTo needs exactly one of "uri" or "number" (with "trunk")' });
    }
    if (f.number !== undefined && f.trunk === undefined) ctx.addIssue({ code: 'custom', path: ['trunk'], message: 'required with "number"' });
  });

/** A PBX extension trunkbridge registers as (REGISTER with digest); calls to it go to `bot`. */
export const registrationSchema = z
  .strictObject({
    name: nameSchema,
    server: hostSchema,
    port: portSchema.optional(),
    transport: z.enum(['udp', 'tcp', 'tls']).default('udp'),
    /** AOR domain when it differs from the server (default: server). */
    domain: hostSchema.optional(),
    username: z.string().min(1).max(128),
    password: z.string().min(1).max(256),
    /** Extension registered and dialled (AOR user, Contact user); default `username`. */
    extension: z.string().regex(/^[A-Za-z0-9*#._+-]{1,64}$/, 'must be a SIP user like "1001"').optional(),
    /** Requested binding lifetime (s); refreshed at half of what the registrar grants. */
    expires: z.number().int().min(10).max(86400).default(300),
    /** After a failed REGISTER (timeout, error answer): first retry delay (s), doubled up to retryMaxSec. */
    retrySec: z.number().int().min(1).max(3600).default(5),
    retryMaxSec: z.number().int().min(1).max(86400).default(300),
    bot: nameSchema,
  })
  .transform((r) => ({ ...r, port: r.port ?? (r.transport === 'tls' ? 5061 : 5060) }));

export type RegistrationConfig = z.infer<typeof registrationSchema>;
