/** Public surface of the custody module (涉案财物管理 and 证据通). */
export { createCustodyService, type CustodyService, DEFAULT_SETTINGS, WARNING_LABELS } from './custody.service.js';
export { registerCustodyRoutes } from './custody.routes.js';
export { loadSigningKey, signingKeyFrom, type SigningKey } from './custody.chain.js';
export { sealCheckpoints, verifyCustody, type VerifyReport } from './custody.integrity.js';
export * from './custody.model.js';
export { createEvidenceService, type EvidenceService } from './custody.evidence.js';
export { registerEvidenceRoutes, EVIDENCE_UPLOAD_PATH } from './custody.evidence.routes.js';
