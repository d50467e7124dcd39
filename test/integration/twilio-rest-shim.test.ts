/**
 * The Twilio REST shim end to end: SIPp as the carrier -> the real bridge -> a Twilio Media Streams bot that,
 * like Pipecat's TwilioFrameSerializer with `base_url` pointed at the bridge, posts to
 * /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json with the SIDs from its `start` and Basic auth. Hang-up
 * ends the call with BYE; a <Dial> transfer goes through the allowlist and, allowed, reaches the destination
 * (a second SIPp) through the bot's transfer trunk. A call placed through Calls.json (`calls.create` with
 * `<Connect><Stream>` TwiML) rings a SIPp callee through that trunk and streams to the bot with its
 * `<Parameter>`s; while it rings it is fetched and cancelled on its Call resource. Everything on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { BridgeProcess } from './harness/bridge-process.js';
import { describeSipp, runSipp } from './harness/sipp.js';
import { startSippUas, type SippUas } from './harness/sipp-uas.js';
import { AgentMedia } from './harness/agent-media.js';
import { RtpListener } from './harness/rtp-listener.js';
import { reservePort, reservePorts } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait-for.js';
import { testConfig } from './harness/config.js';
import { callIdOfCallSid } from '../../src/api/twilio-rest.js';

const AC = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = 'shim-token-0123456789abcdef';

/** One Twilio-dialect connection as the bot sees it. */
interface TwilioBot {
  ws: WebSocket;
  events: Array<Record<string, unknown>>;
  start: Promise<{ accountSid: string; callSid: string }>;
}

let bridge: BridgeProcess;
let wss: WebSocketServer;
let listener: RtpListener;
let agentPort: number;
let botUrl: string;
let botHttp: Server;
/** What the bot's server answers to plain HTTP requests (a test's TwiML), if anything. */
let twimlHandler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
let bots: TwilioBot[] = [];
/** The SIPp on the trunk's far end (a transfer destination or a new call's callee) and its media, per test. */
let callee: SippUas | undefined;
let calleeMedia: AgentMedia | undefined;

beforeAll(async () => {
  // The bot's server also serves TwiML (a Url of Calls.json must be on a bot's host and port), as Pipecat's does.
  botHttp = createServer((req, res) => (twimlHandler ? twimlHandler(req, res) : res.writeHead(404).end()));
  wss = new WebSocketServer({ server: botHttp, perMessageDeflate: false });
  await new Promise<void>((r) => botHttp.listen(0, '127.0.0.1', () => r()));
  wss.on('connection', (ws) => {
    const events: Array<Record<string, unknown>> = [];
    let started: (s: { accountSid: string; callSid: string }) => void = () => {};
    const start = new Promise<{ accountSid: string; callSid: string }>((r) => (started = r));
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as Record<string, unknown>;
      events.push(msg);
      if (msg.event === 'start') started(msg.start as { accountSid: string; callSid: string });
    });
    bots.push({ ws, events, start });
  });
  const url = `ws://127.0.0.1:${(botHttp.address() as AddressInfo).port}/media`;
  botUrl = url;
  agentPort = await reservePort();
  const rtpBase = await reservePorts(6);
  listener = await RtpListener.start();
  bridge = new BridgeProcess(
    testConfig({
      rtpPortMin: rtpBase,
      rtpPortMax: rtpBase + 5,
      bots: { pipecat: `{ url: "${url}", protocol: twilio, twilio: { accountSid: ${AC}, authToken: ${TOKEN}, transferTrunk: carrier-out } }` },
      numbers: { '+15550100': 'pipecat' },
      extraMedia: '  latching: off',
    }).replace('    mode: flow\n', '    mode: flow\n    transferAllow: ["+1555*"]\n') +
      `
outboundTrunks:
  - { name: carrier-out, host: 127.0.0.1, port: ${agentPort} }
`,
  );
  await bridge.start();
}, 30_000);

afterAll(async () => {
  callee?.kill();
  calleeMedia?.close();
  await bridge?.stop();
  for (const c of wss?.clients ?? []) c.terminate();
  await new Promise<void>((r) => (wss ? wss.close(() => r()) : r()));
  await new Promise<void>((r) => (botHttp ? botHttp.close(() => r()) : r()));
  listener?.close();
});

/** A new SIPp on the trunk's far end, with media to answer with or none; the previous one (done by now) is let go. */
async function startCallee(scenario: string, withMedia: boolean): Promise<{ uas: SippUas; media: AgentMedia | undefined }> {
  callee?.kill();
  calleeMedia?.close();
  calleeMedia = withMedia ? await AgentMedia.start(1000) : undefined;
  callee = await startSippUas({ scenario, port: agentPort, ...(calleeMedia ? { keys: { agent_rtp_port: calleeMedia.port } } : {}) });
  return { uas: callee, media: calleeMedia };
}

/** What Pipecat's serializer sends: a form POST with Basic auth to the Call resource. */
async function update(sids: { accountSid: string; callSid: string }, form: Record<string, string>, token = TOKEN) {
  const url = `http://127.0.0.1:${bridge.metricsPort}/2010-04-01/Accounts/${sids.accountSid}/Calls/${sids.callSid}.json`;
  const r = await fetch(url, {
    method: 'POST',
    body: new URLSearchParams(form),
    headers: { Authorization: `Basic ${Buffer.from(`${sids.accountSid}:${token}`).toString('base64')}` },
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

/** The first bot connection after the `seen` ones: the one the call just placed opened. */
async function nextBot(seen: number): Promise<TwilioBot> {
  await waitFor(() => bots.length > seen, { timeoutMs: 10_000 });
  return bots[seen];
}

/** The bridge's call-level log lines, for a failure message (which call ended, when, and why). */
function callLog(): string {
  const lines = bridge.logs.filter((l) => typeof l.callId === 'string' && !/^SIP message$/.test(l.msg));
  return JSON.stringify(lines.map((l) => [l.time, String(l.callId).slice(0, 8), l.msg, l.reason ?? l.err ?? '']));
}

function caller(scenario: string, args: string[] = []) {
  return runSipp({ scenario, target: { host: '127.0.0.1', port: bridge.sipPort() }, service: '+15550100', keys: { rtp_port: listener.port }, args, timeoutMs: 25_000 });
}

describe('Twilio REST shim', () => {
  it('a refused <Dial> is answered 403 before any SIP; Status=completed ends the call with BYE; a second one gets 20404', async () => {
    const running = caller('uac-expect-bye-from-bridge.xml');
    const bot = await nextBot(0);
    const sids = await bot.start;
    // The bot sees the configured account SID, and the call SID of this call.
    expect(sids.accountSid).toBe(AC);
    expect(sids.callSid).toMatch(/^CA[0-9a-f]{32}$/);

    expect((await update(sids, { Status: 'completed' }, 'wrong-token-0123456789')).body).toMatchObject({ code: 20003, status: 401 });
    const refused = await update(sids, { Twiml: '<Response><Dial>+19005550000</Dial></Response>' });
    expect(refused).toEqual({ status: 403, body: { code: null, message: 'transfer refused: not-allowed', more_info: null, status: 403, reason: 'not-allowed' } });

    const hungUp = await update(sids, { Status: 'completed' });
    expect(hungUp.status).toBe(200);
    expect(hungUp.body).toMatchObject({ sid: sids.callSid, account_sid: AC, status: 'completed', from: '+15551230001', to: '+15550100', direction: 'inbound' });
    const run = await running;
    expect(run.code, describeSipp(run)).toBe(0); // SIPp got the BYE
    const ended = await bridge.waitForLog((l) => l.msg === 'call ended');
    expect(ended.reason).toBe('api-hangup');
    await waitFor(() => bot.events.some((e) => e.event === 'stop'), { timeoutMs: 5000 });
    const again = await update(sids, { Status: 'completed' });
    expect(again.status).toBe(404);
    expect(again.body).toMatchObject({ code: 20404, status: 404 });
  }, 40_000);

  it('a bot that hangs up the moment it has start (sent before the 200 OK) ends the call once the late ACK is in', async () => {
    const seen = bots.length;
    // The caller ACKs the 200 OK 1.5 s late; the bot's start went before the 200 OK.
    const running = caller('uac-slow-ack-silent-expect-bye.xml');
    const bot = await nextBot(seen);
    const sids = await bot.start;
    const t0 = Date.now();
    const hungUp = await update(sids, { Status: 'completed' });
    expect(hungUp.status, `${JSON.stringify(hungUp.body)}; ${callLog()}`).toBe(200);
    expect(hungUp.body).toMatchObject({ sid: sids.callSid, status: 'completed' });
    expect(Date.now() - t0).toBeGreaterThan(500); // held until the call was answered, not refused as unknown
    const run = await running;
    expect(run.code, describeSipp(run)).toBe(0); // SIPp got the BYE after its ACK
    const ended = await bridge.waitForLog((l) => l.msg === 'call ended' && l.callId === callIdOfCallSid(sids.callSid));
    expect(ended.reason).toBe('api-hangup');
  }, 40_000);

  describe('an allowed <Dial>', () => {

    it('answers 200 in-progress at once and bridges the caller to the number through the transfer trunk', async () => {
      const far = await startCallee('uas-answer-media-by-key.xml', true);
      const seen = bots.length;
      const running = caller('uac-pcap-g711a-caller-hangup.xml', ['-d', '6000']);
      const bot = await nextBot(seen);
      const sids = await bot.start;
      const t0 = Date.now();
      const r = await update(sids, { Twiml: '<?xml version="1.0" encoding="UTF-8"?><Response><Dial>+15557654321</Dial></Response>' });
      expect(r.status, `${JSON.stringify(r.body)}; ${bots.length} bot connections; ${callLog()}`).toBe(200);
      expect(r.body).toMatchObject({ sid: sids.callSid, status: 'in-progress' });
      expect(Date.now() - t0).toBeLessThan(1000); // not held until the destination answers
      // The destination answered: the bot leaves the call with Twilio's stop, the caller stays connected.
      await waitFor(() => bot.events.some((e) => e.event === 'stop'), { timeoutMs: 10_000 });
      const run = await running;
      expect(run.code, describeSipp(run)).toBe(0);
      const agentRun = await far.uas.done;
      expect(agentRun.code, describeSipp(agentRun)).toBe(0); // INVITEd through carrier-out, BYEd when the caller left
      expect(agentRun.messages).toMatch(/INVITE sip:\+?15557654321@127\.0\.0\.1/);
      expect(far.media!.received.length).toBeGreaterThan(50); // the caller's audio reached the destination
    }, 40_000);
  });

  describe('Calls.json (calls.create with <Connect><Stream> TwiML)', () => {

    /** What `client.calls.create(to=…, from_=…, twiml=…)` of Twilio's helper library sends. */
    async function create(form: Record<string, string>) {
      const r = await fetch(`http://127.0.0.1:${bridge.metricsPort}/2010-04-01/Accounts/${AC}/Calls.json`, {
        method: 'POST',
        body: new URLSearchParams(form),
        headers: { Authorization: `Basic ${Buffer.from(`${AC}:${TOKEN}`).toString('base64')}` },
      });
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    }
    const twiml = () => `<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="${botUrl}"><Parameter name="lead" value="42"/></Stream></Connect></Response>`;

    it('201 queued; the callee rings through the trunk, answers, and the bot gets start with the call SID and the parameters; Status=completed ends it', async () => {
      const far = await startCallee('uas-answer-media-by-key.xml', true);
      const seen = bots.length;
      const placed = await create({ To: '+15557654321', From: '+15550100', Twiml: twiml() });
      expect(placed.status, JSON.stringify(placed.body)).toBe(201);
      expect(placed.body).toMatchObject({ account_sid: AC, status: 'queued', direction: 'outbound-api', to: '+15557654321', from: '+15550100' });
      const sid = String(placed.body.sid);
      const bot = await nextBot(seen);
      const start = (await bot.start) as unknown as Record<string, unknown>;
      expect(start).toMatchObject({ accountSid: AC, callSid: sid, customParameters: { lead: '42', to_number: '+15557654321' } });

      const hungUp = await update({ accountSid: AC, callSid: sid }, { Status: 'completed' });
      expect(hungUp).toMatchObject({ status: 200, body: { sid, status: 'completed', direction: 'outbound-api' } });
      const run = await far.uas.done;
      expect(run.code, describeSipp(run)).toBe(0); // INVITEd through carrier-out, then our BYE
      expect(run.messages).toMatch(/INVITE sip:\+?15557654321@127\.0\.0\.1/);
      await bridge.waitForLog((l) => l.msg === 'call ended' && l.callId === callIdOfCallSid(sid) && l.reason === 'api-hangup');
    }, 40_000);

    it('with Url (TwiML served by the bot host, as Pipecat\'s outbound example): while it rings GET says ringing, Status=canceled CANCELs it', async () => {
      const far = await startCallee('uas-ring-no-answer.xml', false);
      const asked: Array<Record<string, string>> = [];
      twimlHandler = (req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString('utf8')));
        req.on('end', () => {
          asked.push(Object.fromEntries(new URLSearchParams(body)));
          res.writeHead(200, { 'Content-Type': 'application/xml' }).end(`<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="${botUrl}"/></Connect><Pause length="20"/></Response>`);
        });
      };
      const placed = await create({ To: '+15557654322', Url: `${botUrl.replace(/^ws/, 'http').replace(/\/media$/, '')}/twiml`, Method: 'POST' });
      twimlHandler = undefined;
      expect(placed.status, JSON.stringify(placed.body)).toBe(201);
      expect(asked).toMatchObject([{ CallSid: placed.body.sid, To: '+15557654322', Direction: 'outbound-api' }]);
      const sids = { accountSid: AC, callSid: String(placed.body.sid) };
      const callId = callIdOfCallSid(sids.callSid);
      await bridge.waitForLog((l) => l.msg === 'outbound call progress' && l.callId === callId && l.status === 180, 5000);
      const url = `http://127.0.0.1:${bridge.metricsPort}/2010-04-01/Accounts/${AC}/Calls/${sids.callSid}.json`;
      const auth = { Authorization: `Basic ${Buffer.from(`${AC}:${TOKEN}`).toString('base64')}` };
      const shown = await fetch(url, { headers: auth });
      expect([shown.status, ((await shown.json()) as Record<string, unknown>).status]).toEqual([200, 'ringing']);

      expect(await update(sids, { Status: 'canceled' })).toMatchObject({ status: 200, body: { sid: sids.callSid, status: 'canceled' } });
      const run = await far.uas.done;
      expect(run.code, describeSipp(run)).toBe(0);
      expect(run.messages).toMatch(/CANCEL sip:/);
      const failed = await bridge.waitForLog((l) => l.msg === 'outbound call failed' && l.callId === callId, 5000);
      expect(failed).toMatchObject({ reason: 'cancelled' });
      expect((await fetch(url, { headers: auth })).status).toBe(404);
    }, 40_000);
  });
});
