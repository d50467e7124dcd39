/**
 * Leases shared by several nodes in one process, with the PostgreSQL table's rule (take when missing, expired or
 * already yours) and expiry on a given clock: the unit tests' stand-in for the database, which the integration
 * tests use for real (test/integration/postgres-leases.test.ts).
 */
import type { Clock } from '../../src/core/clock.js';
import { StoreError } from '../../src/store/config-store.js';
import type { LeaseStore, LeaseView } from '../../src/store/leases.js';

interface Row {
  holder: string;
  note: string;
  expiresAt: number;
}

export class LeaseTable {
  readonly rows = new Map<string, Row>();
  /** Release listeners of every node (NOTIFY reaches them all, the releasing node too). */
  readonly releaseListeners: ((name: string) => void)[] = [];
  /** False: releases are not announced (a broken LISTEN connection); the nodes' ticks still find them. */
  announce = true;
  constructor(readonly clock: Clock) {}

  /** One node's view of the table; `reachable` false makes its calls fail as an unreachable database would. */
  node(nodeId: string): TableLeases {
    return new TableLeases(this, nodeId);
  }
}

export class TableLeases implements LeaseStore {
  readonly shared = true;
  reachable = true;
  /** Calls made, for assertions. */
  readonly calls: string[] = [];

  constructor(
    private readonly table: LeaseTable,
    readonly nodeId: string,
  ) {}

  async open(): Promise<void> {}

  async acquire(name: string, ttlMs: number, note: string): Promise<LeaseView> {
    this.calls.push(`acquire ${name}`);
    if (!this.reachable) throw new StoreError('connection refused');
    const now = this.table.clock.now();
    const row = this.table.rows.get(name);
    if (!row || row.expiresAt <= now || row.holder === this.nodeId) {
      this.table.rows.set(name, { holder: this.nodeId, note, expiresAt: now + ttlMs });
      return { mine: true, holder: this.nodeId, note };
    }
    return { mine: false, holder: row.holder, note: row.note };
  }

  async release(name: string): Promise<void> {
    this.calls.push(`release ${name}`);
    if (!this.reachable) throw new StoreError('connection refused');
    if (this.table.rows.get(name)?.holder !== this.nodeId) return;
    this.table.rows.delete(name);
    // Like NOTIFY, heard after the commit, not inside the call.
    if (this.table.announce) setImmediate(() => this.table.releaseListeners.forEach((l) => l(name)));
  }

  onReleased(listener: (name: string) => void): void {
    this.table.releaseListeners.push(listener);
  }

  async close(): Promise<void> {}
}
