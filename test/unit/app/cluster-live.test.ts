/**
 * The cluster's live calls for the event stream (app/cluster-live.ts) over nodes sharing one in-memory registry
 * table and a manual clock, with node A's real CallManager (its SIP and media faked as in the calls tests): A's
 * own call and B's calls start and end on A's feed with their node, a new snapshot reads the registry, and B
 * stopping its heartbeat ends its call as node-lost after the expiry and two re-reads.
 */
import { describe, expect, it } from 'vitest';
import { ClusterLiveCalls } from '../../../src/app/cluster-live.js';
import { ClusterCalls } from '../../../src/app/cluster.js';
import { TrunkCallLimiter } from '../../../src/trunks/index.js';
import { silentLogger } from '../../../src/core/logger.js';
import { CallManager } from '../../../src/calls/call-manager.js';
import { MemoryCallRegistry, MemoryCallTable } from '../../../src/store/index.js';
import type { LiveEvent } from '../../../src/api/events/index.js';
import { Harness, flush } from '../calls/fakes.js';
import { CARRIER_OFFER, inboundDeps } from '../calls/fixtures.js';

const info = { callId: 'b1', state: 'answered', from: 'sip:bob@x', answeredAt: new Date().toISOString() };

async function setup() {
  const h = new Harness();
  const table = new MemoryCallTable(h.clock);
  const [ra, rb] = [new MemoryCallRegistry(table, 'a'), new MemoryCallRegistry(table, 'b')];
  await ra.open();
  await rb.open();
  const calls = new CallManager(h.sip, inboundDeps(h), silentLogger());
  calls.attach();
  const feed = new ClusterLiveCalls(ra, calls, h.clock, silentLogger(), 2000);
  const events: LiveEvent[] = [];
  return { h, rb, feed, events };
}

describe('ClusterLiveCalls', () => {
  it("tells this node's calls and the other node's starting and ending, each with its node", async () => {
    const { h, rb, feed, events } = await setup();
    const heartbeats = h.clock.pending();
    const stop = feed.watch((e) => events.push(e));
    expect(h.clock.pending()).toBe(heartbeats + 1); // the re-read timer
    const signal = h.incoming({ sdp: CARRIER_OFFER, callId: 'inbound-1@carrier' });
    h.sip.offer(signal);
    await flush();
    expect(events).toMatchObject([{ type: 'call.started', call: { node: 'a', state: 'answered' } }]);

    await rb.claim('b1', 'carrier', 5);
    await rb.publish('b1', 'carrier', info);
    expect(events[1]).toMatchObject({ type: 'call.started', call: { callId: 'b1', node: 'b', trunk: 'carrier', from: 'sip:bob@x' } });
    expect(feed.list().map((c) => [c.node, c.state])).toEqual([
      ['a', 'answered'],
      ['b', 'answered'],
    ]);
    await rb.release('b1', { reason: 'caller-hangup', durationSec: 7 });
    expect(events[2]).toEqual({ type: 'call.ended', callId: 'b1', reason: 'caller-hangup', durationSec: 7 });

    signal.dialog!.farEndBye();
    expect(events[3]).toMatchObject({ type: 'call.ended', reason: 'caller-hangup' });
    stop();
    // Unsubscribed: nothing more is heard, its timer is gone (the registries' heartbeats remain).
    await rb.publish('b2', undefined, { ...info, callId: 'b2' });
    await flush(); // the ended call's report, which waited for its media's last figures
    expect(events).toHaveLength(4);
    expect(h.clock.pending()).toBe(heartbeats);
  });

  it("a snapshot reads the registry (calls published before anyone watched); a node that stops beating has its calls end as node-lost", async () => {
    const { h, rb, feed, events } = await setup();
    await rb.publish('b1', 'carrier', info);
    const stop = feed.watch((e) => events.push(e));
    expect((await feed.snapshot()).map((c) => [c.callId, c.node])).toEqual([['b1', 'b']]);
    expect(events).toMatchObject([{ type: 'call.started', call: { callId: 'b1', node: 'b' } }]);

    rb.paused = true; // killed: no more heartbeats, no release
    for (let i = 0; i < 10 && events.length < 2; i++) {
      h.clock.advance(1000);
      await flush();
    }
    expect(events[1]).toMatchObject({ type: 'call.ended', callId: 'b1', reason: 'node-lost' });
    expect(feed.list()).toEqual([]);
    stop();
  });
});

describe('ClusterCalls: an answered call leaves the registry at its end, with its reason', () => {
  it("freeing the call's trunk slot first does not delete its row; the end does, and the others hear why", async () => {
    const h = new Harness();
    const table = new MemoryCallTable(h.clock);
    const [ra, rb] = [new MemoryCallRegistry(table, 'a'), new MemoryCallRegistry(table, 'b')];
    await rb.open();
    const heard: unknown[] = [];
    rb.watch((c) => heard.push(c));
    const calls = new CallManager(h.sip, inboundDeps(h), silentLogger());
    calls.attach();
    const cluster = new ClusterCalls(ra, silentLogger(), h.clock);
    await cluster.open(calls);
    h.bots.mode = 'manual';
    const signal = h.incoming({ sdp: CARRIER_OFFER, callId: 'inbound-2@carrier' });
    h.sip.offer(signal);
    await flush();
    // The slot is taken while the call sets up (as routing does), then the call is answered.
    const callId = h.bots.attempts[0].ctx.callId;
    const freeSlot = await cluster.acquire('carrier', callId, new TrunkCallLimiter(new Map([['carrier', 5]]), 10));
    h.bots.attempts[0].open();
    await flush();
    expect(calls.list().map((c) => c.callId)).toEqual([callId]);
    freeSlot();
    await flush();
    expect((await rb.list()).map((c) => c.callId)).toEqual([callId]);
    h.clock.advance(3000);
    signal.dialog!.farEndBye();
    await flush();
    expect(await rb.list()).toEqual([]);
    expect(heard.at(-1)).toEqual({ op: 'released', callId, node: 'a', reason: 'caller-hangup', durationSec: 3 });
    await cluster.close();
  });
});
