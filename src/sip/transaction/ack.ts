import { SipHeaders } from '../message/headers.js';
import { cseqOf } from '../message/accessors.js';
import type { SipRequest, SipResponse } from '../message/types.js';

/**
 * The ACK a client INVITE transaction sends for a non-2xx final response (RFC 3261 §17.1.1.3):
 * "The ACK request constructed by the client transaction MUST contain values for the Call-ID, From, and
 * Request-URI that are equal to the values of those header fields in the request passed to the transport by
 * the client transaction ... The To header field in the ACK MUST equal the To header field in the response
 * being acknowledged ... The ACK MUST contain a single Via header field, and this MUST be equal to the top
 * Via header field of the original request ... If the INVITE request whose response is being acknowledged
 * had Route header fields, those header fields MUST appear in the ACK."
 */
export function buildAckForNon2xx(invite: SipRequest, response: SipResponse): SipRequest {
  const headers = new SipHeaders();
  const topVia = invite.headers.getList('Via')[0];
  if (topVia !== undefined) headers.append('Via', topVia);
  for (const r of invite.headers.getAll('Route')) headers.append('Route', r);
  headers.append('Max-Forwards', '70');
  headers.append('From', invite.headers.get('From') ?? '');
  headers.append('To', response.headers.get('To') ?? '');
  headers.append('Call-ID', invite.headers.get('Call-ID') ?? '');
  headers.append('CSeq', `${cseqOf(invite).seq} ACK`);
  return { kind: 'request', method: 'ACK', uri: invite.uri, version: 'SIP/2.0', headers, body: Buffer.alloc(0) };
}
