/**
 * One connection that LISTENs on a PostgreSQL channel and hands each payload on; when the connection breaks it is
 * opened again after `retryMs`. Notifications sent while it was down are lost, so `onListening` runs each time it
 * (re)starts listening: the owner re-reads what it may have missed.
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

  /** Starts listening (once; later calls do nothing). */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    void this.listen();
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
    const o = this.options;
    const client = new pg.Client({ connectionString: o.url, connectionTimeoutMillis: o.connectTimeoutMs ?? 2000 });
    let broken = false;
    const retry = (): void => {
      if (broken) return; // 'error' and 'end' both come for one failure
      broken = true;
      if (this.client === client) this.client = undefined;
      client.end().catch(() => undefined);
      if (!this.closed) this.retryTimer = o.clock.setTimeout(() => void this.listen(), o.retryMs ?? 1000);
    };
    client.on('error', retry);
    client.on('end', retry);
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
    } catch {
      retry();
      return;
    }
    if (this.closed) {
      broken = true;
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    o.onListening?.();
  }
}
