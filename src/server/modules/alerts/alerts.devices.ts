import crypto from 'node:crypto';
import { verify } from '@node-rs/argon2';
import type { Db, DbOrTx } from '../../db.js';
import { recordAudit } from '../../platform/audit/audit.js';
import type { ActorContext } from '../../platform/http/context.js';
import { conflict, invalid, notFound } from '../../platform/http/errors.js';
import { hashPassword, maskName, maskPhone, requirePermission, sha256 } from '../core/index.js';
import type { GeoService, Place } from '../geo/index.js';
import * as repo from './alerts.devices.repository.js';
import { DEVICE_TYPE_LABELS, MAX_READING_POINTS, type DeviceIn, type DevicePatch, type DeviceType, type HouseholdIn, type HouseholdPatch, type WaterBodyIn, type WaterBodyPatch } from './alerts.devices.schemas.js';

export { CARE_TAGS, DEVICE_TYPES, DEVICE_TYPE_LABELS, MAX_READING_POINTS, type CareTag, type DeviceType } from './alerts.devices.schemas.js';
export { registerDeviceRoutes } from './alerts.devices.routes.js';

const DAY_MS = 86_400_000;
const DEFAULT_RANGE_MS = 7 * DAY_MS;
const MAX_RANGE_MS = 400 * DAY_MS;
/** A verified device secret is trusted this long, so that a reconnect storm does not run argon2 per connection. */
const SECRET_CACHE_MS = 5 * 60_000;
const CODE_RE = /^[A-Za-z0-9_-]{3,64}$/;
const PHONE_RE = /^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$/;
const CLASS_LABELS = ['', 'Ⅰ类', 'Ⅱ类', 'Ⅲ类', 'Ⅳ类', 'Ⅴ类'];

/** A device's own secret: 24 random bytes, base64url (32 characters). Shown once. */
function newSecret(): string {
  return crypto.randomBytes(24).toString('base64url');
}

function iso(d: Date | string | null): string | null {
  return d ? new Date(d).toISOString() : null;
}

function isUniqueViolation(e: unknown): boolean {
  return !!e && typeof e === 'object' && (e as { code?: unknown }).code === '23505';
}

interface LocationInput {
  lng?: number | null;
  lat?: number | null;
  addressText?: string | null;
}

interface Located {
  lng: number;
  lat: number;
  place: Place;
  addressId: string | null;
  addressText: string | null;
}

export interface VerifiedDevice {
  id: string;
  code: string;
  type: DeviceType;
}

/**
 * Deletes readings received before a time, in batches of `batch` rows, each its own short
 * statement (the BRIN index on received_at finds the old rows). For the daily retention timer.
 * Returns the number of rows deleted.
 */
export async function deleteOldReadings(db: Db, olderThan: Date, batch = 10_000): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await repo.deleteReadingsBatch(db, olderThan, batch);
    total += n;
    if (n < batch) return total;
  }
}

/**
 * The device registry (water-quality stations, water meters, access control, camera alarm
 * sources), their readings for charts and the map, water bodies with their river chiefs, and
 * the households of care services with their water meters.
 */
export function createDevicesService(deps: { db: Db; geo: GeoService; now?: () => Date }) {
  const { db, geo } = deps;
  const now = deps.now ?? (() => new Date());

  // ---------------------------------------------------------------- places

  /** Pin or address text → point, grid, community; 400 naming the field otherwise. Call before any transaction. */
  async function locate(input: LocationInput, scopePath: string): Promise<Located | null> {
    const hasPin = input.lng !== undefined && input.lng !== null && input.lat !== undefined && input.lat !== null;
    const address = input.addressText?.trim() || null;
    if (hasPin) {
      const lng = Number(input.lng);
      const lat = Number(input.lat);
      const place = await geo.placeOfPoint(lng, lat);
      if (!place || !place.communityPath.startsWith(scopePath)) throw invalid('lat', `the point (${lng}, ${lat}) is outside your area: no grid of yours covers it`);
      let addressId: string | null = null;
      if (address) {
        const m = await geo.resolveAddress(address, scopePath);
        if (m && m.best.confidence >= 0.6) addressId = m.best.id;
      }
      return { lng, lat, place, addressId, addressText: address };
    }
    if ((input.lng ?? null) !== null || (input.lat ?? null) !== null) throw invalid(input.lng == null ? 'lng' : 'lat', 'give both lng and lat');
    if (!address) return null;
    const m = await geo.resolveAddress(address, scopePath);
    if (!m || m.best.confidence < 0.5) throw invalid('addressText', `no address in your area matches "${address}"; put a pin on the map instead`);
    const place = await geo.placeOfPoint(m.best.lng, m.best.lat);
    if (!place || !place.communityPath.startsWith(scopePath)) throw invalid('addressText', `the address ${m.best.fullText} is outside your area`);
    return { lng: m.best.lng, lat: m.best.lat, place, addressId: m.best.id, addressText: m.best.fullText };
  }

  const touchesLocation = (p: LocationInput) => p.lng !== undefined || p.lat !== undefined || p.addressText !== undefined;

  async function districtOf(path: string, field: string) {
    const d = await repo.districtOnPath(db, path);
    if (!d) throw invalid(field, 'is not inside a district');
    return d;
  }

  // ---------------------------------------------------------------- devices

  function deviceVisible(ctx: ActorContext, d: { area_path: string }) {
    return d.area_path.startsWith(ctx.actor.scopePath);
  }

  async function visibleDevice(ctx: ActorContext, q: DbOrTx, id: string, permission: 'alert.read' | 'alert.configure') {
    requirePermission(ctx.actor, permission);
    const d = await repo.findDevice(q, id);
    if (!d || !deviceVisible(ctx, d)) throw notFound('device');
    return d;
  }

  function presentDevice(d: repo.DeviceView) {
    return {
      id: d.id,
      code: d.code,
      name: d.name,
      type: d.type,
      typeLabel: DEVICE_TYPE_LABELS[d.type],
      lng: d.lng,
      lat: d.lat,
      addressText: d.address_text,
      gridId: d.grid_id,
      gridName: d.grid_name ?? null,
      communityName: d.community_name ?? null,
      owner: d.owner,
      waterBody: d.water_body_id && d.water_body_name ? { id: d.water_body_id, name: d.water_body_name } : null,
      household: d.household_id && d.household_contact_name ? { id: d.household_id, label: `${maskName(d.household_contact_name)} · ${d.household_community_name ?? ''}` } : null,
      active: d.active,
      online: d.online,
      lastSeenAt: iso(d.last_seen_at),
      lastReadingAt: iso(d.last_reading_at),
      lastValues: (d.last_values as Record<string, number> | null) ?? null,
      createdAt: iso(d.created_at)!,
    };
  }
  type DevicePresented = ReturnType<typeof presentDevice>;

  /** The water body of a station: same district, and only for water-quality stations. */
  async function checkWaterBody(type: DeviceType, waterBodyId: string, districtId: string) {
    if (type !== 'water_quality') throw invalid('waterBodyId', 'only water-quality stations belong to a water body');
    const wb = await repo.findWaterBody(db, waterBodyId);
    if (!wb || wb.district_org_id !== districtId) throw invalid('waterBodyId', 'no water body with this id in the district');
    return wb;
  }

  /** The household of a water meter: visible to the caller, and only for water meters. */
  async function checkHousehold(ctx: ActorContext, type: DeviceType, householdId: string) {
    if (type !== 'water_meter') throw invalid('householdId', 'only water meters belong to a household');
    const h = await repo.findHousehold(db, householdId);
    if (!h || !h.area_path.startsWith(ctx.actor.scopePath)) throw invalid('householdId', 'no household with this id in your area');
    return h;
  }

  // ---- secret verification, cached per code (one valid secret per device)
  const verified = new Map<string, { secretSha: string; device: VerifiedDevice; until: number }>();
  const pending = new Map<string, Promise<VerifiedDevice | null>>();
  let dummyHash: Promise<string> | undefined;

  function forgetSecret(code: string) {
    verified.delete(code);
  }

  /**
   * Checks a device's code and secret (MQTT authenticate hook, HTTP device auth). A success is
   * cached in memory for five minutes by code and SHA-256 of the secret; rotating the secret or
   * retiring the device forgets it on this instance (other instances within five minutes).
   */
  async function verifyDeviceSecret(code: string, secret: string): Promise<VerifiedDevice | null> {
    if (typeof code !== 'string' || typeof secret !== 'string' || !CODE_RE.test(code) || !secret || secret.length > 256) return null;
    const secretSha = sha256(secret);
    const hit = verified.get(code);
    if (hit && hit.secretSha === secretSha && hit.until > Date.now()) return hit.device;
    const key = `${code}:${secretSha}`;
    const running = pending.get(key);
    if (running) return running;
    const p = (async () => {
      const row = await repo.deviceCredentials(db, code);
      if (!row || !row.active || !row.secret_hash) {
        // Same work for an unknown code, so timing does not tell which codes exist.
        dummyHash ??= hashPassword(newSecret());
        await verify(await dummyHash, secret).catch(() => false);
        return null;
      }
      const ok = await verify(row.secret_hash, secret).catch(() => false);
      if (!ok) return null;
      const device: VerifiedDevice = { id: row.id, code: row.code, type: row.type };
      verified.set(code, { secretSha, device, until: Date.now() + SECRET_CACHE_MS });
      return device;
    })().finally(() => pending.delete(key));
    pending.set(key, p);
    return p;
  }

  async function listDevices(ctx: ActorContext, f: { type?: DeviceType; q?: string; online?: boolean; active: 'true' | 'false' | 'all'; waterBodyId?: string }, page: { page: number; pageSize: number }) {
    requirePermission(ctx.actor, 'alert.read');
    const filter: repo.DeviceFilter = { type: f.type, q: f.q?.trim() || undefined, online: f.online, waterBodyId: f.waterBodyId, active: f.active === 'all' ? undefined : f.active === 'true' };
    const { items, total } = await repo.listDevices(db, { pathPrefix: ctx.actor.scopePath }, filter, { offset: (page.page - 1) * page.pageSize, limit: page.pageSize });
    return { items: items.map(presentDevice), total, page: page.page, pageSize: page.pageSize };
  }

  async function createDevice(ctx: ActorContext, input: DeviceIn): Promise<{ id: string; secret: string }> {
    requirePermission(ctx.actor, 'alert.configure');
    const household = input.householdId ? await checkHousehold(ctx, input.type, input.householdId) : null;
    const loc = await locate(input, ctx.actor.scopePath);
    if (!loc && !household) throw invalid('location', 'put a pin on the map (lng, lat) or give an addressText');
    const areaPath = loc ? loc.place.communityPath : household!.area_path;
    const district = await districtOf(areaPath, loc ? 'lat' : 'householdId');
    if (household && !household.area_path.startsWith(district.path)) throw invalid('householdId', 'the household is in another district');
    if (input.waterBodyId) await checkWaterBody(input.type, input.waterBodyId, district.id);
    if (await repo.codeTaken(db, input.code)) throw conflict(`a device with code ${input.code} exists`, [{ field: 'code', message: 'already registered' }]);
    const secret = newSecret();
    const secretHash = await hashPassword(secret);
    const row = {
      code: input.code,
      name: input.name,
      type: input.type,
      lng: loc ? loc.lng : household!.lng,
      lat: loc ? loc.lat : household!.lat,
      address_id: loc ? loc.addressId : household!.address_id,
      address_text: loc ? loc.addressText : household!.address_text,
      grid_id: loc ? loc.place.gridId : household!.grid_id,
      community_org_id: loc ? loc.place.communityOrgId : household!.community_org_id,
      district_org_id: district.id,
      area_path: areaPath,
      owner: input.owner ?? '',
      water_body_id: input.waterBodyId ?? null,
      household_id: input.householdId ?? null,
      secret_hash: secretHash,
    };
    try {
      const id = await db.transaction().execute(async (tx) => {
        const id = await repo.insertDevice(tx, row);
        // A household has one meter: a new meter replaces the old one.
        const replaced = household ? await repo.unlinkMeters(tx, household.id, id) : [];
        const { secret_hash: _, ...after } = row;
        await recordAudit(tx, ctx, { action: 'device.created', targetType: 'device', targetId: id, after: { ...after, replacedMeters: replaced.length ? replaced : undefined } });
        return id;
      });
      return { id, secret };
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict(`a device with code ${input.code} exists`, [{ field: 'code', message: 'already registered' }]);
      throw e;
    }
  }

  async function updateDevice(ctx: ActorContext, id: string, patch: DevicePatch) {
    const cur = await visibleDevice(ctx, db, id, 'alert.configure');
    const loc = touchesLocation(patch) ? await locate(patch, ctx.actor.scopePath) : null;
    if (touchesLocation(patch) && !loc) throw invalid('location', 'put a pin on the map (lng, lat) or give an addressText');
    const areaPath = loc ? loc.place.communityPath : cur.area_path;
    const district = await districtOf(areaPath, 'lat');
    if (loc && district.id !== cur.district_org_id && cur.water_body_id && patch.waterBodyId === undefined) throw invalid('lat', 'a station cannot move to another district with its water body');
    if (patch.waterBodyId) await checkWaterBody(cur.type, patch.waterBodyId, district.id);
    const household = patch.householdId ? await checkHousehold(ctx, cur.type, patch.householdId) : null;
    if (household && !household.area_path.startsWith(district.path)) throw invalid('householdId', 'the household is in another district');
    const set: Parameters<typeof repo.updateDevice>[2] = {};
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.owner !== undefined) set.owner = patch.owner ?? '';
    if (patch.waterBodyId !== undefined) set.water_body_id = patch.waterBodyId;
    if (patch.householdId !== undefined) set.household_id = patch.householdId;
    if (patch.active !== undefined) {
      set.active = patch.active;
      if (!patch.active) set.online = false;
    }
    if (loc) {
      Object.assign(set, {
        lng: loc.lng,
        lat: loc.lat,
        address_id: loc.addressId,
        address_text: loc.addressText,
        grid_id: loc.place.gridId,
        community_org_id: loc.place.communityOrgId,
        district_org_id: district.id,
        area_path: areaPath,
      });
    }
    await db.transaction().execute(async (tx) => {
      await repo.lockDevice(tx, id);
      const before = await repo.findDevice(tx, id);
      if (!before || !deviceVisible(ctx, before)) throw notFound('device');
      await repo.updateDevice(tx, id, set);
      if (household) await repo.unlinkMeters(tx, household.id, id);
      const was = Object.fromEntries(Object.keys(set).map((k) => [k, (before as Record<string, unknown>)[k]]));
      await recordAudit(tx, ctx, { action: 'device.updated', targetType: 'device', targetId: id, before: was, after: set });
    });
    if (patch.active === false) forgetSecret(cur.code);
    return presentDevice((await repo.findDevice(db, id))!);
  }

  return {
    verifyDeviceSecret,
    listDevices,
    createDevice,
    updateDevice,

    /** Every device of the list's filter, for the xlsx export (capped at 50,000 rows). */
    async exportDevices(ctx: ActorContext, f: Parameters<typeof listDevices>[1]): Promise<DevicePresented[]> {
      return (await listDevices(ctx, f, { page: 1, pageSize: 50_000 })).items;
    },

    async getDevice(ctx: ActorContext, id: string) {
      return presentDevice(await visibleDevice(ctx, db, id, 'alert.read'));
    },

    /** Retires a device (active = false): it no longer authenticates; its readings stay. */
    async deactivateDevice(ctx: ActorContext, id: string) {
      const cur = await visibleDevice(ctx, db, id, 'alert.configure');
      await db.transaction().execute(async (tx) => {
        await repo.lockDevice(tx, id);
        const d = await repo.findDevice(tx, id);
        if (!d || !deviceVisible(ctx, d)) throw notFound('device');
        await repo.updateDevice(tx, id, { active: false, online: false });
        await recordAudit(tx, ctx, { action: 'device.updated', targetType: 'device', targetId: id, before: { active: d.active }, after: { active: false } });
      });
      forgetSecret(cur.code);
    },

    /** A new secret for the device (shown once); the old one stops working. */
    async rotateSecret(ctx: ActorContext, id: string): Promise<{ secret: string }> {
      const cur = await visibleDevice(ctx, db, id, 'alert.configure');
      if (!cur.active) throw conflict('the device is retired; reactivate it first');
      const secret = newSecret();
      const secretHash = await hashPassword(secret);
      await db.transaction().execute(async (tx) => {
        await repo.lockDevice(tx, id);
        const d = await repo.findDevice(tx, id);
        if (!d || !deviceVisible(ctx, d)) throw notFound('device');
        await repo.updateDevice(tx, id, { secret_hash: secretHash });
        await recordAudit(tx, ctx, { action: 'device.secret_rotated', targetType: 'device', targetId: id });
      });
      forgetSecret(cur.code);
      return { secret };
    },

    /**
     * Readings of a device in [from, to) — by default the last 7 days — oldest first. When the
     * range holds more than `limit` points, the answer is the average of each indicator per
     * time bucket (the range cut into at most `limit` equal buckets, each stamped with its start).
     */
    async readings(ctx: ActorContext, id: string, q: { from?: Date; to?: Date; limit?: number }) {
      await visibleDevice(ctx, db, id, 'alert.read');
      const limit = Math.min(q.limit ?? MAX_READING_POINTS, MAX_READING_POINTS);
      const to = q.to ?? now();
      const from = q.from ?? new Date(to.getTime() - DEFAULT_RANGE_MS);
      if (from.getTime() >= to.getTime()) throw invalid('from', 'must be before to');
      if (to.getTime() - from.getTime() > MAX_RANGE_MS) throw invalid('from', `at most ${MAX_RANGE_MS / DAY_MS} days at a time`);
      const indicators = new Set<string>();
      const rows = await repo.readingsInRange(db, id, from, to, limit + 1);
      let items: { observedAt: string; values: Record<string, number> }[];
      let bucketSeconds: number | null = null;
      if (rows.length <= limit) {
        items = rows.map((r) => {
          const values = r.values as Record<string, number>;
          for (const k of Object.keys(values)) indicators.add(k);
          return { observedAt: new Date(r.observed_at).toISOString(), values };
        });
      } else {
        bucketSeconds = Math.ceil((to.getTime() - from.getTime()) / 1000 / limit);
        const byBucket = new Map<number, Record<string, number>>();
        for (const b of await repo.readingBuckets(db, id, from, to, bucketSeconds)) {
          indicators.add(b.indicator);
          const v = byBucket.get(b.bucket) ?? {};
          v[b.indicator] = Math.round(b.value * 1e6) / 1e6;
          byBucket.set(b.bucket, v);
        }
        items = [...byBucket.entries()].sort((a, b) => a[0] - b[0]).map(([n, values]) => ({ observedAt: new Date(from.getTime() + n * bucketSeconds! * 1000).toISOString(), values }));
      }
      return { items, indicators: [...indicators].sort(), from: from.toISOString(), to: to.toISOString(), bucketSeconds };
    },

    /** Active devices with a position as GeoJSON points, for the map. */
    async deviceFeatures(ctx: ActorContext, type?: DeviceType) {
      requirePermission(ctx.actor, 'alert.read');
      const rows = await repo.devicePoints(db, { pathPrefix: ctx.actor.scopePath }, type);
      return {
        type: 'FeatureCollection' as const,
        features: rows.map((d) => ({
          type: 'Feature' as const,
          id: d.id,
          geometry: { type: 'Point' as const, coordinates: [d.lng!, d.lat!] },
          properties: { id: d.id, code: d.code, name: d.name, type: d.type, typeLabel: DEVICE_TYPE_LABELS[d.type], online: d.online, lastReadingAt: iso(d.last_reading_at), waterBodyName: d.water_body_name ?? null },
        })),
      };
    },

    // ------------------------------------------------------------ water bodies

    ...waterBodies(),

    // ------------------------------------------------------------ households

    ...households(),
  };

  // ---------------------------------------------------------------- water bodies

  function waterBodies() {
    function presentWaterBody(w: repo.WaterBodyView) {
      return {
        id: w.id,
        name: w.name,
        kind: w.kind,
        targetClass: w.target_class,
        targetClassLabel: CLASS_LABELS[w.target_class] ?? String(w.target_class),
        alarmLevels: w.alarm_levels,
        chief: w.chief_user_id ? { id: w.chief_user_id, name: w.chief_name ?? '' } : null,
        stations: Number(w.stations ?? 0),
        createdAt: iso(w.created_at)!,
      };
    }

    /** Readers see the water bodies of their district (and of districts under their scope). */
    const readable = (ctx: ActorContext, w: { district_path: string }) => w.district_path.startsWith(ctx.actor.scopePath) || ctx.actor.scopePath.startsWith(w.district_path);
    /** Only a caller whose scope covers the whole district configures its water bodies. */
    const writable = (ctx: ActorContext, w: { district_path: string }) => w.district_path.startsWith(ctx.actor.scopePath);

    async function checkChief(chiefUserId: string, districtPath: string) {
      const u = await repo.findActiveUser(db, chiefUserId);
      if (!u || !u.org_path.startsWith(districtPath)) throw invalid('chiefUserId', 'no active user with this id in the district');
    }

    function checkLevels(levels: { yellow: number; red: number }) {
      if (levels.red <= levels.yellow) throw invalid('alarmLevels.red', 'must be more classes beyond the target than yellow');
    }

    async function visibleWaterBody(ctx: ActorContext, q: DbOrTx, id: string, write: boolean) {
      requirePermission(ctx.actor, write ? 'alert.configure' : 'alert.read');
      const w = await repo.findWaterBody(q, id);
      if (!w || !(write ? writable(ctx, w) : readable(ctx, w))) throw notFound('water body');
      return w;
    }

    return {
      async listWaterBodies(ctx: ActorContext, f: { q?: string } = {}) {
        requirePermission(ctx.actor, 'alert.read');
        return (await repo.listWaterBodies(db, { scopePath: ctx.actor.scopePath }, f)).map(presentWaterBody);
      },

      async getWaterBody(ctx: ActorContext, id: string) {
        return presentWaterBody(await visibleWaterBody(ctx, db, id, false));
      },

      async createWaterBody(ctx: ActorContext, input: WaterBodyIn) {
        requirePermission(ctx.actor, 'alert.configure');
        let district: { id: string; path: string } | undefined;
        if (input.districtOrgId) {
          const o = await repo.findOrgPath(db, input.districtOrgId);
          if (!o || o.kind !== 'district' || !o.path.startsWith(ctx.actor.scopePath)) throw invalid('districtOrgId', 'no district with this id in your scope');
          district = o;
        } else {
          district = await repo.districtOnPath(db, ctx.actor.scopePath);
          if (!district) throw invalid('districtOrgId', 'your scope spans several districts: say which');
          if (!district.path.startsWith(ctx.actor.scopePath)) throw notFound('resource');
        }
        checkLevels(input.alarmLevels);
        if (input.chiefUserId) await checkChief(input.chiefUserId, district.path);
        if (await repo.waterBodyNameTaken(db, district.id, input.name)) throw conflict(`the district has a water body named ${input.name}`, [{ field: 'name', message: 'already exists' }]);
        const d = district;
        try {
          const id = await db.transaction().execute(async (tx) => {
            const id = await repo.insertWaterBody(tx, { districtOrgId: d.id, name: input.name, kind: input.kind, targetClass: input.targetClass, alarmLevels: input.alarmLevels, chiefUserId: input.chiefUserId ?? null });
            await recordAudit(tx, ctx, { action: 'water_body.created', targetType: 'water_body', targetId: id, after: { ...input, districtOrgId: d.id } });
            return id;
          });
          return presentWaterBody((await repo.findWaterBody(db, id))!);
        } catch (e) {
          if (isUniqueViolation(e)) throw conflict(`the district has a water body named ${input.name}`, [{ field: 'name', message: 'already exists' }]);
          throw e;
        }
      },

      async updateWaterBody(ctx: ActorContext, id: string, patch: WaterBodyPatch) {
        const cur = await visibleWaterBody(ctx, db, id, true);
        checkLevels(patch.alarmLevels ?? cur.alarm_levels);
        if (patch.chiefUserId) await checkChief(patch.chiefUserId, cur.district_path);
        if (patch.name && patch.name !== cur.name && (await repo.waterBodyNameTaken(db, cur.district_org_id, patch.name, id))) {
          throw conflict(`the district has a water body named ${patch.name}`, [{ field: 'name', message: 'already exists' }]);
        }
        try {
          await db.transaction().execute(async (tx) => {
            const before = await visibleWaterBody(ctx, tx, id, true);
            await repo.updateWaterBody(tx, id, patch);
            await recordAudit(tx, ctx, {
              action: 'water_body.updated',
              targetType: 'water_body',
              targetId: id,
              before: { name: before.name, kind: before.kind, targetClass: before.target_class, alarmLevels: before.alarm_levels, chiefUserId: before.chief_user_id },
              after: patch,
            });
          });
        } catch (e) {
          if (isUniqueViolation(e)) throw conflict(`the district has a water body named ${patch.name}`, [{ field: 'name', message: 'already exists' }]);
          throw e;
        }
        return presentWaterBody((await repo.findWaterBody(db, id))!);
      },
    };
  }

  // ---------------------------------------------------------------- households

  function households() {
    function scopeOf(ctx: ActorContext): repo.HouseholdScope {
      return { pathPrefix: ctx.actor.scopePath, gridIds: ctx.actor.gridIds };
    }

    /** Staff of the community (and wider scopes); grid-bound workers only in their grids. */
    function visible(ctx: ActorContext, h: { area_path: string; grid_id: string | null }) {
      if (!h.area_path.startsWith(ctx.actor.scopePath)) return false;
      return ctx.actor.gridIds === null || (!!h.grid_id && ctx.actor.gridIds.includes(h.grid_id));
    }

    async function visibleHousehold(ctx: ActorContext, q: DbOrTx, id: string, permission: 'household.read' | 'household.write', forUpdate = false) {
      requirePermission(ctx.actor, permission);
      const h = await repo.findHousehold(q, id, { forUpdate });
      if (!h || !visible(ctx, h)) throw notFound('household');
      return h;
    }

    function present(h: repo.HouseholdView) {
      return {
        id: h.id,
        addressText: h.address_text,
        lng: h.lng,
        lat: h.lat,
        gridId: h.grid_id,
        gridName: h.grid_name ?? null,
        communityId: h.community_org_id,
        communityName: h.community_name ?? null,
        contactName: maskName(h.contact_name),
        contactPhone: maskPhone(h.contact_phone),
        careTags: h.care_tags,
        note: h.note,
        meter: h.meter_id ? { id: h.meter_id, code: h.meter_code!, online: !!h.meter_online, lastReadingAt: iso(h.meter_last_reading_at) } : null,
        createdAt: iso(h.created_at)!,
        updatedAt: iso(h.updated_at)!,
      };
    }

    /** A household's place: an address is required (a pin alone does not say which door). */
    async function placeOf(ctx: ActorContext, input: LocationInput) {
      if (!input.addressText?.trim()) throw invalid('addressText', 'give the address of the household');
      const loc = (await locate(input, ctx.actor.scopePath))!;
      if (ctx.actor.gridIds && !ctx.actor.gridIds.includes(loc.place.gridId)) throw invalid('addressText', 'the address is outside your grids');
      return loc;
    }

    function checkPhone(phone: string | null | undefined) {
      const p = phone?.replace(/\s/g, '') || null;
      if (p && !PHONE_RE.test(p)) throw invalid('contactPhone', 'not a Chinese mobile or landline number');
      return p;
    }

    /** What the audit log keeps of a household: no contact details in the clear. */
    const auditView = (h: { address_text: string; care_tags: string[]; contact_name: string; contact_phone: string | null; note: string; grid_id: string | null }) => ({
      addressText: h.address_text,
      careTags: h.care_tags,
      contactName: maskName(h.contact_name),
      contactPhone: maskPhone(h.contact_phone),
      note: h.note,
      gridId: h.grid_id,
    });

    return {
      async listHouseholds(ctx: ActorContext, f: repo.HouseholdFilter, page: { page: number; pageSize: number }) {
        requirePermission(ctx.actor, 'household.read');
        const { items, total } = await repo.listHouseholds(db, scopeOf(ctx), { ...f, q: f.q?.trim() || undefined }, { offset: (page.page - 1) * page.pageSize, limit: page.pageSize });
        return { items: items.map(present), total, page: page.page, pageSize: page.pageSize };
      },

      async getHousehold(ctx: ActorContext, id: string) {
        return present(await visibleHousehold(ctx, db, id, 'household.read'));
      },

      /** The contact's name and phone in the clear: permitted roles only, every read audited. */
      async householdContact(ctx: ActorContext, id: string) {
        requirePermission(ctx.actor, 'personal.read');
        return db.transaction().execute(async (tx) => {
          const h = await visibleHousehold(ctx, tx, id, 'household.read');
          await recordAudit(tx, ctx, { action: 'household.contact_read', targetType: 'household', targetId: id });
          return { contactName: h.contact_name, contactPhone: h.contact_phone };
        });
      },

      async createHousehold(ctx: ActorContext, input: HouseholdIn) {
        requirePermission(ctx.actor, 'household.write');
        const phone = checkPhone(input.contactPhone);
        const loc = await placeOf(ctx, input);
        const row = {
          address_id: loc.addressId,
          address_text: loc.addressText!,
          lng: loc.lng,
          lat: loc.lat,
          grid_id: loc.place.gridId,
          community_org_id: loc.place.communityOrgId,
          area_path: loc.place.communityPath,
          contact_name: input.contactName,
          contact_phone: phone,
          care_tags: [...new Set(input.careTags)],
          note: input.note.trim(),
          created_by: ctx.actor.via === 'system' ? null : ctx.actor.userId,
        };
        const id = await db.transaction().execute(async (tx) => {
          const id = await repo.insertHousehold(tx, row);
          await recordAudit(tx, ctx, { action: 'household.created', targetType: 'household', targetId: id, after: auditView(row) });
          return id;
        });
        return present((await repo.findHousehold(db, id))!);
      },

      async updateHousehold(ctx: ActorContext, id: string, patch: HouseholdPatch) {
        await visibleHousehold(ctx, db, id, 'household.write');
        const phone = patch.contactPhone !== undefined ? checkPhone(patch.contactPhone) : undefined;
        const loc = touchesLocation(patch) ? await placeOf(ctx, patch) : null;
        const set: Parameters<typeof repo.updateHousehold>[2] = {};
        if (patch.contactName !== undefined) set.contact_name = patch.contactName;
        if (phone !== undefined) set.contact_phone = phone;
        if (patch.careTags !== undefined) set.care_tags = [...new Set(patch.careTags)];
        if (patch.note !== undefined) set.note = patch.note.trim();
        if (loc) {
          Object.assign(set, { address_id: loc.addressId, address_text: loc.addressText, lng: loc.lng, lat: loc.lat, grid_id: loc.place.gridId, community_org_id: loc.place.communityOrgId, area_path: loc.place.communityPath });
        }
        await db.transaction().execute(async (tx) => {
          const before = await visibleHousehold(ctx, tx, id, 'household.write', true);
          await repo.updateHousehold(tx, id, set);
          const after = { ...before, ...set } as typeof before;
          await recordAudit(tx, ctx, { action: 'household.updated', targetType: 'household', targetId: id, before: auditView(before), after: auditView(after) });
        });
        return present((await repo.findHousehold(db, id))!);
      },

      /** Links the household's water meter (replacing the one before), or unlinks it (null). */
      async setMeter(ctx: ActorContext, id: string, deviceId: string | null) {
        const h = await visibleHousehold(ctx, db, id, 'household.write');
        if (deviceId) {
          const d = await repo.findDevice(db, deviceId);
          if (!d || !d.active || !d.area_path.startsWith(ctx.actor.scopePath)) throw invalid('deviceId', 'no active device with this id in your area');
          if (d.type !== 'water_meter') throw invalid('deviceId', `${d.code} is a ${DEVICE_TYPE_LABELS[d.type]}, not a water meter`);
          const district = await repo.districtOnPath(db, h.area_path);
          if (!district || d.district_org_id !== district.id) throw invalid('deviceId', 'the meter is in another district');
        }
        await db.transaction().execute(async (tx) => {
          const before = await visibleHousehold(ctx, tx, id, 'household.write', true);
          if (deviceId) await repo.lockDevice(tx, deviceId);
          const unlinked = await repo.unlinkMeters(tx, id, deviceId ?? undefined);
          if (deviceId) await repo.updateDevice(tx, deviceId, { household_id: id });
          await recordAudit(tx, ctx, { action: 'household.updated', targetType: 'household', targetId: id, before: { meterId: before.meter_id ?? null, unlinked }, after: { meterId: deviceId } });
        });
        return present((await repo.findHousehold(db, id))!);
      },
    };
  }
}

export type DevicesService = ReturnType<typeof createDevicesService>;
