import { isIP } from 'node:net';
import { topViaOf, setTopVia } from '../message/accessors.js';
import type { SipRequest } from '../message/types.js';
import type { Via } from '../message/via.js';
import type { Destination, SipEndpoint } from './transport.js';

/** Strips the IPv4-mapped IPv6 prefix ("::ffff:192.0.2.1" → "192.0.2.1") that dual-stack sockets report. */
export function normalizeAddress(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1] : address;
}

function sameHost(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * Server transport processing of a received request (RFC 3261 §18.2.1 and RFC 3581 §4), mutating the top Via:
 * "If the host portion of the 'sent-by' parameter contains a domain name, or if it contains an IP address
 * that differs from the packet source address, the server MUST add a 'received' parameter". RFC 3581: an
 * rport without value is filled with the source port, and "received" MUST then be added even if identical.
 * A `received` the sender wrote itself is overwritten with the real source: responses go to `received`, and a
 * forged one would make us reflect answers at a third party.
 */
export function stampReceived(req: SipRequest, source: SipEndpoint): void {
  const via = topViaOf(req);
  const address = normalizeAddress(source.address);
  let changed = false;
  if (via.params.has('rport') && !via.params.get('rport')) {
    via.params.set('rport', String(source.port));
    via.params.set('received', address);
    changed = true;
  }
  const claimed = via.params.get('received');
  if (!changed && (isIP(via.host) === 0 || !sameHost(via.host, address) || (claimed != null && !sameHost(claimed, address)))) {
    via.params.set('received', address);
    changed = true;
  }
  if (changed) setTopVia(req, via);
}

/**
 * Where a response goes over an unreliable transport (RFC 3261 §18.2.2, RFC 3581 §4): to `received` (with the
 * `rport` port when present, else the sent-by port), else to the sent-by host; the port defaults to 5060.
 * `maddr` is never followed: we answer no multicast groups, and a forged maddr would turn us into a reflector
 * (after {@link stampReceived} the address is always the one the request came from).
 */
export function responseDestination(via: Via): Destination {
  const sentByPort = via.port ?? (via.transport === 'TLS' ? 5061 : 5060);
  const received = via.params.get('received');
  const rport = via.params.get('rport');
  // A client's own "rport=99999" is no port to answer to (RFC 3581 §4 has the server fill it in).
  const port = rport && /^\d{1,5}$/.test(rport) && Number(rport) >= 1 && Number(rport) <= 65535 ? Number(rport) : sentByPort;
  if (received) return { address: received, port };
  return { address: via.host, port };
}
