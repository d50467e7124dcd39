/** JSON in and out for the admin API, and its one error type (reasons from core/failures.ts). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TrunkbridgeError, type FailureReason } from '../../core/errors.js';
import { failureSpec } from '../../core/failures.js';
import { readBodyCapped } from '../http-body.js';

/** One bad field: `field` relative to the item written (or the full path when it lies elsewhere), `path` in YAML terms. */
export interface FieldIssue {
  field: string;
  path: string;
  message: string;
}

/** An admin request refused for a catalogued reason; `details` go into the JSON answer. */
export class AdminApiError extends TrunkbridgeError {
  constructor(
    reason: FailureReason,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super('ADMIN_API', reason, message);
  }
}

/** Configuration documents are small; this bounds what one request can make us hold. */
const MAX_BODY = 256 * 1024;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(body === undefined ? undefined : JSON.stringify(body));
}

/** Answers an {@link AdminApiError}: its catalogued HTTP status, `{ error, message, ...details }`. */
export function sendError(res: ServerResponse, err: AdminApiError, headers: Record<string, string> = {}): void {
  const { allow, ...details } = err.details;
  // A 405 says which methods the route takes (RFC 9110 §15.5.6).
  const extra: Record<string, string> = typeof allow === 'string' ? { Allow: allow } : {};
  sendJson(res, failureSpec(err.reason).http, { error: err.reason, message: err.message, ...details }, { ...headers, ...extra });
}

/** The body as JSON (empty: undefined). */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const body = await readBodyCapped(req, MAX_BODY);
  if (!body) throw new AdminApiError('body-too-large', `body over ${MAX_BODY} bytes`);
  const text = body.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new AdminApiError('bad-json', `invalid JSON: ${(err as Error).message}`);
  }
}

/** A JSON object body, or 400 naming what is wrong. */
export async function readObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const body = await readJson(req);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AdminApiError('bad-request', 'the body must be a JSON object', { issues: [{ field: '', path: '', message: 'must be a JSON object' }] });
  }
  return body as Record<string, unknown>;
}

/** The revision an `If-Match` header names: undefined for none or `*`; NaN for one that names no revision. */
export function ifMatchRevision(req: IncomingMessage): number | undefined {
  const h = req.headers['if-match'];
  if (h === undefined || h.trim() === '*') return undefined;
  const m = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(h);
  return m ? Number(m[1]) : Number.NaN;
}

/** The ETag of a configuration revision. */
export function etagOf(revision: number): string {
  return `"${revision}"`;
}
