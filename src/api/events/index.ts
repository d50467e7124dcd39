/** The live event stream (GET /v1/events): SSE framing, one client, the hub, the route. */
export { sseComment, sseEvent, sseRetry } from './sse.js';
export { SseClient, type SseClientOptions, type StreamResponse } from './sse-client.js';
export { LiveEvents, type LiveEvent, type LiveEventSource, type LiveEventsOptions, type RegistrationStateView } from './live-events.js';
export { eventsRoute } from './events-route.js';
