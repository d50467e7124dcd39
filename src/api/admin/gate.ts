/**
 * The one door to every /v1 route (admin and calls): a bearer key with a high enough role, else 401/403 and a
 * log line (the key's name, never its value). A /v1 path no route owns gets 404.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../core/logger.js';
import { requiredRole, type AuthResult, type Role } from './auth.js';
import { sendJson } from './http.js';

type Route = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/** The name of the key each authorized request came with (for the audit lines of changes). */
const callers = new WeakMap<IncomingMessage, string>();

/** The API key name a request was authorized with ("loopback" without keys). */
export function callerOf(req: IncomingMessage): string | undefined {
  return callers.get(req);
}

export function guardV1(authorize: (req: IncomingMessage, needed: Role) => AuthResult, routes: readonly Route[], logger: Logger): Route {
  return async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/v1' && !path.startsWith('/v1/')) return false;
    const method = req.method ?? 'GET';
    const needed = requiredRole(method, path);
    const auth = authorize(req, needed);
    if (!auth.ok) {
      logger.info({ method, path, status: auth.status, from: req.socket.remoteAddress, detail: auth.message }, 'API request refused');
      const reason = auth.status === 401 ? 'unauthorized' : 'forbidden';
      sendJson(res, auth.status, { error: reason, message: auth.message }, auth.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="trunkbridge"' } : {});
      return true;
    }
    callers.set(req, auth.key);
    for (const r of routes) if (await r(req, res)) return true;
    sendJson(res, 404, { error: 'not-found', message: 'no such route' });
    return true;
  };
}
