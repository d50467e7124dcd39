import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { CallRejectedError } from '../../../src/core/errors.js';
import { parseConfig } from '../../../src/config/index.js';
import { digestResponse, type DigestAlgorithm } from '../../../src/sip/auth/digest.js';
import { formatAuthHeader, parseAuthHeader } from '../../../src/sip/auth/digest-params.js';
import { DigestServer } from '../../../src/sip/auth/digest-server.js';
import { AuthLockout, InboundRouter, TrunkCallLimiter, type LockoutEpisode, type RouteRequest } from '../../../src/trunks/index.js';

describe('AuthLockout', () => {
  it('locks a source out at maxFailures within the window, for lockoutMs, doubling per episode up to the cap', () => {
    const clock = new ManualClock();
    const episodes: LockoutEpisode[] = [];
    const l = new AuthLockout({ clock, maxFailures: 3, windowMs: 10_000, lockoutMs: 1000, maxLockoutMs: 3000, onLockout: (e) => episodes.push(e) });
    const lockoutLengths: number[] = [];
    for (let episode = 0; episode < 4; episode++) {
      expect(l.failed('192.0.2.1', 'pbx1')).toBe(false);
      expect(l.failed('192.0.2.1', 'admin')).toBe(false);
      expect(l.isLockedOut('192.0.2.1')).toBe(false);
      expect(l.failed('192.0.2.1', 'pbx1')).toBe(true);
      let locked = 0;
      while (l.isLockedOut('192.0.2.1')) {
        // Failures while locked out neither extend the lockout nor start another.
        expect(l.failed('192.0.2.1')).toBe(false);
        clock.advance(100);
        locked += 100;
      }
      lockoutLengths.push(locked);
    }
    expect(lockoutLengths).toEqual([1000, 2000, 3000, 3000]);
    expect(episodes.map((e) => [e.episode, e.lockoutMs, e.failures])).toEqual([[1, 1000, 3], [2, 2000, 3], [3, 3000, 3], [4, 3000, 3]]);
    expect(episodes[0].usernames).toEqual(['pbx1', 'admin']);
  });

  it('failures spread wider than the window never lock out; a success forgives them', () => {
    const clock = new ManualClock();
    const l = new AuthLockout({ clock, maxFailures: 3, windowMs: 10_000 });
    for (let i = 0; i < 20; i++) {
      l.failed('192.0.2.1');
      clock.advance(5_001);
    }
    expect(l.isLockedOut('192.0.2.1')).toBe(false);
    clock.advance(10_000);
    l.failed('192.0.2.1');
    l.failed('192.0.2.1');
    l.succeeded('192.0.2.1');
    l.failed('192.0.2.1');
    expect(l.isLockedOut('192.0.2.1')).toBe(false);
  });

  it('never allows more than 20 failures before a lockout, whatever the settings', () => {
    const l = new AuthLockout({ clock: new ManualClock(), maxFailures: 1000 });
    let n = 0;
    while (!l.isLockedOut('192.0.2.1')) {
      l.failed('192.0.2.1');
      n++;
    }
    expect(n).toBe(20);
  });

  it('is per address: another address is never locked out by it; the table stays bounded', () => {
    const l = new AuthLockout({ clock: new ManualClock(), maxFailures: 2, maxSources: 50 });
    l.failed('192.0.2.1', 'pbx1');
    l.failed('192.0.2.1', 'pbx1');
    expect(l.isLockedOut('192.0.2.1')).toBe(true);
    expect(l.isLockedOut('192.0.2.2')).toBe(false);
    for (let i = 0; i < 1000; i++) l.failed(`10.0.${i >> 8}.${i & 255}`);
    expect(l.size).toBe(50);
  });
});

const cfg = parseConfig(`
bots: { echo: { builtin: echo } }
inboundTrunks:
  - name: pbx
    credentials: [{ username: pbx1, password: Abcdefgh1234 }]
    realm: pbx.example.com
    digestAlgorithms: [MD5, SHA-256]
    bot: echo
`);

function authorize(challenge: string, user: string, password: string, nc = 1): string {
  const c = parseAuthHeader(challenge)!.params;
  const ncText = nc.toString(16).padStart(8, '0');
  const f = {
    algorithm: c.get('algorithm') as DigestAlgorithm,
    username: user,
    realm: c.get('realm')!,
    password,
    method: 'INVITE',
    uri: 'sip:+15550100@192.0.2.10',
    nonce: c.get('nonce')!,
    qop: 'auth' as const,
    nc: ncText,
    cnonce: 'c0ffee',
  };
  return formatAuthHeader('Digest', [
    ['username', user], ['realm', f.realm], ['nonce', f.nonce], ['uri', f.uri], ['response', digestResponse(f)],
    ['algorithm', f.algorithm], ['qop', 'auth'], ['nc', ncText], ['cnonce', f.cnonce],
  ]);
}

function outcome(fn: () => unknown): string {
  try {
    const d = fn() as { trunk: string };
    return `ok ${d.trunk}`;
  } catch (err) {
    if (err instanceof CallRejectedError) return `${err.sipStatus} ${err.reason}`;
    throw err;
  }
}

describe('InboundRouter with the lockout', () => {
  it('brute force from one address: locked out within 10 failures; the right password (even to a nonce it holds) is then refused, never challenged; another address still gets in', () => {
    const clock = new ManualClock();
    const lockout = new AuthLockout({ clock, maxFailures: 10, lockoutMs: 300_000 });
    const router = new InboundRouter(cfg.inboundTrunks, { botNames: ['echo'], digest: new DigestServer({ clock }), lockout });
    const attacker: RouteRequest = { sourceAddress: '::ffff:192.0.2.66', requestUser: '+15550100', toUser: '', method: 'INVITE' };
    const challenge = (req: RouteRequest) => {
      try {
        router.route(req);
      } catch (err) {
        return ((err as CallRejectedError).headers['WWW-Authenticate'] as string[])[0];
      }
      throw new Error('no challenge');
    };
    const held = challenge(attacker);
    const results: string[] = [];
    for (let i = 0; i < 12; i++) {
      const first = outcome(() => router.route(attacker));
      if (first !== '401 auth-challenge') results.push(first);
      else results.push(outcome(() => router.route({ ...attacker, headers: [['Authorization', authorize(challenge(attacker), 'pbx1', `guess-${i}`)]] })));
    }
    expect(results).toEqual([...Array(10).fill('403 bad-credentials'), '403 auth-locked-out', '403 auth-locked-out']);
    expect(lockout.isLockedOut('192.0.2.66')).toBe(true);
    expect(outcome(() => router.route(attacker))).toBe('403 auth-locked-out');
    expect(outcome(() => router.route({ ...attacker, headers: [['Authorization', authorize(held, 'pbx1', 'Abcdefgh1234')]] }))).toBe('403 auth-locked-out');
    // The real PBX at another address, same username: unaffected.
    const pbx: RouteRequest = { ...attacker, sourceAddress: '198.51.100.7' };
    expect(outcome(() => router.route({ ...pbx, headers: [['Authorization', authorize(challenge(pbx), 'pbx1', 'Abcdefgh1234')]] }))).toBe('ok pbx');
    clock.advance(300_001);
    expect(outcome(() => router.route({ ...attacker, headers: [['Authorization', authorize(challenge(attacker), 'pbx1', 'Abcdefgh1234')]] }))).toBe('ok pbx');
  });
});

describe('InboundRouter: authenticated sources', () => {
  it('reports a source that passed digest (it gets the trusted flood budget), never one that failed', () => {
    const clock = new ManualClock();
    const trusted: string[] = [];
    const router = new InboundRouter(cfg.inboundTrunks, { botNames: ['echo'], digest: new DigestServer({ clock }), authenticated: (s) => trusted.push(s) });
    const req: RouteRequest = { sourceAddress: '::ffff:198.51.100.7', requestUser: '+15550100', toUser: '', method: 'INVITE' };
    const challenge = () => ((() => {
      try {
        router.route(req);
      } catch (err) {
        return ((err as CallRejectedError).headers['WWW-Authenticate'] as string[])[0];
      }
      throw new Error('no challenge');
    })());
    expect(outcome(() => router.route({ ...req, headers: [['Authorization', authorize(challenge(), 'pbx1', 'wrong-one')]] }))).toBe('403 bad-credentials');
    expect(trusted).toEqual([]);
    expect(outcome(() => router.route({ ...req, headers: [['Authorization', authorize(challenge(), 'pbx1', 'Abcdefgh1234')]] }))).toBe('ok pbx');
    expect(trusted).toEqual(['198.51.100.7']);
  });
});

describe('TrunkCallLimiter: total limit', () => {
  it('486 per trunk, 503 bridge-busy in total; releasing frees both', () => {
    const limiter = new TrunkCallLimiter(new Map([['a', 1]]), 2);
    const ra = limiter.acquire('a');
    expect(outcome(() => limiter.acquire('a'))).toBe('486 trunk-busy');
    const rb = limiter.acquire('b');
    expect(outcome(() => limiter.acquire('b'))).toBe('503 bridge-busy');
    rb();
    rb();
    limiter.acquire('b');
    ra();
    limiter.acquire('a');
    expect(outcome(() => limiter.acquire('c'))).toBe('503 bridge-busy');
  });
});
