/**
 * The admin API over real HTTP against the real bridge process, with SIPp as the carrier:
 *  - API keys by role (401 / 403), CRUD on every resource, 400 naming fields, 409, 412 (If-Match);
 *  - a number created by the API routes the next SIPp call; an allow entry deleted makes the next call 403;
 *  - a restart keeps every change (the store under dataDir); a SIGKILL in the middle of writes leaves a store
 *    the next start reads; the API on a listener of its own;
 *  - SIGHUP with a valid file (applied) and an invalid one (error naming the field, running config stays).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BridgeProcess, runCli } from './harness/bridge-process.js';
import { describeSipp, runSipp } from './harness/sipp.js';
import { RtpListener } from './harness/rtp-listener.js';
import { TestBotServer } from './harness/test-bot.js';
import { testConfig } from './harness/config.js';
import { reservePorts } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait-for.js';

const KEYS = { read: 'read-key-0123456789abc', operate: 'operate-key-0123456789a', admin: 'admin-key-0123456789abc' } as const;
type Who = keyof typeof KEYS | 'none' | 'wrong';

let dataDir: string;
let rtpBase: number;
let listener: RtpListener;
let bridge: BridgeProcess;

function yaml(o: { apiListen?: boolean } = {}): string {
  return `${testConfig({
    rtpPortMin: rtpBase,
    rtpPortMax: rtpBase + 9,
    allow: ['127.0.0.1', '127.0.0.2'],
    bots: { echo: '{ builtin: echo }' },
    numbers: { '+15550100': 'echo' },
    extraMedia: '  workers: 0',
  })}api:
  keys:
    - { name: viewer, role: read, key: ${KEYS.read} }
    - { name: dialer, role: operate, key: ${KEYS.operate} }
    - { name: root, role: admin, keyEnv: TB_TEST_ADMIN_KEY }
${o.apiListen ? '  listen: { host: 127.0.0.1, port: 0 }\n' : ''}dataDir: ${dataDir}
`;
}

function startBridge(text = yaml()): Promise<BridgeProcess> {
  const b = new BridgeProcess(text, { TB_TEST_ADMIN_KEY: KEYS.admin });
  return b.start().then(() => b);
}

interface Reply {
  status: number;
  body: any;
  etag: string | null;
  text: string;
  headers: Headers;
}

async function call(method: string, path: string, o: { who?: Who; body?: unknown; ifMatch?: string; port?: number } = {}): Promise<Reply> {
  const who = o.who ?? 'admin';
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (who === 'wrong') headers.Authorization = 'Bearer not-a-key-at-all-0000';
  else if (who !== 'none') headers.Authorization = `Bearer ${KEYS[who]}`;
  if (o.ifMatch !== undefined) headers['If-Match'] = o.ifMatch;
  const res = await fetch(`http://127.0.0.1:${o.port ?? bridge.metricsPort}${path}`, { method, headers, ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}) });
  const text = await res.text();
  const json = (res.headers.get('content-type') ?? '').startsWith('application/json');
  return { status: res.status, body: json && text ? JSON.parse(text) : undefined, etag: res.headers.get('etag'), text, headers: res.headers };
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

describe('API keys and roles', () => {
  it.each<[string, string, Who, number]>([
    ['GET', '/v1/numbers', 'none', 401],
    ['GET', '/v1/numbers', 'wrong', 401],
    ['GET', '/v1/numbers', 'read', 200],
    ['POST', '/v1/numbers', 'read', 403],
    ['POST', '/v1/numbers', 'operate', 403],
    ['POST', '/v1/reload', 'operate', 403],
    ['POST', '/v1/calls/no-such-call/hangup', 'read', 403],
    ['POST', '/v1/calls/no-such-call/hangup', 'operate', 404],
    ['GET', '/v1/openapi.json', 'read', 200],
  ])('%s %s as %s -> %i', async (method, path, who, status) => {
    const r = await call(method, path, { who, ...(method === 'POST' ? { body: {} } : {}) });
    expect(r.status, r.text).toBe(status);
    if (status === 401) expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
    if (status === 403) expect(r.body.error).toBe('forbidden');
  });

  it('logs refusals with the reason, never a key', async () => {
    await call('POST', '/v1/bots', { who: 'read', body: { name: 'x', builtin: 'echo' } });
    await bridge.waitForLog((l) => l.msg === 'API request refused' && l.status === 403);
    const all = JSON.stringify(bridge.logs);
    for (const k of Object.values(KEYS)) expect(all).not.toContain(k);
  });
});

/** One resource's CRUD round: the item to create, a replacement, a patch, and a secret that must never come back. */
interface Crud {
  path: string;
  key: string;
  create: Record<string, unknown>;
  replace: Record<string, unknown>;
  patch: Record<string, unknown>;
  expectAfterPatch: Record<string, unknown>;
  secret?: string;
}

const CRUD: Crud[] = [
  {
    path: '/v1/bots',
    key: 'support',
    create: { name: 'support', url: 'ws://127.0.0.1:9/bot', headers: { Authorization: 'Bearer bot-t0ken-s3cret' } },
    replace: { name: 'support', url: 'ws://127.0.0.1:9/other' },
    patch: { connectTimeoutMs: 1500 },
    expectAfterPatch: { name: 'support', url: 'ws://127.0.0.1:9/other', connectTimeoutMs: 1500, secretsSet: ['headers'] },
    secret: 'bot-t0ken-s3cret',
  },
  {
    path: '/v1/outbound-trunks',
    key: 'carrier-out',
    create: { name: 'carrier-out', host: '127.0.0.1', port: 5999, auth: { username: 'acct', password: 'Outb0und-S3cret' } },
    replace: { name: 'carrier-out', host: '127.0.0.1', port: 6001, auth: { username: 'acct' } },
    patch: { callerId: '+15550000' },
    expectAfterPatch: { name: 'carrier-out', host: '127.0.0.1', port: 6001, auth: { username: 'acct' }, callerId: '+15550000' },
    secret: 'Outb0und-S3cret',
  },
  {
    path: '/v1/transfer-destinations',
    key: 'desk',
    create: { name: 'desk', uri: 'sip:desk@127.0.0.1:5999' },
    replace: { name: 'desk', uri: 'sip:desk2@127.0.0.1:5999', method: 'refer' },
    patch: { ringTimeoutSec: 20 },
    expectAfterPatch: { name: 'desk', uri: 'sip:desk2@127.0.0.1:5999', method: 'refer', ringTimeoutSec: 20 },
  },
  {
    path: '/v1/registrations',
    key: 'pbx',
    create: { name: 'pbx', server: '127.0.0.1', port: 9, username: '1001', password: 'Reg1stration-S3cret', bot: 'echo', retrySec: 60 },
    replace: { name: 'pbx', server: '127.0.0.1', port: 9, username: '1002', bot: 'echo', retrySec: 60 },
    patch: { expires: 600 },
    expectAfterPatch: { name: 'pbx', server: '127.0.0.1', port: 9, username: '1002', bot: 'echo', retrySec: 60, expires: 600, secretsSet: ['password'] },
    secret: 'Reg1stration-S3cret',
  },
  {
    path: '/v1/inbound-trunks',
    key: 'pbx-trunk',
    create: { name: 'pbx-trunk', allow: ['127.0.0.9'], credentials: [{ username: 'pbxuser', password: 'Abcdefgh1234-S3cret' }] },
    replace: { name: 'pbx-trunk', allow: ['127.0.0.10'], credentials: [{ username: 'pbxuser' }] },
    patch: { maxConcurrentCalls: 3 },
    expectAfterPatch: { name: 'pbx-trunk', allow: ['127.0.0.10'], credentials: [{ username: 'pbxuser' }], maxConcurrentCalls: 3 },
    secret: 'Abcdefgh1234-S3cret',
  },
  {
    path: '/v1/numbers',
    key: '+15550300',
    create: { number: '+15550300', trunk: 'carrier-a', bot: 'echo' },
    replace: { number: '+15550300', trunk: 'carrier-a', mode: 'pstn', forwardTo: { uri: 'sip:pbx@127.0.0.1:5999' } },
    patch: { mode: null, forwardTo: null, bot: 'echo' },
    expectAfterPatch: { number: '+15550300', trunk: 'carrier-a', bot: 'echo' },
  },
];

describe('CRUD on every resource', () => {
  it.each(CRUD.map((c) => [c.path, c] as const))('%s: create, get, list, replace, patch, delete', async (_p, c) => {
    const item = `${c.path}/${encodeURIComponent(c.key)}`;
    const created = await call('POST', c.path, { body: c.create });
    expect(created.status, created.text).toBe(201);
    expect(created.headers.get('location')).toBe(item);
    const got = await call('GET', item, { who: 'read' });
    expect(got.status).toBe(200);
    const list = await call('GET', c.path, { who: 'read' });
    expect(list.body.items.map((i: Record<string, unknown>) => i[c.path === '/v1/numbers' ? 'number' : 'name'])).toContain(c.key);
    const replaced = await call('PUT', item, { body: c.replace });
    expect(replaced.status, replaced.text).toBe(200);
    const patched = await call('PATCH', item, { body: c.patch });
    expect(patched.status, patched.text).toBe(200);
    const { state: _state, ...shown } = patched.body;
    expect(shown).toEqual(c.expectAfterPatch);
    if (c.secret !== undefined) {
      // Write-only: never answered, never logged, but still stored (the replace omitted it).
      for (const r of [created, got, list, replaced, patched]) expect(r.text).not.toContain(c.secret);
      expect(JSON.stringify(bridge.logs)).not.toContain(c.secret);
      expect(readFileSync(join(dataDir, 'config-store.json'), 'utf8')).toContain(c.secret);
    }
    const deleted = await call('DELETE', item);
    expect(deleted.status).toBe(204);
    expect((await call('GET', item)).status).toBe(404);
  });

  it('registrations answer their state, and refresh sends a REGISTER now', async () => {
    expect((await call('POST', '/v1/registrations', { body: { name: 'pbx2', server: '127.0.0.1', port: 9, username: '1003', password: 'Reg1stration-S3cret', bot: 'echo', retrySec: 60 } })).status).toBe(201);
    const got = await call('GET', '/v1/registrations/pbx2', { who: 'read' });
    expect(['registering', 'registered', 'failed']).toContain(got.body.state);
    // What GET answers can be sent back as it is (the state is not configuration).
    const putBack = await call('PUT', '/v1/registrations/pbx2', { body: got.body });
    expect(putBack.status, putBack.text).toBe(200);
    const refreshed = await call('POST', '/v1/registrations/pbx2/refresh');
    expect(refreshed.status, refreshed.text).toBe(202);
    expect((await call('POST', '/v1/registrations/nope/refresh')).status).toBe(404);
    expect((await call('DELETE', '/v1/registrations/pbx2')).status).toBe(204);
  });

  it("a trunk's allow list and SIP users as sub-resources (passwords write-only)", async () => {
    const base = '/v1/inbound-trunks/carrier-a';
    expect((await call('POST', `${base}/allow`, { body: { address: '10.1.0.0/16' } })).status).toBe(201);
    expect((await call('POST', `${base}/allow`, { body: { address: '10.1.0.0/16' } })).status).toBe(409);
    expect((await call('GET', `${base}/allow`, { who: 'read' })).body.allow).toEqual(['127.0.0.1', '127.0.0.2', '10.1.0.0/16']);
    expect((await call('DELETE', `${base}/allow/${encodeURIComponent('10.1.0.0/16')}`)).status).toBe(204);
    const bad = await call('POST', `${base}/allow`, { body: { address: '10.1.0.0/99' } });
    expect(bad.status).toBe(400);
    expect(bad.body.issues[0]).toMatchObject({ field: 'allow[2]', message: 'prefix length must be 0..32' });
    expect((await call('POST', `${base}/credentials`, { body: { username: 'agent7', password: 'Agent7-Passw0rd' } })).status).toBe(201);
    const weak = await call('PUT', `${base}/credentials/agent7`, { body: { password: 'short' } });
    expect(weak.status).toBe(400);
    expect(weak.body.issues[0].field).toBe('credentials[0].password');
    // A trunk PATCH that sends its users without passwords keeps them (the list is matched by username).
    const kept = await call('PATCH', base, { body: { credentials: [{ username: 'agent7' }] } });
    expect(kept.status, kept.text).toBe(200);
    expect(readFileSync(join(dataDir, 'config-store.json'), 'utf8')).toContain('Agent7-Passw0rd');
    const users = await call('GET', `${base}/credentials`, { who: 'read' });
    expect(users.body).toEqual({ credentials: [{ username: 'agent7' }] });
    expect((await call('DELETE', `${base}/credentials/agent7`)).status).toBe(204);
  });
});

describe('refusals', () => {
  it('400 names every bad field of the item', async () => {
    const r = await call('POST', '/v1/inbound-trunks', {
      body: { name: 'bad', allow: ['300.1.1.1'], credentials: [{ username: 'u', password: 'weak' }], bogus: true, srtp: 'sometimes' },
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('bad-request');
    expect(r.body.issues.map((i: { field: string }) => i.field).sort()).toEqual(['allow[0]', 'bogus', 'credentials[0].password', 'srtp']);
    expect((await call('GET', '/v1/inbound-trunks/bad')).status).toBe(404);
  });

  it('400 for a body that is not JSON, and for a number whose bot does not exist', async () => {
    const res = await fetch(`http://127.0.0.1:${bridge.metricsPort}/v1/bots`, { method: 'POST', headers: { Authorization: `Bearer ${KEYS.admin}` }, body: '{"name": ' });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toBe('bad-json');
    const r = await call('POST', '/v1/numbers', { body: { number: '+15550301', trunk: 'carrier-a', bot: 'ghost' } });
    expect(r.status).toBe(400);
    expect(r.body.issues).toEqual([expect.objectContaining({ field: 'bot', message: 'unknown bot "ghost"' })]);
  });

  it('405 with Allow for a method a route does not take; 404 for an unknown item or route', async () => {
    const r = await call('DELETE', '/v1/bots');
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('GET, POST');
    expect((await call('GET', '/v1/bots/no-such-bot')).status).toBe(404);
    expect((await call('POST', '/v1/no-such-resource', { body: {} })).status).toBe(404);
  });

  it('400 names a bad item name as the key field', async () => {
    const r = await call('POST', '/v1/bots', { body: { name: 'bad name!', builtin: 'echo' } });
    expect(r.status).toBe(400);
    expect(r.body.issues).toEqual([expect.objectContaining({ field: 'name', message: expect.stringContaining('must be 1-64 chars') })]);
  });

  it('409: one number, one owner (with or without "+"); an existing name; a bot still routed to', async () => {
    expect((await call('POST', '/v1/inbound-trunks', { body: { name: 'other', allow: ['127.0.0.8'] } })).status).toBe(201);
    const taken = await call('POST', '/v1/numbers', { body: { number: '15550100', trunk: 'other', bot: 'echo' } });
    expect(taken.status).toBe(409);
    expect(taken.body.message).toContain('carrier-a');
    expect((await call('POST', '/v1/inbound-trunks', { body: { name: 'other', allow: ['127.0.0.8'] } })).status).toBe(409);
    const inUse = await call('DELETE', '/v1/bots/echo');
    expect(inUse.status).toBe(409);
    expect(inUse.body.issues[0].path).toBe('inboundTrunks[0].numbers["+15550100"].bot');
    expect((await call('DELETE', '/v1/inbound-trunks/other')).status).toBe(204);
  });

  it('412: a change based on an older revision (If-Match) is refused; the current one goes through', async () => {
    const read = await call('GET', '/v1/bots/echo', { who: 'read' });
    const etag = read.etag as string;
    expect(etag).toMatch(/^"\d+"$/);
    const ok = await call('PATCH', '/v1/bots/echo', { body: { delayFrames: 1 }, ifMatch: etag });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.etag).not.toBe(etag);
    const stale = await call('PATCH', '/v1/bots/echo', { body: { delayFrames: 2 }, ifMatch: etag });
    expect(stale.status).toBe(412);
    expect(stale.body.error).toBe('stale-revision');
    expect((await call('GET', '/v1/bots/echo')).body.delayFrames).toBe(1);
  });
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
