/** Public surface of the core module (organisations, users, authentication, audit search). */
export { createAuthService, hashPassword, sha256, type AuthService } from './core.auth.js';
export { createCoreService, maskName, maskPhone, type CoreService, type GridLinks } from './core.service.js';
export { registerCoreRoutes } from './core.routes.js';
export { findOrg, findOrgByCode, findUserByUsername, insertOrg, insertUser, getSetting, putSetting, deleteExpiredSessions } from './core.repository.js';
export { gridInScope, orgInScope, requirePermission, permissionsOf, ROLE_PERMISSIONS, ROLE_LABELS } from './core.policy.js';
export * from './core.types.js';
