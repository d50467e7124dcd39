import { isIP } from 'node:net';
import type { TimerHandle } from '../../core/clock.js';
import { CallRejectedError } from '../../core/errors.js';
import { remoteStatusReason, type FailureReason } from '../../core/failures.js';
import { TypedEmitter } from '../../core/typed-emitter.js';
import { challengeHeaders, chooseDigestChallenge, computeDigestAnswer, formatDigestAnswer } from '../auth/digest-client.js';
import { Dialog } from '../dialog/dialog.js';
import { uriDestination } from '../dialog/dialog.js';
import { cseqOf, tagOf, toOf } from '../message/accessors.js';
import { SipHeaders } from '../message/headers.js';
import { newCallId, newTag } from '../message/ids.js';
import type { SipRequest, SipResponse } from '../message/types.js';
import { formatNameAddr, parseUri } from '../message/uri.js';
import type { ClientTransaction } from '../transaction/layer.js';
import type { Destination, Transport } from '../transport/transport.js';
import { sdpOf } from './body.js';
import { DialogSession } from './dialog-session.js';
import type { UacCore } from './uac-core.js';
import type { AnsweredCall, OutgoingCallRequest } from './types.js';

type State = 'calling' | 'proceeding' | 'answered' | 'failed';

/** An {@link OutgoingCall}'s events: 'progress' for 180/183, with the early-media SDP if any. */
export interface OutgoingCallEvents {
  progress: (status: number, sdp: string | undefined) => void;
}

/**
 * A call we place (RFC 3261 §13.2, UAC side; structurally calls/ OutgoingCallSignal): sends the INVITE,
 * answers one 401/407 challenge per nonce with digest credentials (§22.2), reports 180/183, ACKs the 2xx
 * (§13.2.2.4) and hands out the dialog, CANCELs on ring timeout or request (§9.1), and cleans up a 2xx that
 * crosses a CANCEL (ACK + BYE).
 */
export class OutgoingCall extends TypedEmitter<OutgoingCallEvents> {
  readonly callId: string;
  readonly answered: Promise<AnsweredCall>;
  private resolveAnswered!: (a: AnsweredCall) => void;
  private rejectAnswered!: (err: Error) => void;
  private state: State = 'calling';
  private readonly localTag = newTag();
  private cseq = 1;
  private invite!: SipRequest;
  private tx: ClientTransaction | undefined;
  private readonly transport: Transport | undefined;
  private dest: Destination;
  /** RFC 3263 §4.3: addresses still to try after a timeout, a 503 or a transport error. */
  private targets: Destination[] = [];
  private readonly ringTimer: TimerHandle | undefined;
  private abortWith: { status: number; reason: FailureReason } | undefined;
  private cancelSent = false;
  private provisional = false;
  /** Nonces already answered: a second challenge with the same nonce means wrong credentials. */
  private readonly answeredNonces = new Set<string>();
  private authHeader: readonly [string, string] | undefined;
  /** Our dialog and its ACK, for 2xx retransmissions (§13.2.2.4: "re-pass the ACK"). */
  private confirmed: { tag: string; ack: SipRequest; dest: Destination } | undefined;

  constructor(
    private readonly request: OutgoingCallRequest,
    private readonly core: UacCore,
  ) {
    super();
    this.answered = new Promise<AnsweredCall>((resolve, reject) => {
      this.resolveAnswered = resolve;
      this.rejectAnswered = reject;
    });
    // Nobody may be listening yet when we fail synchronously; the caller awaits `answered` later.
    this.answered.catch(() => {});
    this.transport = core.transport(request.nextHop.transport);
    this.dest = { address: request.nextHop.host, port: request.nextHop.port };
    this.callId = newCallId();
    if (!this.transport) {
      this.fail(503, 'no-transport', `no ${request.nextHop.transport} transport is listening`);
      return;
    }
    this.invite = this.buildInvite();
    this.ringTimer = core.ua.clock.setTimeout(() => this.abort(408, 'timeout'), request.ringTimeoutMs);
    const hop = request.nextHop;
    if (core.resolve && isIP(hop.host) === 0) {
      core
        .resolve({ host: hop.host, port: hop.port, transport: hop.transport, explicitPort: hop.explicitPort ?? true })
        .then(
          (targets) => {
            if (this.state === 'failed') return;
            this.log.debug({ sipCallId: this.callId, host: hop.host, targets }, 'next hop resolved');
            this.dest = targets[0] ?? this.dest;
            this.targets = targets.slice(1);
            this.sendInvite();
          },
          (err: unknown) => this.fail(503, 'unresolvable', `cannot resolve ${hop.host}: ${(err as Error).message}`),
        );
    } else {
      this.sendInvite();
    }
  }

  /**
   * RFC 3263 §4.3: "If a failure occurs, the client SHOULD create a new request, which is identical to the
   * previous, but has a different value of the Via branch ID". Only before anything but a 100 came from this
   * target (a 503 after ringing must not ring the callee a second time). False when nothing is left to try.
   */
  private tryNextTarget(why: string): boolean {
    if (this.abortWith || this.provisional || this.state === 'answered' || this.state === 'failed') return false;
    const next = this.targets.shift();
    if (!next) return false;
    this.log.info({ sipCallId: this.callId, why, failed: this.dest, next }, 'next hop failed; trying the next address');
    this.dest = next;
    this.invite = this.buildInvite();
    this.sendInvite();
    return true;
  }

  /** CANCEL before answer; no effect once answered or failed. */
  cancel(): void {
    this.abort(487, 'cancelled');
  }

  private get log() {
    return this.core.ua.logger;
  }

  /** A throwing 'progress' listener is a bug in call control: logged; the call itself carries on. */
  protected override onListenerError(err: unknown, event: string): void {
    this.log.error({ err, sipCallId: this.callId }, `${event} listener threw`);
  }

  private buildInvite(): SipRequest {
    const r = this.request;
    const transport = this.transport as Transport;
    const headers = new SipHeaders();
    if (r.route) headers.append('Route', r.route);
    headers.append('Max-Forwards', '70');
    const from = parseUri(r.fromUri);
    headers.append('From', `${formatNameAddr({ uri: from, params: new Map(), angle: true, ...(r.fromDisplayName ? { displayName: r.fromDisplayName } : {}) })};tag=${this.localTag}`);
    headers.append('To', `<${r.toUri ?? r.requestUri}>`);
    headers.append('Call-ID', this.callId);
    headers.append('CSeq', `${this.cseq} INVITE`);
    const user = from.user !== undefined ? `${from.user}@` : '';
    headers.append('Contact', `<sip:${user}${this.core.hostPort(transport)}${transport.name === 'udp' ? '' : `;transport=${transport.name}`}>`);
    headers.append('Allow', this.core.allow);
    for (const [n, v] of r.headers ?? []) headers.append(n, v);
    if (this.authHeader) headers.append(this.authHeader[0], this.authHeader[1]);
    headers.append('Content-Type', 'application/sdp');
    return { kind: 'request', method: 'INVITE', uri: r.requestUri, version: 'SIP/2.0', headers, body: Buffer.from(r.sdp, 'utf8') };
  }

  private sendInvite(): void {
    const transport = this.transport as Transport;
    const tx = this.core.send(this.invite, this.dest, transport);
    this.tx = tx;
    this.provisional = false;
    this.cancelSent = false;
    tx.on('response', (res: SipResponse) => {
      try {
        this.onResponse(res, tx);
      } catch (err) {
        this.log.error({ err, sipCallId: this.callId }, 'error handling a response to our INVITE');
        this.fail(500, 'bad-response', String(err));
      }
    });
    tx.once('timeout', () => {
      if (tx !== this.tx || this.tryNextTarget('timeout')) return;
      this.fail(408, this.abortWith?.reason ?? 'no-response', 'no response to INVITE (Timer B)');
    });
    tx.once('transportError', (err: unknown) => {
      if (tx !== this.tx || this.tryNextTarget('transport-error')) return;
      this.fail(503, 'transport-error', `cannot send INVITE: ${String(err)}`);
    });
  }

  private onResponse(res: SipResponse, tx: ClientTransaction): void {
    if (tx !== this.tx) return;
    const status = res.status;
    if (status < 200) {
      if (status === 100 || this.state === 'answered') return;
      this.provisional = true;
      if (this.state === 'calling') this.state = 'proceeding';
      if (this.abortWith) {
        this.sendCancel();
        return;
      }
      const body = sdpOf(res);
      this.emit('progress', status, body.kind === 'sdp' ? body.sdp : undefined);
      return;
    }
    if (status < 300) {
      this.on2xx(res);
      return;
    }
    if (this.state === 'answered') return;
    if (status === 503 && this.tryNextTarget('503')) return;
    const auth = challengeHeaders(status);
    if (auth && this.request.credentials && !this.abortWith && this.retryWithCredentials(res, auth.challenge, auth.answer)) return;
    this.fail(status, this.abortWith?.reason ?? remoteStatusReason(status), `INVITE answered ${status} ${res.reason}`);
  }

  /** §22.2: resend the INVITE with credentials (new CSeq, same Call-ID and From tag). False when we cannot. */
  private retryWithCredentials(res: SipResponse, challengeName: string, answerName: string): boolean {
    const challenge = chooseDigestChallenge(res.headers.getAll(challengeName));
    if (!challenge) return false;
    if (this.answeredNonces.has(challenge.nonce) && !challenge.stale) return false;
    if (this.answeredNonces.size >= 3) return false; // a server that keeps challenging will not accept us
    this.answeredNonces.add(challenge.nonce);
    const creds = this.request.credentials as { username: string; password: string };
    const answer = computeDigestAnswer(challenge, creds, { method: 'INVITE', uri: this.request.requestUri });
    this.authHeader = [answerName, formatDigestAnswer(answer)];
    this.cseq += 1;
    this.invite = this.buildInvite();
    this.log.debug({ sipCallId: this.callId, status: res.status, realm: challenge.realm }, 'INVITE challenged; retrying with credentials');
    this.sendInvite();
    return true;
  }

  private on2xx(res: SipResponse): void {
    const tag = tagOf(toOf(res)) ?? '';
    if (this.confirmed && this.confirmed.tag === tag) {
      this.core.sendStateless(this.cloneAck(this.confirmed.ack), this.confirmed.dest, this.transport as Transport);
      return;
    }
    const dialog = Dialog.asUac(this.invite, res);
    const ack = this.buildAck(dialog);
    const dest = uriDestination(dialog.nextHopUri());
    this.core.sendStateless(this.cloneAck(ack), dest, this.transport as Transport);
    const body = sdpOf(res);
    const session = new DialogSession(dialog, this.transport as Transport, this.core.ua, this.request.sdp);
    if (this.state === 'answered' || this.state === 'failed' || body.kind !== 'sdp') {
      // A second fork answered, the 2xx crossed our CANCEL, or the answer has no SDP: §15 end it at once.
      if (!this.confirmed) this.confirmed = { tag, ack, dest };
      this.log.info({ sipCallId: this.callId, state: this.state }, '2xx we cannot use; ACK and BYE');
      if (this.state !== 'answered' && this.state !== 'failed') this.fail(488, 'no-sdp-answer', '2xx without SDP answer');
      void session.hangup();
      return;
    }
    this.confirmed = { tag, ack, dest };
    this.state = 'answered';
    this.ringTimer?.cancel();
    this.resolveAnswered({ dialog: session, sdp: body.sdp });
  }

  /** §13.2.2.4: ACK within the dialog, CSeq number of the INVITE, same credentials as the INVITE. */
  private buildAck(dialog: Dialog): SipRequest {
    const seq = cseqOf(this.invite).seq;
    dialog.localSeq = seq - 1;
    const ack = dialog.createRequest('ACK', { headers: this.authHeader ? [this.authHeader] : [] });
    dialog.localSeq = seq;
    return ack;
  }

  /** The stateless sender prepends a Via each time; keep the template clean. */
  private cloneAck(ack: SipRequest): SipRequest {
    return { ...ack, headers: ack.headers.clone() };
  }

  /** §9.1: CANCEL copies Request-URI, Call-ID, To, From, CSeq number and the top Via of the INVITE. */
  private sendCancel(): void {
    if (this.cancelSent || !this.provisional || !this.tx || this.state === 'answered') return;
    this.cancelSent = true;
    const inv = this.invite;
    const headers = new SipHeaders();
    headers.append('Via', inv.headers.getList('Via')[0] ?? '');
    for (const r of inv.headers.getAll('Route')) headers.append('Route', r);
    headers.append('Max-Forwards', '70');
    headers.append('From', inv.headers.get('From') ?? '');
    headers.append('To', inv.headers.get('To') ?? '');
    headers.append('Call-ID', this.callId);
    headers.append('CSeq', `${cseqOf(inv).seq} CANCEL`);
    const cancel: SipRequest = { kind: 'request', method: 'CANCEL', uri: inv.uri, version: 'SIP/2.0', headers, body: Buffer.alloc(0) };
    const tx = this.core.sendWithVia(cancel, this.dest, this.transport as Transport);
    tx.once('timeout', () => this.log.warn({ sipCallId: this.callId }, 'CANCEL got no response'));
    // The call has failed already; the INVITE's 487 (which its transaction ACKs) is still to come.
    this.core.finishBeforeStop(this.inviteFinished(this.tx));
  }

  /** Settles once the INVITE transaction has its final response (or gave up: timeout, transport error). */
  private inviteFinished(tx: ClientTransaction): Promise<void> {
    return new Promise<void>((resolve) => {
      tx.on('response', (res: SipResponse) => {
        if (res.status >= 200) resolve();
      });
      tx.once('timeout', () => resolve());
      tx.once('transportError', () => resolve());
    });
  }

  /** Gives up on the call: CANCEL once a provisional came (§9.1 forbids it before), fail at once. */
  private abort(status: number, reason: FailureReason): void {
    if (this.state === 'answered' || this.state === 'failed' || this.abortWith) return;
    this.abortWith = { status, reason };
    this.sendCancel();
    this.fail(status, reason, reason === 'timeout' ? 'no answer before the ring timeout' : 'cancelled');
  }

  private fail(status: number, reason: FailureReason, message: string): void {
    if (this.state === 'answered' || this.state === 'failed') return;
    this.state = 'failed';
    this.ringTimer?.cancel();
    this.log.info({ sipCallId: this.callId, status, reason }, 'outgoing call failed');
    this.rejectAnswered(new CallRejectedError(reason, message, { sipStatus: status }));
  }
}
