/**
 * Leases: a named thing (a PBX registration) that exactly one node of a cluster may run at a time. A node takes or
 * renews a lease for a while (`ttlMs`) and must stop running the thing once the lease may have run out; another
 * node may take it only after that. One node alone holds every lease ({@link LocalLeases}).
 */

/** Who holds a lease after an acquire, as the store saw it. */
export interface LeaseView {
  /** True when this node holds it now (taken or renewed for `ttlMs` from before the call). */
  readonly mine: boolean;
  /** The holder's node id; undefined when the store could not tell (another node took it at that instant). */
  readonly holder: string | undefined;
  /** What the holder last reported with its renewal (e.g. a registration's state). */
  readonly note: string | undefined;
}

export interface LeaseStore {
  /** This node's id: the holder written on the leases it takes. */
  readonly nodeId: string;
  /** True when other nodes share the leases (a database), false for one node alone. */
  readonly shared: boolean;
  /** Prepares the store (creates its table); safe to call twice. */
  open(): Promise<void>;
  /**
   * Takes lease `name` for `ttlMs`, atomically, when it is free, expired or already this node's (a renewal), and
   * records `note` with it. Answers who holds it afterwards.
   * @throws StoreError when the store cannot be reached.
   */
  acquire(name: string, ttlMs: number, note: string): Promise<LeaseView>;
  /** Gives lease `name` up now when this node holds it (another node may take it at once). */
  release(name: string): Promise<void>;
  /**
   * Shared stores: calls `listener` with a lease's name soon after any node released it, so a node waiting for it
   * tries at once instead of at its next tick. Best effort: a missed one is caught by the next tick.
   */
  onReleased?(listener: (name: string) => void): void;
  /** Releases connections; safe to call twice. */
  close(): Promise<void>;
}

/** One node alone: every lease is always this node's. */
export class LocalLeases implements LeaseStore {
  readonly shared = false;

  constructor(readonly nodeId: string) {}

  async open(): Promise<void> {}

  async acquire(_name: string, _ttlMs: number, note: string): Promise<LeaseView> {
    return { mine: true, holder: this.nodeId, note };
  }

  async release(): Promise<void> {}

  async close(): Promise<void> {}
}
