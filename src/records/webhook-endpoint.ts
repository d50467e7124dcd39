/**
 * Delivery to one webhook URL: events are taken from its {@link Spool} strictly in the order they were queued,
 * one at a time, so a receiver sees each call's events in order (and the order of calls kept too). An event is
 * POSTed only once its spool line is on disk, and marked done only after a 2xx; anything else (a non-2xx
 * answer, a timeout, a refused connection) is retried after an exponential backoff on the injected clock, with
 * the same id, until it succeeds or is older than `maxAgeMs` (then it is dropped, logged and counted). A
 * restart resends what was not marked done: a receiver that keeps the ids it has seen gets each event once.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { retryDelayMs, type BackoffPolicy } from './backoff.js';
import type { WebhookEvent, WebhookEventType } from './call-record.js';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signWebhook } from './signature.js';
import type { Spool } from './spool.js';

/** One configured webhook. */
export interface WebhookTarget {
  url: string;
  secret: string;
  events: readonly WebhookEventType[];
  /** One attempt's limit, ms. */
  timeoutMs: number;
  retry: BackoffPolicy;
  /** An event still failing this long after it happened is dropped, ms. */
  maxAgeMs: number;
}

/** POSTs `body`; resolves with the HTTP status, rejects on a network error or timeout. */
export type HttpPost = (url: string, body: string, headers: Record<string, string>, timeoutMs: number) => Promise<number>;

/** What delivery reports to metrics (wired in app.ts). */
export interface DeliveryObserver {
  delivered(endpoint: number): void;
  attemptFailed(endpoint: number): void;
  dropped(endpoint: number): void;
}

/** What `GET /v1/webhooks/status` shows of one endpoint. */
export interface EndpointStatus {
  url: string;
  events: readonly WebhookEventType[];
  state: 'idle' | 'delivering' | 'retrying';
  pending: number;
  oldestPendingAt: string | null;
  delivered: number;
  failedAttempts: number;
  dropped: number;
  consecutiveFailures: number;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  lastError: string | null;
  nextAttemptAt: string | null;
}

export interface EndpointDeps {
  clock: Clock;
  /** Wall time, ms since the epoch: signature timestamps, event ages, the status page. */
  wallNow: () => number;
  post: HttpPost;
  log: Logger;
  observer: DeliveryObserver;
}

/** The URL without credentials or query (both may hold secrets), for logs and the status page. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}${u.search ? '?…' : ''}`;
  } catch {
    return '[invalid url]';
  }
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

export class WebhookEndpoint {
  private inFlight = false;
  private timer: TimerHandle | undefined;
  private nextAttemptAt: number | undefined;
  private closed = false;
  private failures = 0;
  private readonly written = new Map<string, Promise<void>>();
  private readonly counts = { delivered: 0, failedAttempts: 0, dropped: 0 };
  private last: { successAt?: number; failureAt?: number; error?: string } = {};
  private readonly wanted: ReadonlySet<string>;
  private readonly log: Logger;

  constructor(
    readonly index: number,
    private readonly target: WebhookTarget,
    private readonly spool: Spool<WebhookEvent>,
    private readonly deps: EndpointDeps,
  ) {
    this.wanted = new Set(target.events);
    this.log = deps.log.child({ webhook: index, url: displayUrl(target.url) });
  }

  /** True when this endpoint subscribes to `type`. */
  wants(type: WebhookEventType): boolean {
    return this.wanted.has(type);
  }

  /** Starts delivering what the spool held from before (call once, after open). */
  start(): void {
    if (this.spool.pending.length > 0) this.log.info({ pending: this.spool.pending.length }, 'webhook: delivering events spooled before the restart');
    this.kick();
  }

  /** Queues an event (durably) and delivers it in its turn. */
  enqueue(event: WebhookEvent): void {
    if (this.closed) return;
    const written = this.spool.add(event).catch((err: unknown) => {
      // Still delivered from memory; only a restart before then would lose it.
      this.log.error({ err, eventId: event.id, callId: event.callId }, 'webhook: event could not be spooled to disk');
    });
    this.written.set(event.id, written);
    this.kick();
  }

  status(): EndpointStatus {
    const oldest = this.spool.pending[0];
    return {
      url: displayUrl(this.target.url),
      events: this.target.events,
      state: this.timer ? 'retrying' : this.inFlight ? 'delivering' : 'idle',
      pending: this.spool.pending.length,
      oldestPendingAt: oldest ? oldest.createdAt : null,
      ...this.counts,
      consecutiveFailures: this.failures,
      lastSuccessAt: iso(this.last.successAt),
      lastFailureAt: iso(this.last.failureAt),
      lastError: this.last.error ?? null,
      nextAttemptAt: this.timer ? iso(this.nextAttemptAt) : null,
    };
  }

  /** Stops delivering (what is pending stays spooled for the next start) and closes the spool. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    await this.spool.close();
  }

  private kick(): void {
    if (this.inFlight || this.timer || this.closed || this.spool.pending.length === 0) return;
    this.inFlight = true;
    void this.deliverHead()
      .catch((err: unknown) => this.log.error({ err }, 'webhook: delivery loop failed'))
      .finally(() => {
        this.inFlight = false;
        this.kick();
      });
  }

  private async deliverHead(): Promise<void> {
    const event = this.spool.pending[0];
    await this.written.get(event.id);
    if (this.closed) return;
    const error = await this.attempt(event);
    if (this.closed) return;
    if (error === undefined) {
      this.failures = 0;
      this.counts.delivered++;
      this.last.successAt = this.deps.wallNow();
      this.deps.observer.delivered(this.index);
      await this.finish(event);
      return;
    }
    this.failures++;
    this.counts.failedAttempts++;
    this.last = { ...this.last, failureAt: this.deps.wallNow(), error };
    this.deps.observer.attemptFailed(this.index);
    const ageMs = this.deps.wallNow() - Date.parse(event.createdAt);
    if (ageMs > this.target.maxAgeMs) {
      this.log.error({ eventId: event.id, callId: event.callId, type: event.type, ageMs, error }, 'webhook: event dropped, still failing after maxAgeHours');
      this.failures = 0;
      this.counts.dropped++;
      this.deps.observer.dropped(this.index);
      await this.finish(event);
      return;
    }
    const delay = retryDelayMs(this.failures, this.target.retry);
    this.log.warn({ eventId: event.id, callId: event.callId, type: event.type, error, retryInMs: delay, failures: this.failures }, 'webhook: delivery failed; will retry');
    this.nextAttemptAt = this.deps.wallNow() + delay;
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, delay);
  }

  private async finish(event: WebhookEvent): Promise<void> {
    this.written.delete(event.id);
    await this.spool.done(event.id).catch((err: unknown) => {
      // Delivered but not marked: a restart sends it again, and the receiver's id check drops it.
      this.log.error({ err, eventId: event.id }, 'webhook: could not mark an event delivered in the spool');
    });
  }

  /** One POST; undefined on a 2xx, else what went wrong. */
  private async attempt(event: WebhookEvent): Promise<string | undefined> {
    const body = JSON.stringify(event);
    const headers = {
      'Content-Type': 'application/json',
      'User-Agent': 'trunkbridge',
      [EVENT_ID_HEADER]: event.id,
      [SIGNATURE_HEADER]: signWebhook(this.target.secret, this.deps.wallNow() / 1000, body),
    };
    try {
      const status = await this.deps.post(this.target.url, body, headers, this.target.timeoutMs);
      if (status >= 200 && status < 300) {
        this.log.debug({ eventId: event.id, callId: event.callId, type: event.type, status }, 'webhook: delivered');
        return undefined;
      }
      return `HTTP ${status}`;
    } catch (err) {
      return (err as Error).message || String(err);
    }
  }
}

/** {@link HttpPost} over Node's fetch; the timeout runs on `clock`. Redirects are not followed (a 3xx fails). */
export function fetchPost(clock: Clock): HttpPost {
  return async (url, body, headers, timeoutMs) => {
    const abort = new AbortController();
    const timer = clock.setTimeout(() => abort.abort(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    try {
      const res = await fetch(url, { method: 'POST', body, headers, redirect: 'manual', signal: abort.signal });
      await res.arrayBuffer().catch(() => undefined);
      return res.status;
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw abort.signal.aborted ? (abort.signal.reason as Error) : new Error(cause?.code ?? cause?.message ?? (err as Error).message);
    } finally {
      timer.cancel();
    }
  };
}
