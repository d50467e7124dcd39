/**
 * `GET /v1/calls/{callId}/recording` (the finished file, streamed, with `Range`) and
 * `POST /v1/calls/{callId}/recording` `{"action":"start|pause|resume|stop"}` (the bot dialects without a record
 * command). Self-contained: call control and the file lookup come in through {@link RecordingRouteControl}. It
 * sits behind the /v1 API-key gate (api/admin/gate.ts), which checks the key and its role (GET read, POST operate).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Logger } from '../core/logger.js';
import { CallRejectedError, RecordingError, classifyFailure } from '../core/errors.js';
import { pipeToResponse } from './http-body.js';

export interface RecordingRouteControl {
  /** Controls a live call's recording; undefined when there is no such live call (one being answered may be waited for). */
  record(callId: string, action: 'start' | 'pause' | 'resume' | 'stop'): Promise<string | undefined> | undefined;
  /** The finished file of a call, if any. */
  findFile(callId: string): Promise<{ path: string; format: 'wav' | 'ogg' } | undefined>;
}

export interface RecordingRouteOptions {
  logger: Logger;
}

const PATH = /^\/v1\/calls\/([A-Za-z0-9-]{1,64})\/recording$/;
const body = z.strictObject({ action: z.enum(['start', 'pause', 'resume', 'stop'], { error: 'must be start, pause, resume or stop' }) });
const MAX_BODY = 4096;

/**
 * One `bytes=` range of a `size`-byte file (RFC 9110 §14.1.2): `{start, end}` inclusive, 'unsatisfiable' for a
 * range that starts past the end, undefined to serve the whole file (no header, several ranges, or a syntax we
 * ignore, as the RFC allows).
 */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(value));
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new CallRejectedError('body-too-large', `body over ${MAX_BODY} bytes`);
    chunks.push(c as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  } catch (err) {
    throw new CallRejectedError('bad-json', `invalid JSON: ${(err as Error).message}`);
  }
}

/** The request handler: true when it answered (the path is its own). */
export function createRecordingRoute(control: RecordingRouteControl, options: RecordingRouteOptions) {
  const log = options.logger;
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const m = PATH.exec((req.url ?? '/').split('?')[0]);
    if (!m) return false;
    const callId = m[1];
    try {
      if (req.method === 'POST') await post(req, res, callId);
      else if (req.method === 'GET' || req.method === 'HEAD') await get(req, res, callId);
      else res.writeHead(405, { Allow: 'GET, HEAD, POST', 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'method-not-allowed', message: 'use GET, HEAD or POST' }));
    } catch (err) {
      const f = classifyFailure(err);
      if (f.level === 'error') log.error({ err: f.logErr, callId }, 'recording request failed');
      else log.info({ callId, reason: f.reason, err: f.message }, 'recording request refused');
      if (!res.headersSent) json(res, f.httpStatus, { error: f.reason, message: f.message });
      else res.destroy();
    }
    return true;
  };

  async function post(req: IncomingMessage, res: ServerResponse, callId: string): Promise<void> {
    const parsed = body.safeParse(await readBody(req));
    if (!parsed.success) {
      json(res, 400, { error: 'bad-request', issues: parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`) });
      return;
    }
    const state = await control.record(callId, parsed.data.action);
    if (state === undefined) throw new CallRejectedError('unknown-call', `no live call ${callId}`);
    json(res, 200, { callId, state });
  }

  async function get(req: IncomingMessage, res: ServerResponse, callId: string): Promise<void> {
    const file = await control.findFile(callId);
    const size = file ? await stat(file.path).then((s) => (s.isFile() ? s.size : undefined), () => undefined) : undefined;
    if (!file || size === undefined) throw new RecordingError('no-recording', `no recording for call ${callId}`);
    const headers = { 'Content-Type': file.format === 'ogg' ? 'audio/ogg' : 'audio/wav', 'Accept-Ranges': 'bytes' };
    const range = parseRange(req.headers.range, size);
    if (range === 'unsatisfiable') {
      res.writeHead(416, { ...headers, 'Content-Range': `bytes */${size}` }).end();
      return;
    }
    const { start, end } = range ?? { start: 0, end: size - 1 };
    const length = size === 0 ? 0 : end - start + 1;
    res.writeHead(range ? 206 : 200, { ...headers, 'Content-Length': String(length), ...(range ? { 'Content-Range': `bytes ${start}-${end}/${size}` } : {}) });
    if (req.method === 'HEAD' || length === 0) {
      res.end();
      return;
    }
    const cut = await pipeToResponse(createReadStream(file.path, { start, end }), res);
    if (cut) log.warn({ err: cut.message, callId }, 'recording stream failed');
  }
}
