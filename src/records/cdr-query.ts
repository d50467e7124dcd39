/**
 * Reading the CDR files back, the pure half: which day files a query needs (newest first), a file's lines split
 * from its end backwards, a line parsed (a torn or foreign one skipped), the filter, and the opaque page cursor.
 * No I/O: cdr-reader.ts feeds these with the bytes it reads.
 */
import { callRecordSchema, type CallRecord } from './call-record.js';

/** What a page of records is asked for; every field optional but `limit`. */
export interface CdrQuery {
  /** Inbound or outbound trunk name, exactly. */
  trunk?: string;
  /** The calling or called number (a leading '+' is ignored on both sides). */
  number?: string;
  /** `answered`, `unanswered`, or the INVITE's final SIP status (e.g. 486). */
  result?: 'answered' | 'unanswered' | number;
  /** Records that ended at or after this time, ms since the epoch. */
  fromMs?: number;
  /** Records that ended before this time, ms since the epoch. */
  toMs?: number;
  limit: number;
  /** Where the previous page stopped (from {@link encodeCursor}). */
  cursor?: CdrCursor;
}

/** A position in the CDR files: the day file and the byte offset of the last line returned (read before it). */
export interface CdrCursor {
  day: string;
  offset: number;
}

const FILE = /^cdr-(\d{4}-\d{2}-\d{2})\.jsonl$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The cursor as the API hands it out: base64url of `day:offset` (clients must not rely on its shape). */
export function encodeCursor(c: CdrCursor): string {
  return Buffer.from(`${c.day}:${c.offset}`, 'utf8').toString('base64url');
}

/** The cursor a client sent back; undefined when it is not one of ours. */
export function decodeCursor(text: string): CdrCursor | undefined {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(text)) return undefined;
  const m = /^(\d{4}-\d{2}-\d{2}):(\d{1,15})$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  return m ? { day: m[1], offset: Number(m[2]) } : undefined;
}

/** The UTC day (`YYYY-MM-DD`) of a time in ms. */
const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * The day files a query reads, newest day first: names that are not CDR files are ignored, days outside
 * from..to are skipped, and with a cursor the days after its own.
 */
export function daysToRead(fileNames: readonly string[], q: Pick<CdrQuery, 'fromMs' | 'toMs' | 'cursor'>): string[] {
  const first = q.fromMs !== undefined ? dayOf(q.fromMs) : undefined;
  // `toMs` is exclusive: a time at exactly midnight needs nothing of that day.
  const last = q.toMs !== undefined ? dayOf(q.toMs - 1) : undefined;
  return fileNames
    .map((n) => FILE.exec(n)?.[1])
    .filter((d): d is string => d !== undefined && DAY.test(d))
    .filter((d) => (first === undefined || d >= first) && (last === undefined || d <= last) && (q.cursor === undefined || d <= q.cursor.day))
    .sort()
    .reverse();
}

/** The file name of a day. */
export const cdrFileOfDay = (day: string): string => `cdr-${day}.jsonl`;

/** One line of a file and the byte offset it starts at. */
export interface LineAt {
  start: number;
  text: string;
}

/** A line longer than this is no record of ours (a record is a few kB): it is dropped, not held. */
export const MAX_LINE_BYTES = 1024 * 1024;

/**
 * Splits a file into lines from its end backwards, chunk by chunk: push the chunks in reverse order (each with
 * the offset it starts at), then `finish()` for the file's first line. Lines come out newest first; empty
 * lines are left out. Splitting on the byte 0x0a is safe in UTF-8 (it never occurs inside a character).
 */
export class BackwardLines {
  /** The bytes after the last newline seen so far (the start of a line that began in an earlier chunk). */
  private carry: Buffer[] = [];
  private carryBytes = 0;
  private carryStart = 0;
  private tooLong = false;

  push(chunk: Buffer, start: number): LineAt[] {
    const out: LineAt[] = [];
    let end = chunk.length;
    for (let i = chunk.length - 1; i >= 0; i--) {
      if (chunk[i] !== 0x0a) continue;
      this.prepend(chunk.subarray(i + 1, end), start + i + 1);
      const line = this.take();
      if (line) out.push(line);
      end = i;
    }
    this.prepend(chunk.subarray(0, end), start);
    return out;
  }

  /** The first line of the file (what is left once the chunk at offset 0 was pushed). */
  finish(): LineAt | undefined {
    return this.take();
  }

  private prepend(part: Buffer, start: number): void {
    this.carryStart = start;
    if (part.length === 0 || this.tooLong) return;
    this.carryBytes += part.length;
    if (this.carryBytes > MAX_LINE_BYTES) {
      this.tooLong = true;
      this.carry = [];
      return;
    }
    this.carry.unshift(part);
  }

  private take(): LineAt | undefined {
    const line = this.tooLong || this.carryBytes === 0 ? undefined : { start: this.carryStart, text: Buffer.concat(this.carry).toString('utf8') };
    this.carry = [];
    this.carryBytes = 0;
    this.tooLong = false;
    return line;
  }
}

/** A CDR line as a record; undefined for a torn line, a line that is not JSON or not a record of this version. */
export function parseCdrLine(text: string): CallRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = callRecordSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

const bare = (n: string): string => n.replace(/^\+/, '');

/**
 * A quick look at the raw line before it is parsed: false when it cannot match (the trunk, number or status is
 * not even in it), so a filter over many files parses only the lines that may.
 */
export function mayMatch(text: string, q: Pick<CdrQuery, 'trunk' | 'number' | 'result'>): boolean {
  if (q.trunk !== undefined && !text.includes(JSON.stringify(q.trunk))) return false;
  if (q.number !== undefined && !text.includes(bare(q.number))) return false;
  // The writer's JSON.stringify has no spaces: these are the exact bytes of a matching record.
  if (typeof q.result === 'number' && !text.includes(`"sipStatus":${q.result}`)) return false;
  if (q.result === 'unanswered' && !text.includes('"answeredAt":null')) return false;
  return true;
}

/** Whether a record is one the query asks for. */
export function matches(r: CallRecord, q: Omit<CdrQuery, 'limit' | 'cursor'>): boolean {
  if (q.trunk !== undefined && r.trunk !== q.trunk) return false;
  if (q.number !== undefined && bare(r.from) !== bare(q.number) && bare(r.to) !== bare(q.number)) return false;
  if (q.result === 'answered' && r.answeredAt === null) return false;
  if (q.result === 'unanswered' && r.answeredAt !== null) return false;
  if (typeof q.result === 'number' && r.sipStatus !== q.result) return false;
  const ended = Date.parse(r.endedAt);
  if (q.fromMs !== undefined && ended < q.fromMs) return false;
  if (q.toMs !== undefined && ended >= q.toMs) return false;
  return true;
}
