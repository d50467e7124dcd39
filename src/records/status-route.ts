/**
 * `GET /v1/webhooks/status`: each webhook's queue and last outcome, as JSON. Same access rule as the rest of
 * /v1 (a bearer `api.token`, else loopback clients only); self-contained so the route can move with the API.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';

export const WEBHOOK_STATUS_PATH = '/v1/webhooks/status';
const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

function authorized(req: IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return LOOPBACK.test(req.socket.remoteAddress ?? '');
  const got = Buffer.from(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '');
  const want = Buffer.from(token);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** The route; answers (true) only its own path. */
export function webhookStatusRoute(status: () => unknown, options: { token?: string }) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if ((req.url ?? '/').split('?')[0] !== WEBHOOK_STATUS_PATH) return false;
    const json = (code: number, body: unknown, extra: Record<string, string> = {}) =>
      res.writeHead(code, { 'Content-Type': 'application/json', ...extra }).end(JSON.stringify(body));
    if (!authorized(req, options.token)) json(401, { error: 'unauthorized' });
    else if (req.method !== 'GET') json(405, { error: 'method-not-allowed' }, { Allow: 'GET' });
    else json(200, status());
    return true;
  };
}
