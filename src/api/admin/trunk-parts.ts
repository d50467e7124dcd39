/**
 * A trunk's sub-resources: `/v1/inbound-trunks/{name}/allow` (source addresses) and `.../credentials` (SIP users,
 * passwords write-only). Each change is a change of the trunk, validated like the whole configuration.
 */
import type { Collection, Plain } from './collections.js';
import { isRecord } from './collections.js';
import { AdminApiError } from './http.js';
import type { ManagedConfig } from '../../config/index.js';

/** A request on a part, its body already read (undefined: none). */
export interface PartRequest {
  part: 'allow' | 'credentials';
  method: string;
  /** The URL's entry (an address, a username); undefined for the list. */
  entry: string | undefined;
  body: Record<string, unknown> | undefined;
}

/** What a part request does: read (no change) or a change of the trunk with the answer to give. */
export type PartOutcome =
  | { kind: 'read'; status: number; body: unknown }
  | { kind: 'change'; status: number; trunk: Plain; answer: unknown };

const notFound = (what: string): AdminApiError => new AdminApiError('not-found', `no ${what}`);
const badBody = (field: string, message: string): AdminApiError => new AdminApiError('bad-request', 'invalid body', { issues: [{ field, path: field, message }] });

function bodyOf(r: PartRequest): Record<string, unknown> {
  if (r.body === undefined) throw badBody('', 'a JSON object body is required');
  return r.body;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function allowPart(trunk: Plain, r: PartRequest): PartOutcome {
  const allow = strings(trunk.allow);
  if (r.entry === undefined) {
    if (r.method === 'GET') return { kind: 'read', status: 200, body: { allow } };
    if (r.method === 'POST') {
      const b = bodyOf(r);
      if (typeof b.address !== 'string') throw badBody('address', 'required: an IP address, CIDR or host name');
      if (allow.includes(b.address)) throw new AdminApiError('already-exists', `"${b.address}" is already allowed`);
      return { kind: 'change', status: 201, trunk: { ...trunk, allow: [...allow, b.address] }, answer: { address: b.address } };
    }
    if (r.method === 'PUT') {
      const b = bodyOf(r);
      if (!Array.isArray(b.allow)) throw badBody('allow', 'required: the whole list');
      return { kind: 'change', status: 200, trunk: { ...trunk, allow: b.allow }, answer: { allow: b.allow } };
    }
  } else {
    if (!allow.includes(r.entry)) throw notFound(`allow entry "${r.entry}"`);
    if (r.method === 'GET') return { kind: 'read', status: 200, body: { address: r.entry } };
    if (r.method === 'DELETE') return { kind: 'change', status: 204, trunk: { ...trunk, allow: allow.filter((a) => a !== r.entry) }, answer: undefined };
  }
  throw new AdminApiError('method-not-allowed', `no ${r.method} on this route`, { allow: r.entry === undefined ? 'GET, POST, PUT' : 'GET, DELETE' });
}

function credentialsPart(trunk: Plain, r: PartRequest): PartOutcome {
  const creds = Array.isArray(trunk.credentials) ? trunk.credentials.filter(isRecord) : [];
  const shown = (c: Plain): Plain => ({ username: c.username });
  if (r.entry === undefined) {
    if (r.method === 'GET') return { kind: 'read', status: 200, body: { credentials: creds.map(shown) } };
    if (r.method === 'POST') {
      const b = bodyOf(r);
      if (typeof b.username !== 'string') throw badBody('username', 'required');
      if (creds.some((c) => c.username === b.username)) throw new AdminApiError('already-exists', `user "${b.username}" exists on this trunk`);
      return { kind: 'change', status: 201, trunk: { ...trunk, credentials: [...creds, b] }, answer: { username: b.username } };
    }
  } else {
    const at = creds.findIndex((c) => c.username === r.entry);
    if (at < 0) throw notFound(`user "${r.entry}" on this trunk`);
    if (r.method === 'GET') return { kind: 'read', status: 200, body: shown(creds[at]) };
    if (r.method === 'PUT' || r.method === 'PATCH') {
      const b = bodyOf(r);
      if (b.username !== undefined && b.username !== r.entry) throw badBody('username', 'must match the URL (delete and create to rename)');
      const next = [...creds];
      next[at] = { ...creds[at], ...b, username: r.entry };
      return { kind: 'change', status: 200, trunk: { ...trunk, credentials: next }, answer: { username: r.entry } };
    }
    if (r.method === 'DELETE') return { kind: 'change', status: 204, trunk: { ...trunk, credentials: creds.filter((_, i) => i !== at) }, answer: undefined };
  }
  throw new AdminApiError('method-not-allowed', `no ${r.method} on this route`, { allow: r.entry === undefined ? 'GET, POST' : 'GET, PUT, PATCH, DELETE' });
}

/** Runs a part request against trunk `name` of `m`. */
export function trunkPart(trunks: Collection, m: ManagedConfig, name: string, r: PartRequest): PartOutcome {
  const trunk = trunks.get(m, name);
  if (!trunk) throw notFound(`inbound trunk "${name}"`);
  return r.part === 'allow' ? allowPart(trunk, r) : credentialsPart(trunk, r);
}
