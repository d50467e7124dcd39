/**
 * A PBX registration in a cluster (README "Past one machine"): PostgreSQL (a throwaway initdb cluster) holds the
 * lease, Kamailio (kamailio/registrar-test.cfg) is the PBX registrar, two bridge processes share the store. Exactly
 * one node registers (also one added through the API, whose lease goes when it is deleted); killed with
 * SIGKILL, the other takes over within the registration's retry time and the
 * next call to the extension reaches it; a node drained with SIGTERM hands the registration over at once, while
 * its own call goes on. Every node's event stream tells the registration's state changes with the node holding it,
 * the holder's own and the others' from its lease renewals. Everything on 127.0.0.1.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reservePort, reservePorts } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait-for.js';
import { BridgeProcess, type LogLine } from './harness/bridge-process.js';
import { testConfig } from './harness/config.js';
import { startKamailio, type Kamailio } from './harness/kamailio.js';
import { postgresBin, startPostgres, type Postgres } from './harness/postgres.js';
import { RtpListener } from './harness/rtp-listener.js';
import { describeSipp, runSipp, type SippRun } from './harness/sipp.js';
import { TestBotServer, type BotConnection } from './harness/test-bot.js';
import { followEvents } from './harness/event-stream.js';

const ADMIN_KEY = 'cluster-admin-key-0123456789';
const RETRY_SEC = 4; // lease 2 s, renewed (or tried for) every second
const EXTENSION = '1001';

interface Node {
  id: string;
  sipPort: number;
  yaml: string;
  bridge: BridgeProcess;
}

let db: Postgres;
let kamailio: Kamailio;
let bots: TestBotServer;
let rtp: RtpListener;
const nodes: Node[] = [];
/** How long the bot keeps a call before it hangs up; undefined: until the test says. */
let botHoldMs: number | undefined = 300;

function nodeYaml(id: string, sipPort: number, rtpBase: number): string {
  return `${testConfig({
    sipPort,
    rtpPortMin: rtpBase,
    rtpPortMax: rtpBase + 9,
    bots: { tester: `{ url: "${bots.url}", sampleRate: 8000, connectTimeoutMs: 2000 }` },
    drainTimeoutSec: 30,
  })}registrations:
  - { name: pbx-main, server: 127.0.0.1, port: ${kamailio.port}, domain: pbx.test, username: alice, password: s3cret-pw, extension: "${EXTENSION}", expires: 60, retrySec: ${RETRY_SEC}, retryMaxSec: 8, bot: tester }
api:
  keys: [{ name: ops, role: admin, key: ${ADMIN_KEY} }]
store: { type: postgres, url: "${db.url}", nodeId: ${id} }
`;
}

async function startNode(id: string, sipPort?: number): Promise<Node> {
  const port = sipPort ?? (await reservePort());
  const yaml = nodeYaml(id, port, await reservePorts(10));
  const bridge = new BridgeProcess(yaml);
  await bridge.start(20_000);
  return { id, sipPort: port, yaml, bridge };
}

const TAKEN = 'registration lease taken: registering from this node';
/** The node's log lines saying it took pbx-main's lease. */
const taken = (n: Node): LogLine[] => n.bridge.logs.filter((l) => l.msg === TAKEN && l.registration === 'pbx-main');
const registered = (n: Node): number => n.bridge.logs.filter((l) => l.msg === 'registered').length;
const routedHere = (n: Node): number => n.bridge.logs.filter((l) => l.msg === 'call routed' && l.number === EXTENSION).length;
/** REGISTERs (`unregister`: with Expires 0) Kamailio accepted from `n` (its Contact carries the node's SIP port). */
const bindingsFrom = (n: Node, unregister = false): number =>
  kamailio
    .log()
    .split('\n')
    .filter((l) => l.includes(`REGISTER sip:${EXTENSION}@pbx.test stored`) && l.includes(`:${n.sipPort}>`) && l.includes('expires 0)') === unregister).length;

async function admin(n: Node, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${n.bridge.metricsPort}${path}`, {
    method,
    headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function registration(n: Node, name = 'pbx-main'): Promise<{ state: string; node?: string }> {
  const res = await admin(n, 'GET', `/v1/registrations/${name}`);
  expect(res.status).toBe(200);
  return res.body as { state: string; node?: string };
}

/** A client of a node's event stream: its events so far, parsed; `stop` ends it. */
async function follow(n: Node): Promise<{ events: Array<{ event: string; data: any }>; stop: () => void }> {
  const stream = await followEvents(`http://127.0.0.1:${n.bridge.metricsPort}/v1/events`, ADMIN_KEY);
  expect(stream.status).toBe(200);
  return stream;
}

/** The lease rows: name -> holder. */
async function leaseRows(): Promise<Record<string, string>> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    const res = await c.query<{ name: string; holder: string }>('SELECT name, holder FROM trunkbridge_leases ORDER BY name');
    return Object.fromEntries(res.rows.map((r) => [r.name, r.holder]));
  } finally {
    await c.end();
  }
}

/** Bindings Kamailio stored for `extension` from any node. */
const bindingsFor = (extension: string): string[] => kamailio.log().split('\n').filter((l) => l.includes(`REGISTER sip:${extension}@pbx.test stored`));

/** A phone calls the extension at Kamailio, which relays the INVITE to the registered contact. */
function callExtension(): Promise<SippRun> {
  return runSipp({ scenario: 'uac-expect-bye-from-bridge.xml', target: { host: '127.0.0.1', port: kamailio.port }, service: EXTENSION, keys: { rtp_port: rtp.port }, timeoutMs: 30_000 });
}

describe.skipIf(!postgresBin())('cluster: one PBX registration, two bridges, a lease in PostgreSQL', () => {
  beforeAll(async () => {
    db = await startPostgres(await reservePort());
    kamailio = await startKamailio(await reservePort());
    bots = await TestBotServer.start((c: BotConnection) => {
      c.ws.once('message', () => {
        if (botHoldMs !== undefined) setTimeout(() => c.sendJson({ type: 'hangup' }), botHoldMs);
      });
    });
    rtp = await RtpListener.start();
    nodes.push(await startNode('node-a'));
    nodes.push(await startNode('node-b'));
  }, 60_000);

  afterAll(async () => {
    for (const n of nodes) await n.bridge.stop();
    await kamailio?.stop();
    await bots?.close();
    rtp?.close();
    await db?.stop();
  });

  it('one node registers; SIGKILL moves it to the other within the retry time; a drain hands it over at once', async () => {
    // Exactly one node holds the lease and registers; Kamailio grants 2 s, so the holder refreshes every second.
    const holder = await waitFor(() => nodes.find((n) => taken(n).length > 0), { timeoutMs: 15_000, what: 'a node to take the lease' });
    const other = nodes.find((n) => n !== holder)!;
    await waitFor(() => registered(holder) >= 3 && bindingsFrom(holder) >= 3, { timeoutMs: 10_000, what: 'three REGISTERs from the holder' });
    expect(taken(other)).toEqual([]);
    expect(registered(other)).toBe(0);
    expect(bindingsFrom(other)).toBe(0);
    expect(bindingsFrom(other, true)).toBe(0);
    // Both nodes' API say who holds it and its state: the other node reads it from the store, as the holder's
    // lease renewal (every second) writes it, so it is waited for rather than read once.
    for (const n of nodes) {
      await waitFor(async () => {
        const r = await registration(n);
        return r.state === 'registered' && r.node === holder.id;
      }, { timeoutMs: 5000, what: `pbx-main registered by ${holder.id}, as ${n.id} shows it` });
    }
    expect(await leaseRows()).toEqual({ 'registration:pbx-main': holder.id });
    // A refresh asked of the other node names the holder (and sends nothing from there).
    const refresh = await admin(other, 'POST', '/v1/registrations/pbx-main/refresh');
    expect(refresh).toMatchObject({ status: 202, body: { name: 'pbx-main', state: 'registered', node: holder.id } });

    // Each node's event stream names the holder; both will tell pbx-two's state changes below.
    const streams = await Promise.all(nodes.map(follow));
    for (const st of streams) {
      const snapshot = await waitFor(() => st.events.find((e) => e.event === 'snapshot'), { what: 'a snapshot' });
      expect(snapshot.data.registrations).toEqual([{ name: 'pbx-main', state: 'registered', node: holder.id }]);
    }

    // A registration added through one node's API is registered by exactly one node; what GET answers (with
    // `node` and `state`) can be sent back as it is; deleted, its holder un-REGISTERs and its lease is gone.
    const two = { name: 'pbx-two', server: '127.0.0.1', port: kamailio.port, domain: 'pbx.test', username: 'alice', password: 's3cret-pw', extension: '1002', expires: 60, retrySec: RETRY_SEC, bot: 'tester' };
    expect((await admin(other, 'POST', '/v1/registrations', two)).status).toBe(201);
    // The other node hears of it through NOTIFY: 404 there until then.
    const twoHolder = await waitFor(async () => {
      const r = await admin(holder, 'GET', '/v1/registrations/pbx-two');
      return r.status === 200 && r.body.state === 'registered' ? (r.body.node as string) : undefined;
    }, { timeoutMs: 10_000, what: 'pbx-two registered' });
    // The holder reports its state with its next renewal (every second): then every node shows it.
    for (const n of nodes) {
      await waitFor(async () => (await registration(n, 'pbx-two')).state === 'registered', { timeoutMs: 3000, what: `pbx-two's state on ${n.id}` });
      expect(await registration(n, 'pbx-two')).toMatchObject({ state: 'registered', node: twoHolder });
    }
    expect((await leaseRows())['registration:pbx-two']).toBe(twoHolder);
    // Both streams told it registered, with its holder: the holder's from its registration, the other's from the
    // state the holder reports with its lease renewals.
    for (const st of streams) {
      await waitFor(() => st.events.find((e) => e.event === 'registration' && e.data.name === 'pbx-two' && e.data.state === 'registered'), { timeoutMs: 3000, what: "pbx-two's registration event" });
      expect(st.events.filter((e) => e.event === 'registration' && e.data.name === 'pbx-two' && e.data.state === 'registered').map((e) => e.data.node)).toContain(twoHolder);
      st.stop();
    }
    const twoNode = nodes.find((n) => n.id === twoHolder)!;
    expect(new Set(bindingsFor('1002').map((l) => l.includes(`:${twoNode.sipPort}>`)))).toEqual(new Set([true]));
    const shown = await admin(holder, 'GET', '/v1/registrations/pbx-two');
    expect((await admin(holder, 'PUT', '/v1/registrations/pbx-two', shown.body)).status).toBe(200);
    expect((await admin(holder, 'DELETE', '/v1/registrations/pbx-two')).status).toBe(204);
    await waitFor(async () => !('registration:pbx-two' in (await leaseRows())), { timeoutMs: 5000, what: "pbx-two's lease to go" });
    await waitFor(() => twoNode.bridge.logs.some((l) => l.msg === TAKEN && l.registration === 'pbx-two'), { timeoutMs: 1000, what: 'the log of who took pbx-two' });
    expect((await admin(other, 'GET', '/v1/registrations/pbx-two')).status).toBe(404);

    // A call to the extension reaches the holder.
    const first = await callExtension();
    expect(first.code, describeSipp(first)).toBe(0);
    expect(routedHere(holder)).toBe(1);
    expect(routedHere(other)).toBe(0);

    // SIGKILL: no release, no un-REGISTER. The other node takes the lease once it runs out and registers.
    const killedAt = Date.now();
    holder.bridge.signal('SIGKILL');
    await holder.bridge.waitExit(5000);
    const takeover = await other.bridge.waitForLog((l) => l.msg === TAKEN && l.registration === 'pbx-main', 10_000);
    const takeoverMs = Date.parse(String(takeover.time)) - killedAt;
    expect(takeoverMs).toBeGreaterThan(0);
    expect(takeoverMs).toBeLessThanOrEqual(RETRY_SEC * 1000);
    await waitFor(() => registered(other) >= 1 && bindingsFrom(other) >= 1, { timeoutMs: 5000, what: "the new holder's binding" });
    expect(await registration(other)).toMatchObject({ state: 'registered', node: other.id });

    // The next call to the extension reaches the new holder (the dead node's binding is older).
    const second = await callExtension();
    expect(second.code, describeSipp(second)).toBe(0);
    expect(routedHere(other)).toBe(1);

    // The killed node comes back: it sees the lease held and stays out.
    const back = await startNode(holder.id, holder.sipPort);
    nodes.push(back);
    await waitFor(async () => (await registration(back)).node === other.id, { timeoutMs: 5000, what: 'the restarted node to see the holder' });
    expect(taken(back)).toEqual([]);

    // Drain the holder during a call: it un-REGISTERs and releases at once, and the other node takes over while
    // the draining node is still up with its call (without the release it would renew the lease all along).
    botHoldMs = undefined;
    const before = bots.connections.length;
    const held = callExtension();
    const bot = await waitFor(() => bots.connections[before], { timeoutMs: 10_000, what: "the held call's bot connection" });
    await bot.until(() => bot.event('start') !== undefined, 10_000, 'start');
    expect(routedHere(other)).toBe(2);
    other.bridge.signal('SIGTERM');
    await back.bridge.waitForLog((l) => l.msg === TAKEN && l.registration === 'pbx-main', 10_000);
    await waitFor(() => registered(back) >= 1 && bindingsFrom(back) >= 1, { timeoutMs: 5000, what: "the restarted node's binding" });
    expect(bot.closeCode).toBeUndefined(); // the draining node's call is still up
    // Its un-REGISTER answered Kamailio's digest challenge: the binding went at once.
    expect(bindingsFrom(other, true)).toBe(1);
    bot.sendJson({ type: 'hangup' });
    const drained = await held;
    expect(drained.code, describeSipp(drained)).toBe(0);
    expect(await other.bridge.waitExit(15_000)).toBe(0);
    botHoldMs = 300;
    const third = await callExtension();
    expect(third.code, describeSipp(third)).toBe(0);
    expect(routedHere(back)).toBe(1);
  }, 120_000);
});
