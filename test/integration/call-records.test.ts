/**
 * Call records and webhooks against the real bridge process: SIPp calls answered, refused (404), transferred
 * (REFER) and failed (bot unreachable, 503) each leave a CDR line with the right fields, valid against
 * schema/call-records.schema.json; a webhook receiver written here checks every signature with the README's
 * recipe. Then the receiver goes away, calls are made, the bridge is restarted, the receiver comes back: every
 * event arrives afterwards, once per id, in order per call.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, readFileSync, readdirSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeProcess } from './harness/bridge-process.js';
import { describeSipp, runSipp } from './harness/sipp.js';
import { TestBotServer, type BotConnection } from './harness/test-bot.js';
import { startSippUas } from './harness/sipp-uas.js';
import { AgentMedia } from './harness/agent-media.js';
import { RtpListener } from './harness/rtp-listener.js';
import { testConfig } from './harness/config.js';
import { reservePort, reservePorts } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait-for.js';
import { validate } from '../helpers/json-schema.js';
import { readmeRecipe } from '../helpers/readme-recipes.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const SCHEMA = JSON.parse(readFileSync(join(ROOT, 'schema', 'call-records.schema.json'), 'utf8')) as Record<string, unknown> & { $defs: Record<string, Record<string, unknown>> };
const SECRET = 'whsec-integration-0123456789';

interface Delivery {
  id: string;
  type: string;
  callId: string;
  createdAt: string;
  data: Record<string, unknown>;
  signed: boolean;
}

type Verify = (header: string, rawBody: string, secret: string) => boolean;

/** A webhook receiver as the README tells one to be written: verifies the signature, keeps ids, dedups. */
class Receiver {
  /** Every POST that reached it (retries and repeats included). */
  readonly posts: Delivery[] = [];
  /** Events accepted, first time per id, in arrival order. */
  readonly accepted: Delivery[] = [];
  private server: Server | undefined;

  constructor(
    readonly port: number,
    private readonly verify: Verify,
  ) {}

  /** Listens (again); nothing to do when it already does. */
  async up(): Promise<void> {
    if (this.server) return;
    const server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c: string) => (body += c));
      req.on('end', () => {
        const e = JSON.parse(body) as Omit<Delivery, 'signed'>;
        const d = { ...e, signed: this.verify(String(req.headers['trunkbridge-signature']), body, SECRET) };
        this.posts.push(d);
        if (!d.signed) return void res.writeHead(401).end();
        if (req.headers['trunkbridge-event-id'] !== e.id) return void res.writeHead(400).end();
        if (!this.accepted.some((a) => a.id === e.id)) this.accepted.push(d);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(this.port, '127.0.0.1', r));
    this.server = server;
  }

  async down(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }

  of(callId: string): Delivery[] {
    return this.accepted.filter((d) => d.callId === callId);
  }
}

let bridge: BridgeProcess;
let bots: TestBotServer;
let listener: RtpListener;
let receiver: Receiver;
let recordsDir: string;
let configYaml: string;
let behaviour: (c: BotConnection) => void = () => {};
/** SIP port of the busy callee (SIPp answering 486) that outbound trunk carrier-busy dials. */
let busyPort: number;

/** Every CDR line written so far. */
function cdrs(): Array<Record<string, unknown>> {
  const dir = join(recordsDir, 'cdr');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>));
}

async function cdrWhere(pred: (r: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  return waitFor(() => cdrs().find(pred), { timeoutMs: 10_000, what: 'a CDR line', detail: () => JSON.stringify(cdrs()) });
}

function call(scenario: string, service: string, keys: Record<string, string> = {}, args: string[] = []) {
  return runSipp({ scenario, target: { host: '127.0.0.1', port: bridge.sipPort() }, service, keys: { rtp_port: listener.port, ...keys }, args, timeoutMs: 20_000 });
}

/** The call id the bot of the `n`th connection got in `start`. */
async function botCallId(n: number): Promise<string> {
  await bots.connectionCount(n, 5000);
  const c = bots.connections[n - 1];
  await c.until(() => c.event('start') !== undefined, 5000, 'start');
  return String(c.event('start')!.callId);
}

beforeAll(async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'tb-hook-recipe-')), 'verify.mjs');
  writeFileSync(file, readmeRecipe('webhook-verify-node'));
  const { verifyTrunkbridgeWebhook } = (await import(pathToFileURL(file).href)) as { verifyTrunkbridgeWebhook: Verify };
  receiver = new Receiver(await reservePort(), verifyTrunkbridgeWebhook);
  await receiver.up();
  const deadBotPort = await reservePort();
  busyPort = await reservePort();
  const rtpBase = await reservePorts(6);
  bots = await TestBotServer.start((c) => behaviour(c));
  listener = await RtpListener.start();
  recordsDir = mkdtempSync(join(tmpdir(), 'tb-records-it-'));
  configYaml =
    testConfig({
      rtpPortMin: rtpBase,
      rtpPortMax: rtpBase + 5,
      bots: {
        tester: `{ url: "${bots.url}", sampleRate: 8000, connectTimeoutMs: 1500 }`,
        dead: `{ url: "ws://127.0.0.1:${deadBotPort}/", connectTimeoutMs: 1500 }`,
      },
      numbers: { '+15550100': 'tester', '+15550199': 'dead' },
    }).replace('    mode: flow\n', '    mode: flow\n    transferAllow: ["+1555*", "sip:agent@127.0.0.1:*"]\n') +
    `
outboundTrunks:
  - { name: carrier-out, host: 127.0.0.1, port: 5090 }
  - { name: carrier-busy, host: 127.0.0.1, port: ${busyPort}, callerId: "+15550100" }
transferDestinations:
  support-desk: { number: "+15557654321", trunk: carrier-out, method: refer }
callRecords: { dir: "${recordsDir}" }
webhooks:
  - { url: "http://127.0.0.1:${receiver.port}/hook", secret: "${SECRET}", retryInitialMs: 100, retryMaxMs: 400 }
`;
  bridge = new BridgeProcess(configYaml);
  await bridge.start();
});

afterAll(async () => {
  await bridge?.stop();
  await bots?.close();
  listener?.close();
  await receiver?.down();
});

describe('CDRs and webhooks per call outcome', () => {
  it('answered (the caller hangs up after 2 s of G.711 audio)', async () => {
    behaviour = () => {};
    const run = await call('uac-pcap-g711a-caller-hangup.xml', '+15550100', {}, ['-d', '2000']);
    expect(run.code, describeSipp(run)).toBe(0);
    const callId = await botCallId(1);
    const cdr = await cdrWhere((r) => r.callId === callId);
    expect(validate(SCHEMA, cdr, SCHEMA.$defs.CallRecord)).toEqual([]);
    expect(cdr).toMatchObject({
      direction: 'inbound', trunk: 'carrier-a', bot: 'tester', from: '+15551230001', to: '+15550100', sipStatus: 200,
      endReason: 'caller-hangup', endedBy: 'caller', codec: 'PCMU', // the bridge's preference among the offered PCMA, PCMU
      transfers: [], recording: null,
    });
    expect(String(cdr.sipCallId)).toMatch(/@127\.0\.0\.1$/);
    expect(Date.parse(String(cdr.invitedAt))).toBeLessThanOrEqual(Date.parse(String(cdr.answeredAt)));
    expect(cdr.durationSec).toBeGreaterThan(1.5);
    expect(cdr.durationSec).toBeLessThan(5);
    const q = cdr.quality as { received: { packets: number; packetsLost: number; mos: number }; sent: { packets: number } };
    expect(q.received.packets).toBeGreaterThan(25); // the pcap's audio (SIPp starts it after the ACK; the call lasts ~2 s)
    expect(q.received.packetsLost).toBe(0);
    expect(q.received.mos).toBeGreaterThan(4);
    expect(q.sent.packets).toBeGreaterThan(25); // silence fill while the bot is quiet, 20 ms apart
    await waitFor(() => receiver.of(callId).length === 3, { what: 'three webhook events', detail: () => JSON.stringify(receiver.posts) });
    expect(receiver.of(callId).map((d) => d.type)).toEqual(['call.started', 'call.answered', 'call.ended']);
    expect(receiver.of(callId)[2].data).toEqual(cdr);
    for (const { signed: _s, ...d } of receiver.of(callId)) expect(validate(SCHEMA, d, SCHEMA.$defs.WebhookEvent), JSON.stringify(d)).toEqual([]);
  });

  it('refused: an unknown number gets 404, a record with the status and reason, and only call.ended', async () => {
    const run = await call('uac-expect-404.xml', '+15550404');
    expect(run.code, describeSipp(run)).toBe(0);
    const cdr = await cdrWhere((r) => r.to === '+15550404');
    expect(validate(SCHEMA, cdr, SCHEMA.$defs.CallRecord)).toEqual([]);
    expect(cdr).toMatchObject({ trunk: null, bot: null, answeredAt: null, durationSec: 0, sipStatus: 404, endReason: 'number-not-routed', endedBy: 'bridge', codec: null, quality: null });
    const callId = String(cdr.callId);
    await waitFor(() => receiver.of(callId).length === 1);
    expect(receiver.of(callId).map((d) => d.type)).toEqual(['call.ended']);
  });

  it('failed: the bot is unreachable, 503, end reason bot-unavailable', async () => {
    const run = await call('uac-expect-503.xml', '+15550199');
    expect(run.code, describeSipp(run)).toBe(0);
    const cdr = await cdrWhere((r) => r.to === '+15550199');
    expect(cdr).toMatchObject({ trunk: 'carrier-a', bot: 'dead', answeredAt: null, sipStatus: 503, endReason: 'bot-unavailable', endedBy: 'bridge' });
    const callId = String(cdr.callId);
    await waitFor(() => receiver.of(callId).length === 2);
    expect(receiver.of(callId).map((d) => d.type)).toEqual(['call.started', 'call.ended']);
  });

  it('transferred by REFER: the transfer with its target, method, result and times; ended by the transfer', async () => {
    behaviour = (c) => c.ws.once('message', () => c.sendJson({ type: 'transfer', to: 'support-desk' }));
    const run = await call('uac-accept-refer-then-notify.xml', '+15550100', { notify_final: 'SIP/2.0 200 OK' });
    expect(run.code, describeSipp(run)).toBe(0);
    const callId = await botCallId(2);
    const cdr = await cdrWhere((r) => r.callId === callId);
    expect(validate(SCHEMA, cdr, SCHEMA.$defs.CallRecord)).toEqual([]);
    expect(cdr).toMatchObject({ endReason: 'transfer', endedBy: 'transfer', sipStatus: 200 });
    const [t] = cdr.transfers as Array<Record<string, unknown>>;
    expect(t).toMatchObject({ to: 'support-desk', target: '+15557654321', method: 'refer', result: 'completed', sipStatus: null, reason: null });
    expect(Date.parse(String(t.startedAt))).toBeLessThanOrEqual(Date.parse(String(t.endedAt)));
    expect(Date.parse(String(t.endedAt))).toBeLessThanOrEqual(Date.parse(String(cdr.endedAt)));
    await waitFor(() => receiver.of(callId).length === 4);
    expect(receiver.of(callId).map((d) => d.type)).toEqual(['call.started', 'call.answered', 'call.transfer', 'call.ended']);
    expect(receiver.of(callId)[2].data).toEqual(t);
  });

  it('a REFER whose NOTIFY reports 486: a failed transfer entry, the bot keeps the call and hangs up', async () => {
    behaviour = (c) =>
      c.ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        const msg = JSON.parse(String(data)) as { type: string; status?: string };
        if (msg.type === 'start') c.sendJson({ type: 'transfer', to: '+15559998888', trunk: 'carrier-out', method: 'refer' });
        if (msg.type === 'transfer' && msg.status === 'failed') setTimeout(() => c.sendJson({ type: 'hangup' }), 200);
      });
    const run = await call('uac-accept-refer-then-notify.xml', '+15550100', { notify_final: 'SIP/2.0 486 Busy Here' });
    expect(run.code, describeSipp(run)).toBe(0);
    const callId = await botCallId(3);
    const cdr = await cdrWhere((r) => r.callId === callId);
    expect(cdr).toMatchObject({ endReason: 'bot-hangup', endedBy: 'bot', sipStatus: 200 });
    expect(cdr.transfers).toEqual([
      expect.objectContaining({ to: '+15559998888', target: '+15559998888', method: 'refer', result: 'failed', sipStatus: 486, reason: 'refer-failed' }),
    ]);
    await waitFor(() => receiver.of(callId).length === 4);
    expect(receiver.of(callId).map((d) => d.type)).toEqual(['call.started', 'call.answered', 'call.transfer', 'call.ended']);
  });

  it('a bridged transfer answered by the agent: the entry says answered; the caller ends the call later', async () => {
    const agentMedia = await AgentMedia.start(1000);
    try {
      const agent = await startSippUas({ scenario: 'uas-answer-media-by-key.xml', keys: { agent_rtp_port: agentMedia.port } });
      const agentUri = `sip:agent@127.0.0.1:${agent.port}`;
      behaviour = (c) => c.ws.once('message', () => c.sendJson({ type: 'transfer', to: agentUri, method: 'bridge' }));
      const run = await call('uac-pcap-g711a-caller-hangup.xml', '+15550100', {}, ['-d', '3000']);
      expect(run.code, describeSipp(run)).toBe(0);
      expect((await agent.done).code).toBe(0);
      const callId = await botCallId(4);
      const cdr = await cdrWhere((r) => r.callId === callId);
      expect(validate(SCHEMA, cdr, SCHEMA.$defs.CallRecord)).toEqual([]);
      expect(cdr).toMatchObject({ endReason: 'caller-hangup', endedBy: 'caller', sipStatus: 200 });
      expect(cdr.transfers).toEqual([expect.objectContaining({ to: agentUri, target: agentUri, method: 'bridge', result: 'answered', sipStatus: null, reason: null })]);
      await waitFor(() => receiver.of(callId).length === 4);
      expect(receiver.of(callId).map((d) => d.type)).toEqual(['call.started', 'call.answered', 'call.transfer', 'call.ended']);
    } finally {
      agentMedia.close();
    }
  });

  it('every POST so far was signed as the README says, and none was sent twice', () => {
    expect(receiver.posts.length).toBeGreaterThan(0);
    expect(receiver.posts.filter((p) => !p.signed)).toEqual([]);
    expect(receiver.posts.length).toBe(receiver.accepted.length);
  });
});

describe('receiver down across a bridge restart', () => {
  it('every event arrives afterwards, once per id, in order per call', async () => {
    await receiver.down();
    const before = receiver.accepted.length;
    behaviour = (c) => c.ws.once('message', () => setTimeout(() => c.sendJson({ type: 'hangup' }), 200));
    const answered = await call('uac-expect-bye-from-bridge.xml', '+15550100');
    expect(answered.code, describeSipp(answered)).toBe(0);
    const answeredId = await botCallId(5);
    const refused = await call('uac-expect-404.xml', '+15550405');
    expect(refused.code, describeSipp(refused)).toBe(0);
    const refusedId = String((await cdrWhere((r) => r.to === '+15550405')).callId);
    await cdrWhere((r) => r.callId === answeredId);
    // The status route shows the queue waiting for the receiver (4 events: 3 of the answered call, 1 of the refused).
    let last: unknown;
    const status = await waitFor(async () => {
      const res = await fetch(`http://127.0.0.1:${bridge.metricsPort}/v1/webhooks/status`);
      const body = (await res.json()) as { webhooks: Array<{ url: string; pending: number; state: string; lastError: string | null }> };
      last = body;
      return body.webhooks[0].pending === 4 && body.webhooks[0].state === 'retrying' ? body : undefined;
    }, { what: 'four events pending', detail: () => JSON.stringify(last) });
    expect(status.webhooks[0].url).toBe(`http://127.0.0.1:${receiver.port}/hook`);
    expect(JSON.stringify(status)).not.toContain(SECRET);
    expect(status.webhooks[0].lastError).toMatch(/ECONNREFUSED/);
    const metrics = await (await fetch(`http://127.0.0.1:${bridge.metricsPort}/metrics`)).text();
    expect(metrics).toContain('trunkbridge_webhook_pending_events{webhook="0"} 4');
    expect(Number(/trunkbridge_webhook_attempts_total\{webhook="0",result="failed"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect(Number(/trunkbridge_cdr_writes_total\{result="ok"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(6);

    expect(await bridge.stop()).toBe(0);
    bridge = new BridgeProcess(configYaml);
    await bridge.start();
    await receiver.up();
    await waitFor(() => receiver.of(answeredId).length === 3 && receiver.of(refusedId).length === 1, { timeoutMs: 15_000, what: 'the spooled events', detail: () => JSON.stringify(receiver.posts.slice(before)) });
    expect(receiver.of(answeredId).map((d) => d.type)).toEqual(['call.started', 'call.answered', 'call.ended']);
    expect(receiver.of(answeredId)[2].data).toMatchObject({ endReason: 'bot-hangup', endedBy: 'bot' });
    expect(receiver.of(refusedId).map((d) => d.type)).toEqual(['call.ended']);
    // In the order they happened, across calls too; each id accepted once, and with a clean shutdown never repeated.
    const after = receiver.accepted.slice(before);
    expect(after.map((d) => d.createdAt)).toEqual([...after.map((d) => d.createdAt)].sort());
    expect(after).toHaveLength(4);
    expect(receiver.posts.slice(before).filter((p) => !p.signed)).toEqual([]);
    expect(new Set(receiver.posts.slice(before).map((p) => p.id)).size).toBe(receiver.posts.slice(before).length);
    await waitFor(async () => ((await (await fetch(`http://127.0.0.1:${bridge.metricsPort}/v1/webhooks/status`)).json()) as { webhooks: Array<{ pending: number }> }).webhooks[0].pending === 0);
  });

  it('killed (SIGKILL) with events spooled: they arrive after the restart, once each, in order', async () => {
    await receiver.down();
    const before = receiver.posts.length;
    behaviour = (c) => c.ws.once('message', () => setTimeout(() => c.sendJson({ type: 'hangup' }), 200));
    const run = await call('uac-expect-bye-from-bridge.xml', '+15550100');
    expect(run.code, describeSipp(run)).toBe(0);
    const callId = await botCallId(6);
    // The process dies without warning once the call's three events and its CDR line are on disk (the spool is
    // then the only copy of the events).
    const spoolDir = join(recordsDir, 'spool');
    const adds = () => readdirSync(spoolDir).flatMap((f) => readFileSync(join(spoolDir, f), 'utf8').split('\n')).filter((l) => l.startsWith('{"add"') && l.includes(callId));
    await waitFor(() => adds().length === 3 && cdrs().some((r) => r.callId === callId), { what: 'three events spooled and the CDR written' });
    process.kill(bridge.pid, 'SIGKILL');
    await bridge.stop();
    expect(cdrs().filter((r) => r.callId === callId)).toHaveLength(1); // written once, not again after the restart
    bridge = new BridgeProcess(configYaml);
    await bridge.start();
    await receiver.up();
    await waitFor(() => receiver.of(callId).length === 3, { timeoutMs: 15_000, what: 'the spooled events after the crash' });
    expect(receiver.of(callId).map((d) => d.type)).toEqual(['call.started', 'call.answered', 'call.ended']);
    expect(cdrs().filter((r) => r.callId === callId)).toHaveLength(1);
    const posts = receiver.posts.slice(before);
    expect(posts.filter((p) => !p.signed)).toEqual([]);
    expect(new Set(posts.map((p) => p.id)).size).toBe(posts.length);
  });
});

describe('a call we place', () => {
  it('refused by a busy callee: an outbound record, 486 busy-here, ended by the callee', async () => {
    await receiver.up();
    const uas = await startSippUas({ scenario: 'uas-expect-486.xml', port: busyPort });
    const res = await fetch(`http://127.0.0.1:${bridge.metricsPort}/v1/calls`, { method: 'POST', body: JSON.stringify({ to: '+12025550123', trunk: 'carrier-busy', bot: 'tester' }) });
    const body = (await res.json()) as { callId: string; sipCallId: string; sipStatus: number };
    expect(res.status, JSON.stringify(body)).toBe(502);
    expect((await uas.done).code).toBe(0);
    const cdr = await cdrWhere((r) => r.callId === body.callId);
    expect(validate(SCHEMA, cdr, SCHEMA.$defs.CallRecord)).toEqual([]);
    expect(cdr).toMatchObject({
      direction: 'outbound', sipCallId: body.sipCallId, trunk: 'carrier-busy', bot: 'tester', from: '+15550100', to: '+12025550123',
      answeredAt: null, durationSec: 0, sipStatus: 486, endReason: 'busy-here', endedBy: 'callee', quality: null,
    });
    await waitFor(() => receiver.of(body.callId).length === 2);
    expect(receiver.of(body.callId).map((d) => d.type)).toEqual(['call.started', 'call.ended']);
  });
});
