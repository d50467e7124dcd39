/**
 * A media worker that stops answering (test hook: its event loop blocked for 5 s, as an endless loop in a bug
 * would) is found by the watchdog (`media.workerWatchdogSec: 2`): the thread is ended, its call ends with a BYE to
 * the caller, a new worker takes its place, and the call on the other worker goes on untouched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeProcess } from './harness/bridge-process.js';
import { describeSipp, runSipp, type SippRun } from './harness/sipp.js';
import { TestBotServer, type BotConnection } from './harness/test-bot.js';
import { RtpListener } from './harness/rtp-listener.js';
import { reservePorts } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait-for.js';
import { testConfig } from './harness/config.js';
import { metric } from './harness/metrics.js';

let bridge: BridgeProcess;
let bots: TestBotServer;
let listener: RtpListener;

function call(): Promise<SippRun> {
  return runSipp({
    scenario: 'uac-expect-bye-from-bridge.xml',
    target: { host: '127.0.0.1', port: bridge.sipPort() },
    service: '+15550100',
    keys: { rtp_port: listener.port },
  });
}

async function botNumber(n: number): Promise<BotConnection> {
  await waitFor(() => bots.connections.length >= n && bots.connections[n - 1].event('start') !== undefined, { timeoutMs: 10_000, what: `bot ${n} started` });
  return bots.connections[n - 1];
}

beforeAll(async () => {
  const rtpBase = await reservePorts(8);
  bots = await TestBotServer.start();
  listener = await RtpListener.start();
  bridge = new BridgeProcess(
    testConfig({
      rtpPortMin: rtpBase,
      rtpPortMax: rtpBase + 7,
      extraMedia: '  workers: 2\n  workerWatchdogSec: 2',
      bots: { tester: `{ url: "${bots.url}", sampleRate: 8000 }` },
      numbers: { '+15550100': 'tester' },
    }),
    { TRUNKBRIDGE_TEST_HOOKS: '1' },
  );
  await bridge.start();
});

afterAll(async () => {
  await bridge?.stop();
  await bots?.close();
  listener?.close();
});

describe('media worker watchdog', () => {
  it("a hung worker is replaced and its call ends with a BYE; the other worker's call goes on; a new call works", async () => {
    const first = call(); // worker 0 (both idle: the first one is taken)
    const botA = await botNumber(1);
    const second = call(); // worker 1
    const botB = await botNumber(2);
    await waitFor(() => new Set(listener.packets.map((p) => p.ssrc)).size >= 2, { timeoutMs: 5000, what: 'RTP from both calls' });

    const stalledAt = Date.now();
    expect((await fetch(`http://127.0.0.1:${bridge.metricsPort}/_test/media-workers/0/stall?ms=5000`, { method: 'POST' })).status).toBe(202);
    const runA = await first;
    expect(runA.code, describeSipp(runA)).toBe(0); // the scenario ends on the bridge's BYE
    // Found after 2-3 s of silence (checked every second), not at the end of the 5 s block.
    expect(Date.now() - stalledAt).toBeLessThan(4800);
    const found = await bridge.waitForLog((l) => l.msg === 'media worker unresponsive; ending it and its calls');
    expect(found).toMatchObject({ worker: 0, calls: 1 });
    expect(found.silentMs as number).toBeGreaterThanOrEqual(2000);
    await bridge.waitForLog((l) => l.msg === 'call ended' && l.reason === 'error');
    await bridge.waitForLog((l) => l.msg === 'media worker exited; starting a new one');
    // Its bot cannot be told `stop` (the thread is gone): its socket closes.
    await botA.until(() => botA.closeCode !== undefined, 5000, 'bot A closed');
    const restarts = await metric(bridge.metricsPort, 'trunkbridge_media_worker_restarts_total');
    expect(restarts).toMatch(/reason="unresponsive"} 1$/m);
    expect(restarts).toMatch(/reason="crashed"} 0$/m);

    expect(botB.event('stop')).toBeUndefined();
    expect(await metric(bridge.metricsPort, 'trunkbridge_active_calls')).toMatch(/ 1$/m);
    botB.sendJson({ type: 'hangup' });
    const runB = await second;
    expect(runB.code, describeSipp(runB)).toBe(0);
    await botB.until(() => botB.event('stop') !== undefined, 5000, 'bot B stop');
    expect(botB.event('stop')).toMatchObject({ reason: 'bot-hangup' });

    // The new worker 0 takes calls (both idle again: the first is chosen).
    const third = call();
    const botC = await botNumber(3);
    botC.sendJson({ type: 'hangup' });
    const runC = await third;
    expect(runC.code, describeSipp(runC)).toBe(0);
    await botC.until(() => botC.event('stop') !== undefined, 5000, 'bot C stop');
    expect(botC.event('stop')).toMatchObject({ reason: 'bot-hangup' });
  }, 40_000);
});
