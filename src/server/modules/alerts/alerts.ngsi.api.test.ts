import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Zhian } from '../../main.js';
import { createTenant, login, testZhian, type Client, type Tenant } from '../../../../test/helpers.js';

/**
 * NGSI-LD over HTTP as ETSI GS CIM 009 answers it: POST /entities (201 + Location, 409
 * AlreadyExists), POST /entityOperations/upsert (201 with the created ids, 204 when all
 * existed, 207 with a BatchOperationResult when some failed), errors as ProblemDetails.
 */
let z: Zhian;
let t: Tenant;
let admin: Client;
let station: { id: string; code: string; secret: string };
let meter: { id: string; code: string; secret: string };

const ERR = 'https://uri.etsi.org/ngsi-ld/errors/';
const basic = (code: string, secret: string) => `Basic ${Buffer.from(`${code}:${secret}`).toString('base64')}`;

async function makeDevice(type: string) {
  const code = `${type === 'water_meter' ? 'WM' : 'WQ'}-${Math.random().toString(36).slice(2, 9)}`;
  const res = await admin.post('/api/v1/devices', { code, name: `设备${code}`, type, lng: t.point[0], lat: t.point[1] });
  expect(res.statusCode, res.body).toBe(201);
  return { ...(res.json() as { id: string; secret: string }), code };
}

function quality(code: string, at: Date, extra: Record<string, unknown> = {}) {
  return {
    id: `urn:ngsi-ld:WaterQualityObserved:${code}`,
    type: 'WaterQualityObserved',
    dateObserved: { type: 'Property', value: { '@type': 'DateTime', '@value': at.toISOString() } },
    refDevice: { type: 'Relationship', object: `urn:ngsi-ld:Device:${code}` },
    O2: { type: 'Property', value: 6.4, unitCode: 'M1' },
    NH4: { type: 'Property', value: 0.42, unitCode: 'M1' },
    measurand: { type: 'Property', value: ['CODMn, 4.2, M1, 高锰酸盐指数'] },
    '@context': ['https://raw.githubusercontent.com/smart-data-models/dataModel.Environment/master/context.jsonld'],
    ...extra,
  };
}

async function send(url: string, body: unknown, auth: string) {
  return z.app.inject({ method: 'POST', url, payload: JSON.stringify(body), headers: { 'content-type': 'application/ld+json', authorization: auth } });
}

beforeAll(async () => {
  z = await testZhian();
  t = await createTenant(z);
  admin = await login(z, t.admin);
  station = await makeDevice('water_quality');
  meter = await makeDevice('water_meter');
});

afterAll(async () => {
  await z?.close();
});

describe('NGSI-LD', () => {
  it('creates an observation entity with the device’s own credentials: 201 and Location; the reading is stored with CODMn from the measurand', async () => {
    const at = new Date(Date.now() - 60_000);
    const res = await send('/ngsi-ld/v1/entities', quality(station.code, at), basic(station.code, station.secret));
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers.location).toBe(`/ngsi-ld/v1/entities/${encodeURIComponent(`urn:ngsi-ld:WaterQualityObserved:${station.code}`)}`);
    const r = await z.handle.db.selectFrom('readings').selectAll().where('device_id', '=', station.id).executeTakeFirstOrThrow();
    expect(r.source).toBe('ngsi-ld');
    expect(new Date(r.observed_at).toISOString()).toBe(at.toISOString());
    expect(r.values).toMatchObject({ DO: 6.4, CODMn: 4.2 });
  });

  it('answers 409 AlreadyExists as ProblemDetails for the same entity again', async () => {
    const res = await send('/ngsi-ld/v1/entities', quality(station.code, new Date()), basic(station.code, station.secret));
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ type: `${ERR}AlreadyExists`, status: 409 });
    expect(res.json().title).toBeTruthy();
  });

  it('refuses a bad entity with 400 BadRequestData naming the attribute, and an unknown type', async () => {
    const bad = await send('/ngsi-ld/v1/entities', quality(meter.code, new Date(), { id: 'not a uri' }), basic(meter.code, meter.secret));
    expect(bad.statusCode).toBe(400);
    expect(bad.json().type).toBe(`${ERR}BadRequestData`);
    expect(bad.json().detail).toContain('id');
    const type = await send('/ngsi-ld/v1/entities', { id: `urn:ngsi-ld:Parking:${meter.code}`, type: 'OffStreetParking', availableSpotNumber: 3 }, basic(meter.code, meter.secret));
    expect(type.statusCode).toBe(400);
    expect(type.json().type).toBe(`${ERR}BadRequestData`);
    const json = await z.app.inject({ method: 'POST', url: '/ngsi-ld/v1/entities', payload: '{"id": ', headers: { 'content-type': 'application/ld+json', authorization: basic(meter.code, meter.secret) } });
    expect(json.statusCode).toBe(400);
    expect(json.json().type).toBe(`${ERR}InvalidRequest`);
  });

  it('does not let a device write another device’s observations, nor a wrong secret write at all', async () => {
    const other = await send('/ngsi-ld/v1/entities', quality(station.code, new Date()), basic(meter.code, meter.secret));
    expect(other.statusCode).toBe(404);
    expect(other.json().type).toBe(`${ERR}ResourceNotFound`);
    const wrong = await send('/ngsi-ld/v1/entities', quality(station.code, new Date()), basic(station.code, 'nope'));
    expect(wrong.statusCode).toBe(401);
  });

  it('upserts a batch: 201 with the ids created, 204 when all existed, 207 with success and errors when some failed', async () => {
    const token = admin.cookie; // staff session: alert.configure may write for devices in scope
    const headers = { 'content-type': 'application/ld+json', cookie: token, 'x-csrf-token': admin.csrf };
    const consumption = (at: Date, v: number) => ({
      id: `urn:ngsi-ld:WaterConsumptionObserved:${meter.code}`,
      type: 'WaterConsumptionObserved',
      waterConsumption: { type: 'Property', value: v, unitCode: 'MTQ', observedAt: at.toISOString() },
    });
    const t1 = new Date(Date.now() - 120_000);
    const first = await z.app.inject({ method: 'POST', url: '/ngsi-ld/v1/entityOperations/upsert', payload: JSON.stringify([consumption(t1, 12.5)]), headers });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toEqual([`urn:ngsi-ld:WaterConsumptionObserved:${meter.code}`]);
    const second = await z.app.inject({ method: 'POST', url: '/ngsi-ld/v1/entityOperations/upsert', payload: JSON.stringify([consumption(new Date(Date.now() - 60_000), 12.6), quality(station.code, new Date(Date.now() - 30_000))]), headers });
    expect(second.statusCode, second.body).toBe(204);
    const mixed = await z.app.inject({ method: 'POST', url: '/ngsi-ld/v1/entityOperations/upsert', payload: JSON.stringify([consumption(new Date(), 12.7), { id: 'urn:ngsi-ld:WaterQualityObserved:NOPE-1', type: 'WaterQualityObserved', pH: 7 }]), headers });
    expect(mixed.statusCode).toBe(207);
    const body = mixed.json();
    expect(body.success).toEqual([`urn:ngsi-ld:WaterConsumptionObserved:${meter.code}`]);
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0]).toMatchObject({ entityId: 'urn:ngsi-ld:WaterQualityObserved:NOPE-1', error: { type: `${ERR}ResourceNotFound` } });
    const n = await z.handle.db.selectFrom('readings').select((eb) => eb.fn.countAll<string>().as('n')).where('device_id', '=', meter.id).executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(3);
  });

  it('reads back the latest observation as a normalized entity', async () => {
    const res = await z.app.inject({ method: 'GET', url: `/ngsi-ld/v1/entities/${encodeURIComponent(`urn:ngsi-ld:WaterConsumptionObserved:${meter.code}`)}`, headers: { cookie: admin.cookie } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ type: 'WaterConsumptionObserved', waterConsumption: { type: 'Property', value: 12.7 } });
  });

  it('an outsider sees no device: 404 ResourceNotFound', async () => {
    const other = await createTenant(z);
    const outsider = await login(z, other.admin);
    const res = await z.app.inject({ method: 'POST', url: '/ngsi-ld/v1/entities', payload: JSON.stringify(quality(station.code, new Date())), headers: { 'content-type': 'application/json', cookie: outsider.cookie, 'x-csrf-token': outsider.csrf } });
    expect(res.statusCode).toBe(404);
    expect(res.json().type).toBe(`${ERR}ResourceNotFound`);
  });
});
