import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The registrar config in the repo (kamailio/registrar-test.cfg). */
export const KAMAILIO_CFG = resolve(import.meta.dirname, '../../../kamailio/registrar-test.cfg');
const KAMAILIO = existsSync('/usr/sbin/kamailio') ? '/usr/sbin/kamailio' : 'kamailio';

export interface Kamailio {
  port: number;
  /** Everything Kamailio logged (stderr). */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts Kamailio in the foreground (-DD -E) on udp:127.0.0.1:`port` with the repo's registrar config and a
 * private working/runtime directory; resolves once it logs that its workers are up.
 */
export async function startKamailio(port: number): Promise<Kamailio> {
  const dir = mkdtempSync(join(tmpdir(), 'kamailio-'));
  const args = ['-DD', '-E', '-f', KAMAILIO_CFG, '-l', `udp:127.0.0.1:${port}`, '-w', dir, '-Y', dir, '-P', join(dir, 'pid'), '-m', '32', '-M', '8'];
  // Its own process group, so a stop reaches the worker processes Kamailio forks, not only the main one.
  const child: ChildProcess = spawn(KAMAILIO, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  const signalGroup = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, sig);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err; // ESRCH: the group is already gone
    }
  };
  let out = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (out += c));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = Date.now() + 5000;
  while (!/probe_max_receive_buffer\(\): SO_RCVBUF is finally/.test(out)) {
    if (child.exitCode !== null) throw new Error(`kamailio exited (${child.exitCode}):\n${out}`);
    if (Date.now() > deadline) {
      signalGroup('SIGKILL');
      throw new Error(`kamailio did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  // The UDP workers start right after the socket is probed.
  await new Promise((r) => setTimeout(r, 200));
  return {
    port,
    log: () => out,
    stop: async () => {
      if (child.exitCode === null) signalGroup('SIGTERM');
      // Kamailio's workers can be slow to wind down on a loaded machine: never let cleanup hang the suite.
      const killer = setTimeout(() => signalGroup('SIGKILL'), 3000);
      await exited;
      clearTimeout(killer);
    },
  };
}
