/**
 * Real SDP text and the dependency objects the call handlers take, built on a {@link Harness}. The SDP is run
 * through the real sdp/ code, so codec choice, payload types and remote addresses are what production computes.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sdpTransform from 'sdp-transform';
import { silentLogger } from '../../../src/core/logger.js';
import type { BotTarget } from '../../../src/bot/index.js';
import type { InboundCallDeps } from '../../../src/calls/inbound-call-handler.js';
import type { OutboundCallDeps } from '../../../src/calls/outbound-call-handler.js';
import type { PstnCallDeps } from '../../../src/calls/pstn-call.js';
import type { OutboundTrunkConfig, RouteDecision } from '../../../src/trunks/index.js';
import type { Harness } from './fakes.js';

const fixture = (name: string): string =>
  readFileSync(fileURLToPath(new URL(`../../../fixtures/sdp/${name}`, import.meta.url)), 'utf8').replace(/\r?\n/g, '\r\n');

/** A carrier's offer: PCMU, PCMA, telephone-event 101, from 192.0.2.10:12718. */
export const CARRIER_OFFER = fixture('twilio-like.sdp');
/** Only G.729: nothing we can decode. */
export const G729_OFFER = fixture('g729-only.sdp');
/** The carrier's offer putting us on hold (a=sendonly). */
export const ON_HOLD_OFFER = CARRIER_OFFER.replace('a=sendrecv', 'a=sendonly');

/** A far end's 200 OK answer to our offer: the codec it picked (PCMA 8 or PCMU 0) and telephone-event. */
export function farEndAnswer(o: { pt?: 0 | 8; address?: string; port?: number } = {}): string {
  const pt = o.pt ?? 8;
  const address = o.address ?? '198.51.100.20';
  return [
    'v=0',
    `o=CarrierSBC 2890844526 2890844527 IN IP4 ${address}`,
    's=SBC',
    `c=IN IP4 ${address}`,
    't=0 0',
    `m=audio ${o.port ?? 30000} RTP/AVP ${pt} 101`,
    `a=rtpmap:${pt} ${pt === 8 ? 'PCMA' : 'PCMU'}/8000`,
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16',
    'a=ptime:20',
    'a=sendrecv',
    '',
  ].join('\r\n');
}

/** A far end answering with a codec we never offered (a broken SBC). */
export const G729_ANSWER = farEndAnswer().replace(/m=audio (\d+) RTP\/AVP 8 101/, 'm=audio $1 RTP/AVP 18').replace('a=rtpmap:8 PCMA/8000', 'a=rtpmap:18 G729/8000');

/** The audio m-line of an SDP, parsed. */
export function audioOf(sdp: string) {
  const m = sdpTransform.parse(sdp).media.find((x) => x.type === 'audio');
  if (!m) throw new Error('no audio m-line');
  return { port: m.port, payloads: String(m.payloads), codecs: m.rtp.map((r) => r.codec), direction: m.direction, connection: sdpTransform.parse(sdp).connection?.ip };
}

export const MEDIA_ADDRESS = '198.51.100.5';

export const BOT: BotTarget = { name: 'support', url: 'ws://bot.example/ws', sampleRate: 16000, connectTimeoutMs: 5000 };

export const DECISION: RouteDecision = { trunk: 'carrier', bot: 'support', number: '+15550100' };

export const OUT_TRUNK: OutboundTrunkConfig = {
  name: 'carrier-out',
  host: 'sip.carrier.example',
  port: 5060,
  transport: 'udp',
  numberFormat: 'e164',
  country: 'US',
  callerId: '+15550100',
  headers: {},
};

/** pstn-mode deps: legs to URIs or numbers through OUT_TRUNK. */
export function pstnDeps(h: Harness): PstnCallDeps {
  return {
    clock: h.clock,
    logger: silentLogger(),
    observer: h.observer,
    placeCall: h.sip.placeCall,
    outboundTrunk: (name) => (name === OUT_TRUNK.name ? OUT_TRUNK : undefined),
    media: h.media,
    mediaAddress: MEDIA_ADDRESS,
    codecPreference: ['PCMU', 'PCMA'],
    latching: 'any',
    advertisedHost: () => h.sip.advertisedHost(),
  };
}

/** Inbound deps routing every call to DECISION; PCMA preferred so our preference (not the offer's order) shows. */
export function inboundDeps(h: Harness, over: Partial<InboundCallDeps> = {}): InboundCallDeps {
  return {
    clock: h.clock,
    logger: silentLogger(),
    observer: h.observer,
    route: () => DECISION,
    botTarget: (name) => ({ ...BOT, name }),
    media: h.media,
    mediaAddress: MEDIA_ADDRESS,
    codecPreference: ['PCMA', 'PCMU'],
    idleFill: 'silence',
    latching: 'any',
    acquireTrunkSlot: h.slots.acquire,
    pstn: pstnDeps(h),
    ...over,
  };
}

export function outboundDeps(h: Harness, over: Partial<OutboundCallDeps> = {}): OutboundCallDeps {
  const { route: _route, ...inbound } = inboundDeps(h);
  return {
    ...inbound,
    codecPreference: ['PCMU', 'PCMA'],
    placeCall: h.sip.placeCall,
    outboundTrunk: (name) => (name === OUT_TRUNK.name ? OUT_TRUNK : undefined),
    findBot: (name) => (name === BOT.name ? BOT : undefined),
    ...over,
  };
}
