/**
 * Wires `sip.security` (issue #12): the SIP user agent's guards (budgets, limits, scanners, admission) and the
 * digest lockout of inbound routing, with their metrics and the one log line per lockout episode.
 */
import { isIP } from 'node:net';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Config } from '../config/index.js';
import type { SecurityMetrics } from '../metrics/index.js';
import { DEFAULT_SCANNER_USER_AGENTS } from '../sip/security/scanners.js';
import type { SipSecurityOptions } from '../sip/security/options.js';
import { AuthLockout, type AuthFailureGuard } from '../trunks/index.js';

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/** What the guards need to know about sources, filled in as the app builds its layers. */
export interface SourceKnowledge {
  /** Trunks whose allow list names the address. */
  trunksForSource(address: string): readonly string[];
  /** Addresses of the registrars we register with (their INVITEs and OPTIONS are expected). */
  registrarAddresses(): Iterable<ReadonlySet<string>>;
  /** True while a trunk with credentials and no allow list exists: every source may try it. */
  openToAll(): boolean;
}

/** The guards built from the config: the UA's options and the router's lockout. */
export interface SecurityWiring {
  sip: SipSecurityOptions;
  /** Absent when `authLockout.enabled` is false. */
  lockout: AuthFailureGuard | undefined;
}

/** True when `sip.security.hideFromScanners` applies: explicitly, or `auto` with a listener off loopback. */
export function hidesFromScanners(config: Config): boolean {
  const mode = config.sip.security.hideFromScanners;
  if (mode !== 'auto') return mode;
  return config.sip.listen.some((l) => !LOOPBACK.test(l.host));
}

export function buildSecurity(config: Config, deps: { clock: Clock; logger: Logger; metrics: SecurityMetrics; sources: SourceKnowledge }): SecurityWiring {
  const s = config.sip.security;
  const { metrics, sources } = deps;
  const log = deps.logger.child({ layer: 'security' });
  const lockout = s.authLockout.enabled ? buildLockout(config, deps.clock, log, metrics) : undefined;
  const outboundIps = new Set(config.outboundTrunks.flatMap((t) => [t.host, t.proxy?.host ?? ''].filter((h) => isIP(h) !== 0)));
  const isRegistrar = (address: string) => [...sources.registrarAddresses()].some((set) => set.has(address));
  const isTrusted = (address: string) => sources.trunksForSource(address).length > 0 || isRegistrar(address) || outboundIps.has(address);
  const hide = hidesFromScanners(config);
  const sip: SipSecurityOptions = {
    limits: { ...s.limits },
    scannerUserAgents: s.scannerUserAgents ?? DEFAULT_SCANNER_USER_AGENTS,
    maxConnections: s.maxConnections,
    isTrusted,
    admit: (_req, source) => {
      if (lockout?.isLockedOut(source.address)) return 'locked-out';
      if (hide && !sources.openToAll() && !isTrusted(source.address)) return 'hidden';
      return 'accept';
    },
    observer: {
      rejected: (reason) => metrics.guard(reason),
      banned: () => metrics.sourcesBanned.inc(),
    },
  };
  if (s.flood.enabled) {
    sip.flood = {
      untrusted: { rate: s.flood.ratePerSec, burst: s.flood.burst },
      trusted: { rate: s.flood.trustedRatePerSec, burst: s.flood.trustedBurst },
      banMs: s.flood.banSec * 1000,
      maxSources: s.flood.maxSources,
    };
  }
  return { sip, lockout };
}

/** The lockout, counted in metrics; each episode logged once (usernames, never passwords). */
function buildLockout(config: Config, clock: Clock, log: Logger, metrics: SecurityMetrics): AuthFailureGuard {
  const c = config.sip.security.authLockout;
  const lockout = new AuthLockout({
    clock,
    maxFailures: c.maxFailures,
    windowMs: c.windowSec * 1000,
    lockoutMs: c.lockoutSec * 1000,
    maxLockoutMs: c.maxLockoutSec * 1000,
    onLockout: (e) => {
      metrics.authLockouts.inc();
      log.warn(
        { source: e.source, failures: e.failures, usernames: e.usernames, lockoutSec: Math.round(e.lockoutMs / 1000), episode: e.episode },
        'digest authentication failing repeatedly: source locked out',
      );
    },
  });
  return {
    isLockedOut: (source) => lockout.isLockedOut(source),
    // Each failure is counted as a refused call (trunkbridge_sip_auth_failures_total, metrics/sip-metrics.ts).
    failed: (source, username) => lockout.failed(source, username),
    succeeded: (source) => lockout.succeeded(source),
  };
}
