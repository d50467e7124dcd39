/**
 * `mode: pstn`: a call bridged to its forward target without a bot (a B2BUA leg pair). The caller is answered
 * only when the target answers (its 180 is relayed, its failure status is returned to the caller), and audio is
 * relayed leg to leg through two media sessions (decoded and re-encoded, so the legs may use different codecs).
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { CallRejectedError, classifyFailure } from '../core/errors.js';
import type { ForwardToConfig, OutboundTrunkConfig } from '../trunks/index.js';
import { negotiateAnswer } from '../sdp/index.js';
import type { RouteDecision } from '../trunks/index.js';
import type { CallObserver, EndReason } from './call-events.js';
import type { Call, CallEvents, LiveCallInfo } from './call.js';
import { liveLevels, liveMediaStats } from './call-quality.js';
import { TypedEmitter } from '../core/typed-emitter.js';
import { answeredLegMedia, dialLeg, type AnsweredLeg, type LegDial } from './dial-leg.js';
import type { CallMedia, CallMediaGroup, MediaEngine, MediaLeg } from './media-engine.js';
import { countLeg, legsFinalFigures, reportQuality } from './end-figures.js';
import { trunkCallRequest, uriCallRequest } from './outbound-request.js';
import type { DialogSignal, IncomingCallSignal, OutgoingCallRequest, OutgoingCallSignal } from './signaling.js';

/** What a pstn-mode call needs. */
export interface PstnCallDeps {
  clock: Clock;
  logger: Logger;
  observer: CallObserver;
  placeCall?(request: OutgoingCallRequest): OutgoingCallSignal;
  outboundTrunk(name: string): OutboundTrunkConfig | undefined;
  media: MediaEngine;
  mediaAddress: string;
  codecPreference: string[];
  latching: 'any' | 'same-ip' | 'off';
  /** Our host:port for From URIs on legs to SIP URIs. */
  advertisedHost(): string;
}

/** Relay audio at the telephone rate: no resampling on either leg for G.711. */
const RELAY_RATE = 8000;

/** An answered pstn-mode call: two dialogs, two media sessions, ended together. */
export class PstnCall extends TypedEmitter<CallEvents> implements Call {
  readonly labels: { trunk?: string } = {};
  private readonly answeredAtMs: number;
  private endReason: EndReason | undefined;
  private readonly startedAt: number;
  private endDone: Promise<unknown> = Promise.resolve();

  constructor(
    readonly id: string,
    private readonly legs: Array<{ dialog: DialogSignal; media: CallMedia }>,
    private readonly group: CallMediaGroup,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly observer?: Pick<CallObserver, 'record' | 'mediaQuality' | 'rtpTotals' | 'foreignPackets' | 'playoutDropped'>,
    /** Who and where, for metrics and the calls API. */
    private readonly info?: { trunk: string; sipCallId: string; from: string; to: string; codec: string },
  ) {
    super({ onListenerError: (err, event) => log.error({ err, event }, 'call listener failed') });
    this.startedAt = clock.now();
    if (info) this.labels = { trunk: info.trunk };
    this.answeredAtMs = Date.now(); // wall time: a date shown to API clients, never used to time anything
    const [a, b] = legs;
    group.route({ [a.media.id]: [b.media.id], [b.media.id]: [a.media.id] });
    for (const leg of legs) leg.media.on('failed', () => this.end('error'));
    a.dialog.on('terminated', () => this.end('caller-hangup'));
    // The forwarded party hanging up ends the call as well; reported as a hangup from the far side.
    b.dialog.on('terminated', () => this.end('caller-hangup'));
    // A leg whose session timer ran out (RFC 4028) is gone: the call ends now, not when its BYE times out.
    for (const leg of legs) leg.dialog.on('expired', () => this.end('session-expired'));
    a.media.start();
    b.media.start();
  }

  /** The forward as GET /v1/calls shows it: the caller's leg's figures, state `bridged`, no bot. */
  live(): LiveCallInfo {
    const i = this.info;
    return {
      callId: this.id,
      sipCallId: i?.sipCallId ?? '',
      state: 'bridged',
      direction: 'inbound',
      ...(i ? { trunk: i.trunk, from: i.from, to: i.to, codec: i.codec } : {}),
      answeredAt: new Date(this.answeredAtMs).toISOString(),
      durationSec: Math.round((this.clock.now() - this.startedAt) / 100) / 10,
      media: liveMediaStats(this.legs[0].media.stats, this.legs[0].media.quality),
      ...liveLevels(this.legs[0].media.levels),
    };
  }

  get ended(): boolean {
    return this.endReason !== undefined;
  }

  onEnded(listener: (reason: EndReason, seconds: number) => void): void {
    this.on('ended', listener);
  }

  /** Settles once the BYEs sent by {@link end} are answered (or timed out) and the call's end was reported. */
  get hangupDone(): Promise<void> {
    return this.endDone.then(() => undefined);
  }

  end(reason: EndReason): void {
    if (this.endReason) return;
    this.endReason = reason;
    const seconds = (this.clock.now() - this.startedAt) / 1000;
    const done: Array<Promise<void>> = [];
    for (const leg of this.legs) {
      leg.media.close();
      if (!leg.dialog.terminated) done.push(leg.dialog.hangup().catch((err: unknown) => this.log.warn({ err }, 'BYE failed')));
    }
    this.group.close();
    done.push(this.reportEnd(reason, seconds));
    this.endDone = Promise.all(done);
    this.emit('ended', reason, seconds);
  }

  /**
   * The call's record (the caller leg's figures, as a bot call's) and its counters (both legs': each is one of our
   * RTP ports), once the legs' last figures are in (a worker engine's come back from its thread).
   */
  private async reportEnd(reason: EndReason, seconds: number): Promise<void> {
    await legsFinalFigures(this.legs.map((l) => l.media), this.clock, this.log);
    const a = this.legs[0].media;
    const quality = a.quality;
    const rtp = { packetsReceived: a.stats.packetsReceived, packetsSent: a.stats.packetsSent };
    this.log.info({ reason, durationSeconds: Math.round(seconds * 10) / 10, rtp: this.legs.map((l) => l.media.stats) }, 'pstn call ended');
    this.observer?.record?.({ type: 'ended', callId: this.id, reason, rtp, ...(quality ? { quality } : {}) });
    if (!this.observer) return;
    reportQuality(this.observer, a.stats, quality);
    for (const { media } of this.legs) countLeg(this.observer, media.stats);
  }
}

function forwardRequest(f: ForwardToConfig, signal: IncomingCallSignal, sdp: string, deps: PstnCallDeps): OutgoingCallRequest {
  const ringTimeoutMs = f.ringTimeoutSec * 1000;
  const caller = signal.from.user;
  if (f.number !== undefined) {
    const trunk = deps.outboundTrunk(f.trunk ?? '');
    if (!trunk) throw new CallRejectedError('misconfigured', `forwardTo trunk "${f.trunk ?? ''}" is not configured`);
    let from: string | undefined;
    if (/^\+?\d{6,15}$/.test(caller)) from = caller;
    return trunkCallRequest(trunk, { to: f.number, ...(from ? { from } : {}), ...(signal.from.displayName ? { fromDisplayName: signal.from.displayName } : {}), sdp, ringTimeoutMs });
  }
  return uriCallRequest(f.uri ?? '', {
    fromUser: /^\+?[A-Za-z0-9._-]+$/.test(caller) ? caller : 'trunkbridge',
    ourHost: deps.advertisedHost(),
    sdp,
    ringTimeoutMs,
    ...(f.auth ? { credentials: { username: f.auth.username, password: f.auth.password } } : {}),
  });
}

/**
 * Bridges one inbound INVITE to its forward target. Answers the caller with the target's outcome: 200 when the
 * target answers, its final status otherwise (408 on ring timeout). Returns the call once both legs are up.
 */
export async function handlePstnCall(
  signal: IncomingCallSignal,
  decision: RouteDecision & { forwardTo: ForwardToConfig },
  deps: PstnCallDeps,
  /** Our call id (the inbound handler's, so the call's record is one). */
  id: string = randomUUID(),
): Promise<PstnCall | undefined> {
  const startedAt = deps.clock.now();
  const log = deps.logger.child({ callId: id, sipCallId: signal.callId, trunk: decision.trunk });
  const group = deps.media.openCall({ callId: id, logger: log });
  let legA: MediaLeg | undefined;
  let mediaA: CallMedia | undefined;
  let dial: LegDial | undefined;
  let legB: AnsweredLeg | undefined;
  try {
    const placeCall = deps.placeCall;
    if (!placeCall) throw new CallRejectedError('outbound-unavailable', 'this engine cannot place calls');
    if (signal.sdp === undefined) throw new CallRejectedError('no-sdp-offer', 'INVITE without SDP is not supported');
    const a = await group.allocate({ holdEarlyPackets: true }); // the caller's RTP may beat its ACK (see inbound)
    legA = a;
    // The caller may have left while the port was allocated: never leave the forward target ringing.
    if (signal.cancelled) throw new CallRejectedError('caller-cancelled', 'caller cancelled');
    const answerA = negotiateAnswer(signal.sdp, { localAddress: deps.mediaAddress, localPort: a.port, codecPreference: deps.codecPreference });
    const relay = { appSampleRate: RELAY_RATE, idleFill: 'silence' as const, latching: deps.latching };
    dial = await dialLeg(
      { media: group, placeCall, mediaAddress: deps.mediaAddress, codecPreference: deps.codecPreference },
      {
        request: (sdp) => forwardRequest(decision.forwardTo, signal, sdp, deps),
        media: (b) => answeredLegMedia(b, { logger: log.child({ leg: 'b' }), ...relay }),
        log,
      },
    );
    const outgoing = dial;
    log.info({ trunk: decision.trunk, to: outgoing.request.requestUri }, 'pstn mode: forwarding call');
    signal.on('cancel', () => outgoing.cancel());
    if (signal.cancelled) outgoing.cancel(); // cancelled while leg B took its port
    outgoing.onProgress((status) => signal.progress(status === 183 ? 180 : status));
    legB = await outgoing.answered;
    if (signal.cancelled) throw new CallRejectedError('caller-cancelled', 'caller cancelled');
    mediaA = a.open({
      logger: log.child({ leg: 'a' }), codec: answerA.codec, payloadType: answerA.payloadType, remote: answerA.remote,
      ptimeMs: answerA.ptimeMs, receivable: answerA.receivable, ...relay,
    });
    const dialogA = await signal.accept(answerA.answerSdp);
    deps.observer.record?.({ type: 'answered', callId: id, codec: answerA.codec.name });
    const call = new PstnCall(id, [{ dialog: dialogA, media: mediaA }, { dialog: legB.dialog, media: legB.media }], group, deps.clock, log, deps.observer, {
      trunk: decision.trunk, sipCallId: signal.callId, from: signal.from.user, to: decision.number, codec: answerA.codec.name,
    });
    deps.observer.callAnswered('inbound', { trunk: decision.trunk, setupSeconds: (deps.clock.now() - startedAt) / 1000 });
    log.info({ codecA: answerA.codec.name, codecB: legB.answer.codec.name }, 'pstn call bridged');
    return call;
  } catch (err) {
    if (mediaA) mediaA.close();
    else legA?.release();
    if (legB) legB.hangUp();
    else dial?.cancel();
    group.close();
    if (signal.cancelled) {
      deps.observer.callRejected('inbound', 487, { trunk: decision.trunk, reason: 'caller-cancelled' });
      deps.observer.record?.({ type: 'rejected', callId: id, sipStatus: 487, reason: 'caller-cancelled' });
      return undefined;
    }
    const failure = classifyFailure(err);
    log[failure.level]({ status: failure.sipStatus, reason: failure.reason, err: failure.logErr }, 'pstn call failed');
    const status = failure.sipStatus >= 300 && failure.sipStatus <= 699 ? failure.sipStatus : 500;
    signal.reject(status, undefined, Object.keys(failure.sipHeaders).length > 0 ? failure.sipHeaders : undefined);
    deps.observer.callRejected('inbound', failure.sipStatus, { trunk: decision.trunk, reason: failure.reason });
    deps.observer.record?.({ type: 'rejected', callId: id, sipStatus: status, reason: failure.reason });
    return undefined;
  }
}
