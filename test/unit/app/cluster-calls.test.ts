/** Cluster-wide call control's glue (app/cluster.ts) over the in-memory registry. */
import { describe, expect, it } from 'vitest';
import { ClusterCalls, durationSince } from '../../../src/app/cluster.js';
import { ManualClock } from '../../../src/core/clock.js';
import { CallRejectedError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';
import { MemoryCallRegistry, MemoryCallTable } from '../../../src/store/index.js';
import { TrunkCallLimiter } from '../../../src/trunks/index.js';
import type { CallManager, CallWatcher } from '../../../src/calls/call-manager.js';
import type { LiveCallInfo } from '../../../src/calls/call.js';

function reasonOf(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'admitted',
    (err: unknown) => (err instanceof CallRejectedError ? err.reason : String(err)),
  );
}

describe('ClusterCalls', () => {
  it('a trunk slot is counted on this node and in the registry; a cluster refusal gives the local slot back', async () => {
    const table = new MemoryCallTable(new ManualClock());
    const [ra, rb] = [new MemoryCallRegistry(table, 'a'), new MemoryCallRegistry(table, 'b')];
    await ra.open();
    await rb.open();
    const a = new ClusterCalls(ra, silentLogger());
    const b = new ClusterCalls(rb, silentLogger());
    const limits = new Map([['carrier', 2]]);
    const [la, lb] = [new TrunkCallLimiter(limits, 10), new TrunkCallLimiter(limits, 10)];
    const release1 = await a.acquire('carrier', 'c1', la);
    await b.acquire('carrier', 'c2', lb);
    expect(await reasonOf(a.acquire('carrier', 'c3', la))).toBe('trunk-busy');
    expect(la.activeOn('carrier')).toBe(1);
    release1();
    release1();
    expect(la.activeOn('carrier')).toBe(0);
    // The registry's release is asynchronous: the freed slot is taken once it has landed.
    await Promise.resolve();
    expect(await reasonOf(b.acquire('carrier', 'c3', lb))).toBe('admitted');
    expect(lb.activeOn('carrier')).toBe(2);
  });

  it("an unlimited trunk takes no registry slot; this node's own limit still refuses with bridge-busy", async () => {
    const table = new MemoryCallTable(new ManualClock());
    const r = new MemoryCallRegistry(table, 'a');
    await r.open();
    const a = new ClusterCalls(r, silentLogger());
    const limiter = new TrunkCallLimiter(new Map(), 1);
    await a.acquire('open', 'c1', limiter);
    expect(table.calls.size).toBe(0);
    expect(await reasonOf(a.acquire('open', 'c2', limiter))).toBe('bridge-busy');
  });

  it("a ringing outbound call is owned in the registry (another node finds it) until answered or failed", async () => {
    const table = new MemoryCallTable(new ManualClock());
    const [ra, rb] = [new MemoryCallRegistry(table, 'a'), new MemoryCallRegistry(table, 'b')];
    await ra.open();
    await rb.open();
    let watcher: CallWatcher | undefined;
    const calls = { watch: (w: CallWatcher) => ((watcher = w), () => undefined), get: () => undefined, list: () => [] };
    await new ClusterCalls(ra, silentLogger()).open(calls as unknown as CallManager);
    watcher!.placed!('r1');
    await Promise.resolve();
    expect(await rb.ownerOf('r1')).toMatchObject({ node: 'a' });
    watcher!.notAnswered!('r1');
    await Promise.resolve();
    expect(await rb.ownerOf('r1')).toBeUndefined();
    // Answered: the row stays, published, until the call ends.
    watcher!.placed!('r2');
    watcher!.started!({ callId: 'r2', state: 'answered' } as unknown as LiveCallInfo);
    await Promise.resolve();
    expect(await rb.list()).toMatchObject([{ callId: 'r2', node: 'a' }]);
    watcher!.ended!({ callId: 'r2', reason: 'api-hangup', durationSec: 1 });
    await Promise.resolve();
    expect(await rb.ownerOf('r2')).toBeUndefined();
  });

  it("lists the other nodes' published calls with their node and a duration from their answer time", async () => {
    const table = new MemoryCallTable(new ManualClock());
    const [ra, rb] = [new MemoryCallRegistry(table, 'a'), new MemoryCallRegistry(table, 'b')];
    await ra.open();
    await rb.open();
    const answeredAt = new Date(Date.now() - 60_000).toISOString();
    await rb.publish('b1', 'carrier', { callId: 'b1', state: 'answered', answeredAt });
    const [only] = await new ClusterCalls(ra, silentLogger()).list();
    expect(only).toMatchObject({ callId: 'b1', node: 'b', state: 'answered', answeredAt });
    expect(only.durationSec).toBeGreaterThanOrEqual(60);
    expect(only.durationSec).toBeLessThan(120);
  });

  it.each([
    ['2026-01-01T00:00:10.000Z', Date.parse('2026-01-01T00:00:42.340Z'), 32.3],
    ['2026-01-01T00:00:10.000Z', Date.parse('2026-01-01T00:00:09.000Z'), 0],
    [undefined, 0, 0],
    ['not a time', 0, 0],
  ])('durationSince(%s) = %s', (at, now, want) => {
    expect(durationSince(at, now)).toBe(want);
  });
});
