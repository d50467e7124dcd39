export { StaleRevisionError, StoreError, type ConfigStore, type StoredDocument } from './config-store.js';
export { FileConfigStore, nodeStoreFs, type StoreFs } from './file-store.js';
export { MemoryConfigStore } from './memory-store.js';
export { PostgresConfigStore, redactUrl, PG_TABLE, PG_CHANNEL, type PostgresStoreOptions } from './postgres-store.js';
export { resolveNodeId } from './node-identity.js';
export { MemoryCallRegistry, MemoryCallTable, HEARTBEAT_MS, NODE_EXPIRY_MS, type CallEnd, type CallRegistry, type CallRegistryOptions, type NodeAddress, type RegisteredCall } from './call-registry.js';
export { encodeCallChange, parseCallChange, PG_CALLS_CHANNEL, MAX_CHANGE_BYTES, type CallChange } from './call-changes.js';
export { PostgresCallRegistry, PG_NODES_TABLE, PG_CALLS_TABLE, type PostgresCallRegistryOptions } from './postgres-call-registry.js';
