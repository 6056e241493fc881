import crypto from 'node:crypto';
import type { Db, DbOrTx } from '../../db.js';
import { recordAudit } from '../../platform/audit/audit.js';
import type { ActorContext } from '../../platform/http/context.js';
import { AppError, invalid, notFound } from '../../platform/http/errors.js';
import type { JobError, Jobs } from '../../platform/jobs/jobs.js';
import * as core from '../core/index.js';
import { gridInScope, orgInScope, requirePermission, type GridLinks } from '../core/index.js';
import { AddressMatcher } from './address-matcher.js';
import { columnLabel, readImportRows, type ImportRow } from './geo.import.js';
import * as repo from './geo.repository.js';
import type { AddressLevel, AddressRecord, GridGeometry } from './geo.types.js';
import { GridIndex } from './grid-index.js';

interface GeoCache {
  revision: string;
  checkedAt: number;
  matcher: AddressMatcher;
  gridIndex: GridIndex;
  records: Map<string, AddressRecord>;
  gridNames: Map<string, string>;
  gridPaths: Map<string, string>;
}

/** How often a process re-checks whether another instance changed the address library. */
const REVISION_CHECK_MS = 2_000;

export interface GridFeatureInput {
  type: 'Feature';
  properties: { code?: unknown; name?: unknown; communityCode?: unknown } | null;
  geometry: unknown;
}

function presentGrid(g: repo.GridRow, workers: { id: string; displayName: string }[]) {
  return {
    id: g.id,
    code: g.code,
    name: g.name,
    communityId: g.community_org_id,
    communityName: g.community_name,
    streetId: g.street_id,
    streetName: g.street_name,
    workers,
  };
}

export function validateGeometry(g: unknown, field: string): GridGeometry {
  const fail = (m: string) => invalid(field, m);
  if (!g || typeof g !== 'object') throw fail('must be a GeoJSON Polygon or MultiPolygon');
  const geom = g as { type?: unknown; coordinates?: unknown };
  const checkRing = (ring: unknown) => {
    if (!Array.isArray(ring) || ring.length < 4) throw fail('each ring needs at least 4 positions');
    for (const p of ring) {
      if (!Array.isArray(p) || p.length < 2 || !Number.isFinite(p[0]) || !Number.isFinite(p[1])) throw fail('positions must be [lng, lat] numbers');
      if (p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90) throw fail('positions must be WGS-84 longitude/latitude');
    }
    const a = ring[0] as number[];
    const b = ring[ring.length - 1] as number[];
    if (a[0] !== b[0] || a[1] !== b[1]) throw fail('rings must be closed (first position = last position)');
  };
  const checkPolygon = (rings: unknown) => {
    if (!Array.isArray(rings) || rings.length === 0) throw fail('a polygon needs at least one ring');
    rings.forEach(checkRing);
  };
  if (geom.type === 'Polygon') checkPolygon(geom.coordinates);
  else if (geom.type === 'MultiPolygon') {
    if (!Array.isArray(geom.coordinates) || geom.coordinates.length === 0) throw fail('a MultiPolygon needs at least one polygon');
    geom.coordinates.forEach(checkPolygon);
  } else throw fail('must be a GeoJSON Polygon or MultiPolygon');
  return g as GridGeometry;
}

export function createGeoService(db: Db, jobs: Jobs) {
  let cache: GeoCache | null = null;
  let loading: Promise<GeoCache> | null = null;

  async function load(): Promise<GeoCache> {
    const revision = await repo.geoRevision(db);
    const [records, grids] = await Promise.all([repo.allAddresses(db), repo.allGridsForIndex(db)]);
    return {
      revision,
      checkedAt: Date.now(),
      matcher: new AddressMatcher(records),
      gridIndex: new GridIndex(grids),
      records: new Map(records.map((r) => [r.id, r])),
      gridNames: new Map(grids.map((g) => [g.id, g.name])),
      gridPaths: new Map(grids.map((g) => [g.id, g.community_path])),
    };
  }

  /** The in-memory indexes, rebuilt when this or another instance changed the tables. */
  async function indexes(): Promise<GeoCache> {
    if (cache && Date.now() - cache.checkedAt < REVISION_CHECK_MS) return cache;
    if (cache) {
      const rev = await repo.geoRevision(db);
      if (rev === cache.revision) {
        cache.checkedAt = Date.now();
        return cache;
      }
    }
    loading ??= load().finally(() => (loading = null));
    cache = await loading;
    return cache;
  }

  function invalidate() {
    cache = null;
  }

  async function workersFor(db2: DbOrTx, gridIds: string[]) {
    const rows = await repo.workersOfGrids(db2, gridIds);
    const map = new Map<string, { id: string; displayName: string }[]>();
    for (const r of rows) {
      const list = map.get(r.grid_id) ?? [];
      list.push({ id: r.id, displayName: r.display_name });
      map.set(r.grid_id, list);
    }
    return map;
  }

  async function visibleGrid(ctx: ActorContext, db2: DbOrTx, id: string) {
    const g = await repo.findGrid(db2, id);
    if (!g || !gridInScope(ctx.actor, { id: g.id, communityPath: g.community_path })) throw notFound('grid');
    return g;
  }

  function scopeFilter(ctx: ActorContext): repo.GridFilter {
    return { pathPrefix: ctx.actor.scopePath, gridIds: ctx.actor.gridIds };
  }

  function presentMatch(c: GeoCache, m: { record: AddressRecord; confidence: number }) {
    return {
      id: m.record.id,
      fullText: m.record.fullText,
      level: m.record.level,
      lng: m.record.lng,
      lat: m.record.lat,
      gridId: m.record.gridId,
      gridName: m.record.gridId ? (c.gridNames.get(m.record.gridId) ?? null) : null,
      confidence: Math.round(m.confidence * 1000) / 1000,
    };
  }

  const gridLinks: GridLinks = {
    async gridsOfUsers(db2, userIds) {
      const rows = await repo.gridsOfUsers(db2, userIds);
      const map = new Map<string, string[]>();
      for (const r of rows) map.set(r.user_id, [...(map.get(r.user_id) ?? []), r.grid_id]);
      return map;
    },
    async setGridsOfUser(tx, ctx, userId, gridIds) {
      const unique = [...new Set(gridIds)];
      const found = await repo.gridsWithPaths(tx, unique);
      if (found.length !== unique.length || found.some((g) => !gridInScope(ctx.actor, { id: g.id, communityPath: g.community_path }))) {
        throw new AppError('not_found', 'gridIds: grid not found', [{ field: 'gridIds', message: 'grid not found' }]);
      }
      await repo.replaceGridsOfUser(tx, userId, unique);
    },
  };

  return {
    gridLinks,
    invalidate,
    /** For the auth service: the grids a grid worker is bound to. */
    async gridIdsOf(userId: string): Promise<string[]> {
      return (await gridLinks.gridsOfUsers(db, [userId])).get(userId) ?? [];
    },

    async listGrids(ctx: ActorContext, f: { q?: string; communityId?: string; streetId?: string }, page: { page: number; pageSize: number }) {
      requirePermission(ctx.actor, 'grid.read');
      const { items, total } = await repo.listGrids(db, { ...scopeFilter(ctx), ...f }, { offset: (page.page - 1) * page.pageSize, limit: page.pageSize });
      const workers = await workersFor(db, items.map((g) => g.id));
      return { items: items.map((g) => presentGrid(g, workers.get(g.id) ?? [])), total };
    },

    async getGrid(ctx: ActorContext, id: string) {
      requirePermission(ctx.actor, 'grid.read');
      const g = await visibleGrid(ctx, db, id);
      const workers = await workersFor(db, [id]);
      return { ...presentGrid(g, workers.get(id) ?? []), geometry: g.geometry as GridGeometry };
    },

    async updateGrid(ctx: ActorContext, id: string, patch: { name?: string; workerIds?: string[] }) {
      requirePermission(ctx.actor, 'grid.write');
      await db.transaction().execute(async (tx) => {
        const before = await visibleGrid(ctx, tx, id);
        const beforeWorkers = (await workersFor(tx, [id])).get(id) ?? [];
        if (patch.name !== undefined) await repo.updateGrid(tx, id, { name: patch.name });
        if (patch.workerIds !== undefined) {
          const unique = [...new Set(patch.workerIds)];
          const users = await repo.usersWithPaths(tx, unique);
          if (users.length !== unique.length || users.some((u) => !orgInScope(ctx.actor, u.org_path))) {
            throw new AppError('not_found', 'workerIds: user not found', [{ field: 'workerIds', message: 'user not found' }]);
          }
          await repo.replaceWorkersOfGrid(tx, id, unique);
        }
        await recordAudit(tx, ctx, {
          action: 'grid.updated',
          targetType: 'grid',
          targetId: id,
          before: { name: before.name, workerIds: beforeWorkers.map((w) => w.id) },
          after: { ...(patch.name !== undefined ? { name: patch.name } : {}), ...(patch.workerIds ? { workerIds: patch.workerIds } : {}) },
        });
      });
      invalidate();
      const { geometry: _g, ...rest } = await this.getGrid(ctx, id);
      return rest;
    },

    /** Grids as GeoJSON features for the map (optionally limited to a viewport). */
    async gridFeatures(ctx: ActorContext, bbox?: [number, number, number, number]) {
      requirePermission(ctx.actor, 'grid.read');
      const rows = await repo.listGridsWithGeometry(db, { ...scopeFilter(ctx), ...(bbox ? { bbox } : {}) });
      return {
        type: 'FeatureCollection' as const,
        features: rows.map((g) => ({
          type: 'Feature' as const,
          id: g.id,
          properties: {
            id: g.id,
            code: g.code,
            name: g.name,
            communityCode: g.community_code,
            communityName: g.community_name,
            streetId: g.street_id,
            streetName: g.street_name,
          },
          geometry: g.geometry as GridGeometry,
        })),
      };
    },

    /**
     * The grid map for residents placing a pin (no account): outlines with grid and community
     * names only. Optionally limited to a subtree (one district of a shared database).
     */
    async publicGridFeatures(pathPrefix = '/') {
      const rows = await repo.listGridsWithGeometry(db, { pathPrefix, gridIds: null });
      return {
        type: 'FeatureCollection' as const,
        features: rows.map((g) => ({
          type: 'Feature' as const,
          id: g.id,
          properties: { name: g.name, community: g.community_name, street: g.street_name },
          geometry: g.geometry as GridGeometry,
        })),
      };
    },

    async publicExtent(pathPrefix = '/') {
      return repo.gridExtent(db, pathPrefix);
    },

    /** Creates or updates grids by code from a GeoJSON FeatureCollection; all or nothing. */
    async importGrids(ctx: ActorContext, features: GridFeatureInput[]) {
      requirePermission(ctx.actor, 'grid.write');
      const result = await db.transaction().execute(async (tx) => {
        const problems: { field: string; message: string }[] = [];
        const plan: { code: string; name: string; communityOrgId: string; geometry: GridGeometry; existingId?: string }[] = [];
        const seen = new Set<string>();
        for (let i = 0; i < features.length; i++) {
          const f = features[i];
          const at = `features.${i}`;
          try {
            const p = f.properties ?? {};
            if (typeof p.code !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(p.code)) throw invalid(`${at}.properties.code`, 'required: letters, digits, dash, underscore');
            if (seen.has(p.code)) throw invalid(`${at}.properties.code`, `duplicate code ${p.code} in the file`);
            seen.add(p.code);
            if (typeof p.name !== 'string' || !p.name.trim()) throw invalid(`${at}.properties.name`, 'required');
            if (typeof p.communityCode !== 'string') throw invalid(`${at}.properties.communityCode`, 'required');
            const community = await core.findOrgByCode(tx, p.communityCode);
            if (!community || community.kind !== 'community' || !orgInScope(ctx.actor, community.path)) {
              throw invalid(`${at}.properties.communityCode`, `no community with code ${p.communityCode}`);
            }
            const geometry = validateGeometry(f.geometry, `${at}.geometry`);
            const existing = await repo.findGridByCode(tx, p.code);
            if (existing) {
              const g = await repo.findGrid(tx, existing.id);
              if (!g || !gridInScope(ctx.actor, { id: g.id, communityPath: g.community_path })) {
                throw invalid(`${at}.properties.code`, `grid ${p.code} belongs to another organisation`);
              }
            }
            plan.push({ code: p.code, name: p.name.trim(), communityOrgId: community.id, geometry, existingId: existing?.id });
          } catch (e) {
            if (e instanceof AppError && Array.isArray(e.details)) problems.push(...(e.details as { field: string; message: string }[]));
            else throw e;
          }
        }
        if (problems.length) {
          throw new AppError('validation_failed', `${problems.length} problem(s) in the file; nothing was imported: ${problems.slice(0, 3).map((p) => `${p.field}: ${p.message}`).join('; ')}`, problems);
        }
        let created = 0;
        let updated = 0;
        for (const g of plan) {
          if (g.existingId) {
            await repo.updateGrid(tx, g.existingId, { name: g.name, communityOrgId: g.communityOrgId, geometry: g.geometry });
            updated++;
          } else {
            await repo.insertGrid(tx, g);
            created++;
          }
        }
        await recordAudit(tx, ctx, { action: 'grid.imported', targetType: 'grid', after: { created, updated, codes: plan.map((p) => p.code) } });
        return { created, updated };
      });
      invalidate();
      return result;
    },

    async locate(ctx: ActorContext, lng: number, lat: number) {
      requirePermission(ctx.actor, 'grid.read');
      const c = await indexes();
      const id = c.gridIndex.locate(lng, lat);
      if (!id) throw notFound('grid at this point');
      const g = await visibleGrid(ctx, db, id);
      const workers = await workersFor(db, [id]);
      return {
        grid: presentGrid(g, workers.get(id) ?? []),
        community: { id: g.community_org_id, name: g.community_name },
        street: g.street_id ? { id: g.street_id, name: g.street_name ?? '' } : null,
      };
    },

    /**
     * Where a point lies — grid, community, street and the grid's workers — for the intake of
     * reports, which residents make without an account. Null when no grid covers the point.
     */
    async placeOfPoint(lng: number, lat: number): Promise<Place | null> {
      const c = await indexes();
      const id = c.gridIndex.locate(lng, lat);
      if (!id) return null;
      const g = await repo.findGrid(db, id);
      if (!g) return null;
      const workers = await workersFor(db, [id]);
      return {
        gridId: g.id,
        gridName: g.name,
        communityOrgId: g.community_org_id,
        communityName: g.community_name,
        communityPath: g.community_path,
        streetOrgId: g.street_id,
        streetName: g.street_name,
        workers: workers.get(id) ?? [],
      };
    },

    /** Free text → the best address inside an organisation subtree (intake; no permission check). */
    async resolveAddress(q: string, scopePath: string) {
      const c = await indexes();
      const visible = (r: AddressRecord) => !r.gridId || (c.gridPaths.get(r.gridId) ?? '').startsWith(scopePath);
      const res = c.matcher.match(q, { limit: 5, visible });
      return res.best ? { best: presentMatch(c, res.best), alternatives: res.alternatives.map((m) => presentMatch(c, m)) } : null;
    },

    /** Free text → best address record with confidence, and the alternatives. */
    async matchAddress(ctx: ActorContext, q: string, limit: number) {
      requirePermission(ctx.actor, 'address.read');
      const c = await indexes();
      // Records in grids outside the caller's scope take no part in the ranking.
      const visible = (r: AddressRecord) => !r.gridId || (c.gridPaths.get(r.gridId) ?? '').startsWith(ctx.actor.scopePath);
      const res = c.matcher.match(q, { limit, visible });
      return {
        query: res.query,
        normalized: res.normalized,
        best: res.best ? presentMatch(c, res.best) : null,
        alternatives: res.alternatives.map((m) => presentMatch(c, m)),
      };
    },

    async listAddresses(ctx: ActorContext, f: repo.AddressFilter, page: { page: number; pageSize: number }) {
      requirePermission(ctx.actor, 'address.read');
      const { items, total } = await repo.listAddresses(db, { ...f, pathPrefix: ctx.actor.scopePath }, { offset: (page.page - 1) * page.pageSize, limit: page.pageSize });
      return { items: items.map(presentAddress), total };
    },

    async getAddress(ctx: ActorContext, id: string) {
      requirePermission(ctx.actor, 'address.read');
      const a = await repo.findAddress(db, id, ctx.actor.scopePath);
      if (!a) throw notFound('address');
      const ancestors = [];
      let parent = a.parent_id;
      while (parent) {
        const p = await repo.findAddress(db, parent, '/');
        if (!p) break;
        ancestors.unshift({ id: p.id, level: p.level, name: p.name });
        parent = p.parent_id;
      }
      return { ...presentAddress(a), ancestors };
    },

    /**
     * Starts an import of addresses from xlsx/csv; returns the job id at once. The file is
     * checked row by row; any error fails the job with the row-by-row report and writes nothing.
     */
    async startAddressImport(ctx: ActorContext, bytes: Buffer, format: 'xlsx' | 'csv') {
      requirePermission(ctx.actor, 'address.write');
      const jobId = await jobs.create('address.import', ctx.actor.via === 'system' ? null : ctx.actor.userId, 0);
      const done = importAddresses(ctx, jobId, bytes, format).catch(async (e) => {
        await jobs.finish(jobId, { status: 'failed', processed: 0, total: 0, errors: [{ row: 0, field: '(file)', message: (e as Error).message }] });
      });
      return { jobId, done };
    },

    async job(ctx: ActorContext, id: string) {
      const j = await jobs.get(id);
      // A job and its row-by-row report belong to whoever started it.
      if (!j || (j.createdBy !== ctx.actor.userId && ctx.actor.via !== 'system')) throw notFound('job');
      return j;
    },

    /** Extent of the visible grids, for the map's initial view. */
    async extent(ctx: ActorContext) {
      requirePermission(ctx.actor, 'grid.read');
      return repo.gridExtent(db, ctx.actor.scopePath);
    },

    async stats(ctx: ActorContext) {
      requirePermission(ctx.actor, 'grid.read');
      const [grids, byStreet, addresses] = await Promise.all([
        repo.countGrids(db, scopeFilter(ctx)),
        repo.gridsByStreet(db, ctx.actor.scopePath),
        repo.countAddresses(db),
      ]);
      return { grids, addresses, gridsByStreet: byStreet.map((s) => ({ streetId: s.id, street: s.name, count: Number(s.n) })) };
    },
  };

  async function importAddresses(ctx: ActorContext, jobId: string, bytes: Buffer, format: 'xlsx' | 'csv') {
    const { rows, errors } = await readImportRows(bytes, format);
    jobs.progress(jobId, 0, rows.length * 2);
    const c = await indexes();
    const byParentAndName = new Map<string, AddressRecord>();
    const byFullText = new Map<string, AddressRecord>();
    for (const r of c.records.values()) {
      byParentAndName.set(`${r.parentId}|${r.name}`, r);
      byFullText.set(r.fullText, r);
    }
    const gridCommunity = new Map(
      (await db.selectFrom('grids as g').innerJoin('orgs as o', 'o.id', 'g.community_org_id').select(['g.id', 'o.name']).execute()).map((g) => [g.id, g.name]),
    );
    // The county is the one named like the district at the root of the caller's scope,
    // unless the file names it in a 区县 column.
    const rootOrgId = ctx.actor.scopePath.split('/').filter(Boolean)[0];
    const rootOrg = rootOrgId ? await core.findOrg(db, rootOrgId) : undefined;
    const counties = new Map([...c.records.values()].filter((r) => r.level === 'county').map((r) => [r.name, r]));
    const defaultCounty = rootOrg ? counties.get(rootOrg.name) : counties.size === 1 ? [...counties.values()][0] : undefined;
    const newRecords: AddressRecord[] = [];
    const LEVELS: [keyof ImportRow & string, AddressLevel][] = [
      ['estate', 'estate'],
      ['building', 'building'],
      ['unit', 'unit'],
      ['room', 'room'],
    ];
    rows.forEach((row, i) => {
      const rowErrors: JobError[] = [];
      const err = (field: Parameters<typeof columnLabel>[0], message: string) => rowErrors.push({ row: row.row, field: columnLabel(field), message });
      const county = row.county ? counties.get(row.county) : defaultCounty;
      if (!county) {
        err('county', row.county ? `no county named ${row.county} in the address library` : 'required: the address library has no county for your organisation');
        errors.push(...rowErrors);
        return;
      }
      const lng = Number(row.lng);
      const lat = Number(row.lat);
      if (row.lng === undefined || !Number.isFinite(lng) || lng < -180 || lng > 180) err('lng', 'must be a longitude in degrees (WGS-84)');
      if (row.lat === undefined || !Number.isFinite(lat) || lat < -90 || lat > 90) err('lat', 'must be a latitude in degrees (WGS-84)');
      const street = row.street ? byParentAndName.get(`${county.id}|${row.street}`) : undefined;
      if (!row.street) err('street', 'required');
      else if (!street) err('street', `no street named ${row.street} in ${county.name}`);
      const community = street && row.community ? byParentAndName.get(`${street.id}|${row.community}`) : undefined;
      if (!row.community) err('community', 'required');
      else if (street && !community) err('community', `no community named ${row.community} in ${street.name}`);
      let gridId: string | null = null;
      if (community && Number.isFinite(lng) && Number.isFinite(lat)) {
        gridId = c.gridIndex.locate(lng, lat);
        if (!gridId || gridCommunity.get(gridId) !== community.name) err('lng', `the point (${lng}, ${lat}) is not inside a grid of ${community.name}`);
      }
      let parent = community;
      let deepest: AddressRecord | undefined;
      let created = false;
      if (rowErrors.length === 0 && parent) {
        for (const [col, level] of LEVELS) {
          const name = row[col] as string | undefined;
          if (!name) break;
          const existing = byParentAndName.get(`${parent.id}|${name}`);
          if (existing) {
            parent = existing;
            deepest = existing;
            continue;
          }
          const rec: AddressRecord = {
            id: crypto.randomUUID(),
            parentId: parent.id,
            level,
            name,
            fullText: parent.fullText + name,
            aliases: [],
            lng,
            lat,
            gridId,
          };
          byParentAndName.set(`${parent.id}|${name}`, rec);
          byFullText.set(rec.fullText, rec);
          newRecords.push(rec);
          parent = rec;
          deepest = rec;
          created = true;
        }
        if (!deepest) err('estate', 'required: at least the estate (小区·自然村)');
        else if (!created) err('estate', `the address ${deepest.fullText} already exists`);
        else if (row.alias) deepest.aliases = row.alias.split(/[;；,，]/).map((s) => s.trim()).filter(Boolean);
      }
      errors.push(...rowErrors);
      if (i % 200 === 0) jobs.progress(jobId, i + 1);
    });
    if (errors.length) {
      await jobs.finish(jobId, { status: 'failed', processed: rows.length, total: rows.length, errors: errors.slice(0, 1000) });
      return;
    }
    const total = rows.length + newRecords.length;
    jobs.progress(jobId, rows.length, total);
    await db.transaction().execute(async (tx) => {
      await repo.insertAddresses(tx, newRecords, (n) => jobs.progress(jobId, rows.length + n));
      await recordAudit(tx, ctx, { action: 'address.imported', targetType: 'address', after: { rows: rows.length, created: newRecords.length, jobId } });
      await jobs.finish(jobId, { status: 'succeeded', processed: total, total, result: { rows: rows.length, created: newRecords.length } }, tx);
    });
    invalidate();
  }
}

function presentAddress(a: NonNullable<Awaited<ReturnType<typeof repo.findAddress>>>) {
  return {
    id: a.id,
    parentId: a.parent_id,
    level: a.level,
    name: a.name,
    fullText: a.full_text,
    aliases: a.aliases,
    lng: a.lng,
    lat: a.lat,
    gridId: a.grid_id,
    gridName: a.grid_name ?? null,
    childCount: Number(a.child_count ?? 0),
  };
}

export type GeoService = ReturnType<typeof createGeoService>;

/** The grid, community and street of a point. */
export interface Place {
  gridId: string;
  gridName: string;
  communityOrgId: string;
  communityName: string;
  communityPath: string;
  streetOrgId: string | null;
  streetName: string | null;
  workers: { id: string; displayName: string }[];
}
