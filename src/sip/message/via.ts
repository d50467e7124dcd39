import { SipParseError } from '../../core/errors.js';
import { formatHostPort, parseHostPort } from './uri.js';
import { formatParams, parseParams, splitOutside, TOKEN_RE, type Params } from './text.js';

/** RFC 3261 §8.1.1.7: branch IDs of RFC 3261 elements start with this magic cookie. */
export const BRANCH_MAGIC_COOKIE = 'z9hG4bK';

/** One Via element (§20.42): "SIP/2.0/UDP host:port;branch=...". */
export interface Via {
  /** "SIP/2.0" */
  protocol: string;
  /** Uppercase transport: "UDP", "TCP", "TLS", "WS"... */
  transport: string;
  host: string;
  port?: number;
  params: Params;
}

function fail(msg: string): never {
  throw new SipParseError(msg);
}

/** Parses one Via element. Throws {@link SipParseError}. */
export function parseVia(input: string): Via {
  // LWS is allowed around the slashes (§25.1 SLASH = SWS "/" SWS).
  const m = /^\s*([^\s/]+)\s*\/\s*([^\s/]+)\s*\/\s*([^\s/;]+)\s+(.+)$/s.exec(input);
  if (!m) fail(`bad Via "${input}"`);
  const [, name, version, transport, rest] = m;
  if (!TOKEN_RE.test(name) || !TOKEN_RE.test(version) || !TOKEN_RE.test(transport)) fail(`bad Via "${input}"`);
  // A Via may carry a trailing comment "(...)" (§20.42); drop it.
  const cleaned = rest.replace(/\s*\([^)]*\)\s*$/, '');
  const [sentBy, ...paramParts] = splitOutside(cleaned, ';');
  const { host, port } = parseHostPort(sentBy.replace(/\s+/g, ''));
  const via: Via = {
    protocol: `${name.toUpperCase()}/${version}`,
    transport: transport.toUpperCase(),
    host,
    params: parseParams(paramParts, fail),
  };
  if (port !== undefined) via.port = port;
  return via;
}

/** Formats a Via element. */
export function formatVia(via: Via): string {
  return `${via.protocol}/${via.transport} ${formatHostPort(via.host, via.port)}${formatParams(via.params)}`;
}

/** The branch parameter, or undefined. */
export function viaBranch(via: Via): string | undefined {
  return via.params.get('branch') ?? undefined;
}
