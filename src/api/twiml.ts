/**
 * The TwiML documents the Twilio REST shim understands: `<Response><Dial>NUMBER</Dial></Response>` (a transfer)
 * and `<Response><Connect><Stream url>…</Stream></Connect></Response>` (a new call), each after an optional XML
 * declaration, which Twilio's helper libraries always write. Not an XML parser: the text is cut into tags and
 * text runs by one linear regex and compared with those shapes, so no input can make it slow, expand entities
 * beyond the five predefined ones or reach anything but a number, a URL and parameter strings. Everything else is
 * refused, saying what was expected.
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

/**
 * The document's tags and text runs, whitespace between them dropped (inside <Dial> the number is trimmed), the
 * XML declaration checked and taken off; or why it is refused before its shape is looked at.
 */
function tokensOf(text: string): string[] | { ok: false; problem: string } {
  if (text.length > MAX_TWIML_CHARS) return { ok: false, problem: `Twiml longer than ${MAX_TWIML_CHARS} characters` };
  const tokens = (text.match(TOKENS) ?? []).filter((t) => t.trim() !== '');
  if (tokens[0] !== undefined && tokens[0].startsWith('<?')) {
    if (!DECLARATION.test(tokens[0])) return { ok: false, problem: 'unsupported XML declaration' };
    tokens.shift();
  }
  return tokens;
}

/** Reads a `Twiml` parameter. */
export function parseDialTwiml(text: string): TwimlRequest {
  const tokens = tokensOf(text);
  if (!Array.isArray(tokens)) return tokens;
  const [open, dial, number, closeDial, close, ...extra] = tokens;
  if (open !== '<Response>' || dial !== '<Dial>' || closeDial !== '</Dial>' || close !== '</Response>' || extra.length > 0) {
    return { ok: false, problem: SHAPE };
  }
  const n = number?.trim() ?? '';
  if (!NUMBER.test(n)) return { ok: false, problem: `<Dial> must hold a phone number (digits, optional leading +); ${SHAPE}` };
  return { ok: true, dial: n };
}

/** What a new call's TwiML asks for: stream the call to `url` with these custom parameters, or why it is refused. */
export type StreamTwiml = { ok: true; url: string; parameters: Record<string, string> } | { ok: false; problem: string };

const STREAM_SHAPE = 'only <Response><Connect><Stream url="wss://…"> (with <Parameter name value/> children) </Stream></Connect></Response> is supported';
/** `name="value"` or `name='value'` pairs of one tag. */
const ATTRIBUTE = /\s+([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
/** The five XML entities Twilio's helper libraries write in attribute values (a URL's & is &amp;). */
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
/** Twilio's limit on `<Parameter>` children of one stream. */
const MAX_PARAMETERS = 50;

/** The attributes of `<name …>` / `<name …/>`, or undefined when the tag is not one of those or has junk in it. */
function tagAttributes(tag: string, name: string): { attrs: Record<string, string>; selfClosing: boolean } | undefined {
  const m = new RegExp(`^<${name}((?:\\s+[^<>]*?)?)\\s*(/?)>$`).exec(tag);
  if (!m) return undefined;
  const attrs: Record<string, string> = {};
  let wellFormed = true;
  const rest = m[1].replace(ATTRIBUTE, (_all, key: string, dq: string | undefined, sq: string | undefined) => {
    const raw = dq ?? sq ?? '';
    if (/&(?!(?:amp|lt|gt|quot|apos);)/.test(raw)) wellFormed = false; // another entity, or a bare &
    attrs[key] = raw.replace(/&(amp|lt|gt|quot|apos);/g, (_e, n: string) => ENTITIES[n]);
    return '';
  });
  return wellFormed && rest.trim() === '' ? { attrs, selfClosing: m[2] === '/' } : undefined;
}

/**
 * Reads the `Twiml` of a new call (Calls.json): `<Connect><Stream url>` with optional `<Parameter>`s, which reach
 * the bot in `start.customParameters`. Same tokenizer as {@link parseDialTwiml}; attributes of `<Stream>` other
 * than `url` and `name` are refused, so nothing asked for is quietly left undone.
 */
export function parseStreamTwiml(text: string): StreamTwiml {
  const tokens = tokensOf(text);
  if (!Array.isArray(tokens)) return tokens;
  const stream = tagAttributes(tokens[2] ?? '', 'Stream');
  if (tokens[0] !== '<Response>' || tokens[1] !== '<Connect>' || !stream) return { ok: false, problem: STREAM_SHAPE };
  const unknown = Object.keys(stream.attrs).filter((k) => k !== 'url' && k !== 'name');
  if (unknown.length > 0) return { ok: false, problem: `<Stream> attribute ${unknown[0]} is not supported (url and name are)` };
  const url = stream.attrs.url ?? '';
  if (!/^wss?:\/\/[^\s]+$/.test(url)) return { ok: false, problem: '<Stream url> must be a ws:// or wss:// URL' };
  const parameters: Record<string, string> = {};
  let i = 3;
  for (; !stream.selfClosing && i < tokens.length && tokens[i] !== '</Stream>'; i++) {
    const p = tagAttributes(tokens[i], 'Parameter');
    if (!p?.selfClosing || p.attrs.name === undefined || p.attrs.value === undefined || Object.keys(p.attrs).length !== 2) {
      return { ok: false, problem: `<Stream> may hold only <Parameter name="…" value="…"/>; ${STREAM_SHAPE}` };
    }
    parameters[p.attrs.name] = p.attrs.value;
  }
  if (Object.keys(parameters).length > MAX_PARAMETERS) return { ok: false, problem: `more than ${MAX_PARAMETERS} <Parameter>s` };
  const tail = stream.selfClosing ? tokens.slice(3) : tokens.slice(i);
  const closing = stream.selfClosing ? ['</Connect>'] : ['</Stream>', '</Connect>'];
  if (closing.some((t, j) => tail[j] !== t) || tail[tail.length - 1] !== '</Response>') return { ok: false, problem: STREAM_SHAPE };
  // What runs once the stream has ended (Pipecat's example ends with <Pause length="20"/>): the call ends with the
  // bot's socket here, which is what <Hangup/> or the end of the document would do.
  if (!tail.slice(closing.length, -1).every((t) => t === '<Hangup/>' || /^<Pause(?:\s+length\s*=\s*(?:"\d{1,4}"|'\d{1,4}'))?\s*\/>$/.test(t))) {
    return { ok: false, problem: `only <Pause/> or <Hangup/> may follow </Connect>; ${STREAM_SHAPE}` };
  }
  return { ok: true, url, parameters };
}
