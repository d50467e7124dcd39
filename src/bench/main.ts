/**
 * `npm run bench`: the media micro-benchmarks (run.ts), then the load benchmark, which runs the real bridge
 * as a separate process (`node --max-semi-space-size=2 --single-threaded-gc dist/cli/main.js --config <generated>`,
 * as the Dockerfile runs it) and measures it from outside: SIPp as the carrier, a sink bot that echoes every frame, probe calls
 * for latency, /proc for CPU and memory, the bridge's /metrics for its event-loop delay, and a bare relay (the
 * floor) at the same rates for comparison.
 * Prints tables, checks issue #9's goals, writes bench-results/<date>.json. Options: `--help` (options.ts).
 *
 * All traffic stays on 127.0.0.0/8; every loop is bounded (steps by count, waits by deadlines, SIPp by its
 * -timeout), and every process the bench starts is ended on exit, on error and on Ctrl-C (processes.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { favourProcess } from './affinity.js';
import { CLI } from './bridge.js';
import { runCallsPhase, runSetupPhase, type LoadResults } from './load.js';
import { parseBenchOptions, USAGE, type BenchOptions } from './options.js';
import { PortBlocks } from './ports.js';
import { Helper, installCleanup, stopAll } from './processes.js';
import { goals, machine, marginalRssKb, printLoadTables, writeJson } from './report.js';
import type { Rig } from './rig.js';

/** The whole run stops (and cleans up) after this, whatever happens. */
const HARD_DEADLINE_MS = 45 * 60_000;

/** The same table layout as the micro-benchmarks (run.ts). */
function printTable(title: string, rows: Array<Record<string, string>>): void {
  const cols = Object.keys(rows[0]);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(width[i]) : c.padStart(width[i]))).join('  ');
  console.log(`\n${title}`);
  console.log(line(cols));
  console.log(width.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(cols.map((c) => r[c])));
}

/** What the load benchmark needs on this machine; a message for each thing missing. */
function preflight(): string[] {
  const missing: string[] = [];
  if (!existsSync(CLI)) missing.push(`${CLI} is missing: build first (npm run bench builds)`);
  try {
    execFileSync('sipp', ['-v'], { stdio: 'ignore' });
  } catch (err) {
    // `sipp -v` exits non-zero after printing its version; only a missing binary is a problem.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') missing.push('sipp is not installed (Debian: apt-get install sip-tester)');
  }
  if (process.getuid?.() !== 0) {
    console.warn('bench: not root: SIPp plays RTP through raw sockets, which need root or CAP_NET_RAW on the sipp binary');
  }
  return missing;
}

async function startRig(dir: string, o: BenchOptions): Promise<Rig> {
  const ports = new PortBlocks();
  const sink = await Helper.start('sink', './sink.js');
  const s = await sink.request<{ rtpPort: number; wsPort: number }>('info');
  if (o.pacedSink) {
    await sink.request('paced-echo', { on: true });
    if (!favourProcess(sink.pid)) console.warn('bench: could not raise the sink bot\'s priority (renice, root): more of its own lateness is in the pacing figures');
  }
  const probe = await Helper.start('probe', './probe.js');
  const p = await probe.request<{ wsPort: number }>('info');
  return { dir, ports, sink, sinkRtpPort: s.rtpPort, sinkWsPort: s.wsPort, probe, probeWsPort: p.wsPort };
}

/** The spread of machine load over the steps: how noisy the figures are. */
function noise(res: Partial<LoadResults>): { busyPct: [number, number]; othersPct: [number, number] } | undefined {
  const bot8k = (res.bot8k?.pairs ?? []).flatMap((p) => [p.bridge, ...(p.floor ? [p.floor] : [])]);
  const steps = [...(res.ramps ?? []).flatMap((r) => [...r.steps, ...(r.at80 ? [r.at80] : [])]), ...(res.floor ?? []), ...bot8k];
  const busy = steps.map((s) => s.cpuPct.machine).filter(Number.isFinite);
  const others = steps.map((s) => s.cpuPct.others).filter(Number.isFinite);
  if (!busy.length) return undefined;
  return { busyPct: [Math.min(...busy), Math.max(...busy)], othersPct: [Math.min(...others), Math.max(...others)] };
}

async function runLoad(o: BenchOptions, startedAt: Date): Promise<void> {
  const missing = preflight();
  if (missing.length) throw new Error(missing.join('\n'));
  const dir = mkdtempSync(join(tmpdir(), 'trunkbridge-bench-'));
  console.log(`\nLoad benchmark (work files in ${dir})`);
  const res: Partial<LoadResults> = {};
  const rig = await startRig(dir, o);
  let failed = true;
  try {
    if (o.parts.has('calls')) Object.assign(res, await runCallsPhase(rig, o));
    if (o.parts.has('setup')) res.setup = await runSetupPhase(rig, o);
    failed = false;
  } finally {
    await stopAll();
    rig.ports.close();
    printLoadTables(res, o, printTable);
    const g = goals(res, o);
    printTable('Goals (issue #9)', g.map((x) => ({ ...x })));
    const added = marginalRssKb(res.ramps?.find((r) => r.workers === 1), 200);
    if (added) {
      console.log(
        `RSS each call added from ${added.from} to ${added.to} calls (1 worker): ${added.kbPerCall.toFixed(0)} KB. The goal's figure counts from the ` +
          'idle process, so it also carries what grows once under any load (young generations, JIT code).',
      );
    }
    const n = noise(res);
    if (n) {
      console.log(
        `\nNoise: the machine was ${n.busyPct[0].toFixed(0)}-${n.busyPct[1].toFixed(0)} % busy (all cores) during the call steps; processes other than ` +
          `the bench's used ${n.othersPct[0].toFixed(0)}-${n.othersPct[1].toFixed(0)} % of a core. Figures from a busy machine are not capacity figures.`,
      );
    }
    const path = writeJson(o.outDir, startedAt, {
      date: startedAt.toISOString(),
      durationS: Math.round((Date.now() - startedAt.getTime()) / 1000),
      complete: !failed,
      machine: machine(),
      options: { ...o, parts: [...o.parts] },
      noise: n,
      goals: g,
      ...(added ? { rssAddedPerCall: added } : {}),
      ...res,
    });
    console.log(`\nJSON: ${path}`);
    if (!failed && !o.keep) rmSync(dir, { recursive: true, force: true });
    else console.log(`work files kept in ${dir}`);
  }
}

async function main(): Promise<number> {
  let o: BenchOptions | undefined;
  try {
    o = parseBenchOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (!o) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const startedAt = new Date();
  installCleanup();
  setTimeout(() => {
    process.stderr.write('bench: hard deadline passed, stopping\n');
    process.kill(process.pid, 'SIGTERM');
  }, HARD_DEADLINE_MS).unref();
  if (o.parts.has('micro')) await import('./run.js'); // prints its own tables as it goes
  if (o.parts.has('calls') || o.parts.has('setup')) await runLoad(o, startedAt);
  console.log(`\nbench took ${Math.round((Date.now() - startedAt.getTime()) / 1000)} s`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
