import { mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CdrFile, cdrFileName } from '../../../src/records/cdr-file.js';

const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');

describe('CDR files', () => {
  it('names a file by the UTC day', () => {
    expect(cdrFileName(Date.parse('2026-12-05T23:59:59.999Z'))).toBe('cdr-2026-12-05.jsonl');
    expect(cdrFileName(Date.parse('2026-12-06T00:00:00.000Z'))).toBe('cdr-2026-12-06.jsonl');
  });

  it('appends one line per record and rotates at midnight UTC', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tb-cdr-'));
    const f = new CdrFile(dir);
    await Promise.all([
      f.append({ callId: 'a' }, Date.parse('2026-12-05T23:59:59.000Z')),
      f.append({ callId: 'b' }, Date.parse('2026-12-05T23:59:59.500Z')),
      f.append({ callId: 'c' }, Date.parse('2026-12-06T00:00:00.100Z')),
    ]);
    await f.close();
    expect(readdirSync(dir).sort()).toEqual(['cdr-2026-12-05.jsonl', 'cdr-2026-12-06.jsonl']);
    expect(lines(join(dir, 'cdr-2026-12-05.jsonl')).map((l) => JSON.parse(l).callId)).toEqual(['a', 'b']);
    expect(lines(join(dir, 'cdr-2026-12-06.jsonl')).map((l) => JSON.parse(l).callId)).toEqual(['c']);
    await expect(f.append({}, 0)).rejects.toThrow(/closed/);
  });

  it('a torn last line (crash mid-write) stays its own line; the next record is whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tb-cdr-'));
    const at = Date.parse('2026-12-05T10:00:00Z');
    writeFileSync(join(dir, cdrFileName(at)), '{"callId":"ok"}\n{"callId":"tor');
    const f = new CdrFile(dir);
    await f.append({ callId: 'next' }, at);
    await f.close();
    const got = lines(join(dir, cdrFileName(at)));
    expect(got).toEqual(['{"callId":"ok"}', '{"callId":"tor', '{"callId":"next"}']);
  });

  it('a write that fails rejects (the caller logs the record) and later writes still work', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tb-cdr-'));
    const at = Date.parse('2026-12-05T10:00:00Z');
    mkdirSync(join(dir, cdrFileName(at))); // a directory where the file should be: open fails
    const f = new CdrFile(dir);
    await expect(f.append({ callId: 'x' }, at)).rejects.toThrow();
    await f.append({ callId: 'y' }, Date.parse('2026-12-06T10:00:00Z'));
    await f.close();
    expect(lines(join(dir, 'cdr-2026-12-06.jsonl'))).toEqual(['{"callId":"y"}']);
  });
});
