/**
 * Cluster-wide call control wired from `store` (README "Past one machine"), part of the composition root (layer
 * "app"): this node's answered and ringing outbound calls go into the shared call registry, a limited trunk's slots are counted there,
 * GET /v1/calls lists every live node's calls, and commands for another node's call are forwarded to it. Without
 * `store` none of this is built and the bridge behaves as a single node.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Config } from '../config/index.js';
import type { TrunkCallLimiter } from '../trunks/index.js';
import type { CallManager } from '../calls/call-manager.js';
import type { LiveCallInfo } from '../calls/call.js';
import { PostgresCallRegistry, resolveNodeId, type CallRegistry } from '../store/index.js';
import { createCallForwarder, createCallForwarding, type CallOwners } from '../api/call-forwarding.js';
import { durationSince, remoteCallView, type ClusterCallView } from './cluster-view.js';
import { ClusterLiveCalls } from './cluster-live.js';
import { SystemClock } from '../core/clock.js';

export { durationSince, type ClusterCallView };

type Routes = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/** What a listing keeps of a call's details at its answer: media figures and duration change, so they are left out. */
function published(call: LiveCallInfo | { callId: string }): Record<string, unknown> | undefined {
  if (!('state' in call)) return undefined;
  const { media: _media, durationSec: _duration, ...rest } = call;
  return rest;
}

export class ClusterCalls {
  private calls: CallManager | undefined;
  private liveFeed: ClusterLiveCalls | undefined;
  /** Answered calls not ended yet: their row is released at their end, with its reason (which the others hear). */
  private readonly published = new Set<string>();

  constructor(
    readonly registry: CallRegistry,
    private readonly log: Logger,
    private readonly clock: Clock = new SystemClock(),
  ) {}

  /** The cluster of `config.store`; undefined for a single node. */
  static fromConfig(config: Config, clock: Clock, logger: Logger): ClusterCalls | undefined {
    const store = config.store;
    if (store?.type !== 'postgres') return undefined;
    const log = logger.child({ layer: 'cluster' });
    const nodeId = resolveNodeId(store.nodeId);
    const registry = new PostgresCallRegistry(store.url, nodeId, {
      clock,
      ...(store.apiUrl !== undefined ? { apiUrl: store.apiUrl } : {}),
      onHealthChange: (healthy, err) => {
        if (healthy) log.info({ node: nodeId }, 'shared call registry reachable again');
        else log.warn({ node: nodeId, err: err?.message }, 'shared call registry unreachable: /readyz fails until it is back');
      },
    });
    if (store.apiUrl === undefined) log.warn({ node: nodeId }, "store.apiUrl is unset: other nodes cannot forward this node's call commands (they answer 502)");
    return new ClusterCalls(registry, log, clock);
  }

  get nodeId(): string {
    return this.registry.nodeId;
  }

  /** Registers this node; its answered calls are published from now on. */
  async open(calls: CallManager): Promise<void> {
    this.calls = calls;
    calls.watch({
      started: (call) => {
        const info = published(call);
        if (!info) return;
        this.published.add(call.callId);
        void this.registry.publish(call.callId, info.trunk as string | undefined, info);
      },
      ended: (e) => {
        this.published.delete(e.callId);
        void this.registry.release(e.callId, { reason: e.reason, durationSec: e.durationSec });
      },
      // A ringing outbound call has a row too, so another node forwards its GET and hangup here.
      placed: (callId) => void this.registry.own(callId),
      notAnswered: (callId) => {
        if (!this.published.has(callId)) void this.registry.release(callId);
      },
    });
    await this.registry.open();
    this.log.info({ node: this.nodeId }, 'node registered in the shared call registry');
  }

  /**
   * A trunk slot: this node's own limits first (`sip.security.maxConcurrentCalls`, the trunk's limit counted
   * here), then, for a limited trunk, the cluster's count in the store.
   */
  async acquire(trunk: string, callId: string, limiter: TrunkCallLimiter): Promise<() => void> {
    const local = limiter.acquire(trunk);
    const limit = limiter.limitOf(trunk);
    if (limit === undefined) return local;
    try {
      await this.registry.claim(callId, trunk, limit);
    } catch (err) {
      local();
      throw err;
    }
    return () => {
      local();
      // An answered call's row goes with its end (and its reason); a call that never got answered frees its slot here.
      if (!this.published.has(callId)) void this.registry.release(callId);
    };
  }

  /** GET /v1/calls: this node's calls as they are now, then the other live nodes' as published at their answer. */
  async list(): Promise<ClusterCallView[]> {
    const own = (this.calls?.list() ?? []).map((c) => ({ ...c, node: this.nodeId }));
    const others = (await this.registry.list()).filter((c) => c.node !== this.nodeId);
    const now = Date.now();
    return [...own, ...others.map((c) => remoteCallView(c.callId, c.node, c.info, now))];
  }

  /**
   * The cluster's calls for GET /v1/events over this node's call control `calls`: usable before {@link open} (the
   * API listens first), when the registry still has nothing of this node.
   */
  live(calls: CallManager): ClusterLiveCalls {
    this.liveFeed ??= new ClusterLiveCalls(this.registry, calls, this.clock, this.log);
    return this.liveFeed;
  }

  /** The /v1 route that forwards another node's call commands to it. */
  forwarding(): Routes {
    return createCallForwarding(this.owners(), { logger: this.log.child({ layer: 'api' }) });
  }

  /** Forwards one request about another node's call (the Twilio REST shim's, on its own paths) to that node. */
  forwarder(): (callId: string, req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
    const forward = createCallForwarder(this.owners(), { logger: this.log.child({ layer: 'api', api: 'twilio-rest' }) });
    return (callId, req, res) => forward(callId, req, res);
  }

  /** Who owns a call: undefined for this node's (live or being set up here) and for none. */
  private owners(): CallOwners {
    return {
      nodeId: this.nodeId,
      remoteOwner: async (callId) => {
        if (this.calls?.get(callId)) return undefined;
        const owner = await this.registry.ownerOf(callId);
        return owner && owner.node !== this.nodeId ? owner : undefined;
      },
    };
  }

  get healthy(): boolean {
    return this.registry.healthy;
  }

  async close(): Promise<void> {
    await this.registry.close();
  }
}
