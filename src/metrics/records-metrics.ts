import { Counter, Gauge, type Registry } from 'prom-client';
import { METRIC_PREFIX } from './bridge-metrics.js';

/** Highest webhook index labelled by its number; the config could list more, they share 'other'. */
const MAX_LABELLED_WEBHOOKS = 32;

/** Webhooks are labelled by their position in `webhooks:` (URLs may carry secrets and are unbounded). */
export function webhookLabel(index: number): string {
  return Number.isInteger(index) && index >= 0 && index < MAX_LABELLED_WEBHOOKS ? String(index) : 'other';
}

/** CDR files and webhook deliveries (issue #13). */
export class RecordsMetrics {
  readonly cdrWrites: Counter<'result'>;
  readonly webhookAttempts: Counter<'webhook' | 'result'>;
  readonly webhookDropped: Counter<'webhook'>;
  readonly webhookPending: Gauge<'webhook'>;
  private pendingSource: () => readonly number[] = () => [];

  constructor(registry: Registry) {
    this.cdrWrites = new Counter({
      name: `${METRIC_PREFIX}cdr_writes_total`,
      help: 'Call records appended to the CDR file, by result (ok, failed: the record went to the log instead)',
      labelNames: ['result'],
      registers: [registry],
    });
    this.webhookAttempts = new Counter({
      name: `${METRIC_PREFIX}webhook_attempts_total`,
      help: 'Webhook POST attempts, by webhook (position in the config) and result (delivered, failed: retried later)',
      labelNames: ['webhook', 'result'],
      registers: [registry],
    });
    this.webhookDropped = new Counter({
      name: `${METRIC_PREFIX}webhook_events_dropped_total`,
      help: 'Webhook events given up after maxAgeHours of failures',
      labelNames: ['webhook'],
      registers: [registry],
    });
    const self = this;
    this.webhookPending = new Gauge({
      name: `${METRIC_PREFIX}webhook_pending_events`,
      help: 'Webhook events spooled and not yet accepted by their receiver, by webhook',
      labelNames: ['webhook'],
      registers: [registry],
      collect() {
        self.pendingSource().forEach((n, i) => this.set({ webhook: webhookLabel(i) }, n));
      },
    });
  }

  /** Where the pending gauge reads its figures at scrape time (the records service, once built). */
  watchPending(source: () => readonly number[]): void {
    this.pendingSource = source;
  }

  cdrWritten(): void {
    this.cdrWrites.inc({ result: 'ok' });
  }

  cdrWriteFailed(): void {
    this.cdrWrites.inc({ result: 'failed' });
  }

  delivered(webhook: number): void {
    this.webhookAttempts.inc({ webhook: webhookLabel(webhook), result: 'delivered' });
  }

  attemptFailed(webhook: number): void {
    this.webhookAttempts.inc({ webhook: webhookLabel(webhook), result: 'failed' });
  }

  dropped(webhook: number): void {
    this.webhookDropped.inc({ webhook: webhookLabel(webhook) });
  }
}
