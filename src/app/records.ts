/**
 * Call records and webhooks wired from config (part of the composition root, layer "app"): the records
 * service, its metrics, the compile-time check that call control's lifecycle events are what records reads,
 * and the /v1/webhooks/status route.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Config } from '../config/index.js';
import { WEBHOOK_EVENTS } from '../config/records-schema.js';
import type { CallLifecycleEvent } from '../calls/call-events.js';
import type { RecordsMetrics } from '../metrics/index.js';
import { CallRecords, WEBHOOK_EVENT_TYPES, webhookStatusRoute, type CallStep } from '../records/index.js';

/** The records service for `config`, or undefined when neither CDR files nor webhooks are configured. */
export function buildCallRecords(config: Config, clock: Clock, logger: Logger, metrics: RecordsMetrics): CallRecords | undefined {
  const c = config.callRecords;
  if (c.dir === undefined && config.webhooks.length === 0) return undefined;
  const records = new CallRecords({
    dir: c.dir,
    cdrFiles: c.cdrFiles,
    recordingWaitMs: c.recordingWaitSec * 1000,
    webhooks: config.webhooks.map((w) => ({
      url: w.url,
      secret: w.secret,
      events: w.events,
      timeoutMs: w.timeoutMs,
      retry: { initialMs: w.retryInitialMs, maxMs: Math.max(w.retryInitialMs, w.retryMaxMs) },
      maxAgeMs: w.maxAgeHours * 3_600_000,
    })),
    clock,
    logger,
    observer: metrics,
  });
  metrics.watchPending(() => records.pendingEvents());
  return records;
}

type Route = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/** `GET /v1/webhooks/status`, when there are webhooks; it sits behind the /v1 API-key gate (role `read`). */
export function webhookStatusRoutes(config: Config, records: CallRecords | undefined): Route | undefined {
  if (!records || config.webhooks.length === 0 || !config.api.enabled) return undefined;
  return webhookStatusRoute(() => records.webhookStatus());
}

// Compile-time seams: call control's events are the steps records reads, and config offers the event types
// records sends. A change on one side only fails to compile here.
const stepFits = (e: CallLifecycleEvent): CallStep => e;
const eventsAgree: [typeof WEBHOOK_EVENTS[number], typeof WEBHOOK_EVENT_TYPES[number]] extends [typeof WEBHOOK_EVENT_TYPES[number], typeof WEBHOOK_EVENTS[number]] ? true : false = true;
void stepFits;
void eventsAgree;
