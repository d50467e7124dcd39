import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RecordsMetrics, webhookLabel } from '../../../src/metrics/index.js';

describe('records metrics', () => {
  it('counts CDR writes and webhook attempts by bounded labels; the pending gauge reads its source at scrape', async () => {
    const registry = new Registry();
    const m = new RecordsMetrics(registry);
    m.cdrWritten();
    m.cdrWritten();
    m.cdrWriteFailed();
    m.delivered(0);
    m.attemptFailed(1);
    m.attemptFailed(1);
    m.dropped(1);
    let pending = [3, 0];
    m.watchPending(() => pending);
    let text = await registry.metrics();
    expect(text).toContain('trunkbridge_cdr_writes_total{result="ok"} 2');
    expect(text).toContain('trunkbridge_cdr_writes_total{result="failed"} 1');
    expect(text).toContain('trunkbridge_webhook_attempts_total{webhook="0",result="delivered"} 1');
    expect(text).toContain('trunkbridge_webhook_attempts_total{webhook="1",result="failed"} 2');
    expect(text).toContain('trunkbridge_webhook_events_dropped_total{webhook="1"} 1');
    expect(text).toContain('trunkbridge_webhook_pending_events{webhook="0"} 3');
    pending = [0, 0];
    text = await registry.metrics();
    expect(text).toContain('trunkbridge_webhook_pending_events{webhook="0"} 0');
  });

  it.each([
    [0, '0'],
    [31, '31'],
    [32, 'other'],
    [-1, 'other'],
    [1.5, 'other'],
  ])('webhook %s is labelled %s', (i, label) => {
    expect(webhookLabel(i)).toBe(label);
  });
});
