/** `npm run bench -- [options]`: what runs and at what sizes. */
import { parseArgs } from 'node:util';

/** `--help` text. */
export const USAGE = `usage: npm run bench -- [options]

What runs (default: all of it; on 2 cores an estimated 8-10 minutes, longer as the ramps reach further):
  --only LIST          micro,calls,setup (any of them, comma-separated)
  --quick              a small run to see it work: steps 20,50, workers 1, 5 s windows,
                       setup rates 50,100, 8 kHz step at 20 calls, 2 probes
Concurrency ramp (SIPp carrier, sink bot, probes, floor):
  --steps LIST         fixed call counts (no ramp: each runs whatever its loss); default:
                       50,100,200,300,... until frames lost pass 0.1 % either way
  --max-calls N        last ramp step at most (default 1000)
  --workers LIST       media.workers values, one ramp each (default 1,2)
  --window S           measured seconds per step (default 10)
  --settle S           seconds between all calls up and the window (default 3)
  --ramp-rate N        new calls per second while a step's calls come up (default 100)
  --probes N           probe calls measuring latency (default 4; 0 = none)
  --probe-jitter-ms N  the probe trunk's jitterBufferMs (default 0: latency without the buffer's delay)
  --busy-limit X       the bridge's media.workerBusyLimit (0.5..1; default: none): calls past it are refused
                       503 and count as failed, the loss figures are those of the calls it took
  --calls-per-sipp N   calls per SIPp instance (default 200)
  --bot8k-calls N      one step with an 8 kHz bot (and its floor) at N calls (default 200; 0 = skip)
  --bot8k-repeat N     run the 8 kHz step and its floor N times, alternating (default 1); the goal takes
                       the median ratio: one pair's ratio moves by 20 % between runs on a shared machine
  --no-floor           skip the floor relay
  --paced-sink         the sink bot echoes on each call's own 20 ms clock (as a bot streaming in real time)
                       instead of at once, so the carrier's timing jitter does not reach the bridge through it;
                       the sink runs at nice -20 (root) so that little of its own lateness does either
  --kernel-pacing      also read each step's pacing from a tcpdump of the bridge's RTP (kernel timestamps of
                       its departures, without the sink's own scheduling); needs tcpdump and root, and the
                       capture adds a little to the bridge's CPU (not for CPU figures)
  --pin                the bridge (or floor) on cores of its own (one per media worker), SIPp, the sink bot,
                       the probes and the bench on the others (taskset); steps whose workers leave the
                       generators no core run unpinned
Setup ramp (short calls):
  --setup-rates LIST   calls per second (default 100,200,300,400,500,600,800,1000, stopping at the
                       first step with a failed call or answering below 95 % of the rate)
  --setup-seconds S    seconds of calls per rate (default 5)
  --setup-hold-ms N    how long each call stays up (default 500)
Output:
  --out DIR            where the JSON goes (default bench-results)
  --keep               keep the work folder (bridge logs, configs, SIPp files); kept anyway on failure
  -h, --help           this text`;

/** Calls in one step at most: the bridge's RTP range in the bench (ports.ts) has 4000 even ports, with room left for probes. */
const MAX_CALLS = 3000;

/** The parts of a run `--only` chooses from. */
export type Part = 'micro' | 'calls' | 'setup';

/** A run's options, defaults filled in. */
export interface BenchOptions {
  parts: Set<Part>;
  /** Fixed steps, or undefined for the ramp. */
  steps?: number[];
  maxCalls: number;
  workers: number[];
  windowMs: number;
  settleMs: number;
  rampRate: number;
  probes: number;
  probeJitterMs: number;
  /** `--busy-limit`: the bridge's media.workerBusyLimit (the overload guard), none when undefined. */
  busyLimit?: number;
  burstEveryMs: number;
  callsPerSipp: number;
  bot8kCalls: number;
  /** `--bot8k-repeat`: bridge/floor pairs of the 8 kHz step. */
  bot8kRepeat: number;
  floor: boolean;
  /** `--paced-sink`: see paced-echo.ts. */
  pacedSink: boolean;
  /** `--pin`: see affinity.ts. */
  pin: boolean;
  /** `--kernel-pacing`: see kernel-capture.ts. */
  kernelPacing: boolean;
  setupRates: number[];
  /** True when the rates were given: each runs whatever the failures. */
  setupFixed: boolean;
  setupSeconds: number;
  setupHoldMs: number;
  outDir: string;
  keep: boolean;
  quick: boolean;
}

/** The ramp's call counts after `last`: 50, 100, then +100. */
export function nextRampStep(last: number | undefined): number {
  if (last === undefined) return 50;
  return last < 100 ? 100 : last + 100;
}

function list(text: string, what: string, min: number, max: number): number[] {
  const out = text.split(',').map((s) => Number(s.trim()));
  if (out.length === 0 || out.some((n) => !Number.isInteger(n) || n < min || n > max)) throw new Error(`${what}: integers ${min}..${max}, comma-separated`);
  return out;
}

function num(text: string | undefined, what: string, min: number, max: number, dflt: number): number {
  if (text === undefined) return dflt;
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`${what}: a number ${min}..${max}`);
  return n;
}

/** Parses the command line; throws with a message on a bad option. Returns undefined for --help. */
export function parseBenchOptions(argv: string[]): BenchOptions | undefined {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string' }, quick: { type: 'boolean' }, steps: { type: 'string' }, 'max-calls': { type: 'string' },
      workers: { type: 'string' }, window: { type: 'string' }, settle: { type: 'string' }, 'ramp-rate': { type: 'string' },
      probes: { type: 'string' }, 'probe-jitter-ms': { type: 'string' }, 'busy-limit': { type: 'string' }, 'calls-per-sipp': { type: 'string' },
      'bot8k-calls': { type: 'string' }, 'bot8k-repeat': { type: 'string' }, 'no-floor': { type: 'boolean' }, pin: { type: 'boolean' }, 'kernel-pacing': { type: 'boolean' }, 'paced-sink': { type: 'boolean' }, 'setup-rates': { type: 'string' },
      'setup-seconds': { type: 'string' }, 'setup-hold-ms': { type: 'string' }, out: { type: 'string' }, keep: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) return undefined;
  const q = v.quick === true;
  const parts = new Set<Part>();
  for (const p of (v.only ?? 'micro,calls,setup').split(',')) {
    if (p !== 'micro' && p !== 'calls' && p !== 'setup') throw new Error(`--only: micro, calls or setup, not "${p}"`);
    parts.add(p);
  }
  return {
    parts,
    steps: v.steps !== undefined ? list(v.steps, '--steps', 1, MAX_CALLS) : q ? [20, 50] : undefined,
    maxCalls: num(v['max-calls'], '--max-calls', 1, MAX_CALLS, 1000),
    workers: v.workers !== undefined ? list(v.workers, '--workers', 0, 64) : q ? [1] : [1, 2],
    windowMs: num(v.window, '--window', 1, 600, q ? 5 : 10) * 1000,
    settleMs: num(v.settle, '--settle', 0, 60, q ? 2 : 3) * 1000,
    rampRate: num(v['ramp-rate'], '--ramp-rate', 1, 2000, 100),
    probes: num(v.probes, '--probes', 0, 50, q ? 2 : 4),
    probeJitterMs: num(v['probe-jitter-ms'], '--probe-jitter-ms', 0, 1000, 0),
    ...(v['busy-limit'] !== undefined ? { busyLimit: num(v['busy-limit'], '--busy-limit', 0.5, 1, 1) } : {}),
    burstEveryMs: 500,
    callsPerSipp: num(v['calls-per-sipp'], '--calls-per-sipp', 1, 5000, 200),
    bot8kCalls: num(v['bot8k-calls'], '--bot8k-calls', 0, MAX_CALLS, q ? 20 : 200),
    bot8kRepeat: num(v['bot8k-repeat'], '--bot8k-repeat', 1, 20, 1),
    floor: v['no-floor'] !== true,
    pin: v.pin === true,
    kernelPacing: v['kernel-pacing'] === true,
    pacedSink: v['paced-sink'] === true,
    setupRates: v['setup-rates'] !== undefined ? list(v['setup-rates'], '--setup-rates', 1, 5000) : q ? [50, 100] : [100, 200, 300, 400, 500, 600, 800, 1000],
    setupFixed: v['setup-rates'] !== undefined,
    setupSeconds: num(v['setup-seconds'], '--setup-seconds', 1, 120, q ? 3 : 5),
    setupHoldMs: num(v['setup-hold-ms'], '--setup-hold-ms', 0, 60_000, 500),
    outDir: v.out ?? 'bench-results',
    keep: v.keep === true,
    quick: q,
  };
}
