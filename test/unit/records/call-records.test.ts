/**
 * The records service end to end in one process: call steps in, CDR lines on disk and webhook events at a real
 * HTTP receiver; the recording hooks holding a record for its file; restart replaying the spool.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { CallRecords } from '../../../src/records/call-records.js';
import type { CallStep } from '../../../src/records/record-builder.js';
import type { CallRecord, WebhookEvent } from '../../../src/records/call-record.js';
import { validate } from '../../helpers/json-schema.js';
import { waitFor } from '../../helpers/wait-for.js';

const SCHEMA = JSON.parse(readFileSync(join(resolve(fileURLToPath(import.meta.url), '../../../..'), 'schema', 'call-records.schema.json'), 'utf8')) as Record<string, unknown> & { $defs: Record<string, Record<string, unknown>> };

let server: Server;
let url: string;
let received: WebhookEvent[];
let up: boolean;
let clock: ManualClock;
let dir: string;
const open: CallRecords[] = [];

beforeEach(async () => {
  received = [];
  up = true;
  clock = new ManualClock();
  dir = mkdtempSync(join(tmpdir(), 'tb-records-'));
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => {
      if (!up) return void res.writeHead(503).end();
      received.push(JSON.parse(body) as WebhookEvent);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

async function service(): Promise<CallRecords> {
  const r = new CallRecords({
    dir,
    webhooks: [{ url, secret: 'whsec-0123456789abcdef', events: ['call.started', 'call.answered', 'call.ended', 'call.transfer', 'recording.ready'], timeoutMs: 2000, retry: { initialMs: 1000, maxMs: 1000 }, maxAgeMs: 3_600_000 }],
    clock,
    logger: silentLogger(),
    observer: { cdrWritten() {}, cdrWriteFailed() {}, delivered() {}, attemptFailed() {}, dropped() {} },
    recordingWaitMs: 5000,
  });
  open.push(r);
  await r.start();
  return r;
}

function call(r: CallRecords, id: string, hangup = true): void {
  const steps: CallStep[] = [
    { type: 'offered', callId: id, sipCallId: `${id}@sip`, direction: 'inbound', from: '+15551230001', to: '+15550100' },
    { type: 'routed', callId: id, trunk: 'carrier-a', bot: 'echo', number: '+15550100' },
    { type: 'answered', callId: id, codec: 'PCMU' },
  ];
  for (const s of steps) r.onCallEvent(s);
  if (hangup) end(r, id);
}

function end(r: CallRecords, id: string): void {
  r.onCallEvent({ type: 'ended', callId: id, reason: 'caller-hangup', rtp: { packetsReceived: 10, packetsSent: 10 } });
}

/** Events queued to the webhook so far (delivered or pending): what the service has published, synchronously. */
const queued = (r: CallRecords): number => {
  const w = r.webhookStatus().webhooks[0];
  return w.delivered + w.pending;
};

const cdrLines = (): CallRecord[] =>
  readdirSync(join(dir, 'cdr')).flatMap((f) => readFileSync(join(dir, 'cdr', f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as CallRecord));

describe('call records service', () => {
  it('writes a CDR line and sends the call\'s events in order, each valid against the schema', async () => {
    const r = await service();
    call(r, 'a');
    await waitFor(() => received.length === 3);
    expect(received.map((e) => e.type)).toEqual(['call.started', 'call.answered', 'call.ended']);
    for (const e of received) expect(validate(SCHEMA, e, SCHEMA.$defs.WebhookEvent)).toEqual([]);
    await r.close();
    const [line] = cdrLines();
    expect(validate(SCHEMA, line, SCHEMA.$defs.CallRecord)).toEqual([]);
    expect(line).toEqual((received[2] as { data: CallRecord }).data);
  });

  it('a record waits for its recording; one ready before the end goes straight in', async () => {
    const r = await service();
    call(r, 'a', false);
    r.recordingStarted({ callId: 'a' });
    end(r, 'a');
    expect(queued(r)).toBe(2); // started, answered: the record is held
    r.recordingReady({ callId: 'a', file: '/rec/2026-12-05/a.wav', pausedSpans: [{ startMs: 1000, endMs: 4000 }] });
    call(r, 'b', false);
    r.recordingStarted({ callId: 'b' });
    r.recordingReady({ callId: 'b', file: '/rec/b.wav', pausedSpans: [] });
    end(r, 'b');
    await waitFor(() => received.filter((e) => e.type === 'call.ended').length === 2);
    const ended = received.filter((e) => e.type === 'call.ended').map((e) => (e.data as CallRecord).recording);
    expect(ended).toEqual([{ file: '/rec/2026-12-05/a.wav', pausedSpans: [{ startMs: 1000, endMs: 4000 }] }, { file: '/rec/b.wav', pausedSpans: [] }]);
    expect(received.filter((e) => e.type === 'recording.ready').map((e) => e.callId)).toEqual(['a', 'b']);
  });

  it('a recording that never comes: the record is written without it after recordingWaitMs', async () => {
    const r = await service();
    call(r, 'a', false);
    r.recordingStarted({ callId: 'a' });
    end(r, 'a');
    clock.advance(4999);
    expect(queued(r)).toBe(2);
    clock.advance(1);
    expect(queued(r)).toBe(3);
    await waitFor(() => received.some((e) => e.type === 'call.ended'));
    expect((received.find((e) => e.type === 'call.ended')!.data as CallRecord).recording).toBeNull();
  });

  it('a failed recording releases its record at once: held after the end, or not held at all when it failed before', async () => {
    const r = await service();
    call(r, 'a', false);
    r.recordingStarted({ callId: 'a' });
    end(r, 'a');
    expect(queued(r)).toBe(2); // held for the file
    r.recordingFailed({ callId: 'a' });
    expect(queued(r)).toBe(3);
    call(r, 'b', false);
    r.recordingStarted({ callId: 'b' });
    r.recordingFailed({ callId: 'b' });
    end(r, 'b');
    expect(queued(r)).toBe(6);
    await waitFor(() => received.filter((e) => e.type === 'call.ended').length === 2);
    expect(received.filter((e) => e.type === 'call.ended').map((e) => (e.data as CallRecord).recording)).toEqual([null, null]);
    clock.advance(5000); // the wait timers were cancelled: nothing is written twice
    expect(queued(r)).toBe(6);
  });

  it('a recording for a call already recorded (or never offered) only sends recording.ready and holds nothing', async () => {
    const r = await service();
    call(r, 'a');
    r.recordingStarted({ callId: 'a' });
    r.recordingStarted({ callId: 'never-offered' });
    r.recordingReady({ callId: 'a', file: '/rec/a.wav', pausedSpans: [] });
    call(r, 'b');
    await waitFor(() => received.filter((e) => e.type === 'call.ended').length === 2);
    expect(received.filter((e) => e.type === 'call.ended').map((e) => (e.data as CallRecord).recording)).toEqual([null, null]);
    expect(received.filter((e) => e.type === 'recording.ready').map((e) => e.data)).toEqual([{ file: '/rec/a.wav', pausedSpans: [] }]);
  });

  it('close writes records still waiting for a recording', async () => {
    const r = await service();
    call(r, 'a', false);
    r.recordingStarted({ callId: 'a' });
    end(r, 'a');
    await r.close();
    expect(cdrLines().map((l) => l.callId)).toEqual(['a']);
  });

  it('receiver down, service restarted: the spooled events arrive afterwards, once each, in order', async () => {
    up = false;
    const first = await service();
    call(first, 'a');
    call(first, 'b', false);
    await waitFor(() => first.webhookStatus().webhooks[0].state === 'retrying');
    await first.close();
    up = true;
    const second = await service();
    second.onCallEvent({ type: 'ended', callId: 'b', reason: 'bot-hangup', rtp: { packetsReceived: 1, packetsSent: 1 } });
    await waitFor(() => received.length === 5 && second.webhookStatus().webhooks[0].pending === 0);
    // 'b' was open when the first process went: its end is unknown to the new one (no record to make).
    expect(received.map((e) => `${e.callId} ${e.type}`)).toEqual(['a call.started', 'a call.answered', 'a call.ended', 'b call.started', 'b call.answered']);
    expect(new Set(received.map((e) => e.id)).size).toBe(5);
  });
});
