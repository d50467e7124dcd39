/**
 * End-to-end RFC 3263: POST /v1/calls through an outbound trunk whose host is a name (`carrier.test`, no
 * port). dnsmasq (real DNS, bound to 127.0.0.1, no upstream) answers `_sip._udp.carrier.test` with two SRV
 * targets; the first SIPp (priority 10) fails, the second (priority 20) answers. Everything on 127.0.0.1.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BridgeProcess } from './harness/bridge-process.js';
import { testConfig } from './harness/config.js';
import { startDnsmasq, type Dnsmasq } from './harness/dnsmasq.js';
import { reservePort, reservePorts } from '../helpers/ports.js';
import { describeSipp } from './harness/sipp.js';
import { startSippUas, type SippUas } from './harness/sipp-uas.js';
import { TestBotServer } from './harness/test-bot.js';

let bridge: BridgeProcess | undefined;
let bots: TestBotServer | undefined;
let dns: Dnsmasq | undefined;
const sipps: SippUas[] = [];

afterEach(async () => {
  for (const s of sipps.splice(0)) s.kill();
  await bridge?.stop();
  await bots?.close();
  await dns?.stop();
  bridge = undefined;
  bots = undefined;
  dns = undefined;
});

async function post(port: number, path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Two SIPp carriers behind one SRV name; the bridge points at dnsmasq and uses `t1Ms` for its timers. */
async function setup(firstScenario: { scenario: string; args?: string[] }, t1Ms: number) {
  const first = await startSippUas({ ...firstScenario, timeoutMs: 20_000 });
  const agentRtp = await reservePort(); // named in the callee's SDP; nothing listens there
  const second = await startSippUas({ scenario: 'uas-answer-media-by-key.xml', keys: { agent_rtp_port: agentRtp }, timeoutMs: 20_000 });
  sipps.push(first, second);
  dns = await startDnsmasq(
    [
      `--srv-host=_sip._udp.carrier.test,sip1.carrier.test,${first.port},10,50`,
      `--srv-host=_sip._udp.carrier.test,sip2.carrier.test,${second.port},20,50`,
      '--host-record=sip1.carrier.test,127.0.0.1',
      '--host-record=sip2.carrier.test,127.0.0.1',
    ],
    '_sip._udp.carrier.test',
  );
  const rtpBase = await reservePorts(5);
  bots = await TestBotServer.start();
  bridge = new BridgeProcess(
    testConfig({
      rtpPortMin: rtpBase,
      rtpPortMax: rtpBase + 4,
      bots: { tester: `{ url: "${bots.url}", sampleRate: 8000, connectTimeoutMs: 2000 }` },
      trunkBot: 'tester',
      extraSip: `  dnsServers: ["${dns.server}"]\n  timers: { t1Ms: ${t1Ms} }`,
    }) +
      `
outboundTrunks:
  - { name: carrier-out, host: carrier.test, callerId: "+15550100" }
`,
  );
  await bridge.start();
  return { first, second, metricsPort: bridge.metricsPort };
}

describe('RFC 3263 SRV failover: dnsmasq + two SIPp carriers', () => {
  it('503 from the priority-10 target: the call goes to the priority-20 target and is answered', async () => {
    const { first, second, metricsPort } = await setup({ scenario: 'uas-reject-503.xml' }, 500);
    const res = await post(metricsPort, '/v1/calls', { to: '+12025550123', trunk: 'carrier-out', bot: 'tester' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: 'answered' });
    const firstRun = await first.done;
    expect(firstRun.code, describeSipp(firstRun)).toBe(0);
    const bot = await bots!.firstStarted();
    expect(bot.events[0]).toMatchObject({ type: 'start', direction: 'outbound', to: '+12025550123' });
    expect(await post(metricsPort, `/v1/calls/${String(res.body.callId)}/hangup`, {})).toMatchObject({ status: 200 });
    const secondRun = await second.done;
    expect(secondRun.code, describeSipp(secondRun)).toBe(0);
    // Both carriers saw the same request (Request-URI at the SRV name, same Call-ID) on different branches.
    const ruri = /INVITE (sip:\S+) SIP\/2\.0/;
    expect(ruri.exec(firstRun.messages)?.[1]).toBe('sip:+12025550123@carrier.test;user=phone');
    expect(ruri.exec(secondRun.messages)?.[1]).toBe('sip:+12025550123@carrier.test;user=phone');
    const callId = (m: string) => /Call-ID: *(\S+)/i.exec(m)?.[1];
    expect(callId(secondRun.messages)).toBe(callId(firstRun.messages));
    // The bridge really asked dnsmasq (SRV, then the targets' addresses).
    expect(dns!.log()).toMatch(/query\[SRV\] _sip\._udp\.carrier\.test/);
    expect(dns!.log()).toMatch(/query\[A\] sip2\.carrier\.test/);
  }, 30_000);

  it('no answer at all from the first target: Timer B (64*T1, T1 = 50 ms) fails over to the second', async () => {
    const { first, second, metricsPort } = await setup({ scenario: 'uas-ignore-invite.xml', args: ['-d', '6000'] }, 50);
    const started = Date.now();
    const res = await post(metricsPort, '/v1/calls', { to: '+12025550123', trunk: 'carrier-out', bot: 'tester' });
    const took = Date.now() - started;
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: 'answered' });
    // 64 * 50 ms = 3.2 s of Timer B before the second target is tried.
    expect(took).toBeGreaterThanOrEqual(3000);
    await post(metricsPort, `/v1/calls/${String(res.body.callId)}/hangup`, {});
    const secondRun = await second.done;
    expect(secondRun.code, describeSipp(secondRun)).toBe(0);
    first.kill();
    const firstRun = await first.done;
    // The dead carrier got the INVITE and its retransmissions (Timer A doubling from 50 ms) and answered nothing.
    expect((firstRun.messages.match(/^INVITE sip:/gm) ?? []).length).toBeGreaterThanOrEqual(3);
    expect(firstRun.messages).not.toMatch(/^SIP\/2\.0 \d{3}/m);
  }, 30_000);
});
