/**
 * Bearer API keys with roles: read < operate (calls) < admin (configuration). Keys are compared in constant time
 * (SHA-256 of both, then timingSafeEqual, every key tried), so neither a key's bytes nor its length leak
 * through timing. No key configured: only loopback clients are served (as admin), as the calls API always did.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export type Role = 'read' | 'operate' | 'admin';
const RANK: Record<Role, number> = { read: 0, operate: 1, admin: 2 };

/** One key as configured (its value resolved from the environment when it came from `keyEnv`). */
export interface ApiKey {
  name: string;
  role: Role;
  key: string;
}

export type AuthResult = { ok: true; key: string; role: Role } | { ok: false; status: 401 | 403; message: string };

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * The role a route needs: reading anything is `read`, the calls routes `operate`, every other change `admin`. The
 * tools (test calls, bot checks) are `admin`: they reach any SIP URI or WebSocket URL, past the outbound trunks'
 * rules and the transfer allowlist (toll fraud, SSRF), so they belong with the keys that may change those rules.
 */
export function requiredRole(method: string, path: string): Role {
  if (method === 'GET' || method === 'HEAD') return 'read';
  if (path === '/v1/calls' || path.startsWith('/v1/calls/')) return 'operate';
  if (path === '/v1/test-calls' || path === '/v1/bot-checks') return 'admin';
  return 'admin';
}

/** Checks a request's bearer key against `keys` for `needed`. */
export function createAuthorizer(keys: readonly ApiKey[]): (req: IncomingMessage, needed: Role) => AuthResult {
  const known = keys.map((k) => ({ ...k, hash: digest(k.key) }));
  return (req, needed) => {
    if (known.length === 0) {
      return LOOPBACK.test(req.socket.remoteAddress ?? '') ? { ok: true, key: 'loopback', role: 'admin' } : { ok: false, status: 401, message: 'no API key configured: only loopback clients are served' };
    }
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    if (presented === undefined) return { ok: false, status: 401, message: 'missing bearer API key' };
    const hash = digest(presented);
    let match: (typeof known)[number] | undefined;
    for (const k of known) if (timingSafeEqual(hash, k.hash) && match === undefined) match = k;
    if (!match) return { ok: false, status: 401, message: 'unknown API key' };
    if (RANK[match.role] < RANK[needed]) return { ok: false, status: 403, message: `role ${match.role} may not do this (needs ${needed})` };
    return { ok: true, key: match.name, role: match.role };
  };
}
