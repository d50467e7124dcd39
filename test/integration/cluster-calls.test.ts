/**
 * Cluster-wide call control on loopback (README "Past one machine"): PostgreSQL (a throwaway initdb cluster),
 * Kamailio with the shipped deploy/kamailio/kamailio.cfg, two bridge processes with `store.nodeId` and
 * `store.apiUrl`, SIPp as the carrier. GET /v1/calls on either node lists both nodes' calls; a hangup sent to one
 * node ends the other node's call (SIPp gets the BYE); an outbound call ringing on one node is shown and
 * cancelled through the other (SIPp gets the CANCEL), through the calls API and through the Twilio REST shim; a
 * trunk limit of 3 holds across the two nodes; /readyz fails while the store is unreachable; a killed node's calls
 * leave the list within the expiry.
 * The event stream (GET /v1/events) is cluster-wide too: node A's stream tells B's calls starting and ending (with
 * node B), a new client's snapshot holds them, a killed node's call ends there (`node-lost`), and the console on A
 * (headless chromium) shows B's call with its node and hangs it up through A.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reservePort, reservePorts } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait-for.js';
import { BridgeProcess } from './harness/bridge-process.js';
import { testConfig } from './harness/config.js';
import { startKamailioEdge, type KamailioEdge } from './harness/kamailio-edge.js';
import { postgresBin, startPostgres, type Postgres } from './harness/postgres.js';
import { RtpListener } from './harness/rtp-listener.js';
import { describeSipp, runSipp, tracedMessages, type SippRun } from './harness/sipp.js';
import { startSippUas } from './harness/sipp-uas.js';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { followEvents, type FollowedStream } from './harness/event-stream.js';
import { CHROMIUM, openConsole } from './harness/console-browser.js';

const ADMIN_KEY = 'cluster-calls-admin-key-0123456789';
const NUMBER = '+15550100';
/** The registry's expiry (src/store/call-registry.ts NODE_EXPIRY_MS) and heartbeat, ms. */
const EXPIRY_MS = 5000;
const HEARTBEAT_MS = 1000;
/** How often a node's event stream re-reads the registry (src/app/cluster-live.ts REREAD_MS), ms. */
const REREAD_MS = 2000;

interface Node {
  id: 'node-a' | 'node-b';
  api: number;
  bridge: BridgeProcess;
}

interface CallView {
  callId: string;
  node: string;
  trunk?: string;
  from?: string;
  to?: string;
  media?: unknown;
}

let db: Postgres;
let edge: KamailioEdge;
let listener: RtpListener;
const nodes: Node[] = [];

/** Where both nodes' outbound trunk sends calls: a SIPp callee the ringing-call case starts. */
let calleePort: number;
/** A Twilio Media Streams bot (it only has to accept the socket) with REST shim credentials on both nodes. */
let twilioBots: WebSocketServer;
let twilioBotUrl: string;
const TWILIO_AC = 'AC0123456789abcdef0123456789abcdef';
const TWILIO_TOKEN = 'cluster-shim-token-0123456789';

function nodeYaml(id: string, sipPort: number, rtpBase: number, api: number, url: string): string {
  return `${testConfig({
    sipPort,
    metricsPort: api,
    rtpPortMin: rtpBase,
    rtpPortMax: rtpBase + 19,
    bots: { echo: '{ builtin: echo }', tw: `{ url: "${twilioBotUrl}", protocol: twilio, twilio: { accountSid: ${TWILIO_AC}, authToken: ${TWILIO_TOKEN}, transferTrunk: carrier-out } }` },
    numbers: { [NUMBER]: 'echo' },
    trunkExtra: '    maxConcurrentCalls: 3\n',
    extraMedia: '  latching: off',
  })}api:
  keys: [{ name: ops, role: admin, key: ${ADMIN_KEY} }]
store: { type: postgres, url: "${url}", nodeId: ${id}, apiUrl: "http://127.0.0.1:${api}" }
outboundTrunks:
  - { name: carrier-out, host: 127.0.0.1, port: ${calleePort} }
`;
}

async function http(node: Node, method: string, path: string, body?: unknown): Promise<{ status: number; node: string | null; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${node.api}${path}`, {
    method,
    headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, node: res.headers.get('x-trunkbridge-node'), body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function listed(node: Node): Promise<CallView[]> {
  const r = await http(node, 'GET', '/v1/calls');
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.calls as CallView[];
}

/** 'call answered' log lines of a node so far. */
function answered(node: Node): number {
  return node.bridge.logs.filter((l) => l.msg === 'call answered').length;
}

/** Calls a node refused because the trunk was full. */
function trunkBusy(node: Node): number {
  return node.bridge.logs.filter((l) => l.msg === 'call rejected' && l.reason === 'trunk-busy').length;
}

function sipp(scenario: string, o: { calls?: number; args?: string[]; timeoutMs?: number } = {}): Promise<SippRun> {
  return runSipp({
    scenario,
    target: { host: '127.0.0.1', port: edge.port },
    service: NUMBER,
    calls: o.calls ?? 1,
    keys: { rtp_port: listener.port },
    args: o.args ?? [],
    timeoutMs: o.timeoutMs ?? 30_000,
  });
}

/** Runs SQL on the server's maintenance database. */
async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: db.url.replace(/\/trunkbridge$/, '/postgres') });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

type Followed = FollowedStream;
const streams: Followed[] = [];

/** A client of a node's event stream: every event so far, parsed. */
async function follow(node: Node): Promise<Followed> {
  const followed = await followEvents(`http://127.0.0.1:${node.api}/v1/events`, ADMIN_KEY);
  expect(followed.status).toBe(200);
  streams.push(followed);
  await waitFor(() => followed.events.some((e) => e.event === 'snapshot'), { what: `${node.id}'s snapshot` });
  return followed;
}

const eventOf = (s: Followed, event: string, match: (data: any) => boolean) => s.events.find((e) => e.event === event && match(e.data));

async function ready(node: Node): Promise<{ status: number; checks: Record<string, boolean> }> {
  const res = await fetch(`http://127.0.0.1:${node.api}/readyz`);
  return { status: res.status, checks: ((await res.json()) as { checks: Record<string, boolean> }).checks };
}

describe.skipIf(!postgresBin())('cluster-wide call control: Kamailio edge + two bridges + PostgreSQL', () => {
  beforeAll(async () => {
    db = await startPostgres(await reservePort());
    listener = await RtpListener.start();
    calleePort = await reservePort();
    twilioBots = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    await new Promise<void>((r) => twilioBots.once('listening', () => r()));
    twilioBotUrl = `ws://127.0.0.1:${(twilioBots.address() as AddressInfo).port}/media`;
    for (const id of ['node-a', 'node-b'] as const) {
      const [sipPort, rtpBase, api] = [await reservePort(), await reservePorts(20), await reservePort()];
      const bridge = new BridgeProcess(nodeYaml(id, sipPort, rtpBase, api, db.url));
      await bridge.start(20_000);
      nodes.push({ id, api, bridge });
    }
    edge = await startKamailioEdge(await reservePort(), nodes.map((n) => n.bridge.sipPort()));
  }, 60_000);

  afterAll(async () => {
    for (const c of twilioBots?.clients ?? []) c.terminate();
    twilioBots?.close();
    for (const s of streams) s.stop();
    for (const n of nodes) await n.bridge.stop();
    await edge?.stop();
    listener?.close();
    await db?.stop();
  });

  it("GET /v1/calls on either node lists both nodes' calls; a hangup sent to one node ends the other's call (SIPp gets the BYE)", async () => {
    const [a, b] = nodes;
    const before = nodes.map(answered);
    const run = sipp('uac-via-proxy-expect-bye-from-bridge.xml', { calls: 2, args: ['-l', '2', '-r', '10'] });
    await waitFor(() => answered(a) > before[0] && answered(b) > before[1], { timeoutMs: 10_000, what: 'one call answered on each node' });

    // B's call is published at its answer: A lists it with B's node id (and its own with its own).
    const all = await waitFor(
      async () => {
        const list = await listed(a);
        return list.length === 2 ? list : undefined;
      },
      { timeoutMs: 3000, what: "node A to list both nodes' calls" },
    );
    expect(all.map((c) => c.node).sort()).toEqual(['node-a', 'node-b']);
    for (const c of all) expect(c).toMatchObject({ trunk: 'carrier-a', to: NUMBER, from: '+15551230001' });
    expect((await listed(b)).map((c) => c.callId).sort()).toEqual(all.map((c) => c.callId).sort());
    const onB = all.find((c) => c.node === 'node-b')!;
    const onA = all.find((c) => c.node === 'node-a')!;

    // A's answer for B's call comes from B (forwarded): its live media figures included.
    const described = await http(a, 'GET', `/v1/calls/${onB.callId}`);
    expect(described.status).toBe(200);
    expect(described.node).toBe('node-b');
    expect(described.body).toMatchObject({ callId: onB.callId, media: expect.any(Object) });

    // Hang up B's call through A, and A's call through B.
    const h1 = await http(a, 'POST', `/v1/calls/${onB.callId}/hangup`, {});
    expect([h1.status, h1.node, h1.body]).toEqual([200, 'node-b', { callId: onB.callId, status: 'hangup' }]);
    const h2 = await http(b, 'POST', `/v1/calls/${onA.callId}/hangup`, {});
    expect([h2.status, h2.node]).toEqual([200, 'node-a']);
    await b.bridge.waitForLog((l) => l.msg === 'call ended' && l.callId === onB.callId && l.reason === 'api-hangup');
    await a.bridge.waitForLog((l) => l.msg === 'call ended' && l.callId === onA.callId && l.reason === 'api-hangup');

    const done = await run;
    expect(done.code, describeSipp(done)).toBe(0);
    expect(tracedMessages(done).filter((m) => m.dir === 'received' && m.line.startsWith('BYE ')).length).toBe(2);
    await waitFor(async () => (await listed(a)).length === 0, { timeoutMs: 3000, what: 'the ended calls to leave the list' });
    // An id no node has: 404 from the node asked.
    expect((await http(a, 'POST', '/v1/calls/no-such-call/hangup', {})).body.error).toBe('unknown-call');
  });

  it("an outbound call placed on node A while it rings: node B forwards its GET and its hangup to A, which CANCELs it", async () => {
    const [a, b] = nodes;
    const callee = await startSippUas({ scenario: 'uas-ring-no-answer.xml', port: calleePort });
    const placed = await http(a, 'POST', '/v1/calls', { to: '+12025550123', trunk: 'carrier-out', bot: 'echo', wait: false });
    expect(placed.status, JSON.stringify(placed.body)).toBe(202);
    const callId = String(placed.body.callId);
    await a.bridge.waitForLog((l) => l.msg === 'outbound call progress' && l.status === 180, 5000);

    const shown = await http(b, 'GET', `/v1/calls/${callId}`);
    expect([shown.status, shown.node]).toEqual([200, 'node-a']);
    expect(shown.body).toMatchObject({ callId, state: 'ringing', direction: 'outbound', trunk: 'carrier-out' });
    const hung = await http(b, 'POST', `/v1/calls/${callId}/hangup`, {});
    expect([hung.status, hung.node, hung.body]).toEqual([200, 'node-a', { callId, status: 'cancelled' }]);
    // SIPp got the CANCEL, answered it and 487, and got A's ACK: its scenario ends with exit code 0.
    const run = await callee.done;
    expect(run.code, describeSipp(run)).toBe(0);
    expect(run.messages).toMatch(/CANCEL sip:/);
    await a.bridge.waitForLog((l) => l.msg === 'outbound call failed' && l.callId === callId && l.reason === 'cancelled', 5000);
    // Its row left with it: B no longer finds an owner and answers 404 itself.
    await waitFor(async () => (await http(b, 'GET', `/v1/calls/${callId}`)).status === 404, { timeoutMs: 3000, what: 'the cancelled call to be unknown on node B' });
  });

  it("the Twilio REST shim: a call placed on node A (Calls.json) is fetched and cancelled through node B's shim, forwarded to A", async () => {
    const [a, b] = nodes;
    const callee = await startSippUas({ scenario: 'uas-ring-no-answer.xml', port: calleePort });
    const shim = async (node: Node, path: string, form?: Record<string, string>) => {
      const r = await fetch(`http://127.0.0.1:${node.api}/2010-04-01/Accounts/${TWILIO_AC}/${path}`, {
        method: form ? 'POST' : 'GET',
        headers: { Authorization: `Basic ${Buffer.from(`${TWILIO_AC}:${TWILIO_TOKEN}`).toString('base64')}` },
        ...(form ? { body: new URLSearchParams(form) } : {}),
      });
      return { status: r.status, node: r.headers.get('x-trunkbridge-node'), body: (await r.json()) as Record<string, unknown> };
    };
    const twiml = `<Response><Connect><Stream url="${twilioBotUrl}"/></Connect></Response>`;
    const placed = await shim(a, 'Calls.json', { To: '+12025550124', Twiml: twiml });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const sid = String(placed.body.sid);
    await a.bridge.waitForLog((l) => l.msg === 'outbound call progress' && l.status === 180, 5000);

    const fetched = await shim(b, `Calls/${sid}.json`);
    expect([fetched.status, fetched.node, fetched.body.status]).toEqual([200, 'node-a', 'ringing']);
    const cancelled = await shim(b, `Calls/${sid}.json`, { Status: 'canceled' });
    expect([cancelled.status, cancelled.node, cancelled.body.status]).toEqual([200, 'node-a', 'canceled']);
    const run = await callee.done;
    expect(run.code, describeSipp(run)).toBe(0);
    expect(run.messages).toMatch(/CANCEL sip:/);
    // Wrong credentials are refused by the node asked, before anything is forwarded.
    const forged = await fetch(`http://127.0.0.1:${b.api}/2010-04-01/Accounts/${TWILIO_AC}/Calls/${sid}.json`, { headers: { Authorization: `Basic ${Buffer.from(`${TWILIO_AC}:wrong`).toString('base64')}` } });
    expect([forged.status, forged.headers.get('x-trunkbridge-node')]).toEqual([401, null]);
  });

  it("node A's event stream tells node B's calls: call.started and call.ended with node B, and a new client's snapshot holds them", async () => {
    const [a, b] = nodes;
    const stream = await follow(a);
    const before = nodes.map(answered);
    const run = sipp('uac-via-proxy-call-caller-hangup.xml', { calls: 2, args: ['-d', '4000', '-l', '2', '-r', '10'] });
    await waitFor(() => answered(a) > before[0] && answered(b) > before[1], { timeoutMs: 10_000, what: 'one call answered on each node' });
    const onB = await waitFor(() => eventOf(stream, 'call.started', (d) => d.node === 'node-b'), { timeoutMs: 3000, what: "call.started for B's call on A's stream" });
    expect(onB.data).toMatchObject({ state: 'answered', direction: 'inbound', trunk: 'carrier-a', to: NUMBER, from: '+15551230001', durationSec: expect.any(Number) });
    const onA = await waitFor(() => eventOf(stream, 'call.started', (d) => d.node === 'node-a'), { timeoutMs: 3000, what: "call.started for A's own call, with its node" });
    expect(onA.data.callId).not.toBe(onB.data.callId);

    // A client connecting now gets both nodes' calls in its snapshot, as GET /v1/calls lists them.
    const late = await follow(a);
    const snapshot = late.events[0];
    expect(snapshot.event).toBe('snapshot');
    const byNode = Object.fromEntries((snapshot.data.calls as CallView[]).map((c) => [c.callId, c.node]));
    expect(byNode).toEqual({ [onA.data.callId]: 'node-a', [onB.data.callId]: 'node-b' });
    // The per-second updates keep B's call too (its duration moving; its media figures are B's own to report).
    await waitFor(() => eventOf(late, 'call.updated', (d) => d.callId === onB.data.callId && d.node === 'node-b'), { timeoutMs: 3000, what: "call.updated for B's call" });

    const endedB = await waitFor(() => eventOf(stream, 'call.ended', (d) => d.callId === onB.data.callId), { timeoutMs: 10_000, what: "call.ended for B's call on A's stream" });
    expect(endedB.data).toMatchObject({ reason: 'caller-hangup', durationSec: expect.any(Number) });
    expect(endedB.data.durationSec).toBeGreaterThan(3);
    await waitFor(() => eventOf(late, 'call.ended', (d) => d.callId === onA.data.callId), { timeoutMs: 10_000, what: "call.ended for A's own call" });
    const done = await run;
    expect(done.code, describeSipp(done)).toBe(0);
    stream.stop();
    late.stop();
  });

  it.skipIf(!CHROMIUM)("the console on node A lists node B's call with its node and hangs it up through A (SIPp gets the BYE)", async () => {
    const [a, b] = nodes;
    const web = await openConsole();
    try {
      await web.signIn(`http://127.0.0.1:${a.api}`, ADMIN_KEY);
      await web.go('#/calls', 'Live calls');
      const before = nodes.map(answered);
      const run = sipp('uac-via-proxy-expect-bye-from-bridge.xml', { calls: 2, args: ['-l', '2', '-r', '10'] });
      await waitFor(() => answered(a) > before[0] && answered(b) > before[1], { timeoutMs: 10_000, what: 'one call answered on each node' });
      await web.page.waitForSelector('tr[data-node="node-b"]', { timeout: 10_000 });
      await web.page.waitForSelector('tr[data-node="node-a"]', { timeout: 10_000 });
      expect(await web.page.$$eval('th', (ths) => ths.map((t) => t.textContent))).toContain('Node');
      expect(await web.page.$eval('tr[data-node="node-b"] td', (td) => td.textContent)).toBe('node-b');
      const remoteId = await web.page.$eval('tr[data-node="node-b"]', (tr) => tr.getAttribute('data-call-id'));
      await web.page.$eval('tr[data-node="node-b"] button.danger', (btn) => (btn as HTMLButtonElement).click());
      await b.bridge.waitForLog((l) => l.msg === 'call ended' && l.callId === remoteId && l.reason === 'api-hangup');
      // Its row goes when B's end reaches A's stream.
      await web.page.waitForFunction((id) => document.querySelector(`tr[data-call-id="${id}"]`) === null, { timeout: 10_000 }, remoteId);
      await web.page.$eval('tr[data-node="node-a"] button.danger', (btn) => (btn as HTMLButtonElement).click());
      const done = await run;
      expect(done.code, describeSipp(done)).toBe(0);
      expect(tracedMessages(done).filter((m) => m.dir === 'received' && m.line.startsWith('BYE ')).length).toBe(2);
      expect(web.problems).toEqual([]);
    } finally {
      await web.close();
    }
  }, 40_000);

  it('a trunk limit of 3 holds across the two nodes: with 3 calls up, a 4th is refused 486 whichever node it lands on', async () => {
    const before = nodes.map(answered);
    const busyBefore = nodes.map(trunkBusy);
    const held = sipp('uac-via-proxy-call-caller-hangup.xml', { calls: 3, args: ['-d', '12000', '-l', '3', '-r', '10'] });
    await waitFor(() => nodes.reduce((n, node, i) => n + answered(node) - before[i], 0) === 3, { timeoutMs: 10_000, what: 'three calls answered' });
    // Both nodes hold some of the three (round-robin), so neither node's own count is at the limit.
    expect(nodes.map((n, i) => answered(n) - before[i]).every((n) => n >= 1 && n <= 2)).toBe(true);
    for (let attempt = 0; attempt < 4 && !nodes.every((n, i) => trunkBusy(n) > busyBefore[i]); attempt++) {
      const fourth = await sipp('uac-expect-486.xml');
      expect(fourth.code, describeSipp(fourth)).toBe(0);
    }
    expect(nodes.map((n, i) => trunkBusy(n) - busyBefore[i] >= 1)).toEqual([true, true]);
    expect(nodes.reduce((n, node, i) => n + answered(node) - before[i], 0)).toBe(3);
    const run = await held;
    expect(run.code, describeSipp(run)).toBe(0);
    // The slots are given back as the calls end: the next call is answered.
    await waitFor(async () => (await listed(nodes[0])).length === 0, { timeoutMs: 3000, what: 'the held calls to end' });
    const next = await sipp('uac-via-proxy-call-caller-hangup.xml', { args: ['-d', '200'] });
    expect(next.code, describeSipp(next)).toBe(0);
  });

  it('/readyz fails while the shared store is unreachable and recovers when it is back', async () => {
    const [a] = nodes;
    expect(await ready(a)).toEqual({ status: 200, checks: expect.objectContaining({ store: true }) });
    await admin('ALTER DATABASE trunkbridge WITH ALLOW_CONNECTIONS false');
    await admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'trunkbridge'");
    try {
      const down = await waitFor(
        async () => {
          const r = await ready(a);
          return r.status === 503 ? r : undefined;
        },
        { timeoutMs: 5000, what: '/readyz to fail' },
      );
      expect(down.checks).toMatchObject({ store: false, listening: true, notDraining: true });
      // GET /v1/calls cannot list the cluster: 503, not a partial list.
      const listing = await http(a, 'GET', '/v1/calls');
      expect([listing.status, listing.body.error]).toEqual([503, 'store-unreachable']);
    } finally {
      await admin('ALTER DATABASE trunkbridge WITH ALLOW_CONNECTIONS true');
    }
    for (const n of nodes) await waitFor(async () => (await ready(n)).status === 200, { timeoutMs: 5000, what: `${n.id} ready again` });
  });

  it("a killed node's calls leave the other node's list within the expiry", async () => {
    const before = nodes.map(answered);
    const run = sipp('uac-via-proxy-call-caller-hangup.xml', { args: ['-d', '10000'], timeoutMs: 30_000 });
    const owner = await waitFor(() => nodes.find((n, i) => answered(n) > before[i]), { timeoutMs: 10_000, what: 'a node to answer the call' });
    const other = nodes.find((n) => n !== owner)!;
    await waitFor(async () => (await listed(other)).some((c) => c.node === owner.id), { timeoutMs: 3000, what: "the other node to list the owner's call" });
    const stream = await follow(other);
    const call = (stream.events[0].data.calls as CallView[]).find((c) => c.node === owner.id)!;
    expect(call).toBeDefined();
    process.kill(owner.bridge.pid, 'SIGKILL');
    const killedAt = Date.now();
    await waitFor(async () => (await listed(other)).length === 0, { timeoutMs: EXPIRY_MS + 3 * HEARTBEAT_MS, what: "the killed node's call to leave the list" });
    const gone = Date.now() - killedAt;
    // Not before the expiry less one heartbeat (the owner's last beat came at most one heartbeat before the kill).
    expect(gone).toBeGreaterThan(EXPIRY_MS - HEARTBEAT_MS - 500);
    // The other node's stream ends it too: no end notice came from the dead node, so the reason is node-lost.
    const ended = await waitFor(() => eventOf(stream, 'call.ended', (d) => d.callId === call.callId), { timeoutMs: 3 * REREAD_MS, what: "call.ended for the killed node's call" });
    expect(ended.data).toMatchObject({ reason: 'node-lost', durationSec: expect.any(Number) });
    // The caller's BYE has no node to reach: SIPp's call fails; it is stopped by its own timeout.
    await run;
  }, 60_000);
});
