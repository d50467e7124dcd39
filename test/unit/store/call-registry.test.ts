/**
 * The call registry's semantics (README "Past one machine") on nodes sharing one in-memory table, with a manual
 * clock: trunk limits count every live node's calls, a node that stops beating drops out after the expiry, a
 * closing node takes its rows with it. The PostgreSQL registry has the same semantics in SQL
 * (test/integration/postgres-call-registry.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { CallRejectedError } from '../../../src/core/errors.js';
import { MemoryCallRegistry, MemoryCallTable } from '../../../src/store/index.js';

function cluster() {
  const clock = new ManualClock(1000);
  const table = new MemoryCallTable(clock);
  const node = (id: string) => new MemoryCallRegistry(table, id, { apiUrl: `http://${id}.test:8080`, heartbeatMs: 1000, expiryMs: 5000 });
  return { clock, table, node };
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return err instanceof CallRejectedError ? err.reason : `other: ${String(err)}`;
  }
  return 'admitted';
}

describe('MemoryCallRegistry', () => {
  it("a trunk's limit counts every node's calls: the 4th claim of a limit of 3 is trunk-busy on either node", async () => {
    const { node } = cluster();
    const [a, b] = [node('a'), node('b')];
    await a.open();
    await b.open();
    await a.claim('c1', 'carrier', 3);
    await b.claim('c2', 'carrier', 3);
    await a.claim('c3', 'carrier', 3);
    expect(await refusal(b.claim('c4', 'carrier', 3))).toBe('trunk-busy');
    expect(await refusal(a.claim('c4', 'carrier', 3))).toBe('trunk-busy');
    // Another trunk has its own count.
    expect(await refusal(b.claim('c5', 'other', 1))).toBe('admitted');
    // A slot given back is free for any node.
    await a.release('c1');
    expect(await refusal(b.claim('c6', 'carrier', 3))).toBe('admitted');
  });

  it('lists only published (answered) calls, oldest first, each with its node; ownerOf names the node and its API', async () => {
    const { node } = cluster();
    const [a, b] = [node('a'), node('b')];
    await a.open();
    await b.open();
    await a.claim('c1', 'carrier', 5);
    expect(await a.list()).toEqual([]);
    await b.publish('c2', undefined, { callId: 'c2', from: '+1' });
    await a.publish('c1', undefined, { callId: 'c1', from: '+2' });
    expect(await b.list()).toEqual([
      { callId: 'c1', node: 'a', trunk: 'carrier', info: { callId: 'c1', from: '+2' } },
      { callId: 'c2', node: 'b', info: { callId: 'c2', from: '+1' } },
    ]);
    expect(await a.ownerOf('c2')).toEqual({ node: 'b', apiUrl: 'http://b.test:8080' });
    expect(await a.ownerOf('nope')).toBeUndefined();
  });

  it("a node that stops beating: its calls leave listings, owner look-ups and trunk counts after the expiry, not before", async () => {
    const { clock, node } = cluster();
    const [a, b] = [node('a'), node('b')];
    await a.open();
    await b.open();
    await b.claim('b1', 'carrier', 2);
    await b.publish('b1', 'carrier', { callId: 'b1' });
    await b.claim('b2', 'carrier', 2);
    b.paused = true; // killed: no close, no more beats
    clock.advance(4000);
    expect((await a.list()).map((c) => c.callId)).toEqual(['b1']);
    expect(await refusal(a.claim('a1', 'carrier', 2))).toBe('trunk-busy');
    clock.advance(2000); // 6 s since b's last beat, over the 5 s expiry
    expect(await a.list()).toEqual([]);
    expect(await a.ownerOf('b1')).toBeUndefined();
    expect(await refusal(a.claim('a1', 'carrier', 2))).toBe('admitted');
    // a, beating all along, is still live.
    expect(await b.ownerOf('a1')).toEqual({ node: 'a', apiUrl: 'http://a.test:8080' });
  });

  it('close drops the node and its rows at once; a restart under the same id owns none of the old calls', async () => {
    const { table, node } = cluster();
    const a = node('a');
    await a.open();
    await a.publish('x', 'carrier', { callId: 'x' });
    await a.close();
    await a.close();
    expect(table.calls.size).toBe(0);
    expect(table.nodes.has('a')).toBe(false);

    const old = node('n1');
    await old.open();
    await old.claim('y', 'carrier', 1);
    old.paused = true;
    const restarted = node('n1');
    await restarted.open();
    expect(await restarted.ownerOf('y')).toBeUndefined();
    expect(await refusal(restarted.claim('z', 'carrier', 1))).toBe('admitted');
  });

  it("a call owned before any answer (ringing): ownerOf finds it, it is neither listed nor counted; its answer publishes it, a release drops it", async () => {
    const { node } = cluster();
    const [a, b] = [node('a'), node('b')];
    await a.open();
    await b.open();
    await a.own('r1');
    expect(await b.ownerOf('r1')).toEqual({ node: 'a', apiUrl: 'http://a.test:8080' });
    expect(await b.list()).toEqual([]);
    await b.claim('c1', 'carrier', 1); // the ringing call takes no trunk's slot
    await a.own('r2');
    await a.publish('r2', undefined, { callId: 'r2' });
    await a.own('r2'); // owning a published call again changes nothing
    expect(await b.list()).toEqual([{ callId: 'r2', node: 'a', info: { callId: 'r2' } }]);
    await a.release('r1');
    expect(await b.ownerOf('r1')).toBeUndefined();
  });

  it('a release from a node that does not own the call leaves it alone', async () => {
    const { node } = cluster();
    const [a, b] = [node('a'), node('b')];
    await a.open();
    await b.open();
    await a.publish('c1', 'carrier', { callId: 'c1' });
    await b.release('c1');
    expect((await b.list()).map((c) => c.node)).toEqual(['a']);
  });

  it("watchers hear every node's publish and release (with the end reason); a slot released before an answer is not told", async () => {
    const { node } = cluster();
    const [a, b] = [node('a'), node('b')];
    await a.open();
    await b.open();
    const heard: unknown[] = [];
    const stop = a.watch((c) => heard.push(c));
    await b.claim('c1', 'carrier', 3);
    await b.publish('c1', 'carrier', { state: 'answered' });
    await b.release('c1', { reason: 'caller-hangup', durationSec: 4 });
    await b.release('c1', { reason: 'caller-hangup', durationSec: 4 });
    expect(heard).toEqual([
      { op: 'published', callId: 'c1', node: 'b', trunk: 'carrier', info: { state: 'answered' } },
      { op: 'released', callId: 'c1', node: 'b', reason: 'caller-hangup', durationSec: 4 },
    ]);
    stop();
    await a.publish('a1', undefined, {});
    expect(heard).toHaveLength(2);
  });
});
