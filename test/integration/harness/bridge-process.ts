import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../helpers/wait-for.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
export const CLI = join(ROOT, 'dist/cli/main.js');
/** Node flags the image and `npm start` run the CLI with (README "Container"): the tests run it the same way. */
export const NODE_FLAGS = ['--max-semi-space-size=2', '--single-threaded-gc'];
/** glibc malloc settings the image (ENV) and `npm start` run the CLI with: the tests run it the same way. */
export const MALLOC_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '1', MALLOC_TRIM_THRESHOLD_: '131072' };
export const SIPP_DIR = join(ROOT, 'sipp');

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** What the bridge's `trunkbridge ready` line says it bound: the kernel's picks where the config said port 0. */
export interface ReadyInfo {
  sip: Array<{ address: string; port: number; transport: string }>;
  metrics?: { host: string; port: number };
  rtp: { min: number; max: number };
  /** Media worker threads (0: media on the main thread). */
  mediaWorkers: number;
}

/**
 * The real bridge as a child process (`node dist/cli/main.js --config <file>`), built by `npm test` before
 * vitest runs. Collects its pino JSON lines so tests can assert on what operators would read.
 */
export class BridgeProcess {
  readonly logs: LogLine[] = [];
  readonly stderr: string[] = [];
  private child: ChildProcess | undefined;
  private exitCode: number | null | undefined;
  private exited!: Promise<number | null>;
  private readyInfo: ReadyInfo | undefined;
  /** Set before start: the bridge starts inside this cgroup (its `cgroup.procs` file), from its first instruction. */
  cgroupProcsFile: string | undefined;
  /** The YAML file the bridge was started with (a test may rewrite it and send SIGHUP). */
  configPath: string | undefined;

  /** `env`: extra environment for the bridge process (e.g. TRUNKBRIDGE_TEST_HOOKS=1). */
  constructor(
    readonly configYaml: string,
    private readonly env: Record<string, string> = {},
    /** Node/V8 flags added to {@link NODE_FLAGS} (measurements, e.g. the soak's SOAK_NODE_FLAGS). */
    private readonly extraNodeFlags: readonly string[] = [],
  ) {}

  get pid(): number {
    if (!this.child?.pid) throw new Error('bridge not running');
    return this.child.pid;
  }

  /** Starts the bridge and waits until every listener is up. */
  async start(timeoutMs = 10_000): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'trunkbridge-test-'));
    const path = join(dir, 'config.yaml');
    writeFileSync(path, this.configYaml);
    this.configPath = path;
    const command = [process.execPath, ...NODE_FLAGS, ...this.extraNodeFlags, CLI, '--config', path];
    // In a cgroup: a shell joins it and then becomes node (exec), so the bridge reads its limits there at start.
    const [file, ...args] = this.cgroupProcsFile ? ['sh', '-c', 'echo $$ > "$0" && exec "$@"', this.cgroupProcsFile, ...command] : command;
    const child = spawn(file, args, {
      // JSON lines whatever the tester's shell sets: the harness parses them.
      env: { ...process.env, ...MALLOC_ENV, LOG_LEVEL: 'debug', LOG_FORMAT: 'json', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((res) => child.once('exit', (code) => {
      this.exitCode = code;
      res(code);
    }));
    let buf = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          this.logs.push({ level: 0, msg: line });
        }
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (c: string) => this.stderr.push(c));
    const ready = await this.waitForLog((l) => l.msg === 'trunkbridge ready', timeoutMs).catch((err: Error) => {
      throw new Error(`${err.message}\nstderr: ${this.stderr.join('')}\nlogs: ${JSON.stringify(this.logs.slice(-10))}`);
    });
    this.readyInfo = ready as unknown as ReadyInfo;
  }

  /** The listeners and RTP range the bridge reported in its `trunkbridge ready` line. */
  get ready(): ReadyInfo {
    if (!this.readyInfo) throw new Error('bridge not started');
    return this.readyInfo;
  }

  /** The port the bridge's first `transport` SIP listener bound (configure port 0 and read it here). */
  sipPort(transport: 'udp' | 'tcp' | 'tls' = 'udp'): number {
    const l = this.ready.sip.find((a) => a.transport === transport);
    if (!l) throw new Error(`bridge has no ${transport} SIP listener: ${JSON.stringify(this.ready.sip)}`);
    return l.port;
  }

  /** The port the bridge's metrics/HTTP listener bound. */
  get metricsPort(): number {
    const m = this.ready.metrics;
    if (!m) throw new Error('bridge has no metrics listener');
    return m.port;
  }

  /** Resolves with the first log line matching `pred` (already seen or future). */
  async waitForLog(pred: (l: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> {
    return waitFor(
      () => {
        const hit = this.logs.find(pred);
        if (hit) return hit;
        if (this.exitCode !== undefined) throw new Error(`bridge exited (${this.exitCode}) before the expected log line`);
        return undefined;
      },
      { timeoutMs, what: 'a bridge log line' },
    );
  }

  /** Open file descriptors of the bridge process (sockets included): the leak check. */
  openFds(): number {
    return readdirSync(`/proc/${this.pid}/fd`).length;
  }

  /** Sends `sig` to the bridge (the drain tests) without waiting for anything. */
  signal(sig: NodeJS.Signals): void {
    if (!this.child || this.exitCode !== undefined) throw new Error('bridge not running');
    this.child.kill(sig);
  }

  /** Resolves with the exit code once the process exits by itself; rejects after `timeoutMs`. */
  async waitExit(timeoutMs = 10_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`bridge did not exit within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGTERM, then waits for exit; returns the exit code. */
  async stop(): Promise<number | null> {
    if (!this.child || this.exitCode !== undefined) return this.exitCode ?? null;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 5000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

/** Runs the bridge CLI to completion with `args` (config checks). */
export async function runCli(args: string[], timeoutMs = 10_000, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [...NODE_FLAGS, CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...MALLOC_ENV, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((res) => child.once('exit', res));
  clearTimeout(timer);
  return { code, stdout, stderr };
}
