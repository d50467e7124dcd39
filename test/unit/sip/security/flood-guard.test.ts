import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../src/core/clock.js';
import { FloodGuard } from '../../../../src/sip/security/flood-guard.js';

/** Sends `perSecond` messages a second from `address` for `seconds`, spread evenly; counts the verdicts. */
function drive(guard: FloodGuard, clock: ManualClock, address: string, perSecond: number, seconds: number) {
  const counts = { pass: 0, banned: 0, 'ban-started': 0 };
  const step = 1000 / perSecond;
  for (let i = 0; i < perSecond * seconds; i++) {
    counts[guard.admit(address)]++;
    clock.advance(step);
  }
  return counts;
}

describe('FloodGuard (token bucket per source, ban, bounded LRU)', () => {
  it('a burst passes, the first message over budget starts a ban, and the ban drops everything until it ends', () => {
    const clock = new ManualClock();
    const g = new FloodGuard({ clock, untrusted: { rate: 10, burst: 5 }, banMs: 60_000 });
    for (let i = 0; i < 5; i++) expect(g.admit('198.51.100.1')).toBe('pass');
    expect(g.admit('198.51.100.1')).toBe('ban-started');
    expect(g.isBanned('198.51.100.1')).toBe(true);
    clock.advance(59_999);
    expect(g.admit('198.51.100.1')).toBe('banned');
    clock.advance(2);
    expect(g.isBanned('198.51.100.1')).toBe(false);
    expect(g.admit('198.51.100.1')).toBe('pass');
    // Other sources are not affected by one source's ban.
    expect(g.admit('198.51.100.2')).toBe('pass');
  });

  it('tokens come back at the rate: a source at its rate is never banned', () => {
    const clock = new ManualClock();
    const g = new FloodGuard({ clock, untrusted: { rate: 30, burst: 60 } });
    expect(drive(g, clock, '198.51.100.1', 30, 60)).toEqual({ pass: 1800, banned: 0, 'ban-started': 0 });
  });

  it('defaults: a trusted carrier at 50 cps (150 req/s) is never throttled; an untrusted INVITE flood of 300/s gets under 20 % through', () => {
    const clock = new ManualClock();
    const trusted = new Set(['203.0.113.10']);
    const g = new FloodGuard({ clock, isTrusted: (a) => trusted.has(a) });
    expect(drive(g, clock, '203.0.113.10', 150, 60)).toEqual({ pass: 9000, banned: 0, 'ban-started': 0 });
    const flood = drive(g, clock, '192.0.2.66', 300, 10);
    expect(flood['ban-started']).toBe(1);
    expect(flood.pass / 3000).toBeLessThan(0.2);
    expect(flood.pass).toBeGreaterThanOrEqual(60); // the burst went through before the ban
  });

  it('keeps at most maxSources entries, forgetting the least recently seen', () => {
    const clock = new ManualClock();
    const g = new FloodGuard({ clock, maxSources: 100, untrusted: { rate: 1, burst: 1 } });
    g.admit('10.0.0.1');
    expect(g.admit('10.0.0.1')).toBe('ban-started');
    for (let i = 0; i < 10_000; i++) g.admit(`10.1.${i >> 8}.${i & 255}`);
    expect(g.size).toBe(100);
    // 10.0.0.1 was pushed out by the spoofed flood: its ban is gone with it (bounded memory wins).
    expect(g.isBanned('10.0.0.1')).toBe(false);
  });

  it('a recently seen source stays in the table while others come and go', () => {
    const clock = new ManualClock();
    const g = new FloodGuard({ clock, maxSources: 10, untrusted: { rate: 1, burst: 1 }, banMs: 1_000_000 });
    g.admit('10.0.0.1');
    g.admit('10.0.0.1');
    for (let i = 0; i < 50; i++) {
      g.admit(`10.2.0.${i}`);
      expect(g.admit('10.0.0.1')).toBe('banned');
    }
  });
});

describe('FloodGuard trust read again before a ban', () => {
  it('a source that became trusted (an allow-list host name resolved to it) is not banned at the untrusted budget', () => {
    const clock = new ManualClock();
    const trusted = new Set<string>();
    const g = new FloodGuard({ clock, untrusted: { rate: 1, burst: 2 }, trusted: { rate: 100, burst: 200 }, isTrusted: (a) => trusted.has(a) });
    g.admit('203.0.113.10');
    g.admit('203.0.113.10');
    trusted.add('203.0.113.10');
    const verdicts = Array.from({ length: 150 }, () => g.admit('203.0.113.10'));
    expect(verdicts.every((v) => v === 'pass')).toBe(true);
  });
});

describe('FloodGuard.trust (peers we send requests to)', () => {
  it('a peer we call gets the trusted budget, and a ban on it is lifted', () => {
    const clock = new ManualClock();
    const g = new FloodGuard({ clock, untrusted: { rate: 1, burst: 2 }, trusted: { rate: 1000, burst: 500 } });
    g.admit('198.51.100.20');
    g.admit('198.51.100.20');
    expect(g.admit('198.51.100.20')).toBe('ban-started');
    g.trust('198.51.100.20');
    expect(g.isBanned('198.51.100.20')).toBe(false);
    expect(drive(g, clock, '198.51.100.20', 300, 10)).toEqual({ pass: 3000, banned: 0, 'ban-started': 0 });
    // Others keep the untrusted budget.
    expect(drive(g, clock, '198.51.100.21', 300, 1)['ban-started']).toBe(1);
  });
});
