/**
 * POST /v1/test-calls and /v1/bot-checks behind the real /v1 gate on a loopback HTTP server, with injected
 * runners (the tools themselves have their own tests): the server-sent event framing, 400 naming the field,
 * the admin role, the two-at-once limit, and a client that leaves aborting its run.
 */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthorizer, guardV1, toolRunRoutes, ToolSlots, type TestCallRequest, type ToolRunners } from '../../../../src/api/admin/index.js';
import { sseEvent } from '../../../../src/api/events/sse.js';
import { silentLogger, type Logger } from '../../../../src/core/logger.js';
import { botSchema } from '../../../../src/config/index.js';
import type { BotCheckRequest } from '../../../../src/api/admin/index.js';
import { waitFor } from '../../../helpers/wait-for.js';

const KEYS = [
  { name: 'viewer', role: 'read' as const, key: 'read-key-0123456789' },
  { name: 'dialer', role: 'operate' as const, key: 'operate-key-0123456' },
  { name: 'ops', role: 'admin' as const, key: 'admin-key-012345678' },
];
const ADMIN = 'Bearer admin-key-012345678';

let server: Server | undefined;

async function serve(runners: ToolRunners, slots = new ToolSlots()): Promise<string> {
  const gate = guardV1(createAuthorizer(KEYS), [toolRunRoutes(runners, silentLogger(), slots)], silentLogger());
  server = createServer((req, res) => void gate(req, res));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  const addr = server.address() as { port: number };
  return `http://127.0.0.1:${addr.port}`;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** The events of a complete text/event-stream body. */
function events(text: string): Array<{ event: string; data: any }> {
  return text
    .split('\n\n')
    .filter((block) => block !== '')
    .map((block) => {
      const lines = block.split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^event: \w+$/);
      expect(lines[1]).toMatch(/^data: /);
      return { event: lines[0].slice('event: '.length), data: JSON.parse(lines[1].slice('data: '.length)) };
    });
}

const post = (base: string, path: string, body: unknown, auth = ADMIN, signal?: AbortSignal): Promise<Response> =>
  fetch(`${base}${path}`, { method: 'POST', headers: { Authorization: auth, 'Content-Type': 'application/json' }, body: JSON.stringify(body), ...(signal ? { signal } : {}) });

describe('POST /v1/test-calls', () => {
  it('streams each printed line as a step event, then the result', async () => {
    const seen: TestCallRequest[] = [];
    const base = await serve({
      testCall: async (r, print) => {
        seen.push(r);
        print('<- 100 Trying (INVITE)  +3 ms');
        print('two\nlines'); // a newline inside a step cannot break the framing
        print('PASS');
        return 0;
      },
    });
    const res = await post(base, '/v1/test-calls', { uri: 'sip:+15550100@127.0.0.1:5060', seconds: 2, expectEcho: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(events(await res.text())).toEqual([
      { event: 'step', data: { line: '<- 100 Trying (INVITE)  +3 ms' } },
      { event: 'step', data: { line: 'two\nlines' } },
      { event: 'step', data: { line: 'PASS' } },
      { event: 'result', data: { result: 'pass', exitCode: 0 } },
    ]);
    expect(seen).toEqual([{ uri: 'sip:+15550100@127.0.0.1:5060', seconds: 2, expectEcho: true }]);
  });

  it.each([
    [0, 'pass'],
    [3, 'fail'],
  ])('exit code %i is a %s result', async (code, result) => {
    const base = await serve({ testCall: async () => code });
    const res = await post(base, '/v1/test-calls', { uri: 'sip:100@example.com' });
    expect(events(await res.text()).at(-1)).toEqual({ event: 'result', data: { result, exitCode: code } });
  });

  it('a runner that throws still ends with a fail result and the cause as a step', async () => {
    const base = await serve({ testCall: async () => Promise.reject(new Error('no port free')) });
    const ev = events(await (await post(base, '/v1/test-calls', { uri: 'sip:100@example.com' })).text());
    expect(ev).toEqual([
      { event: 'step', data: { line: 'FAIL: no port free' } },
      { event: 'result', data: { result: 'fail', exitCode: 1 } },
    ]);
  });

  it.each<[string, unknown, string]>([
    ['a URI that is not sip:', { uri: 'tel:+15550100' }, 'uri'],
    ['no URI', { seconds: 2 }, 'uri'],
    ['a port out of range', { uri: 'sip:1@h:99999' }, 'uri'],
    ['seconds out of range', { uri: 'sip:1@h', seconds: 0 }, 'seconds'],
    ['seconds not a number', { uri: 'sip:1@h', seconds: '2' }, 'seconds'],
    ['expectEcho not a boolean', { uri: 'sip:1@h', expectEcho: 'yes' }, 'expectEcho'],
    ['a user without its password', { uri: 'sip:1@h', user: 'carrier1' }, 'password'],
    ['a transport the API does not take', { uri: 'sip:1@h', transport: 'tls' }, 'transport'],
  ])('400 for %s, naming the field; the runner never starts', async (_name, body, field) => {
    let started = 0;
    const base = await serve({ testCall: async () => (started++, 0) });
    const res = await post(base, '/v1/test-calls', body);
    expect(res.status).toBe(400);
    const answer = (await res.json()) as { error: string; issues: Array<{ field: string; message: string }> };
    expect(answer.error).toBe('bad-request');
    expect(answer.issues.map((i) => i.field)).toContain(field);
    expect(started).toBe(0);
  });

  it('400 for an unknown key and for a body that is not an object; 405 for GET', async () => {
    const base = await serve({ testCall: async () => 0 });
    const unknown = await post(base, '/v1/test-calls', { uri: 'sip:1@h', secs: 2 });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { message: string }).message).toContain('secs');
    expect((await post(base, '/v1/test-calls', ['sip:1@h'])).status).toBe(400);
    const get = await fetch(`${base}/v1/test-calls`, { headers: { Authorization: ADMIN } });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('needs the admin role (a tool reaches any URI, past the trunks\' rules): read and operate keys get 403, no key 401', async () => {
    let started = 0;
    const base = await serve({ testCall: async () => (started++, 0) });
    expect((await post(base, '/v1/test-calls', { uri: 'sip:1@h' }, 'Bearer read-key-0123456789')).status).toBe(403);
    expect((await post(base, '/v1/test-calls', { uri: 'sip:1@h' }, 'Bearer operate-key-0123456')).status).toBe(403);
    expect((await post(base, '/v1/bot-checks', { url: 'ws://127.0.0.1:1/bot' }, 'Bearer operate-key-0123456')).status).toBe(403);
    expect((await post(base, '/v1/test-calls', { uri: 'sip:1@h' }, '')).status).toBe(401);
    expect(started).toBe(0);
  });

  it('runs two at once across both tools; a third gets 429 tool-busy, and a slot frees when a run ends', async () => {
    const release: Array<() => void> = [];
    const hold = (): Promise<number> => new Promise((r) => release.push(() => r(0)));
    const base = await serve({ testCall: hold, botCheck: { run: hold, protocols: ['native', 'twilio'] } });
    const first = post(base, '/v1/test-calls', { uri: 'sip:1@h' });
    const second = post(base, '/v1/bot-checks', { url: 'ws://127.0.0.1:1/bot' });
    await waitFor(() => release.length === 2);
    const third = await post(base, '/v1/test-calls', { uri: 'sip:1@h' });
    expect(third.status).toBe(429);
    expect(((await third.json()) as { error: string }).error).toBe('tool-busy');
    release[0]();
    expect((await (await first).text())).toContain('"result":"pass"');
    const fourth = post(base, '/v1/test-calls', { uri: 'sip:1@h' });
    await waitFor(() => release.length === 3);
    release[1]();
    release[2]();
    expect((await (await second).text())).toContain('"result":"pass"');
    expect((await (await fourth).text())).toContain('"result":"pass"');
  });

  it('a client that goes away aborts the run, and its slot is given back', async () => {
    let signal: AbortSignal | undefined;
    const slots = new ToolSlots(1);
    const base = await serve({
      testCall: (_r, print, abort) => {
        signal = abort;
        print('-> INVITE');
        return new Promise((resolve) => abort.addEventListener('abort', () => resolve(130), { once: true }));
      },
    }, slots);
    const client = new AbortController();
    const res = await post(base, '/v1/test-calls', { uri: 'sip:1@h' }, ADMIN, client.signal);
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe(sseEvent('step', { line: '-> INVITE' }));
    client.abort();
    await waitFor(() => signal?.aborted === true);
    // The slot is free again: the next run starts.
    await waitFor(async () => (await post(base, '/v1/test-calls', { uri: 'sip:1@h' }).then((r) => { void r.body?.cancel(); return r.status; })) === 200);
  });
});

describe('POST /v1/bot-checks', () => {
  it('takes a ws URL and one of the given protocols (native by default)', async () => {
    const seen: unknown[] = [];
    const base = await serve({ botCheck: { run: async (r, print) => (seen.push(r), print('ok   connect: open'), 1), protocols: ['native', 'twilio'] } });
    const ev = events(await (await post(base, '/v1/bot-checks', { url: 'ws://127.0.0.1:9/bot' })).text());
    expect(ev).toEqual([
      { event: 'step', data: { line: 'ok   connect: open' } },
      { event: 'result', data: { result: 'fail', exitCode: 1 } },
    ]);
    expect(seen).toEqual([{ url: 'ws://127.0.0.1:9/bot', protocol: 'native' }]);
    const bad = await post(base, '/v1/bot-checks', { url: 'http://x/', protocol: 'klingon' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { issues: Array<{ field: string }> }).issues.map((i) => i.field).sort()).toEqual(['protocol', 'url']);
  });

  it('checks a stored bot by name: the runner gets its headers and secret, the client and the log never do', async () => {
    const seen: BotCheckRequest[] = [];
    const lines: string[] = [];
    const logger = { ...silentLogger(), info: (o: unknown, m?: string) => lines.push(JSON.stringify([o, m])), child: () => logger } as unknown as Logger;
    const bots = { support: botSchema.parse({ url: 'ws://127.0.0.1:9/bot', protocol: 'twilio', headers: { Authorization: 'Bearer tok-secret-1' }, secret: 'sign-secret-0123456789' }) };
    const gate = guardV1(createAuthorizer(KEYS), [toolRunRoutes({ botCheck: { run: async (r) => (seen.push(r), 0), protocols: ['native', 'twilio'], bots: () => bots } }, logger)], logger);
    server = createServer((req, res) => void gate(req, res));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const text = await (await post(base, '/v1/bot-checks', { bot: 'support' })).text();
    expect(events(text).at(-1)).toEqual({ event: 'result', data: { result: 'pass', exitCode: 0 } });
    expect(seen[0]).toMatchObject({ bot: 'support', url: 'ws://127.0.0.1:9/bot', protocol: 'twilio', headers: { Authorization: 'Bearer tok-secret-1' }, secret: 'sign-secret-0123456789' });
    expect(lines.join('\n')).toContain('"name":"support"');
    expect(`${text}${lines.join('\n')}`).not.toMatch(/tok-secret-1|sign-secret-0123456789/);
    const unknown = await post(base, '/v1/bot-checks', { bot: 'nobody' });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ issues: [{ field: 'bot', message: 'no bot "nobody"' }] });
  });

  it('is absent when no runner is injected (404 from the gate)', async () => {
    const base = await serve({ testCall: async () => 0 });
    expect((await post(base, '/v1/bot-checks', { url: 'ws://127.0.0.1:9/bot' })).status).toBe(404);
  });
});
