import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { reservePort } from '../../helpers/ports.js';
import { waitUntilBound } from './bound-ports.js';
import { commonSippArgs, prepareSippRun, type SippRun } from './sipp.js';

export interface SippUas {
  /** SIP port SIPp listens on (127.0.0.1). */
  port: number;
  /** Media port named in its SDP. */
  mediaPort: number;
  /** Settles when SIPp exits. */
  done: Promise<SippRun>;
  kill(): void;
}

/**
 * Starts SIPp as a UAS (callee, carrier or PBX) on 127.0.0.1 with a scenario from sipp/, in the background.
 * It handles `calls` calls, then exits.
 */
export async function startSippUas(opts: {
  scenario: string;
  /** SIP port to listen on (default: a reserved one). */
  port?: number;
  /** u1 (UDP, default) or t1 (TCP). */
  transport?: 'u1' | 't1';
  calls?: number;
  timeoutMs?: number;
  args?: string[];
  keys?: Record<string, string | number>;
}): Promise<SippUas> {
  const files = await prepareSippRun('sipp-uas-');
  const { dir, errFile, msgFile, mediaPort } = files;
  const port = opts.port ?? (await reservePort());
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const args = [
    ...commonSippArgs({ scenario: opts.scenario, localHost: '127.0.0.1', localPort: port, files, calls: opts.calls ?? 1, timeoutMs, keys: opts.keys }),
    ...(opts.transport ? ['-t', opts.transport] : []),
    ...(opts.args ?? []),
  ];
  const child = spawn('sipp', args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 5000);
  const read = (f: string): string => (existsSync(f) ? readFileSync(f, 'utf8') : '');
  const done = new Promise<SippRun>((res) =>
    child.once('exit', (code) => {
      clearTimeout(killer);
      res({ code, stdout, stderr, errors: read(errFile), messages: read(msgFile) });
    }),
  );
  // The bridge may send to SIPp as soon as this returns: wait until SIPp holds its SIP socket.
  try {
    await waitUntilBound(child.pid!, port, opts.transport === 't1' ? 'tcp' : 'udp', () => child.exitCode === null && child.signalCode === null);
  } catch (err) {
    child.kill('SIGKILL');
    const run = await done;
    throw new Error(`${(err as Error).message}\n${run.stderr.slice(-2000)}`);
  }
  return { port, mediaPort, done, kill: () => child.kill('SIGKILL') };
}
