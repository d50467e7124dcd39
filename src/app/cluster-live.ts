/**
 * The cluster's live calls for GET /v1/events (README "Past one machine"), part of the composition root (layer
 * "app"): this node's calls from call control (with `node`), the other nodes' from the registry's change
 * notifications, and a re-read of the registry every `rereadMs` (a node that died ends its calls there, and a
 * missed notification is caught up). Runs only while the stream has a client.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { CallManager } from '../calls/call-manager.js';
import type { CallRegistry } from '../store/index.js';
import type { LiveEvent } from '../api/events/index.js';
import { RemoteCallsView, type ClusterCallView } from './cluster-view.js';

/** How often the registry is re-read while the stream is followed, ms: a dead node's calls end within this plus its expiry. */
export const REREAD_MS = 2000;

export class ClusterLiveCalls {
  private readonly view: RemoteCallsView;
  private readonly listeners = new Set<(e: LiveEvent) => void>();
  private stopWatching: (() => void) | undefined;
  private timer: TimerHandle | undefined;
  private reading = false;
  private readAgain = false;

  constructor(
    private readonly registry: CallRegistry,
    private readonly calls: CallManager,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly rereadMs = REREAD_MS,
  ) {
    this.view = new RemoteCallsView(registry.nodeId);
  }

  /** Every call known now: this node's as they are, the others' as published (duration now, no media figures). */
  list(): ClusterCallView[] {
    const node = this.registry.nodeId;
    return [...this.calls.list().map((c) => ({ ...c, node })), ...this.view.calls(Date.now())];
  }

  /** The list after a fresh read of the registry (a stream's snapshot); what it changes is told to the watchers too. */
  async snapshot(): Promise<ClusterCallView[]> {
    await this.read();
    return this.list();
  }

  /** Calls starting and ending on any node; the first watcher starts the feed, the last one's leaving stops it. */
  watch(listener: (e: LiveEvent) => void): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.start();
    return () => {
      if (this.listeners.delete(listener) && this.listeners.size === 0) this.stop();
    };
  }

  private start(): void {
    const node = this.registry.nodeId;
    const unwatchCalls = this.calls.watch({
      started: (call) => {
        const view: ClusterCallView = { ...call, node };
        this.emit([{ type: 'call.started', call: view }]);
      },
      ended: (e) => this.emit([{ type: 'call.ended', ...e }]),
    });
    const unwatchRegistry = this.registry.watch(
      (change) => {
        const { events, reread } = this.view.apply(change, Date.now());
        this.emit(events);
        if (reread) this.requestRead();
      },
      () => this.requestRead(),
    );
    this.stopWatching = () => {
      unwatchCalls();
      unwatchRegistry();
    };
    this.arm();
  }

  private stop(): void {
    this.stopWatching?.();
    this.stopWatching = undefined;
    this.timer?.cancel();
    this.timer = undefined;
    this.view.clear();
  }

  private arm(): void {
    this.timer = this.clock.setTimeout(() => {
      if (!this.stopWatching) return;
      this.requestRead();
      this.arm();
    }, this.rereadMs);
  }

  /** A read soon: one at a time, and one more after it when asked meanwhile. */
  private requestRead(): void {
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = true;
    void this.read().finally(() => {
      this.reading = false;
      if (this.readAgain && this.stopWatching) {
        this.readAgain = false;
        this.requestRead();
      }
    });
  }

  private async read(): Promise<void> {
    const mark = this.view.mark();
    try {
      const list = await this.registry.list();
      if (this.stopWatching) this.emit(this.view.reconcile(list, mark, Date.now()));
    } catch (err) {
      // The store is away: the stream keeps what it knows and the next read catches up.
      this.log.debug({ err: (err as Error).message }, 'event stream: cannot read the shared call registry');
    }
  }

  private emit(events: readonly LiveEvent[]): void {
    for (const e of events) for (const l of [...this.listeners]) l(e);
  }
}
