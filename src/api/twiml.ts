/**
 * The one TwiML document the Twilio REST shim understands: `<Response><Dial>NUMBER</Dial></Response>` (after an
 * optional XML declaration, which Twilio's helper libraries always write). Not an XML parser: the text is cut
 * into tags and text runs by one linear regex and compared with that shape, so no input can make it slow,
 * expand entities or reach anything but a phone number. Everything else is refused, saying what was expected.
 */

/** Twilio's own limit on the `Twiml` parameter. */
export const MAX_TWIML_CHARS = 4000;

/** What a `Twiml` parameter asks for, or why it is refused. */
export type TwimlRequest = { ok: true; dial: string } | { ok: false; problem: string };

const SHAPE = 'only <Response><Dial>NUMBER</Dial></Response> is supported';
/** `<?xml version="1.0" encoding="UTF-8"?>` as the helper libraries write it (encoding optional, any case). */
const DECLARATION = /^<\?xml\s+version\s*=\s*["']1\.0["'](?:\s+encoding\s*=\s*["']utf-8["'])?\s*\?>$/i;
/** A dialable number as Twilio's `<Dial>` takes one: digits with an optional leading +. */
const NUMBER = /^\+?[0-9]{3,15}$/;
/** Tags and the text between them; every character of the input lands in exactly one token. */
const TOKENS = /<[^<>]*>|[^<]+|</g;

/** Reads a `Twiml` parameter. */
export function parseDialTwiml(text: string): TwimlRequest {
  if (text.length > MAX_TWIML_CHARS) return { ok: false, problem: `Twiml longer than ${MAX_TWIML_CHARS} characters` };
  // Whitespace between tags means nothing; inside <Dial> it is trimmed below.
  const tokens = (text.match(TOKENS) ?? []).filter((t) => t.trim() !== '');
  if (tokens[0] !== undefined && tokens[0].startsWith('<?')) {
    if (!DECLARATION.test(tokens[0])) return { ok: false, problem: 'unsupported XML declaration' };
    tokens.shift();
  }
  const [open, dial, number, closeDial, close, ...extra] = tokens;
  if (open !== '<Response>' || dial !== '<Dial>' || closeDial !== '</Dial>' || close !== '</Response>' || extra.length > 0) {
    return { ok: false, problem: SHAPE };
  }
  const n = number?.trim() ?? '';
  if (!NUMBER.test(n)) return { ok: false, problem: `<Dial> must hold a phone number (digits, optional leading +); ${SHAPE}` };
  return { ok: true, dial: n };
}
