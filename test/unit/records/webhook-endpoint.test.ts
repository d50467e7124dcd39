/**
 * Delivery to one webhook URL, against a real HTTP server on loopback, with the retry timers on a manual clock:
 * nothing is retried before its backoff has passed, delays double up to the cap, the same id and body come back
 * on every retry, order holds, and an event too old is dropped so the queue moves on.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { retryDelayMs } from '../../../src/records/backoff.js';
import { Spool } from '../../../src/records/spool.js';
import { WebhookEndpoint, displayUrl, fetchPost, type WebhookTarget } from '../../../src/records/webhook-endpoint.js';
import { verifyWebhook } from '../../../src/records/signature.js';
import type { WebhookEvent } from '../../../src/records/call-record.js';
import { waitFor } from '../../helpers/wait-for.js';

interface Hit {
  id: string;
  body: string;
  signature: string;
}

let server: Server;
let url: string;
let hits: Hit[];
/** The status the receiver answers the next request with. */
let answer: () => number;
let clock: ManualClock;
let wall: number;
const counts = { delivered: 0, failed: 0, dropped: 0 };

beforeEach(async () => {
  hits = [];
  answer = () => 200;
  clock = new ManualClock();
  wall = Date.parse('2026-12-05T12:00:00Z');
  Object.assign(counts, { delivered: 0, failed: 0, dropped: 0 });
  server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => {
      hits.push({ id: String(req.headers['trunkbridge-event-id']), body, signature: String(req.headers['trunkbridge-signature']) });
      const status = answer();
      // 0: the connection is cut without an answer (a receiver crashing mid-request).
      if (status === 0) req.socket.destroy();
      else res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const SECRET = 'whsec-0123456789abcdef';

async function endpoint(over: Partial<WebhookTarget> = {}) {
  const { spool } = await Spool.open<WebhookEvent>(join(mkdtempSync(join(tmpdir(), 'tb-hook-')), 's.jsonl'));
  const target: WebhookTarget = { url, secret: SECRET, events: ['call.ended', 'call.started'], timeoutMs: 2000, retry: { initialMs: 1000, maxMs: 4000 }, maxAgeMs: 3_600_000, ...over };
  return new WebhookEndpoint(0, target, spool, {
    clock,
    wallNow: () => wall,
    post: fetchPost(clock),
    log: silentLogger(),
    observer: { delivered: () => counts.delivered++, attemptFailed: () => counts.failed++, dropped: () => counts.dropped++ },
  });
}

const event = (id: string, callId = 'c1', createdAt = new Date(wall).toISOString()): WebhookEvent =>
  ({ id, type: 'call.started', createdAt, callId, data: { sipCallId: 's', direction: 'inbound', trunk: 't', bot: 'b', from: 'a', to: 'b', invitedAt: createdAt } }) as WebhookEvent;

describe('backoff', () => {
  it.each([
    [0, 0],
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [4, 5000],
    [60, 5000],
  ])('after %i failures waits %i ms (1 s doubling, cap 5 s)', (failures, ms) => {
    expect(retryDelayMs(failures, { initialMs: 1000, maxMs: 5000 })).toBe(ms);
  });
});

describe('webhook endpoint', () => {
  it('retries on the clock with doubling delays, same id and body, signed afresh; then delivers the rest in order', async () => {
    const statuses = [500, 503, 0, 200, 200, 200];
    answer = () => statuses.shift() ?? 200;
    const ep = await endpoint();
    ep.enqueue(event('e1'));
    ep.enqueue(event('e2'));
    ep.enqueue(event('e3', 'c2'));
    await waitFor(() => hits.length === 1 && ep.status().state === 'retrying');
    expect(ep.status().nextAttemptAt).toBe(new Date(wall + 1000).toISOString());
    // Nothing moves until the clock does: at 999 ms the retry is still waiting, at 1000 ms it is under way.
    clock.advance(999);
    expect(ep.status().state).toBe('retrying');
    clock.advance(1);
    expect(ep.status().state).toBe('delivering');
    await waitFor(() => hits.length === 2 && ep.status().state === 'retrying');
    expect(ep.status()).toMatchObject({ consecutiveFailures: 2, lastError: 'HTTP 503', pending: 3, failedAttempts: 2 });
    clock.advance(1999);
    expect(ep.status().state).toBe('retrying');
    clock.advance(1);
    expect(ep.status().state).toBe('delivering');
    // The connection cut without an answer: a network-level failure, retried after 4 s (the cap).
    await waitFor(() => hits.length === 3 && ep.status().state === 'retrying');
    expect(ep.status().lastError).not.toMatch(/^HTTP/);
    clock.advance(4000);
    await waitFor(() => hits.length === 6 && ep.status().state === 'idle');
    expect(hits.map((h) => h.id)).toEqual(['e1', 'e1', 'e1', 'e1', 'e2', 'e3']);
    expect(new Set(hits.slice(0, 4).map((h) => h.body)).size).toBe(1);
    for (const h of hits) {
      expect(verifyWebhook(h.signature, SECRET, h.body, wall / 1000)).toBe(true);
      expect((JSON.parse(h.body) as { id: string }).id).toBe(h.id);
    }
    expect(counts).toEqual({ delivered: 3, failed: 3, dropped: 0 });
    expect(ep.status()).toMatchObject({ state: 'idle', delivered: 3, consecutiveFailures: 0, nextAttemptAt: null });
    await ep.close();
  });

  it('a timeout counts as a failure (the limit runs on the clock)', async () => {
    const held: Array<() => void> = [];
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res) => {
      hits.push({ id: String(req.headers['trunkbridge-event-id']), body: '', signature: '' });
      held.push(() => res.writeHead(200).end());
    });
    const ep = await endpoint({ timeoutMs: 500 });
    ep.enqueue(event('slow'));
    await waitFor(() => hits.length === 1);
    clock.advance(500);
    await waitFor(() => ep.status().state === 'retrying');
    expect(ep.status().lastError).toMatch(/timed out after 500 ms/);
    for (const h of held) h();
    await ep.close();
  });

  it('an event failing past maxAge is dropped and the queue moves on', async () => {
    answer = () => 400;
    const ep = await endpoint({ maxAgeMs: 60_000 });
    ep.enqueue(event('old', 'c1', new Date(wall - 61_000).toISOString()));
    ep.enqueue(event('new'));
    await waitFor(() => hits.length === 2 && ep.status().state === 'retrying');
    expect(hits.map((h) => h.id)).toEqual(['old', 'new']);
    expect(ep.status()).toMatchObject({ dropped: 1, pending: 1 });
    expect(counts.dropped).toBe(1);
    await ep.close();
  });

  it('shows the URL without credentials or query', () => {
    expect(displayUrl('https://user:pw@hooks.example.com:8443/in?token=s3cret')).toBe('https://hooks.example.com:8443/in?…');
    expect(displayUrl('not a url')).toBe('[invalid url]');
  });
});
