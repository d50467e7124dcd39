/**
 * A media worker that stops answering (test hook: its event loop blocked for 5 s, as an endless loop in a bug
 * would) is found by the watchdog (`media.workerWatchdogSec: 2`): the thread is ended, its call ends with a BYE to
 * the caller, a new worker takes its place, and the call on the other worker goes on untouched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeSipp } from './harness/sipp.js';
import { waitFor } from '../helpers/wait-for.js';
import { metric } from './harness/metrics.js';
import { WorkerRig } from './harness/worker-rig.js';

let rig: WorkerRig;

beforeAll(async () => {
  rig = await WorkerRig.start('  workerWatchdogSec: 2');
});

afterAll(async () => {
  await rig?.stop();
});

describe('media worker watchdog', () => {
  it("a hung worker is replaced and its call ends with a BYE; the other worker's call goes on; a new call works", async () => {
    const first = rig.call(); // worker 0 (both idle: the first one is taken)
    const botA = await rig.botNumber(1);
    const second = rig.call(); // worker 1
    const botB = await rig.botNumber(2);
    await waitFor(() => new Set(rig.listener.packets.map((p) => p.ssrc)).size >= 2, { timeoutMs: 5000, what: 'RTP from both calls' });

    const stalledAt = Date.now();
    expect(await rig.hook(0, { stallMs: 5000 })).toBe(202);
    const runA = await first;
    expect(runA.code, describeSipp(runA)).toBe(0); // the scenario ends on the bridge's BYE
    // Found after 2-3 s of silence (checked every second), not at the end of the 5 s block.
    expect(Date.now() - stalledAt).toBeLessThan(4800);
    const found = await rig.bridge.waitForLog((l) => l.msg === 'media worker unresponsive; ending it and its calls');
    expect(found).toMatchObject({ worker: 0, calls: 1 });
    expect(found.silentMs as number).toBeGreaterThanOrEqual(2000);
    await rig.bridge.waitForLog((l) => l.msg === 'call ended' && l.reason === 'error');
    await rig.bridge.waitForLog((l) => l.msg === 'media worker exited; starting a new one');
    // Its bot cannot be told `stop` (the thread is gone): its socket closes.
    await botA.until(() => botA.closeCode !== undefined, 5000, 'bot A closed');
    const restarts = await metric(rig.bridge.metricsPort, 'trunkbridge_media_worker_restarts_total');
    expect(restarts).toMatch(/reason="unresponsive"} 1$/m);
    expect(restarts).toMatch(/reason="crashed"} 0$/m);

    expect(botB.event('stop')).toBeUndefined();
    expect(await metric(rig.bridge.metricsPort, 'trunkbridge_active_calls')).toMatch(/ 1$/m);
    botB.sendJson({ type: 'hangup' });
    const runB = await second;
    expect(runB.code, describeSipp(runB)).toBe(0);
    await botB.until(() => botB.event('stop') !== undefined, 5000, 'bot B stop');
    expect(botB.event('stop')).toMatchObject({ reason: 'bot-hangup' });

    // The new worker 0 takes calls (both idle again: the first is chosen).
    const third = rig.call();
    const botC = await rig.botNumber(3);
    botC.sendJson({ type: 'hangup' });
    const runC = await third;
    expect(runC.code, describeSipp(runC)).toBe(0);
    await botC.until(() => botC.event('stop') !== undefined, 5000, 'bot C stop');
    expect(botC.event('stop')).toMatchObject({ reason: 'bot-hangup' });
  }, 40_000);
});
