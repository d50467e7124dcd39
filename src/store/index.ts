export { StaleRevisionError, StoreError, type ConfigStore, type StoredDocument } from './config-store.js';
export { FileConfigStore, nodeStoreFs, type StoreFs } from './file-store.js';
export { MemoryConfigStore } from './memory-store.js';
export { PostgresConfigStore, redactUrl, PG_TABLE, PG_CHANNEL, type PostgresStoreOptions } from './postgres-store.js';
export { resolveNodeId } from './node-identity.js';
