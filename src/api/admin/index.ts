export { createAdminRoutes } from './routes.js';
export { guardV1, roleOf } from './gate.js';
export { whoamiRoute, type SipEndpoint } from './whoami.js';
export { createAuthorizer, requiredRole, type ApiKey, type Role } from './auth.js';
export type { AdminControl } from './control.js';
export { openApiDocument } from './openapi.js';
export { toolRunRoutes, ToolSlots, type ToolRunners, type TestCallRequest, type BotCheckRequest } from './tool-runs.js';
