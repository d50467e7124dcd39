/** The call registry's change notifications (store/call-changes.ts): raw payloads in and out. */
import { describe, expect, it } from 'vitest';
import { encodeCallChange, MAX_CHANGE_BYTES, parseCallChange, type CallChange } from '../../../src/store/index.js';

describe('call change payloads', () => {
  it.each<[string, string, CallChange | undefined]>([
    [
      'a publish with details',
      '{"op":"published","callId":"c1","node":"b","trunk":"carrier","info":{"from":"sip:1@x","state":"answered"}}',
      { op: 'published', callId: 'c1', node: 'b', trunk: 'carrier', info: { from: 'sip:1@x', state: 'answered' } },
    ],
    ['a publish without details (too big to notify)', '{"op":"published","callId":"c1","node":"b"}', { op: 'published', callId: 'c1', node: 'b' }],
    [
      'a release with its reason',
      '{"op":"released","callId":"c1","node":"b","reason":"caller-hangup","durationSec":12.5}',
      { op: 'released', callId: 'c1', node: 'b', reason: 'caller-hangup', durationSec: 12.5 },
    ],
    ['a release without a reason', '{"op":"released","callId":"c1","node":"b"}', { op: 'released', callId: 'c1', node: 'b' }],
    ['fields of the wrong type are dropped', '{"op":"released","callId":"c1","node":"b","reason":7,"durationSec":"x"}', { op: 'released', callId: 'c1', node: 'b' }],
    ['details that are not an object are dropped', '{"op":"published","callId":"c1","node":"b","info":[1]}', { op: 'published', callId: 'c1', node: 'b' }],
    ['an unknown op', '{"op":"moved","callId":"c1","node":"b"}', undefined],
    ['no call id', '{"op":"released","node":"b"}', undefined],
    ['an empty node', '{"op":"released","callId":"c1","node":""}', undefined],
    ['not JSON', 'released c1', undefined],
    ['JSON but not an object', '["released"]', undefined],
  ])('%s', (_name, payload, want) => {
    expect(parseCallChange(payload)).toEqual(want);
  });

  it('round-trips a change', () => {
    const change: CallChange = { op: 'published', callId: 'c1', node: 'a', info: { to: 'sip:+15550100@bridge', durationSec: 0 } };
    expect(parseCallChange(encodeCallChange(change))).toEqual(change);
  });

  it('a publish too big for a NOTIFY goes without its details; the rest stays', () => {
    const change: CallChange = { op: 'published', callId: 'c1', node: 'a', trunk: 't', info: { from: 'x'.repeat(MAX_CHANGE_BYTES) } };
    const payload = encodeCallChange(change);
    expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(MAX_CHANGE_BYTES);
    expect(parseCallChange(payload)).toEqual({ op: 'published', callId: 'c1', node: 'a', trunk: 't' });
  });
});
