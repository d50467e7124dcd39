export { InboundRouter, type InboundRouterOptions } from './inbound-router.js';
export type { RouteRequest, RouteDecision } from './inbound-router.js';
export { HostResolver, systemLookup, type LookupFn } from './host-resolver.js';
export { TrunkCallLimiter } from './call-limiter.js';
export { toE164, isE164, normalizeDialed, formatNumber, DIAL_PLANS } from './number-format.js';
export type { ForwardToConfig, InboundNumberConfig, InboundTrunkConfig, OutboundTrunkConfig, TrunkDigestAlgorithm } from './trunk-config.js';
export type { DigestVerifier, DigestVerdict } from './digest-verifier.js';
export type { AuthFailureGuard } from './inbound-router.js';
export { AuthLockout, MAX_FAILURES_CEILING, type AuthLockoutOptions, type LockoutEpisode } from './auth-lockout.js';
