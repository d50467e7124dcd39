import { SipParseError } from '../../core/errors.js';
import { parseNameAddr, type NameAddr } from './uri.js';
import { formatVia, parseVia, type Via } from './via.js';
import { splitOutside } from './text.js';
import type { SipMessage } from './types.js';

/**
 * Typed views of the headers every SIP message carries. Each parses on demand from the header map (the
 * single source of truth) and throws {@link SipParseError} when the header is missing or malformed.
 */

function fail(msg: string): never {
  throw new SipParseError(msg);
}

/** The single value of a header that must appear once; repeated identical lines are tolerated. */
function single(msg: SipMessage, name: string): string {
  const values = msg.headers.getAll(name);
  if (values.length === 0) fail(`missing ${name}`);
  const first = values[0];
  if (values.some((v) => v !== first)) fail(`conflicting ${name} headers`);
  return first;
}

/** Call-ID value (§20.8). */
export function callIdOf(msg: SipMessage): string {
  const v = single(msg, 'Call-ID');
  if (v === '' || /\s/.test(v)) fail(`bad Call-ID "${v}"`);
  return v;
}

export interface CSeq {
  seq: number;
  method: string;
}

/** CSeq (§20.16): a 32-bit number (< 2**31) and a method. */
export function cseqOf(msg: SipMessage): CSeq {
  const v = single(msg, 'CSeq');
  const m = /^(\d{1,10})\s+([A-Za-z0-9\-.!%*_+`'~]+)$/.exec(v);
  if (!m) fail(`bad CSeq "${v}"`);
  const seq = Number(m[1]);
  if (seq >= 2 ** 31) fail(`CSeq number out of range "${v}"`);
  return { seq, method: m[2] };
}

/** Every Via element, top first. */
export function viasOf(msg: SipMessage): Via[] {
  const list = msg.headers.getList('Via');
  if (list.length === 0) fail('missing Via');
  return list.map(parseVia);
}

/** The top Via element. */
export function topViaOf(msg: SipMessage): Via {
  return viasOf(msg)[0];
}

/** Replaces the top Via element, keeping any other elements on the same header line. */
export function setTopVia(msg: SipMessage, via: Via): void {
  const lines = msg.headers.getAll('Via');
  if (lines.length === 0) fail('missing Via');
  // Split exactly as getList reads it (outside quotes and <...>): a comma inside a quoted or bracketed param
  // value must not start a "next element" here that the next read of the Via chokes on.
  const rest = splitOutside(lines[0], ',').slice(1).filter((e) => e !== '');
  msg.headers.replaceFirst('Via', [formatVia(via), ...rest].join(', '));
}

/** From header (§20.20). */
export function fromOf(msg: SipMessage): NameAddr {
  return parseNameAddr(single(msg, 'From'));
}

/** To header (§20.39). */
export function toOf(msg: SipMessage): NameAddr {
  return parseNameAddr(single(msg, 'To'));
}

/** The tag parameter of From or To, or undefined. */
export function tagOf(addr: NameAddr): string | undefined {
  return addr.params.get('tag') ?? undefined;
}

/** Contact elements (§20.10); "*" yields an empty list with `star` true. */
export function contactsOf(msg: SipMessage): { star: boolean; contacts: NameAddr[] } {
  const list = msg.headers.getList('Contact');
  if (list.length === 1 && list[0] === '*') return { star: true, contacts: [] };
  return { star: false, contacts: list.map(parseNameAddr) };
}

/** Max-Forwards (§20.22), or undefined when absent. */
export function maxForwardsOf(msg: SipMessage): number | undefined {
  const v = msg.headers.get('Max-Forwards');
  if (v === undefined) return undefined;
  // 1*DIGIT (§25.1): leading zeros are legal ("0068", RFC 4475 §3.1.1.1); the value must fit 0-255.
  if (!/^\d{1,10}$/.test(v) || Number(v) > 255) fail(`bad Max-Forwards "${v}"`);
  return Number(v);
}

/** Content-Length (§20.14), or undefined when absent. */
export function contentLengthOf(msg: SipMessage): number | undefined {
  const values = msg.headers.getAll('Content-Length');
  if (values.length === 0) return undefined;
  const v = values[0];
  if (values.some((x) => x !== v)) fail('conflicting Content-Length headers');
  if (!/^\d{1,9}$/.test(v)) fail(`bad Content-Length "${v}"`);
  return Number(v);
}

/** Lowercase option tags of a list header such as Require, Supported, Proxy-Require. */
export function optionTagsOf(msg: SipMessage, name: string): string[] {
  return msg.headers
    .getList(name)
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '');
}

/** Media type of the body without parameters, lowercase ("application/sdp"), or undefined. */
export function contentTypeOf(msg: SipMessage): string | undefined {
  const v = msg.headers.get('Content-Type');
  if (v === undefined) return undefined;
  return v.split(';')[0].trim().toLowerCase();
}
