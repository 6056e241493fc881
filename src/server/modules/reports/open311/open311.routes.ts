import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { XMLBuilder } from 'fast-xml-parser';
import type { App } from '../../../platform/http/app.js';
import { AppError } from '../../../platform/http/errors.js';
import {
  GEOREPORT_V2_SPEC,
  type CreatedServiceRequest,
  type Discovery,
  type GeoReportErrorItem,
  type GeoReportFormat,
  type Service,
  type ServiceDefinition,
  type ServiceRequest,
  type TokenAnswer,
} from './georeport-v2.types.js';
import type { Open311Filter, Open311NewRequest, Open311Port, Open311Request } from './open311.port.js';

/**
 * Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2) under /open311/v2/: discovery, services,
 * service definitions, POST requests (api_key), tokens, requests. Every resource answers in JSON
 * or XML after its extension; errors come in the spec's shape ([{code, description}] /
 * <errors><error>…) and not in the platform's {error:{…}}.
 */

export const OPEN311_PREFIX = '/open311/v2';
/** Sortable; when the service list or definitions last changed in a way clients should refetch. */
export const OPEN311_CHANGESET = '2025-06-01 00:00';
/** Spec: "Default query limit is a span of 90 days or first 1000 requests returned, whichever is smallest." */
export const MAX_RESULTS = 1000;
export const MAX_SPAN_DAYS = 90;
const DAY_MS = 86_400_000;
const FORMATS = ['json', 'xml'] as const;
const CONTENT_TYPE: Record<GeoReportFormat, string> = { json: 'application/json; charset=utf-8', xml: 'text/xml; charset=utf-8' };
const DESCRIPTION_MAX = 4000;

export interface Open311RouteOptions {
  port: Open311Port;
  /** Public origin, e.g. https://zhian.example.gov.cn; default: the request's protocol and host. */
  baseUrl?: string;
  /** When set, a jurisdiction_id other than this one is answered 404 (the parameter stays optional). */
  jurisdictionId?: string;
  contact?: string;
}

/** An error to answer in the spec's format. */
class Open311Error extends Error {
  constructor(
    readonly status: number,
    readonly items: GeoReportErrorItem[],
  ) {
    super(items.map((i) => i.description).join('; '));
  }
}
const badRequest = (description: string) => new Open311Error(400, [{ code: 400, description }]);
const notFound = (description: string) => new Open311Error(404, [{ code: 404, description }]);
const forbidden = (description: string) => new Open311Error(403, [{ code: 403, description }]);

type Params = Record<string, string | undefined>;
type Query = Record<string, string | string[] | undefined>;

export function registerOpen311Routes(app: App, opts: Open311RouteOptions) {
  const { port } = opts;
  const contact = opts.contact ?? '智安平台运维组 Zhian platform operations';
  const tags = ['open311'];

  app.register(
    async (scope) => {
      // POST requests are application/x-www-form-urlencoded (spec "Format sent").
      scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
        const out: Record<string, string> = {};
        for (const [k, v] of new URLSearchParams(body as string)) if (!(k in out)) out[k] = v;
        done(null, out);
      });
      scope.setErrorHandler((err: FastifyError | Error, req, reply) => sendError(req, reply, err));
      scope.setNotFoundHandler((req, reply) => sendError(req, reply, notFound(`no resource ${req.method} ${req.url.split('?')[0]}`)));

      scope.get('/discovery.:format', { schema: { tags, summary: 'Open311 服务发现 Service discovery' } }, async (req, reply) => {
        const format = formatOf(req);
        const base = originOf(req, opts.baseUrl);
        const doc: Discovery = {
          changeset: OPEN311_CHANGESET,
          contact,
          key_service: '向平台管理员申请 API key（系统管理 → Open311 密钥，按区县签发）。Ask the platform administrators for an api_key.',
          endpoints: [
            { specification: GEOREPORT_V2_SPEC, url: `${base}${OPEN311_PREFIX}`, changeset: OPEN311_CHANGESET, type: 'production', formats: ['text/xml', 'application/json'] },
          ],
        };
        return send(reply, format, 200, doc, () => ({
          discovery: {
            changeset: doc.changeset,
            contact: doc.contact,
            key_service: doc.key_service,
            endpoints: { endpoint: doc.endpoints.map((e) => ({ ...e, formats: { format: e.formats } })) },
          },
        }));
      });

      scope.get('/services.:format', { schema: { tags, summary: 'Open311 服务类型 Service list' } }, async (req, reply) => {
        const format = formatOf(req);
        checkJurisdiction(req.query as Query, opts.jurisdictionId);
        const services: Service[] = (await port.services()).map((s) => ({
          service_code: s.code,
          service_name: s.name,
          description: s.description || null,
          metadata: false,
          type: 'realtime',
          keywords: s.keywords.length ? s.keywords.join(',') : null,
          group: s.group || null,
        }));
        return send(reply, format, 200, services, () => ({ services: { service: services } }));
      });

      scope.get('/services/:code.:format', { schema: { tags, summary: 'Open311 服务定义 Service definition' } }, async (req, reply) => {
        const format = formatOf(req);
        checkJurisdiction(req.query as Query, opts.jurisdictionId);
        const code = (req.params as Params).code ?? '';
        const found = (await port.services()).find((s) => s.code === code);
        if (!found) throw notFound(`service_code ${code} not found`);
        const def: ServiceDefinition = { service_code: found.code, attributes: [] };
        return send(reply, format, 200, def, () => ({ service_definition: { service_code: def.service_code, attributes: { attribute: [] } } }));
      });

      scope.post('/requests.:format', { schema: { tags, summary: 'Open311 提交诉求 Create a service request (api_key)' } }, async (req, reply) => {
        const format = formatOf(req);
        const body = formOf(req.body);
        const query = req.query as Query;
        const apiKey = body.api_key ?? first(query.api_key);
        if (!apiKey) throw forbidden('api_key is missing -- can not create a service request');
        const client = await port.authenticate(apiKey);
        if (!client) throw forbidden('Invalid api_key received -- can not create a service request');
        checkJurisdiction({ jurisdiction_id: body.jurisdiction_id ?? first(query.jurisdiction_id) }, opts.jurisdictionId);

        const input = parseNewRequest(body);
        if (!(await port.services()).some((s) => s.code === input.serviceCode)) throw notFound(`service_code ${input.serviceCode} not found`);
        const created = await port.create(client, input, { ip: req.ip ?? null, requestId: req.id ?? null });
        let notice: string | null = null;
        try {
          const r = await port.get(created.id);
          notice = r ? serviceNotice(r) : null;
        } catch (err) {
          req.log.warn({ err }, 'open311: could not read back the created request');
        }
        const answer: CreatedServiceRequest[] = [{ service_request_id: created.id, token: created.token, service_notice: notice, account_id: input.accountId ?? null }];
        return send(reply, format, 200, answer, () => ({ service_requests: { request: answer } }));
      });

      scope.get('/tokens/:token.:format', { schema: { tags, summary: 'Open311 凭据查诉求号 Request id from a token' } }, async (req, reply) => {
        const format = formatOf(req);
        checkJurisdiction(req.query as Query, opts.jurisdictionId);
        const token = (req.params as Params).token ?? '';
        const id = token ? await port.byToken(token) : undefined;
        if (!id) throw notFound(`token ${token} not found`);
        const answer: TokenAnswer[] = [{ service_request_id: id, token }];
        return send(reply, format, 200, answer, () => ({ service_requests: { request: answer } }));
      });

      scope.get('/requests.:format', { schema: { tags, summary: 'Open311 诉求列表 Service requests' } }, async (req, reply) => {
        const format = formatOf(req);
        const query = req.query as Query;
        checkJurisdiction(query, opts.jurisdictionId);
        const filter = parseFilter(query, new Date());
        const found = (await port.list(filter)).slice(0, MAX_RESULTS);
        const list = found.map((r) => toWire(r, originOf(req, opts.baseUrl)));
        return send(reply, format, 200, list, () => ({ service_requests: { request: list } }));
      });

      scope.get('/requests/:id.:format', { schema: { tags, summary: 'Open311 诉求详情 One service request' } }, async (req, reply) => {
        const format = formatOf(req);
        checkJurisdiction(req.query as Query, opts.jurisdictionId);
        const id = (req.params as Params).id ?? '';
        const r = id ? await port.get(id) : undefined;
        if (!r) throw notFound(`service_request_id ${id} not found`);
        const list = [toWire(r, originOf(req, opts.baseUrl))];
        return send(reply, format, 200, list, () => ({ service_requests: { request: list } }));
      });
    },
    { prefix: OPEN311_PREFIX },
  );
}

// ---- input ----

/** The format after the resource's extension; anything else is a resource that does not exist. */
function formatOf(req: FastifyRequest): GeoReportFormat {
  const f = (req.params as Params).format;
  if (f === 'json' || f === 'xml') return f;
  throw notFound(`format .${f ?? ''} is not offered (use .xml or .json)`);
}

/** The form body as strings; a JSON object body is accepted too. */
function formOf(body: unknown): Record<string, string | undefined> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return {};
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (v === null || v === undefined) continue;
    out[k] = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
  }
  return out;
}

/** A query value; repeated parameters are joined (the spec's lists are comma delimited). */
function first(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v.join(',') : v;
  return s === undefined || s.trim() === '' ? undefined : s;
}

/** A comma delimited list (a parameter may also be declared several times); empty → undefined. */
function listOf(v: string | string[] | undefined): string[] | undefined {
  const all = (Array.isArray(v) ? v : v === undefined ? [] : [v])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  return all.length ? [...new Set(all)] : undefined;
}

function checkJurisdiction(query: Query, expected: string | undefined) {
  const given = first(query.jurisdiction_id);
  if (expected !== undefined && given !== undefined && given !== expected) throw notFound(`jurisdiction_id ${given} not found`);
}

/** "Optional" arguments: an empty parameter is the same as a missing one (spec Definitions). */
function optional(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}

function coordinate(name: 'lat' | 'long', raw: string, limit: number): number {
  const s = raw.trim();
  const n = /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(s) ? Number(s) : NaN;
  if (!Number.isFinite(n)) throw badRequest(`${name}: not a number`);
  if (n < -limit || n > limit) throw badRequest(`${name}: must be between -${limit} and ${limit} (WGS84 degrees)`);
  return n;
}

function parseNewRequest(body: Record<string, string | undefined>): Open311NewRequest {
  const serviceCode = optional(body.service_code)?.trim();
  if (!serviceCode) throw badRequest('service_code: is required');
  const latRaw = optional(body.lat);
  const longRaw = optional(body.long);
  const addressString = optional(body.address_string)?.trim();
  const addressId = optional(body.address_id)?.trim();
  if ((latRaw === undefined) !== (longRaw === undefined)) throw badRequest(`${latRaw === undefined ? 'lat' : 'long'}: lat and long must both be sent`);
  const lat = latRaw === undefined ? undefined : coordinate('lat', latRaw, 90);
  const long = longRaw === undefined ? undefined : coordinate('long', longRaw, 180);
  if (lat === undefined && !addressString && !addressId) throw badRequest('location: one of lat & long, address_string or address_id is required');
  const description = optional(body.description);
  if (description !== undefined && [...description].length > DESCRIPTION_MAX) throw badRequest(`description: at most ${DESCRIPTION_MAX} characters`);
  const mediaUrl = optional(body.media_url)?.trim();
  if (mediaUrl !== undefined && !isHttpUrl(mediaUrl)) throw badRequest('media_url: must be an http(s) URL');
  const input: Open311NewRequest = { serviceCode };
  if (lat !== undefined && long !== undefined) Object.assign(input, { lat, long });
  const text: [keyof Open311NewRequest, string | undefined][] = [
    ['addressString', addressString],
    ['addressId', addressId],
    ['description', description],
    ['email', optional(body.email)?.trim()],
    ['deviceId', optional(body.device_id)?.trim()],
    ['accountId', optional(body.account_id)?.trim()],
    ['firstName', optional(body.first_name)?.trim()],
    ['lastName', optional(body.last_name)?.trim()],
    ['phone', optional(body.phone)?.trim()],
    ['mediaUrl', mediaUrl],
  ];
  for (const [k, v] of text) if (v) (input as unknown as Record<string, string>)[k] = v;
  return input;
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * W3C date-time (www.w3.org/TR/NOTE-datetime) with its zone: YYYY-MM-DDThh:mm[:ss[.s]](Z|±hh:mm).
 * A bare date YYYY-MM-DD is taken as midnight in Asia/Shanghai.
 */
const W3C_DATETIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

export function parseW3cDate(name: string, raw: string): Date {
  const m = W3C_DATETIME.exec(raw.trim());
  if (!m) throw badRequest(`${name}: must be a W3C date-time with a time zone, e.g. 2010-01-01T00:00:00Z`);
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = '+08:00'] = m;
  const numbers = { mo: Number(mo), d: Number(d), h: Number(h), mi: Number(mi), s: Number(s) };
  const zh = zone === 'Z' ? 0 : Number(zone.slice(1, 3));
  const zm = zone === 'Z' ? 0 : Number(zone.slice(4, 6));
  const valid = numbers.mo >= 1 && numbers.mo <= 12 && numbers.d >= 1 && numbers.d <= 31 && numbers.h <= 23 && numbers.mi <= 59 && numbers.s <= 59 && zh <= 14 && zm <= 59;
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${frac}${zone}`);
  // Date rolls 2021-02-30 over to March; compare the calendar day back to catch it.
  const dayOk = valid && new Date(Date.UTC(Number(y), numbers.mo - 1, numbers.d)).getUTCDate() === numbers.d;
  if (!dayOk || Number.isNaN(date.getTime())) throw badRequest(`${name}: ${raw} is not a valid date-time`);
  return date;
}

/**
 * GET requests filter. service_request_id overrides every other argument (spec); otherwise the
 * window defaults to the last 90 days, a one-sided window spans 90 days from the given end,
 * and a window may not span more than 90 days.
 */
export function parseFilter(query: Query, now: Date): Open311Filter {
  const ids = listOf(query.service_request_id);
  if (ids) {
    if (ids.length > MAX_RESULTS) throw badRequest(`service_request_id: at most ${MAX_RESULTS} ids`);
    return { ids, limit: MAX_RESULTS };
  }
  const filter: Open311Filter = { limit: MAX_RESULTS };
  const codes = listOf(query.service_code);
  if (codes) filter.serviceCode = codes;
  const statuses = listOf(query.status);
  if (statuses) {
    const bad = statuses.find((s) => s !== 'open' && s !== 'closed');
    if (bad !== undefined) throw badRequest(`status: ${bad} is not one of open, closed`);
    filter.status = statuses as ('open' | 'closed')[];
  }
  const startRaw = first(query.start_date);
  const endRaw = first(query.end_date);
  let start = startRaw === undefined ? undefined : parseW3cDate('start_date', startRaw);
  let end = endRaw === undefined ? undefined : parseW3cDate('end_date', endRaw);
  const span = MAX_SPAN_DAYS * DAY_MS;
  if (start === undefined && end === undefined) {
    end = now;
    start = new Date(now.getTime() - span);
  } else if (start === undefined) {
    start = new Date(end!.getTime() - span);
  } else if (end === undefined) {
    end = new Date(start.getTime() + span);
  }
  if (end!.getTime() < start.getTime()) throw badRequest('end_date: must not be before start_date');
  if (end!.getTime() - start.getTime() > span) throw badRequest(`start_date, end_date: may not span more than ${MAX_SPAN_DAYS} days`);
  filter.startDate = start;
  filter.endDate = end;
  return filter;
}

// ---- output ----

function originOf(req: FastifyRequest, baseUrl: string | undefined): string {
  if (baseUrl) return baseUrl.replace(/\/+$/, '');
  return `${req.protocol}://${req.host}`;
}

/** W3C date-time in Asia/Shanghai (UTC+8 all year, no daylight saving). */
export function shanghaiDateTime(d: Date): string {
  const t = new Date(d.getTime() + 8 * 3_600_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${t.getUTCFullYear()}-${p(t.getUTCMonth() + 1)}-${p(t.getUTCDate())}T${p(t.getUTCHours())}:${p(t.getUTCMinutes())}:${p(t.getUTCSeconds())}+08:00`;
}

function serviceNotice(r: Open311Request): string | null {
  if (r.status !== 'open' || !r.expectedAt) return null;
  const when = shanghaiDateTime(r.expectedAt).slice(0, 16).replace('T', ' ');
  return `已受理，将按时限派遣处置，预计 ${when} 前办结。`;
}

function toWire(r: Open311Request, origin: string): ServiceRequest {
  let media: string | null = null;
  if (r.mediaUrl) {
    try {
      media = new URL(r.mediaUrl, `${origin}/`).toString();
    } catch {
      media = null;
    }
  }
  return {
    service_request_id: r.id,
    status: r.status,
    status_notes: r.statusNotes || null,
    service_name: r.serviceName || null,
    service_code: r.serviceCode || null,
    description: r.description ? [...r.description].slice(0, DESCRIPTION_MAX).join('') : null,
    agency_responsible: r.agencyResponsible || null,
    service_notice: serviceNotice(r),
    requested_datetime: shanghaiDateTime(r.requestedAt),
    updated_datetime: shanghaiDateTime(r.updatedAt),
    expected_datetime: r.expectedAt ? shanghaiDateTime(r.expectedAt) : null,
    address: r.address || null,
    address_id: r.addressId || null,
    zipcode: null,
    lat: r.lat,
    long: r.long,
    media_url: media,
  };
}

const xmlBuilder = new XMLBuilder({ format: true, indentBy: '  ', ignoreAttributes: true, suppressEmptyNode: false, processEntities: true });
/** Characters XML 1.0 does not allow, even escaped. */
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** null → empty element (the spec's XML examples), scalars as text. */
function xmlValues(v: unknown): unknown {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.map(xmlValues);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, xmlValues(x)]));
  return String(v).replace(XML_INVALID, '');
}

export function toXml(doc: Record<string, unknown>): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${xmlBuilder.build(xmlValues(doc))}`;
}

function send(reply: FastifyReply, format: GeoReportFormat, status: number, json: unknown, xml: () => Record<string, unknown>) {
  return reply
    .code(status)
    .type(CONTENT_TYPE[format])
    .send(format === 'json' ? JSON.stringify(json) : toXml(xml()));
}

/** The format of an error: the URL's extension, else what the client accepts, else XML (the required format). */
function errorFormat(req: FastifyRequest): GeoReportFormat {
  const path = req.url.split('?')[0];
  const ext = /\.(json|xml)$/i.exec(path)?.[1]?.toLowerCase();
  if (ext && (FORMATS as readonly string[]).includes(ext)) return ext as GeoReportFormat;
  return /json/i.test(req.headers.accept ?? '') ? 'json' : 'xml';
}

function sendError(req: FastifyRequest, reply: FastifyReply, err: unknown) {
  let status = 500;
  let items: GeoReportErrorItem[] = [];
  if (err instanceof Open311Error) {
    status = err.status;
    items = err.items;
  } else if (err instanceof AppError) {
    // 401/403 of the platform (e.g. a revoked bearer token) are key problems in Open311 terms.
    status = err.status === 401 ? 403 : err.status;
    const details = Array.isArray(err.details) ? (err.details as { field?: unknown; message?: unknown }[]) : [];
    const fromDetails = details
      .filter((d) => d && typeof d === 'object' && typeof d.field === 'string')
      .map((d) => ({ code: status, description: `${String(d.field)}: ${typeof d.message === 'string' ? d.message : 'is invalid'}` }));
    items = fromDetails.length ? fromDetails : [{ code: status, description: err.message }];
    if (status >= 500) req.log.error({ err }, 'open311: service error');
  } else if (isClientError(err)) {
    status = err.statusCode!;
    items = [{ code: status, description: err.message }];
  } else {
    req.log.error({ err }, 'open311: unhandled error');
  }
  if (status >= 500 && !(err instanceof Open311Error)) items = [{ code: status, description: status === 503 ? 'service unavailable, try again later' : 'internal error' }];
  if (!items.length) items = [{ code: status, description: 'error' }];
  const format = errorFormat(req);
  return send(reply, format, status, items, () => ({ errors: { error: items } }));
}

function isClientError(e: unknown): e is FastifyError {
  return typeof e === 'object' && e !== null && typeof (e as FastifyError).statusCode === 'number' && (e as FastifyError).statusCode! >= 400 && (e as FastifyError).statusCode! < 500;
}
