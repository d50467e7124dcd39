/**
 * Lossy networks (issue #12): calls set up, stay up and carry audio with 10 % SIP loss (SIPp -lost 10, which
 * drops that share of what it sends and receives) and 5 % RTP loss each way (a lossy relay written in the test,
 * between the caller's media endpoint and the bridge). Audio is checked by content: the caller's 400 Hz tone at
 * the bot, the bot's 1 kHz tone at the caller.
 */
import { createSocket } from 'node:dgram';
import alawmulaw from 'alawmulaw';
import { afterEach, describe, expect, it } from 'vitest';
import { BridgeProcess } from './harness/bridge-process.js';
import { CallerMedia } from './harness/caller-media.js';
import { testConfig } from './harness/config.js';
import { LossyRelay } from './harness/lossy-relay.js';
import { activeCalls } from './harness/active-calls.js';
import { describeSipp, runSipp } from './harness/sipp.js';
import { goertzelAmplitude, l16, sineL16, strongestWindow } from './harness/signal.js';
import { TestBotServer } from './harness/test-bot.js';
import { reservePorts } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait-for.js';

/** For a failure: the calls whose bot socket is still open, with the bridge's log lines about each. */
function openCallsDetail(bridge: BridgeProcess, bots: TestBotServer): string {
  const open = bots.connections.filter((c) => c.closeCode === undefined).map((c) => String(c.event('start')?.callId));
  const lines = bridge.logs.filter((l) => open.some((id) => JSON.stringify(l).includes(id)));
  return `open: ${open.join(', ')}\n${lines.map((l) => JSON.stringify(l)).join('\n')}`;
}

const CALLER_HZ = 400;
const BOT_HZ = 1000;

describe('lossy network: 10 % SIP loss, 5 % RTP loss each way', () => {
  let bridge: BridgeProcess | undefined;
  let bots: TestBotServer | undefined;
  let relay: LossyRelay | undefined;
  let caller: CallerMedia | undefined;

  afterEach(async () => {
    caller?.close();
    relay?.close();
    await bridge?.stop();
    await bots?.close();
    bridge = bots = relay = caller = undefined;
  });

  async function startBridge(rtpPorts: number): Promise<BridgeProcess> {
    const rtpBase = await reservePorts(rtpPorts);
    bots = await TestBotServer.start((c) => {
      c.ws.once('message', () => c.sendPcm(sineL16(BOT_HZ, 8000, 3000)));
    });
    const b = new BridgeProcess(
      testConfig({
        rtpPortMin: rtpBase,
        rtpPortMax: rtpBase + rtpPorts - 1,
        bots: { tester: `{ url: "${bots.url}", sampleRate: 8000, connectTimeoutMs: 2000 }` },
        numbers: { '+15550100': 'tester' },
      }),
    );
    await b.start();
    return b;
  }

  it('one call carries both tones through the lossy relay and ends cleanly', async () => {
    bridge = await startBridge(4);
    caller = await CallerMedia.start(CALLER_HZ);
    relay = await LossyRelay.start({ address: '127.0.0.1', port: caller.port }, 0.05);
    caller.sendTo(relay.farPort);

    const run = await runSipp({
      scenario: 'uac-call-hold-caller-hangup.xml',
      target: { host: '127.0.0.1', port: bridge.sipPort() },
      service: '+15550100',
      keys: { rtp_port: relay.nearPort },
      args: ['-d', '4000', '-lost', '10'],
      timeoutMs: 30_000,
    });
    // The call was set up, stayed up for its 4 s (a BYE from the bridge would break the scenario), and ended.
    expect(run.code, describeSipp(run)).toBe(0);

    const bot = await bots!.nextConnection();
    await bot.until(() => bot.closeCode !== undefined, 10_000, 'socket close');
    expect(bot.event('stop')).toMatchObject({ reason: 'caller-hangup' });

    // Both directions lost packets, about 5 %.
    for (const c of [relay.toBridge, relay.toCaller]) {
      expect(c.dropped).toBeGreaterThan(0);
      expect(c.dropped / (c.dropped + c.forwarded)).toBeLessThan(0.12);
    }

    // Caller -> bot: the 400 Hz tone, not the bot's 1 kHz.
    const atBot = l16(Buffer.concat(bot.frames));
    const up = strongestWindow(atBot, 8000, CALLER_HZ, 4000, 800);
    expect(up.level).toBeGreaterThan(2000);
    expect(goertzelAmplitude(up.win, 8000, BOT_HZ)).toBeLessThan(up.level / 10);

    // Bot -> caller: the 1 kHz tone in whatever G.711 the bridge answered with.
    const pcm = caller.received.flatMap((p) => Array.from(p.pt === 8 ? alawmulaw.alaw.decode(p.payload) : alawmulaw.mulaw.decode(p.payload)));
    const down = strongestWindow(pcm, 8000, BOT_HZ, 4000, 800);
    expect(down.level).toBeGreaterThan(2000);
    expect(goertzelAmplitude(down.win, 8000, CALLER_HZ)).toBeLessThan(down.level / 10);

    await waitFor(async () => (await activeCalls(bridge!.metricsPort)) === 0, { timeoutMs: 5000, what: 'no active call' });
  }, 60_000);

  it('30 short calls under 10 % SIP loss all complete; none stays active', async () => {
    bridge = await startBridge(16);
    const sink = createSocket('udp4');
    await new Promise<void>((res) => sink.bind(0, '127.0.0.1', () => res()));
    try {
      const run = await runSipp({
        scenario: 'uac-call-hold-caller-hangup.xml',
        target: { host: '127.0.0.1', port: bridge.sipPort() },
        service: '+15550100',
        keys: { rtp_port: sink.address().port },
        calls: 30,
        args: ['-d', '500', '-lost', '10', '-r', '5', '-l', '5'],
        timeoutMs: 60_000,
      });
      expect(run.code, describeSipp(run)).toBe(0);
      // SIPp's closing statistics: every call successful, none failed (exit 0 says the same, this says how many).
      expect(/Successful call\s*\|\s*\d+\s*\|\s*(\d+)/.exec(run.stdout)?.[1], run.stdout.slice(-3000)).toBe('30');
      expect(/Failed call\s*\|\s*\d+\s*\|\s*(\d+)/.exec(run.stdout)?.[1], run.stdout.slice(-3000)).toBe('0');
      // The loss was real: SIPp retransmitted INVITEs and BYEs whose answers it (or the bridge) lost.
      const retrans = [...run.stdout.matchAll(/^\s*(?:INVITE|BYE) -+>\s+\d+\s+(\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
      expect(retrans, run.stdout.slice(-3000)).toBeGreaterThan(0);
    } finally {
      sink.close();
    }
    await bots!.connectionCount(30);
    await waitFor(() => bots!.connections.every((c) => c.closeCode !== undefined), { timeoutMs: 10_000, what: 'every bot socket closed', detail: () => openCallsDetail(bridge!, bots!) });
    await waitFor(async () => (await activeCalls(bridge!.metricsPort)) === 0, { timeoutMs: 5000, what: 'no active call' });
  }, 120_000);
});
