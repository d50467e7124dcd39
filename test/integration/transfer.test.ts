/**
 * End-to-end escalation: SIPp as the carrier caller -> bridge -> ws bot that asks for a transfer.
 * REFER accepted (202 + NOTIFY 100/200), REFER whose NOTIFY reports 486, REFER rejected (603), a destination
 * outside the allowlist, and the HTTP transfer route. Everything on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeProcess } from './harness/bridge-process.js';
import { describeSipp, runSipp } from './harness/sipp.js';
import { TestBotServer, type BotConnection } from './harness/test-bot.js';
import { RtpListener } from './harness/rtp-listener.js';
import { reservePort, reservePorts } from '../helpers/ports.js';
import { testConfig } from './harness/config.js';
import { startSippUas, type SippUas } from './harness/sipp-uas.js';
import { readPcapRtp } from './harness/pcap.js';
import { bestLaggedCorrelation, goertzelAmplitude, rmsEnvelope, strongestWindow } from './harness/signal.js';
import { AgentMedia } from './harness/agent-media.js';
import alawmulaw from 'alawmulaw';

let bridge: BridgeProcess;
let bots: TestBotServer;
let listener: RtpListener;
let sipPort: number;
let metricsPort: number;
let behaviour: (c: BotConnection) => void = () => {};
/** SIP port the no-answer destination (SIPp) will listen on; named in config with a 2 s ring timeout. */
let noAnswerPort: number;

beforeAll(async () => {
  noAnswerPort = await reservePort();
  const rtpBase = await reservePorts(6);
  bots = await TestBotServer.start((c) => behaviour(c));
  listener = await RtpListener.start();
  bridge = new BridgeProcess(
    testConfig({
      rtpPortMin: rtpBase,
      rtpPortMax: rtpBase + 5,
      extraMedia: '  latching: off',
      bots: { tester: `{ url: "${bots.url}", sampleRate: 8000, connectTimeoutMs: 1500 }` },
      numbers: { '+15550100': 'tester' },
    }).replace('    mode: flow\n', '    mode: flow\n    transferAllow: ["+1555*", "sip:agent@127.0.0.1:*"]\n') +
      `
outboundTrunks:
  - { name: carrier-out, host: 127.0.0.1, port: 5090 }
transferDestinations:
  support-desk: { number: "+15557654321", trunk: carrier-out, method: refer }
  no-answer-desk: { uri: "sip:agent@127.0.0.1:${noAnswerPort}", method: bridge, ringTimeoutSec: 2 }
`,
  );
  await bridge.start();
  sipPort = bridge.sipPort();
  metricsPort = bridge.metricsPort;
});

afterAll(async () => {
  await bridge?.stop();
  await bots?.close();
  listener?.close();
});

function caller(scenario: string, keys: Record<string, string> = {}) {
  return runSipp({ scenario, target: { host: '127.0.0.1', port: sipPort }, service: '+15550100', keys: { rtp_port: listener.port, ...keys }, timeoutMs: 20_000 });
}

async function nextBot(count: number): Promise<BotConnection> {
  await bots.connectionCount(count, 5000);
  return bots.connections[count - 1];
}

const transfers = (bot: BotConnection) => bot.events.filter((e) => e.type === 'transfer');

describe('transfer by REFER', () => {
  it('accepted: 202 + NOTIFY 100/200 → completed, then stop "transfer" and BYE', async () => {
    behaviour = (c) => c.ws.once('message', () => c.sendJson({ type: 'transfer', to: 'support-desk' }));
    const run = await caller('uac-accept-refer-then-notify.xml', { notify_final: 'SIP/2.0 200 OK' });
    expect(run.code, describeSipp(run)).toBe(0);
    const bot = await nextBot(1);
    await bot.until(() => bot.closeCode !== undefined, 5000, 'close');
    expect(transfers(bot)).toEqual([{ type: 'transfer', status: 'completed' }]);
    expect(bot.event('stop')).toMatchObject({ type: 'stop', reason: 'transfer' });
    // The carrier saw a SIP URI at the trunk host with user=phone, and who referred.
    expect(run.messages).toMatch(/Refer-To: <sip:\+15557654321@127\.0\.0\.1:5090;user=phone>/);
    expect(run.messages).toMatch(/Referred-By: <sip:\+15550100@127\.0\.0\.1:\d+>/);
  });

  it('NOTIFY with 486: failed with sipStatus, the bot keeps the call', async () => {
    behaviour = (c) =>
      c.ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        const msg = JSON.parse(String(data)) as { type: string; status?: string };
        if (msg.type === 'start') c.sendJson({ type: 'transfer', to: '+15559998888', trunk: 'carrier-out', method: 'refer' });
        if (msg.type === 'transfer' && msg.status === 'failed') setTimeout(() => c.sendJson({ type: 'hangup' }), 300);
      });
    const run = await caller('uac-accept-refer-then-notify.xml', { notify_final: 'SIP/2.0 486 Busy Here' });
    expect(run.code, describeSipp(run)).toBe(0);
    const bot = await nextBot(2);
    await bot.until(() => bot.closeCode !== undefined, 5000, 'close');
    expect(transfers(bot)).toEqual([{ type: 'transfer', status: 'failed', sipStatus: 486, reason: 'refer-failed' }]);
    expect(bot.event('stop')).toMatchObject({ type: 'stop', reason: 'bot-hangup' });
  });

  it('REFER rejected with 603: failed with sipStatus 603, the bot keeps the call', async () => {
    behaviour = (c) =>
      c.ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        const msg = JSON.parse(String(data)) as { type: string; status?: string };
        if (msg.type === 'start') c.sendJson({ type: 'transfer', to: 'support-desk' });
        if (msg.type === 'transfer' && msg.status === 'failed') setTimeout(() => c.sendJson({ type: 'hangup' }), 300);
      });
    const run = await caller('uac-reject-refer-603.xml');
    expect(run.code, describeSipp(run)).toBe(0);
    const bot = await nextBot(3);
    await bot.until(() => bot.closeCode !== undefined, 5000, 'close');
    expect(transfers(bot)).toEqual([{ type: 'transfer', status: 'failed', sipStatus: 603, reason: 'refer-failed' }]);
    expect(bot.event('stop')).toMatchObject({ type: 'stop', reason: 'bot-hangup' });
  });
});

describe('toll-fraud guard and HTTP control', () => {
  it('a number outside transferAllow is refused before any SIP is sent; HTTP transfer and hangup act on the call', async () => {
    let callId = '';
    behaviour = (c) =>
      c.ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        const msg = JSON.parse(String(data)) as { type: string; callId?: string };
        if (msg.type === 'start') {
          callId = msg.callId ?? '';
          c.sendJson({ type: 'transfer', to: '+19005550000', trunk: 'carrier-out', method: 'refer' });
        }
      });
    const running = caller('uac-expect-bye-from-bridge.xml');
    const bot = await nextBot(4);
    await bot.until(() => transfers(bot).length === 1, 5000, 'transfer event');
    expect(transfers(bot)[0]).toEqual({ type: 'transfer', status: 'failed', reason: 'not-allowed' });
    const post = async (path: string, body: unknown) => {
      const r = await fetch(`http://127.0.0.1:${metricsPort}${path}`, { method: 'POST', body: JSON.stringify(body) });
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    };
    expect(await post(`/v1/calls/${callId}/transfer`, { to: 'sip:evil@198.51.100.7' })).toEqual({
      status: 409,
      body: { type: 'transfer', status: 'failed', reason: 'not-allowed' },
    });
    expect(await post(`/v1/calls/${callId}/hangup`, {})).toEqual({ status: 200, body: { callId, status: 'hangup' } });
    const run = await running;
    expect(run.code, describeSipp(run)).toBe(0);
    await bot.until(() => bot.closeCode !== undefined, 5000, 'close');
    expect(bot.event('stop')).toMatchObject({ type: 'stop', reason: 'api-hangup' });
    expect(run.messages).not.toMatch(/REFER/);
  });
});

function decodePcma(payloads: Buffer[]): number[] {
  return payloads.flatMap((p) => Array.from(alawmulaw.alaw.decode(p)));
}

describe('bridged transfer (two SIPp instances: caller and destination)', () => {
  let agentSipp: SippUas | undefined;
  let agentMedia: AgentMedia | undefined;
  let callerRtp: RtpListener | undefined;

  afterAll(() => {
    agentSipp?.kill();
    agentMedia?.close();
    callerRtp?.close();
  });

  it('answered: caller and destination hear each other through the bridge; the bot leaves with stop "transfer"', async () => {
    agentMedia = await AgentMedia.start(1000);
    agentSipp = await startSippUas({ scenario: 'uas-answer-media-by-key.xml', keys: { agent_rtp_port: agentMedia.port } });
    const agentUri = `sip:agent@127.0.0.1:${agentSipp.port}`;
    behaviour = (c) => c.ws.once('message', () => c.sendJson({ type: 'transfer', to: agentUri, method: 'bridge' }));
    callerRtp = await RtpListener.start();
    const run = await runSipp({
      scenario: 'uac-pcap-g711a-caller-hangup.xml',
      target: { host: '127.0.0.1', port: sipPort },
      service: '+15550100',
      keys: { rtp_port: callerRtp.port },
      args: ['-d', '8000'],
    });
    expect(run.code, describeSipp(run)).toBe(0);
    const agentRun = await agentSipp.done;
    expect(agentRun.code, describeSipp(agentRun)).toBe(0); // the bridge BYEd the destination when the caller left
    const bot = bots.connections[bots.connections.length - 1];
    await bot.until(() => bot.closeCode !== undefined, 5000, 'close');
    expect(transfers(bot)).toEqual([
      { type: 'transfer', status: 'ringing' },
      { type: 'transfer', status: 'answered' },
    ]);
    expect(bot.event('stop')).toMatchObject({ type: 'stop', reason: 'transfer' });

    // destination -> caller: the agent's 1 kHz tone reaches the caller, and not neighbouring frequencies.
    // The caller negotiated PCMU (our preference among its offer): decode what was sent to it.
    const toCaller = callerRtp.packets.flatMap((p) => Array.from(p.payloadType === 8 ? alawmulaw.alaw.decode(p.payload) : alawmulaw.mulaw.decode(p.payload)));
    expect(toCaller.length).toBeGreaterThan(8000 * 3);
    const { level: best, win } = strongestWindow(toCaller, 8000, 1000, 4000, 800);
    expect(best).toBeGreaterThan(2000);
    expect(goertzelAmplitude(win, 8000, 600)).toBeLessThan(best / 20);
    expect(goertzelAmplitude(win, 8000, 1600)).toBeLessThan(best / 20);

    // caller -> destination: the caller's recording reaches the agent (envelope follows the pcap's).
    const reference = decodePcma(readPcapRtp('/usr/share/sip-tester/g711a.pcap').map((p) => p.payload));
    const heard = decodePcma(agentMedia.received);
    expect(heard.length).toBeGreaterThan(8000 * 4);
    const { r } = bestLaggedCorrelation(rmsEnvelope(reference, 160), rmsEnvelope(heard, 160), 100);
    expect(r).toBeGreaterThan(0.8);
  }, 40_000);

  it('busy (486): the bot hears ringing then failed 486 and keeps the caller', async () => {
    const busy = await startSippUas({ scenario: 'uas-expect-486.xml' });
    behaviour = (c) =>
      c.ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        const msg = JSON.parse(String(data)) as { type: string; status?: string };
        if (msg.type === 'start') c.sendJson({ type: 'transfer', to: `sip:agent@127.0.0.1:${busy.port}` });
        if (msg.type === 'transfer' && msg.status === 'failed') setTimeout(() => c.sendJson({ type: 'hangup' }), 300);
      });
    const count = bots.connections.length;
    const run = await caller('uac-expect-bye-from-bridge.xml');
    expect(run.code, describeSipp(run)).toBe(0);
    expect((await busy.done).code).toBe(0);
    const bot = await nextBot(count + 1);
    await bot.until(() => bot.closeCode !== undefined, 5000, 'close');
    expect(transfers(bot)).toEqual([
      { type: 'transfer', status: 'ringing' },
      { type: 'transfer', status: 'failed', sipStatus: 486, reason: 'busy-here' },
    ]);
    expect(bot.event('stop')).toMatchObject({ type: 'stop', reason: 'bot-hangup' });
  });

  it('no answer: CANCEL after the destination ring timeout, failed 408 "timeout", the caller stays with the bot', async () => {
    const ringing = await startSippUas({ scenario: 'uas-ring-no-answer.xml', port: noAnswerPort });
    behaviour = (c) =>
      c.ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        const msg = JSON.parse(String(data)) as { type: string; status?: string };
        if (msg.type === 'start') c.sendJson({ type: 'transfer', to: 'no-answer-desk' });
        if (msg.type === 'transfer' && msg.status === 'failed') setTimeout(() => c.sendJson({ type: 'hangup' }), 300);
      });
    const count = bots.connections.length;
    const run = await caller('uac-expect-bye-from-bridge.xml');
    expect(run.code, describeSipp(run)).toBe(0);
    const ringRun = await ringing.done;
    expect(ringRun.code, describeSipp(ringRun)).toBe(0);
    const bot = await nextBot(count + 1);
    await bot.until(() => bot.closeCode !== undefined, 5000, 'close');
    expect(transfers(bot)).toEqual([
      { type: 'transfer', status: 'ringing' },
      { type: 'transfer', status: 'failed', sipStatus: 408, reason: 'timeout' },
    ]);
  });
});
