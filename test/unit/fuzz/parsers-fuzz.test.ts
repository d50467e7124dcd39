/**
 * Bounded fuzz run of every parser (issue #12): a fixed seed and a few hundred inputs per target, so the unit
 * suite stays fast and replays the same inputs. `npm run fuzz` runs the same targets for longer with fresh seeds.
 */
import { describe, expect, it } from 'vitest';
import { TARGETS } from '../../fuzz/targets.js';
import { formatResult } from '../../fuzz/runner.js';

/** Inputs per target in the unit suite; FUZZ_RUNS overrides (npm run fuzz sets it). */
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : 12_2026;
const TIME_MS = process.env.FUZZ_SECONDS !== undefined ? Number(process.env.FUZZ_SECONDS) * 1000 : undefined;

describe('fuzzing the parsers', () => {
  let total = 0;
  for (const target of TARGETS) {
    it(`${target.name}: no untyped exception, no hang, bounded state`, () => {
      const result = target.run({ runs: RUNS, seed: SEED, ...(TIME_MS !== undefined ? { timeMs: TIME_MS } : {}) });
      total += result.iterations;
      console.log(`fuzz ${formatResult(result)}  (total ${total})`);
      expect(result.failure).toBeUndefined();
      expect(result.iterations).toBeGreaterThan(0);
      // Memory bounded: nothing a target parsed is kept (the whole run, all targets, stays far below this).
      expect(result.heapMB).toBeLessThan(512);
    }, TIME_MS !== undefined ? TIME_MS + 120_000 : 60_000);
  }
});
