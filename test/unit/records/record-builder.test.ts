import { describe, expect, it } from 'vitest';
import { CallRecordBuilder, endedBy, qualityOf, rejectedBy, type CallStep } from '../../../src/records/record-builder.js';
import { estimateMos, mosFromR } from '../../../src/records/mos.js';
import { answeredCall, drive, rejectedCall } from './record-fixtures.js';

const ID = 'c0ffee00-0000-4000-8000-000000000002';

describe('call record builder', () => {
  it('an answered call that was transferred: every field of its record', () => {
    const { record, outputs } = answeredCall();
    expect(outputs.map((o) => o.kind)).toEqual(['started', 'answered', 'transfer', 'record']);
    expect(record).toEqual({
      version: 1,
      callId: 'c0ffee00-0000-4000-8000-000000000001',
      sipCallId: '1-4242@198.51.100.7',
      direction: 'inbound',
      trunk: 'carrier-a',
      bot: 'support',
      from: '+15551230001',
      to: '+15550100', // the routed E.164, not the To user as signalled
      invitedAt: '2026-12-05T16:20:01.120Z',
      answeredAt: '2026-12-05T16:20:01.160Z',
      endedAt: '2026-12-05T16:21:13.480Z',
      durationSec: 72.32,
      endReason: 'transfer',
      endedBy: 'transfer',
      sipStatus: 200,
      codec: 'PCMU',
      transfers: [{ to: 'support-desk', target: '+15557654321', method: 'refer', result: 'completed', sipStatus: null, reason: null, startedAt: '2026-12-05T16:21:12.900Z', endedAt: '2026-12-05T16:21:13.470Z' }],
      quality: {
        received: { packets: 3612, packetsLost: 2, jitterMs: 1.3, mos: expect.any(Number) },
        sent: { packets: 3615, packetsLost: 0, jitterMs: 1.1, mos: expect.any(Number) },
        rttMs: 4.4,
      },
      recording: null,
    });
    expect(record.quality!.received.mos).toBeGreaterThan(4.3);
  });

  it('a call refused at routing: 404, no answer, ended by the bridge, no call.started', () => {
    const { record, outputs } = rejectedCall();
    expect(outputs.map((o) => o.kind)).toEqual(['record']);
    expect(record).toMatchObject({ trunk: null, bot: null, to: '5550100', answeredAt: null, durationSec: 0, sipStatus: 404, endReason: 'number-not-routed', endedBy: 'bridge', codec: null, quality: null, transfers: [] });
  });

  it('an outbound call is announced when placed; a busy callee ended it', () => {
    const { record, outputs } = drive([
      [0, { type: 'offered', callId: ID, sipCallId: 'x@y', direction: 'outbound', from: '+15550100', to: '+12025550123', trunk: 'carrier-out', bot: 'support' }],
      [2000, { type: 'rejected', callId: ID, sipStatus: 486, reason: 'busy-here' }],
    ]);
    expect(outputs.map((o) => o.kind)).toEqual(['started', 'record']);
    expect(record).toMatchObject({ direction: 'outbound', trunk: 'carrier-out', bot: 'support', sipStatus: 486, endedBy: 'callee' });
  });

  it('a refused transfer and one still running at the end are both failed entries', () => {
    const { record } = drive([
      [0, { type: 'offered', callId: ID, sipCallId: 'x@y', direction: 'inbound', from: 'a', to: 'b' }],
      [0, { type: 'routed', callId: ID, trunk: 't', bot: 'b', number: '+15550100' }],
      [0, { type: 'answered', callId: ID, codec: 'PCMA' }],
      [1000, { type: 'transfer-ended', callId: ID, to: '+19005550000', method: 'refer', status: 'failed', sipStatus: 403, reason: 'not-allowed' }],
      [1000, { type: 'transfer-started', callId: ID, to: 'agent', method: 'bridge', target: 'sip:agent@pbx' }],
      [1000, { type: 'ended', callId: ID, reason: 'caller-hangup', rtp: { packetsReceived: 100, packetsSent: 100 } }],
    ]);
    expect(record.transfers).toEqual([
      expect.objectContaining({ to: '+19005550000', target: null, method: 'refer', result: 'failed', sipStatus: 403, reason: 'not-allowed' }),
      expect.objectContaining({ to: 'agent', target: 'sip:agent@pbx', method: 'bridge', result: 'failed', reason: 'call-ended', endedAt: '2026-12-05T16:20:04.120Z' }),
    ]);
    expect(record).toMatchObject({ endedBy: 'caller', durationSec: 3 });
    // No RTCP figures: packets counted, the rest unknown.
    expect(record.quality).toEqual({ received: { packets: 100, packetsLost: null, jitterMs: null, mos: null }, sent: { packets: 100, packetsLost: null, jitterMs: null, mos: null }, rttMs: null });
  });

  it('a digest challenge (401) is a step of the handshake, not a call: no record', () => {
    for (const reason of ['auth-challenge', 'auth-stale']) {
      const b = new CallRecordBuilder(() => 0);
      b.step({ type: 'offered', callId: ID, sipCallId: 's', direction: 'inbound', from: 'a', to: 'b' });
      expect(b.step({ type: 'rejected', callId: ID, sipStatus: 401, reason })).toEqual([]);
      expect(b.openCalls).toBe(0);
    }
  });

  it('steps of a call never offered, or already finished, produce nothing', () => {
    const b = new CallRecordBuilder(() => 0);
    const steps: CallStep[] = [
      { type: 'answered', callId: ID, codec: 'PCMU' },
      { type: 'ended', callId: ID, reason: 'caller-hangup', rtp: { packetsReceived: 0, packetsSent: 0 } },
    ];
    for (const s of steps) expect(b.step(s)).toEqual([]);
    b.step({ type: 'offered', callId: ID, sipCallId: 's', direction: 'inbound', from: 'a', to: 'b' });
    expect(b.openCalls).toBe(1);
    expect(b.step({ type: 'rejected', callId: ID, sipStatus: 487, reason: 'caller-cancelled' })).toHaveLength(1);
    expect(b.openCalls).toBe(0);
    expect(b.step({ type: 'ended', callId: ID, reason: 'caller-hangup', rtp: { packetsReceived: 0, packetsSent: 0 } })).toEqual([]);
  });

  it.each([
    ['caller-hangup', 'inbound', 'caller'],
    ['caller-hangup', 'outbound', 'callee'],
    ['bot-hangup', 'inbound', 'bot'],
    ['bot-closed', 'inbound', 'bot'],
    ['api-hangup', 'outbound', 'api'],
    ['transfer', 'inbound', 'transfer'],
    ['rtp-timeout', 'inbound', 'bridge'],
    ['shutdown', 'inbound', 'bridge'],
    ['bot-lost', 'inbound', 'bridge'],
  ] as const)('ended %s (%s) -> endedBy %s', (reason, direction, who) => {
    expect(endedBy(reason, direction)).toBe(who);
  });

  it.each([
    ['caller-cancelled', 'inbound', 'caller'],
    ['number-not-routed', 'inbound', 'bridge'],
    ['bot-unavailable', 'inbound', 'bridge'],
    ['busy-here', 'outbound', 'callee'],
    ['decline', 'outbound', 'callee'],
    ['timeout', 'outbound', 'bridge'],
    ['bot-unavailable', 'outbound', 'bridge'],
  ] as const)('refused %s (%s) -> endedBy %s', (reason, direction, who) => {
    expect(rejectedBy(reason, direction)).toBe(who);
  });
});

describe('MOS estimate', () => {
  it('a clean LAN call scores near the narrowband ceiling; loss, jitter and delay lower it, in that order of effect', () => {
    const clean = estimateMos({ lossRatio: 0, jitterMs: 1, rttMs: 5 });
    expect(clean).toBeGreaterThanOrEqual(4.35);
    expect(clean).toBeLessThanOrEqual(4.41);
    const lossy = estimateMos({ lossRatio: 0.05, jitterMs: 1, rttMs: 5 });
    const jittery = estimateMos({ lossRatio: 0, jitterMs: 60, rttMs: 5 });
    const far = estimateMos({ lossRatio: 0, jitterMs: 1, rttMs: 600 });
    expect(lossy).toBeLessThan(clean);
    expect(jittery).toBeLessThan(clean);
    expect(far).toBeLessThan(jittery);
    // 5 % random loss with concealment: Ie-eff = 95*5/(5+25.1) = 15.8 -> R ~ 77, "satisfied" band (G.109: 3.8-4.0).
    expect(lossy).toBeGreaterThan(3.8);
    expect(lossy).toBeLessThan(4.0);
  });

  it('R to MOS follows G.107 Annex B at its anchors', () => {
    expect(mosFromR(-5)).toBe(1);
    expect(mosFromR(0)).toBe(1);
    expect(mosFromR(50)).toBe(2.58);
    expect(mosFromR(80)).toBe(4.02);
    expect(mosFromR(93.2)).toBe(4.41);
    expect(mosFromR(120)).toBe(4.5);
  });

  it('quality figures: loss ratio is lost over expected (received + lost)', () => {
    const q = qualityOf({ packetsReceived: 95, packetsSent: 100 }, { packetsReceived: 95, packetsLost: 5, jitterMs: 1 });
    expect(q!.received.mos).toBe(estimateMos({ lossRatio: 0.05, jitterMs: 1 }));
    expect(q!.sent).toEqual({ packets: 100, packetsLost: null, jitterMs: null, mos: null });
    expect(q!.rttMs).toBeNull();
  });
});
