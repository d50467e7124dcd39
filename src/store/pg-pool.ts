import pg from 'pg';

/**
 * A PostgreSQL pool whose clients never crash the process. pg reports a dropped connection (a server restart, a
 * failover, `pg_terminate_backend`) as an 'error' event: on the pool while the client idles in it, but on the
 * client itself while it is checked out, where nothing listens between two queries, so Node would throw it
 * (a bridge died that way in the cluster test when the store went away). Nothing is lost by listening: the
 * query in flight, or the next one on that client, fails and its caller reports the store unreachable, and the
 * pool discards the broken client when it is released.
 */
export function newPgPool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool(config);
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}
