import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { CallRejectedError } from '../../../src/core/errors.js';
import { OutboundRateCap, TransferCap } from '../../../src/trunks/index.js';

function reason(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (err instanceof CallRejectedError) return `${err.reason} ${err.sipStatus}`;
    throw err;
  }
}

describe('toll-fraud caps', () => {
  it('TransferCap: per trunk, releases once', () => {
    const cap = new TransferCap(2);
    const a = cap.acquire('t1');
    cap.acquire('t1');
    expect(reason(() => cap.acquire('t1'))).toBe('transfer-limit 503');
    expect(reason(() => cap.acquire('t2'))).toBe('ok');
    a();
    a();
    expect(cap.runningOn('t1')).toBe(1);
    expect(reason(() => cap.acquire('t1'))).toBe('ok');
  });

  it('OutboundRateCap: at most perMinute calls in any 60 s per trunk', () => {
    const clock = new ManualClock();
    const cap = new OutboundRateCap(3, clock);
    const results: string[] = [];
    for (let i = 0; i < 5; i++) {
      results.push(reason(() => cap.take('out')));
      clock.advance(10_000);
    }
    expect(results).toEqual(['ok', 'ok', 'ok', 'outbound-rate-limit 503', 'outbound-rate-limit 503']);
    expect(reason(() => cap.take('other'))).toBe('ok');
    clock.advance(10_000); // the first call (t=0) is now 60 s old
    expect(reason(() => cap.take('out'))).toBe('ok');
    expect(reason(() => cap.take('out'))).toBe('outbound-rate-limit 503');
  });
});
