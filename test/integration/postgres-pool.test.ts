/**
 * The store's PostgreSQL pool against a real server whose connections are cut (as a restart or failover cuts
 * them): a client checked out at that moment fails its next query instead of crashing the process, and the pool
 * hands out a working connection afterwards. pg's own Pool throws that error out of the process (an 'error'
 * event on the client with no listener): a bridge of the cluster test died that way.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newPgPool } from '../../src/store/pg-pool.js';
import { reservePort } from '../helpers/ports.js';
import { postgresBin, startPostgres, type Postgres } from './harness/postgres.js';

let db: Postgres | undefined;
beforeAll(async () => {
  if (postgresBin()) db = await startPostgres(await reservePort());
}, 30_000);
afterAll(async () => {
  await db?.stop();
});

/** Checks out a client, cuts every connection, and reports what escaped to the process meanwhile. */
async function cutWhileCheckedOut(pool: pg.Pool): Promise<{ escaped: string[]; client: pg.PoolClient }> {
  const escaped: string[] = [];
  const onUncaught = (err: Error): void => {
    escaped.push(err.message);
  };
  process.on('uncaughtException', onUncaught);
  const client = await pool.connect();
  try {
    await client.query('SELECT 1');
    await db!.dropConnections();
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    process.off('uncaughtException', onUncaught);
  }
  return { escaped, client };
}

describe.skipIf(!postgresBin())('the store pool when PostgreSQL cuts its connections', () => {
  it('pg.Pool alone lets the cut escape as an uncaught error (why newPgPool exists)', async () => {
    const pool = new pg.Pool({ connectionString: db!.url, max: 2 });
    pool.on('error', () => undefined);
    const { escaped, client } = await cutWhileCheckedOut(pool);
    client.release();
    await pool.end();
    expect(escaped).toContain('Connection terminated unexpectedly');
  });

  it('newPgPool: nothing escapes, the held client fails its next query, the pool recovers', async () => {
    const pool = newPgPool({ connectionString: db!.url, max: 2 });
    const { escaped, client } = await cutWhileCheckedOut(pool);
    expect(escaped).toEqual([]);
    await expect(client.query('SELECT 1')).rejects.toThrow();
    client.release();
    const again = await pool.query<{ n: number }>('SELECT 2 AS n');
    expect(again.rows).toEqual([{ n: 2 }]);
    await pool.end();
  });
});
