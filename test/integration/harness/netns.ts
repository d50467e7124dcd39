import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/**
 * A network namespace with only a loopback interface, made by the test itself (`ip netns`, needs root).
 * Programs run inside can bind any port (fixed ones like 5060 included) and no packet can leave the machine.
 */
export class LoopbackNamespace {
  private constructor(readonly name: string) {}

  static create(): LoopbackNamespace {
    const name = `tb-test-${randomBytes(4).toString('hex')}`;
    execFileSync('ip', ['netns', 'add', name]);
    execFileSync('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
    return new LoopbackNamespace(name);
  }

  /** Starts `cmd args` inside the namespace. */
  spawn(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.name, cmd, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: options.cwd,
      env: options.env ?? process.env,
    });
  }

  destroy(): void {
    try {
      execFileSync('ip', ['netns', 'del', this.name]);
    } catch {
      // already gone
    }
  }
}

/** Collects a child's stdout/stderr and waits for its exit, killing it after `timeoutMs`. */
export async function finish(child: ChildProcess, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((res) => child.once('exit', res));
  clearTimeout(timer);
  return { code, stdout, stderr };
}
