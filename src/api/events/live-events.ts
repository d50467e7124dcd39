/**
 * The bridge's live event stream (GET /v1/events) behind its route: the clients connected, what they are sent,
 * and the one subscription to call control and the registrations that feeds them all. Each event is framed once
 * and written to every client. Nothing runs while no client is connected: the source is subscribed when the
 * first client comes and unsubscribed (timers cancelled) when the last goes.
 *
 * Events (`event:` name, `data:` JSON):
 *  - `snapshot` first, on every connection: `{ calls: [...], registrations: [{ name, state }] }`;
 *  - `call.started`: a live call as GET /v1/calls/{id} shows it, once answered;
 *  - `call.updated`: each live call again every `updateMs` (media figures, levels, duration);
 *  - `call.ended`: `{ callId, reason, durationSec }`;
 *  - `registration`: `{ name, state, node? }` when a PBX registration changes state (`node`: its holder, in a cluster);
 * and a comment line every `heartbeatMs`, so proxies and clients see the stream alive.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import { SseClient, type StreamResponse } from './sse-client.js';
import { sseComment, sseEvent, sseRetry } from './sse.js';

/** A registration's state as the stream tells it. */
export interface RegistrationStateView {
  name: string;
  state: string;
  /** The node that runs it (a cluster only). */
  node?: string;
}

/** What the source pushes; `call.updated` is not pushed but read from {@link LiveEventSource.calls} each tick. */
export type LiveEvent =
  | { type: 'call.started'; call: { callId: string } }
  | { type: 'call.ended'; callId: string; reason: string; durationSec: number }
  | ({ type: 'registration' } & RegistrationStateView);

/** Where the events come from (wired in app/ops.ts over call control and the registrations). */
export interface LiveEventSource {
  /** Every live call now, as GET /v1/calls lists them (sent again each tick as `call.updated`). */
  calls(): ReadonlyArray<{ callId: string }>;
  /**
   * The calls of a new client's snapshot when they must be read first (a cluster's registry); absent: {@link calls}.
   * Called after {@link subscribe}: what changes meanwhile reaches the client after its snapshot. On a failure the
   * snapshot holds {@link calls}.
   */
  snapshotCalls?(): Promise<ReadonlyArray<{ callId: string }>>;
  /** Every registration's state now. */
  registrations(): RegistrationStateView[];
  /** Pushes calls starting and ending and registration changes to `listener`; returns what unsubscribes. */
  subscribe(listener: (e: LiveEvent) => void): () => void;
}

export interface LiveEventsOptions {
  clock: Clock;
  logger: Logger;
  /** How often each live call is sent again (`call.updated`), ms. Default 1000. */
  updateMs?: number;
  /** How often a heartbeat comment goes out, ms. Default 15000. */
  heartbeatMs?: number;
  /** Clients served at once; one more is refused (429). Default 32. */
  maxClients?: number;
  /** Bytes that may wait unsent for one client when the next events come; past it the client is dropped. Default 256 KiB. */
  maxBufferedBytes?: number;
  /** The `retry:` a client is told to wait before reconnecting, ms. Default 2000. */
  retryMs?: number;
}

export class LiveEvents {
  private readonly clients = new Set<SseClient>();
  /** Clients whose snapshot is being read, with what was broadcast meanwhile (sent right after it). */
  private readonly pending = new Map<SseClient, { chunks: string[]; bytes: number }>();
  private unsubscribe: (() => void) | undefined;
  private updateTimer: TimerHandle | undefined;
  private heartbeatTimer: TimerHandle | undefined;
  private readonly updateMs: number;
  private readonly heartbeatMs: number;
  private readonly maxClients: number;
  private readonly maxBufferedBytes: number;
  private readonly retryMs: number;

  constructor(
    private readonly source: LiveEventSource,
    private readonly options: LiveEventsOptions,
  ) {
    this.updateMs = options.updateMs ?? 1000;
    this.heartbeatMs = options.heartbeatMs ?? 15_000;
    this.maxClients = options.maxClients ?? 32;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 256 * 1024;
    this.retryMs = options.retryMs ?? 2000;
  }

  /** Clients connected now. */
  get clientCount(): number {
    return this.clients.size;
  }

  /** True while subscribed to the source (some client is connected): the leak check's figure. */
  get active(): boolean {
    return this.unsubscribe !== undefined;
  }

  /** True when one more client would be refused. */
  get full(): boolean {
    return this.clients.size >= this.maxClients;
  }

  /**
   * Serves a client on `res` (its 200 and headers already written): the retry hint and a snapshot first.
   * `who` names it in the log (the API key's name). False when {@link full}.
   */
  attach(res: StreamResponse, who: string): boolean {
    if (this.full) return false;
    const client: SseClient = new SseClient(res, { maxBufferedBytes: this.maxBufferedBytes, onGone: (why) => this.detach(client, why, who) });
    this.clients.add(client);
    if (!this.active) this.start();
    this.options.logger.info({ key: who, clients: this.clients.size }, 'event stream client connected');
    const read = this.source.snapshotCalls;
    if (!read) {
      client.send(this.snapshot(this.source.calls()));
      return true;
    }
    this.pending.set(client, { chunks: [], bytes: 0 });
    void read
      .call(this.source)
      .catch(() => this.source.calls())
      .then((calls) => {
        const held = this.pending.get(client);
        if (!held) return; // gone meanwhile
        this.pending.delete(client);
        client.send(this.snapshot(calls) + held.chunks.join(''));
      });
    return true;
  }

  private snapshot(calls: ReadonlyArray<{ callId: string }>): string {
    return sseRetry(this.retryMs) + sseEvent('snapshot', { calls, registrations: this.source.registrations() });
  }

  /** Ends every client's stream (shutdown); the source is unsubscribed once they are gone. Safe twice. */
  close(): void {
    for (const c of [...this.clients]) c.close();
  }

  private detach(client: SseClient, why: 'closed' | 'dropped', who: string): void {
    if (!this.clients.delete(client)) return;
    this.pending.delete(client);
    if (why === 'dropped') this.options.logger.warn({ key: who, maxBufferedBytes: this.maxBufferedBytes }, 'event stream client dropped: it read too slowly');
    else this.options.logger.info({ key: who, clients: this.clients.size }, 'event stream client left');
    if (this.clients.size === 0) this.stop();
  }

  private start(): void {
    this.unsubscribe = this.source.subscribe((e) => this.pushed(e));
    this.armUpdate();
    this.armHeartbeat();
  }

  private stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.updateTimer?.cancel();
    this.updateTimer = undefined;
    this.heartbeatTimer?.cancel();
    this.heartbeatTimer = undefined;
  }

  private pushed(e: LiveEvent): void {
    if (e.type === 'call.started') this.broadcast(sseEvent('call.started', e.call));
    else if (e.type === 'call.ended') this.broadcast(sseEvent('call.ended', { callId: e.callId, reason: e.reason, durationSec: e.durationSec }));
    else this.broadcast(sseEvent('registration', { name: e.name, state: e.state, ...(e.node !== undefined ? { node: e.node } : {}) }));
  }

  private armUpdate(): void {
    this.updateTimer = this.options.clock.setTimeout(() => {
      if (!this.active) return;
      let chunk = '';
      for (const call of this.source.calls()) chunk += sseEvent('call.updated', call);
      if (chunk !== '') this.broadcast(chunk);
      if (this.active) this.armUpdate();
    }, this.updateMs);
  }

  private armHeartbeat(): void {
    this.heartbeatTimer = this.options.clock.setTimeout(() => {
      if (!this.active) return;
      this.broadcast(sseComment('heartbeat'));
      if (this.active) this.armHeartbeat();
    }, this.heartbeatMs);
  }

  /** Writes one framed chunk to every client (a client dropped meanwhile leaves the set). */
  private broadcast(chunk: string): void {
    for (const c of [...this.clients]) {
      const held = this.pending.get(c);
      if (!held) {
        c.send(chunk);
        continue;
      }
      held.chunks.push(chunk);
      held.bytes += chunk.length;
      // A snapshot read that takes long enough to pile this up is given up on: the client reconnects.
      if (held.bytes > this.maxBufferedBytes) c.close();
    }
  }
}
