/**
 * SDP offer/answer for an inbound call (RFC 3264): pick the audio codec by our preference among those offered,
 * and write the answer.
 */
import { randomInt } from 'node:crypto';
import sdpTransform from 'sdp-transform';
import type { MediaDescription, SessionDescription } from 'sdp-transform';
import { CodecNegotiationError, SdpError } from '../core/errors.js';
import { codecRegistry, type AudioCodec } from '../media/codecs/index.js';
import {
  directionOf,
  ipVersion,
  isPlainRtp,
  listFormats,
  mirrorDirection,
  parseSdp,
  ptimeOf,
  remoteOf,
  type MediaDirection,
  type OfferedFormat,
} from './media-description.js';
import { answerCrypto, chooseCrypto, isSdesSrtp, type OfferedCrypto } from './crypto.js';
import type { SrtpSuite } from '../media/srtp/index.js';

/** SRTP policy of a trunk: required (plain RTP offers refused), optional (SRTP when offered), off (plain only). */
export type SrtpPolicy = 'required' | 'optional' | 'off';

/** Events we can receive for RFC 4733 telephone-event: DTMF 0–9, *, #, A–D, flash. */
export const TELEPHONE_EVENT_FMTP = '0-16';

export interface NegotiatedMedia {
  answerSdp: string;
  codec: AudioCodec;
  /** The offer's payload type for the chosen codec (what we send and expect). */
  payloadType: number;
  /** The offer's telephone-event payload type, when offered (at the codec's clock rate, or 8000). */
  telephoneEventPayloadType?: number;
  /** The same, with its clock rate (units of the event duration field). */
  telephoneEvent?: { payloadType: number; clockRate: number };
  /** From c= (media-level over session-level) and the m= port. */
  remote: { address: string; port: number };
  /** The offer's a=fmtp for the chosen codec (what the far end can receive), if any. */
  remoteFmtp?: string;
  /** The offer's a=ptime if in 10..60 and a multiple of 10, else 20. */
  ptimeMs: number;
  /** The offer's direction (our answer carries its mirror). */
  direction: MediaDirection;
  /**
   * Every offered format we can decode, with the offer's payload types. RFC 3264 says the offerer sends only what
   * the answer lists, but real peers (and SIPp's pcap playback) sometimes send another offered codec: decoding
   * those beats dropping the caller's audio.
   */
  receivable: Array<{ payloadType: number; codec: AudioCodec }>;
  /** The offer had a=rtcp-mux (RFC 5761) and our answer accepts it: RTCP shares the RTP port. */
  rtcpMux?: boolean;
  /** The offer's a=rtcp (RFC 3605): where the far end takes RTCP when not RTP port + 1. */
  remoteRtcp?: { address?: string; port: number };
  /** SDES-keyed SRTP (RFC 4568) when the chosen stream is RTP/SAVP: the suite and both master keys||salts. */
  srtp?: { suite: SrtpSuite; localKeySalt: Buffer; remoteKeySalt: Buffer };
}

export interface NegotiateOptions {
  /** Address written into o= and c= of the answer. */
  localAddress: string;
  /** Our RTP port. */
  localPort: number;
  /** Codec names in our order of preference; unregistered names are skipped. */
  codecPreference: string[];
  /** o= session id (random when omitted). */
  sessionId?: number;
  /** s= line (default "trunkbridge"). */
  sessionName?: string;
  /** SRTP policy (default 'off'). */
  srtp?: SrtpPolicy;
  /** Our SRTP master key||salt (random per call when omitted; tests fix it). */
  localSrtpKeySalt?: Buffer;
}

/** Our preferred codec among the offered formats, or undefined. Names compare case-insensitively, rates exactly. */
export function chooseCodec(
  formats: OfferedFormat[],
  preference: string[],
): { codec: AudioCodec; format: OfferedFormat } | undefined {
  for (const name of preference) {
    const codec = codecRegistry.get(name);
    if (!codec) continue;
    const format = formats.find((f) => f.name.toUpperCase() === codec.name.toUpperCase() && f.clockRate === codec.clockRate);
    if (format) return { codec, format };
  }
  return undefined;
}

/** The telephone-event format to pair with a codec: same clock rate preferred, else 8000. */
export function chooseTelephoneEvent(formats: OfferedFormat[], clockRate: number): OfferedFormat | undefined {
  const te = formats.filter((f) => f.name.toLowerCase() === 'telephone-event');
  return te.find((f) => f.clockRate === clockRate) ?? te.find((f) => f.clockRate === 8000);
}

/**
 * Answers an SDP offer. Throws {@link SdpError} (488) for an unusable offer (no audio stream, no address,
 * SRTP only) and {@link CodecNegotiationError} (488) when no offered codec is one we have.
 *
 * The answer has one m-line per offered m-line, as RFC 3264 requires: the chosen audio stream with our codec
 * (+ telephone-event), every other one refused with port 0.
 */
export function negotiateAnswer(offerSdp: string, opts: NegotiateOptions): NegotiatedMedia {
  const offer = parseSdp(offerSdp);
  const media = offer.media ?? [];
  const audioLines = media.filter((m) => m.type === 'audio' && m.port !== 0);
  if (audioLines.length === 0) throw new SdpError('offer has no active audio stream');
  const candidates = streamCandidates(audioLines, opts.srtp ?? 'off');

  const offeredNames = new Set<string>();
  let chosen: { m: MediaDescription; codec: AudioCodec; format: OfferedFormat; formats: OfferedFormat[] } | undefined;
  for (const m of candidates) {
    const formats = listFormats(m);
    formats.forEach((f) => offeredNames.add(`${f.name}/${f.clockRate}`));
    const pick = chooseCodec(formats, opts.codecPreference);
    if (pick) {
      chosen = { m, ...pick, formats };
      break;
    }
  }
  if (!chosen) {
    throw new CodecNegotiationError(
      `no common audio codec: offered ${[...offeredNames].join(', ') || 'nothing usable'}, we accept ${opts.codecPreference.join(', ')}`,
    );
  }

  const { m, codec, format, formats } = chosen;
  const te = chooseTelephoneEvent(formats, codec.clockRate);
  const remote = remoteOf(offer, m);
  const ptimeMs = ptimeOf(offer, m);
  const direction = directionOf(offer, m);
  const offeredCrypto = isSdesSrtp(m.protocol) ? (chooseCrypto(m) as OfferedCrypto) : undefined;
  const crypto = offeredCrypto ? answerCrypto(offeredCrypto, opts.localSrtpKeySalt) : undefined;
  const rtcpMux = m.rtcpMux !== undefined;
  const remoteRtcp = m.rtcp && m.rtcp.port > 0 ? { port: m.rtcp.port, ...(m.rtcp.address ? { address: m.rtcp.address } : {}) } : undefined;

  const rtp: MediaDescription['rtp'] = [
    { payload: format.payloadType, codec: codec.name, rate: format.clockRate, ...(format.channels ? { encoding: format.channels } : {}) },
  ];
  const fmtp: MediaDescription['fmtp'] = [];
  if (codec.fmtp) fmtp.push({ payload: format.payloadType, config: codec.fmtp });
  if (te) {
    rtp.push({ payload: te.payloadType, codec: 'telephone-event', rate: te.clockRate });
    fmtp.push({ payload: te.payloadType, config: TELEPHONE_EVENT_FMTP });
  }
  const answerMedia = media.map((om): MediaDescription => {
    if (om !== m) return refuse(om);
    return {
      type: 'audio',
      port: opts.localPort,
      protocol: crypto ? m.protocol : 'RTP/AVP',
      payloads: te ? `${format.payloadType} ${te.payloadType}` : `${format.payloadType}`,
      rtp,
      fmtp,
      ptime: ptimeMs,
      direction: mirrorDirection(direction),
      ...(rtcpMux ? { rtcpMux: 'rtcp-mux' } : {}),
      ...(crypto ? { crypto: [crypto.line] } : {}),
    };
  });

  const answerSdp = writeSession(opts, answerMedia);
  return {
    answerSdp,
    codec,
    payloadType: format.payloadType,
    ...(te ? { telephoneEventPayloadType: te.payloadType, telephoneEvent: { payloadType: te.payloadType, clockRate: te.clockRate } } : {}),
    ...(format.fmtp !== undefined ? { remoteFmtp: format.fmtp } : {}),
    remote,
    ptimeMs,
    direction,
    receivable: receivableFormats(formats),
    ...(rtcpMux ? { rtcpMux } : {}),
    ...(remoteRtcp ? { remoteRtcp } : {}),
    ...(crypto && offeredCrypto
      ? { srtp: { suite: offeredCrypto.suite, localKeySalt: crypto.localKeySalt, remoteKeySalt: offeredCrypto.keySalt } }
      : {}),
  };
}

/**
 * The audio m-lines we may answer, in the order to try them, under the trunk's SRTP policy; throws SdpError
 * (488) with the reason when there is none.
 */
function streamCandidates(audioLines: MediaDescription[], policy: SrtpPolicy): MediaDescription[] {
  const plain = audioLines.filter((m) => isPlainRtp(m.protocol));
  const sdes = audioLines.filter((m) => isSdesSrtp(m.protocol));
  const secure = sdes.filter((m) => !Array.isArray(chooseCrypto(m)));
  const why = () =>
    sdes.length === 0 ? `offer has ${audioLines.map((m) => m.protocol).join(', ')}` : `no usable a=crypto: ${sdes.flatMap((m) => chooseCrypto(m) as string[]).join('; ')}`;
  if (policy === 'off') {
    if (plain.length === 0) throw new SdpError(`offer is SRTP-only (${audioLines[0].protocol}); plain RTP/AVP is required`);
    return plain;
  }
  if (policy === 'required') {
    if (secure.length === 0) throw new SdpError(`this trunk requires SRTP (RTP/SAVP with AES_CM_128_HMAC_SHA1_80 or _32); ${why()}`);
    return secure;
  }
  if (secure.length === 0 && plain.length === 0) throw new SdpError(`no usable audio stream: ${why()}`);
  return [...secure, ...plain];
}

function receivableFormats(formats: OfferedFormat[]): Array<{ payloadType: number; codec: AudioCodec }> {
  const out: Array<{ payloadType: number; codec: AudioCodec }> = [];
  for (const f of formats) {
    const codec = codecRegistry.get(f.name);
    if (codec && codec.clockRate === f.clockRate) out.push({ payloadType: f.payloadType, codec });
  }
  return out;
}

/** An m-line refused in the answer: port 0, same type and protocol, one of the offered formats. */
function refuse(m: MediaDescription): MediaDescription {
  const first = String(m.payloads ?? '').trim().split(/\s+/)[0] || '0';
  return { type: m.type, port: 0, protocol: m.protocol, payloads: first, rtp: [], fmtp: [] };
}

/** Session-level lines around the given m-lines. */
export function writeSession(
  opts: { localAddress: string; sessionId?: number; sessionName?: string },
  media: MediaDescription[],
): string {
  const sessionId = opts.sessionId ?? randomInt(1, 2 ** 31);
  const ipVer = ipVersion(opts.localAddress);
  const session: SessionDescription = {
    version: 0,
    origin: { username: '-', sessionId, sessionVersion: sessionId, netType: 'IN', ipVer, address: opts.localAddress },
    name: opts.sessionName ?? 'trunkbridge',
    connection: { version: ipVer, ip: opts.localAddress },
    timing: { start: 0, stop: 0 },
    media,
  };
  return sdpTransform.write(session);
}
