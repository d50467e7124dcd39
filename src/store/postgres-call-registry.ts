/**
 * The cluster's live calls in PostgreSQL (README "Past one machine"): table `trunkbridge_nodes` (one row per
 * node: its API URL and the database time it was last heard from) and `trunkbridge_calls` (one row per call a
 * node owns, from its trunk slot or its answer until it ends). Liveness is judged on the database's clock, so
 * nodes' clocks may differ. A claim counts the trunk's calls of live nodes under a per-trunk advisory lock in the
 * claiming transaction: racing nodes take turns, and the second sees the first's row.
 *
 * This node's own truth is in memory ({@link local}); the heartbeat deletes its rows that memory no longer has
 * (a delete that failed while the store was down) and, after a failed write, writes every local row again.
 */
import pg from 'pg';
import { newPgPool } from './pg-pool.js';
import { SystemClock, type Clock, type TimerHandle } from '../core/clock.js';
import { CallRejectedError } from '../core/errors.js';
import { busy, HEARTBEAT_MS, NODE_EXPIRY_MS, type CallEnd, type CallRegistry, type CallRegistryOptions, type NodeAddress, type RegisteredCall } from './call-registry.js';
import { redactUrl } from './postgres-store.js';
import { encodeCallChange, parseCallChange, PG_CALLS_CHANNEL, type CallChange } from './call-changes.js';
import { PgListener } from './pg-listener.js';

export const PG_NODES_TABLE = 'trunkbridge_nodes';
export const PG_CALLS_TABLE = 'trunkbridge_calls';
/** Serializes CREATE TABLE when nodes start at once ("trcr"). */
const SCHEMA_LOCK = 0x7472_6372;
/** Advisory lock class of the per-trunk claim lock ("trcl"); the trunk name's hash is the other key. */
const CLAIM_LOCK = 0x7472_636c;
/** Rows of nodes dead this long are deleted by whichever node beats (until then a slow node may come back), s. */
const GC_AFTER_SEC = 600;
/** A row younger than this is never reconciled away: its claim may have raced the heartbeat's snapshot, s. */
const RECONCILE_GRACE_SEC = 5;

export interface PostgresCallRegistryOptions extends CallRegistryOptions {
  /** Told when the store becomes unreachable or reachable again (one call per change), and of failed writes. */
  onHealthChange?: (healthy: boolean, err?: Error) => void;
}

interface LocalCall {
  trunk: string | undefined;
  info: Record<string, unknown> | undefined;
}

export class PostgresCallRegistry implements CallRegistry {
  private readonly pool: pg.Pool;
  private readonly clock: Clock;
  private readonly heartbeatMs: number;
  private readonly expiryMs: number;
  private readonly local = new Map<string, LocalCall>();
  /** Per call, its writes in order (claim, publish, release). */
  private readonly chains = new Map<string, Promise<void>>();
  private resync = false;
  private timer: TimerHandle | undefined;
  private beating: Promise<void> | undefined;
  private closed = false;
  private isHealthy = false;
  readonly location: string;
  /** Started by the first {@link watch}: one more connection, LISTENing for every node's call changes. */
  private readonly listener: PgListener;
  private readonly watchers = new Set<(change: CallChange) => void>();
  private readonly resyncWatchers = new Set<() => void>();

  constructor(
    url: string,
    readonly nodeId: string,
    private readonly options: PostgresCallRegistryOptions = {},
  ) {
    this.location = redactUrl(url);
    this.clock = options.clock ?? new SystemClock();
    this.heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
    this.expiryMs = options.expiryMs ?? NODE_EXPIRY_MS;
    this.pool = newPgPool({ connectionString: url, max: 3, connectionTimeoutMillis: 2000 });
    this.listener = new PgListener({
      url,
      channel: PG_CALLS_CHANNEL,
      clock: this.clock,
      onPayload: (payload) => {
        const change = parseCallChange(payload);
        if (change) for (const w of [...this.watchers]) w(change);
      },
      onListening: () => {
        for (const w of [...this.resyncWatchers]) w();
      },
    });
  }

  get healthy(): boolean {
    return this.isHealthy && !this.closed;
  }

  /** `n.last_seen` recent enough: the node is alive. */
  private get liveSql(): string {
    return `n.last_seen > now() - ${Math.round(this.expiryMs)} * interval '1 millisecond'`;
  }

  /** @throws CallRejectedError 'store-unreachable' when the tables cannot be created or the node registered. */
  async open(): Promise<void> {
    await this.transaction(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
      await c.query(`CREATE TABLE IF NOT EXISTS ${PG_NODES_TABLE} (node_id text PRIMARY KEY, api_url text, last_seen timestamptz NOT NULL)`);
      await c.query(
        `CREATE TABLE IF NOT EXISTS ${PG_CALLS_TABLE} (call_id text PRIMARY KEY, node_id text NOT NULL, trunk text, info json, ` +
          'created_at timestamptz NOT NULL DEFAULT now())',
      );
      await c.query(`CREATE INDEX IF NOT EXISTS ${PG_CALLS_TABLE}_trunk ON ${PG_CALLS_TABLE} (trunk)`);
      await c.query(`CREATE INDEX IF NOT EXISTS ${PG_CALLS_TABLE}_node ON ${PG_CALLS_TABLE} (node_id)`);
      // A restarted node with a configured id owns none of the calls its earlier process left.
      await c.query(`DELETE FROM ${PG_CALLS_TABLE} WHERE node_id = $1`, [this.nodeId]);
      await this.touch(c);
    });
    this.setHealth(true);
    this.timer = this.clock.setTimeout(() => void this.beat(), this.heartbeatMs);
  }

  private async touch(c: pg.PoolClient): Promise<void> {
    await c.query(
      `INSERT INTO ${PG_NODES_TABLE} (node_id, api_url, last_seen) VALUES ($1, $2, now()) ` +
        'ON CONFLICT (node_id) DO UPDATE SET api_url = EXCLUDED.api_url, last_seen = now()',
      [this.nodeId, this.options.apiUrl ?? null],
    );
  }

  claim(callId: string, trunk: string, limit: number): Promise<void> {
    this.local.set(callId, { trunk, info: undefined });
    return this.chain(callId, async () => {
      try {
        await this.transaction(async (c) => {
          await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [CLAIM_LOCK, trunk]);
          // This node's own calls count even when its last beat is late (no write to its row: claims stay parallel).
          const res = await c.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM ${PG_CALLS_TABLE} c JOIN ${PG_NODES_TABLE} n USING (node_id) WHERE c.trunk = $1 AND (c.node_id = $2 OR ${this.liveSql})`,
            [trunk, this.nodeId],
          );
          if ((res.rows[0]?.n ?? 0) >= limit) throw busy(trunk, limit);
          await c.query(
            `INSERT INTO ${PG_CALLS_TABLE} (call_id, node_id, trunk) VALUES ($1, $2, $3) ` +
              'ON CONFLICT (call_id) DO UPDATE SET node_id = EXCLUDED.node_id, trunk = EXCLUDED.trunk',
            [callId, this.nodeId, trunk],
          );
        });
      } catch (err) {
        this.local.delete(callId);
        throw err;
      }
    });
  }

  own(callId: string): Promise<void> {
    if (this.local.has(callId)) return Promise.resolve(); // claimed or published already
    this.local.set(callId, { trunk: undefined, info: undefined });
    return this.chain(callId, () => this.write(callId)).catch((err: Error) => this.failedWrite(err));
  }

  publish(callId: string, trunk: string | undefined, info: Record<string, unknown>): Promise<void> {
    const prev = this.local.get(callId);
    this.local.set(callId, { trunk: prev?.trunk ?? trunk, info });
    return this.chain(callId, () => this.write(callId)).catch((err: Error) => this.failedWrite(err));
  }

  release(callId: string, ended?: CallEnd): Promise<void> {
    this.local.delete(callId);
    return this.chain(callId, async () => {
      // One statement: the row goes and the others are told at the same commit. A slot freed before any answer
      // was never listed: nobody needs to hear of it.
      const change = encodeCallChange({ op: 'released', callId, node: this.nodeId, ...(ended ?? {}) });
      await this.query(
        `WITH gone AS (DELETE FROM ${PG_CALLS_TABLE} WHERE call_id = $1 AND node_id = $2 RETURNING info) SELECT pg_notify($3, $4) FROM gone WHERE info IS NOT NULL`,
        [callId, this.nodeId, PG_CALLS_CHANNEL, change],
      );
    }).catch((err: Error) => this.failedWrite(err));
  }

  watch(listener: (change: CallChange) => void, onResync?: () => void): () => void {
    this.watchers.add(listener);
    if (onResync) this.resyncWatchers.add(onResync);
    this.listener.start();
    return () => {
      this.watchers.delete(listener);
      if (onResync) this.resyncWatchers.delete(onResync);
    };
  }


  async list(): Promise<RegisteredCall[]> {
    const res = await this.query<{ call_id: string; node_id: string; trunk: string | null; info: Record<string, unknown> }>(
      `SELECT c.call_id, c.node_id, c.trunk, c.info FROM ${PG_CALLS_TABLE} c JOIN ${PG_NODES_TABLE} n USING (node_id) ` +
        `WHERE c.info IS NOT NULL AND ${this.liveSql} ORDER BY c.created_at, c.call_id`,
    );
    return res.rows.map((r) => ({ callId: r.call_id, node: r.node_id, ...(r.trunk !== null ? { trunk: r.trunk } : {}), info: r.info }));
  }

  async ownerOf(callId: string): Promise<NodeAddress | undefined> {
    const res = await this.query<{ node_id: string; api_url: string | null }>(
      `SELECT c.node_id, n.api_url FROM ${PG_CALLS_TABLE} c JOIN ${PG_NODES_TABLE} n USING (node_id) WHERE c.call_id = $1 AND ${this.liveSql}`,
      [callId],
    );
    const row = res.rows[0];
    return row ? { node: row.node_id, apiUrl: row.api_url ?? undefined } : undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timer?.cancel();
    await this.listener.close();
    await this.beating;
    await Promise.allSettled([...this.chains.values()]);
    // Best effort: if the store is down, the rows expire with the node.
    await this.transaction(async (c) => {
      await c.query(`DELETE FROM ${PG_CALLS_TABLE} WHERE node_id = $1`, [this.nodeId]);
      await c.query(`DELETE FROM ${PG_NODES_TABLE} WHERE node_id = $1`, [this.nodeId]);
    }).catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }

  /** One heartbeat: this node's last_seen, its rows reconciled with memory, long-dead nodes' rows deleted. */
  private async beat(): Promise<void> {
    if (this.closed) return;
    const run = this.beatOnce();
    this.beating = run;
    await run;
    this.beating = undefined;
    if (!this.closed) this.timer = this.clock.setTimeout(() => void this.beat(), this.heartbeatMs);
  }

  private async beatOnce(): Promise<void> {
    const resync = this.resync;
    this.resync = false;
    const live = [...this.local.keys()];
    try {
      await this.transaction(async (c) => {
        await this.touch(c);
        await c.query(
          `DELETE FROM ${PG_CALLS_TABLE} WHERE node_id = $1 AND NOT (call_id = ANY($2::text[])) AND created_at < now() - interval '${RECONCILE_GRACE_SEC} seconds'`,
          [this.nodeId, live],
        );
        if (resync) for (const id of live) await this.upsert(c, id);
        await c.query(`DELETE FROM ${PG_CALLS_TABLE} c USING ${PG_NODES_TABLE} n WHERE c.node_id = n.node_id AND n.last_seen < now() - interval '${GC_AFTER_SEC} seconds'`);
        await c.query(`DELETE FROM ${PG_NODES_TABLE} WHERE last_seen < now() - interval '${GC_AFTER_SEC} seconds'`);
      });
      this.setHealth(true);
    } catch (err) {
      // Everything local is written again once the store is back (the outage may have cost writes or rows).
      this.resync = true;
      this.setHealth(false, err as Error);
    }
  }

  private async write(callId: string): Promise<void> {
    const c = await this.connect();
    try {
      await this.upsert(c, callId);
    } finally {
      c.release();
    }
  }

  /** Writes this node's local row for `callId` (nothing if the call is gone meanwhile). */
  private async upsert(c: pg.PoolClient, callId: string): Promise<void> {
    const call = this.local.get(callId);
    if (!call) return;
    await c.query(
      `INSERT INTO ${PG_CALLS_TABLE} (call_id, node_id, trunk, info) VALUES ($1, $2, $3, $4) ` +
        'ON CONFLICT (call_id) DO UPDATE SET node_id = EXCLUDED.node_id, trunk = EXCLUDED.trunk, info = EXCLUDED.info',
      [callId, this.nodeId, call.trunk ?? null, call.info === undefined ? null : JSON.stringify(call.info)],
    );
    // Told on the same connection right after the row is written: a listener that reads the registry finds it.
    if (call.info !== undefined) {
      const change: CallChange = { op: 'published', callId, node: this.nodeId, ...(call.trunk !== undefined ? { trunk: call.trunk } : {}), info: call.info };
      await c.query('SELECT pg_notify($1, $2)', [PG_CALLS_CHANNEL, encodeCallChange(change)]);
    }
  }

  private failedWrite(err: Error): void {
    this.resync = true;
    this.setHealth(false, err);
  }

  private setHealth(healthy: boolean, err?: Error): void {
    if (healthy === this.isHealthy) return;
    this.isHealthy = healthy;
    this.options.onHealthChange?.(healthy, err);
  }

  /** Runs `fn` after the call's earlier writes; the chain forgets the call once idle. */
  private chain(callId: string, fn: () => Promise<void>): Promise<void> {
    const prev = this.chains.get(callId) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.chains.set(callId, tail);
    void tail.then(() => {
      if (this.chains.get(callId) === tail) this.chains.delete(callId);
    });
    return run;
  }

  private unreachable(err: unknown): CallRejectedError {
    return new CallRejectedError('store-unreachable', `the shared store ${this.location} cannot be reached: ${(err as Error).message}`, { cause: err });
  }

  private async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (err) {
      throw this.unreachable(err);
    }
  }

  private async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(sql, params);
    } catch (err) {
      throw this.unreachable(err);
    }
  }

  /** Runs `fn` in one transaction; a CallRejectedError (trunk-busy) passes through, other failures are 'store-unreachable'. */
  private async transaction(fn: (c: pg.PoolClient) => Promise<void>): Promise<void> {
    const client = await this.connect();
    try {
      await client.query('BEGIN');
      await fn(client);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (err instanceof CallRejectedError) throw err;
      throw this.unreachable(err);
    } finally {
      client.release();
    }
  }
}
