import { z } from 'zod';
import { ZPage } from '../../platform/http/schemas.js';
import { DEPT_TYPES, ORG_KINDS, ROLES } from './core.types.js';

const ZUsername = z
  .string()
  .min(2)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, dot, dash and underscore');
const ZPhone = z.string().regex(/^1\d{10}$/, 'an 11-digit mobile number starting with 1');

export const ZLogin = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) });
export const ZPasswordChange = z.object({ currentPassword: z.string().min(1).max(256), newPassword: z.string().min(1).max(256) });

export const ZMe = z.object({
  user: z.object({
    id: z.string(),
    username: z.string(),
    displayName: z.string(),
    orgId: z.string(),
    orgName: z.string(),
    roles: z.array(z.string()),
    permissions: z.array(z.string()),
  }),
  csrfToken: z.string().nullable(),
});

export const ZOrg = z.object({
  id: z.string(),
  parentId: z.string().nullable(),
  kind: z.string(),
  deptType: z.string().nullable(),
  code: z.string(),
  name: z.string(),
  childCount: z.number().optional(),
});
export const ZOrgCreate = z.object({
  parentId: z.uuid(),
  kind: z.enum(ORG_KINDS),
  deptType: z.enum(DEPT_TYPES).nullable().optional(),
  code: z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, dash and underscore'),
  name: z.string().trim().min(1).max(100),
});
export const ZOrgPatch = z
  .object({ name: z.string().trim().min(1).max(100).optional(), deptType: z.enum(DEPT_TYPES).nullable().optional() })
  .strict();

export const ZUser = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  phoneMasked: z.string().nullable(),
  orgId: z.string(),
  orgName: z.string(),
  roles: z.array(z.string()),
  active: z.boolean(),
  scopeOrgId: z.string().nullable(),
  gridIds: z.array(z.string()),
});
export const ZUserList = z.object({ items: z.array(ZUser), total: z.number() });
export const ZUserQuery = ZPage.extend({
  q: z.string().max(100).optional(),
  orgId: z.uuid().optional(),
  role: z.enum(ROLES).optional(),
});
export const ZUserCreate = z.object({
  username: ZUsername,
  displayName: z.string().trim().min(1).max(50),
  phone: ZPhone.nullable().optional(),
  orgId: z.uuid(),
  roles: z.array(z.enum(ROLES)).min(1),
  password: z.string().min(1).max(256),
  scopeOrgId: z.uuid().nullable().optional(),
  gridIds: z.array(z.uuid()).max(1000).optional(),
});
export const ZUserPatch = z
  .object({
    displayName: z.string().trim().min(1).max(50).optional(),
    phone: ZPhone.nullable().optional(),
    orgId: z.uuid().optional(),
    roles: z.array(z.enum(ROLES)).min(1).optional(),
    active: z.boolean().optional(),
    scopeOrgId: z.uuid().nullable().optional(),
    gridIds: z.array(z.uuid()).max(1000).optional(),
  })
  .strict();
export const ZResetPassword = z.object({ newPassword: z.string().min(1).max(256) });

export const ZAuditQuery = ZPage.extend({
  actor: z.string().max(100).optional(),
  action: z.string().max(100).optional(),
  targetType: z.string().max(50).optional(),
  targetId: z.string().max(100).optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
});
export const ZAuditItem = z.object({
  id: z.number(),
  at: z.string(),
  actorId: z.string().nullable(),
  actorName: z.string().nullable(),
  ip: z.string().nullable(),
  requestId: z.string().nullable(),
  action: z.string(),
  targetType: z.string(),
  targetId: z.string().nullable(),
  before: z.unknown(),
  after: z.unknown(),
});
