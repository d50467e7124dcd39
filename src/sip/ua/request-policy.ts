import { maxForwardsOf, optionTagsOf, toOf, tagOf } from '../message/accessors.js';
import { KNOWN_METHODS, type SipRequest } from '../message/types.js';
import { parseUri } from '../message/uri.js';

/** Request-URI schemes we serve (§8.2.2.1). */
const SUPPORTED_SCHEMES = new Set(['sip', 'sips', 'tel']);

/** A response the UA core sends without looking further (§8.2 checks). */
export interface PolicyAnswer {
  status: number;
  headers?: Array<[string, string]>;
}

/** Methods we know but do not serve outside a dialog (405 with Allow, §8.2.1). */
const SERVED_OUT_OF_DIALOG = new Set(['INVITE', 'OPTIONS', 'CANCEL', 'ACK']);

/**
 * The UAS checks of RFC 3261 §8.2 in their order, for a request that is not ACK/CANCEL:
 * version (505), Max-Forwards 0 (483, as a proxy would per §16.3 — we never forward), method inspection
 * (§8.2.1: unknown 501, known but not served out of dialog 405 with Allow), extensions (§8.2.2.3: "If a UAS
 * does not understand an option-tag listed in a Require header field, it MUST respond by generating a
 * response with status code 420 (Bad Extension). The UAS MUST add an Unsupported header field").
 * Returns undefined when the request may proceed.
 */
export function checkRequest(req: SipRequest, allow: string, supported: ReadonlySet<string>): PolicyAnswer | undefined {
  if (req.version !== 'SIP/2.0') return { status: 505 };
  if (maxForwardsOf(req) === 0) return { status: 483 };
  if (!KNOWN_METHODS.has(req.method)) return { status: 501, headers: [['Allow', allow]] };
  // §8.2.2.1: "If the Request-URI uses a scheme not supported by the UAS, it SHOULD reject the request with a
  // 416 (Unsupported URI Scheme) response."
  if (!SUPPORTED_SCHEMES.has(parseUri(req.uri).scheme)) return { status: 416 };
  const inDialog = tagOf(toOf(req)) !== undefined;
  if (!inDialog && !SERVED_OUT_OF_DIALOG.has(req.method)) return { status: 405, headers: [['Allow', allow]] };
  const unsupported = optionTagsOf(req, 'Require').filter((t) => !supported.has(t));
  if (unsupported.length > 0) return { status: 420, headers: [['Unsupported', unsupported.join(', ')]] };
  return undefined;
}
