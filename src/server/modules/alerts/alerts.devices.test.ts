import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Zhian } from '../../main.js';
import { insertAddresses, type AddressRecord } from '../geo/index.js';
import { addUser, auditCount, createTenant, login, onPostgres, testZhian, type Client, type Tenant } from '../../../../test/helpers.js';
import { deleteOldReadings } from './alerts.devices.js';

/**
 * The device registry, water bodies, care households and readings: CRUD with field-named
 * 400s, device secrets, data scope (an outsider gets 404 and changes nothing), masked
 * households and audited contact reads, range queries with downsampling, retention.
 */
let z: Zhian;
let t: Tenant;
let command: Client;
let staff: Client;
let staff2: Client;
let worker: Client;
let outsider: Client;
let other: Tenant;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const uniq = () => crypto.randomBytes(4).toString('hex');

function put(c: Client, url: string, body: unknown) {
  return c.raw({ method: 'PUT', url, body });
}
function del(c: Client, url: string) {
  return c.raw({ method: 'DELETE', url });
}

/** Devices of this file's district: on the shared PostgreSQL test database other files add theirs meanwhile. */
async function countDevices(): Promise<number> {
  const r = await z.handle.db.selectFrom('devices').select((eb) => eb.fn.countAll<number>().as('n')).where('area_path', 'like', `%/${t.districtId}/%`).executeTakeFirstOrThrow();
  return Number(r.n);
}

function fieldsOf(body: string): string[] {
  const parsed = JSON.parse(body) as { error?: { details?: { field: string }[] } };
  return (parsed.error?.details ?? []).map((d) => d.field);
}

async function waterBody(extra: Record<string, unknown> = {}) {
  const res = await command.post('/api/v1/water-bodies', { name: `测试河${uniq()}`, kind: 'river', targetClass: 3, alarmLevels: { yellow: 1, red: 2 }, chiefUserId: t.adminId, ...extra });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; name: string };
}

async function device(type: string, extra: Record<string, unknown> = {}) {
  const code = `${type === 'water_meter' ? 'WM' : type === 'water_quality' ? 'WQ' : 'DV'}-${uniq()}`;
  const res = await command.post('/api/v1/devices', { code, name: `设备${code}`, type, lng: t.point[0], lat: t.point[1], owner: '测试水务', ...extra });
  expect(res.statusCode, res.body).toBe(201);
  return { ...(res.json() as { id: string; secret: string }), code };
}

async function household(c: Client, extra: Record<string, unknown> = {}) {
  const res = await c.post('/api/v1/households', {
    lng: t.point[0],
    lat: t.point[1],
    addressText: `测试路${Math.floor(Math.random() * 900) + 100}号`,
    contactName: '王小明',
    contactPhone: '13812345678',
    careTags: ['独居老人'],
    note: '听力较弱，请多敲几次门',
    ...extra,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; contactName: string; contactPhone: string };
}

beforeAll(async () => {
  z = await testZhian();
  t = await createTenant(z);
  worker = await login(z, t.worker);
  command = await login(z, (await addUser(z, t, 'cmd', ['command_center'])).username);
  staff = await login(z, (await addUser(z, t, 'cs1', ['community_staff'], t.communityId)).username);
  staff2 = await login(z, (await addUser(z, t, 'cs2', ['community_staff'], t.community2Id)).username);
  other = await createTenant(z);
  outsider = await login(z, other.admin);
});
afterAll(async () => z?.close());

describe('water bodies', () => {
  it('are created with a river chief of the district, listed and edited; bad input names the field', async () => {
    const w = await waterBody({ kind: 'lake', targetClass: 2 });
    const list = (await worker.get('/api/v1/water-bodies')).json();
    const mine = list.find((x: { id: string }) => x.id === w.id);
    expect(mine).toMatchObject({ kind: 'lake', targetClass: 2, targetClassLabel: 'Ⅱ类', alarmLevels: { yellow: 1, red: 2 }, chief: { id: t.adminId }, stations: 0 });
    const patched = await command.patch(`/api/v1/water-bodies/${w.id}`, { targetClass: 3, alarmLevels: { yellow: 1, red: 3 } });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ targetClass: 3, alarmLevels: { yellow: 1, red: 3 } });
    expect(await auditCount(z, w.id)).toBe(2);

    const cases: [Record<string, unknown>, string, number][] = [
      [{ targetClass: 6 }, 'targetClass', 400],
      [{ kind: 'sea' }, 'kind', 400],
      [{ alarmLevels: { yellow: 2, red: 2 } }, 'alarmLevels.red', 400],
      [{ chiefUserId: other.adminId }, 'chiefUserId', 400],
      [{ chiefUserId: crypto.randomUUID() }, 'chiefUserId', 400],
      [{ name: w.name }, 'name', 409],
    ];
    for (const [patch, field, status] of cases) {
      const res = await command.post('/api/v1/water-bodies', { name: `测试河${uniq()}`, kind: 'river', targetClass: 3, ...patch });
      expect(res.statusCode, `${JSON.stringify(patch)} → ${res.body}`).toBe(status);
      expect(fieldsOf(res.body)).toContain(field);
    }
    // Writing needs alert.configure: a grid worker is answered as if nothing were there.
    expect((await worker.post('/api/v1/water-bodies', { name: `x${uniq()}`, kind: 'river', targetClass: 3 })).statusCode).toBe(404);
    expect((await outsider.get(`/api/v1/water-bodies/${w.id}`)).statusCode).toBe(404);
    expect((await outsider.patch(`/api/v1/water-bodies/${w.id}`, { targetClass: 5 })).statusCode).toBe(404);
    expect((await command.get(`/api/v1/water-bodies/${w.id}`)).json().targetClass).toBe(3);
  });
});

describe('devices', () => {
  it('registers a station on a water body with a secret shown once, and shows it with its place', async () => {
    const w = await waterBody();
    const d = await device('water_quality', { waterBodyId: w.id });
    expect(d.secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const got = await worker.get(`/api/v1/devices/${d.id}`);
    expect(got.statusCode, got.body).toBe(200);
    expect(got.json()).toMatchObject({
      code: d.code,
      type: 'water_quality',
      typeLabel: '水质监测站',
      gridId: t.gridId,
      gridName: '测试网格1',
      waterBody: { id: w.id, name: w.name },
      household: null,
      owner: '测试水务',
      active: true,
      online: false,
      lastValues: null,
    });
    expect(got.body).not.toContain(d.secret);
    expect(got.body).not.toContain('argon2');
    const row = await z.handle.db.selectFrom('devices').select('secret_hash').where('id', '=', d.id).executeTakeFirstOrThrow();
    expect(row.secret_hash).toMatch(/^\$argon2id\$/);
    expect(await auditCount(z, d.id)).toBe(1);
    expect((await command.get(`/api/v1/water-bodies/${w.id}`)).json().stations).toBe(1);

    const list = (await worker.get(`/api/v1/devices?type=water_quality&waterBodyId=${w.id}`)).json();
    expect(list.total).toBe(1);
    expect(list.items[0].id).toBe(d.id);
    expect((await worker.get(`/api/v1/devices?q=${d.code}`)).json().items.map((x: { id: string }) => x.id)).toEqual([d.id]);
    expect((await worker.get(`/api/v1/devices?q=${d.code}&online=true`)).json().total).toBe(0);
  });

  it('verifies the secret, refuses a wrong one, and a rotated or retired device no longer authenticates', async () => {
    const d = await device('generic');
    const verify = z.services.devices.verifyDeviceSecret;
    expect(await verify(d.code, d.secret)).toEqual({ id: d.id, code: d.code, type: 'generic' });
    expect(await verify(d.code, d.secret)).toEqual({ id: d.id, code: d.code, type: 'generic' }); // cached
    expect(await verify(d.code, `${d.secret}x`)).toBeNull();
    expect(await verify('NO-SUCH-DEVICE', d.secret)).toBeNull();
    expect(await verify('bad code!', d.secret)).toBeNull();

    const rotated = await command.post(`/api/v1/devices/${d.id}/secret`);
    expect(rotated.statusCode, rotated.body).toBe(200);
    const secret2 = rotated.json().secret as string;
    expect(secret2).not.toBe(d.secret);
    expect(await verify(d.code, d.secret)).toBeNull();
    expect(await verify(d.code, secret2)).toMatchObject({ id: d.id });

    const gone = await del(command, `/api/v1/devices/${d.id}`);
    expect(gone.statusCode, gone.body).toBe(204);
    expect(await verify(d.code, secret2)).toBeNull();
    expect((await command.get(`/api/v1/devices/${d.id}`)).json().active).toBe(false);
    expect((await command.get(`/api/v1/devices?q=${d.code}`)).json().total).toBe(0);
    expect((await command.get(`/api/v1/devices?q=${d.code}&active=false`)).json().total).toBe(1);
    expect((await command.post(`/api/v1/devices/${d.id}/secret`)).statusCode).toBe(409);
    expect(await auditCount(z, d.id)).toBe(3);
  });

  it('edits a device and moves it by pin; bad input is a 400 naming the field and stores nothing', async () => {
    const d = await device('generic');
    const moved = await command.patch(`/api/v1/devices/${d.id}`, { name: '二号探头', lng: t.point[0] + 0.01, lat: t.point[1], addressText: '第二社区口' });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json()).toMatchObject({ name: '二号探头', gridId: t.grid2Id, addressText: '第二社区口' });
    expect(await auditCount(z, d.id)).toBe(2);

    const w = await waterBody();
    const h = await household(staff);
    const before = await countDevices();
    const cases: [Record<string, unknown>, string][] = [
      [{ code: 'ab' }, 'code'],
      [{ code: 'has space' }, 'code'],
      [{ type: 'radar' }, 'type'],
      [{ name: '' }, 'name'],
      [{ lng: 10, lat: 10 }, 'lat'],
      [{ lng: 200 }, 'lng'],
      [{ lat: undefined }, 'lat'],
      [{ lng: undefined, lat: undefined }, 'location'],
      [{ lng: undefined, lat: undefined, addressText: '火星路1号' }, 'addressText'],
      [{ type: 'water_meter', waterBodyId: w.id }, 'waterBodyId'],
      [{ type: 'water_quality', waterBodyId: crypto.randomUUID() }, 'waterBodyId'],
      [{ type: 'water_quality', householdId: h.id }, 'householdId'],
      [{ type: 'water_meter', householdId: crypto.randomUUID() }, 'householdId'],
    ];
    for (const [patch, field] of cases) {
      const res = await command.post('/api/v1/devices', { code: `X-${uniq()}`, name: '探头', type: 'generic', lng: t.point[0], lat: t.point[1], ...patch });
      expect(res.statusCode, `${JSON.stringify(patch)} → ${res.body}`).toBe(400);
      expect(fieldsOf(res.body), res.body).toContain(field);
    }
    const dup = await command.post('/api/v1/devices', { code: d.code, name: '重复', type: 'generic', lng: t.point[0], lat: t.point[1] });
    expect(dup.statusCode).toBe(409);
    expect(fieldsOf(dup.body)).toContain('code');
    expect(await countDevices()).toBe(before);
    expect((await command.patch(`/api/v1/devices/${d.id}`, { waterBodyId: w.id })).statusCode).toBe(400);
  });

  it('someone outside the district gets 404 and changes nothing', async () => {
    const d = await device('water_meter');
    const audits = await auditCount(z, d.id);
    expect((await outsider.get(`/api/v1/devices/${d.id}`)).statusCode).toBe(404);
    expect((await outsider.patch(`/api/v1/devices/${d.id}`, { name: '改名' })).statusCode).toBe(404);
    expect((await outsider.post(`/api/v1/devices/${d.id}/secret`)).statusCode).toBe(404);
    expect((await del(outsider, `/api/v1/devices/${d.id}`)).statusCode).toBe(404);
    expect((await outsider.get(`/api/v1/devices/${d.id}/readings`)).statusCode).toBe(404);
    expect((await outsider.get(`/api/v1/devices?q=${d.code}`)).json().total).toBe(0);
    const fc = (await outsider.get('/api/v1/devices.geojson')).json();
    expect(fc.features.map((f: { id: string }) => f.id)).not.toContain(d.id);
    // A grid worker may read devices but not configure them.
    expect((await worker.patch(`/api/v1/devices/${d.id}`, { name: '改名' })).statusCode).toBe(404);
    expect((await worker.post('/api/v1/devices', { code: `W-${uniq()}`, name: 'x', type: 'generic', lng: t.point[0], lat: t.point[1] })).statusCode).toBe(404);
    const after = (await command.get(`/api/v1/devices/${d.id}`)).json();
    expect(after).toMatchObject({ name: `设备${d.code}`, active: true });
    expect(await z.services.devices.verifyDeviceSecret(d.code, d.secret)).not.toBeNull();
    expect(await auditCount(z, d.id)).toBe(audits);
  });

  it('serves the map layer and the xlsx export of the scope', async () => {
    const d = await device('access_control');
    const res = await worker.get('/api/v1/devices.geojson?type=access_control');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toContain('application/geo+json');
    const f = res.json().features.find((x: { id: string }) => x.id === d.id);
    expect(f).toMatchObject({ type: 'Feature', geometry: { type: 'Point', coordinates: [t.point[0], t.point[1]] }, properties: { code: d.code, typeLabel: '门禁' } });
    expect(res.json().features.every((x: { properties: { type: string } }) => x.properties.type === 'access_control')).toBe(true);

    const x = await command.get('/api/v1/devices?format=xlsx');
    expect(x.statusCode).toBe(200);
    expect(x.headers['content-type']).toContain('spreadsheetml');
    expect(x.rawPayload.subarray(0, 2).toString()).toBe('PK');
  });
});

describe('readings', () => {
  async function insertReadings(deviceId: string, rows: { at: Date; values: Record<string, number>; receivedAt?: Date }[]) {
    await z.handle.db
      .insertInto('readings')
      .values(rows.map((r) => ({ device_id: deviceId, observed_at: r.at, received_at: r.receivedAt ?? r.at, source: 'import' as const, values: JSON.stringify(r.values) })))
      .execute();
  }

  it('returns the points of a range in order, the last 7 days by default', async () => {
    const d = await device('water_quality');
    const base = Date.now() - 2 * DAY;
    const rows = Array.from({ length: 10 }, (_, i) => ({ at: new Date(base + i * HOUR), values: { NH3N: 0.5 + i / 10, DO: 6 } }));
    // Shuffled, plus points before and after the range.
    await insertReadings(d.id, [...rows].reverse());
    await insertReadings(d.id, [
      { at: new Date(base - 9 * DAY), values: { NH3N: 9 } },
      { at: new Date(base - HOUR), values: { NH3N: 8, pH: 7 } },
    ]);
    const from = new Date(base).toISOString();
    const to = new Date(base + 10 * HOUR).toISOString();
    const res = await worker.get(`/api/v1/devices/${d.id}/readings?from=${from}&to=${to}`);
    expect(res.statusCode, res.body).toBe(200);
    const r = res.json();
    expect(r.items.map((x: { observedAt: string }) => x.observedAt)).toEqual(rows.map((x) => x.at.toISOString()));
    expect(r.items[3].values).toEqual({ NH3N: 0.8, DO: 6 });
    expect(r.indicators).toEqual(['DO', 'NH3N']);
    expect(r.bucketSeconds).toBeNull();

    const week = (await worker.get(`/api/v1/devices/${d.id}/readings`)).json();
    expect(week.items).toHaveLength(11);
    expect(week.indicators).toEqual(['DO', 'NH3N', 'pH']);
    expect((await worker.get(`/api/v1/devices/${d.id}/readings?from=${to}&to=${from}`)).statusCode).toBe(400);
  });

  it('averages time buckets when the range holds more points than the limit', async () => {
    const d = await device('water_meter');
    const base = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;
    const rows = Array.from({ length: 120 }, (_, i) => ({ at: new Date(base + i * 60_000), values: { cumulative: i } }));
    await insertReadings(d.id, rows);
    const from = new Date(base).toISOString();
    const to = new Date(base + 120 * 60_000).toISOString();
    const r = (await worker.get(`/api/v1/devices/${d.id}/readings?from=${from}&to=${to}&limit=10`)).json();
    expect(r.bucketSeconds).toBe(720);
    expect(r.items).toHaveLength(10);
    expect(r.items[0]).toEqual({ observedAt: from, values: { cumulative: 5.5 } });
    expect(r.items[9].values.cumulative).toBe(113.5);
    const times = r.items.map((x: { observedAt: string }) => Date.parse(x.observedAt));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    // The full range fits the default limit.
    expect((await worker.get(`/api/v1/devices/${d.id}/readings?from=${from}&to=${to}`)).json().items).toHaveLength(120);
  });

  it('retention deletes only readings received before the cut-off, in batches', async () => {
    const d = await device('generic');
    const old = Date.UTC(2000, 0, 1);
    await insertReadings(
      d.id,
      Array.from({ length: 7 }, (_, i) => ({ at: new Date(old + i * HOUR), values: { a: i } })),
    );
    await insertReadings(d.id, [
      { at: new Date(old + 100 * HOUR), values: { a: 100 }, receivedAt: new Date() },
      { at: new Date(Date.now() - HOUR), values: { a: 101 } },
    ]);
    const deleted = await deleteOldReadings(z.handle.db, new Date(Date.UTC(2000, 6, 1)), 3);
    expect(deleted).toBe(7);
    const left = await z.handle.db.selectFrom('readings').select('values').where('device_id', '=', d.id).orderBy('observed_at').execute();
    expect(left.map((x) => (x.values as unknown as { a: number }).a)).toEqual([100, 101]);
  });
});

describe('households', () => {
  it('community staff record households; lists mask the contact, the contact read is audited', async () => {
    const h = await household(staff);
    expect(h).toMatchObject({ contactName: '王**', contactPhone: '138****5678' });
    const list = (await staff.get('/api/v1/households?careTag=独居老人&pageSize=100'.replace('独居老人', encodeURIComponent('独居老人')))).json();
    const row = list.items.find((x: { id: string }) => x.id === h.id);
    expect(row).toMatchObject({ contactName: '王**', contactPhone: '138****5678', careTags: ['独居老人'], gridId: t.gridId, meter: null });
    expect(JSON.stringify(list)).not.toContain('13812345678');
    expect(JSON.stringify(list)).not.toContain('王小明');

    const audits = await auditCount(z, h.id);
    const contact = await staff.get(`/api/v1/households/${h.id}/contact`);
    expect(contact.statusCode, contact.body).toBe(200);
    expect(contact.json()).toEqual({ contactName: '王小明', contactPhone: '13812345678' });
    expect(await auditCount(z, h.id)).toBe(audits + 1);
    const row2 = await z.handle.db.selectFrom('audit_log').select(['action', 'actor_name']).where('target_id', '=', h.id).orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(row2.action).toBe('household.contact_read');
    // Grid workers see the household (their grid) but lack personal.read: 404, and no audit row.
    expect((await worker.get(`/api/v1/households/${h.id}`)).statusCode).toBe(200);
    expect((await worker.get(`/api/v1/households/${h.id}/contact`)).statusCode).toBe(404);
    expect(await auditCount(z, h.id)).toBe(audits + 1);
  });

  it('bad input names the field; there is no field for judgements about people', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ careTags: ['可疑人员'] }, 'careTags.0'],
      [{ careTags: [] }, 'careTags'],
      [{ contactPhone: '12345' }, 'contactPhone'],
      [{ contactName: '' }, 'contactName'],
      [{ addressText: '' }, 'addressText'],
      [{ note: '长'.repeat(201) }, 'note'],
      [{ lng: t.point[0] + 0.01 }, 'lat'],
    ];
    for (const [patch, field] of cases) {
      const res = await staff.post('/api/v1/households', { lng: t.point[0], lat: t.point[1], addressText: '测试路1号', contactName: '李四', careTags: ['独居老人'], ...patch });
      expect(res.statusCode, `${JSON.stringify(patch)} → ${res.body}`).toBe(400);
      expect(fieldsOf(res.body), res.body).toContain(field);
    }
    // Unknown fields (e.g. an ethnicity or a "risk" judgement) are not stored anywhere.
    const h = await household(staff, { ethnicity: '某族', riskLevel: 'high' });
    const row = await z.handle.db.selectFrom('households').selectAll().where('id', '=', h.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain('某族');
    expect(JSON.stringify(row)).not.toContain('high');
  });

  it('grid workers see the households of their grids only; other communities see none of them', async () => {
    const h1 = await household(staff);
    const h2 = await household(staff2, { lng: t.point[0] + 0.01, lat: t.point[1], contactName: '赵六' });
    const mine = (await worker.get('/api/v1/households?pageSize=200')).json().items.map((x: { id: string }) => x.id);
    expect(mine).toContain(h1.id);
    expect(mine).not.toContain(h2.id);
    expect((await worker.get(`/api/v1/households/${h2.id}`)).statusCode).toBe(404);
    // Staff of the second community do not see the first community's households, nor may they record one there.
    expect((await staff2.get(`/api/v1/households/${h1.id}`)).statusCode).toBe(404);
    expect((await staff2.get('/api/v1/households?pageSize=200')).json().items.map((x: { id: string }) => x.id)).not.toContain(h1.id);
    const there = await staff2.post('/api/v1/households', { lng: t.point[0], lat: t.point[1], addressText: '测试路2号', contactName: '钱七', careTags: ['残障'] });
    expect(there.statusCode).toBe(400);
    // Editing is for household.write in scope: the grid worker and the outsider get 404 and nothing changes.
    const audits = await auditCount(z, h1.id);
    expect((await worker.patch(`/api/v1/households/${h1.id}`, { note: 'x' })).statusCode).toBe(404);
    expect((await outsider.patch(`/api/v1/households/${h1.id}`, { note: 'x' })).statusCode).toBe(404);
    expect((await outsider.get(`/api/v1/households/${h1.id}/contact`)).statusCode).toBe(404);
    expect((await outsider.get('/api/v1/households?pageSize=200')).json().items.map((x: { id: string }) => x.id)).not.toContain(h1.id);
    expect(await auditCount(z, h1.id)).toBe(audits);
    // The district's command centre sees both.
    const all = (await command.get('/api/v1/households?pageSize=200')).json().items.map((x: { id: string }) => x.id);
    expect(all).toEqual(expect.arrayContaining([h1.id, h2.id]));
  });

  it('edits a household and links its water meter; the device list labels the household masked', async () => {
    const h = await household(staff, { contactName: '孙小红' });
    const edited = await staff.patch(`/api/v1/households/${h.id}`, { careTags: ['独居老人', '重病'], contactPhone: '13900001111' });
    expect(edited.statusCode, edited.body).toBe(200);
    expect(edited.json()).toMatchObject({ careTags: ['独居老人', '重病'], contactPhone: '139****1111' });
    const audit = await z.handle.db.selectFrom('audit_log').select(['before', 'after']).where('target_id', '=', h.id).where('action', '=', 'household.updated').executeTakeFirstOrThrow();
    expect(JSON.stringify(audit)).not.toContain('13900001111');

    const m1 = await device('water_meter');
    const m2 = await device('water_meter');
    const station = await device('water_quality');
    const linked = await put(staff, `/api/v1/households/${h.id}/meter`, { deviceId: m1.id });
    expect(linked.statusCode, linked.body).toBe(200);
    expect(linked.json().meter).toMatchObject({ id: m1.id, code: m1.code });
    const dev = (await command.get(`/api/v1/devices/${m1.id}`)).json();
    expect(dev.household).toEqual({ id: h.id, label: expect.stringMatching(/^孙\*\* · 测试社区/) });
    // A second meter replaces the first.
    expect((await put(staff, `/api/v1/households/${h.id}/meter`, { deviceId: m2.id })).json().meter.id).toBe(m2.id);
    expect((await command.get(`/api/v1/devices/${m1.id}`)).json().household).toBeNull();
    const wrong = await put(staff, `/api/v1/households/${h.id}/meter`, { deviceId: station.id });
    expect(wrong.statusCode).toBe(400);
    expect(fieldsOf(wrong.body)).toContain('deviceId');
    expect((await put(worker, `/api/v1/households/${h.id}/meter`, { deviceId: null })).statusCode).toBe(404);
    expect((await put(staff, `/api/v1/households/${h.id}/meter`, { deviceId: null })).json().meter).toBeNull();
    // A meter registered with its household takes the household's place.
    const m3 = await device('water_meter', { lng: undefined, lat: undefined, householdId: h.id });
    const d3 = (await command.get(`/api/v1/devices/${m3.id}`)).json();
    expect(d3).toMatchObject({ gridId: t.gridId, household: { id: h.id } });
    expect((await staff.get(`/api/v1/households/${h.id}`)).json().meter.id).toBe(m3.id);
  });

  it('resolves an address text through the address library', async () => {
    const [lng, lat] = t.point;
    const mk = (parent: AddressRecord | null, level: AddressRecord['level'], name: string, gridId: string | null = null, dLng = 0): AddressRecord => ({
      id: crypto.randomUUID(),
      parentId: parent?.id ?? null,
      level,
      name,
      fullText: (parent?.fullText ?? '') + name,
      aliases: [],
      lng: lng + dLng,
      lat,
      gridId,
    });
    const county = mk(null, 'county', `测试区${t.suffix}`);
    const street = mk(county, 'street', `测试街道${t.suffix}`);
    const community = mk(street, 'community', `测试社区${t.suffix}`, t.gridId);
    const estate = mk(community, 'estate', '青枫雅苑', t.gridId);
    const building = mk(estate, 'building', '5幢', t.gridId, 0.001);
    await insertAddresses(z.handle.db, [county, street, community, estate, building]);
    z.services.geo.invalidate();
    const res = await staff.post('/api/v1/households', { addressText: '青枫雅苑5幢', contactName: '周八', careTags: ['孤寡老人'] });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ addressText: building.fullText, gridId: t.gridId, lng: lng + 0.001 });
    const row = await z.handle.db.selectFrom('households').select('address_id').where('id', '=', res.json().id).executeTakeFirstOrThrow();
    expect(row.address_id).toBe(building.id);
  });
});

describe('demo', () => {
  it.skipIf(onPostgres)('seeds the early-warning demo once, quickly, with the planted episodes', { timeout: 180_000 }, async () => {
    const { seedDemo, DEMO_DISTRICT_CODE } = await import('../demo/index.js');
    const { seedDemoAlerts, plantedDemoEpisodes } = await import('./alerts.demo.js');
    await seedDemo(z.handle, { scale: 0.05 });
    const now = new Date('2026-03-10T09:20:00Z');
    const started = Date.now();
    const r = await seedDemoAlerts(z.handle.db, z.services, { districtCode: DEMO_DISTRICT_CODE, now });
    const ms = Date.now() - started;
    expect(r).not.toBeNull();
    expect(r).toMatchObject({ waterBodies: 8, stations: 18, meters: 40, households: 40, accessControl: 10 });
    expect(r!.readings).toBe((18 + 40) * 14 * 24 - 20);
    console.info(`seedDemoAlerts: ${ms} ms for ${r!.readings} readings`);
    expect(ms).toBeLessThan(6_000);
    expect(await seedDemoAlerts(z.handle.db, z.services, { districtCode: DEMO_DISTRICT_CODE, now })).toBeNull();
    expect((await plantedDemoEpisodes(z.handle.db)).map((e) => e.key)).toEqual(r!.episodes.map((e) => e.key));

    const db = z.handle.db;
    const byKey = Object.fromEntries(r!.episodes.map((e) => [e.key, e]));
    expect(Object.keys(byKey).sort()).toEqual(['do_drop', 'meter_flat', 'meter_silent', 'nh3n_climb']);
    const nh3n = await db.selectFrom('readings').select(['observed_at', 'values']).where('device_id', '=', byKey.nh3n_climb.deviceId).where('observed_at', '>=', new Date(byKey.nh3n_climb.startsAt)).where('observed_at', '<', new Date(byKey.nh3n_climb.endsAt!)).orderBy('observed_at').execute();
    expect(nh3n).toHaveLength(6);
    expect(nh3n.every((x) => (x.values as unknown as Record<string, number>).NH3N > 1.0)).toBe(true);
    const flat = await db.selectFrom('readings').select('values').where('device_id', '=', byKey.meter_flat.deviceId).where('observed_at', '>=', new Date(byKey.meter_flat.startsAt)).where('observed_at', '<=', new Date(byKey.meter_flat.endsAt!)).execute();
    expect(flat).toHaveLength(15);
    expect(new Set(flat.map((x) => (x.values as unknown as Record<string, number>).cumulative)).size).toBe(1);
    const hh = await db.selectFrom('households').select('care_tags').where('id', '=', byKey.meter_flat.householdId!).executeTakeFirstOrThrow();
    expect(hh.care_tags).toContain('独居老人');
    // Every station's other readings stay within its water body's target class.
    const wb = await db.selectFrom('water_bodies').selectAll().where('district_org_id', 'in', db.selectFrom('orgs').select('id').where('code', '=', DEMO_DISTRICT_CODE)).execute();
    expect(wb.every((w) => w.target_class >= 2 && w.target_class <= 4 && !!w.chief_user_id)).toBe(true);
    const silent = await db.selectFrom('devices').select(['online', 'last_reading_at']).where('id', '=', byKey.meter_silent.deviceId).executeTakeFirstOrThrow();
    expect(silent.online).toBe(false);
  });
});
