/**
 * End-to-end PBX registration: the bridge registers an extension at SIPp acting as the registrar (401 challenge
 * checked with verifyauth, refresh, un-REGISTER on shutdown), and a call from the PBX to that extension
 * reaches the configured bot. Everything on 127.0.0.1.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BridgeProcess } from './harness/bridge-process.js';
import { describeSipp, runSipp } from './harness/sipp.js';
import { startSippUas, type SippUas } from './harness/sipp-uas.js';
import { TestBotServer } from './harness/test-bot.js';
import { RtpListener } from './harness/rtp-listener.js';
import { reservePorts } from '../helpers/ports.js';
import { metric } from './harness/metrics.js';

let bridge: BridgeProcess | undefined;
let registrar: SippUas | undefined;
let bots: TestBotServer | undefined;
let rtp: RtpListener | undefined;

afterEach(async () => {
  registrar?.kill();
  await bridge?.stop();
  await bots?.close();
  rtp?.close();
  bridge = registrar = bots = rtp = undefined;
});

describe('PBX registration (SIPp as registrar)', () => {
  it('registers with digest, refreshes, takes calls for the extension to the bot, un-registers on shutdown', async () => {
    registrar = await startSippUas({ scenario: 'uas-registrar-401-refresh-unregister.xml', timeoutMs: 20_000 });
    bots = await TestBotServer.start((c) => c.ws.once('message', () => setTimeout(() => c.sendJson({ type: 'hangup' }), 500)));
    const rtpBase = await reservePorts(4);
    bridge = new BridgeProcess(`sip:
  listen: [{ transport: udp, host: 127.0.0.1, port: 0 }]
media: { rtpPortMin: ${rtpBase}, rtpPortMax: ${rtpBase + 3} }
bots:
  tester: { url: "${bots.url}", sampleRate: 8000 }
registrations:
  - { name: pbx-main, server: 127.0.0.1, port: ${registrar.port}, username: alice, password: s3cret-pw, extension: "1001", expires: 60, bot: tester }
logging: { level: debug }
metrics: { enabled: true, host: 127.0.0.1, port: 0 }
`);
    await bridge.start();
    const sipPort = bridge.sipPort();
    const metricsPort = bridge.metricsPort;
    // First registration, then the refresh (the registrar granted 4 s, so it comes after ~1 s).
    await bridge.waitForLog((l) => l.msg === 'registered' && l.expires === 4, 5000);
    await bridge.waitForLog((l) => l.msg === 'registered' && l.expires === 600, 5000);
    expect(await metric(metricsPort, 'trunkbridge_registration_up')).toBe('trunkbridge_registration_up{registration="pbx-main"} 1');

    // The PBX (same address as the registrar) calls extension 1001: the bot answers it.
    rtp = await RtpListener.start();
    const run = await runSipp({ scenario: 'uac-expect-bye-from-bridge.xml', target: { host: '127.0.0.1', port: sipPort }, service: '1001', keys: { rtp_port: rtp.port } });
    expect(run.code, describeSipp(run)).toBe(0);
    const bot = await bots.nextConnection();
    await bot.until(() => bot.closeCode !== undefined, 5000, 'close');
    expect(bot.event('start')).toMatchObject({ direction: 'inbound', trunk: 'pbx-main', to: '1001' });

    // Shutdown sends the un-REGISTER, which completes the registrar's scenario.
    await bridge.stop();
    const reg = await registrar.done;
    expect(reg.code, describeSipp(reg)).toBe(0);
    expect(reg.messages).toMatch(/Contact: <sip:1001@127\.0\.0\.1:\d+>/);
  }, 30_000);

  it('a caller that is not the registrar cannot reach the extension (no trunk allows it): 403', async () => {
    registrar = await startSippUas({ scenario: 'uas-registrar-401-refresh-unregister.xml', timeoutMs: 20_000 });
    const rtpBase = await reservePorts(4);
    bridge = new BridgeProcess(`sip:
  listen: [{ transport: udp, host: 127.0.0.1, port: 0 }]
media: { rtpPortMin: ${rtpBase}, rtpPortMax: ${rtpBase + 3} }
bots:
  echo: { builtin: echo }
registrations:
  - { name: pbx-main, server: 127.0.0.1, port: ${registrar.port}, username: alice, password: s3cret-pw, extension: "1001", bot: echo }
logging: { level: debug }
metrics: { enabled: false }
`);
    await bridge.start();
    const sipPort = bridge.sipPort();
    await bridge.waitForLog((l) => l.msg === 'registered', 5000);
    const run = await runSipp({ scenario: 'uac-expect-403.xml', target: { host: '127.0.0.1', port: sipPort }, service: '1001', keys: { rtp_port: 4000 }, localHost: '127.0.0.2' });
    expect(run.code, describeSipp(run)).toBe(0);
  }, 30_000);

  it('recovers after the registrar restarts: refresh times out, backoff, the new registrar on the same port gets the binding back', async () => {
    // Registrar #1 grants 2 s (refresh due after 1 s) and then goes away; T1 = 50 ms makes Timer F 3.2 s.
    registrar = await startSippUas({ scenario: 'uas-registrar-401-then-grant.xml', keys: { granted: 2 }, timeoutMs: 20_000 });
    const registrarPort = registrar.port;
    const rtpBase = await reservePorts(4);
    bridge = new BridgeProcess(`sip:
  listen: [{ transport: udp, host: 127.0.0.1, port: 0 }]
  timers: { t1Ms: 50 }
media: { rtpPortMin: ${rtpBase}, rtpPortMax: ${rtpBase + 3} }
bots:
  echo: { builtin: echo }
registrations:
  - { name: pbx-main, server: 127.0.0.1, port: ${registrarPort}, username: alice, password: s3cret-pw, extension: "1001", expires: 60, retrySec: 1, retryMaxSec: 4, bot: echo }
logging: { level: debug }
metrics: { enabled: true, host: 127.0.0.1, port: 0 }
`);
    await bridge.start();
    const metricsPort = bridge.metricsPort;
    await bridge.waitForLog((l) => l.msg === 'registered' && l.expires === 2, 5000);
    expect(await metric(metricsPort, 'trunkbridge_registration_up')).toBe('trunkbridge_registration_up{registration="pbx-main"} 1');
    const first = await registrar.done;
    expect(first.code, describeSipp(first)).toBe(0);

    // The refresh gets no answer: Timer F (64 * 50 ms) fails it with 408 and the gauge drops to 0.
    const failed = await bridge.waitForLog((l) => l.msg === 'registration failed' && l.status === 408, 8000);
    expect(failed.retryInMs).toBe(1000);
    expect(await metric(metricsPort, 'trunkbridge_registration_up')).toBe('trunkbridge_registration_up{registration="pbx-main"} 0');
    expect(await metric(metricsPort, 'trunkbridge_registration_failures_total')).toMatch(/trunkbridge_registration_failures_total\{registration="pbx-main"\} [1-9]/);

    // Registrar #2 on the same port: the next retry registers again (challenged and verified anew).
    registrar = await startSippUas({ scenario: 'uas-registrar-401-then-grant.xml', port: registrarPort, keys: { granted: 60 }, timeoutMs: 20_000 });
    await bridge.waitForLog((l) => l.msg === 'registered' && l.expires === 60, 12_000);
    expect(await metric(metricsPort, 'trunkbridge_registration_up')).toBe('trunkbridge_registration_up{registration="pbx-main"} 1');
    const second = await registrar.done;
    expect(second.code, describeSipp(second)).toBe(0);
    expect(second.messages).toMatch(/Authorization: Digest username="alice"/);
  }, 40_000);
});
