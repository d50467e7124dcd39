/**
 * The Twilio REST shim's calls that have no answer yet (README "Twilio REST shim"): `POST …/Calls.json` places a
 * call the way Twilio's `calls.create(to, from_, twiml)` does, streaming it to the bot that its
 * `<Connect><Stream url>` names, and a call placed so is fetched, cancelled or ended on its Call resource while
 * it rings. Pure request handling over {@link TwilioRestControl}; the routing and the credentials are in
 * twilio-rest.ts.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { classifyFailure } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { callResource, callSidOf, MAX_BODY, readForm, sendError, type TwilioAccount, type TwilioCallView, type TwilioRestControl } from './twilio-resource.js';
import { parseStreamTwiml } from './twiml.js';
import { fetchTwiml } from './twiml-fetch.js';

/** A number as Twilio's `To`/`From` take one for a phone call: E.164-ish digits with an optional +. */
const PHONE = /^\+?[0-9]{3,15}$/;
/** Twilio's `Timeout` bounds (seconds the phone may ring). */
const MIN_TIMEOUT_SEC = 5;
const MAX_TIMEOUT_SEC = 600;
/** What a new call's form may carry besides To, From, Twiml and Timeout: Twilio's options the bridge has no part of. */
const IGNORED = new Set(['StatusCallback', 'StatusCallbackMethod', 'StatusCallbackEvent', 'Record', 'CallerId', 'MachineDetection', 'Trim', 'SendDigits']);

/** Same URL for our purpose: scheme, host, port, path and query, as `new URL` normalises them. */
function sameUrl(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return false;
  }
}

/** `host:port` with the scheme's default port filled in (ws and http 80, wss and https 443): a bot's server serves both. */
function endpointOf(u: URL): string {
  const secure = u.protocol === 'https:' || u.protocol === 'wss:';
  return `${u.hostname}:${u.port || (secure ? '443' : '80')}`;
}

/** An answer that refuses the request. */
interface Refusal {
  status: number;
  code: number | null;
  message: string;
}

/**
 * The TwiML at `Url` (Twilio's other way to say what a new call does). Only on the host and port of one of the
 * credentials' bots: the bridge requests nothing from anywhere else on a client's say-so.
 */
async function twimlFromUrl(r: NewCallRequest, form: URLSearchParams, call: { callId: string; to: string; from: string | undefined }): Promise<string | Refusal> {
  const url = form.get('Url');
  if (url === null) {
    return { status: 400, code: 21205, message: form.has('ApplicationSid') ? 'ApplicationSid is not supported: send Twiml or Url' : 'Twiml or Url is required' };
  }
  let host: string;
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
    host = endpointOf(u);
  } catch {
    return { status: 400, code: 21205, message: `Url is not a valid http(s) URL: ${JSON.stringify(url.slice(0, 80))}` };
  }
  if (!r.accounts.some((a) => a.url !== undefined && endpointOf(new URL(a.url)) === host)) {
    return { status: 400, code: 21205, message: 'Url must be on the host and port of a bot configured with these credentials' };
  }
  const method = (form.get('Method') ?? 'POST').toUpperCase();
  if (method !== 'GET' && method !== 'POST') return { status: 400, code: 21205, message: 'Method must be GET or POST' };
  const params: Record<string, string> = {
    AccountSid: r.accountSid, ApiVersion: '2010-04-01', CallSid: callSidOf(call.callId), CallStatus: 'queued', Direction: 'outbound-api',
    To: call.to, Called: call.to, ...(call.from !== undefined ? { From: call.from, Caller: call.from } : {}),
  };
  // Every account in `r.accounts` was authenticated with the same token: it signs the request.
  const fetched = await fetchTwiml({ url, method, params, authToken: r.accounts[0].authToken });
  if (!fetched.ok) {
    r.log.warn({ host, problem: fetched.problem }, "Twilio REST shim: a new call's TwiML could not be fetched");
    return { status: 502, code: 11200, message: `HTTP retrieval failure: ${fetched.problem}` };
  }
  return fetched.text;
}

export interface NewCallRequest {
  control: TwilioRestControl;
  log: Logger;
  req: IncomingMessage;
  res: ServerResponse;
  accountSid: string;
  /** The bots whose credentials the request carries. */
  accounts: TwilioAccount[];
}

/** `POST /2010-04-01/Accounts/{AccountSid}/Calls.json`: 201 with the Call resource (status "queued") once dialled. */
export async function createCall(r: NewCallRequest): Promise<void> {
  const { res, log } = r;
  const form = await readForm(r.req);
  if (!form) return sendError(res, 413, null, `body over ${MAX_BODY} bytes`);
  const to = form.get('To');
  if (to === null || to === '') return sendError(res, 400, 21201, "No 'To' number is specified");
  if (!PHONE.test(to)) return sendError(res, 400, 21211, `Invalid 'To' Phone Number: ${JSON.stringify(to.slice(0, 40))} (a phone number: digits, optional leading +)`);
  const from = form.get('From') ?? undefined;
  if (from !== undefined && !PHONE.test(from)) return sendError(res, 400, 21212, `Invalid 'From' Phone Number: ${JSON.stringify(from.slice(0, 40))}`);
  const timeout = form.get('Timeout');
  const ringTimeoutSec = timeout === null ? undefined : Number(timeout);
  if (ringTimeoutSec !== undefined && !(Number.isInteger(ringTimeoutSec) && ringTimeoutSec >= MIN_TIMEOUT_SEC && ringTimeoutSec <= MAX_TIMEOUT_SEC)) {
    return sendError(res, 400, 21216, `Timeout must be a whole number of seconds, ${MIN_TIMEOUT_SEC}..${MAX_TIMEOUT_SEC}`);
  }
  const callId = randomUUID();
  const twiml = form.get('Twiml') ?? (await twimlFromUrl(r, form, { callId, to, from }));
  if (typeof twiml !== 'string') return sendError(res, twiml.status, twiml.code, twiml.message);
  const stream = parseStreamTwiml(twiml);
  if (!stream.ok) return sendError(res, 400, 12100, `Document parse failure: ${stream.problem}`);
  // The stream URL picks the bot among those these credentials belong to: the bridge connects only to bots it knows.
  const account = r.accounts.find((a) => a.url !== undefined && sameUrl(a.url, stream.url));
  if (!account) return sendError(res, 400, null, `<Stream url> is not the url of a bot configured with these credentials`);
  if (account.transferTrunk === undefined) return sendError(res, 400, null, `bot ${account.bot} has no twilio.transferTrunk: new calls have no outbound trunk`);
  const ignored = [...form.keys()].filter((k) => IGNORED.has(k));
  if (ignored.length > 0) log.info({ bot: account.bot, ignored }, 'Twilio REST shim: parameters the bridge does not act on were ignored');
  try {
    await r.control.place({ callId, bot: account.bot, trunk: account.transferTrunk, to, ...(from !== undefined ? { from } : {}), ...(ringTimeoutSec !== undefined ? { ringTimeoutSec } : {}), parameters: stream.parameters });
  } catch (err) {
    const f = classifyFailure(err);
    log[f.level]({ bot: account.bot, to, reason: f.reason, err: f.logErr }, 'Twilio REST shim call refused');
    return sendError(res, f.httpStatus, null, `call refused: ${f.reason}: ${f.message}`, { reason: f.reason });
  }
  const now = Date.now();
  const view: TwilioCallView = r.control.ringing(callId) ?? { bot: account.bot, from: from ?? '', to, direction: 'outbound', placedAtMs: now };
  log.info({ callId, bot: account.bot, to }, 'call placed through the Twilio REST shim');
  res.writeHead(201, { 'Content-Type': 'application/json' }).end(JSON.stringify(callResource(r.accountSid, callSidOf(callId), view, 'queued', now)));
}

/** A Call resource request for an outbound call that still rings. */
export interface RingingRequest {
  control: TwilioRestControl;
  log: Logger;
  req: IncomingMessage;
  res: ServerResponse;
  accountSid: string;
  callSid: string;
  callId: string;
  call: TwilioCallView;
}

/** GET: status "ringing". POST `Status=canceled` or `completed`: CANCEL, status "canceled". Twiml: 409. */
export async function ringingCall(r: RingingRequest): Promise<void> {
  const { res, call } = r;
  const resource = (status: 'ringing' | 'canceled') => JSON.stringify(callResource(r.accountSid, r.callSid, call, status, Date.now()));
  if (r.req.method === 'GET') {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(resource('ringing'));
    return;
  }
  if (r.req.method !== 'POST') {
    res.writeHead(405, { Allow: 'GET, POST' }).end();
    return;
  }
  const form = await readForm(r.req);
  if (!form) return sendError(res, 413, null, `body over ${MAX_BODY} bytes`);
  const status = form.get('Status');
  if (status === 'canceled' || status === 'completed') {
    // Twilio: either one ends a call that has not been answered yet, as "canceled".
    if (!r.control.cancel(r.callId)) return sendError(res, 409, null, 'the call was answered or ended meanwhile: try again', { reason: 'not-ringing' });
    r.log.info({ callId: r.callId, bot: call.bot }, 'ringing call cancelled through the Twilio REST shim');
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(resource('canceled'));
    return;
  }
  if (status !== null) return sendError(res, 400, 70002, `Status must be "completed" or "canceled", not ${JSON.stringify(status).slice(0, 40)}`);
  return sendError(res, 409, null, 'the call still rings: a transfer needs it answered', { reason: 'not-answered-yet' });
}
