import { spawn, type ChildProcess } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reservePort } from '../../helpers/ports.js';
import { waitFor } from '../../helpers/wait-for.js';

/** The dnsmasq binary (Debian dnsmasq-base puts it in /usr/sbin, not always on a test runner's PATH). */
export const DNSMASQ = existsSync('/usr/sbin/dnsmasq') ? '/usr/sbin/dnsmasq' : 'dnsmasq';

export interface Dnsmasq {
  /** "127.0.0.1:<port>", for sip.dnsServers. */
  server: string;
  /** Everything dnsmasq logged (its query log). */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts dnsmasq as an authoritative-only DNS server for test names: bound to 127.0.0.1 only, no upstream
 * (--no-resolv, no --server), no /etc/hosts, no config file, and `--local=/test/` so a name under .test that
 * is not configured gets NXDOMAIN. `records` are dnsmasq options (--srv-host=..., --host-record=...).
 * Resolves once `probe` (an SRV name) answers.
 */
export async function startDnsmasq(records: string[], probe: string): Promise<Dnsmasq> {
  // dnsmasq cannot bind port 0 (--port=0 turns DNS off) and reports no port: it gets a reserved one.
  const port = await reservePort();
  const dir = mkdtempSync(join(tmpdir(), 'dnsmasq-'));
  const args = [
    '--no-daemon', '--no-resolv', '--no-hosts', '--bind-interfaces', '--listen-address=127.0.0.1', `--port=${port}`,
    '--conf-file=/dev/null', `--pid-file=${join(dir, 'pid')}`, '--local=/test/', '--user=root',
    '--log-queries', '--log-facility=-',
    ...records,
  ];
  const child: ChildProcess = spawn(DNSMASQ, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (out += c));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const server = `127.0.0.1:${port}`;
  const resolver = new Resolver({ timeout: 200, tries: 1 });
  resolver.setServers([server]);
  let lastError = '';
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`dnsmasq exited: ${out}`);
      try {
        await resolver.resolveSrv(probe);
        return true;
      } catch (err) {
        lastError = (err as Error).message;
        return false;
      }
    },
    { timeoutMs: 8000, intervalMs: 100, what: `dnsmasq to answer ${probe}`, detail: () => `${lastError}\n${out}` },
  ).catch((err: Error) => {
    child.kill('SIGKILL');
    throw err;
  });
  return {
    server,
    log: () => out,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
