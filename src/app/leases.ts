/**
 * Registration leases wired from config (layer "app"): in the shared PostgreSQL store when `store` is set (each
 * registration runs on one node of the cluster), else held by this node alone.
 */
import type { Clock } from '../core/clock.js';
import type { Config } from '../config/index.js';
import { LocalLeases, type LeaseStore } from '../store/leases.js';
import { PostgresLeases } from '../store/postgres-leases.js';
import { resolveNodeId } from '../store/node-identity.js';

export function buildLeases(config: Config, clock: Clock): LeaseStore {
  const nodeId = resolveNodeId(config.store?.nodeId);
  return config.store?.type === 'postgres' ? new PostgresLeases(config.store.url, nodeId, { clock }) : new LocalLeases(nodeId);
}
