import { XMLParser } from 'fast-xml-parser';
import type {
  CreatedServiceRequest,
  Discovery,
  DiscoveryEndpoint,
  GeoReportErrorItem,
  GeoReportFormat,
  NewServiceRequest,
  Service,
  ServiceAttribute,
  ServiceDefinition,
  ServiceRequest,
  ServiceRequestFilter,
  TokenAnswer,
} from './georeport-v2.types.js';

/**
 * A client of Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2), written from the spec:
 * fetch-based, JSON or XML. Answers come back as the spec's JSON objects whichever format is
 * used on the wire: XML is parsed and normalised (empty elements → null, repeated elements →
 * arrays, numbers and booleans typed, ids as strings), and JSON is normalised the same way (a
 * server may send numeric ids, as the spec's own examples do).
 */

export interface GeoReportClientOptions {
  /** The GeoReport v2 endpoint, e.g. https://city.example/open311/v2 (the discovery document's endpoint url). */
  endpoint: string;
  /** Wire format; default json. */
  format?: GeoReportFormat;
  /** Needed for POST requests only. */
  apiKey?: string;
  /** Sent with every call when the server serves several jurisdictions. */
  jurisdictionId?: string;
  /** The discovery URL without its extension (must end in /discovery); default `${endpoint}/discovery`. */
  discoveryUrl?: string;
  /** Per call; default 15 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  headers?: Record<string, string>;
}

/** A raw answer, for callers (and tests) that look at the wire. */
export interface GeoReportResponse {
  status: number;
  contentType: string;
  body: string;
  /** JSON.parse of the body, or the XMLParser document; undefined when the body does not parse. */
  data: unknown;
}

/** A non-2xx answer, with the spec's error list (or one synthesised from the status). */
export class GeoReportError extends Error {
  constructor(
    readonly status: number,
    readonly errors: GeoReportErrorItem[],
    readonly body: string,
  ) {
    super(`Open311 ${status}: ${errors.map((e) => e.description).join('; ') || 'error'}`);
    this.name = 'GeoReportError';
  }
}

/** The answer did not have the spec's shape. */
export class GeoReportProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GeoReportProtocolError';
  }
}

const MIME: Record<GeoReportFormat, string> = { json: 'application/json', xml: 'text/xml' };

/** Elements that repeat inside a container: always arrays once parsed (the spec's "Spark" convention). */
const XML_ARRAYS = new Set([
  'services.service',
  'service_requests.request',
  'errors.error',
  'discovery.endpoints.endpoint',
  'discovery.endpoints.endpoint.formats.format',
  'service_definition.attributes.attribute',
  'service_definition.attributes.attribute.values.value',
]);

const xmlParser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  parseTagValue: false,
  trimValues: true,
  isArray: (_name, jPath) => XML_ARRAYS.has(typeof jPath === 'string' ? jPath : jPath.toString()),
});

/** Parses a GeoReport XML document (exported for tests and for forwarding code). */
export function parseGeoReportXml(xml: string): Record<string, unknown> {
  return xmlParser.parse(xml, true) as Record<string, unknown>;
}

export class GeoReportClient {
  readonly endpoint: string;
  readonly format: GeoReportFormat;

  constructor(private readonly opts: GeoReportClientOptions) {
    this.endpoint = opts.endpoint.replace(/\/+$/, '');
    this.format = opts.format ?? 'json';
  }

  /** The same client speaking another format. */
  withFormat(format: GeoReportFormat): GeoReportClient {
    return new GeoReportClient({ ...this.opts, format });
  }

  async discovery(): Promise<Discovery> {
    const base = (this.opts.discoveryUrl ?? `${this.endpoint}/discovery`).replace(/\.(json|xml)$/, '');
    const doc = await this.expect(await this.send('GET', `${base}.${this.format}`));
    return normaliseDiscovery(this.format === 'xml' ? (doc as Record<string, unknown>).discovery : doc);
  }

  async services(): Promise<Service[]> {
    const doc = await this.expect(await this.call('GET', 'services'));
    return this.list(doc, 'services', 'service').map(normaliseService);
  }

  async serviceDefinition(code: string): Promise<ServiceDefinition> {
    const doc = await this.expect(await this.call('GET', `services/${encodeURIComponent(code)}`));
    return normaliseDefinition(this.format === 'xml' ? (doc as Record<string, unknown>).service_definition : doc);
  }

  /** POST requests (form-encoded, with api_key). The spec answers an array of one. */
  async createRequest(fields: NewServiceRequest): Promise<CreatedServiceRequest> {
    const form = new URLSearchParams();
    if (this.opts.apiKey !== undefined) form.set('api_key', this.opts.apiKey);
    if (this.opts.jurisdictionId !== undefined) form.set('jurisdiction_id', this.opts.jurisdictionId);
    const { attributes, ...plain } = fields;
    for (const [k, v] of Object.entries(plain)) if (v !== undefined && v !== null) form.set(k, String(v));
    for (const [code, v] of Object.entries(attributes ?? {})) {
      if (Array.isArray(v)) for (const one of v) form.append(`attribute[${code}][]`, one);
      else form.set(`attribute[${code}]`, v);
    }
    const doc = await this.expect(await this.call('POST', 'requests', undefined, form));
    const first = this.list(doc, 'service_requests', 'request')[0];
    if (first === undefined) throw new GeoReportProtocolError('POST requests answered an empty list');
    return normaliseCreated(first);
  }

  async token(token: string): Promise<TokenAnswer> {
    const doc = await this.expect(await this.call('GET', `tokens/${encodeURIComponent(token)}`));
    const first = this.list(doc, 'service_requests', 'request')[0];
    if (first === undefined) throw new GeoReportProtocolError('GET token answered an empty list');
    const o = obj(first);
    return { service_request_id: requiredString(o.service_request_id, 'service_request_id'), token: requiredString(o.token, 'token') };
  }

  async requests(filter: ServiceRequestFilter = {}): Promise<ServiceRequest[]> {
    const doc = await this.expect(await this.call('GET', 'requests', requestsQuery(filter)));
    return this.list(doc, 'service_requests', 'request').map(normaliseRequest);
  }

  async request(id: string): Promise<ServiceRequest> {
    const doc = await this.expect(await this.call('GET', `requests/${encodeURIComponent(id)}`));
    const first = this.list(doc, 'service_requests', 'request')[0];
    if (first === undefined) throw new GeoReportError(404, [{ code: 404, description: `service_request_id ${id} not found` }], '');
    return normaliseRequest(first);
  }

  /**
   * One call to `${endpoint}/${resource}.${format}` without interpreting the status; query
   * values that are arrays are sent comma separated.
   */
  async call(method: 'GET' | 'POST', resource: string, query?: Record<string, string | undefined>, form?: URLSearchParams): Promise<GeoReportResponse> {
    const url = new URL(`${this.endpoint}/${resource}.${this.format}`);
    if (method === 'GET' && this.opts.jurisdictionId !== undefined) url.searchParams.set('jurisdiction_id', this.opts.jurisdictionId);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    return this.send(method, url.toString(), form);
  }

  private async send(method: 'GET' | 'POST', url: string, form?: URLSearchParams): Promise<GeoReportResponse> {
    const headers: Record<string, string> = { accept: MIME[this.format], ...(this.opts.headers ?? {}) };
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded; charset=utf-8';
    const res = await (this.opts.fetch ?? fetch)(url, {
      method,
      headers,
      body: form ? form.toString() : undefined,
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000),
    });
    const body = await res.text();
    const contentType = res.headers.get('content-type') ?? '';
    return { status: res.status, contentType, body, data: parseBody(body, contentType, this.format) };
  }

  private async expect(res: GeoReportResponse): Promise<unknown> {
    if (res.status >= 200 && res.status < 300) {
      if (res.data === undefined) throw new GeoReportProtocolError(`unparseable ${this.format} answer (${res.contentType})`);
      return res.data;
    }
    throw new GeoReportError(res.status, errorsOf(res), res.body);
  }

  /** The items of a list answer: a JSON array, or the children of the XML root. */
  private list(doc: unknown, root: string, child: string): unknown[] {
    if (this.format === 'json') {
      if (!Array.isArray(doc)) throw new GeoReportProtocolError(`expected a JSON array of ${child}`);
      return doc;
    }
    const d = doc as Record<string, unknown> | undefined;
    if (!d || !(root in d)) throw new GeoReportProtocolError(`expected an XML <${root}> root`);
    const container = d[root];
    if (container === '' || container === null || container === undefined) return [];
    const items = (container as Record<string, unknown>)[child];
    return Array.isArray(items) ? items : [];
  }
}

export function createGeoReportClient(opts: GeoReportClientOptions): GeoReportClient {
  return new GeoReportClient(opts);
}

function parseBody(body: string, contentType: string, format: GeoReportFormat): unknown {
  const looksJson = /json/i.test(contentType) || (!/xml/i.test(contentType) && format === 'json');
  try {
    if (looksJson) return JSON.parse(body);
    if (!body.trim()) return undefined;
    return parseGeoReportXml(body);
  } catch {
    return undefined;
  }
}

/** The spec's error list from an error answer, or one item made from the status. */
function errorsOf(res: GeoReportResponse): GeoReportErrorItem[] {
  let items: unknown[] = [];
  if (Array.isArray(res.data)) items = res.data;
  else if (res.data && typeof res.data === 'object') {
    const errors = (res.data as Record<string, unknown>).errors;
    const list = errors && typeof errors === 'object' ? (errors as Record<string, unknown>).error : undefined;
    if (Array.isArray(list)) items = list;
  }
  const out = items.map((e) => {
    const o = obj(e);
    return { code: num(o.code) ?? res.status, description: str(o.description) ?? '' };
  });
  return out.length ? out : [{ code: res.status, description: res.body.slice(0, 300) || `HTTP ${res.status}` }];
}

function requestsQuery(f: ServiceRequestFilter): Record<string, string | undefined> {
  const list = (v: string | string[] | undefined) => (v === undefined ? undefined : Array.isArray(v) ? v.join(',') : v);
  const date = (v: Date | string | undefined) => (v === undefined ? undefined : v instanceof Date ? v.toISOString() : v);
  return {
    service_request_id: list(f.service_request_id),
    service_code: list(f.service_code),
    start_date: date(f.start_date),
    end_date: date(f.end_date),
    status: list(f.status),
  };
}

// ---- normalisation: JSON and parsed XML to the spec's JSON objects ----

function obj(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** Empty → null; numbers and booleans as text (ids and codes may come as numbers). */
function str(v: unknown): string | null {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

function requiredString(v: unknown, field: string): string {
  const s = str(v);
  if (s === null) throw new GeoReportProtocolError(`${field} is missing`);
  return s;
}

function num(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

function bool(v: unknown): boolean {
  return v === true || v === 'true' || v === 1 || v === '1';
}

/** A JSON array, or an XML container whose repeated child holds the items. */
function items(v: unknown, child: string): unknown[] {
  if (Array.isArray(v)) return v;
  const inner = obj(v)[child];
  if (Array.isArray(inner)) return inner;
  return inner === undefined || inner === '' || inner === null ? [] : [inner];
}

function normaliseDiscovery(v: unknown): Discovery {
  const o = obj(v);
  return {
    changeset: str(o.changeset) ?? '',
    contact: str(o.contact) ?? '',
    key_service: str(o.key_service) ?? '',
    endpoints: items(o.endpoints, 'endpoint').map((e): DiscoveryEndpoint => {
      const x = obj(e);
      return {
        specification: str(x.specification) ?? '',
        url: str(x.url) ?? '',
        changeset: str(x.changeset) ?? '',
        type: str(x.type) === 'test' ? 'test' : 'production',
        formats: items(x.formats, 'format').map((f) => str(f)).filter((f): f is string => f !== null),
      };
    }),
  };
}

function normaliseService(v: unknown): Service {
  const o = obj(v);
  const type = str(o.type);
  return {
    service_code: requiredString(o.service_code, 'service_code'),
    service_name: str(o.service_name) ?? '',
    description: str(o.description),
    metadata: bool(o.metadata),
    type: type === 'batch' || type === 'blackbox' ? type : 'realtime',
    keywords: str(o.keywords),
    group: str(o.group),
  };
}

function normaliseDefinition(v: unknown): ServiceDefinition {
  const o = obj(v);
  return {
    service_code: requiredString(o.service_code, 'service_code'),
    attributes: items(o.attributes, 'attribute').map((a): ServiceAttribute => {
      const x = obj(a);
      return {
        variable: bool(x.variable),
        code: requiredString(x.code, 'attribute code'),
        datatype: (str(x.datatype) ?? 'string') as ServiceAttribute['datatype'],
        required: bool(x.required),
        datatype_description: str(x.datatype_description),
        order: num(x.order),
        description: str(x.description),
        values: items(x.values, 'value').map((kv) => {
          const y = obj(kv);
          return { key: str(y.key) ?? '', name: str(y.name) ?? '' };
        }),
      };
    }),
  };
}

function normaliseCreated(v: unknown): CreatedServiceRequest {
  const o = obj(v);
  const created = { service_request_id: str(o.service_request_id), token: str(o.token), service_notice: str(o.service_notice), account_id: str(o.account_id) };
  if (created.service_request_id === null && created.token === null) throw new GeoReportProtocolError('POST requests answered neither service_request_id nor token');
  return created;
}

function normaliseRequest(v: unknown): ServiceRequest {
  const o = obj(v);
  return {
    service_request_id: requiredString(o.service_request_id, 'service_request_id'),
    status: str(o.status) === 'closed' ? 'closed' : 'open',
    status_notes: str(o.status_notes),
    service_name: str(o.service_name),
    service_code: str(o.service_code),
    description: str(o.description),
    agency_responsible: str(o.agency_responsible),
    service_notice: str(o.service_notice),
    requested_datetime: requiredString(o.requested_datetime, 'requested_datetime'),
    updated_datetime: str(o.updated_datetime),
    expected_datetime: str(o.expected_datetime),
    address: str(o.address),
    address_id: str(o.address_id),
    zipcode: str(o.zipcode),
    lat: num(o.lat),
    long: num(o.long),
    media_url: str(o.media_url),
  };
}
