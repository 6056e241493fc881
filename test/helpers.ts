import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { loadConfig, type Config } from '../src/server/config.js';
import type { Database } from '../src/server/db.js';
import { openDatabase, type DatabaseHandle } from '../src/server/platform/db/database.js';
import { systemContext } from '../src/server/platform/http/context.js';
import { buildZhian, type Zhian } from '../src/server/main.js';
import { insertOrg } from '../src/server/modules/core/index.js';
import { insertGrid } from '../src/server/modules/geo/index.js';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;
export const onPostgres = !!TEST_DATABASE_URL;
export const PASSWORD = 'test-pass-123';
/** The Ed25519 seed (base64) sealing custody checkpoints in tests. */
export const TEST_SIGNING_KEY = Buffer.alloc(32, 7).toString('base64');

export function testConfig(extra: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', ZHIAN_DEMO: 'false', LOG_LEVEL: 'silent', MQTT_PORT: '0', CUSTODY_SIGNING_KEY: TEST_SIGNING_KEY, EVIDENCE_DIR: path.join(os.tmpdir(), 'zhian-test-evidence'), ...(TEST_DATABASE_URL ? { DATABASE_URL: TEST_DATABASE_URL } : {}), ...extra });
}

/** A database for one test file: PGlite in memory, or the shared PostgreSQL test database. */
export async function testDatabase(): Promise<DatabaseHandle<Database>> {
  return openDatabase<Database>(TEST_DATABASE_URL ? { databaseUrl: TEST_DATABASE_URL, poolSize: 5 } : { dataDir: 'memory://' });
}

/** A Zhian instance (not listening) on the test database. */
export async function testZhian(extra: Record<string, string> = {}, opts: { mqtt?: boolean } = {}): Promise<Zhian> {
  // Timers are ticked by hand in tests (z.timers.tick(at)), so nothing fires behind a test's back;
  // the MQTT ingest starts only for the tests that use it (on a free port).
  return buildZhian(testConfig(extra), { logger: false, handle: await testDatabase(), seed: false, timers: false, mqtt: opts.mqtt ?? false });
}

export const uid = () => crypto.randomBytes(4).toString('hex');

/** A square polygon around a point, side in degrees. */
export function square(lng: number, lat: number, side = 0.01) {
  const h = side / 2;
  return {
    type: 'Polygon' as const,
    coordinates: [
      [
        [lng - h, lat - h],
        [lng + h, lat - h],
        [lng + h, lat + h],
        [lng - h, lat + h],
        [lng - h, lat - h],
      ],
    ],
  };
}

export interface Tenant {
  suffix: string;
  districtId: string;
  streetId: string;
  communityId: string;
  community2Id: string;
  departmentId: string;
  gridId: string;
  grid2Id: string;
  /** Centre of the first grid. */
  point: [number, number];
  adminId: string;
  admin: string;
  workerId: string;
  worker: string;
}

/**
 * Builds a test's own district (its own org tree, grids and users), so tests never see each
 * other's data and never truncate tables. Grids are placed at a random spot far from others.
 */
export async function createTenant(z: Zhian): Promise<Tenant> {
  const suffix = uid();
  const db = z.handle.db;
  const lng = 100 + Math.random() * 20;
  const lat = 20 + Math.random() * 20;
  const ids = await db.transaction().execute(async (tx) => {
    const district = await insertOrg(tx, { parentId: null, parentPath: '/', kind: 'district', deptType: null, code: `T${suffix}`, name: `测试区${suffix}` });
    const street = await insertOrg(tx, { parentId: district.id, parentPath: district.path, kind: 'street', deptType: null, code: `T${suffix}-S1`, name: `测试街道${suffix}` });
    const community = await insertOrg(tx, { parentId: street.id, parentPath: street.path, kind: 'community', deptType: 'community', code: `T${suffix}-C1`, name: `测试社区${suffix}` });
    const community2 = await insertOrg(tx, { parentId: street.id, parentPath: street.path, kind: 'community', deptType: 'community', code: `T${suffix}-C2`, name: `第二社区${suffix}` });
    const dept = await insertOrg(tx, { parentId: district.id, parentPath: district.path, kind: 'department', deptType: 'urban_management', code: `T${suffix}-D1`, name: `测试城管${suffix}` });
    const gridId = await insertGrid(tx, { code: `T${suffix}-G1`, name: `测试网格1`, communityOrgId: community.id, geometry: square(lng, lat) });
    const grid2Id = await insertGrid(tx, { code: `T${suffix}-G2`, name: `测试网格2`, communityOrgId: community2.id, geometry: square(lng + 0.01, lat) });
    return { district, street, community, community2, dept, gridId, grid2Id };
  });
  const ctx = systemContext();
  const admin = await z.services.core.createUser(ctx, {
    username: `admin-${suffix}`,
    displayName: '测试管理员',
    phone: '13800001234',
    orgId: ids.district.id,
    roles: ['admin'],
    password: PASSWORD,
    scopeOrgId: ids.district.id,
  });
  const worker = await z.services.core.createUser(ctx, {
    username: `gw-${suffix}`,
    displayName: '测试网格员',
    phone: '13900005678',
    orgId: ids.community.id,
    roles: ['grid_worker'],
    password: PASSWORD,
    scopeOrgId: ids.community.id,
    gridIds: [ids.gridId],
  });
  return {
    suffix,
    districtId: ids.district.id,
    streetId: ids.street.id,
    communityId: ids.community.id,
    community2Id: ids.community2.id,
    departmentId: ids.dept.id,
    gridId: ids.gridId,
    grid2Id: ids.grid2Id,
    point: [lng, lat],
    adminId: admin.id,
    admin: admin.username,
    workerId: worker.id,
    worker: worker.username,
  };
}

/** A signed-in browser-like client: session cookie plus CSRF header on writes. */
export interface Client {
  username: string;
  cookie: string;
  csrf: string;
  get(url: string): Promise<LightMyRequestResponse>;
  post(url: string, body?: unknown): Promise<LightMyRequestResponse>;
  patch(url: string, body?: unknown): Promise<LightMyRequestResponse>;
  raw(opts: { method: string; url: string; body?: unknown; headers?: Record<string, string>; csrf?: boolean }): Promise<LightMyRequestResponse>;
}

export async function login(z: Zhian, username: string, password = PASSWORD): Promise<Client> {
  const res = await z.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
  if (res.statusCode !== 200) throw new Error(`login ${username} failed: ${res.statusCode} ${res.body}`);
  const setCookie = res.cookies.find((c) => c.name === 'zhian_session');
  if (!setCookie) throw new Error('no session cookie');
  const cookie = `zhian_session=${setCookie.value}`;
  const csrf = res.json().csrfToken as string;
  const raw: Client['raw'] = (o) =>
    z.app.inject({
      method: o.method as 'GET',
      url: o.url,
      headers: { cookie, ...(o.csrf === false ? {} : { 'x-csrf-token': csrf }), ...(o.headers ?? {}) },
      ...(o.body !== undefined ? (Buffer.isBuffer(o.body) || typeof o.body === 'string' ? { payload: o.body } : { payload: o.body as object }) : {}),
    });
  return {
    username,
    cookie,
    csrf,
    raw,
    get: (url) => raw({ method: 'GET', url }),
    post: (url, body) => raw({ method: 'POST', url, body: body ?? {} }),
    patch: (url, body) => raw({ method: 'PATCH', url, body: body ?? {} }),
  };
}

/** A user of the tenant with the given roles, in the given organisation (default: the district). */
export async function addUser(z: Zhian, t: Tenant, name: string, roles: string[], orgId = t.districtId, scopeOrgId = orgId) {
  return z.services.core.createUser(systemContext(), {
    username: `${name}-${t.suffix}`,
    displayName: `${name}${t.suffix.slice(0, 2)}`,
    phone: '13700007777',
    orgId,
    roles: roles as never,
    password: PASSWORD,
    scopeOrgId,
  });
}

/** Number of audit rows about a target; for "nothing was written" checks. */
export async function auditCount(z: Zhian, targetId: string): Promise<number> {
  const r = await z.handle.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).where('target_id', '=', targetId).executeTakeFirstOrThrow();
  return Number(r.n);
}

export { systemContext };
