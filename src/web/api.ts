import type { OrgKind, DeptType } from '../server/modules/core/core.types';
/**
 * Typed client of the Zhian HTTP API (/api/v1).
 *
 * The session lives in the HttpOnly cookie `zhian_session`; every request that changes state
 * must also carry the CSRF token the server handed out at login or /auth/me, so the token is
 * kept here and attached to every non-GET request.
 */
import type { FeatureCollection, Geometry } from 'geojson';

export const API_BASE = '/api/v1';

// ---------------------------------------------------------------- shapes

export type Permission =
  | 'org.read'
  | 'org.write'
  | 'user.read'
  | 'user.write'
  | 'grid.read'
  | 'grid.write'
  | 'address.read'
  | 'address.write'
  | 'audit.read'
  | 'personal.read';

export interface SessionUser {
  id: string;
  username: string;
  displayName: string;
  orgId: string;
  orgName: string;
  roles: string[];
  permissions: string[];
}

export interface Session {
  user: SessionUser;
  csrfToken: string | null;
}

export interface Page<T> {
  items: T[];
  total: number;
}

export interface Overview {
  streets: number;
  communities: number;
  grids: number;
  addresses: number;
  users: number;
  departments: number;
  gridsByStreet: { streetId?: string; street: string; count: number }[];
}

export type CoordSystem = 'wgs84' | 'gcj02';

export interface MapConfig {
  tileUrl: string | null;
  tileCoordSystem: CoordSystem;
  center: [number, number];
  zoom: number;
  bounds: [number, number, number, number];
}

// The vocabularies are the server's own (pure constants, shared with the console).
export { ORG_KINDS, DEPT_TYPES, ROLES } from '../server/modules/core/core.types';
export type { OrgKind, DeptType } from '../server/modules/core/core.types';

export interface Org {
  id: string;
  parentId: string | null;
  kind: OrgKind;
  deptType: DeptType | null;
  code: string;
  name: string;
  childCount: number;
}

export interface OrgCreate {
  parentId: string;
  kind: OrgKind;
  deptType?: DeptType | null;
  code: string;
  name: string;
}

export interface User {
  id: string;
  username: string;
  displayName: string;
  phoneMasked: string | null;
  orgId: string;
  orgName: string;
  roles: string[];
  active: boolean;
  scopeOrgId: string | null;
  gridIds: string[];
}

export interface UserCreate {
  username: string;
  displayName: string;
  phone?: string | null;
  orgId: string;
  roles: string[];
  password: string;
  scopeOrgId?: string | null;
  gridIds?: string[];
}

export interface UserPatch {
  displayName?: string;
  phone?: string;
  orgId?: string;
  roles?: string[];
  active?: boolean;
  scopeOrgId?: string | null;
  gridIds?: string[];
}

export interface UserQuery {
  q?: string;
  orgId?: string;
  role?: string;
  page?: number;
  pageSize?: number;
}

export interface Grid {
  id: string;
  code: string;
  name: string;
  communityId: string;
  communityName: string;
  streetId: string | null;
  streetName: string | null;
  workers: { id: string; displayName: string }[];
}

export interface GridDetail extends Grid {
  geometry: Geometry;
}

export interface GridQuery {
  q?: string;
  communityId?: string;
  streetId?: string;
  page?: number;
  pageSize?: number;
}

export interface GridFeatureProps {
  id: string;
  code: string;
  name: string;
  communityName: string;
  streetName: string | null;
  streetId: string | null;
}

export interface GridLocation {
  grid: { id: string; code?: string; name: string };
  community: { id: string; name: string };
  street: { id: string; name: string } | null;
}

export type AddressLevel =
  | 'province'
  | 'city'
  | 'county'
  | 'street'
  | 'community'
  | 'estate'
  | 'building'
  | 'unit'
  | 'room';

export interface AddressMatch {
  id: string;
  fullText: string;
  level: AddressLevel;
  lng: number;
  lat: number;
  gridId: string | null;
  gridName: string | null;
  confidence: number;
}

export interface AddressMatchResult {
  query: string;
  normalized: string;
  best: AddressMatch | null;
  alternatives: AddressMatch[];
}

export interface Address {
  id: string;
  parentId: string | null;
  level: AddressLevel;
  name: string;
  fullText: string;
  /** Other names in use, e.g. road and number of an estate. */
  aliases?: string[];
  lng: number;
  lat: number;
  gridId: string | null;
  gridName: string | null;
  childCount: number;
}

export interface AddressDetail extends Address {
  ancestors: { id: string; level: string; name: string }[];
}

export interface AddressQuery {
  parentId?: string;
  q?: string;
  level?: string;
  page?: number;
  pageSize?: number;
}

export interface JobError {
  row: number;
  field: string | null;
  message: string;
}

export interface Job {
  id: string;
  kind: string;
  status: 'running' | 'succeeded' | 'failed';
  progress: number;
  processed: number;
  total: number;
  result: unknown;
  errors: JobError[];
}

export interface AuditEntry {
  id: string | number;
  at: string;
  actorId: string | null;
  actorName: string | null;
  ip: string | null;
  requestId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  before: unknown;
  after: unknown;
}

export interface AuditQuery {
  actor?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
  from?: string;
  to?: string;
  page?: number;
  pageSize?: number;
}

// ---------------------------------------------------------------- transport

/** An error answered by the server (or a network failure, status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken: string | null = null;
let unauthorizedHandler: (() => void) | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when any request (other than login and the initial session probe) answers 401. */
export function onUnauthorized(handler: (() => void) | null): void {
  unauthorizedHandler = handler;
}

type Query = Record<string, string | number | boolean | null | undefined>;

/** Builds "?a=1&b=2" leaving out empty values. */
export function queryString(query?: Query): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

interface RequestOptions {
  method?: string;
  query?: Query;
  json?: unknown;
  body?: BodyInit;
  contentType?: string;
  /** Do not jump to the login page on 401 (login itself, the session probe). */
  noAuthRedirect?: boolean;
}

async function send(path: string, opts: RequestOptions = {}): Promise<Response> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  let body: BodyInit | undefined = opts.body;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.contentType) {
    headers['content-type'] = opts.contentType;
  }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['x-csrf-token'] = csrfToken;

  let res: Response;
  try {
    res = await fetch(API_BASE + path + queryString(opts.query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
    });
  } catch (e) {
    throw new ApiError(0, 'network_error', e instanceof Error ? e.message : String(e));
  }
  if (res.ok) return res;

  let code = `http_${res.status}`;
  let message = res.statusText || `HTTP ${res.status}`;
  let details: unknown;
  let requestId: string | undefined = res.headers.get('x-request-id') ?? undefined;
  try {
    const data = (await res.json()) as { error?: { code?: string; message?: string; details?: unknown; requestId?: string } };
    if (data?.error) {
      code = data.error.code ?? code;
      message = data.error.message ?? message;
      details = data.error.details;
      requestId = data.error.requestId ?? requestId;
    }
  } catch {
    // Not JSON (a proxy error page): keep the status text.
  }
  if (res.status === 401 && !opts.noAuthRedirect) {
    csrfToken = null;
    unauthorizedHandler?.();
  }
  throw new ApiError(res.status, code, message, details, requestId);
}

/** Sends a request and parses the JSON answer (undefined for 204). */
export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await send(path, opts);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

function filenameFrom(res: Response, fallback: string): string {
  const cd = res.headers.get('content-disposition');
  if (cd) {
    const star = /filename\*\s*=\s*(?:UTF-8'')?([^;]+)/i.exec(cd);
    if (star) {
      try {
        return decodeURIComponent(star[1].trim().replace(/^"|"$/g, ''));
      } catch {
        /* fall through */
      }
    }
    const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(cd);
    if (plain) return plain[1];
  }
  return fallback;
}

/** Saves a Blob as a file through a temporary link. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Downloads a GET endpoint with the session cookie and saves it under the server's file name. */
export async function download(path: string, query: Query | undefined, fallbackName: string): Promise<void> {
  const res = await send(path, { query });
  const blob = await res.blob();
  saveBlob(blob, filenameFrom(res, fallbackName));
}

// ---------------------------------------------------------------- endpoints

function rememberSession(s: Session): Session {
  setCsrfToken(s.csrfToken);
  return s;
}

export const api = {
  auth: {
    login: (username: string, password: string) =>
      request<Session>('/auth/login', { method: 'POST', json: { username, password }, noAuthRedirect: true }).then(rememberSession),
    logout: () => request<void>('/auth/logout', { method: 'POST', noAuthRedirect: true }).finally(() => setCsrfToken(null)),
    me: () => request<Session>('/auth/me', { noAuthRedirect: true }).then(rememberSession),
    changePassword: (currentPassword: string, newPassword: string) =>
      request<void>('/auth/password', { method: 'POST', json: { currentPassword, newPassword } }),
  },
  stats: {
    overview: () => request<Overview>('/stats/overview'),
  },
  map: {
    config: () => request<MapConfig>('/map/config'),
  },
  orgs: {
    list: () => request<{ items: Org[] }>('/orgs'),
    create: (body: OrgCreate) => request<Org>('/orgs', { method: 'POST', json: body }),
    update: (id: string, body: { name?: string; deptType?: DeptType | null }) =>
      request<Org>(`/orgs/${encodeURIComponent(id)}`, { method: 'PATCH', json: body }),
  },
  users: {
    list: (q: UserQuery) => request<Page<User>>('/users', { query: { ...q } }),
    get: (id: string) => request<User>(`/users/${encodeURIComponent(id)}`),
    contact: (id: string) => request<{ phone: string }>(`/users/${encodeURIComponent(id)}/contact`),
    create: (body: UserCreate) => request<User>('/users', { method: 'POST', json: body }),
    update: (id: string, body: UserPatch) => request<User>(`/users/${encodeURIComponent(id)}`, { method: 'PATCH', json: body }),
    resetPassword: (id: string, newPassword: string) =>
      request<void>(`/users/${encodeURIComponent(id)}/reset-password`, { method: 'POST', json: { newPassword } }),
    exportXlsx: (q: UserQuery) => download('/users/export.xlsx', { q: q.q, orgId: q.orgId, role: q.role }, '用户.xlsx'),
  },
  grids: {
    list: (q: GridQuery) => request<Page<Grid>>('/grids', { query: { ...q } }),
    get: (id: string) => request<GridDetail>(`/grids/${encodeURIComponent(id)}`),
    update: (id: string, body: { name?: string; workerIds?: string[] }) =>
      request<Grid>(`/grids/${encodeURIComponent(id)}`, { method: 'PATCH', json: body }),
    features: (bbox?: [number, number, number, number]) =>
      request<FeatureCollection<Geometry, GridFeatureProps>>('/grids/features.geojson', {
        query: { bbox: bbox ? bbox.join(',') : undefined },
      }),
    exportGeojson: () => download('/grids/export.geojson', undefined, '网格.geojson'),
    exportXlsx: (q: GridQuery) => download('/grids/export.xlsx', { q: q.q, communityId: q.communityId, streetId: q.streetId }, '网格.xlsx'),
    importGeojson: (fc: unknown) =>
      request<{ created: number; updated: number }>('/grids/import.geojson', { method: 'POST', json: fc }),
    locate: (lng: number, lat: number) => request<GridLocation>('/grids/locate', { query: { lng, lat } }),
  },
  addresses: {
    match: (q: string, limit = 5) => request<AddressMatchResult>('/addresses/match', { query: { q, limit } }),
    list: (q: AddressQuery) => request<Page<Address>>('/addresses', { query: { ...q } }),
    get: (id: string) => request<AddressDetail>(`/addresses/${encodeURIComponent(id)}`),
    import: (file: Blob, format: 'xlsx' | 'csv') =>
      request<{ jobId: string }>('/addresses/import', {
        method: 'POST',
        query: { format },
        body: file,
        contentType: 'application/octet-stream',
      }),
  },
  jobs: {
    get: (id: string) => request<Job>(`/jobs/${encodeURIComponent(id)}`),
  },
  audit: {
    list: (q: AuditQuery) => request<Page<AuditEntry>>('/audit', { query: { ...q } }),
    exportXlsx: (q: AuditQuery) =>
      download(
        '/audit/export.xlsx',
        { actor: q.actor, action: q.action, targetType: q.targetType, targetId: q.targetId, from: q.from, to: q.to },
        '审计日志.xlsx',
      ),
  },
};
