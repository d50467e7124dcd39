import { randomUUID } from 'node:crypto';
import type { Logger } from '../core/logger.js';
import type { Clock } from '../core/clock.js';
import { CallRejectedError, TrunkbridgeError, errorCodeOf, sipStatusOf } from '../core/errors.js';
import type { BotSession, BotTarget, StartMessage } from '../bot/index.js';
import { MediaSession, type RtpSocket } from '../media/index.js';
import { createOffer, mirrorDirection, negotiateAnswer, parseAnswer, type AnsweredMedia, type MediaDirection, type NegotiatedMedia, type SrtpPolicy } from '../sdp/index.js';
import { handleReinvites } from './reinvite.js';
import type { RouteDecision, RouteRequest } from '../trunks/index.js';
import type { IncomingCallSignal } from './signaling.js';
import type { CallObserver } from './call-events.js';
import { BridgedCall } from './bridged-call.js';
import type { TransferServices } from './transfer.js';
import { handlePstnCall, type PstnCall, type PstnCallDeps } from './pstn-call.js';

/** Everything setting up an inbound call needs; built once in app.ts. */
export interface InboundCallDeps {
  clock: Clock;
  logger: Logger;
  observer: CallObserver;
  route(req: RouteRequest): RouteDecision;
  botTarget(name: string): BotTarget;
  connectBot(target: BotTarget, ctx: { callId: string; clock: Clock; logger: Logger; abort?: AbortSignal }): Promise<BotSession>;
  allocateRtp(): Promise<RtpSocket>;
  /** Address written into our SDP (publicAddress or the media bind address). */
  mediaAddress: string;
  codecPreference: string[];
  idleFill: 'silence' | 'none';
  latching: 'any' | 'same-ip' | 'off';
  /** Transfer services for an answered call (absent: transfers fail with "transfer-unavailable"). */
  transfers?(ctx: TransferContext): TransferServices;
  /** pstn-mode trunks and DIDs (forwardTo, no bot). */
  pstn?: PstnCallDeps;
  /** Takes a per-trunk call slot (maxConcurrentCalls); throws CallRejectedError 486 when full. Returns the release. */
  acquireTrunkSlot?(trunk: string): () => void;
  /** Per-trunk media settings (codec preference, jitter buffer); absent fields fall back to the ones above. */
  trunkMedia?(trunk: string): TrunkMediaSettings;
}

/** Media settings a trunk may override. */
export interface TrunkMediaSettings {
  codecPreference?: string[];
  /** Receive jitter buffer delay, ms; 0 = pass-through. */
  jitterBufferMs?: number;
  /** End the call when no RTP arrives for this long, s; 0 = never. */
  rtpTimeoutSec?: number;
  /** SRTP policy for this trunk's calls (default off). */
  srtp?: SrtpPolicy;
}

/** Facts about one call that its transfer services depend on. */
export interface TransferContext {
  /** Inbound trunk name (its transferAllow applies), or undefined for calls we placed. */
  inboundTrunk?: string;
  callerNumber: string;
  calledNumber: string;
  appSampleRate: number;
}

/** Only X- headers reach the bot: carriers put call metadata there, and the rest is transport noise. */
function customHeaders(headers: ReadonlyArray<readonly [string, string]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of headers) {
    if (/^x-/i.test(name) && out[name] === undefined) out[name] = value;
  }
  return out;
}

/**
 * Takes one INVITE from "offered" to "answered and bridged", or to the right rejection:
 * 403 source not allowed, 404 number not routed, 488 no common codec, 503 bot unreachable or no RTP port.
 * The 200 OK is sent only after the bot's socket is open, so a caller never hears a dead line.
 */
export async function handleInboundCall(
  signal: IncomingCallSignal,
  deps: InboundCallDeps,
): Promise<BridgedCall | PstnCall | undefined> {
  const callId = randomUUID();
  const log = deps.logger.child({ callId, sipCallId: signal.callId });
  log.info(
    { from: signal.from.user, to: signal.to.user, ruri: signal.requestUri.uri, source: signal.source.address },
    'incoming call',
  );

  let rtp: RtpSocket | undefined;
  let bot: BotSession | undefined;
  let releaseSlot: (() => void) | undefined;
  try {
    const decision = deps.route({
      sourceAddress: signal.source.address,
      requestUser: signal.requestUri.user,
      toUser: signal.to.user,
      requestHost: signal.requestUri.host,
      fromUser: signal.from.user,
      method: 'INVITE',
      headers: signal.headers,
    });
    log.info({ trunk: decision.trunk, bot: decision.bot, number: decision.number }, 'call routed');
    releaseSlot = deps.acquireTrunkSlot?.(decision.trunk);
    if (decision.forwardTo) {
      if (!deps.pstn) throw new CallRejectedError(503, 'pstn-unavailable', 'pstn mode is not available');
      const pstnCall = await handlePstnCall(signal, { ...decision, forwardTo: decision.forwardTo }, deps.pstn);
      // The trunk slot is held while the forwarded call lasts.
      const release = releaseSlot;
      releaseSlot = undefined;
      if (release) {
        if (pstnCall && !pstnCall.ended) pstnCall.onEnded(() => release());
        else release();
      }
      return pstnCall;
    }

    const trunkMedia = deps.trunkMedia?.(decision.trunk) ?? {};
    const codecPreference = trunkMedia.codecPreference ?? deps.codecPreference;
    rtp = await deps.allocateRtp();
    const localPort = rtp.port;
    // Delayed offer (INVITE without SDP, RFC 3261 §13.2.1): our offer goes in the 200 OK, the answer in the ACK.
    const delayedOffer = signal.sdp === undefined;
    const ourOffer = delayedOffer ? createOffer({ localAddress: deps.mediaAddress, localPort: rtp.port, codecs: codecPreference }) : undefined;
    const negotiated: NegotiatedMedia | undefined =
      signal.sdp === undefined
        ? undefined
        : negotiateAnswer(signal.sdp, { localAddress: deps.mediaAddress, localPort: rtp.port, codecPreference, ...(trunkMedia.srtp ? { srtp: trunkMedia.srtp } : {}) });
    const jitterBufferMs = trunkMedia.jitterBufferMs ?? 0;
    // A caller on hold (offer sendonly/inactive) legitimately sends no RTP: no timeout then.
    const onHold = negotiated !== undefined && (negotiated.direction === 'sendonly' || negotiated.direction === 'inactive');
    const rtpTimeoutSec = onHold ? 0 : (trunkMedia.rtpTimeoutSec ?? 0);
    const mediaExtras = { jitterBufferMs, rtpTimeoutSec };
    if (negotiated) {
      log.info(
        { codec: negotiated.codec.name, pt: negotiated.payloadType, ptimeMs: negotiated.ptimeMs, remote: negotiated.remote, srtp: negotiated.srtp?.suite ?? 'none', rtcpMux: negotiated.rtcpMux === true },
        'media negotiated',
      );
    } else {
      log.info('INVITE without SDP: offering in the 200 OK');
    }

    const target = deps.botTarget(decision.bot);
    const connectStarted = deps.clock.now();
    // A CANCEL while the bot's socket is still opening aborts the attempt at once.
    const abort = new AbortController();
    signal.on('cancel', () => abort.abort());
    try {
      bot = await deps.connectBot(target, { callId, clock: deps.clock, logger: log, abort: abort.signal });
    } catch (err) {
      if (signal.cancelled) throw new CallRejectedError(487, 'caller-cancelled', 'caller cancelled while the bot was connecting');
      deps.observer.botConnectFailed();
      throw err;
    }
    deps.observer.botConnected((deps.clock.now() - connectStarted) / 1000);

    if (signal.cancelled) {
      throw new CallRejectedError(487, 'caller-cancelled', 'caller cancelled while the bot was connecting');
    }

    const connectedBot = bot;
    let media: MediaSession;
    let dialog;
    /** What the media session runs, and our side's direction (the mirror of the peer's). */
    let running: { codecName: string; payloadType: number; remote: { address: string; port: number }; ours: MediaDirection };
    let localSdp: string;
    if (negotiated) {
      media = newMediaSession(deps, log, rtp, target.sampleRate, negotiated, negotiated.receivable, mediaExtras);
      // The dialog can fail (no ACK) after we gave the socket to the media session: close via media from here on.
      rtp = undefined;
      try {
        dialog = await signal.accept(negotiated.answerSdp);
      } catch (err) {
        media.close();
        throw err;
      }
      running = { codecName: negotiated.codec.name, payloadType: negotiated.payloadType, remote: negotiated.remote, ours: mirrorDirection(negotiated.direction) };
      localSdp = negotiated.answerSdp;
    } else {
      localSdp = ourOffer!;
      dialog = await signal.accept(localSdp);
      const answerSdp = dialog.ackSdp;
      let answered;
      try {
        if (answerSdp === undefined) throw new CallRejectedError(488, 'no-sdp-answer', 'ACK carried no SDP answer to our offer');
        answered = parseAnswer(codecPreference, answerSdp);
      } catch (err) {
        // The dialog exists: end it with BYE rather than leave a call without media.
        log.info({ err: (err as Error).message }, 'delayed offer: unusable answer in ACK; hanging up');
        void dialog.hangup();
        throw err;
      }
      log.info({ codec: answered.codec.name, pt: answered.payloadType, remote: answered.remote }, 'media negotiated from ACK');
      media = newMediaSession(deps, log, rtp, target.sampleRate, answered, [], mediaExtras);
      rtp = undefined;
      running = { codecName: answered.codec.name, payloadType: answered.payloadType, remote: answered.remote, ours: mirrorDirection(answered.direction) };
    }
    media.setDirection(running.ours);
    handleReinvites(dialog, media, { localAddress: deps.mediaAddress, localPort, codecName: running.codecName, payloadType: running.payloadType, codecPreference, remote: running.remote, localSdp, ...(negotiated?.srtp ? { srtp: negotiated.srtp } : {}) }, log);

    const transfers = deps.transfers?.({
      inboundTrunk: decision.trunk,
      callerNumber: signal.from.user,
      calledNumber: decision.number,
      appSampleRate: target.sampleRate,
    });
    const call = new BridgedCall(callId, signal.callId, dialog, media, connectedBot, deps.clock, log, deps.observer, transfers);
    if (releaseSlot) {
      const release = releaseSlot;
      releaseSlot = undefined;
      call.onEnded(() => release());
    }
    call.start();
    // A BYE that raced the ACK may already have ended the dialog before our listeners were attached.
    if (dialog.terminated) {
      call.end('caller-hangup');
      return call;
    }
    const start: StartMessage = {
      type: 'start',
      callId,
      sipCallId: signal.callId,
      from: signal.from.user,
      to: decision.number,
      trunk: decision.trunk,
      direction: 'inbound',
      headers: customHeaders(signal.headers),
      media: { encoding: 'L16', sampleRate: target.sampleRate, channels: 1, frameMs: 20, jitterBufferMs, codec: running.codecName },
    };
    connectedBot.sendStart(start);
    deps.observer.callAnswered('inbound');
    log.info('call answered');
    return call;
  } catch (err) {
    releaseSlot?.();
    rtp?.close();
    const status = sipStatusOf(err);
    const reason = err instanceof CallRejectedError ? err.reason : errorCodeOf(err);
    if (bot) bot.stop(reason === 'caller-cancelled' ? 'caller-cancelled' : 'error');
    if (signal.cancelled) {
      log.info('call cancelled by caller before answer');
      deps.observer.callRejected('inbound', 487);
      return undefined;
    }
    const level = err instanceof TrunkbridgeError ? 'info' : 'error';
    log[level]({ status, reason, err: err instanceof TrunkbridgeError ? err.message : err }, 'call rejected');
    const headers: Record<string, string | readonly string[]> = err instanceof CallRejectedError ? { ...err.headers } : {};
    // Overload and unavailable bots are temporary: tell the carrier when to retry (RFC 3261 §21.5.4).
    if (status === 503 && headers['Retry-After'] === undefined) headers['Retry-After'] = '5';
    signal.reject(status, undefined, Object.keys(headers).length > 0 ? headers : undefined);
    deps.observer.callRejected('inbound', status);
    return undefined;
  }
}

function newMediaSession(
  deps: InboundCallDeps,
  log: Logger,
  rtp: RtpSocket,
  appSampleRate: number,
  m: AnsweredMedia,
  receivable: NegotiatedMedia['receivable'],
  extras: { jitterBufferMs: number; rtpTimeoutSec: number },
): MediaSession {
  return new MediaSession({
    ...(m.telephoneEvent ? { telephoneEvent: m.telephoneEvent } : {}),
    jitterBufferMs: extras.jitterBufferMs,
    ...(extras.rtpTimeoutSec > 0 ? { rtpTimeoutMs: extras.rtpTimeoutSec * 1000 } : {}),
    ...(m.remoteFmtp !== undefined ? { remoteFmtp: m.remoteFmtp } : {}),
    clock: deps.clock,
    logger: log,
    socket: rtp,
    codec: m.codec,
    payloadType: m.payloadType,
    remote: m.remote,
    ptimeMs: m.ptimeMs,
    appSampleRate,
    idleFill: deps.idleFill,
    latching: deps.latching,
    receivable,
    rtcp: { mux: m.rtcpMux === true, ...(m.remoteRtcp ? { remote: m.remoteRtcp } : {}) },
    ...(m.srtp ? { srtp: m.srtp } : {}),
  });
}
