import { sql } from 'kysely';
import type { DbOrTx } from '../../db.js';
import type { AddressLevel, AddressRecord, GridGeometry } from './geo.types.js';
import { bboxOf } from './grid-index.js';

/** SQL of the geo tables: grids, grid workers, addresses. */

export interface GridRow {
  id: string;
  code: string;
  name: string;
  community_org_id: string;
  community_name: string;
  community_code: string;
  community_path: string;
  street_id: string | null;
  street_name: string | null;
}

function gridQuery(db: DbOrTx) {
  return db
    .selectFrom('grids as g')
    .innerJoin('orgs as c', 'c.id', 'g.community_org_id')
    .leftJoin('orgs as s', 's.id', 'c.parent_id')
    .select([
      'g.id',
      'g.code',
      'g.name',
      'g.community_org_id',
      'c.name as community_name',
      'c.code as community_code',
      'c.path as community_path',
      's.id as street_id',
      's.name as street_name',
    ]);
}

export interface GridFilter {
  pathPrefix: string;
  gridIds: string[] | null;
  q?: string;
  communityId?: string;
  streetId?: string;
  bbox?: [number, number, number, number];
}

function filteredGrids(db: DbOrTx, f: GridFilter) {
  let q = gridQuery(db).where('c.path', 'like', `${f.pathPrefix}%`);
  if (f.gridIds) q = f.gridIds.length ? q.where('g.id', 'in', f.gridIds) : q.where(sql<boolean>`false`);
  if (f.communityId) q = q.where('g.community_org_id', '=', f.communityId);
  if (f.streetId) q = q.where('c.parent_id', '=', f.streetId);
  if (f.q) q = q.where((eb) => eb.or([eb('g.name', 'like', `%${f.q}%`), eb('g.code', 'like', `${f.q}%`), eb('c.name', 'like', `%${f.q}%`)]));
  if (f.bbox) {
    const [minLng, minLat, maxLng, maxLat] = f.bbox;
    q = q.where('g.max_lng', '>=', minLng).where('g.min_lng', '<=', maxLng).where('g.max_lat', '>=', minLat).where('g.min_lat', '<=', maxLat);
  }
  return q;
}

export async function listGrids(db: DbOrTx, f: GridFilter, page: { offset: number; limit: number }) {
  const [items, total] = await Promise.all([
    filteredGrids(db, f).orderBy('g.code').offset(page.offset).limit(page.limit).execute(),
    filteredGrids(db, f).clearSelect().select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { items, total: Number(total.n) };
}

export async function listGridsWithGeometry(db: DbOrTx, f: GridFilter) {
  return filteredGrids(db, f).select('g.geometry').orderBy('g.code').execute();
}

export async function findGrid(db: DbOrTx, id: string) {
  return gridQuery(db).select('g.geometry').where('g.id', '=', id).executeTakeFirst();
}

export async function findGridByCode(db: DbOrTx, code: string) {
  return db.selectFrom('grids').select(['id', 'code', 'name', 'community_org_id']).where('code', '=', code).executeTakeFirst();
}

/** Every grid with its name, geometry and community path: what the in-memory indexes need. */
export async function allGridsForIndex(db: DbOrTx): Promise<{ id: string; name: string; community_path: string; geometry: GridGeometry }[]> {
  const rows = await db
    .selectFrom('grids as g')
    .innerJoin('orgs as c', 'c.id', 'g.community_org_id')
    .select(['g.id', 'g.name', 'c.path as community_path', 'g.geometry'])
    .execute();
  return rows.map((r) => ({ ...r, geometry: r.geometry as GridGeometry }));
}

export async function insertGrid(db: DbOrTx, g: { id?: string; code: string; name: string; communityOrgId: string; geometry: GridGeometry }) {
  const [minLng, minLat, maxLng, maxLat] = bboxOf(g.geometry);
  const r = await db
    .insertInto('grids')
    .values({
      ...(g.id ? { id: g.id } : {}),
      code: g.code,
      name: g.name,
      community_org_id: g.communityOrgId,
      geometry: JSON.stringify(g.geometry),
      min_lng: minLng,
      min_lat: minLat,
      max_lng: maxLng,
      max_lat: maxLat,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return r.id;
}

export async function updateGrid(db: DbOrTx, id: string, patch: { name?: string; communityOrgId?: string; geometry?: GridGeometry }) {
  const bbox = patch.geometry ? bboxOf(patch.geometry) : null;
  await db
    .updateTable('grids')
    .set({
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.communityOrgId !== undefined ? { community_org_id: patch.communityOrgId } : {}),
      ...(patch.geometry && bbox
        ? { geometry: JSON.stringify(patch.geometry), min_lng: bbox[0], min_lat: bbox[1], max_lng: bbox[2], max_lat: bbox[3] }
        : {}),
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .execute();
}

export async function workersOfGrids(db: DbOrTx, gridIds: string[]) {
  if (gridIds.length === 0) return [];
  return db
    .selectFrom('grid_workers as w')
    .innerJoin('users as u', 'u.id', 'w.user_id')
    .select(['w.grid_id', 'u.id', 'u.display_name'])
    .where('w.grid_id', 'in', gridIds)
    .orderBy('u.username')
    .execute();
}

export async function gridsOfUsers(db: DbOrTx, userIds: string[]) {
  if (userIds.length === 0) return [];
  return db.selectFrom('grid_workers').select(['user_id', 'grid_id']).where('user_id', 'in', userIds).execute();
}

export async function replaceWorkersOfGrid(db: DbOrTx, gridId: string, userIds: string[]) {
  await db.deleteFrom('grid_workers').where('grid_id', '=', gridId).execute();
  if (userIds.length) await db.insertInto('grid_workers').values(userIds.map((user_id) => ({ grid_id: gridId, user_id }))).execute();
}

export async function replaceGridsOfUser(db: DbOrTx, userId: string, gridIds: string[]) {
  await db.deleteFrom('grid_workers').where('user_id', '=', userId).execute();
  if (gridIds.length) await db.insertInto('grid_workers').values(gridIds.map((grid_id) => ({ grid_id, user_id: userId }))).execute();
}

export async function gridsWithPaths(db: DbOrTx, ids: string[]) {
  if (ids.length === 0) return [];
  return db
    .selectFrom('grids as g')
    .innerJoin('orgs as c', 'c.id', 'g.community_org_id')
    .select(['g.id', 'c.path as community_path'])
    .where('g.id', 'in', ids)
    .execute();
}

/** Users (with their org path) by id, for validating worker assignments. */
export async function usersWithPaths(db: DbOrTx, ids: string[]) {
  if (ids.length === 0) return [];
  return db
    .selectFrom('users as u')
    .innerJoin('orgs as o', 'o.id', 'u.org_id')
    .select(['u.id', 'o.path as org_path'])
    .where('u.id', 'in', ids)
    .execute();
}

export async function countGrids(db: DbOrTx, f: GridFilter) {
  const r = await filteredGrids(db, f).clearSelect().select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function gridsByStreet(db: DbOrTx, pathPrefix: string) {
  return db
    .selectFrom('grids as g')
    .innerJoin('orgs as c', 'c.id', 'g.community_org_id')
    .innerJoin('orgs as s', 's.id', 'c.parent_id')
    .select(['s.id', 's.name', (eb) => eb.fn.countAll<number>().as('n')])
    .where('c.path', 'like', `${pathPrefix}%`)
    .groupBy(['s.id', 's.name', 's.code'])
    .orderBy('s.code')
    .execute();
}

// ---------------------------------------------------------------- addresses

const ADDRESS_COLUMNS = ['a.id', 'a.parent_id', 'a.level', 'a.name', 'a.full_text', 'a.aliases', 'a.lng', 'a.lat', 'a.grid_id'] as const;

export async function allAddresses(db: DbOrTx): Promise<AddressRecord[]> {
  const rows = await db.selectFrom('addresses as a').select(ADDRESS_COLUMNS).execute();
  return rows.map(toRecord);
}

function toRecord(r: { id: string; parent_id: string | null; level: string; name: string; full_text: string; aliases: string[]; lng: number; lat: number; grid_id: string | null }): AddressRecord {
  return {
    id: r.id,
    parentId: r.parent_id,
    level: r.level as AddressLevel,
    name: r.name,
    fullText: r.full_text,
    aliases: r.aliases ?? [],
    lng: r.lng,
    lat: r.lat,
    gridId: r.grid_id,
  };
}

/** The revision of the address and grid tables (bumped by triggers), to know when caches are stale. */
export async function geoRevision(db: DbOrTx): Promise<string> {
  const r = await db.selectFrom('geo_revision').select('revision').executeTakeFirstOrThrow();
  return String(r.revision);
}

export interface AddressFilter {
  parentId?: string;
  q?: string;
  level?: string;
}

/**
 * Addresses within a grid are visible when the grid's community is under the path prefix;
 * the levels above the community (no grid) are shared reference data.
 */
function visibleAddresses(db: DbOrTx, pathPrefix: string) {
  return db
    .selectFrom('addresses as a')
    .leftJoin('grids as g', 'g.id', 'a.grid_id')
    .leftJoin('orgs as gc', 'gc.id', 'g.community_org_id')
    .where((eb) => eb.or([eb('a.grid_id', 'is', null), eb('gc.path', 'like', `${pathPrefix}%`)]));
}

function filteredAddresses(db: DbOrTx, f: AddressFilter & { pathPrefix: string }) {
  let q = visibleAddresses(db, f.pathPrefix);
  if (f.parentId) q = q.where('a.parent_id', '=', f.parentId);
  else if (!f.q && !f.level) q = q.where('a.parent_id', 'is', null);
  if (f.level) q = q.where('a.level', '=', f.level);
  if (f.q) q = q.where('a.full_text', 'like', `%${f.q}%`);
  return q;
}

export async function listAddresses(db: DbOrTx, f: AddressFilter & { pathPrefix: string }, page: { offset: number; limit: number }) {
  const [items, total] = await Promise.all([
    filteredAddresses(db, f)
      .select(ADDRESS_COLUMNS)
      .select('g.name as grid_name')
      .select((eb) => eb.selectFrom('addresses as c').whereRef('c.parent_id', '=', 'a.id').select(eb.fn.countAll<number>().as('n')).as('child_count'))
      .orderBy('a.full_text')
      .offset(page.offset)
      .limit(page.limit)
      .execute(),
    filteredAddresses(db, f).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { items, total: Number(total.n) };
}

export async function findAddress(db: DbOrTx, id: string, pathPrefix: string) {
  return visibleAddresses(db, pathPrefix)
    .select(ADDRESS_COLUMNS)
    .select('g.name as grid_name')
    .select((eb) => eb.selectFrom('addresses as c').whereRef('c.parent_id', '=', 'a.id').select(eb.fn.countAll<number>().as('n')).as('child_count'))
    .where('a.id', '=', id)
    .executeTakeFirst();
}

export async function findAddressByFullText(db: DbOrTx, fullText: string) {
  return db.selectFrom('addresses').select(['id', 'level', 'full_text']).where('full_text', '=', fullText).executeTakeFirst();
}

export async function gridNames(db: DbOrTx, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('grids').select(['id', 'name']).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** Inserts address records in batches (parents must come first). */
export async function insertAddresses(db: DbOrTx, records: AddressRecord[], onBatch?: (done: number) => void) {
  const BATCH = 1000;
  for (let i = 0; i < records.length; i += BATCH) {
    const batch = records.slice(i, i + BATCH);
    await db
      .insertInto('addresses')
      .values(
        batch.map((r) => ({
          id: r.id,
          parent_id: r.parentId,
          level: r.level,
          name: r.name,
          full_text: r.fullText,
          aliases: r.aliases,
          lng: r.lng,
          lat: r.lat,
          grid_id: r.gridId,
        })),
      )
      .execute();
    onBatch?.(Math.min(records.length, i + BATCH));
  }
}

export async function countAddresses(db: DbOrTx): Promise<number> {
  const r = await db.selectFrom('addresses').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Bounding box of the grids under an organisation path, or null when there are none. */
export async function gridExtent(db: DbOrTx, pathPrefix: string): Promise<[number, number, number, number] | null> {
  const r = await db
    .selectFrom('grids as g')
    .innerJoin('orgs as c', 'c.id', 'g.community_org_id')
    .select((eb) => [eb.fn.min('g.min_lng').as('a'), eb.fn.min('g.min_lat').as('b'), eb.fn.max('g.max_lng').as('c'), eb.fn.max('g.max_lat').as('d')])
    .where('c.path', 'like', `${pathPrefix}%`)
    .executeTakeFirst();
  if (!r || r.a === null) return null;
  return [Number(r.a), Number(r.b), Number(r.c), Number(r.d)];
}
