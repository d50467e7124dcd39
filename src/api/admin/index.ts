export { createAdminRoutes } from './routes.js';
export { guardV1 } from './gate.js';
export { createAuthorizer, requiredRole, type ApiKey, type Role } from './auth.js';
export type { AdminControl } from './control.js';
export { openApiDocument } from './openapi.js';
