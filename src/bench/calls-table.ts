/**
 * The load section of `npm run bench`: runs src/bench/calls.ts in a fresh child process per level and pacing
 * variant (so memory figures start from an empty process), alternating the variants round by round because a
 * shared VM drifts, and prints every run plus the mean per level and variant.
 * Env: BENCH_CALLS (levels, default "50,200,500"), BENCH_CALL_SECONDS (default 5), BENCH_CALL_ROUNDS (default 2).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CallsBenchResult, PacingVariant } from './calls.js';

type Row = Record<string, string>;

const COLUMNS: Array<[string, (r: CallsBenchResult) => string]> = [
  ['CPU us / call-s', (r) => r.cpuUsPerCallSecond.toFixed(0)],
  ['RSS KB / call', (r) => r.rssKbPerCall.toFixed(0)],
  ['heap KB / call', (r) => r.heapKbPerCall.toFixed(1)],
  ['loop delay p50 ms', (r) => r.loopDelayP50Ms.toFixed(2)],
  ['loop delay p99 ms', (r) => r.loopDelayP99Ms.toFixed(2)],
  ['inter-arrival mean ms', (r) => r.interArrivalMeanMs.toFixed(3)],
  ['|dev| p99 ms', (r) => r.interArrivalP99DevMs.toFixed(2)],
  ['received / expected', (r) => r.receivedOverExpected.toFixed(4)],
];

function runOne(calls: number, pacing: PacingVariant, seconds: number): CallsBenchResult {
  const script = fileURLToPath(new URL('./calls.js', import.meta.url));
  const res = spawnSync(process.execPath, ['--expose-gc', script, String(calls), pacing, String(seconds)], {
    encoding: 'utf8',
    timeout: (seconds + 60) * 1000,
  });
  if (res.status !== 0) throw new Error(`calls bench ${calls} ${pacing} failed (${res.status ?? res.signal}): ${res.stderr}`);
  return JSON.parse(res.stdout.trim().split('\n').pop()!) as CallsBenchResult;
}

function mean(rs: CallsBenchResult[]): CallsBenchResult {
  const out = { ...rs[0] };
  for (const k of Object.keys(out) as Array<keyof CallsBenchResult>) {
    if (typeof out[k] === 'number' && k !== 'calls' && k !== 'seconds') (out[k] as number) = rs.reduce((s, r) => s + (r[k] as number), 0) / rs.length;
  }
  return out;
}

/** Runs the levels and prints the tables through `print` (run.ts's table printer). */
export function callsBenchTable(print: (title: string, rows: Row[]) => void): void {
  const levels = (process.env.BENCH_CALLS ?? '50,200,500').split(',').map(Number);
  const seconds = Number(process.env.BENCH_CALL_SECONDS ?? 5);
  const rounds = Number(process.env.BENCH_CALL_ROUNDS ?? 2);
  const runs: CallsBenchResult[] = [];
  const rows: Row[] = [];
  for (const calls of levels) {
    for (let round = 0; round < rounds; round++) {
      const order: PacingVariant[] = round % 2 === 0 ? ['timer', 'shared'] : ['shared', 'timer'];
      for (const pacing of order) {
        const r = runOne(calls, pacing, seconds);
        runs.push(r);
        rows.push({ calls: String(calls), pacing, round: String(round + 1), ...Object.fromEntries(COLUMNS.map(([name, f]) => [name, f(r)])) });
      }
    }
  }
  print(`Call load: every run (${seconds} s each, PCMU 20 ms, 16 kHz echo bot, far ends in-process; timer = a timer per session, shared = one PacingScheduler)`, rows);
  const means: Row[] = [];
  for (const calls of levels) {
    for (const pacing of ['timer', 'shared'] as const) {
      const m = mean(runs.filter((r) => r.calls === calls && r.pacing === pacing));
      means.push({ calls: String(calls), pacing, ...Object.fromEntries(COLUMNS.map(([name, f]) => [name, f(m)])) });
    }
  }
  print(`Call load: mean of ${rounds} runs`, means);
}
