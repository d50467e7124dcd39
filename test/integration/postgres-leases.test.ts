/**
 * Registration leases against a real PostgreSQL (a throwaway cluster on loopback): one holder at a time, renewal
 * by the holder only, takeover once the lease ran out or was released, releases announced (NOTIFY) to the other
 * nodes, one winner among racing nodes, and a
 * clear StoreError (no password) when the database cannot be reached.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/store/index.js';
import { PostgresLeases } from '../../src/store/postgres-leases.js';
import { reservePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait-for.js';
import { postgresBin, freshDatabase, startPostgres, type Postgres } from './harness/postgres.js';

let db: Postgres;
const opened: PostgresLeases[] = [];

beforeAll(async () => {
  db = await startPostgres(await reservePort());
}, 30_000);

afterAll(async () => {
  for (const o of opened) await o.close();
  await db?.stop();
});

/** Connections to `url`'s database whose last statement was a LISTEN. */
async function listeners(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const res = await c.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'");
    return res.rows[0].n;
  } finally {
    await c.end();
  }
}

/** Ends every other connection to `url`'s database, as a server restart would. */
async function cutConnections(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const res = await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
    return res.rowCount ?? 0;
  } finally {
    await c.end();
  }
}

function leases(url: string, node: string): PostgresLeases {
  const l = new PostgresLeases(url, node);
  opened.push(l);
  return l;
}

describe.skipIf(!postgresBin())('PostgreSQL registration leases', () => {
  it('one holder; it renews, the other is told who holds it; the other takes it once it ran out', async () => {
    const url = await freshDatabase(db);
    const [a, b] = [leases(url, 'node-a'), leases(url, 'node-b')];
    await Promise.all([a.open(), b.open()]); // both create the table at once: the advisory lock serializes them
    expect(await a.acquire('registration:pbx', 800, 'registering')).toEqual({ mine: true, holder: 'node-a', note: 'registering' });
    expect(await b.acquire('registration:pbx', 800, 'registering')).toEqual({ mine: false, holder: 'node-a', note: 'registering' });
    expect(await a.acquire('registration:pbx', 800, 'registered')).toEqual({ mine: true, holder: 'node-a', note: 'registered' });
    expect(await b.acquire('registration:pbx', 800, 'registering')).toEqual({ mine: false, holder: 'node-a', note: 'registered' });
    // Another name is another lease.
    expect((await b.acquire('registration:other', 800, 'registering')).mine).toBe(true);
    // A stops renewing: B gets it after the 800 ms run out (the database's clock), not before.
    const gotAt = Date.now();
    const view = await waitFor(async () => {
      const v = await b.acquire('registration:pbx', 800, 'registering');
      return v.mine ? v : undefined;
    }, { timeoutMs: 5000, intervalMs: 50, what: 'B to take the lease' });
    expect(view).toEqual({ mine: true, holder: 'node-b', note: 'registering' });
    expect(Date.now() - gotAt).toBeGreaterThanOrEqual(500);
    expect(await a.acquire('registration:pbx', 800, 'registered')).toEqual({ mine: false, holder: 'node-b', note: 'registering' });
  });

  it('a release frees the lease at once; only the holder can release it', async () => {
    const url = await freshDatabase(db);
    const [a, b] = [leases(url, 'node-a'), leases(url, 'node-b')];
    expect((await a.acquire('registration:pbx', 60_000, 'registered')).mine).toBe(true);
    await b.release('registration:pbx'); // not B's: nothing happens
    expect((await b.acquire('registration:pbx', 60_000, 'registering')).mine).toBe(false);
    await a.release('registration:pbx');
    expect(await b.acquire('registration:pbx', 60_000, 'registering')).toEqual({ mine: true, holder: 'node-b', note: 'registering' });
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const rows = await c.query('SELECT name, holder FROM trunkbridge_leases');
    await c.end();
    expect(rows.rows).toEqual([{ name: 'registration:pbx', holder: 'node-b' }]);
  });

  it("a release is announced to every node (only a real one), also after the LISTEN connection was cut", async () => {
    const url = await freshDatabase(db);
    const [a, b] = [leases(url, 'node-a'), leases(url, 'node-b')];
    const heard: string[] = [];
    b.onReleased((name) => heard.push(name));
    await waitFor(async () => (await listeners(url)) === 1, { timeoutMs: 5000, what: "B's LISTEN" });
    expect((await a.acquire('registration:pbx', 60_000, 'registered')).mine).toBe(true);
    await b.release('registration:pbx'); // not B's: no row goes, nothing is announced
    await a.release('registration:pbx');
    await waitFor(() => heard.length > 0, { timeoutMs: 5000, what: 'the release to be heard' });
    expect(heard).toEqual(['registration:pbx']);

    // The server ends every connection: B listens again (a second later) and hears the next release.
    expect(await cutConnections(url)).toBeGreaterThanOrEqual(2); // B's LISTEN and the pools' idle connections
    await waitFor(async () => (await listeners(url)) === 0, { timeoutMs: 5000, what: 'the LISTEN connection to end' });
    await waitFor(async () => {
      await a.acquire('registration:pbx', 60_000, 'registered').catch(() => undefined);
      await a.release('registration:pbx').catch(() => undefined);
      return heard.length > 1;
    }, { timeoutMs: 10_000, intervalMs: 200, what: 'a release heard after the reconnect' });
    expect(new Set(heard)).toEqual(new Set(['registration:pbx']));
  });

  it('racing nodes: exactly one wins, and every loser is told it is not theirs', async () => {
    const url = await freshDatabase(db);
    const nodes = ['n1', 'n2', 'n3', 'n4'].map((n) => leases(url, n));
    await nodes[0].open();
    const views = await Promise.all(nodes.flatMap((n) => [1, 2, 3].map(() => n.acquire('registration:race', 60_000, 'registering'))));
    const winners = new Set(views.filter((v) => v.mine).map((v) => v.holder));
    expect(winners.size).toBe(1);
    const winner = [...winners][0];
    for (const v of views.filter((x) => !x.mine)) expect([winner, undefined]).toContain(v.holder);
  });

  it('an unreachable database: a StoreError within the timeout, without the password', async () => {
    const port = await reservePort(); // nothing listens there
    const l = new PostgresLeases(`postgres://tb:hunter2-secret@127.0.0.1:${port}/x`, 'node-a', { timeoutMs: 500 });
    opened.push(l);
    const err = await l.acquire('registration:pbx', 1000, 'registering').then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).message).toMatch(/cannot open leases in postgres:\/\/tb@127\.0\.0\.1/);
    expect((err as StoreError).message).not.toContain('hunter2');
    await expect(l.release('registration:pbx')).rejects.toBeInstanceOf(StoreError);
  });
});
