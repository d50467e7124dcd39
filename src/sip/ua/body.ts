import type { SipMessage } from '../message/types.js';

/** What a request body holds for offer/answer purposes. */
export type SdpBody = { kind: 'none' } | { kind: 'sdp'; sdp: string } | { kind: 'unsupported'; reason: string };

/**
 * Finds the SDP in a request body: plain application/sdp, or the application/sdp part of a multipart/mixed
 * body (SIP-I/SIP-T carriers send SDP + ISUP, RFC 3204). Anything else is unsupported (the UAS answers 415,
 * §8.2.3). A Content-Encoding other than identity is unsupported too (we implement none).
 */
export function sdpOf(msg: SipMessage): SdpBody {
  if (msg.body.length === 0) return { kind: 'none' };
  const encoding = (msg.headers.get('Content-Encoding') ?? 'identity').trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity') return { kind: 'unsupported', reason: `Content-Encoding ${encoding}` };
  const typeHeader = msg.headers.get('Content-Type') ?? 'application/sdp';
  const type = typeHeader.split(';')[0].trim().toLowerCase();
  if (type === 'application/sdp') return { kind: 'sdp', sdp: msg.body.toString('utf8') };
  if (type === 'multipart/mixed' || type === 'multipart/alternative') {
    const m = /;\s*boundary\s*=\s*("([^"]+)"|[^;\s]+)/i.exec(typeHeader);
    const boundary = m ? (m[2] ?? m[1]) : undefined;
    if (!boundary) return { kind: 'unsupported', reason: 'multipart body without boundary' };
    const sdp = sdpPart(msg.body.toString('utf8'), boundary);
    return sdp === undefined ? { kind: 'unsupported', reason: 'multipart body without application/sdp' } : { kind: 'sdp', sdp };
  }
  return { kind: 'unsupported', reason: `Content-Type ${type}` };
}

/** The application/sdp part of a multipart body (RFC 2046 §5.1.1), or undefined. */
function sdpPart(body: string, boundary: string): string | undefined {
  const parts = body.split(`--${boundary}`);
  // parts[0] is the preamble; the part after the close delimiter starts with "--".
  for (const raw of parts.slice(1)) {
    if (raw.startsWith('--')) break;
    const part = raw.replace(/^\r?\n/, '');
    const split = /\r?\n\r?\n/.exec(part);
    if (!split) continue;
    const head = part.slice(0, split.index);
    const content = part.slice(split.index + split[0].length).replace(/\r?\n$/, '');
    if (/^content-type\s*:\s*application\/sdp/im.test(head)) return content;
  }
  return undefined;
}
