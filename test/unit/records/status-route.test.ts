/** `GET /v1/webhooks/status` on a real HTTP server: its own path only, the bearer token, GET only. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { webhookStatusRoute } from '../../../src/records/status-route.js';

let server: Server | undefined;

async function serve(token?: string): Promise<string> {
  const route = webhookStatusRoute(() => ({ webhooks: [{ url: 'https://h/in', pending: 2 }] }), token !== undefined ? { token } : {});
  server = createServer((req, res) => {
    void route(req, res).then((answered) => {
      if (!answered) res.writeHead(404).end('not mine');
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

describe('webhook status route', () => {
  it('answers loopback clients without a token, and only its own path', async () => {
    const base = await serve();
    const res = await fetch(`${base}/v1/webhooks/status?x=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ webhooks: [{ url: 'https://h/in', pending: 2 }] });
    expect((await fetch(`${base}/v1/webhooks`)).status).toBe(404);
  });

  it('with a token: 401 without or with a wrong bearer, 200 with it; 405 for anything but GET', async () => {
    const token = 'a-long-random-bearer-token';
    const base = await serve(token);
    const url = `${base}/v1/webhooks/status`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { Authorization: 'Bearer wrong-token-of-some-length' } })).status).toBe(401);
    expect((await fetch(url, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
    const post = await fetch(url, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
  });
});
