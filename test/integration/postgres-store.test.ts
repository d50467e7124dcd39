/**
 * The shared configuration store against a real PostgreSQL (a throwaway cluster on loopback): revisions and
 * If-Match as the embedded store has them, one winner among racing writers, and a change made through one
 * bridge's live configuration applied on another within a second (LISTEN/NOTIFY), also after the connections
 * were cut.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveConfiguration } from '../../src/app/config.js';
import type { ManagedConfig } from '../../src/config/index.js';
import { PostgresConfigStore, StaleRevisionError, StoreError } from '../../src/store/index.js';
import { reservePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait-for.js';
import { postgresBin, freshDatabase, startPostgres, type Postgres } from './harness/postgres.js';

let db: Postgres;
const opened: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  db = await startPostgres(await reservePort());
}, 30_000);

afterAll(async () => {
  for (const o of opened) await o.close();
  await db?.stop();
});

async function store(url: string): Promise<PostgresConfigStore> {
  const s = new PostgresConfigStore(url);
  opened.push(s);
  await s.open();
  return s;
}

function configFile(url: string, sipPort: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'tb-pg-'));
  const path = join(dir, 'config.yaml');
  writeFileSync(
    path,
    `sip:
  listen: [{ transport: udp, host: 127.0.0.1, port: ${sipPort} }]
bots:
  echo: { builtin: echo }
inboundTrunks:
  - name: carrier-a
    allow: ["127.0.0.1"]
    numbers: { "+15550100": { bot: echo } }
store: { type: postgres, url: "${url}" }
`,
  );
  return path;
}

async function live(path: string): Promise<LiveConfiguration> {
  const l = await LiveConfiguration.open(path);
  opened.push(l);
  return l;
}

const addNumber = (n: string) => (m: ManagedConfig): ManagedConfig => {
  (m.inboundTrunks as Array<{ numbers: Record<string, unknown> }>)[0].numbers[n] = { bot: 'echo' };
  return m;
};
const numbersOf = (l: LiveConfiguration): string[] => Object.keys(l.current.config.inboundTrunks[0].numbers);

describe.skipIf(!postgresBin())('PostgreSQL configuration store', () => {
  it('compare-and-set on the revision; the document comes back as written (key order kept)', async () => {
    const s = await store(await freshDatabase(db));
    expect(await s.read()).toBeUndefined();
    const first = await s.write({ z: 1, a: { y: 2, b: 3 } }, 0);
    expect(first.revision).toBe(1);
    const stale = await s.write({ z: 9 }, 0).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(StaleRevisionError);
    expect(stale).toMatchObject({ expected: 0, actual: 1 });
    await expect(s.write({ z: 2 }, 5)).rejects.toMatchObject({ reason: 'stale-revision', actual: 1 });
    const second = await s.write({ z: 2, a: { y: 3, b: 4 } }, 1);
    expect(second.revision).toBe(2);
    const read = await s.read();
    expect(read?.revision).toBe(2);
    expect(JSON.stringify(read?.document)).toBe('{"z":2,"a":{"y":3,"b":4}}');
  });

  it('racing writers from two connections pools: exactly one wins each revision', async () => {
    const url = await freshDatabase(db);
    const [a, b] = [await store(url), await store(url)];
    await a.write({ n: 0 }, 0);
    const results = await Promise.allSettled([a.write({ n: 'a' }, 1), b.write({ n: 'b' }, 1), a.write({ n: 'a2' }, 1), b.write({ n: 'b2' }, 1)]);
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof StaleRevisionError)).toBe(true);
    const read = await b.read();
    expect(read?.revision).toBe(2);
    expect(read?.document).toEqual({ n: (won[0] as PromiseFulfilledResult<{ document: { n: string } }>).value.document.n });
  });

  it("two bridges: the first seeds, the second runs the store's sections; a change on one applies on the other within a second", async () => {
    const url = await freshDatabase(db);
    const [pa, pb] = [configFile(url, 5999), configFile(url, 6001)];
    const [a, b] = await Promise.all([live(pa), live(pb)]);
    expect([a.seeded, b.seeded].filter(Boolean)).toHaveLength(1);
    expect(a.current.revision).toBe(1);
    expect(b.current.revision).toBe(1);
    // Each keeps its own file-only sections (its listeners).
    expect(b.current.config.sip.listen[0].port).toBe(6001);
    const heard: number[] = [];
    b.onChange((next) => void heard.push(next.revision));
    await a.update(addNumber('+15550123'));
    await waitFor(() => numbersOf(b).includes('+15550123'), { timeoutMs: 1000, what: 'bridge B to apply bridge A\'s change' });
    expect(b.current.revision).toBe(2);
    expect(heard).toEqual([2]);
    expect(b.current.config.sip.listen[0].port).toBe(6001);
  });

  it('If-Match is checked against the shared revision; a write without it on a lagging bridge is not lost', async () => {
    const url = await freshDatabase(db);
    const [a, b] = [await live(configFile(url, 5999)), await live(configFile(url, 6001))];
    await a.update(addNumber('+15550131'), 1);
    // B may not have heard revision 2 yet: If-Match 2 (what a client read from A) still succeeds on B.
    await b.update(addNumber('+15550132'), 2);
    await expect(a.update(addNumber('+15550133'), 2)).rejects.toMatchObject({ reason: 'stale-revision' });
    await Promise.all([a.update(addNumber('+15550134')), b.update(addNumber('+15550135')), a.update(addNumber('+15550136'))]);
    await waitFor(() => a.current.revision === 6 && b.current.revision === 6, { timeoutMs: 1000, what: 'both bridges at revision 6' });
    expect(numbersOf(a).sort()).toEqual(['+15550100', '+15550131', '+15550132', '+15550134', '+15550135', '+15550136']);
    expect(numbersOf(b).sort()).toEqual(numbersOf(a).sort());
  });

  it('after the database cut every connection, changes still reach the other bridge', async () => {
    const url = await freshDatabase(db);
    const [a, b] = [await live(configFile(url, 5999)), await live(configFile(url, 6001))];
    await db.dropConnections();
    await a.update(addNumber('+15550141'));
    await waitFor(() => numbersOf(b).includes('+15550141'), { timeoutMs: 3000, what: 'bridge B to hear the change after reconnecting' });
    await a.update(addNumber('+15550142'));
    await waitFor(() => numbersOf(b).includes('+15550142'), { timeoutMs: 1000, what: 'bridge B to hear the next change' });
  });

  it("a revision this bridge cannot run is reported and skipped; the bridge keeps its snapshot and takes the next", async () => {
    const url = await freshDatabase(db);
    const b = await live(configFile(url, 6001));
    const errors: Array<[string, number]> = [];
    b.onFollowError((err, revision) => errors.push([err.message, revision]));
    // Another writer stores a number whose fallback prompt is missing on this machine.
    const raw = await store(url);
    const doc = (await raw.read())!.document as { sections: ManagedConfig; fileDigest: string };
    const bad = structuredClone(doc);
    (bad.sections.inboundTrunks as Array<{ numbers: Record<string, unknown> }>)[0].numbers['+15550151'] = { bot: 'echo', fallback: { action: 'play', file: '/nonexistent/sorry.wav' } };
    await raw.write(bad, 1);
    await waitFor(() => errors.length === 1, { timeoutMs: 1000, what: 'the follow error' });
    expect(errors[0][1]).toBe(2);
    expect(errors[0][0]).toContain('/nonexistent/sorry.wav');
    expect(b.current.revision).toBe(1);
    const good = structuredClone(doc);
    (good.sections.inboundTrunks as Array<{ numbers: Record<string, unknown> }>)[0].numbers['+15550152'] = { bot: 'echo' };
    await raw.write(good, 2);
    await waitFor(() => b.current.revision === 3, { timeoutMs: 1000, what: 'the next good revision' });
    expect(numbersOf(b)).toEqual(['+15550100', '+15550152']);
  });

  it('an unreachable database is a clear store error at start, without the password', async () => {
    const port = await reservePort();
    const err = await LiveConfiguration.open(configFile(`postgres://tb:s3cret@127.0.0.1:${port}/x`, 5999)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).message).toContain(`postgres://tb@127.0.0.1:${port}/x`);
    expect((err as StoreError).message).not.toContain('s3cret');
  });
});
