/**
 * Admin API changes against the real bridge process, with SIPp as the carrier:
 *  - a number created by the API routes the next SIPp call; a call in progress keeps the configuration it
 *    started with; an allow entry deleted makes the next call 403;
 *  - a restart keeps every change (the store under dataDir); a store write that fails changes nothing;
 *    `config export` prints the live configuration; a SIGKILL in the middle of writes leaves a store the next
 *    start reads; the API on a listener of its own;
 *  - SIGHUP with a valid file (applied) and an invalid one (error naming the field, running config stays).
 * The tests run in order: each builds on the state the one before left. Keys, CRUD and refusals:
 * admin-api-resources.test.ts.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli, type BridgeProcess } from './harness/bridge-process.js';
import { describeSipp, runSipp } from './harness/sipp.js';
import { RtpListener } from './harness/rtp-listener.js';
import { TestBotServer } from './harness/test-bot.js';
import { adminCall, adminYaml, startAdminBridge, type Reply, type Who } from './harness/admin-api.js';
import { reservePorts } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait-for.js';

let dataDir: string;
let rtpBase: number;
let listener: RtpListener;
let bridge: BridgeProcess;

const yaml = (o: { apiListen?: boolean } = {}): string => adminYaml({ dataDir, rtpBase, ...o });
const startBridge = (text = yaml()): Promise<BridgeProcess> => startAdminBridge(text);

function call(method: string, path: string, o: { who?: Who; body?: unknown; ifMatch?: string; port?: number } = {}): Promise<Reply> {
  return adminCall(o.port ?? bridge.metricsPort, method, path, o);
}

function sipp(scenario: string, number: string, localHost = '127.0.0.1') {
  return runSipp({ scenario, target: { host: '127.0.0.1', port: bridge.sipPort() }, service: number, localHost, timeoutMs: 15_000, keys: { rtp_port: listener.port } });
}

beforeAll(async () => {
  dataDir = join(mkdtempSync(join(tmpdir(), 'tb-admin-')), 'data');
  rtpBase = await reservePorts(10);
  listener = await RtpListener.start();
  bridge = await startBridge();
});

afterAll(async () => {
  await bridge?.stop();
  listener?.close();
});

describe('changes apply to the next call', () => {
  it('a number created by the API is routed on the next SIPp call', async () => {
    const before = await sipp('uac-expect-404.xml', '+15550400');
    expect(before.code, describeSipp(before)).toBe(0);
    expect((await call('POST', '/v1/numbers', { body: { number: '+15550400', trunk: 'carrier-a', bot: 'echo' } })).status).toBe(201);
    const after = await sipp('uac-call-caller-hangup.xml', '+15550400');
    expect(after.code, describeSipp(after)).toBe(0);
    await bridge.waitForLog((l) => l.msg === 'call routed' && l.number === '+15550400');
  });

  it('a call in progress keeps the configuration it started with: its number and bot deleted, it goes on', async () => {
    const bot = await TestBotServer.start();
    try {
      expect((await call('POST', '/v1/bots', { body: { name: 'live-bot', url: bot.url, sampleRate: 8000 } })).status).toBe(201);
      expect((await call('POST', '/v1/numbers', { body: { number: '+15550600', trunk: 'carrier-a', bot: 'live-bot' } })).status).toBe(201);
      const running = sipp('uac-expect-bye-from-bridge.xml', '+15550600');
      const conn = await bot.firstStarted();
      expect((await call('DELETE', '/v1/numbers/%2B15550600')).status).toBe(204);
      expect((await call('DELETE', '/v1/bots/live-bot')).status).toBe(204);
      // New calls see the change at once...
      const refused = await sipp('uac-expect-404.xml', '+15550600');
      expect(refused.code, describeSipp(refused)).toBe(0);
      // ...while the call in progress still has its bot: the bot hangs up and the caller gets a BYE.
      conn.sendJson({ type: 'hangup' });
      const run = await running;
      expect(run.code, describeSipp(run)).toBe(0);
      await conn.until(() => conn.event('stop') !== undefined, 10_000, 'stop');
    } finally {
      await bot.close();
    }
  });

  it('an allow entry deleted by the API makes the next call from that source 403', async () => {
    const allowed = await sipp('uac-call-caller-hangup.xml', '+15550400', '127.0.0.2');
    expect(allowed.code, describeSipp(allowed)).toBe(0);
    expect((await call('DELETE', '/v1/inbound-trunks/carrier-a/allow/127.0.0.2')).status).toBe(204);
    const refused = await sipp('uac-expect-403.xml', '+15550400', '127.0.0.2');
    expect(refused.code, describeSipp(refused)).toBe(0);
  });
});

describe('persistence', () => {
  it('a restart keeps every change (and the API can have a listener of its own)', async () => {
    const before = await call('GET', '/v1/numbers', { who: 'read' });
    expect(await bridge.stop()).toBe(0);
    bridge = await startBridge(yaml({ apiListen: true }));
    const ready = bridge.logs.find((l) => l.msg === 'trunkbridge ready') as unknown as { api: { port: number } };
    const port = ready.api.port;
    const after = await call('GET', '/v1/numbers', { who: 'read', port });
    expect(after.body).toEqual(before.body);
    expect(after.etag).toBe(before.etag);
    expect((await call('GET', '/v1/inbound-trunks/carrier-a', { port })).body.allow).toEqual(['127.0.0.1']);
    // The metrics listener no longer serves /v1, the API listener serves nothing else.
    expect((await call('GET', '/v1/numbers', { who: 'read' })).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);
    const call2 = await sipp('uac-call-caller-hangup.xml', '+15550400');
    expect(call2.code, describeSipp(call2)).toBe(0);
    expect(await bridge.stop()).toBe(0);
    bridge = await startBridge();
  });

  it('a store write that fails answers 500 store-failed and changes nothing; the next write goes through', async () => {
    const before = await call('GET', '/v1/bots', { who: 'read' });
    // A folder where the bridge writes its temp file: the write fails as a full or broken disk would.
    const blocker = join(dataDir, `config-store.json.tmp-${bridge.pid}`);
    mkdirSync(blocker);
    try {
      const r = await call('POST', '/v1/bots', { body: { name: 'unstored', builtin: 'echo' } });
      expect(r.status).toBe(500);
      expect(r.body.error).toBe('store-failed');
      await bridge.waitForLog((l) => l.msg === 'admin API request failed' && l.level === 50);
      const after = await call('GET', '/v1/bots', { who: 'read' });
      expect(after.body).toEqual(before.body);
      expect(after.etag).toBe(before.etag);
    } finally {
      rmdirSync(blocker);
    }
    expect((await call('POST', '/v1/bots', { body: { name: 'unstored', builtin: 'echo' } })).status).toBe(201);
    expect((await call('DELETE', '/v1/bots/unstored')).status).toBe(204);
  });

  it('`trunkbridge config export` prints the live configuration as YAML (API changes and secrets included)', async () => {
    expect((await call('POST', '/v1/outbound-trunks', { body: { name: 'exported', host: '127.0.0.1', auth: { username: 'acct', password: 'Exp0rted-S3cret' } } })).status).toBe(201);
    const out = await runCli(['config', 'export', '--config', bridge.configPath as string]);
    expect(out.code, out.stderr).toBe(0);
    const doc = parse(out.stdout);
    expect(Object.keys(doc.inboundTrunks[0].numbers)).toContain('+15550400');
    expect(doc.inboundTrunks[0].allow).toEqual(['127.0.0.1']);
    expect(doc.outboundTrunks).toEqual([{ name: 'exported', host: '127.0.0.1', auth: { username: 'acct', password: 'Exp0rted-S3cret' } }]);
    expect(doc.dataDir).toBe(dataDir);
    expect((await call('DELETE', '/v1/outbound-trunks/exported')).status).toBe(204);
  });

  it('a bridge killed (SIGKILL) in the middle of writes leaves a store the next start reads', async () => {
    const acknowledged: number[] = [];
    const writes = Array.from({ length: 40 }, (_, i) =>
      call('PATCH', '/v1/bots/echo', { body: { delayFrames: i } })
        .then((r) => {
          if (r.status === 200) acknowledged.push(Number(JSON.parse(r.etag as string)));
        })
        .catch(() => undefined),
    );
    // Kill once some writes were acknowledged, while others are still in flight.
    await waitFor(() => acknowledged.length >= 5, { intervalMs: 1, what: 'five acknowledged writes' });
    process.kill(bridge.pid, 'SIGKILL');
    await Promise.all(writes);
    await bridge.stop();
    bridge = await startBridge();
    const r = await call('GET', '/v1/bots/echo', { who: 'read' });
    expect(r.status).toBe(200);
    // Every acknowledged write is durable: the stored revision is at least the last one answered.
    expect(Number(JSON.parse(r.etag as string))).toBeGreaterThanOrEqual(Math.max(...acknowledged));
  });
});

describe('SIGHUP reload', () => {
  it('a valid file is applied to the next call; an invalid one is refused with the field named and the running config stays', async () => {
    const path = bridge.configPath as string;
    const text = readFileSync(path, 'utf8');
    // A new number (applied), and a changed logging section (reported: it needs a restart).
    writeFileSync(path, text.replace('"+15550100": { bot: echo }', '"+15550100": { bot: echo }\n      "+15550500": { bot: echo }').replace('logging: { level: debug }', 'logging: { level: info }'));
    const mark = bridge.logs.length;
    process.kill(bridge.pid, 'SIGHUP');
    const reloaded = await bridge.waitForLog((l) => l.msg === 'configuration reloaded (SIGHUP)' && bridge.logs.indexOf(l) >= mark);
    expect(reloaded).toMatchObject({ imported: true, restartRequired: ['logging'] });
    await bridge.waitForLog((l) => l.level === 40 && Array.isArray(l.sections) && bridge.logs.indexOf(l) >= mark);
    const numbers = (await call('GET', '/v1/numbers', { who: 'read' })).body.items.map((n: { number: string }) => n.number);
    expect(numbers.sort()).toEqual(['+15550100', '+15550500']);
    const routed = await sipp('uac-call-caller-hangup.xml', '+15550500');
    expect(routed.code, describeSipp(routed)).toBe(0);

    const revision = (await call('GET', '/v1/numbers', { who: 'read' })).etag;
    writeFileSync(path, text.replace('"+15550100": { bot: echo }', '"+15550100": { bot: nobody }'));
    const mark2 = bridge.logs.length;
    process.kill(bridge.pid, 'SIGHUP');
    const refused = await bridge.waitForLog((l) => l.msg.startsWith('reload refused') && bridge.logs.indexOf(l) >= mark2);
    expect(refused.level).toBe(50);
    expect(refused.issues).toEqual([{ path: 'inboundTrunks[0].numbers["+15550100"].bot', message: 'unknown bot "nobody"' }]);
    expect((await call('GET', '/v1/numbers', { who: 'read' })).etag).toBe(revision);
    const still = await sipp('uac-call-caller-hangup.xml', '+15550500');
    expect(still.code, describeSipp(still)).toBe(0);
  });

  it('POST /v1/reload answers the bad fields with 400', async () => {
    const r = await call('POST', '/v1/reload');
    expect(r.status).toBe(400);
    expect(r.body.issues[0].path).toBe('inboundTrunks[0].numbers["+15550100"].bot');
  });
});
