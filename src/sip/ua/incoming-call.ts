import type { TimerHandle } from '../../core/clock.js';
import { CallRejectedError, TransactionTimeoutError } from '../../core/errors.js';
import { TypedEmitter } from '../../core/typed-emitter.js';
import { Dialog } from '../dialog/dialog.js';
import { Uas2xxRetransmitter } from '../dialog/uas-2xx-retransmitter.js';
import { callIdOf, cseqOf, fromOf, toOf } from '../message/accessors.js';
import { canonicalHeaderName } from '../message/header-names.js';
import type { SipRequest } from '../message/types.js';
import { parseUri } from '../message/uri.js';
import type { InviteServerTransaction } from '../transaction/invite-server.js';
import type { SipEndpoint, Transport } from '../transport/transport.js';
import type { UaCore } from './core.js';
import { sdpOf } from './body.js';
import { sessionTimerHeaders, type SessionTimerDecision } from './session-timer.js';
import { DialogSession } from './dialog-session.js';
import { partyFromNameAddr, partyFromUri, type Party } from './party.js';

/** An {@link IncomingCall}'s events: 'cancel' when the caller CANCELled before our final response. */
export interface IncomingCallEvents {
  cancel: () => void;
}

/**
 * A new INVITE waiting for call control's decision (structurally calls/ IncomingCallSignal). All responses
 * share one To-tag (§8.2.6.2: the UAS picks it once for the dialog it may create).
 */
export class IncomingCall extends TypedEmitter<IncomingCallEvents> {
  readonly callId: string;
  readonly requestUri: Party;
  readonly from: Party;
  readonly to: Party;
  readonly sdp: string | undefined;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  private cancelledByPeer = false;
  private finalSent = false;
  private readonly unregisterCancel: () => void;
  private readonly giveUpTimer: TimerHandle | undefined;
  /** The transaction ended before a final response (transport error, shutdown). */
  private readonly onTxTerminated = (): void => this.release();

  /** The session timer asked for in the INVITE (RFC 4028), set by the UA before the call is handed out. */
  sessionTimer: SessionTimerDecision = { kind: 'none' };

  constructor(
    readonly request: SipRequest,
    private readonly tx: InviteServerTransaction,
    readonly source: SipEndpoint,
    private readonly transport: Transport,
    readonly localTag: string,
    private readonly core: UaCore,
  ) {
    super();
    this.callId = callIdOf(request);
    this.requestUri = partyFromUri(parseUri(request.uri), request.uri);
    this.from = partyFromNameAddr(fromOf(request));
    this.to = partyFromNameAddr(toOf(request));
    const body = sdpOf(request);
    this.sdp = body.kind === 'sdp' ? body.sdp : undefined;
    this.headers = request.headers.entries().map(([n, v]) => [canonicalHeaderName(n), v] as const);
    this.unregisterCancel = core.registerCancellable(tx, localTag, () => this.cancelByPeer());
    tx.once('terminated', this.onTxTerminated);
    // Safety net: an INVITE server transaction has no timeout of its own while Proceeding (§17.2.1), so a
    // call nobody answers would live forever if the caller vanished without CANCEL.
    this.giveUpTimer = core.clock.setTimeout(() => {
      if (this.finalSent) return;
      core.logger.warn({ sipCallId: this.callId }, 'INVITE not answered in time; 408');
      this.reject(408);
    }, core.pendingInviteTimeoutMs);
  }

  get cancelled(): boolean {
    return this.cancelledByPeer;
  }

  header(name: string): string | undefined {
    return this.request.headers.get(name);
  }

  /** 1xx (not 100): 180 Ringing, 183 Session Progress with early media SDP. Ignored once final. */
  progress(status: number, sdp?: string): void {
    if (this.finalSent) return;
    if (!Number.isInteger(status) || status <= 100 || status >= 200) {
      this.core.logger.warn({ sipCallId: this.callId, status }, 'progress() needs a 101-199 status; ignored');
      return;
    }
    this.core.respond(this.tx, status, {
      toTag: this.localTag,
      dialog: true,
      transport: this.transport,
      copyRecordRoute: true,
      ...(sdp !== undefined ? { body: sdp, contentType: 'application/sdp' } : {}),
    });
  }

  /** Final error response (>= 300). Later calls and calls after accept/cancel are ignored. */
  reject(status: number, reason?: string, extraHeaders?: Record<string, string | readonly string[]>): void {
    if (this.finalSent) return;
    let code = status;
    if (!Number.isInteger(code) || code < 300 || code > 699) {
      this.core.logger.warn({ sipCallId: this.callId, status }, 'reject() needs a 300-699 status; sending 500');
      code = 500;
    }
    this.finalSent = true;
    this.release();
    this.core.respond(this.tx, code, {
      toTag: this.localTag,
      ...(reason !== undefined ? { reason } : {}),
      // An array value becomes one header line per element (WWW-Authenticate may not be comma-joined, §7.3.1).
      headers: Object.entries(extraHeaders ?? {}).flatMap(([n, v]) => (typeof v === 'string' ? [[n, v] as const] : v.map((x) => [n, x] as const))),
    });
  }

  /**
   * 200 OK with the SDP answer; resolves with the dialog on ACK. The 2xx is retransmitted by the UAS core
   * until then; after 64*T1 without ACK the promise rejects with {@link TransactionTimeoutError} and a BYE
   * is sent (§13.3.1.4).
   */
  accept(sdpAnswer: string): Promise<DialogSession> {
    if (this.cancelledByPeer) {
      return Promise.reject(new CallRejectedError('caller-cancelled', 'call was cancelled before accept'));
    }
    if (this.finalSent) {
      return Promise.reject(new CallRejectedError('internal', 'a final response was already sent'));
    }
    let dialog: Dialog;
    try {
      dialog = Dialog.asUas(this.request, this.localTag);
    } catch (err) {
      this.reject(500);
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    this.finalSent = true;
    this.release();
    const session = new DialogSession(dialog, this.transport, this.core, sdpAnswer);
    const ok = this.core.respond(this.tx, 200, {
      toTag: this.localTag,
      dialog: true,
      transport: this.transport,
      copyRecordRoute: true,
      body: sdpAnswer,
      contentType: 'application/sdp',
      headers: sessionTimerHeaders(this.sessionTimer),
    });
    return new Promise<DialogSession>((resolve, reject) => {
      const retransmitter = new Uas2xxRetransmitter(
        this.core.clock,
        this.core.timers,
        this.transport.reliable,
        () => this.core.resend(ok, this.transport),
        () => {
          stopWaiting();
          session.detachPendingAck();
          this.core.logger.warn({ sipCallId: this.callId }, 'no ACK for 200 OK within 64*T1; sending BYE');
          reject(new TransactionTimeoutError('no ACK received for 200 OK'));
          void session.hangup('ack-timeout');
        },
      );
      const stopWaiting = this.core.expectAck(dialog, cseqOf(this.request).seq, (ack) => {
        const body = sdpOf(ack);
        if (body.kind === 'sdp') session.ackSdp = body.sdp;
        retransmitter.stop();
        session.detachPendingAck();
        session.startSessionTimer(this.sessionTimer);
        resolve(session);
      });
      // A BYE that overtakes the ACK (UDP reordering) confirms the dialog too (§15: the caller sent ACK first).
      session.setPendingAck(() => {
        retransmitter.stop();
        stopWaiting();
        session.startSessionTimer(this.sessionTimer);
        resolve(session);
      }, (err: Error) => {
        retransmitter.stop();
        stopWaiting();
        reject(err);
      });
      retransmitter.start();
    });
  }

  /** A throwing listener is a bug in call control: logged, never thrown into the CANCEL handling. */
  protected override onListenerError(err: unknown, event: string): void {
    this.core.logger.error({ err, sipCallId: this.callId }, `${event} listener threw`);
  }

  /**
   * After a final response no 'cancel' can come, and the transaction (which lives on until Timer L, 32 s
   * after a 2xx) must hold nothing of this call: not call control's listeners (and through them the media
   * session, bot socket, buffers: 10,000 short calls held ~40 KB each for those 32 s), nor this object with
   * its INVITE (whose body pins an 8 KB Buffer pool slab) through the UA's CANCEL table or a listener.
   */
  private release(): void {
    this.unregisterCancel();
    this.giveUpTimer?.cancel();
    this.tx.off('terminated', this.onTxTerminated);
    this.removeAllListeners('cancel');
  }

  /** CANCEL matched this INVITE before a final response (§9.2): 487 to the INVITE and a 'cancel' event. */
  private cancelByPeer(): void {
    if (this.finalSent) return;
    this.finalSent = true;
    this.cancelledByPeer = true;
    this.core.respond(this.tx, 487, { toTag: this.localTag });
    this.emit('cancel');
    this.release();
  }
}
