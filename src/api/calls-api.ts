/**
 * The calls API: `GET /v1/calls` (live calls with their media figures), `GET /v1/calls/{callId}`,
 * `POST /v1/calls` (place a call), `POST /v1/calls/{callId}/hangup`, `POST /v1/calls/{callId}/transfer`.
 * JSON in, JSON out. Knows call control only through {@link CallsControl}.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Logger } from '../core/logger.js';
import { CallRejectedError, classifyFailure, type FailureReason } from '../core/errors.js';
import { failureSpec } from '../core/failures.js';
import { readBodyCapped } from './http-body.js';

/** A live call as the API shows it (call control's LiveCallInfo, sent as JSON; only the id matters here). */
export interface LiveCallView {
  readonly callId: string;
}

/** What the API asks of call control. */
export interface CallsControl {
  /** Every live (answered) call, oldest first (in a cluster: every node's, from the shared store). */
  list?(): LiveCallView[] | Promise<LiveCallView[]>;
  /** One live call; undefined when unknown (or already ended). A call being answered may be waited for. */
  describe?(callId: string): LiveCallView | undefined | Promise<LiveCallView | undefined>;
  /** Validation problems throw at once (CallRejectedError); `answered` settles when the call does. */
  placeCall(req: Omit<PlaceCallBody, 'wait'>): Promise<{ callId: string; sipCallId: string; answered: Promise<unknown> }>;
  /**
   * Ends a live call with BYE ('hangup'), or cancels an outbound call that still rings ('cancelled'); the bot gets
   * `stop` reason "api-hangup". False if unknown.
   */
  hangup(callId: string): HangupOutcome | Promise<HangupOutcome>;
  /** Runs a transfer like the bot's command; resolves with the final transfer event. Undefined: unknown call. */
  transfer?(callId: string, command: TransferBody): Promise<{ status: string } | undefined> | undefined;
}

export type HangupOutcome = 'hangup' | 'cancelled' | false;

export const placeCallBody = z.strictObject({
  to: z.string().min(1).max(64),
  trunk: z.string().min(1).max(64),
  bot: z.string().min(1).max(64),
  from: z.string().min(1).max(64).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  ringTimeoutSec: z.number().int().min(1).max(300).optional(),
  /** Stream 183 early media to the bot before answer (voicemail detection). */
  earlyMedia: z.boolean().optional(),
  /** false: answer 202 once the INVITE is sent, instead of once the call is answered or failed. */
  wait: z.boolean().optional(),
});
export type PlaceCallBody = z.infer<typeof placeCallBody>;

export const transferBody = z.strictObject({
  to: z.string().min(1).max(256),
  trunk: z.string().min(1).max(64).optional(),
  method: z.enum(['refer', 'bridge']).optional(),
  listen: z.boolean().optional(),
});
export type TransferBody = z.infer<typeof transferBody>;

const MAX_BODY = 16 * 1024;
const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

export interface CallsApiOptions {
  /** Bearer token; without it only loopback clients are served. */
  token?: string;
  /** Authorization is done in front of these routes (api/admin/gate.ts): no check here. */
  authorizedInFront?: boolean;
  logger: Logger;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const body = await readBodyCapped(req, MAX_BODY);
  if (!body) throw new CallRejectedError('body-too-large', `body over ${MAX_BODY} bytes`);
  const text = body.toString('utf8');
  try {
    return text === '' ? {} : JSON.parse(text);
  } catch (err) {
    throw new CallRejectedError('bad-json', `invalid JSON: ${(err as Error).message}`);
  }
}

/** An error answer for a catalogued reason, with its HTTP status. */
function refuse(res: ServerResponse, reason: FailureReason, extra: Record<string, unknown> = {}): void {
  send(res, failureSpec(reason).http, { error: reason, ...extra });
}

function authorized(req: IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return LOOPBACK.test(req.socket.remoteAddress ?? '');
  const got = Buffer.from(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '');
  const want = Buffer.from(token);
  return got.length === want.length && timingSafeEqual(got, want);
}

/**
 * Builds the request handler for /v1 routes; it returns false for paths it does not own so the ops server
 * can answer them.
 */
export function createCallsApi(control: CallsControl, options: CallsApiOptions) {
  const log = options.logger;
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = (req.url ?? '/').split('?')[0];
    if (!path.startsWith('/v1/')) return false;
    if (options.authorizedInFront !== true && !authorized(req, options.token)) {
      refuse(res, 'unauthorized');
      return true;
    }
    try {
      const one = /^\/v1\/calls\/([A-Za-z0-9-]{1,64})$/.exec(path);
      if (path === '/v1/calls' || one) {
        const allow = path === '/v1/calls' ? 'GET, HEAD, POST' : 'GET, HEAD';
        if (req.method === 'GET' || req.method === 'HEAD') {
          if (one) await describeCall(res, one[1]);
          else send(res, 200, { calls: (await control.list?.()) ?? [] });
        } else if (req.method === 'POST' && !one) {
          await placeCall(req, res);
        } else {
          res.writeHead(405, { Allow: allow }).end();
        }
        return true;
      }
      const m = /^\/v1\/calls\/([A-Za-z0-9-]{1,64})\/(hangup|transfer)$/.exec(path);
      if (!m) {
        refuse(res, 'not-found');
        return true;
      }
      if (req.method !== 'POST') {
        res.writeHead(405, { Allow: 'POST' }).end();
        return true;
      }
      if (m[2] === 'hangup') {
        await readJson(req);
        const outcome = await control.hangup(m[1]);
        if (outcome) send(res, 200, { callId: m[1], status: outcome });
        else refuse(res, 'unknown-call');
        return true;
      }
      const body = transferBody.safeParse(await readJson(req));
      if (!body.success) {
        refuse(res, 'bad-request', { issues: body.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
        return true;
      }
      const result = await control.transfer?.(m[1], body.data);
      if (!result) {
        refuse(res, 'unknown-call');
        return true;
      }
      send(res, result.status === 'failed' ? 409 : 200, result);
      return true;
    } catch (err) {
      const failure = classifyFailure(err);
      if (failure.level === 'error') log.error({ err: failure.logErr }, 'calls API request failed');
      send(res, failure.httpStatus, { error: failure.reason, message: failure.message });
      return true;
    }
  };

  async function describeCall(res: ServerResponse, callId: string): Promise<void> {
    const call = await control.describe?.(callId);
    if (call) send(res, 200, call);
    else refuse(res, 'unknown-call');
  }

  async function placeCall(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = placeCallBody.safeParse(await readJson(req));
    if (!body.success) {
      refuse(res, 'bad-request', { issues: body.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
      return;
    }
    const { wait, ...request } = body.data;
    const placed = await control.placeCall(request);
    if (wait === false) {
      // Its outcome is call control's to log and count; the client follows it with GET /v1/calls/{id}.
      placed.answered.catch(() => undefined);
      send(res, 202, { callId: placed.callId, sipCallId: placed.sipCallId, status: 'ringing' });
      return;
    }
    try {
      await placed.answered;
      send(res, 200, { callId: placed.callId, sipCallId: placed.sipCallId, status: 'answered' });
    } catch (err) {
      // The far end (or the bot) refused: report the SIP status as the carrier gave it.
      const failure = classifyFailure(err);
      send(res, 502, { callId: placed.callId, sipCallId: placed.sipCallId, status: 'failed', sipStatus: failure.sipStatus, reason: failure.reason });
    }
  }
}
