export { createAdminRoutes } from './routes.js';
export { guardV1, roleOf } from './gate.js';
export { whoamiRoute, type SipEndpoint } from './whoami.js';
export { createAuthorizer, requiredRole, type ApiKey, type Role } from './auth.js';
export type { AdminControl } from './control.js';
export { openApiDocument } from './openapi.js';
