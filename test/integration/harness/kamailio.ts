import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { waitFor } from '../../helpers/wait-for.js';

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
 * private working/runtime directory; resolves once its workers answer an OPTIONS. Kamailio cannot report a port
 * it picked, so callers pass a reserved one (test/helpers/ports.ts).
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
  // Up once its workers answer SIP: the config replies 200 to OPTIONS. The socket is bound (and a probe
  // queued) a little before the workers start reading it, so "bound" alone is not "up".
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`kamailio exited (${child.exitCode}):\n${out}`);
      return optionsAnswered(port, 200);
    },
    { timeoutMs: 5000, what: 'kamailio to answer OPTIONS', detail: () => out },
  ).catch((err: Error) => {
    signalGroup('SIGKILL');
    throw err;
  });
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

/** Sends one OPTIONS to udp:127.0.0.1:`port` and resolves true if a 200 comes back within `timeoutMs`. */
export async function optionsAnswered(port: number, timeoutMs: number): Promise<boolean> {
  const socket = createSocket('udp4');
  try {
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    const local = socket.address().port;
    const tag = randomBytes(6).toString('hex');
    const request = [
      `OPTIONS sip:127.0.0.1:${port} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK${tag};rport`,
      'Max-Forwards: 70',
      `From: <sip:probe@127.0.0.1>;tag=${tag}`,
      `To: <sip:127.0.0.1:${port}>`,
      `Call-ID: probe-${tag}@127.0.0.1`,
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    const answered = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      socket.on('message', (msg) => {
        if (/^SIP\/2\.0 200 /.test(msg.toString('latin1')) && msg.includes(tag)) {
          clearTimeout(timer);
          resolve(true);
        }
      });
      socket.on('error', () => {
        clearTimeout(timer);
        resolve(false); // ICMP port unreachable: not bound yet
      });
    });
    socket.send(request, port, '127.0.0.1');
    return await answered;
  } finally {
    socket.close();
  }
}
