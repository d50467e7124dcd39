import { SipParseError } from '../../core/errors.js';
import {
  callIdOf,
  contactsOf,
  contentLengthOf,
  cseqOf,
  fromOf,
  maxForwardsOf,
  toOf,
  viasOf,
} from '../message/accessors.js';
import { SipHeaders } from '../message/headers.js';
import { TOKEN_RE } from '../message/text.js';
import type { SipMessage, SipRequest, SipResponse } from '../message/types.js';
import { parseUri } from '../message/uri.js';
import { splitHead } from './head.js';

const VERSION_RE = /^SIP\/\d+\.\d+$/i;

export interface ParseOptions {
  /**
   * Framing of the body (RFC 3261 §18.3). 'datagram' (default): Content-Length may be absent (body = rest),
   * extra bytes are discarded, fewer bytes are an error. 'exact': the input holds exactly one framed message.
   */
  framing?: 'datagram' | 'exact';
}

/**
 * Parses one SIP message from raw bytes. Pure. Throws {@link SipParseError} on malformed input and never
 * anything else: any unexpected error inside is converted, so garbage cannot crash a transport.
 * Validates the headers every message needs (§8.1.1: Via, From, To, Call-ID, CSeq) and for requests that
 * the CSeq method matches the request method.
 */
export function parseSipMessage(buf: Buffer, options: ParseOptions = {}): SipMessage {
  try {
    return parseUnchecked(buf, options);
  } catch (err) {
    if (err instanceof SipParseError) throw err;
    throw new SipParseError(`unparseable message: ${(err as Error)?.message ?? String(err)}`);
  }
}

function parseUnchecked(buf: Buffer, options: ParseOptions): SipMessage {
  const msg = parseStartAndHeaders(buf);
  const head = msg.head;
  const message = msg.message;
  validateMandatory(message);
  const available = buf.length - head.bodyOffset;
  const declared = contentLengthOf(message);
  let bodyLength: number;
  if (declared === undefined) {
    if (options.framing === 'exact' && available > 0) throw new SipParseError('missing Content-Length');
    bodyLength = available;
  } else {
    if (declared > available) throw new SipParseError(`Content-Length ${declared} exceeds body of ${available} bytes`);
    bodyLength = declared;
  }
  message.body = Buffer.from(buf.subarray(head.bodyOffset, head.bodyOffset + bodyLength));
  return message;
}

/**
 * Start line and headers only, with no validation of header contents. Used by {@link parseSipMessage} and by
 * transports that want to answer 400 to a request that failed full validation.
 */
export function parseStartAndHeaders(buf: Buffer): { head: ReturnType<typeof splitHead>; message: SipMessage } {
  const head = splitHead(buf);
  const headers = new SipHeaders(head.headers);
  const parts = head.startLine.split(' ');
  if (VERSION_RE.test(parts[0] ?? '')) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (§7.2); the phrase may contain spaces.
    // Exactly three digits: "SIP/2.0 4294967301 ..." must not read as 429 (RFC 4475 §3.1.2.19).
    const m = /^(SIP\/\d+\.\d+) ([1-6]\d\d)(?: (.*))?$/i.exec(head.startLine);
    if (!m) throw new SipParseError(`bad status line "${head.startLine.slice(0, 80)}"`);
    const response: SipResponse = {
      kind: 'response',
      version: m[1].toUpperCase(),
      status: Number(m[2]),
      reason: m[3] ?? '',
      headers,
      body: Buffer.alloc(0),
    };
    return { head, message: response };
  }
  // Request-Line = Method SP Request-URI SP SIP-Version CRLF (§7.1): exactly single spaces.
  if (parts.length !== 3) throw new SipParseError(`bad request line "${head.startLine.slice(0, 80)}"`);
  const [method, uri, version] = parts;
  if (!TOKEN_RE.test(method)) throw new SipParseError(`bad method "${method.slice(0, 40)}"`);
  if (!VERSION_RE.test(version)) throw new SipParseError(`bad SIP version "${version.slice(0, 40)}"`);
  const request: SipRequest = {
    kind: 'request',
    method,
    uri,
    version: version.toUpperCase(),
    headers,
    body: Buffer.alloc(0),
  };
  return { head, message: request };
}

function validateMandatory(msg: SipMessage): void {
  viasOf(msg);
  fromOf(msg);
  toOf(msg);
  callIdOf(msg);
  const cseq = cseqOf(msg);
  maxForwardsOf(msg);
  if (msg.kind === 'request') {
    const uri = parseUri(msg.uri);
    // A Request-URI carries no headers (§19.1.5: headers are "not allowed in the Request-URI"; RFC 4475 §3.1.2.11).
    if (uri.headers !== undefined) throw new SipParseError('Request-URI with headers');
    // Contact must parse too: it is where in-dialog requests go (RFC 4475 §3.1.2.13 regbadct).
    contactsOf(msg);
    // §8.1.1.5: the CSeq "method MUST match that of the request".
    if (cseq.method !== msg.method) throw new SipParseError(`CSeq method ${cseq.method} does not match ${msg.method}`);
  }
}
