/**
 * One step of the concurrency ramp: N calls held up by SIPp playing 20 ms PCMU, echoed by the sink bot,
 * measured over a fixed window once all are up (plus probe calls on the bridge), then hung up by SIPp.
 *
 * Timeline: SIPp starts calls at `rampRate` per second; the bench waits until the sink bot has N calls (or a
 * deadline), lets them settle, measures for `windowMs`, then waits for SIPp to end the calls. Each call's hold
 * time is set so that no call ends before the latest possible end of the window.
 */
import { join } from 'node:path';
import { PROBE_HOST, sleep } from './bridge.js';
import { writePcmuPcap } from './pcap.js';
import { cpuBetween, readCpu, type Rig, type Target } from './rig.js';
import { startSipp, writeScenarios, type SippResult } from './sipp.js';
import { processRssKb, udpDropsOf } from './proc-stats.js';
import type { SinkStatus, SinkWindow } from './sink.js';
import type { ProbeStartArgs, ProbeWindow } from './probe.js';
import { summarize as summarizeSorted, type Summary } from './stats.js';
import { KernelCapture } from './kernel-capture.js';
import { departureDeviations } from './pcap-pacing.js';
import { pinForStep, type CorePlan } from './affinity.js';
import type { PlayoutDropped } from '../media/index.js';

/** One step's size and timing. */
export interface CallStepOptions {
  calls: number;
  windowMs: number;
  settleMs: number;
  /** New calls per second while the step's calls come up. */
  rampRate: number;
  /** Probe calls (bridge only; 0 = none). */
  probes: number;
  burstEveryMs: number;
  /** At most this many calls per SIPp instance. */
  callsPerSipp: number;
  /** `--pin`: the target on cores of its own for the step (affinity.ts). */
  pin?: boolean;
  /** `--kernel-pacing`: pacing from a capture too (kernel-capture.ts). */
  kernelPacing?: boolean;
}

/** What one step measured (the JSON keeps all of it; the table shows the headline figures). */
export interface CallStepResult {
  target: 'bridge' | 'floor';
  workers?: number;
  botSampleRate: number;
  calls: number;
  /** Load calls with an open bot socket when the window started / ended (probe calls not included). */
  up: number;
  upAtEnd: number;
  /** Calls asked for that SIPp did not complete successfully (failed, never placed, or cut by its timeout). */
  failed: number;
  windowMs: number;
  /**
   * Frames due in the window (calls × window / 20 ms) against those the bot received in it. A 20 ms hole in a
   * call's stream (a jitter-buffer underrun that shifts the rest later) counts as a lost frame: in real time
   * the bot is a frame short there. `perCall`: fewest and most frames one call delivered (due/calls each when
   * nothing is lost).
   */
  callerToBot: { delivered: number; due: number; lostPct: number; perCall: { min: number; max: number } };
  /**
   * Frames the bot echoed in the window against packets with audio (not silence fill) the caller received in
   * it; also every RTP packet received, those due at 20 ms, and sequence gaps.
   */
  botToCaller: { echoed: number; delivered: number; lostPct: number; rtpPackets: number; rtpDue: number; seqLost: number };
  latency?: ProbeWindow;
  /** % of one core, per process, over the window (see rig.ts cpuBetween). */
  cpuPct: Record<string, number>;
  /** Probe calls up during the window (the bridge carries them on top of `calls`). */
  probeCalls: number;
  /** Target CPU per call (load and probe calls) per second of call, ms. */
  cpuMsPerCallSecond: number;
  /** perCallKb: over the settled idle RSS; perCallKbEarlyIdle: over the 2 s reading the bench used before. */
  rssKb: { idle: number; mean: number; max: number; perCallKb: number; idleEarly?: number; perCallKbEarlyIdle?: number };
  /** Main-thread event-loop delay of the bridge over the window (prom-client, 10 ms sampling), ms. */
  loopDelay?: { p50: number; p99: number; max: number };
  /** The worst media worker's event-loop delay p99 over its last second (the bridge's own gauge), ms. */
  workerLoopP99?: number;
  /** |inter-arrival − 20 ms| of the RTP at the caller (the sink), ms. */
  pacing: Summary;
  /** `--kernel-pacing`: |inter-departure − 20 ms| of the same RTP from kernel timestamps (pcap-pacing.ts), ms. */
  kernelPacing?: Summary;
  /** `--paced-sink`: how late the sink bot sent each frame after its slot, ms (the bridge's send clock follows a late bot). */
  botSendLate?: Summary;
  sinkLoopP99Ms: number;
  sinkSocketDrops: number;
  sinkStatus: SinkStatus;
  /**
   * Where frames went missing inside the target, over the window: datagrams the kernel dropped on its UDP
   * sockets (receive queue full: it did not read in time), and caller frames the bridge dropped because a
   * bot socket was backed up (its trunkbridge_bot_frames_dropped_total); and over the whole step (the bridge
   * counts it as each call ends), the bot audio its send loops dropped, ms per call, by reason.
   */
  targetDrops: { udpKernel: number; botFramesDropped?: number; playoutDroppedMs?: PlayoutDropped };
  sipp: Array<Omit<SippResult, 'responseTimesMs'>>;
  problems: string[];
  /** Cores the target and the generators were pinned to (`--pin`); absent when not pinned. */
  pinned?: CorePlan;
}

/** prom-client's event-loop sampling interval (its `eventLoopMonitoringPrecision` default; the bridge keeps it). */
const PROM_LOOP_RESOLUTION_MS = 10;

/** How long after the expected ramp the bench still waits for calls to come up (a loaded bridge answers late). */
function upSlackMs(rampMs: number): number {
  return 2000 + rampMs / 2;
}

/** Runs one step against `target`. */
export async function runCallStep(rig: Rig, target: Target, o: CallStepOptions, tag: string): Promise<CallStepResult> {
  const rampMs = (o.calls / o.rampRate) * 1000;
  const holdMs = rampMs + upSlackMs(rampMs) + o.settleMs + o.windowMs + 1000;
  const pcap = join(rig.dir, `${tag}.pcap`);
  writePcmuPcap(pcap, { durationMs: holdMs + 1000 });
  const { load } = writeScenarios(rig.dir, pcap);
  await rig.sink.request('reset');
  // Before SIPp starts: its instances inherit this process's affinity.
  const pinned = o.pin ? pinForStep(target.pid, [process.pid, rig.sink.pid, rig.probe.pid], target.workers ?? 1) : undefined;

  const droppedBefore = await playoutDropped(target);
  const instances = Math.ceil(o.calls / o.callsPerSipp);
  const sipps = await Promise.all(Array.from({ length: instances }, (_, i) => {
    const share = Math.floor(o.calls / instances) + (i < o.calls % instances ? 1 : 0);
    return startSipp(
      {
        scenario: load, dir: rig.dir, tag: `${tag}-sipp${i}`, target: { host: '127.0.0.1', port: target.sipPort }, sinkPort: rig.sinkRtpPort,
        calls: share, limit: share, rate: Math.max(1, Math.round(o.rampRate / instances)), holdMs, timeoutMs: holdMs + rampMs + 30_000,
      },
      rig.ports,
    );
  }));
  const sippDone = Promise.all(sipps.map((s) => s.done));
  const probing = target.kind === 'bridge' && o.probes > 0;
  const probesUp = probing ? startProbes(rig, target, o) : Promise.resolve(0);

  const upDeadline = performance.now() + rampMs + upSlackMs(rampMs);
  while (performance.now() < upDeadline && (await rig.sink.request<SinkStatus>('status')).live < o.calls) await sleep(200);
  await probesUp.catch((err: Error) => console.error(`  probes: ${err.message}`));
  await sleep(o.settleMs);

  const measured = await measureWindow(rig, target, o, probing, sipps.map((s) => s.pid));
  if (probing) await rig.probe.request('hangup', undefined, 15_000).catch(() => undefined);
  const sipp = await sippDone;
  const drainDeadline = performance.now() + 15_000;
  let status = await rig.sink.request<SinkStatus>('status');
  while (status.live > 0 && performance.now() < drainDeadline) {
    await sleep(200);
    status = await rig.sink.request<SinkStatus>('status');
  }
  const droppedAfter = await playoutDropped(target);
  if (droppedBefore && droppedAfter) measured.drops.playoutDroppedMs = perCall(droppedBefore, droppedAfter, o.calls + o.probes);
  return { ...summarize(target, o, measured, sipp, status), ...(pinned ? { pinned } : {}) };
}

/** Bot audio the bridge's send loops dropped, ms by reason: what trunkbridge_playout_dropped_seconds_total says. */
async function playoutDropped(target: Target): Promise<PlayoutDropped | undefined> {
  const m = await target.bridge?.metrics().catch(() => undefined);
  if (!m) return undefined;
  const ms = (reason: string) => (m.get(`trunkbridge_playout_dropped_seconds_total{reason="${reason}"}`) ?? 0) * 1000;
  return { late: ms('late'), backlog: ms('backlog'), overflow: ms('overflow') };
}

/** The step's drops (after − before), per call it placed. */
export function perCall(before: PlayoutDropped, after: PlayoutDropped, calls: number): PlayoutDropped {
  const n = Math.max(1, calls);
  return { late: (after.late - before.late) / n, backlog: (after.backlog - before.backlog) / n, overflow: (after.overflow - before.overflow) / n };
}

function startProbes(rig: Rig, target: Target, o: CallStepOptions): Promise<number> {
  const args: ProbeStartArgs = {
    count: o.probes,
    localHost: PROBE_HOST,
    target: { host: '127.0.0.1', port: target.sipPort },
    numberPrefix: '+1555990000',
    burstEveryMs: o.burstEveryMs,
    botSampleRate: target.botSampleRate,
  };
  return rig.probe.request<number>('start', args, 20_000);
}

interface Measured {
  sink: SinkWindow;
  probes?: ProbeWindow;
  /** Probe calls up in the window: the bridge carries them too. */
  probeCalls: number;
  cpuPct: Record<string, number>;
  rss: number[];
  loop?: { p50: number; p99: number; max: number };
  workerLoopP99?: number;
  drops: CallStepResult['targetDrops'];
  kernelPacing?: Summary;
}

/** The window: CPU and RSS of every process, the sink's and probes' counts, the bridge's loop delay. */
async function measureWindow(rig: Rig, target: Target, o: CallStepOptions, probing: boolean, sippPids: number[]): Promise<Measured> {
  // The first scrape also resets prom-client's loop-delay histogram, so the second covers the window.
  const m0 = await target.bridge?.metrics().catch(() => undefined);
  const udp0 = udpDrops(target.pid);
  const capture = o.kernelPacing ? await KernelCapture.start(rig.dir, rig.sinkRtpPort) : undefined;
  const cpu0 = readCpu(rig, target, sippPids);
  const wallStart = Date.now();
  await rig.sink.request('window-start', { windowMs: o.windowMs });
  const probeCalls = probing ? await rig.probe.request<number>('window-start') : 0;
  const rss: number[] = [];
  const end = performance.now() + o.windowMs;
  while (performance.now() < end) {
    rss.push(rssOf(target.pid));
    await sleep(Math.min(1000, Math.max(0, end - performance.now())));
  }
  const wallEnd = Date.now();
  const sink = await rig.sink.request<SinkWindow>('window-end');
  const probes = probing ? await rig.probe.request<ProbeWindow>('window-end') : undefined;
  const cpu1 = readCpu(rig, target, sippPids);
  const udp1 = udpDrops(target.pid);
  const m = await target.bridge?.metrics().catch(() => undefined);
  const dropped = 'trunkbridge_bot_frames_dropped_total';
  const drops = { udpKernel: udp1 - udp0, botFramesDropped: m && m0 ? (m.get(dropped) ?? NaN) - (m0.get(dropped) ?? NaN) : undefined };
  // Node's loop-delay histogram records the whole interval between its timer's runs, so the resolution
  // prom-client samples at (10 ms, its default) is taken off to leave the delay.
  const sec = (k: string) => Math.max(0, (m?.get(`trunkbridge_nodejs_eventloop_lag_${k}_seconds`) ?? NaN) * 1000 - PROM_LOOP_RESOLUTION_MS);
  const loop = m ? { p50: sec('p50'), p99: sec('p99'), max: sec('max') } : undefined;
  const workers = [...(m?.entries() ?? [])].filter(([k]) => k.startsWith('trunkbridge_event_loop_delay_p99_ms{thread="media-worker-')).map(([, v]) => v);
  const workerLoopP99 = workers.length > 0 ? Math.max(...workers) : undefined;
  const kernelPacing = capture ? summarizeSorted(departureDeviations(await capture.stop(), rig.sinkRtpPort, wallStart, wallEnd).sort((a, b) => a - b)) : undefined;
  return { ...(kernelPacing ? { kernelPacing } : {}), sink, probes, probeCalls, cpuPct: cpuBetween(cpu0, cpu1), rss, loop, drops, ...(workerLoopP99 !== undefined ? { workerLoopP99 } : {}) };
}

function udpDrops(pid: number): number {
  try {
    return udpDropsOf(pid);
  } catch {
    return NaN;
  }
}

function rssOf(pid: number): number {
  try {
    return processRssKb(pid);
  } catch {
    return NaN;
  }
}

function summarize(target: Target, o: CallStepOptions, m: Measured, sipp: SippResult[], status: SinkStatus): CallStepResult {
  const s = m.sink;
  const callsMean = (s.callsAtStart + s.callsAtEnd) / 2;
  const due = (callsMean * s.ms) / 20;
  const rss = m.rss.filter(Number.isFinite);
  const rssMean = rss.reduce((a, b) => a + b, 0) / Math.max(1, rss.length);
  // Every call asked for that SIPp did not complete: failed, never placed (SIPp could not start), or cut by its timeout.
  const failed = Math.max(0, o.calls - sipp.reduce((n, r) => n + r.successful, 0));
  // Per call: the probe calls are calls the target carries too (the floor has none).
  const served = Math.max(1, callsMean + m.probeCalls);
  const cpuMsPerCallSecond = ((m.cpuPct.target ?? NaN) * 10) / served; // 1 % of a core = 10 ms per second
  const problems = [...(target.bridge?.problems() ?? []), ...sipp.filter((r) => r.errors.trim()).map((r) => `sipp: ${r.errors.trim().split('\n').slice(-2).join(' | ')}`)];
  return {
    target: target.kind,
    workers: target.workers,
    botSampleRate: target.botSampleRate,
    calls: o.calls,
    up: s.callsAtStart,
    upAtEnd: s.callsAtEnd,
    probeCalls: m.probeCalls,
    failed,
    windowMs: s.ms,
    callerToBot: { delivered: s.framesToBot, due, lostPct: lossPct(s.framesToBot, due), perCall: s.framesPerCall },
    botToCaller: { echoed: s.framesFromBot, delivered: s.rtpAudio, lostPct: lossPct(s.rtpAudio, s.framesFromBot), rtpPackets: s.rtpPackets, rtpDue: due, seqLost: s.rtpSeqLost },
    latency: m.probes,
    cpuPct: m.cpuPct,
    cpuMsPerCallSecond,
    rssKb: {
      idle: target.idleRssKb, mean: rssMean, max: Math.max(...rss), perCallKb: (rssMean - target.idleRssKb) / served,
      ...(target.idleRssEarlyKb !== undefined ? { idleEarly: target.idleRssEarlyKb, perCallKbEarlyIdle: (rssMean - target.idleRssEarlyKb) / served } : {}),
    },
    loopDelay: m.loop,
    ...(m.workerLoopP99 !== undefined ? { workerLoopP99: m.workerLoopP99 } : {}),
    pacing: s.pacing,
    ...(m.kernelPacing ? { kernelPacing: m.kernelPacing } : {}),
    ...(s.botSendLate ? { botSendLate: s.botSendLate } : {}),
    sinkLoopP99Ms: s.sinkLoopP99Ms,
    sinkSocketDrops: s.socketDrops,
    sinkStatus: status,
    targetDrops: m.drops,
    sipp: sipp.map(({ responseTimesMs: _r, ...rest }) => rest),
    problems: problems.slice(0, 8),
  };
}

/** Loss in % of `expected`: 0 when nothing was expected, and when more came than was due (window edges). */
export function lossPct(got: number, expected: number): number {
  return expected > 0 ? Math.max(0, (100 * (expected - got)) / expected) : 0;
}
