/**
 * The Twilio REST shim over HTTP on loopback, with call control faked: auth, routing, the answers' shapes
 * (Twilio's Call resource and error bodies) and what reaches call control.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { callIdOfCallSid, callSidOf, createTwilioRest, type TwilioCallView, type TwilioRestControl } from '../../../src/api/twilio-rest.js';
import { twilioCallSid, twilioSids } from '../../../src/bot/protocols/twilio.js';
import { silentLogger } from '../../../src/core/logger.js';

const AC = 'AC0123456789abcdef0123456789abcdef';
const AC_OTHER = 'ACffffffffffffffffffffffffffffffff';
const TOKEN = 'secret-token-0123456789';
const CALL_ID = '0f8e2a4c-1b3d-4e5f-8a9b-0c1d2e3f4a5b';
const CA = `CA${CALL_ID.replace(/-/g, '')}`;
const OTHER_BOTS_CALL = '11111111-2222-4333-8444-555555555555';
const ANSWERED = Date.UTC(2026, 0, 2, 3, 4, 5);

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

interface Fake extends TwilioRestControl {
  hungUp: string[];
  transfers: Array<{ callId: string; to: string; trunk?: string }>;
}

function fake(transferResult: (to: string) => Promise<{ status: string; reason?: string }>): Fake {
  const calls = new Map<string, TwilioCallView>([
    [CALL_ID, { bot: 'support', from: '+15551230001', to: '+15550100', direction: 'inbound', answeredAtMs: ANSWERED }],
    [OTHER_BOTS_CALL, { bot: 'sales', from: '+15551230002', to: '+15550200', direction: 'outbound', answeredAtMs: ANSWERED }],
  ]);
  const f: Fake = {
    hungUp: [],
    transfers: [],
    call: (id) => calls.get(id),
    hangup: (id) => {
      if (!calls.delete(id)) return false;
      f.hungUp.push(id);
      return true;
    },
    transfer: (callId, cmd) => {
      if (!calls.has(callId)) return undefined;
      f.transfers.push({ callId, ...cmd });
      return transferResult(cmd.to);
    },
    // New calls and ringing ones: twilio-calls.test.ts.
    place: () => Promise.reject(new Error('not in these tests')),
    ringing: () => undefined,
    cancel: () => false,
  };
  return f;
}

async function serve(control: TwilioRestControl): Promise<string> {
  const rest = createTwilioRest(control, {
    accounts: [
      { bot: 'support', accountSid: AC, authToken: TOKEN, transferTrunk: 'carrier-out' },
      { bot: 'sales', accountSid: AC, authToken: 'another-token-0123456789' },
    ],
    logger: silentLogger(),
  });
  server = createServer((req, res) => {
    void rest(req, res).then((handled) => {
      if (!handled) res.writeHead(418).end();
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

async function post(url: string, form: Record<string, string>, auth = basic(AC, TOKEN)) {
  const r = await fetch(url, { method: 'POST', body: new URLSearchParams(form), headers: { Authorization: auth } });
  return { status: r.status, headers: r.headers, body: (await r.json().catch(() => null)) as Record<string, unknown> | null };
}

const callUrl = (base: string, callSid = CA, account = AC) => `${base}/2010-04-01/Accounts/${account}/Calls/${callSid}.json`;

describe('Twilio REST shim', () => {
  it('maps a call SID back to the call id the Twilio dialect made it from', () => {
    const sids = twilioSids({ callId: CALL_ID, botName: 'support', randomBytes: (n) => Buffer.alloc(n), accountSid: AC });
    expect(sids.callSid).toBe(CA);
    expect(sids.accountSid).toBe(AC);
    expect(callIdOfCallSid(sids.callSid)).toBe(CALL_ID);
    // The shim makes a new call's SID before the dialect does: the same one.
    expect(callSidOf(CALL_ID)).toBe(twilioCallSid(CALL_ID));
    expect(callSidOf(CALL_ID.toUpperCase())).toBe(sids.callSid);
  });

  it('Status=completed ends the call and answers 200 with a Call resource shaped like Twilio\'s', async () => {
    const f = fake(async () => ({ status: 'completed' }));
    const base = await serve(f);
    const r = await post(callUrl(base), { Status: 'completed' });
    expect(r.status).toBe(200);
    expect(f.hungUp).toEqual([CALL_ID]);
    expect(r.body).toMatchObject({
      sid: CA,
      account_sid: AC,
      status: 'completed',
      from: '+15551230001',
      to: '+15550100',
      direction: 'inbound',
      api_version: '2010-04-01',
      start_time: 'Fri, 02 Jan 2026 03:04:05 +0000',
      uri: `/2010-04-01/Accounts/${AC}/Calls/${CA}.json`,
    });
    expect(r.body?.end_time).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    expect(r.body?.duration).toMatch(/^\d+$/);
    // Twice: the call is gone, which Pipecat reads as "already terminated".
    const again = await post(callUrl(base), { Status: 'completed' });
    expect(again.status).toBe(404);
    expect(again.body).toMatchObject({ code: 20404, status: 404, more_info: 'https://www.twilio.com/docs/errors/20404' });
  });

  it('refuses bad credentials with 401 and Twilio\'s 20003, touching nothing', async () => {
    const f = fake(async () => ({ status: 'completed' }));
    const base = await serve(f);
    for (const auth of ['', basic(AC, 'wrong-token-0123456789'), basic(AC_OTHER, TOKEN), `Bearer ${TOKEN}`, 'Basic !!!', basic(AC, '')]) {
      const r = await post(callUrl(base), { Status: 'completed' }, auth);
      expect(r.status, auth).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe('Basic realm="Twilio API"');
      expect(r.body).toEqual({ code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 });
    }
    // The URL's account must be the one authenticated.
    expect((await post(callUrl(base, CA, AC_OTHER), { Status: 'completed' })).status).toBe(401);
    expect(f.hungUp).toEqual([]);
  });

  it('answers 404 (20404) for an unknown call, another bot\'s call and unknown resources', async () => {
    const f = fake(async () => ({ status: 'completed' }));
    const base = await serve(f);
    expect((await post(callUrl(base, `CA${'0'.repeat(32)}`), { Status: 'completed' })).body).toMatchObject({ code: 20404, status: 404 });
    // support's token does not reach sales' call, although both bots share the account SID.
    const other = await post(callUrl(base, `CA${OTHER_BOTS_CALL.replace(/-/g, '')}`), { Status: 'completed' });
    expect(other.status).toBe(404);
    expect(f.hungUp).toEqual([]);
    const sales = await post(callUrl(base, `CA${OTHER_BOTS_CALL.replace(/-/g, '')}`), { Status: 'completed' }, basic(AC, 'another-token-0123456789'));
    expect(sales.status).toBe(200);
    expect(sales.body).toMatchObject({ direction: 'outbound-api', status: 'completed' });
    expect((await post(`${base}/2010-04-01/Accounts/${AC}/Recordings.json`, { To: '+1' })).body).toMatchObject({ code: 20404 });
    const foreign = await fetch(`${base}/v1/calls`);
    expect(foreign.status).toBe(418); // not the shim's path: left to the next route
  });

  it('a call it does not have goes to the cluster forwarder once authenticated; a known one never does', async () => {
    const forwarded: string[] = [];
    const f: Fake = {
      ...fake(async () => ({ status: 'completed' })),
      forward: async (callId, _req, res) => {
        forwarded.push(callId);
        res.writeHead(202, { 'Content-Type': 'application/json' }).end('{"forwarded":true}');
        return true;
      },
    };
    const base = await serve(f);
    const elsewhere = `CA${'ab'.repeat(16)}`;
    expect((await post(callUrl(base, elsewhere), { Status: 'completed' }, basic(AC, 'wrong-token-0123456789'))).status).toBe(401);
    expect(forwarded).toEqual([]);
    expect(await post(callUrl(base, elsewhere), { Status: 'completed' })).toMatchObject({ status: 202, body: { forwarded: true } });
    expect(forwarded).toEqual([callIdOfCallSid(elsewhere)]);
    expect((await post(callUrl(base), { Status: 'completed' })).status).toBe(200);
    expect(forwarded).toHaveLength(1);
  });

  it('GET fetches the call in progress', async () => {
    const base = await serve(fake(async () => ({ status: 'completed' })));
    const r = await fetch(callUrl(base), { headers: { Authorization: basic(AC, TOKEN) } });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ sid: CA, status: 'in-progress', end_time: null, duration: null });
  });

  it('Twiml <Dial> transfers through call control with the bot\'s transfer trunk and answers at once', async () => {
    let finish: (v: { status: string }) => void = () => {};
    const f = fake(() => new Promise((r) => (finish = r)));
    const base = await serve(f);
    const r = await post(callUrl(base), { Twiml: '<?xml version="1.0" encoding="UTF-8"?><Response><Dial>+15557654321</Dial></Response>' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ sid: CA, status: 'in-progress' });
    expect(f.transfers).toEqual([{ callId: CALL_ID, to: '+15557654321', trunk: 'carrier-out' }]);
    finish({ status: 'answered' });
  });

  it('a transfer the rules refuse gets its reason and the catalogue\'s status', async () => {
    const base = await serve(fake(async (to) => ({ status: 'failed', reason: to === '+15550000000' ? 'not-allowed' : 'in-progress' })));
    const refused = await post(callUrl(base), { Twiml: '<Response><Dial>+15550000000</Dial></Response>' });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ code: null, message: 'transfer refused: not-allowed', more_info: null, status: 403, reason: 'not-allowed' });
    expect((await post(callUrl(base), { Twiml: '<Response><Dial>+15551111111</Dial></Response>' })).status).toBe(409);
  });

  it('refuses TwiML other than <Dial>NUMBER</Dial>, and updates it cannot do, with 400', async () => {
    const f = fake(async () => ({ status: 'completed' }));
    const base = await serve(f);
    const say = await post(callUrl(base), { Twiml: '<Response><Say>Goodbye</Say><Hangup/></Response>' });
    expect(say.status).toBe(400);
    expect(say.body).toMatchObject({ code: 12100, status: 400 });
    expect(String(say.body?.message)).toContain('<Response><Dial>NUMBER</Dial></Response>');
    expect((await post(callUrl(base), { Url: 'https://example.com/twiml' })).body).toMatchObject({ code: 70002, message: expect.stringContaining('Url is not supported') });
    expect((await post(callUrl(base), {})).status).toBe(400);
    expect((await post(callUrl(base), { Status: 'busy' })).status).toBe(400);
    expect(f.transfers).toEqual([]);
    expect(f.hungUp).toEqual([]);
    // "canceled" leaves a call in progress alone, as Twilio does.
    const canceled = await post(callUrl(base), { Status: 'canceled' });
    expect(canceled.status).toBe(200);
    expect(canceled.body).toMatchObject({ status: 'in-progress' });
    expect(f.hungUp).toEqual([]);
  });
});
