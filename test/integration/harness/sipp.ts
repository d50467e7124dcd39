import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { SIPP_DIR } from './bridge-process.js';
import { reservePort, reservePorts } from '../../helpers/ports.js';

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

/** Where one SIPp run keeps its traces, and its SIP/media ports on loopback. */
export interface SippRunFiles {
  dir: string;
  errFile: string;
  msgFile: string;
  mediaPort: number;
}

/** A temp folder for SIPp's error and message traces, and four reserved media ports (SIPp binds -mp and the three above). */
export async function prepareSippRun(prefix: string): Promise<SippRunFiles> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, errFile: join(dir, 'errors.log'), msgFile: join(dir, 'messages.log'), mediaPort: await reservePorts(4) };
}

/** The SIPp arguments every test run shares: scenario, loopback ports, call count, time limit, traces, -key pairs. */
export function commonSippArgs(o: {
  scenario: string;
  localHost: string;
  localPort: number;
  files: SippRunFiles;
  calls: number;
  timeoutMs: number;
  keys?: Record<string, string | number>;
}): string[] {
  return [
    '-sf', join(SIPP_DIR, o.scenario),
    '-i', o.localHost,
    '-p', String(o.localPort),
    '-mp', String(o.files.mediaPort),
    '-m', String(o.calls),
    '-timeout', `${Math.ceil(o.timeoutMs / 1000)}s`,
    '-timeout_error',
    '-nostdin',
    '-trace_err', '-error_file', o.files.errFile,
    '-trace_msg', '-message_file', o.files.msgFile,
    ...Object.entries(o.keys ?? {}).flatMap(([k, v]) => ['-key', k, String(v)]),
  ];
}

/** Runs one SIPp scenario from sipp/ as the carrier (UAC) against the bridge, on loopback only. */
export async function runSipp(opts: SippOptions): Promise<SippRun> {
  if (!/^127\.|^::1$/.test(opts.target.host)) throw new Error('tests send SIP to loopback only');
  const files = await prepareSippRun('sipp-');
  const { dir, errFile, msgFile } = files;
  const localPort = await reservePort();
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const args = [
    `${opts.target.host}:${opts.target.port}`,
    '-s', opts.service,
    ...commonSippArgs({
      scenario: opts.scenario,
      localHost: opts.localHost ?? '127.0.0.1',
      localPort,
      files,
      calls: opts.calls ?? 1,
      timeoutMs,
      keys: opts.keys,
    }),
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

/** One message in SIPp's -trace_msg: when (ms since the epoch; SIPp writes local time), which way, its first line. */
export interface TracedMessage {
  at: number;
  dir: 'sent' | 'received';
  line: string;
}

/** The messages of a run's -trace_msg, in order. */
export function tracedMessages(run: Pick<SippRun, 'messages'>): TracedMessage[] {
  const out: TracedMessage[] = [];
  const re = /^-+ (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}\.\d{3})\d*\r?\n\w+ message (sent|received)[^\n]*\n\s*\n([^\r\n]*)/gm;
  for (const m of run.messages.matchAll(re)) out.push({ at: new Date(`${m[1]}T${m[2]}`).getTime(), dir: m[3] as 'sent' | 'received', line: m[4] });
  return out;
}
