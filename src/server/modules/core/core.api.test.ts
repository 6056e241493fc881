import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditCount, createTenant, login, PASSWORD, testZhian, type Client, type Tenant } from '../../../../test/helpers.js';
import type { Zhian } from '../../main.js';

let z: Zhian;
let t: Tenant;
let other: Tenant;
let admin: Client;
let outsider: Client;
let worker: Client;

beforeAll(async () => {
  z = await testZhian({ LOGIN_MAX_FAILURES: '3' });
  t = await createTenant(z);
  other = await createTenant(z);
  admin = await login(z, t.admin);
  outsider = await login(z, other.admin);
  worker = await login(z, t.worker);
});
afterAll(async () => z?.close());

describe('authentication', () => {
  it('sets an HttpOnly SameSite session cookie and returns the user with permissions', async () => {
    const res = await z.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: t.admin, password: PASSWORD } });
    expect(res.statusCode).toBe(200);
    const c = res.cookies.find((x) => x.name === 'zhian_session')!;
    expect(c.httpOnly).toBe(true);
    expect(c.sameSite).toBe('Strict');
    const body = res.json();
    expect(body.user.username).toBe(t.admin);
    expect(body.user.permissions).toContain('user.write');
    expect(body.csrfToken).toMatch(/^[\w-]{20,}$/);
  });

  it('stores argon2id hashes, never the password', async () => {
    const row = await z.handle.db.selectFrom('users').select('password_hash').where('id', '=', t.adminId).executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row.password_hash).not.toContain(PASSWORD);
  });

  it('rejects a wrong password with 401 and audits the failure', async () => {
    const res = await z.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: t.worker, password: 'nope' } });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('unauthenticated');
    expect(res.json().error.requestId).toBeTruthy();
    expect(await auditCount(z, t.workerId)).toBeGreaterThan(0);
  });

  it('locks a username out after repeated failures (429 with Retry-After) even for the right password', async () => {
    const victim = await createTenant(z);
    for (let i = 0; i < 3; i++) {
      const r = await z.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: victim.admin, password: 'wrong-one' } });
      expect(r.statusCode).toBe(401);
    }
    const locked = await z.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: victim.admin, password: PASSWORD } });
    expect(locked.statusCode).toBe(429);
    expect(locked.headers['retry-after']).toBeDefined();
  });

  it('requires the CSRF header on cookie-authenticated writes', async () => {
    const res = await admin.raw({ method: 'POST', url: '/api/v1/orgs', body: { parentId: t.districtId, kind: 'street', code: `X${t.suffix}`, name: '无令牌' }, csrf: false });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('csrf_failed');
    const orgs = (await admin.get('/api/v1/orgs')).json().items;
    expect(orgs.some((o: { code: string }) => o.code === `X${t.suffix}`)).toBe(false);
  });

  it('signs in again over a live session without a CSRF token', async () => {
    const res = await admin.raw({ method: 'POST', url: '/api/v1/auth/login', body: { username: t.admin, password: PASSWORD }, csrf: false });
    expect(res.statusCode).toBe(200);
  });

  it('accepts bearer tokens without CSRF, and rejects unknown ones', async () => {
    const { systemContext } = await import('../../platform/http/context.js');
    const token = await z.services.auth.createToken(systemContext(), t.admin, 'test');
    const ok = await z.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().user.username).toBe(t.admin);
    const bad = await z.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: 'Bearer zhian_nope_nope' } });
    expect(bad.statusCode).toBe(401);
  });

  it('login with missing fields is a 400 naming them', async () => {
    const res = await z.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { password: 'x' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].field).toBe('username');
  });

  it('without credentials the API answers 401', async () => {
    const res = await z.app.inject({ method: 'GET', url: '/api/v1/users' });
    expect(res.statusCode).toBe(401);
  });

  it('changes the password: wrong current password is a 400 naming the field; then the new one works', async () => {
    const u = await createTenant(z);
    const c = await login(z, u.worker);
    const bad = await c.post('/api/v1/auth/password', { currentPassword: 'wrong', newPassword: 'another-pass-1' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].field).toBe('currentPassword');
    const weak = await c.post('/api/v1/auth/password', { currentPassword: PASSWORD, newPassword: 'short' });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().error.details[0].field).toBe('newPassword');
    const ok = await c.post('/api/v1/auth/password', { currentPassword: PASSWORD, newPassword: 'another-pass-1' });
    expect(ok.statusCode).toBe(204);
    await expect(login(z, u.worker)).rejects.toThrow();
    await login(z, u.worker, 'another-pass-1');
  });

  it('logs out: the session no longer works', async () => {
    const c = await login(z, t.worker);
    expect((await c.post('/api/v1/auth/logout')).statusCode).toBe(204);
    expect((await c.get('/api/v1/auth/me')).statusCode).toBe(401);
  });
});

describe('organisations', () => {
  it('lists only the caller’s subtree', async () => {
    const items = (await admin.get('/api/v1/orgs')).json().items as { id: string }[];
    expect(items.map((o) => o.id)).toContain(t.communityId);
    expect(items.map((o) => o.id)).not.toContain(other.communityId);
  });

  it('creates a community under a street and audits it', async () => {
    const res = await admin.post('/api/v1/orgs', { parentId: t.streetId, kind: 'community', code: `C${t.suffix}x`, name: '新建社区' });
    expect(res.statusCode).toBe(201);
    expect(res.json().deptType).toBe('community');
    expect(await auditCount(z, res.json().id)).toBe(1);
  });

  it('bad input is a 400 naming the field, and nothing is written', async () => {
    const res = await admin.post('/api/v1/orgs', { parentId: t.streetId, kind: 'planet', code: `P${t.suffix}`, name: '' });
    expect(res.statusCode).toBe(400);
    const fields = res.json().error.details.map((d: { field: string }) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['kind', 'name']));
    const wrongParent = await admin.post('/api/v1/orgs', { parentId: t.districtId, kind: 'community', code: `P${t.suffix}`, name: '错层' });
    expect(wrongParent.statusCode).toBe(400);
    expect(wrongParent.json().error.details[0].field).toBe('parentId');
    const items = (await admin.get('/api/v1/orgs')).json().items as { code: string }[];
    expect(items.some((o) => o.code === `P${t.suffix}`)).toBe(false);
  });

  it('a bad rename is a 400 naming the field and changes nothing', async () => {
    const res = await admin.patch(`/api/v1/orgs/${t.communityId}`, { name: '', colour: 'red' });
    expect(res.statusCode).toBe(400);
    const items = (await admin.get('/api/v1/orgs')).json().items as { id: string; name: string }[];
    expect(items.find((o) => o.id === t.communityId)!.name).toBe(`测试社区${t.suffix}`);
  });

  it('a duplicate code is a 409', async () => {
    const res = await admin.post('/api/v1/orgs', { parentId: t.streetId, kind: 'community', code: `T${t.suffix}-C1`, name: '重复' });
    expect(res.statusCode).toBe(409);
  });

  it('an outsider gets 404 creating under or renaming our org, and nothing changes', async () => {
    const create = await outsider.post('/api/v1/orgs', { parentId: t.streetId, kind: 'community', code: `O${t.suffix}`, name: '越权' });
    expect(create.statusCode).toBe(404);
    const rename = await outsider.patch(`/api/v1/orgs/${t.communityId}`, { name: '被改名' });
    expect(rename.statusCode).toBe(404);
    const items = (await admin.get('/api/v1/orgs')).json().items as { id: string; name: string }[];
    expect(items.find((o) => o.id === t.communityId)!.name).not.toBe('被改名');
  });

  it('a grid worker may not create organisations (404)', async () => {
    const res = await worker.post('/api/v1/orgs', { parentId: t.streetId, kind: 'community', code: `W${t.suffix}`, name: '网格员建' });
    expect(res.statusCode).toBe(404);
  });
});

describe('users', () => {
  it('lists users of the subtree with masked phones', async () => {
    const res = await admin.get('/api/v1/users?pageSize=50');
    expect(res.statusCode).toBe(200);
    const items = res.json().items as { username: string; phoneMasked: string }[];
    expect(items.map((u) => u.username)).toEqual(expect.arrayContaining([t.admin, t.worker]));
    expect(items.map((u) => u.username)).not.toContain(other.admin);
    expect(items.find((u) => u.username === t.worker)!.phoneMasked).toBe('139****5678');
    expect(res.body).not.toContain('13900005678');
  });

  it('reveals a full phone number only through the audited contact read', async () => {
    const before = await auditCount(z, t.workerId);
    const res = await admin.get(`/api/v1/users/${t.workerId}/contact`);
    expect(res.json()).toEqual({ phone: '13900005678' });
    expect(await auditCount(z, t.workerId)).toBe(before + 1);
    expect((await outsider.get(`/api/v1/users/${t.workerId}/contact`)).statusCode).toBe(404);
    expect((await worker.get(`/api/v1/users/${t.adminId}/contact`)).statusCode).toBe(404);
  });

  it('creates a user with roles and grids; duplicates are a 409', async () => {
    const body = { username: `new-${t.suffix}`, displayName: '新用户', phone: '13700001111', orgId: t.communityId, roles: ['grid_worker'], password: 'good-pass-1', gridIds: [t.grid2Id] };
    const res = await admin.post('/api/v1/users', body);
    expect(res.statusCode).toBe(201);
    expect(res.json().gridIds).toEqual([t.grid2Id]);
    expect(res.json().phoneMasked).toBe('137****1111');
    expect((await admin.post('/api/v1/users', body)).statusCode).toBe(409);
  });

  it('bad user input names the field and writes nothing', async () => {
    const res = await admin.post('/api/v1/users', { username: 'Bad Name', displayName: '', phone: '123', orgId: t.communityId, roles: ['wizard'], password: 'x' });
    expect(res.statusCode).toBe(400);
    const fields = res.json().error.details.map((d: { field: string }) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['username', 'displayName', 'phone', 'roles.0']));
    const weak = await admin.post('/api/v1/users', { username: `weak-${t.suffix}`, displayName: '弱', orgId: t.communityId, roles: ['viewer'], password: 'short' });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().error.details[0].field).toBe('password');
    const list = (await admin.get(`/api/v1/users?q=weak-${t.suffix}`)).json();
    expect(list.total).toBe(0);
  });

  it('an outsider cannot see, edit or reset our users (404) and nothing changes', async () => {
    expect((await outsider.get(`/api/v1/users/${t.workerId}`)).statusCode).toBe(404);
    expect((await outsider.patch(`/api/v1/users/${t.workerId}`, { displayName: '改掉' })).statusCode).toBe(404);
    expect((await outsider.post(`/api/v1/users/${t.workerId}/reset-password`, { newPassword: 'hijack-123' })).statusCode).toBe(404);
    expect((await outsider.post('/api/v1/users', { username: `x-${t.suffix}`, displayName: '越权', orgId: t.communityId, roles: ['viewer'], password: 'good-pass-1' })).statusCode).toBe(404);
    const u = (await admin.get(`/api/v1/users/${t.workerId}`)).json();
    expect(u.displayName).toBe('测试网格员');
    await login(z, t.worker);
  });

  it('assigning a grid outside the scope is a 404 and the user is unchanged', async () => {
    const res = await admin.patch(`/api/v1/users/${t.workerId}`, { gridIds: [other.gridId] });
    expect(res.statusCode).toBe(404);
    expect((await admin.get(`/api/v1/users/${t.workerId}`)).json().gridIds).toEqual([t.gridId]);
  });

  it('disabling a user ends their sessions; an admin cannot disable themself (409)', async () => {
    const u = await createTenant(z);
    const a = await login(z, u.admin);
    const w = await login(z, u.worker);
    expect((await a.patch(`/api/v1/users/${u.workerId}`, { active: false })).statusCode).toBe(200);
    expect((await w.get('/api/v1/auth/me')).statusCode).toBe(401);
    expect((await a.patch(`/api/v1/users/${u.adminId}`, { active: false })).statusCode).toBe(409);
  });

  it('bad patches, filters and password resets are a 400 naming the field', async () => {
    const p = await admin.patch(`/api/v1/users/${t.workerId}`, { roles: [], phone: 'abc' });
    expect(p.statusCode).toBe(400);
    expect(p.json().error.details.map((d: { field: string }) => d.field)).toEqual(expect.arrayContaining(['roles', 'phone']));
    const f = await admin.get('/api/v1/users?role=wizard');
    expect(f.statusCode).toBe(400);
    expect(f.json().error.details[0].field).toBe('role');
    const r = await admin.post(`/api/v1/users/${t.workerId}/reset-password`, { newPassword: 'abc' });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.details[0].field).toBe('newPassword');
    await login(z, t.worker);
  });

  it('a grid worker cannot list or export users (404)', async () => {
    expect((await worker.get('/api/v1/users')).statusCode).toBe(404);
    expect((await worker.get('/api/v1/users/export.xlsx')).statusCode).toBe(404);
    expect((await worker.get('/api/v1/audit/export.xlsx')).statusCode).toBe(404);
  });

  it('exports the user list as xlsx', async () => {
    const res = await admin.get('/api/v1/users/export.xlsx');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('spreadsheetml');
    expect(res.rawPayload.subarray(0, 2).toString()).toBe('PK');
  });
});

describe('audit log', () => {
  it('records actor, ip, request id and before/after of a change', async () => {
    const res = await admin.patch(`/api/v1/orgs/${t.departmentId}`, { name: '测试综合执法局' });
    expect(res.statusCode).toBe(200);
    const log = (await admin.get(`/api/v1/audit?targetId=${t.departmentId}`)).json();
    const row = log.items.find((a: { action: string }) => a.action === 'org.updated');
    expect(row.actorId).toBe(t.adminId);
    expect(row.ip).toBeTruthy();
    expect(row.requestId).toBe(res.headers['x-request-id']);
    expect(row.before.name).toMatch(/^测试城管/);
    expect(row.after.name).toBe('测试综合执法局');
  });

  it('is readable only with the audit permission', async () => {
    expect((await worker.get('/api/v1/audit')).statusCode).toBe(404);
    const outsiderView = (await outsider.get(`/api/v1/audit?targetId=${t.departmentId}`)).json();
    expect(outsiderView.total).toBe(0);
  });

  it('bad filters are a 400 naming the field', async () => {
    const res = await admin.get('/api/v1/audit?from=not-a-date');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].field).toBe('from');
  });
});

describe('platform endpoints', () => {
  it('health, readiness, metrics and OpenAPI', async () => {
    expect((await z.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await z.app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ok' });
    const metrics = await z.app.inject({ url: '/metrics' });
    expect(metrics.body).toContain('zhian_http_request_duration_seconds');
    const spec = (await z.app.inject({ url: '/api/v1/openapi.json' })).json();
    expect(spec.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/api/v1/users', '/api/v1/addresses/match', '/api/v1/grids/locate']));
  });

  it('unknown API routes answer the error shape with 404', async () => {
    const res = await z.app.inject({ url: '/api/v1/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('not_found');
  });

  it('limits body size (413) and rejects malformed JSON (400)', async () => {
    const big = await admin.raw({ method: 'POST', url: '/api/v1/orgs', body: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }), headers: { 'content-type': 'application/json' } });
    expect(big.statusCode).toBe(413);
    const bad = await admin.raw({ method: 'POST', url: '/api/v1/orgs', body: '{"name":', headers: { 'content-type': 'application/json' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.requestId).toBeTruthy();
  });
});
