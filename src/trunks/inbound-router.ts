/**
 * Inbound routing: which trunk a call arrived on (by source IP) and which bot answers it (by dialed number).
 * Pure: no I/O, no clock. Config validation has already checked that addresses are valid and that every
 * referenced bot exists, so the router only decides.
 */
import { BlockList, isIP } from 'node:net';
import { CallRejectedError } from '../core/errors.js';
import type { Config } from '../config/index.js';
import type { ForwardToConfig } from '../config/outbound-schema.js';

/** What routing needs to know about an incoming INVITE. */
export interface RouteRequest {
  /** Source IP of the INVITE (v4, v6, or IPv4-mapped v6). */
  sourceAddress: string;
  /** Request-URI user part. */
  requestUser: string;
  /** To-header user part, used when the Request-URI has no user. */
  toUser: string;
  /** All headers, for future header-based rules. */
  headers?: ReadonlyArray<readonly [string, string]>;
}

/** Where the call goes. */
export interface RouteDecision {
  trunk: string;
  bot: string;
  /** The dialed number as matched: the configured number when one matched, else the dialed user. */
  number: string;
  /** pstn mode: bridge the call here without a bot (`bot` is then ""). */
  forwardTo?: ForwardToConfig;
}

type TrunkConfig = Config['inboundTrunks'][number];

interface CompiledTrunk {
  readonly name: string;
  readonly allow: BlockList;
  readonly bot: string | undefined;
  /** Configured number -> bot, exact keys. */
  readonly numbers: ReadonlyMap<string, string>;
  /** pstn-mode DIDs -> forward target. */
  readonly forwards: ReadonlyMap<string, ForwardToConfig>;
  /** pstn-mode trunk: forward target for numbers not listed. */
  readonly forwardTo: ForwardToConfig | undefined;
}

/** Adds a config allow entry ("1.2.3.4", "10.0.0.0/8", "2001:db8::/32") to a BlockList. */
function addRule(list: BlockList, rule: string): void {
  const slash = rule.indexOf('/');
  const addr = slash < 0 ? rule : rule.slice(0, slash);
  const type = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
  if (slash < 0) list.addAddress(addr, type);
  else list.addSubnet(addr, Number(rule.slice(slash + 1)), type);
}

/** "[::1]" -> "::1", "fe80::1%eth0" -> "fe80::1": forms a transport may report. */
function bareAddress(address: string): string {
  let a = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  return a;
}

/** The same number written the other way: "+1555" <-> "1555". */
function toggledPlus(n: string): string {
  return n.startsWith('+') ? n.slice(1) : `+${n}`;
}

/**
 * Routes inbound calls. A call is accepted from a source only if some trunk's allow list contains it
 * (IPv4-mapped IPv6 sources match IPv4 rules — BlockList handles that). Among the trunks that allow the
 * source, a listed number wins (exact match before the +/no-+ variant); otherwise the first such trunk
 * with a trunk-level bot takes the call.
 */
export class InboundRouter {
  private readonly trunks: readonly CompiledTrunk[];

  constructor(trunks: Config['inboundTrunks']) {
    this.trunks = trunks.map((t: TrunkConfig) => {
      const allow = new BlockList();
      for (const rule of t.allow) addRule(allow, rule);
      const numbers = new Map<string, string>();
      const forwards = new Map<string, ForwardToConfig>();
      for (const [num, entry] of Object.entries(t.numbers)) {
        if (entry.mode === 'pstn' && entry.forwardTo) forwards.set(num, entry.forwardTo);
        else if (entry.bot !== undefined) numbers.set(num, entry.bot);
      }
      const forwardTo = t.mode === 'pstn' ? t.forwardTo : undefined;
      return { name: t.name, allow, bot: t.mode === 'pstn' ? undefined : t.bot, numbers, forwards, forwardTo };
    });
  }

  /** Names of the trunks whose allow list contains `address`, in config order. */
  trunksForSource(address: string): string[] {
    return this.matchSource(address).map((t) => t.name);
  }

  /**
   * Decides trunk and bot for a call.
   * @throws CallRejectedError 403 'source-not-allowed' when no trunk allows the source;
   *   404 'number-not-routed' when the allowing trunks neither list the number nor have a trunk bot.
   */
  route(req: RouteRequest): RouteDecision {
    const candidates = this.matchSource(req.sourceAddress);
    if (candidates.length === 0) {
      throw new CallRejectedError(403, 'source-not-allowed', `no trunk allows source ${req.sourceAddress}`);
    }
    const dialed = req.requestUser || req.toUser;
    if (dialed) {
      for (const variant of [dialed, toggledPlus(dialed)]) {
        for (const t of candidates) {
          const forwardTo = t.forwards.get(variant);
          if (forwardTo) return { trunk: t.name, bot: '', number: variant, forwardTo };
          const bot = t.numbers.get(variant);
          if (bot !== undefined) return { trunk: t.name, bot, number: variant };
        }
      }
    }
    const pstn = candidates.find((t) => t.forwardTo !== undefined || t.bot !== undefined);
    if (pstn?.forwardTo) return { trunk: pstn.name, bot: '', number: dialed, forwardTo: pstn.forwardTo };
    const fallback = candidates.find((t) => t.bot !== undefined);
    if (fallback?.bot !== undefined) return { trunk: fallback.name, bot: fallback.bot, number: dialed };
    throw new CallRejectedError(
      404,
      'number-not-routed',
      `number "${dialed}" is not routed on trunk(s) ${candidates.map((t) => t.name).join(', ')}`,
    );
  }

  private matchSource(address: string): CompiledTrunk[] {
    const addr = bareAddress(address);
    const family = isIP(addr);
    if (family === 0) return [];
    const type = family === 4 ? 'ipv4' : 'ipv6';
    return this.trunks.filter((t) => t.allow.check(addr, type));
  }
}
