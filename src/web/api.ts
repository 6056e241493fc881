import type { StatsRow } from '../server/modules/reports/reports.stats';
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
  | 'personal.read'
  | 'report.read'
  | 'report.create'
  | 'report.triage'
  | 'report.dispatch'
  | 'report.handle'
  | 'report.verify'
  | 'report.close'
  | 'report.supervise'
  | 'report.approve'
  | 'report.configure'
  | 'webhook.write'
  | 'alert.read'
  | 'alert.verify'
  | 'alert.configure'
  | 'device.ingest'
  | 'household.read'
  | 'household.write'
  | 'recon.import'
  | 'custody.read'
  | 'custody.register'
  | 'custody.keep'
  | 'custody.locations'
  | 'custody.approve'
  | 'custody.transfer'
  | 'custody.treasury'
  | 'custody.display';

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

// ---------------------------------------------------------------- reports (事件中枢)

export const REPORT_STATUSES = ['reported', 'accepted', 'registered', 'dispatched', 'handled', 'verified', 'closed', 'suspended', 'voided'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];
export const REPORT_ACTIONS = ['accept', 'register', 'dispatch', 'handle', 'verify', 'close', 'return', 'suspend', 'resume', 'void', 'merge', 'reopen', 'supervise', 'reassign'] as const;
export type ReportAction = (typeof REPORT_ACTIONS)[number];
export const STAGES = ['accept', 'register', 'dispatch', 'handle', 'verify', 'close'] as const;
export type Stage = (typeof STAGES)[number];
export const PRIORITIES = ['urgent', 'high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];
export const CHANNELS = ['resident', 'hotline', 'patrol', 'api', 'open311', 'warning'] as const;
export type Channel = (typeof CHANNELS)[number];
export type Rating = 'satisfied' | 'basically_satisfied' | 'dissatisfied';
export type TimeMode = 'working' | 'natural';

export interface RoutingStep {
  kind: string;
  text: string;
  ruleId?: string;
}

export interface DuplicateCase {
  id: string;
  number: string;
  status: ReportStatus;
  description: string;
  /** Metres from the new report's point. */
  distance: number;
  createdAt: string;
}

export interface ReportInput {
  description: string;
  categoryCode?: string | null;
  lng?: number | null;
  lat?: number | null;
  address?: string | null;
  reporterName?: string | null;
  reporterPhone?: string | null;
  photoIds?: string[];
  channel: 'hotline' | 'patrol' | 'api';
  externalRef?: string | null;
  priority?: Priority | null;
}

export interface ReportCreated {
  id: string;
  number: string;
  trackingCode: string;
  status: ReportStatus;
  categoryCode: string | null;
  suggestion: { category: string; confidence: number } | null;
  routing: RoutingStep[];
  duplicates: DuplicateCase[];
}

export interface ReportSummary {
  id: string;
  number: string;
  channel: Channel;
  status: ReportStatus;
  statusLabel: string;
  description: string;
  categoryCode: string | null;
  categoryName: string | null;
  priority: Priority;
  lng: number | null;
  lat: number | null;
  address: string | null;
  gridId: string | null;
  gridName: string | null;
  communityName: string | null;
  streetName: string | null;
  deptOrgId: string | null;
  deptName: string | null;
  assigneeId: string | null;
  assigneeName: string | null;
  /** Masked ("张*"). */
  reporterName: string | null;
  /** Masked ("138****5678"). */
  reporterPhone: string | null;
  stage: Stage | null;
  stageDeadline: string | null;
  expectedAt: string | null;
  warned: boolean;
  overdue: boolean;
  supervised: boolean;
  suggestedCategory: string | null;
  suggestedConfidence: number | null;
  rating: Rating | null;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
}

export interface ReportEvent {
  id: number;
  action: string;
  from: string | null;
  to: string | null;
  actorName: string | null;
  note: string | null;
  data: unknown;
  at: string;
}

export interface ReportStage {
  id: string;
  stage: Stage;
  startedAt: string;
  deadline: string | null;
  finishedAt: string | null;
  onTime: boolean | null;
  extendedMinutes: number;
  suspendedMinutes: number;
}

export interface ReportPhoto {
  id: string;
  kind: 'report' | 'result';
  url: string;
}

export interface ExtensionRequest {
  id: string;
  stage: Stage;
  minutes: number;
  reason: string;
  status: 'pending' | 'approved' | 'rejected';
  requestedBy: string | null;
  decidedBy: string | null;
  decisionNote: string | null;
  createdAt: string;
  decidedAt: string | null;
}

export interface Supervision {
  id: string;
  kind: 'manual' | 'overdue';
  stage: string | null;
  note: string;
  createdBy: string | null;
  createdAt: string;
}

export interface ReportDetail extends ReportSummary {
  trackingCode: string;
  resultNote: string | null;
  ratingComment: string | null;
  mergedInto: string | null;
  reopenCount: number;
  routing: RoutingStep[];
  timeMode: TimeMode;
  /** The steps this user may take now, in workflow order. */
  actions: ReportAction[];
  canRequestExtension: boolean;
  events: ReportEvent[];
  stages: ReportStage[];
  photos: ReportPhoto[];
  extensions: ExtensionRequest[];
  supervisions: Supervision[];
}

export interface ReportQuery {
  page?: number;
  pageSize?: number;
  /** Several statuses, comma-separated on the wire. */
  status?: ReportStatus[];
  categoryCode?: string;
  deptOrgId?: string;
  gridId?: string;
  streetOrgId?: string;
  channel?: Channel;
  q?: string;
  triage?: boolean;
  overdue?: boolean;
  atRisk?: boolean;
  supervised?: boolean;
  mine?: boolean;
  from?: string;
  to?: string;
  order?: 'created' | 'deadline';
}

export interface ActionInput {
  reason?: string | null;
  note?: string | null;
  deptOrgId?: string | null;
  assigneeId?: string | null;
  photoIds?: string[];
  targetId?: string | null;
}

export interface ActionResult {
  from: ReportStatus;
  to: ReportStatus;
  /** Null when the step took the case out of the user's sight. */
  report: ReportDetail | null;
}

export interface CategoryGuess {
  categoryCode: string;
  categoryName: string;
  departmentType: string | null;
  confidence: number;
}

export interface Classification extends CategoryGuess {
  belowThreshold: boolean;
  alternatives: CategoryGuess[];
}

export type StageLimits = Record<Stage, number>;

export interface ReportCategory {
  code: string;
  parentCode: string | null;
  name: string;
  deptType: string | null;
  priority: Priority;
  timeMode: TimeMode;
  /** Minutes per stage; null for the top-level groups. */
  limits: Partial<StageLimits> | null;
  active: boolean;
}

export interface ReportCategoryInput {
  code: string;
  parentCode: string | null;
  name: string;
  deptType: DeptType | null;
  priority: Priority;
  timeMode: TimeMode;
  limits: StageLimits | null;
}

export type ReportCategoryPatch = Partial<Omit<ReportCategoryInput, 'code' | 'parentCode'>> & { active?: boolean };

export interface RoutingRule {
  id: string;
  categoryCode: string | null;
  deptType: string | null;
  areaOrgId: string | null;
  areaName: string | null;
  targetOrgId: string;
  targetName: string;
  note: string;
}

export interface RoutingRuleInput {
  categoryCode?: string | null;
  deptType?: DeptType | null;
  areaOrgId?: string | null;
  targetOrgId: string;
  note?: string;
}

export interface CalendarYear {
  year: number;
  /** 'YYYY-MM-DD' days off (statutory holidays). */
  holidays: string[];
  /** 'YYYY-MM-DD' weekend days worked (调休). */
  workdays: string[];
}

export interface PendingExtension {
  id: string;
  reportId: string;
  number: string;
  stage: Stage;
  minutes: number;
  reason: string;
  requestedBy: string | null;
  createdAt: string;
}

export type StatsGroupBy = 'dept' | 'grid' | 'category' | 'street' | 'day';

// The statistics row is the server's own type.
export type { StatsRow } from '../server/modules/reports/reports.stats';

export interface ReportStats {
  from: string;
  to: string;
  groupBy: StatsGroupBy;
  totals: StatsRow;
  rows: StatsRow[];
  stages: { stage: Stage; label: string; n: number; avgMinutes: number | null; onTimeRate: number | null }[];
}

export interface StatsQuery {
  from: string;
  to: string;
  groupBy: StatsGroupBy;
}

export interface StoredFile {
  id: string;
  mime: string;
  size: number;
  width: number | null;
  height: number | null;
  sha256: string;
}

export interface AppNotification {
  id: string;
  kind: string;
  title: string;
  body: string;
  subjectType: string | null;
  subjectId: string | null;
  link: string | null;
  readAt: string | null;
  createdAt: string;
}

/** A live event of GET /events/stream (Server-Sent Events). */
export interface LiveEvent {
  type: string;
  subjectType?: string;
  subjectId?: string;
  data?: Record<string, unknown>;
  at?: string;
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

/**
 * Uploads one photo as the raw request body, reporting progress (0..1). XMLHttpRequest
 * because fetch cannot report upload progress.
 */
export function uploadPhoto(file: Blob, onProgress?: (fraction: number) => void, signal?: AbortSignal): Promise<StoredFile> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${API_BASE}/files/photos`);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.setRequestHeader('content-type', file.type && file.type.startsWith('image/') ? file.type : 'application/octet-stream');
    if (csrfToken) xhr.setRequestHeader('x-csrf-token', csrfToken);
    xhr.withCredentials = true;
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress?.(e.loaded / e.total);
    };
    xhr.onload = () => {
      let data: unknown;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
      } catch {
        data = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress?.(1);
        resolve(data as StoredFile);
        return;
      }
      const err = (data as { error?: { code?: string; message?: string; details?: unknown; requestId?: string } } | undefined)?.error;
      if (xhr.status === 401) {
        csrfToken = null;
        unauthorizedHandler?.();
      }
      reject(new ApiError(xhr.status, err?.code ?? `http_${xhr.status}`, err?.message ?? (xhr.statusText || `HTTP ${xhr.status}`), err?.details, err?.requestId ?? xhr.getResponseHeader('x-request-id') ?? undefined));
    };
    xhr.onerror = () => reject(new ApiError(0, 'network_error', 'network error'));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', 'aborted'));
    signal?.addEventListener('abort', () => xhr.abort());
    xhr.send(file);
  });
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
  reports: {
    create: (body: ReportInput) => request<ReportCreated>('/reports', { method: 'POST', json: body }),
    classify: (text: string) => request<Classification>('/reports/classify', { method: 'POST', json: { text } }),
    list: (q: ReportQuery) => request<Page<ReportSummary> & { page: number; pageSize: number }>('/reports', { query: reportQuery(q) }),
    exportXlsx: (q: ReportQuery) => download('/reports/export.xlsx', reportQuery({ ...q, page: undefined, pageSize: undefined }), '事件.xlsx'),
    duplicates: (q: { categoryCode: string; lng: number; lat: number; excludeId?: string }) => request<DuplicateCase[]>('/reports/duplicates', { query: { ...q } }),
    get: (id: string) => request<ReportDetail>(`/reports/${encodeURIComponent(id)}`),
    contact: (id: string) => request<{ name: string | null; phone: string | null }>(`/reports/${encodeURIComponent(id)}/contact`),
    act: (id: string, action: ReportAction, body: ActionInput = {}) =>
      request<ActionResult>(`/reports/${encodeURIComponent(id)}/actions/${action}`, { method: 'POST', json: body }),
    triage: (id: string, categoryCode: string, priority?: Priority) =>
      request<ReportDetail>(`/reports/${encodeURIComponent(id)}/triage`, { method: 'POST', json: { categoryCode, priority } }),
    requestExtension: (id: string, minutes: number, reason: string) =>
      request<{ id: string }>(`/reports/${encodeURIComponent(id)}/extensions`, { method: 'POST', json: { minutes, reason } }),
    decideExtension: (id: string, extensionId: string, approve: boolean, note?: string | null) =>
      request<ReportDetail>(`/reports/${encodeURIComponent(id)}/extensions/${encodeURIComponent(extensionId)}/decision`, {
        method: 'POST',
        json: { approve, note: note || null },
      }),
    pendingExtensions: () => request<PendingExtension[]>('/reports/extensions/pending'),
    stats: (q: StatsQuery) => request<ReportStats>('/reports/stats', { query: { ...q } }),
    statsXlsx: (q: StatsQuery) => download('/reports/stats.xlsx', { ...q }, '事件统计.xlsx'),
  },
  reportCategories: {
    list: () => request<ReportCategory[]>('/report-categories'),
    create: (body: ReportCategoryInput) => request<ReportCategory>('/report-categories', { method: 'POST', json: body }),
    update: (code: string, body: ReportCategoryPatch) =>
      request<ReportCategory>(`/report-categories/${encodeURIComponent(code)}`, { method: 'PATCH', json: body }),
  },
  routingRules: {
    list: () => request<RoutingRule[]>('/routing-rules'),
    create: (body: RoutingRuleInput) => request<RoutingRule>('/routing-rules', { method: 'POST', json: body }),
    remove: (id: string) => request<void>(`/routing-rules/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  },
  workCalendar: {
    list: () => request<CalendarYear[]>('/work-calendar'),
    put: (year: number, body: CalendarYear) => request<CalendarYear>(`/work-calendar/${year}`, { method: 'PUT', json: body }),
  },
  files: {
    uploadPhoto,
  },
  notifications: {
    list: (opts: { unread?: boolean; limit?: number } = {}) =>
      request<{ unread: number; items: AppNotification[] }>('/notifications', { query: { unread: opts.unread ? 'true' : undefined, limit: opts.limit } }),
    read: (id: string) => request<{ ok: true }>(`/notifications/${encodeURIComponent(id)}/read`, { method: 'POST' }),
    readAll: () => request<{ updated: number }>('/notifications/read-all', { method: 'POST' }),
  },
};

/** The live event stream's address (EventSource sends the session cookie itself). */
export const EVENTS_STREAM_URL = `${API_BASE}/events/stream`;

function reportQuery(q: ReportQuery): Query {
  return {
    page: q.page,
    pageSize: q.pageSize,
    status: q.status?.length ? q.status.join(',') : undefined,
    categoryCode: q.categoryCode,
    deptOrgId: q.deptOrgId,
    gridId: q.gridId,
    streetOrgId: q.streetOrgId,
    channel: q.channel,
    q: q.q,
    triage: q.triage || undefined,
    overdue: q.overdue || undefined,
    atRisk: q.atRisk || undefined,
    supervised: q.supervised || undefined,
    mine: q.mine || undefined,
    from: q.from,
    to: q.to,
    order: q.order,
  };
}
