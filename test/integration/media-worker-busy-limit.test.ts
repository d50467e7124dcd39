/**
 * The overload guard (`media.workerBusyLimit`): a media worker whose event loop is busy past the limit (test
 * hook: kept 90 % busy, as a saturated worker is) takes no new calls; they go to the other worker, and when both
 * are over it a call is refused 503 with Retry-After, so the calls already up keep their audio. Once the load is
 * gone, calls are taken again. The smoothed figure the guard judges is exported per worker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeSipp } from './harness/sipp.js';
import { metric } from './harness/metrics.js';
import { WorkerRig } from './harness/worker-rig.js';
import { waitFor } from '../helpers/wait-for.js';

let rig: WorkerRig;

beforeAll(async () => {
  rig = await WorkerRig.start('  workerBusyLimit: 0.8');
});

afterAll(async () => {
  await rig?.stop();
});

/** The exported, smoothed utilization of worker `index`. */
async function utilization(index: number): Promise<number> {
  const text = await metric(rig.bridge.metricsPort, 'trunkbridge_media_worker_utilization');
  return Number(new RegExp(`worker="${index}"\\} ([\\d.e-]+)`).exec(text)?.[1] ?? Number.NaN);
}

async function untilUtilization(index: number, pred: (u: number) => boolean, what: string): Promise<void> {
  await waitFor(async () => pred(await utilization(index)), { timeoutMs: 12_000, intervalMs: 250, what });
}

/** The worker a call's media ran on, from its worker-side log line. */
function workerOf(callId: string): unknown {
  return rig.bridge.logs.find((l) => l.msg === 'connecting to bot' && l.callId === callId)?.worker;
}

/** Places the `n`-th call, has its bot hang up, and returns the worker its media ran on. */
async function callOnce(n: number): Promise<unknown> {
  const run = rig.call();
  const bot = await rig.botNumber(n);
  const worker = workerOf(bot.event('start')?.callId as string);
  bot.sendJson({ type: 'hangup' });
  const done = await run;
  expect(done.code, describeSipp(done)).toBe(0);
  return worker;
}

describe('media.workerBusyLimit', () => {
  it('a busy worker takes no new call; with both busy a call is refused 503; afterwards calls are taken again', async () => {
    await untilUtilization(0, (u) => u < 0.5, 'worker 0 reporting, idle'); // its first report comes within a second
    expect(await rig.hook(0, { busyMs: 20_000 })).toBe(202);
    await untilUtilization(0, (u) => u > 0.8, 'worker 0 over the limit');

    // Worker 0 has no call and is first: it would take this one, but it is over the limit.
    expect(await callOnce(1)).toBe(1);

    expect(await rig.hook(1, { busyMs: 8000 })).toBe(202);
    await untilUtilization(1, (u) => u > 0.8, 'worker 1 over the limit');
    const refused = await rig.call('uac-expect-503.xml');
    expect(refused.code, describeSipp(refused)).toBe(0);
    expect(await rig.bridge.waitForLog((l) => l.msg === 'call rejected' && l.reason === 'media-busy')).toMatchObject({ status: 503 });

    // Worker 1's load ends first: it takes calls again.
    await untilUtilization(1, (u) => u < 0.8, 'worker 1 under the limit again');
    expect(await callOnce(2)).toBe(1);
  }, 60_000);
});
