/**
 * The Twilio REST shim's shared pieces (README "Twilio REST shim"): what it asks of call control, the Call
 * resource as Twilio shapes it, Twilio's error body and the form it reads. Used by the router (twilio-rest.ts)
 * and by the handlers of calls without an answer yet (twilio-calls.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBodyCapped } from './http-body.js';

/** One bot's shim credentials (`bots.<name>.twilio`). */
export interface TwilioAccount {
  bot: string;
  accountSid: string;
  authToken: string;
  /** Outbound trunk for `<Dial>NUMBER</Dial>` and for new calls (Calls.json). */
  transferTrunk?: string;
  /** The bot's `url`: a new call's `<Stream url>` must name it. */
  url?: string;
}

/** What the shim shows of a call: a live one (answered), or an outbound one still ringing (placed, no answer). */
export interface TwilioCallView {
  bot: string;
  from: string;
  to: string;
  direction: 'inbound' | 'outbound';
  /** Undefined while it rings. */
  answeredAtMs?: number;
  /** When an outbound call was placed (its `date_created`). */
  placedAtMs?: number;
}

/** A new call, as Calls.json asks for it once authenticated and read. */
export interface TwilioNewCall {
  /** The call id to use: its call SID was already given out (to the TwiML server of a `Url`). */
  callId: string;
  bot: string;
  trunk: string;
  to: string;
  from?: string;
  ringTimeoutSec?: number;
  /** `<Parameter>`s of the TwiML: the bot's `start.customParameters`. */
  parameters: Record<string, string>;
}

/** What the shim asks of call control. */
export interface TwilioRestControl {
  /** A live bot call by our call id (one being answered may be waited for: its bot has `start` already). */
  call(callId: string): TwilioCallView | undefined | Promise<TwilioCallView | undefined>;
  /** Ends a live call with BYE; false if it is unknown. */
  hangup(callId: string): boolean;
  /** Runs a transfer like the bot's command; resolves with the final transfer event. Undefined: unknown call. */
  transfer(callId: string, cmd: { to: string; trunk?: string }): Promise<{ status: string; reason?: string }> | undefined;
  /** Places a call; resolves once its INVITE is out. Throws CallRejectedError (bad number, unknown trunk, draining...). */
  place(call: TwilioNewCall): Promise<void>;
  /** An outbound call still ringing, by our call id. */
  ringing(callId: string): TwilioCallView | undefined;
  /** Cancels an outbound call that still rings (CANCEL; its bot gets `stop` "api-hangup"); false when it does not. */
  cancel(callId: string): boolean;
  /** A cluster: sends the request about a call this node does not have to the node that does; true when it answered. */
  forward?(callId: string, req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

export const API_VERSION = '2010-04-01';
export const MAX_BODY = 16 * 1024;

/** Twilio's error body. `code` is Twilio's where it has one for the case, else null. */
export function sendError(res: ServerResponse, status: number, code: number | null, message: string, extra: Record<string, unknown> = {}): void {
  const moreInfo = code === null ? null : `https://www.twilio.com/docs/errors/${code}`;
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (status === 401) headers['WWW-Authenticate'] = 'Basic realm="Twilio API"';
  res.writeHead(status, headers).end(JSON.stringify({ code, message, more_info: moreInfo, status, ...extra }));
}

/**
 * A call id's call SID: `CA` + its 32 hex digits, the Twilio dialect's rule (bot/protocols/twilio.ts, which api/
 * may not import; a unit test holds the two together). The shim gives it out before the bot has `start`.
 */
export function callSidOf(callId: string): string {
  return `CA${callId.replace(/-/g, '').toLowerCase()}`;
}

/** `CA` + 32 hex -> the UUID call id it was made from (twilio.ts: `CA` + the id's own hex digits). */
export function callIdOfCallSid(callSid: string): string {
  const h = callSid.slice(2).toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** RFC 2822 in GMT, as Twilio writes dates ("Tue, 31 Aug 2010 20:36:28 +0000"). */
function rfc2822(ms: number): string {
  return new Date(ms).toUTCString().replace(/GMT$/, '+0000');
}

/** The Call statuses the shim answers with (Twilio's names). */
export type TwilioCallStatus = 'queued' | 'ringing' | 'in-progress' | 'completed' | 'canceled';

/** The Call resource as Twilio shapes it; what we do not know is null, as Twilio leaves it. */
export function callResource(accountSid: string, callSid: string, call: TwilioCallView, status: TwilioCallStatus, nowMs: number): Record<string, unknown> {
  const answeredAt = call.answeredAtMs;
  const ended = status === 'completed' && answeredAt !== undefined;
  return {
    sid: callSid,
    date_created: rfc2822(call.placedAtMs ?? answeredAt ?? nowMs),
    date_updated: rfc2822(nowMs),
    parent_call_sid: null,
    account_sid: accountSid,
    to: call.to,
    to_formatted: call.to,
    from: call.from,
    from_formatted: call.from,
    phone_number_sid: null,
    status,
    start_time: answeredAt === undefined ? null : rfc2822(answeredAt),
    end_time: ended || status === 'canceled' ? rfc2822(nowMs) : null,
    duration: ended ? String(Math.max(0, Math.round((nowMs - answeredAt) / 1000))) : null,
    price: null,
    price_unit: 'USD',
    direction: call.direction === 'inbound' ? 'inbound' : 'outbound-api',
    answered_by: null,
    api_version: API_VERSION,
    forwarded_from: null,
    group_sid: null,
    caller_name: null,
    queue_time: '0',
    trunk_sid: null,
    uri: `/${API_VERSION}/Accounts/${accountSid}/Calls/${callSid}.json`,
    subresource_uris: {},
  };
}

/** The form body (Twilio's clients send form-encoded), or undefined past {@link MAX_BODY}. */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  const body = await readBodyCapped(req, MAX_BODY);
  return body && new URLSearchParams(body.toString('utf8'));
}
