/**
 * `GET /v1/call-records?trunk=&number=&result=&from=&to=&limit=&cursor=`: the call detail records, newest
 * first, a page at a time with an opaque cursor. Each record is the CDR line (README "Call records") plus
 * `recordingUrl` when the call was recorded. The query is validated by one zod schema (400 naming the
 * parameter); the records come through {@link CallRecordsSource} (app/ops.ts wires records/' CDR reader), so
 * api/ does not read files. Behind the /v1 API-key gate (role read).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Logger } from '../core/logger.js';
import { AdminApiError, sendError, sendJson } from './admin/http.js';
import { callerOf } from './admin/gate.js';

export const CALL_RECORDS_PATH = '/v1/call-records';

/** The largest page one request gets. */
export const MAX_LIMIT = 200;
const DEFAULT_LIMIT = 50;

const time = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], { error: 'must be an ISO 8601 time (2026-12-05T16:20:00Z) or a date (2026-12-05)' })
  .transform((s) => Date.parse(s));

/** The query string, each parameter a string; unknown parameters are refused (a typo would silently match all). */
export const callRecordsQuery = z.strictObject({
  trunk: z.string().min(1).max(64).optional(),
  number: z.string().regex(/^\+?[A-Za-z0-9*#._-]{1,64}$/, 'must be a number or SIP user like +15550100').optional(),
  result: z
    .string()
    .regex(/^(answered|unanswered|[1-6]\d\d)$/, 'must be answered, unanswered or a SIP status (e.g. 486)')
    .transform((s) => (s === 'answered' || s === 'unanswered' ? s : Number(s)))
    .optional(),
  from: time.optional(),
  to: time.optional(),
  limit: z
    .string()
    .regex(/^\d{1,4}$/, `must be a whole number 1..${MAX_LIMIT}`)
    .transform(Number)
    .pipe(z.number().int().min(1, `must be 1..${MAX_LIMIT}`).max(MAX_LIMIT, `must be 1..${MAX_LIMIT}`))
    .default(DEFAULT_LIMIT),
  cursor: z.string().min(1).max(64).optional(),
});

/** A parsed query, cursor decoded by the source. */
export interface CallRecordsQuery<C> {
  trunk?: string;
  number?: string;
  result?: 'answered' | 'unanswered' | number;
  fromMs?: number;
  toMs?: number;
  limit: number;
  cursor?: C;
}

/** What the route needs of a record: its call id and whether it has a recording. */
interface RecordLike {
  callId: string;
  recording: unknown;
}

/** Where the records come from. */
export interface CallRecordsSource<C> {
  /** A cursor this source handed out; undefined for anything else. */
  decodeCursor(text: string): C | undefined;
  page(q: CallRecordsQuery<C>): Promise<{ records: RecordLike[]; nextCursor: string | null }>;
}

type Issue = { field: string; path: string; message: string };

function badRequest(issues: Issue[]): AdminApiError {
  return new AdminApiError('bad-request', `invalid query: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, { issues });
}

/** The query string as a {@link CallRecordsQuery}, or the 400 naming each bad parameter. */
export function parseCallRecordsQuery<C>(search: URLSearchParams, decodeCursor: (text: string) => C | undefined): CallRecordsQuery<C> {
  const raw: Record<string, string> = {};
  const issues: Issue[] = [];
  for (const [k, v] of search) {
    if (k in raw) issues.push({ field: k, path: k, message: 'given more than once' });
    raw[k] = v;
  }
  const parsed = callRecordsQuery.safeParse(raw);
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      // An unknown parameter is reported at the query itself by zod: name it.
      const keys = i.code === 'unrecognized_keys' ? i.keys : [i.path.join('.')];
      for (const k of keys) issues.push({ field: k, path: k, message: i.code === 'unrecognized_keys' ? 'unknown parameter' : i.message });
    }
  }
  if (issues.length > 0 || !parsed.success) throw badRequest(issues);
  const p = parsed.data;
  const cursor = p.cursor !== undefined ? decodeCursor(p.cursor) : undefined;
  if (p.cursor !== undefined && cursor === undefined) throw badRequest([{ field: 'cursor', path: 'cursor', message: 'not a cursor of this API (use nextCursor as answered)' }]);
  if (p.from !== undefined && p.to !== undefined && p.from >= p.to) throw badRequest([{ field: 'to', path: 'to', message: 'must be after from' }]);
  return {
    limit: p.limit,
    ...(p.trunk !== undefined ? { trunk: p.trunk } : {}),
    ...(p.number !== undefined ? { number: p.number } : {}),
    ...(p.result !== undefined ? { result: p.result } : {}),
    ...(p.from !== undefined ? { fromMs: p.from } : {}),
    ...(p.to !== undefined ? { toMs: p.to } : {}),
    ...(cursor !== undefined ? { cursor } : {}),
  };
}

/**
 * The route; `source` undefined when the bridge keeps no CDR files (`callRecords.dir` unset or `cdrFiles:
 * false`): then 404 saying so.
 */
export function callRecordsRoute<C>(source: CallRecordsSource<C> | undefined, logger: Logger): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://api');
    if (url.pathname !== CALL_RECORDS_PATH) return false;
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new AdminApiError('method-not-allowed', 'GET only', { allow: 'GET, HEAD' });
      if (!source) throw new AdminApiError('not-found', 'this bridge keeps no call records (set callRecords.dir, with cdrFiles on)');
      const q = parseCallRecordsQuery(url.searchParams, (t) => source.decodeCursor(t));
      const page = await source.page(q);
      const items = page.records.map((r) => ({ ...r, recordingUrl: r.recording ? `/v1/calls/${encodeURIComponent(r.callId)}/recording` : null }));
      sendJson(res, 200, { items, nextCursor: page.nextCursor }, { 'Cache-Control': 'no-store' });
    } catch (err) {
      if (!(err instanceof AdminApiError)) {
        logger.error({ err, path: CALL_RECORDS_PATH }, 'call records request failed');
        sendJson(res, 500, { error: 'internal', message: 'the call records could not be read' });
        return true;
      }
      logger.info({ path: CALL_RECORDS_PATH, key: callerOf(req), reason: err.reason, detail: err.message }, 'call records request refused');
      sendError(res, err);
    }
    return true;
  };
}

/** The OpenAPI path entry (openapi.ts adds it to the document). */
export function callRecordsOpenApi(): Record<string, unknown> {
  const param = (name: string, description: string, schema: Record<string, unknown> = { type: 'string' }) => ({ name, in: 'query', required: false, schema, description });
  const err = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
  return {
    [CALL_RECORDS_PATH]: {
      get: {
        summary: 'call detail records, newest first, a page at a time; role read',
        security: [{ bearer: [] }],
        parameters: [
          param('trunk', 'inbound or outbound trunk name'),
          param('number', 'calling or called number (a leading + is ignored)'),
          param('result', 'answered, unanswered, or the final SIP status (e.g. 486)'),
          param('from', 'records that ended at or after this ISO 8601 time or date'),
          param('to', 'records that ended before this ISO 8601 time or date'),
          param('limit', `page size, 1..${MAX_LIMIT}`, { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT }),
          param('cursor', 'the nextCursor of the previous page (same filters)'),
        ],
        responses: {
          200: {
            description: '{ items: [CallRecord + recordingUrl], nextCursor } (nextCursor null: no older records)',
            content: { 'application/json': { schema: { type: 'object', properties: { items: { type: 'array', items: { type: 'object', description: 'a CDR line (schema/call-records.schema.json #/$defs/CallRecord) with recordingUrl (string or null)' } }, nextCursor: { type: 'string', nullable: true } } } } },
          },
          400: err('a bad parameter: `issues` names it'),
          401: err('no or an unknown API key'),
          404: err('the bridge keeps no CDR files'),
        },
      },
    },
  };
}
