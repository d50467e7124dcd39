/**
 * `GET /v1/webhooks/status` as app/records.ts and app/ops.ts wire it, on a real HTTP server: its own path only,
 * behind the /v1 API-key gate (bearer key with role read or more, else loopback clients when no key is set), GET only.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/index.js';
import { buildCallRecords, webhookStatusRoutes } from '../../../src/app/records.js';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { RecordsMetrics } from '../../../src/metrics/index.js';
import { Registry } from 'prom-client';
import type { CallRecords } from '../../../src/records/index.js';
import { apiKeysOf } from '../../../src/app/ops.js';
import { createAuthorizer, guardV1 } from '../../../src/api/admin/index.js';

let server: Server | undefined;
let records: CallRecords | undefined;

async function serve(apiYaml: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tb-status-'));
  const config = parseConfig(`${apiYaml}\ncallRecords: { dir: "${dir}" }\nwebhooks: [{ url: "https://user:pw@hooks.example.com/in?k=v", secret: whsec-0123456789abcdef }]\n`);
  records = buildCallRecords(config, new ManualClock(), silentLogger(), new RecordsMetrics(new Registry()));
  await records!.start();
  const route = guardV1(createAuthorizer(apiKeysOf(config)), [webhookStatusRoutes(config, records)!], silentLogger());
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
  await records?.close();
  server = undefined;
});

describe('webhook status route', () => {
  it('answers loopback clients without a token, and only its own path; no credentials in the URL it shows', async () => {
    const base = await serve('');
    const res = await fetch(`${base}/v1/webhooks/status?x=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = (await res.json()) as { webhooks: Array<Record<string, unknown>> };
    expect(body.webhooks).toEqual([expect.objectContaining({ url: 'https://hooks.example.com/in?…', state: 'idle', pending: 0 })]);
    expect(JSON.stringify(body)).not.toMatch(/whsec|user:pw|k=v/);
    expect((await fetch(`${base}/v1/webhooks`)).status).toBe(404);
  });

  it('with api.token: 401 without or with a wrong bearer, 200 with it; 405 for anything but GET', async () => {
    const token = 'a-long-random-bearer-token';
    const base = await serve(`api: { token: ${token} }`);
    const url = `${base}/v1/webhooks/status`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { Authorization: 'Bearer wrong-token-of-some-length' } })).status).toBe(401);
    expect((await fetch(url, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
    const post = await fetch(url, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
  });
});
