/**
 * The load phases of `npm run bench`: the concurrency ramp per `media.workers` value (with the floor relay
 * measured at the same call counts, interleaved so both see the same machine), the 80 %-of-capacity step
 * where latency is judged, one step with an 8 kHz bot, and the call-setup ramp.
 */
import { BridgeUnderTest, bridgeConfigYaml, sleep } from './bridge.js';
import { runCallStep, type CallStepOptions, type CallStepResult } from './call-step.js';
import { nextRampStep, type BenchOptions } from './options.js';
import { Helper } from './processes.js';
import { processRssKb } from './proc-stats.js';
import type { Rig, Target } from './rig.js';
import { runSetupStep, type SetupStepResult } from './setup-step.js';
import { writeScenarios } from './sipp.js';
import { join } from 'node:path';
import { writePcmuPcap } from './pcap.js';

/** Frames lost (either way) above this end the ramp: the issue's 0.1 %. */
export const LOSS_LIMIT_PCT = 0.1;
/** Pacing p99 a step must keep to count towards capacity, ms. */
export const PACING_LIMIT_MS = 5;

/** One concurrency ramp (one `media.workers` value). */
export interface Ramp {
  workers: number;
  steps: CallStepResult[];
  /** Largest step with no failures, every call up, loss ≤ 0.1 % each way and pacing p99 ≤ 5 ms. */
  capacity?: number;
  /** The step at 80 % of `capacity` (latency is judged there). */
  at80?: CallStepResult;
}

/** One run of the 8 kHz step on the bridge and, right after, on the floor. */
export interface Bot8kPair {
  bridge: CallStepResult;
  floor?: CallStepResult;
}

/** The pair whose bridge/floor CPU ratio is the median (the lower middle one of an even count); the first without floors. */
export function medianPair(pairs: Bot8kPair[]): Bot8kPair {
  const ratio = (p: Bot8kPair) => (p.floor ? p.bridge.cpuMsPerCallSecond / p.floor.cpuMsPerCallSecond : NaN);
  const rated = pairs.filter((p) => Number.isFinite(ratio(p))).sort((a, b) => ratio(a) - ratio(b));
  return rated.length ? rated[(rated.length - 1) >> 1] : pairs[0];
}

/** Everything the load phases measured. */
export interface LoadResults {
  ramps: Ramp[];
  /** Floor relay with the ramp's bot rate, by call count. */
  floor: CallStepResult[];
  /** The 8 kHz step: the pair with the median CPU ratio, and every pair run (`--bot8k-repeat`). */
  bot8k?: Bot8kPair & { pairs: Bot8kPair[] };
  setup: SetupStepResult[];
}

/** No failures, every call up through the whole window, loss within the limit both ways. */
export function lossOk(r: CallStepResult): boolean {
  const allUp = r.up >= r.calls && r.upAtEnd >= r.calls;
  return r.failed === 0 && allUp && r.callerToBot.lostPct <= LOSS_LIMIT_PCT && r.botToCaller.lostPct <= LOSS_LIMIT_PCT;
}

/** {@link lossOk} and pacing p99 within {@link PACING_LIMIT_MS}: the step counts towards capacity. */
export function capacityOk(r: CallStepResult): boolean {
  // Figures crossing the IPC channel as JSON turn NaN into null, which `<=` would take for 0.
  return lossOk(r) && typeof r.pacing.p99 === 'number' && r.pacing.p99 <= PACING_LIMIT_MS;
}

/** A setup step passes with no failed call and the bridge answering at ≥ 95 % of the offered rate. */
export function setupPassed(r: SetupStepResult): boolean {
  return r.failed === 0 && r.answeredPerSecond >= 0.95 * r.rate;
}

/** A figure for a progress line: n/a when missing (NaN comes back from a helper as null). */
function fx(n: number | null | undefined, digits: number): string {
  return typeof n === 'number' && Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
}

/** One line per step while the bench runs. */
function progress(r: CallStepResult): void {
  const lat = r.latency ? ` latency c->b p99 ${fx(r.latency.callerToBot.p99, 1)} b->c p99 ${fx(r.latency.botToCallerRaw.p99, 1)} ms,` : '';
  console.log(
    `  ${r.target}${r.workers !== undefined ? ` w${r.workers}` : ''} ${r.botSampleRate / 1000}k ${r.calls} calls: up ${r.up}, failed ${r.failed}, ` +
      `lost c->b ${fx(r.callerToBot.lostPct, 3)} % b->c ${fx(r.botToCaller.lostPct, 3)} %,${lat} CPU ${fx(r.cpuPct.target, 0)} %, ` +
      `pacing p99 ${fx(r.pacing.p99, 1)} ms${r.kernelPacing ? ` (at the kernel ${fx(r.kernelPacing.p99, 1)} ms)` : ''}${r.botSendLate ? `, bot sent late p99 ${fx(r.botSendLate.p99, 1)} ms` : ''}, machine ${fx(r.cpuPct.machine, 0)} % busy`,
  );
  const d = r.targetDrops.playoutDroppedMs;
  // Where b->c loss is the bridge's own doing: audio its send loops dropped (the rest went missing outside it).
  if (d && d.late + d.backlog + d.overflow > 0) {
    console.log(`    bot audio the bridge dropped, ms per call over the step: late ${fx(d.late, 1)}, backlog ${fx(d.backlog, 1)}, overflow ${fx(d.overflow, 1)}`);
  }
}

async function startBridge(rig: Rig, o: BenchOptions, workers: number, botSampleRate: 8000 | 16000): Promise<Target> {
  const yaml = bridgeConfigYaml({
    workers, botSampleRate, probeJitterMs: o.probeJitterMs, ...(o.busyLimit !== undefined ? { busyLimit: o.busyLimit } : {}),
    sinkBotUrl: `ws://127.0.0.1:${rig.sinkWsPort}`, probeBotUrl: `ws://127.0.0.1:${rig.probeWsPort}`,
  });
  const bridge = await BridgeUnderTest.start(rig.dir, `bridge-w${workers}-${botSampleRate / 1000}k`, yaml);
  const idle = await settledIdleRss(bridge.pid);
  return { kind: 'bridge', pid: bridge.pid, sipPort: bridge.sipPort, workers, botSampleRate, bridge, idleRssKb: idle.settledKb, idleRssEarlyKb: idle.earlyKb };
}

/** Idle readings span this: V8 keeps its start-up garbage until its memory reducer runs, 10-20 s in. */
const IDLE_SETTLE_MS = 25_000;

/**
 * The idle bridge's RSS once it has settled. Read 2 s after start, as the bench did before, it still held 8-25 MB
 * of start-up garbage (module loading, compilation) that V8's memory reducer gives back 10-20 s in, and that a
 * bridge under load has collected too: the per-call figures came out 40-125 KB low at 200 calls. Settled: the
 * lowest reading, once a second for 25 s (RSS does not dip and come back while nothing runs).
 */
async function settledIdleRss(pid: number): Promise<{ earlyKb: number; settledKb: number }> {
  const start = performance.now();
  await sleep(2000);
  const earlyKb = processRssKb(pid);
  let settledKb = earlyKb;
  while (performance.now() - start < IDLE_SETTLE_MS) {
    await sleep(1000);
    settledKb = Math.min(settledKb, processRssKb(pid));
  }
  return { earlyKb, settledKb };
}

/** The floor relay: started once per bot rate (its frame size). */
async function startFloor(rig: Rig, botSampleRate: 8000 | 16000): Promise<{ helper: Helper; target: Target }> {
  const helper = await Helper.start(`floor-${botSampleRate / 1000}k`, './floor.js');
  const { sipPort } = await helper.request<{ sipPort: number }>('configure', { botUrl: `ws://127.0.0.1:${rig.sinkWsPort}/floor`, botSampleRate });
  await sleep(1000);
  return { helper, target: { kind: 'floor', pid: helper.pid, sipPort, botSampleRate, idleRssKb: processRssKb(helper.pid) } };
}

function stepOptions(o: BenchOptions, calls: number): CallStepOptions {
  return { calls, windowMs: o.windowMs, settleMs: o.settleMs, rampRate: o.rampRate, probes: o.probes, burstEveryMs: o.burstEveryMs, callsPerSipp: o.callsPerSipp, pin: o.pin, kernelPacing: o.kernelPacing };
}

/** One ramp on a fresh bridge with `workers`; the floor at each new call count right after the bridge's step. */
async function ramp(rig: Rig, o: BenchOptions, workers: number, floor: { target?: Target; results: Map<number, CallStepResult> }): Promise<Ramp> {
  let target = await startBridge(rig, o, workers, 16000);
  const step = async (calls: number, fresh?: boolean): Promise<CallStepResult> => {
    if (fresh) {
      await target.bridge!.stop();
      target = await startBridge(rig, o, workers, 16000);
    }
    const r = await runCallStep(rig, target, stepOptions(o, calls), `w${workers}-${calls}`);
    progress(r);
    if (floor.target && !floor.results.has(calls)) {
      const f = await runCallStep(rig, floor.target, stepOptions(o, calls), `floor-${calls}`);
      progress(f);
      floor.results.set(calls, f);
    }
    return r;
  };
  try {
    return { workers, ...(await rampSteps(o, step)) };
  } finally {
    await target.bridge!.stop();
  }
}

/**
 * A ramp's control: the fixed steps, or 50, 100, 200, … up to `maxCalls`, stopping after the first step whose
 * loss misses; then capacity, and (ramps only) the step at 80 % of it, run unless a step of that size ran. That
 * step asks for a `fresh` bridge: the one before it was past capacity, and a bridge that has just been saturated
 * is not the one an operator runs at 80 % (its heaps and arenas grown, its code optimised for another load).
 */
export async function rampSteps(
  o: Pick<BenchOptions, 'steps' | 'maxCalls'>,
  step: (calls: number, fresh?: boolean) => Promise<CallStepResult>,
): Promise<Omit<Ramp, 'workers'>> {
  const steps: CallStepResult[] = [];
  if (o.steps) {
    for (const calls of o.steps) steps.push(await step(calls));
  } else {
    for (let calls = nextRampStep(undefined); calls <= o.maxCalls; calls = nextRampStep(calls)) {
      const r = await step(calls);
      steps.push(r);
      if (!lossOk(r)) break;
    }
  }
  const capacity = capacityOf(steps);
  if (o.steps || capacity === undefined) return { steps, capacity };
  const n80 = Math.max(10, Math.round((0.8 * capacity) / 10) * 10);
  return { steps, capacity, at80: steps.find((s) => s.calls === n80) ?? (await step(n80, true)) };
}

/** The largest step that meets {@link capacityOk}, when every smaller step did too. */
export function capacityOf(steps: CallStepResult[]): number | undefined {
  let cap: number | undefined;
  for (const s of [...steps].sort((a, b) => a.calls - b.calls)) {
    if (!capacityOk(s)) break;
    cap = s.calls;
  }
  return cap;
}

/** Concurrency ramps, the floor, and the 8 kHz step. */
export async function runCallsPhase(rig: Rig, o: BenchOptions): Promise<Omit<LoadResults, 'setup'>> {
  const floorResults = new Map<number, CallStepResult>();
  const floor16 = o.floor ? await startFloor(rig, 16000) : undefined;
  const ramps: Ramp[] = [];
  try {
    for (const workers of o.workers) {
      console.log(`concurrency ramp, media.workers ${workers}`);
      ramps.push(await ramp(rig, o, workers, { target: floor16?.target, results: floorResults }));
    }
  } finally {
    await floor16?.helper.stop();
  }
  let bot8k: LoadResults['bot8k'];
  if (o.bot8kCalls > 0) {
    console.log(`8 kHz bot, ${o.bot8kCalls} calls`);
    const target = await startBridge(rig, o, o.workers[0], 8000);
    const floor8 = o.floor ? await startFloor(rig, 8000) : undefined;
    try {
      const pairs: Bot8kPair[] = [];
      for (let i = 1; i <= o.bot8kRepeat; i++) {
        const tag = `${o.bot8kCalls}${o.bot8kRepeat > 1 ? `-r${i}` : ''}`;
        const bridge = await runCallStep(rig, target, stepOptions(o, o.bot8kCalls), `8k-${tag}`);
        progress(bridge);
        const f = floor8 ? await runCallStep(rig, floor8.target, stepOptions(o, o.bot8kCalls), `floor8k-${tag}`) : undefined;
        if (f) progress(f);
        pairs.push({ bridge, floor: f });
      }
      bot8k = { ...medianPair(pairs), pairs };
    } finally {
      await target.bridge!.stop();
      await floor8?.helper.stop();
    }
  }
  return { ramps, floor: [...floorResults.values()].sort((a, b) => a.calls - b.calls), bot8k };
}

/** Setup-rate ramp on a bridge with the first workers value; stops at the first step that does not pass. */
export async function runSetupPhase(rig: Rig, o: BenchOptions): Promise<SetupStepResult[]> {
  console.log(`setup ramp (calls of ${o.setupHoldMs} ms, ${o.setupSeconds} s per rate), media.workers ${o.workers[0]}`);
  const pcap = join(rig.dir, 'unused.pcap');
  writePcmuPcap(pcap, { durationMs: 20 });
  const { setup } = writeScenarios(rig.dir, pcap);
  const target = await startBridge(rig, o, o.workers[0], 16000);
  const out: SetupStepResult[] = [];
  try {
    for (const rate of o.setupRates) {
      const r = await runSetupStep(rig, target, { rate, seconds: o.setupSeconds, holdMs: o.setupHoldMs, scenario: setup }, `setup-${rate}`);
      out.push(r);
      console.log(
        `  ${rate} calls/s: ${r.successful}/${r.calls} ok, failed ${r.failed}, answered ${fx(r.answeredPerSecond, 0)}/s, ` +
          `INVITE->200 p99 ${fx(r.setupMs.p99, 1)} ms, CPU ${fx(r.cpuPct.target, 0)} %`,
      );
      if (!setupPassed(r) && !o.setupFixed) break;
      await sleep(1000);
    }
  } finally {
    await target.bridge!.stop();
  }
  return out;
}
