/**
 * `mode: pstn`: a call bridged to its forward target without a bot (a B2BUA leg pair). The caller is answered
 * only when the target answers (its 180 is relayed, its failure status is returned to the caller), and audio is
 * relayed leg to leg through two media sessions (decoded and re-encoded, so the legs may use different codecs).
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { CallRejectedError, errorCodeOf, sipStatusOf, TrunkbridgeError } from '../core/errors.js';
import type { ForwardToConfig, OutboundTrunkConfig } from '../trunks/index.js';
import { MediaSession, type RtpSocket } from '../media/index.js';
import { RtpHold } from './rtp-hold.js';
import { createOffer, negotiateAnswer, parseAnswer } from '../sdp/index.js';
import type { RouteDecision } from '../trunks/index.js';
import type { CallObserver, EndReason } from './call-events.js';
import { trunkCallRequest, uriCallRequest } from './outbound-request.js';
import type { DialogSignal, IncomingCallSignal, OutgoingCallRequest, OutgoingCallSignal } from './signaling.js';

/** What a pstn-mode call needs. */
export interface PstnCallDeps {
  clock: Clock;
  logger: Logger;
  observer: CallObserver;
  placeCall?(request: OutgoingCallRequest): OutgoingCallSignal;
  outboundTrunk(name: string): OutboundTrunkConfig | undefined;
  allocateRtp(): Promise<RtpSocket>;
  mediaAddress: string;
  codecPreference: string[];
  latching: 'any' | 'same-ip' | 'off';
  /** Our host:port for From URIs on legs to SIP URIs. */
  advertisedHost(): string;
}

/** Relay audio at the telephone rate: no resampling on either leg for G.711. */
const RELAY_RATE = 8000;

/** An answered pstn-mode call: two dialogs, two media sessions, ended together. */
export class PstnCall {
  private endReason: EndReason | undefined;
  private readonly startedAt: number;
  private readonly listeners: Array<(reason: EndReason, seconds: number) => void> = [];
  private byes: Promise<unknown> = Promise.resolve();

  constructor(
    readonly id: string,
    private readonly legs: Array<{ dialog: DialogSignal; media: MediaSession }>,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.startedAt = clock.now();
    const [a, b] = legs;
    a.media.on('frame', (f: Buffer) => b.media.playAudio(f));
    b.media.on('frame', (f: Buffer) => a.media.playAudio(f));
    a.dialog.on('terminated', () => this.end('caller-hangup'));
    // The forwarded party hanging up ends the call as well; reported as a hangup from the far side.
    b.dialog.on('terminated', () => this.end('caller-hangup'));
    a.media.start();
    b.media.start();
  }

  get ended(): boolean {
    return this.endReason !== undefined;
  }

  onEnded(listener: (reason: EndReason, seconds: number) => void): void {
    this.listeners.push(listener);
  }

  /** Settles once the BYEs sent by {@link end} are answered (or timed out). */
  get hangupDone(): Promise<void> {
    return this.byes.then(() => undefined);
  }

  end(reason: EndReason): void {
    if (this.endReason) return;
    this.endReason = reason;
    const seconds = (this.clock.now() - this.startedAt) / 1000;
    this.log.info({ reason, durationSeconds: Math.round(seconds * 10) / 10 }, 'pstn call ended');
    const byes: Array<Promise<void>> = [];
    for (const leg of this.legs) {
      leg.media.close();
      if (!leg.dialog.terminated) byes.push(leg.dialog.hangup().catch((err: unknown) => this.log.warn({ err }, 'BYE failed')));
    }
    this.byes = Promise.all(byes);
    for (const l of this.listeners) l(reason, seconds);
  }
}

function forwardRequest(f: ForwardToConfig, signal: IncomingCallSignal, sdp: string, deps: PstnCallDeps): OutgoingCallRequest {
  const ringTimeoutMs = f.ringTimeoutSec * 1000;
  const caller = signal.from.user;
  if (f.number !== undefined) {
    const trunk = deps.outboundTrunk(f.trunk ?? '');
    if (!trunk) throw new CallRejectedError(500, 'unknown-trunk', `forwardTo trunk "${f.trunk ?? ''}" is not configured`);
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
): Promise<PstnCall | undefined> {
  const id = randomUUID();
  const log = deps.logger.child({ callId: id, sipCallId: signal.callId });
  let rtpA: RtpSocket | undefined;
  let rtpB: RtpSocket | undefined;
  let out: OutgoingCallSignal | undefined;
  let mediaA: MediaSession | undefined;
  let mediaB: MediaSession | undefined;
  let dialogB: DialogSignal | undefined;
  let holdB: RtpHold | undefined;
  try {
    if (!deps.placeCall) throw new CallRejectedError(503, 'no-outbound', 'this engine cannot place calls');
    if (signal.sdp === undefined) throw new CallRejectedError(488, 'no-sdp-offer', 'INVITE without SDP is not supported');
    rtpA = await deps.allocateRtp();
    rtpB = await deps.allocateRtp();
    // The callee's first words arrive while the caller's leg is still being answered (200, ACK): hold them.
    holdB = new RtpHold(rtpB);
    const answerA = negotiateAnswer(signal.sdp, { localAddress: deps.mediaAddress, localPort: rtpA.port, codecPreference: deps.codecPreference });
    const offerB = createOffer({ localAddress: deps.mediaAddress, localPort: rtpB.port, codecs: deps.codecPreference });
    const request = forwardRequest(decision.forwardTo, signal, offerB, deps);
    log.info({ trunk: decision.trunk, to: request.requestUri }, 'pstn mode: forwarding call');
    out = deps.placeCall(request);
    const outgoing = out;
    signal.on('cancel', () => outgoing.cancel());
    out.on('progress', (status) => signal.progress(status === 183 ? 180 : status));
    const answered = await out.answered;
    holdB.answered();
    dialogB = answered.dialog;
    const negotiatedB = parseAnswer(deps.codecPreference, answered.sdp);
    mediaB = new MediaSession({
      clock: deps.clock, logger: log.child({ leg: 'b' }), socket: rtpB, codec: negotiatedB.codec, payloadType: negotiatedB.payloadType,
      remote: negotiatedB.remote, ptimeMs: negotiatedB.ptimeMs, appSampleRate: RELAY_RATE, idleFill: 'silence', latching: deps.latching,
    });
    rtpB = undefined;
    if (signal.cancelled) throw new CallRejectedError(487, 'caller-cancelled', 'caller cancelled');
    mediaA = new MediaSession({
      clock: deps.clock, logger: log.child({ leg: 'a' }), socket: rtpA, codec: answerA.codec, payloadType: answerA.payloadType,
      remote: answerA.remote, ptimeMs: answerA.ptimeMs, appSampleRate: RELAY_RATE, idleFill: 'silence', latching: deps.latching,
      receivable: answerA.receivable,
    });
    rtpA = undefined;
    const dialogA = await signal.accept(answerA.answerSdp);
    const call = new PstnCall(id, [{ dialog: dialogA, media: mediaA }, { dialog: dialogB, media: mediaB }], deps.clock, log);
    holdB.replay();
    deps.observer.callAnswered('inbound');
    log.info({ codecA: answerA.codec.name, codecB: negotiatedB.codec.name }, 'pstn call bridged');
    return call;
  } catch (err) {
    holdB?.release();
    rtpA?.close();
    rtpB?.close();
    mediaA?.close();
    mediaB?.close();
    if (dialogB && !dialogB.terminated) void dialogB.hangup();
    const status = sipStatusOf(err);
    const reason = err instanceof CallRejectedError ? err.reason : errorCodeOf(err);
    if (signal.cancelled) {
      deps.observer.callRejected('inbound', 487);
      return undefined;
    }
    log[err instanceof TrunkbridgeError ? 'info' : 'error']({ status, reason, err: err instanceof TrunkbridgeError ? err.message : err }, 'pstn call failed');
    signal.reject(status >= 300 && status <= 699 ? status : 500);
    deps.observer.callRejected('inbound', status);
    return undefined;
  }
}
