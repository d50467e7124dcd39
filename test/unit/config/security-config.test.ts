import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/index.js';
import { ConfigError } from '../../../src/core/errors.js';
import { buildSecurity, hidesFromScanners } from '../../../src/app/security.js';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { SecurityMetrics } from '../../../src/metrics/index.js';
import { Registry } from 'prom-client';
import type { SipEndpoint } from '../../../src/sip/transport/transport.js';
import type { SipRequest } from '../../../src/sip/message/types.js';

function paths(text: string): string[] {
  try {
    parseConfig(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => i.path);
  }
  throw new Error('expected ConfigError');
}

describe('sip.security config', () => {
  it('every guard is on by default', () => {
    const s = parseConfig('').sip.security;
    expect(s).toMatchObject({
      hideFromScanners: 'auto',
      flood: { enabled: true, ratePerSec: 30, burst: 60, banSec: 300, maxSources: 65_536 },
      authLockout: { enabled: true, maxFailures: 10, windowSec: 60, lockoutSec: 300 },
      limits: { maxMessageBytes: 16_384, maxHeaders: 128, maxVias: 20, maxBodyBytes: 10_240 },
      maxConnections: 4096,
    });
    expect(s.scannerUserAgents).toBeUndefined();
  });

  const bad: Array<[string, string]> = [
    ['sip: { security: { authLockout: { maxFailures: 21 } } }', 'sip.security.authLockout.maxFailures'],
    ['sip: { security: { flood: { ratePerSec: 0 } } }', 'sip.security.flood.ratePerSec'],
    ['sip: { security: { limits: { maxMessageBytes: 100, maxBodyBytes: 0 } } }', 'sip.security.limits.maxMessageBytes'],
    ['sip: { security: { limits: { maxBodyBytes: 20000 } } }', 'sip.security.limits.maxBodyBytes'],
    ['sip: { security: { hideFromScanners: sometimes } }', 'sip.security.hideFromScanners'],
    ['sip: { security: { floood: {} } }', 'sip.security.floood'],
    ['sip: { security: { authLockout: { lockoutSec: 600, maxLockoutSec: 60 } } }', 'sip.security.authLockout.maxLockoutSec'],
  ];
  for (const [text, path] of bad) it(`rejects ${text} naming ${path}`, () => expect(paths(text)).toEqual([path]));

  it('hideFromScanners auto: on for a listener off loopback, off on loopback only', () => {
    expect(hidesFromScanners(parseConfig(''))).toBe(true);
    expect(hidesFromScanners(parseConfig('sip: { listen: [{ host: 127.0.0.1 }] }'))).toBe(false);
    expect(hidesFromScanners(parseConfig('sip: { listen: [{ host: 127.0.0.1 }], security: { hideFromScanners: true } }'))).toBe(true);
  });
});

describe('admission (app/security)', () => {
  const req = {} as SipRequest;
  const src = (address: string): SipEndpoint => ({ address, port: 5060, transport: 'udp' });
  function wiring(text: string) {
    const config = parseConfig(text);
    return buildSecurity(config, {
      clock: new ManualClock(),
      logger: silentLogger(),
      metrics: new SecurityMetrics(new Registry()),
      sources: { trunksForSource: (a) => (a === '198.51.100.1' ? ['carrier'] : []), registrarAddresses: () => [new Set(['198.51.100.9'])],
        openToAll: () => config.inboundTrunks.some((t) => t.allow.length === 0 && t.credentials.length > 0),
      },
    });
  }

  it('hides from sources no trunk allows; allow-listed sources and registrars pass', () => {
    const w = wiring('sip: { security: { hideFromScanners: true } }\ninboundTrunks: [{ name: carrier, allow: ["198.51.100.1"] }]');
    expect(w.sip.admit!(req, src('203.0.113.7'))).toBe('hidden');
    expect(w.sip.admit!(req, src('198.51.100.1'))).toBe('accept');
    expect(w.sip.admit!(req, src('198.51.100.9'))).toBe('accept');
    expect(w.sip.isTrusted!('198.51.100.1')).toBe(true);
    expect(w.sip.isTrusted!('203.0.113.7')).toBe(false);
  });

  it('a credentials-only trunk takes calls from anywhere: nothing hidden; a locked-out source is dropped', () => {
    const w = wiring(
      'sip: { security: { hideFromScanners: true, authLockout: { maxFailures: 2 } } }\nbots: { echo: { builtin: echo } }\n' +
        'inboundTrunks: [{ name: pbx, credentials: [{ username: u1, password: Abcdefgh1234 }], bot: echo }]',
    );
    expect(w.sip.admit!(req, src('203.0.113.7'))).toBe('accept');
    w.lockout!.failed('203.0.113.7');
    w.lockout!.failed('203.0.113.7');
    expect(w.sip.admit!(req, src('203.0.113.7'))).toBe('locked-out');
    expect(w.sip.admit!(req, src('203.0.113.8'))).toBe('accept');
  });

  it('guards switched off are off', () => {
    const w = wiring('sip: { security: { hideFromScanners: false, flood: { enabled: false }, authLockout: { enabled: false }, scannerUserAgents: [] } }');
    expect(w.sip.admit!(req, src('203.0.113.7'))).toBe('accept');
    expect(w.sip.flood).toBeUndefined();
    expect(w.lockout).toBeUndefined();
    expect(w.sip.scannerUserAgents).toEqual([]);
  });
});
