import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Integration files that spend most of their time waiting (on protocol timers, expiries, the peers they start)
 * rather than working, and measure no media timing: an RFC 4028 session timer's 60 s, sipvicious's silences,
 * cluster registry expiries, registration refreshes, drains. They run in the first group beside the unit files, on
 * more workers than cores since they mostly sleep; the other integration files then run one at a time, so their
 * media timing has the machine to itself. Not here: cluster-registration, whose check that the other node already
 * shows the lease holder failed once beside the unit files.
 */
const WAITING_FILES = [
  'chaos',
  'sip-scanners',
  'cluster-calls',
  'cluster-kamailio',
  'registration',
  'lifecycle-drain',
].map((name) => `test/integration/${name}.test.ts`);
/** The first group's workers: every core for the unit files, plus two for waiting files. */
const FIRST_GROUP_WORKERS = availableParallelism() + 2;

export default defineConfig({
  test: {
    reporters: ['default', './test/summary-reporter.ts'],
    // Hands each run a folder where workers claim loopback port blocks (test/helpers/ports.ts).
    globalSetup: ['./test/helpers/port-claims.setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // vitest's default leaves a core free (one worker on a 2-core CI machine): see FIRST_GROUP_WORKERS.
          maxWorkers: FIRST_GROUP_WORKERS,
          // In-process tests: files run in parallel. They finish before the integration files start
          // (groupOrder), so the integration timings never share the 2 CI cores with them.
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...WAITING_FILES],
          // Each file starts real processes (bridge, SIPp, baresip, Kamailio): one file at a time, so they
          // do not compete for the CPU and their media timing holds.
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration-waiting',
          include: WAITING_FILES,
          // The unit files' group: vitest gives a group one worker count.
          maxWorkers: FIRST_GROUP_WORKERS,
          sequence: { groupOrder: 0 },
        },
      },
      // Long runs (10,000 calls): only with TRUNKBRIDGE_SOAK=1 (npm run soak), never in the default suite.
      ...(process.env.TRUNKBRIDGE_SOAK === '1'
        ? [{ extends: true, test: { name: 'soak', include: ['test/soak/**/*.test.ts'], fileParallelism: false, sequence: { groupOrder: 2 } } }]
        : []),
    ],
  },
});
