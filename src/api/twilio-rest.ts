/**
 * A Twilio-compatible REST shim for bots written against Twilio: the Call resource at
 * `/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json`, enough for Pipecat's `TwilioFrameSerializer`
 * (`base_url` pointed at the bridge) and Twilio's helper libraries to end and transfer a call, and the Calls
 * list resource, where they place one (twilio-calls.ts):
 *
 * - `POST` with `Status=completed` ends the call; `Twiml=<Response><Dial>NUMBER</Dial></Response>` transfers it
 *   through the usual transfer rules; `GET` fetches the Call resource.
 * - HTTP Basic auth `AccountSid:AuthToken`, configured per bot; a call is visible only to the credentials of
 *   the bot that has it, as a call of another Twilio account is.
 * - Answers are shaped like Twilio's: the Call resource JSON, and errors as `{code, message, more_info, status}`
 *   (20003 for bad credentials, 20404 for an unknown or ended call: Pipecat treats that as "already over").
 *
 * Call SIDs are `CA` + the trunkbridge call id's 32 hex digits (the Twilio dialect's rule), so the shim needs
 * no table. Knows call control only through {@link TwilioRestControl}.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { failureSpec, isFailureReason } from '../core/failures.js';
import type { Logger } from '../core/logger.js';
import { parseDialTwiml } from './twiml.js';
import { createCall, ringingCall } from './twilio-calls.js';
import { API_VERSION, callIdOfCallSid, callResource, MAX_BODY, readForm, sendError, type TwilioAccount, type TwilioCallView, type TwilioRestControl } from './twilio-resource.js';

export { callIdOfCallSid, callResource, callSidOf, type TwilioAccount, type TwilioCallView, type TwilioNewCall, type TwilioRestControl } from './twilio-resource.js';

/** The shim's configuration: every bot's credentials, and where it logs. */
export interface TwilioRestOptions {
  accounts: readonly TwilioAccount[];
  logger: Logger;
}

const ROUTE = /^\/2010-04-01\/Accounts\/(AC[0-9a-fA-F]{32})\/Calls\/(CA[0-9a-fA-F]{32})\.json$/;
const CALLS = /^\/2010-04-01\/Accounts\/(AC[0-9a-fA-F]{32})\/Calls\.json$/;

/** SHA-256 of both sides, so the comparison is constant-time whatever their lengths. */
function sameSecret(got: string, want: string): boolean {
  const a = createHash('sha256').update(got).digest();
  const b = createHash('sha256').update(want).digest();
  return timingSafeEqual(a, b);
}

/** The accounts the Basic credentials match (several bots may share one account). */
function authenticate(req: IncomingMessage, accountSid: string, accounts: readonly TwilioAccount[]): TwilioAccount[] {
  const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.headers.authorization ?? '');
  if (!m) return [];
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return [];
  const user = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  if (user !== accountSid) return [];
  // Every candidate token is compared, so the time taken does not tell which bot (if any) matched.
  return accounts.filter((a) => a.accountSid === user).filter((a) => sameSecret(password, a.authToken));
}

/** One authenticated update of one live call. */
interface Update {
  control: TwilioRestControl;
  log: Logger;
  res: ServerResponse;
  form: URLSearchParams;
  account: TwilioAccount;
  accountSid: string;
  callSid: string;
  callId: string;
  call: TwilioCallView;
}

/**
 * Builds the request handler for `/2010-04-01/` routes; it returns false for paths it does not own so the ops
 * server can answer them.
 */
export function createTwilioRest(control: TwilioRestControl, options: TwilioRestOptions) {
  const log = options.logger;
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = (req.url ?? '/').split('?')[0];
    if (!path.startsWith(`/${API_VERSION}/`)) return false;
    const route = ROUTE.exec(path);
    const collection = route ? null : CALLS.exec(path);
    if (!route && !collection) {
      sendError(res, 404, 20404, `The requested resource ${path} was not found`);
      return true;
    }
    const accountSid = (route ?? collection)![1];
    const accounts = authenticate(req, accountSid, options.accounts);
    if (accounts.length === 0) {
      sendError(res, 401, 20003, 'Authenticate');
      return true;
    }
    if (collection) {
      if (req.method === 'POST') await createCall({ control, log, req, res, accountSid, accounts });
      else res.writeHead(405, { Allow: 'POST' }).end();
      return true;
    }
    const callSid = route![2];
    const callId = callIdOfCallSid(callSid);
    const ringing = control.ringing(callId);
    const ringingAccount = ringing ? accounts.find((a) => a.bot === ringing.bot) : undefined;
    if (ringing && ringingAccount) {
      await ringingCall({ control, log, req, res, accountSid, callSid, callId, call: ringing });
      return true;
    }
    const call = await control.call(callId);
    // Not here: in a cluster it may be another node's (authenticated here, checked again there).
    if (!call && control.forward && (await control.forward(callId, req, res))) return true;
    // Another bot's call is as invisible as an ended one.
    const account = call ? accounts.find((a) => a.bot === call.bot) : undefined;
    if (!call || !account) {
      sendError(res, 404, 20404, `The requested resource ${path} was not found`);
      return true;
    }
    if (req.method === 'GET') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(callResource(accountSid, callSid, call, 'in-progress', Date.now())));
      return true;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { Allow: 'GET, POST' }).end();
      return true;
    }
    const form = await readForm(req);
    if (!form) {
      sendError(res, 413, null, `body over ${MAX_BODY} bytes`);
      return true;
    }
    await update({ control, log, res, form, account, accountSid, callSid, callId, call });
    return true;
  };
}

/** `Status` or `Twiml`: hang up, leave alone, or transfer. */
async function update(u: Update): Promise<void> {
  const { res, form, callSid, callId, call } = u;
  const status = form.get('Status');
  const twiml = form.get('Twiml');
  const ok = (s: 'in-progress' | 'completed'): void => {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(callResource(u.accountSid, callSid, call, s, Date.now())));
  };
  if (status === 'completed') {
    if (!u.control.hangup(callId)) return sendError(res, 404, 20404, `The requested resource ${callSid} was not found`);
    u.log.info({ callId, bot: call.bot }, 'call ended through the Twilio REST shim');
    return ok('completed');
  }
  // Twilio: "canceled" hangs up calls that are queued or ringing and leaves one in progress alone.
  if (status === 'canceled' && twiml === null) return ok('in-progress');
  if (status !== null && status !== 'canceled') return sendError(res, 400, 70002, `Status must be "completed" or "canceled", not ${JSON.stringify(status).slice(0, 40)}`);
  if (twiml === null) {
    const what = form.has('Url') ? 'Url is not supported (the bridge fetches no TwiML): send Twiml' : 'send Status=completed or Twiml';
    return sendError(res, 400, 70002, what);
  }
  const parsed = parseDialTwiml(twiml);
  if (!parsed.ok) return sendError(res, 400, 12100, `Document parse failure: ${parsed.problem}`);
  await transfer(u, parsed.dial, ok);
}

/**
 * Starts the transfer and answers as Twilio does, without waiting for the destination: 200 while it runs. A
 * transfer our rules refuse (allowlist, no trunk, one already running) fails before any SIP is sent, and its
 * refusal is there before the next turn of the event loop, so that case gets its error instead.
 */
async function transfer(u: Update, to: string, ok: (s: 'in-progress') => void): Promise<void> {
  const { log, callId } = u;
  const pending = u.control.transfer(callId, { to, ...(u.account.transferTrunk !== undefined ? { trunk: u.account.transferTrunk } : {}) });
  if (!pending) return sendError(u.res, 404, 20404, `The requested resource ${u.callSid} was not found`);
  let settled: { status: string; reason?: string } | undefined;
  const watched = pending.then(
    (r) => (settled = r),
    (err: unknown) => {
      log.error({ err, callId }, 'Twilio REST shim transfer crashed');
      return (settled = { status: 'failed', reason: 'internal' });
    },
  );
  await new Promise<void>((r) => setImmediate(r));
  if (settled?.status === 'failed') {
    const reason = settled.reason ?? 'error';
    const http = isFailureReason(reason) ? failureSpec(reason).http : 409;
    log.info({ callId, to, reason }, 'Twilio REST shim transfer refused');
    return sendError(u.res, http, null, `transfer refused: ${reason}`, { reason });
  }
  void watched.then((r) => log.info({ callId, to, status: r.status, reason: r.reason }, 'Twilio REST shim transfer finished'));
  ok('in-progress');
}
