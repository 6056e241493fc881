import { sql, type Insertable, type SelectQueryBuilder, type Updateable } from 'kysely';
import type { DbOrTx } from '../../db.js';
import type { DevicesTable, HouseholdsTable } from './alerts.tables.js';

/** SQL of devices, their readings, water bodies and households. */

// ---------------------------------------------------------------- devices

export interface DeviceScope {
  /** Devices whose area path starts with this (the reader's organisation subtree). */
  pathPrefix: string;
}

export interface DeviceFilter {
  type?: DevicesTable['type'];
  q?: string;
  online?: boolean;
  active?: boolean;
  waterBodyId?: string;
}

function deviceQuery(db: DbOrTx) {
  return (
    db
      .selectFrom('devices as d')
      .leftJoin('grids as g', 'g.id', 'd.grid_id')
      .leftJoin('orgs as cm', 'cm.id', 'd.community_org_id')
      .leftJoin('water_bodies as wb', 'wb.id', 'd.water_body_id')
      .leftJoin('households as h', 'h.id', 'd.household_id')
      .leftJoin('orgs as hc', 'hc.id', 'h.community_org_id')
      // The last reading by the primary key: last_reading_at is the newest observation time.
      .leftJoin('readings as r', (j) => j.onRef('r.device_id', '=', 'd.id').onRef('r.observed_at', '=', 'd.last_reading_at'))
      .select([
        'd.id',
        'd.code',
        'd.name',
        'd.type',
        'd.lng',
        'd.lat',
        'd.address_id',
        'd.address_text',
        'd.grid_id',
        'd.community_org_id',
        'd.district_org_id',
        'd.area_path',
        'd.owner',
        'd.water_body_id',
        'd.household_id',
        'd.active',
        'd.online',
        'd.last_seen_at',
        'd.last_reading_at',
        'd.created_at',
        'd.updated_at',
        'g.name as grid_name',
        'cm.name as community_name',
        'wb.name as water_body_name',
        'h.contact_name as household_contact_name',
        'hc.name as household_community_name',
        'r.values as last_values',
      ])
  );
}
export type DeviceView = Awaited<ReturnType<ReturnType<typeof deviceQuery>['executeTakeFirstOrThrow']>>;

export async function findDevice(db: DbOrTx, id: string): Promise<DeviceView | undefined> {
  return deviceQuery(db).where('d.id', '=', id).executeTakeFirst();
}

/** Locks the device row for an update in the caller's transaction. */
export async function lockDevice(tx: DbOrTx, id: string): Promise<void> {
  await tx.selectFrom('devices').select('id').where('id', '=', id).forUpdate().executeTakeFirst();
}

function deviceWhere<O>(q: SelectQueryBuilder<any, any, O>, scope: DeviceScope, f: DeviceFilter): SelectQueryBuilder<any, any, O> {
  let out = q.where('d.area_path', 'like', `${scope.pathPrefix}%`);
  if (f.type) out = out.where('d.type', '=', f.type);
  if (f.online !== undefined) out = out.where('d.online', '=', f.online);
  if (f.active !== undefined) out = out.where('d.active', '=', f.active);
  if (f.waterBodyId) out = out.where('d.water_body_id', '=', f.waterBodyId);
  if (f.q) {
    const like = `%${f.q}%`;
    out = out.where((eb) => eb.or([eb('d.code', 'like', like), eb('d.name', 'like', like), eb('d.address_text', 'like', like), eb('d.owner', 'like', like)]));
  }
  return out;
}

export async function listDevices(db: DbOrTx, scope: DeviceScope, f: DeviceFilter, page: { offset: number; limit: number }) {
  const [items, total] = await Promise.all([
    deviceWhere(deviceQuery(db), scope, f).orderBy('d.type').orderBy('d.code').offset(page.offset).limit(page.limit).execute() as Promise<DeviceView[]>,
    deviceWhere(db.selectFrom('devices as d').select((eb) => eb.fn.countAll().as('n')), scope, f).executeTakeFirstOrThrow() as Promise<{ n: number | string | bigint }>,
  ]);
  return { items, total: Number(total.n) };
}

/** What the secret check needs: one row by the unique code. */
export async function deviceCredentials(db: DbOrTx, code: string) {
  return db.selectFrom('devices').select(['id', 'code', 'type', 'active', 'secret_hash']).where('code', '=', code).executeTakeFirst();
}

export async function codeTaken(db: DbOrTx, code: string): Promise<boolean> {
  return !!(await db.selectFrom('devices').select('id').where('code', '=', code).executeTakeFirst());
}

export async function insertDevice(tx: DbOrTx, d: Insertable<DevicesTable>): Promise<string> {
  return (await tx.insertInto('devices').values(d).returning('id').executeTakeFirstOrThrow()).id;
}

export async function updateDevice(tx: DbOrTx, id: string, patch: Updateable<DevicesTable>): Promise<void> {
  await tx
    .updateTable('devices')
    .set({ ...patch, updated_at: new Date() })
    .where('id', '=', id)
    .execute();
}

/** Active devices with a position, for the map. */
export async function devicePoints(db: DbOrTx, scope: DeviceScope, type?: DevicesTable['type']) {
  let q = db
    .selectFrom('devices as d')
    .leftJoin('water_bodies as wb', 'wb.id', 'd.water_body_id')
    .select(['d.id', 'd.code', 'd.name', 'd.type', 'd.lng', 'd.lat', 'd.online', 'd.last_reading_at', 'wb.name as water_body_name'])
    .where('d.area_path', 'like', `${scope.pathPrefix}%`)
    .where('d.active', '=', true)
    .where('d.lng', 'is not', null)
    .where('d.lat', 'is not', null);
  if (type) q = q.where('d.type', '=', type);
  return q.orderBy('d.code').limit(50_000).execute();
}

// ---------------------------------------------------------------- readings

/** Readings of a device in [from, to), oldest first, by the primary key (device_id, observed_at). */
export async function readingsInRange(db: DbOrTx, deviceId: string, from: Date, to: Date, limit: number) {
  return db
    .selectFrom('readings')
    .select(['observed_at', 'values'])
    .where('device_id', '=', deviceId)
    .where('observed_at', '>=', from)
    .where('observed_at', '<', to)
    .orderBy('observed_at')
    .limit(limit)
    .execute();
}

/**
 * The same range averaged per time bucket and indicator: bucket n covers
 * [from + n·bucket, from + (n+1)·bucket). Non-numeric values take no part.
 */
export async function readingBuckets(db: DbOrTx, deviceId: string, from: Date, to: Date, bucketSeconds: number) {
  const r = await sql<{ bucket: number; indicator: string; value: number }>`
    select floor(extract(epoch from (r.observed_at - ${from}::timestamptz)) / ${bucketSeconds})::int as bucket,
           kv.key as indicator,
           avg((kv.value)::text::float8) as value
      from readings r
     cross join lateral jsonb_each(r.values) kv
     where r.device_id = ${deviceId}
       and r.observed_at >= ${from}
       and r.observed_at < ${to}
       and jsonb_typeof(kv.value) = 'number'
     group by 1, 2
     order by 1, 2`.execute(db);
  return r.rows.map((x) => ({ bucket: Number(x.bucket), indicator: x.indicator, value: Number(x.value) }));
}

/**
 * Deletes one batch of readings received before a time. The BRIN index on received_at finds
 * the old block ranges; the delete itself goes by the primary key.
 */
export async function deleteReadingsBatch(db: DbOrTx, olderThan: Date, batch: number): Promise<number> {
  const r = await sql`
    delete from readings
     where (device_id, observed_at) in (
       select device_id, observed_at from readings where received_at < ${olderThan} limit ${batch}
     )`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}

// ---------------------------------------------------------------- water bodies

export interface WaterBodyScope {
  /** The reader's scope path: water bodies of districts inside it, or of the district containing it. */
  scopePath: string;
}

function waterBodyQuery(db: DbOrTx) {
  return db
    .selectFrom('water_bodies as wb')
    .innerJoin('orgs as dist', 'dist.id', 'wb.district_org_id')
    .leftJoin('users as u', 'u.id', 'wb.chief_user_id')
    .selectAll('wb')
    .select([
      'dist.path as district_path',
      'u.display_name as chief_name',
      (eb) =>
        eb
          .selectFrom('devices as d')
          .select(eb.fn.countAll<number>().as('n'))
          .whereRef('d.water_body_id', '=', 'wb.id')
          .where('d.active', '=', true)
          .as('stations'),
    ]);
}
export type WaterBodyView = Awaited<ReturnType<ReturnType<typeof waterBodyQuery>['executeTakeFirstOrThrow']>>;

export async function listWaterBodies(db: DbOrTx, scope: WaterBodyScope, f: { q?: string }) {
  let q = waterBodyQuery(db).where((eb) => eb.or([eb('dist.path', 'like', `${scope.scopePath}%`), eb(sql.val(scope.scopePath), 'like', sql<string>`dist.path || '%'`)]));
  if (f.q) q = q.where('wb.name', 'like', `%${f.q}%`);
  return q.orderBy('wb.name').limit(1000).execute();
}

export async function findWaterBody(db: DbOrTx, id: string): Promise<WaterBodyView | undefined> {
  return waterBodyQuery(db).where('wb.id', '=', id).executeTakeFirst();
}

export async function waterBodyNameTaken(db: DbOrTx, districtOrgId: string, name: string, exceptId?: string): Promise<boolean> {
  let q = db.selectFrom('water_bodies').select('id').where('district_org_id', '=', districtOrgId).where('name', '=', name);
  if (exceptId) q = q.where('id', '!=', exceptId);
  return !!(await q.executeTakeFirst());
}

export async function insertWaterBody(tx: DbOrTx, w: { id?: string; districtOrgId: string; name: string; kind: 'river' | 'lake'; targetClass: number; alarmLevels: { yellow: number; red: number }; chiefUserId: string | null }) {
  return (
    await tx
      .insertInto('water_bodies')
      .values({ ...(w.id ? { id: w.id } : {}), district_org_id: w.districtOrgId, name: w.name, kind: w.kind, target_class: w.targetClass, alarm_levels: JSON.stringify(w.alarmLevels), chief_user_id: w.chiefUserId })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
}

export async function updateWaterBody(tx: DbOrTx, id: string, p: { name?: string; kind?: 'river' | 'lake'; targetClass?: number; alarmLevels?: { yellow: number; red: number }; chiefUserId?: string | null }) {
  await tx
    .updateTable('water_bodies')
    .set({
      ...(p.name !== undefined ? { name: p.name } : {}),
      ...(p.kind !== undefined ? { kind: p.kind } : {}),
      ...(p.targetClass !== undefined ? { target_class: p.targetClass } : {}),
      ...(p.alarmLevels !== undefined ? { alarm_levels: JSON.stringify(p.alarmLevels) } : {}),
      ...(p.chiefUserId !== undefined ? { chief_user_id: p.chiefUserId } : {}),
    })
    .where('id', '=', id)
    .execute();
}

export async function findOrgPath(db: DbOrTx, id: string) {
  return db.selectFrom('orgs').select(['id', 'kind', 'path']).where('id', '=', id).executeTakeFirst();
}

/** The district among the organisations of a path (paths are made of organisation ids). */
export async function districtOnPath(db: DbOrTx, path: string) {
  const ids = path.split('/').filter(Boolean);
  if (!ids.length) return undefined;
  return db.selectFrom('orgs').select(['id', 'path']).where('id', 'in', ids).where('kind', '=', 'district').orderBy(sql`length(path)`, 'desc').limit(1).executeTakeFirst();
}

/** An active user with the path of their organisation (river chiefs must work in the district). */
export async function findActiveUser(db: DbOrTx, id: string) {
  return db
    .selectFrom('users as u')
    .innerJoin('orgs as o', 'o.id', 'u.org_id')
    .select(['u.id', 'u.display_name', 'o.path as org_path'])
    .where('u.id', '=', id)
    .where('u.active', '=', true)
    .executeTakeFirst();
}

// ---------------------------------------------------------------- households

/** Who sees a household: the subtree, and for grid-bound readers only their grids. */
export interface HouseholdScope {
  pathPrefix: string;
  gridIds: string[] | null;
}

export interface HouseholdFilter {
  q?: string;
  careTag?: string;
  gridId?: string;
  communityId?: string;
  hasMeter?: boolean;
}

function householdQuery(db: DbOrTx) {
  return db
    .selectFrom('households as h')
    .leftJoin('grids as g', 'g.id', 'h.grid_id')
    .leftJoin('orgs as cm', 'cm.id', 'h.community_org_id')
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom('devices as m')
          .select(['m.id as meter_id', 'm.code as meter_code', 'm.online as meter_online', 'm.last_reading_at as meter_last_reading_at'])
          .whereRef('m.household_id', '=', 'h.id')
          .where('m.type', '=', 'water_meter')
          .where('m.active', '=', true)
          .orderBy('m.created_at', 'desc')
          .limit(1)
          .as('m'),
      (j) => j.onTrue(),
    )
    .selectAll('h')
    .select(['g.name as grid_name', 'cm.name as community_name', 'm.meter_id', 'm.meter_code', 'm.meter_online', 'm.meter_last_reading_at']);
}
export type HouseholdView = Awaited<ReturnType<ReturnType<typeof householdQuery>['executeTakeFirstOrThrow']>>;

function householdWhere<O>(q: SelectQueryBuilder<any, any, O>, scope: HouseholdScope, f: HouseholdFilter): SelectQueryBuilder<any, any, O> {
  let out = q.where('h.area_path', 'like', `${scope.pathPrefix}%`);
  if (scope.gridIds) out = scope.gridIds.length ? out.where('h.grid_id', 'in', scope.gridIds) : out.where(sql<boolean>`false`);
  if (f.q) out = out.where('h.address_text', 'like', `%${f.q}%`);
  if (f.careTag) out = out.where(sql<boolean>`${f.careTag} = any(h.care_tags)`);
  if (f.gridId) out = out.where('h.grid_id', '=', f.gridId);
  if (f.communityId) out = out.where('h.community_org_id', '=', f.communityId);
  if (f.hasMeter !== undefined) {
    const has = sql<boolean>`exists (select 1 from devices m where m.household_id = h.id and m.type = 'water_meter' and m.active)`;
    out = out.where(f.hasMeter ? has : sql<boolean>`not ${has}`);
  }
  return out;
}

export async function listHouseholds(db: DbOrTx, scope: HouseholdScope, f: HouseholdFilter, page: { offset: number; limit: number }) {
  const [items, total] = await Promise.all([
    householdWhere(householdQuery(db), scope, f).orderBy('h.created_at', 'desc').orderBy('h.id').offset(page.offset).limit(page.limit).execute() as Promise<HouseholdView[]>,
    householdWhere(db.selectFrom('households as h').select((eb) => eb.fn.countAll().as('n')), scope, f).executeTakeFirstOrThrow() as Promise<{ n: number | string | bigint }>,
  ]);
  return { items, total: Number(total.n) };
}

export async function findHousehold(db: DbOrTx, id: string, opts: { forUpdate?: boolean } = {}): Promise<HouseholdView | undefined> {
  if (opts.forUpdate) await db.selectFrom('households').select('id').where('id', '=', id).forUpdate().executeTakeFirst();
  return householdQuery(db).where('h.id', '=', id).executeTakeFirst();
}

export async function insertHousehold(tx: DbOrTx, h: Insertable<HouseholdsTable>): Promise<string> {
  return (await tx.insertInto('households').values(h).returning('id').executeTakeFirstOrThrow()).id;
}

export async function updateHousehold(tx: DbOrTx, id: string, patch: Updateable<HouseholdsTable>): Promise<void> {
  await tx
    .updateTable('households')
    .set({ ...patch, updated_at: new Date() })
    .where('id', '=', id)
    .execute();
}

/** Unlinks every meter of a household (a household has one meter at a time). */
export async function unlinkMeters(tx: DbOrTx, householdId: string, exceptDeviceId?: string): Promise<string[]> {
  let q = tx.updateTable('devices').set({ household_id: null, updated_at: new Date() }).where('household_id', '=', householdId);
  if (exceptDeviceId) q = q.where('id', '!=', exceptDeviceId);
  return (await q.returning('id').execute()).map((r) => r.id);
}

// ---------------------------------------------------------------- bulk writes (demo, imports)

/** Inserts many devices at once (ids given by the caller). */
export async function insertDevicesBulk(tx: DbOrTx, rows: Insertable<DevicesTable>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) await tx.insertInto('devices').values(rows.slice(i, i + 500)).execute();
}

export async function insertHouseholdsBulk(tx: DbOrTx, rows: Insertable<HouseholdsTable>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) await tx.insertInto('households').values(rows.slice(i, i + 500)).execute();
}

export interface BulkReading {
  device_id: string;
  observed_at: string;
  received_at: string;
  source: 'mqtt' | 'ngsi-ld' | 'http' | 'import';
  values: Record<string, number>;
}

/**
 * Inserts many readings, a few thousand per statement passed as one JSON parameter (far
 * fewer round trips and parameters than a multi-row VALUES list). Existing rows are kept.
 */
export async function insertReadingsBulk(tx: DbOrTx, rows: BulkReading[], chunk = 5_000): Promise<number> {
  let n = 0;
  for (let i = 0; i < rows.length; i += chunk) {
    const part = rows.slice(i, i + chunk);
    const r = await sql`
      insert into readings (device_id, observed_at, received_at, source, values)
      select x.device_id, x.observed_at, x.received_at, x.source, x.values
        from jsonb_to_recordset(${JSON.stringify(part)}::jsonb)
          as x(device_id uuid, observed_at timestamptz, received_at timestamptz, source text, values jsonb)
      on conflict (device_id, observed_at) do nothing`.execute(tx);
    n += Number(r.numAffectedRows ?? 0);
  }
  return n;
}

// ---------------------------------------------------------------- demo reads

export async function orgByCode(db: DbOrTx, code: string) {
  return db.selectFrom('orgs').select(['id', 'path', 'name']).where('code', '=', code).executeTakeFirst();
}

/** Streets of a district with their community staff (the demo's river chiefs). */
export async function streetsWithStaff(db: DbOrTx, districtPath: string) {
  return db
    .selectFrom('orgs as s')
    .leftJoin('users as u', (j) => j.onRef('u.org_id', '=', 's.id').on('u.active', '=', true).on(sql<boolean>`'community_staff' = any(u.roles)`))
    .select(['s.id', 's.name', 's.path', 'u.id as staff_id'])
    .where('s.kind', '=', 'street')
    .where('s.path', 'like', `${districtPath}%`)
    .orderBy('s.code')
    .execute();
}

/** A sample of the addresses of one level under a path, with grid and community. */
export async function addressesUnder(db: DbOrTx, pathPrefix: string, level: 'estate' | 'building' | 'room', limit: number) {
  return db
    .selectFrom('addresses as a')
    .innerJoin('grids as g', 'g.id', 'a.grid_id')
    .innerJoin('orgs as c', 'c.id', 'g.community_org_id')
    .select(['a.id', 'a.parent_id', 'a.name', 'a.full_text', 'a.lng', 'a.lat', 'a.grid_id', 'g.community_org_id', 'c.name as community_name', 'c.path as community_path'])
    .where('a.level', '=', level)
    .where('c.path', 'like', `${pathPrefix}%`)
    .orderBy('a.id')
    .limit(limit)
    .execute();
}
