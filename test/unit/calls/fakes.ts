/**
 * Fakes for the ports call control talks to (media engine, signaling, bot, observer, trunk slots), shared by the
 * handler tests. Each fake records what was asked of it into one journal (for ordering) and keeps enough state
 * for {@link Harness.leaks} to say what a test left behind: an RTP leg neither closed nor released, a trunk
 * slot still held, a connected bot never stopped.
 */
import { EventEmitter } from 'node:events';
import { ManualClock } from '../../../src/core/clock.js';
import { CallRejectedError } from '../../../src/core/errors.js';
import { remoteStatusReason } from '../../../src/core/failures.js';
import type { BotCloseInfo, BotSession, BotTarget, StartMessage } from '../../../src/bot/index.js';
import type { BridgeEvent, CallQuality } from '../../../src/bot/protocols/native.js';
import type { CallObserver, EndReason } from '../../../src/calls/call-events.js';
import type { CallMedia, LegMediaOptions, MediaEngine, MediaLeg } from '../../../src/calls/media-engine.js';
import type {
  AnsweredCall, DialogSignal, IncomingCallSignal, OutgoingCallRequest, OutgoingCallSignal, PartyInfo, PeerAddress, SignalingEngine,
} from '../../../src/calls/signaling.js';
import type { MediaDirection } from '../../../src/sdp/index.js';
import type { PlayoutClearResult } from '../../../src/media/index.js';

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending promise continuation run (the handlers chain several awaits per step). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

/** A tiny emitter with a loose `on` so the fakes can `implements` the ports' overloaded `on` signatures. */
class Emitter {
  private readonly ee = new EventEmitter();
  on(event: string, listener: (...args: any[]) => void): this {
    this.ee.on(event, listener);
    return this;
  }
  off(event: string, listener: (...args: any[]) => void): this {
    this.ee.off(event, listener);
    return this;
  }
  emit(event: string, ...args: unknown[]): boolean {
    return this.ee.emit(event, ...args);
  }
  listenerCount(event: string): number {
    return this.ee.listenerCount(event);
  }
}

// ---------------------------------------------------------------------------------------------- media

export class FakeCallMedia extends Emitter implements CallMedia {
  readonly stats = { packetsReceived: 0, packetsSent: 0, bytesReceived: 0, bytesSent: 0, packetsLost: 0, packetsIgnored: 0 };
  startCalls = 0;
  closeCalls = 0;
  readonly played: Buffer[] = [];
  readonly remotes: Array<{ address: string; port: number }> = [];
  readonly directions: MediaDirection[] = [];
  constructor(readonly port: number, private readonly journal: string[]) {
    super();
  }
  start(): void {
    this.startCalls++;
    this.journal.push(`media.start ${this.port}`);
  }
  playAudio(pcm: Buffer): void {
    this.played.push(pcm);
  }
  mark(): void {}
  clear(): PlayoutClearResult {
    return { playedMs: 0, segmentPlayedMs: 0, discardedMs: 0, discardedMarks: [] };
  }
  sendDtmf(): void {}
  updateRemote(remote: { address: string; port: number }): void {
    this.remotes.push(remote);
  }
  setDirection(direction: MediaDirection): void {
    this.directions.push(direction);
  }
  switchCodec(): void {}
  close(): void {
    this.closeCalls++;
    this.journal.push(`media.close ${this.port}`);
  }
}

export class FakeMediaLeg implements MediaLeg {
  answeredCalls = 0;
  releaseCalls = 0;
  opened: { options: LegMediaOptions; media: FakeCallMedia } | undefined;
  constructor(readonly port: number, private readonly journal: string[]) {}
  answered(): void {
    this.answeredCalls++;
  }
  open(options: LegMediaOptions): FakeCallMedia {
    // As the in-process engine: a leg is opened at most once, and never after its port was given back.
    if (this.opened || this.releaseCalls > 0) throw new Error(`leg ${this.port} cannot be opened again`);
    const media = new FakeCallMedia(this.port, this.journal);
    this.opened = { options, media };
    this.journal.push(`leg.open ${this.port} ${options.codec.name}`);
    return media;
  }
  release(): void {
    this.releaseCalls++;
    this.journal.push(`leg.release ${this.port}`);
  }
  get media(): FakeCallMedia {
    if (!this.opened) throw new Error(`leg ${this.port} was never opened`);
    return this.opened.media;
  }
}

export class FakeMediaEngine implements MediaEngine {
  readonly legs: FakeMediaLeg[] = [];
  readonly requests: Array<{ holdEarlyPackets?: boolean } | undefined> = [];
  /** The next allocate() rejects with this (one shot). */
  failNext: Error | undefined;
  /** When set, allocate() waits for it (a slow port pool). */
  gate: Deferred<void> | undefined;
  private nextPort = 40000;
  constructor(private readonly journal: string[]) {}

  async allocate(options?: { holdEarlyPackets?: boolean }): Promise<FakeMediaLeg> {
    this.requests.push(options);
    this.journal.push('media.allocate');
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure) throw failure;
    if (this.gate) await this.gate.promise;
    const leg = new FakeMediaLeg(this.nextPort, this.journal);
    this.nextPort += 2;
    this.legs.push(leg);
    return leg;
  }

  /** The no-leak invariant: each leg opened and closed once, or never opened and released once. */
  leaks(): string[] {
    return this.legs.flatMap((leg) => {
      if (leg.opened) return leg.opened.media.closeCalls === 1 ? [] : [`leg ${leg.port}: media closed ${leg.opened.media.closeCalls} times`];
      return leg.releaseCalls === 1 ? [] : [`leg ${leg.port}: never opened, released ${leg.releaseCalls} times`];
    });
  }
}

// ---------------------------------------------------------------------------------------------- signaling

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

// ---------------------------------------------------------------------------------------------- bot

export class FakeBot extends Emitter implements BotSession {
  readonly starts: StartMessage[] = [];
  readonly audio: Buffer[] = [];
  readonly events: BridgeEvent[] = [];
  readonly stops: Array<{ reason: string; quality?: CallQuality }> = [];
  constructor(private readonly journal: string[]) {
    super();
  }
  sendStart(msg: StartMessage): void {
    this.starts.push(msg);
    this.journal.push(`bot.start${msg.early ? ' early' : ''}`);
  }
  sendAudio(frame: Buffer): void {
    this.audio.push(frame);
  }
  sendEvent(e: BridgeEvent): void {
    this.events.push(e);
  }
  stop(reason: string, extra?: { quality?: CallQuality }): void {
    this.stops.push({ reason, ...extra });
    this.journal.push(`bot.stop ${reason}`);
  }
  /** The bot closes its socket. */
  close(info: BotCloseInfo = { code: 1000, reason: '', initiatedByBot: true }): void {
    this.emit('close', info);
  }
}

type ConnectCtx = { callId: string; abort?: AbortSignal };

/** The bot connector: opens a session at once ('open'), fails with an error, or waits for the test ('manual'). */
export class FakeBots {
  mode: 'open' | 'manual' | Error = 'open';
  readonly attempts: Array<{ target: BotTarget; ctx: ConnectCtx; open(): FakeBot; fail(err: Error): void }> = [];
  readonly sessions: FakeBot[] = [];
  constructor(private readonly journal: string[]) {}

  connect = (target: BotTarget, ctx: ConnectCtx): Promise<BotSession> => {
    this.journal.push(`bot.connect ${target.name}`);
    const d = deferred<BotSession>();
    const attempt = {
      target,
      ctx,
      open: (): FakeBot => {
        const bot = new FakeBot(this.journal);
        this.sessions.push(bot);
        d.resolve(bot);
        return bot;
      },
      fail: (err: Error): void => d.reject(err),
    };
    this.attempts.push(attempt);
    if (this.mode === 'open') attempt.open();
    else if (this.mode instanceof Error) attempt.fail(this.mode);
    return d.promise;
  };

  get only(): FakeBot {
    if (this.sessions.length !== 1) throw new Error(`${this.sessions.length} bot sessions, expected 1`);
    return this.sessions[0];
  }
}

// ---------------------------------------------------------------------------------------------- observer, slots

export class RecordingObserver implements CallObserver {
  readonly answered: string[] = [];
  readonly rejected: Array<[string, number]> = [];
  readonly ended: Array<[string, EndReason, number]> = [];
  readonly botConnects: number[] = [];
  botConnectFailures = 0;
  callAnswered(direction: 'inbound' | 'outbound'): void {
    this.answered.push(direction);
  }
  callRejected(direction: 'inbound' | 'outbound', status: number): void {
    this.rejected.push([direction, status]);
  }
  callEnded(direction: 'inbound' | 'outbound', reason: EndReason, seconds: number): void {
    this.ended.push([direction, reason, seconds]);
  }
  botConnected(seconds: number): void {
    this.botConnects.push(seconds);
  }
  botConnectFailed(): void {
    this.botConnectFailures++;
  }
  botProtocolError(): void {}
}

/** maxConcurrentCalls per trunk: `busy` trunks refuse with 486 as the real limiter does. */
export class FakeTrunkSlots {
  readonly busy = new Set<string>();
  readonly held = new Map<string, number>();
  acquire = (trunk: string): (() => void) => {
    if (this.busy.has(trunk)) throw new CallRejectedError('trunk-busy', `trunk ${trunk} is full`);
    this.held.set(trunk, (this.held.get(trunk) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held.set(trunk, this.held.get(trunk)! - 1);
    };
  };
  total(): number {
    return [...this.held.values()].reduce((a, b) => a + b, 0);
  }
}

/** Every fake of one test, sharing a journal; {@link leaks} is asserted empty after each test. */
export class Harness {
  readonly journal: string[] = [];
  readonly clock = new ManualClock();
  readonly media = new FakeMediaEngine(this.journal);
  readonly sip = new FakeSignalingEngine(this.journal);
  readonly bots = new FakeBots(this.journal);
  readonly observer = new RecordingObserver();
  readonly slots = new FakeTrunkSlots();

  incoming(o: IncomingOptions = {}): FakeIncomingCall {
    return new FakeIncomingCall(o, this.journal);
  }

  /** What a finished test must not leave behind. */
  leaks(): string[] {
    const out = this.media.leaks();
    if (this.slots.total() !== 0) out.push(`${this.slots.total()} trunk slot(s) still held`);
    this.bots.sessions.forEach((b, i) => {
      if (b.stops.length === 0) out.push(`bot session ${i} never stopped`);
    });
    return out;
  }

  /** True when `first` was journalled before `second` (both present). */
  before(first: string, second: string): boolean {
    const a = this.journal.indexOf(first);
    const b = this.journal.indexOf(second);
    return a >= 0 && b >= 0 && a < b;
  }
}
