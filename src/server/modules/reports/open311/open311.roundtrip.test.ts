import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { Zhian } from '../../../main.js';
import { createTenant, systemContext, testZhian, type Tenant } from '../../../../../test/helpers.js';
import { GEOREPORT_V2_SCHEMAS } from './georeport-v2.schemas.js';
import { GeoReportClient, parseGeoReportXml } from './open311-client.js';

/** Open311 GeoReport v2 against the real app and database, over real HTTP. */

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
function expectValid(kind: keyof typeof GEOREPORT_V2_SCHEMAS, body: string): any {
  const validate = ajv.compile(GEOREPORT_V2_SCHEMAS[kind]);
  const data = JSON.parse(body);
  if (!validate(data)) throw new Error(`${kind} does not match its schema: ${ajv.errorsText(validate.errors)}\n${body}`);
  return data;
}

const PHONE = '13912345678';

describe('Open311 round trip', () => {
  let z: Zhian;
  let tenant: Tenant;
  let endpoint: string;
  let client: GeoReportClient;
  let anon: GeoReportClient;
  let apiKey: string;

  beforeAll(async () => {
    z = await testZhian();
    tenant = await createTenant(z);
    const key = await z.services.reports.createOpen311Key(systemContext(), { name: `测试接入-${tenant.suffix}`, districtOrgId: tenant.districtId });
    expect(key.apiKey).toBeTruthy();
    apiKey = key.apiKey;
    await z.app.listen({ port: 0, host: '127.0.0.1' });
    const addr = z.app.server.address();
    if (!addr || typeof addr === 'string') throw new Error('no address');
    endpoint = `http://127.0.0.1:${addr.port}/open311/v2`;
    client = new GeoReportClient({ endpoint, format: 'json', apiKey: key.apiKey });
    anon = new GeoReportClient({ endpoint, format: 'json' });
  });
  afterAll(async () => {
    await z?.close();
  });

  it('creates a request and reads it back through every resource', async () => {
    const discovery = expectValid('discovery', (await anon.call('GET', 'discovery')).body);
    expect(discovery.endpoints[0].url).toMatch(/\/open311\/v2$/);

    const servicesRes = await anon.call('GET', 'services');
    expect(servicesRes.status).toBe(200);
    const services = expectValid('services', servicesRes.body);
    expect(services).toContainEqual(expect.objectContaining({ service_code: '0101', service_name: '暴露垃圾', metadata: false, type: 'realtime' }));
    expect(expectValid('serviceDefinition', (await anon.call('GET', 'services/0101')).body)).toEqual({ service_code: '0101', attributes: [] });

    // A point inside the tenant's first grid (a 0.01° square around tenant.point).
    const [lng, lat] = tenant.point;
    const created = await client.createRequest({
      service_code: '0101',
      lat: lat + 0.001,
      long: lng - 0.001,
      description: '小区门口垃圾堆了三天没人清理',
      phone: PHONE,
    });
    const id = created.service_request_id!;
    expect(id).toBeTruthy();

    const oneRes = await anon.call('GET', `requests/${encodeURIComponent(id)}`);
    expect(oneRes.status).toBe(200);
    const [one] = expectValid('requests', oneRes.body);
    expect(one).toMatchObject({ service_request_id: id, status: 'open', service_code: '0101', service_name: '暴露垃圾', description: '小区门口垃圾堆了三天没人清理' });
    expect(one.expected_datetime).not.toBeNull();
    expect(one.requested_datetime).toMatch(/\+08:00$/);
    expect(one.lat).toBeCloseTo(lat + 0.001, 6);
    expect(one.long).toBeCloseTo(lng - 0.001, 6);
    expect(await anon.withFormat('xml').request(id)).toEqual(await anon.request(id));

    if (created.token) {
      const tokenRes = await anon.call('GET', `tokens/${encodeURIComponent(created.token)}`);
      expect(expectValid('tokenResponse', tokenRes.body)).toEqual([{ service_request_id: id, token: created.token }]);
    }

    const listRes = await anon.call('GET', 'requests', { service_code: '0101' });
    expect(listRes.status).toBe(200);
    const list = expectValid('requests', listRes.body);
    expect(list.map((r: { service_request_id: string }) => r.service_request_id)).toContain(id);
    expect(list.every((r: { service_code: string }) => r.service_code === '0101')).toBe(true);

    const byId = await anon.requests({ service_request_id: id, service_code: '9999' });
    expect(byId.map((r) => r.service_request_id)).toEqual([id]);

    // The reporter's phone is never published, in either format.
    const xmlList = await anon.withFormat('xml').call('GET', 'requests', { service_code: '0101' });
    expect(xmlList.contentType).toBe('text/xml; charset=utf-8');
    expect((parseGeoReportXml(xmlList.body) as any).service_requests.request.length).toBeGreaterThan(0);
    for (const body of [listRes.body, oneRes.body, xmlList.body]) expect(body).not.toContain(PHONE);
  });

  it('refuses a point outside the district with 400', async () => {
    const res = await client.call('POST', 'requests', undefined, new URLSearchParams({ api_key: apiKey, service_code: '0101', lat: '10', long: '10', description: '远处的垃圾' }));
    expect(res.status).toBe(400);
    const errors = expectValid('errors', res.body);
    expect(errors[0].code).toBe(400);
  });

  it('refuses a request without a key or with an unknown one (403)', async () => {
    const [lng, lat] = tenant.point;
    const missing = await anon.call('POST', 'requests', undefined, new URLSearchParams({ service_code: '0101', lat: String(lat), long: String(lng) }));
    expect(missing.status).toBe(403);
    expect(expectValid('errors', missing.body)[0].code).toBe(403);
    const wrong = new GeoReportClient({ endpoint, apiKey: 'o311_not-a-key' });
    await expect(wrong.createRequest({ service_code: '0101', lat, long: lng })).rejects.toMatchObject({ status: 403 });
  });

  it('answers 404 for an unknown request and token', async () => {
    expect((await anon.call('GET', 'requests/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await anon.call('GET', 'tokens/no-such-token')).status).toBe(404);
  });
});
