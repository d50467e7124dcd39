export { InboundRouter } from './inbound-router.js';
export type { RouteRequest, RouteDecision } from './inbound-router.js';
