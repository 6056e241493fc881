import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditCount, createTenant, login, square, testZhian, type Client, type Tenant } from '../../../../test/helpers.js';
import type { Zhian } from '../../main.js';
import { insertAddresses } from './index.js';
import type { AddressRecord } from './geo.types.js';
import { randomUUID } from 'node:crypto';

let z: Zhian;
let t: Tenant;
let other: Tenant;
let admin: Client;
let outsider: Client;
let worker: Client;

/** A small address hierarchy for the tenant: county → street → community → estate → building. */
async function seedAddresses(tn: Tenant) {
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
  const estate = { ...mk(community, 'estate', '翠竹苑', tn.gridId), aliases: [`青松路${tn.suffix.length}8号`] };
  const building = mk(estate, 'building', '3幢', tn.gridId);
  const recs = [province, city, county, street, community, estate, building];
  await insertAddresses(z.handle.db, recs);
  z.services.geo.invalidate();
  return { province, county, street, community, estate, building };
}

let addr: Awaited<ReturnType<typeof seedAddresses>>;

beforeAll(async () => {
  z = await testZhian();
  t = await createTenant(z);
  other = await createTenant(z);
  admin = await login(z, t.admin);
  outsider = await login(z, other.admin);
  worker = await login(z, t.worker);
  addr = await seedAddresses(t);
});
afterAll(async () => z?.close());

describe('grids', () => {
  it('lists the grids of the caller’s scope with their workers', async () => {
    const res = await admin.get('/api/v1/grids');
    expect(res.statusCode).toBe(200);
    const items = res.json().items as { id: string; workers: { id: string }[] }[];
    expect(items.map((g) => g.id).sort()).toEqual([t.gridId, t.grid2Id].sort());
    expect(items.find((g) => g.id === t.gridId)!.workers.map((w) => w.id)).toEqual([t.workerId]);
  });

  it('a grid worker sees only their own grid', async () => {
    const items = (await worker.get('/api/v1/grids')).json().items as { id: string }[];
    expect(items.map((g) => g.id)).toEqual([t.gridId]);
    expect((await worker.get(`/api/v1/grids/${t.grid2Id}`)).statusCode).toBe(404);
  });

  it('locates a point in its grid, 404 outside any grid or outside the scope', async () => {
    const [lng, lat] = t.point;
    const res = await admin.get(`/api/v1/grids/locate?lng=${lng + 0.001}&lat=${lat - 0.002}`);
    expect(res.statusCode).toBe(200);
    expect(res.json().grid.id).toBe(t.gridId);
    expect(res.json().community.id).toBe(t.communityId);
    expect(res.json().street.id).toBe(t.streetId);
    expect((await admin.get(`/api/v1/grids/locate?lng=${lng}&lat=${lat + 1}`)).statusCode).toBe(404);
    expect((await outsider.get(`/api/v1/grids/locate?lng=${lng}&lat=${lat}`)).statusCode).toBe(404);
  });

  it('locate with bad coordinates is a 400 naming the field', async () => {
    const res = await admin.get('/api/v1/grids/locate?lng=500&lat=30');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].field).toBe('lng');
  });

  it('renames a grid and assigns workers, audited; an outsider gets 404 and nothing changes', async () => {
    const res = await admin.patch(`/api/v1/grids/${t.grid2Id}`, { name: '第二网格（改）', workerIds: [t.workerId] });
    expect(res.statusCode).toBe(200);
    expect(res.json().name).toBe('第二网格（改）');
    expect(res.json().workers.map((w: { id: string }) => w.id)).toEqual([t.workerId]);
    expect(await auditCount(z, t.grid2Id)).toBe(1);
    const denied = await outsider.patch(`/api/v1/grids/${t.gridId}`, { name: '越权' });
    expect(denied.statusCode).toBe(404);
    expect((await admin.get(`/api/v1/grids/${t.gridId}`)).json().name).toBe('测试网格1');
    const foreignWorker = await admin.patch(`/api/v1/grids/${t.gridId}`, { workerIds: [other.workerId] });
    expect(foreignWorker.statusCode).toBe(404);
  });

  it('bad grid patch input is a 400 naming the field', async () => {
    const res = await admin.patch(`/api/v1/grids/${t.gridId}`, { name: '', colour: 'red' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/name|colour/);
  });

  it('serves grids as GeoJSON, filtered by bbox', async () => {
    const [lng, lat] = t.point;
    const fc = (await admin.get(`/api/v1/grids/features.geojson?bbox=${lng - 0.001},${lat - 0.001},${lng + 0.001},${lat + 0.001}`)).json();
    expect(fc.type).toBe('FeatureCollection');
    expect(fc.features.map((f: { id: string }) => f.id)).toEqual([t.gridId]);
    expect(fc.features[0].geometry.type).toBe('Polygon');
    expect((await admin.get('/api/v1/grids/features.geojson?bbox=1,2,3')).statusCode).toBe(400);
  });

  it('imports grids from GeoJSON (create and update by code), all or nothing', async () => {
    const [lng, lat] = t.point;
    const fc = {
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', properties: { code: `T${t.suffix}-G3`, name: '导入网格', communityCode: `T${t.suffix}-C2` }, geometry: square(lng + 0.02, lat) },
        { type: 'Feature', properties: { code: `T${t.suffix}-G1`, name: '测试网格1', communityCode: `T${t.suffix}-C1` }, geometry: square(lng, lat, 0.012) },
      ],
    };
    const res = await admin.post('/api/v1/grids/import.geojson', fc);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ created: 1, updated: 1 });
    const located = await admin.get(`/api/v1/grids/locate?lng=${lng + 0.02}&lat=${lat}`);
    expect(located.json().grid.code).toBe(`T${t.suffix}-G3`);

    const bad = {
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', properties: { code: `T${t.suffix}-G4`, name: '好的', communityCode: `T${t.suffix}-C2` }, geometry: square(lng + 0.03, lat) },
        { type: 'Feature', properties: { code: `T${t.suffix}-G5`, name: '坏的', communityCode: `T${t.suffix}-C2` }, geometry: { type: 'Polygon', coordinates: [[[lng, lat], [lng + 1, lat], [lng, lat + 1]]] } },
        { type: 'Feature', properties: { code: `T${t.suffix}-G6`, name: '别人的社区', communityCode: `T${other.suffix}-C1` }, geometry: square(lng + 0.04, lat) },
      ],
    };
    const rejected = await admin.post('/api/v1/grids/import.geojson', bad);
    expect(rejected.statusCode).toBe(400);
    const fields = rejected.json().error.details.map((d: { field: string }) => d.field);
    expect(fields).toEqual(['features.1.geometry', 'features.2.properties.communityCode']);
    const codes = (await admin.get('/api/v1/grids?pageSize=100')).json().items.map((g: { code: string }) => g.code);
    expect(codes).not.toContain(`T${t.suffix}-G4`);
  });

  it('exports grids as GeoJSON and xlsx, scoped', async () => {
    const gj = await admin.get('/api/v1/grids/export.geojson');
    expect(gj.statusCode).toBe(200);
    const codes = gj.json().features.map((f: { properties: { code: string } }) => f.properties.code);
    expect(codes).toContain(`T${t.suffix}-G1`);
    expect(codes).not.toContain(`T${other.suffix}-G1`);
    const x = await admin.get('/api/v1/grids/export.xlsx');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(x.rawPayload as unknown as ArrayBuffer);
    const ws = wb.worksheets[0];
    expect(ws.getRow(1).getCell(1).value).toBe('网格编码');
    expect(ws.rowCount).toBeGreaterThanOrEqual(3);
  });
});

describe('addresses', () => {
  it('matches free text to the best record with confidence and alternatives', async () => {
    const res = await admin.get(`/api/v1/addresses/match?q=${encodeURIComponent(`测试街道${t.suffix}翠竹苑3栋附近`)}`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.best.id).toBe(addr.building.id);
    expect(body.best.gridId).toBe(t.gridId);
    expect(body.best.gridName).toBe('测试网格1');
    expect(body.best.confidence).toBeGreaterThan(0.5);
    expect(Array.isArray(body.alternatives)).toBe(true);
  });

  it('match without q is a 400 naming q', async () => {
    const res = await admin.get('/api/v1/addresses/match?q=');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].field).toBe('q');
    expect((await z.app.inject({ url: '/api/v1/addresses/match?q=x' })).statusCode).toBe(401);
  });

  it('an outsider does not find or read our addresses (404), only the shared upper levels', async () => {
    const m = (await outsider.get(`/api/v1/addresses/match?q=${encodeURIComponent(`测试街道${t.suffix}翠竹苑3幢`)}`)).json();
    expect([m.best, ...m.alternatives].filter(Boolean).map((x: { id: string }) => x.id)).not.toContain(addr.building.id);
    expect((await outsider.get(`/api/v1/addresses/${addr.building.id}`)).statusCode).toBe(404);
    expect((await outsider.get(`/api/v1/addresses/${addr.street.id}`)).statusCode).toBe(200);
    const kids = (await outsider.get(`/api/v1/addresses?parentId=${addr.estate.id}`)).json();
    expect(kids.total).toBe(0);
  });

  it('bad address queries are a 400 naming the field', async () => {
    const lvl = await admin.get('/api/v1/addresses?level=planet');
    expect(lvl.statusCode).toBe(400);
    expect(lvl.json().error.details[0].field).toBe('level');
    const id = await admin.get('/api/v1/addresses/not-a-uuid');
    expect(id.statusCode).toBe(400);
    expect(id.json().error.details[0].field).toBe('id');
    const lim = await admin.get('/api/v1/addresses/match?q=x&limit=99');
    expect(lim.statusCode).toBe(400);
    expect(lim.json().error.details[0].field).toBe('limit');
  });

  it('browses the hierarchy and shows ancestors', async () => {
    const kids = (await admin.get(`/api/v1/addresses?parentId=${addr.estate.id}`)).json();
    expect(kids.items.map((a: { id: string }) => a.id)).toEqual([addr.building.id]);
    const detail = (await admin.get(`/api/v1/addresses/${addr.building.id}`)).json();
    expect(detail.ancestors.map((a: { level: string }) => a.level)).toEqual(['province', 'city', 'county', 'street', 'community', 'estate']);
    expect((await admin.get(`/api/v1/addresses/${randomUUID()}`)).statusCode).toBe(404);
  });
});

describe('address import', () => {
  async function waitJob(c: Client, jobId: string) {
    for (let i = 0; i < 200; i++) {
      const j = (await c.get(`/api/v1/jobs/${jobId}`)).json();
      if (j.status !== 'running') return j;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('job did not finish');
  }

  it('imports a valid xlsx, creating the hierarchy below the community', async () => {
    const [lng, lat] = t.point;
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('地址');
    ws.addRow(['街道', '社区', '小区', '楼栋', '单元', '户', '经度', '纬度', '别名']);
    ws.addRow([`测试街道${t.suffix}`, `测试社区${t.suffix}`, '翠竹苑', '5幢', '1单元', '101室', lng, lat, '']);
    ws.addRow([`测试街道${t.suffix}`, `测试社区${t.suffix}`, '新建家园', '1幢', '', '', lng + 0.001, lat, '梅花路1号']);
    const buf = Buffer.from(await wb.xlsx.writeBuffer());
    const res = await admin.raw({ method: 'POST', url: '/api/v1/addresses/import?format=xlsx', body: buf, headers: { 'content-type': 'application/octet-stream' } });
    expect(res.statusCode).toBe(202);
    const job = await waitJob(admin, res.json().jobId);
    expect(job.status).toBe('succeeded');
    expect(job.progress).toBe(1);
    expect(job.result).toEqual({ rows: 2, created: 5 });
    const m = (await admin.get(`/api/v1/addresses/match?q=${encodeURIComponent(`翠竹苑5幢1单元101室`)}`)).json();
    expect(m.best.fullText).toBe(`${addr.estate.fullText}5幢1单元101室`);
    expect(m.best.gridId).toBe(t.gridId);
  });

  it('a csv with errors imports nothing and reports each bad row and field', async () => {
    const [lng, lat] = t.point;
    const csv = [
      '街道,社区,小区,楼栋,经度,纬度',
      `测试街道${t.suffix},测试社区${t.suffix},错误家园,1幢,${lng},${lat}`,
      `不存在街道,测试社区${t.suffix},错误家园,2幢,${lng},${lat}`,
      `测试街道${t.suffix},测试社区${t.suffix},错误家园,3幢,abc,${lat}`,
      `测试街道${t.suffix},测试社区${t.suffix},错误家园,4幢,${lng},${lat + 1}`,
    ].join('\n');
    const res = await admin.raw({ method: 'POST', url: '/api/v1/addresses/import?format=csv', body: csv, headers: { 'content-type': 'text/csv' } });
    expect(res.statusCode).toBe(202);
    const job = await waitJob(admin, res.json().jobId);
    expect(job.status).toBe('failed');
    expect(job.errors.map((e: { row: number; field: string }) => [e.row, e.field])).toEqual([
      [3, '街道'],
      [4, '经度'],
      [5, '经度'],
    ]);
    const m = await admin.get(`/api/v1/addresses?q=${encodeURIComponent('错误家园')}`);
    expect(m.json().total).toBe(0);
  });

  it('import requires the address.write permission and a format', async () => {
    const res = await worker.raw({ method: 'POST', url: '/api/v1/addresses/import?format=csv', body: 'a,b', headers: { 'content-type': 'text/csv' } });
    expect(res.statusCode).toBe(404);
    const noFormat = await admin.raw({ method: 'POST', url: '/api/v1/addresses/import', body: 'a,b', headers: { 'content-type': 'text/csv' } });
    expect(noFormat.statusCode).toBe(400);
    expect(noFormat.json().error.details[0].field).toBe('format');
  });

  it('another user cannot read someone else’s job (404)', async () => {
    const res = await admin.raw({ method: 'POST', url: '/api/v1/addresses/import?format=csv', body: '街道,社区,经度,纬度\n', headers: { 'content-type': 'text/csv' } });
    const jobId = res.json().jobId;
    expect((await outsider.get(`/api/v1/jobs/${jobId}`)).statusCode).toBe(404);
  });
});

describe('overview', () => {
  it('counts what the caller can see', async () => {
    const res = await admin.get('/api/v1/stats/overview');
    expect(res.statusCode).toBe(200);
    expect(res.json().streets).toBe(1);
    expect(res.json().communities).toBeGreaterThanOrEqual(2);
    expect(res.json().gridsByStreet[0].street).toBe(`测试街道${t.suffix}`);
    const cfg = (await admin.get('/api/v1/map/config')).json();
    expect(cfg.tileUrl).toBeNull();
    expect(cfg.bounds[0]).toBeLessThan(t.point[0]);
  });
});
