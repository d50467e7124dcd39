/**
 * The cluster's call registry against a real PostgreSQL (a throwaway cluster on loopback): claims racing from
 * two nodes never pass a trunk's limit, a node that stops beating drops out after the expiry, a closing node
 * takes its rows, writes lost while the store was down are made good by the heartbeat; every node's watcher
 * hears calls published and released (NOTIFY), a slot freed before any answer is not told; a call owned while it
 * rings is found by ownerOf but neither listed nor counted.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallRejectedError } from '../../src/core/errors.js';
import { MAX_CHANGE_BYTES, PG_CALLS_TABLE, PG_NODES_TABLE, PostgresCallRegistry, type CallChange } from '../../src/store/index.js';
import { reservePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait-for.js';
import { postgresBin, freshDatabase, startPostgres, type Postgres } from './harness/postgres.js';

let db: Postgres;
const opened: PostgresCallRegistry[] = [];

async function node(url: string, id: string, o: { heartbeatMs?: number; expiryMs?: number } = {}): Promise<PostgresCallRegistry> {
  const r = new PostgresCallRegistry(url, id, { apiUrl: `http://${id}.test:8080`, heartbeatMs: o.heartbeatMs ?? 200, expiryMs: o.expiryMs ?? 1500 });
  opened.push(r);
  await r.open();
  return r;
}

async function rows(url: string, sql: string): Promise<unknown[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  db = await startPostgres(await reservePort());
}, 30_000);

afterAll(async () => {
  for (const r of opened) await r.close();
  await db?.stop();
});

describe.skipIf(!postgresBin())('PostgresCallRegistry', () => {
  it('40 claims racing from two nodes on a trunk limited to 3: exactly 3 are admitted, the rest are trunk-busy', async () => {
    const url = await freshDatabase(db);
    const [a, b] = [await node(url, 'a'), await node(url, 'b')];
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? a : b).claim(`c${i}`, 'carrier', 3).then(
          () => 'admitted',
          (err: unknown) => (err instanceof CallRejectedError ? err.reason : String(err)),
        ),
      ),
    );
    expect(outcomes.filter((o) => o === 'admitted')).toHaveLength(3);
    expect(outcomes.filter((o) => o === 'trunk-busy')).toHaveLength(37);
    expect(await rows(url, `SELECT count(*)::int AS n FROM ${PG_CALLS_TABLE}`)).toEqual([{ n: 3 }]);
  });

  it('lists published calls of every live node; ownerOf names the node and its API URL; release frees the slot', async () => {
    const url = await freshDatabase(db);
    const [a, b] = [await node(url, 'a'), await node(url, 'b')];
    await a.claim('a1', 'carrier', 1);
    await a.publish('a1', 'carrier', { callId: 'a1', from: '+1555' });
    await b.publish('b1', undefined, { callId: 'b1' });
    expect(await b.list()).toEqual([
      { callId: 'a1', node: 'a', trunk: 'carrier', info: { callId: 'a1', from: '+1555' } },
      { callId: 'b1', node: 'b', info: { callId: 'b1' } },
    ]);
    expect(await b.ownerOf('a1')).toEqual({ node: 'a', apiUrl: 'http://a.test:8080' });
    await expect(b.claim('b2', 'carrier', 1)).rejects.toMatchObject({ reason: 'trunk-busy' });
    await a.release('a1');
    await b.claim('b2', 'carrier', 1);
    expect(await a.ownerOf('a1')).toBeUndefined();
  });

  it('a call owned before any answer (ringing): ownerOf finds it, it is not listed or counted; its answer publishes it, a release drops it', async () => {
    const url = await freshDatabase(db);
    const [a, b] = [await node(url, 'a'), await node(url, 'b')];
    await a.own('r1');
    expect(await b.ownerOf('r1')).toEqual({ node: 'a', apiUrl: 'http://a.test:8080' });
    expect(await b.list()).toEqual([]);
    await b.claim('c1', 'carrier', 1);
    await a.own('r2');
    await a.publish('r2', undefined, { callId: 'r2' });
    await a.own('r2');
    expect(await b.list()).toEqual([{ callId: 'r2', node: 'a', info: { callId: 'r2' } }]);
    await a.release('r1');
    expect(await b.ownerOf('r1')).toBeUndefined();
  });

  it("a node that stops beating: its calls leave the list and the counts after the expiry; a closed node's rows go at once", async () => {
    const url = await freshDatabase(db);
    const [a, b] = [await node(url, 'a'), await node(url, 'b')];
    await b.claim('b1', 'carrier', 1);
    await b.publish('b1', 'carrier', { callId: 'b1' });
    // "Killed": its pool ends without the goodbye close() says, so its rows stay until they expire.
    await (b as unknown as { pool: pg.Pool }).pool.end();
    (b as unknown as { timer?: { cancel(): void } }).timer?.cancel();
    expect((await a.list()).map((c) => c.node)).toEqual(['b']);
    await waitFor(async () => (await a.list()).length === 0, { timeoutMs: 5000, what: "b's calls to expire" });
    await a.claim('a1', 'carrier', 1);
    await a.publish('a1', 'carrier', { callId: 'a1' });
    await a.close();
    expect(await rows(url, `SELECT call_id FROM ${PG_CALLS_TABLE} WHERE node_id = 'a'`)).toEqual([]);
    expect(await rows(url, `SELECT node_id FROM ${PG_NODES_TABLE} WHERE node_id = 'a'`)).toEqual([]);
  });

  it('the store going away: healthy turns false and claims are store-unreachable; back, it is healthy and its calls are listed again', async () => {
    const url = await freshDatabase(db);
    const a = await node(url, 'a');
    expect(a.healthy).toBe(true);
    await a.publish('a1', undefined, { callId: 'a1' });
    // Its row is lost (as a write during an outage would be), then the database refuses connections for a moment.
    await rows(url, `DELETE FROM ${PG_CALLS_TABLE}`);
    const admin = new pg.Client({ connectionString: db.url.replace(/\/trunkbridge$/, '/postgres') });
    await admin.connect();
    const dbName = url.split('/').pop()!;
    await admin.query(`ALTER DATABASE ${dbName} WITH ALLOW_CONNECTIONS false`);
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${dbName}'`);
    await waitFor(() => !a.healthy, { timeoutMs: 5000, what: 'the registry to see the store gone' });
    await expect(a.claim('a2', 'carrier', 5)).rejects.toMatchObject({ reason: 'store-unreachable' });
    await admin.query(`ALTER DATABASE ${dbName} WITH ALLOW_CONNECTIONS true`);
    await admin.end();
    await waitFor(() => a.healthy, { timeoutMs: 5000, what: 'the registry to reach the store again' });
    await waitFor(async () => (await a.list()).map((c) => c.callId).join() === 'a1', { timeoutMs: 5000, what: 'a1 written again' });
  });

  it("a watcher hears every node's calls published and released (with the end reason); a slot freed unanswered is not told", async () => {
    const url = await freshDatabase(db);
    const [a, b] = [await node(url, 'a'), await node(url, 'b')];
    const heard: CallChange[] = [];
    let listening = 0;
    const stop = a.watch(
      (c) => heard.push(c),
      () => listening++,
    );
    await waitFor(() => listening === 1, { what: 'the LISTEN connection' });
    await b.claim('b1', 'carrier', 5);
    await b.publish('b1', 'carrier', { state: 'answered', from: 'sip:bob@x' });
    await b.claim('b2', 'carrier', 5);
    await b.release('b2');
    await b.release('b1', { reason: 'caller-hangup', durationSec: 4.2 });
    // Too big for a NOTIFY: told without its details (a listener reads them from the list).
    await b.publish('b3', undefined, { from: 'x'.repeat(MAX_CHANGE_BYTES) });
    await waitFor(() => heard.length >= 3, { what: 'three changes', detail: () => JSON.stringify(heard).slice(0, 500) });
    expect(heard).toEqual([
      { op: 'published', callId: 'b1', node: 'b', trunk: 'carrier', info: { state: 'answered', from: 'sip:bob@x' } },
      { op: 'released', callId: 'b1', node: 'b', reason: 'caller-hangup', durationSec: 4.2 },
      { op: 'published', callId: 'b3', node: 'b' },
    ]);
    stop();
  });
});
