import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { SIPP_DIR } from './bridge-process.js';
import { freeTcpPort, freeUdpPort, freeUdpRange } from './ports.js';

export interface SippRun {
  /** SIPp's exit code: 0 when every call followed the scenario, 1 when some failed. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Contents of SIPp's error trace (-trace_err), empty when clean. */
  errors: string;
  /** Every SIP message SIPp sent and received (-trace_msg). */
  messages: string;
}

export interface SippOptions {
  scenario: string;
  /** Bridge SIP address. Loopback only. */
  target: { host: string; port: number };
  /** Dialed number (-s). */
  service: string;
  /** -key name value pairs. */
  keys?: Record<string, string | number>;
  /** Extra raw args (e.g. ['-d', '8000']). */
  args?: string[];
  calls?: number;
  timeoutMs?: number;
  /** Local address SIPp sends from (any 127.x address; default 127.0.0.1). */
  localHost?: string;
  /** SIPp signalling transport: u1 (UDP, default), t1 (one TCP connection), l1 (one TLS connection). */
  transport?: 'u1' | 't1' | 'l1';
  /** Certificate and key SIPp presents over TLS (its -tls_cert/-tls_key). */
  tls?: { certFile: string; keyFile: string };
}

/** Runs one SIPp scenario from sipp/ as the carrier (UAC) against the bridge, on loopback only. */
export async function runSipp(opts: SippOptions): Promise<SippRun> {
  if (!/^127\.|^::1$/.test(opts.target.host)) throw new Error('tests send SIP to loopback only');
  const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
  const errFile = join(dir, 'errors.log');
  const msgFile = join(dir, 'messages.log');
  const stream = opts.transport === 't1' || opts.transport === 'l1';
  const localPort = stream ? await freeTcpPort() : await freeUdpPort();
  // SIPp binds -mp and the three ports above it (audio RTCP, video RTP/RTCP): all four must be free.
  const mediaPort = await freeUdpRange(4);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const args = [
    `${opts.target.host}:${opts.target.port}`,
    '-sf', join(SIPP_DIR, opts.scenario),
    '-s', opts.service,
    '-i', opts.localHost ?? '127.0.0.1',
    '-p', String(localPort),
    '-mp', String(mediaPort),
    '-m', String(opts.calls ?? 1),
    '-timeout', `${Math.ceil(timeoutMs / 1000)}s`,
    '-timeout_error',
    '-nostdin',
    '-trace_err', '-error_file', errFile,
    '-trace_msg', '-message_file', msgFile,
    ...Object.entries(opts.keys ?? {}).flatMap(([k, v]) => ['-key', k, String(v)]),
    ...(opts.transport ? ['-t', opts.transport] : []),
    ...(opts.tls ? ['-tls_cert', opts.tls.certFile, '-tls_key', opts.tls.keyFile] : []),
    ...(opts.args ?? []),
  ];
  const child = spawn('sipp', args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 5000);
  const code = await new Promise<number | null>((res) => child.once('exit', res));
  clearTimeout(killer);
  const read = (f: string): string => (existsSync(f) ? readFileSync(f, 'utf8') : '');
  return { code, stdout, stderr, errors: read(errFile), messages: read(msgFile) };
}

/** A human-readable failure summary for assertion messages. */
export function describeSipp(run: SippRun): string {
  return `sipp exit ${run.code}\nstderr: ${run.stderr.slice(-2000)}\nerrors: ${run.errors.slice(-3000)}\nmessages: ${run.messages.slice(-4000)}`;
}
