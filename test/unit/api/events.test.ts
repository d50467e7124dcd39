/**
 * GET /v1/events behind the real /v1 gate on a loopback HTTP server, over an event source driven by the test and a
 * manual clock: the SSE framing, the snapshot first, pushed and periodic events, heartbeats, the read role, 405 and
 * 429, and clean-up — a client that leaves unsubscribes the source and stops the timers (no listener leaks); a
 * client that stops reading is dropped once its backlog passes the limit, the others go on.
 */
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthorizer, guardV1 } from '../../../src/api/admin/index.js';
import { LiveEvents, eventsRoute, sseComment, sseEvent, sseRetry, type LiveEvent, type LiveEventSource } from '../../../src/api/events/index.js';
import { ManualClock } from '../../../src/core/clock.js';
import { createLogger, silentLogger, type Logger } from '../../../src/core/logger.js';
import { waitFor } from '../../helpers/wait-for.js';

const KEYS = [
  { name: 'viewer', role: 'read' as const, key: 'read-key-0123456789' },
  { name: 'ops', role: 'admin' as const, key: 'admin-key-012345678' },
];
const READ = 'Bearer read-key-0123456789';

describe('SSE framing', () => {
  it.each<[string, string, string]>([
    ['an event with JSON data', sseEvent('call.started', { callId: 'a' }), 'event: call.started\ndata: {"callId":"a"}\n\n'],
    ['a newline inside the data stays inside the JSON', sseEvent('x', { line: 'one\ntwo' }), 'event: x\ndata: {"line":"one\\ntwo"}\n\n'],
    ['an id when given', sseEvent('x', 1, '7'), 'event: x\nid: 7\ndata: 1\n\n'],
    ['a comment', sseComment('heartbeat'), ': heartbeat\n\n'],
    ['a comment cannot end itself early', sseComment('a\r\nb'), ': a b\n\n'],
    ['the retry hint', sseRetry(2000.4), 'retry: 2000\n\n'],
  ])('%s', (_name, got, want) => {
    expect(got).toBe(want);
  });

  it('refuses an event name or id with a line break', () => {
    expect(() => sseEvent('a\nb', 1)).toThrow(RangeError);
    expect(() => sseEvent('a', 1, 'x\ry')).toThrow(RangeError);
  });
});

/** An event source the test drives: what a subscriber hears, and how many are subscribed. */
class TestSource implements LiveEventSource {
  readonly listeners = new Set<(e: LiveEvent) => void>();
  live: Array<{ callId: string; durationSec?: number }> = [];
  regs = [{ name: 'pbx', state: 'registered' }];
  calls() {
    return this.live;
  }
  registrations() {
    return this.regs;
  }
  subscribe(listener: (e: LiveEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  push(e: LiveEvent): void {
    for (const l of this.listeners) l(e);
  }
}

let server: Server | undefined;
const sockets: Socket[] = [];

async function serve(hub: LiveEvents): Promise<number> {
  const gate = guardV1(createAuthorizer(KEYS), [eventsRoute(hub)], silentLogger());
  server = createServer((req, res) => void gate(req, res));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return (server.address() as { port: number }).port;
}

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A raw client: the request, then everything the server writes, as text. */
function rawGet(port: number, auth = READ, method = 'GET'): { socket: Socket; text: () => string } {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  let text = '';
  socket.setEncoding('utf8').on('data', (c: string) => (text += c));
  socket.write(`${method} /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\n\r\n`);
  return { socket, text: () => text };
}

/** Log lines a logger wrote (JSON). */
function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l));
      done();
    },
  });
  return { logger: createLogger({ destination: sink, level: 'info' }), lines };
}

describe('GET /v1/events', () => {
  it('streams the snapshot, then pushed events, call updates each second and heartbeats, as server-sent events', async () => {
    const clock = new ManualClock();
    const source = new TestSource();
    source.live = [{ callId: 'c1', durationSec: 1 }];
    const hub = new LiveEvents(source, { clock, logger: silentLogger(), updateMs: 1000, heartbeatMs: 15_000 });
    const port = await serve(hub);
    const client = rawGet(port);
    await waitFor(() => client.text().includes('event: snapshot'), { what: 'the snapshot' });
    const head = client.text();
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(head).toMatch(/content-type: text\/event-stream; charset=utf-8\r\n/i);
    expect(head).toMatch(/cache-control: no-store\r\n/i);
    // Chunked framing aside, the body so far is the retry hint and the snapshot.
    expect(head).toContain(sseRetry(2000));
    expect(head).toContain(sseEvent('snapshot', { calls: [{ callId: 'c1', durationSec: 1 }], registrations: [{ name: 'pbx', state: 'registered' }] }));

    source.push({ type: 'call.started', call: { callId: 'c2' } });
    source.push({ type: 'registration', name: 'pbx', state: 'failed' });
    source.push({ type: 'call.ended', callId: 'c2', reason: 'caller-hangup', durationSec: 3.5 });
    await waitFor(() => client.text().includes('event: call.ended'), { what: 'call.ended' });
    const pushed = client.text();
    const at = (chunk: string) => pushed.indexOf(chunk);
    expect(at(sseEvent('call.started', { callId: 'c2' }))).toBeGreaterThan(0);
    expect(at(sseEvent('registration', { name: 'pbx', state: 'failed' }))).toBeGreaterThan(at(sseEvent('call.started', { callId: 'c2' })));
    expect(at(sseEvent('call.ended', { callId: 'c2', reason: 'caller-hangup', durationSec: 3.5 }))).toBeGreaterThan(at(sseEvent('registration', { name: 'pbx', state: 'failed' })));
    expect(pushed).not.toContain('call.updated');

    source.live = [{ callId: 'c1', durationSec: 2 }];
    clock.advance(1000);
    await waitFor(() => client.text().includes(sseEvent('call.updated', { callId: 'c1', durationSec: 2 })), { what: 'call.updated' });
    expect(client.text()).not.toContain(sseComment('heartbeat'));
    clock.advance(14_000);
    await waitFor(() => client.text().includes(sseComment('heartbeat')), { what: 'a heartbeat' });
  });

  it('a client that leaves unsubscribes the source and stops the timers: nothing is left behind', async () => {
    const clock = new ManualClock();
    const source = new TestSource();
    const hub = new LiveEvents(source, { clock, logger: silentLogger() });
    const port = await serve(hub);
    expect([hub.active, source.listeners.size, clock.pending()]).toEqual([false, 0, 0]);
    const clients = [rawGet(port), rawGet(port)];
    await waitFor(() => clients.every((c) => c.text().includes('event: snapshot')), { what: 'both snapshots' });
    // One subscription and one pair of timers, however many clients.
    expect([hub.clientCount, source.listeners.size, clock.pending()]).toEqual([2, 1, 2]);
    clients[0].socket.destroy();
    await waitFor(() => hub.clientCount === 1, { what: 'the first client gone' });
    expect([source.listeners.size, clock.pending()]).toEqual([1, 2]);
    clients[1].socket.end();
    await waitFor(() => hub.clientCount === 0, { what: 'the second client gone' });
    expect([hub.active, source.listeners.size, clock.pending()]).toEqual([false, 0, 0]);
    // The timers were cancelled, not left to fire into nothing; a new client starts afresh.
    clock.advance(60_000);
    const again = rawGet(port);
    await waitFor(() => again.text().includes('event: snapshot'), { what: 'a new snapshot' });
    expect([hub.clientCount, source.listeners.size, clock.pending()]).toEqual([1, 1, 2]);
  });

  it('drops a client that stops reading once its backlog passes the limit; the client that reads goes on', async () => {
    const clock = new ManualClock();
    const source = new TestSource();
    const { logger, lines } = capturingLogger();
    const hub = new LiveEvents(source, { clock, logger, maxBufferedBytes: 64 * 1024 });
    const port = await serve(hub);
    const reader = rawGet(port);
    const stalled = rawGet(port);
    await waitFor(() => reader.text().includes('event: snapshot') && stalled.text().includes('event: snapshot'), { what: 'both snapshots' });
    stalled.socket.pause(); // reads nothing more: the kernel buffers fill, then the server's
    const big = 'x'.repeat(8 * 1024);
    let sent = 0;
    // Bounded: the kernel's socket buffers on loopback hold a few MB at most.
    for (let i = 0; i < 4000 && hub.clientCount === 2; i++) {
      source.push({ type: 'call.started', call: { callId: `c${i}`, big } as { callId: string } });
      sent++;
      await new Promise((r) => setImmediate(r)); // the reader's socket drains meanwhile
    }
    expect(hub.clientCount).toBe(1);
    expect(sent).toBeLessThan(4000);
    // It had taken more than the limit in the kernel's buffers before the server's own backlog grew.
    expect(sent * big.length).toBeGreaterThan(64 * 1024);
    expect(lines.find((l) => l.msg === 'event stream client dropped: it read too slowly')).toMatchObject({ level: 40, key: 'viewer', maxBufferedBytes: 65536 });
    // Reading again, the client finds its connection closed by the server.
    stalled.socket.on('error', () => {}).resume();
    await waitFor(() => stalled.socket.closed, { what: 'the stalled socket closed' });
    // The reader still gets what comes next.
    source.push({ type: 'call.ended', callId: 'last', reason: 'caller-hangup', durationSec: 1 });
    await waitFor(() => reader.text().includes('"callId":"last"'), { what: 'the reader still served' });
  });

  it('a snapshot or an update bigger than the limit still reaches a client that keeps up (the limit is on the backlog)', async () => {
    const clock = new ManualClock();
    const source = new TestSource();
    // 200 calls of ~1 KB each: every snapshot and every second's updates are ~200 KB, past a 64 KiB limit.
    source.live = Array.from({ length: 200 }, (_, i) => ({ callId: `c${i}`, pad: 'p'.repeat(1000) }));
    const hub = new LiveEvents(source, { clock, logger: silentLogger(), maxBufferedBytes: 64 * 1024 });
    const port = await serve(hub);
    const client = rawGet(port);
    await waitFor(() => client.text().includes('"callId":"c199"'), { what: 'the whole snapshot' });
    clock.advance(1000);
    await waitFor(() => (client.text().match(/event: call\.updated/g) ?? []).length === 200, { what: 'the 200 updates' });
    expect(hub.clientCount).toBe(1);
  });

  it('needs a key (read is enough), takes GET and HEAD only, and refuses a client past the limit with 429', async () => {
    const clock = new ManualClock();
    const hub = new LiveEvents(new TestSource(), { clock, logger: silentLogger(), maxClients: 1 });
    const port = await serve(hub);
    const base = `http://127.0.0.1:${port}/v1/events`;
    expect((await fetch(base)).status).toBe(401);
    const post = await fetch(base, { method: 'POST', headers: { Authorization: 'Bearer admin-key-012345678' } });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    const head = await fetch(base, { method: 'HEAD', headers: { Authorization: READ } });
    expect([head.status, head.headers.get('content-type')]).toEqual([200, 'text/event-stream; charset=utf-8']);
    expect(hub.clientCount).toBe(0);
    const first = rawGet(port);
    await waitFor(() => first.text().includes('event: snapshot'));
    const second = await fetch(base, { headers: { Authorization: READ } });
    expect(second.status).toBe(429);
    expect(await second.json()).toMatchObject({ error: 'events-busy' });
  });

  it('close() ends every stream and leaves nothing subscribed', async () => {
    const clock = new ManualClock();
    const source = new TestSource();
    const hub = new LiveEvents(source, { clock, logger: silentLogger() });
    const port = await serve(hub);
    const client = rawGet(port);
    await waitFor(() => client.text().includes('event: snapshot'));
    hub.close();
    hub.close();
    expect([hub.clientCount, hub.active, source.listeners.size, clock.pending()]).toEqual([0, false, 0, 0]);
    // The chunked body's last chunk: the stream ended cleanly.
    await waitFor(() => client.text().endsWith('0\r\n\r\n'), { what: 'the end of the stream' });
  });

  it('a snapshot that must be read first (a cluster) comes before what happened meanwhile; a failed read sends the local calls', async () => {
    const clock = new ManualClock();
    const source = new TestSource();
    let finish: (calls: Array<{ callId: string }>) => void = () => undefined;
    let fail: (err: Error) => void = () => undefined;
    const reads: string[] = [];
    const clustered: LiveEventSource = Object.assign(source, {
      snapshotCalls: () =>
        new Promise<Array<{ callId: string }>>((resolve, reject) => {
          reads.push(source.listeners.size > 0 ? 'subscribed first' : 'read before subscribing');
          finish = resolve;
          fail = reject;
        }),
    });
    const hub = new LiveEvents(clustered, { clock, logger: silentLogger() });
    const port = await serve(hub);
    const client = rawGet(port);
    await waitFor(() => reads.length === 1, { what: 'the snapshot read' });
    expect(reads).toEqual(['subscribed first']);
    source.push({ type: 'call.started', call: { callId: 'b2', node: 'b' } as { callId: string } });
    expect(client.text()).not.toContain('event: call.started');
    finish([{ callId: 'b1' }]);
    await waitFor(() => client.text().includes('event: call.started'), { what: 'the held event' });
    const text = client.text();
    const snapshot = sseEvent('snapshot', { calls: [{ callId: 'b1' }], registrations: [{ name: 'pbx', state: 'registered' }] });
    expect(text.indexOf(snapshot)).toBeGreaterThan(0);
    expect(text.indexOf(sseEvent('call.started', { callId: 'b2', node: 'b' }))).toBeGreaterThan(text.indexOf(snapshot));

    source.live = [{ callId: 'a1' }];
    const second = rawGet(port);
    await waitFor(() => reads.length === 2, { what: 'the second read' });
    fail(new Error('store unreachable'));
    await waitFor(() => second.text().includes('event: snapshot'), { what: 'the fallback snapshot' });
    expect(second.text()).toContain(sseEvent('snapshot', { calls: [{ callId: 'a1' }], registrations: [{ name: 'pbx', state: 'registered' }] }));
  });
});
