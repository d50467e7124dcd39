/**
 * The shared store: one row in PostgreSQL that every bridge of a cluster reads and writes (README "Past one
 * machine"). A write is a compare-and-set on the revision inside one transaction, and the same transaction sends
 * NOTIFY, which PostgreSQL delivers only on commit: a bridge that hears a revision can read it. Each bridge keeps
 * one extra connection for LISTEN and re-reads after that connection comes back (a change may have been missed).
 */
import pg from 'pg';
import { newPgPool } from './pg-pool.js';
import { SystemClock, type Clock, type TimerHandle } from '../core/clock.js';
import { StaleRevisionError, StoreError, type ConfigStore, type StoredDocument } from './config-store.js';
import { PgListener } from './pg-listener.js';

/** The table and NOTIFY channel; one row (id 1) holds the whole document. */
export const PG_TABLE = 'trunkbridge_config';
export const PG_CHANNEL = 'trunkbridge_config';
/** Serializes CREATE TABLE when several bridges start at once (two racing IF NOT EXISTS can both fail). */
const SCHEMA_LOCK = 0x7472_756e; // "trun"
/** Delay before the LISTEN connection is retried after it broke, and before a failed catch-up read is retried. */
const RELISTEN_MS = 500;

export interface PostgresStoreOptions {
  clock?: Clock;
  /** Connections for reads and writes (LISTEN takes one more). Default 4. */
  poolSize?: number;
  /** Told when the LISTEN connection breaks (it is retried every 500 ms). */
  onListenError?: (err: Error) => void;
}

/** `postgres://user:secret@host/db` -> `postgres://user@host/db`: the password never reaches a log. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return '(unparsable postgres url)';
  }
}

interface Row {
  revision: number;
  updated_at: Date;
  document: unknown;
}

function toStored(row: Row): StoredDocument {
  return { revision: row.revision, updatedAt: row.updated_at.toISOString(), document: row.document };
}

/** A PostgreSQL store; {@link open} before use. */
export class PostgresConfigStore implements ConfigStore {
  readonly location: string;
  private readonly pool: pg.Pool;
  private readonly clock: Clock;
  private readonly listeners: ((revision: number) => void)[] = [];
  private readonly listener: PgListener;
  /** Set once the first LISTEN is up: each later one follows a break, after which the store re-reads. */
  private listenedBefore = false;
  private catchUpTimer: TimerHandle | undefined;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly options: PostgresStoreOptions = {},
  ) {
    this.location = redactUrl(url);
    this.clock = options.clock ?? new SystemClock();
    this.pool = newPgPool({ connectionString: url, max: options.poolSize ?? 4 });
    this.listener = new PgListener({
      url,
      channel: PG_CHANNEL,
      clock: this.clock,
      retryMs: RELISTEN_MS,
      onPayload: (payload) => {
        const revision = Number(payload);
        if (Number.isInteger(revision)) this.tell(revision);
      },
      onListening: () => {
        if (this.listenedBefore) void this.catchUp();
        this.listenedBefore = true;
      },
      onError: (err) => this.options.onListenError?.(err),
    });
  }

  /**
   * Creates the table when missing and starts listening for other bridges' writes.
   * @throws StoreError when the database cannot be reached or the table not created.
   */
  async open(): Promise<void> {
    await this.transaction('open', async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
      // json, not jsonb: the document comes back with its keys in the order they were written.
      await c.query(
        `CREATE TABLE IF NOT EXISTS ${PG_TABLE} (id smallint PRIMARY KEY CHECK (id = 1), revision integer NOT NULL, ` +
          'updated_at timestamptz NOT NULL, document json NOT NULL)',
      );
    });
    try {
      await this.listener.open();
    } catch (err) {
      throw new StoreError(`cannot listen on ${this.location}: ${(err as Error).message}`, err);
    }
  }

  async read(): Promise<StoredDocument | undefined> {
    const res = await this.query<Row>('read', `SELECT revision, updated_at, document FROM ${PG_TABLE} WHERE id = 1`);
    return res.rows[0] ? toStored(res.rows[0]) : undefined;
  }

  write(document: unknown, expectedRevision: number): Promise<StoredDocument> {
    const json = JSON.stringify(document);
    return this.transaction('write', async (c) => {
      const res =
        expectedRevision === 0
          ? await c.query<Row>(
              `INSERT INTO ${PG_TABLE} (id, revision, updated_at, document) VALUES (1, 1, now(), $1) ON CONFLICT (id) DO NOTHING ` +
                'RETURNING revision, updated_at, document',
              [json],
            )
          : await c.query<Row>(
              `UPDATE ${PG_TABLE} SET revision = revision + 1, updated_at = now(), document = $1 WHERE id = 1 AND revision = $2 ` +
                'RETURNING revision, updated_at, document',
              [json, expectedRevision],
            );
      const row = res.rows[0];
      if (!row) {
        const cur = await c.query<{ revision: number }>(`SELECT revision FROM ${PG_TABLE} WHERE id = 1`);
        throw new StaleRevisionError(expectedRevision, cur.rows[0]?.revision ?? 0);
      }
      await c.query('SELECT pg_notify($1, $2)', [PG_CHANNEL, String(row.revision)]);
      return toStored(row);
    });
  }

  watch(listener: (revision: number) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.catchUpTimer?.cancel();
    await this.listener.close();
    await this.pool.end().catch(() => undefined);
  }

  private tell(revision: number): void {
    for (const l of this.listeners) {
      try {
        l(revision);
      } catch {
        // A listener's failure is its own to report; the others still hear the revision.
      }
    }
  }

  /** Listening again after a break: a change may have been written meanwhile, so the current revision is re-read. */
  private async catchUp(): Promise<void> {
    if (this.closed) return;
    try {
      const cur = await this.read();
      if (cur) this.tell(cur.revision);
    } catch (err) {
      this.options.onListenError?.(err as Error);
      if (!this.closed) this.catchUpTimer = this.clock.setTimeout(() => void this.catchUp(), RELISTEN_MS);
    }
  }

  private async query<R extends pg.QueryResultRow>(what: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(sql, params);
    } catch (err) {
      throw new StoreError(`cannot ${what} ${this.location}: ${(err as Error).message}`, err);
    }
  }

  /** Runs `fn` in one transaction; a StaleRevisionError passes through, any other failure is a StoreError. */
  private async transaction<T>(what: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw new StoreError(`cannot ${what} ${this.location}: ${(err as Error).message}`, err);
    }
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (err instanceof StaleRevisionError) throw err;
      throw new StoreError(`cannot ${what} ${this.location}: ${(err as Error).message}`, err);
    } finally {
      client.release();
    }
  }
}
