import { StaleRevisionError, type ConfigStore, type StoredDocument } from './config-store.js';

/** A store that forgets on restart: used when no `dataDir` is configured. */
export class MemoryConfigStore implements ConfigStore {
  readonly location = '(memory)';
  private current: StoredDocument | undefined;

  async read(): Promise<StoredDocument | undefined> {
    return this.current;
  }

  async write(document: unknown, expectedRevision: number): Promise<StoredDocument> {
    const actual = this.current?.revision ?? 0;
    if (actual !== expectedRevision) throw new StaleRevisionError(expectedRevision, actual);
    this.current = { revision: actual + 1, updatedAt: new Date().toISOString(), document: structuredClone(document) };
    return this.current;
  }
}
