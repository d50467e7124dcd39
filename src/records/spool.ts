/**
 * The durable queue of one webhook endpoint: an append-only file of JSON lines, `{"add":<event>}` when an event
 * is queued and `{"done":"<id>"}` once it was delivered (or given up), each appended with one write and
 * fsynced before the caller is told. Reopened after a restart it yields the events not yet done, in the order
 * they were queued. A crash in the middle of an append leaves a torn last line: it is cut off on open (that
 * event's add never completed, so nobody was told it was queued); every complete line before it is kept.
 * The file is rewritten (temp file, fsync, rename) to only the pending events on open, and whenever it has grown
 * past {@link COMPACT_BYTES} (cut to nothing when the queue is empty), so a receiver that is always a little
 * behind never lets it grow without bound. A crash during a rewrite leaves the old file or the new one, both whole.
 */
import { open, readFile, rename, truncate, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Grown past this with nothing pending, the file is emptied. */
export const COMPACT_BYTES = 1 << 20;

/** What a spool file holds, parsed. */
export interface ParsedSpool<T> {
  /** Events added and not done, in file order. */
  pending: T[];
  /** Bytes up to the end of the last complete line. */
  validBytes: number;
  /** Complete lines that were not a valid add or done (skipped). */
  corruptLines: number;
  /** Done lines (compaction drops them). */
  doneLines: number;
}

/** Reads a spool file's text (pure). Items need a string `id`. */
export function parseSpool<T extends { id: string }>(text: string): ParsedSpool<T> {
  const lastNl = text.lastIndexOf('\n');
  const complete = lastNl < 0 ? '' : text.slice(0, lastNl + 1);
  const pending = new Map<string, T>();
  let corruptLines = 0;
  let doneLines = 0;
  for (const line of complete.split('\n')) {
    if (line === '') continue;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      corruptLines++;
      continue;
    }
    const e = entry as { add?: { id?: unknown }; done?: unknown };
    if (e.add && typeof e.add.id === 'string') {
      if (!pending.has(e.add.id)) pending.set(e.add.id, e.add as T);
    } else if (typeof e.done === 'string') {
      pending.delete(e.done);
      doneLines++;
    } else {
      corruptLines++;
    }
  }
  return { pending: [...pending.values()], validBytes: Buffer.byteLength(complete), corruptLines, doneLines };
}

/** A spool file opened for use. */
export class Spool<T extends { id: string }> {
  private readonly queue: T[];
  /** The add line's size of each pending event: what a rewrite would keep, known without building it. */
  private readonly lineBytes = new Map<string, number>();
  private pendingBytes = 0;
  private chain: Promise<void> = Promise.resolve();
  private bytes: number;
  private closed = false;

  private constructor(
    private readonly path: string,
    private fh: FileHandle,
    pending: T[],
    bytes: number,
  ) {
    this.queue = pending;
    this.bytes = bytes;
    for (const e of pending) this.track(e.id, addLine(e));
  }

  /** Opens (creating) the spool at `path`: cuts a torn tail, compacts, and returns it with its pending events. */
  static async open<T extends { id: string }>(path: string): Promise<{ spool: Spool<T>; recovered: ParsedSpool<T> & { tornBytes: number } }> {
    const raw = await readFile(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return Buffer.alloc(0);
      throw err;
    });
    // Cut at the last newline byte before decoding: a torn tail may end inside a multi-byte character.
    const complete = raw.subarray(0, raw.lastIndexOf(0x0a) + 1);
    const parsed = parseSpool<T>(complete.toString('utf8'));
    const tornBytes = raw.length - complete.length;
    let bytes = raw.length;
    if (parsed.doneLines > 0 || parsed.corruptLines > 0 || tornBytes > 0) {
      const body = parsed.pending.map(addLine).join('');
      await writeDurably(`${path}.tmp`, body);
      await rename(`${path}.tmp`, path);
      await syncDir(dirname(path));
      bytes = Buffer.byteLength(body);
    }
    const fh = await open(path, 'a');
    return { spool: new Spool<T>(path, fh, parsed.pending, bytes), recovered: { ...parsed, tornBytes } };
  }

  /** Events not yet done, oldest first. */
  get pending(): readonly T[] {
    return this.queue;
  }

  /** Queues `item` at once (in memory) and resolves once its line is on disk. */
  add(item: T): Promise<void> {
    this.queue.push(item);
    const line = addLine(item);
    this.track(item.id, line);
    return this.append(line);
  }

  /** Takes `id` off the queue and resolves once that is on disk. */
  done(id: string): Promise<void> {
    const at = this.queue.findIndex((e) => e.id === id);
    if (at >= 0) this.queue.splice(at, 1);
    this.pendingBytes -= this.lineBytes.get(id) ?? 0;
    this.lineBytes.delete(id);
    return this.append(`${JSON.stringify({ done: id })}\n`);
  }

  private track(id: string, line: string): void {
    const n = Buffer.byteLength(line);
    this.lineBytes.set(id, n);
    this.pendingBytes += n;
  }

  /** Waits for the writes so far and closes the file. Safe twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.chain;
    await this.fh.close();
  }

  /** Rewrites the file to the pending events alone (runs inside the write chain). */
  private async compact(): Promise<void> {
    if (this.queue.length === 0) {
      // Nothing pending: every line is history. An 'a' handle keeps appending at the new end.
      await truncate(this.path, 0);
      await this.fh.datasync();
      this.bytes = 0;
      return;
    }
    // Mostly pending events: a rewrite would not shrink it enough to be worth doing on every append.
    if (this.pendingBytes > this.bytes / 2) return;
    const body = this.queue.map(addLine).join('');
    await writeDurably(`${this.path}.tmp`, body);
    await rename(`${this.path}.tmp`, this.path);
    await syncDir(dirname(this.path));
    const old = this.fh;
    this.fh = await open(this.path, 'a');
    await old.close();
    this.bytes = Buffer.byteLength(body);
  }

  private append(line: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error('spool closed'));
    const step = this.chain.then(async () => {
      await this.fh.write(line);
      await this.fh.datasync();
      this.bytes += Buffer.byteLength(line);
      if (this.bytes > COMPACT_BYTES) await this.compact();
    });
    // The chain goes on after a failed write (full disk); the caller of that write sees the error.
    this.chain = step.catch(() => {});
    return step;
  }
}

const addLine = (e: unknown): string => `${JSON.stringify({ add: e })}\n`;

async function writeDurably(path: string, text: string): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.write(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsync of a directory makes a rename in it durable (ignored where the platform refuses it). */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r').catch(() => undefined);
  if (!fh) return;
  await fh.sync().catch(() => {});
  await fh.close();
}
