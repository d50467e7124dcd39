/**
 * Leases in PostgreSQL (README "Past one machine"): one row per lease in its own table, taken or renewed by one
 * atomic upsert that only succeeds when the row is expired or already ours, so two nodes can never both hold it.
 * Expiry is the database's clock (`now()`), the one clock every node shares. A release is announced with NOTIFY,
 * so a node waiting for the lease takes it at once (a rolling upgrade hands registrations over without a gap).
 */
import pg from 'pg';
import { newPgPool } from './pg-pool.js';
import { SystemClock, type Clock } from '../core/clock.js';
import { StoreError } from './config-store.js';
import type { LeaseStore, LeaseView } from './leases.js';
import { redactUrl } from './postgres-store.js';
import { PgListener } from './pg-listener.js';

export const PG_LEASE_TABLE = 'trunkbridge_leases';
/** NOTIFY channel of releases; the payload is the lease's name. */
export const PG_LEASE_CHANNEL = 'trunkbridge_leases';
/** Delay before the LISTEN connection is retried after it broke (meanwhile the nodes' ticks still find releases). */
const RELISTEN_MS = 1000;
/** Serializes CREATE TABLE when several nodes start at once (another key than the configuration table's). */
const SCHEMA_LOCK = 0x6c65_6173; // "leas"

export interface PostgresLeasesOptions {
  /** How long a connection attempt or a query may take before it fails (ms). Default 2000. */
  timeoutMs?: number;
  clock?: Clock;
}

/**
 * Takes the lease when the row is missing, expired or ours; otherwise the upsert changes nothing and the second
 * half reads who holds it. (Both halves see the same snapshot, so a row another node inserted in the same instant
 * can be missing from both: the answer is then "not mine, holder unknown".)
 */
const ACQUIRE_SQL = `WITH got AS (
  INSERT INTO ${PG_LEASE_TABLE} AS l (name, holder, note, expires_at)
  VALUES ($1, $2, $3, now() + make_interval(secs => $4::double precision / 1000))
  ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, note = EXCLUDED.note, expires_at = EXCLUDED.expires_at
  WHERE l.expires_at <= now() OR l.holder = EXCLUDED.holder
  RETURNING l.holder, l.note)
SELECT holder, note, true AS mine FROM got
UNION ALL
SELECT holder, note, false AS mine FROM ${PG_LEASE_TABLE} WHERE name = $1 AND NOT EXISTS (SELECT 1 FROM got)`;

/** Deletes the row when it is ours; the NOTIFY goes out on commit, only when a row went. */
const RELEASE_SQL = `WITH gone AS (DELETE FROM ${PG_LEASE_TABLE} WHERE name = $1 AND holder = $2 RETURNING name)
SELECT pg_notify('${PG_LEASE_CHANNEL}', name) FROM gone`;

interface Row {
  holder: string;
  note: string;
  mine: boolean;
}

export class PostgresLeases implements LeaseStore {
  readonly shared = true;
  readonly location: string;
  private readonly pool: pg.Pool;
  /** The last operation on each lease: a release and the next acquire of the same name never overtake each other. */
  private readonly tails = new Map<string, Promise<unknown>>();
  private opened: Promise<void> | undefined;
  private closed = false;
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private readonly releaseListeners: ((name: string) => void)[] = [];
  /** LISTENs for releases once someone wants to hear of them. */
  private releases: PgListener | undefined;

  constructor(
    private readonly url: string,
    readonly nodeId: string,
    options: PostgresLeasesOptions = {},
  ) {
    this.location = redactUrl(url);
    this.clock = options.clock ?? new SystemClock();
    const timeoutMs = options.timeoutMs ?? 2000;
    this.timeoutMs = timeoutMs;
    // A query stuck on a dead network must fail in time for the holder to notice its lease ran out.
    this.pool = newPgPool({ connectionString: url, max: 2, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  }

  open(): Promise<void> {
    this.opened ??= this.createTable();
    return this.opened;
  }

  acquire(name: string, ttlMs: number, note: string): Promise<LeaseView> {
    return this.inOrder(name, async () => {
      await this.open();
      const res = await this.query<Row>('take lease', ACQUIRE_SQL, [name, this.nodeId, note, ttlMs]);
      const row = res.rows[0];
      return row ? { mine: row.mine, holder: row.holder, note: row.note } : { mine: false, holder: undefined, note: undefined };
    });
  }

  release(name: string): Promise<void> {
    return this.inOrder(name, async () => {
      await this.query('release lease', RELEASE_SQL, [name, this.nodeId]);
    });
  }

  onReleased(listener: (name: string) => void): void {
    this.releaseListeners.push(listener);
    if (this.releaseListeners.length > 1 || this.closed) return;
    this.releases = new PgListener({
      url: this.url,
      channel: PG_LEASE_CHANNEL,
      clock: this.clock,
      connectTimeoutMs: this.timeoutMs,
      retryMs: RELISTEN_MS,
      onPayload: (name) => {
        for (const l of this.releaseListeners) {
          try {
            l(name);
          } catch {
            // A listener's failure is its own; the others still hear of the release.
          }
        }
      },
    });
    this.releases.start();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.tails.values()]);
    await this.releases?.close();
    await this.pool.end().catch(() => undefined);
  }

  private async createTable(): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      this.opened = undefined; // the next acquire tries again
      throw new StoreError(`cannot open leases in ${this.location}: ${(err as Error).message}`, err);
    }
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
      await client.query(`CREATE TABLE IF NOT EXISTS ${PG_LEASE_TABLE} (name text PRIMARY KEY, holder text NOT NULL, note text NOT NULL, expires_at timestamptz NOT NULL)`);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      this.opened = undefined;
      throw new StoreError(`cannot open leases in ${this.location}: ${(err as Error).message}`, err);
    } finally {
      client.release();
    }
  }

  private inOrder<T>(name: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError(`leases in ${this.location} are closed`));
    const run = (this.tails.get(name) ?? Promise.resolve()).then(fn, fn);
    const tail = run.catch(() => undefined);
    this.tails.set(name, tail);
    void tail.then(() => {
      if (this.tails.get(name) === tail) this.tails.delete(name);
    });
    return run;
  }

  private async query<R extends pg.QueryResultRow>(what: string, sql: string, params: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(sql, params);
    } catch (err) {
      throw new StoreError(`cannot ${what} in ${this.location}: ${(err as Error).message}`, err);
    }
  }
}
