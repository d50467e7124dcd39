/**
 * `POST /v1/test-calls` and `POST /v1/bot-checks`: the `test-call` and `bot-check` tools run in the bridge
 * process, their steps answered as server-sent events (`text/event-stream`) as they happen: one `step` event per
 * printed line (`{"line": "..."}`) and a last `result` event (`{"result": "pass"|"fail", "exitCode": N}`).
 * The body is validated before the stream starts (400 naming the field). The tools themselves are injected by
 * app/ops.ts: api/ knows nothing of SIP or bots. A client that goes away aborts its run (the test call is
 * cancelled or hung up). A bot check may name a stored bot (bot-check-target.ts). Role: admin (see auth.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Logger } from '../../core/logger.js';
import { callerOf } from './gate.js';
import { AdminApiError, readObject, sendError } from './http.js';
import { botCheckBody, botCheckRequestOf, type BotCheckBody, type BotCheckRequest } from './bot-check-target.js';
import type { BotConfig } from '../../config/index.js';
import { sseEvent } from '../events/sse.js';

export { botCheckBody, type BotCheckRequest } from './bot-check-target.js';

/** A test call as the API takes it (the CLI's options that make sense from a browser). */
export interface TestCallRequest {
  uri: string;
  seconds: number;
  expectEcho: boolean;
  toneHz?: number;
  from?: string;
  transport?: 'udp' | 'tcp';
  /** Digest credentials answered to a 401/407 (the password is never logged or echoed). */
  user?: string;
  password?: string;
}

/** Runs one tool: `print` each step line as it happens; resolves with the tool's exit code (0 = pass). */
export type ToolRunner<T> = (request: T, print: (line: string) => void, abort: AbortSignal) => Promise<number>;

const SIP_URI = /^sip:[^@\s;]+@(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/;

/** The body of POST /v1/test-calls. */
export const testCallBody = z
  .strictObject({
    uri: z
      .string()
      .regex(SIP_URI, 'must be sip:NUMBER@HOST[:PORT]')
      .refine((u) => {
        const port = /:(\d+)$/.exec(u)?.[1];
        return port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
      }, 'the port must be 1..65535'),
    seconds: z.number().int().min(1).max(60).default(5),
    expectEcho: z.boolean().default(false),
    toneHz: z.number().int().min(50).max(3900).optional(),
    from: z.string().regex(/^\+?[A-Za-z0-9*#._-]{1,64}$/, 'must be a SIP user like +15550100').optional(),
    transport: z.enum(['udp', 'tcp']).optional(),
    user: z.string().min(1).max(128).optional(),
    password: z.string().min(1).max(256).optional(),
  })
  .refine((b) => (b.user === undefined) === (b.password === undefined), { message: 'user and password go together', path: ['password'] });

/** What each run logs (never the password). */
type Describe<T> = (request: T) => Record<string, unknown>;

interface ToolRoute<T, B = T> {
  path: string;
  /** "test call" / "bot check": the log lines' name. */
  name: string;
  schema: z.ZodType<B>;
  /** The run's request from the valid body (a stored bot looked up); may throw an AdminApiError (400). */
  prepare?: (body: B) => T;
  run: ToolRunner<T>;
  describe: Describe<T>;
}


/** Runs at most `limit` tool runs at once across both routes (each holds a call or a bot socket). */
export class ToolSlots {
  private running = 0;
  constructor(readonly limit = 2) {}
  take(): boolean {
    if (this.running >= this.limit) return false;
    this.running++;
    return true;
  }
  give(): void {
    this.running--;
  }
}

function toolRoute<T, B = T>(route: ToolRoute<T, B>, slots: ToolSlots, logger: Logger): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return async (req, res) => {
    if ((req.url ?? '/').split('?')[0] !== route.path) return false;
    let request: T;
    try {
      if (req.method !== 'POST') throw new AdminApiError('method-not-allowed', 'POST only', { allow: 'POST' });
      const parsed = route.schema.safeParse(await readObject(req));
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => ({ field: i.path.join('.'), path: i.path.join('.'), message: i.message }));
        throw new AdminApiError('bad-request', `invalid ${route.name}: ${issues.map((i) => `${i.field || 'body'}: ${i.message}`).join('; ')}`, { issues });
      }
      request = route.prepare ? route.prepare(parsed.data) : (parsed.data as unknown as T);
      if (!slots.take()) throw new AdminApiError('tool-busy', `${slots.limit} test calls or bot checks are already running: try again when one ends`);
    } catch (err) {
      if (!(err instanceof AdminApiError)) throw err;
      logger.info({ path: route.path, key: callerOf(req), reason: err.reason, detail: err.message }, `${route.name} refused`);
      sendError(res, err);
      return true;
    }
    const abort = new AbortController();
    // The client went away before the end: stop the run (the call is cancelled or hung up, the socket closed).
    const gone = (): void => {
      if (!res.writableEnded) abort.abort();
    };
    res.on('close', gone);
    const log = logger.child({ tool: route.name, key: callerOf(req) });
    log.info(route.describe(request), `${route.name} started`);
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
    let exitCode: number;
    try {
      exitCode = await route.run(request, (line) => res.write(sseEvent('step', { line })), abort.signal);
    } catch (err) {
      // A tool that throws has a bug; the client still gets a verdict, and the log the cause.
      log.error({ err }, `${route.name} failed`);
      res.write(sseEvent('step', { line: `FAIL: ${(err as Error).message}` }));
      exitCode = 1;
    } finally {
      slots.give();
      res.off('close', gone);
    }
    log.info({ exitCode, aborted: abort.signal.aborted }, `${route.name} ended`);
    res.end(sseEvent('result', { result: exitCode === 0 ? 'pass' : 'fail', exitCode }));
    return true;
  };
}

/** The injected tools; a route is absent when its runner is. */
export interface ToolRunners {
  testCall?: ToolRunner<TestCallRequest>;
  /** `bots`: the live configuration's bots, for checks of a stored bot (`{ "bot": name }`). */
  botCheck?: { run: ToolRunner<BotCheckRequest>; protocols: readonly [string, ...string[]]; bots?: () => Readonly<Record<string, BotConfig>> };
}

/** POST /v1/test-calls and POST /v1/bot-checks over the injected runners, sharing one {@link ToolSlots}. */
export function toolRunRoutes(runners: ToolRunners, logger: Logger, slots = new ToolSlots()): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const routes: Array<(req: IncomingMessage, res: ServerResponse) => Promise<boolean>> = [];
  if (runners.testCall) {
    routes.push(toolRoute<TestCallRequest>({
      path: '/v1/test-calls', name: 'test call', schema: testCallBody as unknown as z.ZodType<TestCallRequest>, run: runners.testCall,
      describe: (r) => ({ uri: r.uri, seconds: r.seconds, expectEcho: r.expectEcho, ...(r.user !== undefined ? { user: r.user } : {}) }),
    }, slots, logger));
  }
  if (runners.botCheck) {
    const { protocols, bots } = runners.botCheck;
    const defaultProtocol = protocols.includes('native') ? 'native' : protocols[0];
    routes.push(toolRoute<BotCheckRequest, BotCheckBody>({
      path: '/v1/bot-checks', name: 'bot check', schema: botCheckBody(protocols) as unknown as z.ZodType<BotCheckBody>, run: runners.botCheck.run,
      prepare: (b) => botCheckRequestOf(b, bots?.() ?? {}, defaultProtocol),
      // The URL's query may carry a token: log where the bot is, not the whole URL (never its headers or secret).
      describe: (r) => ({ ...(r.bot !== undefined ? { name: r.bot } : {}), bot: URL.canParse(r.url) ? new URL(r.url).host : 'invalid', protocol: r.protocol }),
    }, slots, logger));
  }
  return async (req, res) => {
    for (const r of routes) if (await r(req, res)) return true;
    return false;
  };
}
