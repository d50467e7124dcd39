/**
 * Inbound routing: which trunk a call arrived on (source IP, SIP domain, digest credentials) and which bot
 * answers it (routing header, dialed number, bot name, trunk bot). No I/O: host names in allow lists are looked
 * up through an injected resolver, and digest nonces come from an injected {@link DigestVerifier}. Config
 * validation has already checked addresses, credentials and bot references, so the router only decides.
 */
import { BlockList, isIP } from 'node:net';
import { CallRejectedError } from '../core/errors.js';
import type { DigestVerifier } from './digest-verifier.js';
import type { ForwardToConfig, InboundTrunkConfig, TrunkDigestAlgorithm } from './trunk-config.js';
import { isE164, normalizeDialed } from './number-format.js';

/** What routing needs to know about an incoming INVITE. */
export interface RouteRequest {
  /** Source IP of the INVITE (v4, v6, or IPv4-mapped v6). */
  sourceAddress: string;
  /** Request-URI user part. */
  requestUser: string;
  /** To-header user part, used when the Request-URI has no user. */
  toUser: string;
  /** Request-URI host (SIP domain ownership). */
  requestHost?: string;
  /** From-header user part (requireE164From). */
  fromUser?: string;
  /** Request method, for digest verification (default INVITE). */
  method?: string;
  /** All headers; Authorization and the trunk's routing header are read from here. */
  headers?: ReadonlyArray<readonly [string, string]>;
}

/** Where the call goes. */
export interface RouteDecision {
  trunk: string;
  bot: string;
  /** The dialed number as matched: the configured number when one matched, else the dialed user (E.164 when it could be normalised). */
  number: string;
  /** pstn mode: bridge the call here without a bot (`bot` is then ""). */
  forwardTo?: ForwardToConfig;
}

export interface InboundRouterOptions {
  /** Every configured bot name: `sip:<botname>@host` reaches a bot by name. */
  botNames?: Iterable<string>;
  /** Current addresses of a host name from an allow list (resolved elsewhere, at load and periodically). */
  resolveHost?: (name: string) => readonly string[];
  /** Needed when any trunk has credentials. */
  digest?: DigestVerifier;
  /** Digest brute-force lockout per source (see auth-lockout.ts); absent: none. */
  lockout?: AuthFailureGuard;
  /** A source passed digest authentication (the app gives it the trusted flood budget: a digest-only carrier at 50 cps must not be banned). */
  authenticated?: (source: string) => void;
}

/** What authentication reports failures to and asks before checking credentials (AuthLockout fits). */
export interface AuthFailureGuard {
  isLockedOut(source: string): boolean;
  failed(source: string, username?: string): boolean;
  succeeded(source: string): void;
}

interface CompiledTrunk {
  /** pstn-mode DIDs -> forward target. */
  readonly forwards: ReadonlyMap<string, ForwardToConfig>;
  /** pstn-mode trunk: forward target for numbers not listed. */
  readonly forwardTo: ForwardToConfig | undefined;
  readonly name: string;
  readonly allow: BlockList;
  readonly allowHosts: readonly string[];
  readonly hasAllow: boolean;
  readonly passwords: ReadonlyMap<string, string>;
  readonly realm: string;
  readonly algorithms: readonly TrunkDigestAlgorithm[];
  readonly domain: string | undefined;
  readonly country: string | undefined;
  readonly routingHeader: string | undefined;
  readonly requireE164From: boolean;
  readonly bot: string | undefined;
  /** Configured number -> bot, exact keys. */
  readonly numbers: ReadonlyMap<string, string>;
  /** E.164-normalised number -> configured key, when the trunk has a country. */
  readonly normalized: ReadonlyMap<string, string>;
}

/** Adds a config allow entry ("1.2.3.4", "10.0.0.0/8", "2001:db8::/32") to a BlockList. */
function addRule(list: BlockList, rule: string): void {
  const slash = rule.indexOf('/');
  const addr = slash < 0 ? rule : rule.slice(0, slash);
  const type = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
  if (slash < 0) list.addAddress(addr, type);
  else list.addSubnet(addr, Number(rule.slice(slash + 1)), type);
}

/** "[::1]" -> "::1", "fe80::1%eth0" -> "fe80::1", "::ffff:1.2.3.4" -> "1.2.3.4": forms a transport may report. */
function bareAddress(address: string): string {
  let a = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  return a;
}

function unmapped(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1] : address;
}

/** The same number written the other way: "+1555" <-> "1555". */
function toggledPlus(n: string): string {
  return n.startsWith('+') ? n.slice(1) : `+${n}`;
}

function headerValue(headers: RouteRequest['headers'], name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [n, v] of headers ?? []) if (n.toLowerCase() === lower) return v;
  return undefined;
}

/**
 * Routes inbound calls.
 *
 * Trunk: trunks owning the Request-URI host (`domain`) are the candidates when any does, else every trunk. A
 * candidate with an allow list must contain the source (IPs, CIDRs, resolved host names; IPv4-mapped IPv6
 * sources match IPv4 rules); a candidate with credentials must also pass digest authentication (RFC 8760):
 * no Authorization → 401 with challenges, expired nonce → 401 stale=true, wrong credentials or replay → 403.
 * Source-only trunks win over trunks that need credentials. No candidate → 403.
 *
 * Bot, in order: the trunk's `routingHeader` naming a bot; the dialed number (Request-URI user, else To user,
 * normalised to E.164 with the trunk `country`); a bot whose name is the Request-URI user; the trunk bot
 * (mode flow). Otherwise 404. With `requireE164From`, a From user that is not E.164 is refused with 404.
 */
export class InboundRouter {
  private readonly trunks: readonly CompiledTrunk[];
  private readonly botNames: ReadonlySet<string>;

  constructor(
    trunks: readonly InboundTrunkConfig[],
    private readonly options: InboundRouterOptions = {},
  ) {
    this.botNames = new Set(options.botNames ?? []);
    this.trunks = trunks.map((t): CompiledTrunk => {
      const allow = new BlockList();
      const allowHosts: string[] = [];
      for (const rule of t.allow) {
        if (rule.includes('/') || isIP(rule) !== 0) addRule(allow, rule);
        else allowHosts.push(rule.toLowerCase());
      }
      const numbers = new Map<string, string>();
      const forwards = new Map<string, ForwardToConfig>();
      for (const [num, entry] of Object.entries(t.numbers)) {
        if (entry.mode === 'pstn' && entry.forwardTo) forwards.set(num, entry.forwardTo);
        else if (entry.bot !== undefined) numbers.set(num, entry.bot);
      }
      const normalized = new Map<string, string>();
      if (t.country) for (const num of numbers.keys()) normalized.set(normalizeDialed(num, t.country), num);
      const credentials = t.credentials ?? [];
      return {
        forwards,
        forwardTo: t.mode === 'pstn' ? t.forwardTo : undefined,
        name: t.name,
        allow,
        allowHosts,
        hasAllow: t.allow.length > 0,
        passwords: new Map(credentials.map((c) => [c.username, c.password] as const)),
        realm: t.realm ?? t.domain ?? t.name,
        algorithms: t.digestAlgorithms ?? ['SHA-256', 'MD5'],
        domain: t.domain,
        country: t.country,
        routingHeader: t.routingHeader,
        requireE164From: t.requireE164From ?? false,
        bot: t.mode === 'pstn' ? undefined : t.bot,
        numbers,
        normalized,
      };
    });
    if (!options.digest && this.trunks.some((t) => t.passwords.size > 0)) {
      throw new Error('InboundRouter: trunks with credentials need a DigestVerifier');
    }
  }

  /** Names of the trunks whose allow list contains `address`, in config order. */
  trunksForSource(address: string): string[] {
    return this.trunks.filter((t) => this.sourceAllowed(t, address)).map((t) => t.name);
  }

  /** Host names used in allow lists, for the resolver. */
  allowHostNames(): string[] {
    return [...new Set(this.trunks.flatMap((t) => t.allowHosts))];
  }

  /**
   * Decides trunk and bot for a call.
   * @throws CallRejectedError 401 'auth-challenge' (with WWW-Authenticate), 403 'source-not-allowed' /
   *   'bad-credentials', 404 'number-not-routed' / 'from-not-e164'.
   */
  route(req: RouteRequest): RouteDecision {
    const host = req.requestHost?.toLowerCase();
    const owners = host ? this.trunks.filter((t) => t.domain === host) : [];
    const candidates = (owners.length > 0 ? owners : this.trunks).filter(
      (t) => (!t.hasAllow || this.sourceAllowed(t, req.sourceAddress)) && (t.hasAllow || t.passwords.size > 0),
    );
    const bySource = candidates.filter((t) => t.passwords.size === 0);
    if (bySource.length > 0) return this.pickBot(bySource, req);
    const byDigest = candidates.filter((t) => t.passwords.size > 0);
    if (byDigest.length === 0) {
      throw new CallRejectedError('source-not-allowed', `no trunk allows source ${req.sourceAddress}`);
    }
    return this.pickBot([this.authenticate(byDigest, req)], req);
  }

  private authenticate(trunks: CompiledTrunk[], req: RouteRequest): CompiledTrunk {
    const digest = this.options.digest!;
    const lockout = this.options.lockout;
    const source = unmapped(bareAddress(req.sourceAddress));
    // Locked out: no new challenge, and not even a right answer to a nonce the source already holds.
    if (lockout?.isLockedOut(source)) {
      throw new CallRejectedError('auth-locked-out', `source ${source} is locked out after failed digest authentications`);
    }
    const authorization = headerValue(req.headers, 'Authorization');
    const method = req.method ?? 'INVITE';
    for (const t of trunks) {
      const verdict = digest.verify(authorization, t.realm, method, (u) => t.passwords.get(u));
      if (verdict.kind === 'ok') {
        lockout?.succeeded(source);
        this.options.authenticated?.(source);
        return t;
      }
      if (verdict.kind === 'stale') {
        throw new CallRejectedError('auth-stale', `stale nonce for ${verdict.username}`, {
          headers: { 'WWW-Authenticate': digest.challenges(t.realm, true, t.algorithms) },
        });
      }
      if (verdict.kind === 'invalid') {
        lockout?.failed(source, verdict.username);
        throw new CallRejectedError('bad-credentials', `digest rejected on trunk ${t.name}: ${verdict.reason}`);
      }
    }
    // No credentials for any candidate realm: challenge for each (RFC 3261 §22.4 allows several).
    const byRealm = new Map<string, CompiledTrunk>();
    for (const t of trunks) if (!byRealm.has(t.realm)) byRealm.set(t.realm, t);
    throw new CallRejectedError('auth-challenge', `digest challenge for realm(s) ${[...byRealm.keys()].join(', ')}`, {
      headers: { 'WWW-Authenticate': [...byRealm.values()].flatMap((t) => digest.challenges(t.realm, false, t.algorithms)) },
    });
  }

  private pickBot(trunks: CompiledTrunk[], req: RouteRequest): RouteDecision {
    const raw = req.requestUser || req.toUser;
    // 1. Routing header naming a bot (first trunk that has one configured and set).
    for (const t of trunks) {
      if (!t.routingHeader) continue;
      const named = headerValue(req.headers, t.routingHeader)?.trim();
      if (named && this.botNames.has(named)) return this.decide(t, named, raw, req);
    }
    // 2. The dialed number: a pstn-mode DID first, then a number routed to a bot.
    if (raw) {
      for (const t of trunks) {
        for (const variant of [raw, toggledPlus(raw), normalizeDialed(raw, t.country)]) {
          const forwardTo = t.forwards.get(variant);
          if (forwardTo) return this.decide(t, '', variant, req, forwardTo);
        }
      }
      for (const t of trunks) {
        const e164 = normalizeDialed(raw, t.country);
        const key = t.normalized.get(e164);
        if (key !== undefined) return this.decide(t, t.numbers.get(key)!, key, req);
      }
      for (const variant of [raw, toggledPlus(raw)]) {
        for (const t of trunks) {
          const bot = t.numbers.get(variant);
          if (bot !== undefined) return this.decide(t, bot, variant, req);
        }
      }
      // 3. A bot by name: sip:<botname>@host.
      if (this.botNames.has(raw)) return this.decide(trunks[0], raw, raw, req);
    }
    // 4. The trunk's forward target (mode pstn) or its bot (mode flow), first trunk that has either.
    const pstn = trunks.find((t) => t.forwardTo !== undefined || t.bot !== undefined);
    if (pstn?.forwardTo) return this.decide(pstn, '', normalizeDialed(raw, pstn.country), req, pstn.forwardTo);
    const fallback = trunks.find((t) => t.bot !== undefined);
    if (fallback?.bot !== undefined) return this.decide(fallback, fallback.bot, normalizeDialed(raw, fallback.country), req);
    throw new CallRejectedError('number-not-routed',
      `number "${raw}" is not routed on trunk(s) ${trunks.map((t) => t.name).join(', ')}`,
    );
  }

  private decide(t: CompiledTrunk, bot: string, number: string, req: RouteRequest, forwardTo?: ForwardToConfig): RouteDecision {
    if (t.requireE164From && !isE164(req.fromUser ?? '')) {
      throw new CallRejectedError('from-not-e164', `From user "${req.fromUser ?? ''}" is not E.164 (trunk ${t.name})`);
    }
    return forwardTo ? { trunk: t.name, bot, number, forwardTo } : { trunk: t.name, bot, number };
  }

  private sourceAllowed(t: CompiledTrunk, address: string): boolean {
    const addr = bareAddress(address);
    const family = isIP(addr);
    if (family === 0) return false;
    if (t.allow.check(addr, family === 4 ? 'ipv4' : 'ipv6')) return true;
    if (t.allowHosts.length === 0 || !this.options.resolveHost) return false;
    const plain = unmapped(addr);
    return t.allowHosts.some((h) => this.options.resolveHost!(h).some((a) => unmapped(a) === plain));
  }
}
