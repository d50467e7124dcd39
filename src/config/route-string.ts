/**
 * Vida's outbound route string: `host[:port][;transport=udp|tcp|tls][;proxyAddress=proxy[:port]]`. Pure.
 */

export interface ParsedRoute {
  host: string;
  port?: number;
  transport?: 'udp' | 'tcp' | 'tls';
  proxy?: { host: string; port?: number };
}

const HOST_RE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)$/;

/** "host[:port]" (IPv6 in brackets) or an error message. */
export function parseHostAndPort(text: string): { host: string; port?: number } | string {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(text.trim());
  if (!m || !HOST_RE.test(m[1])) return `"${text}" is not host[:port]`;
  const host = m[1].startsWith('[') ? m[1].slice(1, -1) : m[1];
  if (m[2] === undefined) return { host };
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return `port ${m[2]} out of range`;
  return { host, port };
}

/** Parses a route string; returns the parts or an error message. */
export function parseRouteString(route: string): ParsedRoute | string {
  const [hostPart, ...params] = route.trim().split(';');
  const hp = parseHostAndPort(hostPart ?? '');
  if (typeof hp === 'string') return hp;
  const out: ParsedRoute = { ...hp };
  for (const p of params) {
    const eq = p.indexOf('=');
    const key = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? '' : p.slice(eq + 1).trim();
    if (key === 'transport') {
      const t = value.toLowerCase();
      if (t !== 'udp' && t !== 'tcp' && t !== 'tls') return `transport must be udp, tcp or tls (got "${value}")`;
      out.transport = t;
    } else if (key === 'proxyaddress') {
      const proxy = parseHostAndPort(value);
      if (typeof proxy === 'string') return `proxyAddress: ${proxy}`;
      out.proxy = proxy;
    } else {
      return `unknown route parameter "${key}" (expected transport or proxyAddress)`;
    }
  }
  return out;
}
