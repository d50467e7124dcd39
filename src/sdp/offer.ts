/** SDP for calls we originate: our offer, and reading the far end's answer to it. */
import { CodecNegotiationError, SdpError } from '../core/errors.js';
import { codecRegistry, type AudioCodec } from '../media/codecs/index.js';
import type { MediaDescription } from 'sdp-transform';
import {
  directionOf,
  isPlainRtp,
  listFormats,
  parseSdp,
  ptimeOf,
  remoteOf,
} from './media-description.js';
import { chooseCodec, chooseTelephoneEvent, TELEPHONE_EVENT_FMTP, writeSession, type NegotiatedMedia } from './negotiate.js';

export interface CreateOfferOptions {
  localAddress: string;
  localPort: number;
  /** Codec names in preference order; each must be registered. */
  codecs: string[];
  /** Offer RFC 4733 telephone-event (default true). */
  telephoneEvent?: boolean;
  /** a=ptime to ask for (default 20). */
  ptimeMs?: number;
  sessionId?: number;
  sessionName?: string;
}

const FIRST_DYNAMIC_PT = 96;
const PREFERRED_TELEPHONE_EVENT_PT = 101;

/** Writes an offer with one sendrecv audio m-line: static payload types where defined, dynamic ones from 96. */
export function createOffer(opts: CreateOfferOptions): string {
  const codecs: AudioCodec[] = opts.codecs.map((name) => {
    const c = codecRegistry.get(name);
    if (!c) throw new CodecNegotiationError(`cannot offer unknown codec ${name}`);
    return c;
  });
  if (codecs.length === 0) throw new CodecNegotiationError('no codecs to offer');
  const used = new Set(codecs.map((c) => c.staticPayloadType).filter((p): p is number => p !== undefined));
  let nextDynamic = FIRST_DYNAMIC_PT;
  const dynamic = () => {
    while (used.has(nextDynamic) || nextDynamic === PREFERRED_TELEPHONE_EVENT_PT) nextDynamic++;
    used.add(nextDynamic);
    return nextDynamic;
  };
  const rtp: MediaDescription['rtp'] = [];
  const fmtp: MediaDescription['fmtp'] = [];
  const pts: number[] = [];
  for (const c of codecs) {
    const pt = c.staticPayloadType ?? dynamic();
    pts.push(pt);
    rtp.push({ payload: pt, codec: c.name, rate: c.clockRate, ...(c.channels > 1 ? { encoding: c.channels } : {}) });
    if (c.fmtp) fmtp.push({ payload: pt, config: c.fmtp });
  }
  if (opts.telephoneEvent ?? true) {
    const pt = used.has(PREFERRED_TELEPHONE_EVENT_PT) ? dynamic() : PREFERRED_TELEPHONE_EVENT_PT;
    pts.push(pt);
    rtp.push({ payload: pt, codec: 'telephone-event', rate: 8000 });
    fmtp.push({ payload: pt, config: TELEPHONE_EVENT_FMTP });
  }
  const media: MediaDescription = {
    type: 'audio',
    port: opts.localPort,
    protocol: 'RTP/AVP',
    payloads: pts.join(' '),
    rtp,
    fmtp,
    ptime: opts.ptimeMs ?? 20,
    direction: 'sendrecv',
  };
  return writeSession(opts, [media]);
}

/** What the far end's answer settled. */
export type AnsweredMedia = Omit<NegotiatedMedia, 'answerSdp' | 'receivable'>;

/**
 * Reads an answer to our offer: the codec is the first one in the answer's m-line that we offered
 * (`offeredCodecs`), at the payload type the answer uses. Throws SdpError / CodecNegotiationError (488).
 */
export function parseAnswer(offeredCodecs: string[], answerSdp: string): AnsweredMedia {
  const answer = parseSdp(answerSdp);
  const m = (answer.media ?? []).find((x) => x.type === 'audio' && x.port !== 0);
  if (!m) throw new SdpError('answer has no active audio stream');
  if (!isPlainRtp(m.protocol)) throw new SdpError(`answer uses ${m.protocol}; plain RTP/AVP is required`);
  const formats = listFormats(m);
  // The answerer's order is its preference; keep it, restricted to what we offered.
  const offered = new Set(offeredCodecs.map((n) => n.toUpperCase()));
  const order = formats.map((f) => f.name).filter((n) => offered.has(n.toUpperCase()));
  const pick = chooseCodec(formats, order);
  if (!pick) throw new CodecNegotiationError(`answer has none of our codecs (${offeredCodecs.join(', ')})`);
  const te = chooseTelephoneEvent(formats, pick.codec.clockRate);
  return {
    codec: pick.codec,
    payloadType: pick.format.payloadType,
    ...(te ? { telephoneEventPayloadType: te.payloadType, telephoneEvent: { payloadType: te.payloadType, clockRate: te.clockRate } } : {}),
    remote: remoteOf(answer, m),
    ptimeMs: ptimeOf(answer, m),
    direction: directionOf(answer, m),
  };
}
