import { randomUUID } from 'node:crypto';
import type { Logger } from '../core/logger.js';
import type { TimerHandle } from '../core/clock.js';
import type { SignalingEngine, IncomingCallSignal } from './signaling.js';
import type { Call, LiveCallInfo, RingingCallInfo } from './call.js';
import { handleInboundCall, type InboundCallDeps } from './inbound-call-handler.js';
import { CallRejectedError } from '../core/errors.js';
import { placeOutboundCall, type OutboundCallDeps, type PlaceCallRequest, type PlacedCall } from './outbound-call-handler.js';
import type { EndReason } from './call-events.js';

/** Hears calls come and go (the API's event stream): `started` once answered, `ended` once over. */
export interface CallWatcher {
  started?(call: LiveCallInfo | { callId: string }): void;
  ended?(e: { callId: string; reason: EndReason; durationSec: number }): void;
  /** An outbound call was placed: it rings until {@link started} (answered) or {@link notAnswered}. */
  placed?(callId: string): void;
  /** A placed call failed or was cancelled before any answer. */
  notAnswered?(callId: string): void;
}

/**
 * Owns the set of live calls: feeds each new INVITE to the inbound handler, keeps answered calls until they end,
 * and refuses new calls with 503 while draining.
 */
export class CallManager {
  private readonly calls = new Map<string, Call>();
  /**
   * Inbound calls being set up, by call id: their bot may already have `start` (it goes before the 200 OK), so a
   * bot that acts on it at once (the REST shim, the calls API) must find the call once it is answered.
   */
  private readonly setups = new Map<string, Promise<Call | undefined>>();
  /** Outbound calls being placed (validated, dialling or ringing; not yet answered or failed). */
  private placing = 0;
  /** Of those, the ones dialled (they have a call id), by call id: the API may cancel them. */
  private readonly ringing = new Map<string, PlacedCall>();
  private draining = false;
  /** Set by {@link shutdown}: calls still being set up are ended as soon as they are answered. */
  private stopping = false;
  /** Retry-After (s) on the 503 that refuses new INVITEs while draining. */
  private retryAfterSec = 30;
  /** Called whenever a call ends or a setup finishes: drain waits on these to see the bridge idle. */
  private readonly idleWaiters = new Set<() => void>();
  private readonly watchers = new Set<CallWatcher>();
  private outbound: (() => OutboundCallDeps) | undefined;
  /** The deps a new call takes: fixed, or the current configuration's (a call keeps the ones it started with). */
  private readonly currentDeps: () => InboundCallDeps;

  constructor(
    private readonly signaling: SignalingEngine,
    deps: InboundCallDeps | (() => InboundCallDeps),
    private readonly logger: Logger,
  ) {
    this.currentDeps = typeof deps === 'function' ? deps : () => deps;
  }

  private get deps(): InboundCallDeps {
    return this.currentDeps();
  }

  /** Subscribes to the signaling engine. Call before `signaling.start()`. */
  attach(): void {
    this.signaling.onIncomingCall((signal) => this.onIncoming(signal));
  }

  /** Number of answered, not yet ended calls. */
  get activeCount(): number {
    return this.calls.size;
  }

  /** Number of calls being set up (routing, bot connect, waiting for ACK). */
  get settingUpCount(): number {
    return this.setups.size + this.placing;
  }

  /** Every live call as the calls API shows it, in answer order. */
  list(): Array<LiveCallInfo | { callId: string }> {
    return [...this.calls.values()].map((c) => c.live?.() ?? { callId: c.id });
  }

  /** Turns on {@link placeCall}. */
  enableOutbound(deps: OutboundCallDeps | (() => OutboundCallDeps)): void {
    this.outbound = typeof deps === 'function' ? deps : () => deps;
  }

  /** A live (answered) call by our call id. */
  get(callId: string): Call | undefined {
    return this.calls.get(callId);
  }

  /** An outbound call still ringing (placed, not answered or failed yet), as the calls API shows it. */
  ringingCall(callId: string): RingingCallInfo | undefined {
    return this.ringing.get(callId)?.ringing();
  }

  /**
   * Cancels an outbound call that still rings (CANCEL; the bot gets `stop` "api-hangup"). False when no call of
   * that id rings: unknown, or answered already (end the live call instead).
   */
  cancelRinging(callId: string): boolean {
    return this.ringing.get(callId)?.cancel('api-hangup') ?? false;
  }

  /**
   * A live call by our call id; one still being set up is waited for (its ACK at most, Timer H) and given once
   * answered. Undefined when unknown, refused, or ended.
   */
  async answered(callId: string): Promise<Call | undefined> {
    const live = this.calls.get(callId);
    if (live) return live;
    const call = await this.setups.get(callId);
    return call && this.calls.get(call.id);
  }

  /**
   * Adds a watcher of answered calls starting and ending (the event stream, the cluster's call registry): each is
   * told once at its start, before its end can be reported; outbound calls also when placed and, unanswered, when
   * they fail. Returns what removes it.
   */
  watch(watcher: CallWatcher): () => void {
    this.watchers.add(watcher);
    return () => {
      this.watchers.delete(watcher);
    };
  }

  /** Tells each watcher; one that throws is logged and the others still hear it. */
  private tell(what: (w: CallWatcher) => void): void {
    for (const w of [...this.watchers]) {
      try {
        what(w);
      } catch (err) {
        this.logger.error({ err }, 'call watcher failed');
      }
    }
  }

  /**
   * Places an outbound call (see {@link placeOutboundCall}); once answered it is tracked like inbound calls.
   * Throws CallRejectedError 503 while draining or when outbound calling is not configured. The caller may leave
   * `answered` unawaited: its failure is logged (outbound call failed) and never an unhandled rejection.
   */
  async placeCall(req: PlaceCallRequest): Promise<PlacedCall> {
    const deps = this.outbound?.();
    if (!deps) throw new CallRejectedError('outbound-unavailable', 'outbound calls are not available');
    if (this.draining) throw new CallRejectedError('shutting-down', 'shutting down');
    this.placing++;
    let placed: PlacedCall;
    try {
      placed = await placeOutboundCall(req, deps);
    } catch (err) {
      this.placing--;
      this.notifyIdleWaiters();
      throw err;
    }
    this.ringing.set(placed.callId, placed);
    this.tell((w) => w.placed?.(placed.callId));
    if (this.stopping) placed.cancel('shutdown'); // shutdown began while it was being dialled
    // Once answered it is live in the same turn: a hangup finds it in one of the two maps, never in neither.
    const answered = placed.answered.then(
      (call) => {
        this.ringing.delete(placed.callId);
        this.track(call, 'outbound');
        return call;
      },
      (err: unknown) => {
        this.tell((w) => w.notAnswered?.(placed.callId));
        throw err;
      },
    );
    void answered
      .finally(() => {
        this.ringing.delete(placed.callId);
        this.placing--;
        this.notifyIdleWaiters();
      })
      .catch(() => {});
    return { ...placed, answered };
  }

  /** True once {@link drain} or {@link shutdown} began: new calls are refused. */
  get isDraining(): boolean {
    return this.draining;
  }

  /**
   * Graceful stop, first half: new INVITEs get 503 with `Retry-After: retryAfterSec` (outbound calls are refused
   * too), calls in progress go on. Resolves once no call is live or being set up, or after `timeoutMs` on the
   * clock, with the number of calls still live; {@link shutdown} then ends those.
   */
  async drain(timeoutMs: number, retryAfterSec = this.retryAfterSec): Promise<number> {
    this.draining = true;
    this.retryAfterSec = retryAfterSec;
    const idle = (): boolean => this.calls.size === 0 && this.settingUpCount === 0;
    if (!idle()) {
      await new Promise<void>((resolve) => {
        const timer = this.deps.clock.setTimeout(() => finish(), timeoutMs);
        const check = (): void => {
          if (idle()) finish();
        };
        const finish = (): void => {
          timer.cancel();
          this.idleWaiters.delete(check);
          resolve();
        };
        this.idleWaiters.add(check);
      });
    }
    return this.calls.size + this.settingUpCount;
  }

  private notifyIdleWaiters(): void {
    for (const w of [...this.idleWaiters]) w();
  }

  /**
   * Ends every call with BYE and refuses new ones with 503. Resolves when every BYE was answered or
   * `maxWaitMs` passed, so the process does not close its SIP socket under its own BYEs.
   */
  async shutdown(maxWaitMs = 2000): Promise<void> {
    this.draining = true;
    this.stopping = true;
    const calls = [...this.calls.values()];
    for (const call of calls) call.end('shutdown');
    // A call still ringing would otherwise ring on until its ring timeout, only to be hung up on answer.
    const ringing = [...this.ringing.values()];
    for (const placed of ringing) placed.cancel('shutdown');
    let timer: TimerHandle | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = this.deps.clock.setTimeout(resolve, maxWaitMs);
    });
    // Their setups are waited for too (bot stopped, the failure recorded); the SIP stack itself waits for their 487s.
    const settled = ringing.map((p) => p.answered.then(() => undefined, () => undefined));
    await Promise.race([Promise.all([...calls.map((c) => c.hangupDone), ...settled]), timeout]);
    timer?.cancel();
  }

  /**
   * Keeps an answered call until it ends, and reports its end. One answered after shutdown began is ended at once,
   * after its end listener is in place, so the metrics see it end.
   */
  private track(call: Call, direction: 'inbound' | 'outbound'): void {
    call.onEnded((reason, seconds) => {
      const wasLive = this.calls.delete(call.id);
      this.deps.observer.callEnded(direction, reason, seconds, call.labels ?? {});
      if (wasLive) this.tell((w) => w.ended?.({ callId: call.id, reason, durationSec: seconds }));
      this.notifyIdleWaiters();
    });
    if (call.ended) return;
    this.calls.set(call.id, call);
    if (this.watchers.size > 0) {
      const info = call.live?.() ?? { callId: call.id };
      this.tell((w) => w.started?.(info));
    }
    if (this.stopping) call.end('shutdown');
  }

  private onIncoming(signal: IncomingCallSignal): void {
    if (this.draining) {
      this.logger.info({ sipCallId: signal.callId }, 'refusing call: shutting down');
      signal.reject(503, 'Service Unavailable', { 'Retry-After': String(this.retryAfterSec) });
      this.deps.observer.callRejected('inbound', 503, { reason: 'shutting-down' });
      return;
    }
    const callId = randomUUID();
    const setup = handleInboundCall(signal, this.currentDeps(), callId)
      .then((call) => {
        if (call) this.track(call, 'inbound');
        return call;
      })
      .catch((err: unknown) => {
        // handleInboundCall answers every error itself; reaching here is a bug worth a loud line.
        this.logger.error({ err, sipCallId: signal.callId }, 'inbound call setup crashed');
        return undefined;
      })
      .finally(() => {
        this.setups.delete(callId);
        this.notifyIdleWaiters();
      });
    this.setups.set(callId, setup);
  }
}
