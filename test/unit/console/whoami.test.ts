import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createAuthorizer, guardV1, whoamiRoute } from '../../../src/api/admin/index.js';
import { silentLogger } from '../../../src/core/logger.js';

const KEYS = [
  { name: 'viewer', role: 'read' as const, key: 'read-key-0123456789' },
  { name: 'root', role: 'admin' as const, key: 'admin-key-0123456789' },
];
const SIP = [{ transport: 'udp', host: '203.0.113.5', port: 5060 }];

async function ask(method: string, authorization: string | undefined, url = '/v1/whoami'): Promise<{ status?: number; body: any; headers: Record<string, string> }> {
  const gate = guardV1(createAuthorizer(KEYS), [whoamiRoute(() => SIP)], silentLogger());
  const out: { status?: number; body: any; headers: Record<string, string> } = { body: undefined, headers: {} };
  const res = {
    writeHead(status: number, headers: Record<string, string> = {}) {
      out.status = status;
      out.headers = headers;
      return res;
    },
    end(body?: string) {
      out.body = body ? JSON.parse(body) : undefined;
      return res;
    },
  } as unknown as ServerResponse;
  const req = { method, url, headers: authorization ? { authorization } : {}, socket: { remoteAddress: '198.51.100.7' } } as unknown as IncomingMessage;
  await gate(req, res);
  return out;
}

describe('GET /v1/whoami', () => {
  it.each([
    ['Bearer read-key-0123456789', { key: 'viewer', role: 'read' }],
    ['Bearer admin-key-0123456789', { key: 'root', role: 'admin' }],
  ])('%s -> its name and role, never the key', async (auth, who) => {
    const a = await ask('GET', auth);
    expect(a.status).toBe(200);
    expect(a.body).toEqual({ ...who, sip: SIP });
    expect(JSON.stringify(a.body)).not.toContain('0123456789');
  });

  it('refuses an unknown key with 401 like every /v1 route', async () => {
    expect((await ask('GET', 'Bearer nope-nope-nope-nope')).status).toBe(401);
    expect((await ask('GET', undefined)).status).toBe(401);
  });

  it('takes GET only', async () => {
    const a = await ask('POST', 'Bearer admin-key-0123456789');
    expect(a.status).toBe(405);
    expect(a.headers.Allow).toBe('GET, HEAD');
  });
});
