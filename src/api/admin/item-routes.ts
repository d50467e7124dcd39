/**
 * One resource's routes: list/create on the collection, get/replace/patch/delete on an item, a trunk's parts and a
 * registration's refresh. Every change runs through {@link AdminControl.update} (validated, stored, applied).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../core/logger.js';
import { ConfigError } from '../../core/errors.js';
import type { ManagedConfig } from '../../config/index.js';
import type { AdminControl } from './control.js';
import { isRecord, sameNumber, type Collection, type Plain } from './collections.js';
import { AdminApiError, etagOf, ifMatchRevision, readObject, sendJson } from './http.js';
import { keepSecrets, mergePatch, secretsSet, withoutSecrets } from './secrets.js';
import { relateIssues } from './issues.js';
import { trunkPart, type PartOutcome } from './trunk-parts.js';
import { callerOf } from './gate.js';

/** What every route reads: the live configuration and the API's logger. */
export interface Ctx {
  control: AdminControl;
  logger: Logger;
}

export async function resource(ctx: Ctx, coll: Collection, rest: string[], method: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const [key, part, entry, extra] = rest;
  if (key === undefined) return collectionRoute(ctx, coll, method, req, res);
  if (part === undefined) return itemRoute(ctx, coll, key, method, req, res);
  if (coll.name === 'registrations' && part === 'refresh' && entry === undefined && method === 'POST') {
    if (!coll.get(ctx.control.current().managed, key)) throw new AdminApiError('not-found', `no registration "${key}"`);
    ctx.control.refreshRegistration(key);
    ctx.logger.info({ by: callerOf(req), registration: key }, 'registration refresh requested (API)');
    const node = ctx.control.registrationHolder?.(key);
    sendJson(res, 202, { name: key, state: ctx.control.registrationState(key) ?? 'stopped', ...(node !== undefined ? { node } : {}) });
    return;
  }
  if (coll.name === 'inbound-trunks' && (part === 'allow' || part === 'credentials') && extra === undefined) {
    const body = method === 'POST' || method === 'PUT' || method === 'PATCH' ? await readObject(req) : undefined;
    const request = { part, method, entry, body } as const;
    const first = trunkPart(coll, ctx.control.current().managed, key, request);
    if (first.kind === 'read') return sendJson(res, first.status, first.body, { ETag: etagOf(ctx.control.current().revision) });
    let outcome: PartOutcome = first;
    const stored = await change(ctx, coll, key, req, (m) => {
      // Under the lock: run again on the managed sections as they are now.
      outcome = trunkPart(coll, m, key, request);
      if (outcome.kind !== 'change') return m;
      return coll.put(m, key, outcome.trunk);
    });
    const done = outcome as Extract<PartOutcome, { kind: 'change' }>;
    ctx.logger.info({ by: callerOf(req), trunk: key, part, entry, method, revision: stored }, 'trunk changed (API)');
    return sendJson(res, done.status, done.answer, { ETag: etagOf(stored) });
  }
  throw new AdminApiError('not-found', 'no such route');
}

async function collectionRoute(ctx: Ctx, coll: Collection, method: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const cur = ctx.control.current();
  if (method === 'GET') {
    sendJson(res, 200, { items: coll.list(cur.managed).map((i) => shown(ctx, coll, i)) }, { ETag: etagOf(cur.revision) });
    return;
  }
  if (method !== 'POST') throw new AdminApiError('method-not-allowed', `no ${method} on /v1/${coll.name}`, { allow: 'GET, POST' });
  const body = await readObject(req);
  const key = body[coll.keyField];
  if (typeof key !== 'string' || key === '') {
    throw new AdminApiError('bad-request', 'invalid item', { issues: [{ field: coll.keyField, path: coll.keyField, message: 'required' }] });
  }
  rejectHidden(coll, body);
  dropReadOnly(coll, body);
  const revision = await change(ctx, coll, key, req, (m) => {
    if (coll.get(m, key) || (coll.keyField === 'number' && coll.list(m).some((n) => sameNumber(String(n.number), key)))) {
      const owner = coll.get(m, key) ?? coll.list(m).find((n) => sameNumber(String(n.number), key));
      throw new AdminApiError('already-exists', `${label(coll)} "${key}" exists${coll.keyField === 'number' ? ` (owned by trunk "${String(owner?.trunk)}")` : ''}`);
    }
    return coll.put(m, key, body);
  });
  const created = coll.get(ctx.control.current().managed, key) ?? body;
  ctx.logger.info({ by: callerOf(req), resource: coll.name, key, revision }, 'created (API)');
  sendJson(res, 201, shown(ctx, coll, created), { ETag: etagOf(revision), Location: `/v1/${coll.name}/${encodeURIComponent(key)}` });
}

async function itemRoute(ctx: Ctx, coll: Collection, key: string, method: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const cur = ctx.control.current();
  const found = coll.get(cur.managed, key);
  if (!found) throw new AdminApiError('not-found', `no ${label(coll)} "${key}"`);
  if (method === 'GET') {
    sendJson(res, 200, shown(ctx, coll, found), { ETag: etagOf(cur.revision) });
    return;
  }
  if (method === 'DELETE') {
    const revision = await change(ctx, coll, key, req, (m) => {
      if (coll.name === 'inbound-trunks') {
        const numbers = (coll.get(m, key) as Plain | undefined)?.numbers;
        if (isRecord(numbers) && Object.keys(numbers).length > 0) {
          throw new AdminApiError('in-use', `trunk "${key}" still owns numbers: delete or move them first`, { numbers: Object.keys(numbers) });
        }
      }
      return coll.remove(m, key);
    }, true);
    ctx.logger.info({ by: callerOf(req), resource: coll.name, key, revision }, 'deleted (API)');
    res.writeHead(204, { ETag: etagOf(revision) }).end();
    return;
  }
  if (method !== 'PUT' && method !== 'PATCH') throw new AdminApiError('method-not-allowed', `no ${method} on /v1/${coll.name}/{key}`, { allow: 'GET, PUT, PATCH, DELETE' });
  const body = await readObject(req);
  if (body[coll.keyField] !== undefined && body[coll.keyField] !== key) {
    throw new AdminApiError('bad-request', 'invalid item', { issues: [{ field: coll.keyField, path: coll.keyField, message: 'must match the URL (delete and create to rename)' }] });
  }
  rejectHidden(coll, body);
  dropReadOnly(coll, body);
  const revision = await change(ctx, coll, key, req, (m) => {
    const old = coll.get(m, key);
    if (!old) throw new AdminApiError('not-found', `no ${label(coll)} "${key}"`);
    const next = (method === 'PATCH' ? patched(old, body) : keepSecrets(old, body, coll.secretKeys)) as Plain;
    for (const h of coll.hiddenKeys) if (old[h] !== undefined) next[h] = old[h];
    next[coll.keyField] = key;
    return coll.put(m, key, next);
  });
  ctx.logger.info({ by: callerOf(req), resource: coll.name, key, method, revision }, 'changed (API)');
  sendJson(res, 200, shown(ctx, coll, coll.get(ctx.control.current().managed, key) ?? body), { ETag: etagOf(revision) });
}

/**
 * Runs a change under the configuration lock with the request's If-Match; bad fields become 400 with the
 * item's field names (409 for a delete that others still depend on). Returns the stored revision.
 */
async function change(ctx: Ctx, coll: Collection, key: string, req: IncomingMessage, fn: (m: ManagedConfig) => ManagedConfig, isDelete = false): Promise<number> {
  const ifRevision = ifMatchRevision(req);
  if (ifRevision !== undefined && Number.isNaN(ifRevision)) throw new AdminApiError('stale-revision', 'If-Match names no revision of this configuration');
  let itemPath: Array<string | number> | undefined;
  try {
    const r = await ctx.control.update((m) => {
      const next = fn(m);
      itemPath = coll.pathOf(next, key);
      return next;
    }, ifRevision);
    return r.revision;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const issues = relateIssues(err.issues, itemPath, coll.keyField);
    if (isDelete) throw new AdminApiError('in-use', `${label(coll)} "${key}" is still named elsewhere`, { issues });
    throw new AdminApiError('bad-request', `invalid ${label(coll)} "${key}"`, { issues });
  }
}

/**
 * The item as answered: secrets and hidden keys left out, the names of the secrets it has (`secretsSet`) and a
 * registration's live state added.
 */
function shown(ctx: Ctx, coll: Collection, item: Plain): unknown {
  const out = withoutSecrets(item, [...coll.secretKeys, ...coll.hiddenKeys]) as Plain;
  const set = secretsSet(item, coll.secretKeys);
  if (set.length > 0) out.secretsSet = set;
  if (coll.name === 'registrations') {
    out.state = ctx.control.registrationState(String(item.name)) ?? 'stopped';
    const node = ctx.control.registrationHolder?.(String(item.name));
    if (node !== undefined) out.node = node;
  }
  return out;
}

/**
 * A merge patch of an item. A patch replaces a list whole, so the passwords of a `credentials` list sent without
 * them are kept (matched by username); a secret set to null outside a list is removed, as the patch says.
 */
function patched(old: Plain, body: Plain): Plain {
  const next = mergePatch(old, body) as Plain;
  for (const [k, v] of Object.entries(body)) if (Array.isArray(v)) next[k] = keepSecrets(old[k], next[k]);
  return next;
}

/** "inbound-trunk", "number", "bot": one item of a collection, for messages. */
function label(coll: Collection): string {
  return coll.name.replace(/s$/, '');
}

/** Fields an answer adds that are not configuration (`secretsSet`, a registration's `state` and `node`): a GET sent back as a PUT is fine. */
function dropReadOnly(coll: Collection, body: Plain): void {
  delete body.secretsSet;
  if (coll.name === 'registrations') {
    delete body.state;
    delete body.node;
  }
}

function rejectHidden(coll: Collection, body: Plain): void {
  const hidden = coll.hiddenKeys.filter((k) => body[k] !== undefined);
  if (hidden.length > 0) {
    throw new AdminApiError('bad-request', 'invalid item', { issues: hidden.map((k) => ({ field: k, path: k, message: `managed through /v1/${k}` })) });
  }
}
