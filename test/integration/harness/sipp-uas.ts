import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SIPP_DIR } from './bridge-process.js';
import { freeUdpPort, freeUdpRange } from './ports.js';
import type { SippRun } from './sipp.js';

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
export async function startSippUas(opts: { scenario: string; port?: number; calls?: number; timeoutMs?: number; args?: string[]; keys?: Record<string, string | number> }): Promise<SippUas> {
  const dir = mkdtempSync(join(tmpdir(), 'sipp-uas-'));
  const errFile = join(dir, 'errors.log');
  const msgFile = join(dir, 'messages.log');
  const port = opts.port ?? (await freeUdpPort());
  // SIPp binds -mp and the three ports above it (audio RTCP, video RTP/RTCP): all four must be free.
  const mediaPort = await freeUdpRange(4);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const args = [
    '-sf', join(SIPP_DIR, opts.scenario),
    '-i', '127.0.0.1',
    '-p', String(port),
    '-mp', String(mediaPort),
    '-m', String(opts.calls ?? 1),
    '-timeout', `${Math.ceil(timeoutMs / 1000)}s`,
    '-timeout_error',
    '-nostdin',
    '-trace_err', '-error_file', errFile,
    '-trace_msg', '-message_file', msgFile,
    ...Object.entries(opts.keys ?? {}).flatMap(([k, v]) => ['-key', k, String(v)]),
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
  // Give SIPp a moment to bind before the bridge sends to it.
  await new Promise((r) => setTimeout(r, 300));
  return { port, mediaPort, done, kill: () => child.kill('SIGKILL') };
}
