/**
 * End-to-end outbound call over TCP: POST /v1/calls through an outbound trunk with `transport: tcp` to SIPp
 * started with `-t t1` (one TCP connection) as the callee. The INVITE, its ACK and our BYE all travel on the
 * stream transport; the callee's tone reaches the bot. Everything on 127.0.0.1.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AgentMedia } from './harness/agent-media.js';
import { BridgeProcess } from './harness/bridge-process.js';
import { testConfig } from './harness/config.js';
import { reservePorts } from '../helpers/ports.js';
import { describeSipp } from './harness/sipp.js';
import { startSippUas, type SippUas } from './harness/sipp-uas.js';
import { TestBotServer } from './harness/test-bot.js';

let bridge: BridgeProcess | undefined;
let bots: TestBotServer | undefined;
let uas: SippUas | undefined;
let media: AgentMedia | undefined;

afterEach(async () => {
  uas?.kill();
  media?.close();
  await bridge?.stop();
  await bots?.close();
  bridge = bots = uas = media = undefined;
});

async function post(port: number, path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('outbound call over TCP (SIPp -t t1 callee)', () => {
  it('INVITE/ACK/BYE over the TCP trunk; the callee audio reaches the bot', async () => {
    media = await AgentMedia.start(1000);
    uas = await startSippUas({ scenario: 'uas-answer-media-by-key.xml', transport: 't1', keys: { agent_rtp_port: media.port } });
    const sippPort = uas.port;
    const rtpBase = await reservePorts(5);
    bots = await TestBotServer.start();
    bridge = new BridgeProcess(
      testConfig({
        extraListen: ['{ transport: tcp, host: 127.0.0.1, port: 0 }'],
        rtpPortMin: rtpBase,
        rtpPortMax: rtpBase + 4,
        bots: { tester: `{ url: "${bots.url}", sampleRate: 8000, connectTimeoutMs: 2000 }` },
        trunkBot: 'tester',
      }) +
        `
outboundTrunks:
  - { name: carrier-tcp, host: 127.0.0.1, port: ${sippPort}, transport: tcp, callerId: "+15550100" }
`,
    );
    await bridge.start();
    const metricsPort = bridge.metricsPort;
    const res = await post(metricsPort, '/v1/calls', { to: '+12025550123', trunk: 'carrier-tcp', bot: 'tester' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const bot = await bots.firstStarted();
    expect(bot.events[0]).toMatchObject({ type: 'start', direction: 'outbound', to: '+12025550123' });
    // The bridge sends RTP to the callee; the callee's media then talks back a 1 kHz tone for 3 s.
    await bot.until(() => bot.frames.length >= 50, 5000, '1 s of callee audio');
    expect(await post(metricsPort, `/v1/calls/${String(res.body.callId)}/hangup`, {})).toMatchObject({ status: 200 });
    const run = await uas.done;
    expect(run.code, describeSipp(run)).toBe(0);
    // What SIPp saw: a TCP Via and a TCP Contact on the INVITE, and the BYE on the same stream transport.
    expect(run.messages).toMatch(/INVITE sip:\+12025550123@127\.0\.0\.1:\d+;transport=tcp;user=phone SIP\/2\.0/);
    expect(run.messages).toMatch(/Via: SIP\/2\.0\/TCP 127\.0\.0\.1:\d+;branch=/);
    expect(run.messages).toMatch(/Contact: <sip:\+15550100@127\.0\.0\.1:\d+;transport=tcp>/);
    expect(run.messages).toMatch(/^BYE sip:agent@127\.0\.0\.1:\d+ SIP\/2\.0/m);
  }, 30_000);
});
