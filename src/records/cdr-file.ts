/**
 * The CDR files: one JSON line per call in `<dir>/cdr-YYYY-MM-DD.jsonl`, the UTC day the call ended, so files
 * rotate daily by name and older days are never written again. Each record is appended with one write on an
 * O_APPEND handle and fsynced; writes are serialised, so lines never interleave. A file whose last line was
 * torn (a crash or a full disk mid-write) gets a newline before the next record, so the torn fragment stays a
 * line of its own that readers skip and every later record is whole.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** `cdr-2026-12-05.jsonl` for a time in ms since the epoch (UTC day). */
export function cdrFileName(atMs: number): string {
  return `cdr-${new Date(atMs).toISOString().slice(0, 10)}.jsonl`;
}

export class CdrFile {
  private current: { name: string; fh: FileHandle } | undefined;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly dir: string) {}

  /** Appends one record to the file of `atMs`'s day; resolves once it is on disk. */
  append(record: unknown, atMs: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error('CDR file closed'));
    const line = `${JSON.stringify(record)}\n`;
    const step = this.chain.then(async () => {
      const fh = await this.handleFor(cdrFileName(atMs));
      await fh.write(line);
      await fh.datasync();
    });
    this.chain = step.catch(() => {});
    return step;
  }

  /** Waits for pending writes and closes the file. Safe twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.chain;
    await this.current?.fh.close();
    this.current = undefined;
  }

  private async handleFor(name: string): Promise<FileHandle> {
    if (this.current?.name === name) return this.current.fh;
    const old = this.current;
    this.current = undefined;
    await old?.fh.close();
    await mkdir(this.dir, { recursive: true });
    const fh = await open(join(this.dir, name), 'a+');
    const { size } = await fh.stat();
    if (size > 0) {
      const last = Buffer.alloc(1);
      await fh.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) await fh.write('\n');
    }
    this.current = { name, fh };
    return fh;
  }
}
