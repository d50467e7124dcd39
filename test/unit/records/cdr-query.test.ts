/**
 * Reading CDR files back (records/cdr-query.ts, records/cdr-reader.ts) on raw JSONL fixtures kept byte-exact in
 * fixtures/records/cdr/: a torn last line, a line that is not JSON, a record of another version and an empty
 * line are skipped; filters, day files and the cursor; lines split backwards across chunk edges.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BackwardLines, daysToRead, decodeCursor, encodeCursor, matches, mayMatch, parseCdrLine, MAX_LINE_BYTES, type CdrQuery } from '../../../src/records/cdr-query.js';
import { readCdrPage } from '../../../src/records/cdr-reader.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/records/cdr/', import.meta.url));
const ids = (rs: Array<{ callId: string }>): string[] => rs.map((r) => r.callId.slice(-1));

/** A copy of the fixture folder (tests that append must not touch the fixtures). */
function fixtureDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tb-cdr-q-'));
  for (const f of readdirSync(FIXTURES)) copyFileSync(join(FIXTURES, f), join(dir, f));
  return dir;
}

/** Every line of `text` via BackwardLines fed in `chunk`-byte pieces from the end. */
function backward(text: string, chunk: number): Array<{ start: number; text: string }> {
  const buf = Buffer.from(text, 'utf8');
  const split = new BackwardLines();
  const out: Array<{ start: number; text: string }> = [];
  for (let end = buf.length; end > 0; end -= chunk) {
    const start = Math.max(0, end - chunk);
    out.push(...split.push(buf.subarray(start, end), start));
  }
  const first = split.finish();
  if (first) out.push(first);
  return out;
}

describe('BackwardLines', () => {
  // 'é' is two bytes in UTF-8: the offsets are bytes.
  // 'é' is two bytes in UTF-8: the offsets count bytes.
  const text = 'alpha\nbé\n\ngamma-long-line\nlast-no-newline';
  const expected = [
    { start: 27, text: 'last-no-newline' },
    { start: 11, text: 'gamma-long-line' },
    { start: 6, text: 'bé' },
    { start: 0, text: 'alpha' },
  ];
  it.each([1, 2, 3, 7, 64])('splits newest first with byte offsets, %i-byte chunks', (chunk) => {
    expect(backward(text, chunk)).toEqual(expected);
  });

  it('a file ending in a newline has no empty last line', () => {
    expect(backward('a\nb\n', 3)).toEqual([{ start: 2, text: 'b' }, { start: 0, text: 'a' }]);
  });

  it('drops a line longer than MAX_LINE_BYTES and keeps the others', () => {
    const huge = 'x'.repeat(MAX_LINE_BYTES + 10);
    expect(backward(`ok1\n${huge}\nok2\n`, 65536).map((l) => l.text)).toEqual(['ok2', 'ok1']);
  });
});

describe('parseCdrLine', () => {
  const lines = readFileSync(join(FIXTURES, 'cdr-2026-12-05.jsonl'), 'utf8').split('\n');
  it.each([
    ['a refused call', 0, '3'],
    ['not JSON', 1, undefined],
    ['an answered call with a recording', 2, '4'],
    ['a record of another version', 3, undefined],
    ['an empty line', 4, undefined],
    ['an outbound call', 5, '5'],
    ['a torn last line', 6, undefined],
  ])('%s', (_what, i, id) => {
    expect(parseCdrLine(lines[i])?.callId.slice(-1)).toBe(id);
  });
});

describe('daysToRead', () => {
  const names = ['cdr-2026-12-03.jsonl', 'cdr-2026-12-05.jsonl', 'notes.txt', 'cdr-2026-12-04.jsonl', 'cdr-2026-12-04.jsonl.tmp', 'cdr-x.jsonl'];
  it.each<[string, Pick<CdrQuery, 'fromMs' | 'toMs' | 'cursor'>, string[]]>([
    ['all, newest first', {}, ['2026-12-05', '2026-12-04', '2026-12-03']],
    ['from a time on the 4th', { fromMs: Date.parse('2026-12-04T23:00:00Z') }, ['2026-12-05', '2026-12-04']],
    ['to midnight of the 5th (exclusive)', { toMs: Date.parse('2026-12-05T00:00:00Z') }, ['2026-12-04', '2026-12-03']],
    ['to a time on the 5th', { toMs: Date.parse('2026-12-05T00:00:01Z') }, ['2026-12-05', '2026-12-04', '2026-12-03']],
    ['after a cursor in the 4th', { cursor: { day: '2026-12-04', offset: 10 } }, ['2026-12-04', '2026-12-03']],
  ])('%s', (_what, q, days) => {
    expect(daysToRead(names, q)).toEqual(days);
  });
});

describe('matches and mayMatch', () => {
  const answered = parseCdrLine(readFileSync(join(FIXTURES, 'cdr-2026-12-05.jsonl'), 'utf8').split('\n')[2])!;
  const line = JSON.stringify(answered);
  it.each<[string, Omit<CdrQuery, 'limit' | 'cursor'>, boolean]>([
    ['no filter', {}, true],
    ['its trunk', { trunk: 'carrier-a' }, true],
    ['another trunk', { trunk: 'carrier' }, false],
    ['the called number with +', { number: '+15550100' }, true],
    ['the called number without +', { number: '15550100' }, true],
    ['the calling number', { number: '+15551230001' }, true],
    ['part of a number', { number: '555010' }, false],
    ['answered', { result: 'answered' }, true],
    ['unanswered', { result: 'unanswered' }, false],
    ['its status', { result: 200 }, true],
    ['another status', { result: 486 }, false],
    ['from before it ended', { fromMs: Date.parse('2026-12-05T09:00:10.000Z') }, true],
    ['from after it ended', { fromMs: Date.parse('2026-12-05T09:00:10.001Z') }, false],
    ['to its end (exclusive)', { toMs: Date.parse('2026-12-05T09:00:10.000Z') }, false],
  ])('%s', (_what, q, want) => {
    expect(matches(answered, q)).toBe(want);
    // The raw pre-check never drops a line that matches.
    if (want) expect(mayMatch(line, q)).toBe(true);
  });

  it('mayMatch drops lines without the trunk, the number or the status in them', () => {
    expect(mayMatch(line, { trunk: 'carrier-b' })).toBe(false);
    expect(mayMatch(line, { number: '+19995550000' })).toBe(false);
    expect(mayMatch(line, { result: 486 })).toBe(false);
    expect(mayMatch(line, { result: 'unanswered' })).toBe(false);
  });
});

describe('cursor', () => {
  it('round-trips, and anything else is not a cursor', () => {
    const c = { day: '2026-12-05', offset: 12345 };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
    for (const bad of ['', 'abc', Buffer.from('2026-12-05:-1').toString('base64url'), Buffer.from('yesterday:5').toString('base64url'), 'a+b/c=']) expect(decodeCursor(bad), bad).toBeUndefined();
  });
});

describe('readCdrPage', () => {
  it('reads newest first across the day files, skipping the lines that are no record', async () => {
    const page = await readCdrPage(FIXTURES, { limit: 200 });
    expect(ids(page.records)).toEqual(['5', '4', '3', '2', '1']);
    expect(page.nextCursor).toBeNull();
  });

  it.each([5, 64, 333])('reads the same in %i-byte chunks (lines carried across chunk edges)', async (chunk) => {
    const whole = await readCdrPage(FIXTURES, { limit: 200 });
    const small = await readCdrPage(FIXTURES, { limit: 200 }, chunk);
    expect(small).toEqual(whole);
    const first = await readCdrPage(FIXTURES, { limit: 2 }, chunk);
    expect(ids((await readCdrPage(FIXTURES, { limit: 2, cursor: decodeCursor(first.nextCursor!)! }, chunk)).records)).toEqual(['3', '2']);
  });

  it('pages with the cursor until nothing is left, each record once', async () => {
    const seen: string[] = [];
    let cursor: string | null | undefined;
    const pages: string[][] = [];
    do {
      const page = await readCdrPage(FIXTURES, { limit: 2, ...(cursor ? { cursor: decodeCursor(cursor)! } : {}) });
      pages.push(ids(page.records));
      seen.push(...ids(page.records));
      cursor = page.nextCursor;
    } while (cursor);
    expect(pages).toEqual([['5', '4'], ['3', '2'], ['1']]);
    expect(seen).toEqual(['5', '4', '3', '2', '1']);
  });

  it('filters: trunk, number, result, time', async () => {
    expect(ids((await readCdrPage(FIXTURES, { limit: 50, trunk: 'carrier-a' })).records)).toEqual(['4', '1']);
    expect(ids((await readCdrPage(FIXTURES, { limit: 50, number: '15550200' })).records)).toEqual(['2']);
    expect(ids((await readCdrPage(FIXTURES, { limit: 50, result: 'unanswered' })).records)).toEqual(['3', '2']);
    expect(ids((await readCdrPage(FIXTURES, { limit: 50, result: 404 })).records)).toEqual(['3']);
    expect(ids((await readCdrPage(FIXTURES, { limit: 50, fromMs: Date.parse('2026-12-05T00:00:00Z') })).records)).toEqual(['5', '4', '3']);
    expect(ids((await readCdrPage(FIXTURES, { limit: 50, toMs: Date.parse('2026-12-05T00:00:00Z') })).records)).toEqual(['2', '1']);
  });

  it('a record appended after the first page does not shift the next one', async () => {
    const dir = fixtureDir();
    const first = await readCdrPage(dir, { limit: 2 });
    // The torn tail gets its newline (as CdrFile does) and a new record follows.
    const tail = readFileSync(join(dir, 'cdr-2026-12-05.jsonl'), 'utf8').split('\n')[5];
    appendFileSync(join(dir, 'cdr-2026-12-05.jsonl'), `\n${tail.replace('000000000005', '000000000007')}\n`);
    const second = await readCdrPage(dir, { limit: 2, cursor: decodeCursor(first.nextCursor!)! });
    expect(ids(second.records)).toEqual(['3', '2']);
    expect(ids((await readCdrPage(dir, { limit: 1 })).records)).toEqual(['7']);
  });

  it('a missing folder is an empty page; a day file removed since the listing is skipped', async () => {
    expect(await readCdrPage(join(tmpdir(), 'tb-no-such-cdr-dir'), { limit: 5 })).toEqual({ records: [], nextCursor: null });
    const dir = mkdtempSync(join(tmpdir(), 'tb-cdr-empty-'));
    writeFileSync(join(dir, 'cdr-2026-12-06.jsonl'), '');
    expect(await readCdrPage(dir, { limit: 5 })).toEqual({ records: [], nextCursor: null });
  });
});
