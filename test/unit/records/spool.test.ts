import { mkdtempSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { COMPACT_BYTES, Spool, parseSpool } from '../../../src/records/spool.js';

const FIXTURES = join(resolve(fileURLToPath(import.meta.url), '../../../..'), 'fixtures', 'records');
type Ev = { id: string; callId: string; type?: string; pad?: string };
const dir = () => mkdtempSync(join(tmpdir(), 'tb-spool-'));
const open: Array<Spool<Ev>> = [];
async function openSpool(path: string) {
  const r = await Spool.open<Ev>(path);
  open.push(r.spool);
  return r;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

describe('parseSpool (raw files)', () => {
  it.each([
    ['spool-torn-tail.jsonl', ['e2', 'e3'], { corruptLines: 0, doneLines: 1, torn: true }],
    ['spool-corrupt-line.jsonl', ['e1'], { corruptLines: 2, doneLines: 1, torn: false }],
  ])('%s -> pending %j', (name, ids, expected) => {
    const text = readFileSync(join(FIXTURES, name), 'utf8');
    const p = parseSpool<Ev>(text);
    expect(p.pending.map((e) => e.id)).toEqual(ids);
    expect(p.corruptLines).toBe(expected.corruptLines);
    expect(p.doneLines).toBe(expected.doneLines);
    expect(p.validBytes < Buffer.byteLength(text)).toBe(expected.torn);
  });

  it('an empty file, a file of only a torn line, and done before add', () => {
    expect(parseSpool('').pending).toEqual([]);
    expect(parseSpool('{"add":{"id":"x"').validBytes).toBe(0);
    expect(parseSpool('{"done":"a"}\n{"add":{"id":"a"}}\n').pending.map((e) => e.id)).toEqual(['a']);
  });
});

describe('Spool on disk', () => {
  it('after a restart yields what was not done, in order, and keeps appending', async () => {
    const path = join(dir(), 'hook.jsonl');
    const { spool } = await openSpool(path);
    await Promise.all(['a', 'b', 'c', 'd'].map((id) => spool.add({ id, callId: 'c1' })));
    await spool.done('a');
    await spool.done('c');
    // No close: a process killed here has every acknowledged line on disk already (fsync per append).
    const again = await openSpool(path);
    expect(again.spool.pending.map((e) => e.id)).toEqual(['b', 'd']);
    // Reopening rewrote the file to only the pending events.
    expect(readFileSync(path, 'utf8')).toBe('{"add":{"id":"b","callId":"c1"}}\n{"add":{"id":"d","callId":"c1"}}\n');
    await again.spool.add({ id: 'e', callId: 'c2' });
    await again.spool.done('b');
    const third = await openSpool(path);
    expect(third.spool.pending.map((e) => e.id)).toEqual(['d', 'e']);
  });

  it('a crash at any byte of an append leaves every complete record readable and the spool usable', async () => {
    const d = dir();
    const whole = join(d, 'whole.jsonl');
    const { spool } = await openSpool(whole);
    for (const id of ['a', 'b', 'c']) await spool.add({ id, callId: 'c1', pad: 'ü'.repeat(5) });
    await spool.done('a');
    await spool.close();
    const full = readFileSync(whole);
    const lineEnds = [...full.entries()].filter(([, b]) => b === 0x0a).map(([i]) => i + 1);
    for (let cut = 0; cut <= full.length; cut++) {
      const path = join(d, `cut-${cut}.jsonl`);
      writeFileSync(path, full.subarray(0, cut));
      const complete = lineEnds.filter((end) => end <= cut).length; // lines that made it whole
      const expected = ['add a', 'add b', 'add c', 'done a'].slice(0, complete);
      const pendingIds = ['a', 'b', 'c'].filter((id) => expected.includes(`add ${id}`) && !expected.includes(`done ${id}`));
      const r = await openSpool(path);
      expect(r.spool.pending.map((e) => e.id), `cut at ${cut}`).toEqual(pendingIds);
      expect(r.recovered.tornBytes, `cut at ${cut}`).toBe(cut - (lineEnds.filter((e) => e <= cut).pop() ?? 0));
      await r.spool.add({ id: 'z', callId: 'c9' });
      const after = await openSpool(path);
      expect(after.spool.pending.map((e) => e.id), `cut at ${cut}, then an append`).toEqual([...pendingIds, 'z']);
    }
  });

  it('is emptied when nothing is pending and it has grown past the compaction size', async () => {
    const path = join(dir(), 'big.jsonl');
    const { spool } = await openSpool(path);
    const pad = 'x'.repeat(4096);
    const n = Math.ceil(COMPACT_BYTES / 4096) + 2;
    let written = 0;
    for (let i = 0; i < n; i++) {
      await spool.add({ id: `e${i}`, callId: 'c', pad });
      await spool.done(`e${i}`);
      written += 4096 + 60;
    }
    // More than the size was written, less is there: it was cut; what remains reopens to only what is pending.
    expect(written).toBeGreaterThan(COMPACT_BYTES);
    expect(readFileSync(path).length).toBeLessThan(COMPACT_BYTES);
    await spool.add({ id: 'next', callId: 'c' });
    const again = await openSpool(path);
    expect(again.spool.pending.map((e) => e.id)).toEqual(['next']);
  });

  it('is rewritten to its pending events once it grows past the compaction size, and stays usable', async () => {
    const path = join(dir(), 'behind.jsonl');
    const { spool } = await openSpool(path);
    const pad = 'y'.repeat(4096);
    await spool.add({ id: 'stuck', callId: 'c' }); // a receiver always one event behind
    const n = Math.ceil(COMPACT_BYTES / 4096) + 2;
    for (let i = 0; i < n; i++) {
      await spool.add({ id: `e${i}`, callId: 'c', pad });
      await spool.done(`e${i}`);
    }
    expect(readFileSync(path).length).toBeLessThan(COMPACT_BYTES);
    await spool.add({ id: 'last', callId: 'c' });
    const again = await openSpool(path);
    expect(again.spool.pending.map((e) => e.id)).toEqual(['stuck', 'last']);
  });

  it('copies of a fixture with a torn tail are repaired on open', async () => {
    const path = join(dir(), 'torn.jsonl');
    copyFileSync(join(FIXTURES, 'spool-torn-tail.jsonl'), path);
    const r = await openSpool(path);
    expect(r.recovered.tornBytes).toBeGreaterThan(0);
    expect(readFileSync(path, 'utf8').endsWith('\n')).toBe(true);
    expect(parseSpool<Ev>(readFileSync(path, 'utf8')).pending.map((e) => e.id)).toEqual(['e2', 'e3']);
  });
});
