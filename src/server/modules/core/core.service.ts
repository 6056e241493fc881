import type { Db, DbOrTx } from '../../db.js';
import { recordAudit } from '../../platform/audit/audit.js';
import { searchAudit, type AuditFilter } from '../../platform/audit/audit.repository.js';
import type { ActorContext } from '../../platform/http/context.js';
import { conflict, invalid, notFound } from '../../platform/http/errors.js';
import { checkPasswordStrength, hashPassword } from './core.auth.js';
import { orgInScope, requirePermission } from './core.policy.js';
import * as repo from './core.repository.js';
import type { OrgKind } from './core.types.js';

/** Masks a mobile number for lists: 13812341234 → 138****1234. */
export function maskPhone(phone: string | null): string | null {
  if (!phone) return phone;
  if (phone.length <= 7) return phone.replace(/.(?=.{2})/g, '*');
  return `${phone.slice(0, 3)}${'*'.repeat(phone.length - 7)}${phone.slice(-4)}`;
}

/** Masks a person's name for lists: 王小明 → 王**. */
export function maskName<T extends string | null>(name: T): T {
  if (!name) return name;
  return (name.slice(0, 1) + '*'.repeat(Math.max(1, name.length - 1))) as T;
}

/** Links between users and the grids they work in; owned by the geo module. */
export interface GridLinks {
  gridsOfUsers(db: DbOrTx, userIds: string[]): Promise<Map<string, string[]>>;
  /** Replaces the user's grids; throws 404 naming gridIds when one is not visible to the actor. */
  setGridsOfUser(tx: DbOrTx, ctx: ActorContext, userId: string, gridIds: string[]): Promise<void>;
}

/** Which parent kinds each kind of organisation may hang under. */
const ALLOWED_PARENTS: Record<OrgKind, (OrgKind | null)[]> = {
  district: [null],
  street: ['district'],
  community: ['street'],
  department: ['district', 'street', 'agency', 'department'],
  agency: ['district', 'street', 'agency', 'department'],
};

export interface OrgInput {
  parentId: string;
  kind: OrgKind;
  deptType?: string | null;
  code: string;
  name: string;
}

export interface UserInput {
  username: string;
  displayName: string;
  phone?: string | null;
  orgId: string;
  roles: string[];
  password: string;
  scopeOrgId?: string | null;
  gridIds?: string[];
}

export type UserPatch = Partial<Omit<UserInput, 'username' | 'password'>> & { active?: boolean };

function presentOrg(o: repo.OrgRow & { child_count?: number | string | null }) {
  return {
    id: o.id,
    parentId: o.parent_id,
    kind: o.kind,
    deptType: o.dept_type,
    code: o.code,
    name: o.name,
    ...(o.child_count !== undefined ? { childCount: Number(o.child_count ?? 0) } : {}),
  };
}

export function createCoreService(db: Db, gridLinks: GridLinks) {
  async function visibleOrg(ctx: ActorContext, db2: DbOrTx, id: string, what = 'organisation') {
    const org = await repo.findOrg(db2, id);
    if (!org || !orgInScope(ctx.actor, org.path)) throw notFound(what);
    return org;
  }

  async function visibleUser(ctx: ActorContext, db2: DbOrTx, id: string) {
    const u = await repo.findUser(db2, id);
    if (!u || !orgInScope(ctx.actor, u.org_path)) throw notFound('user');
    return u;
  }

  async function presentUsers(rows: repo.UserRow[]) {
    const grids = await gridLinks.gridsOfUsers(db, rows.map((r) => r.id));
    return rows.map((u) => ({
      id: u.id,
      username: u.username,
      displayName: u.display_name,
      phoneMasked: maskPhone(u.phone),
      orgId: u.org_id,
      orgName: u.org_name,
      roles: u.roles,
      active: u.active,
      scopeOrgId: u.scope_org_id,
      gridIds: grids.get(u.id) ?? [],
    }));
  }

  return {
    async listOrgs(ctx: ActorContext) {
      requirePermission(ctx.actor, 'org.read');
      const rows = await repo.listOrgsUnder(db, ctx.actor.scopePath);
      return rows.map(presentOrg);
    },

    async createOrg(ctx: ActorContext, input: OrgInput) {
      requirePermission(ctx.actor, 'org.write');
      return db.transaction().execute(async (tx) => {
        const parent = await visibleOrg(ctx, tx, input.parentId, 'parent organisation');
        if (!ALLOWED_PARENTS[input.kind].includes(parent.kind as OrgKind)) {
          throw invalid('parentId', `a ${input.kind} cannot be placed under a ${parent.kind}`);
        }
        if (await repo.findOrgByCode(tx, input.code)) throw conflict(`organisation code ${input.code} is already used`);
        const deptType = input.kind === 'community' ? 'community' : (input.deptType ?? null);
        const org = await repo.insertOrg(tx, {
          parentId: parent.id,
          parentPath: parent.path,
          kind: input.kind,
          deptType,
          code: input.code,
          name: input.name,
        });
        await recordAudit(tx, ctx, { action: 'org.created', targetType: 'org', targetId: org.id, after: presentOrg(org) });
        return presentOrg(org);
      });
    },

    async updateOrg(ctx: ActorContext, id: string, patch: { name?: string; deptType?: string | null }) {
      requirePermission(ctx.actor, 'org.write');
      return db.transaction().execute(async (tx) => {
        const before = await visibleOrg(ctx, tx, id);
        const after = await repo.updateOrg(tx, id, {
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.deptType !== undefined ? { dept_type: patch.deptType } : {}),
        });
        await recordAudit(tx, ctx, { action: 'org.updated', targetType: 'org', targetId: id, before: presentOrg(before), after: presentOrg(after) });
        return presentOrg(after);
      });
    },

    async listUsers(ctx: ActorContext, f: { q?: string; orgId?: string; role?: string }, page: { page: number; pageSize: number }) {
      requirePermission(ctx.actor, 'user.read');
      const { items, total } = await repo.listUsers(
        db,
        { pathPrefix: ctx.actor.scopePath, ...f },
        { offset: (page.page - 1) * page.pageSize, limit: page.pageSize },
      );
      return { items: await presentUsers(items), total };
    },

    async getUser(ctx: ActorContext, id: string) {
      requirePermission(ctx.actor, 'user.read');
      const [u] = await presentUsers([await visibleUser(ctx, db, id)]);
      return u;
    },

    /** The signed-in user's own record: needs no permission. */
    async getSelf(ctx: ActorContext) {
      const u = await repo.findUser(db, ctx.actor.userId);
      if (!u) throw notFound('user');
      const [self] = await presentUsers([u]);
      return self;
    },

    /** The unmasked phone number; every read is audited. */
    async getUserContact(ctx: ActorContext, id: string) {
      requirePermission(ctx.actor, 'personal.read');
      return db.transaction().execute(async (tx) => {
        const u = await visibleUser(ctx, tx, id);
        await recordAudit(tx, ctx, { action: 'user.contact_read', targetType: 'user', targetId: id, after: { fields: ['phone'] } });
        return { phone: u.phone };
      });
    },

    async createUser(ctx: ActorContext, input: UserInput) {
      requirePermission(ctx.actor, 'user.write');
      checkPasswordStrength('password', input.password);
      const passwordHash = await hashPassword(input.password);
      const id = await db.transaction().execute(async (tx) => {
        await visibleOrg(ctx, tx, input.orgId);
        if (input.scopeOrgId) await visibleOrg(ctx, tx, input.scopeOrgId, 'scope organisation');
        if (await repo.usernameTaken(tx, input.username)) throw conflict(`username ${input.username} is already taken`);
        const userId = await repo.insertUser(tx, {
          username: input.username,
          displayName: input.displayName,
          phone: input.phone ?? null,
          orgId: input.orgId,
          roles: input.roles,
          scopeOrgId: input.scopeOrgId ?? null,
          passwordHash,
        });
        if (input.gridIds?.length) await gridLinks.setGridsOfUser(tx, ctx, userId, input.gridIds);
        const { password: _omit, ...rest } = input;
        await recordAudit(tx, ctx, {
          action: 'user.created',
          targetType: 'user',
          targetId: userId,
          after: { ...rest, phone: maskPhone(input.phone ?? null) },
        });
        return userId;
      });
      return this.getUser(ctx, id);
    },

    async updateUser(ctx: ActorContext, id: string, patch: UserPatch) {
      requirePermission(ctx.actor, 'user.write');
      await db.transaction().execute(async (tx) => {
        const before = await visibleUser(ctx, tx, id);
        if (patch.orgId) await visibleOrg(ctx, tx, patch.orgId);
        if (patch.scopeOrgId) await visibleOrg(ctx, tx, patch.scopeOrgId, 'scope organisation');
        if (id === ctx.actor.userId && (patch.active === false || (patch.roles && !patch.roles.includes('admin') && before.roles.includes('admin')))) {
          throw conflict('you cannot disable yourself or remove your own administrator role');
        }
        await repo.updateUser(tx, id, {
          ...(patch.displayName !== undefined ? { display_name: patch.displayName } : {}),
          ...(patch.phone !== undefined ? { phone: patch.phone } : {}),
          ...(patch.orgId !== undefined ? { org_id: patch.orgId } : {}),
          ...(patch.roles !== undefined ? { roles: patch.roles } : {}),
          ...(patch.active !== undefined ? { active: patch.active } : {}),
          ...(patch.scopeOrgId !== undefined ? { scope_org_id: patch.scopeOrgId } : {}),
        });
        if (patch.active === false) await repo.deleteSessionsOfUser(tx, id);
        if (patch.gridIds !== undefined) await gridLinks.setGridsOfUser(tx, ctx, id, patch.gridIds);
        const after = await repo.findUser(tx, id);
        const strip = (u: repo.UserRow | undefined) =>
          u && { displayName: u.display_name, phone: maskPhone(u.phone), orgId: u.org_id, roles: u.roles, active: u.active, scopeOrgId: u.scope_org_id };
        await recordAudit(tx, ctx, {
          action: 'user.updated',
          targetType: 'user',
          targetId: id,
          before: strip(before),
          after: { ...strip(after), ...(patch.gridIds !== undefined ? { gridIds: patch.gridIds } : {}) },
        });
      });
      return this.getUser(ctx, id);
    },

    async resetPassword(ctx: ActorContext, id: string, newPassword: string) {
      requirePermission(ctx.actor, 'user.write');
      checkPasswordStrength('newPassword', newPassword);
      const passwordHash = await hashPassword(newPassword);
      await db.transaction().execute(async (tx) => {
        await visibleUser(ctx, tx, id);
        await repo.updateUser(tx, id, { password_hash: passwordHash });
        await repo.deleteSessionsOfUser(tx, id);
        await recordAudit(tx, ctx, { action: 'user.password_reset', targetType: 'user', targetId: id });
      });
    },

    async searchAudit(ctx: ActorContext, f: Omit<AuditFilter, 'actorOrgPathPrefix'>, page: { page: number; pageSize: number }) {
      requirePermission(ctx.actor, 'audit.read');
      // Readers see what actors of their subtree did; a district-level reader also sees system rows.
      const root = ctx.actor.scopePath.split('/').filter(Boolean).length <= 1;
      const res = await searchAudit(
        db,
        ctx.actor.via === 'system' ? f : { ...f, actorOrgPathPrefix: ctx.actor.scopePath, includeAnonymous: root },
        { offset: (page.page - 1) * page.pageSize, limit: page.pageSize },
      );
      return {
        total: res.total,
        items: res.items.map((a) => ({
          id: Number(a.id),
          at: new Date(a.at).toISOString(),
          actorId: a.actor_id,
          actorName: a.actor_name,
          ip: a.ip,
          requestId: a.request_id,
          action: a.action,
          targetType: a.target_type,
          targetId: a.target_id,
          before: a.before,
          after: a.after,
        })),
      };
    },

    async orgCounts(ctx: ActorContext) {
      requirePermission(ctx.actor, 'org.read');
      return repo.countOrgsByKind(db, ctx.actor.scopePath);
    },

    async countUsers(ctx: ActorContext) {
      const { total } = await repo.listUsers(db, { pathPrefix: ctx.actor.scopePath }, { offset: 0, limit: 0 });
      return total;
    },
  };
}

export type CoreService = ReturnType<typeof createCoreService>;
