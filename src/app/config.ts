/**
 * The live configuration (layer "app"): the YAML file, the configuration store under `dataDir`, and the current
 * {@link ConfigSnapshot}. At first start the file's managed sections seed the store; from then on the store is
 * their source. Every change (admin API, reload) runs under one lock: validate with the YAML's schema and
 * cross-checks, write the store, then swap the snapshot and tell the listeners (the app rebuilds routing).
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { stringify } from 'yaml';
import { ConfigError, type ConfigIssue } from '../core/errors.js';
import {
  buildSnapshot,
  joinConfig,
  parseYaml,
  promptFiles,
  readConfigText,
  sectionsNeedingRestart,
  snapshotOrThrow,
  splitConfig,
  validateConfig,
  type Config,
  type ConfigSnapshot,
  type ManagedConfig,
} from '../config/index.js';
import { FileConfigStore, MemoryConfigStore, PostgresConfigStore, StaleRevisionError, type ConfigStore, type StoreFs } from '../store/index.js';
import { checkPromptFiles } from '../engine/index.js';

/** Called with each new snapshot after it is stored; the previous one is still what running calls hold. */
export type SnapshotListener = (next: ConfigSnapshot, previous: ConfigSnapshot) => Promise<void> | void;
/** Told when another bridge's revision of a shared store cannot be applied here (this one keeps its snapshot). */
export type FollowErrorListener = (err: Error, revision: number) => void;
/** How often a write that lost a race to another bridge is retried on the fresh revision (no If-Match only). */
const SHARED_WRITE_ATTEMPTS = 3;

/** What a reload did. */
export interface ReloadResult {
  revision: number;
  /** False when the file's routing sections were unchanged since the last import (nothing applied). */
  imported: boolean;
  /** File-only sections that changed in the file: they keep their running values until a restart. */
  restartRequired: string[];
}

/**
 * What the store holds: the managed sections, and a digest of the file's managed sections when they were last
 * imported (seed or reload), so a reload of an unchanged file keeps what the API changed since.
 */
interface StoreDocument {
  sections: ManagedConfig;
  fileDigest: string;
}

/** A digest of a file's managed sections. */
function digestOf(managed: ManagedConfig): string {
  return createHash('sha256').update(JSON.stringify(managed)).digest('hex');
}

function asDocument(raw: unknown, location: string): StoreDocument {
  const d = raw as Partial<StoreDocument> | null;
  if (typeof d !== 'object' || d === null || typeof d.fileDigest !== 'string' || typeof d.sections !== 'object' || d.sections === null) {
    throw new ConfigError([{ path: '', message: 'the stored document has no managed sections' }], location);
  }
  return d as StoreDocument;
}

/** Checks beyond the schema that read files (prompts): a change naming a missing WAV is refused like a bad field. */
function fileChecks(config: Config): ConfigIssue[] {
  return checkPromptFiles(promptFiles(config));
}

export class LiveConfiguration {
  private snapshot: ConfigSnapshot;
  private readonly listeners: SnapshotListener[] = [];
  private readonly followErrors: FollowErrorListener[] = [];
  private lock: Promise<unknown> = Promise.resolve();

  private constructor(
    /** The YAML file (reload re-reads it). */
    readonly path: string,
    readonly store: ConfigStore,
    first: ConfigSnapshot,
    /** True when this start seeded the store from the file. */
    readonly seeded: boolean,
    /** Digest of the file's managed sections as last imported. */
    private fileDigest: string,
    /** True when the file's managed sections differ from what was last imported (the store wins until a reload). */
    readonly fileChangedSinceImport: boolean,
  ) {
    this.snapshot = first;
  }

  /**
   * Reads the file, opens the store (`dataDir`, else memory) and builds the first snapshot: the store's sections
   * when it has them, else the file's (written to the store as revision 1).
   * @throws ConfigError for a bad file or a stored document that no longer validates; StoreError for I/O.
   */
  static async open(path: string, options: { fs?: StoreFs; readOnly?: boolean } = {}): Promise<LiveConfiguration> {
    const raw = parseYaml(readConfigText(path), path);
    const fileConfig = validateConfig(raw, path);
    const { base, managed } = splitConfig(raw);
    let store: ConfigStore;
    if (fileConfig.store?.type === 'postgres') {
      const shared = new PostgresConfigStore(fileConfig.store.url);
      await shared.open().catch(async (err: unknown) => {
        await shared.close();
        throw err;
      });
      store = shared;
    } else if (fileConfig.dataDir !== undefined) {
      const files = new FileConfigStore(resolve(fileConfig.dataDir), options.fs);
      await files.open();
      store = files;
    } else {
      store = new MemoryConfigStore();
    }
    try {
      return await LiveConfiguration.fromStore(path, store, base, managed, options.readOnly === true);
    } catch (err) {
      // A shared store's connections would keep the process alive after a failed start.
      await store.close?.();
      throw err;
    }
  }

  /** The first snapshot from the store (seeding it from the file when empty, unless `readOnly`). */
  private static async fromStore(path: string, store: ConfigStore, base: Record<string, unknown>, managed: ManagedConfig, readOnly: boolean): Promise<LiveConfiguration> {
    const fileDigest = digestOf(managed);
    let stored = await store.read();
    let seeded = stored === undefined && !readOnly;
    if (seeded) {
      try {
        stored = await store.write({ sections: managed, fileDigest } satisfies StoreDocument, 0);
      } catch (err) {
        // Another bridge of the cluster seeded the shared store first: its document is the one to run.
        if (!(err instanceof StaleRevisionError)) throw err;
        seeded = false;
        stored = await store.read();
      }
    }
    let live: LiveConfiguration;
    if (!stored) {
      live = new LiveConfiguration(path, store, snapshotOrThrow(base, managed, 0, path), false, fileDigest, false);
    } else {
      const doc = asDocument(stored.document, store.location);
      const first = snapshotOrThrow(base, doc.sections, stored.revision, store.location);
      live = new LiveConfiguration(path, store, first, seeded, doc.fileDigest, doc.fileDigest !== fileDigest);
    }
    store.watch?.((revision) => void live.follow(revision));
    return live;
  }

  /** Told when another bridge's change cannot be applied on this one (see {@link follow}). */
  onFollowError(listener: FollowErrorListener): void {
    this.followErrors.push(listener);
  }

  /** Closes the store's connections (shared stores); safe to call twice. */
  async close(): Promise<void> {
    await this.store.close?.();
  }

  /**
   * A shared store has `revision`: when it is newer than ours, read it and swap the snapshot (listeners run as
   * for a local change). A document this bridge cannot run (a prompt file missing here) keeps the current
   * snapshot and is reported; the next revision is tried again.
   */
  follow(revision: number): Promise<void> {
    if (revision <= this.snapshot.revision) return Promise.resolve();
    return this.locked(() => this.pull()).catch((err: Error) => {
      for (const l of this.followErrors) l(err, revision);
    });
  }

  /** Under the lock: brings the snapshot up to the store's revision (shared stores only). */
  private async pull(): Promise<void> {
    const stored = await this.store.read();
    const cur = this.snapshot;
    if (!stored || stored.revision <= cur.revision) return;
    const doc = asDocument(stored.document, this.store.location);
    const next = snapshotOrThrow(cur.base, doc.sections, stored.revision, this.store.location);
    const fileIssues = fileChecks(next.config);
    if (fileIssues.length > 0) throw new ConfigError(fileIssues, this.store.location);
    this.fileDigest = doc.fileDigest;
    this.snapshot = next;
    for (const l of this.listeners) await l(next, cur);
  }

  /** The snapshot new calls take. */
  get current(): ConfigSnapshot {
    return this.snapshot;
  }

  onChange(listener: SnapshotListener): void {
    this.listeners.push(listener);
  }

  /**
   * Changes the managed sections: `change` gets the current ones (a copy to edit) and returns the next. Runs
   * under the lock, so concurrent requests never lose an update.
   * @param ifRevision the revision the client read (If-Match); another one -> StaleRevisionError.
   * @throws ConfigError naming every bad field (nothing is stored), StaleRevisionError, StoreError, or what `change` throws.
   */
  update(change: (managed: ManagedConfig) => ManagedConfig, ifRevision?: number): Promise<ConfigSnapshot> {
    return this.locked(async () => {
      // A shared store: another bridge may have written since our last notification; If-Match is checked
      // against the store's revision, and a write without one is retried on the fresh revision.
      const shared = this.store.watch !== undefined;
      for (let attempt = 1; ; attempt++) {
        if (shared) await this.pull();
        const cur = this.snapshot;
        if (ifRevision !== undefined && ifRevision !== cur.revision) throw new StaleRevisionError(ifRevision, cur.revision);
        const managed = change(structuredClone(cur.managed) as ManagedConfig);
        try {
          return await this.commit(cur, cur.base, managed, this.fileDigest);
        } catch (err) {
          if (!(shared && ifRevision === undefined && err instanceof StaleRevisionError && attempt < SHARED_WRITE_ATTEMPTS)) throw err;
        }
      }
    });
  }

  /**
   * Re-reads the YAML file. When its managed sections changed since they were last imported, they become the
   * live ones (replacing what the API changed); when they did not, the live ones stay (a stray SIGHUP loses
   * nothing). File-only sections keep their running values and are reported when they differ.
   * @throws ConfigError naming every bad field; the running configuration stays.
   */
  reload(): Promise<ReloadResult> {
    return this.locked(async () => {
      const raw = parseYaml(readConfigText(this.path), this.path);
      validateConfig(raw, this.path);
      if (this.store.watch !== undefined) await this.pull();
      const cur = this.snapshot;
      const { base, managed } = splitConfig(raw);
      const restartRequired = sectionsNeedingRestart(cur.base, base);
      const digest = digestOf(managed);
      if (digest === this.fileDigest) return { revision: cur.revision, imported: false, restartRequired };
      const next = await this.commit(cur, cur.base, managed, digest);
      this.fileDigest = digest;
      return { revision: next.revision, imported: true, restartRequired };
    });
  }

  /** The live configuration as YAML (secrets included: it is what a restore needs). */
  exportYaml(): string {
    return stringify(joinConfig(this.snapshot.base, this.snapshot.managed));
  }

  private async commit(cur: ConfigSnapshot, base: ConfigSnapshot['base'], managed: ManagedConfig, fileDigest: string): Promise<ConfigSnapshot> {
    const built = buildSnapshot(base, managed, cur.revision + 1);
    if (Array.isArray(built)) throw new ConfigError(built);
    const fileIssues = fileChecks(built.config);
    if (fileIssues.length > 0) throw new ConfigError(fileIssues);
    const stored = await this.store.write({ sections: managed, fileDigest } satisfies StoreDocument, cur.revision);
    const next = stored.revision === built.revision ? built : snapshotOrThrow(base, managed, stored.revision);
    this.snapshot = next;
    for (const l of this.listeners) await l(next, cur);
    return next;
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = run.catch(() => undefined);
    return run;
  }
}

/** `trunkbridge config export`: the live configuration of the file at `path` (and its store) as YAML. */
export async function exportConfiguration(path: string): Promise<string> {
  const live = await LiveConfiguration.open(path, { readOnly: true });
  try {
    return live.exportYaml();
  } finally {
    await live.close();
  }
}
