/**
 * The shipped cluster edge (deploy/kamailio/kamailio.cfg) on loopback: the test's own dispatcher list and
 * probe interval are passed as -A defines, so the file under test is the one users deploy.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { waitFor } from '../../helpers/wait-for.js';
import { optionsAnswered } from './kamailio.js';

export const EDGE_CFG = resolve(import.meta.dirname, '../../../deploy/kamailio/kamailio.cfg');
const KAMAILIO = existsSync('/usr/sbin/kamailio') ? '/usr/sbin/kamailio' : 'kamailio';

export interface KamailioEdge {
  port: number;
  log(): string;
  stop(): Promise<void>;
}

/** Starts the edge on udp:127.0.0.1:`port` dispatching to the bridges' `nodePorts` (all on 127.0.0.1). */
export async function startKamailioEdge(port: number, nodePorts: number[], o: { probeIntervalS?: number; frTimerMs?: number; pikeReqs?: number } = {}): Promise<KamailioEdge> {
  const dir = mkdtempSync(join(tmpdir(), 'kamailio-edge-'));
  const list = join(dir, 'dispatcher.list');
  writeFileSync(list, `# setid destination flags priority\n${nodePorts.map((p) => `1 sip:127.0.0.1:${p} 0 0`).join('\n')}\n`);
  const defines = [`DISPATCHER_LIST="${list}"`, `PROBE_INTERVAL=${o.probeIntervalS ?? 1}`, `FR_TIMER=${o.frTimerMs ?? 1500}`, ...(o.pikeReqs ? [`PIKE_REQS=${o.pikeReqs}`] : [])];
  const args = ['-DD', '-E', '-f', EDGE_CFG, ...defines.flatMap((d) => ['-A', d]), '-l', `udp:127.0.0.1:${port}`, '-w', dir, '-Y', dir, '-P', join(dir, 'pid'), '-m', '32', '-M', '8'];
  // Its own process group, so a stop reaches the worker processes Kamailio forks.
  const child: ChildProcess = spawn(KAMAILIO, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  const signalGroup = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, sig);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  };
  let out = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (out += c));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`kamailio exited (${child.exitCode}):\n${out}`);
      return optionsAnswered(port, 200);
    },
    { timeoutMs: 5000, what: 'the kamailio edge to answer OPTIONS', detail: () => out },
  ).catch((err: Error) => {
    signalGroup('SIGKILL');
    throw err;
  });
  return {
    port,
    log: () => out,
    stop: async () => {
      if (child.exitCode === null) signalGroup('SIGTERM');
      const killer = setTimeout(() => signalGroup('SIGKILL'), 3000);
      await exited;
      clearTimeout(killer);
    },
  };
}
