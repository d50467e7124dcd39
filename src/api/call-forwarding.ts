/**
 * Call commands for a call another node of the cluster owns (README "Past one machine"): `GET /v1/calls/{id}`,
 * `POST /v1/calls/{id}/hangup`, `/transfer` and `/v1/calls/{id}/recording` are sent on to the owner's
 * `store.apiUrl` with the caller's Authorization, and its answer comes back as it is. A forwarded request carries
 * {@link FORWARDED_BY}: the owner answers it itself and never forwards it again, so two nodes that disagree
 * about a call cannot bounce a request between them. Sits behind the /v1 API-key gate, like the routes it fronts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { Logger } from '../core/logger.js';
import { CallRejectedError, classifyFailure, type FailureReason } from '../core/errors.js';
import { failureSpec } from '../core/failures.js';
import { pipeToResponse, readBodyCapped } from './http-body.js';

/** The header that marks a forwarded request; its value is the forwarding node's id. */
export const FORWARDED_BY = 'x-trunkbridge-forwarded-by';
/** The header on a forwarded answer naming the node that gave it. */
export const ANSWERED_BY = 'x-trunkbridge-node';

export interface CallOwners {
  /** This node's id. */
  readonly nodeId: string;
  /**
   * The other node that owns `callId`, or undefined to answer here (a call of this node, or of none).
   * @throws CallRejectedError 'store-unreachable'
   */
  remoteOwner(callId: string): Promise<{ node: string; apiUrl: string | undefined } | undefined>;
}

export interface CallForwardingOptions {
  logger: Logger;
  /** How long the owner may take to answer, ms (default 10 000). */
  timeoutMs?: number;
  /** The same for a transfer, which waits for the destination to answer, ms (default 120 000). */
  transferTimeoutMs?: number;
}

const PATH = /^\/v1\/calls\/([A-Za-z0-9-]{1,64})(?:\/(hangup|transfer|recording))?$/;
const MAX_BODY = 64 * 1024;
/** Request headers the owner needs; hop-by-hop ones and Host are left out. */
const PASS_REQUEST = ['authorization', 'content-type', 'range', 'accept', 'if-range'];
/** Answer headers passed back. */
const PASS_ANSWER = ['content-type', 'content-length', 'content-range', 'accept-ranges', 'allow', 'retry-after', 'www-authenticate'];

function refuse(res: ServerResponse, reason: FailureReason, body: Record<string, unknown>): void {
  res.writeHead(failureSpec(reason).http, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: reason, ...body }));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const body = await readBodyCapped(req, MAX_BODY);
  if (!body) throw new CallRejectedError('body-too-large', `body over ${MAX_BODY} bytes`);
  return body;
}

/** `http://h:p/base` + `/v1/calls/x?y` -> `http://h:p/base/v1/calls/x?y`. */
export function ownerUrl(apiUrl: string, requestUrl: string): string {
  return `${apiUrl.replace(/\/+$/, '')}${requestUrl}`;
}

/** Why a fetch to the owner failed, as a catalogued reason: no answer in time, or no connection. */
export function forwardFailure(err: unknown): 'node-timeout' | 'node-unreachable' {
  const e = err as { name?: string; cause?: { name?: string } };
  return e?.name === 'TimeoutError' || e?.cause?.name === 'TimeoutError' ? 'node-timeout' : 'node-unreachable';
}

/** The route: true when it answered (forwarded, or refused for an unreachable owner). */
export function createCallForwarding(owners: CallOwners, options: CallForwardingOptions) {
  const forward = createCallForwarder(owners, options);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const transferTimeoutMs = options.transferTimeoutMs ?? 120_000;
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const m = PATH.exec((req.url ?? '/').split('?')[0]);
    if (!m) return false;
    return forward(m[1], req, res, m[2] === 'transfer' ? transferTimeoutMs : timeoutMs);
  };
}

/**
 * Sends one request about `callId` on to the node that owns it, the same path on its `store.apiUrl`, and gives its
 * answer back: true when it answered (forwarded, or refused for an unreachable owner), false to answer here (a
 * call of this node, or of none, or a request that was forwarded already). The Twilio REST shim uses it too.
 */
export function createCallForwarder(owners: CallOwners, options: CallForwardingOptions) {
  const log = options.logger;
  return async (callId: string, req: IncomingMessage, res: ServerResponse, timeoutMs = options.timeoutMs ?? 10_000): Promise<boolean> => {
    if (req.headers[FORWARDED_BY] !== undefined) return false;
    const path = (req.url ?? '/').split('?')[0];
    try {
      const owner = await owners.remoteOwner(callId);
      if (!owner) return false;
      if (owner.apiUrl === undefined) {
        log.warn({ callId, node: owner.node }, 'call command not forwarded: its node has no store.apiUrl');
        refuse(res, 'node-unreachable', { node: owner.node, message: `call ${callId} is on node ${owner.node}, which has no store.apiUrl` });
        return true;
      }
      const method = req.method ?? 'GET';
      const body = method === 'GET' || method === 'HEAD' ? undefined : await readBody(req);
      const headers: Record<string, string> = { [FORWARDED_BY]: owners.nodeId };
      for (const h of PASS_REQUEST) {
        const v = req.headers[h];
        if (typeof v === 'string') headers[h] = v;
      }
      const url = ownerUrl(owner.apiUrl, req.url ?? '/');
      let answer: Response;
      try {
        answer = await fetch(url, {
          method,
          headers,
          ...(body ? { body: new Uint8Array(body) } : {}),
          signal: AbortSignal.timeout(timeoutMs),
          redirect: 'manual',
        });
      } catch (err) {
        const reason = forwardFailure(err);
        const detail = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
        log.warn({ callId, node: owner.node, url: owner.apiUrl, reason, err: detail }, 'call command could not be forwarded to its node');
        const what = reason === 'node-timeout' ? 'did not answer in time' : `cannot be reached (${detail})`;
        refuse(res, reason, { node: owner.node, message: `call ${callId} is on node ${owner.node}, which ${what} at ${owner.apiUrl}` });
        return true;
      }
      const out: Record<string, string> = { [ANSWERED_BY]: owner.node };
      for (const h of PASS_ANSWER) {
        const v = answer.headers.get(h);
        if (v !== null) out[h] = v;
      }
      log.info({ callId, node: owner.node, method, path, status: answer.status }, 'call command forwarded to its node');
      res.writeHead(answer.status, out);
      if (!answer.body || method === 'HEAD') {
        res.end();
        return true;
      }
      const cut = await pipeToResponse(Readable.fromWeb(answer.body as import('node:stream/web').ReadableStream), res);
      if (cut) log.warn({ callId, node: owner.node, err: cut.message }, 'forwarded answer cut short');
      return true;
    } catch (err) {
      const f = classifyFailure(err);
      if (f.level === 'error') log.error({ err: f.logErr, callId }, 'call command forwarding failed');
      if (!res.headersSent) refuse(res, f.reason, { message: f.message });
      else res.destroy();
      return true;
    }
  };
}
