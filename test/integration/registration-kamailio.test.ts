/**
 * End-to-end PBX registration with Kamailio as the registrar (config: kamailio/registrar-test.cfg): REGISTER
 * with a 401 digest challenge, refresh (Kamailio grants at most 2 s), a call from a SIPp phone through
 * Kamailio to the registered extension reaches the bot, and after Kamailio restarts (bindings are in memory, so
 * they are gone) the bridge registers again. Everything on 127.0.0.1.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BridgeProcess } from './harness/bridge-process.js';
import { startKamailio, type Kamailio } from './harness/kamailio.js';
import { reservePort, reservePorts } from '../helpers/ports.js';
import { RtpListener } from './harness/rtp-listener.js';
import { describeSipp, runSipp } from './harness/sipp.js';
import { TestBotServer } from './harness/test-bot.js';
import { metric } from './harness/metrics.js';

let bridge: BridgeProcess | undefined;
let kamailio: Kamailio | undefined;
let bots: TestBotServer | undefined;
let rtp: RtpListener | undefined;

afterEach(async () => {
  await bridge?.stop();
  await kamailio?.stop();
  await bots?.close();
  rtp?.close();
  bridge = kamailio = bots = rtp = undefined;
});

describe('PBX registration (Kamailio as registrar)', () => {
  it('registers with digest, refreshes, a call to the extension reaches the bot, re-registers after a Kamailio restart', async () => {
    const kamPort = await reservePort(); // also where the restarted Kamailio listens, below
    kamailio = await startKamailio(kamPort);
    bots = await TestBotServer.start((c) => c.ws.once('message', () => setTimeout(() => c.sendJson({ type: 'hangup' }), 500)));
    const rtpBase = await reservePorts(4);
    bridge = new BridgeProcess(`sip:
  listen: [{ transport: udp, host: 127.0.0.1, port: 0 }]
  timers: { t1Ms: 50 }
media: { rtpPortMin: ${rtpBase}, rtpPortMax: ${rtpBase + 3} }
bots:
  tester: { url: "${bots.url}", sampleRate: 8000 }
registrations:
  - { name: pbx-main, server: 127.0.0.1, port: ${kamPort}, domain: pbx.test, username: alice, password: s3cret-pw, extension: "1001", expires: 60, retrySec: 1, retryMaxSec: 2, bot: tester }
logging: { level: debug }
metrics: { enabled: true, host: 127.0.0.1, port: 0 }
`);
    await bridge.start();
    const metricsPort = bridge.metricsPort;
    // Kamailio caps the binding at 2 s (max_expires): registered, then refreshed a second later.
    await bridge.waitForLog((l) => l.msg === 'registered' && l.expires === 2, 5000);
    const firstAt = bridge.logs.filter((l) => l.msg === 'registered').length;
    await bridge.waitForLog(() => bridge!.logs.filter((l) => l.msg === 'registered').length > firstAt, 4000);
    expect(await metric(metricsPort, 'trunkbridge_registration_up')).toBe('trunkbridge_registration_up{registration="pbx-main"} 1');
    expect(kamailio.log()).toMatch(/REGISTER from 127\.0\.0\.1: challenge/);
    expect(kamailio.log()).toMatch(/REGISTER sip:1001@pbx\.test stored/);

    // A phone calls extension 1001 at Kamailio, which looks up the binding and relays the INVITE to the bridge.
    rtp = await RtpListener.start();
    const run = await runSipp({ scenario: 'uac-expect-bye-from-bridge.xml', target: { host: '127.0.0.1', port: kamPort }, service: '1001', keys: { rtp_port: rtp.port } });
    expect(run.code, describeSipp(run)).toBe(0);
    expect(kamailio.log()).toMatch(/INVITE for 1001 relayed to sip:1001@127\.0\.0\.1:\d+/);
    const bot = await bots.nextConnection();
    await bot.until(() => bot.closeCode !== undefined, 5000, 'close');
    expect(bot.event('start')).toMatchObject({ direction: 'inbound', trunk: 'pbx-main', to: '1001' });

    // Restart Kamailio on the same port: its in-memory bindings are lost; the bridge's next refresh (or retry
    // after a timeout while it was down) registers again, challenged anew.
    await kamailio.stop();
    const before = bridge.logs.filter((l) => l.msg === 'registered').length;
    kamailio = await startKamailio(kamPort);
    await bridge.waitForLog(() => bridge!.logs.filter((l) => l.msg === 'registered').length > before, 8000);
    expect(kamailio.log()).toMatch(/REGISTER from 127\.0\.0\.1: challenge/);
    expect(kamailio.log()).toMatch(/REGISTER sip:1001@pbx\.test stored/);
    expect(await metric(metricsPort, 'trunkbridge_registration_up')).toBe('trunkbridge_registration_up{registration="pbx-main"} 1');
  }, 40_000);
});
