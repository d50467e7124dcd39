/**
 * Where the managed configuration sections live between restarts. A small port so a shared database (PostgreSQL
 * for many bridges) can replace the embedded file later: the bridge only reads the document and writes a whole
 * new one conditionally on the revision it read.
 */
import { TrunkbridgeError } from '../core/errors.js';

/** What the store holds: an opaque JSON document and its revision (1 for the first write). */
export interface StoredDocument {
  readonly revision: number;
  /** ISO time of the write. */
  readonly updatedAt: string;
  readonly document: unknown;
}

export interface ConfigStore {
  /** The latest document, or undefined before the first write. */
  read(): Promise<StoredDocument | undefined>;
  /**
   * Stores `document` as revision `expectedRevision + 1`, atomically and durably, only if the stored revision
   * is still `expectedRevision` (0: nothing stored yet).
   * @throws StaleRevisionError when another write came first.
   */
  write(document: unknown, expectedRevision: number): Promise<StoredDocument>;
  /** Where it keeps its data, for logs (never a secret). */
  readonly location: string;
  /**
   * Shared stores only (several bridges write them): calls `listener` with a revision whenever any process
   * stored one, and after a lost connection comes back (a change may have been missed meanwhile).
   */
  watch?(listener: (revision: number) => void): void;
  /** Releases connections; safe to call twice. */
  close?(): Promise<void>;
}

/** A conditional write lost the race: the caller read an older revision. */
export class StaleRevisionError extends TrunkbridgeError {
  constructor(
    readonly expected: number,
    readonly actual: number,
  ) {
    super('STALE_REVISION', 'stale-revision', `the configuration is at revision ${actual}, not ${expected}`);
  }
}

/** The store could not be read or written (disk full, permissions, a corrupt file). */
export class StoreError extends TrunkbridgeError {
  constructor(message: string, cause?: unknown) {
    super('STORE_FAILED', 'store-failed', message, { cause });
  }
}
