/**
 * Escalation of one answered call to a person, on the bot's command (or the HTTP API):
 *  - refer:  REFER to the caller's side; the carrier connects the caller and we leave.
 *  - bridge: we place a second call and relay audio caller <-> destination through two media sessions;
 *            the bot keeps the caller until the destination answers, and the caller stays with the bot if it
 *            does not.
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { classifyFailure, type FailureReason } from '../core/errors.js';
import type { TransferCommand, TransferEvent } from '../bot/index.js';
import { answeredLegMedia, dialLeg, type AnsweredLeg, type LegDial } from './dial-leg.js';
import { BOT_ENDPOINT, type CallMedia, type CallMediaGroup } from './media-engine.js';
import { trunkCallRequest, uriCallRequest } from './outbound-request.js';
import type { DialogSignal, OutgoingCallRequest, OutgoingCallSignal } from './signaling.js';
import { referToUri, resolveTransferTarget, type TransferPolicy, type TransferTarget } from './transfer-target.js';

/** What a call's transfers need from the rest of the bridge; built per call by its handler. */
export interface TransferServices {
  policy: TransferPolicy;
  placeCall?(request: OutgoingCallRequest): OutgoingCallSignal;
  mediaAddress: string;
  codecPreference: string[];
  idleFill: 'silence' | 'none';
  latching: 'any' | 'same-ip' | 'off';
  /** Our host:port for URIs we write (Referred-By, From of a bridged leg to a SIP URI). */
  advertisedHost: string;
  /** The caller's number (caller ID on a bridged leg) and the number they called (Referred-By). */
  callerNumber: string;
  calledNumber: string;
  /** Bot sample rate: both media sessions deliver and take audio at this rate. */
  appSampleRate: number;
  /** How long to wait for the NOTIFY with a final status after a REFER was accepted. */
  referTimeoutMs?: number;
  /** Toll-fraud cap: takes a transfer slot (returns its release) or throws CallRejectedError 'transfer-limit'. */
  acquireTransferSlot?(): () => void;
}

/** The call a transfer acts on (implemented by BridgedCall). */
export interface TransferHost {
  readonly log: Logger;
  readonly clock: Clock;
  readonly dialog: DialogSignal;
  /** The caller's leg. */
  readonly media: CallMedia;
  /** The call's media: the destination's leg is placed there and audio rerouted there. */
  readonly group: CallMediaGroup;
  notifyBot(e: TransferEvent): void;
  /** The bot leaves the call (`stop` reason "transfer"); the call goes on. */
  releaseBot(): void;
  end(reason: 'transfer'): void;
  /** A transfer was allowed and begins: what it dials or refers to, and how (for the call's record). */
  started?(t: { to: string; method: 'refer' | 'bridge'; target: string }): void;
  /** A transfer's final event (refused ones included), whoever asked for it (bot, API, fallback). */
  finished?(cmd: Pick<TransferCommand, 'to' | 'method'>, e: TransferEvent): void;
  /** A transfer finished: its method (refer, bridge; `none` when refused before one was chosen) and final status. */
  done?(method: string, status: string): void;
}

function failed(reason: FailureReason | 'error', sipStatus?: number): TransferEvent {
  return sipStatus === undefined ? { type: 'transfer', status: 'failed', reason } : { type: 'transfer', status: 'failed', sipStatus, reason };
}

/** One call's transfer state: at most one transfer at a time; after a bridge answers, no more. */
export class TransferController {
  private busy = false;
  /** The command being run: its final event is reported with it. */
  private current: Pick<TransferCommand, 'to' | 'method'> | undefined;
  private pending: LegDial | undefined;
  private leg: AnsweredLeg | undefined;
  private closed = false;
  /** The transfer slot a bridged destination holds while it is up. */
  private releaseSlot: (() => void) | undefined;

  constructor(
    private readonly host: TransferHost,
    private readonly services: TransferServices,
  ) {}

  /** True while a transfer is under way (a destination ringing, a REFER waiting for its outcome). */
  get running(): boolean {
    return this.busy;
  }

  /** True once a bridged destination answered: caller audio goes to the destination, not to the bot. */
  get bridged(): boolean {
    return this.leg !== undefined;
  }

  /**
   * Runs a transfer; progress events go to the bot as they happen and the final one (completed, answered or
   * failed) is also the resolved value.
   */
  async run(cmd: Pick<TransferCommand, 'to' | 'trunk' | 'method' | 'listen'>): Promise<TransferEvent> {
    if (this.busy || this.leg || this.closed) return this.report(failed('in-progress'), cmd);
    this.current = cmd;
    let target: TransferTarget;
    try {
      target = resolveTransferTarget(cmd, this.services.policy);
    } catch (err) {
      const { reason } = classifyFailure(err);
      this.host.log.warn({ to: cmd.to, reason }, 'transfer refused');
      this.host.done?.('none', 'failed');
      return this.report(failed(reason));
    }
    let release: (() => void) | undefined;
    try {
      release = this.services.acquireTransferSlot?.();
    } catch (err) {
      const { reason } = classifyFailure(err);
      this.host.log.warn({ to: cmd.to, reason }, 'transfer refused');
      return this.report(failed(reason));
    }
    this.busy = true;
    try {
      const dialled = target.kind === 'number' ? target.e164 : target.uri;
      this.host.log.info({ to: cmd.to, method: target.method, target: dialled }, 'transfer started');
      this.host.started?.({ to: cmd.to, method: target.method, target: dialled });
      const e = target.method === 'refer' ? await this.refer(target) : await this.bridge(target, cmd.listen === true);
      this.host.done?.(target.method, e.status);
      return e;
    } finally {
      this.busy = false;
      // A bridged destination keeps its slot until the call ends; anything else gives it back now.
      if (this.leg && !this.closed) this.releaseSlot = release;
      else release?.();
    }
  }

  /** Ends the destination leg (the call is ending). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.releaseSlot?.();
    this.releaseSlot = undefined;
    this.pending?.cancel();
    const leg = this.leg;
    this.leg = undefined;
    leg?.hangUp();
  }

  /** Tells the bot; a final event also goes to the call's record, before anything it causes (the call's end). */
  private report(e: TransferEvent, cmd = this.current): TransferEvent {
    this.host.notifyBot(e);
    if (e.status !== 'ringing' && cmd) this.host.finished?.(cmd, e);
    return e;
  }

  private async refer(target: TransferTarget): Promise<TransferEvent> {
    const dialog = this.host.dialog;
    if (!dialog.refer) return this.report(failed('refer-unsupported'));
    const referTo = referToUri(target);
    const referredBy = `sip:${this.services.calledNumber || 'trunkbridge'}@${this.services.advertisedHost}`;
    const outcome = await dialog.refer(referTo, { referredBy, timeoutMs: this.services.referTimeoutMs ?? 32_000 });
    if (this.closed) return failed('call-ended', outcome.sipStatus);
    if (!outcome.ok) {
      this.host.log.info({ referTo, sipStatus: outcome.sipStatus }, 'REFER transfer failed; the bot keeps the call');
      return this.report(failed('refer-failed', outcome.sipStatus));
    }
    this.host.log.info({ referTo, sipStatus: outcome.sipStatus }, 'REFER transfer completed');
    const done = this.report({ type: 'transfer', status: 'completed' });
    this.host.end('transfer');
    return done;
  }

  private async bridge(target: TransferTarget, listen: boolean): Promise<TransferEvent> {
    const s = this.services;
    const placeCall = s.placeCall;
    if (!placeCall) return this.report(failed('bridge-unsupported'));
    let leg: AnsweredLeg;
    try {
      const dial = await dialLeg(
        { media: this.host.group, placeCall, mediaAddress: s.mediaAddress, codecPreference: s.codecPreference },
        {
          request: (sdp) => this.legRequest(target, sdp),
          media: (a) => answeredLegMedia(a, { logger: this.host.log.child({ leg: 'transfer' }), appSampleRate: s.appSampleRate, idleFill: s.idleFill, latching: s.latching }),
          log: this.host.log,
        },
      );
      this.pending = dial;
      this.reportRinging(dial);
      leg = await dial.answered;
    } catch (err) {
      const failure = classifyFailure(err);
      const reason = failure.reason === 'internal' ? 'error' : failure.reason;
      this.host.log.info({ sipStatus: failure.sipStatus, reason }, 'bridged transfer failed; the bot keeps the caller');
      return this.closed ? failed(reason, failure.sipStatus) : this.report(failed(reason, failure.sipStatus));
    } finally {
      this.pending = undefined;
    }
    if (this.closed) {
      leg.hangUp();
      return failed('call-ended');
    }
    this.connect(leg, listen);
    const ev = this.report({ type: 'transfer', status: 'answered' });
    this.host.log.info({ listen }, 'bridged transfer answered');
    if (!listen) this.host.releaseBot();
    return ev;
  }

  /** The first provisional response tells the bot the destination is ringing (once). */
  private reportRinging(dial: LegDial): void {
    let ringing = false;
    dial.onProgress(() => {
      if (ringing || this.closed) return;
      ringing = true;
      this.report({ type: 'transfer', status: 'ringing' });
    });
  }

  /**
   * The destination answered: caller and destination hear each other instead of the bot (whose queued audio is
   * dropped); with `listen` the bot hears both, mixed, the caller's clock setting the pace.
   */
  private connect(leg: AnsweredLeg, listen: boolean): void {
    this.leg = leg;
    const caller = this.host.media.id;
    const agent = leg.media.id;
    this.host.group.route({ [caller]: [agent], [agent]: [caller], [BOT_ENDPOINT]: listen ? [caller, agent] : [] });
    leg.dialog.on('terminated', () => {
      if (this.closed) return;
      this.host.log.info('transfer destination hung up; ending the call');
      this.host.end('transfer');
    });
    leg.media.start();
  }

  private legRequest(target: TransferTarget, sdp: string): OutgoingCallRequest {
    const s = this.services;
    if (target.kind === 'number') {
      const from = target.callerId === 'caller' && /^\+?\d{6,15}$/.test(s.callerNumber) ? s.callerNumber : undefined;
      return trunkCallRequest(target.trunk, { to: target.e164, ...(from ? { from } : {}), sdp, ringTimeoutMs: target.ringTimeoutMs });
    }
    const user = /^\+?\d{6,15}$/.test(s.callerNumber) ? s.callerNumber : 'trunkbridge';
    return uriCallRequest(target.uri, {
      fromUser: user,
      ourHost: s.advertisedHost,
      sdp,
      ringTimeoutMs: target.ringTimeoutMs,
      ...(target.credentials ? { credentials: target.credentials } : {}),
    });
  }
}
