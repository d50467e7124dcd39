/**
 * Forwarding another node's call commands (README "Past one machine"): real HTTP servers on loopback play the
 * owner node; the route under test runs in a second server, as it does behind the /v1 gate.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ANSWERED_BY, createCallForwarding, FORWARDED_BY, forwardFailure, ownerUrl, type CallOwners } from '../../../src/api/call-forwarding.js';
import { CallRejectedError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** The owner node: answers every request with 200 and what it saw. */
async function owner(seen: Seen[]): Promise<string> {
  return listen(async (req, res) => {
    let body = '';
    for await (const c of req) body += String(c);
    seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
    res.writeHead(req.url!.endsWith('/transfer') ? 409 : 200, { 'Content-Type': 'application/json', 'X-Other': 'dropped' }).end(JSON.stringify({ owner: true, url: req.url }));
  });
}

/** The forwarding node; requests its route leaves alone get 404 "local". */
async function forwarder(owners: CallOwners, o: { timeoutMs?: number } = {}): Promise<string> {
  const route = createCallForwarding(owners, { logger: silentLogger(), ...o });
  return listen((req, res) => {
    void route(req, res).then((handled) => {
      if (!handled) res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"local":true}');
    });
  });
}

const ownedBy = (node: string, apiUrl: string | undefined): CallOwners => ({
  nodeId: 'a',
  remoteOwner: async (id) => (id.startsWith('remote') ? { node, apiUrl } : undefined),
});

async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const r = await fetch(`${base}${path}`, { method, headers: { Authorization: 'Bearer k-0123456789abcdef', 'Content-Type': 'application/json', ...headers }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return { status: r.status, node: r.headers.get(ANSWERED_BY), other: r.headers.get('x-other'), body: (await r.json()) as Record<string, unknown> };
}

describe('call command forwarding', () => {
  it("sends hangup, transfer, GET and recording for another node's call to its apiUrl with the caller's Authorization, marked as forwarded", async () => {
    const seen: Seen[] = [];
    const base = await forwarder(ownedBy('b', `${await owner(seen)}/`));
    const hangup = await call(base, 'POST', '/v1/calls/remote-1/hangup', {});
    expect(hangup).toEqual({ status: 200, node: 'b', other: null, body: { owner: true, url: '/v1/calls/remote-1/hangup' } });
    // The owner's status comes back as it is (a failed transfer is its 409).
    expect((await call(base, 'POST', '/v1/calls/remote-1/transfer', { to: 'desk' })).status).toBe(409);
    expect((await call(base, 'GET', '/v1/calls/remote-1?x=1')).body.url).toBe('/v1/calls/remote-1?x=1');
    expect((await call(base, 'POST', '/v1/calls/remote-1/recording', { action: 'pause' })).status).toBe(200);
    expect(seen.map((s) => [s.method, s.url, s.body])).toEqual([
      ['POST', '/v1/calls/remote-1/hangup', '{}'],
      ['POST', '/v1/calls/remote-1/transfer', '{"to":"desk"}'],
      ['GET', '/v1/calls/remote-1?x=1', ''],
      ['POST', '/v1/calls/remote-1/recording', '{"action":"pause"}'],
    ]);
    for (const s of seen) {
      expect(s.headers.authorization).toBe('Bearer k-0123456789abcdef');
      expect(s.headers[FORWARDED_BY]).toBe('a');
    }
  });

  it('leaves alone: local calls, other paths, and a request that was already forwarded (no loops)', async () => {
    const seen: Seen[] = [];
    const base = await forwarder(ownedBy('b', await owner(seen)));
    expect((await call(base, 'POST', '/v1/calls/local-1/hangup', {})).body).toEqual({ local: true });
    expect((await call(base, 'GET', '/v1/calls')).body).toEqual({ local: true });
    expect((await call(base, 'POST', '/v1/calls/remote-1/dance', {})).body).toEqual({ local: true });
    expect((await call(base, 'POST', '/v1/calls/remote-1/hangup', {}, { [FORWARDED_BY]: 'c' })).body).toEqual({ local: true });
    expect(seen).toEqual([]);
  });

  it('an owner that cannot be reached: 502 node-unreachable naming the node; no apiUrl: the same', async () => {
    const hangsUp = await listen((req) => req.socket.destroy());
    const base = await forwarder(ownedBy('b', hangsUp));
    const r = await call(base, 'POST', '/v1/calls/remote-1/hangup', {});
    expect(r.status).toBe(502);
    expect(r.body.error).toBe('node-unreachable');
    expect(r.body.node).toBe('b');
    expect(String(r.body.message)).toContain('node b');

    const noUrl = await forwarder(ownedBy('c', undefined));
    const r2 = await call(noUrl, 'POST', '/v1/calls/remote-1/hangup', {});
    expect([r2.status, r2.body.error, r2.body.node]).toEqual([502, 'node-unreachable', 'c']);
    expect(String(r2.body.message)).toContain('store.apiUrl');
  });

  it('an owner that does not answer in time: 504 node-timeout naming the node', async () => {
    const silent = await listen(() => undefined);
    const base = await forwarder(ownedBy('b', silent), { timeoutMs: 150 });
    const r = await call(base, 'GET', '/v1/calls/remote-1');
    expect([r.status, r.body.error, r.body.node]).toEqual([504, 'node-timeout', 'b']);
  });

  it('the store cannot be asked who owns the call: 503 store-unreachable', async () => {
    const base = await forwarder({
      nodeId: 'a',
      remoteOwner: async () => {
        throw new CallRejectedError('store-unreachable', 'the shared store cannot be reached');
      },
    });
    const r = await call(base, 'POST', '/v1/calls/x/hangup', {});
    expect([r.status, r.body.error]).toEqual([503, 'store-unreachable']);
  });

  it.each([
    ['http://b:8080', '/v1/calls/x', 'http://b:8080/v1/calls/x'],
    ['http://b:8080/', '/v1/calls/x', 'http://b:8080/v1/calls/x'],
    ['https://b/api//', '/v1/calls/x/hangup?q', 'https://b/api/v1/calls/x/hangup?q'],
  ])('ownerUrl(%s, %s) = %s', (api, path, want) => {
    expect(ownerUrl(api, path)).toBe(want);
  });

  it.each([
    [Object.assign(new Error('t'), { name: 'TimeoutError' }), 'node-timeout'],
    [Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('x'), { name: 'TimeoutError' }) }), 'node-timeout'],
    [Object.assign(new TypeError('fetch failed'), { cause: new Error('connect ECONNREFUSED') }), 'node-unreachable'],
  ])('forwardFailure(%s) = %s', (err, want) => {
    expect(forwardFailure(err)).toBe(want);
  });
});
