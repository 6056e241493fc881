import { sql, type Transaction } from 'kysely';
import type { Database, DbOrTx } from '../../db.js';
import type { AlertWarningsTable } from './alerts.tables.js';
import type { Insertable } from 'kysely';

/** SQL of rules, rule states and warnings (devices, households and reconciliation data have their own repositories). */

export async function ruleById(q: DbOrTx, id: string) {
  return q.selectFrom('alert_rules').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function enabledRules(q: DbOrTx) {
  return q.selectFrom('alert_rules').selectAll().where('enabled', '=', true).execute();
}

export async function rulesOfDistricts(q: DbOrTx, districtIds: string[] | null) {
  let s = q.selectFrom('alert_rules as r').selectAll('r').orderBy('r.created_at');
  if (districtIds) s = s.where('r.district_org_id', 'in', districtIds.length ? districtIds : ['00000000-0000-0000-0000-000000000000']);
  return s.execute();
}

export async function insertRule(tx: DbOrTx, v: Insertable<Database['alert_rules']>) {
  return tx.insertInto('alert_rules').values(v).returning('id').executeTakeFirstOrThrow();
}

export async function updateRule(tx: DbOrTx, id: string, patch: Record<string, unknown>) {
  await tx
    .updateTable('alert_rules')
    .set({ ...patch, updated_at: new Date(), version: sql`version + 1` } as never)
    .where('id', '=', id)
    .execute();
}

export async function statesOf(q: DbOrTx, ruleId: string, subjectKeys?: string[]) {
  let s = q.selectFrom('alert_rule_states').select(['subject_key', 'state']).where('rule_id', '=', ruleId);
  if (subjectKeys) {
    if (!subjectKeys.length) return [];
    s = s.where('subject_key', 'in', subjectKeys);
  }
  return s.execute();
}

export async function saveStates(tx: DbOrTx, ruleId: string, rows: { subjectKey: string; state: unknown }[]) {
  for (let i = 0; i < rows.length; i += 1000) {
    const chunk = rows.slice(i, i + 1000);
    await tx
      .insertInto('alert_rule_states')
      .values(chunk.map((r) => ({ rule_id: ruleId, subject_key: r.subjectKey, state: JSON.stringify(r.state) })))
      .onConflict((oc) => oc.columns(['rule_id', 'subject_key']).doUpdateSet({ state: (eb) => eb.ref('excluded.state'), updated_at: new Date() }))
      .execute();
  }
}

/** Warning numbers YJ + Beijing date + sequence, n at once. */
export async function nextWarningNumbers(tx: DbOrTx, n: number): Promise<string[]> {
  const r = await sql<{ n: string }>`select nextval('alert_warning_number_seq')::text as n from generate_series(1, ${n})`.execute(tx);
  const day = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10).replace(/-/g, '');
  return r.rows.map((x) => `YJ${day}${x.n.padStart(5, '0')}`);
}

/** Inserts warnings, skipping episodes that already have one; the rows written. */
export async function insertWarnings(tx: DbOrTx, rows: Insertable<AlertWarningsTable>[]) {
  const out: { id: string; number: string; subject_key: string; episode_key: string }[] = [];
  for (let i = 0; i < rows.length; i += 500) {
    out.push(
      ...(await tx
        .insertInto('alert_warnings')
        .values(rows.slice(i, i + 500))
        .onConflict((oc) => oc.columns(['rule_id', 'subject_key', 'episode_key']).doNothing())
        .returning(['id', 'number', 'subject_key', 'episode_key'])
        .execute()),
    );
  }
  return out;
}

/** The warnings of some episodes of a rule. */
export async function warningsOfEpisodes(q: DbOrTx, ruleId: string, keys: { subjectKey: string; episodeKey: string }[]) {
  if (!keys.length) return [];
  const subjects = [...new Set(keys.map((k) => k.subjectKey))];
  const wanted = new Set(keys.map((k) => `${k.subjectKey}\u0000${k.episodeKey}`));
  const rows: { id: string; number: string; level: string; area_path: string; cleared_at: Date | null; subject_key: string; episode_key: string }[] = [];
  for (let i = 0; i < subjects.length; i += 1000) {
    rows.push(
      ...(await q
        .selectFrom('alert_warnings')
        .select(['id', 'number', 'level', 'area_path', 'cleared_at', 'subject_key', 'episode_key'])
        .where('rule_id', '=', ruleId)
        .where('subject_key', 'in', subjects.slice(i, i + 1000))
        .execute()),
    );
  }
  return rows.filter((r) => wanted.has(`${r.subject_key}\u0000${r.episode_key}`));
}

export async function updateWarnings(tx: DbOrTx, ids: string[], patch: Partial<Record<keyof AlertWarningsTable, unknown>>) {
  for (let i = 0; i < ids.length; i += 1000) {
    await tx
      .updateTable('alert_warnings')
      .set(patch as never)
      .where('id', 'in', ids.slice(i, i + 1000))
      .execute();
  }
}



export async function updateWarning(tx: DbOrTx, id: string, patch: Partial<Record<keyof AlertWarningsTable, unknown>>) {
  await tx
    .updateTable('alert_warnings')
    .set(patch as never)
    .where('id', '=', id)
    .execute();
}

export async function warningRow(q: DbOrTx, id: string, forUpdate = false) {
  let s = q
    .selectFrom('alert_warnings as w')
    .innerJoin('alert_rules as r', 'r.id', 'w.rule_id')
    .leftJoin('devices as d', 'd.id', 'w.device_id')
    .leftJoin('grids as g', 'g.id', 'w.grid_id')
    .leftJoin('orgs as c', 'c.id', 'w.community_org_id')
    .leftJoin('reports as rep', 'rep.id', 'w.report_id')
    .selectAll('w')
    .select([
      'r.name as rule_name',
      'r.kind as rule_kind',
      'r.task_category',
      'd.code as device_code',
      'd.name as device_name',
      'd.type as device_type',
      'g.name as grid_name',
      'c.name as community_name',
      'rep.number as report_number',
      'rep.status as report_status',
      'rep.stage_deadline as report_deadline',
      'rep.assignee_id as report_assignee_id',
    ])
    .where('w.id', '=', id);
  if (forUpdate) s = s.forUpdate('w');
  return s.executeTakeFirst();
}

export interface WarningFilter {
  scopePath: string;
  gridIds: string[] | null;
  level?: string;
  status?: string;
  ruleId?: string;
  kind?: string;
  deviceId?: string;
  from?: Date;
  to?: Date;
  q?: string;
}

function filtered(q: DbOrTx, f: WarningFilter) {
  let s = q
    .selectFrom('alert_warnings as w')
    .innerJoin('alert_rules as r', 'r.id', 'w.rule_id')
    .where('w.area_path', 'like', `${f.scopePath}%`);
  if (f.gridIds) s = s.where('w.grid_id', 'in', f.gridIds.length ? f.gridIds : ['00000000-0000-0000-0000-000000000000']);
  if (f.level) s = s.where('w.level', '=', f.level as never);
  if (f.status === 'open') s = s.where('w.status', 'in', ['open', 'verifying']);
  else if (f.status === 'done') s = s.where('w.status', 'in', ['confirmed', 'false_alarm', 'handled']);
  else if (f.status) s = s.where('w.status', '=', f.status as never);
  if (f.ruleId) s = s.where('w.rule_id', '=', f.ruleId);
  if (f.kind) s = s.where('r.kind', '=', f.kind as never);
  if (f.deviceId) s = s.where('w.device_id', '=', f.deviceId);
  if (f.from) s = s.where('w.raised_at', '>=', f.from);
  if (f.to) s = s.where('w.raised_at', '<', f.to);
  if (f.q) s = s.where((eb) => eb.or([eb('w.title', 'like', `%${f.q}%`), eb('w.address_text', 'like', `%${f.q}%`), eb('w.number', '=', f.q!)]));
  return s;
}

export async function listWarnings(q: DbOrTx, f: WarningFilter, page: { limit: number; offset: number }) {
  const items = await filtered(q, f)
    .leftJoin('devices as d', 'd.id', 'w.device_id')
    .leftJoin('grids as g', 'g.id', 'w.grid_id')
    .leftJoin('reports as rep', 'rep.id', 'w.report_id')
    .select([
      'w.id',
      'w.number',
      'w.level',
      'w.title',
      'w.status',
      'w.raised_at',
      'w.cleared_at',
      'w.address_text',
      'w.lng',
      'w.lat',
      'w.rule_id',
      'w.report_id',
      'w.device_id',
      'w.outcome_at',
      'r.name as rule_name',
      'r.kind as rule_kind',
      'd.code as device_code',
      'd.name as device_name',
      'g.name as grid_name',
      'rep.number as report_number',
      'rep.status as report_status',
      'rep.stage_deadline as report_deadline',
    ])
    .orderBy('w.raised_at', 'desc')
    .orderBy('w.id')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  const total = await filtered(q, f).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return { items, total: Number(total.n) };
}

/** Warnings by rule and outcome: the precision of each rule as verified on site. */
export async function precisionByRule(q: DbOrTx, f: WarningFilter) {
  return filtered(q, f)
    .select([
      'w.rule_id',
      'r.name as rule_name',
      'r.kind as rule_kind',
      (eb) => eb.fn.countAll<string>().as('raised'),
      sql<string>`count(*) filter (where w.status in ('confirmed', 'handled', 'false_alarm'))`.as('verified'),
      sql<string>`count(*) filter (where w.status = 'confirmed')`.as('confirmed'),
      sql<string>`count(*) filter (where w.status = 'handled')`.as('handled'),
      sql<string>`count(*) filter (where w.status = 'false_alarm')`.as('false_alarm'),
      sql<string>`count(*) filter (where w.level = 'red')`.as('red'),
      sql<string>`count(*) filter (where w.level = 'yellow')`.as('yellow'),
      sql<string>`count(*) filter (where w.level = 'green')`.as('green'),
    ])
    .groupBy(['w.rule_id', 'r.name', 'r.kind'])
    .orderBy('r.name')
    .execute();
}

/** Warnings whose verification task was not created (yet): the sweep picks them up. */
export async function untaskedWarnings(q: DbOrTx, olderThan: Date, limit: number) {
  return q
    .selectFrom('alert_warnings')
    .select('id')
    .where('report_id', 'is', null)
    .where('status', '=', 'open')
    .where('raised_at', '<', olderThan)
    .where((eb) => eb.or([eb('task_claimed_at', 'is', null), eb('task_claimed_at', '<', olderThan)]))
    .orderBy('raised_at')
    .limit(limit)
    .execute();
}

/** Claims the creation of a warning's task (autocommit): one creator at a time; a stale claim (crash) may be taken over. */
export async function claimTask(q: DbOrTx, id: string, staleBefore: Date) {
  return q
    .updateTable('alert_warnings')
    .set({ task_claimed_at: new Date() })
    .where('id', '=', id)
    .where('report_id', 'is', null)
    .where((eb) => eb.or([eb('task_claimed_at', 'is', null), eb('task_claimed_at', '<', staleBefore)]))
    .returningAll()
    .executeTakeFirst();
}

export async function reportByExternalRef(q: DbOrTx, ref: string) {
  return q.selectFrom('reports').select(['id', 'status']).where('external_ref', '=', ref).executeTakeFirst();
}

export async function warningIdOfReport(q: DbOrTx, reportId: string) {
  return q.selectFrom('alert_warnings').select('id').where('report_id', '=', reportId).executeTakeFirst();
}

export async function usersByIds(q: DbOrTx, ids: string[]) {
  if (!ids.length) return [];
  return q.selectFrom('users').select(['id', 'display_name']).where('id', 'in', ids).execute();
}

export async function usersWithRoleUnder(q: DbOrTx, path: string, role: string) {
  return q
    .selectFrom('users as u')
    .innerJoin('orgs as o', 'o.id', 'u.org_id')
    .select('u.id')
    .where('o.path', 'like', `${path}%`)
    .where(sql<boolean>`${role} = any(u.roles)`)
    .where('u.active', '=', true)
    .execute();
}

export type Tx = Transaction<Database>;

/** A device as the ingest needs it: its rules' subjects, its water body and its household's care tags. */
export async function deviceForIngest(q: DbOrTx, by: { code?: string; id?: string }) {
  let s = q
    .selectFrom('devices as d')
    .leftJoin('water_bodies as wb', 'wb.id', 'd.water_body_id')
    .leftJoin('households as h', 'h.id', 'd.household_id')
    .select([
      'd.id',
      'd.code',
      'd.name',
      'd.type',
      'd.active',
      'd.lng',
      'd.lat',
      'd.address_text',
      'd.grid_id',
      'd.community_org_id',
      'd.district_org_id',
      'd.area_path',
      'd.household_id',
      'd.water_body_id',
      'd.created_at',
      'd.last_reading_at',
      'wb.name as water_body_name',
      'wb.kind as water_body_kind',
      'wb.target_class',
      'wb.alarm_levels',
      'wb.chief_user_id',
      'h.care_tags',
      'h.address_text as household_address',
    ]);
  s = by.id ? s.where('d.id', '=', by.id) : s.where('d.code', '=', by.code!);
  return s.executeTakeFirst();
}
export type IngestDevice = NonNullable<Awaited<ReturnType<typeof deviceForIngest>>>;

/** Stores a reading once: a redelivered message (same device and time) changes nothing. */
export async function insertReading(tx: DbOrTx, v: { deviceId: string; observedAt: Date; source: 'mqtt' | 'ngsi-ld' | 'http' | 'import'; values: Record<string, number> }) {
  const r = await tx
    .insertInto('readings')
    .values({ device_id: v.deviceId, observed_at: v.observedAt, source: v.source, values: JSON.stringify(v.values) })
    .onConflict((oc) => oc.columns(['device_id', 'observed_at']).doNothing())
    .returning('device_id')
    .executeTakeFirst();
  return !!r;
}

export async function markDeviceHeard(tx: DbOrTx, id: string, observedAt: Date) {
  await tx
    .updateTable('devices')
    .set({ online: true, last_seen_at: new Date(), last_reading_at: sql`greatest(last_reading_at, ${observedAt})` as never })
    .where('id', '=', id)
    .execute();
}

/** Serialises the rule evaluation of one subject across connections and instances. */
export async function lockSubject(tx: DbOrTx, key: string) {
  await sql`select pg_advisory_xact_lock(hashtextextended(${key}, 7310))`.execute(tx);
}

/** Devices a device rule watches (active, of its type or its list, in its district). */
export async function devicesOfRule(q: DbOrTx, rule: { district_org_id: string; device_type: string | null; device_ids: string[] | null }, districtPath: string) {
  let s = q.selectFrom('devices').select('id').where('active', '=', true).where('area_path', 'like', `${districtPath}%`);
  if (rule.device_type) s = s.where('type', '=', rule.device_type as never);
  if (rule.device_ids?.length) s = s.where('id', 'in', rule.device_ids);
  return (await s.execute()).map((r) => r.id);
}

export async function orgPath(q: DbOrTx, id: string) {
  return (await q.selectFrom('orgs').select('path').where('id', '=', id).executeTakeFirst())?.path ?? null;
}

/** Readings of a device in a time range, oldest first (dry runs replay them). */
export async function readingsBetween(q: DbOrTx, deviceId: string, from: Date, to: Date) {
  return q
    .selectFrom('readings')
    .select(['observed_at', 'values'])
    .where('device_id', '=', deviceId)
    .where('observed_at', '>', from)
    .where('observed_at', '<=', to)
    .orderBy('observed_at')
    .execute();
}

/** Devices whose silence is counted: online flag off when silent longer than the limit. */
export async function markSilentOffline(q: DbOrTx, silentBefore: Date) {
  const r = await q
    .updateTable('devices')
    .set({ online: false })
    .where('online', '=', true)
    .where((eb) => eb.or([eb('last_seen_at', '<', silentBefore), eb('last_seen_at', 'is', null)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** An NGSI-LD observation entity of a device exists once the device has reported through NGSI-LD. */
export async function hasNgsiReadings(q: DbOrTx, deviceId: string) {
  const r = await q.selectFrom('readings').select('device_id').where('device_id', '=', deviceId).where('source', '=', 'ngsi-ld').limit(1).executeTakeFirst();
  return !!r;
}

export async function latestReading(q: DbOrTx, deviceId: string) {
  return q.selectFrom('readings').select(['observed_at', 'values']).where('device_id', '=', deviceId).orderBy('observed_at', 'desc').limit(1).executeTakeFirst();
}

/** Building addresses of a district inside grids that have a worker, spread over the district (demo data). */
export async function buildingAddresses(q: DbOrTx, districtPath: string, n: number) {
  return q
    .selectFrom('addresses as a')
    .innerJoin('grids as g', 'g.id', 'a.grid_id')
    .innerJoin('orgs as c', 'c.id', 'g.community_org_id')
    .select(['a.full_text'])
    .where('a.level', '=', 'building')
    .where('c.path', 'like', `${districtPath}%`)
    .where((eb) => eb.exists(eb.selectFrom('grid_workers as gw').select('gw.grid_id').whereRef('gw.grid_id', '=', 'g.id')))
    .orderBy(sql`md5(a.full_text)`)
    .limit(n)
    .execute();
}
