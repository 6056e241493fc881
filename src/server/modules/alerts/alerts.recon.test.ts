import { randomUUID } from 'node:crypto';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Zhian } from '../../main.js';
import { addUser, createTenant, login, testZhian, type Client, type Tenant } from '../../../../test/helpers.js';
import { insertAddresses, type AddressRecord } from '../geo/index.js';
import { addressKey, creditCodeProblem, idNumberProblem, maskIdNumber, nextDue, parseDateTime, personKey, RECON_RETRY_TIMER, RECON_TIMER } from './alerts.recon.js';
import { reconChange, reconDataset, toCsv, toXlsxFile, type ReconDataset } from './alerts.recon.generate.js';

/**
 * Reconciliation end to end on the real database: files in over HTTP (xlsx and csv, as jobs
 * with progress and a row-by-row report), runs of the two rules against generated registers
 * whose answer is known by construction, idempotent re-runs, episodes that end when the data
 * changes, and no raw ID number anywhere in the database.
 */
let z: Zhian;
let t: Tenant;
let admin: Client;
let outsider: Client;
let worker: Client;
let ds: ReconDataset;
const SECRET = 'zhian-demo-person-key-change-me';
const DAY = 86_400_000;
/** A Beijing midnight three days ago: the run's asOf; entries are dated relative to it. */
const asOf = new Date(Math.floor((Date.now() + 8 * 3_600_000) / DAY) * DAY - 8 * 3_600_000 - 3 * DAY);
const later = (s: number) => new Date(asOf.getTime() + s * 1000);
let unregisteredRule: string;
let multiRule: string;

async function upload(c: Client, kind: string, bytes: Buffer, fileName: string) {
  const form = new FormData();
  form.set('kind', kind);
  form.set('file', new Blob([new Uint8Array(bytes)]), fileName);
  const req = new Request('http://localhost/', { method: 'POST', body: form });
  const body = Buffer.from(await req.arrayBuffer());
  return c.raw({ method: 'POST', url: '/api/v1/recon/imports', body, headers: { 'content-type': req.headers.get('content-type')! } });
}

async function job(c: Client, id: string) {
  await z.services.recon.idle();
  const res = await c.get(`/api/v1/jobs/${id}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { status: string; progress: number; processed: number; total: number; result: any; errors: { row: number; field: string; message: string }[] };
}

async function imported(kind: string, bytes: Buffer, fileName: string) {
  const res = await upload(admin, kind, bytes, fileName);
  expect(res.statusCode, res.body).toBe(202);
  const j = await job(admin, res.json().jobId);
  expect(j.status, JSON.stringify(j.errors.slice(0, 3))).toBe('succeeded');
  return { ...j, importId: res.json().importId as string };
}

async function run(c: Client, ruleId: string, at: Date) {
  const res = await c.post(`/api/v1/alert-rules/${ruleId}/run`, { asOf: at.toISOString() });
  expect(res.statusCode, res.body).toBe(202);
  await z.services.recon.idle();
  const runs = (await c.get(`/api/v1/recon/runs?ruleId=${ruleId}`)).json().items as any[];
  const r = runs.find((x) => x.id === res.json().runId);
  expect(r?.status, r?.error).toBe('succeeded');
  return r as { found: number; raised: number; ended: number; jobId: string };
}

async function warningsOf(ruleId: string) {
  return z.handle.db.selectFrom('alert_warnings').selectAll().where('rule_id', '=', ruleId).orderBy('subject_key').execute();
}

const unregisteredKey = (u: { addressKey: string; idNumber: string }) => `u:${u.addressKey}|${personKey(SECRET, u.idNumber)}`;

/** County → street → community → one estate named like a generated address, in the tenant's grid. */
async function seedAddressLibrary(tn: Tenant) {
  const [lng, lat] = tn.point;
  const mk = (parent: AddressRecord | null, level: AddressRecord['level'], name: string, gridId: string | null = null): AddressRecord => ({
    id: randomUUID(),
    parentId: parent?.id ?? null,
    level,
    name,
    fullText: (parent?.fullText ?? '') + name,
    aliases: [],
    lng,
    lat,
    gridId,
  });
  const province = mk(null, 'province', `测试省${tn.suffix}`);
  const city = mk(province, 'city', '测试市');
  const county = mk(city, 'county', `测试区${tn.suffix}`);
  const street = mk(county, 'street', `测试街道${tn.suffix}`);
  const community = mk(street, 'community', `测试社区${tn.suffix}`, tn.gridId);
  const estate = mk(community, 'estate', '幸福路1号', tn.gridId);
  await insertAddresses(z.handle.db, [province, city, county, street, community, estate]);
  z.services.geo.invalidate();
}

beforeAll(async () => {
  z = await testZhian();
  t = await createTenant(z);
  admin = await login(z, t.admin);
  worker = await login(z, t.worker);
  outsider = await login(z, (await createTenant(z)).admin);
  await seedAddressLibrary(t);
  ds = reconDataset({ seed: Number.parseInt(t.suffix, 16) % 100_000, asOf, unregistered: 24, multiEnterprise: 9, addressPrefix: `测试区${t.suffix}` });
  const mk = async (body: Record<string, unknown>) => {
    const res = await admin.post('/api/v1/alert-rules', body);
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  };
  unregisteredRule = await mk({ name: '人来未登记', kind: 'unregistered_resident', taskCategory: '0903', params: { windowDays: 30, levels: { green: 5, yellow: 10, red: 20 } } });
  multiRule = await mk({ name: '一址多企', kind: 'multi_enterprise', taskCategory: '0904', params: { levels: { green: 3, yellow: 5, red: 10 } } });
});

afterAll(async () => {
  await z?.services.recon.idle();
  await z?.close();
});

describe('keys and check digits', () => {
  it('normalises addresses: full-width digits, spaces, but keeps 号 and 室', () => {
    expect(addressKey('幸福路１２号')).toBe('幸福路12号');
    expect(addressKey(' 幸福路 12 号\u3000')).toBe('幸福路12号');
    expect(addressKey('3幢1单元301室')).not.toBe(addressKey('3幢1单元301'));
    expect(addressKey('A座－1')).toBe(addressKey('a座-1'));
  });

  it('checks ID numbers (GB 11643) and credit codes (GB 32100), and masks ID numbers', () => {
    expect(idNumberProblem('11010519491231002X')).toBeNull();
    expect(idNumberProblem('110105194912310021')).toMatch(/check digit/);
    expect(idNumberProblem('11010519491331002X')).toMatch(/birth date/);
    expect(idNumberProblem('1101051949123100')).toMatch(/18 characters/);
    expect(creditCodeProblem('91350100M000100Y43')).toBeNull();
    expect(creditCodeProblem('91350100M000100Y44')).toMatch(/check character/);
    expect(maskIdNumber('330106199001011234')).toBe('3301**********1234');
    expect(personKey(SECRET, '11010519491231002x')).toBe(personKey(SECRET, '11010519491231002X'));
    expect(personKey(SECRET, '11010519491231002X')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads times as Beijing time unless they carry an offset', () => {
    expect(parseDateTime('2025-03-01 08:30:00')?.toISOString()).toBe('2025-03-01T00:30:00.000Z');
    expect(parseDateTime('2025/3/1 8:30')?.toISOString()).toBe('2025-03-01T00:30:00.000Z');
    expect(parseDateTime('2025-03-01T08:30:00Z')?.toISOString()).toBe('2025-03-01T08:30:00.000Z');
    expect(parseDateTime('2025-03-01T08:30:00+09:00')?.toISOString()).toBe('2025-02-28T23:30:00.000Z');
    expect(parseDateTime('2025-02-30 08:30')).toBeNull();
  });

  it('schedules monthly runs at 02:00 Beijing time on the 1st, weekly on Mondays', () => {
    expect(nextDue('monthly', new Date('2025-03-15T10:00:00Z'))?.toISOString()).toBe('2025-03-31T18:00:00.000Z');
    expect(nextDue('monthly', new Date('2025-12-31T17:00:00Z'))?.toISOString()).toBe('2026-01-31T18:00:00.000Z');
    // Friday 2025-03-14 → Monday 2025-03-17 02:00 Beijing.
    expect(nextDue('weekly', new Date('2025-03-14T10:00:00Z'))?.toISOString()).toBe('2025-03-16T18:00:00.000Z');
    expect(nextDue('off', new Date())).toBeNull();
  });
});

describe('imports', () => {
  it('gives an empty template with the headers, ID columns as text', async () => {
    const res = await admin.get('/api/v1/recon/templates/access.xlsx');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toContain('spreadsheetml');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    expect((wb.worksheets[0]!.getRow(1).values as unknown[]).slice(1)).toEqual(['身份证号', '门禁地址', '进入时间']);
    expect((await admin.get('/api/v1/recon/templates/people.xlsx')).statusCode).toBe(404);
  });

  it('imports nothing from a file with one bad row, and reports the row and the column without the raw ID number', async () => {
    const rows = [...ds.residents()].slice(0, 5);
    const bad = '330106199001011235'; // wrong check digit
    const file = toCsv('residents', [...rows.slice(0, 2), { ...rows[2]!, idNumber: bad }, ...rows.slice(3)]);
    const res = await upload(admin, 'residents', file, '居住登记.csv');
    expect(res.statusCode, res.body).toBe(202);
    const j = await job(admin, res.json().jobId);
    expect(j.status).toBe('failed');
    expect(j.errors).toEqual([{ row: 4, field: '身份证号', message: expect.stringContaining('3301**********1235') }]);
    expect(JSON.stringify(j)).not.toContain(bad);
    const imp = await z.handle.db.selectFrom('recon_imports').select('id').where('id', '=', res.json().importId).execute();
    expect(imp).toHaveLength(0);
    const n = await z.handle.db.selectFrom('recon_residents').select((eb) => eb.fn.countAll<number>().as('n')).where('district_org_id', '=', t.districtId).executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(0);

    const access = toCsv('access', [...ds.access()].slice(0, 3).map((a, i) => (i === 1 ? { ...a, enteredAt: '2025-13-01 25:00' } : a)));
    const j2 = await job(admin, (await upload(admin, 'access', access, '门禁.csv')).json().jobId);
    expect(j2.status).toBe('failed');
    expect(j2.errors).toEqual([{ row: 3, field: '进入时间', message: expect.any(String) }]);

    const noColumn = Buffer.from('身份证号,姓名\n11010519491231002X,张三\n');
    const j3 = await job(admin, (await upload(admin, 'residents', noColumn, 'x.csv')).json().jobId);
    expect(j3.errors).toEqual([{ row: 1, field: '居住地址', message: expect.stringContaining('missing column') }]);
  });

  it('imports the registers from xlsx and csv as jobs with progress, and lists them', async () => {
    const residents = await imported('residents', await toXlsxFile('residents', ds.residents()), '居住登记.xlsx');
    expect(residents.progress).toBe(1);
    expect(residents.result).toMatchObject({ kind: 'residents', rows: [...ds.residents()].length });
    const enterprises = await imported('enterprises', await toXlsxFile('enterprises', ds.enterprises()), '企业登记.xlsx');
    // The same enterprise listed twice counts once.
    expect(enterprises.result.ignored).toBeGreaterThan(0);
    const access = await imported('access', toCsv('access', ds.access()), '门禁记录.csv');
    // Entries repeated within the file are stored once.
    expect(access.result.ignored).toBeGreaterThan(0);
    const again = await imported('access', toCsv('access', ds.access()), '门禁记录.csv');
    expect(again.result).toMatchObject({ imported: 0, ignored: access.result.rows });

    const list = (await admin.get('/api/v1/recon/imports')).json();
    expect(list.total).toBe(4);
    expect(list.items.map((i: any) => i.kind).sort()).toEqual(['access', 'access', 'enterprises', 'residents']);
    expect(list.items.find((i: any) => i.id === residents.importId)).toMatchObject({ fileName: '居住登记.xlsx', rows: residents.result.rows, status: 'succeeded' });
    expect((await outsider.get('/api/v1/recon/imports')).json().total).toBe(0);
  });

  it('reads Excel date cells as Beijing time, refuses ID numbers stored as numbers, and takes a raw file body', async () => {
    const sheet = async (rows: unknown[][]) => {
      const wb = new ExcelJS.Workbook();
      const ws = wb.addWorksheet('门禁');
      ws.addRow(['身份证号', '地址', '进入时间']);
      for (const r of rows) ws.addRow(r);
      return Buffer.from(await wb.xlsx.writeBuffer());
    };
    const address = `测试区${t.suffix}日期格式路1号`;
    const numeric = await job(admin, (await upload(admin, 'access', await sheet([[110105194912310021, address, '2025-03-01 08:30']]), 'n.xlsx')).json().jobId);
    expect(numeric.status).toBe('failed');
    expect(numeric.errors).toEqual([{ row: 2, field: '身份证号', message: expect.stringContaining('as text') }]);

    await imported('access', await sheet([['11010519491231002X', address, new Date(Date.UTC(2025, 2, 1, 8, 30))]]), 'd.xlsx');
    const raw = toCsv('access', [{ idNumber: '11010519491231002X', address, enteredAt: '2025-03-02 09:00:00', at: new Date() }]);
    const res = await admin.raw({ method: 'POST', url: '/api/v1/recon/imports?kind=access&format=csv&fileName=raw.csv', body: raw, headers: { 'content-type': 'text/csv' } });
    expect(res.statusCode, res.body).toBe(202);
    expect((await job(admin, res.json().jobId)).status).toBe('succeeded');
    const rows = await z.handle.db.selectFrom('recon_access').select('entered_at').where('district_org_id', '=', t.districtId).where('address_key', '=', addressKey(address)).orderBy('entered_at').execute();
    expect(rows.map((r) => new Date(r.entered_at).toISOString())).toEqual(['2025-03-01T00:30:00.000Z', '2025-03-02T01:00:00.000Z']);
  });

  it('refuses imports by callers without the permission (404), and writes nothing', async () => {
    const before = (await admin.get('/api/v1/recon/imports')).json().total;
    const res = await upload(worker, 'residents', toCsv('residents', [...ds.residents()].slice(0, 2)), 'x.csv');
    expect(res.statusCode).toBe(404);
    expect((await admin.get('/api/v1/recon/imports')).json().total).toBe(before);
  });
});

describe('runs', () => {
  it('finds exactly the planted people and addresses, with their levels, and locates what the address library knows', async () => {
    const r1 = await run(admin, unregisteredRule, asOf);
    expect(r1).toMatchObject({ found: ds.expected.unregistered.length, raised: ds.expected.unregistered.length, ended: 0 });
    const ws = await warningsOf(unregisteredRule);
    const expected = new Map(ds.expected.unregistered.map((u) => [unregisteredKey(u), u]));
    expect(new Set(ws.map((w) => w.subject_key))).toEqual(new Set(expected.keys()));
    expect(ws).toHaveLength(expected.size);
    for (const w of ws) {
      const u = expected.get(w.subject_key)!;
      expect(w.level, w.title).toBe(u.level);
      expect(w.title).toBe(`人来未登记：${w.address_text} 近30天出现${u.days}天，无居住登记`);
      expect(w.detail).toMatchObject({ days: u.days, windowDays: 30, addressKey: u.addressKey });
    }
    expect(new Set(ws.map((w) => w.level))).toEqual(new Set(['green', 'yellow', 'red']));

    // The address the library knows is placed in its grid (the grid worker's task); the rest in the district.
    const community = await z.handle.db.selectFrom('orgs').select('path').where('id', '=', t.communityId).executeTakeFirstOrThrow();
    const district = await z.handle.db.selectFrom('orgs').select('path').where('id', '=', t.districtId).executeTakeFirstOrThrow();
    const known = addressKey(`测试区${t.suffix}幸福路1号`);
    const placed = ws.filter((w) => (w.detail as { addressKey: string }).addressKey === known);
    expect(placed.length).toBeGreaterThanOrEqual(1);
    for (const w of placed) expect(w).toMatchObject({ grid_id: t.gridId, community_org_id: t.communityId, area_path: community.path });
    for (const w of ws.filter((x) => !placed.includes(x))) expect(w).toMatchObject({ grid_id: null, area_path: district.path });
    // Placed warnings became verification tasks in the reports loop.
    for (const w of placed) expect(w.report_id).not.toBeNull();

    const r2 = await run(admin, multiRule, asOf);
    expect(r2).toMatchObject({ found: ds.expected.multiEnterprise.length, raised: ds.expected.multiEnterprise.length });
    const ms = await warningsOf(multiRule);
    expect(new Map(ms.map((w) => [w.subject_key, w.level]))).toEqual(new Map(ds.expected.multiEnterprise.map((m) => [`m:${m.addressKey}`, m.level])));
    for (const w of ms) expect(w.title).toMatch(/^一址多企：.+ 登记企业\d+家$/);
  });

  it('raises nothing new when run again', async () => {
    const before = (await warningsOf(unregisteredRule)).map((w) => [w.id, w.level, w.cleared_at]);
    const r = await run(admin, unregisteredRule, later(1));
    expect(r).toMatchObject({ found: ds.expected.unregistered.length, raised: 0, ended: 0 });
    expect((await warningsOf(unregisteredRule)).map((w) => [w.id, w.level, w.cleared_at])).toEqual(before);
    expect(await run(admin, multiRule, later(1))).toMatchObject({ raised: 0, ended: 0 });
    // A run as of a time not newer than the last changes nothing either.
    expect(await run(admin, unregisteredRule, asOf)).toMatchObject({ raised: 0, ended: 0 });
  });

  it('refuses a second run of a rule while one is under way (409)', async () => {
    // Hold the first run while it places its findings (before its transaction).
    const geo = z.services.geo;
    const resolve = geo.resolveAddress;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let held = 0;
    geo.resolveAddress = async (...args) => {
      held++;
      await gate;
      return resolve(...args);
    };
    try {
      const first = await admin.post(`/api/v1/alert-rules/${multiRule}/run`, { asOf: later(2).toISOString() });
      expect(first.statusCode, first.body).toBe(202);
      while (!held) await new Promise((r) => setTimeout(r, 10));
      const second = await admin.post(`/api/v1/alert-rules/${multiRule}/run`, { asOf: later(2).toISOString() });
      expect(second.statusCode, second.body).toBe(409);
      expect(second.json().error).toMatchObject({ code: 'conflict', details: { runId: first.json().runId } });
      const runs = (await admin.get(`/api/v1/recon/runs?ruleId=${multiRule}`)).json().items as any[];
      expect(runs[0]).toMatchObject({ id: first.json().runId, status: 'running' });
    } finally {
      release();
      geo.resolveAddress = resolve;
    }
    await z.services.recon.idle();
  });

  it('ends the episodes that disappear from the data and escalates those that grow', async () => {
    const change = reconChange(ds, { register: 4, thin: 3, escalate: 2 });
    expect(change.escalated).toHaveLength(2);
    await imported('residents', toCsv('residents', change.residents), '补录居住登记.csv');
    await imported('access', toCsv('access', change.access), '门禁补充.csv');
    await imported('enterprises', await toXlsxFile('enterprises', change.enterprises), '企业变更.xlsx');

    const r = await run(admin, unregisteredRule, later(3));
    expect(r).toMatchObject({ found: change.expected.unregistered.length, raised: 0, ended: 4 });
    const ws = await warningsOf(unregisteredRule);
    expect(ws).toHaveLength(ds.expected.unregistered.length);
    const ended = new Set(change.registered.map(unregisteredKey));
    for (const w of ws) {
      if (ended.has(w.subject_key)) expect(w.cleared_at?.toISOString()).toBe(later(3).toISOString());
      else expect(w.cleared_at).toBeNull();
    }
    const levels = new Map(ws.map((w) => [w.subject_key, w.level]));
    for (const u of change.expected.unregistered) expect(levels.get(unregisteredKey(u))).toBe(u.level);
    for (const u of change.escalated) expect(levels.get(unregisteredKey(u))).toBe('red');

    const m = await run(admin, multiRule, later(3));
    expect(m).toMatchObject({ found: change.expected.multiEnterprise.length, raised: 0, ended: 3 });
    const ms = await warningsOf(multiRule);
    const thinned = new Set(change.thinned.map((x) => `m:${x.addressKey}`));
    expect(ms.filter((w) => w.cleared_at).map((w) => w.subject_key).sort()).toEqual([...thinned].sort());

    // Registered again at the same address later: the episode does not come back.
    expect(await run(admin, unregisteredRule, later(4))).toMatchObject({ raised: 0, ended: 0 });
  });

  it('never stores a raw ID number or a name, in any table', async () => {
    const ids = [...ds.idNumbers(), '330106199001011235'];
    const names = [...ds.names()];
    const tables = await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`.execute(z.handle.db);
    const pattern = [...ids, ...names].join('|');
    const hits: string[] = [];
    for (const { name } of tables.rows) {
      const r = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(name)} x where x::text ~ ${pattern}`.execute(z.handle.db);
      if (Number(r.rows[0]!.n)) hits.push(`${name}: ${r.rows[0]!.n}`);
    }
    expect(hits).toEqual([]);
    // The person keys are there instead.
    const keys = await z.handle.db.selectFrom('recon_access').select('person_key').where('district_org_id', '=', t.districtId).limit(1).execute();
    expect(keys[0]!.person_key).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is run by the monthly timer, which schedules the next one', async () => {
    await z.services.recon.ensureSchedules(multiRule);
    const pending = await z.handle.db.selectFrom('timers').selectAll().where('subject_id', '=', multiRule).where('fired_at', 'is', null).execute();
    expect(pending.map((p) => p.kind)).toEqual([RECON_TIMER]);
    expect(new Date(pending[0]!.due_at).toISOString()).toBe(nextDue('monthly', new Date())!.toISOString());
    // Fire it as the timer runner does: the handler in the claiming transaction, the run after the commit.
    const timer = pending[0]!;
    let after: void | (() => Promise<void>) = undefined;
    await z.handle.db.transaction().execute(async (tx) => {
      after = await z.services.recon.onTimer(tx, { id: timer.id, kind: timer.kind, subjectId: timer.subject_id, dueAt: new Date(timer.due_at), payload: {}, attempts: 0 });
      await tx.updateTable('timers').set({ fired_at: new Date() }).where('id', '=', timer.id).execute();
    });
    await (after as unknown as () => Promise<void>)();
    await z.services.recon.idle();
    const runs = (await admin.get(`/api/v1/recon/runs?ruleId=${multiRule}`)).json().items as any[];
    expect(runs[0]).toMatchObject({ trigger: 'schedule', status: 'succeeded', raised: 0 });
    const next = await z.handle.db.selectFrom('timers').selectAll().where('subject_id', '=', multiRule).where('fired_at', 'is', null).execute();
    // The next month's slot; the retry (in case the run had died) was cancelled by its success.
    expect(next.map((p) => p.kind)).toEqual([RECON_TIMER]);
    expect(next.some((p) => p.kind === RECON_RETRY_TIMER)).toBe(false);
  });

  it('fails runs left running by a dead process, so the rule can run again', async () => {
    const id = await z.handle.db
      .insertInto('recon_runs')
      .values({ rule_id: multiRule, trigger: 'manual', status: 'running', as_of: new Date(), job_id: null, created_by: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect((await admin.post(`/api/v1/alert-rules/${multiRule}/run`, {})).statusCode).toBe(409);
    expect(await z.services.recon.failOrphans()).toBeGreaterThanOrEqual(1);
    const r = await z.handle.db.selectFrom('recon_runs').select(['status', 'error']).where('id', '=', id.id).executeTakeFirstOrThrow();
    expect(r.status).toBe('failed');
    const res = await admin.post(`/api/v1/alert-rules/${multiRule}/run`, {});
    expect(res.statusCode, res.body).toBe(202);
    await z.services.recon.idle();
  });

  it('is invisible to a caller of another district (404), who changes nothing', async () => {
    const before = (await admin.get(`/api/v1/recon/runs?ruleId=${unregisteredRule}`)).json().total;
    expect((await outsider.post(`/api/v1/alert-rules/${unregisteredRule}/run`, {})).statusCode).toBe(404);
    expect((await outsider.get(`/api/v1/recon/runs?ruleId=${unregisteredRule}`)).statusCode).toBe(404);
    expect((await outsider.get('/api/v1/recon/runs')).json().total).toBe(0);
    const runs = (await admin.get(`/api/v1/recon/runs?ruleId=${unregisteredRule}`)).json();
    expect(runs.total).toBe(before);
    expect((await outsider.get(`/api/v1/recon/runs/${runs.items[0].id}`)).statusCode).toBe(404);
    expect((await outsider.get(`/api/v1/jobs/${runs.items[0].jobId}`)).statusCode).toBe(404);
    // Grid workers read warnings but run nothing.
    expect((await worker.post(`/api/v1/alert-rules/${unregisteredRule}/run`, {})).statusCode).toBe(404);
    const dept = await addUser(z, t, 'viewer', ['viewer']);
    const viewer = await login(z, dept.username);
    expect((await viewer.post(`/api/v1/alert-rules/${unregisteredRule}/run`, {})).statusCode).toBe(404);
    expect((await admin.get(`/api/v1/recon/runs?ruleId=${unregisteredRule}`)).json().total).toBe(before);
  });
});
