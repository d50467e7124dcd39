import { SipParseError } from '../../core/errors.js';
import { callIdOf, cseqOf, fromOf, toOf, topViaOf } from '../message/accessors.js';
import { buildResponse } from '../message/build.js';
import { newTag } from '../message/ids.js';
import type { SipResponse } from '../message/types.js';
import { parseStartAndHeaders } from '../parser/parse.js';
import { stampReceived } from './response-routing.js';
import type { SipEndpoint } from './transport.js';

/**
 * For a datagram that failed full parsing: if it is a request whose Via, From, To, Call-ID and CSeq still
 * parse, a 400 Bad Request naming the problem (the response needs exactly those to be routable and
 * matchable, §8.2.6.2); otherwise undefined and the datagram is dropped. Never throws.
 */
export function badRequestFor(raw: Buffer, error: SipParseError, source: SipEndpoint, serverName: string): SipResponse | undefined {
  try {
    const { message } = parseStartAndHeaders(raw);
    if (message.kind !== 'request' || message.method === 'ACK') return undefined; // never answer ACK (§17)
    topViaOf(message);
    fromOf(message);
    toOf(message);
    callIdOf(message);
    cseqOf(message);
    stampReceived(message, source);
    const reason = `Bad Request (${error.message.replace(/[\r\n]/g, ' ').slice(0, 100)})`;
    return buildResponse(message, 400, { reason, toTag: newTag(), headers: [['Server', serverName]] });
  } catch {
    // Not enough of a request to answer: the caller drops it.
    return undefined;
  }
}

/** Best-effort Call-ID of a raw message for log lines, or undefined. */
export function rawCallId(raw: Buffer): string | undefined {
  const m = /(?:^|\n)(?:call-id|i)[ \t]*:[ \t]*([^\r\n]*)/i.exec(raw.toString('latin1', 0, Math.min(raw.length, 8192)));
  return m ? m[1].trim() : undefined;
}
