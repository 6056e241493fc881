import type { Actor } from '../../platform/http/context.js';
import { can } from '../../platform/http/context.js';
import { notFound } from '../../platform/http/errors.js';
import type { Role } from './core.types.js';

export const PERMISSIONS = [
  'org.read',
  'org.write',
  'user.read',
  'user.write',
  'grid.read',
  'grid.write',
  'address.read',
  'address.write',
  'audit.read',
  'personal.read',
  'report.read',
  'report.create',
  'report.triage',
  'report.dispatch',
  'report.handle',
  'report.verify',
  'report.close',
  'report.supervise',
  'report.approve',
  'report.configure',
  'webhook.write',
  'alert.read',
  'alert.verify',
  'alert.configure',
  'device.ingest',
  'household.read',
  'household.write',
  'recon.import',
  'custody.read',
  'custody.register',
  'custody.keep',
  'custody.locations',
  'custody.approve',
  'custody.transfer',
  'custody.treasury',
  'custody.display',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** What each role may do; the data scope (org subtree, grids) limits where. */
export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: PERMISSIONS,
  command_center: [
    'org.read',
    'user.read',
    'grid.read',
    'address.read',
    'address.write',
    'personal.read',
    'report.read',
    'report.create',
    'report.triage',
    'report.dispatch',
    'report.verify',
    'report.close',
    'report.supervise',
    'report.approve',
    'alert.read',
    'alert.configure',
    'household.read',
    'recon.import',
  ],
  dept_staff: ['org.read', 'grid.read', 'address.read', 'report.read', 'report.create', 'report.handle', 'alert.read'],
  grid_worker: ['grid.read', 'address.read', 'report.read', 'report.create', 'report.handle', 'report.verify', 'alert.read', 'alert.verify', 'household.read'],
  community_staff: [
    'org.read',
    'user.read',
    'grid.read',
    'grid.write',
    'address.read',
    'address.write',
    'personal.read',
    'report.read',
    'report.create',
    'report.verify',
    'alert.read',
    'alert.verify',
    'household.read',
    'household.write',
  ],
  auditor: ['org.read', 'user.read', 'grid.read', 'address.read', 'audit.read', 'report.read', 'alert.read', 'custody.read'],
  viewer: ['org.read', 'grid.read', 'address.read', 'report.read', 'alert.read'],
  // Separation of duties: the officer registers and requests, the clerk keeps and carries out,
  // the leader approves, finance receives confiscations; no role does a transaction end to end.
  case_officer: ['org.read', 'user.read', 'custody.read', 'custody.register', 'custody.transfer', 'custody.display', 'personal.read'],
  property_clerk: ['org.read', 'user.read', 'custody.read', 'custody.keep', 'custody.locations'],
  custody_leader: ['org.read', 'user.read', 'custody.read', 'custody.approve', 'custody.transfer', 'custody.display'],
  finance_officer: ['org.read', 'custody.read', 'custody.transfer', 'custody.treasury'],
};

export const ROLE_LABELS: Record<Role, string> = {
  admin: '系统管理员',
  command_center: '指挥中心',
  dept_staff: '部门工作人员',
  grid_worker: '网格员',
  community_staff: '社区（街道）工作人员',
  auditor: '审计员',
  viewer: '只读用户',
  case_officer: '办案人员',
  property_clerk: '涉案财物管理员',
  custody_leader: '审批领导',
  finance_officer: '财政人员',
};

export function permissionsOf(roles: readonly string[]): Set<string> {
  const set = new Set<string>();
  for (const r of roles) for (const p of ROLE_PERMISSIONS[r as Role] ?? []) set.add(p);
  return set;
}

/**
 * Requires a permission. Lacking it answers like a missing resource (404), so callers
 * learn nothing about what exists outside their remit.
 */
export function requirePermission(actor: Actor, permission: Permission): void {
  if (!can(actor, permission)) throw notFound('resource');
}

/** True when an organisation (by its materialised path) is inside the actor's scope. */
export function orgInScope(actor: Actor, orgPath: string): boolean {
  return orgPath.startsWith(actor.scopePath);
}

/** True when a grid is visible: its community is in scope and, for grid-bound actors, it is theirs. */
export function gridInScope(actor: Actor, grid: { id: string; communityPath: string }): boolean {
  if (!orgInScope(actor, grid.communityPath)) return false;
  return actor.gridIds === null || actor.gridIds.includes(grid.id);
}

/** Grid workers are bound to their grids; other roles see whole organisation subtrees. */
export function isGridBound(roles: readonly string[]): boolean {
  return roles.length > 0 && roles.every((r) => r === 'grid_worker');
}
