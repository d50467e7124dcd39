import { SipParseError } from '../../core/errors.js';
import { topViaOf } from '../message/accessors.js';
import { buildResponse } from '../message/build.js';
import { SipHeaders } from '../message/headers.js';
import { newTag } from '../message/ids.js';
import { TOKEN_RE } from '../message/text.js';
import type { SipRequest, SipResponse } from '../message/types.js';
import { splitHead } from '../parser/head.js';
import { stampReceived } from './response-routing.js';
import type { SipEndpoint } from './transport.js';

/**
 * For a message that failed full parsing: if it is a request whose top Via still parses, a 400 Bad Request
 * naming the problem; otherwise undefined and the message is dropped. Never throws.
 *
 * Only the Via is needed to route the answer (§18.2.2); From, To, Call-ID and CSeq are copied exactly as
 * received, whatever their shape, because §8.2.6.2 asks for copies and the client matches on Via branch and
 * CSeq. That is what lets RFC 4475's broken messages (unbalanced quotes, huge CSeq, missing To/From, start
 * lines with extra spaces) get the 400 the RFC asks for.
 */
export function badRequestFor(raw: Buffer, error: SipParseError, source: SipEndpoint, serverName: string): SipResponse | undefined {
  const reason = `Bad Request (${error.message.replace(/[^\x20-\x7e]/g, ' ').slice(0, 100)})`;
  return statelessAnswerFor(raw, 400, source, serverName, reason);
}

/**
 * A stateless `status` answer to a raw request that was not (or could not be) parsed in full, routed by its
 * top Via alone; undefined for responses, ACK and anything without a usable Via. Never throws.
 */
export function statelessAnswerFor(raw: Buffer, status: number, source: SipEndpoint, serverName: string, reason?: string): SipResponse | undefined {
  try {
    const head = splitHead(raw);
    const method = requestMethodOf(head.startLine);
    if (method === undefined || method === 'ACK') return undefined; // responses and ACK are never answered (§17)
    const request: SipRequest = {
      kind: 'request',
      method,
      uri: '',
      version: 'SIP/2.0',
      headers: new SipHeaders(head.headers),
      body: Buffer.alloc(0),
    };
    topViaOf(request);
    stampReceived(request, source);
    return buildResponse(request, status, { ...(reason !== undefined ? { reason } : {}), toTag: newTag(), headers: [['Server', serverName]] });
  } catch {
    // Not enough of a request to answer: the caller drops it.
    return undefined;
  }
}

/** The method of a request start line, even a malformed one ("INVITE  sip:x  SIP/2.0"); undefined for responses. */
function requestMethodOf(startLine: string): string | undefined {
  if (/^SIP\/\d/i.test(startLine)) return undefined;
  const method = startLine.split(/[ \t]/)[0];
  return TOKEN_RE.test(method) ? method : undefined;
}

/** Best-effort Call-ID of a raw message for log lines, or undefined. */
export function rawCallId(raw: Buffer): string | undefined {
  const m = /(?:^|\n)(?:call-id|i)[ \t]*:[ \t]*([^\r\n]*)/i.exec(raw.toString('latin1', 0, Math.min(raw.length, 8192)));
  return m ? m[1].trim() : undefined;
}
