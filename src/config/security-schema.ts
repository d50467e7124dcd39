/**
 * `sip.security`: the guards of a listener facing the internet (issue #12). Every guard is on by default with
 * values that never throttle a carrier a trunk's allow list names; see README "Facing the internet".
 */
import { z } from 'zod';

const perSecond = z.number().min(0.1).max(1_000_000);

const floodSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Messages a second a source no trunk names may send, sustained. */
  ratePerSec: perSecond.default(30),
  /** ... and at once after a quiet spell. */
  burst: z.number().int().min(1).max(1_000_000).default(60),
  /** The budget of sources a trunk's allow list names (and registrars): larger, a carrier at 50 cps is far below. */
  trustedRatePerSec: perSecond.default(10_000),
  trustedBurst: z.number().int().min(1).max(10_000_000).default(20_000),
  /** A source over its budget is dropped silently for this long. */
  banSec: z.number().int().min(1).max(86_400).default(300),
  /** Sources tracked at once (least recently seen forgotten first), so a spoofed flood cannot grow memory. */
  maxSources: z.number().int().min(16).max(10_000_000).default(65_536),
});

const authLockoutSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Failed digest authentications from one source within windowSec that lock it out (at most 20). */
  maxFailures: z.number().int().min(1).max(20, 'at most 20: a lockout must come within 20 guesses').default(10),
  windowSec: z.number().int().min(1).max(86_400).default(60),
  /** First lockout; each further episode doubles it up to maxLockoutSec. */
  lockoutSec: z.number().int().min(1).max(86_400).default(300),
  maxLockoutSec: z.number().int().min(1).max(7 * 86_400).default(86_400),
});

const limitsSchema = z.strictObject({
  /** One UDP datagram or one framed TCP/TLS message; larger requests get 513. */
  maxMessageBytes: z.number().int().min(1024).max(65_535).default(16_384),
  /** Header fields per message; more: 513. */
  maxHeaders: z.number().int().min(16).max(1024).default(128),
  /** Bytes of one header value; longer: 513. */
  maxHeaderBytes: z.number().int().min(256).max(65_535).default(4096),
  /** Via entries; more: 513. */
  maxVias: z.number().int().min(1).max(256).default(20),
  /** Body bytes; larger: 413. */
  maxBodyBytes: z.number().int().min(0).max(65_535).default(10_240),
});

export const securitySchema = z
  .strictObject({
    /**
     * Out-of-dialog requests from sources no trunk allows (no allow-list entry, no credentials-only trunk, not a
     * registrar) are dropped silently instead of answered 403. `auto` (default): on when a listener binds
     * anything but loopback.
     */
    hideFromScanners: z.union([z.boolean(), z.literal('auto')]).default('auto'),
    /** User-Agent substrings (case-insensitive) dropped silently; unset: the built-in list (README). [] turns it off. */
    scannerUserAgents: z.array(z.string().min(1).max(64)).max(256).optional(),
    flood: floodSchema.prefault({}),
    authLockout: authLockoutSchema.prefault({}),
    limits: limitsSchema.prefault({}),
    /** TCP/TLS connections in total per listener (per source: sip.listen[].maxConnectionsPerSource). */
    maxConnections: z.number().int().min(1).max(1_000_000).default(4096),
    /** Toll-fraud caps per trunk, on top of the transfer allowlist. */
    tollFraud: z
      .strictObject({
        /** Transfers (bridged or REFER) running at once from one inbound trunk's calls; more fail with transfer-limit. */
        maxConcurrentTransfersPerTrunk: z.number().int().min(1).max(100_000).default(20),
        /** Calls POST /v1/calls may place through one outbound trunk in any minute; more get HTTP 429. */
        outboundCallsPerMinutePerTrunk: z.number().int().min(1).max(1_000_000).default(600),
      })
      .prefault({}),
    /** Inbound calls at once on all trunks together; more get 503 with Retry-After. Unset: no limit. */
    maxConcurrentCalls: z.number().int().min(1).max(1_000_000).optional(),
  })
  .superRefine((s, ctx) => {
    if (s.limits.maxBodyBytes >= s.limits.maxMessageBytes) {
      ctx.addIssue({ code: 'custom', path: ['limits', 'maxBodyBytes'], message: 'must be below limits.maxMessageBytes' });
    }
    if (s.authLockout.maxLockoutSec < s.authLockout.lockoutSec) {
      ctx.addIssue({ code: 'custom', path: ['authLockout', 'maxLockoutSec'], message: 'must be at least authLockout.lockoutSec' });
    }
  });

export type SecurityConfig = z.infer<typeof securitySchema>;
