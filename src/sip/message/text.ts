/**
 * Small lexical helpers shared by the URI, name-addr and Via parsers: splitting on a separator while
 * respecting quoted-strings (with backslash escapes, RFC 3261 §25.1) and <...> URIs.
 */

/**
 * Splits `text` on `sep` when it is outside a quoted-string and outside angle brackets.
 * Returns trimmed parts; empty parts are kept so callers can reject them.
 */
export function splitOutside(text: string, sep: string): string[] {
  const parts: string[] = [];
  let inQuotes = false;
  let angle = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inQuotes) {
      if (ch === '\\') i++;
      else if (ch === '"') inQuotes = false;
      continue;
    }
    if (ch === '"') inQuotes = true;
    else if (ch === '<') angle++;
    else if (ch === '>' && angle > 0) angle--;
    else if (ch === sep && angle === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts;
}

/** True when quotes and angle brackets in `text` are balanced. */
export function isBalanced(text: string): boolean {
  let inQuotes = false;
  let angle = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inQuotes) {
      if (ch === '\\') i++;
      else if (ch === '"') inQuotes = false;
      continue;
    }
    if (ch === '"') inQuotes = true;
    else if (ch === '<') angle++;
    else if (ch === '>') {
      if (angle === 0) return false;
      angle--;
    }
  }
  return !inQuotes && angle === 0;
}

/**
 * Index of the first `ch` outside quoted-strings (backslash escapes honoured), or -1. When `ch` is absent and a
 * quoted-string is left open, `onOpenQuote` is called first (a parser that must reject that throws there).
 */
export function indexOutsideQuotes(text: string, ch: string, onOpenQuote?: () => void): number {
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inQuotes) {
      if (c === '\\') i++;
      else if (c === '"') inQuotes = false;
    } else if (c === '"') inQuotes = true;
    else if (c === ch) return i;
  }
  if (inQuotes) onOpenQuote?.();
  return -1;
}

/** RFC 3261 token characters (§25.1). */
export const TOKEN_RE = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

/** Removes the surrounding quotes of a quoted-string and resolves backslash escapes. */
export function unquote(text: string): string {
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) {
    return text.slice(1, -1).replace(/\\(.)/gs, '$1');
  }
  return text;
}

/** Quotes a display name when it is not a plain token sequence. */
export function quoteIfNeeded(text: string): string {
  if (/^[A-Za-z0-9\-.!%*_+`'~ ]+$/.test(text) && text.trim() === text && text.length > 0) return text;
  return '"' + text.replace(/(["\\])/g, '\\$1') + '"';
}

/**
 * Ordered parameter map (";name=value" lists). Names are stored lowercase because parameter names compare
 * case-insensitively (§19.1.4, §20.42); a value of `null` means the parameter had no "=value".
 */
export type Params = Map<string, string | null>;

/** Parses ";a=b;c" (leading ';' already removed, i.e. "a=b;c") into {@link Params}. Throws on an empty name. */
export function parseParams(parts: string[], onError: (msg: string) => never): Params {
  const params: Params = new Map();
  for (const raw of parts) {
    const part = raw.trim();
    if (part === '') onError('empty parameter');
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (!TOKEN_RE.test(name)) onError(`bad parameter name "${name}"`);
    const value = eq < 0 ? null : part.slice(eq + 1).trim();
    params.set(name, value);
  }
  return params;
}

/** Formats {@link Params} back to ";a=b;c". */
export function formatParams(params: Params): string {
  let out = '';
  for (const [name, value] of params) out += value === null ? `;${name}` : `;${name}=${value}`;
  return out;
}
