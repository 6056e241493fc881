/**
 * The client of the 预警中心 endpoints (/api/v1): warnings, rules, devices, water bodies,
 * households and reconciliation imports. Built on the console's shared transport (session
 * cookie, CSRF header, error shape) so that only the shapes live here.
 */
import { download, request, type Job, type Page } from '../../api';

// ---------------------------------------------------------------- vocabulary

export const LEVELS = ['red', 'yellow', 'green'] as const;
export type Level = (typeof LEVELS)[number];

export const WARNING_STATUSES = ['open', 'verifying', 'confirmed', 'false_alarm', 'handled'] as const;
export type WarningStatus = (typeof WARNING_STATUSES)[number];
/** `done` on the wire: every status with an outcome recorded. */
export type WarningStatusFilter = WarningStatus | 'done';

export const OUTCOMES = ['confirmed', 'false_alarm', 'handled'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const RULE_KINDS = ['threshold', 'water_quality', 'no_signal', 'no_consumption', 'unregistered_resident', 'multi_enterprise'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];
/** Rules that compare imported registers on a schedule instead of watching devices. */
export const RECON_KINDS: RuleKind[] = ['unregistered_resident', 'multi_enterprise'];

export const DEVICE_TYPES = ['water_quality', 'water_meter', 'access_control', 'camera_alarm', 'generic'] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];

/** The 预警核查 group of report categories: the task a warning becomes. */
export const TASK_CATEGORIES = ['0901', '0902', '0903', '0904', '0905', '0906'] as const;

export const RECON_IMPORT_KINDS = ['residents', 'enterprises', 'access'] as const;
export type ReconImportKind = (typeof RECON_IMPORT_KINDS)[number];

export const WATER_INDICATORS = ['DO', 'CODMn', 'COD', 'BOD5', 'NH3N', 'TP'] as const;
export type WaterIndicator = (typeof WATER_INDICATORS)[number];

// ---------------------------------------------------------------- shapes

export interface RuleRef {
  id: string;
  name: string;
  kind: RuleKind;
  kindLabel: string;
}

export interface TaskRef {
  id: string;
  number: string;
  status: string;
  deadline: string | null;
}

export interface WarningSummary {
  id: string;
  number: string;
  level: Level;
  title: string;
  status: WarningStatus;
  raisedAt: string;
  clearedAt: string | null;
  addressText: string | null;
  lng: number | null;
  lat: number | null;
  rule: RuleRef;
  device: { id: string; code: string; name: string } | null;
  gridName: string | null;
  report: TaskRef | null;
  outcomeAt: string | null;
}

export interface WarningDetail extends Omit<WarningSummary, 'device' | 'outcomeAt'> {
  detail: { reason?: string; value?: unknown; at?: string; deviceCode?: string; [k: string]: unknown };
  gridName: string | null;
  communityName: string | null;
  device: { id: string; code: string; name: string; type: DeviceType } | null;
  householdId: string | null;
  outcome: { outcome: Outcome; label: string; note: string | null; at: string | null } | null;
}

export interface WarningQuery {
  level?: Level;
  status?: WarningStatusFilter;
  ruleId?: string;
  kind?: RuleKind;
  deviceId?: string;
  from?: string;
  to?: string;
  q?: string;
  page?: number;
  pageSize?: number;
}

export interface PrecisionRow {
  ruleId: string;
  ruleName: string;
  kind: RuleKind;
  kindLabel: string;
  raised: number;
  verified: number;
  confirmed: number;
  handled: number;
  falseAlarm: number;
  byLevel: Record<Level, number>;
  precision: number | null;
}

export type LevelBounds = Partial<Record<Level, number>>;

export interface AlertRule {
  id: string;
  name: string;
  kind: RuleKind;
  kindLabel: string;
  deviceType: DeviceType | null;
  deviceIds: string[];
  params: Record<string, unknown>;
  taskCategory: string;
  enabled: boolean;
  version: number;
  updatedAt: string;
}

export interface AlertRuleInput {
  name?: string;
  kind?: RuleKind;
  deviceType?: DeviceType | null;
  deviceIds?: string[] | null;
  params?: Record<string, unknown>;
  taskCategory?: string;
  enabled?: boolean;
}

export interface DryRunResult {
  warnings: number;
  byLevel: Record<Level, number>;
  devices: number;
  days: number;
  samples: { deviceCode: string; at: string; level: Level; reason: string }[];
}

export interface Device {
  id: string;
  code: string;
  name: string;
  type: DeviceType;
  typeLabel: string;
  lng: number | null;
  lat: number | null;
  addressText: string | null;
  gridName: string | null;
  communityName: string | null;
  owner: string | null;
  active?: boolean;
  waterBody: { id: string; name: string } | null;
  household: { id: string; label: string } | null;
  online: boolean;
  lastSeenAt: string | null;
  lastReadingAt: string | null;
  lastValues: Record<string, number> | null;
}

export interface DeviceQuery {
  type?: DeviceType;
  q?: string;
  online?: boolean;
  waterBodyId?: string;
  page?: number;
  pageSize?: number;
}

export interface DeviceInput {
  code?: string;
  name?: string;
  type?: DeviceType;
  lng?: number | null;
  lat?: number | null;
  addressText?: string | null;
  owner?: string | null;
  waterBodyId?: string | null;
  householdId?: string | null;
}

/** An indicator of a device's readings: the server may send names alone or with unit and label. */
export type IndicatorInfo = string | { key: string; label?: string; unit?: string };

export interface Readings {
  items: { observedAt: string; values: Record<string, number> }[];
  indicators: IndicatorInfo[];
}

export interface WaterBody {
  id: string;
  name: string;
  kind: 'river' | 'lake';
  targetClass: number;
  targetClassLabel?: string;
  alarmLevels: { yellow: number; red: number };
  chief: { id: string; name: string } | null;
  stations?: number;
}

export interface WaterBodyInput {
  name?: string;
  kind?: 'river' | 'lake';
  targetClass?: number;
  alarmLevels?: { yellow: number; red: number };
  chiefUserId?: string | null;
}

export interface Assessment {
  class: number;
  label: string;
  /** 优 / 良好 / 轻度污染 … */
  quality?: string;
  decisive: string[];
  indicators: Record<string, { value: number; class: number; label: string }>;
}

export interface Household {
  id: string;
  addressText: string;
  careTags: string[];
  contactName: string;
  contactPhone: string | null;
  meter: { id: string; code: string; online: boolean; lastReadingAt: string | null } | null;
  gridName: string | null;
  communityName: string | null;
  lng?: number | null;
  lat?: number | null;
  note?: string | null;
}

export interface HouseholdInput {
  addressText?: string;
  lng?: number | null;
  lat?: number | null;
  contactName?: string;
  contactPhone?: string;
  careTags?: string[];
  note?: string | null;
}

export interface ReconImport {
  id: string;
  kind: ReconImportKind;
  kindLabel?: string;
  fileName: string;
  rows: number;
  jobId: string | null;
  status?: Job['status'] | null;
  createdBy?: string | null;
  createdAt: string;
}

export interface ReconRun {
  id: string;
  ruleId: string;
  ruleName?: string;
  trigger: 'schedule' | 'manual';
  status: 'running' | 'succeeded' | 'failed';
  asOf: string;
  jobId: string | null;
  found: number;
  raised: number;
  ended: number;
  error: string | null;
  createdBy?: string | null;
  startedAt: string;
  finishedAt: string | null;
}

type Q = Record<string, string | number | boolean | null | undefined>;
const enc = encodeURIComponent;

/** A list endpoint may answer an array or a page; the pages want `{ items, total }`. */
function asPage<T>(r: T[] | Page<T>): Page<T> {
  return Array.isArray(r) ? { items: r, total: r.length } : r;
}

function asList<T>(r: T[] | { items: T[] }): T[] {
  return Array.isArray(r) ? r : r.items;
}

// ---------------------------------------------------------------- endpoints

export const alertsApi = {
  warnings: {
    list: (q: WarningQuery) => request<Page<WarningSummary> & { page: number; pageSize: number }>('/warnings', { query: { ...q } as Q }),
    exportXlsx: (q: WarningQuery) => download('/warnings/export.xlsx', { ...q, page: undefined, pageSize: undefined } as Q, '预警.xlsx'),
    get: (id: string) => request<WarningDetail>(`/warnings/${enc(id)}`),
    outcome: (id: string, outcome: Outcome, note: string | null) => request<WarningDetail>(`/warnings/${enc(id)}/outcome`, { method: 'POST', json: { outcome, note } }),
    precision: (q: { from?: string; to?: string }) => request<PrecisionRow[]>('/warnings/precision', { query: q }),
  },
  rules: {
    list: () => request<AlertRule[] | { items: AlertRule[] }>('/alert-rules').then(asList),
    create: (body: AlertRuleInput) => request<AlertRule>('/alert-rules', { method: 'POST', json: body }),
    update: (id: string, body: AlertRuleInput) => request<AlertRule>(`/alert-rules/${enc(id)}`, { method: 'PATCH', json: body }),
    dryRun: (id: string, params?: Record<string, unknown>) => request<{ jobId: string }>(`/alert-rules/${enc(id)}/dry-run`, { method: 'POST', json: params ? { params } : {} }),
    run: (id: string) => request<{ runId: string; jobId: string }>(`/alert-rules/${enc(id)}/run`, { method: 'POST', json: {} }),
  },
  devices: {
    list: (q: DeviceQuery) => request<Page<Device> | Device[]>('/devices', { query: { ...q } as Q }).then(asPage),
    exportXlsx: (q: DeviceQuery) => download('/devices', { ...q, page: undefined, pageSize: undefined, format: 'xlsx' } as Q, '设备.xlsx'),
    get: (id: string) => request<Device>(`/devices/${enc(id)}`),
    create: (body: DeviceInput) => request<{ id: string; secret: string }>('/devices', { method: 'POST', json: body }),
    update: (id: string, body: DeviceInput) => request<Device>(`/devices/${enc(id)}`, { method: 'PATCH', json: body }),
    newSecret: (id: string) => request<{ secret: string }>(`/devices/${enc(id)}/secret`, { method: 'POST', json: {} }),
    readings: (id: string, q: { from?: string; to?: string }) => request<Readings>(`/devices/${enc(id)}/readings`, { query: q }),
  },
  waterBodies: {
    list: () => request<WaterBody[] | { items: WaterBody[] }>('/water-bodies').then(asList),
    create: (body: WaterBodyInput) => request<WaterBody>('/water-bodies', { method: 'POST', json: body }),
    update: (id: string, body: WaterBodyInput) => request<WaterBody>(`/water-bodies/${enc(id)}`, { method: 'PATCH', json: body }),
  },
  waterQuality: {
    assess: (waterBody: 'river' | 'lake', readings: Partial<Record<WaterIndicator, number>>) =>
      request<Assessment>('/water-quality/assess', { method: 'POST', json: { waterBody, readings } }),
  },
  households: {
    list: (q: { q?: string; careTag?: string; hasMeter?: boolean; page?: number; pageSize?: number }) => request<Page<Household> | Household[]>('/households', { query: { ...q } }).then(asPage),
    careTags: () => request<string[]>('/households/care-tags'),
    create: (body: HouseholdInput) => request<Household>('/households', { method: 'POST', json: body }),
    update: (id: string, body: HouseholdInput) => request<Household>(`/households/${enc(id)}`, { method: 'PATCH', json: body }),
    linkMeter: (id: string, deviceId: string | null) => request<Household>(`/households/${enc(id)}/meter`, { method: 'PUT', json: { deviceId } }),
    contact: (id: string) => request<{ contactName: string; contactPhone: string | null }>(`/households/${enc(id)}/contact`),
  },
  recon: {
    upload: (kind: ReconImportKind, file: File) => {
      const form = new FormData();
      form.append('kind', kind);
      form.append('file', file, file.name);
      return request<{ jobId: string; importId?: string }>('/recon/imports', { method: 'POST', body: form });
    },
    imports: () => request<ReconImport[] | Page<ReconImport>>('/recon/imports').then(asPage),
    template: (kind: ReconImportKind) => download(`/recon/templates/${kind}.xlsx`, undefined, `${kind}.xlsx`),
    runs: (ruleId?: string) => request<ReconRun[] | Page<ReconRun>>('/recon/runs', { query: { ruleId } }).then(asPage),
  },
};
