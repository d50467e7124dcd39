/**
 * The embedded store: one JSON file under `dataDir`, replaced whole on every write. A write goes to a temp file
 * in the same folder, is fsynced, renamed over the old file, and the folder is fsynced, so a crash at any point
 * leaves the old file or the new one, never a mix (rename is atomic on POSIX file systems). README "Admin API"
 * has the measurements that chose this over SQLite.
 */
import { open, readFile, rename, mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { StaleRevisionError, StoreError, type ConfigStore, type StoredDocument } from './config-store.js';

/** The file operations the store uses, injectable so tests can fail one between write and rename. */
export interface StoreFs {
  /** The file's text; undefined when it does not exist. */
  readText(path: string): Promise<string | undefined>;
  /** Creates (or truncates) `path` with `data` (mode 0600: the document holds secrets) and fsyncs it. */
  writeDurable(path: string, data: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Makes a rename in `dir` durable. */
  fsyncDir(dir: string): Promise<void>;
  mkdirp(dir: string): Promise<void>;
  list(dir: string): Promise<string[]>;
  remove(path: string): Promise<void>;
}

export const nodeStoreFs: StoreFs = {
  async readText(path) {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  },
  async writeDurable(path, data) {
    const fh = await open(path, 'w', 0o600);
    try {
      await fh.writeFile(data, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
  rename: (from, to) => rename(from, to),
  async fsyncDir(dir) {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
  mkdirp: async (dir) => {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  },
  list: (dir) => readdir(dir),
  remove: (path) => unlink(path),
};

const FILE = 'config-store.json';
const TEMP_PREFIX = `${FILE}.tmp-`;
const FORMAT = 'trunkbridge-config-store/1';

/** A JSON file store; {@link open} before use. Writes are serialized in this process. */
export class FileConfigStore implements ConfigStore {
  readonly location: string;
  private current: StoredDocument | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private opened = false;

  constructor(
    private readonly dir: string,
    private readonly fs: StoreFs = nodeStoreFs,
  ) {
    this.location = join(dir, FILE);
  }

  /**
   * Creates the folder, removes temp files a crash left behind and reads the current document.
   * @throws StoreError when the file exists but is not a store document (never replaced: an operator looks).
   */
  async open(): Promise<void> {
    try {
      await this.fs.mkdirp(this.dir);
      for (const name of await this.fs.list(this.dir)) if (name.startsWith(TEMP_PREFIX)) await this.fs.remove(join(this.dir, name));
    } catch (err) {
      throw new StoreError(`cannot open the store folder ${this.dir}: ${(err as Error).message}`, err);
    }
    this.current = await this.load();
    this.opened = true;
  }

  async read(): Promise<StoredDocument | undefined> {
    if (!this.opened) await this.open();
    return this.current;
  }

  write(document: unknown, expectedRevision: number): Promise<StoredDocument> {
    const run = this.queue.then(() => this.writeNow(document, expectedRevision));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async writeNow(document: unknown, expectedRevision: number): Promise<StoredDocument> {
    if (!this.opened) await this.open();
    const actual = this.current?.revision ?? 0;
    if (actual !== expectedRevision) throw new StaleRevisionError(expectedRevision, actual);
    const next: StoredDocument = { revision: actual + 1, updatedAt: new Date().toISOString(), document: structuredClone(document) };
    const temp = join(this.dir, `${TEMP_PREFIX}${process.pid}`);
    try {
      await this.fs.writeDurable(temp, `${JSON.stringify({ format: FORMAT, ...next }, null, 2)}\n`);
      await this.fs.rename(temp, this.location);
      await this.fs.fsyncDir(this.dir);
    } catch (err) {
      // The old file is untouched: the temp file is dropped (best effort) and the write reported as failed.
      await this.fs.remove(temp).catch(() => undefined);
      throw new StoreError(`cannot write ${this.location}: ${(err as Error).message}`, err);
    }
    this.current = next;
    return next;
  }

  private async load(): Promise<StoredDocument | undefined> {
    let text: string | undefined;
    try {
      text = await this.fs.readText(this.location);
    } catch (err) {
      throw new StoreError(`cannot read ${this.location}: ${(err as Error).message}`, err);
    }
    if (text === undefined) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new StoreError(`${this.location} is not JSON: ${(err as Error).message}`, err);
    }
    const p = parsed as { format?: unknown; revision?: unknown; updatedAt?: unknown; document?: unknown };
    if (p.format !== FORMAT || typeof p.revision !== 'number' || !Number.isInteger(p.revision) || p.revision < 1 || typeof p.updatedAt !== 'string') {
      throw new StoreError(`${this.location} is not a ${FORMAT} document`);
    }
    return { revision: p.revision, updatedAt: p.updatedAt, document: p.document };
  }
}
