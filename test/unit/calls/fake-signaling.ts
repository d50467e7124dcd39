/**
 * Fake signaling: an INVITE we answer, a call we place, their dialogs, and the engine. Each mirrors the real
 * stack where call control depends on it: one final response per INVITE, CANCEL answered 487 by the stack,
 * accept() refused after CANCEL, cancel() of a placed call failing it with 487 unless already answered.
 */
import { CallRejectedError, TransactionTimeoutError } from '../../../src/core/errors.js';
import { remoteStatusReason } from '../../../src/core/failures.js';
import type {
  AnsweredCall, DialogSignal, IncomingCallSignal, OutgoingCallRequest, OutgoingCallSignal, PartyInfo, PeerAddress, SignalingEngine,
} from '../../../src/calls/signaling.js';
import { Emitter, deferred, type Deferred } from './fake-util.js';

const party = (user: string, host: string): PartyInfo => ({ user, host, uri: `sip:${user}@${host}` });

export class FakeDialog extends Emitter implements DialogSignal {
  terminated = false;
  hangupCalls = 0;
  /** 'auto': our BYE is answered at once; 'manual': it waits for {@link answerBye}. */
  byeMode: 'auto' | 'manual' = 'auto';
  private bye: Deferred<void> | undefined;
  constructor(readonly callId: string, readonly ackSdp: string | undefined, private readonly journal: string[]) {
    super();
  }
  hangup(): Promise<void> {
    this.hangupCalls++;
    this.journal.push(`dialog.bye ${this.callId}`);
    if (!this.bye) {
      this.bye = deferred<void>();
      if (this.byeMode === 'auto') this.answerBye();
    }
    return this.bye.promise;
  }
  answerBye(): void {
    this.terminated = true;
    this.bye?.resolve();
    this.emit('terminated', 'bye-sent');
  }
  /** The far end hangs up (the stack has answered 200). */
  farEndBye(): void {
    this.terminated = true;
    this.emit('bye');
    this.emit('terminated', 'bye');
  }
}

export interface IncomingOptions {
  callId?: string;
  sdp?: string | undefined;
  from?: string;
  to?: string;
  headers?: Array<[string, string]>;
  /** How accept() settles: ACK at once (default), wait for {@link FakeIncomingCall.ack}, or reject (ACK timeout). */
  ack?: 'auto' | 'manual' | Error;
  ackSdp?: string;
}

/** A caller's INVITE. Mirrors the real stack: one final response, CANCEL answered 487 by the stack itself. */
export class FakeIncomingCall extends Emitter implements IncomingCallSignal {
  readonly callId: string;
  readonly source: PeerAddress = { address: '203.0.113.10', port: 5060, transport: 'udp' };
  readonly requestUri: PartyInfo;
  readonly from: PartyInfo;
  readonly to: PartyInfo;
  readonly sdp: string | undefined;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  cancelled = false;
  final: { status: number; headers?: Record<string, string | readonly string[]>; by: 'us' | 'stack' } | undefined;
  readonly provisional: number[] = [];
  /** Rejections after a final response: the real stack drops them. */
  readonly ignoredRejects: number[] = [];
  acceptedSdp: string | undefined;
  dialog: FakeDialog | undefined;
  private pendingAck: Deferred<FakeDialog> | undefined;

  constructor(private readonly o: IncomingOptions, private readonly journal: string[]) {
    super();
    this.callId = o.callId ?? 'inbound-1@carrier';
    this.requestUri = party(o.to ?? '+15550100', 'bridge.example');
    this.from = party(o.from ?? '+15557654321', 'carrier.example');
    this.to = party(o.to ?? '+15550100', 'bridge.example');
    this.sdp = 'sdp' in o ? o.sdp : undefined;
    this.headers = o.headers ?? [];
  }
  header(name: string): string | undefined {
    return this.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
  }
  progress(status: number): void {
    if (!this.final) this.provisional.push(status);
  }
  reject(status: number, _reason?: string, extraHeaders?: Record<string, string | readonly string[]>): void {
    if (this.final) {
      this.ignoredRejects.push(status);
      return;
    }
    this.final = { status, ...(extraHeaders ? { headers: extraHeaders } : {}), by: 'us' };
    this.journal.push(`sip.reject ${status}`);
  }
  accept(sdpAnswer: string): Promise<DialogSignal> {
    if (this.cancelled) return Promise.reject(new CallRejectedError('caller-cancelled', 'call was cancelled before accept'));
    if (this.final) return Promise.reject(new CallRejectedError('internal', 'a final response was already sent'));
    this.final = { status: 200, by: 'us' };
    this.acceptedSdp = sdpAnswer;
    this.journal.push('sip.accept');
    const mode = this.o.ack ?? 'auto';
    if (mode instanceof Error) return Promise.reject(mode);
    this.dialog = new FakeDialog(this.callId, this.o.ackSdp, this.journal);
    if (mode === 'auto') return Promise.resolve(this.dialog);
    this.pendingAck = deferred<FakeDialog>();
    return this.pendingAck.promise;
  }
  /** The ACK arrives (manual mode). */
  ack(): void {
    this.pendingAck?.resolve(this.dialog!);
  }
  /** No ACK comes (manual mode): the stack gives up (Timer H). */
  ackTimeout(): void {
    this.pendingAck?.reject(new TransactionTimeoutError('no ACK for the 200 OK'));
  }
  /** The caller CANCELs: the stack answers 487 and emits 'cancel' (ignored once a final response went out). */
  cancel(): void {
    if (this.final) return;
    this.cancelled = true;
    this.final = { status: 487, by: 'stack' };
    this.journal.push('sip.cancelled');
    this.emit('cancel');
  }
}

/** A call we placed. Mirrors the real UAC: cancel() before the answer fails it with 487 'cancelled'. */
export class FakeOutgoingCall extends Emitter implements OutgoingCallSignal {
  readonly answered: Promise<AnsweredCall>;
  cancelCalls = 0;
  settled = false;
  dialog: FakeDialog | undefined;
  private readonly outcome = deferred<AnsweredCall>();
  constructor(readonly callId: string, readonly request: OutgoingCallRequest, private readonly journal: string[]) {
    super();
    this.answered = this.outcome.promise;
    this.answered.catch(() => {});
  }
  cancel(): void {
    this.cancelCalls++;
    this.journal.push(`uac.cancel ${this.callId}`);
    if (!this.settled) this.fail(487, 'cancelled');
  }
  progress(status: number, sdp?: string): void {
    this.emit('progress', status, sdp);
  }
  answer(sdp: string): FakeDialog {
    if (this.settled) throw new Error('already settled');
    this.settled = true;
    this.dialog = new FakeDialog(this.callId, undefined, this.journal);
    this.outcome.resolve({ dialog: this.dialog, sdp });
    return this.dialog;
  }
  /** The far end's final status (reason from the catalogue, as the UA reports it). */
  fail(status: number, reason = remoteStatusReason(status)): void {
    if (this.settled) throw new Error('already settled');
    this.settled = true;
    this.outcome.reject(new CallRejectedError(reason, `INVITE answered ${status}`, { sipStatus: status }));
  }
}

export class FakeSignalingEngine implements SignalingEngine {
  readonly placed: FakeOutgoingCall[] = [];
  /** placeCall throws this (one shot): no transport, a request the engine refuses. */
  failNext: Error | undefined;
  private handler: ((call: IncomingCallSignal) => void) | undefined;
  constructor(private readonly journal: string[]) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  onIncomingCall(handler: (call: IncomingCallSignal) => void): void {
    this.handler = handler;
  }
  boundAddresses(): PeerAddress[] {
    return [{ address: '127.0.0.1', port: 5060, transport: 'udp' }];
  }
  advertisedHost(): string {
    return 'bridge.example:5060';
  }
  placeCall = (request: OutgoingCallRequest): FakeOutgoingCall => {
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure) throw failure;
    const call = new FakeOutgoingCall(`outbound-${this.placed.length + 1}@bridge`, request, this.journal);
    this.placed.push(call);
    this.journal.push(`uac.invite ${call.callId}`);
    return call;
  };
  /** Delivers an INVITE to the registered handler. */
  offer(call: FakeIncomingCall): void {
    if (!this.handler) throw new Error('no incoming-call handler attached');
    this.handler(call);
  }
}

