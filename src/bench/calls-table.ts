/**
 * The load section of `npm run bench`: runs src/bench/calls.ts in a fresh child process per level (so memory
 * figures start from an empty process), each level a few times because a shared VM is noisy, and prints every
 * run plus the mean per level.
 * Env: BENCH_CALLS (levels, default "50,200,500"), BENCH_CALL_SECONDS (default 5), BENCH_CALL_ROUNDS (default 2),
 * BENCH_CALL_RATE (bot sample rate, default 16000).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CallsBenchResult } from './calls.js';

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

function runOne(calls: number, seconds: number, rate: number): CallsBenchResult {
  const script = fileURLToPath(new URL('./calls.js', import.meta.url));
  const res = spawnSync(process.execPath, ['--expose-gc', script, String(calls), String(seconds), String(rate)], {
    encoding: 'utf8',
    timeout: (seconds + 60) * 1000,
  });
  if (res.status !== 0) throw new Error(`calls bench ${calls} failed (${res.status ?? res.signal}): ${res.stderr}`);
  return JSON.parse(res.stdout.trim().split('\n').pop()!) as CallsBenchResult;
}

function mean(rs: CallsBenchResult[]): CallsBenchResult {
  const out = { ...rs[0] };
  for (const k of Object.keys(out) as Array<keyof CallsBenchResult>) {
    if (k !== 'calls' && k !== 'seconds' && k !== 'appSampleRate') out[k] = rs.reduce((s, r) => s + r[k], 0) / rs.length;
  }
  return out;
}

/** Runs the levels and prints the tables through `print` (run.ts's table printer). */
export function callsBenchTable(print: (title: string, rows: Row[]) => void): void {
  const levels = (process.env.BENCH_CALLS ?? '50,200,500').split(',').map(Number);
  const seconds = Number(process.env.BENCH_CALL_SECONDS ?? 5);
  const rounds = Number(process.env.BENCH_CALL_ROUNDS ?? 2);
  const rate = Number(process.env.BENCH_CALL_RATE ?? 16000);
  const rows: Row[] = [];
  const means: Row[] = [];
  for (const calls of levels) {
    const runs: CallsBenchResult[] = [];
    for (let round = 0; round < rounds; round++) {
      const r = runOne(calls, seconds, rate);
      runs.push(r);
      rows.push({ calls: String(calls), round: String(round + 1), ...Object.fromEntries(COLUMNS.map(([name, f]) => [name, f(r)])) });
    }
    const m = mean(runs);
    means.push({ calls: String(calls), ...Object.fromEntries(COLUMNS.map(([name, f]) => [name, f(m)])) });
  }
  print(`Call load: every run (${seconds} s each, PCMU 20 ms, ${rate / 1000} kHz echo bot, far ends in the same process)`, rows);
  print(`Call load: mean of ${rounds} runs`, means);
}
