import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Zhian } from '../../main.js';
import { addUser, createTenant, login, testZhian, type Client, type Tenant } from '../../../../test/helpers.js';

/**
 * Warnings in the closed loop: readings in over HTTP and NGSI-LD → rules → one warning per
 * episode → a verification task for the grid worker in the reports loop → the outcome on
 * site → the precision of each rule. Devices are made by a factory here; their own API has
 * its own tests.
 */
let z: Zhian;
let t: Tenant;
let admin: Client;
let worker: Client;

async function waterBody(targetClass = 3, chief: string | null = null) {
  const r = await z.handle.db
    .insertInto('water_bodies')
    .values({ district_org_id: t.districtId, name: `测试河${Math.random().toString(36).slice(2, 7)}`, kind: 'river', target_class: targetClass, alarm_levels: JSON.stringify({ yellow: 1, red: 2 }), chief_user_id: chief })
    .returning('id')
    .executeTakeFirstOrThrow();
  return r.id;
}

async function device(type: 'water_quality' | 'water_meter' | 'generic', extra: { waterBodyId?: string; householdId?: string; lastReadingAt?: Date; createdAt?: Date } = {}) {
  const community = await z.handle.db.selectFrom('orgs').select('path').where('id', '=', t.communityId).executeTakeFirstOrThrow();
  const code = `${type === 'water_quality' ? 'WQ' : type === 'water_meter' ? 'WM' : 'GE'}-${Math.random().toString(36).slice(2, 10)}`;
  const r = await z.handle.db
    .insertInto('devices')
    .values({
      code,
      name: `设备${code}`,
      type,
      lng: t.point[0],
      lat: t.point[1],
      address_text: '测试路1号',
      grid_id: t.gridId,
      community_org_id: t.communityId,
      district_org_id: t.districtId,
      area_path: community.path,
      water_body_id: extra.waterBodyId ?? null,
      household_id: extra.householdId ?? null,
      secret_hash: null,
      last_reading_at: extra.lastReadingAt ?? null,
      ...(extra.createdAt ? { created_at: extra.createdAt } : {}),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: r.id, code };
}

async function rule(body: Record<string, unknown>) {
  const res = await admin.post('/api/v1/alert-rules', body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string };
}

async function post(code: string, observedAt: Date, values: Record<string, number>) {
  return admin.post(`/api/v1/devices/by-code/${code}/readings`, { observedAt: observedAt.toISOString(), values });
}

async function warningsOf(ruleId: string) {
  return z.handle.db.selectFrom('alert_warnings').selectAll().where('rule_id', '=', ruleId).orderBy('raised_at').execute();
}

beforeAll(async () => {
  z = await testZhian();
  t = await createTenant(z);
  admin = await login(z, t.admin);
  worker = await login(z, t.worker);
});

afterAll(async () => {
  await z?.close();
});

describe('GB 3838 calculator', () => {
  it('classifies partial readings by the worst indicator and names it', async () => {
    const res = await admin.post('/api/v1/water-quality/assess', { waterBody: 'river', readings: { DO: 6.5, NH3N: 1.2, TP: 0.1 } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ class: 4, label: 'Ⅳ类', decisive: ['NH3N'] });
    const lake = await admin.post('/api/v1/water-quality/assess', { waterBody: 'lake', readings: { TP: 0.1 } });
    expect(lake.json()).toMatchObject({ class: 4 });
  });

  it('refuses an empty or unknown reading, naming the field', async () => {
    const empty = await admin.post('/api/v1/water-quality/assess', { waterBody: 'river', readings: {} });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('readings');
    const bad = await admin.post('/api/v1/water-quality/assess', { waterBody: 'sea', readings: { DO: 5 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('waterBody');
  });
});

describe('rules', () => {
  it('refuses bad parameters naming the field, and a rule outside the 预警核查 group', async () => {
    const bad = await admin.post('/api/v1/alert-rules', { name: '氨氮', kind: 'threshold', taskCategory: '0906', params: { indicator: 'NH3N', direction: 'above', levels: { yellow: 2, red: 1 }, hysteresis: 0, minDurationSec: 0 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('params.levels');
    const cat = await admin.post('/api/v1/alert-rules', { name: '氨氮', kind: 'threshold', taskCategory: '0101', params: { indicator: 'NH3N', direction: 'above', levels: { yellow: 1 }, hysteresis: 0, minDurationSec: 0 } });
    expect(cat.statusCode).toBe(400);
    expect(cat.body).toContain('taskCategory');
    const n = await z.handle.db.selectFrom('alert_rules').select((eb) => eb.fn.countAll<string>().as('n')).where('district_org_id', '=', t.districtId).where('name', '=', '氨氮').executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(0);
  });

  it('is visible only inside its district', async () => {
    const r = await rule({ name: '可见性', kind: 'no_signal', taskCategory: '0905', params: { levels: { yellow: 60 } }, enabled: false });
    const other = await createTenant(z);
    const outsider = await login(z, other.admin);
    expect((await outsider.get(`/api/v1/alert-rules/${r.id}`)).statusCode).toBe(404);
    expect((await outsider.patch(`/api/v1/alert-rules/${r.id}`, { enabled: true })).statusCode).toBe(404);
    expect((await admin.get(`/api/v1/alert-rules/${r.id}`)).json()).toMatchObject({ enabled: false });
  });
});

describe('water quality: one warning per episode, a task for the grid worker, the outcome on site', () => {
  let ruleId: string;
  let code: string;
  const t0 = new Date(Date.now() - 6 * 3600_000);
  const at = (min: number) => new Date(t0.getTime() + min * 60_000);

  beforeAll(async () => {
    const chief = await addUser(z, t, 'hezhang', ['dept_staff']);
    const wb = await waterBody(3, chief.id);
    code = (await device('water_quality', { waterBodyId: wb })).code;
    ruleId = (await rule({ name: '水质目标', kind: 'water_quality', taskCategory: '0901', params: { minDurationSec: 0, levels: { yellow: 1, red: 2 } } })).id;
  });

  it('stores a reading once and raises nothing within the target class', async () => {
    const a = await post(code, at(0), { NH3N: 0.4, DO: 7 });
    expect(a.statusCode, a.body).toBe(201);
    const again = await post(code, at(0), { NH3N: 0.4, DO: 7 });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ stored: false, duplicate: true });
    expect(await warningsOf(ruleId)).toHaveLength(0);
  });

  it('raises a yellow warning once, escalates it to red, and clears it when the water recovers', async () => {
    await post(code, at(10), { NH3N: 1.2 });
    await post(code, at(10), { NH3N: 1.2 }); // redelivered
    let ws = await warningsOf(ruleId);
    expect(ws).toHaveLength(1);
    expect(ws[0]).toMatchObject({ level: 'yellow', cleared_at: null });
    await post(code, at(20), { NH3N: 2.5 });
    ws = await warningsOf(ruleId);
    expect(ws).toHaveLength(1);
    expect(ws[0]!.level).toBe('red');
    await post(code, at(30), { NH3N: 0.3 });
    ws = await warningsOf(ruleId);
    expect(ws[0]!.cleared_at).not.toBeNull();
    // The next exceedance is a new episode: a second warning.
    await post(code, at(40), { NH3N: 1.3 });
    expect(await warningsOf(ruleId)).toHaveLength(2);
  });

  it('made each warning a verification task of the grid worker, and told the river chief', async () => {
    const ws = await warningsOf(ruleId);
    for (const w of ws) {
      expect(w.report_id).not.toBeNull();
      expect(w.status).toBe('verifying');
      const r = await z.handle.db.selectFrom('reports').selectAll().where('id', '=', w.report_id!).executeTakeFirstOrThrow();
      expect(r).toMatchObject({ channel: 'warning', category_code: '0901', assignee_id: t.workerId, dept_org_id: t.communityId, status: 'dispatched' });
      expect(r.external_ref).toBe(`warning:${w.id}`);
    }
    const chiefNotes = await z.handle.db.selectFrom('notifications as n').innerJoin('users as u', 'u.id', 'n.user_id').select('n.title').where('u.username', '=', `hezhang-${t.suffix}`).execute();
    expect(chiefNotes.length).toBe(2);
  });

  it('lets the grid worker record the outcome, which is the task’s 处置 step; a second outcome is a 409', async () => {
    const [w1, w2] = await warningsOf(ruleId);
    const list = await worker.get('/api/v1/warnings?status=open');
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((x: { id: string }) => x.id)).toEqual(expect.arrayContaining([w1!.id, w2!.id]));
    const bad = await worker.post(`/api/v1/warnings/${w1!.id}/outcome`, { outcome: 'maybe' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('outcome');
    const ok = await worker.post(`/api/v1/warnings/${w1!.id}/outcome`, { outcome: 'confirmed', note: '现场可见排污口' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ status: 'confirmed', outcome: { outcome: 'confirmed', label: '属实' } });
    const rep = await z.handle.db.selectFrom('reports').select('status').where('id', '=', w1!.report_id!).executeTakeFirstOrThrow();
    expect(rep.status).toBe('handled');
    const again = await worker.post(`/api/v1/warnings/${w1!.id}/outcome`, { outcome: 'false_alarm' });
    expect(again.statusCode).toBe(409);
    expect((await worker.post(`/api/v1/warnings/${w2!.id}/outcome`, { outcome: 'false_alarm' })).statusCode).toBe(200);
    const p = await admin.get('/api/v1/warnings/precision');
    const row = p.json().find((x: { ruleId: string }) => x.ruleId === ruleId);
    expect(row).toMatchObject({ raised: 2, verified: 2, confirmed: 1, falseAlarm: 1, precision: 0.5 });
  });

  it('an outcome the task cannot take (the case was closed elsewhere) writes nothing', async () => {
    await post(code, at(50), { NH3N: 0.2 });
    await post(code, at(60), { NH3N: 3 });
    const w = (await warningsOf(ruleId)).at(-1)!;
    await z.handle.db.updateTable('reports').set({ status: 'voided' }).where('id', '=', w.report_id!).execute();
    const res = await worker.post(`/api/v1/warnings/${w.id}/outcome`, { outcome: 'handled' });
    expect(res.statusCode).toBe(409);
    const after = await z.handle.db.selectFrom('alert_warnings').select(['status', 'outcome_at']).where('id', '=', w.id).executeTakeFirstOrThrow();
    expect(after).toMatchObject({ status: 'verifying', outcome_at: null });
  });

  it('hides warnings from another district', async () => {
    const w = (await warningsOf(ruleId))[0]!;
    const other = await createTenant(z);
    const outsider = await login(z, other.admin);
    expect((await outsider.get(`/api/v1/warnings/${w.id}`)).statusCode).toBe(404);
    expect((await outsider.post(`/api/v1/warnings/${w.id}/outcome`, { outcome: 'handled' })).statusCode).toBe(404);
    expect((await outsider.get('/api/v1/warnings')).json().items.find((x: { id: string }) => x.id === w.id)).toBeUndefined();
  });

  it('exports the list to xlsx', async () => {
    const res = await admin.get('/api/v1/warnings/export.xlsx');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('spreadsheetml');
    expect(res.rawPayload.subarray(0, 2).toString()).toBe('PK');
  });

  it('dry-runs the rule over the last 30 days without writing', async () => {
    const before = (await warningsOf(ruleId)).length;
    const res = await admin.post(`/api/v1/alert-rules/${ruleId}/dry-run`, { params: { minDurationSec: 0, levels: { yellow: 1, red: 2 } } });
    expect(res.statusCode, res.body).toBe(202);
    const jobId = res.json().jobId as string;
    let job: { status: string; result: { warnings: number; byLevel: Record<string, number> } } | undefined;
    for (let i = 0; i < 100; i++) {
      job = (await admin.get(`/api/v1/jobs/${jobId}`)).json();
      if (job!.status !== 'running') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(job!.status).toBe('succeeded');
    // Episodes in the replay: 10–30 min, 40–50 min, 60 min →: three.
    expect(job!.result.warnings).toBe(3);
    expect((await warningsOf(ruleId)).length).toBe(before);
  });
});

describe('the clock: no signal and no water use', () => {
  it('raises one no-signal warning per silence, escalates it, and ends it when the device speaks', async () => {
    const d = await device('generic', { lastReadingAt: new Date(Date.now() - 2 * 3600_000), createdAt: new Date(Date.now() - 86_400_000) });
    const r = await rule({ name: '离线', kind: 'no_signal', taskCategory: '0905', deviceIds: [d.id], params: { levels: { yellow: 60, red: 240 } } });
    await z.services.ingest.sweep(new Date());
    await z.services.ingest.sweep(new Date());
    let ws = await warningsOf(r.id);
    expect(ws).toHaveLength(1);
    expect(ws[0]!.level).toBe('yellow');
    await z.services.ingest.sweep(new Date(Date.now() + 3 * 3600_000));
    ws = await warningsOf(r.id);
    expect(ws).toHaveLength(1);
    expect(ws[0]!.level).toBe('red');
    await post(d.code, new Date(), { level: 1 });
    ws = await warningsOf(r.id);
    expect(ws[0]!.cleared_at).not.toBeNull();
  });

  it('raises a care alert when the meter of an elderly person living alone stands still for 12 hours', async () => {
    const community = await z.handle.db.selectFrom('orgs').select('path').where('id', '=', t.communityId).executeTakeFirstOrThrow();
    const hh = await z.handle.db
      .insertInto('households')
      .values({ address_text: '测试路2号101室', lng: t.point[0], lat: t.point[1], grid_id: t.gridId, community_org_id: t.communityId, area_path: community.path, contact_name: '张桂英', contact_phone: '13812345678', care_tags: ['独居老人'] })
      .returning('id')
      .executeTakeFirstOrThrow();
    const m = await device('water_meter', { householdId: hh.id });
    const r = await rule({ name: '独居老人用水', kind: 'no_consumption', taskCategory: '0902', params: { levels: { yellow: 12, red: 24 }, minDelta: 0.001, careTags: ['独居老人'] } });
    const start = Date.now() - 14 * 3600_000;
    await post(m.code, new Date(start), { waterConsumption: 100.5 });
    await post(m.code, new Date(start + 3600_000), { waterConsumption: 100.52 });
    for (let h = 2; h <= 14; h++) await post(m.code, new Date(start + h * 3600_000), { waterConsumption: 100.52 });
    const ws = await warningsOf(r.id);
    expect(ws).toHaveLength(1);
    expect(ws[0]).toMatchObject({ level: 'yellow', household_id: hh.id });
    const task = await z.handle.db.selectFrom('reports').select(['category_code', 'priority']).where('id', '=', ws[0]!.report_id!).executeTakeFirstOrThrow();
    expect(task).toMatchObject({ category_code: '0902' });
    // Water runs again: the episode ends.
    await post(m.code, new Date(), { waterConsumption: 100.6 });
    expect((await warningsOf(r.id))[0]!.cleared_at).not.toBeNull();
  });
});

describe('HTTP ingest', () => {
  it('refuses unknown devices, bad times and non-numbers, naming the field, and stores nothing', async () => {
    const d = await device('generic');
    expect((await post('NOPE-123', new Date(), { a: 1 })).statusCode).toBe(404);
    const future = await post(d.code, new Date(Date.now() + 3600_000), { a: 1 });
    expect(future.statusCode).toBe(400);
    expect(future.body).toContain('observedAt');
    const nan = await admin.post(`/api/v1/devices/by-code/${d.code}/readings`, { observedAt: new Date().toISOString(), values: { a: 'x' } });
    expect(nan.statusCode).toBe(400);
    expect(nan.body).toContain('values.a');
    const n = await z.handle.db.selectFrom('readings').select((eb) => eb.fn.countAll<string>().as('n')).where('device_id', '=', d.id).executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(0);
  });

  it('answers 404 for a device of another district', async () => {
    const d = await device('generic');
    const other = await createTenant(z);
    const outsider = await login(z, other.admin);
    const res = await outsider.post(`/api/v1/devices/by-code/${d.code}/readings`, { observedAt: new Date().toISOString(), values: { a: 1 } });
    expect(res.statusCode).toBe(404);
  });
});
