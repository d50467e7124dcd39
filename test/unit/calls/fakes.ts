/**
 * Fakes for the ports call control talks to, shared by the handler tests: media engine and signaling (in
 * fake-media.ts, fake-signaling.ts), bot, observer and trunk slots here, and the {@link Harness} that builds them
 * around one journal (for ordering) and says what a test left behind: an RTP leg neither closed nor released, a
 * call's media not closed exactly once, a trunk slot still held, a connected bot never stopped.
 */
import { ManualClock } from '../../../src/core/clock.js';
import { CallRejectedError } from '../../../src/core/errors.js';
import type { BotCloseInfo, BotTarget, StartMessage, StartOptions } from '../../../src/bot/index.js';
import type { BridgeEvent, CallQuality } from '../../../src/bot/protocols/native.js';
import type { CallObserver, EndReason } from '../../../src/calls/call-events.js';
import type { BotControl } from '../../../src/calls/media-engine.js';
import { Emitter, deferred } from './fake-util.js';
import { FakeMediaEngine } from './fake-media.js';
import { FakeIncomingCall, FakeSignalingEngine, type IncomingOptions } from './fake-signaling.js';

export { deferred, flush, type Deferred } from './fake-util.js';
export * from './fake-media.js';
export * from './fake-signaling.js';

/** The control half of a bot connection (its audio is routed inside the engine, never seen by call control). */
export class FakeBot extends Emitter implements BotControl {
  /** `start`s that let the bot's messages through (the call is answered). */
  readonly starts: StartMessage[] = [];
  /** `start`s sent before the answer (`beforeAnswer`): opening messages and caller audio only. */
  readonly opened: StartMessage[] = [];
  readonly events: BridgeEvent[] = [];
  readonly stops: Array<{ reason: string; quality?: CallQuality }> = [];
  constructor(private readonly journal: string[]) {
    super();
  }
  sendStart(msg: StartMessage, options?: StartOptions): void {
    if (options?.beforeAnswer === true) {
      this.opened.push(msg);
      this.journal.push('bot.open');
      return;
    }
    this.starts.push(msg);
    this.journal.push(`bot.start${msg.early ? ' early' : ''}`);
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

/** The bot connector behind every call group's connectBot: opens a session at once ('open'), fails with an error, or waits for the test ('manual'). */
export class FakeBots {
  mode: 'open' | 'manual' | Error = 'open';
  readonly attempts: Array<{ target: BotTarget; ctx: ConnectCtx; open(): FakeBot; fail(err: Error): void }> = [];
  readonly sessions: FakeBot[] = [];
  constructor(private readonly journal: string[]) {}

  connect = (target: BotTarget, ctx: ConnectCtx): Promise<BotControl> => {
    this.journal.push(`bot.connect ${target.name}`);
    const d = deferred<BotControl>();
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
  /** The labels and figures that came with each report (metrics), in order. */
  readonly answeredInfo: unknown[] = [];
  readonly rejectedInfo: unknown[] = [];
  readonly endedLabels: unknown[] = [];
  readonly botFailures: Array<[string | undefined, string | undefined]> = [];
  readonly transfers: Array<[string, string]> = [];
  callAnswered(direction: 'inbound' | 'outbound', info?: unknown): void {
    this.answered.push(direction);
    this.answeredInfo.push(info);
  }
  callRejected(direction: 'inbound' | 'outbound', status: number, info?: unknown): void {
    this.rejected.push([direction, status]);
    this.rejectedInfo.push(info);
  }
  callEnded(direction: 'inbound' | 'outbound', reason: EndReason, seconds: number, labels?: unknown): void {
    this.ended.push([direction, reason, seconds]);
    this.endedLabels.push(labels);
  }
  botConnected(seconds: number): void {
    this.botConnects.push(seconds);
  }
  botConnectFailed(bot?: string, reason?: string): void {
    this.botConnectFailures++;
    this.botFailures.push([bot, reason]);
  }
  transferDone(method: string, result: string): void {
    this.transfers.push([method, result]);
  }
  botProtocolError(): void {}
  /** Each rtpTotals report: [received, sent, bytes]. */
  readonly rtpTotalsReports: unknown[] = [];
  rtpTotals(received: number, sent: number, bytes?: { received: number; sent: number }): void {
    this.rtpTotalsReports.push([received, sent, bytes]);
  }
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
  readonly bots = new FakeBots(this.journal);
  /** Its groups connect their bot through {@link bots}. */
  readonly media = new FakeMediaEngine(this.journal, this.bots.connect);
  readonly sip = new FakeSignalingEngine(this.journal);
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
