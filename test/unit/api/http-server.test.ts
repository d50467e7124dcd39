// The ops listener: /healthz is liveness (200 while serving, draining included), /readyz readiness (503 when any
// check fails), /metrics the Prometheus text; routes it is given answer first; unknown paths 404.
import { afterEach, describe, expect, it } from 'vitest';
import { OpsHttpServer, type OpsSource } from '../../../src/api/http-server.js';
import { silentLogger } from '../../../src/core/logger.js';

let server: OpsHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(state: { draining: boolean; checks: Record<string, boolean> }): Promise<string> {
  const source: OpsSource = {
    metricsText: async () => 'trunkbridge_up 1\n',
    metricsContentType: 'text/plain; version=0.0.4; charset=utf-8',
    health: () => ({ status: state.draining ? 'draining' : 'ok', activeCalls: 2 }),
    readiness: () => ({ ready: Object.values(state.checks).every(Boolean), checks: state.checks }),
  };
  server = new OpsHttpServer(source, silentLogger(), async (req, res) => {
    if (req.url !== '/v1/ping') return false;
    res.writeHead(204).end();
    return true;
  });
  const addr = await server.listen('127.0.0.1', 0);
  return `http://127.0.0.1:${addr.port}`;
}

async function get(url: string): Promise<[number, unknown]> {
  const r = await fetch(url);
  const text = await r.text();
  return [r.status, r.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text];
}

describe('OpsHttpServer', () => {
  it('ready: 200 on both probes', async () => {
    const base = await serve({ draining: false, checks: { listening: true, notDraining: true } });
    expect(await get(`${base}/healthz`)).toEqual([200, { status: 'ok', activeCalls: 2 }]);
    expect(await get(`${base}/readyz`)).toEqual([200, { status: 'ready', checks: { listening: true, notDraining: true } }]);
    expect(await get(`${base}/metrics`)).toEqual([200, 'trunkbridge_up 1\n']);
  });

  it('draining: alive (200) but not ready (503), naming the failed check', async () => {
    const base = await serve({ draining: true, checks: { listening: true, notDraining: false, store: true } });
    expect(await get(`${base}/healthz`)).toEqual([200, { status: 'draining', activeCalls: 2 }]);
    expect(await get(`${base}/readyz`)).toEqual([503, { status: 'not-ready', checks: { listening: true, notDraining: false, store: true } }]);
  });

  it('given routes first; unknown paths 404; writes to the probes 405', async () => {
    const base = await serve({ draining: false, checks: { listening: true } });
    expect((await fetch(`${base}/v1/ping`)).status).toBe(204);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    const post = await fetch(`${base}/readyz`, { method: 'POST' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
  });
});
