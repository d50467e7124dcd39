/**
 * A media worker whose start fails (test hook: the thread throws before it is ready, as an out-of-memory start
 * or a broken build would) is started again after a wait that doubles with each failure in a row (1 s, 2 s...),
 * not in a tight loop; calls go to the worker that is ready meanwhile, and with no worker running a call is
 * refused 503 (Retry-After) instead of waiting on a thread that may not come up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeSipp } from './harness/sipp.js';
import { metric } from './harness/metrics.js';
import { WorkerRig } from './harness/worker-rig.js';
import type { LogLine } from './harness/bridge-process.js';

let rig: WorkerRig;

beforeAll(async () => {
  rig = await WorkerRig.start();
});

afterAll(async () => {
  await rig?.stop();
});

const failedStart = (worker: number, failedStarts: number) => (l: LogLine) =>
  l.msg === 'media worker failed to start; starting a new one later' && l.worker === worker && l.failedStarts === failedStarts;
/** A log line's time (pino's ISO string), ms since the epoch. */
const timeOf = (l: LogLine): number => Date.parse(l.time as string);
const startedAgain = (worker: number, after: number) => (l: LogLine) =>
  l.msg === 'media worker started again' && l.worker === worker && timeOf(l) > after;

describe('media worker restarts', () => {
  it('a worker whose starts fail is retried after 1 s then 2 s; calls go to the other worker meanwhile', async () => {
    const crashedAt = Date.now();
    expect(await rig.hook(0, { failStarts: 2 })).toBe(202);
    const first = await rig.bridge.waitForLog(failedStart(0, 1));
    expect(first).toMatchObject({ retryInMs: 1000 });
    // Worker 0 has no calls and would have been chosen; it is not ready, so worker 1 takes the call.
    const call = rig.call();
    const bot = await rig.botNumber(1);
    bot.sendJson({ type: 'hangup' });
    const run = await call;
    expect(run.code, describeSipp(run)).toBe(0);

    expect(await rig.bridge.waitForLog(failedStart(0, 2), 5000)).toMatchObject({ retryInMs: 2000 });
    const back = await rig.bridge.waitForLog(startedAgain(0, crashedAt), 8000);
    expect(back).toMatchObject({ failedStarts: 2 });
    // The waits were kept: 1 s after the first failed start, then 2 s.
    expect(timeOf(back) - timeOf(first)).toBeGreaterThanOrEqual(2900);
    const restarts = await metric(rig.bridge.metricsPort, 'trunkbridge_media_worker_restarts_total');
    expect(restarts).toMatch(/reason="crashed"} 1$/m);
    expect(restarts).toMatch(/reason="start-failed"} 2$/m);
    expect(rig.bridge.logs.filter((l) => l.msg === 'media worker failed to start; starting a new one later' && l.worker === 0)).toHaveLength(2);
  }, 30_000);

  it('with no worker running a call is refused 503; once one is back calls go through', async () => {
    const crashedAt = Date.now();
    expect(await rig.hook(0, { failStarts: 2 })).toBe(202);
    expect(await rig.hook(1, { failStarts: 2 })).toBe(202);
    // Both waiting 2 s after their second failed start: nothing runs.
    await rig.bridge.waitForLog(failedStart(0, 2), 5000);
    await rig.bridge.waitForLog(failedStart(1, 2), 5000);
    const refused = await rig.call('uac-expect-503.xml');
    expect(refused.code, describeSipp(refused)).toBe(0);
    const rejected = await rig.bridge.waitForLog((l) => l.reason === 'media-unavailable' && timeOf(l) > crashedAt);
    expect(rejected).toMatchObject({ msg: 'call rejected', status: 503 });

    await rig.bridge.waitForLog(startedAgain(0, crashedAt), 8000);
    await rig.bridge.waitForLog(startedAgain(1, crashedAt), 8000);
    const call = rig.call();
    const bot = await rig.botNumber(2);
    bot.sendJson({ type: 'hangup' });
    const run = await call;
    expect(run.code, describeSipp(run)).toBe(0);
  }, 30_000);
});
