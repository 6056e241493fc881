/**
 * The custody model, pure: what may happen to a seized item next (preconditions and
 * separation of duties) and what its current state is (a fold over its events). The database
 * keeps a projection of the fold; `zhian custody verify` recomputes it from the events.
 */

export const ITEM_TYPES = ['cash', 'valuables', 'vehicle', 'electronic', 'document', 'drugs', 'weapon', 'other'] as const;
export type ItemType = (typeof ITEM_TYPES)[number];
export const ITEM_TYPE_LABELS: Record<ItemType, string> = {
  cash: '现金',
  valuables: '贵重物品',
  vehicle: '车辆',
  electronic: '电子设备',
  document: '文书资料',
  drugs: '毒品',
  weapon: '管制器具',
  other: '其他',
};
/** Cash and valuables need two people at check-in and disposal. */
export const TWO_PERSON_TYPES: readonly ItemType[] = ['cash', 'valuables'];

export const DISPOSAL_WAYS = ['auction', 'destroy', 'return', 'confiscate'] as const;
export type DisposalWay = (typeof DISPOSAL_WAYS)[number];
export const DISPOSAL_WAY_LABELS: Record<DisposalWay, string> = { auction: '拍卖', destroy: '销毁', return: '返还', confiscate: '没收上缴国库' };

export const STATUSES = ['registered', 'in_store', 'on_loan', 'awaiting_treasury', 'disposed'] as const;
export type ItemStatus = (typeof STATUSES)[number];
export const STATUS_LABELS: Record<ItemStatus, string> = { registered: '待入库', in_store: '在库', on_loan: '调用中', awaiting_treasury: '待财政接收', disposed: '已处置' };

/** The steps a person takes (POST /items/:id/events); registration and evidence are recorded otherwise. */
export const ACTION_TYPES = [
  'photograph',
  'check_in',
  'move',
  'seal',
  'unseal',
  'examine',
  'mark_unrelated',
  'borrow_request',
  'borrow_approve',
  'borrow_reject',
  'check_out',
  'return',
  'transfer_offer',
  'transfer_accept',
  'transfer_reject',
  'disposal_request',
  'disposal_approve',
  'disposal_reject',
  'dispose',
  'treasury_receipt',
  'correct',
] as const;
export type ActionType = (typeof ACTION_TYPES)[number];
export const EVENT_TYPES = ['register', ...ACTION_TYPES, 'evidence_added', 'evidence_rejected'] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export const EVENT_LABELS: Record<EventType, string> = {
  register: '登记',
  photograph: '拍照',
  check_in: '入库',
  move: '移库',
  seal: '封存',
  unseal: '启封',
  examine: '鉴定检验',
  mark_unrelated: '认定与案件无关',
  borrow_request: '申请调用',
  borrow_approve: '批准调用',
  borrow_reject: '驳回调用',
  check_out: '调用出库',
  return: '调用归还',
  transfer_offer: '移送',
  transfer_accept: '确认接收',
  transfer_reject: '拒收',
  disposal_request: '申请处置',
  disposal_approve: '审批同意处置',
  disposal_reject: '驳回处置',
  dispose: '处置',
  treasury_receipt: '财政确认上缴',
  evidence_added: '上传电子证据',
  evidence_rejected: '电子证据校验失败',
  correct: '更正',
};

/** The descriptive fields a correction may change. */
export const CORRECTABLE = ['name', 'description', 'quantity', 'unit', 'valueCents'] as const;
export type Correctable = (typeof CORRECTABLE)[number];

export interface ItemFields {
  name: string;
  description: string;
  quantity: number;
  unit: string;
  valueCents: number | null;
}

export type Pending =
  | { kind: 'borrow'; requestSeq: number; requesterId: string; purpose: string; dueAt: string; approverId: string | null }
  | { kind: 'transfer'; offerSeq: number; offererId: string; fromOrgId: string; toOrgId: string; offeredAt: string; documentRef: string }
  | { kind: 'disposal'; requestSeq: number; requesterId: string; way: DisposalWay; documentRef: string; approverIds: string[] };

/** The derived state of an item: custody, location, loan, disposition and status on separate axes. */
export interface ItemState {
  status: ItemStatus;
  holderOrgId: string;
  /** Organisations that held the item at any time (they keep seeing it). */
  heldBy: string[];
  locationId: string | null;
  sealed: boolean;
  pending: Pending | null;
  loan: { dueAt: string; borrowerId: string; checkOutSeq: number } | null;
  unrelatedAt: string | null;
  disposition: DisposalWay | null;
  disposedAt: string | null;
  photos: string[];
  evidence: number;
  fields: ItemFields;
  seizedBy: string;
  type: ItemType;
  lastSeq: number;
}

/** An event as recorded (the columns of custody_events without the hashes). */
export interface CustodyEvent {
  itemId: string;
  seq: number;
  type: EventType;
  at: string;
  recordedAt: string;
  actorId: string;
  actorName: string;
  actorOrgId: string;
  witnessId: string | null;
  witnessName: string | null;
  correctsSeq: number | null;
  data: Record<string, unknown>;
}

/** What the registration event carries (the owner only as a digest: personal data stays out of the log). */
export interface RegisterData {
  caseId: string;
  itemNo: number;
  code: string;
  type: ItemType;
  name: string;
  description: string;
  quantity: number;
  unit: string;
  valueCents: number | null;
  ownerKind: string;
  ownerDigest: string;
  seizureDoc: string;
  seizedAt: string;
  seizedBy: string;
  holderOrgId: string;
  centreId: string;
  /** Stock entered when the centre started using the system (存量录入), not a late registration. */
  backlog?: boolean;
}

const str = (v: unknown) => String(v ?? '');

/** Applies one event to the state (the state before registration is null). Pure; no checks. */
export function applyEvent(s: ItemState | null, e: CustodyEvent): ItemState {
  if (e.type === 'register') {
    const d = e.data as unknown as RegisterData;
    return {
      status: 'registered',
      holderOrgId: d.holderOrgId,
      heldBy: [d.holderOrgId],
      locationId: null,
      sealed: false,
      pending: null,
      loan: null,
      unrelatedAt: null,
      disposition: null,
      disposedAt: null,
      photos: [],
      evidence: 0,
      fields: { name: d.name, description: d.description, quantity: d.quantity, unit: d.unit, valueCents: d.valueCents },
      seizedBy: d.seizedBy,
      type: d.type,
      lastSeq: e.seq,
    };
  }
  if (!s) throw new Error(`event ${e.seq} of item ${e.itemId} precedes its registration`);
  const n: ItemState = { ...s, lastSeq: e.seq };
  const d = e.data;
  switch (e.type) {
    case 'photograph':
      n.photos = [...s.photos, ...((d.fileIds as string[]) ?? [])];
      break;
    case 'check_in':
      n.status = 'in_store';
      n.locationId = str(d.locationId);
      break;
    case 'move':
      n.locationId = str(d.toLocationId);
      break;
    case 'seal':
      n.sealed = true;
      break;
    case 'unseal':
      n.sealed = false;
      break;
    case 'mark_unrelated':
      n.unrelatedAt = e.at;
      break;
    case 'borrow_request':
      n.pending = { kind: 'borrow', requestSeq: e.seq, requesterId: e.actorId, purpose: str(d.purpose), dueAt: str(d.dueAt), approverId: null };
      break;
    case 'borrow_approve':
      if (s.pending?.kind === 'borrow') n.pending = { ...s.pending, approverId: e.actorId };
      break;
    case 'borrow_reject':
    case 'transfer_reject':
    case 'disposal_reject':
      n.pending = null;
      break;
    case 'check_out':
      n.status = 'on_loan';
      n.loan = { dueAt: str(d.dueAt), borrowerId: str(d.borrowerId), checkOutSeq: e.seq };
      n.locationId = null;
      n.pending = null;
      break;
    case 'return':
      n.status = 'in_store';
      n.loan = null;
      n.locationId = str(d.locationId);
      break;
    case 'transfer_offer':
      n.pending = { kind: 'transfer', offerSeq: e.seq, offererId: e.actorId, fromOrgId: s.holderOrgId, toOrgId: str(d.toOrgId), offeredAt: e.at, documentRef: str(d.documentRef) };
      break;
    case 'transfer_accept':
      if (s.pending?.kind === 'transfer') {
        n.holderOrgId = s.pending.toOrgId;
        if (!s.heldBy.includes(s.pending.toOrgId)) n.heldBy = [...s.heldBy, s.pending.toOrgId];
      }
      n.pending = null;
      break;
    case 'disposal_request':
      n.pending = { kind: 'disposal', requestSeq: e.seq, requesterId: e.actorId, way: d.way as DisposalWay, documentRef: str(d.documentRef), approverIds: [] };
      break;
    case 'disposal_approve':
      if (s.pending?.kind === 'disposal') n.pending = { ...s.pending, approverIds: [...s.pending.approverIds, e.actorId] };
      break;
    case 'dispose': {
      const way = d.way as DisposalWay;
      n.pending = null;
      n.disposition = way;
      n.locationId = null;
      n.sealed = false;
      if (way === 'confiscate') {
        n.status = 'awaiting_treasury';
        if (d.financeOrgId) {
          n.holderOrgId = str(d.financeOrgId);
          if (!s.heldBy.includes(n.holderOrgId)) n.heldBy = [...s.heldBy, n.holderOrgId];
        }
      } else {
        n.status = 'disposed';
        n.disposedAt = e.at;
      }
      break;
    }
    case 'treasury_receipt':
      n.status = 'disposed';
      n.disposedAt = e.at;
      break;
    case 'evidence_added':
      n.evidence = s.evidence + 1;
      break;
    case 'evidence_rejected':
    case 'examine':
      break;
    case 'correct': {
      const changes = (d.changes ?? {}) as Partial<ItemFields>;
      n.fields = { ...s.fields };
      for (const k of CORRECTABLE) if (k in changes) (n.fields as unknown as Record<string, unknown>)[k] = changes[k];
      break;
    }
  }
  return n;
}

/** The state after all events (in sequence order). */
export function foldEvents(events: readonly CustodyEvent[]): ItemState | null {
  let s: ItemState | null = null;
  for (const e of events) s = applyEvent(s, e);
  return s;
}

/** Facts about the acting person and the rules in force, for the preconditions. */
export interface Decision {
  actorId: string;
  /** Whether the actor belongs to (works in) the holding organisation or its subtree. */
  actsForHolder: boolean;
  /** Whether the actor belongs to the organisation a transfer is offered to. */
  actsForRecipient: boolean;
  /** Whether the actor works for a finance organisation (上缴国库). */
  actsForFinance: boolean;
  witnessId: string | null;
  disposalApprovals: number;
  now: Date;
}

/** Why a step may not be taken now (→ 409), or null when it may. */
export function refusal(s: ItemState, type: EventType, data: Record<string, unknown>, f: Decision): string | null {
  const disposed = s.status === 'disposed' || s.status === 'awaiting_treasury';
  const needsWitness = TWO_PERSON_TYPES.includes(s.type);
  const holderOnly = (what: string) => (f.actsForHolder ? null : `only the holding agency may ${what}`);
  switch (type) {
    case 'register':
      return 'the item is already registered';
    case 'photograph':
    case 'examine':
    case 'evidence_added':
    case 'evidence_rejected':
      return null;
    case 'correct': {
      const seq = Number(data.correctsSeq);
      if (!Number.isInteger(seq) || seq < 1 || seq > s.lastSeq) return `event ${data.correctsSeq} does not exist`;
      return null;
    }
    case 'check_in':
      if (s.status !== 'registered') return `the item is ${STATUS_LABELS[s.status]}, not awaiting check-in`;
      if (needsWitness && !f.witnessId) return 'cash and valuables are checked in by two people: a witness is required';
      if (needsWitness && f.witnessId === f.actorId) return 'the witness must be another person';
      return null;
    case 'move':
      if (s.status !== 'in_store') return `the item is ${STATUS_LABELS[s.status]}, not in store`;
      if (data.toLocationId === s.locationId) return 'the item is already there';
      return null;
    case 'seal':
      if (disposed) return 'the item has been disposed of';
      return s.sealed ? 'the item is already sealed' : null;
    case 'unseal':
      return s.sealed ? null : 'the item is not sealed';
    case 'mark_unrelated':
      if (disposed) return 'the item has been disposed of';
      if (s.unrelatedAt) return 'the item is already marked unrelated to the case';
      return holderOnly('mark it unrelated');
    case 'borrow_request':
      if (s.status !== 'in_store') return `the item is ${STATUS_LABELS[s.status]}, not in store`;
      if (s.pending) return `a ${s.pending.kind} is pending`;
      return holderOnly('borrow it');
    case 'borrow_approve':
    case 'borrow_reject':
      if (s.pending?.kind !== 'borrow' || s.pending.approverId) return 'no borrow request awaits approval';
      if (s.pending.requesterId === f.actorId) return 'separation of duties: the requester cannot decide their own request';
      return holderOnly('approve its loan');
    case 'check_out':
      if (s.pending?.kind !== 'borrow' || !s.pending.approverId) return 'no approved borrow request';
      if (s.status !== 'in_store') return `the item is ${STATUS_LABELS[s.status]}, not in store`;
      return null;
    case 'return':
      return s.status === 'on_loan' ? null : 'the item is not on loan';
    case 'transfer_offer':
      if (disposed) return 'the item has been disposed of';
      if (s.status === 'on_loan') return 'the item is on loan';
      if (s.pending) return `a ${s.pending.kind} is pending`;
      if (!f.actsForHolder) return 'the item is not held by your agency';
      if (data.toOrgId === s.holderOrgId) return 'the item is already held by that agency';
      return null;
    case 'transfer_accept':
    case 'transfer_reject':
      if (s.pending?.kind !== 'transfer') return 'no transfer is pending';
      return f.actsForRecipient ? null : 'the transfer is not addressed to your agency';
    case 'disposal_request':
      if (disposed) return 'the item has been disposed of';
      if (s.status === 'on_loan') return 'the item is on loan';
      if (s.status !== 'in_store') return `the item is ${STATUS_LABELS[s.status]}, not in store`;
      if (s.pending) return `a ${s.pending.kind} is pending`;
      return holderOnly('dispose of it');
    case 'disposal_approve':
    case 'disposal_reject':
      if (s.pending?.kind !== 'disposal') return 'no disposal request awaits approval';
      if (f.actorId === s.seizedBy) return 'separation of duties: the officer who seized the item cannot decide its disposal';
      if (f.actorId === s.pending.requesterId) return 'separation of duties: the requester cannot decide their own request';
      if (s.pending.approverIds.includes(f.actorId)) return 'you have already approved this disposal';
      if (type === 'disposal_approve' && s.pending.approverIds.length >= f.disposalApprovals) return 'the disposal is already fully approved';
      return holderOnly('approve its disposal');
    case 'dispose':
      if (s.pending?.kind !== 'disposal') return 'no disposal has been requested';
      if (s.pending.approverIds.length < f.disposalApprovals) return `the disposal needs ${f.disposalApprovals} approvals, it has ${s.pending.approverIds.length}`;
      if (s.status === 'on_loan') return 'the item is on loan';
      if (f.actorId === s.seizedBy || f.actorId === s.pending.requesterId || s.pending.approverIds.includes(f.actorId)) {
        return 'separation of duties: the disposal is carried out by someone who neither seized, requested nor approved it';
      }
      if (needsWitness && !f.witnessId) return 'cash and valuables are disposed of by two people: a witness is required';
      if (needsWitness && f.witnessId === f.actorId) return 'the witness must be another person';
      return null;
    case 'treasury_receipt':
      if (s.status !== 'awaiting_treasury') return 'the item is not awaiting the treasury';
      return f.actsForFinance ? null : 'only the finance bureau confirms receipt into the treasury';
  }
}
