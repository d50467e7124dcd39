/**
 * A throwaway PostgreSQL cluster for a test: `initdb` in a temp folder, `postgres` on 127.0.0.1:`port` (and a
 * unix socket in that folder only), trust authentication (loopback only, discarded after the test). PostgreSQL
 * refuses to run as root: when the tests run as root, the folder is given to the `postgres` user the Debian
 * package creates, and the binaries run under `runuser -u postgres`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { waitFor } from '../../helpers/wait-for.js';

/** The newest /usr/lib/postgresql/<version>/bin (Debian puts the server binaries there, off PATH). */
export function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

export interface Postgres {
  port: number;
  /** postgres://trunkbridge@127.0.0.1:<port>/trunkbridge */
  url: string;
  log(): string;
  /** Stops the server (fast shutdown) and removes the folder. */
  stop(): Promise<void>;
  /** Ends every client connection (as a server restart would), keeping the server up. */
  dropConnections(): Promise<void>;
}

const asRoot = process.getuid?.() === 0;

/** [command, args] run as the postgres user when we are root. */
function asDbUser(bin: string, args: string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
}

export async function startPostgres(port: number): Promise<Postgres> {
  const bin = postgresBin();
  if (!bin) throw new Error('PostgreSQL is not installed (scripts/install-test-deps.sh installs Debian postgresql)');
  const dir = mkdtempSync(join(tmpdir(), 'pg-'));
  if (asRoot) {
    const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const [initCmd, initArgs] = asDbUser(join(bin, 'initdb'), ['-D', data, '-U', 'trunkbridge', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const init = spawnSync(initCmd, initArgs, { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed (${init.status}):\n${init.stdout}\n${init.stderr}`);
  // fsync off: a throwaway cluster; durability is PostgreSQL's, not what the tests measure.
  const [cmd, args] = asDbUser(join(bin, 'postgres'), ['-D', data, '-h', '127.0.0.1', '-p', String(port), '-k', dir, '-c', 'fsync=off', '-c', 'max_connections=40']);
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let out = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (out += c));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const admin = `postgres://trunkbridge@127.0.0.1:${port}/postgres`;
  const url = `postgres://trunkbridge@127.0.0.1:${port}/trunkbridge`;
  /** The server's own pid (under runuser, the child is runuser, which does not pass signals on). */
  const serverPid = (): number | undefined => {
    try {
      return Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]) || undefined;
    } catch {
      return undefined;
    }
  };
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const stop = async (): Promise<void> => {
    const pid = serverPid();
    if (pid !== undefined && alive(pid)) {
      process.kill(pid, 'SIGINT'); // "fast" shutdown: ends sessions, does not wait for clients
      const gone = await waitFor(() => !alive(pid), { timeoutMs: 5000, onTimeout: 'resolve', what: 'postgres to stop' });
      if (!gone && alive(pid)) process.kill(pid, 'SIGKILL');
    }
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`postgres exited (${child.exitCode}):\n${out}`);
        // Through the unix socket in our own folder: a server some other run left on this port cannot answer.
        const c = new pg.Client({ host: dir, port, user: 'trunkbridge', database: 'postgres' });
        try {
          await c.connect();
          return true;
        } catch {
          return false;
        } finally {
          await c.end().catch(() => undefined);
        }
      },
      { timeoutMs: 15_000, what: 'postgres to accept connections', detail: () => out },
    );
    const c = new pg.Client({ host: dir, port, user: 'trunkbridge', database: 'postgres' });
    await c.connect();
    await c.query('CREATE DATABASE trunkbridge');
    await c.end();
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    port,
    url,
    log: () => out,
    stop,
    dropConnections: async () => {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      try {
        await c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'trunkbridge' AND pid <> pg_backend_pid()");
      } finally {
        await c.end();
      }
    },
  };
}

/** A new, empty database on `db`'s server, so each test sees only its own rows; returns its URL. */
export async function freshDatabase(db: Postgres): Promise<string> {
  const name = `t${Math.random().toString(36).slice(2, 10)}`;
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  return db.url.replace(/\/trunkbridge$/, `/${name}`);
}
