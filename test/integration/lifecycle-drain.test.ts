/**
 * Lifecycle: SIGTERM drains. A SIPp call in progress goes on to its own end; a new INVITE gets 503 with
 * Retry-After and OPTIONS 503; /readyz turns 503 while /healthz stays 200; the process exits 0 once the call is
 * over (GET /v1/calls shows the live call with its media figures first). Past drainTimeoutSec, or on a second signal, the calls left end with BYE and stop reason `shutdown`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BridgeProcess } from './harness/bridge-process.js';
import { runSipp, describeSipp } from './harness/sipp.js';
import { TestBotServer } from './harness/test-bot.js';
import { RtpListener } from './harness/rtp-listener.js';
import { reservePorts } from '../helpers/ports.js';
import { testConfig } from './harness/config.js';
import { waitFor } from '../helpers/wait-for.js';

describe('lifecycle: drain on SIGTERM', () => {
  let bridge: BridgeProcess | undefined;
  let bots: TestBotServer | undefined;
  let listener: RtpListener | undefined;

  afterEach(async () => {
    await bridge?.stop();
    await bots?.close();
    listener?.close();
    bridge = bots = listener = undefined;
  });

  async function start(drainTimeoutSec: number): Promise<BridgeProcess> {
    bots = await TestBotServer.start();
    listener = await RtpListener.start();
    const rtpBase = await reservePorts(8);
    const b = new BridgeProcess(
      testConfig({
        rtpPortMin: rtpBase,
        rtpPortMax: rtpBase + 7,
        bots: { tester: `{ url: "${bots.url}", sampleRate: 8000, connectTimeoutMs: 2000 }` },
        numbers: { '+15550100': 'tester' },
        drainTimeoutSec,
      }),
    );
    await b.start();
    bridge = b;
    return b;
  }

  async function http(b: BridgeProcess, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`http://127.0.0.1:${b.metricsPort}${path}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it('the call in progress goes on to its end; new INVITE 503 + Retry-After, OPTIONS 503, readyz 503; exit 0 after the call', async () => {
    const b = await start(30);
    expect(await http(b, '/readyz')).toEqual({ status: 200, body: { status: 'ready', checks: { listening: true, notDraining: true } } });
    const target = { host: '127.0.0.1', port: b.sipPort() };
    // The caller stays 6 s after answer, then hangs up itself.
    const inProgress = runSipp({ scenario: 'uac-pcap-g711a-caller-hangup.xml', target, service: '+15550100', keys: { rtp_port: listener!.port }, args: ['-d', '6000'], timeoutMs: 20_000 });
    const bot = await bots!.firstStarted();

    // The live call as GET /v1/calls shows it, media figures moving.
    const callId = String(bot.event('start')!.callId);
    const listed = await waitFor(
      async () => {
        const body = (await http(b, '/v1/calls')).body as { calls: Array<{ media: { packetsReceived: number } }> };
        return body.calls[0]?.media.packetsReceived > 20 ? body.calls : undefined;
      },
      { timeoutMs: 5000, what: 'RTP counted on the live call' },
    );
    expect(listed).toEqual([
      expect.objectContaining({
        callId, state: 'answered', direction: 'inbound', trunk: 'carrier-a', bot: 'tester', to: '+15550100', codec: 'PCMU', // the bridge's preference among SIPp's PCMA, PCMU
        answeredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), durationSec: expect.any(Number),
        media: expect.objectContaining({ packetsLost: 0, lossPercent: 0, bytesReceived: expect.any(Number), jitterMs: expect.any(Number), mos: expect.any(Number) }),
      }),
    ]);
    expect(await http(b, `/v1/calls/${callId}`)).toMatchObject({ status: 200, body: { callId, trunk: 'carrier-a' } });
    expect(await http(b, '/v1/calls/00000000-0000-0000-0000-000000000000')).toEqual({ status: 404, body: { error: 'unknown-call' } });

    b.signal('SIGTERM');
    await b.waitForLog((l) => l.msg === 'draining: new calls refused, calls in progress go on', 5000);
    expect(await http(b, '/readyz')).toMatchObject({ status: 503, body: { status: 'not-ready', checks: { notDraining: false } } });
    expect(await http(b, '/healthz')).toEqual({ status: 200, body: { status: 'draining', activeCalls: 1 } });

    const refused = await runSipp({ scenario: 'uac-expect-503.xml', target, service: '+15550100', keys: { rtp_port: listener!.port }, timeoutMs: 10_000 });
    expect(refused.code, describeSipp(refused)).toBe(0);
    expect(refused.messages).toMatch(/^SIP\/2\.0 503 Service Unavailable[\s\S]*^Retry-After: 30\r?$/m);
    const options = await runSipp({ scenario: 'uac-options-expect-503.xml', target, service: 'ping', timeoutMs: 10_000 });
    expect(options.code, describeSipp(options)).toBe(0);
    expect(options.messages).toMatch(/^Retry-After: 30\r?$/m);
    // Only the first call ever reached the bot.
    expect(bots!.connections).toHaveLength(1);

    const run = await inProgress;
    expect(run.code, describeSipp(run)).toBe(0);
    // The caller ended the call (its BYE), not the bridge.
    await bot.until(() => bot.event('stop') !== undefined, 5000, 'stop');
    expect(bot.event('stop')).toMatchObject({ reason: 'caller-hangup' });
    expect(await b.waitExit(10_000)).toBe(0);
    expect(b.logs.find((l) => l.msg === 'drain timeout: ending the calls still up')).toBeUndefined();
  }, 40_000);

  it('past drainTimeoutSec the call is ended with BYE and stop reason shutdown; exit 0', async () => {
    const b = await start(1);
    const inProgress = runSipp({ scenario: 'uac-expect-bye-from-bridge.xml', target: { host: '127.0.0.1', port: b.sipPort() }, service: '+15550100', keys: { rtp_port: listener!.port }, timeoutMs: 20_000 });
    const bot = await bots!.firstStarted();
    b.signal('SIGTERM');
    const run = await inProgress;
    expect(run.code, describeSipp(run)).toBe(0);
    await bot.until(() => bot.event('stop') !== undefined, 5000, 'stop');
    expect(bot.event('stop')).toMatchObject({ reason: 'shutdown' });
    expect(await b.waitExit(10_000)).toBe(0);
    expect(b.logs.find((l) => l.msg === 'drain timeout: ending the calls still up')).toMatchObject({ remaining: 1 });
  }, 40_000);

  it('a second signal ends the calls at once (BYE, stop reason shutdown) instead of waiting out the drain', async () => {
    const b = await start(600);
    const inProgress = runSipp({ scenario: 'uac-expect-bye-from-bridge.xml', target: { host: '127.0.0.1', port: b.sipPort() }, service: '+15550100', keys: { rtp_port: listener!.port }, timeoutMs: 20_000 });
    const bot = await bots!.firstStarted();
    b.signal('SIGTERM');
    await b.waitForLog((l) => l.msg === 'draining: new calls refused, calls in progress go on', 5000);
    b.signal('SIGINT');
    const run = await inProgress;
    expect(run.code, describeSipp(run)).toBe(0);
    await bot.until(() => bot.event('stop') !== undefined, 5000, 'stop');
    expect(bot.event('stop')).toMatchObject({ reason: 'shutdown' });
    expect(await b.waitExit(10_000)).toBe(0);
    expect(b.logs.some((l) => l.msg === 'second signal: ending every call now')).toBe(true);
  }, 40_000);
});
