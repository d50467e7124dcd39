import { callIdOf, cseqOf, fromOf, tagOf, topViaOf } from '../message/accessors.js';
import type { SipRequest, SipResponse } from '../message/types.js';
import { formatHostPort } from '../message/uri.js';
import { BRANCH_MAGIC_COOKIE, viaBranch } from '../message/via.js';

/**
 * Server transaction key (RFC 3261 §17.2.3). With an RFC 3261 branch (magic cookie): "the request matches a
 * transaction if: 1. the branch parameter in the request is equal to the one in the top Via header field of
 * the request that created the transaction, and 2. the sent-by value in the top Via of the request is equal
 * to the one in the request that created the transaction, and 3. the method of the request matches the one
 * that created the transaction, except for ACK, where the method of the request that created the
 * transaction is INVITE."
 *
 * `methodOverride` lets CANCEL look up the INVITE it targets (§9.2).
 * Without the cookie (RFC 2543 peers) a fallback key of Request-URI, From tag, Call-ID, CSeq number and top Via
 * is used; To-tag is left out so the ACK for a non-2xx (which carries our tag) still matches.
 */
export function serverTransactionKey(req: SipRequest, methodOverride?: string): string {
  const via = topViaOf(req);
  const method = methodOverride ?? (req.method === 'ACK' ? 'INVITE' : req.method);
  const branch = viaBranch(via);
  const sentBy = formatHostPort(via.host, via.port).toLowerCase();
  if (branch && branch.startsWith(BRANCH_MAGIC_COOKIE)) return `${branch}|${sentBy}|${method}`;
  const fromTag = tagOf(fromOf(req)) ?? '';
  return `legacy|${req.uri}|${fromTag}|${callIdOf(req)}|${cseqOf(req).seq}|${sentBy}|${branch ?? ''}|${method}`;
}

/**
 * Client transaction key (§17.1.3): "If the response has the same value of the branch parameter in the top
 * Via header field as the branch parameter in the top Via header field of the request that created the
 * transaction" and "the method parameter in the CSeq header field matches the method of the request".
 */
export function clientTransactionKey(msg: SipRequest | SipResponse): string {
  const branch = viaBranch(topViaOf(msg)) ?? '';
  const method = msg.kind === 'request' ? msg.method : cseqOf(msg).method;
  return `${branch}|${method}`;
}
