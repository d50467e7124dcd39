/**
 * `GET /v1/events`: the live event stream as server-sent events (`text/event-stream`); see live-events.ts for
 * what it carries. Authorization is done in front (role read, like every GET). A client past the limit gets 429
 * (`events-busy`); a method other than GET/HEAD 405.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { callerOf } from '../admin/gate.js';
import { AdminApiError, sendError } from '../admin/http.js';
import type { LiveEvents } from './live-events.js';

const HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-store',
  // nginx and similar proxies buffer responses by default: an event must not wait there.
  'X-Accel-Buffering': 'no',
};

export function eventsRoute(events: LiveEvents): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return async (req, res) => {
    if ((req.url ?? '/').split('?')[0] !== '/v1/events') return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendError(res, new AdminApiError('method-not-allowed', 'GET only', { allow: 'GET, HEAD' }));
      return true;
    }
    if (events.full) {
      sendError(res, new AdminApiError('events-busy', 'as many event-stream clients as the bridge serves are connected: try again later'));
      return true;
    }
    res.writeHead(200, HEADERS);
    if (req.method === 'HEAD') {
      res.end();
      return true;
    }
    // Small events go out as written, not held back for a fuller packet.
    req.socket.setNoDelay(true);
    events.attach(res, callerOf(req) ?? 'unknown');
    return true;
  };
}
