#!/usr/bin/env node
// npm run fuzz [-- --seconds 60] [--runs N] [--seed S]: the unit suite's fuzz targets (test/fuzz/), each for
// `seconds` (default 30) or `runs` inputs, with a fresh seed unless one is given (a failure prints its seed).
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const USAGE = 'usage: npm run fuzz -- [--seconds N (per target, default 30)] [--runs N (per target)] [--seed S]';
let values;
try {
  ({ values } = parseArgs({
    options: { seconds: { type: 'string', default: '30' }, runs: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  }));
} catch (err) {
  console.error(`${err.message}\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const seconds = Number(values.seconds);
const runs = values.runs ?? '1000000000';
if (!(seconds > 0) || !/^\d+$/.test(runs) || (values.seed !== undefined && !/^-?\d+$/.test(values.seed))) {
  console.error(USAGE);
  process.exit(2);
}
const env = {
  ...process.env,
  FUZZ_RUNS: runs,
  FUZZ_SECONDS: String(seconds),
  ...(values.seed !== undefined ? { FUZZ_SEED: values.seed } : { FUZZ_SEED: String(Date.now() % 2 ** 31) }),
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --expose-gc`.trim(),
};
const r = spawnSync('npx', ['vitest', 'run', '--project', 'unit', 'test/unit/fuzz/parsers-fuzz.test.ts'], { env, stdio: 'inherit' });
process.exit(r.status ?? 1);
