/**
 * The cluster's view of live calls (README "Past one machine"): every node registers the calls it owns, with a
 * heartbeat; a node not heard from for `expiryMs` is dead, and its calls drop out of listings, owner look-ups
 * and trunk counts. A port with two implementations: {@link MemoryCallRegistry} (nodes in one process: the
 * semantics, tested with a manual clock) and PostgresCallRegistry (nodes sharing a database).
 */
import { SystemClock, type Clock, type TimerHandle } from '../core/clock.js';
import { CallRejectedError } from '../core/errors.js';
import type { CallChange } from './call-changes.js';

/** How often a node says it is alive, ms. */
export const HEARTBEAT_MS = 1000;
/** A node not heard from for this long is dead: its calls no longer count, ms. */
export const NODE_EXPIRY_MS = 5000;

/** A call as every node lists it. */
export interface RegisteredCall {
  readonly callId: string;
  /** The node that owns it (its SIP dialog and media). */
  readonly node: string;
  readonly trunk?: string;
  /** What the owner published at the answer (the calls API's fields, as JSON). */
  readonly info: Readonly<Record<string, unknown>>;
}

/** A live node and where its API is reached (undefined: no `store.apiUrl`). */
export interface NodeAddress {
  readonly node: string;
  readonly apiUrl: string | undefined;
}

export interface CallRegistry {
  /** This node's id (`store.nodeId`). */
  readonly nodeId: string;
  /** Creates what it needs, registers this node, starts the heartbeat. */
  open(): Promise<void>;
  /**
   * Takes a slot on `trunk` for `callId`, counting every live node's calls on that trunk, atomically: two nodes
   * racing for the last slot cannot both get it.
   * @throws CallRejectedError 'trunk-busy' at the limit; 'store-unreachable' when the store cannot be reached.
   */
  claim(callId: string, trunk: string, limit: number): Promise<void>;
  /**
   * A call this node owns before any answer (an outbound call still ringing): {@link ownerOf} finds it, so the
   * other nodes forward its commands here; it is neither listed nor counted on a trunk. Ends with
   * {@link publish} (answered) or {@link release}. Never rejects (a failed write is retried).
   */
  own(callId: string): Promise<void>;
  /** An answered call: every node lists it until {@link release}. Never rejects (a failed write is retried). */
  publish(callId: string, trunk: string | undefined, info: Record<string, unknown>): Promise<void>;
  /**
   * The call ended (or its setup failed): its slot and listing go; `ended` (why, how long) is told to the other
   * nodes' watchers. Never rejects.
   */
  release(callId: string, ended?: CallEnd): Promise<void>;
  /**
   * Every live node's published calls, oldest first.
   * @throws CallRejectedError 'store-unreachable'
   */
  list(): Promise<RegisteredCall[]>;
  /**
   * The live node that owns `callId`; undefined when none does.
   * @throws CallRejectedError 'store-unreachable'
   */
  ownerOf(callId: string): Promise<NodeAddress | undefined>;
  /**
   * Hears every node's calls published and released (this node's too), best effort: a change may be missed while
   * the store is unreachable, and `onResync` then runs once it is heard again (re-read {@link list}). Returns what
   * unsubscribes.
   */
  watch(listener: (change: CallChange) => void, onResync?: () => void): () => void;
  /** False while the heartbeat cannot reach the store (/readyz fails). */
  readonly healthy: boolean;
  /** Drops this node's rows and stops the heartbeat; safe to call twice. */
  close(): Promise<void>;
}

/** How a call ended, as the other nodes hear it. */
export interface CallEnd {
  reason: string;
  durationSec: number;
}

export interface CallRegistryOptions {
  /** This node's `store.apiUrl`. */
  apiUrl?: string;
  clock?: Clock;
  heartbeatMs?: number;
  expiryMs?: number;
}

export function busy(trunk: string, limit: number): CallRejectedError {
  return new CallRejectedError('trunk-busy', `trunk ${trunk} is at its limit of ${limit} calls across the cluster`);
}

interface MemoryCall {
  node: string;
  trunk: string | undefined;
  info: Record<string, unknown> | undefined;
  /** Insertion order: listings are oldest first. */
  seq: number;
}

/** What nodes in one process share: the memory counterpart of the database's tables. */
export class MemoryCallTable {
  readonly nodes = new Map<string, { apiUrl: string | undefined; lastSeen: number }>();
  readonly calls = new Map<string, MemoryCall>();
  readonly watchers = new Set<(change: CallChange) => void>();
  private seq = 0;

  constructor(readonly clock: Clock = new SystemClock()) {}

  nextSeq(): number {
    return ++this.seq;
  }

  tell(change: CallChange): void {
    for (const w of [...this.watchers]) w(change);
  }

  isLive(node: string, expiryMs: number): boolean {
    const n = this.nodes.get(node);
    return n !== undefined && this.clock.now() - n.lastSeen <= expiryMs;
  }
}

/** Nodes sharing a {@link MemoryCallTable}; the semantics the PostgreSQL registry has in SQL. */
export class MemoryCallRegistry implements CallRegistry {
  private heartbeat: TimerHandle | undefined;
  private readonly apiUrl: string | undefined;
  private readonly heartbeatMs: number;
  private readonly expiryMs: number;
  private closed = false;
  /** Tests: a node that stops beating without closing (killed). */
  paused = false;

  constructor(
    private readonly table: MemoryCallTable,
    readonly nodeId: string,
    options: CallRegistryOptions = {},
  ) {
    this.apiUrl = options.apiUrl;
    this.heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
    this.expiryMs = options.expiryMs ?? NODE_EXPIRY_MS;
  }

  get healthy(): boolean {
    return !this.closed;
  }

  async open(): Promise<void> {
    // A restarted node with a configured id owns none of the calls its earlier process left.
    for (const [id, c] of this.table.calls) if (c.node === this.nodeId) this.table.calls.delete(id);
    this.beat();
  }

  private beat(): void {
    if (this.closed) return;
    if (!this.paused) this.table.nodes.set(this.nodeId, { apiUrl: this.apiUrl, lastSeen: this.table.clock.now() });
    this.heartbeat = this.table.clock.setTimeout(() => this.beat(), this.heartbeatMs);
  }

  async claim(callId: string, trunk: string, limit: number): Promise<void> {
    let n = 0;
    for (const c of this.table.calls.values()) if (c.trunk === trunk && this.table.isLive(c.node, this.expiryMs)) n++;
    if (n >= limit) throw busy(trunk, limit);
    this.table.calls.set(callId, { node: this.nodeId, trunk, info: undefined, seq: this.table.nextSeq() });
  }

  async own(callId: string): Promise<void> {
    if (this.table.calls.get(callId)?.node === this.nodeId) return; // claimed or published already
    this.table.calls.set(callId, { node: this.nodeId, trunk: undefined, info: undefined, seq: this.table.nextSeq() });
  }

  async publish(callId: string, trunk: string | undefined, info: Record<string, unknown>): Promise<void> {
    const prev = this.table.calls.get(callId);
    const row = { node: this.nodeId, trunk: prev?.trunk ?? trunk, info, seq: prev?.seq ?? this.table.nextSeq() };
    this.table.calls.set(callId, row);
    this.table.tell({ op: 'published', callId, node: this.nodeId, ...(row.trunk !== undefined ? { trunk: row.trunk } : {}), info });
  }

  async release(callId: string, ended?: CallEnd): Promise<void> {
    if (this.table.calls.get(callId)?.node !== this.nodeId) return;
    this.table.calls.delete(callId);
    this.table.tell({ op: 'released', callId, node: this.nodeId, ...(ended ?? {}) });
  }

  watch(listener: (change: CallChange) => void): () => void {
    this.table.watchers.add(listener);
    return () => {
      this.table.watchers.delete(listener);
    };
  }

  async list(): Promise<RegisteredCall[]> {
    return [...this.table.calls.entries()]
      .filter(([, c]) => c.info !== undefined && this.table.isLive(c.node, this.expiryMs))
      .sort(([, a], [, b]) => a.seq - b.seq)
      .map(([callId, c]) => ({ callId, node: c.node, ...(c.trunk !== undefined ? { trunk: c.trunk } : {}), info: c.info! }));
  }

  async ownerOf(callId: string): Promise<NodeAddress | undefined> {
    const c = this.table.calls.get(callId);
    if (!c || !this.table.isLive(c.node, this.expiryMs)) return undefined;
    return { node: c.node, apiUrl: this.table.nodes.get(c.node)?.apiUrl };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.heartbeat?.cancel();
    for (const [id, c] of this.table.calls) if (c.node === this.nodeId) this.table.calls.delete(id);
    this.table.nodes.delete(this.nodeId);
  }
}
