/**
 * End-to-end outbound calls: POST /v1/calls on the real bridge process -> INVITE through an outbound trunk to
 * SIPp acting as the callee/carrier -> a real `ws` bot. Everything on 127.0.0.1.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import alawmulaw from 'alawmulaw';
import { BridgeProcess } from './harness/bridge-process.js';
import { describeSipp } from './harness/sipp.js';
import { startSippUas, type SippUas } from './harness/sipp-uas.js';
import { TestBotServer } from './harness/test-bot.js';
import { reservePorts } from '../helpers/ports.js';
import { testConfig } from './harness/config.js';
import { readPcapRtp } from './harness/pcap.js';
import { bestLaggedCorrelation, l16, rmsEnvelope } from './harness/signal.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const PCAP = '/usr/share/sip-tester/g711a.pcap';
const BOT_RATE = 16000;

let bridge: BridgeProcess | undefined;
let bots: TestBotServer | undefined;
let uas: SippUas | undefined;

afterEach(async () => {
  uas?.kill();
  await bridge?.stop();
  await bots?.close();
  bridge = undefined;
  bots = undefined;
  uas = undefined;
});

async function startBridge(trunkYaml: string): Promise<{ metricsPort: number }> {
  const rtpBase = await reservePorts(5);
  bots = await TestBotServer.start();
  bridge = new BridgeProcess(
    testConfig({
      rtpPortMin: rtpBase,
      rtpPortMax: rtpBase + 4,
      bots: { tester: `{ url: "${bots.url}", sampleRate: ${BOT_RATE}, connectTimeoutMs: 2000 }` },
      trunkBot: 'tester',
      extraMedia: '  latching: off',
    }) + trunkYaml,
  );
  await bridge.start();
  return { metricsPort: bridge.metricsPort };
}

/** The bridge with one outbound trunk, carrier-out, to SIPp's port. */
async function startBridgeTo(uasPort: number): Promise<number> {
  const { metricsPort } = await startBridge(`
outboundTrunks:
  - { name: carrier-out, host: 127.0.0.1, port: ${uasPort} }
`);
  return metricsPort;
}

/** The next bot socket (opened while the phone rang) is closed again without a `start`. */
async function expectBotClosedWithoutStart(): Promise<void> {
  const bot = await bots!.nextConnection();
  await bot.until(() => bot.closeCode !== undefined, 5000, 'socket close');
  expect(bot.event('start')).toBeUndefined();
}

/**
 * SIPp runs `scenario` as the callee, the bridge places a call to it with `"wait": false` (202 ringing), and the
 * callee's 180 has come.
 */
async function placeRinging(scenario: string): Promise<{ metricsPort: number; callId: string; sipCallId: unknown }> {
  uas = await startSippUas({ scenario });
  const metricsPort = await startBridgeTo(uas.port);
  const res = await post(metricsPort, '/v1/calls', { to: '+12025550123', trunk: 'carrier-out', bot: 'tester', wait: false });
  expect(res, JSON.stringify(res.body)).toMatchObject({ status: 202, body: { status: 'ringing' } });
  await bridge!.waitForLog((l) => l.msg === 'outbound call progress' && l.status === 180, 5000);
  return { metricsPort, callId: String(res.body.callId), sipCallId: res.body.sipCallId };
}

async function post(port: number, path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('outbound calls: POST /v1/calls -> bridge -> SIPp callee', () => {
  it('answered by SIPp: the bot gets start (outbound) and the callee pcap audio', async () => {
    uas = await startSippUas({ scenario: 'uas-answer-with-pcap.xml' });
    const { metricsPort } = await startBridge(`
outboundTrunks:
  - { name: carrier-out, host: 127.0.0.1, port: ${uas.port}, callerId: "+15550100", numberFormat: e164-no-plus }
`);
    const res = await post(metricsPort, '/v1/calls', { to: '+1 202 555 0123', trunk: 'carrier-out', bot: 'tester', headers: { 'X-Campaign': 'c7' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: 'answered' });

    const bot = await bots!.nextConnection();
    await bot.until(() => bot.closeCode !== undefined, 15_000, 'socket close');
    const run = await uas.done;
    expect(run.code, describeSipp(run)).toBe(0);
    // What the carrier saw: number formatted per the trunk, caller ID in From, custom header.
    expect(run.messages).toMatch(/INVITE sip:12025550123@127\.0\.0\.1:\d+;user=phone SIP\/2\.0/);
    expect(run.messages).toMatch(/From: <sip:15550100@127\.0\.0\.1:\d+;user=phone>;tag=/);
    expect(run.messages).toMatch(/X-Campaign: c7/);

    expect(bot.events[0]).toMatchObject({
      type: 'start',
      callId: res.body.callId,
      direction: 'outbound',
      from: '15550100',
      to: '+12025550123',
      trunk: 'carrier-out',
      headers: { 'X-Campaign': 'c7' },
      media: { encoding: 'L16', sampleRate: BOT_RATE },
    });
    expect(bot.event('stop')).toMatchObject({ type: 'stop', reason: 'caller-hangup' });
    // All of the callee's audio reached the bot, its first words included (held until `start`): 7.08 s of pcap.
    expect(bot.frames.length).toBeGreaterThanOrEqual(350);
    const reference = readPcapRtp(PCAP).flatMap((p) => Array.from(alawmulaw.alaw.decode(p.payload)));
    const { r } = bestLaggedCorrelation(rmsEnvelope(reference, 160), rmsEnvelope(l16(Buffer.concat(bot.frames)), BOT_RATE / 50), 100);
    expect(r).toBeGreaterThan(0.9);
  }, 40_000);

  it('answers the carrier 407 with Proxy-Authorization (digest checked from the trace) and connects', async () => {
    uas = await startSippUas({ scenario: 'uas-expect-407-then-answer.xml' });
    const { metricsPort } = await startBridge(`
outboundTrunks:
  - { name: carrier-out, route: "127.0.0.1:${uas.port};transport=udp", auth: { username: alice, password: s3cret-pw } }
`);
    const res = await post(metricsPort, '/v1/calls', { to: '+12025550123', trunk: 'carrier-out', bot: 'tester' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const run = await uas.done;
    expect(run.code, describeSipp(run)).toBe(0);
    // SIPp's verifyauth reads only Authorization, so the 407 answer is checked here from SIPp's own trace.
    const auth = /Proxy-Authorization: (Digest [^\r\n]+)/.exec(run.messages)?.[1] ?? '';
    const f = (k: string) => new RegExp(`${k}="?([^",]+)"?`).exec(auth)?.[1] ?? '';
    const ha1 = md5('alice:carrier.test:s3cret-pw');
    const ha2 = md5(`INVITE:${f('uri')}`);
    expect(f('realm')).toBe('carrier.test');
    expect(f('response')).toBe(md5(`${ha1}:${f('nonce')}:${f('nc')}:${f('cnonce')}:auth:${ha2}`));
    const bot = await bots!.nextConnection();
    await bot.until(() => bot.event('stop') !== undefined, 5000, 'stop');
    expect(bot.event('start')).toMatchObject({ direction: 'outbound' });
  }, 30_000);

  it('answers a 401 with Authorization that SIPp verifyauth accepts', async () => {
    uas = await startSippUas({ scenario: 'uas-expect-401-then-answer.xml' });
    const { metricsPort } = await startBridge(`
outboundTrunks:
  - { name: pbx, host: 127.0.0.1, port: ${uas.port}, auth: { username: alice, password: s3cret-pw } }
`);
    const res = await post(metricsPort, '/v1/calls', { to: '+12025550123', trunk: 'pbx', bot: 'tester' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const run = await uas.done;
    expect(run.code, describeSipp(run)).toBe(0);
  }, 30_000);

  it('wrong credentials: the carrier refuses and the API returns its SIP status', async () => {
    uas = await startSippUas({ scenario: 'uas-expect-401-then-answer.xml' });
    const { metricsPort } = await startBridge(`
outboundTrunks:
  - { name: carrier-out, host: 127.0.0.1, port: ${uas.port}, auth: { username: alice, password: wrong } }
`);
    const res = await post(metricsPort, '/v1/calls', { to: '+12025550123', trunk: 'carrier-out', bot: 'tester' });
    expect(res).toMatchObject({ status: 502, body: { status: 'failed', sipStatus: 403 } });
    const run = await uas.done;
    expect(run.code).not.toBe(0); // the scenario's wrong-password branch
    await expectBotClosedWithoutStart();
  }, 30_000);

  it('early media: the bot starts at 183 and hears the announcement before answer, then gets "answered"', async () => {
    uas = await startSippUas({ scenario: 'uas-early-media-then-answer.xml' });
    const metricsPort = await startBridgeTo(uas.port);
    const res = await post(metricsPort, '/v1/calls', { to: '+12025550123', trunk: 'carrier-out', bot: 'tester', earlyMedia: true });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const bot = await bots!.nextConnection();
    await bot.until(() => bot.event('answered') !== undefined, 5000, 'answered');
    const framesAtAnswer = bot.frames.length;
    await bot.until(() => bot.closeCode !== undefined, 10_000, 'close');
    const run = await uas.done;
    expect(run.code, describeSipp(run)).toBe(0);
    expect(bot.events.map((e) => e.type)).toEqual(['start', 'answered', 'stop']);
    expect(bot.events[0]).toMatchObject({ type: 'start', direction: 'outbound', early: true });
    // ~3 s of early media before the 200 (the API answers at 200, so this is counted a little after it).
    expect(framesAtAnswer).toBeGreaterThan(120);
    expect(bot.frames.length).toBeGreaterThan(framesAtAnswer + 100);
    expect(bot.event('stop')).toMatchObject({ type: 'stop', reason: 'caller-hangup' });
  }, 30_000);

  it('"wait": false answers 202 at once; the ringing call is shown, refuses a transfer, and hangup CANCELs it', async () => {
    const { metricsPort, callId, sipCallId } = await placeRinging('uas-ring-no-answer.xml');
    const shown = await fetch(`http://127.0.0.1:${metricsPort}/v1/calls/${callId}`);
    expect(shown.status).toBe(200);
    expect(await shown.json()).toMatchObject({ callId, sipCallId, state: 'ringing', direction: 'outbound', trunk: 'carrier-out', bot: 'tester', to: '+12025550123' });
    expect(await post(metricsPort, `/v1/calls/${callId}/transfer`, { to: '+12025550199' })).toMatchObject({ status: 409, body: { error: 'not-answered-yet' } });

    expect(await post(metricsPort, `/v1/calls/${callId}/hangup`, {})).toEqual({ status: 200, body: { callId, status: 'cancelled' } });
    // SIPp got the CANCEL, answered 200 and 487, and got our ACK: its scenario ends with exit code 0.
    const run = await uas!.done;
    expect(run.code, describeSipp(run)).toBe(0);
    expect(run.messages).toMatch(/CANCEL sip:/);
    const failed = await bridge!.waitForLog((l) => l.msg === 'outbound call failed' && l.callId === callId, 5000);
    expect(failed).toMatchObject({ reason: 'cancelled', status: 487 });
    await expectBotClosedWithoutStart();
    expect((await fetch(`http://127.0.0.1:${metricsPort}/v1/calls/${callId}`)).status).toBe(404);
    expect((await post(metricsPort, `/v1/calls/${callId}/hangup`, {})).status).toBe(404);
  }, 30_000);

  it("the callee's 200 crosses our CANCEL: that answer is ACKed and hung up with BYE, never bridged to the bot", async () => {
    const { metricsPort, callId } = await placeRinging('uas-answer-crossing-cancel.xml');
    expect(await post(metricsPort, `/v1/calls/${callId}/hangup`, {})).toEqual({ status: 200, body: { callId, status: 'cancelled' } });
    const run = await uas!.done;
    expect(run.code, describeSipp(run)).toBe(0);
    expect(run.messages).toMatch(/BYE sip:/);
    expect(await bridge!.waitForLog((l) => l.msg === 'outbound call failed' && l.callId === callId, 5000)).toMatchObject({ reason: 'cancelled' });
    expect(bridge!.logs.find((l) => l.msg === 'outbound call answered' && l.callId === callId)).toBeUndefined();
    await expectBotClosedWithoutStart();
    expect((await fetch(`http://127.0.0.1:${metricsPort}/v1/calls/${callId}`)).status).toBe(404);
  }, 30_000);

  it('a shutdown (SIGTERM) CANCELs a call that still rings before the bridge exits', async () => {
    const { callId } = await placeRinging('uas-ring-no-answer.xml');
    expect(await bridge!.stop()).toBe(0);
    const run = await uas!.done;
    expect(run.code, describeSipp(run)).toBe(0);
    expect(bridge!.logs.find((l) => l.msg === 'cancelling outbound call before the answer')).toMatchObject({ callId, reason: 'shutdown' });
  }, 30_000);

  it('refuses bad requests before dialling', async () => {
    const { metricsPort } = await startBridge(`
outboundTrunks:
  - { name: carrier-out, host: 127.0.0.1, port: 9 }
`);
    expect(await post(metricsPort, '/v1/calls', { to: '+12025550123', trunk: 'nope', bot: 'tester' })).toMatchObject({ status: 404, body: { error: 'unknown-trunk' } });
    expect(await post(metricsPort, '/v1/calls', { to: '+12025550123', trunk: 'carrier-out', bot: 'nobot' })).toMatchObject({ status: 404, body: { error: 'unknown-bot' } });
    expect(await post(metricsPort, '/v1/calls', { to: 'call me', trunk: 'carrier-out', bot: 'tester' })).toMatchObject({ status: 400, body: { error: 'invalid-number' } });
    expect(await post(metricsPort, '/v1/calls', { to: '+12025550123', trunk: 'carrier-out', bot: 'tester', headers: { Via: 'x' } })).toMatchObject({ status: 400, body: { error: 'bad-header' } });
    expect(await post(metricsPort, '/v1/calls', { trunk: 'carrier-out' })).toMatchObject({ status: 400, body: { error: 'bad-request' } });
    expect(await post(metricsPort, '/v1/calls/abc/hangup', {})).toMatchObject({ status: 404, body: { error: 'unknown-call' } });
  }, 20_000);
});
