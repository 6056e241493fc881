import { sql, type SelectQueryBuilder } from 'kysely';
import type { Database, DbOrTx } from '../../db.js';
import type { CalendarYear } from './reports.calendar.js';
import type { CategorySeed } from './reports.categories.js';
import type { ReportsTable } from './reports.tables.js';
import type { Status } from './reports.workflow.js';

/** SQL of the reports module's tables. */

// ---------------------------------------------------------------- categories

export async function ensureCategories(db: DbOrTx, seeds: CategorySeed[]): Promise<void> {
  for (const c of seeds) {
    await db
      .insertInto('report_categories')
      .values({
        code: c.code,
        parent_code: c.parentCode,
        name: c.name,
        dept_type: c.deptType,
        priority: c.priority,
        time_mode: c.timeMode,
        limits: c.limits ? JSON.stringify(c.limits) : null,
      })
      .onConflict((oc) => oc.column('code').doNothing())
      .execute();
  }
}

export async function allCategories(db: DbOrTx) {
  return db.selectFrom('report_categories').selectAll().orderBy('code').execute();
}

export async function findCategory(db: DbOrTx, code: string) {
  return db.selectFrom('report_categories').selectAll().where('code', '=', code).executeTakeFirst();
}

export async function insertCategory(db: DbOrTx, c: { code: string; parentCode: string | null; name: string; deptType: string | null; priority: string; timeMode: string; limits: Record<string, number> | null }) {
  await db
    .insertInto('report_categories')
    .values({ code: c.code, parent_code: c.parentCode, name: c.name, dept_type: c.deptType, priority: c.priority, time_mode: c.timeMode, limits: c.limits ? JSON.stringify(c.limits) : null })
    .execute();
}

export async function updateCategory(
  db: DbOrTx,
  code: string,
  patch: { name?: string; deptType?: string | null; priority?: string; timeMode?: string; limits?: Record<string, number> | null; active?: boolean },
) {
  await db
    .updateTable('report_categories')
    .set({
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.deptType !== undefined ? { dept_type: patch.deptType } : {}),
      ...(patch.priority !== undefined ? { priority: patch.priority } : {}),
      ...(patch.timeMode !== undefined ? { time_mode: patch.timeMode } : {}),
      ...(patch.limits !== undefined ? { limits: patch.limits ? JSON.stringify(patch.limits) : null } : {}),
      ...(patch.active !== undefined ? { active: patch.active } : {}),
      updated_at: new Date(),
    })
    .where('code', '=', code)
    .execute();
}

// ---------------------------------------------------------------- calendar

export async function ensureCalendarYears(db: DbOrTx, years: CalendarYear[]): Promise<void> {
  for (const y of years) {
    await db
      .insertInto('work_calendar_years')
      .values({ year: y.year, holidays: y.holidays, workdays: y.workdays })
      .onConflict((oc) => oc.column('year').doNothing())
      .execute();
  }
}

function isoDay(d: Date | string): string {
  if (typeof d === 'string') return d.slice(0, 10);
  // DATE values arrive as local-midnight Dates from pg and as UTC-midnight from PGlite.
  const y = d.getFullYear();
  const utcMidnight = d.getUTCHours() === 0 && d.getUTCMinutes() === 0;
  return utcMidnight ? d.toISOString().slice(0, 10) : `${y}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

export async function calendarYears(db: DbOrTx): Promise<CalendarYear[]> {
  const rows = await db
    .selectFrom('work_calendar_years')
    .select(['year', sql<string[]>`array(select to_char(d, 'YYYY-MM-DD') from unnest(holidays) d order by d)`.as('holidays'), sql<string[]>`array(select to_char(d, 'YYYY-MM-DD') from unnest(workdays) d order by d)`.as('workdays')])
    .orderBy('year')
    .execute();
  return rows.map((r) => ({ year: r.year, holidays: r.holidays.map(isoDay), workdays: r.workdays.map(isoDay) }));
}

export async function putCalendarYear(db: DbOrTx, y: CalendarYear): Promise<void> {
  await db
    .insertInto('work_calendar_years')
    .values({ year: y.year, holidays: y.holidays, workdays: y.workdays })
    .onConflict((oc) => oc.column('year').doUpdateSet({ holidays: y.holidays, workdays: y.workdays, updated_at: new Date() }))
    .execute();
}

// ---------------------------------------------------------------- routing rules

export async function routingRules(db: DbOrTx) {
  return db
    .selectFrom('report_routing_rules as r')
    .innerJoin('orgs as t', 't.id', 'r.target_org_id')
    .leftJoin('orgs as a', 'a.id', 'r.area_org_id')
    .select(['r.id', 'r.category_code', 'r.dept_type', 'r.area_org_id', 'r.target_org_id', 'r.note', 't.name as target_name', 't.path as target_path', 'a.name as area_name', 'a.path as area_path'])
    .orderBy('r.created_at')
    .execute();
}
export type RoutingRuleRow = Awaited<ReturnType<typeof routingRules>>[number];

export async function insertRoutingRule(db: DbOrTx, r: { categoryCode: string | null; deptType: string | null; areaOrgId: string | null; targetOrgId: string; note: string }) {
  return db
    .insertInto('report_routing_rules')
    .values({ category_code: r.categoryCode, dept_type: r.deptType, area_org_id: r.areaOrgId, target_org_id: r.targetOrgId, note: r.note })
    .returning('id')
    .executeTakeFirstOrThrow();
}

export async function deleteRoutingRule(db: DbOrTx, id: string) {
  const r = await db.deleteFrom('report_routing_rules').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** The department of a type inside the district (the default routing target). */
export async function departmentOfType(db: DbOrTx, districtPath: string, deptType: string) {
  return db
    .selectFrom('orgs')
    .select(['id', 'name', 'path', 'head_user_id'])
    .where('kind', 'in', ['department', 'agency'])
    .where('dept_type', '=', deptType)
    .where('path', 'like', `${districtPath}%`)
    .orderBy(sql`length(path)`)
    .limit(1)
    .executeTakeFirst();
}

export async function orgsByIds(db: DbOrTx, ids: string[]) {
  if (!ids.length) return [];
  return db.selectFrom('orgs').select(['id', 'name', 'kind', 'path', 'parent_id', 'dept_type', 'head_user_id']).where('id', 'in', ids).execute();
}

/** Active users of an organisation with one of the roles (notification recipients). */
export async function usersOfOrg(db: DbOrTx, orgId: string, roles: string[]) {
  return db
    .selectFrom('users')
    .select(['id', 'display_name'])
    .where('org_id', '=', orgId)
    .where('active', '=', true)
    .where(sql<boolean>`roles && ${sql.val(roles)}::text[]`)
    .execute();
}

/** Active users with a role inside a subtree (e.g. the command centre of a district). */
export async function usersWithRoleUnder(db: DbOrTx, pathPrefix: string, role: string) {
  return db
    .selectFrom('users as u')
    .innerJoin('orgs as o', 'o.id', 'u.org_id')
    .select(['u.id', 'u.display_name'])
    .where('o.path', 'like', `${pathPrefix}%`)
    .where('u.active', '=', true)
    .where(sql<boolean>`${role} = any(u.roles)`)
    .execute();
}

export async function findUser(db: DbOrTx, id: string) {
  return db
    .selectFrom('users as u')
    .innerJoin('orgs as o', 'o.id', 'u.org_id')
    .select(['u.id', 'u.display_name', 'u.roles', 'u.active', 'o.path as org_path'])
    .where('u.id', '=', id)
    .executeTakeFirst();
}

// ---------------------------------------------------------------- reports

export async function nextReportNumber(db: DbOrTx): Promise<string> {
  const r = await sql<{ n: string }>`select to_char(now() at time zone 'Asia/Shanghai', 'YYYYMMDD') || lpad(nextval('report_number_seq')::text, 6, '0') as n`.execute(db);
  return r.rows[0].n;
}

export type NewReport = Omit<import('kysely').Insertable<ReportsTable>, 'id'> & { id?: string };

export async function insertReport(db: DbOrTx, r: NewReport): Promise<string> {
  const row = await db.insertInto('reports').values(r).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

export async function updateReport(db: DbOrTx, id: string, patch: import('kysely').Updateable<ReportsTable>): Promise<void> {
  await db
    .updateTable('reports')
    .set({ ...patch, updated_at: new Date() })
    .where('id', '=', id)
    .execute();
}

function reportQuery(db: DbOrTx) {
  return db
    .selectFrom('reports as r')
    .leftJoin('report_categories as c', 'c.code', 'r.category_code')
    .leftJoin('orgs as d', 'd.id', 'r.dept_org_id')
    .leftJoin('orgs as cm', 'cm.id', 'r.community_org_id')
    .leftJoin('orgs as st', 'st.id', 'r.street_org_id')
    .leftJoin('grids as g', 'g.id', 'r.grid_id')
    .leftJoin('users as a', 'a.id', 'r.assignee_id')
    .selectAll('r')
    .select(['c.name as category_name', 'd.name as dept_name', 'cm.name as community_name', 'st.name as street_name', 'g.name as grid_name', 'a.display_name as assignee_name']);
}
export type ReportView = Awaited<ReturnType<ReturnType<typeof reportQuery>['executeTakeFirstOrThrow']>>;

export async function findReport(db: DbOrTx, id: string, opts: { forUpdate?: boolean } = {}): Promise<ReportView | undefined> {
  if (opts.forUpdate) await db.selectFrom('reports').select('id').where('id', '=', id).forUpdate().executeTakeFirst();
  return reportQuery(db).where('r.id', '=', id).executeTakeFirst();
}

export async function findReportByTrackingCode(db: DbOrTx, code: string) {
  return reportQuery(db).where('r.tracking_code', '=', code).executeTakeFirst();
}

/** The data scope of a reader: cases in the subtree, cases handled by it, and (grid workers) their grids. */
export interface ReportScope {
  pathPrefix: string;
  /** Grid-bound readers see cases in their grids and cases assigned to them. */
  gridIds: string[] | null;
  userId: string;
}

export interface ReportFilter {
  status?: Status[];
  categoryCode?: string;
  deptOrgId?: string;
  gridId?: string;
  streetOrgId?: string;
  channel?: string;
  q?: string;
  triage?: boolean;
  overdue?: boolean;
  atRisk?: boolean;
  supervised?: boolean;
  assignedTo?: string;
  from?: Date;
  to?: Date;
  ids?: string[];
}

export function applyScope<O>(q: SelectQueryBuilder<Database & { r: ReportsTable }, 'r' | any, O>, s: ReportScope) {
  return q.where((eb) => {
    if (s.gridIds) {
      const ors = [eb('r.assignee_id', '=', s.userId)];
      if (s.gridIds.length) ors.push(eb('r.grid_id', 'in', s.gridIds));
      return eb.or(ors);
    }
    return eb.or([eb('r.area_path', 'like', `${s.pathPrefix}%`), eb('r.dept_path', 'like', `${s.pathPrefix}%`)]);
  });
}

function applyFilter<O>(q: SelectQueryBuilder<any, any, O>, f: ReportFilter) {
  if (f.status?.length) q = q.where('r.status', 'in', f.status);
  if (f.categoryCode) q = q.where((eb: any) => eb.or([eb('r.category_code', '=', f.categoryCode), eb('r.category_code', 'like', `${f.categoryCode}%`)]));
  if (f.deptOrgId) q = q.where('r.dept_org_id', '=', f.deptOrgId);
  if (f.gridId) q = q.where('r.grid_id', '=', f.gridId);
  if (f.streetOrgId) q = q.where('r.street_org_id', '=', f.streetOrgId);
  if (f.channel) q = q.where('r.channel', '=', f.channel);
  if (f.triage) q = q.where('r.status', '=', 'reported');
  if (f.overdue) q = q.where('r.overdue', '=', true).where('r.status', 'not in', ['closed', 'voided']);
  if (f.atRisk) q = q.where('r.warned', '=', true).where('r.overdue', '=', false).where('r.status', 'not in', ['closed', 'voided']);
  if (f.supervised) q = q.where('r.supervised', '=', true);
  if (f.assignedTo) q = q.where('r.assignee_id', '=', f.assignedTo);
  if (f.from) q = q.where('r.created_at', '>=', f.from);
  if (f.to) q = q.where('r.created_at', '<', f.to);
  if (f.ids) q = f.ids.length ? q.where('r.id', 'in', f.ids) : q.where(sql<boolean>`false`);
  if (f.q) {
    const like = `%${f.q}%`;
    q = q.where((eb: any) => eb.or([eb('r.number', 'like', `${f.q}%`), eb('r.description', 'like', like), eb('r.address_text', 'like', like)]));
  }
  return q;
}

export async function listReports(db: DbOrTx, scope: ReportScope, f: ReportFilter, page: { offset: number; limit: number }, order: 'created' | 'deadline' = 'created') {
  const base = applyFilter(applyScope(db.selectFrom('reports as r'), scope), f);
  let q = applyFilter(applyScope(reportQuery(db), scope), f);
  q = order === 'deadline' ? q.orderBy(sql`r.stage_deadline asc nulls last`).orderBy('r.id') : q.orderBy('r.created_at', 'desc').orderBy('r.id', 'desc');
  const [items, total] = await Promise.all([
    q.offset(page.offset).limit(page.limit).execute(),
    base.select((eb: any) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow() as Promise<{ n: number | string }>,
  ]);
  return { items, total: Number(total.n) };
}

/** Open reports of a category near a point and recent: the duplicate candidates. */
export async function nearbyOpenReports(db: DbOrTx, p: { categoryCode: string; lng: number; lat: number; since: Date; metres: number; excludeId?: string; areaPrefix: string }) {
  // A bounding box on the indexes first, then the exact haversine distance.
  const dLat = p.metres / 111_320;
  const dLng = p.metres / (111_320 * Math.cos((p.lat * Math.PI) / 180));
  let q = reportQuery(db)
    .select(
      sql<number>`2 * 6371008.8 * asin(sqrt(power(sin(radians(r.lat - ${p.lat}) / 2), 2) + cos(radians(${p.lat})) * cos(radians(r.lat)) * power(sin(radians(r.lng - ${p.lng}) / 2), 2)))`.as('distance'),
    )
    .where('r.category_code', '=', p.categoryCode)
    .where('r.created_at', '>=', p.since)
    .where('r.status', 'not in', ['closed', 'voided'])
    .where('r.area_path', 'like', `${p.areaPrefix}%`)
    .where('r.lat', '>=', p.lat - dLat)
    .where('r.lat', '<=', p.lat + dLat)
    .where('r.lng', '>=', p.lng - dLng)
    .where('r.lng', '<=', p.lng + dLng);
  if (p.excludeId) q = q.where('r.id', '!=', p.excludeId);
  const rows = await q.orderBy('r.created_at', 'desc').limit(50).execute();
  return rows.filter((r) => r.distance <= p.metres).sort((a, b) => a.distance - b.distance);
}

// ---------------------------------------------------------------- timeline, stages, photos

export async function insertEvent(db: DbOrTx, e: { reportId: string; action: string; from: string | null; to: string | null; actorId: string | null; actorName: string | null; note?: string | null; data?: unknown }) {
  await db
    .insertInto('report_events')
    .values({
      report_id: e.reportId,
      action: e.action,
      from_status: e.from,
      to_status: e.to,
      actor_id: e.actorId,
      actor_name: e.actorName,
      note: e.note ?? null,
      data: e.data === undefined ? null : JSON.stringify(e.data),
    })
    .execute();
}

export async function eventsOf(db: DbOrTx, reportId: string) {
  return db.selectFrom('report_events').selectAll().where('report_id', '=', reportId).orderBy('id').execute();
}

export async function insertStage(db: DbOrTx, s: { reportId: string; stage: string; startedAt: Date; deadline: Date | null }): Promise<string> {
  const r = await db.insertInto('report_stages').values({ report_id: s.reportId, stage: s.stage, started_at: s.startedAt, deadline: s.deadline }).returning('id').executeTakeFirstOrThrow();
  return r.id;
}

export async function currentStage(db: DbOrTx, reportId: string) {
  return db.selectFrom('report_stages').selectAll().where('report_id', '=', reportId).where('finished_at', 'is', null).orderBy('started_at', 'desc').limit(1).executeTakeFirst();
}

export async function finishStage(db: DbOrTx, id: string, at: Date, onTime: boolean | null) {
  await db.updateTable('report_stages').set({ finished_at: at, on_time: onTime }).where('id', '=', id).execute();
}

export async function updateStage(db: DbOrTx, id: string, patch: { deadline?: Date | null; extendedMinutes?: number; suspendedMinutes?: number }) {
  await db
    .updateTable('report_stages')
    .set({
      ...(patch.deadline !== undefined ? { deadline: patch.deadline } : {}),
      ...(patch.extendedMinutes !== undefined ? { extended_minutes: patch.extendedMinutes } : {}),
      ...(patch.suspendedMinutes !== undefined ? { suspended_minutes: patch.suspendedMinutes } : {}),
    })
    .where('id', '=', id)
    .execute();
}

export async function stagesOf(db: DbOrTx, reportId: string) {
  return db.selectFrom('report_stages').selectAll().where('report_id', '=', reportId).orderBy('started_at').orderBy('id').execute();
}

export async function addPhotos(db: DbOrTx, reportId: string, fileIds: string[], kind: 'report' | 'result') {
  if (!fileIds.length) return;
  await db
    .insertInto('report_photos')
    .values(fileIds.map((file_id) => ({ report_id: reportId, file_id, kind })))
    .execute();
}

export async function photosOf(db: DbOrTx, reportId: string) {
  return db.selectFrom('report_photos').select(['file_id', 'kind', 'created_at']).where('report_id', '=', reportId).orderBy('created_at').execute();
}

export async function photoOf(db: DbOrTx, reportId: string, fileId: string) {
  return db.selectFrom('report_photos').select(['file_id', 'kind']).where('report_id', '=', reportId).where('file_id', '=', fileId).executeTakeFirst();
}

// ---------------------------------------------------------------- extensions, supervisions

export async function insertExtension(db: DbOrTx, e: { reportId: string; stage: string; minutes: number; reason: string; requestedBy: string | null }) {
  return db
    .insertInto('report_extensions')
    .values({ report_id: e.reportId, stage: e.stage, minutes: e.minutes, reason: e.reason, requested_by: e.requestedBy })
    .returning('id')
    .executeTakeFirstOrThrow();
}

export async function extensionsOf(db: DbOrTx, reportId: string) {
  return db
    .selectFrom('report_extensions as e')
    .leftJoin('users as rq', 'rq.id', 'e.requested_by')
    .leftJoin('users as dc', 'dc.id', 'e.decided_by')
    .selectAll('e')
    .select(['rq.display_name as requested_by_name', 'dc.display_name as decided_by_name'])
    .where('e.report_id', '=', reportId)
    .orderBy('e.created_at')
    .execute();
}

export async function findExtension(db: DbOrTx, reportId: string, id: string) {
  return db.selectFrom('report_extensions').selectAll().where('report_id', '=', reportId).where('id', '=', id).forUpdate().executeTakeFirst();
}

/** Closes the pending extension requests of a case whose stage has ended. */
export async function closePendingExtensions(db: DbOrTx, reportId: string, note: string) {
  await db
    .updateTable('report_extensions')
    .set({ status: 'rejected', decision_note: note, decided_at: new Date() })
    .where('report_id', '=', reportId)
    .where('status', '=', 'pending')
    .execute();
}

export async function decideExtension(db: DbOrTx, id: string, d: { status: 'approved' | 'rejected'; decidedBy: string | null; note: string | null }) {
  await db.updateTable('report_extensions').set({ status: d.status, decided_by: d.decidedBy, decision_note: d.note, decided_at: new Date() }).where('id', '=', id).execute();
}

/** Pending extension requests inside a scope (the approval queue). */
export async function pendingExtensions(db: DbOrTx, scope: ReportScope) {
  return applyScope(
    db
      .selectFrom('report_extensions as e')
      .innerJoin('reports as r', 'r.id', 'e.report_id')
      .leftJoin('users as u', 'u.id', 'e.requested_by')
      .select(['e.id', 'e.report_id', 'e.stage', 'e.minutes', 'e.reason', 'e.created_at', 'r.number', 'u.display_name as requested_by_name'])
      .where('e.status', '=', 'pending'),
    scope,
  )
    .orderBy('e.created_at')
    .limit(200)
    .execute();
}

export async function insertSupervision(db: DbOrTx, s: { reportId: string; kind: 'manual' | 'overdue'; stage: string | null; note: string; createdBy: string | null }) {
  await db.insertInto('report_supervisions').values({ report_id: s.reportId, kind: s.kind, stage: s.stage, note: s.note, created_by: s.createdBy }).execute();
}

export async function supervisionsOf(db: DbOrTx, reportId: string) {
  return db
    .selectFrom('report_supervisions as s')
    .leftJoin('users as u', 'u.id', 's.created_by')
    .selectAll('s')
    .select('u.display_name as created_by_name')
    .where('s.report_id', '=', reportId)
    .orderBy('s.created_at')
    .execute();
}

// ---------------------------------------------------------------- Open311 keys

export async function insertOpen311Key(db: DbOrTx, k: { name: string; keyHash: string; districtOrgId: string | null }) {
  return db.insertInto('open311_keys').values({ name: k.name, key_hash: k.keyHash, district_org_id: k.districtOrgId }).returning('id').executeTakeFirstOrThrow();
}

export async function findOpen311Key(db: DbOrTx, keyHash: string) {
  return db.selectFrom('open311_keys').selectAll().where('key_hash', '=', keyHash).where('active', '=', true).executeTakeFirst();
}

// ---------------------------------------------------------------- Open311 reads

export async function open311Requests(db: DbOrTx, f: { ids?: string[]; categoryCodes?: string[]; from?: Date; to?: Date; open?: boolean; closed?: boolean; limit: number }) {
  let q = reportQuery(db)
    .select((eb) =>
      eb
        .selectFrom('report_photos as p')
        .select('p.file_id')
        .whereRef('p.report_id', '=', 'r.id')
        .orderBy('p.created_at')
        .limit(1)
        .as('first_photo'),
    )
    .where('r.merged_into', 'is', null);
  if (f.ids) q = f.ids.length ? q.where('r.id', 'in', f.ids) : q.where(sql<boolean>`false`);
  if (f.categoryCodes?.length) q = q.where('r.category_code', 'in', f.categoryCodes);
  if (f.from) q = q.where('r.created_at', '>=', f.from);
  if (f.to) q = q.where('r.created_at', '<=', f.to);
  if (f.open && !f.closed) q = q.where('r.status', 'not in', ['closed', 'voided']);
  if (f.closed && !f.open) q = q.where('r.status', 'in', ['closed', 'voided']);
  return q.orderBy('r.created_at', 'desc').limit(f.limit).execute();
}

/** A photo attached to some report (public copies of such photos may be shown to anyone). */
export async function isReportPhoto(db: DbOrTx, fileId: string): Promise<boolean> {
  const r = await db.selectFrom('report_photos').select('file_id').where('file_id', '=', fileId).executeTakeFirst();
  return !!r;
}

// ---------------------------------------------------------------- statistics

export const STATS_GROUPS = ['dept', 'grid', 'category', 'street', 'day'] as const;
export type StatsGroup = (typeof STATS_GROUPS)[number];

const GROUP_KEY: Record<StatsGroup, { key: string; name: string }> = {
  dept: { key: 'r.dept_org_id::text', name: "coalesce(d.name, '未分派')" },
  grid: { key: 'r.grid_id::text', name: "coalesce(g.name, '无网格')" },
  category: { key: 'r.category_code', name: "coalesce(c.name, '未分类')" },
  street: { key: 'r.street_org_id::text', name: "coalesce(st.name, '未知')" },
  day: { key: "to_char(r.created_at at time zone 'Asia/Shanghai', 'YYYY-MM-DD')", name: "to_char(r.created_at at time zone 'Asia/Shanghai', 'YYYY-MM-DD')" },
};

function statsBase(db: DbOrTx, scope: ReportScope, period: { from: Date; to: Date }) {
  return applyScope(
    db
      .selectFrom('reports as r')
      .leftJoin('orgs as d', 'd.id', 'r.dept_org_id')
      .leftJoin('grids as g', 'g.id', 'r.grid_id')
      .leftJoin('report_categories as c', 'c.code', 'r.category_code')
      .leftJoin('orgs as st', 'st.id', 'r.street_org_id')
      .where('r.created_at', '>=', period.from)
      .where('r.created_at', '<', period.to),
    scope,
  );
}

/**
 * Counts, resolution, on-time, time to close and satisfaction of the cases reported in a
 * period, per group (department, grid, category, street or day) — one pass over the cases
 * and one over their stages.
 */
export async function reportStats(db: DbOrTx, scope: ReportScope, p: { from: Date; to: Date; groupBy: StatsGroup }) {
  const g = GROUP_KEY[p.groupBy];
  const key = sql.raw(g.key);
  const name = sql.raw(g.name);
  const rows = await statsBase(db, scope, p)
    .select([
      sql<string | null>`${key}`.as('key'),
      sql<string>`${name}`.as('name'),
      sql<number>`count(*)`.as('total'),
      sql<number>`count(*) filter (where r.status not in ('closed', 'voided'))`.as('open'),
      sql<number>`count(*) filter (where r.status = 'closed')`.as('closed'),
      sql<number>`count(*) filter (where r.status = 'voided')`.as('voided'),
      sql<number>`count(*) filter (where r.overdue)`.as('overdue'),
      sql<number | null>`avg(extract(epoch from (r.closed_at - r.created_at)) / 60) filter (where r.status = 'closed')`.as('avg_close_minutes'),
      sql<number>`count(*) filter (where r.rating = 'satisfied')`.as('satisfied'),
      sql<number>`count(*) filter (where r.rating = 'basically_satisfied')`.as('basically_satisfied'),
      sql<number>`count(*) filter (where r.rating = 'dissatisfied')`.as('dissatisfied'),
    ])
    .groupBy([sql`${key}`, sql`${name}`])
    .orderBy(sql`count(*)`, 'desc')
    .limit(1000)
    .execute();
  const onTime = await statsBase(db, scope, p)
    .innerJoin('report_stages as s', 's.report_id', 'r.id')
    .where('s.finished_at', 'is not', null)
    .where('s.on_time', 'is not', null)
    .select([sql<string | null>`${key}`.as('key'), sql<number>`count(*)`.as('n'), sql<number>`count(*) filter (where s.on_time)`.as('on_time')])
    .groupBy(sql`${key}`)
    .execute();
  const stages = await statsBase(db, scope, p)
    .innerJoin('report_stages as s', 's.report_id', 'r.id')
    .where('s.finished_at', 'is not', null)
    .select([
      's.stage',
      sql<number>`count(*)`.as('n'),
      sql<number>`avg(extract(epoch from (s.finished_at - s.started_at)) / 60)`.as('avg_minutes'),
      sql<number>`count(*) filter (where s.on_time)`.as('on_time'),
      sql<number>`count(*) filter (where s.on_time is not null)`.as('timed'),
    ])
    .groupBy('s.stage')
    .execute();
  return { rows, onTime, stages };
}

// ---------------------------------------------------------------- demo data

export async function nextSequenceValues(db: DbOrTx, n: number): Promise<number[]> {
  const r = await sql<{ v: number }>`select nextval('report_number_seq')::int as v from generate_series(1, ${n})`.execute(db);
  return r.rows.map((x) => Number(x.v));
}

/** Bulk insert of generated cases with their stages and timeline (the demo district's history). */
export async function insertDemoCases(
  db: DbOrTx,
  reports: import('kysely').Insertable<ReportsTable>[],
  stages: import('kysely').Insertable<import('./reports.tables.js').ReportStagesTable>[],
  events: import('kysely').Insertable<import('./reports.tables.js').ReportEventsTable>[],
) {
  const chunk = <T>(rows: T[], size: number) => Array.from({ length: Math.ceil(rows.length / size) }, (_, i) => rows.slice(i * size, (i + 1) * size));
  for (const c of chunk(reports, 200)) await db.insertInto('reports').values(c).execute();
  for (const c of chunk(stages, 1000)) await db.insertInto('report_stages').values(c).execute();
  for (const c of chunk(events, 1000)) await db.insertInto('report_events').values(c).execute();
}
