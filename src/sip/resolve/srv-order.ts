/**
 * RFC 3263 target selection, the pure part: which names to query and in which order to try the answers.
 * The DNS queries themselves live in sip-resolver.ts behind an injected client.
 */
import { isIP } from 'node:net';
import type { SipTransportName } from '../transport/transport.js';

/** One SRV answer (RFC 2782): same shape as node:dns SrvRecord. */
export interface SrvRecord {
  name: string;
  port: number;
  priority: number;
  weight: number;
}

/** What the next hop says about itself. */
export interface HopSpec {
  host: string;
  port: number;
  transport: SipTransportName;
  /** The port came from the user (URI or config), not from a default: SRV is skipped (RFC 3263 §4.2). */
  explicitPort: boolean;
}

/**
 * The SRV owner name for a transport (RFC 3263 §4.2): `_sips._tcp` for TLS, `_sip._tcp` for TCP,
 * `_sip._udp` for UDP.
 */
export function srvName(host: string, transport: SipTransportName): string {
  const h = host.replace(/\.$/, '');
  if (transport === 'tls') return `_sips._tcp.${h}`;
  return `_sip._${transport}.${h}`;
}

/**
 * True when SRV must be looked up for this hop: a host name without an explicit port (§4.2: "If the TARGET
 * was not a numeric IP address, and no port was present in the URI, the client performs an SRV query").
 * `localhost` names (RFC 6761) never go to DNS.
 */
export function usesSrv(hop: HopSpec): boolean {
  if (hop.explicitPort) return false;
  if (isIP(hop.host) !== 0) return false;
  return !/(^|\.)localhost\.?$/i.test(hop.host);
}

/**
 * Orders SRV records for trying (RFC 2782 "Usage rules"): lowest priority first; within one priority a
 * weighted random pick repeated until none are left (records of weight 0 first in the running list, so they
 * get a small chance only). `random` returns [0, 1) (Math.random in production, a fixed sequence in tests).
 * A "." target means the service is "decidedly not available at this domain" (RFC 2782): such records are
 * dropped.
 */
export function orderSrv(records: readonly SrvRecord[], random: () => number = Math.random): SrvRecord[] {
  const usable = records.filter((r) => r.name !== '.' && r.name !== '');
  const priorities = [...new Set(usable.map((r) => r.priority))].sort((a, b) => a - b);
  const out: SrvRecord[] = [];
  for (const p of priorities) {
    // Zero-weight records first (RFC 2782), the rest in the order received.
    const group = usable.filter((r) => r.priority === p);
    const pool = [...group.filter((r) => r.weight === 0), ...group.filter((r) => r.weight !== 0)];
    while (pool.length > 0) {
      const total = pool.reduce((s, r) => s + r.weight, 0);
      // "choose a uniform random number between 0 and the sum computed (inclusive)" then take the first
      // record whose running sum is >= that number.
      const pick = Math.floor(random() * (total + 1));
      let running = 0;
      let index = pool.length - 1;
      for (let i = 0; i < pool.length; i++) {
        running += pool[i].weight;
        if (running >= pick) {
          index = i;
          break;
        }
      }
      out.push(pool.splice(index, 1)[0]);
    }
  }
  return out;
}
