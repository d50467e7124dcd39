import { SipParseError } from '../../core/errors.js';
import { TOKEN_RE } from '../message/text.js';

/** A message's head split into start line and unfolded header lines, plus where the body starts. */
export interface SipHead {
  startLine: string;
  headers: Array<[string, string]>;
  /** Byte offset of the body in the input buffer. */
  bodyOffset: number;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Byte offset just past the empty line ending the head (CRLF CRLF, or bare LF LF which we tolerate), or -1.
 * Leading empty lines are skipped by the caller first.
 */
export function findHeadEnd(buf: Buffer, from = 0): number {
  let lineStart = from;
  for (let i = from; i < buf.length; i++) {
    if (buf[i] !== LF) continue;
    const lineLen = i - lineStart;
    if (lineLen === 0 || (lineLen === 1 && buf[lineStart] === CR)) {
      if (lineStart !== from) return i + 1;
    }
    lineStart = i + 1;
  }
  return -1;
}

/** Offset of the first byte that is not CR/LF (RFC 3261 §7.5: ignore CRLF before the start line). */
export function skipLeadingCrlf(buf: Buffer, from = 0): number {
  let i = from;
  while (i < buf.length && (buf[i] === CR || buf[i] === LF)) i++;
  return i;
}

/**
 * Splits a message head: start line, then header lines with folding (§7.3.1: a line starting with SP/HT
 * continues the previous one) replaced by a single space. Header names must be tokens.
 * When the input has no empty line the whole remainder is taken as head (lenient for UDP).
 */
export function splitHead(buf: Buffer): SipHead {
  const start = skipLeadingCrlf(buf);
  if (start >= buf.length) throw new SipParseError('empty message');
  const end = findHeadEnd(buf, start);
  const headEnd = end < 0 ? buf.length : end;
  const text = buf.toString('utf8', start, headEnd);
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const startLine = lines[0] ?? '';
  if (startLine === '' || /^[ \t]/.test(startLine)) throw new SipParseError('bad start line');
  const headers: Array<[string, string]> = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (/^[ \t]/.test(line)) {
      const last = headers[headers.length - 1];
      if (!last) throw new SipParseError('continuation line before any header');
      const cont = line.trim();
      last[1] = last[1] === '' ? cont : cont === '' ? last[1] : `${last[1]} ${cont}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new SipParseError(`bad header line "${line.slice(0, 80)}"`);
    const name = line.slice(0, colon).trimEnd();
    if (!TOKEN_RE.test(name)) throw new SipParseError(`bad header name "${name.slice(0, 80)}"`);
    headers.push([name, line.slice(colon + 1).trim()]);
  }
  return { startLine, headers, bodyOffset: headEnd };
}
