import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { CallRejectedError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';
import { parseConfig } from '../../../src/config/index.js';
import { digestResponse, type DigestAlgorithm } from '../../../src/sip/auth/digest.js';
import { formatAuthHeader, parseAuthHeader } from '../../../src/sip/auth/digest-params.js';
import { DigestServer } from '../../../src/sip/auth/digest-server.js';
import { HostResolver, InboundRouter, TrunkCallLimiter, normalizeDialed, type RouteRequest } from '../../../src/trunks/index.js';
import { waitFor } from '../../helpers/wait-for.js';

const cfg = parseConfig(`
bots:
  echo: { builtin: echo }
  sales: { url: "ws://127.0.0.1:9000/s" }
  support: { url: "ws://127.0.0.1:9000/t" }
inboundTrunks:
  - name: pbx
    credentials: [{ username: pbx1, password: Abcdefgh1234 }, { username: pbx2, password: Zyxwvuts9876 }]
    realm: pbx.example.com
    bot: echo
  - name: acme
    domain: acme.sip.example.com
    allow: ["127.0.0.5"]
    credentials: [{ username: acme, password: AcmeSecret123 }]
    bot: support
  - name: carrier
    allow: ["127.0.0.1", "carrier.example.net"]
    country: GB
    routingHeader: X-Agent-ID
    requireE164From: true
    numbers: { "02079460018": { bot: sales } }
    bot: echo
  - name: strict
    allow: ["127.0.0.2"]
    numbers: { "+15550100": { bot: sales } }
`);

function rejection(fn: () => unknown): CallRejectedError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CallRejectedError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

function authorize(challenge: string, user: string, password: string, nc = '00000001'): string {
  const c = parseAuthHeader(challenge)!.params;
  const f = {
    algorithm: c.get('algorithm') as DigestAlgorithm,
    username: user,
    realm: c.get('realm')!,
    password,
    method: 'INVITE',
    uri: 'sip:+15550100@127.0.0.1',
    nonce: c.get('nonce')!,
    qop: 'auth' as const,
    nc,
    cnonce: 'c0ffee',
  };
  return formatAuthHeader('Digest', [
    ['username', user], ['realm', f.realm], ['nonce', f.nonce], ['uri', f.uri], ['response', digestResponse(f)],
    ['algorithm', f.algorithm], ['qop', 'auth'], ['nc', nc], ['cnonce', f.cnonce],
  ]);
}

describe('InboundRouter: trunk authentication', () => {
  const clock = new ManualClock();
  const router = new InboundRouter(cfg.inboundTrunks, {
    botNames: Object.keys(cfg.bots),
    digest: new DigestServer({ clock, nonceLifetimeMs: 60_000 }),
    resolveHost: (name) => (name === 'carrier.example.net' ? ['127.0.0.9'] : []),
  });
  const base: RouteRequest = { sourceAddress: '203.0.113.50', requestUser: '+15550100', toUser: '', fromUser: '+447700900123', method: 'INVITE' };

  it('challenges an unknown source when a trunk has credentials, with SHA-256 and MD5', () => {
    const err = rejection(() => router.route(base));
    expect([err.sipStatus, err.reason]).toEqual([401, 'auth-challenge']);
    const challenges = err.headers['WWW-Authenticate'] as string[];
    expect(challenges.map((c) => parseAuthHeader(c)!.params.get('algorithm'))).toEqual(['SHA-256', 'MD5']);
    expect(parseAuthHeader(challenges[0])!.params.get('realm')).toBe('pbx.example.com');
  });

  it('admits the retry with right credentials of any of the trunk users, 403 for a wrong password', () => {
    const challenge = (rejection(() => router.route(base)).headers['WWW-Authenticate'] as string[])[1];
    for (const [user, pw] of [['pbx1', 'Abcdefgh1234'], ['pbx2', 'Zyxwvuts9876']]) {
      const ch = (rejection(() => router.route(base)).headers['WWW-Authenticate'] as string[])[0];
      expect(router.route({ ...base, headers: [['Authorization', authorize(ch, user, pw)]] })).toEqual({ trunk: 'pbx', bot: 'echo', number: '+15550100' });
    }
    const wrong = rejection(() => router.route({ ...base, headers: [['Authorization', authorize(challenge, 'pbx1', 'Wrongpass1234')]] }));
    expect([wrong.sipStatus, wrong.reason]).toEqual([403, 'bad-credentials']);
  });

  it('rejects a replayed Authorization and answers an old nonce with stale=true', () => {
    const ch = (rejection(() => router.route(base)).headers['WWW-Authenticate'] as string[])[0];
    const auth = authorize(ch, 'pbx1', 'Abcdefgh1234');
    expect(router.route({ ...base, headers: [['Authorization', auth]] }).trunk).toBe('pbx');
    expect(rejection(() => router.route({ ...base, headers: [['Authorization', auth]] })).sipStatus).toBe(403);
    const later = (rejection(() => router.route(base)).headers['WWW-Authenticate'] as string[])[0];
    clock.advance(60_001);
    const stale = rejection(() => router.route({ ...base, headers: [['Authorization', authorize(later, 'pbx1', 'Abcdefgh1234')]] }));
    expect([stale.sipStatus, stale.reason]).toEqual([401, 'auth-stale']);
    expect((stale.headers['WWW-Authenticate'] as string[])[0]).toMatch(/stale=true/);
  });

  it('routes by SIP domain: the owning trunk needs its source and its credentials', () => {
    const req = { ...base, sourceAddress: '127.0.0.5', requestHost: 'ACME.sip.example.com' };
    const err = rejection(() => router.route(req));
    expect(parseAuthHeader((err.headers['WWW-Authenticate'] as string[])[0])!.params.get('realm')).toBe('acme.sip.example.com');
    const ch = (err.headers['WWW-Authenticate'] as string[])[0];
    expect(router.route({ ...req, headers: [['Authorization', authorize(ch, 'acme', 'AcmeSecret123')]] }).trunk).toBe('acme');
    // Right domain, wrong source: 403 without a challenge.
    expect(rejection(() => router.route({ ...req, sourceAddress: '127.0.0.6' })).sipStatus).toBe(403);
  });

  it('allows sources by host name through the resolver, and refuses unknown sources with 403 when no credentials apply', () => {
    const viaName = router.route({ ...base, sourceAddress: '::ffff:127.0.0.9', requestUser: '999' });
    expect(viaName.trunk).toBe('carrier');
    const noCreds = new InboundRouter(cfg.inboundTrunks.filter((t) => t.credentials.length === 0), { botNames: ['echo'] });
    const err = rejection(() => noCreds.route(base));
    expect([err.sipStatus, err.reason]).toEqual([403, 'source-not-allowed']);
  });
});

describe('InboundRouter: routing rules', () => {
  const router = new InboundRouter(cfg.inboundTrunks, { botNames: Object.keys(cfg.bots), digest: new DigestServer({ clock: new ManualClock() }) });
  const carrier: RouteRequest = { sourceAddress: '127.0.0.1', requestUser: '02079460018', toUser: '', fromUser: '+447700900123' };

  it('normalises a national number with the trunk country and matches the DID', () => {
    expect(router.route(carrier)).toEqual({ trunk: 'carrier', bot: 'sales', number: '02079460018' });
    expect(router.route({ ...carrier, requestUser: '+442079460018' }).bot).toBe('sales');
    expect(router.route({ ...carrier, requestUser: '', toUser: '00442079460018' }).bot).toBe('sales');
  });

  it('prefers the routing header naming a bot, ignores one naming no bot', () => {
    expect(router.route({ ...carrier, headers: [['x-agent-id', 'support']] }).bot).toBe('support');
    expect(router.route({ ...carrier, headers: [['X-Agent-ID', 'nobody']] }).bot).toBe('sales');
  });

  it('reaches a bot by name in the Request-URI, then the trunk bot, else 404', () => {
    expect(router.route({ ...carrier, requestUser: 'support' }).bot).toBe('support');
    expect(router.route({ ...carrier, requestUser: '01632960000' })).toEqual({ trunk: 'carrier', bot: 'echo', number: '+441632960000' });
    const strict = { sourceAddress: '127.0.0.2', requestUser: '+15550199', toUser: '' };
    expect(rejection(() => router.route(strict)).reason).toBe('number-not-routed');
  });

  it('refuses a non-E.164 From on a trunk with requireE164From', () => {
    const err = rejection(() => router.route({ ...carrier, fromUser: 'anonymous' }));
    expect([err.sipStatus, err.reason]).toEqual([404, 'from-not-e164']);
  });
});

describe('normalizeDialed (inbound routing reading of the dialed number)', () => {
  it.each([
    ['+15550100', undefined, '+15550100'],
    // Same rule as outbound toE164 (number-format.ts): bare international digits without a country.
    ['12025550100', undefined, '+12025550100'],
    ['06 1234 5678', 'IT', '+390612345678'],
    // Not normalisable: kept as dialed.
    ['5550100', 'US', '5550100'],
    ['2079460018', 'GB', '2079460018'],
    ['2025550100', 'US', '+12025550100'],
    ['12025550100', 'US', '+12025550100'],
    ['011442079460018', 'US', '+442079460018'],
    ['020 7946 0018', 'GB', '+442079460018'],
    ['00919876543210', undefined, '+919876543210'],
    ['09876543210', 'IN', '+919876543210'],
    ['1000', 'GB', '1000'],
    ['sales', 'GB', 'sales'],
  ])('%s (%s) -> %s', (input, country, out) => expect(normalizeDialed(input, country)).toBe(out));
});

describe('TrunkCallLimiter', () => {
  it('refuses the call over the limit with 486 and frees slots once', () => {
    const l = new TrunkCallLimiter(new Map([['a', 2]]));
    const r1 = l.acquire('a');
    l.acquire('a');
    expect(rejection(() => l.acquire('a')).sipStatus).toBe(486);
    r1();
    r1();
    expect(l.activeOn('a')).toBe(1);
    l.acquire('a');
    expect(l.acquire('unlimited')).toBeTypeOf('function');
  });
});

describe('HostResolver', () => {
  it('resolves at start and on the clock, keeping the last good answer when a lookup fails', async () => {
    const clock = new ManualClock();
    let answer: string[] | Error = ['127.0.0.7'];
    const r = new HostResolver(['localhost'], {
      clock,
      logger: silentLogger(),
      refreshMs: 1000,
      lookup: async () => {
        if (answer instanceof Error) throw answer;
        return answer;
      },
    });
    await r.start();
    expect(r.addressesOf('localhost')).toEqual(['127.0.0.7']);
    answer = ['127.0.0.8'];
    clock.advance(1000);
    await waitFor(() => r.addressesOf('localhost')[0] === '127.0.0.8', { timeoutMs: 1000, intervalMs: 5, onTimeout: 'resolve' });
    expect(r.addressesOf('localhost')).toEqual(['127.0.0.8']);
    answer = new Error('SERVFAIL');
    clock.advance(1000);
    // Part of the assertion: the failed lookup has had time to settle, and the last good answer is kept.
    await new Promise((res) => setTimeout(res, 10));
    expect(r.addressesOf('localhost')).toEqual(['127.0.0.8']);
    r.stop();
  });

  it('resolves localhost with the system resolver', async () => {
    const r = new HostResolver(['localhost'], { clock: new ManualClock(), logger: silentLogger() });
    await r.refresh();
    expect(r.addressesOf('localhost').some((a) => a === '127.0.0.1' || a === '::1')).toBe(true);
  });
});
