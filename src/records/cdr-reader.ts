/**
 * One page of call records from the CDR files (`<dir>/cdr-YYYY-MM-DD.jsonl`), newest first: the day files are
 * read newest day first, each from its end backwards in 64 KiB chunks, and reading stops as soon as the page is
 * full, so a page costs what it returns (plus the lines a filter skips), never a whole history in memory.
 * "Newest" is the order the records were written: the order calls ended, except that a record waiting for its
 * recording file (`recordingWaitSec`) is written when the file is ready.
 */
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { CallRecord } from './call-record.js';
import { BackwardLines, cdrFileOfDay, daysToRead, encodeCursor, matches, mayMatch, parseCdrLine, type CdrCursor, type CdrQuery, type LineAt } from './cdr-query.js';

const CHUNK = 64 * 1024;

/** A page: the records, and the cursor of the next page (null when the files hold nothing older). */
export interface CdrPage {
  records: CallRecord[];
  nextCursor: string | null;
}

/** Lines of bytes [0, end) of a file, newest first, read backwards `chunkBytes` at a time. */
async function* linesBackward(path: string, end: number | undefined, chunkBytes: number): AsyncGenerator<LineAt> {
  const fh = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined; // removed since the listing (retention): nothing to read
    throw err;
  });
  if (!fh) return;
  try {
    const size = (await fh.stat()).size;
    let pos = Math.min(end ?? size, size);
    const split = new BackwardLines();
    while (pos > 0) {
      const start = Math.max(0, pos - chunkBytes);
      // A fresh buffer per chunk: the splitter keeps slices of it for a line that began in an earlier chunk.
      const buf = Buffer.allocUnsafe(pos - start);
      const { bytesRead } = await fh.read(buf, 0, pos - start, start);
      // Fewer bytes than asked: the file was truncated under us; what is there is still read in order.
      yield* split.push(buf.subarray(0, bytesRead), start);
      pos = start;
    }
    const first = split.finish();
    if (first) yield first;
  } finally {
    await fh.close();
  }
}

/** Reads one page for `q` from the CDR folder `dir` (missing folder: an empty page); `chunkBytes` for tests. */
export async function readCdrPage(dir: string, q: CdrQuery, chunkBytes = CHUNK): Promise<CdrPage> {
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  const records: CallRecord[] = [];
  for (const day of daysToRead(names, q)) {
    const end = q.cursor?.day === day ? q.cursor.offset : undefined;
    for await (const line of linesBackward(join(dir, cdrFileOfDay(day)), end, chunkBytes)) {
      if (!mayMatch(line.text, q)) continue;
      const r = parseCdrLine(line.text);
      if (!r || !matches(r, q)) continue;
      records.push(r);
      if (records.length === q.limit) {
        const next: CdrCursor = { day, offset: line.start };
        return { records, nextCursor: encodeCursor(next) };
      }
    }
  }
  return { records, nextCursor: null };
}
