/**
 * The composition root builds every layer from a config without binding anything: each branch that adds
 * metrics or wiring meets the others here (two modules registering one metric name throws at construction).
 */
import { describe, expect, it } from 'vitest';
import { TrunkbridgeApp } from '../../../src/app.js';
import { loadDefaultConfig, parseConfig } from '../../../src/config/index.js';
import { silentLogger } from '../../../src/core/logger.js';

describe('TrunkbridgeApp composition', () => {
  it('builds from the embedded default config, and from one with every optional part on', async () => {
    const configs = [
      loadDefaultConfig(),
      parseConfig(`
media: { workers: 0 }
bots: { echo: { builtin: echo } }
api: { enabled: true, keys: [{ name: ops, role: admin, key: a-long-admin-key-0123 }] }
metrics: { enabled: true, host: 127.0.0.1, port: 0 }
inboundTrunks: [{ name: pbx, credentials: [{ username: u1, password: Abcdefgh1234 }], numbers: { "+15550100": { bot: echo } }, bot: echo }]
`),
    ];
    for (const config of configs) {
      const app = new TrunkbridgeApp(config, { logger: silentLogger() });
      const text = await app.metrics.metricsText();
      const names = text.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]);
      expect(names.length).toBeGreaterThan(30);
      expect(new Set(names).size).toBe(names.length);
      expect(names).toContain('trunkbridge_sip_auth_failures_total');
      await app.stop();
    }
  });
});
