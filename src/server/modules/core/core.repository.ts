import { sql } from 'kysely';
import type { DbOrTx } from '../../db.js';

/** SQL of the core tables: organisations, users, sessions, API tokens, login failures, settings. */

export interface OrgRow {
  id: string;
  parent_id: string | null;
  kind: string;
  dept_type: string | null;
  code: string;
  name: string;
  path: string;
}

const ORG_COLUMNS = ['id', 'parent_id', 'kind', 'dept_type', 'code', 'name', 'path'] as const;

export async function findOrg(db: DbOrTx, id: string): Promise<OrgRow | undefined> {
  return db.selectFrom('orgs').select(ORG_COLUMNS).where('id', '=', id).executeTakeFirst();
}

export async function findOrgByCode(db: DbOrTx, code: string): Promise<OrgRow | undefined> {
  return db.selectFrom('orgs').select(ORG_COLUMNS).where('code', '=', code).executeTakeFirst();
}

/** Organisations under a path prefix, with their number of children. */
export async function listOrgsUnder(db: DbOrTx, pathPrefix: string) {
  return db
    .selectFrom('orgs as o')
    .select(ORG_COLUMNS.map((c) => `o.${c}` as const))
    .select((eb) =>
      eb.selectFrom('orgs as c').whereRef('c.parent_id', '=', 'o.id').select(eb.fn.countAll<number>().as('n')).as('child_count'),
    )
    .where('o.path', 'like', `${pathPrefix}%`)
    .orderBy('o.path')
    .execute();
}

export async function insertOrg(
  db: DbOrTx,
  org: { id?: string; parentId: string | null; parentPath: string; kind: string; deptType: string | null; code: string; name: string },
): Promise<OrgRow> {
  const id = org.id ?? (await sql<{ id: string }>`select gen_random_uuid() as id`.execute(db)).rows[0].id;
  return db
    .insertInto('orgs')
    .values({
      id,
      parent_id: org.parentId,
      kind: org.kind,
      dept_type: org.deptType,
      code: org.code,
      name: org.name,
      path: `${org.parentPath}${id}/`,
    })
    .returning(ORG_COLUMNS)
    .executeTakeFirstOrThrow();
}

export async function updateOrg(db: DbOrTx, id: string, patch: { name?: string; dept_type?: string | null }): Promise<OrgRow> {
  return db
    .updateTable('orgs')
    .set({ ...patch, updated_at: new Date() })
    .where('id', '=', id)
    .returning(ORG_COLUMNS)
    .executeTakeFirstOrThrow();
}

export async function countOrgsByKind(db: DbOrTx, pathPrefix: string): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('orgs')
    .select(['kind', (eb) => eb.fn.countAll<number>().as('n')])
    .where('path', 'like', `${pathPrefix}%`)
    .groupBy('kind')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.kind, Number(r.n)]));
}

export interface UserRow {
  id: string;
  username: string;
  display_name: string;
  phone: string | null;
  org_id: string;
  roles: string[];
  scope_org_id: string | null;
  active: boolean;
  org_name: string;
  org_path: string;
}

function userQuery(db: DbOrTx) {
  return db
    .selectFrom('users as u')
    .innerJoin('orgs as o', 'o.id', 'u.org_id')
    .select([
      'u.id',
      'u.username',
      'u.display_name',
      'u.phone',
      'u.org_id',
      'u.roles',
      'u.scope_org_id',
      'u.active',
      'o.name as org_name',
      'o.path as org_path',
    ]);
}

export async function findUser(db: DbOrTx, id: string): Promise<UserRow | undefined> {
  return userQuery(db).where('u.id', '=', id).executeTakeFirst();
}

export async function findUserByUsername(db: DbOrTx, username: string): Promise<UserRow | undefined> {
  return userQuery(db).where('u.username', '=', username).executeTakeFirst();
}

export async function findPasswordHash(db: DbOrTx, userId: string): Promise<string | undefined> {
  const r = await db.selectFrom('users').select('password_hash').where('id', '=', userId).executeTakeFirst();
  return r?.password_hash;
}

export interface UserFilter {
  pathPrefix: string;
  q?: string;
  orgId?: string;
  role?: string;
}

function filteredUsers(db: DbOrTx, f: UserFilter) {
  let q = userQuery(db).where('o.path', 'like', `${f.pathPrefix}%`);
  if (f.orgId) q = q.where('u.org_id', '=', f.orgId);
  if (f.role) q = q.where(sql<boolean>`${f.role} = any(u.roles)`);
  if (f.q) {
    const like = `%${f.q}%`;
    q = q.where((eb) => eb.or([eb('u.username', 'ilike', like), eb('u.display_name', 'like', like)]));
  }
  return q;
}

export async function listUsers(db: DbOrTx, f: UserFilter, page: { offset: number; limit: number }) {
  const [items, total] = await Promise.all([
    filteredUsers(db, f).orderBy('u.username').offset(page.offset).limit(page.limit).execute(),
    filteredUsers(db, f)
      .clearSelect()
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
  ]);
  return { items, total: Number(total.n) };
}

export async function insertUser(
  db: DbOrTx,
  u: { id?: string; username: string; displayName: string; phone: string | null; orgId: string; roles: string[]; scopeOrgId: string | null; passwordHash: string },
): Promise<string> {
  const r = await db
    .insertInto('users')
    .values({
      ...(u.id ? { id: u.id } : {}),
      username: u.username,
      display_name: u.displayName,
      phone: u.phone,
      org_id: u.orgId,
      roles: u.roles,
      scope_org_id: u.scopeOrgId,
      password_hash: u.passwordHash,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return r.id;
}

export async function updateUser(
  db: DbOrTx,
  id: string,
  patch: Partial<{ display_name: string; phone: string | null; org_id: string; roles: string[]; active: boolean; scope_org_id: string | null; password_hash: string }>,
): Promise<void> {
  await db
    .updateTable('users')
    .set({ ...patch, updated_at: new Date() })
    .where('id', '=', id)
    .execute();
}

export async function usernameTaken(db: DbOrTx, username: string): Promise<boolean> {
  const r = await db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirst();
  return !!r;
}

function actorBase(db: DbOrTx) {
  return db
    .selectFrom('users as u')
    .innerJoin('orgs as s', (j) => j.on(sql<boolean>`s.id = coalesce(u.scope_org_id, u.org_id)`))
    .select(['u.id', 'u.username', 'u.display_name', 'u.org_id', 'u.roles', 's.id as scope_org_id', 's.path as scope_path'])
    .where('u.active', '=', true);
}

export interface ActorRow {
  id: string;
  username: string;
  display_name: string;
  org_id: string;
  roles: string[];
  scope_org_id: string;
  scope_path: string;
  csrf_token: string | null;
}

/** The actor behind a live session: user, scope path and CSRF token in one query. */
export async function findSessionActor(db: DbOrTx, sessionHash: string): Promise<ActorRow | undefined> {
  return actorBase(db)
    .innerJoin('sessions as x', 'x.user_id', 'u.id')
    .select('x.csrf_token')
    .where('x.id', '=', sessionHash)
    .where('x.expires_at', '>', new Date())
    .executeTakeFirst();
}

/** The actor behind an unrevoked API token; records its use. */
export async function findTokenActor(db: DbOrTx, tokenHash: string): Promise<ActorRow | undefined> {
  const row = await actorBase(db)
    .innerJoin('api_tokens as t', 't.user_id', 'u.id')
    .where('t.token_hash', '=', tokenHash)
    .where('t.revoked_at', 'is', null)
    .executeTakeFirst();
  return row && { ...row, csrf_token: null };
}

export async function insertSession(
  db: DbOrTx,
  s: { id: string; userId: string; csrfToken: string; ip: string | null; userAgent: string | null; expiresAt: Date },
): Promise<void> {
  await db
    .insertInto('sessions')
    .values({ id: s.id, user_id: s.userId, csrf_token: s.csrfToken, ip: s.ip, user_agent: s.userAgent, expires_at: s.expiresAt })
    .execute();
}

export async function deleteSession(db: DbOrTx, id: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', id).execute();
}

/** Ends every session of a user except one (after a password change). */
export async function deleteSessionsOfUser(db: DbOrTx, userId: string, exceptId?: string): Promise<void> {
  let q = db.deleteFrom('sessions').where('user_id', '=', userId);
  if (exceptId) q = q.where('id', '!=', exceptId);
  await q.execute();
}

export async function deleteExpiredSessions(db: DbOrTx): Promise<void> {
  await db.deleteFrom('sessions').where('expires_at', '<', new Date()).execute();
}

export async function insertApiToken(db: DbOrTx, t: { userId: string; name: string; prefix: string; tokenHash: string }): Promise<string> {
  const r = await db
    .insertInto('api_tokens')
    .values({ user_id: t.userId, name: t.name, prefix: t.prefix, token_hash: t.tokenHash })
    .returning('id')
    .executeTakeFirstOrThrow();
  return r.id;
}

export async function countLoginFailures(db: DbOrTx, by: { username?: string; ip: string }, since: Date): Promise<number> {
  let q = db
    .selectFrom('login_failures')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('ip', '=', by.ip)
    .where('at', '>', since);
  if (by.username !== undefined) q = q.where('username', '=', by.username);
  const r = await q.executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function insertLoginFailure(db: DbOrTx, username: string, ip: string): Promise<void> {
  await db.insertInto('login_failures').values({ username, ip }).execute();
}

export async function clearLoginFailures(db: DbOrTx, username: string, ip: string): Promise<void> {
  await db.deleteFrom('login_failures').where('username', '=', username).where('ip', '=', ip).execute();
}

export async function getSetting<T>(db: DbOrTx, key: string): Promise<T | undefined> {
  const r = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
  return r?.value as T | undefined;
}

export async function putSetting(db: DbOrTx, key: string, value: unknown): Promise<void> {
  await db
    .insertInto('settings')
    .values({ key, value: JSON.stringify(value) })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(value), updated_at: new Date() }))
    .execute();
}
