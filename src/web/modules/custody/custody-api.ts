/**
 * The client of the 涉案财物 endpoints (/api/v1/custody/…): storage, cases, items and their
 * steps, scanning, warnings, statistics, digital evidence and remote display. Built on the
 * console's shared transport (session cookie, CSRF header, error shape); only the shapes live
 * here. The vocabularies are the server's own pure constants.
 */
import { download, queryString, request, API_BASE, type Page } from '../../api';
import { DISPOSAL_WAYS, EVENT_TYPES, ITEM_TYPES, STATUSES, type DisposalWay, type EventType, type ItemStatus, type ItemType } from '../../../server/modules/custody/custody.model';

export { DISPOSAL_WAYS, EVENT_TYPES, ITEM_TYPES, STATUSES };
export type { DisposalWay, EventType, ItemStatus, ItemType };

// ---------------------------------------------------------------- vocabulary

export type LocationKind = 'centre' | 'room' | 'cabinet' | 'shelf' | 'bin';
export const LOCATION_KINDS: LocationKind[] = ['centre', 'room', 'cabinet', 'shelf', 'bin'];
/** What each kind of place may hold (the server's rule). */
export const LOCATION_CHILDREN: Record<LocationKind, LocationKind[]> = { centre: ['room'], room: ['cabinet', 'shelf'], cabinet: ['shelf', 'bin'], shelf: ['bin'], bin: [] };

export type CaseKind = 'criminal' | 'administrative';
export type OwnerKind = 'person' | 'organisation' | 'unknown';
export const OWNER_KINDS: OwnerKind[] = ['person', 'organisation', 'unknown'];

export const WARNING_KINDS = ['late_registration', 'loan_overdue', 'unrelated_not_released', 'undisposed', 'transfer_unaccepted'] as const;
export type WarningKind = (typeof WARNING_KINDS)[number];

/** The steps a person takes through POST /items/:id/events. */
export type ActionType =
  | 'photograph'
  | 'check_in'
  | 'move'
  | 'seal'
  | 'unseal'
  | 'examine'
  | 'mark_unrelated'
  | 'borrow_request'
  | 'borrow_approve'
  | 'borrow_reject'
  | 'check_out'
  | 'return'
  | 'transfer_offer'
  | 'transfer_accept'
  | 'transfer_reject'
  | 'disposal_request'
  | 'disposal_approve'
  | 'disposal_reject'
  | 'dispose'
  | 'treasury_receipt'
  | 'correct';

// ---------------------------------------------------------------- shapes

export interface Place {
  id: string;
  parentId: string | null;
  centreId: string;
  kind: LocationKind;
  kindLabel: string;
  code: string;
  name: string;
  capacity: number | null;
  operatorOrgId: string;
  lng: number | null;
  lat: number | null;
  addressText: string | null;
  /** Items in store here and below. */
  occupancy?: number;
  /** Items in store right here (storage map only). */
  direct?: number;
}

export interface StorageMap {
  centre: Place;
  places: Place[];
}

export interface LocationInput {
  parentId?: string | null;
  kind: LocationKind;
  name: string;
  code?: string | null;
  capacity?: number | null;
  operatorOrgId?: string | null;
  lng?: number | null;
  lat?: number | null;
  addressText?: string | null;
}

export interface Agency {
  id: string;
  name: string;
  deptType: string | null;
}

export interface CaseSummary {
  id: string;
  code: string;
  caseNumber: string;
  title: string;
  kind: CaseKind;
  agency: { id: string; name: string };
  officer: { id: string; name: string };
  centreId: string;
  openedAt: string;
  status: 'open' | 'concluded';
  concludedAt: string | null;
  conclusion: string | null;
  createdAt: string;
  itemCount?: number;
  disposedCount?: number;
}

export interface CaseDetail extends CaseSummary {
  items: Item[];
}

export interface CaseInput {
  caseNumber: string;
  title: string;
  kind: CaseKind;
  openedAt: string;
  centreId: string;
}

export interface CaseQuery {
  q?: string;
  status?: 'open' | 'concluded';
  page?: number;
  pageSize?: number;
}

export type Pending =
  | { kind: 'borrow'; requestSeq: number; requesterId: string; purpose: string; dueAt: string; approverId: string | null; orgId: string | null; orgName: string | null }
  | { kind: 'transfer'; offerSeq: number; offererId: string; fromOrgId: string; toOrgId: string; offeredAt: string; documentRef: string; orgId: string | null; orgName: string | null }
  | { kind: 'disposal'; requestSeq: number; requesterId: string; way: DisposalWay; documentRef: string; approverIds: string[]; orgId: string | null; orgName: string | null };

export interface Item {
  id: string;
  code: string;
  itemNo: number;
  type: ItemType;
  typeLabel: string;
  name: string;
  description: string;
  quantity: number;
  unit: string;
  valueCents: number | null;
  /** Masked ("张**", "139****5678"). */
  owner: { kind: OwnerKind; name: string | null; phone: string | null };
  seizureDoc: string;
  seizedAt: string;
  seizedBy: string;
  case: { id: string; code: string; caseNumber: string; title: string; status: string };
  status: ItemStatus;
  statusLabel: string;
  holder: { id: string; name: string };
  location: { id: string; code: string; name: string; path: string } | null;
  sealed: boolean;
  pending: Pending | null;
  loan: { dueAt: string; borrowerId: string; checkOutSeq: number } | null;
  unrelatedAt: string | null;
  disposition: DisposalWay | null;
  dispositionLabel: string | null;
  disposedAt: string | null;
  photos: string[];
  evidenceCount: number;
  twoPerson: boolean;
  registeredAt: string;
  lastSeq: number;
  openWarnings?: number;
}

export interface TimelineEntry {
  seq: number;
  type: EventType;
  label: string;
  at: string;
  recordedAt: string;
  actor: { id: string; name: string; orgName: string };
  witness: { id: string; name: string | null } | null;
  correctsSeq: number | null;
  data: Record<string, unknown>;
  places: Record<string, string>;
  orgs: Record<string, string>;
  hash: string;
}

export interface CustodyWarning {
  id: string;
  kind: WarningKind | string;
  label: string;
  raisedAt: string;
  dueAt: string | null;
  resolvedAt: string | null;
  detail: Record<string, unknown> | null;
  item: { id: string; code: string; name: string };
  caseNumber: string;
  caseCode: string;
  holderName: string | null;
}

export interface ItemDetail extends Item {
  chain: { intact: boolean; problems: unknown[]; head: string };
  timeline: TimelineEntry[];
  warnings: CustodyWarning[];
}

export interface ItemQuery {
  q?: string;
  type?: ItemType;
  status?: ItemStatus;
  holderOrgId?: string;
  locationId?: string;
  centreId?: string;
  caseId?: string;
  disposition?: DisposalWay;
  warning?: boolean;
  page?: number;
  pageSize?: number;
}

export interface ItemInput {
  type: ItemType;
  name: string;
  description?: string;
  quantity: number;
  unit: string;
  valueCents?: number | null;
  ownerKind: OwnerKind;
  ownerName?: string | null;
  ownerPhone?: string | null;
  seizureDoc: string;
  seizedAt: string;
  photoFileIds?: string[];
}

export interface Witness {
  username: string;
  password: string;
}

export type ActionBody = { type: ActionType; witness?: Witness | null; at?: string | null } & Record<string, unknown>;

export type ScanResult =
  | { kind: 'item'; item: ItemDetail }
  | { kind: 'case'; case: CaseDetail }
  | { kind: 'location'; location: Place; items: Item[] };

export interface BatchResult {
  type: ActionType;
  count: number;
  items: { code: string; seq: number; status: ItemStatus }[];
}

export interface CustodySettings {
  registrationHours: number;
  unrelatedDays: number;
  undisposedDays: number;
  transferDays: number;
  disposalApprovals: number;
}

export interface CustodyStats {
  totals: { items: number; inCustody: number; onLoan: number; disposed: number; openWarnings: number; avgDaysToDisposal: number | null };
  byType: { type: ItemType; label: string; total: number; inCustody: number; onLoan: number; disposed: number; valueInCustodyCents: number; avgDaysToDisposal: number | null }[];
  byWay: { way: DisposalWay; label: string; count: number }[];
  byMonth: { month: string; received: number; disposed: number }[];
}

export interface EvidenceShare {
  id: string;
  orgId: string;
  orgName: string;
  expiresAt: string;
}

export interface Evidence {
  id: string;
  filename: string;
  mime: string;
  size: number;
  sha256: string;
  uploader: { id: string; name: string };
  createdAt: string;
  shares: EvidenceShare[];
}

export interface DisplaySummary {
  id: string;
  title: string;
  viewerName: string;
  itemCount: number;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  active: boolean;
}

export interface DisplayInput {
  title: string;
  viewerName: string;
  itemIds: string[];
  expiresAt: string;
}

export interface DisplayCreated {
  id: string;
  token: string;
  url: string;
  expiresAt: string;
}

export interface PublicDisplay {
  title: string;
  viewerName: string;
  expiresAt: string;
  watermark: string;
  items: {
    code: string;
    name: string;
    typeLabel: string;
    caseNumber: string;
    description: string;
    quantity?: number;
    unit?: string;
    statusLabel?: string;
    photos: { url: string }[];
    evidence: { id: string; filename: string; mime: string; size: number; url: string }[];
  }[];
}

// ---------------------------------------------------------------- endpoints

type Q = Record<string, string | number | boolean | null | undefined>;
const enc = encodeURIComponent;

function itemQuery(q: ItemQuery): Q {
  return { ...q, warning: q.warning ? 'true' : undefined };
}

/** Addresses opened in a new tab (PDF labels) or used as <img src>. */
export const custodyUrls = {
  itemLabels: (itemIds: string[], format: 'label' | 'a4' = 'label') => `${API_BASE}/custody/labels.pdf${queryString({ itemIds: itemIds.join(','), format })}`,
  caseLabels: (caseId: string, format: 'label' | 'a4' = 'label') => `${API_BASE}/custody/labels.pdf${queryString({ caseId, format })}`,
  locationLabels: (centreId: string, format: 'label' | 'a4' = 'a4') => `${API_BASE}/custody/centres/${enc(centreId)}/labels.pdf${queryString({ format })}`,
  photo: (itemId: string, fileId: string) => `${API_BASE}/custody/items/${enc(itemId)}/photos/${enc(fileId)}`,
  evidenceDownload: (id: string) => `${API_BASE}/custody/evidence/${enc(id)}/download`,
  uploads: `${API_BASE}/custody/uploads`,
};

export const custodyApi = {
  settings: () => request<CustodySettings>('/custody/settings'),
  centres: () => request<Place[]>('/custody/centres'),
  storageMap: (centreId: string) => request<StorageMap>(`/custody/centres/${enc(centreId)}/map`),
  createLocation: (body: LocationInput) => request<Place>('/custody/locations', { method: 'POST', json: body }),
  transferTargets: () => request<Agency[]>('/custody/transfer-targets'),

  cases: {
    list: (q: CaseQuery) => request<Page<CaseSummary> & { page: number; pageSize: number }>('/custody/cases', { query: { ...q } as Q }),
    get: (id: string) => request<CaseDetail>(`/custody/cases/${enc(id)}`),
    create: (body: CaseInput) => request<CaseSummary>('/custody/cases', { method: 'POST', json: body }),
    conclude: (id: string, conclusion: string) => request<CaseDetail>(`/custody/cases/${enc(id)}/conclude`, { method: 'POST', json: { conclusion } }),
    registerItems: (id: string, items: ItemInput[]) => request<{ items: Item[] }>(`/custody/cases/${enc(id)}/items`, { method: 'POST', json: { items } }),
  },

  items: {
    list: (q: ItemQuery) => request<Page<Item> & { page: number; pageSize: number }>('/custody/items', { query: itemQuery(q) }),
    exportXlsx: (q: ItemQuery) => download('/custody/items/export.xlsx', itemQuery({ ...q, page: undefined, pageSize: undefined }), '涉案财物台账.xlsx'),
    get: (id: string) => request<ItemDetail>(`/custody/items/${enc(id)}`),
    owner: (id: string) => request<{ kind: OwnerKind; name: string | null; phone: string | null }>(`/custody/items/${enc(id)}/owner`),
    act: (id: string, body: ActionBody) => request<ItemDetail>(`/custody/items/${enc(id)}/events`, { method: 'POST', json: body }),
  },

  batch: (body: ActionBody & { codes: string[] }) => request<BatchResult>('/custody/batch', { method: 'POST', json: body }),
  scan: (code: string) => request<ScanResult>('/custody/scan', { query: { code } }),
  inbox: (q: { page?: number; pageSize?: number }) => request<Page<Item>>('/custody/inbox', { query: q }),
  approvals: (q: { page?: number; pageSize?: number }) => request<Page<Item> & { approvalsRequired: number }>('/custody/approvals', { query: q }),
  warnings: (q: { open?: boolean; kind?: string; page?: number; pageSize?: number }) =>
    request<Page<CustodyWarning>>('/custody/warnings', { query: { ...q, open: q.open === undefined ? undefined : String(q.open) } }),
  stats: () => request<CustodyStats>('/custody/stats'),

  evidence: {
    list: (itemId: string) => request<Evidence[] | { items: Evidence[] }>(`/custody/items/${enc(itemId)}/evidence`).then((r) => (Array.isArray(r) ? r : r.items)),
    share: (id: string, body: { orgId: string; expiresAt: string }) => request<EvidenceShare>(`/custody/evidence/${enc(id)}/shares`, { method: 'POST', json: body }),
  },

  displays: {
    list: () => request<DisplaySummary[] | { items: DisplaySummary[] }>('/custody/displays').then((r) => (Array.isArray(r) ? r : r.items)),
    create: (body: DisplayInput) => request<DisplayCreated>('/custody/displays', { method: 'POST', json: body }),
    revoke: (id: string) => request<unknown>(`/custody/displays/${enc(id)}/revoke`, { method: 'POST', json: {} }),
  },
};

/** The centre an item is kept in: its registration event names it. */
export function centreOf(item: Item & { timeline?: TimelineEntry[] }): string | null {
  const reg = item.timeline?.find((e) => e.type === 'register');
  const id = reg?.data.centreId;
  return typeof id === 'string' ? id : null;
}

/** A scanned text as the server reads it: the last path segment of a label URL, upper case. */
export function normalizeCode(raw: string): string {
  const last = raw.trim().split(/[/?#]/).filter(Boolean).pop() ?? '';
  let code = last;
  try {
    code = decodeURIComponent(last);
  } catch {
    /* keep as is */
  }
  return code.trim().toUpperCase();
}
