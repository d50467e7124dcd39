/**
 * G.711 for the telephony dialects (Twilio, Telnyx, ...), whose JSON media frames carry base64 μ-law or A-law at
 * 8 kHz. bot/ sees only L16 from the media path, so it converts here with the same library the media codecs
 * use (`alawmulaw`), expanded once into lookup tables: one table read per sample.
 */
import alawmulaw from 'alawmulaw';

/** The two G.711 laws, by their SDP names. */
export type G711Law = 'PCMU' | 'PCMA';

interface Tables {
  decode: Int16Array;
  /** Indexed by (sample & 0xffff). */
  encode: Uint8Array;
}

const tables = new Map<G711Law, Tables>();

/** Built on first use, so a bridge with only native bots never pays for them. */
function tablesFor(law: G711Law): Tables {
  let t = tables.get(law);
  if (t) return t;
  const lib = law === 'PCMU' ? alawmulaw.mulaw : alawmulaw.alaw;
  const decode = new Int16Array(256);
  for (let i = 0; i < 256; i++) decode[i] = lib.decodeSample(i);
  const encode = new Uint8Array(65536);
  for (let s = -32768; s < 32768; s++) encode[s & 0xffff] = lib.encodeSample(s) & 0xff;
  t = { decode, encode };
  tables.set(law, t);
  return t;
}

/** L16 little-endian (even length) to G.711 bytes, one per sample. */
export function encodeG711(pcm: Buffer, law: G711Law): Buffer {
  const { encode } = tablesFor(law);
  const n = pcm.length >> 1;
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = encode[pcm.readInt16LE(i * 2) & 0xffff];
  return out;
}

/** G.711 bytes to L16 little-endian, two bytes per sample. */
export function decodeG711(bytes: Buffer, law: G711Law): Buffer {
  const { decode } = tablesFor(law);
  const out = Buffer.allocUnsafe(bytes.length * 2);
  for (let i = 0; i < bytes.length; i++) out.writeInt16LE(decode[bytes[i]], i * 2);
  return out;
}

/** Strict base64 (RFC 4648 §4, padding optional): Buffer.from would silently skip bad characters. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

/** Decodes a media payload, or undefined when it is not base64. */
export function fromBase64(text: string): Buffer | undefined {
  return BASE64.test(text) ? Buffer.from(text, 'base64') : undefined;
}
