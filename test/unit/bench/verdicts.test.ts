import { describe, expect, it } from 'vitest';
import type { CallStepResult } from '../../../src/bench/call-step.js';
import { lossPct, perCall } from '../../../src/bench/call-step.js';
import { capacityOf, capacityOk, lossOk, medianPair, rampSteps, setupPassed, type LoadResults } from '../../../src/bench/load.js';
import { nextRampStep, parseBenchOptions } from '../../../src/bench/options.js';
import { floorRatio, goals, marginalRssKb } from '../../../src/bench/report.js';
import type { SetupStepResult } from '../../../src/bench/setup-step.js';
import { bridgeConfigYaml } from '../../../src/bench/bridge.js';
import { parseConfig } from '../../../src/config/load.js';

/** A step that met every limit, with `over` applied. */
function step(calls: number, over: Partial<CallStepResult> = {}): CallStepResult {
  const s = { n: 100, p50: 0.5, p99: 2, max: 3, mean: 0.6, dropped: 0 };
  return {
    target: 'bridge', workers: 1, botSampleRate: 16000, calls, up: calls, upAtEnd: calls, probeCalls: 0, failed: 0, windowMs: 10_000,
    callerToBot: { delivered: calls * 500, due: calls * 500, lostPct: 0, perCall: { min: 500, max: 500 } },
    botToCaller: { echoed: calls * 500, delivered: calls * 500, lostPct: 0, rtpPackets: calls * 500, rtpDue: calls * 500, seqLost: 0 },
    latency: { callerToBot: s, botToCallerAdded: s, botToCallerRaw: s, lostBursts: 0, burstsSent: 40 },
    cpuPct: { target: calls / 10, machine: 50, others: 0 }, cpuMsPerCallSecond: 1,
    rssKb: { idle: 80_000, mean: 80_000 + calls * 100, max: 0, perCallKb: 100 },
    pacing: s, sinkLoopP99Ms: 1, sinkSocketDrops: 0, targetDrops: { udpKernel: 0 },
    sinkStatus: { live: 0, started: calls, stopped: calls, stopReasons: {}, bridgePacketsReceived: 0, bridgePacketsLost: 0 },
    sipp: [], problems: [],
    ...over,
  };
}

const opts = parseBenchOptions([])!;

describe('bench verdicts', () => {
  it('ramps 50, 100, then by 100', () => {
    expect([undefined, 50, 100, 200].map(nextRampStep)).toEqual([50, 100, 200, 300]);
  });

  it('loss is measured against what was due, and more than due is no loss', () => {
    expect(lossPct(999, 1000)).toBeCloseTo(0.1, 9);
    expect(lossPct(1001, 1000)).toBe(0);
    expect(lossPct(0, 0)).toBe(0);
  });

  it("the bridge's dropped bot audio over a step is the counter's rise, per call placed", () => {
    const before = { late: 100, backlog: 40, overflow: 0 };
    expect(perCall(before, { late: 2100, backlog: 40, overflow: 500 }, 200)).toEqual({ late: 10, backlog: 0, overflow: 2.5 });
    expect(perCall(before, before, 0)).toEqual({ late: 0, backlog: 0, overflow: 0 });
  });

  it('a step fails on loss above 0.1 % either way, a failed call, or a call not up; capacity also needs pacing', () => {
    expect(lossOk(step(100))).toBe(true);
    expect(lossOk(step(100, { callerToBot: { ...step(1).callerToBot, lostPct: 0.11 } }))).toBe(false);
    expect(lossOk(step(100, { botToCaller: { ...step(1).botToCaller, lostPct: 0.2 } }))).toBe(false);
    expect(lossOk(step(100, { failed: 1 }))).toBe(false);
    expect(lossOk(step(100, { up: 99 }))).toBe(false);
    expect(lossOk(step(100, { upAtEnd: 99 }))).toBe(false); // a call ended inside the window
    expect(capacityOk(step(100, { pacing: { ...step(1).pacing, p99: 5.1 } }))).toBe(false);
  });

  it('capacity is the last step before the first that misses, whatever comes after', () => {
    const bad = { pacing: { ...step(1).pacing, p99: 9 } };
    expect(capacityOf([step(50), step(100), step(200, bad), step(300)])).toBe(100);
    expect(capacityOf([step(50, bad)])).toBeUndefined();
  });

  it('a ramp stops after the first lossy step, then runs the 80 % step of the capacity found', async () => {
    const ran: number[] = [];
    const fresh: number[] = [];
    const lossy = { callerToBot: { delivered: 0, due: 1, lostPct: 0.5, perCall: { min: 0, max: 0 } } };
    const slow = { pacing: { ...step(1).pacing, p99: 8 } };
    const fake = async (calls: number, onFresh?: boolean) => {
      ran.push(calls);
      if (onFresh) fresh.push(calls);
      return step(calls, calls >= 400 ? lossy : calls === 300 ? slow : {});
    };
    const r = await rampSteps({ maxCalls: 1000 }, fake);
    expect(ran).toEqual([50, 100, 200, 300, 400, 160]); // 300 paces badly (not capacity) but loses nothing: the ramp goes on
    expect(r.capacity).toBe(200);
    expect(r.at80?.calls).toBe(160);
    expect(fresh).toEqual([160]); // on a bridge that was not just saturated by the 400 step
    ran.length = 0;
    const fixed = await rampSteps({ steps: [20, 500], maxCalls: 1000 }, fake);
    expect(ran).toEqual([20, 500]); // fixed steps run whatever their loss, and no 80 % step
    expect(fixed.at80).toBeUndefined();
    ran.length = 0;
    await rampSteps({ maxCalls: 250 }, fake);
    expect(ran).toEqual([50, 100, 200, 160]); // the ramp ends at maxCalls
  });

  it('a setup step passes with no failure and answers at 95 % of the rate', () => {
    const s = (failed: number, answered: number): SetupStepResult => ({ rate: 100, calls: 500, successful: 500 - failed, failed, answeredPerSecond: answered, setupMs: step(1).pacing, cpuPct: {}, problems: [] });
    expect(setupPassed(s(0, 96))).toBe(true);
    expect(setupPassed(s(0, 90))).toBe(false);
    expect(setupPassed(s(1, 100))).toBe(false);
  });

  it('judges goals from the figures, and a ramp that never reached its limit decides nothing below the goal', () => {
    const floor = [step(160, { target: 'floor', cpuMsPerCallSecond: 0.5 }), step(200, { target: 'floor', cpuMsPerCallSecond: 0.4 })];
    const w1 = { workers: 1, steps: [step(100), step(200), step(300, { callerToBot: { ...step(1).callerToBot, lostPct: 1 } })], capacity: 200, at80: step(160, { cpuMsPerCallSecond: 1.2 }) };
    const res: Partial<LoadResults> = { ramps: [w1], floor };
    const byGoal = Object.fromEntries(goals(res, opts).map((g) => [g.goal.split(' (')[0], g]));
    expect(byGoal['capacity, 1 worker, 16 kHz bot'].verdict).toBe('NOT met'); // 200 < 250, and the ramp found its limit
    expect(byGoal['CPU per call / floor, 16 kHz bot'].measured).toBe('2.40');
    expect(byGoal['CPU per call / floor, 16 kHz bot'].verdict).toBe('NOT met');
    expect(byGoal['CPU per call / floor, 8 kHz bot'].verdict).toBe('not measured');
    expect(byGoal['RSS per call over idle at 200 calls'].verdict).toBe('met');
    expect(byGoal['capacity 2 workers / 1 worker'].verdict).toBe('not measured');
    const open = goals({ ramps: [{ workers: 1, steps: [step(50), step(100)], capacity: 100 }] }, opts)[0];
    expect(open).toMatchObject({ measured: '>= 100 (ramp ended)', verdict: 'not measured' });
    const bad = { pacing: { ...step(1).pacing, p99: 30 } };
    const none = goals({ ramps: [{ workers: 1, steps: [step(50, bad)] }] }, opts)[0];
    expect(none).toMatchObject({ measured: '< 50', verdict: 'NOT met' });
  });

  it('the 8 kHz goal takes the pair with the median ratio of repeated runs', () => {
    const pair = (bridge: number, floor?: number) => ({ bridge: step(200, { cpuMsPerCallSecond: bridge }), ...(floor ? { floor: step(200, { target: 'floor', cpuMsPerCallSecond: floor }) } : {}) });
    const [a, b, c] = [pair(2.0, 1.0), pair(3.0, 2.0), pair(1.8, 1.0)]; // ratios 2.0, 1.5, 1.8
    expect(medianPair([a, b, c])).toBe(c);
    expect(medianPair([a, b])).toBe(b); // even count: the lower middle one
    expect(medianPair([a])).toBe(a);
    const noFloor = pair(2.0);
    expect(medianPair([noFloor])).toBe(noFloor);
    const res = { bot8k: { ...medianPair([a, b, c]), pairs: [a, b, c] } } as Partial<LoadResults>;
    const g = goals(res, opts).find((x) => x.goal.includes('8 kHz'))!;
    expect(g.measured).toBe('1.80');
    expect(g.verdict).toBe('NOT met');
  });

  it('the 8 kHz ratio is not judged when a run of the bridge lost audio (a saturated worker lowers its own CPU)', () => {
    const lost = { botToCaller: { ...step(1).botToCaller, lostPct: 19.7 } };
    const pair = (bridge: number, over: Partial<CallStepResult> = {}) => ({ bridge: step(200, { cpuMsPerCallSecond: bridge, ...over }), floor: step(200, { target: 'floor', cpuMsPerCallSecond: 2.6 }) });
    const pairs = [pair(3.3), pair(3.31, lost), pair(2.98, { botToCaller: { ...step(1).botToCaller, lostPct: 22.7 } })];
    const res = { bot8k: { ...medianPair(pairs), pairs } } as Partial<LoadResults>;
    const g = goals(res, opts).find((x) => x.goal.includes('8 kHz'))!;
    expect(g).toMatchObject({ measured: '1.27 (a run lost 22.7 %: saturated, try fewer --bot8k-calls)', verdict: 'not measured' });
    const clean = [pair(3.3), pair(3.31), pair(2.98)];
    expect(goals({ bot8k: { ...medianPair(clean), pairs: clean } } as Partial<LoadResults>, opts).find((x) => x.goal.includes('8 kHz'))).toMatchObject({ measured: '1.27', verdict: 'met' });
  });

  it('the floor ratio needs a floor figure', () => {
    expect(floorRatio(step(10, { cpuMsPerCallSecond: 3 }), step(10, { cpuMsPerCallSecond: 2 }))).toBe(1.5);
    expect(floorRatio(step(10), undefined)).toBeUndefined();
  });
});

describe('RSS each call added', () => {
  /** A step at `calls` whose RSS is `mb` MB. */
  const at = (calls: number, mb: number, over: Partial<CallStepResult> = {}) => step(calls, { rssKb: { idle: 80_000, mean: mb * 1024, max: 0, perCallKb: 0 }, ...over });

  it('is the RSS between the step below 200 calls and the 200-call step, per call added', () => {
    const ramp = { workers: 1, steps: [at(50, 103), at(100, 112), at(200, 122), at(300, 142)], capacity: 200 };
    expect(marginalRssKb(ramp, 200)).toEqual({ from: 100, to: 200, kbPerCall: 102.4 });
  });

  it('is not given without both steps, or from a step that lost audio (its RSS holds a backlog)', () => {
    expect(marginalRssKb(undefined, 200)).toBeUndefined();
    expect(marginalRssKb({ workers: 1, steps: [at(200, 122)], capacity: 200 }, 200)).toBeUndefined();
    expect(marginalRssKb({ workers: 1, steps: [at(100, 112), at(300, 142)], capacity: 100 }, 200)).toBeUndefined();
    const lossy = at(100, 112, { botToCaller: { ...step(100).botToCaller, lostPct: 3 } });
    expect(marginalRssKb({ workers: 1, steps: [lossy, at(200, 122)], capacity: undefined }, 200)).toBeUndefined();
  });
});

describe('bench options', () => {
  it('defaults to everything, ramps, workers 1 and 2; --quick is small; bad values are refused', () => {
    expect([...opts.parts].sort()).toEqual(['calls', 'micro', 'setup']);
    expect(opts.steps).toBeUndefined();
    expect(opts.workers).toEqual([1, 2]);
    const q = parseBenchOptions(['--quick', '--only', 'calls'])!;
    expect(q.steps).toEqual([20, 50]);
    expect([...q.parts]).toEqual(['calls']);
    expect(parseBenchOptions(['--steps', '50,100', '--workers', '2']))
      .toMatchObject({ steps: [50, 100], workers: [2] });
    expect(parseBenchOptions(['--help'])).toBeUndefined();
    expect(() => parseBenchOptions(['--only', 'everything'])).toThrow(/--only/);
    expect(() => parseBenchOptions(['--steps', '50,x'])).toThrow(/--steps/);
    expect(() => parseBenchOptions(['--window', '0'])).toThrow(/--window/);
    expect(opts.busyLimit).toBeUndefined();
    expect(parseBenchOptions(['--busy-limit', '0.9'])?.busyLimit).toBe(0.9);
    expect(() => parseBenchOptions(['--busy-limit', '90'])).toThrow(/--busy-limit/);
  });

  it("writes the bridge's config with the overload guard only when asked for", () => {
    const base = { workers: 1, botSampleRate: 16000 as const, sinkBotUrl: 'ws://127.0.0.1:1', probeBotUrl: 'ws://127.0.0.1:2', probeJitterMs: 0 };
    expect(bridgeConfigYaml(base)).not.toContain('workerBusyLimit');
    const guarded = parseConfig(bridgeConfigYaml({ ...base, busyLimit: 0.9 }));
    expect(guarded.media.workerBusyLimit).toBe(0.9);
  });
});
