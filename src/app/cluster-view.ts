/**
 * Other nodes' live calls as this node's event stream tells them (README "Past one machine"), part of the
 * composition root (layer "app"). Pure: fed the registry's change notifications and its listings, it answers the
 * `call.started` / `call.ended` events they mean and the calls it knows now. A listing read while changes arrive
 * is older than those changes: a change heard after the read began wins over it (see {@link mark}).
 */
import type { CallChange, RegisteredCall } from '../store/index.js';
import type { LiveEvent } from '../api/events/index.js';

/** The end reason of another node's call that left the registry without an end notice (its node stopped beating). */
export const NODE_LOST = 'node-lost';

/** A call as GET /v1/calls shows it in a cluster: the calls API's fields and the node that owns it. */
export type ClusterCallView = { callId: string; node: string } & Record<string, unknown>;

/** Seconds since `answeredAt` (ISO), one decimal, for another node's call; 0 when unknown. */
export function durationSince(answeredAt: unknown, nowMs: number): number {
  const t = typeof answeredAt === 'string' ? Date.parse(answeredAt) : NaN;
  return Number.isFinite(t) ? Math.max(0, Math.round((nowMs - t) / 100) / 10) : 0;
}

/** Another node's call as listed: its published details, its node, its duration now. */
export function remoteCallView(callId: string, node: string, info: Readonly<Record<string, unknown>>, nowMs: number): ClusterCallView {
  return { ...info, callId, node, durationSec: durationSince(info.answeredAt, nowMs) };
}

interface Known {
  node: string;
  info: Readonly<Record<string, unknown>>;
  /** The generation it was heard in. */
  gen: number;
  /** Missing from the last listing: a second listing without it ends it (its end notice may be in flight). */
  missing?: boolean;
}

export class RemoteCallsView {
  private readonly known = new Map<string, Known>();
  /** Calls heard released, by generation: a listing read before the release must not bring them back. */
  private readonly gone = new Map<string, number>();
  private gen = 0;

  constructor(private readonly ownNode: string) {}

  /** Starts a registry read: what is heard from now on is newer than its listing. Pass the result to {@link reconcile}. */
  mark(): number {
    return ++this.gen;
  }

  /**
   * One change notification: the events it means (none for this node's own calls, which call control reports,
   * or for a call already known). `reread`: a publish came without its details (too big to notify): read the registry.
   */
  apply(change: CallChange, nowMs: number): { events: LiveEvent[]; reread: boolean } {
    if (change.node === this.ownNode) return { events: [], reread: false };
    if (change.op === 'released') {
      this.gone.set(change.callId, this.gen);
      const k = this.known.get(change.callId);
      if (!k) return { events: [], reread: false };
      this.known.delete(change.callId);
      const durationSec = change.durationSec ?? durationSince(k.info.answeredAt, nowMs);
      return { events: [{ type: 'call.ended', callId: change.callId, reason: change.reason ?? NODE_LOST, durationSec }], reread: false };
    }
    this.gone.delete(change.callId);
    const k = this.known.get(change.callId);
    if (change.info === undefined) return { events: [], reread: k === undefined };
    const info = change.trunk !== undefined && change.info.trunk === undefined ? { ...change.info, trunk: change.trunk } : change.info;
    this.known.set(change.callId, { node: change.node, info, gen: this.gen });
    if (k) return { events: [], reread: false };
    return { events: [{ type: 'call.started', call: remoteCallView(change.callId, change.node, info, nowMs) }], reread: false };
  }

  /**
   * A listing of every live node's calls, read after `mark`: calls in it not known yet start, known calls missing
   * from it and from the listing before (their node expired, or their end notice was missed) end with reason
   * {@link NODE_LOST}.
   */
  reconcile(list: readonly RegisteredCall[], mark: number, nowMs: number): LiveEvent[] {
    const events: LiveEvent[] = [];
    const listed = new Set<string>();
    for (const c of list) {
      if (c.node === this.ownNode) continue;
      listed.add(c.callId);
      if (this.known.has(c.callId) || (this.gone.get(c.callId) ?? -1) >= mark) continue;
      const info = c.trunk !== undefined && c.info.trunk === undefined ? { ...c.info, trunk: c.trunk } : c.info;
      this.known.set(c.callId, { node: c.node, info, gen: mark });
      events.push({ type: 'call.started', call: remoteCallView(c.callId, c.node, info, nowMs) });
    }
    for (const [callId, k] of this.known) {
      if (listed.has(callId) || k.gen >= mark) {
        k.missing = false;
        continue;
      }
      // The owner's end notice is sent at the commit that deletes the row, but may reach us after this read.
      if (!k.missing) {
        k.missing = true;
        continue;
      }
      this.known.delete(callId);
      events.push({ type: 'call.ended', callId, reason: NODE_LOST, durationSec: durationSince(k.info.answeredAt, nowMs) });
    }
    for (const [callId, gen] of this.gone) if (gen < mark) this.gone.delete(callId);
    return events;
  }

  /** The other nodes' calls known now, in the order heard, with their durations at `nowMs`. */
  calls(nowMs: number): ClusterCallView[] {
    return [...this.known].map(([callId, k]) => remoteCallView(callId, k.node, k.info, nowMs));
  }

  /** Forgets everything (nobody follows the stream any more). */
  clear(): void {
    this.known.clear();
    this.gone.clear();
  }
}
