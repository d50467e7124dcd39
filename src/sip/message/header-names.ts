/**
 * Header name knowledge: RFC 3261 §7.3.3 compact forms (plus later RFCs' ones) and canonical spelling.
 * Names compare case-insensitively (§7.3.1), so every lookup goes through {@link headerKey}.
 */

/** Compact form letter → full lowercase name. */
const COMPACT: Readonly<Record<string, string>> = {
  a: 'accept-contact', // RFC 3841
  b: 'referred-by', // RFC 3892
  c: 'content-type',
  d: 'request-disposition', // RFC 3841
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact', // RFC 3841
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info', // RFC 4474
  o: 'event', // RFC 6665
  r: 'refer-to', // RFC 3515
  s: 'subject',
  t: 'to',
  u: 'allow-events', // RFC 6665
  v: 'via',
  x: 'session-expires', // RFC 4028
  y: 'identity', // RFC 4474
};

/** Canonical spelling of well-known headers whose case is not simply "Title-Case". */
const CANONICAL: Readonly<Record<string, string>> = {
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'www-authenticate': 'WWW-Authenticate',
  'mime-version': 'MIME-Version',
  'p-asserted-identity': 'P-Asserted-Identity',
  'p-preferred-identity': 'P-Preferred-Identity',
  'rack': 'RAck',
  'rseq': 'RSeq',
};

/** Lowercase full name used as the lookup key: "i" → "call-id", "Via" → "via". */
export function headerKey(name: string): string {
  const lower = name.toLowerCase();
  return COMPACT[lower] ?? lower;
}

/**
 * Canonical display name: compact forms expanded, known headers spelled as in their RFC
 * ("call-id" → "Call-ID", "cseq" → "CSeq"). Unknown headers keep the case they were sent in.
 */
export function canonicalHeaderName(name: string): string {
  const key = headerKey(name);
  const special = CANONICAL[key];
  if (special) return special;
  if (key !== name.toLowerCase() || isWellKnown(key)) {
    return key.replace(/(^|-)([a-z])/g, (_m, sep: string, ch: string) => sep + ch.toUpperCase());
  }
  return name;
}

const WELL_KNOWN = new Set([
  'accept', 'accept-encoding', 'accept-language', 'alert-info', 'allow', 'authentication-info', 'authorization',
  'call-info', 'contact', 'content-disposition', 'content-encoding', 'content-language', 'content-length',
  'content-type', 'date', 'error-info', 'expires', 'from', 'in-reply-to', 'max-forwards', 'min-expires',
  'organization', 'priority', 'proxy-authenticate', 'proxy-authorization', 'proxy-require', 'record-route',
  'reply-to', 'require', 'retry-after', 'route', 'server', 'subject', 'supported', 'timestamp', 'to',
  'unsupported', 'user-agent', 'via', 'warning', 'event', 'refer-to', 'referred-by', 'session-expires',
  'min-se', 'reason', 'privacy', 'allow-events',
]);

function isWellKnown(key: string): boolean {
  return WELL_KNOWN.has(key);
}

/**
 * Headers whose grammar is a comma-separated list (RFC 3261 §7.3.1: such headers may be combined into one line).
 * Only these are split on commas by {@link SipHeaders.getList}.
 */
export const LIST_HEADERS: ReadonlySet<string> = new Set([
  'via', 'route', 'record-route', 'contact', 'allow', 'supported', 'require', 'proxy-require', 'unsupported',
  'accept', 'accept-encoding', 'accept-language', 'content-encoding', 'content-language', 'allow-events',
  'in-reply-to', 'alert-info', 'call-info', 'error-info', 'warning', 'reason', 'p-asserted-identity',
]);
