/**
 * The Twilio REST shim's Calls.json (a new call, as `calls.create(to, from_, twiml)` sends it) and the Call
 * resource of a call that still rings, over HTTP on loopback with call control faked: what reaches call control,
 * the answers' shapes and every refusal's status and Twilio error code.
 */
import { createServer, type Server } from 'node:http';
import { twilioSignature } from '../../../src/api/twiml-fetch.js';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createTwilioRest, type TwilioCallView, type TwilioNewCall, type TwilioRestControl } from '../../../src/api/twilio-rest.js';
import { CallRejectedError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';

const AC = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = 'secret-token-0123456789';
const BOT_URL = 'wss://bots.example/twilio';
const sidOf = (callId: string) => `CA${callId.replace(/-/g, '')}`;
const PLACED = Date.UTC(2026, 0, 2, 3, 4, 5);
/** The local bot's url: on the TwiML server's port once one runs (a Url must be on a bot's host and port). */
let localBotUrl = 'ws://127.0.0.1:1/ws';
const TWIML = `<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="${BOT_URL}"><Parameter name="lead" value="42"/></Stream></Connect></Response>`;

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

interface Fake extends TwilioRestControl {
  placed: TwilioNewCall[];
  cancelled: string[];
  ringingCalls: Map<string, TwilioCallView>;
}

function fake(refuse?: CallRejectedError): Fake {
  const f: Fake = {
    placed: [],
    cancelled: [],
    ringingCalls: new Map(),
    call: () => undefined,
    hangup: () => false,
    transfer: () => undefined,
    place: async (c) => {
      if (refuse) throw refuse;
      f.placed.push(c);
      f.ringingCalls.set(c.callId, { bot: c.bot, from: c.from ?? '+15550100', to: c.to, direction: 'outbound', placedAtMs: PLACED });
    },
    ringing: (id) => f.ringingCalls.get(id),
    cancel: (id) => {
      if (!f.ringingCalls.delete(id)) return false;
      f.cancelled.push(id);
      return true;
    },
  };
  return f;
}

async function serve(control: TwilioRestControl, transferTrunk: string | null = 'carrier-out'): Promise<string> {
  const rest = createTwilioRest(control, {
    accounts: [
      { bot: 'support', accountSid: AC, authToken: TOKEN, url: BOT_URL, ...(transferTrunk ? { transferTrunk } : {}) },
      { bot: 'sales', accountSid: AC, authToken: TOKEN, url: 'wss://bots.example/sales', transferTrunk: 'carrier-2' },
      { bot: 'local', accountSid: AC, authToken: TOKEN, url: localBotUrl, transferTrunk: 'carrier-3' },
    ],
    logger: silentLogger(),
  });
  server = createServer((req, res) => void rest(req, res).then((handled) => (handled ? undefined : res.writeHead(418).end())));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}/2010-04-01/Accounts/${AC}/Calls`;
}

const AUTH = `Basic ${Buffer.from(`${AC}:${TOKEN}`).toString('base64')}`;

async function request(url: string, method: string, form?: Record<string, string>, auth = AUTH) {
  const r = await fetch(url, { method, headers: { Authorization: auth }, ...(form ? { body: new URLSearchParams(form) } : {}) });
  return { status: r.status, body: (await r.json().catch(() => null)) as Record<string, unknown> | null };
}

describe('Twilio REST shim: Calls.json places a call', () => {
  it('201 with a queued Call resource; the Stream url picks the bot, its trunk dials, its parameters and Timeout go along', async () => {
    const f = fake();
    const calls = await serve(f);
    const r = await request(`${calls}.json`, 'POST', { To: '+15557654321', From: '+15550100', Twiml: TWIML, Timeout: '30' });
    expect(r.status).toBe(201);
    expect(f.placed).toEqual([{ callId: expect.stringMatching(/^[0-9a-f-]{36}$/), bot: 'support', trunk: 'carrier-out', to: '+15557654321', from: '+15550100', ringTimeoutSec: 30, parameters: { lead: '42' } }]);
    const sid = sidOf(f.placed[0].callId);
    expect(r.body).toMatchObject({
      sid,
      account_sid: AC,
      status: 'queued',
      direction: 'outbound-api',
      to: '+15557654321',
      from: '+15550100',
      date_created: 'Fri, 02 Jan 2026 03:04:05 +0000',
      start_time: null,
      end_time: null,
      uri: `/2010-04-01/Accounts/${AC}/Calls/${sid}.json`,
    });
  });

  it.each([
    ['no To', { Twiml: TWIML }, 400, 21201],
    ['a To that is no number', { To: 'sip:alice@example.com', Twiml: TWIML }, 400, 21211],
    ['a bad From', { To: '+15557654321', From: 'Alice', Twiml: TWIML }, 400, 21212],
    ['a Timeout out of range', { To: '+15557654321', Twiml: TWIML, Timeout: '2' }, 400, 21216],
    ['neither Twiml nor Url', { To: '+15557654321' }, 400, 21205],
    ['an ApplicationSid', { To: '+15557654321', ApplicationSid: 'AP0123' }, 400, 21205],
    ['a Url on a host of no bot of these credentials', { To: '+15557654321', Url: 'http://twiml.example/twiml' }, 400, 21205],
    ['a Url that is not http', { To: '+15557654321', Url: 'file:///etc/passwd' }, 400, 21205],
    ['TwiML that is not <Connect><Stream>', { To: '+15557654321', Twiml: '<Response><Dial>+1555</Dial></Response>' }, 400, 12100],
    ['a Stream url of no bot of these credentials', { To: '+15557654321', Twiml: TWIML.replace(BOT_URL, 'wss://elsewhere.example/ws') }, 400, null],
  ])('refuses %s (%i, code %i), placing nothing', async (_name, form, status, code) => {
    const f = fake();
    const r = await request(`${await serve(f)}.json`, 'POST', form as Record<string, string>);
    expect([r.status, r.body?.code]).toEqual([status, code]);
    expect(r.body?.message).toEqual(expect.any(String));
    expect(f.placed).toEqual([]);
  });

  it('bad credentials 401 (20003); GET on the list 405; a bot without a trunk 400; a refusal from call control keeps its status', async () => {
    const f = fake();
    const calls = await serve(f, null);
    expect((await request(`${calls}.json`, 'POST', { To: '+15557654321', Twiml: TWIML }, `Basic ${Buffer.from(`${AC}:wrong`).toString('base64')}`)).body?.code).toBe(20003);
    expect((await request(`${calls}.json`, 'GET')).status).toBe(405);
    const noTrunk = await request(`${calls}.json`, 'POST', { To: '+15557654321', Twiml: TWIML });
    expect(noTrunk.status).toBe(400);
    expect(noTrunk.body?.message).toMatch(/no twilio.transferTrunk/);
    server!.close();
    const draining = fake(new CallRejectedError('shutting-down', 'shutting down'));
    const r = await request(`${await serve(draining)}.json`, 'POST', { To: '+15557654321', Twiml: TWIML });
    expect(r).toMatchObject({ status: 503, body: { reason: 'shutting-down' } });
  });
});

describe('Twilio REST shim: the Call resource of a call that still rings', () => {
  it('GET says ringing; Status=canceled cancels it (canceled); then it is 404', async () => {
    const f = fake();
    const calls = await serve(f);
    expect((await request(`${calls}.json`, 'POST', { To: '+15557654321', Twiml: TWIML })).status).toBe(201);
    const id = f.placed[0].callId;
    const one = `${calls}/${sidOf(id)}.json`;
    expect(await request(one, 'GET')).toMatchObject({ status: 200, body: { sid: sidOf(id), status: 'ringing', start_time: null } });
    expect(await request(one, 'POST', { Twiml: '<Response><Dial>+15557654322</Dial></Response>' })).toMatchObject({ status: 409, body: { reason: 'not-answered-yet' } });
    const cancelled = await request(one, 'POST', { Status: 'canceled' });
    expect(cancelled).toMatchObject({ status: 200, body: { status: 'canceled', duration: null } });
    expect(cancelled.body?.end_time).toEqual(expect.any(String));
    expect(f.cancelled).toEqual([id]);
    expect((await request(one, 'GET')).status).toBe(404);
  });

  it("Status=completed cancels it too; another bot's credentials do not see it", async () => {
    const f = fake();
    const calls = await serve(f);
    await request(`${calls}.json`, 'POST', { To: '+15557654321', Twiml: TWIML });
    const id = f.placed[0].callId;
    f.ringingCalls.set(id, { ...f.ringingCalls.get(id)!, bot: 'sales-elsewhere' });
    expect((await request(`${calls}/${sidOf(id)}.json`, 'GET')).status).toBe(404);
    f.ringingCalls.set(id, { ...f.ringingCalls.get(id)!, bot: 'support' });
    expect(await request(`${calls}/${sidOf(id)}.json`, 'POST', { Status: 'completed' })).toMatchObject({ status: 200, body: { status: 'canceled' } });
    expect(f.cancelled).toEqual([id]);
  });
});

describe('Twilio REST shim: Calls.json with Url (the TwiML fetched from the bot host)', () => {
  let twimlServer: Server | undefined;
  afterEach(() => new Promise<void>((r) => (twimlServer ? twimlServer.close(() => r()) : r())));

  /** A TwiML server on the local bot's host, as Pipecat's outbound example serves /twiml. */
  async function startTwiml(status: number): Promise<{ url: string; seen: Array<{ form: Record<string, string>; signature: string }> }> {
    const seen: Array<{ form: Record<string, string>; signature: string }> = [];
    twimlServer = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        seen.push({ form: Object.fromEntries(new URLSearchParams(body)), signature: String(req.headers['x-twilio-signature']) });
        const to = new URLSearchParams(body).get('To') ?? '';
        res.writeHead(status, { 'Content-Type': 'application/xml' }).end(
          `<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n  <Connect>\n    <Stream url="${localBotUrl}">\n      <Parameter name="to" value="${to}"/>\n    </Stream>\n  </Connect>\n  <Pause length="20"/>\n</Response>`,
        );
      });
    });
    await new Promise<void>((r) => twimlServer!.listen(0, '127.0.0.1', () => r()));
    const port = (twimlServer!.address() as AddressInfo).port;
    localBotUrl = `ws://127.0.0.1:${port}/ws`;
    return { url: `http://127.0.0.1:${port}/twiml`, seen };
  }

  it("fetches it (POST, signed with the token) with the call's SID, To and From, and places the call it names", async () => {
    const twiml = await startTwiml(200);
    const f = fake();
    const r = await request(`${await serve(f)}.json`, 'POST', { To: '+15557654321', From: '+15550100', Url: twiml.url, Method: 'POST' });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(f.placed).toMatchObject([{ bot: 'local', trunk: 'carrier-3', to: '+15557654321', parameters: { to: '+15557654321' } }]);
    const sid = sidOf(f.placed[0].callId);
    expect(r.body?.sid).toBe(sid);
    expect(twiml.seen).toHaveLength(1);
    expect(twiml.seen[0].form).toMatchObject({ AccountSid: AC, CallSid: sid, To: '+15557654321', From: '+15550100', Direction: 'outbound-api', CallStatus: 'queued' });
    expect(twiml.seen[0].signature).toBe(twilioSignature(TOKEN, twiml.url, twiml.seen[0].form));
  });

  it('a Url on the bot host but another port is refused (21205) without a request', async () => {
    const twiml = await startTwiml(200);
    const f = fake();
    const other = twiml.url.replace(/:(\d+)\//, (_m, p: string) => `:${Number(p) + 1}/`);
    expect(await request(`${await serve(f)}.json`, 'POST', { To: '+15557654321', Url: other })).toMatchObject({ status: 400, body: { code: 21205 } });
    expect(twiml.seen).toEqual([]);
  });

  it('a TwiML server that fails: 502 with Twilio\'s 11200, nothing placed', async () => {
    const twiml = await startTwiml(500);
    const f = fake();
    const r = await request(`${await serve(f)}.json`, 'POST', { To: '+15557654321', Url: twiml.url });
    expect(r).toMatchObject({ status: 502, body: { code: 11200, message: expect.stringMatching(/HTTP retrieval failure: the TwiML server answered 500/) } });
    expect(f.placed).toEqual([]);
  });
});
