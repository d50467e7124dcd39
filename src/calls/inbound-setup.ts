/**
 * The steps of answering one INVITE, in order: route -> plan media -> connect the bot -> accept -> start.
 * Each step may throw a catalogued failure; {@link InboundSetup.release} and {@link rejectInbound} are the one
 * way out, whatever step failed.
 */
import type { Logger } from '../core/logger.js';
import { CallRejectedError, classifyFailure } from '../core/errors.js';
import type { BotTarget, StartMessage } from '../bot/index.js';
import {
  createOffer,
  mirrorDirection,
  negotiateAnswer,
  parseAnswer,
  type AnsweredMedia,
  type MediaDirection,
  type NegotiatedMedia,
} from '../sdp/index.js';
import type { RouteDecision } from '../trunks/index.js';
import { BridgedCall } from './bridged-call.js';
import type { Call } from './call.js';
import type { InboundCallDeps } from './inbound-call-handler.js';
import type { BotControl, CallMedia, CallMediaGroup, LegMediaOptions, MediaLeg } from './media-engine.js';
import type { JitterBufferMode } from '../media/index.js';
import { handlePstnCall } from './pstn-call.js';
import { handleReinvites } from './reinvite.js';
import { REJECT, type BotFallback } from './bot-fallback.js';
import type { DialogSignal, IncomingCallSignal } from './signaling.js';
import type { CallLabels } from './call-events.js';
import { botConnectFailureReason } from './bot-connect-failure.js';

/** What the media of an inbound call will be, decided before the bot is connected. */
interface MediaPlan {
  /** The call's media in the engine: its leg and (next) its bot. */
  group: CallMediaGroup;
  leg: MediaLeg;
  codecPreference: string[];
  /** The caller's offer answered; undefined for a delayed offer (our offer goes in the 200 OK). */
  negotiated: NegotiatedMedia | undefined;
  /** Our offer, for a delayed offer. */
  ourOffer: string | undefined;
  jitterBuffer: JitterBufferMode;
  rtpTimeoutSec: number;
}

/** The media running once the caller has our answer (and we theirs). */
interface AcceptedMedia {
  dialog: DialogSignal;
  media: CallMedia;
  answer: AnsweredMedia;
  localSdp: string;
}

/** One INVITE on its way to an answered call. */
export class InboundSetup {
  /** The call's media, opened when the call gets a port (a pstn forward opens its own). */
  private group: CallMediaGroup | undefined;
  private leg: MediaLeg | undefined;
  private media: CallMedia | undefined;
  private releaseSlot: (() => void) | undefined;
  /** Fired by the caller's CANCEL at any step: aborts a bot connection still opening. */
  private readonly cancelled = new AbortController();
  /** The bot, once its socket is open (a failure after that stops it). */
  connectedBot: BotControl | undefined;
  /** Trunk and bot once routed: the labels of this call's metrics. */
  labels: CallLabels = {};
  /** When the INVITE was taken up, on the clock: setup time runs from here to the 200 OK. */
  private readonly startedAt: number;

  constructor(
    private readonly callId: string,
    private readonly signal: IncomingCallSignal,
    private readonly deps: InboundCallDeps,
    private log: Logger,
  ) {
    this.startedAt = deps.clock.now();
  }

  /** The call's logger: with `trunk` on every line once the call is routed. */
  get logger(): Logger {
    return this.log;
  }

  async run(): Promise<Call | undefined> {
    this.signal.on('cancel', () => this.cancelled.abort());
    const decision = this.route();
    // The slot is taken once routed; a shared store answers later (a local count answers at once).
    const slot = this.deps.acquireTrunkSlot?.(decision.trunk, this.callId);
    this.releaseSlot = typeof slot === 'function' || slot === undefined ? slot : await slot;
    if (decision.forwardTo) return this.forward({ ...decision, forwardTo: decision.forwardTo });
    const plan = await this.planMedia(decision.trunk);
    const target = this.deps.botTarget(decision.bot);
    const fallback = this.deps.botFallback?.(decision.trunk, decision.number) ?? REJECT;
    const bot = await this.connectOrFallback(plan.group, target, fallback);
    // With the codec known from the offer, the bot hears from the call the moment its socket is open: its opening
    // messages and caller audio (silence until the caller's RTP flows) go now, before the 200 OK; what it says is
    // read once the call is answered. A delayed offer learns the codec from the ACK: `start` waits for it.
    if (bot && plan.negotiated) bot.sendStart(this.startMessage(decision, target, plan, plan.negotiated.codec.name), { beforeAnswer: true });
    const accepted = await this.accept(plan, target.sampleRate);
    return this.start(decision, target, bot, plan, accepted, fallback);
  }

  /** Undoes whatever the steps so far took: media (or the bare port), the bot, the trunk slot. Safe twice. */
  release(): void {
    this.releaseSlot?.();
    this.releaseSlot = undefined;
    if (this.media) this.media.close();
    else this.leg?.release();
    this.media = undefined;
    this.leg = undefined;
    this.group?.close();
  }

  private route(): RouteDecision {
    const s = this.signal;
    const decision = this.deps.route({
      sourceAddress: s.source.address,
      requestUser: s.requestUri.user,
      toUser: s.to.user,
      requestHost: s.requestUri.host,
      fromUser: s.from.user,
      method: 'INVITE',
      headers: s.headers,
    });
    this.log = this.log.child({ trunk: decision.trunk });
    this.labels = { trunk: decision.trunk, ...(decision.bot ? { bot: decision.bot } : {}) };
    this.log.info({ bot: decision.bot, number: decision.number }, 'call routed');
    this.deps.observer.record?.({ type: 'routed', callId: this.callId, trunk: decision.trunk, ...(decision.forwardTo ? {} : { bot: decision.bot }), number: decision.number });
    return decision;
  }

  /** pstn mode: the forward answers (or rejects) the caller itself; the trunk slot is held while it lasts. */
  private async forward(decision: RouteDecision & { forwardTo: NonNullable<RouteDecision['forwardTo']> }): Promise<Call | undefined> {
    if (!this.deps.pstn) throw new CallRejectedError('outbound-unavailable', 'pstn mode is not available');
    const call = await handlePstnCall(this.signal, decision, this.deps.pstn, this.callId);
    const release = this.releaseSlot;
    this.releaseSlot = undefined;
    if (release) {
      if (call && !call.ended) call.onEnded(() => release());
      else release();
    }
    return call;
  }

  private async planMedia(trunk: string): Promise<MediaPlan> {
    const trunkMedia = this.deps.trunkMedia?.(trunk) ?? {};
    const codecPreference = trunkMedia.codecPreference ?? this.deps.codecPreference;
    const group = this.deps.media.openCall({ callId: this.callId, logger: this.log });
    this.group = group;
    // The caller may send RTP as soon as it has our 200 OK, before its ACK reached us and the media started
    // (with media on a worker, the packets can overtake the ACK): they are held and replayed at start.
    const leg = await group.allocate({ holdEarlyPackets: true });
    this.leg = leg;
    const local = { localAddress: this.deps.mediaAddress, localPort: leg.port };
    // Delayed offer (INVITE without SDP, RFC 3261 §13.2.1): our offer goes in the 200 OK, the answer in the ACK.
    const sdp = this.signal.sdp;
    const negotiated = sdp === undefined ? undefined : negotiateAnswer(sdp, { ...local, codecPreference, ...(trunkMedia.srtp ? { srtp: trunkMedia.srtp } : {}) });
    const ourOffer = sdp === undefined ? createOffer({ ...local, codecs: codecPreference }) : undefined;
    // A caller on hold (offer sendonly/inactive) legitimately sends no RTP: no timeout then.
    const onHold = negotiated !== undefined && (negotiated.direction === 'sendonly' || negotiated.direction === 'inactive');
    if (negotiated) {
      this.log.info(
        { codec: negotiated.codec.name, pt: negotiated.payloadType, ptimeMs: negotiated.ptimeMs, remote: negotiated.remote, srtp: negotiated.srtp?.suite ?? 'none', rtcpMux: negotiated.rtcpMux === true },
        'media negotiated',
      );
    } else {
      this.log.info('INVITE without SDP: offering in the 200 OK');
    }
    return { group, leg, codecPreference, negotiated, ourOffer, jitterBuffer: trunkMedia.jitterBuffer ?? { mode: 'fixed', delayMs: trunkMedia.jitterBufferMs ?? 0 }, rtpTimeoutSec: onHold ? 0 : (trunkMedia.rtpTimeoutSec ?? 0) };
  }

  /** The bot's socket; a CANCEL while it is still opening aborts the attempt at once. */
  private async connectBot(group: CallMediaGroup, target: BotTarget): Promise<BotControl> {
    const deps = this.deps;
    // The caller may have left while the port was allocated: no socket for a call already gone.
    if (this.signal.cancelled) throw new CallRejectedError('caller-cancelled', 'caller cancelled before the bot was connected');
    const started = deps.clock.now();
    let bot: BotControl;
    try {
      bot = await group.connectBot(target, { abort: this.cancelled.signal });
    } catch (err) {
      if (this.signal.cancelled) throw new CallRejectedError('caller-cancelled', 'caller cancelled while the bot was connecting');
      deps.observer.botConnectFailed(target.name, botConnectFailureReason(err));
      throw err;
    }
    this.connectedBot = bot;
    deps.observer.botConnected((deps.clock.now() - started) / 1000, target.name);
    if (this.signal.cancelled) throw new CallRejectedError('caller-cancelled', 'caller cancelled while the bot was connecting');
    return bot;
  }

  /**
   * The bot's socket, or (when it cannot be opened and the number has a play or transfer fallback) nothing: the
   * call is then answered for the fallback alone. A reject fallback, or any other failure, rejects the call.
   */
  private async connectOrFallback(group: CallMediaGroup, target: BotTarget, fallback: BotFallback): Promise<BotControl | undefined> {
    try {
      return await this.connectBot(group, target);
    } catch (err) {
      if (fallback.action === 'reject' || this.signal.cancelled || classifyFailure(err).reason !== 'bot-unavailable') throw err;
      this.log.warn({ err: (err as Error).message, fallback: fallback.action }, 'bot unavailable; answering for the fallback');
      return undefined;
    }
  }

  /** Sends the 200 OK and waits for the ACK; the media is built first so the caller's first packets find it. */
  private async accept(plan: MediaPlan, appSampleRate: number): Promise<AcceptedMedia> {
    if (plan.negotiated) {
      const n = plan.negotiated;
      this.media = plan.leg.open(this.mediaOptions(n, n.receivable, plan, appSampleRate));
      const dialog = await this.signal.accept(n.answerSdp);
      return { dialog, media: this.media, answer: n, localSdp: n.answerSdp };
    }
    const localSdp = plan.ourOffer!;
    const dialog = await this.signal.accept(localSdp);
    let answer: AnsweredMedia;
    try {
      if (dialog.ackSdp === undefined) throw new CallRejectedError('no-sdp-answer', 'ACK carried no SDP answer to our offer');
      answer = parseAnswer(plan.codecPreference, dialog.ackSdp);
    } catch (err) {
      // The dialog exists: end it with BYE rather than leave a call without media.
      this.log.info({ err: (err as Error).message }, 'delayed offer: unusable answer in ACK; hanging up');
      void dialog.hangup();
      throw err;
    }
    this.log.info({ codec: answer.codec.name, pt: answer.payloadType, remote: answer.remote }, 'media negotiated from ACK');
    this.media = plan.leg.open(this.mediaOptions(answer, [], plan, appSampleRate));
    return { dialog, media: this.media, answer, localSdp };
  }

  private mediaOptions(m: AnsweredMedia, receivable: NegotiatedMedia['receivable'], plan: MediaPlan, appSampleRate: number): LegMediaOptions {
    return {
      ...(m.telephoneEvent ? { telephoneEvent: m.telephoneEvent } : {}),
      jitterBuffer: plan.jitterBuffer,
      ...(plan.rtpTimeoutSec > 0 ? { rtpTimeoutMs: plan.rtpTimeoutSec * 1000 } : {}),
      ...(m.remoteFmtp !== undefined ? { remoteFmtp: m.remoteFmtp } : {}),
      logger: this.log,
      codec: m.codec,
      payloadType: m.payloadType,
      remote: m.remote,
      ptimeMs: m.ptimeMs,
      appSampleRate,
      idleFill: this.deps.idleFill,
      latching: this.deps.latching,
      receivable,
      rtcp: { mux: m.rtcpMux === true, ...(m.remoteRtcp ? { remote: m.remoteRtcp } : {}) },
      ...(m.srtp ? { srtp: m.srtp } : {}),
    };
  }

  /** Joins dialog, media and bot into a call, then tells the bot (no bot: the call runs its fallback). */
  private start(decision: RouteDecision, target: BotTarget, bot: BotControl | undefined, plan: MediaPlan, accepted: AcceptedMedia, fallback: BotFallback): Call {
    const { dialog, media, answer } = accepted;
    this.deps.observer.record?.({ type: 'answered', callId: this.callId, codec: answer.codec.name });
    const ours: MediaDirection = mirrorDirection(answer.direction);
    media.setDirection(ours);
    handleReinvites(
      dialog,
      media,
      {
        localAddress: this.deps.mediaAddress, localPort: plan.leg.port, codecName: answer.codec.name, payloadType: answer.payloadType,
        codecPreference: plan.codecPreference, remote: answer.remote, localSdp: accepted.localSdp,
        ...(plan.negotiated?.srtp ? { srtp: plan.negotiated.srtp } : {}),
      },
      this.log,
    );
    const transfers = this.deps.transfers?.({
      inboundTrunk: decision.trunk,
      callerNumber: this.signal.from.user,
      calledNumber: decision.number,
      appSampleRate: target.sampleRate,
    });
    const recording = this.deps.recordingPolicy?.(decision.trunk, decision.number, decision.bot);
    const call = new BridgedCall({
      id: this.callId, sipCallId: this.signal.callId, dialog, media, group: plan.group, ...(bot ? { bot } : {}), ...(recording ? { recording } : {}),
      clock: this.deps.clock, log: this.log, observer: this.deps.observer, ...(transfers ? { transfers } : {}), fallback,
      summary: { bot: target.name, from: this.signal.from.user, to: decision.number, direction: 'inbound', trunk: decision.trunk, codec: answer.codec.name },
    });
    this.media = undefined; // the call owns its media now
    this.leg = undefined;
    const release = this.releaseSlot;
    this.releaseSlot = undefined;
    if (release) call.onEnded(() => release());
    call.start();
    // A BYE that raced the ACK may already have ended the dialog before our listeners were attached.
    if (dialog.terminated) {
      call.end('caller-hangup');
      return call;
    }
    const startMsg = this.startMessage(decision, target, plan, answer.codec.name);
    // With a consent prompt the bot starts once it has played (its audio would not be heard before).
    if (recording?.consentFile !== undefined && recording.mode !== 'off') void call.joined.then(() => call.ended || bot?.sendStart(startMsg));
    else bot?.sendStart(startMsg);
    this.deps.observer.callAnswered('inbound', { trunk: decision.trunk, bot: target.name, setupSeconds: (this.deps.clock.now() - this.startedAt) / 1000 });
    this.log.info(bot ? 'call answered' : 'call answered for the fallback');
    return call;
  }

  private startMessage(decision: RouteDecision, target: BotTarget, plan: MediaPlan, codec: string): StartMessage {
    return {
      type: 'start',
      callId: this.callId,
      sipCallId: this.signal.callId,
      from: this.signal.from.user,
      to: decision.number,
      trunk: decision.trunk,
      direction: 'inbound',
      headers: customHeaders(this.signal.headers),
      media: { encoding: 'L16', sampleRate: target.sampleRate, channels: 1, frameMs: 20, jitterBufferMs: announcedJitterMs(plan.jitterBuffer), codec },
    };
  }
}

/** `start.media.jitterBufferMs`: the fixed delay, or the most an adaptive buffer may add (its maximum). */
function announcedJitterMs(mode: JitterBufferMode): number {
  return mode.mode === 'fixed' ? mode.delayMs : mode.maxMs;
}

/**
 * Answers a failed setup: the catalogued status (and Retry-After), the bot stopped, the log line, the metric.
 * Returns the final status sent (487 after a CANCEL) and its reason, for the call's record.
 */
export function rejectInbound(
  signal: IncomingCallSignal,
  err: unknown,
  bot: BotControl | undefined,
  deps: InboundCallDeps,
  log: Logger,
  labels: CallLabels = {},
): { sipStatus: number; reason: string } {
  const failure = classifyFailure(err);
  bot?.stop(failure.reason === 'caller-cancelled' ? 'caller-cancelled' : 'error');
  if (signal.cancelled) {
    log.info('call cancelled by caller before answer');
    deps.observer.callRejected('inbound', 487, { ...labels, reason: 'caller-cancelled' });
    return { sipStatus: 487, reason: 'caller-cancelled' };
  }
  log[failure.level]({ status: failure.sipStatus, reason: failure.reason, err: failure.logErr }, 'call rejected');
  signal.reject(failure.sipStatus, undefined, Object.keys(failure.sipHeaders).length > 0 ? failure.sipHeaders : undefined);
  deps.observer.callRejected('inbound', failure.sipStatus, { ...labels, reason: failure.reason });
  return { sipStatus: failure.sipStatus, reason: failure.reason };
}

/** Only X- headers reach the bot: carriers put call metadata there, and the rest is transport noise. */
function customHeaders(headers: ReadonlyArray<readonly [string, string]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of headers) {
    if (/^x-/i.test(name) && out[name] === undefined) out[name] = value;
  }
  return out;
}
