/**
 * GET /v1/call-records behind the real /v1 gate on a loopback server, over the CDR fixtures
 * (fixtures/records/cdr/) read by records/' reader: the answer's shape (recordingUrl), pages, and a 400 naming
 * each bad parameter; a bridge without CDR files answers 404 saying why.
 */
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthorizer, guardV1 } from '../../../src/api/admin/index.js';
import { callRecordsRoute, parseCallRecordsQuery, type CallRecordsSource } from '../../../src/api/call-records-route.js';
import { decodeCursor, readCdrPage, type CdrCursor } from '../../../src/records/index.js';
import { silentLogger } from '../../../src/core/logger.js';
import { openApiDocument } from '../../../src/api/admin/openapi.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/records/cdr/', import.meta.url));
const KEYS = [{ name: 'viewer', role: 'read' as const, key: 'read-key-0123456789' }];
const source: CallRecordsSource<CdrCursor> = { decodeCursor, page: (q) => readCdrPage(FIXTURES, q) };

let server: Server | undefined;

async function serve(src: CallRecordsSource<CdrCursor> | undefined): Promise<string> {
  const gate = guardV1(createAuthorizer(KEYS), [callRecordsRoute(src, silentLogger())], silentLogger());
  server = createServer((req, res) => void gate(req, res));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

async function get(base: string, query: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}/v1/call-records${query}`, { headers: { Authorization: 'Bearer read-key-0123456789' } });
  return { status: res.status, body: await res.json() };
}

describe('parseCallRecordsQuery', () => {
  const parse = (q: string) => parseCallRecordsQuery(new URLSearchParams(q), decodeCursor);
  it.each([
    ['', { limit: 50 }],
    ['trunk=carrier-a&number=%2B15550100', { limit: 50, trunk: 'carrier-a', number: '+15550100' }],
    ['result=answered', { limit: 50, result: 'answered' }],
    ['result=486', { limit: 50, result: 486 }],
    ['from=2026-12-05&to=2026-12-05T12:00:00%2B01:00&limit=200', { limit: 200, fromMs: Date.parse('2026-12-05T00:00:00Z'), toMs: Date.parse('2026-12-05T11:00:00Z') }],
  ])('%s', (q, want) => {
    expect(parse(q)).toEqual(want);
  });

  it.each([
    ['limit=0', 'limit', 'must be 1..200'],
    ['limit=201', 'limit', 'must be 1..200'],
    ['limit=ten', 'limit', 'must be a whole number 1..200'],
    ['result=busy', 'result', 'must be answered, unanswered or a SIP status (e.g. 486)'],
    ['from=yesterday', 'from', 'must be an ISO 8601 time (2026-12-05T16:20:00Z) or a date (2026-12-05)'],
    ['from=2026-12-05&to=2026-12-04', 'to', 'must be after from'],
    ['cursor=abc', 'cursor', 'not a cursor of this API (use nextCursor as answered)'],
    ['number=%3Cscript%3E', 'number', 'must be a number or SIP user like +15550100'],
    ['trunks=a', 'trunks', 'unknown parameter'],
    ['trunk=a&trunk=b', 'trunk', 'given more than once'],
  ])('%s: 400 naming %s', (q, field, message) => {
    let err: any;
    try {
      parse(q);
    } catch (e) {
      err = e;
    }
    expect(err?.reason).toBe('bad-request');
    expect(err.details.issues).toContainEqual({ field, path: field, message });
  });
});

describe('GET /v1/call-records', () => {
  it('answers records newest first with recordingUrl, and pages with nextCursor', async () => {
    const base = await serve(source);
    const first = await get(base, '?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.items.map((r: any) => r.callId.slice(-1))).toEqual(['5', '4']);
    expect(first.body.items[1]).toMatchObject({ sipStatus: 200, quality: { received: { mos: 4.39, packetsLost: 2, jitterMs: 1.3 } }, recordingUrl: '/v1/calls/c0ffee00-0000-4000-8000-000000000004/recording' });
    expect(first.body.items[0].recordingUrl).toBeNull();
    const second = await get(base, `?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((r: any) => r.callId.slice(-1))).toEqual(['3', '2']);
    const third = await get(base, `?limit=2&cursor=${second.body.nextCursor}`);
    expect(third.body).toMatchObject({ nextCursor: null });
    expect(third.body.items.map((r: any) => r.callId.slice(-1))).toEqual(['1']);
  });

  it('a bad parameter is a 400 naming it', async () => {
    const base = await serve(source);
    const r = await get(base, '?limit=1000');
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: 'bad-request', issues: [{ field: 'limit', message: 'must be 1..200' }] });
  });

  it('without CDR files: 404 saying why', async () => {
    const base = await serve(undefined);
    const r = await get(base, '');
    expect(r.status).toBe(404);
    expect(r.body.message).toContain('callRecords.dir');
  });

  it('a reader failure is a 500 without details', async () => {
    const base = await serve({ decodeCursor, page: async () => Promise.reject(new Error('EIO: disk gone')) });
    const r = await get(base, '');
    expect(r.status).toBe(500);
    expect(JSON.stringify(r.body)).not.toContain('EIO');
  });
});

describe('OpenAPI', () => {
  it('documents GET /v1/call-records and a bot check of a stored bot', () => {
    const doc = openApiDocument() as { paths: Record<string, any>; components: { schemas: Record<string, any> } };
    expect(doc.paths['/v1/call-records'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['trunk', 'number', 'result', 'from', 'to', 'limit', 'cursor']);
    expect(Object.keys(doc.components.schemas.BotCheck.properties)).toEqual(['bot', 'url', 'protocol', 'sampleRate', 'listenSec']);
  });
});
