/**
 * `GET /v1/whoami`: the name and role of the key the request came with (never the key itself), so a client
 * such as the web console shows only what the key may do, and where carriers send SIP (`sip`: the configured
 * listeners, for the "what to give the carrier" text). Any role may ask; the gate has already checked the key.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { callerOf, roleOf } from './gate.js';
import { sendJson } from './http.js';

/** One SIP listener as a carrier should address it. */
export interface SipEndpoint {
  transport: string;
  host: string;
  port: number;
}

export function whoamiRoute(sip: () => SipEndpoint[] = () => []): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return async (req, res) => {
    if ((req.url ?? '/').split('?')[0] !== '/v1/whoami') return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { error: 'method-not-allowed', message: 'GET only' }, { Allow: 'GET, HEAD' });
      return true;
    }
    sendJson(res, 200, { key: callerOf(req), role: roleOf(req), sip: sip() });
    return true;
  };
}
