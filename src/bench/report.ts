/**
 * The load benchmark's output: tables on stdout, the goals of issue #9 checked against what was measured,
 * and everything (every step's full figures, the machine, the options) in one JSON file.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { CallStepResult } from './call-step.js';
import { capacityOk, lossOk, setupPassed, LOSS_LIMIT_PCT, PACING_LIMIT_MS, type LoadResults, type Ramp } from './load.js';
import type { BenchOptions } from './options.js';
import type { SetupStepResult } from './setup-step.js';

type Row = Record<string, string>;
/** Prints one titled table (main.ts's printer, the micro-benchmarks' layout). */
export type Printer = (title: string, rows: Row[]) => void;

const f = (n: number | null | undefined, digits = 1): string => (typeof n === 'number' && Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const pair = (a: number | null | undefined, b: number | null | undefined, d = 1) => `${f(a, d)} / ${f(b, d)}`;

/** The bridge's CPU per call-second over the floor's at the same call count and bot rate. */
export function floorRatio(bridge: CallStepResult, floor: CallStepResult | undefined): number | undefined {
  return floor && floor.cpuMsPerCallSecond > 0 ? bridge.cpuMsPerCallSecond / floor.cpuMsPerCallSecond : undefined;
}

function rampRow(r: CallStepResult, floor: CallStepResult | undefined, mark: string): Row {
  return {
    workers: String(r.workers ?? ''),
    calls: `${r.calls}${mark}`,
    up: String(r.up),
    failed: String(r.failed),
    'lost c->b %': f(r.callerToBot.lostPct, 3),
    'lost b->c %': f(r.botToCaller.lostPct, 3),
    'c->b p50/p99 ms': pair(r.latency?.callerToBot.p50, r.latency?.callerToBot.p99),
    // Raw (frame sent -> loud RTP in): the bridge's send clock aligns to the bot's audio, so there is no fixed slot
    // to subtract any more (the slot-relative figure stays in the JSON).
    'b->c p50/p99 ms': pair(r.latency?.botToCallerRaw.p50, r.latency?.botToCallerRaw.p99),
    'CPU %': f(r.cpuPct.target, 0),
    'ms/call-s': f(r.cpuMsPerCallSecond, 2),
    'floor ms/call-s': f(floor?.cpuMsPerCallSecond, 2),
    'x floor': f(floorRatio(r, floor), 2),
    'RSS MB': f(r.rssKb.mean / 1024, 0),
    'KB/call': f(r.rssKb.perCallKb, 0),
    'loop p99 ms': f(r.loopDelay?.p99, 1),
    'wkr loop p99': f(r.workerLoopP99, 1),
    'pacing p99 ms': f(r.pacing.p99, 1),
    'gen %': f(generatorsPct(r), 0),
    'busy %': f(r.cpuPct.machine, 0),
    'others %': f(r.cpuPct.others, 0),
    cores: coresCell(r),
  };
}

/** `--pin`: target's cores / generators' cores; "shared" when not pinned. */
function coresCell(r: CallStepResult): string {
  return r.pinned ? `${r.pinned.target.join(',')} / ${r.pinned.generators.join(',')}` : 'shared';
}

/** CPU of the traffic generators (SIPp, sink bot, probes), % of one core: they share the machine with the target. */
function generatorsPct(r: CallStepResult): number {
  return (r.cpuPct.sipp ?? 0) + (r.cpuPct.sink ?? 0) + (r.cpuPct.probe ?? 0);
}

function floorRow(r: CallStepResult): Row {
  return {
    'bot kHz': String(r.botSampleRate / 1000),
    calls: String(r.calls),
    up: String(r.up),
    failed: String(r.failed),
    'lost c->b %': f(r.callerToBot.lostPct, 3),
    'lost b->c %': f(r.botToCaller.lostPct, 3),
    'CPU %': f(r.cpuPct.target, 0),
    'ms/call-s': f(r.cpuMsPerCallSecond, 2),
    'RSS MB': f(r.rssKb.mean / 1024, 0),
    'pacing p99 ms': f(r.pacing.p99, 1),
    'gen %': f(generatorsPct(r), 0),
    'busy %': f(r.cpuPct.machine, 0),
    'others %': f(r.cpuPct.others, 0),
    cores: coresCell(r),
  };
}

function setupRow(r: SetupStepResult): Row {
  return {
    workers: String(r.workers ?? ''),
    'calls/s': String(r.rate),
    calls: String(r.calls),
    failed: String(r.failed),
    'answered/s': f(r.answeredPerSecond, 0),
    'INVITE->200 p50/p99 ms': pair(r.setupMs.p50, r.setupMs.p99),
    'CPU %': f(r.cpuPct.target, 0),
    'SIPp CPU %': f(r.cpuPct.sipp, 0),
    'busy %': f(r.cpuPct.machine, 0),
    'others %': f(r.cpuPct.others, 0),
  };
}

/** Prints the load tables. */
export function printLoadTables(res: Partial<LoadResults>, o: BenchOptions, print: Printer): void {
  const floorAt = (n: number) => res.floor?.find((x) => x.calls === n);
  const rows: Row[] = [];
  for (const ramp of res.ramps ?? []) {
    for (const s of [...ramp.steps, ...(ramp.at80 && !ramp.steps.includes(ramp.at80) ? [ramp.at80] : [])]) {
      const mark = s === ramp.at80 ? ' @80%' : s.calls === ramp.capacity ? ' cap' : '';
      rows.push(rampRow(s, floorAt(s.calls), mark));
    }
  }
  const probeNote = o.probes > 0 ? `${o.probes} probe calls (jitterBufferMs ${o.probeJitterMs})` : 'no probes';
  if (rows.length) {
    print(
      [
        `Concurrency: the bridge process, SIPp carrier (20 ms PCMU), 16 kHz sink bot echoing every frame${o.pacedSink ? ' on its own 20 ms clock (--paced-sink)' : ''}, ${o.windowMs / 1000} s windows, ${probeNote}`,
        '  latency c->b: RTP sent -> frame at the bot; b->c: the bot\'s frame sent (at a random phase of the 20 ms packets) -> RTP at the caller',
        `  cap: largest step with lost <= ${LOSS_LIMIT_PCT} % each way and pacing p99 <= ${PACING_LIMIT_MS} ms; @80%: latency judged here`,
        '  CPU: % of one core, all threads; ms/call-s: CPU per call per second of call; loop: main-thread event-loop delay; wkr loop: the worst media worker (its own 1 s p99)',
        '  gen: SIPp + sink + probes CPU; busy: the machine, all cores; others: busy time outside the bench\'s processes (% of a core)',
        '  cores: with --pin, the target\'s cores / the generators\' cores; shared: every process may use every core',
      ].join('\n'),
      rows,
    );
  }
  const floor8 = (res.bot8k?.pairs ?? []).flatMap((p) => (p.floor ? [p.floor] : []));
  const floorRows = [...(res.floor ?? []), ...floor8].map(floorRow);
  if (floorRows.length) print('Floor (bare dgram + ws relay, same carrier, bot and rates; it sends each echoed frame at once, so its pacing is the carrier\'s, the sink bot\'s and the kernel\'s jitter)', floorRows);
  if (res.bot8k) {
    const pairs = res.bot8k.pairs;
    const median = res.bot8k.bridge;
    const mark = (p: (typeof pairs)[number], i: number) => (pairs.length > 1 ? ` r${i + 1}${p.bridge === median ? ' med' : ''}` : '');
    print(`8 kHz bot${pairs.length > 1 ? ` (${pairs.length} runs, each right before its floor; med: the median ratio, which the goal takes)` : ''}`, pairs.map((p, i) => rampRow(p.bridge, p.floor, mark(p, i))));
  }
  if (res.setup?.length) print(`Call setup (short calls: ${o.setupHoldMs} ms, no caller audio; ${o.setupSeconds} s per rate; INVITE->200 as SIPp times it, in whole ms)`, res.setup.map(setupRow));
}

interface Goal {
  goal: string;
  target: string;
  measured: string;
  verdict: 'met' | 'NOT met' | 'not measured';
}

/**
 * One goal. `lowerBound`: the run stopped before the limit was found (every step passed), so the figure is
 * only "at least": it meets a ">=" goal when already above it, and otherwise decides nothing.
 */
function goal(g: string, target: string, value: number | undefined, ok: (v: number) => boolean, shown?: string, lowerBound = false): Goal {
  if (value === undefined || !Number.isFinite(value)) return { goal: g, target, measured: 'n/a', verdict: 'not measured' };
  const text = shown ?? f(value, 2);
  if (lowerBound) return { goal: g, target, measured: `>= ${text} (ramp ended)`, verdict: ok(value) ? 'met' : 'not measured' };
  return { goal: g, target, measured: text, verdict: ok(value) ? 'met' : 'NOT met' };
}

/** Capacity of the 1-worker ramp; below its first step when even that one missed. */
function capacityGoal(w1: Ramp | undefined): Goal {
  const g = 'capacity, 1 worker, 16 kHz bot (calls)';
  if (w1 && w1.capacity === undefined && w1.steps.length > 0) {
    const first = Math.min(...w1.steps.map((s) => s.calls));
    return { goal: g, target: '>= 250', measured: `< ${first}`, verdict: first <= 250 ? 'NOT met' : 'not measured' };
  }
  return goal(g, '>= 250', w1?.capacity, (v) => v >= 250, w1?.capacity === undefined ? undefined : String(w1.capacity), unbounded(w1));
}

/**
 * The 8 kHz ratio, judged only when every run of the bridge lost no more than a step may: a saturated worker drops
 * audio it then never encodes or sends, which lowers its CPU per call and so the ratio (1.27x "met" at 200 calls on
 * a VM where that step lost 20 %).
 */
function bot8kGoal(bot8k: LoadResults['bot8k'], ratio: number | undefined): Goal {
  const g = `CPU per call / floor, 8 kHz bot (${bot8k?.bridge.calls ?? '?'} calls)`;
  const judged = goal(g, '<= 1.5', ratio, (v) => v <= 1.5);
  const lossy = (bot8k?.pairs ?? []).map((p) => p.bridge).filter((b) => !lossOk(b));
  if (lossy.length === 0 || judged.verdict === 'not measured') return judged;
  const worst = Math.max(...lossy.map((b) => Math.max(b.callerToBot.lostPct, b.botToCaller.lostPct)));
  return { ...judged, measured: `${judged.measured} (a run lost ${f(worst, 1)} %: saturated, try fewer --bot8k-calls)`, verdict: 'not measured' };
}

/** True when every step of the ramp counted towards capacity: its limit was not reached. */
function unbounded(r: Ramp | undefined): boolean {
  return r !== undefined && r.steps.every(capacityOk);
}

/** Issue #9's goals, each against the figure that decides it (or "not measured" when the run had none). */
export function goals(res: Partial<LoadResults>, o: BenchOptions): Goal[] {
  const w1 = res.ramps?.find((r) => r.workers === 1);
  const w2 = res.ramps?.find((r) => r.workers === 2);
  const floorAt = (n: number) => res.floor?.find((x) => x.calls === n);
  const judged: CallStepResult | undefined = w1?.at80;
  const jb = o.probeJitterMs;
  const at200 = w1?.steps.find((s) => s.calls === 200);
  const setupOk = (res.setup ?? []).filter(setupPassed).map((s) => s.rate);
  const setupBound = (res.setup ?? []).every(setupPassed);
  const ratio8 = res.bot8k ? floorRatio(res.bot8k.bridge, res.bot8k.floor) : undefined;
  return [
    capacityGoal(w1),
    // A ratio of capacities means something only when both ramps found their limit.
    unbounded(w1) || unbounded(w2)
      ? { goal: 'capacity 2 workers / 1 worker', target: '>= 1.8', measured: 'n/a (a ramp ended before its limit)', verdict: 'not measured' }
      : goal('capacity 2 workers / 1 worker', '>= 1.8', w1?.capacity && w2?.capacity ? w2.capacity / w1.capacity : undefined, (v) => v >= 1.8),
    goal(`caller->bot latency p99 at 80 % (${judged?.calls ?? '?'} calls), ms`, `<= 5${jb ? ` + ${jb}` : ''}`, judged?.latency?.callerToBot.p99, (v) => v <= 5 + jb),
    goal(`bot->caller latency p99 at 80 % (${judged?.calls ?? '?'} calls), ms`, '<= 5', judged?.latency?.botToCallerRaw.p99, (v) => v <= 5),
    goal(`CPU per call / floor, 16 kHz bot (${judged?.calls ?? '?'} calls)`, '<= 2.0', judged ? floorRatio(judged, floorAt(judged.calls)) : undefined, (v) => v <= 2),
    bot8kGoal(res.bot8k, ratio8),
    goal('call setup, 0 failures, answered >= 95 % of rate (calls/s)', '>= 500', setupOk.length ? Math.max(...setupOk) : undefined, (v) => v >= 500, setupOk.length ? String(Math.max(...setupOk)) : undefined, setupBound),
    goal('RSS per call over idle at 200 calls (KB)', '<= 150', at200?.rssKb.perCallKb, (v) => v <= 150, at200 ? f(at200.rssKb.perCallKb, 0) : undefined),
  ];
}

/**
 * What each call added to RSS between the two steps of a ramp below `atCalls` and at it (KB), beside the goal's
 * figure over the idle process. Why: the goal's figure also carries what grows once under any load, whatever the
 * number of calls (each thread's young generation, 0.26 → 4 MB; JIT code), which weighs more the fewer the calls.
 * Undefined without both steps or when the lower one lost more than the ramp allows (its RSS is a backlog's).
 */
export function marginalRssKb(ramp: Ramp | undefined, atCalls: number): { from: number; to: number; kbPerCall: number } | undefined {
  const steps = (ramp?.steps ?? []).filter((s) => s.calls <= atCalls).sort((a, b) => a.calls - b.calls);
  const to = steps.at(-1);
  const from = steps.at(-2);
  if (!to || !from || to.calls !== atCalls || !lossOk(from)) return undefined;
  return { from: from.calls, to: to.calls, kbPerCall: (to.rssKb.mean - from.rssKb.mean) / (to.calls - from.calls) };
}

/** Where and on what the run happened. */
export function machine(): Record<string, string | number> {
  const c = cpus();
  const tryRun = (cmd: string, args: string[]): string => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    } catch {
      return 'unknown';
    }
  };
  return {
    cpuModel: c[0]?.model ?? 'unknown',
    cores: c.length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    sipp: /SIPp v[\w.-]+/.exec(tryRun('sipp', ['-v']))?.[0] ?? 'unknown',
    commit: tryRun('git', ['rev-parse', '--short', 'HEAD']),
  };
}

/** Writes `<outDir>/<date>.json`; returns its path. */
export function writeJson(outDir: string, startedAt: Date, data: unknown): string {
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, `${startedAt.toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}.json`);
  writeFileSync(path, `${JSON.stringify(data, null, 2)}\n`);
  return path;
}
