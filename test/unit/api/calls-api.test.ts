import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createCallsApi, type CallsControl } from '../../../src/api/calls-api.js';
import { CallRejectedError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

async function serve(control: CallsControl, token?: string): Promise<string> {
  const api = createCallsApi(control, { logger: silentLogger(), ...(token ? { token } : {}) });
  server = createServer((req, res) => {
    void api(req, res).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

const control: CallsControl = {
  placeCall: async (req) => {
    if (req.to === '+1486') return { callId: 'c2', sipCallId: 's2', answered: Promise.reject(new CallRejectedError('busy-here')) };
    return { callId: 'c1', sipCallId: 's1', answered: Promise.resolve() };
  },
  hangup: (id) => (id === 'c1' ? 'hangup' : id === 'r1' ? 'cancelled' : false),
  transfer: (id, cmd) => (id === 'c1' ? Promise.resolve(cmd.to === 'desk' ? { type: 'transfer', status: 'completed' } : { type: 'transfer', status: 'failed', reason: 'not-allowed' }) : undefined),
};

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const r = await fetch(url, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers });
  return { status: r.status, body: await r.json().catch(() => null) };
}

describe('calls API', () => {
  it('places calls and reports SIP failures with their status', async () => {
    const base = await serve(control);
    expect(await post(`${base}/v1/calls`, { to: '+1555', trunk: 't', bot: 'b' })).toEqual({ status: 200, body: { callId: 'c1', sipCallId: 's1', status: 'answered' } });
    expect(await post(`${base}/v1/calls`, { to: '+1486', trunk: 't', bot: 'b' })).toEqual({
      status: 502,
      body: { callId: 'c2', sipCallId: 's2', status: 'failed', sipStatus: 486, reason: 'busy-here' },
    });
    expect((await post(`${base}/v1/calls`, '{not json')).body).toMatchObject({ error: 'bad-json' });
    expect((await post(`${base}/v1/calls`, { to: '+1', trunk: 't', bot: 'b', extra: 1 })).status).toBe(400);
    expect((await fetch(`${base}/v1/calls`, { method: 'DELETE' })).status).toBe(405);
  });

  it('lists live calls and describes one; an unknown id is 404 unknown-call; writes to one call are 405', async () => {
    const live = { callId: 'c1', sipCallId: 's1', state: 'answered', media: { packetsReceived: 10, mos: 4.4 } };
    const base = await serve({ ...control, list: () => [live], describe: (id) => (id === 'c1' ? live : undefined) });
    const list = await fetch(`${base}/v1/calls`);
    expect(list.headers.get('content-type')).toBe('application/json');
    expect(await list.json()).toEqual({ calls: [live] });
    expect(await (await fetch(`${base}/v1/calls/c1`)).json()).toEqual(live);
    const unknown = await fetch(`${base}/v1/calls/nope`);
    expect([unknown.status, await unknown.json()]).toEqual([404, { error: 'unknown-call' }]);
    const put = await fetch(`${base}/v1/calls/c1`, { method: 'PUT', body: '{}' });
    expect([put.status, put.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    expect((await fetch(`${base}/v1/calls/c1/hangup`)).status).toBe(405);
  });

  it('"wait": false answers 202 ringing at once, and the call placed is the request without "wait"', async () => {
    let answer: () => void = () => {};
    let fail: (err: Error) => void = () => {};
    const seen: unknown[] = [];
    const base = await serve({
      ...control,
      placeCall: async (req) => {
        seen.push(req);
        const answered = new Promise<void>((resolve, reject) => {
          answer = resolve;
          fail = reject;
        });
        return { callId: 'r1', sipCallId: 's9', answered };
      },
    });
    expect(await post(`${base}/v1/calls`, { to: '+1555', trunk: 't', bot: 'b', wait: false })).toEqual({ status: 202, body: { callId: 'r1', sipCallId: 's9', status: 'ringing' } });
    expect(seen).toEqual([{ to: '+1555', trunk: 't', bot: 'b' }]);
    // A failure after the 202 has no one to go to and must not be an unhandled rejection.
    fail(new CallRejectedError('cancelled'));
    await new Promise((r) => setTimeout(r, 10));
    // "wait": true is the default spelled out.
    const waiting = post(`${base}/v1/calls`, { to: '+1555', trunk: 't', bot: 'b', wait: true });
    await new Promise((r) => setTimeout(r, 20));
    answer();
    expect(await waiting).toEqual({ status: 200, body: { callId: 'r1', sipCallId: 's9', status: 'answered' } });
    expect((await post(`${base}/v1/calls`, { to: '+1555', trunk: 't', bot: 'b', wait: 'no' })).body).toMatchObject({ error: 'bad-request', issues: [expect.stringMatching(/^wait: /)] });
  });

  it('a hangup of a ringing call answers "cancelled"; a transfer of one is refused 409 not-answered-yet', async () => {
    const base = await serve({ ...control, transfer: async () => Promise.reject(new CallRejectedError('not-answered-yet', 'the call is not answered yet')) });
    expect(await post(`${base}/v1/calls/r1/hangup`, {})).toEqual({ status: 200, body: { callId: 'r1', status: 'cancelled' } });
    expect(await post(`${base}/v1/calls/r1/transfer`, { to: 'desk' })).toEqual({ status: 409, body: { error: 'not-answered-yet', message: 'the call is not answered yet' } });
  });

  it('a control without list answers an empty list', async () => {
    const base = await serve(control);
    expect(await (await fetch(`${base}/v1/calls`)).json()).toEqual({ calls: [] });
  });

  it("a cluster's list (a promise): every node's calls, or 503 store-unreachable when the store cannot be read", async () => {
    const calls = [{ callId: 'a1', node: 'a' }, { callId: 'b1', node: 'b' }];
    const up = await serve({ ...control, list: async () => calls });
    expect(await (await fetch(`${up}/v1/calls`)).json()).toEqual({ calls });
    server!.close();
    const down = await serve({ ...control, list: async () => Promise.reject(new CallRejectedError('store-unreachable', 'the shared store cannot be reached')) });
    const r = await fetch(`${down}/v1/calls`);
    expect(r.status).toBe(503);
    expect(await r.json()).toMatchObject({ error: 'store-unreachable' });
  });

  it('hangup and transfer act on known calls only', async () => {
    const base = await serve(control);
    expect(await post(`${base}/v1/calls/c1/hangup`, {})).toEqual({ status: 200, body: { callId: 'c1', status: 'hangup' } });
    expect((await post(`${base}/v1/calls/zz/hangup`, {})).status).toBe(404);
    expect(await post(`${base}/v1/calls/c1/transfer`, { to: 'desk' })).toEqual({ status: 200, body: { type: 'transfer', status: 'completed' } });
    expect((await post(`${base}/v1/calls/c1/transfer`, { to: 'x' })).status).toBe(409);
    expect((await post(`${base}/v1/calls/c1/transfer`, { to: 'x', method: 'blind' })).status).toBe(400);
    expect((await post(`${base}/v1/calls/zz/transfer`, { to: 'desk' })).status).toBe(404);
  });

  it('with a token, requests without the right bearer get 401', async () => {
    const base = await serve(control, 'token-0123456789abcdef');
    expect((await post(`${base}/v1/calls/c1/hangup`, {})).status).toBe(401);
    expect((await post(`${base}/v1/calls/c1/hangup`, {}, { Authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await post(`${base}/v1/calls/c1/hangup`, {}, { Authorization: 'Bearer token-0123456789abcdef' })).status).toBe(200);
    expect((await fetch(`${base}/v1/calls`)).status).toBe(401);
  });
});
