import { randomUUID } from 'node:crypto';
import type { Logger } from '../core/logger.js';
import { CallRejectedError, classifyFailure } from '../core/errors.js';
import type { BotTarget, StartMessage } from '../bot/index.js';
import type { OutboundTrunkConfig } from '../trunks/index.js';
import { BridgedCall } from './bridged-call.js';
import { answeredLegMedia, dialLeg, type AnsweredLeg, type LegDial } from './dial-leg.js';
import type { InboundCallDeps } from './inbound-call-handler.js';
import { checkCustomHeaders, trunkCallRequest } from './outbound-request.js';
import { botConnectFailureReason } from './bot-connect-failure.js';
import type { OutgoingCallRequest, OutgoingCallSignal } from './signaling.js';
import { BOT_ENDPOINT, type BotControl, type CallMediaGroup } from './media-engine.js';
import { REJECT, type BotFallback } from './bot-fallback.js';
import type { RingingCallInfo } from './call.js';

/** What placing a call needs besides the inbound dependencies. */
export interface OutboundCallDeps extends Omit<InboundCallDeps, 'route'> {
  /** Toll-fraud cap per outbound trunk: throws CallRejectedError 'outbound-rate-limit' when over it. */
  admitOutboundCall?(trunk: string): void;
  placeCall(request: OutgoingCallRequest): OutgoingCallSignal;
  outboundTrunk(name: string): OutboundTrunkConfig | undefined;
  findBot(name: string): BotTarget | undefined;
  /** The outbound trunk's `fallback`, for calls placed through it; undefined: reject (cancel, or BYE once answered). */
  outboundFallback?(trunk: string): BotFallback | undefined;
}

/** `POST /v1/calls` body, validated. */
export interface PlaceCallRequest {
  to: string;
  trunk: string;
  bot: string;
  from?: string;
  headers?: Record<string, string>;
  ringTimeoutSec?: number;
  /** Start the bot at 183 with early media (`start` has `"early":true`, `answered` follows on 200). */
  earlyMedia?: boolean;
  /** This id instead of a new one (the Twilio shim gave out its call SID before dialling); must be unique. */
  callId?: string;
  /** Added to the bot's `parameters` for this call (its dialect's custom parameters: the Twilio shim's TwiML). */
  parameters?: Record<string, string>;
}

const DEFAULT_RING_TIMEOUT_SEC = 45;

/** A call being placed: its ids at once, the bridged call once answered. */
export interface PlacedCall {
  callId: string;
  sipCallId: string;
  /** Resolves with the bridged call on answer; rejects with CallRejectedError (SIP status) otherwise. */
  answered: Promise<BridgedCall>;
  /** The call while it rings, as the calls API shows it. */
  ringing(): RingingCallInfo;
  /**
   * Ends the call before the answer: CANCEL (an answer that crossed it is hung up with BYE), the bot gets `stop`
   * with `reason`, `answered` rejects with reason "cancelled". False once answered: end the live call instead.
   */
  cancel(reason: 'api-hangup' | 'shutdown'): boolean;
}

/**
 * Places a call through an outbound trunk and, on answer, bridges it to `bot` (which gets `start` with
 * direction "outbound"). The bot's socket is opened while the phone rings, so the callee hears the bot at
 * once. Validation errors throw synchronously (CallRejectedError: 404 unknown trunk/bot, 484 bad number,
 * 400 bad header).
 */
export function placeOutboundCall(req: PlaceCallRequest, deps: OutboundCallDeps): Promise<PlacedCall> {
  const trunk = deps.outboundTrunk(req.trunk);
  if (!trunk) throw new CallRejectedError('unknown-trunk', `no outbound trunk "${req.trunk}"`);
  const found = deps.findBot(req.bot);
  if (!found) throw new CallRejectedError('unknown-bot', `no bot "${req.bot}"`);
  const target = req.parameters === undefined ? found : { ...found, parameters: { ...found.parameters, ...req.parameters } };
  checkCustomHeaders(req.headers);
  // Validate the number before taking a port.
  trunkCallRequest(trunk, { to: req.to, ...(req.from ? { from: req.from } : {}), sdp: '', ringTimeoutMs: 0 });
  // Toll-fraud cap: a valid request is counted before anything is dialled.
  deps.admitOutboundCall?.(trunk.name);
  return start(req, trunk, target, deps);
}

async function start(req: PlaceCallRequest, trunk: OutboundTrunkConfig, target: BotTarget, deps: OutboundCallDeps): Promise<PlacedCall> {
  const callId = req.callId ?? randomUUID();
  const startedAt = deps.clock.now();
  const placedAt = Date.now(); // wall clock, for the API (answeredAt is too)
  let log = deps.logger.child({ callId, trunk: trunk.name });
  let built: ReturnType<typeof trunkCallRequest> | undefined;
  const group = deps.media.openCall({ callId, logger: log });
  const dial = await dialLeg(
    { media: group, placeCall: deps.placeCall, mediaAddress: deps.mediaAddress, codecPreference: deps.codecPreference },
    {
      request: (sdp) => {
        const ringTimeoutMs = (req.ringTimeoutSec ?? DEFAULT_RING_TIMEOUT_SEC) * 1000;
        built = trunkCallRequest(trunk, { to: req.to, ...(req.from ? { from: req.from } : {}), sdp, headers: checkCustomHeaders(req.headers), ringTimeoutMs });
        return built;
      },
      media: (a) => answeredLegMedia(a, { logger: log, appSampleRate: target.sampleRate, idleFill: deps.idleFill, latching: deps.latching }),
      log,
    },
  ).catch((err: unknown) => {
    group.close();
    throw err;
  });
  log = deps.logger.child({ callId, sipCallId: dial.sipCallId, trunk: trunk.name });
  const request = built!;
  log.info({ to: request.e164, trunk: trunk.name, bot: target.name }, 'placing outbound call');
  deps.observer.record?.({ type: 'offered', callId, sipCallId: dial.sipCallId, direction: 'outbound', from: request.fromUser, to: request.e164, trunk: trunk.name, bot: target.name });
  const startMessage = (early: boolean): StartMessage => ({
    type: 'start',
    callId,
    sipCallId: dial.sipCallId,
    from: request.fromUser,
    to: request.e164,
    trunk: trunk.name,
    direction: 'outbound',
    ...(early ? { early: true } : {}),
    headers: Object.fromEntries(checkCustomHeaders(req.headers)),
    media: { encoding: 'L16', sampleRate: target.sampleRate, channels: 1, frameMs: 20 },
  });
  const setup = new OutboundSetup(
    {
      callId, trunk: trunk.name, startedAt, dial, group, target, numbers: { e164: request.e164, fromUser: request.fromUser }, earlyMedia: req.earlyMedia === true, startMessage,
      fallback: deps.outboundFallback?.(trunk.name) ?? REJECT,
    },
    deps,
    log,
  );
  return {
    callId,
    sipCallId: dial.sipCallId,
    answered: setup.run(),
    cancel: (reason) => setup.cancel(reason),
    ringing: () => ({
      callId, sipCallId: dial.sipCallId, state: 'ringing', direction: 'outbound', trunk: trunk.name, bot: target.name, from: request.fromUser, to: request.e164,
      placedAt: new Date(placedAt).toISOString(), ringingSec: Math.round((deps.clock.now() - startedAt) / 100) / 10, ...(setup.early ? { earlyMedia: true } : {}),
    }),
  };
}

/** One call being placed, as {@link OutboundSetup} drives it. */
interface OutboundCall {
  callId: string;
  trunk: string;
  /** When the call was placed, on the clock (setup time: -> 200 OK). */
  startedAt: number;
  dial: LegDial;
  group: CallMediaGroup;
  target: BotTarget;
  numbers: { e164: string; fromUser: string };
  earlyMedia: boolean;
  startMessage: (early: boolean) => StartMessage;
  /** When the bot cannot be reached, or drops mid-call and does not come back. */
  fallback: BotFallback;
}

/**
 * From ringing to a bridged call: the bot's socket opens while the phone rings, early media (183) may start
 * the bot before the answer, and every failure ends leg and bot together. A bot that cannot be reached cancels
 * the call, unless the trunk's fallback plays or transfers: the call then rings on and the callee, once it
 * answers, gets the fallback.
 */
class OutboundSetup {
  private readonly botPromise: Promise<BotControl>;
  private bot: BotControl | undefined;
  private earlyTask: Promise<void> | undefined;
  /** The bot heard the far end before the answer (183 early media). */
  private earlyStarted = false;
  private settled = false;
  /** Answered and bridged: from now on the call ends as a live call, not by cancel. */
  private bridged = false;
  /** Why the call was cancelled before its answer (the bot's `stop` reason), if it was. */
  private cancelledFor: 'api-hangup' | 'shutdown' | undefined;
  private readonly dial: LegDial;

  constructor(
    private readonly call: OutboundCall,
    private readonly deps: OutboundCallDeps,
    private readonly log: Logger,
  ) {
    this.dial = call.dial;
    this.botPromise = call.group.connectBot(call.target);
    this.botPromise.catch(() => {}); // observed below; never an unhandled rejection while the phone rings
  }

  async run(): Promise<BridgedCall> {
    try {
      this.dial.onProgress((status, sdp) => {
        this.log.info({ status }, 'outbound call progress');
        if (this.call.earlyMedia && status === 183 && sdp !== undefined && !this.earlyTask) this.earlyTask = this.startEarly(sdp);
      });
      const [leg, bot] = await Promise.all([this.dial.answered, this.connectOrFallback()]);
      this.bot = bot;
      await this.earlyTask;
      // An answer that crossed the CANCEL, or came while the bot was still connecting: fail() hangs it up.
      if (this.cancelledFor) throw new CallRejectedError('cancelled', `cancelled before the answer (${this.cancelledFor})`);
      this.settled = true;
      this.bridged = true;
      return this.bridge(leg, bot);
    } catch (err) {
      return this.fail(err);
    }
  }

  /** The bot hears the far end already (183 early media). */
  get early(): boolean {
    return this.earlyStarted;
  }

  /** See {@link PlacedCall.cancel}: true unless the call was answered. */
  cancel(reason: 'api-hangup' | 'shutdown'): boolean {
    if (this.bridged) return false;
    if (this.settled || this.cancelledFor) return true; // failing or cancelled already: one CANCEL is enough
    this.cancelledFor = reason;
    this.log.info({ reason }, 'cancelling outbound call before the answer');
    this.dial.cancel();
    return true;
  }

  /**
   * The bot's socket. A bot that cannot be reached cancels the ringing call, unless the fallback plays or
   * transfers (then: undefined, and the answered call runs the fallback).
   */
  private connectOrFallback(): Promise<BotControl | undefined> {
    const started = this.deps.clock.now();
    return this.botPromise.then(
      (b) => {
        this.deps.observer.botConnected((this.deps.clock.now() - started) / 1000, this.call.target.name);
        return b;
      },
      (err: unknown) => {
        this.deps.observer.botConnectFailed(this.call.target.name, botConnectFailureReason(err));
        const fallback = this.call.fallback;
        if (fallback.action !== 'reject' && classifyFailure(err).reason === 'bot-unavailable') {
          this.log.warn({ err: (err as Error).message, fallback: fallback.action }, 'bot unavailable; the call rings on for the fallback');
          return undefined;
        }
        this.dial.cancel();
        throw err;
      },
    );
  }

  /** 183 with SDP: the bot starts hearing the far end before answer (ringback, announcements, voicemail). */
  private async startEarly(sdp: string): Promise<void> {
    const bot = await this.botPromise.catch(() => undefined);
    if (!bot || this.settled) return;
    const media = this.dial.openEarly(sdp);
    if (!media) return;
    this.earlyStarted = true;
    this.call.group.route({ [BOT_ENDPOINT]: [media.id] });
    bot.sendStart(this.call.startMessage(true));
    media.start(); // replays what the far end sent before
    this.log.info('early media streamed to the bot');
  }

  /** The answered call, with its bot (or, when the bot could not be reached, running the fallback). */
  private bridge(leg: AnsweredLeg, bot: BotControl | undefined): BridgedCall {
    const c = this.call;
    this.deps.observer.record?.({ type: 'answered', callId: c.callId, codec: leg.answer.codec.name });
    const transfers = this.deps.transfers?.({ callerNumber: c.numbers.e164, calledNumber: c.numbers.fromUser, appSampleRate: c.target.sampleRate });
    // A call we place is recorded as its bot says (no trunk or number of ours; no consent prompt: `start` went first).
    const rec = this.deps.recordingPolicy?.('', '', c.target.name);
    const call = new BridgedCall({
      id: c.callId, sipCallId: this.dial.sipCallId, dialog: leg.dialog, media: leg.media, group: c.group, ...(bot ? { bot } : {}),
      ...(rec ? { recording: { mode: rec.mode } } : {}),
      clock: this.deps.clock, log: this.log, observer: this.deps.observer, ...(transfers ? { transfers } : {}), fallback: c.fallback,
      summary: { bot: c.target.name, from: c.numbers.fromUser, to: c.numbers.e164, direction: 'outbound', trunk: c.trunk, codec: leg.answer.codec.name },
    });
    // `start` before the media starts: the callee's held first words reach a bot that knows the call.
    if (!leg.early) bot?.sendStart(c.startMessage(false));
    call.start();
    if (leg.early) bot?.sendEvent({ type: 'answered' });
    this.deps.observer.callAnswered('outbound', { trunk: c.trunk, bot: c.target.name, setupSeconds: (this.deps.clock.now() - c.startedAt) / 1000 });
    this.log.info({ codec: leg.answer.codec.name, remote: leg.answer.remote }, bot ? 'outbound call answered' : 'outbound call answered for the fallback');
    return call;
  }

  private async fail(err: unknown): Promise<never> {
    this.settled = true;
    await this.earlyTask?.catch(() => undefined);
    // The far end may have answered while the bot failed: that leg is ours to hang up.
    this.dial.answered.then((leg) => leg.hangUp(), () => {});
    const bot = this.bot ?? (await this.botPromise.catch(() => undefined));
    bot?.stop(this.cancelledFor ?? (this.earlyStarted ? 'not-answered' : 'error'));
    this.call.group.close();
    const failure = classifyFailure(err);
    this.log[failure.level]({ status: failure.sipStatus, reason: failure.reason, err: failure.logErr }, 'outbound call failed');
    this.deps.observer.callRejected('outbound', failure.sipStatus, { trunk: this.call.trunk, bot: this.call.target.name, reason: failure.reason });
    this.deps.observer.record?.({ type: 'rejected', callId: this.call.callId, sipStatus: failure.sipStatus, reason: failure.reason });
    throw err;
  }
}
