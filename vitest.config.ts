import { defineConfig } from 'vitest/config';

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
          // Each file starts real processes (bridge, SIPp, baresip, Kamailio): one file at a time, so they
          // do not compete for the CPU and their media timing holds.
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      // Long runs (10,000 calls): only with TRUNKBRIDGE_SOAK=1 (npm run soak), never in the default suite.
      ...(process.env.TRUNKBRIDGE_SOAK === '1'
        ? [{ extends: true, test: { name: 'soak', include: ['test/soak/**/*.test.ts'], fileParallelism: false, sequence: { groupOrder: 2 } } }]
        : []),
    ],
  },
});
