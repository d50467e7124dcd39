import { mkdtempSync, readdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileConfigStore, MemoryConfigStore, nodeStoreFs, StaleRevisionError, StoreError, type ConfigStore, type StoreFs } from '../../../src/store/index.js';

const fresh = (): string => mkdtempSync(join(tmpdir(), 'tb-store-'));

/** The real file operations, with one step made to fail as a crash or a full disk would. */
function failing(step: 'writeDurable' | 'rename' | 'fsyncDir', partial = false): StoreFs {
  return {
    ...nodeStoreFs,
    [step]: async (path: string, data?: string) => {
      // A crash half-way through writing the temp file: part of the bytes are on disk.
      if (partial && step === 'writeDurable' && data !== undefined) writeFileSync(path, data.slice(0, data.length / 2));
      throw new Error(`injected ${step} failure`);
    },
  };
}

describe.each<[string, () => Promise<ConfigStore>]>([
  ['FileConfigStore', async () => {
    const s = new FileConfigStore(fresh());
    await s.open();
    return s;
  }],
  ['MemoryConfigStore', async () => new MemoryConfigStore()],
])('%s', (_name, make) => {
  it('is empty, then holds each write with the next revision', async () => {
    const s = await make();
    expect(await s.read()).toBeUndefined();
    const first = await s.write({ a: 1 }, 0);
    expect(first.revision).toBe(1);
    const second = await s.write({ a: 2 }, 1);
    expect(second.revision).toBe(2);
    expect((await s.read())?.document).toEqual({ a: 2 });
  });

  it('refuses a write based on an older revision (nothing changes)', async () => {
    const s = await make();
    await s.write({ a: 1 }, 0);
    await s.write({ a: 2 }, 1);
    const err = await s.write({ a: 'stale' }, 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StaleRevisionError);
    expect((err as StaleRevisionError).reason).toBe('stale-revision');
    expect((await s.read())?.document).toEqual({ a: 2 });
  });

  it('of two concurrent writes from the same revision, exactly one wins', async () => {
    const s = await make();
    await s.write({ n: 0 }, 0);
    const results = await Promise.allSettled([s.write({ n: 'x' }, 1), s.write({ n: 'y' }, 1)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((await s.read())?.revision).toBe(2);
  });
});

describe('FileConfigStore on disk', () => {
  it('survives a restart: a new instance reads the last write', async () => {
    const dir = fresh();
    const a = new FileConfigStore(dir);
    await a.open();
    await a.write({ bots: { echo: { builtin: 'echo' } } }, 0);
    const b = new FileConfigStore(dir);
    await b.open();
    expect(await b.read()).toMatchObject({ revision: 1, document: { bots: { echo: { builtin: 'echo' } } } });
  });

  it('keeps the file private (mode 0600): it holds secrets', async () => {
    const dir = fresh();
    const s = new FileConfigStore(dir);
    await s.write({ password: 'x' }, 0);
    expect(statSync(s.location).mode & 0o777).toBe(0o600);
  });

  it.each<[string, StoreFs]>([
    ['the temp file write fails half-way', failing('writeDurable', true)],
    ['the process dies between write and rename', failing('rename')],
  ])('%s: the old document stays readable, by this instance and after a restart', async (_name, fs) => {
    const dir = fresh();
    const good = new FileConfigStore(dir);
    await good.open();
    await good.write({ v: 'old' }, 0);
    const crashing = new FileConfigStore(dir, fs);
    await crashing.open();
    const err = await crashing.write({ v: 'new' }, 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).reason).toBe('store-failed');
    expect(await crashing.read()).toMatchObject({ revision: 1, document: { v: 'old' } });
    const after = new FileConfigStore(dir);
    await after.open();
    expect(await after.read()).toMatchObject({ revision: 1, document: { v: 'old' } });
    expect(JSON.parse(readFileSync(after.location, 'utf8')).document).toEqual({ v: 'old' });
  });

  it('a temp file a killed process left behind is removed at open and never read', async () => {
    const dir = fresh();
    const s = new FileConfigStore(dir);
    await s.write({ v: 1 }, 0);
    writeFileSync(join(dir, 'config-store.json.tmp-99999'), '{"format":"trunkbridge-config-store/1","rev');
    const t = new FileConfigStore(dir);
    await t.open();
    expect(readdirSync(dir)).toEqual(['config-store.json']);
    expect((await t.read())?.document).toEqual({ v: 1 });
  });

  it('a write after a failed one starts from the stored revision', async () => {
    const dir = fresh();
    let fail = true;
    const fs: StoreFs = { ...nodeStoreFs, rename: async (a, b) => (fail ? Promise.reject(new Error('EIO')) : nodeStoreFs.rename(a, b)) };
    const s = new FileConfigStore(dir, fs);
    await expect(s.write({ v: 1 }, 0)).rejects.toBeInstanceOf(StoreError);
    fail = false;
    expect((await s.write({ v: 2 }, 0)).revision).toBe(1);
  });

  it.each([
    ['not JSON', '{"format": "trunk'],
    ['another format', '{"format":"something-else","revision":1,"updatedAt":"x","document":{}}'],
    ['no revision', '{"format":"trunkbridge-config-store/1","updatedAt":"x","document":{}}'],
  ])('refuses to open a store file that is %s (never overwritten)', async (_name, text) => {
    const dir = fresh();
    writeFileSync(join(dir, 'config-store.json'), text);
    const s = new FileConfigStore(dir);
    await expect(s.open()).rejects.toBeInstanceOf(StoreError);
    expect(readFileSync(join(dir, 'config-store.json'), 'utf8')).toBe(text);
  });
});
