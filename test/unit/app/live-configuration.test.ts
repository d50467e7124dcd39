import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { LiveConfiguration, exportConfiguration } from '../../../src/app/config.js';
import { ConfigError } from '../../../src/core/errors.js';
import type { ManagedConfig } from '../../../src/config/index.js';

function yaml(dataDir: string, numbers = '"+15550100": { bot: echo }', listenPort = 5999): string {
  return `sip:
  listen: [{ transport: udp, host: 127.0.0.1, port: ${listenPort} }]
bots:
  echo: { builtin: echo }
inboundTrunks:
  - name: carrier-a
    allow: ["127.0.0.1"]
    numbers: { ${numbers} }
dataDir: ${dataDir}
`;
}

function setup(): { path: string; dataDir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tb-live-'));
  const path = join(dir, 'config.yaml');
  const dataDir = join(dir, 'data');
  writeFileSync(path, yaml(dataDir));
  return { path, dataDir };
}

const addNumber = (n: string) => (m: ManagedConfig): ManagedConfig => {
  const trunks = m.inboundTrunks as Array<{ numbers: Record<string, unknown> }>;
  trunks[0].numbers[n] = { bot: 'echo' };
  return m;
};

describe('LiveConfiguration', () => {
  it('seeds the store from the file at first start, then reads the store (restart keeps API changes)', async () => {
    const { path } = setup();
    const first = await LiveConfiguration.open(path);
    expect(first.seeded).toBe(true);
    expect(first.current.revision).toBe(1);
    await first.update(addNumber('+15550199'));
    const again = await LiveConfiguration.open(path);
    expect(again.seeded).toBe(false);
    expect(again.current.revision).toBe(2);
    expect(Object.keys(again.current.config.inboundTrunks[0].numbers)).toEqual(['+15550100', '+15550199']);
  });

  it('swaps whole snapshots: one taken before a change is unchanged after it', async () => {
    const live = await LiveConfiguration.open(setup().path);
    const before = live.current;
    const seen: number[] = [];
    live.onChange((next, prev) => {
      seen.push(next.revision);
      expect(prev).toBe(before);
    });
    await live.update(addNumber('+15550199'));
    expect(Object.keys(before.config.inboundTrunks[0].numbers)).toEqual(['+15550100']);
    expect(Object.isFrozen(before.config.inboundTrunks[0])).toBe(true);
    expect(seen).toEqual([2]);
  });

  it('an invalid change names every bad field and stores nothing', async () => {
    const live = await LiveConfiguration.open(setup().path);
    const err = await live
      .update((m) => ({ ...m, inboundTrunks: [{ name: 'carrier-a', allow: ['999.1.1.1'], numbers: { '+1555': { bot: 'ghost' } } }] }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues.map((i) => i.path).sort()).toEqual(['inboundTrunks[0].allow[0]', 'inboundTrunks[0].numbers["+1555"].bot']);
    expect(live.current.revision).toBe(1);
    expect((await LiveConfiguration.open(live.path)).current.revision).toBe(1);
  });

  it('If-Match: a change based on an older revision is refused (412)', async () => {
    const live = await LiveConfiguration.open(setup().path);
    await live.update(addNumber('+15550101'), 1);
    await expect(live.update(addNumber('+15550102'), 1)).rejects.toMatchObject({ reason: 'stale-revision' });
  });

  it('concurrent changes without If-Match are serialized: none is lost', async () => {
    const live = await LiveConfiguration.open(setup().path);
    await Promise.all(['+15550111', '+15550112', '+15550113', '+15550114'].map((n) => live.update(addNumber(n))));
    expect(Object.keys(live.current.config.inboundTrunks[0].numbers)).toHaveLength(5);
    expect(live.current.revision).toBe(5);
  });

  it('reload: an unchanged file keeps API changes; a changed file is imported; listener changes need a restart', async () => {
    const { path, dataDir } = setup();
    const live = await LiveConfiguration.open(path);
    await live.update(addNumber('+15550199'));
    expect(await live.reload()).toEqual({ revision: 2, imported: false, restartRequired: [] });
    writeFileSync(path, yaml(dataDir, '"+15550177": { bot: echo }', 6000));
    expect(await live.reload()).toEqual({ revision: 3, imported: true, restartRequired: ['sip'] });
    expect(Object.keys(live.current.config.inboundTrunks[0].numbers)).toEqual(['+15550177']);
    // The running listeners stay until a restart.
    expect(live.current.config.sip.listen[0].port).toBe(5999);
  });

  it('reload of an invalid file throws the bad fields and the running configuration stays', async () => {
    const { path, dataDir } = setup();
    const live = await LiveConfiguration.open(path);
    writeFileSync(path, yaml(dataDir, '"+15550177": { bot: nobody }'));
    const err = await live.reload().catch((e: unknown) => e);
    expect((err as ConfigError).issues).toEqual([{ path: 'inboundTrunks[0].numbers["+15550177"].bot', message: 'unknown bot "nobody"' }]);
    expect(live.current.revision).toBe(1);
    expect(Object.keys(live.current.config.inboundTrunks[0].numbers)).toEqual(['+15550100']);
  });

  it('export prints the live configuration (file sections + store) as YAML, without writing the store', async () => {
    const { path } = setup();
    expect(parse(await exportConfiguration(path)).inboundTrunks[0].numbers).toEqual({ '+15550100': { bot: 'echo' } });
    const live = await LiveConfiguration.open(path);
    expect(live.seeded).toBe(true);
    await live.update(addNumber('+15550199'));
    const out = parse(await exportConfiguration(path));
    expect(Object.keys(out.inboundTrunks[0].numbers)).toEqual(['+15550100', '+15550199']);
    expect(out.sip.listen[0].port).toBe(5999);
  });
});
