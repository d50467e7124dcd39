/**
 * sdp-transform parses by regular expressions and types a field by its text: a digit-only value comes back as a
 * number ("c=IN IP4 192030", "m=audio 1 5566 ..." → protocol 5566), a missing one as undefined, whatever the
 * TypeScript types say. This module rebuilds the fields the bridge reads with the types it expects, so every
 * later `.trim()` or `.split()` works on a string: broken structure (an m= line without a port or profile) is an
 * {@link SdpError} (488), a broken attribute line is dropped as if it were unknown (RFC 4566 §5.13).
 */
import type { MediaDescription, SessionDescription } from 'sdp-transform';
import { SdpError } from '../core/errors.js';

type Raw = Record<string, unknown>;

const DIRECTIONS = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive']);

/** A string field: strings as they are, numbers as their text (sdp-transform's digit-only values). */
function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** An integer field within [min, max], else undefined. */
function int(v: unknown, min: number, max: number): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : undefined;
}

function list(v: unknown): Raw[] {
  return Array.isArray(v) ? v.filter((x): x is Raw => typeof x === 'object' && x !== null) : [];
}

function connectionOf(v: unknown): { version: number; ip: string } | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const ip = str((v as Raw).ip);
  return ip === undefined ? undefined : { version: int((v as Raw).version, 4, 6) ?? 4, ip };
}

/** Session-level fields, plus each m-line through {@link sanitizeMedia}. */
export function sanitizeSession(raw: SessionDescription): SessionDescription {
  const r = raw as unknown as Raw;
  const out: Raw = { ...r };
  out.connection = connectionOf(r.connection);
  out.direction = typeof r.direction === 'string' && DIRECTIONS.has(r.direction) ? r.direction : undefined;
  out.ptime = int(r.ptime, 1, 1000);
  out.media = list(r.media).map((m, i) => sanitizeMedia(m, i));
  return out as unknown as SessionDescription;
}

function sanitizeMedia(m: Raw, index: number): MediaDescription {
  const type = str(m.type);
  const port = int(m.port, 0, 65535);
  const protocol = str(m.protocol);
  if (type === undefined || port === undefined || protocol === undefined) {
    throw new SdpError(`m= line ${index + 1} has no valid media type, port (0-65535) and profile`);
  }
  const rtp = list(m.rtp).flatMap((e) => {
    const payload = int(e.payload, 0, 127);
    const codec = str(e.codec);
    if (payload === undefined || codec === undefined) return [];
    const rate = e.rate === undefined ? undefined : int(e.rate, 1, 1_000_000);
    if (e.rate !== undefined && rate === undefined) return [];
    const encoding = int(typeof e.encoding === 'string' && /^\d{1,2}$/.test(e.encoding) ? Number(e.encoding) : e.encoding, 1, 8);
    return [{ payload, codec, ...(rate !== undefined ? { rate } : {}), ...(encoding !== undefined ? { encoding } : {}) }];
  });
  const fmtp = list(m.fmtp).flatMap((e) => {
    const payload = int(e.payload, 0, 127);
    const config = str(e.config);
    return payload === undefined || config === undefined ? [] : [{ payload, config }];
  });
  const crypto = list(m.crypto).flatMap((e) => {
    const id = int(e.id, 0, 999_999_999);
    const suite = str(e.suite);
    const config = str(e.config);
    if (id === undefined || suite === undefined || config === undefined) return [];
    const sessionConfig = e.sessionConfig === undefined ? undefined : str(e.sessionConfig);
    return [{ id, suite, config, ...(sessionConfig !== undefined ? { sessionConfig } : {}) }];
  });
  const rtcpRaw = typeof m.rtcp === 'object' && m.rtcp !== null ? (m.rtcp as Raw) : undefined;
  const rtcpPort = rtcpRaw ? int(rtcpRaw.port, 1, 65535) : undefined;
  const rtcpAddress = rtcpRaw ? str(rtcpRaw.address) : undefined;
  const out: Raw = {
    ...m,
    type,
    port,
    protocol,
    payloads: str(m.payloads) ?? '',
    rtp,
    fmtp,
    connection: connectionOf(m.connection),
    direction: typeof m.direction === 'string' && DIRECTIONS.has(m.direction) ? m.direction : undefined,
    ptime: int(m.ptime, 1, 1000),
    crypto: crypto.length > 0 ? crypto : undefined,
    rtcp: rtcpPort !== undefined ? { port: rtcpPort, ...(rtcpAddress !== undefined ? { address: rtcpAddress } : {}) } : undefined,
  };
  return out as unknown as MediaDescription;
}
