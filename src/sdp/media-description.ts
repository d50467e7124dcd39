/**
 * Reading the parts of an SDP (RFC 4566/3264) that an audio bridge needs, via `sdp-transform`: the offered
 * formats of an m-line (static payload types understood without a=rtpmap), its address, ptime and direction.
 */
import { isIP } from 'node:net';
import sdpTransform from 'sdp-transform';
import type { MediaDescription, SessionDescription } from 'sdp-transform';
import { SdpError } from '../core/errors.js';
import { sanitizeSession } from './sanitize.js';

export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** One payload format listed on an m-line. */
export interface OfferedFormat {
  payloadType: number;
  /** Encoding name as written (or the RFC 3551 name for a static type without rtpmap). */
  name: string;
  clockRate: number;
  channels?: number;
  fmtp?: string;
}

/** RFC 3551 static audio payload types that may appear without a=rtpmap. */
const STATIC_AUDIO: Record<number, { name: string; clockRate: number }> = {
  0: { name: 'PCMU', clockRate: 8000 },
  3: { name: 'GSM', clockRate: 8000 },
  4: { name: 'G723', clockRate: 8000 },
  8: { name: 'PCMA', clockRate: 8000 },
  9: { name: 'G722', clockRate: 8000 },
  18: { name: 'G729', clockRate: 8000 },
};

export function parseSdp(text: string): SessionDescription {
  if (!/^\s*v=0/.test(text)) throw new SdpError('not an SDP body (no v=0 line)');
  let raw: SessionDescription;
  try {
    raw = sdpTransform.parse(text);
  } catch (err) {
    throw new SdpError(`unparsable SDP: ${(err as Error).message}`);
  }
  return sanitizeSession(raw);
}

/** The payload formats of an m-line in offer order. */
export function listFormats(media: MediaDescription): OfferedFormat[] {
  // RTP payload types are 7 bits (RFC 3550 5.1): "4294967296" on an m= line is no format of ours.
  const pts = String(media.payloads ?? '')
    .trim()
    .split(/\s+/)
    .filter((p) => /^\d{1,3}$/.test(p) && Number(p) <= 127)
    .map(Number);
  const formats: OfferedFormat[] = [];
  for (const pt of pts) {
    const map = media.rtp?.find((r) => r.payload === pt);
    const fmtp = media.fmtp?.find((f) => f.payload === pt)?.config;
    if (map) {
      const channels = map.encoding !== undefined ? Number(map.encoding) : undefined;
      formats.push({ payloadType: pt, name: map.codec, clockRate: map.rate ?? 8000, ...(channels ? { channels } : {}), ...(fmtp !== undefined ? { fmtp } : {}) });
    } else if (STATIC_AUDIO[pt]) {
      formats.push({ payloadType: pt, ...STATIC_AUDIO[pt], ...(fmtp !== undefined ? { fmtp } : {}) });
    }
    // A dynamic type without rtpmap is meaningless; skip it rather than guess.
  }
  return formats;
}

/** Connection address of an m-line: media-level c= over session-level c=. */
export function remoteOf(session: SessionDescription, media: MediaDescription): { address: string; port: number } {
  const ip: unknown = media.connection?.ip ?? session.connection?.ip;
  if (ip === undefined || ip === '') throw new SdpError('no c= connection address for the audio stream');
  // sdp-transform hands back numbers for digit-only fields ("c=IN IP4 192030"): nothing it returns is trusted.
  // Multicast/TTL suffixes ("224.2.1.1/127") are not for us; keep the address part only.
  const address = String(ip).split('/')[0];
  if (isIP(address) === 0) throw new SdpError(`c= address "${address.slice(0, 64)}" is not an IP address`);
  const port: unknown = media.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw new SdpError(`m= port ${String(port).slice(0, 16)} out of range`);
  return { address, port };
}

/** a=ptime (media-level, then session-level) when it is 10..60 ms in steps of 10, else 20. */
export function ptimeOf(session: SessionDescription, media: MediaDescription): number {
  const raw = media.ptime ?? (session as { ptime?: number }).ptime;
  const p = Number(raw);
  return Number.isInteger(p) && p >= 10 && p <= 60 && p % 10 === 0 ? p : 20;
}

/** Direction attribute (media-level over session-level), sendrecv by default. */
export function directionOf(session: SessionDescription, media: MediaDescription): MediaDirection {
  return media.direction ?? session.direction ?? 'sendrecv';
}

/** What an answerer says back to a direction: sendonly ↔ recvonly, the others unchanged. */
export function mirrorDirection(d: MediaDirection): MediaDirection {
  return d === 'sendonly' ? 'recvonly' : d === 'recvonly' ? 'sendonly' : d;
}

/** IP version for o=/c= lines. */
export function ipVersion(address: string): 4 | 6 {
  return address.includes(':') ? 6 : 4;
}

/** Plain RTP profiles we can speak; SRTP (SAVP, SAVPF, DTLS) we cannot. */
export function isPlainRtp(protocol: string): boolean {
  return /^RTP\/AVPF?$/i.test(protocol.trim());
}
