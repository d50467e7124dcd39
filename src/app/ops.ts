/**
 * The operations HTTP listener's routes, wired from config: /metrics and /healthz, the /v1 calls API when
 * enabled, the Twilio-compatible REST shim when a bot has `twilio` credentials, and the test hooks. Split from
 * app.ts to keep the composition root readable; it is part of it (layer "app").
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../core/logger.js';
import type { Config } from '../config/index.js';
import type { BridgeMetrics } from '../metrics/index.js';
import type { CallManager } from '../calls/call-manager.js';
import type { InProcessMediaEngine } from '../engine/index.js';
import { WorkerMediaEngine } from '../engine/worker/worker-engine.js';
import { OpsHttpServer } from '../api/http-server.js';
import { createCallsApi } from '../api/calls-api.js';
import { createTwilioRest, type TwilioAccount } from '../api/twilio-rest.js';
import { testHookRoutes } from './test-hooks.js';
import { createAdminRoutes, createAuthorizer, guardV1, toolRunRoutes, whoamiRoute, type AdminControl, type SipEndpoint, type ApiKey } from '../api/admin/index.js';
import { consoleRoutes, defaultConsoleDir } from '../console/index.js';
import { CallRejectedError, ConfigError } from '../core/errors.js';
import { webhookStatusRoutes } from './records.js';
import type { CallRecords } from '../records/index.js';
import { toolRunners } from './tools.js';
import { callRecordsRoute } from '../api/call-records-route.js';
import { decodeCursor, readCdrPage } from '../records/index.js';
import { join } from 'node:path';
import { LiveEvents, eventsRoute, type LiveEvent, type RegistrationStateView } from '../api/events/index.js';
import type { Clock } from '../core/clock.js';

type Routes = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
/** A bound SIP listener (the UA's boundAddresses()). */
type BoundSip = { address: string; port: number; transport: string };

/** A cluster's side of the /v1 calls routes (app/cluster.ts): every node's calls, and commands forwarded to their node. */
export interface ClusterCallsApi {
  list(): Promise<Array<{ callId: string }>>;
  /** Answers a call command (GET, hangup, transfer, recording) for another node's call by forwarding it. */
  forwarding(): Routes;
  /** Forwards one request about another node's call to that node (the Twilio REST shim's); false: answer here. */
  forwarder?(): CallForwarder;
  /** Every node's calls for GET /v1/events, this node's from `calls`. */
  live?(calls: CallManager): ClusterLiveSource;
}

/** Sends a request about `callId` to the node that owns it; true when that answered it. */
export type CallForwarder = (callId: string, req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/** A cluster's side of the event stream (app/cluster-live.ts): every node's calls, and their starts and ends. */
export interface ClusterLiveSource {
  list(): Array<{ callId: string }>;
  snapshot(): Promise<Array<{ callId: string }>>;
  watch(listener: (e: LiveEvent) => void): () => void;
}

/** The /v1 calls API over call control, when `api.enabled`. */
function callsApiRoutes(config: Config, logger: Logger, calls: CallManager, cluster?: ClusterCallsApi): Routes | undefined {
  if (!config.api.enabled) return undefined;
  return createCallsApi(
    {
      placeCall: (req) => calls.placeCall(req),
      list: cluster ? () => cluster.list() : () => calls.list(),
      // A call's bot has its id before the call is answered (start goes before the 200 OK): commands wait for it.
      describe: async (callId) => {
        const ringing = calls.ringingCall(callId);
        if (ringing) return ringing;
        const call = await calls.answered(callId);
        return call ? (call.live?.() ?? { callId }) : undefined;
      },
      transfer: async (callId, body) => {
        if (calls.ringingCall(callId)) throw new CallRejectedError('not-answered-yet', 'the call is not answered yet');
        return (await calls.answered(callId))?.transfer?.(body);
      },
      hangup: async (callId) => {
        if (calls.cancelRinging(callId)) return 'cancelled';
        const call = await calls.answered(callId);
        if (!call) return false;
        call.end('api-hangup');
        return 'hangup';
      },
    },
    { ...(config.api.token !== undefined ? { token: config.api.token } : {}), authorizedInFront: true, logger: logger.child({ layer: 'api' }) },
  );
}

/**
 * The API keys: `api.keys` (a `keyEnv` read from the environment now) and `api.token` as one more admin key.
 * @throws ConfigError naming the key whose environment variable is unset.
 */
export function apiKeysOf(config: Config, env: NodeJS.ProcessEnv = process.env): ApiKey[] {
  const keys: ApiKey[] = [];
  const missing: Array<{ path: string; message: string }> = [];
  config.api.keys.forEach((k, i) => {
    const key = k.key ?? (k.keyEnv !== undefined ? env[k.keyEnv] : undefined);
    if (key === undefined || key.length < 16) missing.push({ path: `api.keys[${i}].keyEnv`, message: `environment variable ${String(k.keyEnv)} is unset or shorter than 16 characters` });
    else keys.push({ name: k.name, role: k.role, key });
  });
  if (missing.length > 0) throw new ConfigError(missing);
  if (config.api.token !== undefined) keys.push({ name: 'api.token', role: 'admin', key: config.api.token });
  return keys;
}

/** Every /v1 route behind the API-key gate: the admin API (with a live configuration) and the calls API. */
function v1Routes(config: Config, logger: Logger, calls: CallManager, admin: AdminControl | undefined, records: CallRecords | undefined, bound: (() => BoundSip[]) | undefined, recording: Routes | undefined, cluster?: ClusterCallsApi): Routes | undefined {
  if (!config.api.enabled) return undefined;
  const apiLog = logger.child({ layer: 'api' });
  // What carriers should address (GET /v1/whoami): the ports actually bound (a 0 in the config is the kernel's pick).
  const sip = (): SipEndpoint[] => {
    const now = bound?.() ?? [];
    return now.length > 0
      ? now.map((b) => ({ transport: b.transport, host: config.sip.publicAddress ?? b.address, port: b.port }))
      : config.sip.listen.map((l) => ({ transport: l.transport, host: config.sip.publicAddress ?? l.host, port: l.port }));
  };
  // The webhook status and recording routes go before the calls API, which answers every other /v1/calls… path.
  // Another node's call: its commands go to that node before the local routes could answer 404.
  const inner = [whoamiRoute(sip), toolRunRoutes(toolRunners(() => (admin ? admin.current().config : config).bots), apiLog), cdrRoute(config, apiLog), admin ? createAdminRoutes(admin, apiLog) : undefined, webhookStatusRoutes(config, records), cluster?.forwarding(), recording, callsApiRoutes(config, logger, calls, cluster)].filter((r): r is Routes => r !== undefined);
  return guardV1(createAuthorizer(apiKeysOf(config)), inner, apiLog);
}

/** GET /v1/call-records over the CDR files (a 404 saying why when the bridge writes none). */
function cdrRoute(config: Config, logger: Logger): Routes {
  const dir = config.callRecords.dir !== undefined && config.callRecords.cdrFiles ? join(config.callRecords.dir, 'cdr') : undefined;
  return callRecordsRoute(dir === undefined ? undefined : { decodeCursor, page: (q) => readCdrPage(dir, q) }, logger);
}

/** The Twilio REST shim, when at least one bot has `twilio` credentials (it has its own auth: `api.enabled` is not needed). */
function twilioRestRoutes(config: Config, logger: Logger, calls: CallManager, forward?: CallForwarder): Routes | undefined {
  const accounts: TwilioAccount[] = [];
  for (const [bot, b] of Object.entries(config.bots)) {
    if (!('url' in b) || b.twilio === undefined) continue;
    const { accountSid, authToken, transferTrunk } = b.twilio;
    accounts.push({ bot, accountSid, authToken, url: b.url, ...(transferTrunk !== undefined ? { transferTrunk } : {}) });
  }
  if (accounts.length === 0) return undefined;
  return createTwilioRest(
    {
      call: async (callId) => (await calls.answered(callId))?.summary,
      hangup: (callId) => {
        const call = calls.get(callId);
        if (!call) return false;
        call.end('api-hangup');
        return true;
      },
      transfer: (callId, cmd) => calls.get(callId)?.transfer?.(cmd),
      place: async (c) => {
        await calls.placeCall(c); // its outcome is call control's to log; the bot and the Call resource follow it
      },
      ringing: (callId) => {
        const r = calls.ringingCall(callId);
        return r && { bot: r.bot, from: r.from, to: r.to, direction: 'outbound', placedAtMs: Date.parse(r.placedAt) };
      },
      cancel: (callId) => calls.cancelRinging(callId),
      ...(forward ? { forward } : {}),
    },
    { accounts, logger: logger.child({ layer: 'api', api: 'twilio-rest' }) },
  );
}

/**
 * The Twilio REST shim of the current configuration: rebuilt when the configuration's revision changes, so a
 * bot's `twilio` credentials set through the admin API apply to the next request.
 */
function liveTwilioRestRoutes(current: () => { revision: number; config: Config }, logger: Logger, calls: CallManager, forward?: CallForwarder): Routes {
  let built: { revision: number; routes: Routes | undefined } | undefined;
  return async (req, res) => {
    const c = current();
    if (built?.revision !== c.revision) built = { revision: c.revision, routes: twilioRestRoutes(c.config, logger, calls, forward) };
    return built.routes ? built.routes(req, res) : false;
  };
}

/** Tries each route set in turn; undefined when there is none. */
function chain(list: ReadonlyArray<Routes | undefined>): Routes | undefined {
  const present = list.filter((r): r is Routes => r !== undefined);
  if (present.length === 0) return undefined;
  return async (req, res) => {
    for (const r of present) if (await r(req, res)) return true;
    return false;
  };
}

/** What GET /v1/events needs besides call control: the app's clock and the PBX registrations' states. */
export interface EventStreamParts {
  clock: Clock;
  registrations: {
    states(): RegistrationStateView[];
    onState(listener: (name: string, state: string) => void): () => void;
    /** The node running registration `name` (a cluster only). */
    holder?(name: string): string | undefined;
  };
}

/**
 * GET /v1/events over call control and the registrations (see api/events/live-events.ts). In a cluster the calls
 * are every node's: the snapshot reads the registry, other nodes' calls start and end as the registry tells.
 */
function eventStreamRoutes(parts: EventStreamParts, calls: CallManager, logger: Logger, cluster?: ClusterCallsApi): Routes {
  const feed = cluster?.live?.(calls);
  const withHolder = (name: string, state: string): RegistrationStateView => {
    const node = parts.registrations.holder?.(name);
    return { name, state, ...(node !== undefined ? { node } : {}) };
  };
  const events = new LiveEvents(
    {
      calls: () => feed?.list() ?? calls.list(),
      registrations: () => parts.registrations.states().map((r) => withHolder(r.name, r.state)),
      ...(feed ? { snapshotCalls: () => feed.snapshot() } : {}),
      subscribe: (listener: (e: LiveEvent) => void) => {
        const unwatch = feed
          ? feed.watch(listener)
          : calls.watch({
              started: (call) => listener({ type: 'call.started', call }),
              ended: (e) => listener({ type: 'call.ended', ...e }),
            });
        const unlisten = parts.registrations.onState((name, state) => listener({ type: 'registration', ...withHolder(name, state) }));
        return () => {
          unwatch();
          unlisten();
        };
      },
    },
    { clock: parts.clock, logger },
  );
  return eventsRoute(events);
}

/** The HTTP side: /metrics and /healthz, and the APIs that are enabled; undefined when metrics are off. */
export function buildOps(
  config: Config,
  logger: Logger,
  metrics: BridgeMetrics,
  calls: CallManager,
  draining: () => boolean,
  media: InProcessMediaEngine | WorkerMediaEngine,
  readiness: () => { ready: boolean; checks: Record<string, boolean> },
  admin?: AdminControl,
  records?: CallRecords,
  /** The SIP listeners as bound, once started (GET /v1/whoami shows them to the console's carrier text). */
  boundSip?: () => BoundSip[],
  /** GET/POST /v1/calls/{id}/recording, behind the gate with the other /v1 routes. */
  recording?: Routes,
  /** A cluster (`store`): /v1/calls lists every node's calls, another node's call commands are forwarded. */
  cluster?: ClusterCallsApi,
  /** GET /v1/events (absent: no event stream). */
  streamParts?: EventStreamParts,
): { ops: OpsHttpServer | undefined; api: OpsHttpServer | undefined } {
  // GET /v1/events goes behind the gate with the recording route (both before the calls API).
  const events = streamParts && config.api.enabled ? eventStreamRoutes(streamParts, calls, logger.child({ layer: 'api' }), cluster) : undefined;
  const v1 = v1Routes(config, logger, calls, admin, records, boundSip, events ? chain([events, recording]) : recording, cluster);
  // With api.listen the /v1 routes (and the console) have a listener of their own, which answers nothing else.
  // The web console is served wherever /v1 is (same origin: its requests need no CORS).
  const web = v1 ? consoleRoutes(defaultConsoleDir(), logger.child({ layer: 'console' })) : undefined;
  const forward = cluster?.forwarder?.();
  const twilio = admin ? liveTwilioRestRoutes(() => admin.current(), logger, calls, forward) : twilioRestRoutes(config, logger, calls, forward);
  // The shim is wherever /v1 is too: another node forwards a shim request to this node's store.apiUrl.
  const api = config.api.listen && v1 && web ? apiOnlyServer(chain([web, v1, twilio]) ?? v1, logger) : undefined;
  if (!config.metrics.enabled) return { ops: undefined, api };
  const hooks = process.env.TRUNKBRIDGE_TEST_HOOKS === '1' ? testHookRoutes(media instanceof WorkerMediaEngine ? media : undefined) : undefined;
  if (hooks) logger.warn('test hooks are on (TRUNKBRIDGE_TEST_HOOKS=1): never in production');
  const routes = chain([hooks, api ? undefined : web, api ? undefined : v1, twilio]);
  const ops = new OpsHttpServer(
    {
      metricsText: () => metrics.metricsText(),
      metricsContentType: metrics.registry.contentType,
      health: () => ({ status: draining() ? 'draining' : 'ok', activeCalls: calls.activeCount }),
      readiness,
    },
    logger.child({ layer: 'api' }),
    routes,
  );
  return { ops, api };
}

/** A listener for the /v1 routes alone: every other path is 404 (no metrics or health there). */
function apiOnlyServer(v1: Routes, logger: Logger): OpsHttpServer {
  const notFound: Routes = async (_req, res) => {
    res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":"not-found","message":"no such route"}');
    return true;
  };
  const unused = { metricsText: async () => '', metricsContentType: 'text/plain', health: () => ({ status: 'ok' as const, activeCalls: 0 }), readiness: () => ({ ready: true, checks: {} }) };
  return new OpsHttpServer(unused, logger.child({ layer: 'api' }), chain([v1, notFound]));
}
