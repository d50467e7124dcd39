// The console's only way to the bridge: the public /v1 API with the signed-in key (kept in sessionStorage, so
// it goes when the tab closes). Nothing here is console-only: every call is one the API documents.
import { eventStreamParser } from './event-stream.js';

const KEY = 'trunkbridge.apiKey';

export const session = {
  key: () => sessionStorage.getItem(KEY),
  set: (k) => sessionStorage.setItem(KEY, k),
  clear: () => sessionStorage.removeItem(KEY),
};

/** An API answer that is not 2xx: its status, message and field issues ({ field, message }). */
export class ApiError extends Error {
  constructor(status, body, text) {
    super((body && (body.message || body.error)) || text || `HTTP ${status}`);
    this.status = status;
    this.body = body;
    this.issues = normalizeIssues(body && body.issues);
  }
}

// The admin API answers { field, path, message }; the calls API "path: message" strings.
function normalizeIssues(list) {
  if (!Array.isArray(list)) return [];
  return list.map((i) => {
    if (typeof i === 'string') {
      const at = i.indexOf(': ');
      return at > 0 ? { field: i.slice(0, at), message: i.slice(at + 2) } : { field: '', message: i };
    }
    return { field: String(i.field ?? ''), message: String(i.message ?? '') };
  });
}

/** A response's body as JSON, and its text (JSON undefined when empty or not JSON). */
async function bodyOf(res) {
  const text = await res.text();
  try {
    return { text, json: text ? JSON.parse(text) : undefined };
  } catch {
    return { text, json: undefined };
  }
}

/** The ApiError a refused request answers with (the API's error body when it has one). */
async function apiErrorOf(res) {
  const { text, json } = await bodyOf(res);
  return new ApiError(res.status, json, text);
}

export async function request(method, path, body) {
  const headers = { Authorization: `Bearer ${session.key() ?? ''}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const { text, json } = await bodyOf(res);
  if (!res.ok) throw new ApiError(res.status, json, text);
  return json;
}

export const whoami = () => request('GET', '/v1/whoami');
export const listItems = async (resource) => (await request('GET', `/v1/${resource}`)).items;
const itemPath = (resource, key) => `/v1/${resource}/${encodeURIComponent(key)}`;
export const createItem = (resource, item) => request('POST', `/v1/${resource}`, item);
export const patchItem = (resource, key, patch) => request('PATCH', itemPath(resource, key), patch);
export const putItem = (resource, key, item) => request('PUT', itemPath(resource, key), item);
export const deleteItem = (resource, key) => request('DELETE', itemPath(resource, key));
export const refreshRegistration = (name) => request('POST', `${itemPath('registrations', name)}/refresh`);
export const hangupCall = (callId) => request('POST', `/v1/calls/${encodeURIComponent(callId)}/hangup`, {});
export const transferCall = (callId, body) => request('POST', `/v1/calls/${encodeURIComponent(callId)}/transfer`, body);

/** Opens the live event stream (`GET /v1/events`, server-sent events) with the signed-in key; live-stream.ts reads it. */
export const openEventStream = (signal) =>
  fetch('/v1/events', { headers: { Authorization: `Bearer ${session.key() ?? ''}`, Accept: 'text/event-stream' }, signal, cache: 'no-store' });

/**
 * The live calls, the one place that knows how they are listed: `GET /v1/calls` answers `{ calls: [...] }`.
 * A bridge without that route answers 405 (only POST) or 404: `supported: false`, and the page says so.
 */
export async function listLiveCalls() {
  try {
    const body = await request('GET', '/v1/calls');
    return { supported: true, calls: Array.isArray(body && body.calls) ? body.calls : [] };
  } catch (err) {
    if (err instanceof ApiError && (err.status === 405 || err.status === 404)) return { supported: false, calls: [] };
    throw err;
  }
}

/**
 * Runs a tool on the bridge (`POST /v1/test-calls` or `/v1/bot-checks`): `onStep(line)` for each step as it
 * streams in; resolves with the last event, `{ result: 'pass'|'fail', exitCode }`. A refusal (400 naming the
 * field, 403, 429) throws an ApiError before any step. `signal` stops the run (the bridge ends the call).
 */
export async function runTool(path, body, onStep, signal) {
  const res = await fetch(path, {
    method: 'POST',
    headers: { Authorization: `Bearer ${session.key() ?? ''}`, 'Content-Type': 'application/json', Accept: 'text/event-stream' },
    body: JSON.stringify(body),
    signal,
  });
  if (!res.ok) {
    throw await apiErrorOf(res);
  }
  const feed = eventStreamParser();
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let result;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    for (const e of feed(value)) {
      const data = JSON.parse(e.data);
      if (e.event === 'step') onStep(data.line);
      else if (e.event === 'result') result = data;
    }
  }
  if (result === undefined) throw new Error('the bridge ended the stream without a result');
  return result;
}

/**
 * One page of call records (`GET /v1/call-records`): `filters` are its query parameters (empty ones left out),
 * `cursor` the previous page's `nextCursor`. Resolves with `{ items, nextCursor }`.
 */
export function listCallRecords(filters, cursor) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (String(v ?? '').trim() !== '') q.set(k, String(v).trim());
  if (cursor) q.set('cursor', cursor);
  const s = q.toString();
  return request('GET', `/v1/call-records${s ? `?${s}` : ''}`);
}

/**
 * A recording as a blob: URL for an <audio> element. The recording route wants the bearer key, which an
 * <audio src> cannot send, so the file is fetched here; the caller revokes the URL when done.
 */
export async function recordingObjectUrl(path) {
  const res = await fetch(path, { headers: { Authorization: `Bearer ${session.key() ?? ''}` } });
  if (!res.ok) {
    throw await apiErrorOf(res);
  }
  return URL.createObjectURL(await res.blob());
}
