/** Calls driven through the record builder step by step, on a wall clock the test moves. */
import { randomUUID } from 'node:crypto';
import { CallRecordBuilder, type BuilderOutput, type CallStep } from '../../../src/records/record-builder.js';
import type { CallRecord, WebhookEvent } from '../../../src/records/call-record.js';

export const T0 = Date.parse('2026-12-05T16:20:01.120Z');

/** Runs `steps` (each after `dt` ms) and returns the outputs, the record and the webhook bodies they make. */
export function drive(steps: Array<[dt: number, step: CallStep]>): { outputs: BuilderOutput[]; record: CallRecord; events: WebhookEvent[] } {
  let now = T0;
  const builder = new CallRecordBuilder(() => now);
  const outputs: BuilderOutput[] = [];
  for (const [dt, step] of steps) {
    now += dt;
    outputs.push(...builder.step(step));
  }
  const rec = outputs.find((o) => o.kind === 'record');
  if (!rec || rec.kind !== 'record') throw new Error('no record');
  const type = { started: 'call.started', answered: 'call.answered', transfer: 'call.transfer', record: 'call.ended' } as const;
  const events = outputs.map(
    (o) => ({ id: randomUUID(), type: type[o.kind], createdAt: new Date(o.at).toISOString(), callId: o.callId, data: o.kind === 'record' ? o.record : o.data }) as WebhookEvent,
  );
  return { outputs, record: rec.record, events };
}

const ID = 'c0ffee00-0000-4000-8000-000000000001';
const OFFERED: CallStep = { type: 'offered', callId: ID, sipCallId: '1-4242@198.51.100.7', direction: 'inbound', from: '+15551230001', to: '5550100' };

/** Answered, one REFER transfer completed, ended by it; with RTCP figures both ways. */
export function answeredCall() {
  return drive([
    [0, OFFERED],
    [5, { type: 'routed', callId: ID, trunk: 'carrier-a', bot: 'support', number: '+15550100' }],
    [35, { type: 'answered', callId: ID, codec: 'PCMU' }],
    [71_740, { type: 'transfer-started', callId: ID, to: 'support-desk', method: 'refer', target: '+15557654321' }],
    [570, { type: 'transfer-ended', callId: ID, to: 'support-desk', status: 'completed' }],
    [10, {
      type: 'ended', callId: ID, reason: 'transfer', rtp: { packetsReceived: 3612, packetsSent: 3615 },
      quality: { packetsReceived: 3612, packetsLost: 2, jitterMs: 1.3, rttMs: 4.4, remote: { packetsLost: 0, jitterMs: 1.1 } },
    }],
  ]);
}

/** Refused with 404 at routing. */
export function rejectedCall() {
  return drive([
    [0, OFFERED],
    [3, { type: 'rejected', callId: ID, sipStatus: 404, reason: 'number-not-routed' }],
  ]);
}
