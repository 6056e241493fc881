import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Zhian } from '../../main.js';
import { addUser, auditCount, createTenant, login, testZhian, type Client, type Tenant } from '../../../../test/helpers.js';

let z: Zhian;
let t: Tenant;
let admin: Client;
let worker: Client;
let command: Client;
let dept: Client;

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** Reports of this file's district: on the shared PostgreSQL test database other files add theirs meanwhile. */
async function countReports(): Promise<number> {
  const r = await z.handle.db.selectFrom('reports').select((eb) => eb.fn.countAll<number>().as('n')).where('area_path', 'like', `%/${t.districtId}/%`).executeTakeFirstOrThrow();
  return Number(r.n);
}

async function photo(c: Client | null): Promise<string> {
  const bytes = await sharp({ create: { width: 32, height: 24, channels: 3, background: '#c33' } }).jpeg().toBuffer();
  const res = c
    ? await c.raw({ method: 'POST', url: '/api/v1/files/photos', body: bytes, headers: { 'content-type': 'image/jpeg' } })
    : await z.app.inject({ method: 'POST', url: '/api/v1/public/photos', payload: bytes, headers: { 'content-type': 'image/jpeg' } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

function report(extra: Record<string, unknown> = {}) {
  return { description: '小区门口垃圾堆了三天没人清理，味道很大', categoryCode: '0101', lng: t.point[0], lat: t.point[1], reporterName: '王先生', reporterPhone: '13812345678', channel: 'hotline', ...extra };
}

beforeAll(async () => {
  z = await testZhian();
  t = await createTenant(z);
  admin = await login(z, t.admin);
  worker = await login(z, t.worker);
  const cmd = await addUser(z, t, 'cmd', ['command_center']);
  command = await login(z, cmd.username);
  const staff = await addUser(z, t, 'dept', ['dept_staff'], t.departmentId);
  dept = await login(z, staff.username);
});
afterAll(async () => z?.close());

describe('intake', () => {
  it('a hotline report with a category is routed, dispatched and given deadlines at once', async () => {
    const res = await command.post('/api/v1/reports', report());
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json();
    expect(created.status).toBe('dispatched');
    expect(created.number).toMatch(/^\d{14}$/);
    expect(created.trackingCode).toMatch(/^[2-9A-Z]{10}$/);
    expect(created.routing.map((s: { kind: string }) => s.kind)).toEqual(['location', 'category', 'default', 'grid_worker']);

    const detail = (await command.get(`/api/v1/reports/${created.id}`)).json();
    expect(detail.deptOrgId).toBe(t.departmentId);
    expect(detail.assigneeId).toBe(t.workerId);
    expect(detail.gridId).toBe(t.gridId);
    expect(detail.stage).toBe('handle');
    expect(detail.reporterPhone).toBe('138****5678');
    expect(detail.reporterName).toBe('王**');
    expect(detail.stages.map((s: { stage: string; onTime: boolean | null }) => [s.stage, s.onTime])).toEqual([
      ['accept', true],
      ['register', true],
      ['dispatch', true],
      ['handle', null],
    ]);
    expect(new Date(detail.stageDeadline).getTime()).toBeGreaterThan(Date.now());
    expect(detail.events.map((e: { action: string }) => e.action)).toEqual(['create', 'accept', 'register', 'dispatch']);
    expect(await auditCount(z, created.id)).toBe(1);
    const timers = await z.handle.db.selectFrom('timers').select(['kind']).where('subject_id', '=', created.id).where('fired_at', 'is', null).execute();
    expect(timers.map((x) => x.kind).sort()).toEqual(['report.overdue', 'report.warn']);

    // The department and the grid worker were told.
    const inbox = (await dept.get('/api/v1/notifications')).json();
    expect(inbox.items.some((n: { subjectId: string }) => n.subjectId === created.id)).toBe(true);
  });

  it('classifies the text when no category is given, and explains it', async () => {
    const res = await command.post('/api/v1/reports', report({ categoryCode: undefined, description: '路边垃圾桶满了好几天没人清运，垃圾散落一地，臭气熏天' }));
    expect(res.statusCode, res.body).toBe(201);
    const r = res.json();
    expect(r.suggestion.category).toBe('0101');
    expect(r.categoryCode).toBe('0101');
    expect(r.routing.some((s: { text: string }) => s.text.includes('自动分类'))).toBe(true);
  });

  it('a category with no department of its type in the district waits in the triage queue', async () => {
    const res = await command.post('/api/v1/reports', report({ categoryCode: '0402', description: '楼下棋牌室深夜聚众赌博' }));
    expect(res.statusCode, res.body).toBe(201);
    const r = res.json();
    expect(r.status).toBe('reported');
    expect(r.routing.at(-1).kind).toBe('unrouted');
    const queue = (await command.get('/api/v1/reports?triage=true&pageSize=100')).json();
    expect(queue.items.map((x: { id: string }) => x.id)).toContain(r.id);
  });

  it('bad input is a 400 naming the field, and nothing is stored', async () => {
    const before = await countReports();
    const cases: [Record<string, unknown>, string][] = [
      [{ description: '   ' }, 'description'],
      [{ description: '长'.repeat(2001) }, 'description'],
      [{ lng: 10, lat: 10 }, 'lat'],
      [{ lng: 200 }, 'lng'],
      [{ categoryCode: '9999' }, 'categoryCode'],
      [{ categoryCode: '01' }, 'categoryCode'],
      [{ lng: null, lat: null, address: undefined }, 'location'],
      [{ reporterPhone: '12345' }, 'phone'],
      [{ photoIds: ['00000000-0000-0000-0000-000000000001'] }, 'photoIds.0'],
    ];
    for (const [patch, field] of cases) {
      const res = await command.post('/api/v1/reports', report(patch));
      expect(res.statusCode, `${JSON.stringify(patch).slice(0, 60)} → ${res.body}`).toBe(400);
      const fields = (res.json().error.details ?? []).map((d: { field: string }) => d.field);
      expect(fields, res.body).toContain(field);
    }
    expect(await countReports()).toBe(before);
  });

  it('offers open reports of the same category within 250 m and 72 h as duplicates, and merges', async () => {
    const first = (await command.post('/api/v1/reports', report({ categoryCode: '0103', description: '电线杆上贴满了小广告' }))).json();
    const second = (await command.post('/api/v1/reports', report({ categoryCode: '0103', description: '电线杆小广告又贴上了', lng: t.point[0] + 0.001 }))).json();
    expect(second.duplicates.map((d: { id: string }) => d.id)).toContain(first.id);
    expect(second.duplicates.find((d: { id: string }) => d.id === first.id).distance).toBeLessThan(250);
    const far = (await command.get(`/api/v1/reports/duplicates?categoryCode=0103&lng=${t.point[0] + 0.004}&lat=${t.point[1]}`)).json();
    expect(far.map((d: { id: string }) => d.id)).not.toContain(first.id);
    // Merging needs a case not yet dispatched: send the second back first.
    const triaged = (await command.post('/api/v1/reports', report({ categoryCode: '0402', description: '疑似赌博' }))).json();
    const merged = await command.post(`/api/v1/reports/${triaged.id}/actions/merge`, { targetId: first.id });
    expect(merged.statusCode, merged.body).toBe(200);
    expect(merged.json().report.status).toBe('voided');
    expect(merged.json().report.mergedInto).toBe(first.id);
  });
});

describe('the closed loop', () => {
  it('grid worker handles with a photo, command centre verifies and closes, the resident sees the result and rates it', async () => {
    const publicPhoto = await photo(null);
    const pub = await z.app.inject({
      method: 'POST',
      url: '/api/v1/public/reports',
      payload: { description: '人行道上的井盖松动了，踩上去会翘起来，很危险', categoryCode: '0201', lng: t.point[0], lat: t.point[1], phone: '13612345678', name: '李阿姨', photoIds: [publicPhoto] },
    });
    expect(pub.statusCode, pub.body).toBe(201);
    const { trackingCode } = pub.json();
    const status0 = await z.app.inject({ method: 'GET', url: `/api/v1/public/reports/${trackingCode}` });
    expect(status0.statusCode).toBe(200);
    expect(status0.body).not.toContain('13612345678');
    expect(status0.body).not.toContain('李阿姨');
    expect(status0.body).not.toContain('测试网格员');
    expect(status0.json().deptName).toContain('测试城管');

    const list = (await worker.get('/api/v1/reports?mine=true&pageSize=100')).json();
    const mine = list.items.find((r: { description: string }) => r.description.startsWith('人行道上的井盖'));
    expect(mine.status).toBe('dispatched');
    expect(mine.reporterPhone).toBe('136****5678');

    // Verifying before handling is an illegal step: 409 with the reason.
    const early = await command.post(`/api/v1/reports/${mine.id}/actions/verify`, {});
    expect(early.statusCode).toBe(409);
    expect(early.json().error.message).toContain('dispatched');

    const resultPhoto = await photo(worker);
    const noNote = await worker.post(`/api/v1/reports/${mine.id}/actions/handle`, { photoIds: [resultPhoto] });
    expect(noNote.statusCode).toBe(400);
    const handled = await worker.post(`/api/v1/reports/${mine.id}/actions/handle`, { note: '已更换井盖并加固', photoIds: [resultPhoto] });
    expect(handled.statusCode, handled.body).toBe(200);
    expect(handled.json().to).toBe('handled');

    expect((await command.post(`/api/v1/reports/${mine.id}/actions/verify`, {})).json().to).toBe('verified');
    expect((await command.post(`/api/v1/reports/${mine.id}/actions/close`, {})).json().to).toBe('closed');

    const status = (await z.app.inject({ method: 'GET', url: `/api/v1/public/reports/${trackingCode}` })).json();
    expect(status.status).toBe('closed');
    expect(status.resultNote).toBe('已更换井盖并加固');
    expect(status.canRate).toBe(true);
    expect(status.photos.map((p: { kind: string }) => p.kind).sort()).toEqual(['report', 'result']);
    const img = await z.app.inject({ method: 'GET', url: status.photos.find((p: { kind: string }) => p.kind === 'result').url });
    expect(img.statusCode).toBe(200);
    expect(img.headers['content-type']).toBe('image/jpeg');
    expect(status.timeline.map((e: { action: string }) => e.action)).toEqual(['create', 'accept', 'register', 'dispatch', 'handle', 'verify', 'close']);

    const rated = await z.app.inject({ method: 'POST', url: `/api/v1/public/reports/${trackingCode}/rating`, payload: { rating: 'satisfied' } });
    expect(rated.statusCode, rated.body).toBe(200);
    expect(rated.json().reopened).toBe(false);
    const again = await z.app.inject({ method: 'POST', url: `/api/v1/public/reports/${trackingCode}/rating`, payload: { rating: 'satisfied' } });
    expect(again.statusCode).toBe(409);

    const detail = (await command.get(`/api/v1/reports/${mine.id}`)).json();
    expect(detail.stages.every((s: { finishedAt: string | null }) => s.finishedAt)).toBe(true);
    expect(detail.rating).toBe('satisfied');
  });

  it('a dissatisfied resident reopens the case', async () => {
    const created = (await command.post('/api/v1/reports', report({ reporterPhone: '13700001111' }))).json();
    await worker.post(`/api/v1/reports/${created.id}/actions/handle`, { note: '已清理' });
    await command.post(`/api/v1/reports/${created.id}/actions/verify`, {});
    await command.post(`/api/v1/reports/${created.id}/actions/close`, {});
    const rated = await z.app.inject({ method: 'POST', url: `/api/v1/public/reports/${created.trackingCode}/rating`, payload: { rating: 'dissatisfied', comment: '根本没清干净' } });
    expect(rated.json()).toEqual({ rating: 'dissatisfied', reopened: true });
    const d = (await command.get(`/api/v1/reports/${created.id}`)).json();
    expect(d.status).toBe('dispatched');
    expect(d.reopenCount).toBe(1);
    expect(d.events.map((e: { action: string }) => e.action).slice(-2)).toEqual(['rated', 'reopen']);
    // The second result is rated afresh.
    expect(d.rating).toBeNull();
    await worker.post(`/api/v1/reports/${created.id}/actions/handle`, { note: '已彻底清理' });
    await command.post(`/api/v1/reports/${created.id}/actions/verify`, {});
    await command.post(`/api/v1/reports/${created.id}/actions/close`, {});
    expect((await z.app.inject({ method: 'GET', url: `/api/v1/public/reports/${created.trackingCode}` })).json().canRate).toBe(true);
    const second = await z.app.inject({ method: 'POST', url: `/api/v1/public/reports/${created.trackingCode}/rating`, payload: { rating: 'basically_satisfied' } });
    expect(second.json()).toEqual({ rating: 'basically_satisfied', reopened: false });
  });

  it('public pages ignore a staff session in the same browser (no CSRF needed, no actor)', async () => {
    const res = await command.raw({ method: 'POST', url: '/api/v1/public/classify', body: { text: '路灯不亮' }, csrf: false });
    expect(res.statusCode, res.body).toBe(200);
  });

  it('send back needs a reason; a returned dispatch goes back to the dispatcher', async () => {
    const created = (await command.post('/api/v1/reports', report())).json();
    const noReason = await dept.post(`/api/v1/reports/${created.id}/actions/return`, {});
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().error.details[0].field).toBe('reason');
    const back = await dept.post(`/api/v1/reports/${created.id}/actions/return`, { reason: '不属于本部门职责' });
    expect(back.statusCode, back.body).toBe(200);
    expect(back.json().to).toBe('registered');
    // The department no longer handles it, so it no longer sees it.
    expect((await dept.get(`/api/v1/reports/${created.id}`)).statusCode).toBe(404);
    const again = await command.post(`/api/v1/reports/${created.id}/actions/dispatch`, { deptOrgId: t.departmentId, assigneeId: t.workerId });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json().report.routing.at(-1).kind).toBe('manual');
  });

  it('someone outside the district gets 404 and changes nothing', async () => {
    const created = (await command.post('/api/v1/reports', report())).json();
    const other = await createTenant(z);
    const outsider = await login(z, other.admin);
    const audits = await auditCount(z, created.id);
    expect((await outsider.get(`/api/v1/reports/${created.id}`)).statusCode).toBe(404);
    expect((await outsider.post(`/api/v1/reports/${created.id}/actions/supervise`, { note: '快办' })).statusCode).toBe(404);
    expect((await outsider.get(`/api/v1/reports/${created.id}/contact`)).statusCode).toBe(404);
    const list = (await outsider.get('/api/v1/reports?pageSize=200')).json();
    expect(list.items.map((r: { id: string }) => r.id)).not.toContain(created.id);
    expect(await auditCount(z, created.id)).toBe(audits);
    // A grid worker lacks the dispatch permission: the same 404.
    expect((await worker.post(`/api/v1/reports/${created.id}/actions/reassign`, { deptOrgId: t.departmentId })).statusCode).toBe(404);
  });

  it('the full phone number is for permitted roles only, and each read is audited', async () => {
    const created = (await command.post('/api/v1/reports', report())).json();
    const before = await auditCount(z, created.id);
    const c = await command.get(`/api/v1/reports/${created.id}/contact`);
    expect(c.json()).toEqual({ name: '王先生', phone: '13812345678' });
    expect(await auditCount(z, created.id)).toBe(before + 1);
    expect((await dept.get(`/api/v1/reports/${created.id}/contact`)).statusCode).toBe(404);
  });
});

describe('deadlines and timers', () => {
  it('warns at 80 % and escalates when overdue, each exactly once', async () => {
    // 井盖 is counted in natural hours: two hours to make safe.
    const created = (await command.post('/api/v1/reports', report({ categoryCode: '0201', description: '井盖不见了' }))).json();
    const d0 = (await command.get(`/api/v1/reports/${created.id}`)).json();
    expect(new Date(d0.stageDeadline).getTime() - new Date(d0.stages.at(-1).startedAt).getTime()).toBe(2 * HOUR);
    await z.timers.tick(new Date(Date.now() + 1.7 * HOUR), { subjectIds: [created.id] });
    let d = (await command.get(`/api/v1/reports/${created.id}`)).json();
    expect(d.warned).toBe(true);
    expect(d.overdue).toBe(false);
    await z.timers.tick(new Date(Date.now() + 2.1 * HOUR), { subjectIds: [created.id] });
    await z.timers.tick(new Date(Date.now() + 3 * HOUR), { subjectIds: [created.id] });
    d = (await command.get(`/api/v1/reports/${created.id}`)).json();
    expect(d.overdue).toBe(true);
    expect(d.supervised).toBe(true);
    expect(d.supervisions.map((s: { kind: string }) => s.kind)).toEqual(['overdue']);
    expect(d.events.filter((e: { action: string }) => e.action === 'warned')).toHaveLength(1);
    expect(d.events.filter((e: { action: string }) => e.action === 'escalated')).toHaveLength(1);
    const board = (await command.get('/api/v1/reports?overdue=true&pageSize=200')).json();
    expect(board.items.map((r: { id: string }) => r.id)).toContain(created.id);
  });

  it('escalation goes to the head of the department', async () => {
    const head = await addUser(z, t, 'head', ['dept_staff'], t.departmentId);
    await z.handle.db.updateTable('orgs').set({ head_user_id: head.id }).where('id', '=', t.departmentId).execute();
    const created = (await command.post('/api/v1/reports', report({ categoryCode: '0201', description: '又一个井盖缺失' }))).json();
    await z.timers.tick(new Date(Date.now() + 3 * HOUR), { subjectIds: [created.id] });
    const headClient = await login(z, head.username);
    const inbox = (await headClient.get('/api/v1/notifications')).json();
    expect(inbox.items.filter((n: { subjectId: string; kind: string }) => n.subjectId === created.id && n.kind === 'report.escalated')).toHaveLength(1);
  });

  it('suspension stops the clock and an approved extension moves the deadline', async () => {
    const created = (await command.post('/api/v1/reports', report({ categoryCode: '0201', description: '井盖破了一个角' }))).json();
    const d0 = (await command.get(`/api/v1/reports/${created.id}`)).json();
    const req = await worker.post(`/api/v1/reports/${created.id}/extensions`, { minutes: 60, reason: '需要订购新井盖' });
    expect(req.statusCode, req.body).toBe(201);
    expect((await worker.post(`/api/v1/reports/${created.id}/extensions`, { minutes: 30, reason: '再延' })).statusCode).toBe(409);
    const pending = (await command.get('/api/v1/reports/extensions/pending')).json();
    expect(pending.map((p: { id: string }) => p.id)).toContain(req.json().id);
    const approved = await command.post(`/api/v1/reports/${created.id}/extensions/${req.json().id}/decision`, { approve: true });
    expect(approved.statusCode, approved.body).toBe(200);
    const d1 = approved.json();
    expect(new Date(d1.stageDeadline).getTime() - new Date(d0.stageDeadline).getTime()).toBe(HOUR);
    expect(d1.stages.at(-1).extendedMinutes).toBe(60);

    const s = await command.post(`/api/v1/reports/${created.id}/actions/suspend`, { reason: '等待产权单位确认' });
    expect(s.json().to).toBe('suspended');
    // While suspended nothing fires.
    await z.timers.tick(new Date(Date.now() + 10 * HOUR), { subjectIds: [created.id] });
    expect((await command.get(`/api/v1/reports/${created.id}`)).json().overdue).toBe(false);
    const r = await command.post(`/api/v1/reports/${created.id}/actions/resume`, {});
    expect(r.json().to).toBe('dispatched');
    const d2 = r.json().report;
    expect(new Date(d2.stageDeadline).getTime()).toBeGreaterThanOrEqual(new Date(d1.stageDeadline).getTime());
    expect((await command.post(`/api/v1/reports/${created.id}/actions/resume`, {})).statusCode).toBe(409);
  });

  it('working-day categories count working hours only', async () => {
    const created = (await command.post('/api/v1/reports', report())).json();
    const d = (await command.get(`/api/v1/reports/${created.id}`)).json();
    expect(d.timeMode).toBe('working');
    // Sixteen working hours are at least two calendar days away.
    expect(new Date(d.stageDeadline).getTime() - Date.now()).toBeGreaterThan(DAY);
  });
});

describe('classification, settings', () => {
  it('classifies without creating anything', async () => {
    const before = await countReports();
    const res = await admin.post('/api/v1/reports/classify', { text: '消防通道被私家车堵死了，消防车根本进不来' });
    expect(res.statusCode, res.body).toBe(200);
    const c = res.json();
    expect(c.categoryCode).toBe('0501');
    expect(c.categoryName).toBe('消防通道堵塞');
    expect(c.departmentType).toBe('fire_rescue');
    expect(c.confidence).toBeGreaterThan(0);
    expect(c.alternatives.length).toBeGreaterThan(0);
    expect((await admin.post('/api/v1/reports/classify', { text: ' ' })).statusCode).toBe(400);
    expect(await countReports()).toBe(before);
  });

  it('a routing rule for an area sends cases of a category elsewhere, and says so', async () => {
    const squad = await z.handle.db
      .insertInto('orgs')
      .values({ parent_id: t.streetId, kind: 'agency', dept_type: 'urban_management', code: `T${t.suffix}-SQ`, name: `街道综合执法中队${t.suffix}`, path: '' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const street = await z.handle.db.selectFrom('orgs').select('path').where('id', '=', t.streetId).executeTakeFirstOrThrow();
    await z.handle.db.updateTable('orgs').set({ path: `${street.path}${squad.id}/` }).where('id', '=', squad.id).execute();
    const rule = await admin.post('/api/v1/routing-rules', { categoryCode: '0102', areaOrgId: t.streetId, targetOrgId: squad.id, note: '占道经营由街道中队处理' });
    expect(rule.statusCode, rule.body).toBe(201);
    const created = (await command.post('/api/v1/reports', report({ categoryCode: '0102', description: '早市摊贩占道经营' }))).json();
    const d = (await command.get(`/api/v1/reports/${created.id}`)).json();
    expect(d.deptOrgId).toBe(squad.id);
    expect(d.routing.find((s: { kind: string }) => s.kind === 'rule').ruleId).toBe(rule.json().id);
    expect((await worker.post('/api/v1/routing-rules', { categoryCode: '0102', targetOrgId: squad.id })).statusCode).toBe(404);
  });

  it('administrators edit categories and the calendar; bad values name the field', async () => {
    const patch = await admin.patch('/api/v1/report-categories/0103', { priority: 'high' });
    expect(patch.statusCode, patch.body).toBe(200);
    expect(patch.json().priority).toBe('high');
    await admin.patch('/api/v1/report-categories/0103', { priority: 'low' });
    expect((await worker.patch('/api/v1/report-categories/0103', { priority: 'high' })).statusCode).toBe(404);
    const bad = await admin.raw({ method: 'PUT', url: '/api/v1/work-calendar/2027', body: { year: 2027, holidays: ['2027-13-01'], workdays: [] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].field).toBe('holidays.0');
    const cal = (await admin.get('/api/v1/work-calendar')).json();
    expect(cal.map((y: { year: number }) => y.year)).toEqual(expect.arrayContaining([2024, 2025, 2026]));
    expect(cal.find((y: { year: number }) => y.year === 2026).workdays).toContain('2026-02-14');
  });
});

describe('statistics', () => {
  it('counts the district’s cases by department, category and day, with rates, and exports xlsx', async () => {
    const all = (await admin.get('/api/v1/reports?pageSize=200')).json();
    const from = new Date(Date.now() - HOUR).toISOString();
    const to = new Date(Date.now() + HOUR).toISOString();
    const byDept = await admin.get(`/api/v1/reports/stats?from=${from}&to=${to}&groupBy=dept`);
    expect(byDept.statusCode, byDept.body).toBe(200);
    const s = byDept.json();
    expect(s.totals.total).toBe(all.total);
    expect(s.rows.reduce((a: number, r: { total: number }) => a + r.total, 0)).toBe(all.total);
    const closed = all.items.filter((r: { status: string }) => r.status === 'closed').length;
    expect(s.totals.closed).toBe(closed);
    expect(s.totals.satisfied).toBeGreaterThanOrEqual(1);
    expect(s.totals.satisfactionRate).toBeGreaterThan(0);
    expect(s.totals.onTimeRate).toBeGreaterThan(0);
    expect(s.stages.find((x: { stage: string }) => x.stage === 'handle').n).toBeGreaterThanOrEqual(2);
    const dept = s.rows.find((r: { key: string }) => r.key === t.departmentId);
    expect(dept.name).toContain('测试城管');
    const byCat = (await admin.get(`/api/v1/reports/stats?from=${from}&to=${to}&groupBy=category`)).json();
    expect(byCat.rows.find((r: { key: string }) => r.key === '0101').total).toBeGreaterThanOrEqual(3);
    const byDay = (await admin.get(`/api/v1/reports/stats?from=${from}&to=${to}&groupBy=day`)).json();
    expect(byDay.rows.reduce((a: number, r: { total: number }) => a + r.total, 0)).toBe(all.total);
    const xlsx = await admin.get(`/api/v1/reports/stats.xlsx?from=${from}&to=${to}&groupBy=category`);
    expect(xlsx.statusCode).toBe(200);
    expect(xlsx.rawPayload.subarray(0, 2).toString()).toBe('PK');
    expect((await admin.get(`/api/v1/reports/stats?from=${to}&to=${from}`)).statusCode).toBe(400);
    // Another district sees none of these.
    const other = await createTenant(z);
    const outsider = await login(z, other.admin);
    expect((await outsider.get(`/api/v1/reports/stats?from=${from}&to=${to}`)).json().totals.total).toBe(0);
  });
});
