import { isIPv6 } from 'node:net';
import { SipParseError } from '../../core/errors.js';
import { formatParams, indexOutsideQuotes, parseParams, quoteIfNeeded, splitOutside, unquote, type Params } from './text.js';

/**
 * A parsed URI. sip:/sips: per RFC 3261 §19.1, tel: per RFC 3966 (the number goes to `user`), any other
 * scheme kept opaque (§25.1 absoluteURI).
 */
export interface SipUri {
  /** Lowercase scheme: "sip", "sips", "tel", or another. */
  scheme: string;
  /** User part exactly as written (still %-escaped); see {@link decodeUser}. */
  user?: string;
  password?: string;
  /** Host without IPv6 brackets, lowercase for names; "" for tel: and opaque URIs. */
  host: string;
  port?: number;
  /** URI parameters (";transport=udp;lr"). */
  params: Params;
  /** Raw "?h=v&..." headers part without the "?". */
  headers?: string;
  /** For schemes other than sip/sips/tel: everything after the colon. */
  opaque?: string;
}

/** A name-addr or addr-spec with header parameters (From, To, Contact, Route, Record-Route; §20.10). */
export interface NameAddr {
  displayName?: string;
  uri: SipUri;
  /** Header parameters after the URI (";tag=..."), not URI parameters. */
  params: Params;
  /** True when the URI was written in <...>; formatting keeps brackets when params exist anyway. */
  angle: boolean;
}

function fail(msg: string): never {
  throw new SipParseError(msg);
}

const HOSTNAME_RE = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/;
const IPV6_RE = /^[0-9A-Fa-f:.]+$/;
// user = 1*( unreserved / escaped / user-unreserved ), §25.1. Lenient on "%" form, strict on spaces/brackets.
const USER_RE = /^[A-Za-z0-9\-_.!~*'()&=+$,;?/%#]+$/;
const PASSWORD_RE = /^[A-Za-z0-9\-_.!~*'()&=+$,%]*$/;

/** Parses "host[:port]" (IPv6 in brackets). Throws {@link SipParseError}. */
export function parseHostPort(text: string): { host: string; port?: number } {
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0) fail(`unterminated IPv6 reference in "${text}"`);
    host = text.slice(1, end);
    // node:net follows RFC 4291, so "2001:db8:::192.0.2.1" (allowed by RFC 3261's buggy ABNF) is refused (RFC 5118 §4.10).
    if (!IPV6_RE.test(host) || !isIPv6(host)) fail(`bad IPv6 address "${host}"`);
    const rest = text.slice(end + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) fail(`bad host:port "${text}"`);
      portText = rest.slice(1);
    }
  } else {
    const colon = text.indexOf(':');
    host = colon < 0 ? text : text.slice(0, colon);
    if (colon >= 0) portText = text.slice(colon + 1);
    if (!HOSTNAME_RE.test(host)) fail(`bad host "${host}"`);
    host = host.toLowerCase();
  }
  if (portText === undefined) return { host };
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) fail(`bad port "${portText}"`);
  return { host, port: Number(portText) };
}

/** Formats host (brackets for IPv6) and optional port. */
export function formatHostPort(host: string, port?: number): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return port === undefined ? h : `${h}:${port}`;
}

/** Parses a URI. Throws {@link SipParseError} on malformed input. */
export function parseUri(input: string): SipUri {
  const text = input.trim();
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(text);
  if (!m) fail(`bad URI "${input}"`);
  const scheme = m[1].toLowerCase();
  const rest = m[2];
  if (/[\s<>"]/.test(rest) || rest === '') fail(`bad URI "${input}"`);
  if (scheme === 'sip' || scheme === 'sips') return parseSipUri(scheme, rest);
  if (scheme === 'tel') {
    const [number, ...paramParts] = rest.split(';');
    if (number === '' || !/^[0-9A-Fa-f*#+\-.()pPwW%]+$/.test(number)) fail(`bad tel URI "${input}"`);
    return { scheme, user: number, host: '', params: parseParams(paramParts, fail) };
  }
  return { scheme, host: '', params: new Map(), opaque: rest };
}

function parseSipUri(scheme: string, rest: string): SipUri {
  let main = rest;
  let headers: string | undefined;
  let user: string | undefined;
  let password: string | undefined;
  // userinfo may hold "?" and ";" (RFC 4475 §3.1.1.2) but never an unescaped "@", so the first "@" ends it;
  // headers start at the first "?" after that.
  const at = main.indexOf('@');
  let userinfo: string | undefined;
  if (at >= 0) {
    userinfo = main.slice(0, at);
    main = main.slice(at + 1);
  }
  const q = main.indexOf('?');
  if (q >= 0) {
    headers = main.slice(q + 1);
    main = main.slice(0, q);
  }
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    user = colon < 0 ? userinfo : userinfo.slice(0, colon);
    if (colon >= 0) password = userinfo.slice(colon + 1);
    if (user === '' || !USER_RE.test(user)) fail(`bad user part "${userinfo}"`);
    if (password !== undefined && !PASSWORD_RE.test(password)) fail('bad password part');
  }
  const [hostport, ...paramParts] = main.split(';');
  const { host, port } = parseHostPort(hostport);
  const uri: SipUri = { scheme, host, params: parseParams(paramParts, fail) };
  if (user !== undefined) uri.user = user;
  if (password !== undefined) uri.password = password;
  if (port !== undefined) uri.port = port;
  if (headers !== undefined) uri.headers = headers;
  return uri;
}

/** Formats a URI back to text. */
export function formatUri(uri: SipUri): string {
  if (uri.opaque !== undefined) return `${uri.scheme}:${uri.opaque}`;
  if (uri.scheme === 'tel') return `tel:${uri.user ?? ''}${formatParams(uri.params)}`;
  let out = `${uri.scheme}:`;
  if (uri.user !== undefined) out += uri.password !== undefined ? `${uri.user}:${uri.password}@` : `${uri.user}@`;
  out += formatHostPort(uri.host, uri.port);
  out += formatParams(uri.params);
  if (uri.headers !== undefined) out += `?${uri.headers}`;
  return out;
}

/** Percent-decodes a URI user part ("%2B1555" → "+1555"); malformed escapes are left as written. */
export function decodeUser(user: string | undefined): string {
  if (user === undefined) return '';
  try {
    return decodeURIComponent(user);
  } catch {
    return user;
  }
}

/** Parses a name-addr / addr-spec with header params (From, To, Contact, Route...). */
export function parseNameAddr(input: string): NameAddr {
  const text = input.trim();
  if (text === '') fail('empty address');
  let displayName: string | undefined;
  let uriText: string;
  let rest: string;
  let angle = false;
  const lt = indexOutsideQuotes(text, '<', () => fail('unterminated quoted string'));
  if (lt >= 0) {
    const before = text.slice(0, lt).trim();
    if (before !== '') {
      if (before.startsWith('"')) {
        if (!/^"(?:[^"\\]|\\.)*"$/s.test(before)) fail(`bad display name ${before}`);
        displayName = unquote(before);
      } else {
        if (!/^[A-Za-z0-9\-.!%*_+`'~ \t]+$/.test(before)) fail(`bad display name ${before}`);
        displayName = before.replace(/\s+/g, ' ');
      }
    }
    const gt = text.indexOf('>', lt);
    if (gt < 0) fail(`unterminated <URI> in "${input}"`);
    uriText = text.slice(lt + 1, gt);
    // No LWS inside <...> (RFC 4475 §3.1.2.14 badaspec: "< sip:t.watson@example.org >").
    if (uriText !== uriText.trim()) fail(`whitespace inside <URI> in "${input}"`);
    rest = text.slice(gt + 1).trim();
    angle = true;
  } else {
    if (text.startsWith('"')) fail(`display name without <URI> in "${input}"`);
    // addr-spec form: the URI cannot contain ';' (§20.10), so header params start at the first ';'.
    const semi = text.indexOf(';');
    uriText = semi < 0 ? text : text.slice(0, semi);
    rest = semi < 0 ? '' : text.slice(semi);
    // "?" or "," in an addr-spec means the URI needed <...> (§20; RFC 4475 §3.1.2.13 regbadct).
    if (/[?,]/.test(uriText)) fail(`URI with headers or commas must be in <...>: "${input}"`);
  }
  let params: Params = new Map();
  if (rest !== '') {
    if (!rest.startsWith(';')) fail(`unexpected "${rest}" after address`);
    params = parseParams(splitOutside(rest.slice(1), ';'), fail);
  }
  const result: NameAddr = { uri: parseUri(uriText), params, angle };
  if (displayName !== undefined) result.displayName = displayName;
  return result;
}

/** Formats a name-addr; always uses <...> (safe for any URI, §20.10). */
export function formatNameAddr(addr: NameAddr): string {
  const dn = addr.displayName !== undefined && addr.displayName !== '' ? `${quoteIfNeeded(addr.displayName)} ` : '';
  return `${dn}<${formatUri(addr.uri)}>${formatParams(addr.params)}`;
}
