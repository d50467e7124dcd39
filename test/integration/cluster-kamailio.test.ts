/**
 * A cluster on loopback (README "Past one machine"): PostgreSQL (a throwaway initdb cluster) as the shared
 * store, Kamailio with the shipped deploy/kamailio/kamailio.cfg in front, two bridge processes, SIPp as the
 * carrier. Calls spread over both nodes and carry audio both ways; a number added through one node's API
 * routes on the other; a draining node finishes its call and takes no new ones; a node killed with SIGKILL
 * takes none either.
 */
import alawmulaw from 'alawmulaw';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reservePort, reservePorts } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait-for.js';
import { strongestFrequency } from '../helpers/audio.js';
import { BridgeProcess } from './harness/bridge-process.js';
import { testConfig } from './harness/config.js';
import { startKamailioEdge, type KamailioEdge } from './harness/kamailio-edge.js';
import { metric } from './harness/metrics.js';
import { readPcapRtp } from './harness/pcap.js';
import { postgresBin, startPostgres, type Postgres } from './harness/postgres.js';
import { RtpListener } from './harness/rtp-listener.js';
import { bestLaggedCorrelation, l16, rmsEnvelope, sineL16 } from './harness/signal.js';
import { describeSipp, runSipp, type SippRun } from './harness/sipp.js';
import { TestBotServer, type BotConnection } from './harness/test-bot.js';

const PCAP = '/usr/share/sip-tester/g711a.pcap';
const BOT_RATE = 16000;
const TONE_HZ = 1000;
const ADMIN_KEY = 'cluster-admin-key-0123456789';
const SCENARIO = 'uac-via-proxy-pcap-g711a-caller-hangup.xml';

interface Node {
  name: 'A' | 'B';
  sipPort: number;
  rtpBase: number;
  yaml: string;
  bridge: BridgeProcess;
}

let db: Postgres;
let edge: KamailioEdge;
let bots: TestBotServer;
let listener: RtpListener;
const nodes: Node[] = [];

function nodeYaml(sipPort: number, rtpBase: number, botUrl: string, url: string): string {
  return `${testConfig({
    sipPort,
    rtpPortMin: rtpBase,
    rtpPortMax: rtpBase + 19,
    bots: { tester: `{ url: "${botUrl}", sampleRate: ${BOT_RATE}, connectTimeoutMs: 2000 }` },
    numbers: { '+15550100': 'tester' },
    extraMedia: '  latching: off',
    drainTimeoutSec: 30,
  })}api:
  keys: [{ name: ops, role: admin, key: ${ADMIN_KEY} }]
store: { type: postgres, url: "${url}" }
`;
}

async function startNode(n: Omit<Node, 'bridge'>): Promise<Node> {
  const bridge = new BridgeProcess(n.yaml);
  await bridge.start(20_000);
  return { ...n, bridge };
}

/** Calls each node routed for `number` so far ('call routed' log lines). */
function routed(node: Node, number = '+15550100'): number {
  return node.bridge.logs.filter((l) => l.msg === 'call routed' && l.number === number).length;
}

function call(o: { number?: string; calls?: number; holdMs?: number; concurrent?: number }): Promise<SippRun> {
  const calls = o.calls ?? 1;
  return runSipp({
    scenario: SCENARIO,
    target: { host: '127.0.0.1', port: edge.port },
    service: o.number ?? '+15550100',
    calls,
    keys: { rtp_port: listener.port },
    args: ['-d', String(o.holdMs ?? 1000), '-l', String(o.concurrent ?? 1), '-r', '5'],
    timeoutMs: 30_000,
  });
}

async function admin(node: Node, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${node.bridge.metricsPort}${path}`, {
    method,
    headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

/** OPTIONS requests a node received (the edge's probes). */
async function optionsSeen(node: Node): Promise<number> {
  const line = (await metric(node.bridge.metricsPort, 'trunkbridge_sip_messages_received_total')).split('\n').find((l) => l.includes('method="OPTIONS"'));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe.skipIf(!postgresBin())('cluster: Kamailio edge + two bridges + PostgreSQL store', () => {
  beforeAll(async () => {
    db = await startPostgres(await reservePort());
    bots = await TestBotServer.start((c: BotConnection) => {
      c.ws.once('message', () => {
        // After `start`: 1.5 s of a 1 kHz tone back to the caller.
        const tone = sineL16(TONE_HZ, BOT_RATE, 1500);
        for (let off = 0; off < tone.length; off += 3200) c.sendPcm(tone.subarray(off, off + 3200));
      });
    });
    listener = await RtpListener.start();
    for (const name of ['A', 'B'] as const) {
      const [sipPort, rtpBase] = [await reservePort(), await reservePorts(20)];
      // A first: it seeds the store from its file; B finds the store seeded and runs what it holds.
      nodes.push(await startNode({ name, sipPort, rtpBase, yaml: nodeYaml(sipPort, rtpBase, bots.url, db.url) }));
    }
    edge = await startKamailioEdge(await reservePort(), nodes.map((n) => n.sipPort));
  }, 60_000);

  afterAll(async () => {
    for (const n of nodes) await n.bridge.stop();
    await edge?.stop();
    await bots?.close();
    listener?.close();
    await db?.stop();
  });

  it('calls spread over both nodes and carry audio both ways (caller pcap to the bot, bot tone to the caller)', async () => {
    const run = await call({ calls: 4, concurrent: 2, holdMs: 4000 });
    expect(run.code, describeSipp(run)).toBe(0);
    const [a, b] = nodes;
    expect([routed(a), routed(b)]).toEqual([2, 2]);

    await waitFor(() => bots.connections.length === 4 && bots.connections.every((c) => c.closeCode !== undefined), { timeoutMs: 5000, what: 'four bot sockets to close' });
    const reference = readPcapRtp(PCAP).flatMap((p) => Array.from(alawmulaw.alaw.decode(p.payload)));
    for (const c of bots.connections) {
      const { r } = bestLaggedCorrelation(rmsEnvelope(reference, 160), rmsEnvelope(l16(Buffer.concat(c.frames)), BOT_RATE / 50), 100);
      expect(r, 'caller audio at the bot follows the pcap').toBeGreaterThan(0.9);
    }
    // The tone came back from each node's own RTP range (media does not pass through Kamailio).
    for (const n of nodes) {
      const pkts = listener.packets.filter((p) => p.from.port >= n.rtpBase && p.from.port < n.rtpBase + 20);
      expect(pkts.length, `RTP from node ${n.name}`).toBeGreaterThan(100);
      const pcm = pkts.flatMap((p) => Array.from(p.payloadType === 8 ? alawmulaw.alaw.decode(p.payload) : alawmulaw.mulaw.decode(p.payload)));
      expect(strongestFrequency(pcm, 8000, [400, TONE_HZ, 1600])).toBe(TONE_HZ);
    }
  });

  it("a number added through node A's API routes the next call that lands on node B", async () => {
    const [a, b] = nodes;
    const created = await admin(a, 'POST', '/v1/numbers', { number: '+15550177', trunk: 'carrier-a', bot: 'tester' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    // No waiting: round-robin sends one of the next two calls to B right away.
    const run = await call({ number: '+15550177', calls: 2 });
    expect(run.code, describeSipp(run)).toBe(0);
    expect(routed(a, '+15550177')).toBe(1);
    expect(routed(b, '+15550177')).toBe(1);
    expect((await admin(b, 'GET', '/v1/numbers/+15550177')).status).toBe(200);
  });

  it('SIGTERM on the node that owns a call: the call completes, new calls all go to the other node, it exits 0', async () => {
    const before = nodes.map((n) => routed(n));
    const long = call({ holdMs: 6000 });
    const owner = await waitFor(() => nodes.find((n, i) => routed(n) > before[i]), { timeoutMs: 5000, what: 'a node to take the long call' });
    const other = nodes.find((n) => n !== owner)!;
    await owner.bridge.waitForLog((l) => l.msg === 'call answered');
    const exit = owner.bridge.waitExit(30_000);
    owner.bridge.signal('SIGTERM');
    // While it drains: it answers OPTIONS and INVITE 503, so the edge sends every new call to the other node.
    const otherBefore = routed(other);
    const ownerBefore = routed(owner);
    const run = await call({ calls: 3 });
    expect(run.code, describeSipp(run)).toBe(0);
    expect(routed(other) - otherBefore).toBe(3);
    expect(routed(owner) - ownerBefore).toBe(0);
    // The call in progress goes on to its own end (the caller's BYE), then the node exits 0.
    const longRun = await long;
    expect(longRun.code, describeSipp(longRun)).toBe(0);
    expect(await exit).toBe(0);
    // Restart the stopped node for the next test, and wait until the edge probes it again.
    const restarted = await startNode({ name: owner.name, sipPort: owner.sipPort, rtpBase: owner.rtpBase, yaml: owner.yaml });
    nodes[nodes.indexOf(owner)] = restarted;
    await waitFor(async () => (await optionsSeen(restarted)) >= 2, { timeoutMs: 10_000, what: 'the edge to probe the restarted node' });
  });

  it('SIGKILL on a node: new calls go to the node that is left, and it still has the shared configuration', async () => {
    const [a, b] = nodes;
    process.kill(b.bridge.pid, 'SIGKILL');
    const aBefore = routed(a) + routed(a, '+15550177');
    const run = await call({ calls: 2 });
    expect(run.code, describeSipp(run)).toBe(0);
    const run2 = await call({ number: '+15550177', calls: 2 });
    expect(run2.code, describeSipp(run2)).toBe(0);
    expect(routed(a) + routed(a, '+15550177') - aBefore).toBe(4);
  });
});
