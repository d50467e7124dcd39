/**
 * Every way an inbound call can go, against one real bridge process: SIPp as the carrier, a `ws` bot written here.
 * The RTP range holds only two ports, so the calls succeeding one after another also shows ports are released
 * on every path (answered, rejected, bot down).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { BridgeProcess } from './harness/bridge-process.js';
import { describeSipp, runSipp, type SippRun } from './harness/sipp.js';
import { TestBotServer, type BotConnection } from './harness/test-bot.js';
import { RtpListener } from './harness/rtp-listener.js';
import { reservePort, reservePorts } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait-for.js';
import { testConfig } from './harness/config.js';
import { sineL16 } from './harness/signal.js';

const RATE = 8000;
let bridge: BridgeProcess;
let bots: TestBotServer;
let listener: RtpListener;
let sipPort: number;
let metricsPort: number;
let fdBaseline: number;
/** What the bot does with the next connection; set by each test. */
let behaviour: (c: BotConnection) => void = () => {};

function call(scenario: string, service: string, extra: { localHost?: string } = {}): Promise<SippRun> {
  return runSipp({
    scenario,
    target: { host: '127.0.0.1', port: sipPort },
    service,
    keys: { rtp_port: listener.port },
    ...extra,
  });
}

async function lastBot(count: number): Promise<BotConnection> {
  await waitFor(() => bots.connections.length >= count, { timeoutMs: 5000, onTimeout: 'resolve' });
  expect(bots.connections.length).toBe(count);
  return bots.connections[count - 1];
}

beforeAll(async () => {
  const deadBotPort = await reservePort(); // reserved, so nothing listens there
  const rtpBase = await reservePorts(4);
  bots = await TestBotServer.start((c) => behaviour(c));
  listener = await RtpListener.start();
  bridge = new BridgeProcess(
    testConfig({
      rtpPortMin: rtpBase,
      rtpPortMax: rtpBase + 3,
      allow: ['127.0.0.1'],
      bots: {
        tester: `{ url: "${bots.url}", sampleRate: ${RATE}, connectTimeoutMs: 1500 }`,
        dead: `{ url: "ws://127.0.0.1:${deadBotPort}/", connectTimeoutMs: 1500 }`,
      },
      numbers: { '+15550100': 'tester', '+15550199': 'dead' },
    }),
  );
  await bridge.start();
  sipPort = bridge.sipPort();
  metricsPort = bridge.metricsPort;
  fdBaseline = bridge.openFds();
});

afterAll(async () => {
  await bridge?.stop();
  await bots?.close();
  listener?.close();
});

describe('call outcomes', () => {
  it('bot hangup ends the call with BYE', async () => {
    behaviour = (c) => c.ws.once('message', () => setTimeout(() => c.sendJson({ type: 'hangup' }), 300));
    const run = await call('uac-expect-bye-from-bridge.xml', '+15550100');
    expect(run.code, describeSipp(run)).toBe(0);
    const bot = await lastBot(1);
    await bot.until(() => bot.closeCode !== undefined, 3000, 'close');
    expect(bot.event('stop')).toMatchObject({ type: 'stop', reason: 'bot-hangup' });
    expect(bot.closeCode).toBe(1000);
  });

  it('bot closing its socket ends the call with BYE', async () => {
    behaviour = (c) => c.ws.once('message', () => setTimeout(() => c.ws.close(1000, 'done'), 300));
    const run = await call('uac-expect-bye-from-bridge.xml', '+15550100');
    expect(run.code, describeSipp(run)).toBe(0);
    await bridge.waitForLog((l) => l.msg === 'call ended' && l.reason === 'bot-closed');
  });

  it('garbage from the bot is answered with an error and the call goes on; clear and mark work', async () => {
    behaviour = (c) =>
      c.ws.once('message', () => {
        c.ws.send('this is not json');
        c.sendJson({ type: 'no-such-command' });
        c.sendJson({ type: 'mark', name: 'empty-queue' }); // nothing queued: answered at once
        c.sendPcm(sineL16(500, RATE, 3000));
        c.sendJson({ type: 'mark', name: 'after-3s' });
        setTimeout(() => c.sendJson({ type: 'clear' }), 600);
        setTimeout(() => c.sendJson({ type: 'hangup' }), 1200);
      });
    const run = await call('uac-expect-bye-from-bridge.xml', '+15550100');
    expect(run.code, describeSipp(run)).toBe(0);
    const bot = await lastBot(3);
    await bot.until(() => bot.event('stop') !== undefined, 5000, 'stop');
    const errors = bot.events.filter((e) => e.type === 'error');
    expect(errors).toHaveLength(2);
    const types = bot.events.map((e) => e.type);
    expect(types.indexOf('mark')).toBeLessThan(types.indexOf('cleared'));
    expect(bot.events.filter((e) => e.type === 'mark')).toEqual([{ type: 'mark', name: 'empty-queue' }]);
    const cleared = bot.event('cleared') as { playedMs: number; lastMark?: string };
    // cleared ~600 ms into 3 s of audio: some played, far from all; the 3 s mark was never reached
    expect(cleared.playedMs).toBeGreaterThan(300);
    expect(cleared.playedMs).toBeLessThan(1500);
    expect(cleared.lastMark).toBe('empty-queue');
    expect(bot.event('stop')).toMatchObject({ type: 'stop', reason: 'bot-hangup' });
  });

  it('403 for a source no trunk allows', async () => {
    const run = await call('uac-expect-403.xml', '+15550100', { localHost: '127.0.0.2' });
    expect(run.code, describeSipp(run)).toBe(0);
    const line = await bridge.waitForLog((l) => l.msg === 'call rejected' && l.status === 403);
    expect(line.sipCallId).toBeTruthy();
  });

  it('404 for a number no trunk routes', async () => {
    const run = await call('uac-expect-404.xml', '+15559999');
    expect(run.code, describeSipp(run)).toBe(0);
    await bridge.waitForLog((l) => l.msg === 'call rejected' && l.status === 404);
  });

  it('488 when no codec is in common', async () => {
    const run = await call('uac-expect-488.xml', '+15550100');
    expect(run.code, describeSipp(run)).toBe(0);
    await bridge.waitForLog((l) => l.msg === 'call rejected' && l.status === 488);
  });

  it('503 when the bot cannot be reached, and the call is never answered', async () => {
    const run = await call('uac-expect-503.xml', '+15550199');
    expect(run.code, describeSipp(run)).toBe(0);
    expect(run.messages).not.toContain('SIP/2.0 200 OK');
    await bridge.waitForLog((l) => l.msg === 'call rejected' && l.status === 503);
  });

  it.each([
    ['uac-options-expect-200.xml', 'OPTIONS'],
    ['uac-unknown-method-expect-501.xml', 'FROB'],
    ['uac-register-expect-405.xml', 'REGISTER'],
  ])('%s', async (scenario, method) => {
    const run = await call(scenario, '+15550100');
    expect(run.code, describeSipp(run)).toBe(0);
    if (method === 'REGISTER') expect(run.messages).toMatch(/^Allow:.*INVITE/im);
  });

  it('a call after all of that still works, and nothing leaked', async () => {
    behaviour = (c) => c.ws.once('message', () => setTimeout(() => c.sendJson({ type: 'hangup' }), 200));
    const run = await call('uac-expect-bye-from-bridge.xml', '+15550100');
    expect(run.code, describeSipp(run)).toBe(0);
    await waitFor(() => bridge.openFds() <= fdBaseline, { timeoutMs: 2000, intervalMs: 50, onTimeout: 'resolve' });
    expect(bridge.openFds()).toBeLessThanOrEqual(fdBaseline);
    expect(bridge.logs.filter((l) => l.level >= 50)).toEqual([]);
    // A malformed datagram is counted too (and the bridge keeps serving: checked by the calls above and below).
    const junk = createSocket('udp4');
    await new Promise<void>((r) => junk.send(Buffer.from('INVITE nonsense\r\n\r\n'), sipPort, '127.0.0.1', () => r()));
    junk.close();
    // What arrived is counted by method (bounded labels: an unknown method is 'other'). The junk datagram is
    // counted once the bridge has read it: read /metrics until it is (the assertions below say what is missing).
    const metricsText = async (): Promise<string> => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const text =
      (await waitFor(async () => {
        const t = await metricsText();
        return /^trunkbridge_sip_parse_errors_total [1-9]/m.test(t) ? t : undefined;
      }, { timeoutMs: 2000, onTimeout: 'resolve' })) ?? (await metricsText());
    expect(text).toMatch(/^trunkbridge_sip_parse_errors_total [1-9]/m);
    const count = (method: string): number =>
      Number(new RegExp(`^trunkbridge_sip_messages_received_total\\{method="${method}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
    expect(count('INVITE')).toBeGreaterThanOrEqual(8);
    expect(count('OPTIONS')).toBeGreaterThanOrEqual(1);
    expect(count('other')).toBeGreaterThanOrEqual(1); // FROB
    expect(count('ACK')).toBeGreaterThanOrEqual(1);
    expect(count('RESPONSE')).toBeGreaterThanOrEqual(1); // 200s to the bridge's BYEs
  });
});
