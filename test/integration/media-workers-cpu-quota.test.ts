/**
 * The default number of media workers follows the CPUs the bridge may use, its cgroup's CPU quota included
 * (Docker `--cpus`, a Kubernetes limit), which Node's own count ignores. The bridge is started inside a cgroup
 * the test makes with a quota of one CPU, on a machine with more cores: it runs one worker, says why, and a call
 * goes through it; started outside, it runs one per core.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import { BridgeProcess } from './harness/bridge-process.js';
import { describeSipp, runSipp } from './harness/sipp.js';
import { TestBotServer } from './harness/test-bot.js';
import { RtpListener } from './harness/rtp-listener.js';
import { CpuQuotaGroup } from './harness/cpu-cgroup.js';
import { reservePorts } from '../helpers/ports.js';
import { testConfig } from './harness/config.js';
import { waitFor } from '../helpers/wait-for.js';

let bots: TestBotServer | undefined;
let listener: RtpListener | undefined;
let bridge: BridgeProcess | undefined;
let group: CpuQuotaGroup | undefined;

async function startBridge(inGroup: CpuQuotaGroup | undefined): Promise<BridgeProcess> {
  const rtpBase = await reservePorts(4);
  bots ??= await TestBotServer.start();
  // No `workers` in the config: the default is under test.
  const b = new BridgeProcess(testConfig({ rtpPortMin: rtpBase, rtpPortMax: rtpBase + 3, bots: { tester: `{ url: "${bots.url}" }` }, numbers: { '+15550100': 'tester' } }));
  b.cgroupProcsFile = inGroup?.procsFile;
  await b.start(20_000);
  return b;
}

afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
  group?.destroy(); // after the bridge has exited: a group with processes cannot be removed
  group = undefined;
});

afterAll(async () => {
  await bots?.close();
  listener?.close();
});

describe('media workers by default: one per CPU the bridge may use', () => {
  it('outside any quota: one per core', async () => {
    bridge = await startBridge(undefined);
    expect(bridge.ready).toMatchObject({ mediaWorkers: availableParallelism() });
    expect(bridge.logs.find((l) => l.msg === 'media workers limited by the cgroup CPU quota')).toBeUndefined();
  });

  it('in a cgroup with a quota of one CPU: one worker, the reason logged, and a call goes through it', async () => {
    const cores = availableParallelism();
    expect(cores, 'this test needs a machine with 2 cores or more to tell the quota from the core count').toBeGreaterThanOrEqual(2);
    group = CpuQuotaGroup.create(1);
    bridge = await startBridge(group);
    expect(bridge.ready).toMatchObject({ mediaWorkers: 1 });
    expect(await bridge.waitForLog((l) => l.msg === 'media workers limited by the cgroup CPU quota')).toMatchObject({ cores, cpuQuota: 1, workers: 1 });

    listener = await RtpListener.start();
    const run = runSipp({
      scenario: 'uac-expect-bye-from-bridge.xml',
      target: { host: '127.0.0.1', port: bridge.sipPort() },
      service: '+15550100',
      keys: { rtp_port: listener.port },
    });
    const bot = await bots!.firstStarted();
    bot.sendPcm(Buffer.alloc(640 * 10)); // 200 ms of silence at 16 kHz, to the caller
    await waitFor(() => listener!.packets.length >= 5, { timeoutMs: 5000, what: 'RTP from the bridge to the caller' });
    bot.sendJson({ type: 'hangup' });
    const done = await run;
    expect(done.code, describeSipp(done)).toBe(0);
  }, 40_000);
});
