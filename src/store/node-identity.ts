/**
 * Who this bridge is among the nodes sharing one store: the owner recorded on its live calls and on the
 * registration leases it holds. Stable for the life of the process; a restarted node is a new owner, so rows a
 * dead process left behind expire instead of being adopted by a namesake.
 */
import { hostname } from 'node:os';

/** `store.nodeId` when configured, else `<hostname>-<pid>`. */
export function resolveNodeId(configured: string | undefined): string {
  return configured ?? `${hostname()}-${process.pid}`;
}
