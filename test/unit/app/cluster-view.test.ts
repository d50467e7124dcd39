/**
 * Other nodes' calls on this node's event stream (app/cluster-view.ts): registry notifications and listings in,
 * call.started / call.ended out — own calls ignored, a dead node's calls ended, and a listing read while changes
 * came never undoes them.
 */
import { describe, expect, it } from 'vitest';
import { NODE_LOST, RemoteCallsView } from '../../../src/app/cluster-view.js';
import type { RegisteredCall } from '../../../src/store/index.js';

const NOW = Date.parse('2026-01-01T00:01:00.000Z');
const answeredAt = '2026-01-01T00:00:00.000Z';
const info = { callId: 'b1', state: 'answered', from: 'sip:alice@x', answeredAt };
const row = (callId: string, node: string): RegisteredCall => ({ callId, node, trunk: 'carrier', info: { ...info, callId } });

describe('RemoteCallsView', () => {
  it("another node's publish starts a call (with its node and duration), its release ends it with the owner's reason", () => {
    const v = new RemoteCallsView('a');
    expect(v.apply({ op: 'published', callId: 'b1', node: 'b', trunk: 'carrier', info }, NOW)).toEqual({
      events: [{ type: 'call.started', call: { ...info, trunk: 'carrier', callId: 'b1', node: 'b', durationSec: 60 } }],
      reread: false,
    });
    expect(v.calls(NOW + 5000)).toEqual([{ ...info, trunk: 'carrier', callId: 'b1', node: 'b', durationSec: 65 }]);
    // Published again (the owner wrote its rows again after an outage): nothing new to tell.
    expect(v.apply({ op: 'published', callId: 'b1', node: 'b', info }, NOW).events).toEqual([]);
    expect(v.apply({ op: 'released', callId: 'b1', node: 'b', reason: 'caller-hangup', durationSec: 61.2 }, NOW).events).toEqual([
      { type: 'call.ended', callId: 'b1', reason: 'caller-hangup', durationSec: 61.2 },
    ]);
    expect(v.calls(NOW)).toEqual([]);
  });

  it("ignores this node's own calls and releases of calls it never listed (a slot freed before an answer)", () => {
    const v = new RemoteCallsView('a');
    expect(v.apply({ op: 'published', callId: 'a1', node: 'a', info }, NOW).events).toEqual([]);
    expect(v.apply({ op: 'released', callId: 'x', node: 'b' }, NOW).events).toEqual([]);
    expect(v.reconcile([row('a1', 'a')], v.mark(), NOW)).toEqual([]);
    expect(v.calls(NOW)).toEqual([]);
  });

  it('a publish without details asks for a read of the registry; the read starts the call', () => {
    const v = new RemoteCallsView('a');
    expect(v.apply({ op: 'published', callId: 'b1', node: 'b' }, NOW)).toEqual({ events: [], reread: true });
    const events = v.reconcile([row('b1', 'b')], v.mark(), NOW);
    expect(events).toEqual([{ type: 'call.started', call: { ...info, trunk: 'carrier', callId: 'b1', node: 'b', durationSec: 60 } }]);
  });

  it('a call gone from two listings in a row (its node stopped beating) ends with reason node-lost and its duration so far', () => {
    const v = new RemoteCallsView('a');
    v.reconcile([row('b1', 'b'), row('c1', 'c')], v.mark(), NOW);
    // Once missing: its end notice may still be on its way.
    expect(v.reconcile([row('c1', 'c')], v.mark(), NOW + 8000)).toEqual([]);
    expect(v.reconcile([row('c1', 'c')], v.mark(), NOW + 10_000)).toEqual([{ type: 'call.ended', callId: 'b1', reason: NODE_LOST, durationSec: 70 }]);
    expect(v.calls(NOW).map((c) => c.callId)).toEqual(['c1']);
  });

  it('a call missing from one listing and back in the next stays; its end notice arriving late still ends it with its reason', () => {
    const v = new RemoteCallsView('a');
    v.reconcile([row('b1', 'b')], v.mark(), NOW);
    expect(v.reconcile([], v.mark(), NOW)).toEqual([]);
    expect(v.reconcile([row('b1', 'b')], v.mark(), NOW)).toEqual([]);
    expect(v.reconcile([], v.mark(), NOW)).toEqual([]);
    expect(v.apply({ op: 'released', callId: 'b1', node: 'b', reason: 'caller-hangup', durationSec: 5 }, NOW).events).toEqual([
      { type: 'call.ended', callId: 'b1', reason: 'caller-hangup', durationSec: 5 },
    ]);
  });

  it('a listing read before a publish does not end the call heard meanwhile', () => {
    const v = new RemoteCallsView('a');
    const mark = v.mark();
    v.apply({ op: 'published', callId: 'b1', node: 'b', info }, NOW);
    expect(v.reconcile([], mark, NOW)).toEqual([]);
    expect(v.calls(NOW).map((c) => c.callId)).toEqual(['b1']);
    // The reads begun after the publish judge it.
    v.reconcile([], v.mark(), NOW);
    expect(v.reconcile([], v.mark(), NOW)).toEqual([{ type: 'call.ended', callId: 'b1', reason: NODE_LOST, durationSec: 60 }]);
  });

  it('a listing read before a release does not bring the ended call back', () => {
    const v = new RemoteCallsView('a');
    v.reconcile([row('b1', 'b')], v.mark(), NOW);
    const mark = v.mark();
    expect(v.apply({ op: 'released', callId: 'b1', node: 'b', reason: 'bot-hangup', durationSec: 3 }, NOW).events).toHaveLength(1);
    expect(v.reconcile([row('b1', 'b')], mark, NOW)).toEqual([]);
    expect(v.calls(NOW)).toEqual([]);
    // Even a release heard before the call was: a read in flight still has its row.
    const early = v.mark();
    v.apply({ op: 'released', callId: 'b2', node: 'b' }, NOW);
    expect(v.reconcile([row('b2', 'b')], early, NOW)).toEqual([]);
  });

  it('clear forgets every call', () => {
    const v = new RemoteCallsView('a');
    v.reconcile([row('b1', 'b')], v.mark(), NOW);
    v.clear();
    expect(v.calls(NOW)).toEqual([]);
  });
});
