/**
 * RFC 3263 §4 server location: the ordered list of addresses to try for a next hop. SRV for the hop's
 * transport (ordered per RFC 2782), then A/AAAA of each SRV target; no SRV records (or an explicit port):
 * A/AAAA of the host itself. NAPTR (§4.1) is not queried: every hop here has its transport from config or
 * the URI, and §4.1 says a specified transport is used as is.
 */
import { lookup } from 'node:dns/promises';
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { Destination } from '../transport/transport.js';
import { orderSrv, srvName, usesSrv, type HopSpec, type SrvRecord } from './srv-order.js';

/** The DNS questions the resolver asks; injected so tests can answer them. */
export interface DnsClient {
  /** SRV records of `name`; [] when the name has none (NXDOMAIN / NODATA). */
  srv(name: string): Promise<SrvRecord[]>;
  /** IPv4 then IPv6 addresses of `name`; [] when none. */
  addresses(name: string): Promise<string[]>;
}

/** At most this many addresses are tried for one request (bounded failover). */
export const MAX_TARGETS = 8;

const NO_DATA = new Set(['ENOTFOUND', 'ENODATA', 'ENONAME', 'NOTFOUND', 'NODATA']);

async function orEmpty<T>(p: Promise<T[]>): Promise<T[]> {
  try {
    return await p;
  } catch (err) {
    if (NO_DATA.has((err as { code?: string }).code ?? '')) return [];
    throw err;
  }
}

/**
 * The node:dns client. With `servers` ("127.0.0.1:5353", "[::1]:53"), every question goes to them
 * (Resolver.setServers); without, SRV goes to the system's name servers and addresses come from the OS
 * resolver (getaddrinfo: /etc/hosts is honoured, as for any other host name in the bridge).
 */
export function nodeDnsClient(servers?: readonly string[], options: { timeoutMs?: number; tries?: number } = {}): DnsClient {
  const resolver = new Resolver({ timeout: options.timeoutMs ?? 2000, tries: options.tries ?? 2 });
  const custom = servers !== undefined && servers.length > 0;
  if (custom) resolver.setServers([...servers]);
  return {
    srv: (name) => orEmpty(resolver.resolveSrv(name)),
    addresses: async (name) => {
      if (!custom) return orEmpty(lookup(name, { all: true }).then((all) => all.map((a) => a.address)));
      // One family failing (a server that refuses AAAA) must not hide the other's answer.
      const [v4, v6] = await Promise.allSettled([orEmpty(resolver.resolve4(name)), orEmpty(resolver.resolve6(name))]);
      const found = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
      if (found.length === 0 && v4.status === 'rejected') throw v4.reason;
      return found;
    },
  };
}

/** Resolves next hops into ordered destinations (see the module comment). */
export class SipServerResolver {
  constructor(
    private readonly dns: DnsClient,
    private readonly logger: Logger,
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * Destinations to try in order, at most {@link MAX_TARGETS}. An IP literal comes back as is.
   * @throws Error when the name has no usable address (callers answer 503/480).
   */
  async resolve(hop: HopSpec): Promise<Destination[]> {
    if (isIP(hop.host) !== 0) return [{ address: hop.host, port: hop.port }];
    const out: Destination[] = [];
    if (usesSrv(hop)) {
      const name = srvName(hop.host, hop.transport);
      const records = orderSrv(await this.dns.srv(name), this.random);
      this.logger.debug({ name, records }, 'SRV answer');
      for (const r of records) {
        if (out.length >= MAX_TARGETS) break;
        const addrs = isIP(r.name) !== 0 ? [r.name] : await this.dns.addresses(r.name).catch((err: unknown) => {
          this.logger.warn({ target: r.name, reason: (err as Error).message }, 'SRV target lookup failed; skipped');
          return [] as string[];
        });
        for (const a of addrs) if (out.length < MAX_TARGETS) out.push({ address: a, port: r.port });
      }
      if (records.length > 0) {
        if (out.length === 0) throw new Error(`no address for any SRV target of ${name}`);
        return out;
      }
    }
    const addrs = await this.dns.addresses(hop.host);
    for (const a of addrs.slice(0, MAX_TARGETS)) out.push({ address: a, port: hop.port });
    if (out.length === 0) throw new Error(`no address for ${hop.host}`);
    return out;
  }
}
