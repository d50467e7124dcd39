/**
 * Parsing and formatting of Digest auth header values (WWW-Authenticate, Authorization and their Proxy-
 * variants, RFC 3261 §25.1 / RFC 7616 §3.3-3.4): `Digest name=value, name="quoted", ...`. Pure.
 */

/** A parsed auth header: scheme ("Digest") and its parameters with lowercase names and unquoted values. */
export interface AuthHeaderValue {
  scheme: string;
  params: Map<string, string>;
}

/** Parses `Digest a=b, c="d"`; returns undefined when the text is not a well-formed auth header. */
export function parseAuthHeader(text: string): AuthHeaderValue | undefined {
  const m = /^\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s+(.*)$/s.exec(text);
  if (!m) return undefined;
  const params = new Map<string, string>();
  const rest = m[2];
  let i = 0;
  while (i < rest.length) {
    while (i < rest.length && /[\s,]/.test(rest[i])) i++;
    if (i >= rest.length) break;
    const nameMatch = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*=\s*/.exec(rest.slice(i));
    if (!nameMatch) return undefined;
    const name = nameMatch[1].toLowerCase();
    i += nameMatch[0].length;
    let value = '';
    if (rest[i] === '"') {
      i++;
      let closed = false;
      while (i < rest.length) {
        const c = rest[i];
        if (c === '\\' && i + 1 < rest.length) {
          value += rest[i + 1];
          i += 2;
          continue;
        }
        if (c === '"') {
          closed = true;
          i++;
          break;
        }
        value += c;
        i++;
      }
      if (!closed) return undefined;
    } else {
      const tok = /^[^\s,]*/.exec(rest.slice(i))![0];
      value = tok;
      i += tok.length;
    }
    if (params.has(name)) return undefined; // RFC 7616 §3.4: each parameter at most once.
    params.set(name, value);
    while (i < rest.length && /\s/.test(rest[i])) i++;
    if (i < rest.length && rest[i] !== ',') return undefined;
  }
  return { scheme: m[1], params };
}

/** Formats `Digest a="b", algorithm=MD5`: names in `unquoted` are written as tokens, the rest quoted. */
export function formatAuthHeader(
  scheme: string,
  params: ReadonlyArray<readonly [string, string]>,
  unquoted: ReadonlySet<string> = new Set(['algorithm', 'qop', 'nc', 'stale']),
): string {
  const parts = params.map(([n, v]) =>
    unquoted.has(n.toLowerCase()) ? `${n}=${v}` : `${n}="${v.replace(/(["\\])/g, '\\$1')}"`,
  );
  return `${scheme} ${parts.join(', ')}`;
}
