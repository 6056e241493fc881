import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { createApp, type App } from '../../../platform/http/app.js';
import { AppError, invalid } from '../../../platform/http/errors.js';
import { GEOREPORT_V2_SCHEMAS, REQUEST_FIELDS, SERVICE_FIELDS } from './georeport-v2.schemas.js';
import { GeoReportClient, GeoReportError, parseGeoReportXml } from './open311-client.js';
import type { Open311Client, Open311Filter, Open311NewRequest, Open311Port, Open311Request, Open311Service } from './open311.port.js';
import { MAX_RESULTS, parseW3cDate, registerOpen311Routes, shanghaiDateTime } from './open311.routes.js';

const GOOD_KEY = 'key-good-123';
const DAY = 86_400_000;

/** An in-memory Open311Port: the HTTP layer is what is under test here. */
function memoryPort() {
  const services: Open311Service[] = [
    { code: '0101', name: '暴露垃圾', description: '道路、小区出入口等处暴露堆放的垃圾', group: '市容环境', keywords: ['垃圾', '卫生'] },
    { code: '0102', name: '占道经营', description: '', group: '市容环境', keywords: [] },
  ];
  const client: Open311Client = { keyId: 'k1', name: '市民热线 App', districtOrgId: 'd1' };
  const requests = new Map<string, Open311Request>();
  const tokens = new Map<string, string>();
  const calls = {
    list: [] as Open311Filter[],
    create: [] as { client: Open311Client; input: Open311NewRequest; ctx: { ip: string | null; requestId: string | null } }[],
  };
  let listOverride: Open311Request[] | undefined;
  let failNext: Error | undefined;
  let seq = 0;
  const port: Open311Port = {
    async authenticate(apiKey) {
      return apiKey === GOOD_KEY ? client : undefined;
    },
    async services() {
      if (failNext) {
        const e = failNext;
        failNext = undefined;
        throw e;
      }
      return services;
    },
    async create(c, input, ctx) {
      calls.create.push({ client: c, input, ctx });
      if (input.lat !== undefined && (input.lat < 20 || input.lat > 40)) throw invalid('lat', '该位置不在本区范围内');
      if (input.description === 'boom') throw new AppError('validation_failed', 'two problems', [
        { field: 'description', message: 'too short' },
        { field: 'phone', message: 'not a phone number' },
      ]);
      seq += 1;
      const id = `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`;
      const token = `tok${seq}`;
      const now = new Date();
      requests.set(id, {
        id,
        status: 'open',
        statusNotes: null,
        serviceName: services.find((s) => s.code === input.serviceCode)?.name ?? null,
        serviceCode: input.serviceCode,
        description: input.description ?? '',
        agencyResponsible: '测试城管',
        requestedAt: now,
        updatedAt: now,
        expectedAt: new Date(now.getTime() + 2 * DAY),
        address: input.addressString ?? null,
        addressId: input.addressId ?? null,
        lat: input.lat ?? null,
        long: input.long ?? null,
        mediaUrl: input.mediaUrl ?? null,
      });
      tokens.set(token, id);
      return { id, token };
    },
    async list(filter) {
      calls.list.push(filter);
      if (listOverride) return listOverride;
      let all = [...requests.values()];
      if (filter.ids) return all.filter((r) => filter.ids!.includes(r.id));
      if (filter.serviceCode) all = all.filter((r) => r.serviceCode && filter.serviceCode!.includes(r.serviceCode));
      if (filter.status) all = all.filter((r) => filter.status!.includes(r.status));
      return all.slice(0, filter.limit);
    },
    async get(id) {
      return requests.get(id);
    },
    async byToken(token) {
      return tokens.get(token);
    },
  };
  return {
    port,
    calls,
    requests,
    setList(list: Open311Request[] | undefined) {
      listOverride = list;
    },
    failOnce(e: Error) {
      failNext = e;
    },
  };
}

function sampleRequest(i: number, over: Partial<Open311Request> = {}): Open311Request {
  return {
    id: `r-${i}`,
    status: 'closed',
    statusNotes: '已办结',
    serviceName: '暴露垃圾',
    serviceCode: '0101',
    description: `第${i}件`,
    agencyResponsible: null,
    requestedAt: new Date(Date.UTC(2024, 4, 1, 1, 2, 3)),
    updatedAt: new Date(Date.UTC(2024, 4, 2, 16, 30, 0)),
    expectedAt: null,
    address: null,
    addressId: null,
    lat: null,
    long: null,
    mediaUrl: null,
    ...over,
  };
}

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validators = Object.fromEntries(Object.entries(GEOREPORT_V2_SCHEMAS).map(([k, s]) => [k, ajv.compile(s)])) as Record<keyof typeof GEOREPORT_V2_SCHEMAS, ValidateFunction>;

function expectValid(kind: keyof typeof GEOREPORT_V2_SCHEMAS, body: string): any {
  const data = JSON.parse(body);
  const ok = validators[kind](data);
  if (!ok) throw new Error(`${kind} does not match its schema: ${ajv.errorsText(validators[kind].errors)}\n${body}`);
  return data;
}

describe('Open311 GeoReport v2 routes', () => {
  let app: App;
  let mem: ReturnType<typeof memoryPort>;
  let endpoint: string;
  let json: GeoReportClient;
  let xml: GeoReportClient;
  let anon: GeoReportClient;
  let origin: string;

  beforeAll(async () => {
    mem = memoryPort();
    app = await createApp({ logger: false, bodyLimit: 1_000_000, trustProxy: false, authenticator: { resolve: async () => undefined }, ready: async () => true });
    registerOpen311Routes(app, { port: mem.port, jurisdictionId: 'zhian.example.cn', contact: '测试联系人 0571-00000000' });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const addr = app.server.address();
    if (!addr || typeof addr === 'string') throw new Error('no address');
    origin = `http://127.0.0.1:${addr.port}`;
    endpoint = `${origin}/open311/v2`;
    json = new GeoReportClient({ endpoint, format: 'json', apiKey: GOOD_KEY });
    xml = json.withFormat('xml');
    anon = new GeoReportClient({ endpoint, format: 'json' });
  });
  afterAll(async () => {
    await app?.close();
  });
  beforeEach(() => {
    mem.calls.list.length = 0;
    mem.calls.create.length = 0;
    mem.setList(undefined);
  });

  const point = { lat: 30.25, long: 120.16 };

  describe('discovery', () => {
    it('answers JSON matching the discovery schema, pointing at this endpoint', async () => {
      const res = await json.call('GET', 'discovery');
      expect(res.status).toBe(200);
      expect(res.contentType).toBe('application/json; charset=utf-8');
      const doc = expectValid('discovery', res.body);
      expect(doc.contact).toBe('测试联系人 0571-00000000');
      expect(doc.endpoints).toEqual([
        { specification: 'http://wiki.open311.org/GeoReport_v2', url: endpoint, changeset: doc.changeset, type: 'production', formats: ['text/xml', 'application/json'] },
      ]);
      expect(await json.discovery()).toEqual(doc);
    });

    it('answers XML with a declaration and the <discovery> root; the client reads it as the JSON', async () => {
      const res = await xml.call('GET', 'discovery');
      expect(res.status).toBe(200);
      expect(res.contentType).toBe('text/xml; charset=utf-8');
      expect(res.body.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
      const doc = parseGeoReportXml(res.body) as any;
      expect(doc.discovery.endpoints.endpoint[0].formats.format).toEqual(['text/xml', 'application/json']);
      expect(doc.discovery.key_service).toBeTruthy();
      expect(await xml.discovery()).toEqual(await json.discovery());
    });
  });

  describe('services', () => {
    it('lists the services with every field of the spec (metadata false, realtime, keywords, group)', async () => {
      const res = await json.call('GET', 'services');
      expect(res.contentType).toBe('application/json; charset=utf-8');
      const list = expectValid('services', res.body);
      expect(list).toHaveLength(2);
      for (const s of list) expect(Object.keys(s)).toEqual([...SERVICE_FIELDS]);
      expect(list[0]).toEqual({
        service_code: '0101',
        service_name: '暴露垃圾',
        description: '道路、小区出入口等处暴露堆放的垃圾',
        metadata: false,
        type: 'realtime',
        keywords: '垃圾,卫生',
        group: '市容环境',
      });
      expect(list[1]).toMatchObject({ service_code: '0102', description: null, keywords: null });
    });

    it('renders <services><service>… in XML, the same objects once parsed', async () => {
      const res = await xml.call('GET', 'services');
      expect(res.contentType).toBe('text/xml; charset=utf-8');
      expect(res.body).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<services>\n\s+<service>\n\s+<service_code>0101<\/service_code>/);
      expect(res.body).toContain('<metadata>false</metadata>');
      expect(res.body).toContain('<description></description>');
      const doc = parseGeoReportXml(res.body) as any;
      expect(doc.services.service).toHaveLength(2);
      expect(await xml.services()).toEqual(await json.services());
    });

    it('gives the service definition with no attributes', async () => {
      const res = await json.call('GET', 'services/0101');
      const def = expectValid('serviceDefinition', res.body);
      expect(def).toEqual({ service_code: '0101', attributes: [] });
      const x = await xml.call('GET', 'services/0101');
      expect(x.contentType).toBe('text/xml; charset=utf-8');
      const doc = parseGeoReportXml(x.body) as any;
      expect(doc.service_definition.service_code).toBe('0101');
      expect(doc.service_definition).toHaveProperty('attributes');
      expect(await xml.serviceDefinition('0101')).toEqual(await json.serviceDefinition('0101'));
    });

    it('answers 404 in the spec format for an unknown service code', async () => {
      const res = await json.call('GET', 'services/9999');
      expect(res.status).toBe(404);
      expect(expectValid('errors', res.body)).toEqual([{ code: 404, description: 'service_code 9999 not found' }]);
      const x = await xml.call('GET', 'services/9999');
      expect(x.status).toBe(404);
      expect(x.contentType).toBe('text/xml; charset=utf-8');
      expect((parseGeoReportXml(x.body) as any).errors.error).toEqual([{ code: '404', description: 'service_code 9999 not found' }]);
      await expect(xml.serviceDefinition('9999')).rejects.toMatchObject({ status: 404, errors: [{ code: 404, description: 'service_code 9999 not found' }] });
    });

    it('answers 404 for another jurisdiction_id and accepts its own', async () => {
      const other = new GeoReportClient({ endpoint, jurisdictionId: 'elsewhere.gov' });
      await expect(other.services()).rejects.toMatchObject({ status: 404, errors: [{ code: 404, description: 'jurisdiction_id elsewhere.gov not found' }] });
      const own = new GeoReportClient({ endpoint, jurisdictionId: 'zhian.example.cn' });
      expect(await own.services()).toHaveLength(2);
    });
  });

  describe('POST requests', () => {
    it('creates a request from a form body and answers [{service_request_id, token, service_notice, account_id}]', async () => {
      const created = await json.createRequest({
        service_code: '0101',
        ...point,
        description: '小区门口垃圾堆了三天没人清理',
        phone: '13800001111',
        email: 'a@example.com',
        first_name: '小明',
        last_name: '王',
        account_id: 'acc-9',
        device_id: 'dev-1',
        address_string: '文一路 1 号',
        media_url: 'https://img.example.com/a.jpg',
      });
      expect(created.service_request_id).toMatch(/^00000000-/);
      expect(created.token).toMatch(/^tok/);
      expect(created.account_id).toBe('acc-9');
      expect(created.service_notice).toMatch(/^已受理.*预计 \d{4}-\d{2}-\d{2} \d{2}:\d{2} 前办结/);
      expect(mem.calls.create).toHaveLength(1);
      const call = mem.calls.create[0];
      expect(call.client.keyId).toBe('k1');
      expect(call.input).toEqual({
        serviceCode: '0101',
        lat: 30.25,
        long: 120.16,
        addressString: '文一路 1 号',
        description: '小区门口垃圾堆了三天没人清理',
        email: 'a@example.com',
        deviceId: 'dev-1',
        accountId: 'acc-9',
        firstName: '小明',
        lastName: '王',
        phone: '13800001111',
        mediaUrl: 'https://img.example.com/a.jpg',
      });
      expect(call.ctx.ip).toBe('127.0.0.1');
      expect(call.ctx.requestId).toBeTruthy();
    });

    it('the raw JSON answer matches the POST schema; XML uses <service_requests><request>', async () => {
      const form = new URLSearchParams({ api_key: GOOD_KEY, service_code: '0101', address_id: 'addr-1' });
      const res = await json.call('POST', 'requests', undefined, form);
      expect(res.status).toBe(200);
      expect(res.contentType).toBe('application/json; charset=utf-8');
      const answer = expectValid('postRequestResponse', res.body);
      expect(answer).toHaveLength(1);
      expect(Object.keys(answer[0])).toEqual(['service_request_id', 'token', 'service_notice', 'account_id']);
      expect(answer[0].account_id).toBeNull();

      const x = await xml.call('POST', 'requests', undefined, form);
      expect(x.status).toBe(200);
      expect(x.contentType).toBe('text/xml; charset=utf-8');
      const doc = parseGeoReportXml(x.body) as any;
      expect(doc.service_requests.request).toHaveLength(1);
      expect(doc.service_requests.request[0].service_request_id).toMatch(/^00000000-/);
      expect(doc.service_requests.request[0].account_id).toBe('');
      const viaXml = await xml.createRequest({ service_code: '0102', address_string: '西湖区某路' });
      expect(viaXml.service_request_id).toMatch(/^00000000-/);
      expect(viaXml.account_id).toBeNull();
    });

    it('takes api_key from the query string too, and ignores empty optional fields', async () => {
      const res = await anon.call('POST', `requests`, { api_key: GOOD_KEY }, new URLSearchParams({ service_code: '0101', lat: '30.1', long: '120.2', email: '', phone: ' ' }));
      expect(res.status).toBe(200);
      expect(mem.calls.create[0].input).toEqual({ serviceCode: '0101', lat: 30.1, long: 120.2 });
    });

    it('403 without api_key and with an unknown one (JSON and XML), before looking at the fields', async () => {
      const missing = await anon.call('POST', 'requests', undefined, new URLSearchParams({ service_code: '0101', ...str(point) }));
      expect(missing.status).toBe(403);
      expect(expectValid('errors', missing.body)[0]).toEqual({ code: 403, description: expect.stringContaining('api_key') });
      const bad = new GeoReportClient({ endpoint, apiKey: 'nope' });
      await expect(bad.createRequest({ service_code: '0101', ...point })).rejects.toMatchObject({ status: 403, errors: [{ code: 403, description: expect.stringMatching(/Invalid api_key/) }] });
      const badXml = await bad.withFormat('xml').call('POST', 'requests', undefined, new URLSearchParams({ api_key: 'nope' }));
      expect(badXml.status).toBe(403);
      expect(badXml.contentType).toBe('text/xml; charset=utf-8');
      expect(badXml.body).toMatch(/<errors>\s*<error>\s*<code>403<\/code>\s*<description>Invalid api_key/);
      expect(mem.calls.create).toHaveLength(0);
    });

    it('400 naming the field: missing service_code, no location, lat without long, bad lat/long, long description, bad media_url', async () => {
      const cases: [Record<string, string>, string][] = [
        [{ ...str(point) }, 'service_code: is required'],
        [{ service_code: '', ...str(point) }, 'service_code: is required'],
        [{ service_code: '0101' }, 'location: one of lat & long, address_string or address_id is required'],
        [{ service_code: '0101', lat: '30' }, 'long: lat and long must both be sent'],
        [{ service_code: '0101', long: '120' }, 'lat: lat and long must both be sent'],
        [{ service_code: '0101', lat: 'abc', long: '120' }, 'lat: not a number'],
        [{ service_code: '0101', lat: '91', long: '120' }, 'lat: must be between -90 and 90 (WGS84 degrees)'],
        [{ service_code: '0101', lat: '30', long: '181' }, 'long: must be between -180 and 180 (WGS84 degrees)'],
        [{ service_code: '0101', lat: '30', long: '0x10' }, 'long: not a number'],
        [{ service_code: '0101', address_string: 'x', description: '字'.repeat(4001) }, 'description: at most 4000 characters'],
        [{ service_code: '0101', address_string: 'x', media_url: 'javascript:alert(1)' }, 'media_url: must be an http(s) URL'],
      ];
      for (const [fields, description] of cases) {
        const res = await json.call('POST', 'requests', undefined, new URLSearchParams({ api_key: GOOD_KEY, ...fields }));
        expect(res.status, JSON.stringify(fields)).toBe(400);
        expect(expectValid('errors', res.body)).toEqual([{ code: 400, description }]);
      }
      expect(mem.calls.create).toHaveLength(0);
      await expect(xml.createRequest({ service_code: '0101' })).rejects.toMatchObject({ status: 400, errors: [{ code: 400, description: expect.stringContaining('location') }] });
    });

    it('404 for an unknown service_code (spec: "service_code was not found")', async () => {
      await expect(json.createRequest({ service_code: '9999', ...point })).rejects.toMatchObject({ status: 404, errors: [{ code: 404, description: 'service_code 9999 not found' }] });
      expect(mem.calls.create).toHaveLength(0);
    });

    it('maps validation errors of the port to 400, one error per field', async () => {
      await expect(json.createRequest({ service_code: '0101', lat: 10, long: 10 })).rejects.toMatchObject({ status: 400, errors: [{ code: 400, description: 'lat: 该位置不在本区范围内' }] });
      const res = await json.call('POST', 'requests', undefined, new URLSearchParams({ api_key: GOOD_KEY, service_code: '0101', ...str(point), description: 'boom' }));
      expect(res.status).toBe(400);
      expect(expectValid('errors', res.body)).toEqual([
        { code: 400, description: 'description: too short' },
        { code: 400, description: 'phone: not a phone number' },
      ]);
      const x = await xml.call('POST', 'requests', undefined, new URLSearchParams({ api_key: GOOD_KEY, service_code: '0101', ...str(point), description: 'boom' }));
      expect((parseGeoReportXml(x.body) as any).errors.error).toHaveLength(2);
    });

    it('a multipart body is refused in the spec format', async () => {
      const fd = new FormData();
      fd.set('api_key', GOOD_KEY);
      const res = await fetch(`${endpoint}/requests.json`, { method: 'POST', body: fd });
      expect(res.status).toBe(415);
      expectValid('errors', await res.text());
    });
  });

  describe('tokens', () => {
    it('resolves a token to its request id, and 404 for an unknown one', async () => {
      const created = await json.createRequest({ service_code: '0101', ...point });
      const res = await json.call('GET', `tokens/${created.token}`);
      expect(expectValid('tokenResponse', res.body)).toEqual([{ service_request_id: created.service_request_id, token: created.token }]);
      expect(await xml.token(created.token!)).toEqual({ service_request_id: created.service_request_id, token: created.token });
      const x = await xml.call('GET', `tokens/${created.token}`);
      expect((parseGeoReportXml(x.body) as any).service_requests.request[0]).toEqual({ service_request_id: created.service_request_id, token: created.token });
      const missing = await json.call('GET', 'tokens/nope');
      expect(missing.status).toBe(404);
      expect(expectValid('errors', missing.body)).toEqual([{ code: 404, description: 'token nope not found' }]);
      await expect(xml.token('nope')).rejects.toBeInstanceOf(GeoReportError);
    });
  });

  describe('GET requests', () => {
    it('defaults to the last 90 days and at most 1000 results', async () => {
      const before = Date.now();
      const res = await json.call('GET', 'requests');
      expect(res.status).toBe(200);
      expectValid('requests', res.body);
      expect(mem.calls.list).toHaveLength(1);
      const f = mem.calls.list[0];
      expect(f.limit).toBe(1000);
      expect(f.ids).toBeUndefined();
      expect(f.serviceCode).toBeUndefined();
      expect(f.status).toBeUndefined();
      expect(f.endDate!.getTime()).toBeGreaterThanOrEqual(before);
      expect(f.endDate!.getTime()).toBeLessThanOrEqual(Date.now());
      expect(f.endDate!.getTime() - f.startDate!.getTime()).toBe(90 * DAY);
    });

    it('never answers more than 1000 requests even if the port returns more', async () => {
      mem.setList(Array.from({ length: 1500 }, (_, i) => sampleRequest(i)));
      const list = await json.requests();
      expect(list).toHaveLength(MAX_RESULTS);
      expect((await xml.requests()).length).toBe(MAX_RESULTS);
    });

    it('service_request_id (comma list) overrides every other argument, even invalid ones', async () => {
      await json.requests({ service_request_id: ['a', 'b', 'a'], service_code: '0101', status: 'open', start_date: 'not-a-date', end_date: '2010-01-01T00:00:00Z' });
      expect(mem.calls.list[0]).toEqual({ ids: ['a', 'b'], limit: 1000 });
      const res = await json.call('GET', 'requests', { service_request_id: ' x , y ', status: 'bogus' });
      expect(res.status).toBe(200);
      expect(mem.calls.list[1]).toEqual({ ids: ['x', 'y'], limit: 1000 });
    });

    it('parses service_code and status comma lists (and repeated parameters)', async () => {
      await json.requests({ service_code: ['0101', '0102'], status: ['open', 'closed'] });
      expect(mem.calls.list[0]).toMatchObject({ serviceCode: ['0101', '0102'], status: ['open', 'closed'], limit: 1000 });
      const res = await fetch(`${endpoint}/requests.json?status=open&status=closed&service_code=0101`);
      expect(res.status).toBe(200);
      expect(mem.calls.list[1]).toMatchObject({ serviceCode: ['0101'], status: ['open', 'closed'] });
      await json.requests({ status: 'closed' });
      expect(mem.calls.list[2].status).toEqual(['closed']);
      const empty = await json.call('GET', 'requests', { status: '', service_code: '' });
      expect(empty.status).toBe(200);
      expect(mem.calls.list[3].status).toBeUndefined();
      expect(mem.calls.list[3].serviceCode).toBeUndefined();
    });

    it('400 for an unknown status', async () => {
      const res = await json.call('GET', 'requests', { status: 'open,pending' });
      expect(res.status).toBe(400);
      expect(expectValid('errors', res.body)).toEqual([{ code: 400, description: 'status: pending is not one of open, closed' }]);
    });

    it('passes W3C dates; a one-sided window spans 90 days', async () => {
      await json.requests({ start_date: '2024-01-01T00:00:00Z', end_date: '2024-02-01T08:00:00+08:00' });
      expect(mem.calls.list[0].startDate!.toISOString()).toBe('2024-01-01T00:00:00.000Z');
      expect(mem.calls.list[0].endDate!.toISOString()).toBe('2024-02-01T00:00:00.000Z');
      await json.requests({ start_date: new Date('2024-03-01T00:00:00Z') });
      expect(mem.calls.list[1].endDate!.toISOString()).toBe('2024-05-30T00:00:00.000Z');
      await json.requests({ end_date: '2024-03-31T00:00Z' });
      expect(mem.calls.list[2].startDate!.toISOString()).toBe('2024-01-01T00:00:00.000Z');
      await json.requests({ start_date: '2024-01-01', end_date: '2024-01-02' });
      expect(mem.calls.list[3].startDate!.toISOString()).toBe('2023-12-31T16:00:00.000Z');
    });

    it('400 for bad dates, end before start, and a span over 90 days', async () => {
      const cases: [Record<string, string>, string][] = [
        [{ start_date: 'yesterday' }, 'start_date: must be a W3C date-time with a time zone, e.g. 2010-01-01T00:00:00Z'],
        [{ end_date: '2024-01-01T00:00:00' }, 'end_date: must be a W3C date-time with a time zone, e.g. 2010-01-01T00:00:00Z'],
        [{ start_date: '2024-02-30T00:00:00Z' }, 'start_date: 2024-02-30T00:00:00Z is not a valid date-time'],
        [{ start_date: '2024-01-01T25:00:00Z' }, 'start_date: 2024-01-01T25:00:00Z is not a valid date-time'],
        [{ start_date: '2024-03-01T00:00:00Z', end_date: '2024-02-01T00:00:00Z' }, 'end_date: must not be before start_date'],
        [{ start_date: '2024-01-01T00:00:00Z', end_date: '2024-04-01T00:00:00Z' }, 'start_date, end_date: may not span more than 90 days'],
      ];
      for (const [q, description] of cases) {
        const res = await json.call('GET', 'requests', q);
        expect(res.status, JSON.stringify(q)).toBe(400);
        expect(expectValid('errors', res.body)).toEqual([{ code: 400, description }]);
      }
      const x = await xml.call('GET', 'requests', { start_date: 'yesterday' });
      expect(x.status).toBe(400);
      expect(x.body).toContain('<code>400</code>');
      expect(mem.calls.list).toHaveLength(0);
    });

    it('renders every field of a request; nulls are JSON null and empty XML elements', async () => {
      mem.setList([
        sampleRequest(1, { lat: 30.25, long: 120.16, address: '文一路 1 号', addressId: 'A-1', mediaUrl: '/api/v1/files/abc/content', agencyResponsible: '测试城管' }),
        sampleRequest(2, { status: 'open', statusNotes: null, serviceCode: null, serviceName: null, description: '', expectedAt: new Date(Date.UTC(2024, 4, 3, 9, 0, 0)) }),
      ]);
      const res = await json.call('GET', 'requests');
      const list = expectValid('requests', res.body);
      for (const r of list) expect(Object.keys(r)).toEqual([...REQUEST_FIELDS]);
      expect(list[0]).toEqual({
        service_request_id: 'r-1',
        status: 'closed',
        status_notes: '已办结',
        service_name: '暴露垃圾',
        service_code: '0101',
        description: '第1件',
        agency_responsible: '测试城管',
        service_notice: null,
        requested_datetime: '2024-05-01T09:02:03+08:00',
        updated_datetime: '2024-05-03T00:30:00+08:00',
        expected_datetime: null,
        address: '文一路 1 号',
        address_id: 'A-1',
        zipcode: null,
        lat: 30.25,
        long: 120.16,
        media_url: `${origin}/api/v1/files/abc/content`,
      });
      expect(list[1]).toMatchObject({ status: 'open', service_code: null, service_name: null, description: null, expected_datetime: '2024-05-03T17:00:00+08:00', service_notice: '已受理，将按时限派遣处置，预计 2024-05-03 17:00 前办结。' });

      const x = await xml.call('GET', 'requests');
      expect(x.contentType).toBe('text/xml; charset=utf-8');
      expect(x.body).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<service_requests>\n\s+<request>/);
      const doc = parseGeoReportXml(x.body) as any;
      expect(doc.service_requests.request).toHaveLength(2);
      expect(Object.keys(doc.service_requests.request[0])).toEqual([...REQUEST_FIELDS]);
      expect(doc.service_requests.request[0].zipcode).toBe('');
      expect(doc.service_requests.request[0].lat).toBe('30.25');
      expect(await xml.requests()).toEqual(await json.requests());
    });

    it('an empty list is [] in JSON and an empty <service_requests> in XML', async () => {
      mem.setList([]);
      expect(JSON.parse((await json.call('GET', 'requests')).body)).toEqual([]);
      const x = await xml.call('GET', 'requests');
      expect(x.body).toMatch(/<service_requests><\/service_requests>|<service_requests\/>/);
      expect(await xml.requests()).toEqual([]);
    });

    it('strips characters XML cannot carry', async () => {
      mem.setList([sampleRequest(1, { description: 'a\u0001b\u000bc <&> "d"' })]);
      const x = await xml.call('GET', 'requests');
      expect((parseGeoReportXml(x.body) as any).service_requests.request[0].description).toBe('abc <&> "d"');
      expect((await json.requests())[0].description).toBe('a\u0001b\u000bc <&> "d"');
    });
  });

  describe('GET requests/{id}', () => {
    it('answers an array of one request, or 404', async () => {
      const created = await json.createRequest({ service_code: '0101', ...point, description: '井边垃圾' });
      const id = created.service_request_id!;
      const res = await json.call('GET', `requests/${id}`);
      const list = expectValid('requests', res.body);
      expect(list).toHaveLength(1);
      expect(list[0]).toMatchObject({ service_request_id: id, status: 'open', service_name: '暴露垃圾', description: '井边垃圾', lat: 30.25, long: 120.16 });
      expect(list[0].requested_datetime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/);
      expect(await xml.request(id)).toEqual(await json.request(id));

      const missing = await json.call('GET', 'requests/does-not-exist');
      expect(missing.status).toBe(404);
      expect(expectValid('errors', missing.body)).toEqual([{ code: 404, description: 'service_request_id does-not-exist not found' }]);
      const missingXml = await xml.call('GET', 'requests/does-not-exist');
      expect(missingXml.status).toBe(404);
      expect((parseGeoReportXml(missingXml.body) as any).errors.error[0].code).toBe('404');
    });
  });

  describe('errors outside the resources', () => {
    it('unknown resources and formats are 404 in the spec format', async () => {
      const r1 = await fetch(`${endpoint}/nothing.json`);
      expect(r1.status).toBe(404);
      expectValid('errors', await r1.text());
      const r2 = await fetch(`${endpoint}/services.html`);
      expect(r2.status).toBe(404);
      expect(r2.headers.get('content-type')).toBe('text/xml; charset=utf-8');
      expect(await r2.text()).toContain('<errors>');
      const r3 = await fetch(`${endpoint}/services`, { headers: { accept: 'application/json' } });
      expect(r3.status).toBe(404);
      expectValid('errors', await r3.text());
    });

    it('an unexpected failure is a 500 without internals', async () => {
      mem.failOnce(new Error('database exploded at 10.0.0.3'));
      const res = await json.call('GET', 'services');
      expect(res.status).toBe(500);
      expect(expectValid('errors', res.body)).toEqual([{ code: 500, description: 'internal error' }]);
    });

    it('the platform error shape stays outside /open311', async () => {
      const res = await fetch(`${origin}/api/v1/nothing`);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
    });
  });

  describe('helpers', () => {
    it('formats instants in Asia/Shanghai', () => {
      expect(shanghaiDateTime(new Date('2024-12-31T16:00:00Z'))).toBe('2025-01-01T00:00:00+08:00');
    });
    it('parses the W3C profile, with or without seconds and fractions', () => {
      expect(parseW3cDate('d', '1994-11-05T08:15:30-05:00').toISOString()).toBe('1994-11-05T13:15:30.000Z');
      expect(parseW3cDate('d', '1994-11-05T13:15:30.5Z').toISOString()).toBe('1994-11-05T13:15:30.500Z');
      expect(parseW3cDate('d', '1994-11-05T13:15Z').toISOString()).toBe('1994-11-05T13:15:00.000Z');
      expect(() => parseW3cDate('d', '1994-11-05 13:15:30Z')).toThrow();
    });
  });
});

function str(o: Record<string, number | string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)]));
}
