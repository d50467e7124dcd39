/**
 * Media on worker threads (`media.workers: 2`): each call's RTP and bot socket run on one worker, the least busy.
 * A worker that crashes (test hook, TRUNKBRIDGE_TEST_HOOKS=1: POST /_test/media-workers/0/crash makes worker 0
 * throw from its event loop, as a bug would) ends its own calls — the bot gets `stop`, the caller a BYE — and is started again; the
 * call on the other worker goes on untouched, and the next call works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeSipp, runSipp } from './harness/sipp.js';
import { waitFor } from '../helpers/wait-for.js';
import { metric } from './harness/metrics.js';
import { WorkerRig } from './harness/worker-rig.js';

/** RTP packets in /usr/share/sip-tester/g711a.pcap, which uac-pcap-g711a-caller-hangup.xml plays. */
const PCAP_PACKETS = 236;

let rig: WorkerRig;

beforeAll(async () => {
  rig = await WorkerRig.start();
});

afterAll(async () => {
  await rig?.stop();
});

describe('media workers', () => {
  it('starts two workers and says so when ready', () => {
    expect(rig.bridge.logs.find((l) => l.msg === 'trunkbridge ready')).toMatchObject({ mediaWorkers: 2 });
  });

  it('a crashed worker ends its own call (stop to the bot, BYE to the caller) and restarts; the call on the other worker goes on', async () => {
    const first = rig.call(); // worker 0 (both idle: the first one is taken)
    const botA = await rig.botNumber(1);
    const second = rig.call(); // worker 1 (the less busy one)
    const botB = await rig.botNumber(2);
    // Both streams reach the caller's RTP port (idle fill): two SSRCs.
    await waitFor(() => new Set(rig.listener.packets.map((p) => p.ssrc)).size >= 2, { timeoutMs: 5000, what: 'RTP from both calls' });
    const ssrcs = new Set(rig.listener.packets.map((p) => p.ssrc));

    expect(await rig.hook(0, 'crash')).toBe(202);
    const runA = await first;
    expect(runA.code, describeSipp(runA)).toBe(0); // the scenario ends on the bridge's BYE
    await botA.until(() => botA.closeCode !== undefined, 5000, 'bot A closed');
    expect(botA.event('stop')).toMatchObject({ type: 'stop', reason: 'error' });
    await rig.bridge.waitForLog((l) => l.msg === 'media worker exited; starting a new one');
    await rig.bridge.waitForLog((l) => l.msg === 'call ended' && l.reason === 'error');
    expect(await metric(rig.bridge.metricsPort, 'trunkbridge_media_worker_restarts_total')).toMatch(/reason="crashed"} 1$/m);

    // The other call is untouched: no stop, still counted, its RTP still flowing from the same SSRC.
    expect(botB.event('stop')).toBeUndefined();
    expect(await metric(rig.bridge.metricsPort, 'trunkbridge_active_calls')).toMatch(/ 1$/m);
    const mark = rig.listener.packets.length;
    await waitFor(() => rig.listener.packets.length > mark + 20, { timeoutMs: 3000, what: 'RTP after the crash' });
    const after = new Set(rig.listener.packets.slice(mark + 5).map((p) => p.ssrc));
    expect(after.size).toBe(1);
    expect(ssrcs.has([...after][0])).toBe(true);

    // Each worker reports its event-loop delay and its live legs' jitter-buffer delay and playout depth.
    await waitFor(async () => /trunkbridge_playout_queue_ms_count [1-9]/.test(await metric(rig.bridge.metricsPort, 'trunkbridge_playout_queue_ms_count')), {
      timeoutMs: 5000,
      what: 'playout depth samples from the workers',
    });
    // The restarted worker 0 reports a second after it came up.
    const threads = ['main', 'media-worker-0', 'media-worker-1'];
    const loops = await waitFor(async () => {
      const text = await metric(rig.bridge.metricsPort, 'trunkbridge_event_loop_delay_p99_ms');
      return threads.every((t) => text.includes(`thread="${t}"`)) ? text : undefined;
    }, { timeoutMs: 5000, onTimeout: 'resolve' });
    for (const thread of threads) expect(loops ?? '').toContain(`thread="${thread}"`);
    expect(await metric(rig.bridge.metricsPort, 'trunkbridge_jitter_buffer_delay_ms_count')).toMatch(/_count [1-9]/);

    botB.sendJson({ type: 'hangup' });
    const runB = await second;
    expect(runB.code, describeSipp(runB)).toBe(0);
    await botB.until(() => botB.event('stop') !== undefined, 5000, 'bot B stop');
    expect(botB.event('stop')).toMatchObject({ reason: 'bot-hangup' });
  });

  it("reports a call's end with all its packets, though workers send figures only once a second", async () => {
    const totalBefore = Number(/ (\d+)$/m.exec(await metric(rig.bridge.metricsPort, 'trunkbridge_rtp_packets_received_total'))?.[1] ?? 0);
    // BYE about 50 ms after the pcap's last packet (7.05 s of it), so the last periodic report missed some.
    const run = await runSipp({
      scenario: 'uac-pcap-g711a-caller-hangup.xml',
      target: { host: '127.0.0.1', port: rig.bridge.sipPort() },
      service: '+15550100',
      keys: { rtp_port: rig.listener.port },
      args: ['-d', '7100'],
    });
    expect(run.code, describeSipp(run)).toBe(0);
    const ended = await rig.bridge.waitForLog((l) => l.msg === 'call ended' && l.reason === 'caller-hangup');
    expect((ended.rtp as { packetsReceived: number }).packetsReceived).toBe(PCAP_PACKETS);
    const totalAfter = Number(/ (\d+)$/m.exec(await metric(rig.bridge.metricsPort, 'trunkbridge_rtp_packets_received_total'))?.[1]);
    expect(totalAfter - totalBefore).toBe(PCAP_PACKETS);
  });

  it('a new call after the crash works on the restarted worker', async () => {
    const count = rig.bots.connections.length;
    const run = rig.call();
    const bot = await rig.botNumber(count + 1);
    bot.sendJson({ type: 'hangup' });
    const done = await run;
    expect(done.code, describeSipp(done)).toBe(0);
    expect(bot.event('stop')).toMatchObject({ reason: 'bot-hangup' });
    expect(rig.bridge.logs.filter((l) => l.level >= 50 && l.msg !== 'media worker crashed; ending its calls' && l.msg !== 'media worker exited; starting a new one' && l.msg !== 'media worker crashed' && l.msg !== 'media engine failed; hanging up')).toEqual([]);
  });
});
