/**
 * The benchmark's child processes: every one it starts is registered here and ended on the way out (normal
 * end, an error, Ctrl-C or SIGTERM). Helper processes (sink bot, probes, floor relay) are forked Node scripts
 * that answer requests over the IPC channel and exit when that channel closes, so they also end if the bench
 * itself is killed; for the processes that are not ours to change (the bridge, SIPp), a forked reaper holds
 * their ids and ends them when the bench's channel to it closes.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const live = new Set<ChildProcess>();
let reaper: ChildProcess | undefined;

/** Registers a started child: it is ended by {@link stopAll}, and the reaper ends it if the bench dies. */
export function track(child: ChildProcess): void {
  live.add(child);
  const pid = child.pid;
  if (pid !== undefined && reaper?.connected) reaper.send({ watch: pid });
  child.once('exit', () => {
    live.delete(child);
    // The id may be given to another process now: the reaper must forget it.
    if (pid !== undefined && reaper?.connected) reaper.send({ unwatch: pid });
  });
}

/** Ends a child: SIGTERM, then SIGKILL after `graceMs`. Resolves once it exited. */
export async function stop(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
}

/** Ends every registered child (in parallel), then the reaper. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((c) => stop(c)));
  if (reaper?.connected) reaper.disconnect();
}

/**
 * Installs the exit handling: Ctrl-C / SIGTERM end every child and exit with 130/143; a plain exit kills
 * what is left (synchronously, SIGKILL). Starts the reaper.
 */
export function installCleanup(): void {
  const onSignal = (sig: NodeJS.Signals, code: number) => {
    process.stderr.write(`\nbench: ${sig}, stopping every process it started\n`);
    void stopAll().finally(() => process.exit(code));
  };
  process.once('SIGINT', () => onSignal('SIGINT', 130));
  process.once('SIGTERM', () => onSignal('SIGTERM', 143));
  process.once('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
  reaper = fork(fileURLToPath(new URL('./reaper.js', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  reaper.unref();
  reaper.channel?.unref();
}

/** A request to a helper process and its answer. */
interface Reply {
  id: number;
  result?: unknown;
  error?: string;
}

/** A forked helper script that answers `request`s (see {@link serve}). */
export class Helper {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(readonly name: string, readonly child: ChildProcess) {
    child.on('message', (m: Reply | { ready: true }) => {
      if ('ready' in m) return;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error !== undefined) p.reject(new Error(`${name}: ${m.error}`));
      else p.resolve(m.result);
    });
    child.once('exit', (code, signal) => {
      for (const p of this.pending.values()) p.reject(new Error(`${name} exited (${code ?? signal})`));
      this.pending.clear();
    });
  }

  /** Forks `script` (a file next to this one) and waits for its ready message. */
  static async start(name: string, script: string, args: string[] = [], timeoutMs = 10_000): Promise<Helper> {
    const child = fork(fileURLToPath(new URL(script, import.meta.url)), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    track(child);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${name} not ready in ${timeoutMs} ms`)), timeoutMs);
      child.once('message', () => {
        clearTimeout(t);
        resolve();
      });
      child.once('exit', (code) => {
        clearTimeout(t);
        reject(new Error(`${name} exited (${code}) before it was ready`));
      });
    });
    return new Helper(name, child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Sends `cmd` and resolves with the helper's answer (rejects after `timeoutMs`). */
  request<T>(cmd: string, args?: unknown, timeoutMs = 30_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: no answer to ${cmd} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(t);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      });
      this.child.send({ id, cmd, args });
    });
  }

  stop(): Promise<void> {
    return stop(this.child);
  }
}

/**
 * In a helper script: answers requests with `handlers`, says it is ready, and exits when the bench's channel
 * closes (the bench ended or was killed), after `onExit`.
 */
export function serve(handlers: Record<string, (args: unknown) => unknown>, onExit: () => void = () => {}): void {
  process.on('message', (m: { id: number; cmd: string; args?: unknown }) => {
    const h = handlers[m.cmd];
    Promise.resolve()
      .then(() => {
        if (!h) throw new Error(`unknown command ${m.cmd}`);
        return h(m.args);
      })
      .then(
        (result) => process.send?.({ id: m.id, result }),
        (err: unknown) => process.send?.({ id: m.id, error: (err as Error)?.message ?? String(err) }),
      );
  });
  const leave = () => {
    try {
      onExit();
    } finally {
      process.exit(0);
    }
  };
  process.once('disconnect', leave);
  process.once('SIGTERM', leave);
  process.send?.({ ready: true });
}
