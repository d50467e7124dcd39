/**
 * The operations HTTP listener's routes, wired from config: /metrics and /healthz, the /v1 calls API when
 * enabled, the Twilio-compatible REST shim when a bot has `twilio` credentials, and the test hooks. Split from
 * app.ts to keep the composition root readable; it is part of it (layer "app").
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from './core/logger.js';
import type { Config } from './config/index.js';
import type { BridgeMetrics } from './metrics/index.js';
import type { CallManager } from './calls/call-manager.js';
import type { InProcessMediaEngine } from './engine/index.js';
import { WorkerMediaEngine } from './engine/worker/worker-engine.js';
import { OpsHttpServer } from './api/http-server.js';
import { createCallsApi } from './api/calls-api.js';
import { createTwilioRest, type TwilioAccount } from './api/twilio-rest.js';
import { testHookRoutes } from './app-test-hooks.js';

type Routes = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/** The /v1 calls API over call control, when `api.enabled`. */
function callsApiRoutes(config: Config, logger: Logger, calls: CallManager): Routes | undefined {
  if (!config.api.enabled) return undefined;
  return createCallsApi(
    {
      placeCall: (req) => calls.placeCall(req),
      transfer: (callId, body) => calls.get(callId)?.transfer?.(body),
      hangup: (callId) => {
        const call = calls.get(callId);
        if (!call) return false;
        call.end('api-hangup');
        return true;
      },
    },
    { ...(config.api.token !== undefined ? { token: config.api.token } : {}), logger: logger.child({ layer: 'api' }) },
  );
}

/** The Twilio REST shim, when at least one bot has `twilio` credentials (it has its own auth: `api.enabled` is not needed). */
function twilioRestRoutes(config: Config, logger: Logger, calls: CallManager): Routes | undefined {
  const accounts: TwilioAccount[] = [];
  for (const [bot, b] of Object.entries(config.bots)) {
    if (!('url' in b) || b.twilio === undefined) continue;
    const { accountSid, authToken, transferTrunk } = b.twilio;
    accounts.push({ bot, accountSid, authToken, ...(transferTrunk !== undefined ? { transferTrunk } : {}) });
  }
  if (accounts.length === 0) return undefined;
  return createTwilioRest(
    {
      call: (callId) => calls.get(callId)?.summary,
      hangup: (callId) => {
        const call = calls.get(callId);
        if (!call) return false;
        call.end('api-hangup');
        return true;
      },
      transfer: (callId, cmd) => calls.get(callId)?.transfer?.(cmd),
    },
    { accounts, logger: logger.child({ layer: 'api', api: 'twilio-rest' }) },
  );
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

/** The HTTP side: /metrics and /healthz, and the APIs that are enabled; undefined when metrics are off. */
export function buildOps(
  config: Config,
  logger: Logger,
  metrics: BridgeMetrics,
  calls: CallManager,
  draining: () => boolean,
  media: InProcessMediaEngine | WorkerMediaEngine,
  /** Routes served ahead of the calls API (GET/POST /v1/calls/{id}/recording). */
  extra?: Routes,
): OpsHttpServer | undefined {
  if (!config.metrics.enabled) return undefined;
  const hooks = process.env.TRUNKBRIDGE_TEST_HOOKS === '1' ? testHookRoutes(media instanceof WorkerMediaEngine ? media : undefined) : undefined;
  if (hooks) logger.warn('test hooks are on (TRUNKBRIDGE_TEST_HOOKS=1): never in production');
  const routes = chain([hooks, extra, callsApiRoutes(config, logger, calls), twilioRestRoutes(config, logger, calls)]);
  return new OpsHttpServer(
    {
      metricsText: () => metrics.metricsText(),
      metricsContentType: metrics.registry.contentType,
      health: () => ({ status: draining() ? 'draining' : 'ok', activeCalls: calls.activeCount }),
    },
    logger.child({ layer: 'api' }),
    routes,
  );
}
