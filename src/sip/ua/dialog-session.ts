import { CallRejectedError } from '../../core/errors.js';
import { TypedEmitter } from '../../core/typed-emitter.js';
import type { Dialog } from '../dialog/dialog.js';
import { Uas2xxRetransmitter } from '../dialog/uas-2xx-retransmitter.js';
import { cseqOf } from '../message/accessors.js';
import type { SipRequest, SipResponse } from '../message/types.js';
import type { ServerTransaction } from '../transaction/layer.js';
import type { Transport } from '../transport/transport.js';
import { sdpOf } from './body.js';
import { decideSessionTimer, SessionTimer, sessionTimerHeaders, type SessionTimerDecision } from './session-timer.js';
import type { DialogRequestHandler, UaCore } from './core.js';
import { sendRefer, type ReferResult } from './refer.js';

type ReinviteListener = (offer: string | undefined, answer: (sdp: string) => void, reject: (status: number) => void) => void;

interface PendingAck {
  confirm: () => void;
  abort: (err: Error) => void;
}

/** A {@link DialogSession}'s events: calls/ DialogSignal's, plus 'notify' for our own REFER subscription. */
export interface DialogSessionEvents {
  bye: () => void;
  reinvite: ReinviteListener;
  info: (contentType: string, body: string) => void;
  terminated: (reason: string) => void;
  notify: (req: SipRequest) => void;
  /**
   * The session is over by RFC 4028 (no refresh in time, or our refresh got 481/408 or no answer): a BYE is on
   * its way, but a peer that vanished will not answer it, so 'terminated' may come only after Timer F (32 s).
   */
  expired: () => void;
}

/**
 * A confirmed dialog (structurally calls/ DialogSignal): answers in-dialog requests (BYE, re-INVITE, UPDATE,
 * INFO, OPTIONS), sends our BYE, and reports the end once through 'terminated'.
 */
export class DialogSession extends TypedEmitter<DialogSessionEvents> implements DialogRequestHandler {
  /** SDP carried by the ACK of the 200 OK: the answer when the INVITE had no offer (delayed offer, RFC 3261 §13.2.1). */
  ackSdp: string | undefined;
  readonly callId: string;
  private ended = false;
  private hangupPromise: Promise<void> | undefined;
  private pendingAck: PendingAck | undefined;
  /** The in-dialog INVITE waiting for our answer (§14.2: a second one gets 500). */
  private pendingReinvite: ServerTransaction | undefined;
  private reinviteRetransmitter: Uas2xxRetransmitter | undefined;
  private stopReinviteAck: (() => void) | undefined;
  private sessionTimer: SessionTimer | undefined;
  /** The reject of the re-INVITE/UPDATE being offered to listeners: a listener that throws answers 500. */
  private rejectOnListenerError: ((status: number) => void) | undefined;

  constructor(
    readonly dialog: Dialog,
    private readonly transport: Transport,
    private readonly core: UaCore,
    /** Last SDP we sent: answered again to an offer nobody handles. */
    private localSdp: string,
  ) {
    super();
    this.callId = dialog.callId;
    core.addDialog(dialog.key, this);
  }

  /**
   * Starts the RFC 4028 session timer negotiated in the INVITE/200: without a refresh in time the dialog ends
   * with BYE; when we are the refresher we send UPDATE at half the interval.
   */
  startSessionTimer(decision: SessionTimerDecision): void {
    if (decision.kind !== 'timer' || this.ended) return;
    this.sessionTimer = new SessionTimer(this.core.clock, decision, {
      onRefreshDue: () => this.sendRefresh(),
      onExpired: () => {
        this.core.logger.info({ sipCallId: this.callId, interval: this.sessionTimer?.current.interval }, 'session timer expired without refresh; sending BYE');
        this.expire();
      },
    });
    this.sessionTimer.refreshed();
  }

  get terminated(): boolean {
    return this.ended;
  }

  /** Set by IncomingCall while the initial 2xx waits for its ACK. */
  setPendingAck(confirm: () => void, abort: (err: Error) => void): void {
    this.pendingAck = { confirm, abort };
  }

  detachPendingAck(): void {
    this.pendingAck = undefined;
  }

  /** Sends BYE (§15.1.1); resolves on its final response, timeout or transport error. Safe to call twice. */
  hangup(reason = 'local-bye'): Promise<void> {
    if (this.hangupPromise) return this.hangupPromise;
    if (this.ended) return Promise.resolve();
    this.stopReinvite();
    const bye = this.dialog.createRequest('BYE');
    this.hangupPromise = new Promise<void>((resolve) => {
      let tx;
      try {
        tx = this.core.sendInDialog(this.dialog, bye, this.transport);
      } catch (err) {
        this.core.logger.error({ err, sipCallId: this.callId }, 'could not send BYE');
        this.end(reason);
        resolve();
        return;
      }
      const done = () => {
        this.end(reason);
        resolve();
      };
      tx.on('response', (res: SipResponse) => {
        if (res.status >= 200) done();
      });
      tx.once('timeout', () => {
        this.core.logger.warn({ sipCallId: this.callId }, 'BYE timed out');
        done();
      });
      tx.once('transportError', (err: unknown) => {
        this.core.logger.warn({ err, sipCallId: this.callId }, 'BYE transport error');
        done();
      });
      tx.once('terminated', done);
    });
    return this.hangupPromise;
  }

  handleRequest(req: SipRequest, tx: ServerTransaction, transport: Transport): void {
    if (!this.dialog.acceptRemoteCSeq(req)) {
      this.core.respond(tx, 500, { reason: 'CSeq Out Of Order' });
      return;
    }
    switch (req.method) {
      case 'BYE':
        return this.onBye(tx);
      case 'INVITE':
        return this.onReinvite(req, tx, transport);
      case 'UPDATE':
        return this.onUpdate(req, tx, transport);
      case 'NOTIFY':
        return this.onNotify(req, tx);
      case 'INFO':
        this.core.respond(tx, 200, { transport });
        this.emitInfo(req);
        return;
      case 'OPTIONS':
        // INFO (RFC 6086) carries DTMF from some carriers; accepting it keeps the dialog alive.
        this.core.respond(tx, 200, { dialog: req.method === 'OPTIONS', transport });
        return;
      default:
        this.core.respond(tx, 405, { headers: [['Allow', this.allow()]] });
        return;
    }
  }

  /** Sends REFER and follows its NOTIFYs (see {@link sendRefer}). */
  refer(referTo: string, options: { referredBy: string; timeoutMs: number }): Promise<ReferResult> {
    if (this.ended) return Promise.resolve({ ok: false, sipStatus: 481 });
    const contact = this.core.dialogHeaders(this.transport).find(([n]) => n === 'Contact')?.[1] ?? '';
    return sendRefer(
      {
        dialog: this.dialog,
        clock: this.core.clock,
        logger: this.core.logger,
        contact,
        send: (req) => this.core.sendInDialog(this.dialog, req, this.transport),
        onNotify: (listener) => {
          this.on('notify', listener);
          return () => this.off('notify', listener);
        },
      },
      referTo,
      options.referredBy,
      options.timeoutMs,
    );
  }

  /**
   * NOTIFY for our REFER subscription (RFC 3515 §2.4.4). Without a REFER of ours in progress the dialog does
   * not serve NOTIFY (405 as before); another event package during one gets 489 (RFC 6665 §4.1.3).
   */
  private onNotify(req: SipRequest, tx: ServerTransaction): void {
    if (this.listenerCount('notify') === 0) {
      this.core.respond(tx, 405, { headers: [['Allow', this.allow()]] });
      return;
    }
    const event = (req.headers.get('Event') ?? req.headers.get('o') ?? '').split(';')[0].trim().toLowerCase();
    if (event !== 'refer') {
      this.core.respond(tx, 489);
      return;
    }
    this.core.respond(tx, 200);
    this.emit('notify', req);
  }

  /** Hands an INFO body to listeners (DTMF relay); their errors are logged (emit is safe), never thrown into the stack. */
  private emitInfo(req: SipRequest): void {
    const contentType = (req.headers.get('Content-Type') ?? '').split(';')[0].trim().toLowerCase();
    this.emit('info', contentType, req.body.toString('utf8'));
  }

  /** A listener that throws is a bug in call control: logged, and a re-INVITE/UPDATE it was handling gets 500. */
  protected override onListenerError(err: unknown, event: string): void {
    this.core.logger.error({ err, sipCallId: this.callId }, `${event} listener threw`);
    if (event === 'reinvite') this.rejectOnListenerError?.(500);
  }

  shutdown(): void {
    this.pendingAck?.abort(new CallRejectedError('shutting-down', 'SIP stack stopped before ACK'));
    this.pendingAck = undefined;
    this.end('shutdown');
  }

  private onBye(tx: ServerTransaction): void {
    // §15.1.2: "the UAS MUST still respond to any pending requests received for that dialog ... with a 487".
    if (this.pendingReinvite && !this.pendingReinvite.finalSent) this.core.respond(this.pendingReinvite, 487);
    this.core.respond(tx, 200);
    if (this.ended || this.hangupPromise) return;
    const pending = this.pendingAck;
    if (pending) {
      // The BYE overtook the ACK: hand the dialog out first, then report the hangup to listeners attached
      // right after `await accept()`.
      this.pendingAck = undefined;
      pending.confirm();
      queueMicrotask(() => this.remoteBye());
      return;
    }
    this.remoteBye();
  }

  private remoteBye(): void {
    if (this.ended) return;
    this.emit('bye');
    this.end('remote-bye');
  }

  private onReinvite(req: SipRequest, tx: ServerTransaction, transport: Transport): void {
    if (this.pendingReinvite && !this.pendingReinvite.finalSent) {
      // §14.2: "A UAS that receives a second INVITE before it sends the final response to a first INVITE with
      // a lower CSeq sequence number on the same dialog MUST return a 500 ... with a Retry-After".
      this.core.respond(tx, 500, { headers: [['Retry-After', String(Math.floor(Math.random() * 10))]] });
      return;
    }
    this.pendingReinvite = tx;
    this.core.respond(tx, 100);
    const unregisterCancel = this.core.registerCancellable(tx, this.dialog.localTag, () => respondOnce(487));
    let answered = false;
    const respondOnce = (status: number, sdp?: string): void => {
      if (answered || tx.finalSent) return;
      answered = true;
      unregisterCancel();
      if (status >= 200 && status < 300 && sdp !== undefined) {
        this.dialog.refreshTarget(req);
        this.localSdp = sdp;
        const ok = this.core.respond(tx, 200, { dialog: true, transport, body: sdp, contentType: 'application/sdp', headers: this.noteRefresh(req) });
        this.await2xxAck(ok, cseqOf(req).seq, transport);
      } else {
        this.core.respond(tx, status >= 300 && status <= 699 ? status : 500);
      }
    };
    this.offerToListener(req, (sdp) => respondOnce(200, sdp), (status) => respondOnce(status));
  }

  private onUpdate(req: SipRequest, tx: ServerTransaction, transport: Transport): void {
    let answered = false;
    const answer = (sdp: string): void => {
      if (answered) return;
      answered = true;
      this.dialog.refreshTarget(req);
      this.localSdp = sdp;
      this.core.respond(tx, 200, { dialog: true, transport, body: sdp, contentType: 'application/sdp', headers: this.noteRefresh(req) });
    };
    const reject = (status: number): void => {
      if (answered) return;
      answered = true;
      this.core.respond(tx, status >= 300 && status <= 699 ? status : 500);
    };
    if (req.body.length === 0) {
      // UPDATE without offer (session refresh, RFC 4028): 200 confirming the timer, nothing to negotiate.
      answered = true;
      this.core.respond(tx, 200, { dialog: true, transport, headers: this.noteRefresh(req) });
      return;
    }
    this.offerToListener(req, answer, reject);
  }

  private offerToListener(req: SipRequest, answer: (sdp: string) => void, reject: (status: number) => void): void {
    const body = sdpOf(req);
    if (body.kind === 'unsupported') {
      reject(415);
      return;
    }
    const offer = body.kind === 'sdp' ? body.sdp : undefined;
    if (this.listenerCount('reinvite') === 0) {
      answer(this.localSdp);
      return;
    }
    this.rejectOnListenerError = reject;
    try {
      this.emit('reinvite', offer, answer, reject);
    } finally {
      this.rejectOnListenerError = undefined;
    }
  }

  private await2xxAck(ok: SipResponse, cseq: number, transport: Transport): void {
    this.stopReinvite();
    const retransmitter = new Uas2xxRetransmitter(
      this.core.clock,
      this.core.timers,
      transport.reliable,
      () => this.core.resend(ok, transport),
      () => {
        this.stopReinviteAck?.();
        this.core.logger.warn({ sipCallId: this.callId }, 'no ACK for re-INVITE 200 OK; sending BYE');
        void this.hangup('ack-timeout');
      },
    );
    this.reinviteRetransmitter = retransmitter;
    this.stopReinviteAck = this.core.expectAck(this.dialog, cseq, () => retransmitter.stop());
    retransmitter.start();
  }

  private stopReinvite(): void {
    this.reinviteRetransmitter?.stop();
    this.stopReinviteAck?.();
    this.reinviteRetransmitter = undefined;
    this.stopReinviteAck = undefined;
  }

  private allow(): string {
    return this.core.dialogHeaders(this.transport).find(([n]) => n === 'Allow')?.[1] ?? '';
  }

  /** A refresh request (re-INVITE/UPDATE) was accepted: restart the session timer; headers for the 2xx. */
  private noteRefresh(req: SipRequest): Array<[string, string]> {
    if (!this.sessionTimer) {
      // A timer may also start with a refresh (RFC 4028 §9 applies to re-INVITE and UPDATE alike).
      this.startSessionTimer(decideSessionTimer(req));
      return this.sessionTimer ? sessionTimerHeaders((this.sessionTimer as SessionTimer).current) : [];
    }
    const asked = decideSessionTimer(req);
    this.sessionTimer.refreshed(asked.kind === 'timer' ? asked : undefined);
    return sessionTimerHeaders(this.sessionTimer.current);
  }

  /** As refresher: UPDATE without a body (RFC 4028 §10, RFC 3311); a 481/408 or timeout ends the dialog. */
  private sendRefresh(): void {
    if (this.ended || this.hangupPromise || !this.sessionTimer) return;
    const current = this.sessionTimer.current;
    const update = this.dialog.createRequest('UPDATE', {
      headers: [
        ['Session-Expires', `${current.interval};refresher=uas`],
        ['Supported', 'timer'],
        ...this.core.dialogHeaders(this.transport).filter(([n]) => n === 'Contact'),
      ],
    });
    let tx;
    try {
      tx = this.core.sendInDialog(this.dialog, update, this.transport);
    } catch (err) {
      this.core.logger.warn({ err, sipCallId: this.callId }, 'could not send session refresh');
      return;
    }
    tx.on('response', (res: SipResponse) => {
      if (res.status < 200) return;
      if (res.status < 300) this.sessionTimer?.refreshed();
      else if (res.status === 481 || res.status === 408) this.expire();
      else this.core.logger.warn({ sipCallId: this.callId, status: res.status }, 'session refresh refused');
    });
    tx.once('timeout', () => this.expire());
  }

  /** RFC 4028 §10: the session has expired; tells the TU at once (the BYE may take Timer F to complete). */
  private expire(): void {
    if (this.ended || this.hangupPromise) return;
    const done = this.hangup('session-expired');
    this.emit('expired');
    void done;
  }

  private end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.sessionTimer?.stop();
    this.stopReinvite();
    this.core.removeDialog(this.dialog.key);
    this.emit('terminated', reason);
  }
}
