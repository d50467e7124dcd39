/**
 * The admin API's routes: `/v1/<resource>` list/create, `/v1/<resource>/{key}` get/replace/patch/delete, a trunk's
 * `allow` and `credentials`, `POST /v1/registrations/{name}/refresh`, `POST /v1/reload` and `GET /v1/openapi.json`.
 * Every change goes through {@link AdminControl.update}: the same schema and cross-checks as the YAML, stored
 * before it applies. Authorization is done in front (auth.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../core/logger.js';
import { ConfigError, TrunkbridgeError, classifyFailure } from '../../core/errors.js';
import type { AdminControl } from './control.js';
import { collectionNamed } from './resources.js';
import { AdminApiError, etagOf, sendError, sendJson } from './http.js';
import { relateIssues } from './issues.js';
import { resource } from './item-routes.js';
import { callerOf } from './gate.js';
import { openApiDocument } from './openapi.js';
import { failureSpec } from '../../core/failures.js';

type Route = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/** Builds the admin routes; returns false for /v1 paths it does not own (the calls API's). */
export function createAdminRoutes(control: AdminControl, logger: Logger): Route {
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    const segs = url.pathname.split('/').slice(2).map((s) => safeDecode(s));
    if (url.pathname.split('/')[1] !== 'v1' || segs.length === 0) return false;
    const method = req.method ?? 'GET';
    try {
      if (segs[0] === 'openapi.json' && segs.length === 1 && method === 'GET') {
        sendJson(res, 200, openApiDocument());
        return true;
      }
      if (segs[0] === 'reload' && segs.length === 1 && method === 'POST') {
        const r = await control.reload().catch((err: unknown) => {
          if (err instanceof ConfigError) throw new AdminApiError('config-invalid', 'the file is invalid: the running configuration stays', { issues: relateIssues(err.issues, undefined) });
          throw err;
        });
        logger.info({ by: callerOf(req), revision: r.revision, imported: r.imported, restartRequired: r.restartRequired }, 'configuration reload from the file (API)');
        sendJson(res, 200, r, { ETag: etagOf(r.revision) });
        return true;
      }
      const coll = collectionNamed(segs[0]);
      if (!coll) return false;
      await resource({ control, logger }, coll, segs.slice(1), method, req, res);
    } catch (err) {
      answerError(err, res, logger, method, url.pathname);
    }
    return true;
  };

}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function answerError(err: unknown, res: ServerResponse, logger: Logger, method: string, path: string): void {
  if (err instanceof AdminApiError) {
    if (err.reason === 'store-failed') logger.error({ err, method, path }, 'admin API request failed');
    else logger.info({ method, path, reason: err.reason, detail: err.message }, 'admin API request refused');
    sendError(res, err);
    return;
  }
  if (err instanceof TrunkbridgeError) {
    const f = classifyFailure(err);
    if (f.level === 'error') logger.error({ err, method, path }, 'admin API request failed');
    else logger.info({ method, path, reason: f.reason, detail: f.message }, 'admin API request refused');
    sendJson(res, failureSpec(err.reason).http, { error: f.reason, message: f.message });
    return;
  }
  logger.error({ err, method, path }, 'admin API request failed');
  sendJson(res, 500, { error: 'internal', message: 'internal error' });
}

