/** RFC 3263 / RFC 2782 target selection: table tests over the pure functions. */
import { describe, expect, it } from 'vitest';
import { orderSrv, srvName, usesSrv, type SrvRecord } from '../../../src/sip/resolve/srv-order.js';

const rec = (name: string, priority: number, weight: number, port = 5060): SrvRecord => ({ name, port, priority, weight });

/** A random source that returns the given values in turn. */
const seq = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length];
};

describe('srvName', () => {
  it.each([
    ['carrier.test', 'udp', '_sip._udp.carrier.test'],
    ['carrier.test', 'tcp', '_sip._tcp.carrier.test'],
    ['carrier.test', 'tls', '_sips._tcp.carrier.test'],
    ['carrier.test.', 'udp', '_sip._udp.carrier.test'],
  ] as const)('%s over %s → %s', (host, transport, name) => {
    expect(srvName(host, transport)).toBe(name);
  });
});

describe('usesSrv (RFC 3263 §4.2)', () => {
  it.each([
    [{ host: 'carrier.test', port: 5060, transport: 'udp', explicitPort: false }, true],
    [{ host: 'carrier.test', port: 5080, transport: 'udp', explicitPort: true }, false],
    [{ host: '192.0.2.10', port: 5060, transport: 'udp', explicitPort: false }, false],
    [{ host: '2001:db8::1', port: 5060, transport: 'tcp', explicitPort: false }, false],
    [{ host: 'localhost', port: 5060, transport: 'udp', explicitPort: false }, false],
    [{ host: 'pbx.localhost', port: 5060, transport: 'udp', explicitPort: false }, false],
  ] as const)('%o → %s', (hop, expected) => {
    expect(usesSrv(hop)).toBe(expected);
  });
});

describe('orderSrv (RFC 2782)', () => {
  it('orders by priority first, whatever the weights', () => {
    const out = orderSrv([rec('c', 30, 100), rec('a', 10, 1), rec('b', 20, 50)], seq(0.99));
    expect(out.map((r) => r.name)).toEqual(['a', 'b', 'c']);
  });

  it('within a priority picks by running weight sum: a low draw takes the first, a high draw the heavier', () => {
    // Weights 10 and 90 (sum 100): draw floor(r * 101). r=0.05 → 5 ≤ 10 → "light" first.
    expect(orderSrv([rec('light', 10, 10), rec('heavy', 10, 90)], seq(0.05, 0)).map((r) => r.name)).toEqual(['light', 'heavy']);
    // r=0.5 → 50 > 10 → "heavy" first, then "light" is all that is left.
    expect(orderSrv([rec('light', 10, 10), rec('heavy', 10, 90)], seq(0.5, 0)).map((r) => r.name)).toEqual(['heavy', 'light']);
  });

  it('puts zero-weight records first in the running list: chosen only on a zero draw', () => {
    expect(orderSrv([rec('w50', 10, 50), rec('zero', 10, 0)], seq(0, 0)).map((r) => r.name)).toEqual(['zero', 'w50']);
    expect(orderSrv([rec('w50', 10, 50), rec('zero', 10, 0)], seq(0.3, 0)).map((r) => r.name)).toEqual(['w50', 'zero']);
  });

  it('spreads load by weight over many draws (3:1 within 10%)', () => {
    let heavyFirst = 0;
    const n = 4000;
    let x = 0.123;
    // A fixed pseudo-random sequence (deterministic, no Math.random in the assertion).
    const lcg = () => (x = (x * 9301 + 0.49297) % 1);
    for (let i = 0; i < n; i++) if (orderSrv([rec('light', 1, 25), rec('heavy', 1, 75)], lcg)[0].name === 'heavy') heavyFirst++;
    expect(heavyFirst / n).toBeGreaterThan(0.65);
    expect(heavyFirst / n).toBeLessThan(0.85);
  });

  it('drops the "." target (service decidedly not available) and keeps every other record once', () => {
    const out = orderSrv([rec('.', 0, 0), rec('a', 1, 0), rec('b', 1, 0), rec('c', 2, 5)], seq(0.7));
    expect(out.map((r) => r.name).sort()).toEqual(['a', 'b', 'c']);
    expect(out[2].name).toBe('c');
  });

  it('returns [] for no records', () => {
    expect(orderSrv([])).toEqual([]);
  });
});
