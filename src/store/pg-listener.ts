/**
 * One connection that LISTENs on a PostgreSQL channel and hands each payload on; when the connection breaks it is
 * opened again after `retryMs`. Notifications sent while it was down are lost, so `onListening` runs each time it
 * (re)starts listening: the owner re-reads what it may have missed. {@link PgListener.start} keeps trying from
 * the first connection on; {@link PgListener.open} fails when the first one does (an owner that must not start
 * without it), and retries only later breaks.
 */
import pg from 'pg';
import type { Clock, TimerHandle } from '../core/clock.js';

export interface PgListenerOptions {
  url: string;
  channel: string;
  clock: Clock;
  onPayload(payload: string): void;
  /** Listening (again): notifications may have been missed meanwhile. */
  onListening?(): void;
  /** Told when the connection breaks or cannot be opened again (it is retried after `retryMs`). */
  onError?(err: Error): void;
  /** Delay before a broken connection is opened again, ms. Default 1000. */
  retryMs?: number;
  connectTimeoutMs?: number;
}

export class PgListener {
  private client: pg.Client | undefined;
  private retryTimer: TimerHandle | undefined;
  private started = false;
  private closed = false;

  constructor(private readonly options: PgListenerOptions) {}

  /** Starts listening (once; later calls do nothing); a failed first connection is retried like a broken one. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    void this.listen();
  }

  /**
   * Opens the first connection and LISTENs; rejects when that fails (nothing is retried then). Breaks after it
   * are retried as with {@link start}. Once only, like start.
   */
  async open(): Promise<void> {
    if (this.started || this.closed) return;
    this.started = true;
    await this.connect();
  }

  /** Stops for good; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.retryTimer?.cancel();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async listen(): Promise<void> {
    if (this.closed) return;
    try {
      await this.connect();
    } catch (err) {
      this.options.onError?.(err as Error);
      this.retryLater();
    }
  }

  private retryLater(): void {
    if (!this.closed) this.retryTimer = this.options.clock.setTimeout(() => void this.listen(), this.options.retryMs ?? 1000);
  }

  /** One connection LISTENing, a later break retried; throws when it cannot be opened (the caller decides). */
  private async connect(): Promise<void> {
    const o = this.options;
    const client = new pg.Client({ connectionString: o.url, connectionTimeoutMillis: o.connectTimeoutMs ?? 2000 });
    let broken = false;
    let listening = false;
    const onBreak = (err: Error): void => {
      if (broken) return; // 'error' and 'end' both come for one failure
      broken = true;
      if (this.client === client) this.client = undefined;
      client.end().catch(() => undefined);
      // A connection that never listened: connect() throws and its caller handles it. After close(): our own end.
      if (!listening || this.closed) return;
      o.onError?.(err);
      this.retryLater();
    };
    client.on('error', onBreak);
    client.on('end', () => onBreak(new Error('the LISTEN connection closed')));
    client.on('notification', (n) => {
      if (n.channel !== o.channel || n.payload === undefined) return;
      try {
        o.onPayload(n.payload);
      } catch {
        // The owner's failure is its own: the connection keeps listening.
      }
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${o.channel}`);
    } catch (err) {
      onBreak(err as Error);
      throw err;
    }
    if (this.closed) {
      broken = true;
      await client.end().catch(() => undefined);
      return;
    }
    listening = true;
    this.client = client;
    o.onListening?.();
  }
}
