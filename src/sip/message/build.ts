import { SipHeaders } from './headers.js';
import { reasonPhrase } from './status.js';
import type { SipRequest, SipResponse } from './types.js';
import { parseNameAddr } from './uri.js';

export interface ResponseOptions {
  reason?: string;
  /** To-tag to add when the request's To has none (RFC 3261 §8.2.6.2). Ignored for 100. */
  toTag?: string;
  /** Copy Record-Route (dialog-creating responses, §12.1.1). */
  copyRecordRoute?: boolean;
  /** Extra headers appended after the copied ones, in order. */
  headers?: ReadonlyArray<readonly [string, string]>;
  body?: Buffer | string;
  contentType?: string;
}

/**
 * Builds a response to `req` per RFC 3261 §8.2.6.2: "The From field of the response MUST equal the From
 * header field of the request. The Call-ID ... MUST equal ... The CSeq ... MUST equal ... The Via header
 * field values in the response MUST equal the Via header field values in the request and MUST maintain the
 * same ordering." The To header is copied, and a tag added when the request had none and `toTag` is given
 * (never on 100 Trying). Timestamp is echoed on 100 (§8.2.6.1).
 */
export function buildResponse(req: SipRequest, status: number, options: ResponseOptions = {}): SipResponse {
  const src = req.headers;
  const headers = new SipHeaders();
  for (const v of src.getAll('Via')) headers.append('Via', v);
  if (options.copyRecordRoute) for (const v of src.getAll('Record-Route')) headers.append('Record-Route', v);
  const from = src.get('From');
  if (from !== undefined) headers.append('From', from);
  const to = src.get('To');
  if (to !== undefined) headers.append('To', status > 100 && options.toTag ? withTag(to, options.toTag) : to);
  const callId = src.get('Call-ID');
  if (callId !== undefined) headers.append('Call-ID', callId);
  const cseq = src.get('CSeq');
  if (cseq !== undefined) headers.append('CSeq', cseq);
  if (status === 100) {
    const ts = src.get('Timestamp');
    if (ts !== undefined) headers.append('Timestamp', ts);
  }
  for (const [n, v] of options.headers ?? []) headers.append(n, v);
  let body: Buffer = Buffer.alloc(0);
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? Buffer.from(options.body, 'utf8') : options.body;
    if (body.length > 0) headers.append('Content-Type', options.contentType ?? 'application/sdp');
  }
  return { kind: 'response', status, reason: options.reason ?? reasonPhrase(status), version: 'SIP/2.0', headers, body };
}

/** Appends ";tag=..." to a From/To value that has no tag yet (keeps the original text otherwise). */
export function withTag(value: string, tag: string): string {
  try {
    if (parseNameAddr(value).params.has('tag')) return value;
  } catch {
    // Unparseable To: leave it as sent rather than make it worse; the parser rejects such requests anyway.
    return value;
  }
  return `${value};tag=${tag}`;
}
