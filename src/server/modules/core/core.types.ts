/** Organisation kinds and department type codes of the platform. */
export const ORG_KINDS = ['district', 'street', 'community', 'department', 'agency'] as const;
export type OrgKind = (typeof ORG_KINDS)[number];

export const DEPT_TYPES = [
  'public_security',
  'procuratorate',
  'court',
  'finance',
  'urban_management',
  'transport',
  'housing',
  'ecology_environment',
  'market_regulation',
  'civil_affairs',
  'water_resources',
  'fire_rescue',
  'emergency_management',
  'justice',
  'health',
  'education',
  'community',
] as const;
export type DeptType = (typeof DEPT_TYPES)[number];

export const ROLES = [
  'admin',
  'command_center',
  'dept_staff',
  'grid_worker',
  'community_staff',
  'auditor',
  'viewer',
  // Seized property (涉案财物): the officer handling a case, the centre's clerk, the approving
  // leader and the finance bureau's officer — separate people by design.
  'case_officer',
  'property_clerk',
  'custody_leader',
  'finance_officer',
] as const;
export type Role = (typeof ROLES)[number];

export interface OrgRecord {
  id: string;
  parentId: string | null;
  kind: OrgKind;
  /** Set for departments and agencies, and 'community' for community offices. */
  deptType: DeptType | null;
  code: string;
  name: string;
}

export interface UserSeed {
  id: string;
  username: string;
  displayName: string;
  /** Mobile number, generated; never a real person's. */
  phone: string;
  orgId: string;
  roles: Role[];
  /** Root of the organisation subtree the user may see; null means the user's own org. */
  scopeOrgId: string | null;
  /** Grids the user is limited to (grid workers); empty = no grid restriction beyond the org scope. */
  gridIds: string[];
}

/** Chinese names of the department types, for server-made texts (routing explanations). */
export const DEPT_TYPE_NAMES: Record<DeptType, string> = {
  public_security: '公安',
  procuratorate: '检察院',
  court: '法院',
  finance: '财政',
  urban_management: '城管',
  transport: '交通运输',
  housing: '住建',
  ecology_environment: '生态环境',
  market_regulation: '市场监管',
  civil_affairs: '民政',
  water_resources: '水利',
  fire_rescue: '消防救援',
  emergency_management: '应急管理',
  justice: '司法行政',
  health: '卫生健康',
  education: '教育',
  community: '社区办公室',
};
