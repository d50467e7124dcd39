/**
 * `--kernel-pacing`: a `tcpdump` on loopback for one measuring window, capturing the bridge's RTP to the sink's
 * port with kernel timestamps (pcap-pacing.ts reads them). It runs on the bench's cores (spawned children inherit
 * the bench's affinity), but its filter runs in the sender's context for every loopback packet, so the capture
 * costs the bridge a little CPU: a step measured with it is not one to quote CPU from.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { stop, track } from './processes.js';

export class KernelCapture {
  private constructor(
    private readonly child: ChildProcess,
    private readonly file: string,
  ) {}

  /** Starts the capture and resolves once tcpdump is listening. */
  static async start(dir: string, dstPort: number): Promise<KernelCapture> {
    const file = join(dir, `kernel-pacing-${dstPort}-${Date.now()}.pcap`);
    const child = spawn('tcpdump', ['-i', 'lo', '-s', '64', '-B', '32768', '--time-stamp-precision=nano', '-w', file, `udp dst port ${dstPort}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    track(child); // ended with the bench's other children, and by the reaper if the bench dies
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      const failed = (message: string) => {
        clearTimeout(timer);
        child.stderr!.off('data', onData);
        reject(new Error(message));
      };
      const timer = setTimeout(() => failed(`tcpdump did not start listening: ${stderr.trim()}`), 5000);
      const onError = (err: Error) => failed(`tcpdump: ${err.message} (--kernel-pacing needs tcpdump and root)`);
      const onExit = (code: number | null) => failed(`tcpdump exited (${code}): ${stderr.trim()}`);
      // Only until it listens: its closing statistics come on stderr too, just before it exits.
      const onData = (c: string) => {
        stderr += c;
        if (!stderr.includes('listening on')) return;
        clearTimeout(timer);
        child.stderr!.off('data', onData);
        child.off('error', onError);
        child.off('exit', onExit);
        child.stderr!.resume(); // keep draining it
        resolve();
      };
      child.once('error', onError);
      child.once('exit', onExit);
      child.stderr!.setEncoding('utf8').on('data', onData);
    });
    return new KernelCapture(child, file);
  }

  /** Stops the capture and returns the file's bytes (the file is removed). */
  async stop(): Promise<Buffer> {
    await stop(this.child); // SIGTERM: tcpdump flushes its buffer and closes the file, as on SIGINT
    try {
      return readFileSync(this.file);
    } finally {
      rmSync(this.file, { force: true });
    }
  }
}
