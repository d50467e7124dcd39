/**
 * `GET /v1/webhooks/status`: each webhook's queue and last outcome, as JSON. No access check of its own: it is
 * placed behind the /v1 door (app/records.ts), so it follows whatever rule the rest of /v1 has.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export const WEBHOOK_STATUS_PATH = '/v1/webhooks/status';

/** The route; answers (true) only its own path. */
export function webhookStatusRoute(status: () => unknown) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if ((req.url ?? '/').split('?')[0] !== WEBHOOK_STATUS_PATH) return false;
    const json = (code: number, body: unknown, extra: Record<string, string> = {}) =>
      res.writeHead(code, { 'Content-Type': 'application/json', ...extra }).end(JSON.stringify(body));
    if (req.method !== 'GET') json(405, { error: 'method-not-allowed' }, { Allow: 'GET' });
    else json(200, status());
    return true;
  };
}
