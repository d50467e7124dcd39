import { randomUUID } from 'node:crypto';
import type { Logger } from '../core/logger.js';
import type { Clock } from '../core/clock.js';
import { CallRejectedError, TrunkbridgeError, errorCodeOf, sipStatusOf } from '../core/errors.js';
import type { BotSession, BotTarget, StartMessage } from '../bot/index.js';
import { MediaSession, type RtpSocket } from '../media/index.js';
import { negotiateAnswer, type NegotiatedMedia, type SrtpPolicy } from '../sdp/index.js';
import type { RouteDecision, RouteRequest } from '../trunks/index.js';
import type { IncomingCallSignal } from './signaling.js';
import type { CallObserver } from './call-events.js';
import { BridgedCall } from './bridged-call.js';

/** Everything setting up an inbound call needs; built once in app.ts. */
export interface InboundCallDeps {
  clock: Clock;
  logger: Logger;
  observer: CallObserver;
  route(req: RouteRequest): RouteDecision;
  botTarget(name: string): BotTarget;
  connectBot(target: BotTarget, ctx: { callId: string; clock: Clock; logger: Logger }): Promise<BotSession>;
  allocateRtp(): Promise<RtpSocket>;
  /** Address written into our SDP (publicAddress or the media bind address). */
  mediaAddress: string;
  codecPreference: string[];
  idleFill: 'silence' | 'none';
  latching: 'any' | 'same-ip' | 'off';
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
): Promise<BridgedCall | undefined> {
  const callId = randomUUID();
  const log = deps.logger.child({ callId, sipCallId: signal.callId });
  log.info(
    { from: signal.from.user, to: signal.to.user, ruri: signal.requestUri.uri, source: signal.source.address },
    'incoming call',
  );

  let rtp: RtpSocket | undefined;
  let bot: BotSession | undefined;
  try {
    const decision = deps.route({
      sourceAddress: signal.source.address,
      requestUser: signal.requestUri.user,
      toUser: signal.to.user,
      headers: signal.headers,
    });
    log.info({ trunk: decision.trunk, bot: decision.bot, number: decision.number }, 'call routed');

    if (signal.sdp === undefined) {
      throw new CallRejectedError(488, 'no-sdp-offer', 'INVITE without SDP (delayed offer) is not supported yet');
    }
    const trunkMedia = deps.trunkMedia?.(decision.trunk) ?? {};
    rtp = await deps.allocateRtp();
    const negotiated: NegotiatedMedia = negotiateAnswer(signal.sdp, {
      localAddress: deps.mediaAddress,
      localPort: rtp.port,
      codecPreference: trunkMedia.codecPreference ?? deps.codecPreference,
      ...(trunkMedia.srtp ? { srtp: trunkMedia.srtp } : {}),
    });
    const jitterBufferMs = trunkMedia.jitterBufferMs ?? 0;
    // A caller on hold (offer sendonly/inactive) legitimately sends no RTP: no timeout then.
    const onHold = negotiated.direction === 'sendonly' || negotiated.direction === 'inactive';
    const rtpTimeoutSec = onHold ? 0 : (trunkMedia.rtpTimeoutSec ?? 0);
    log.info(
      { codec: negotiated.codec.name, pt: negotiated.payloadType, ptimeMs: negotiated.ptimeMs, remote: negotiated.remote, srtp: negotiated.srtp?.suite ?? 'none', rtcpMux: negotiated.rtcpMux === true },
      'media negotiated',
    );

    const target = deps.botTarget(decision.bot);
    const connectStarted = deps.clock.now();
    try {
      bot = await deps.connectBot(target, { callId, clock: deps.clock, logger: log });
    } catch (err) {
      deps.observer.botConnectFailed();
      throw err;
    }
    deps.observer.botConnected((deps.clock.now() - connectStarted) / 1000);

    if (signal.cancelled) {
      throw new CallRejectedError(487, 'caller-cancelled', 'caller cancelled while the bot was connecting');
    }

    const media = new MediaSession({
      clock: deps.clock,
      logger: log,
      socket: rtp,
      codec: negotiated.codec,
      payloadType: negotiated.payloadType,
      remote: negotiated.remote,
      ptimeMs: negotiated.ptimeMs,
      appSampleRate: target.sampleRate,
      idleFill: deps.idleFill,
      latching: deps.latching,
      receivable: negotiated.receivable,
      ...(negotiated.telephoneEvent ? { telephoneEvent: negotiated.telephoneEvent } : {}),
      jitterBufferMs,
      ...(rtpTimeoutSec > 0 ? { rtpTimeoutMs: rtpTimeoutSec * 1000 } : {}),
      ...(negotiated.remoteFmtp !== undefined ? { remoteFmtp: negotiated.remoteFmtp } : {}),
      rtcp: { mux: negotiated.rtcpMux === true, ...(negotiated.remoteRtcp ? { remote: negotiated.remoteRtcp } : {}) },
      ...(negotiated.srtp ? { srtp: negotiated.srtp } : {}),
    });
    const connectedBot = bot;
    // The dialog can fail (no ACK) after we gave the socket to the media session: close via media from here on.
    rtp = undefined;
    let dialog;
    try {
      dialog = await signal.accept(negotiated.answerSdp);
    } catch (err) {
      media.close();
      throw err;
    }

    const call = new BridgedCall(callId, signal.callId, dialog, media, connectedBot, deps.clock, log, deps.observer);
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
      media: { encoding: 'L16', sampleRate: target.sampleRate, channels: 1, frameMs: 20, jitterBufferMs, codec: negotiated.codec.name },
    };
    connectedBot.sendStart(start);
    deps.observer.callAnswered('inbound');
    log.info('call answered');
    return call;
  } catch (err) {
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
    signal.reject(status);
    deps.observer.callRejected('inbound', status);
    return undefined;
  }
}
