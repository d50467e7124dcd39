/**
 * The admin API over real HTTP against the real bridge process: what it answers, resource by resource:
 *  - API keys by role (401 / 403), refusals logged without the key;
 *  - CRUD on every resource (secrets write-only), registrations' state and refresh, a trunk's allow list and SIP
 *    users as sub-resources;
 *  - refusals: 400 naming fields, 404, 405, 409, 412 (If-Match).
 * How changes reach calls, survive a restart or a SIGKILL, and SIGHUP reload: admin-api-changes.test.ts.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BridgeProcess } from './harness/bridge-process.js';
import { KEYS, adminCall, adminYaml, startAdminBridge, type Reply, type Who } from './harness/admin-api.js';
import { reservePorts } from '../helpers/ports.js';

let dataDir: string;
let bridge: BridgeProcess;

function call(method: string, path: string, o: { who?: Who; body?: unknown; ifMatch?: string } = {}): Promise<Reply> {
  return adminCall(bridge.metricsPort, method, path, o);
}

beforeAll(async () => {
  dataDir = join(mkdtempSync(join(tmpdir(), 'tb-admin-')), 'data');
  bridge = await startAdminBridge(adminYaml({ dataDir, rtpBase: await reservePorts(10) }));
});

afterAll(async () => {
  await bridge?.stop();
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
