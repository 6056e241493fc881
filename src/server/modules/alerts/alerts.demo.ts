import type { Insertable } from 'kysely';
import type { Db, DbOrTx } from '../../db.js';
import { recordAudit } from '../../platform/audit/audit.js';
import { systemContext } from '../../platform/http/context.js';
import { getSetting, hashPassword, insertUser, putSetting } from '../core/index.js';
import { DEMO_PASSWORD } from '../demo/index.js';
import { DEMO_STREETS, GIVEN_CHARS, SURNAMES } from '../demo/demo.names.js';
import { Prng } from '../demo/demo.random.js';
import * as repo from './alerts.devices.repository.js';
import type { DevicesTable, HouseholdsTable } from './alerts.tables.js';

const MARKER = 'demo.alerts.seeded';
/** The secret of every demo device (MQTT password, HTTP Basic); written in the README. Demo mode only. */
export const DEMO_DEVICE_SECRET = 'zhian-demo-device';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** China Standard Time, for "daytime" and "yesterday". */
const CST = 8 * HOUR;

type Kind = 'river' | 'lake';
interface WaterBodySeed {
  name: string;
  kind: Kind;
  targetClass: 2 | 3 | 4;
  alarmLevels: { yellow: number; red: number };
  /** The street (DEMO_STREETS key) the stations are in; its community staff is the river chief (河长). */
  street: string;
  stations: number;
}

/**
 * Rivers and lakes of the demo district, each with its own alarm levels (how many classes
 * worse than the target make a yellow and a red warning), 18 automatic stations in all.
 */
const WATER_BODIES: readonly WaterBodySeed[] = [
  { name: '洛塘河', kind: 'river', targetClass: 3, alarmLevels: { yellow: 1, red: 2 }, street: 'xiashi', stations: 3 },
  { name: '长山河', kind: 'river', targetClass: 3, alarmLevels: { yellow: 1, red: 2 }, street: 'haichang', stations: 3 },
  { name: '上塘河', kind: 'river', targetClass: 4, alarmLevels: { yellow: 1, red: 2 }, street: 'haizhou', stations: 2 },
  { name: '建设河', kind: 'river', targetClass: 4, alarmLevels: { yellow: 1, red: 3 }, street: 'maqiao', stations: 2 },
  { name: '永久河', kind: 'river', targetClass: 3, alarmLevels: { yellow: 1, red: 2 }, street: 'changan', stations: 2 },
  { name: '铁路河', kind: 'river', targetClass: 4, alarmLevels: { yellow: 1, red: 2 }, street: 'zhouwangmiao', stations: 2 },
  { name: '鹃湖', kind: 'lake', targetClass: 2, alarmLevels: { yellow: 1, red: 2 }, street: 'xiashi', stations: 2 },
  { name: '白漾', kind: 'lake', targetClass: 3, alarmLevels: { yellow: 2, red: 3 }, street: 'xiashi', stations: 2 },
];

/** Streets whose flats hold the care households and the gates with access control. */
const HOUSEHOLD_STREETS = ['xiashi', 'haizhou', 'haichang'];
const MONITOR_OWNER = '嘉兴市生态环境局海宁分局';
const METER_OWNER = '海宁市水务集团';
const GATE_OWNER = '小区物业服务中心';
const CARE_TAG_SETS: readonly (readonly string[])[] = [['独居老人'], ['独居老人'], ['独居老人'], ['孤寡老人'], ['独居老人', '重病'], ['残障', '低保'], ['独居老人', '残障'], ['重病', '低保'], ['留守儿童'], ['困境儿童', '低保']];
/** Practical notes for the visit; nothing about the person beyond that. */
const NOTES = ['', '', '', '听力较弱，请多敲几次门', '行动不便，上门请耐心等候', '每周三社区志愿者上门', '备用钥匙在社区服务站'];

/** Per target class: ranges comfortably inside the class for each indicator (mg/L). */
const WATER_RANGES: Record<2 | 3 | 4, { DO: [number, number]; CODMn: [number, number]; NH3N: [number, number]; TP: Record<Kind, [number, number]> }> = {
  2: { DO: [6.4, 7.8], CODMn: [2.4, 3.6], NH3N: [0.2, 0.42], TP: { river: [0.04, 0.09], lake: [0.012, 0.022] } },
  3: { DO: [5.4, 6.8], CODMn: [4.2, 5.6], NH3N: [0.55, 0.9], TP: { river: [0.11, 0.18], lake: [0.03, 0.046] } },
  4: { DO: [3.6, 4.8], CODMn: [6.5, 9.2], NH3N: [1.05, 1.42], TP: { river: [0.21, 0.28], lake: [0.06, 0.09] } },
};

/**
 * A condition planted in the demo readings, for the integrator to replay through the rule
 * engine: the readings of the device in (replayFrom, replayTo], oldest first, make the rule of
 * `ruleKind` (with its default parameters) raise a warning of `expectedLevel`.
 */
export interface PlantedEpisode {
  key: 'nh3n_climb' | 'do_drop' | 'meter_flat' | 'meter_silent';
  ruleKind: 'water_quality' | 'no_consumption' | 'no_signal';
  deviceId: string;
  deviceCode: string;
  householdId: string | null;
  waterBodyId: string | null;
  indicator: string | null;
  /** When the condition began and ended (null: still going on at seed time). */
  startsAt: string;
  endsAt: string | null;
  expectedLevel: 'yellow' | 'red';
  replayFrom: string;
  replayTo: string;
  description: string;
}

export interface DemoAlertsResult {
  waterBodies: number;
  stations: number;
  meters: number;
  households: number;
  accessControl: number;
  readings: number;
  episodes: PlantedEpisode[];
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

function personName(rng: Prng): string {
  const given = rng.chance(0.7) ? rng.pick(GIVEN_CHARS) + rng.pick(GIVEN_CHARS) : rng.pick(GIVEN_CHARS);
  return rng.pick(SURNAMES) + given;
}

function phone(rng: Prng): string {
  return `1${rng.pick(['35', '36', '37', '38', '39', '58', '59', '87', '88'])}${String(rng.int(0, 99_999_999)).padStart(8, '0')}`;
}

/** The part of a full address after the community: 文苑小区3幢1单元301室. */
function shortAddress(fullText: string, communityName: string): string {
  const i = fullText.indexOf(communityName);
  return i >= 0 ? fullText.slice(i + communityName.length) : fullText;
}

/** Picks n items spread over distinct keys first (communities, buildings …). */
function spread<T>(rng: Prng, items: readonly T[], n: number, key: (t: T) => string): T[] {
  const seen = new Set<string>();
  const first: T[] = [];
  const rest: T[] = [];
  for (const it of rng.shuffle(items)) {
    if (seen.has(key(it))) rest.push(it);
    else {
      seen.add(key(it));
      first.push(it);
    }
  }
  return [...first, ...rest].slice(0, n);
}

/**
 * The early-warning part of the demo district: eight rivers and lakes with target classes
 * Ⅱ–Ⅳ and a river chief each, 18 water-quality stations on them, ~40 care households (独居老人
 * …) with smart water meters at real demo addresses, 10 access-control gates, and 14 days of
 * hourly readings with a few planted episodes (returned, and kept with the marker, so that the
 * rule engine can replay them). Runs once (a marker in settings), deterministic for a given
 * `now`, in one transaction; readings are inserted directly in a few large statements.
 */
export async function seedDemoAlerts(db: Db, _deps: unknown, opts: { districtCode: string; now?: Date; days?: number; households?: number }): Promise<DemoAlertsResult | null> {
  if (await getSetting(db, MARKER)) return null;
  const district = await repo.orgByCode(db, opts.districtCode);
  if (!district) return null;
  const rng = new Prng(20260101, 'alerts');
  const end = new Date(Math.floor((opts.now ?? new Date()).getTime() / HOUR) * HOUR);
  const days = opts.days ?? 14;
  const start = new Date(end.getTime() - days * DAY);
  const hours = days * 24;

  // ---- places: streets with their staff, addresses in grids
  const streetRows = await repo.streetsWithStaff(db, district.path);
  const streets = new Map<string, { id: string; name: string; path: string; staffId: string | null }>();
  for (const d of DEMO_STREETS) {
    const row = streetRows.find((s) => s.name === d.name);
    if (row && !streets.has(d.key)) streets.set(d.key, { id: row.id, name: row.name, path: row.path, staffId: row.staff_id ?? null });
  }
  const streetOf = (key: string) => streets.get(key) ?? null;
  const buildings = await repo.addressesUnder(db, district.path, 'building', 8000);
  const flats = (await Promise.all(HOUSEHOLD_STREETS.map((k) => streetOf(k)).filter((s) => !!s).map((s) => repo.addressesUnder(db, s!.path, 'room', 1500)))).flat();
  const estates = (await Promise.all(HOUSEHOLD_STREETS.map((k) => streetOf(k)).filter((s) => !!s).map((s) => repo.addressesUnder(db, s!.path, 'estate', 300)))).flat();
  if (!buildings.length) return null;

  // River chiefs: the street's community staff; a chief user is made when a street has none.
  const newUsers: { id: string; username: string; displayName: string; orgId: string; phone: string }[] = [];
  const chiefOf = (key: string): string => {
    const s = streetOf(key);
    if (s?.staffId) return s.staffId;
    const existing = newUsers.find((u) => u.username === `hezhang-${key}`);
    if (existing) return existing.id;
    const u = { id: rng.uuid(), username: `hezhang-${key}`, displayName: personName(rng), orgId: s?.id ?? district.id, phone: phone(rng) };
    newUsers.push(u);
    return u.id;
  };

  const secretHash = await hashPassword(DEMO_DEVICE_SECRET);
  const devices: Insertable<DevicesTable>[] = [];
  const readings: repo.BulkReading[] = [];
  const episodes: PlantedEpisode[] = [];
  const at = (k: number) => new Date(start.getTime() + k * HOUR);
  const received = (t: Date) => new Date(t.getTime() + 3_000 + rng.int(0, 20_000)).toISOString();
  const deviceRow = (a: (typeof buildings)[number], d: { id: string; code: string; name: string; type: DevicesTable['type']; owner: string; waterBodyId?: string; householdId?: string; addressText?: string }): Insertable<DevicesTable> & { lng: number; lat: number } => ({
    id: d.id,
    code: d.code,
    name: d.name,
    type: d.type,
    lng: round(a.lng + (rng.next() - 0.5) * 0.0004, 6),
    lat: round(a.lat + (rng.next() - 0.5) * 0.0004, 6),
    address_id: a.id,
    address_text: d.addressText ?? a.full_text,
    grid_id: a.grid_id,
    community_org_id: a.community_org_id,
    district_org_id: district.id,
    area_path: a.community_path,
    owner: d.owner,
    water_body_id: d.waterBodyId ?? null,
    household_id: d.householdId ?? null,
    secret_hash: secretHash,
    active: true,
    online: true,
    last_seen_at: end,
    last_reading_at: end,
    created_at: new Date(start.getTime() - 30 * DAY),
    updated_at: new Date(start.getTime() - 30 * DAY),
  });

  // ---- water bodies and their stations
  const waterBodies = WATER_BODIES.map((w) => ({ ...w, id: rng.uuid(), chiefUserId: chiefOf(w.street) }));
  let stationNo = 0;
  const stationsOf = new Map<string, { id: string; code: string }[]>();
  for (const w of waterBodies) {
    const s = streetOf(w.street);
    const pool = buildings.filter((b) => (s ? b.community_path.startsWith(s.path) : true));
    const sites = spread(rng, pool.length ? pool : buildings, w.stations, (b) => b.community_org_id);
    for (const a of sites) {
      stationNo++;
      const id = rng.uuid();
      const code = `WQ-${opts.districtCode}-${String(stationNo).padStart(3, '0')}`;
      devices.push(deviceRow(a, { id, code, name: `${w.name}${a.community_name.replace(/(社区|村)$/, '')}断面`, type: 'water_quality', owner: MONITOR_OWNER, waterBodyId: w.id, addressText: `${a.community_name}${w.name}沿岸` }));
      stationsOf.set(w.name, [...(stationsOf.get(w.name) ?? []), { id, code }]);
      const r = WATER_RANGES[w.targetClass];
      const phase = rng.next() * Math.PI * 2;
      const level = rng.range(0.3, 0.7);
      for (let k = 1; k <= hours; k++) {
        const t = at(k);
        const hourOfDay = new Date(t.getTime() + CST).getUTCHours();
        // Oxygen peaks in the afternoon (photosynthesis); the rest drifts slowly.
        const day = Math.sin(((hourOfDay - 9) / 24) * Math.PI * 2);
        const drift = Math.sin(k / 37 + phase);
        const within = (range: [number, number], x: number) => round(range[0] + (range[1] - range[0]) * clamp(x, 0.05, 0.95), 3);
        readings.push({
          device_id: id,
          observed_at: t.toISOString(),
          received_at: received(t),
          source: 'mqtt',
          values: {
            DO: within(r.DO, level + 0.3 * day + 0.1 * drift + (rng.next() - 0.5) * 0.1),
            CODMn: within(r.CODMn, level + 0.2 * drift + (rng.next() - 0.5) * 0.1),
            NH3N: within(r.NH3N, level + 0.2 * drift + (rng.next() - 0.5) * 0.1),
            TP: within(r.TP[w.kind], level + 0.2 * drift + (rng.next() - 0.5) * 0.1),
            pH: round(7.5 + 0.3 * day + (rng.next() - 0.5) * 0.2, 2),
            temperature: round(17 + 1.5 * Math.sin(((hourOfDay - 15) / 24) * Math.PI * 2 + Math.PI / 2) + (rng.next() - 0.5) * 0.4, 1),
          },
        });
      }
    }
  }
  const stationReadings = (deviceId: string) => readings.filter((x) => x.device_id === deviceId);

  // Episode: 氨氮 on a 洛塘河 station climbs past Ⅲ类 for 6 hours (Ⅳ, then Ⅴ: red), ending 3 hours ago.
  {
    const wb = waterBodies.find((w) => w.name === '洛塘河')!;
    const st = stationsOf.get(wb.name)![0];
    const rows = stationReadings(st.id);
    const climb = [1.18, 1.36, 1.62, 1.84, 1.71, 1.32];
    const first = hours - 8;
    climb.forEach((v, i) => {
      const row = rows[first - 1 + i];
      row.values = { ...row.values, NH3N: v, DO: round(Math.max(5.05, row.values.DO - 0.3), 3) };
    });
    rows[first - 2].values = { ...rows[first - 2].values, NH3N: 0.93 };
    rows[first + 5].values = { ...rows[first + 5].values, NH3N: 0.95 };
    episodes.push({
      key: 'nh3n_climb',
      ruleKind: 'water_quality',
      deviceId: st.id,
      deviceCode: st.code,
      householdId: null,
      waterBodyId: wb.id,
      indicator: 'NH3N',
      startsAt: at(first).toISOString(),
      endsAt: at(first + climb.length).toISOString(),
      expectedLevel: 'red',
      replayFrom: at(first - 3).toISOString(),
      replayTo: end.toISOString(),
      description: `${wb.name}断面氨氮连续6小时超过Ⅲ类目标（最高1.84 mg/L，Ⅴ类）`,
    });
  }
  // Episode: dissolved oxygen at a 长山河 station falls into Ⅳ类 for the last 3 hours (yellow, still on).
  {
    const wb = waterBodies.find((w) => w.name === '长山河')!;
    const st = stationsOf.get(wb.name)![0];
    const rows = stationReadings(st.id);
    const drop = [4.42, 4.05, 3.71];
    drop.forEach((v, i) => {
      const row = rows[hours - drop.length + i];
      row.values = { ...row.values, DO: v };
    });
    episodes.push({
      key: 'do_drop',
      ruleKind: 'water_quality',
      deviceId: st.id,
      deviceCode: st.code,
      householdId: null,
      waterBodyId: wb.id,
      indicator: 'DO',
      startsAt: at(hours - drop.length + 1).toISOString(),
      endsAt: null,
      expectedLevel: 'yellow',
      replayFrom: at(hours - 6).toISOString(),
      replayTo: end.toISOString(),
      description: `${wb.name}断面溶解氧近3小时低于Ⅲ类目标（最低3.71 mg/L，Ⅳ类）`,
    });
  }

  // ---- households with their water meters
  const households: Insertable<HouseholdsTable>[] = [];
  const nHouseholds = opts.households ?? 40;
  const homes = spread(rng, flats, nHouseholds, (f) => f.parent_id ?? f.id);
  const todayCst = Math.floor((end.getTime() + CST) / DAY) * DAY - CST;
  const flatFrom = todayCst - DAY + 6 * HOUR;
  const flatTo = todayCst - DAY + 20 * HOUR;
  let meterNo = 0;
  homes.forEach((f, i) => {
    const id = rng.uuid();
    const street = [...streets.values()].find((s) => f.community_path.startsWith(s.path));
    // The first household is the planted one: an elderly person living alone.
    const tags = i === 0 ? ['独居老人'] : [...rng.pick(CARE_TAG_SETS)];
    const created = new Date(start.getTime() - rng.int(20, 200) * DAY);
    households.push({
      id,
      address_id: f.id,
      address_text: f.full_text,
      lng: f.lng,
      lat: f.lat,
      grid_id: f.grid_id,
      community_org_id: f.community_org_id,
      area_path: f.community_path,
      contact_name: personName(rng),
      contact_phone: phone(rng),
      care_tags: tags,
      note: rng.pick(NOTES),
      created_by: street?.staffId ?? null,
      created_at: created,
      updated_at: created,
    });
    meterNo++;
    const meterId = rng.uuid();
    const code = `WM-${opts.districtCode}-${String(meterNo).padStart(4, '0')}`;
    const meter = deviceRow(f, { id: meterId, code, name: `${shortAddress(f.full_text, f.community_name)}水表`, type: 'water_meter', owner: METER_OWNER, householdId: id });
    meter.lng = f.lng;
    meter.lat = f.lat;
    devices.push(meter);
    // The second household's meter goes silent 20 hours before the end (no signal, red).
    const silentAfter = i === 1 ? hours - 20 : hours;
    let total = round(rng.range(40, 900), 3);
    for (let k = 1; k <= silentAfter; k++) {
      const t = at(k);
      const hourOfDay = new Date(t.getTime() + CST).getUTCHours();
      const flat = i === 0 && t.getTime() > flatFrom && t.getTime() <= flatTo;
      if (!flat) total = round(total + (hourOfDay >= 6 && hourOfDay < 22 ? rng.range(0.02, 0.05) : rng.range(0.002, 0.006)), 3);
      readings.push({ device_id: meterId, observed_at: t.toISOString(), received_at: received(t), source: 'mqtt', values: { cumulative: total } });
    }
    if (i === 0) {
      episodes.push({
        key: 'meter_flat',
        ruleKind: 'no_consumption',
        deviceId: meterId,
        deviceCode: code,
        householdId: id,
        waterBodyId: null,
        indicator: 'cumulative',
        startsAt: new Date(flatFrom).toISOString(),
        endsAt: new Date(flatTo).toISOString(),
        expectedLevel: 'yellow',
        replayFrom: new Date(flatFrom - 3 * HOUR).toISOString(),
        replayTo: new Date(flatTo + 3 * HOUR).toISOString(),
        description: '独居老人家中水表昨日6时至20时连续14小时无用水',
      });
    }
    if (i === 1) {
      meter.online = false;
      meter.last_seen_at = at(silentAfter);
      meter.last_reading_at = at(silentAfter);
      episodes.push({
        key: 'meter_silent',
        ruleKind: 'no_signal',
        deviceId: meterId,
        deviceCode: code,
        householdId: id,
        waterBodyId: null,
        indicator: null,
        startsAt: at(silentAfter).toISOString(),
        endsAt: null,
        expectedLevel: 'red',
        replayFrom: at(silentAfter - 3).toISOString(),
        replayTo: end.toISOString(),
        description: '关爱家庭水表20小时无信号',
      });
    }
  });

  // ---- access control at estate gates (no readings: entries arrive as reconciliation imports)
  const gates = spread(rng, estates.length ? estates : buildings, 10, (e) => e.community_org_id);
  gates.forEach((e, i) => {
    const gate = deviceRow(e, { id: rng.uuid(), code: `AC-${opts.districtCode}-${String(i + 1).padStart(3, '0')}`, name: `${e.name}${rng.pick(['东门', '南门', '北门', '西门'])}门禁`, type: 'access_control', owner: GATE_OWNER });
    gate.last_reading_at = null;
    gate.last_seen_at = new Date(end.getTime() - rng.int(1, 30) * 60_000);
    devices.push(gate);
  });

  const result = {
    waterBodies: waterBodies.length,
    stations: stationNo,
    meters: meterNo,
    households: households.length,
    accessControl: gates.length,
    readings: readings.length,
    episodes,
  };
  const passwordHash = newUsers.length ? await hashPassword(DEMO_PASSWORD) : '';
  await db.transaction().execute(async (tx) => {
    for (const u of newUsers) await insertUser(tx, { ...u, roles: ['community_staff'], scopeOrgId: u.orgId, passwordHash });
    for (const w of waterBodies) await repo.insertWaterBody(tx, { ...w, districtOrgId: district.id });
    await repo.insertHouseholdsBulk(tx, households);
    await repo.insertDevicesBulk(tx, devices);
    await repo.insertReadingsBulk(tx, readings);
    const { episodes: _, ...counts } = result;
    await putSetting(tx, MARKER, { ...counts, episodes, at: new Date().toISOString() });
    await recordAudit(tx, systemContext(), { action: 'demo.seeded', targetType: 'alerts', after: counts });
  });
  return result;
}

/** The episodes planted by seedDemoAlerts (kept with its marker); empty before the seed. */
export async function plantedDemoEpisodes(db: DbOrTx): Promise<PlantedEpisode[]> {
  return (await getSetting<{ episodes?: PlantedEpisode[] }>(db, MARKER))?.episodes ?? [];
}
