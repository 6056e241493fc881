/**
 * Seized property custody: cases, items, their event history and every step of it (check-in,
 * loans, transfers between agencies, disposal), with the rules of practice — separation of
 * duties, two people for cash and valuables, approvals, deadlines — enforced here, each step
 * one transaction with its audit row.
 */
import crypto from 'node:crypto';
import type { Db, DbOrTx } from '../../db.js';
import { recordAudit, recordAudits } from '../../platform/audit/audit.js';
import { publishEvent } from '../../platform/events/events.js';
import { attachFiles, readFile } from '../../platform/files/files.js';
import type { ActorContext, RequestContext } from '../../platform/http/context.js';
import { AppError, conflict, invalid, notFound } from '../../platform/http/errors.js';
import { can } from '../../platform/http/context.js';
import { getSetting, maskName, maskPhone, putSetting, requirePermission } from '../core/index.js';
import { checkChain, eventHash, GENESIS } from './custody.chain.js';
import {
  ACTION_TYPES,
  applyEvent,
  CORRECTABLE,
  DISPOSAL_WAY_LABELS,
  DISPOSAL_WAYS,
  EVENT_LABELS,
  ITEM_TYPE_LABELS,
  ITEM_TYPES,
  refusal,
  STATUS_LABELS,
  TWO_PERSON_TYPES,
  type ActionType,
  type CustodyEvent,
  type DisposalWay,
  type EventType,
  type ItemState,
  type ItemType,
  type RegisterData,
} from './custody.model.js';
import * as repo from './custody.repository.js';

export const SETTINGS_KEY = 'custody.settings';
export interface CustodySettings {
  /** Items must be registered within this many hours of the seizure. */
  registrationHours: number;
  /** Items marked unrelated to the case must be released within this many days. */
  unrelatedDays: number;
  /** Items of concluded cases must be disposed of within this many days. */
  undisposedDays: number;
  /** A transfer must be accepted within this many days. */
  transferDays: number;
  /** Distinct approvers a disposal needs. */
  disposalApprovals: number;
}
export const DEFAULT_SETTINGS: CustodySettings = { registrationHours: 24, unrelatedDays: 3, undisposedDays: 90, transferDays: 3, disposalApprovals: 2 };

export const WARNING_LABELS: Record<string, string> = {
  late_registration: '超时登记',
  loan_overdue: '调用逾期未归还',
  unrelated_not_released: '无关财物超期未退还',
  undisposed: '结案后超期未处置',
  transfer_unaccepted: '移送超期未接收',
};

export { ACTION_TYPES, type ActionType };

/** Who may take each step (the holder / recipient / separation checks come on top). */
const ACTION_PERMISSION: Record<ActionType, string[]> = {
  photograph: ['custody.register', 'custody.keep'],
  check_in: ['custody.keep'],
  move: ['custody.keep'],
  seal: ['custody.keep'],
  unseal: ['custody.keep'],
  examine: ['custody.register', 'custody.keep'],
  mark_unrelated: ['custody.register'],
  borrow_request: ['custody.register'],
  borrow_approve: ['custody.approve'],
  borrow_reject: ['custody.approve'],
  check_out: ['custody.keep'],
  return: ['custody.keep'],
  transfer_offer: ['custody.transfer'],
  transfer_accept: ['custody.transfer'],
  transfer_reject: ['custody.transfer'],
  disposal_request: ['custody.register'],
  disposal_approve: ['custody.approve'],
  disposal_reject: ['custody.approve'],
  dispose: ['custody.keep'],
  treasury_receipt: ['custody.treasury'],
  correct: ['custody.register', 'custody.keep'],
};

export interface WitnessInput {
  username: string;
  password: string;
}

export interface ActionInput {
  witness?: WitnessInput | null;
  /** When it happened, if earlier than now (e.g. a check-in recorded after the fact). */
  at?: string | null;
  [k: string]: unknown;
}

export interface ItemInput {
  type: string;
  name: string;
  description?: string;
  quantity: number;
  unit: string;
  valueCents?: number | null;
  ownerKind: string;
  ownerName?: string | null;
  ownerPhone?: string | null;
  seizureDoc: string;
  seizedAt: string;
  photoFileIds?: string[];
}

export interface Confirmer {
  confirmPerson(ctx: RequestContext, username: string, password: string, field: string): Promise<{ id: string; displayName: string; orgId: string; roles: string[] }>;
}

const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);
const pad = (n: number, w: number) => String(n).padStart(w, '0');
const LOCATION_CHILD: Record<string, string[]> = { centre: ['room'], room: ['cabinet', 'shelf'], cabinet: ['shelf', 'bin'], shelf: ['bin'], bin: [] };
const LOCATION_LETTER: Record<string, string> = { room: 'R', cabinet: 'G', shelf: 'S', bin: 'B' };
export const LOCATION_KIND_LABELS: Record<string, string> = { centre: '保管中心', room: '库房', cabinet: '柜', shelf: '架', bin: '格位' };

function text(v: unknown, field: string, max: number, required = true): string {
  const s = typeof v === 'string' ? v.trim() : '';
  if (required && !s) throw invalid(field, 'is required');
  if (s.length > max) throw invalid(field, `at most ${max} characters`);
  return s;
}

function time(v: unknown, field: string): Date {
  const d = typeof v === 'string' || typeof v === 'number' ? new Date(v) : null;
  if (!d || Number.isNaN(d.getTime())) throw invalid(field, 'an ISO 8601 time is required');
  return d;
}

export function createCustodyService(deps: { db: Db; confirmer: Confirmer; log?: (obj: object, msg: string) => void }) {
  const { db } = deps;
  let settingsCache: { at: number; value: CustodySettings } | null = null;

  async function settings(): Promise<CustodySettings> {
    if (settingsCache && Date.now() - settingsCache.at < 5000) return settingsCache.value;
    const value = { ...DEFAULT_SETTINGS, ...((await getSetting<Partial<CustodySettings>>(db, SETTINGS_KEY)) ?? {}) };
    settingsCache = { at: Date.now(), value };
    return value;
  }

  async function updateSettings(ctx: ActorContext, patch: Partial<CustodySettings>) {
    requirePermission(ctx.actor, 'custody.locations');
    if (!ctx.actor.roles.includes('admin') && ctx.actor.via !== 'system') throw notFound('settings');
    const before = await settings();
    const next = { ...before };
    for (const k of Object.keys(DEFAULT_SETTINGS) as (keyof CustodySettings)[]) {
      if (patch[k] === undefined) continue;
      const v = Number(patch[k]);
      if (!Number.isInteger(v) || v < 1 || v > 3650) throw invalid(k, 'a whole number from 1 to 3650');
      next[k] = v;
    }
    if (next.disposalApprovals > 5) throw invalid('disposalApprovals', 'at most 5');
    await db.transaction().execute(async (tx) => {
      await putSetting(tx, SETTINGS_KEY, next);
      await recordAudit(tx, ctx, { action: 'custody.settings_updated', targetType: 'settings', targetId: SETTINGS_KEY, before, after: next });
    });
    settingsCache = null;
    return next;
  }

  // ---------------------------------------------------------------- scope

  /**
   * Organisations whose property the actor sees: those in their scope, and the ones they work
   * for (an officer of a sub-unit sees what the bureau holds); null = everything.
   */
  async function scopeOf(ctx: ActorContext): Promise<string[] | null> {
    if (ctx.actor.scopePath === '/') return null;
    const [under, path] = await Promise.all([repo.orgIdsUnder(db, ctx.actor.scopePath), actorOrgPath(ctx)]);
    return [...new Set([...under, ...path.split('/').filter(Boolean)])];
  }

  function seenBy(scope: string[] | null, seen: string[]): boolean {
    return !scope || seen.some((o) => scope.includes(o));
  }

  /** An item is seen by those who hold or held it, its centre, and the agency a transfer is offered to. */
  function itemSeen(scope: string[] | null, i: { seen_by: string[]; pending: string | null; pending_org_id: string | null }): boolean {
    return seenBy(scope, i.seen_by) || (!!scope && i.pending === 'transfer' && !!i.pending_org_id && scope.includes(i.pending_org_id));
  }

  /** Organisations the actor works for: their own and its ancestors (a sub-unit acts for its bureau). */
  async function actorOrgPath(ctx: ActorContext): Promise<string> {
    if (ctx.actor.via === 'system') return '/';
    const [o] = await repo.orgsByIds(db, [ctx.actor.orgId]);
    return o?.path ?? '/nowhere/';
  }

  async function actsFor(ctx: ActorContext, orgId: string, actorPath?: string, dbx: DbOrTx = db): Promise<boolean> {
    if (ctx.actor.via === 'system') return true;
    const [o] = await repo.orgsByIds(dbx, [orgId]);
    if (!o) return false;
    const mine = actorPath ?? (await actorOrgPath(ctx));
    if (mine.startsWith(o.path)) return true;
    // An administrator acts for the agencies in their scope (and is still bound by the
    // person-level separation of duties).
    return ctx.actor.roles.includes('admin') && o.path.startsWith(ctx.actor.scopePath);
  }

  function districtIdOf(ctx: ActorContext, fallbackPath?: string): string {
    const id = (ctx.actor.scopePath === '/' && fallbackPath ? fallbackPath : ctx.actor.scopePath).split('/').filter(Boolean)[0];
    if (!id) throw invalid('district', 'your account is not bound to a district');
    return id;
  }

  // ---------------------------------------------------------------- storage

  function presentLocation(l: repo.LocationRow, occupancy?: number) {
    return {
      id: l.id,
      parentId: l.parent_id,
      centreId: l.centre_id,
      kind: l.kind,
      kindLabel: LOCATION_KIND_LABELS[l.kind],
      code: l.code,
      name: l.name,
      capacity: l.capacity,
      operatorOrgId: l.operator_org_id,
      lng: l.lng,
      lat: l.lat,
      addressText: l.address_text,
      ...(occupancy !== undefined ? { occupancy } : {}),
    };
  }

  async function visibleCentre(ctx: ActorContext, id: string) {
    requirePermission(ctx.actor, 'custody.read');
    const l = await repo.locationById(db, id);
    if (!l) throw notFound('location');
    const [d] = await repo.orgsByIds(db, [l.district_org_id]);
    if (!d || !(d.path.startsWith(ctx.actor.scopePath) || ctx.actor.scopePath.startsWith(d.path))) throw notFound('location');
    return l;
  }

  async function createLocation(ctx: ActorContext, input: { parentId?: string | null; kind: string; name: string; code?: string | null; capacity?: number | null; operatorOrgId?: string | null; lng?: number | null; lat?: number | null; addressText?: string | null }) {
    requirePermission(ctx.actor, 'custody.locations');
    const name = text(input.name, 'name', 60);
    if (input.capacity != null && (!Number.isInteger(input.capacity) || input.capacity < 1)) throw invalid('capacity', 'a positive whole number');
    const id = crypto.randomUUID();
    await db.transaction().execute(async (tx) => {
      let row: Parameters<typeof repo.insertLocation>[1];
      if (input.kind === 'centre') {
        if (!input.operatorOrgId) throw invalid('operatorOrgId', 'the organisation running the centre is required');
        const [op] = await repo.orgsByIds(tx, [input.operatorOrgId]);
        if (!op || !op.path.startsWith(ctx.actor.scopePath)) throw notFound('organisation');
        const district = op.path.split('/').filter(Boolean)[0]!;
        const code = input.code?.trim() || `ZX${pad((await repo.centresUnder(tx, null)).length + 1, 2)}`;
        row = { id, district_org_id: district, operator_org_id: op.id, parent_id: null, centre_id: id, kind: 'centre', code, name, capacity: input.capacity ?? null, path: `/${id}/`, lng: input.lng ?? null, lat: input.lat ?? null, address_text: input.addressText ?? null };
      } else {
        if (!input.parentId) throw invalid('parentId', 'is required');
        const parent = await repo.locationById(tx, input.parentId);
        const [op] = parent ? await repo.orgsByIds(tx, [parent.operator_org_id]) : [];
        if (!parent || !op || !op.path.startsWith(ctx.actor.scopePath)) throw notFound('location');
        if (!LOCATION_CHILD[parent.kind]?.includes(input.kind)) throw invalid('kind', `a ${parent.kind} holds ${LOCATION_CHILD[parent.kind]?.join(' or ') || 'nothing'}`);
        const code = input.code?.trim() || `${parent.code}-${LOCATION_LETTER[input.kind]}${pad((await repo.childCount(tx, parent.id)) + 1, 2)}`;
        row = { id, district_org_id: parent.district_org_id, operator_org_id: parent.operator_org_id, parent_id: parent.id, centre_id: parent.centre_id, kind: input.kind as never, code, name, capacity: input.capacity ?? null, path: `${parent.path}${id}/`, lng: null, lat: null, address_text: null };
      }
      if (!/^[A-Za-z0-9-]{2,40}$/.test(row.code)) throw invalid('code', 'letters, digits and dashes, 2–40');
      if (await repo.locationByCode(tx, row.code)) throw conflict(`location code ${row.code} is taken`);
      await repo.insertLocation(tx, row);
      await recordAudit(tx, ctx, { action: 'custody_location.created', targetType: 'custody_location', targetId: id, after: { kind: row.kind, code: row.code, name } });
    });
    return presentLocation((await repo.locationById(db, id))!);
  }

  async function centres(ctx: ActorContext) {
    requirePermission(ctx.actor, 'custody.read');
    const district = ctx.actor.scopePath === '/' ? null : [districtIdOf(ctx)];
    return (await repo.centresUnder(db, district)).map((l) => presentLocation(l));
  }

  /** The storage map of a centre: every place with its items in store and capacity, subtrees rolled up. */
  async function storageMap(ctx: ActorContext, centreId: string) {
    const centre = await visibleCentre(ctx, centreId);
    if (centre.kind !== 'centre') throw notFound('centre');
    const [places, occ] = await Promise.all([repo.locationsOfCentre(db, centre.id), repo.occupancyOfCentre(db, centre.id)]);
    const rolled = new Map<string, number>();
    for (const p of places) {
      const n = occ.get(p.id) ?? 0;
      if (!n) continue;
      for (const anc of p.path.split('/').filter(Boolean)) rolled.set(anc, (rolled.get(anc) ?? 0) + n);
    }
    return { centre: presentLocation(centre, rolled.get(centre.id) ?? 0), places: places.map((p) => ({ ...presentLocation(p, rolled.get(p.id) ?? 0), direct: occ.get(p.id) ?? 0 })) };
  }

  async function locationPaths(ids: (string | null)[]) {
    const wanted = ids.filter((x): x is string => !!x);
    const rows = await repo.locationsByIds(db, wanted);
    const ancestors = await repo.locationsByIds(db, rows.flatMap((r) => r.path.split('/').filter(Boolean)));
    const byId = new Map(ancestors.map((a) => [a.id, a]));
    const out = new Map<string, { id: string; code: string; name: string; path: string }>();
    for (const r of rows) {
      const names = r.path.split('/').filter(Boolean).map((a) => byId.get(a)?.name ?? '?');
      out.set(r.id, { id: r.id, code: r.code, name: r.name, path: names.join(' / ') });
    }
    return out;
  }

  // ---------------------------------------------------------------- cases

  async function visibleCase(ctx: ActorContext, id: string, dbx: DbOrTx = db) {
    requirePermission(ctx.actor, 'custody.read');
    const c = await repo.caseById(dbx, id);
    if (!c || !seenBy(await scopeOf(ctx), c.seen_by)) throw notFound('case');
    return c;
  }

  function presentCase(c: repo.CaseRow & { item_count?: string | number | null; disposed_count?: string | number | null }) {
    return {
      id: c.id,
      code: c.code,
      caseNumber: c.case_number,
      title: c.title,
      kind: c.kind,
      agency: { id: c.agency_org_id, name: c.agency_name },
      officer: { id: c.officer_id, name: c.officer_name },
      centreId: c.centre_id,
      openedAt: iso(c.opened_at),
      status: c.status,
      concludedAt: iso(c.concluded_at),
      conclusion: c.conclusion,
      createdAt: iso(c.created_at),
      ...(c.item_count !== undefined ? { itemCount: Number(c.item_count ?? 0), disposedCount: Number(c.disposed_count ?? 0) } : {}),
    };
  }

  async function createCase(ctx: ActorContext, input: { caseNumber: string; title: string; kind: string; openedAt: string; centreId: string; agencyOrgId?: string | null }) {
    requirePermission(ctx.actor, 'custody.register');
    const caseNumber = text(input.caseNumber, 'caseNumber', 60);
    const title = text(input.title, 'title', 100);
    if (input.kind !== 'criminal' && input.kind !== 'administrative') throw invalid('kind', 'criminal or administrative');
    const openedAt = time(input.openedAt, 'openedAt');
    if (openedAt.getTime() > Date.now() + 300_000) throw invalid('openedAt', 'cannot be in the future');
    const agencyId = input.agencyOrgId ?? ctx.actor.orgId;
    if (!(await actsFor(ctx, agencyId))) throw notFound('agency');
    const centre = await visibleCentre(ctx, input.centreId).catch(() => {
      throw invalid('centreId', 'no such property centre');
    });
    if (centre.kind !== 'centre') throw invalid('centreId', 'not a property centre');
    const id = crypto.randomUUID();
    await db.transaction().execute(async (tx) => {
      if (await repo.caseByNumber(tx, agencyId, caseNumber)) throw conflict(`case ${caseNumber} is already registered by this agency`);
      const serial = await repo.nextCaseSerial(tx);
      const year = new Date(Date.now() + 8 * 3_600_000).getUTCFullYear();
      const code = `AJ${year}${pad(serial, 6)}`;
      const seen = [...new Set([agencyId, centre.operator_org_id])];
      await repo.insertCase(tx, { id, code, agency_org_id: agencyId, case_number: caseNumber, title, kind: input.kind as never, opened_at: openedAt, officer_id: ctx.actor.userId, centre_id: centre.id, seen_by: seen });
      await recordAudit(tx, ctx, { action: 'custody_case.created', targetType: 'custody_case', targetId: id, after: { code, caseNumber, title, kind: input.kind, openedAt: openedAt.toISOString() } });
    });
    return presentCase((await repo.caseById(db, id))!);
  }

  async function listCases(ctx: ActorContext, f: repo.CaseFilter, page: { limit: number; offset: number }) {
    requirePermission(ctx.actor, 'custody.read');
    const r = await repo.listCases(db, await scopeOf(ctx), f, page);
    return { items: r.items.map(presentCase), total: r.total };
  }

  async function getCase(ctx: ActorContext, id: string) {
    const c = await visibleCase(ctx, id);
    const scope = await scopeOf(ctx);
    const items = (await repo.itemsOfCase(db, id)).filter((i) => itemSeen(scope, i));
    return { ...presentCase(c), items: await presentItems(items) };
  }

  async function concludeCase(ctx: ActorContext, id: string, input: { conclusion: string }) {
    requirePermission(ctx.actor, 'custody.register');
    const conclusionText = text(input.conclusion, 'conclusion', 200);
    const c = await visibleCase(ctx, id);
    if (!(await actsFor(ctx, c.agency_org_id))) throw notFound('case');
    await db.transaction().execute(async (tx) => {
      const locked = await repo.lockCase(tx, id);
      if (locked!.status === 'concluded') throw conflict('the case is already concluded');
      const at = new Date();
      await repo.updateCase(tx, id, { status: 'concluded', concluded_at: at, conclusion: conclusionText });
      await recordAudit(tx, ctx, { action: 'custody_case.concluded', targetType: 'custody_case', targetId: id, before: { status: 'open' }, after: { status: 'concluded', conclusion: conclusionText } });
    });
    return getCase(ctx, id);
  }

  // ---------------------------------------------------------------- items

  function ownerDigest(name: string | null, phone: string | null): string {
    return crypto.createHash('sha256').update(`${name ?? ''}\n${phone ?? ''}`).digest('hex');
  }

  function checkItemInput(x: ItemInput, i: number, openedAt: Date, now: Date) {
    const f = (k: string) => `items.${i}.${k}`;
    if (!ITEM_TYPES.includes(x.type as ItemType)) throw invalid(f('type'), `one of ${ITEM_TYPES.join(', ')}`);
    const quantity = Number(x.quantity);
    if (!Number.isFinite(quantity) || quantity <= 0 || quantity > 1e9) throw invalid(f('quantity'), 'a positive number');
    if (x.valueCents != null && (!Number.isInteger(x.valueCents) || x.valueCents < 0)) throw invalid(f('valueCents'), 'a whole number of fen ≥ 0');
    if (!['person', 'organisation', 'unknown'].includes(x.ownerKind)) throw invalid(f('ownerKind'), 'person, organisation or unknown');
    if (x.ownerKind !== 'unknown' && !x.ownerName?.trim()) throw invalid(f('ownerName'), 'is required unless the owner is unknown');
    if (x.ownerPhone && !/^[0-9+\- ]{5,20}$/.test(x.ownerPhone)) throw invalid(f('ownerPhone'), 'a phone number');
    const seizedAt = time(x.seizedAt, f('seizedAt'));
    // No seizure before the case was opened (立案前不得扣押).
    if (seizedAt < openedAt) throw invalid(f('seizedAt'), 'before the case was opened: nothing may be seized before a case exists');
    if (seizedAt.getTime() > now.getTime() + 300_000) throw invalid(f('seizedAt'), 'cannot be in the future');
    return {
      type: x.type as ItemType,
      name: text(x.name, f('name'), 100),
      description: text(x.description ?? '', f('description'), 1000, false),
      quantity,
      unit: text(x.unit, f('unit'), 10),
      valueCents: x.valueCents ?? null,
      ownerKind: x.ownerKind,
      ownerName: x.ownerName?.trim() || null,
      ownerPhone: x.ownerPhone?.trim() || null,
      seizureDoc: text(x.seizureDoc, f('seizureDoc'), 80),
      seizedAt,
      photoFileIds: x.photoFileIds ?? [],
    };
  }

  /** Builds the next event of an item (hash chained) and its new projection. */
  function nextEvent(ctx: ActorContext, item: { id: string; last_seq: number; head_hash: string }, state: ItemState | null, type: EventType, data: Record<string, unknown>, o: { at?: Date; witness?: { id: string; displayName: string } | null; correctsSeq?: number | null; recordedAt: Date; actorOrgId: string }) {
    const e: CustodyEvent = {
      itemId: item.id,
      seq: item.last_seq + 1,
      type,
      at: (o.at ?? o.recordedAt).toISOString(),
      recordedAt: o.recordedAt.toISOString(),
      actorId: ctx.actor.userId,
      actorName: ctx.actor.displayName,
      actorOrgId: o.actorOrgId || ctx.actor.orgId || '00000000-0000-0000-0000-000000000000',
      witnessId: o.witness?.id ?? null,
      witnessName: o.witness?.displayName ?? null,
      correctsSeq: o.correctsSeq ?? null,
      data,
    };
    const prevHash = item.last_seq === 0 ? GENESIS : item.head_hash;
    const stored = { ...e, prevHash, hash: eventHash(prevHash, e) };
    return { event: stored, state: applyEvent(state, e) };
  }

  /** The projection columns of a state. */
  function projection(s: ItemState, lastEvent: { seq: number; hash: string; recordedAt: string }) {
    const pending = s.pending;
    return {
      status: s.status,
      holder_org_id: s.holderOrgId,
      location_id: s.locationId,
      pending: pending?.kind ?? null,
      pending_org_id: pending ? (pending.kind === 'transfer' ? pending.toOrgId : s.holderOrgId) : null,
      loan_due_at: s.loan?.dueAt ?? null,
      unrelated_at: s.unrelatedAt,
      disposition: s.disposition,
      disposed_at: s.disposedAt,
      state: JSON.stringify(s),
      last_seq: lastEvent.seq,
      head_hash: lastEvent.hash,
      updated_at: lastEvent.recordedAt,
    };
  }

  /**
   * Registers items of a case. `backlog` is for entering the stock a centre already holds when
   * it starts using the system (存量录入): the registration says so and raises no lateness
   * warning. It is not offered over HTTP.
   */
  async function registerItems(ctx: ActorContext, caseId: string, inputs: ItemInput[], opts: { backlog?: boolean } = {}) {
    requirePermission(ctx.actor, 'custody.register');
    if (!Array.isArray(inputs) || !inputs.length) throw invalid('items', 'at least one item');
    if (inputs.length > 200) throw invalid('items', 'at most 200 items at once');
    const c = await visibleCase(ctx, caseId);
    if (!(await actsFor(ctx, c.agency_org_id))) throw notFound('case');
    const now = new Date();
    const checked = inputs.map((x, i) => checkItemInput(x, i, new Date(c.opened_at), now));
    const s = await settings();
    const centre = (await repo.locationById(db, c.centre_id))!;
    const ids: string[] = [];
    await db.transaction().execute(async (tx) => {
      const locked = await repo.lockCase(tx, caseId);
      if (locked!.status !== 'open') throw conflict('the case is concluded: no new items');
      let no = await repo.maxItemNo(tx, caseId);
      const audits: Parameters<typeof recordAudits>[2] = [];
      const warnings: Parameters<typeof repo.insertWarnings>[1] = [];
      for (const [i, x] of checked.entries()) {
        no++;
        const id = crypto.randomUUID();
        ids.push(id);
        const code = `${c.code}-${pad(no, 3)}`;
        const data: RegisterData = {
          caseId,
          itemNo: no,
          code,
          type: x.type,
          name: x.name,
          description: x.description,
          quantity: x.quantity,
          unit: x.unit,
          valueCents: x.valueCents,
          ownerKind: x.ownerKind,
          ownerDigest: ownerDigest(x.ownerName, x.ownerPhone),
          seizureDoc: x.seizureDoc,
          seizedAt: x.seizedAt.toISOString(),
          seizedBy: ctx.actor.userId,
          holderOrgId: c.agency_org_id,
          centreId: centre.id,
          ...(opts.backlog ? { backlog: true } : {}),
        };
        const shell = { id, last_seq: 0, head_hash: GENESIS };
        const reg = nextEvent(ctx, shell, null, 'register', data as unknown as Record<string, unknown>, { recordedAt: now, actorOrgId: ctx.actor.orgId });
        const events = [reg.event];
        let state = reg.state;
        if (x.photoFileIds.length) {
          await attachFiles(tx, x.photoFileIds, { field: `items.${i}.photoFileIds` });
          const ph = nextEvent(ctx, { id, last_seq: 1, head_hash: reg.event.hash }, state, 'photograph', { fileIds: x.photoFileIds.map((f) => f.toLowerCase()) }, { recordedAt: now, actorOrgId: ctx.actor.orgId });
          events.push(ph.event);
          state = ph.state;
        }
        const last = events[events.length - 1]!;
        await repo.insertItem(tx, {
          id,
          case_id: caseId,
          item_no: no,
          code,
          type: x.type,
          name: x.name,
          description: x.description,
          quantity: x.quantity,
          unit: x.unit,
          value_cents: x.valueCents,
          owner_kind: x.ownerKind,
          owner_name: x.ownerName,
          owner_phone: x.ownerPhone,
          seizure_doc: x.seizureDoc,
          seized_at: x.seizedAt,
          seized_by: ctx.actor.userId,
          centre_id: centre.id,
          registered_at: now,
          ...projection(state, { seq: last.seq, hash: last.hash, recordedAt: last.recordedAt }),
          seen_by: [...new Set([c.agency_org_id, centre.operator_org_id])],
        });
        await repo.insertEvents(tx, events);
        const lateHours = (now.getTime() - x.seizedAt.getTime()) / 3_600_000;
        if (lateHours > s.registrationHours && !opts.backlog) {
          warnings.push({ item_id: id, case_id: caseId, kind: 'late_registration', episode: 'registration', holder_org_id: c.agency_org_id, due_at: new Date(x.seizedAt.getTime() + s.registrationHours * 3_600_000), detail: { hours: Math.round(lateHours), limitHours: s.registrationHours } });
        }
        audits.push({ action: 'custody_item.registered', targetType: 'custody_item', targetId: id, after: { code, caseId, type: x.type, name: x.name, quantity: x.quantity, unit: x.unit } });
      }
      await repo.insertWarnings(tx, warnings);
      await recordAudits(tx, ctx, audits);
    });
    return presentItems(await Promise.all(ids.map((id) => repo.itemById(db, id).then((r) => r!))));
  }

  async function presentItems(rows: repo.ItemRow[]) {
    const cases = new Map<string, repo.CaseRow>();
    for (const r of rows) if (!cases.has(r.case_id)) cases.set(r.case_id, (await repo.caseById(db, r.case_id))!);
    const orgIds = rows.flatMap((r) => [r.holder_org_id, r.pending_org_id].filter((x): x is string => !!x));
    const orgs = new Map((await repo.orgsByIds(db, orgIds)).map((o) => [o.id, o.name]));
    const places = await locationPaths(rows.map((r) => r.location_id));
    return rows.map((r) => presentItem(r, cases.get(r.case_id)!, orgs, places));
  }

  function presentItem(r: repo.ItemRow & { open_warnings?: string | number | null }, c: { id: string; code: string; case_number: string; title: string; status: string }, orgs: Map<string, string>, places: Map<string, { id: string; code: string; name: string; path: string }>) {
    const s = r.state as ItemState;
    return {
      id: r.id,
      code: r.code,
      itemNo: r.item_no,
      type: r.type,
      typeLabel: ITEM_TYPE_LABELS[r.type as ItemType] ?? r.type,
      name: r.name,
      description: r.description,
      quantity: Number(r.quantity),
      unit: r.unit,
      valueCents: r.value_cents === null ? null : Number(r.value_cents),
      owner: { kind: r.owner_kind, name: maskName(r.owner_name), phone: maskPhone(r.owner_phone) },
      seizureDoc: r.seizure_doc,
      seizedAt: iso(r.seized_at),
      seizedBy: r.seized_by,
      case: { id: c.id, code: c.code, caseNumber: c.case_number, title: c.title, status: c.status },
      status: r.status,
      statusLabel: STATUS_LABELS[r.status as keyof typeof STATUS_LABELS] ?? r.status,
      holder: { id: r.holder_org_id, name: orgs.get(r.holder_org_id) ?? '' },
      location: r.location_id ? (places.get(r.location_id) ?? null) : null,
      sealed: s.sealed,
      pending: s.pending ? { ...s.pending, orgId: r.pending_org_id, orgName: r.pending_org_id ? (orgs.get(r.pending_org_id) ?? '') : null } : null,
      loan: s.loan,
      unrelatedAt: s.unrelatedAt,
      disposition: r.disposition,
      dispositionLabel: r.disposition ? DISPOSAL_WAY_LABELS[r.disposition as DisposalWay] : null,
      disposedAt: iso(r.disposed_at),
      photos: s.photos,
      evidenceCount: s.evidence,
      twoPerson: TWO_PERSON_TYPES.includes(r.type as ItemType),
      registeredAt: iso(r.registered_at),
      lastSeq: r.last_seq,
      ...(r.open_warnings !== undefined ? { openWarnings: Number(r.open_warnings ?? 0) } : {}),
    };
  }

  async function visibleItem(ctx: ActorContext, id: string) {
    requirePermission(ctx.actor, 'custody.read');
    const r = await repo.itemById(db, id);
    if (!r || !itemSeen(await scopeOf(ctx), r)) throw notFound('item');
    return r;
  }

  /** The item page: the item, its case, its full timeline (chain checked) and open warnings. */
  async function getItem(ctx: ActorContext, id: string) {
    const r = await visibleItem(ctx, id);
    const [item] = await presentItems([r]);
    const events = await repo.eventsOfItem(db, id);
    const problems = checkChain(id, events);
    const names = new Map((await repo.orgsByIds(db, events.map((e) => e.actorOrgId))).map((o) => [o.id, o.name]));
    const places = await locationPaths(events.flatMap((e) => [e.data.locationId, e.data.toLocationId, e.data.fromLocationId].filter((x): x is string => typeof x === 'string')));
    const orgNames = new Map((await repo.orgsByIds(db, events.flatMap((e) => [e.data.toOrgId, e.data.fromOrgId, e.data.financeOrgId].filter((x): x is string => typeof x === 'string')))).map((o) => [o.id, o.name]));
    const warnings = await repo.listWarnings(db, null, { itemId: id }, { limit: 50, offset: 0 });
    return {
      ...item!,
      chain: { intact: problems.length === 0, problems, head: r.head_hash },
      timeline: events.map((e) => ({
        seq: e.seq,
        type: e.type,
        label: EVENT_LABELS[e.type] ?? e.type,
        at: e.at,
        recordedAt: e.recordedAt,
        actor: { id: e.actorId, name: e.actorName, orgName: names.get(e.actorOrgId) ?? '' },
        witness: e.witnessId ? { id: e.witnessId, name: e.witnessName } : null,
        correctsSeq: e.correctsSeq,
        data: e.type === 'register' ? { ...e.data, ownerDigest: undefined } : e.data,
        places: Object.fromEntries(['locationId', 'toLocationId', 'fromLocationId'].filter((k) => typeof e.data[k] === 'string').map((k) => [k, places.get(e.data[k] as string)?.path ?? ''])),
        orgs: Object.fromEntries(['toOrgId', 'fromOrgId', 'financeOrgId'].filter((k) => typeof e.data[k] === 'string').map((k) => [k, orgNames.get(e.data[k] as string) ?? ''])),
        hash: e.hash,
      })),
      warnings: warnings.items.map(presentWarning),
    };
  }

  /** The owner's name and phone in clear: personal.read, and every read audited. */
  async function ownerOf(ctx: ActorContext, id: string) {
    requirePermission(ctx.actor, 'personal.read');
    const r = await visibleItem(ctx, id);
    await db.transaction().execute((tx) => recordAudit(tx, ctx, { action: 'custody_item.owner_read', targetType: 'custody_item', targetId: id }));
    return { kind: r.owner_kind, name: r.owner_name, phone: r.owner_phone };
  }

  /** A photo of the item (the original, as taken: evidence keeps its metadata). */
  async function photo(ctx: ActorContext, itemId: string, fileId: string) {
    const r = await visibleItem(ctx, itemId);
    if (!(r.state as ItemState).photos.includes(fileId.toLowerCase())) throw notFound('photo');
    const f = await readFile(db, fileId, 'original');
    if (!f) throw notFound('photo');
    return f;
  }

  /** Resolves a scanned code (item, case or storage place; a label URL or the bare code). */
  async function scan(ctx: ActorContext, raw: string) {
    requirePermission(ctx.actor, 'custody.read');
    const code = decodeURIComponent(raw.trim().split(/[/?#]/).filter(Boolean).pop() ?? '').trim().toUpperCase();
    if (!code) throw invalid('code', 'is required');
    const item = await repo.itemByCode(db, code);
    if (item) return { kind: 'item' as const, item: await getItem(ctx, item.id) };
    const c = await repo.caseByCode(db, code);
    if (c) return { kind: 'case' as const, case: await getCase(ctx, c.id) };
    const l = await repo.locationByCode(db, code);
    if (l) {
      const centre = await visibleCentre(ctx, l.id);
      const list = await listItems(ctx, { locationId: centre.id }, { limit: 200, offset: 0 });
      return { kind: 'location' as const, location: presentLocation(centre), items: list.items };
    }
    throw notFound(`code ${code}`);
  }

  async function listItems(ctx: ActorContext, f: repo.ItemFilter, page: { limit: number; offset: number }) {
    requirePermission(ctx.actor, 'custody.read');
    const r = await repo.listItems(db, await scopeOf(ctx), f, page);
    const orgs = new Map((await repo.orgsByIds(db, r.items.flatMap((i) => [i.holder_org_id, i.pending_org_id].filter((x): x is string => !!x)))).map((o) => [o.id, o.name]));
    const places = await locationPaths(r.items.map((i) => i.location_id));
    return { items: r.items.map((i) => presentItem(i, { id: i.case_id, code: i.case_code, case_number: i.case_number, title: i.case_title, status: i.case_status }, orgs, places)), total: r.total };
  }

  /** Transfers offered to the actor's agency (or its parents). */
  async function inbox(ctx: ActorContext, page: { limit: number; offset: number }) {
    requirePermission(ctx.actor, 'custody.read');
    const mine = await actorOrgIdsUp(ctx);
    return listItems(ctx, { pending: 'transfer', pendingOrgIds: mine ?? undefined }, page);
  }

  /** Loans and disposals awaiting the approval of the actor's agency. */
  async function approvals(ctx: ActorContext, page: { limit: number; offset: number }) {
    requirePermission(ctx.actor, 'custody.approve');
    const mine = await actorOrgIdsUp(ctx);
    const [borrow, disposal] = await Promise.all([
      listItems(ctx, { pending: 'borrow', pendingOrgIds: mine ?? undefined }, { limit: 500, offset: 0 }),
      listItems(ctx, { pending: 'disposal', pendingOrgIds: mine ?? undefined }, { limit: 500, offset: 0 }),
    ]);
    const s = await settings();
    const all = [...borrow.items.filter((i) => i.pending?.kind === 'borrow' && !i.pending.approverId), ...disposal.items.filter((i) => i.pending?.kind === 'disposal' && i.pending.approverIds.length < s.disposalApprovals)];
    all.sort((a, b) => (a.registeredAt! < b.registeredAt! ? 1 : -1));
    return { items: all.slice(page.offset, page.offset + page.limit), total: all.length, approvalsRequired: s.disposalApprovals };
  }

  /** The actor's organisation and its ancestors (an officer of a sub-unit acts for the bureau); null = all. */
  async function actorOrgIdsUp(ctx: ActorContext): Promise<string[] | null> {
    if (ctx.actor.via === 'system') return null;
    if (ctx.actor.roles.includes('admin')) return scopeOf(ctx);
    const path = await actorOrgPath(ctx);
    return path.split('/').filter(Boolean);
  }

  // ---------------------------------------------------------------- steps

  interface Prepared {
    type: ActionType;
    data: Record<string, unknown>;
    at: Date | undefined;
    witness: { id: string; displayName: string } | null;
    correctsSeq: number | null;
    fileIds: string[];
  }

  /** Validates the input of a step (400 naming the field) and confirms the witness, before any lock. */
  async function prepare(ctx: ActorContext, type: string, input: ActionInput): Promise<Prepared> {
    if (!ACTION_TYPES.includes(type as ActionType)) throw invalid('type', `one of ${ACTION_TYPES.join(', ')}`);
    const t = type as ActionType;
    if (!ACTION_PERMISSION[t].some((p) => can(ctx.actor, p))) throw notFound('item');
    const now = Date.now();
    const at = input.at ? time(input.at, 'at') : undefined;
    if (at && (at.getTime() > now + 300_000 || at.getTime() < now - 30 * 86_400_000)) throw invalid('at', 'within the last 30 days and not in the future');
    let witness: Prepared['witness'] = null;
    if (input.witness) {
      const w = input.witness;
      if (typeof w !== 'object' || !w.username || !w.password) throw invalid('witness', 'username and password of the second person');
      const p = await deps.confirmer.confirmPerson(ctx, String(w.username), String(w.password), 'witness.password');
      if (p.id === ctx.actor.userId) throw invalid('witness.username', 'the witness must be another person');
      const roles = p.roles as string[];
      if (!roles.some((r) => ['property_clerk', 'case_officer', 'custody_leader', 'admin', 'finance_officer'].includes(r))) throw invalid('witness.username', 'the witness must be custody staff');
      witness = { id: p.id, displayName: p.displayName };
    }
    const data: Record<string, unknown> = {};
    let correctsSeq: number | null = null;
    let fileIds: string[] = [];
    const note = () => text(input.note ?? '', 'note', 500, false);
    const uuid = (k: string) => {
      const v = input[k];
      if (typeof v !== 'string' || !/^[0-9a-f-]{36}$/i.test(v)) throw invalid(k, 'an id is required');
      return v.toLowerCase();
    };
    switch (t) {
      case 'photograph':
        if (!Array.isArray(input.fileIds) || !input.fileIds.length || input.fileIds.length > 20) throw invalid('fileIds', '1–20 uploaded photos');
        fileIds = (input.fileIds as unknown[]).map(String);
        data.fileIds = fileIds.map((f) => f.toLowerCase());
        data.note = note();
        break;
      case 'check_in':
      case 'return':
        data.locationId = uuid('locationId');
        if (t === 'return') data.condition = text(input.condition ?? '', 'condition', 200, false);
        break;
      case 'move':
        data.toLocationId = uuid('toLocationId');
        data.reason = text(input.reason ?? '', 'reason', 200, false);
        break;
      case 'seal':
        data.sealNo = text(input.sealNo, 'sealNo', 40);
        break;
      case 'unseal':
      case 'mark_unrelated':
      case 'borrow_reject':
      case 'transfer_reject':
      case 'disposal_reject':
        data.reason = text(input.reason, 'reason', 500);
        break;
      case 'examine':
        data.examiner = text(input.examiner, 'examiner', 100);
        data.purpose = text(input.purpose, 'purpose', 200);
        data.result = text(input.result ?? '', 'result', 1000, false);
        break;
      case 'borrow_request': {
        data.purpose = text(input.purpose, 'purpose', 200);
        const due = time(input.dueAt, 'dueAt');
        if (due.getTime() <= now || due.getTime() > now + 90 * 86_400_000) throw invalid('dueAt', 'in the future, within 90 days');
        data.dueAt = due.toISOString();
        break;
      }
      case 'borrow_approve':
      case 'transfer_accept':
      case 'disposal_approve':
      case 'check_out':
        data.note = note();
        break;
      case 'transfer_offer':
        data.toOrgId = uuid('toOrgId');
        data.documentRef = text(input.documentRef, 'documentRef', 80);
        data.note = note();
        break;
      case 'disposal_request':
        if (!DISPOSAL_WAYS.includes(input.way as DisposalWay)) throw invalid('way', `one of ${DISPOSAL_WAYS.join(', ')}`);
        data.way = input.way;
        // Every disposal rests on a legal document (判决书、不起诉决定书、没收决定书 …).
        data.documentRef = text(input.documentRef, 'documentRef', 80);
        data.note = note();
        break;
      case 'dispose':
        data.recipient = text(input.recipient ?? '', 'recipient', 100, false);
        data.receiptRef = text(input.receiptRef ?? '', 'receiptRef', 80, false);
        if (input.proceedsCents != null && (!Number.isInteger(input.proceedsCents) || (input.proceedsCents as number) < 0)) throw invalid('proceedsCents', 'a whole number of fen ≥ 0');
        data.proceedsCents = input.proceedsCents ?? null;
        data.note = note();
        break;
      case 'treasury_receipt':
        data.receiptRef = text(input.receiptRef, 'receiptRef', 80);
        if (input.amountCents != null && (!Number.isInteger(input.amountCents) || (input.amountCents as number) < 0)) throw invalid('amountCents', 'a whole number of fen ≥ 0');
        data.amountCents = input.amountCents ?? null;
        break;
      case 'correct': {
        correctsSeq = Number(input.correctsSeq);
        if (!Number.isInteger(correctsSeq) || correctsSeq < 1) throw invalid('correctsSeq', 'the number of the event corrected');
        data.reason = text(input.reason, 'reason', 500);
        const changes = (input.changes ?? {}) as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        for (const k of Object.keys(changes)) {
          if (!CORRECTABLE.includes(k as never)) throw invalid(`changes.${k}`, `only ${CORRECTABLE.join(', ')} can be corrected`);
          const v = changes[k];
          if (k === 'quantity' && (typeof v !== 'number' || !(v > 0))) throw invalid('changes.quantity', 'a positive number');
          if (k === 'valueCents' && v !== null && (!Number.isInteger(v) || (v as number) < 0)) throw invalid('changes.valueCents', 'a whole number of fen ≥ 0');
          if ((k === 'name' || k === 'unit' || k === 'description') && typeof v !== 'string') throw invalid(`changes.${k}`, 'text');
          out[k] = typeof v === 'string' ? text(v, `changes.${k}`, k === 'description' ? 1000 : 100, k !== 'description') : v;
        }
        if (!Object.keys(out).length) throw invalid('changes', 'name at least one field to correct');
        data.changes = out;
        break;
      }
    }
    return { type: t, data, at, witness, correctsSeq, fileIds };
  }

  /** Checks and writes one prepared step on a locked item row; returns the new row values. */
  async function step(tx: DbOrTx, ctx: ActorContext, item: repo.ItemRow, p: Prepared, f: { actorPath: string; scope: string[] | null; settings: CustodySettings; recordedAt: Date }) {
    if (!itemSeen(f.scope, item)) throw notFound('item');
    const state = item.state as ItemState;
    const data = { ...p.data };
    if (p.type === 'check_in' || p.type === 'return' || p.type === 'move') {
      const locId = (data.locationId ?? data.toLocationId) as string;
      const loc = await repo.locationById(tx, locId);
      if (!loc || loc.centre_id !== item.centre_id) throw invalid(p.type === 'move' ? 'toLocationId' : 'locationId', 'not a place of the centre keeping this item');
      if (loc.kind === 'centre') throw invalid(p.type === 'move' ? 'toLocationId' : 'locationId', 'choose a room, cabinet, shelf or bin');
      if (p.type === 'move') data.fromLocationId = state.locationId;
      if (loc.capacity != null && (await repo.countAtLocationLocked(tx, loc.id)) >= loc.capacity) throw conflict(`${loc.name} (${loc.code}) is full: capacity ${loc.capacity}`);
    }
    if (p.type === 'transfer_offer') {
      const holderPath = (await repo.orgsByIds(tx, [state.holderOrgId]))[0]?.path ?? '/';
      const targets = await repo.transferTargets(tx, `/${holderPath.split('/').filter(Boolean)[0]}/`);
      if (!targets.some((o) => o.id === data.toOrgId)) throw invalid('toOrgId', 'not an agency of the district that can receive property');
      data.fromOrgId = state.holderOrgId;
    }
    if (p.type === 'check_out' && state.pending?.kind === 'borrow') {
      data.dueAt = state.pending.dueAt;
      data.borrowerId = state.pending.requesterId;
      data.requestSeq = state.pending.requestSeq;
    }
    if ((p.type === 'dispose' || p.type.startsWith('disposal_')) && state.pending?.kind === 'disposal') {
      data.requestSeq = state.pending.requestSeq;
      data.way = data.way ?? state.pending.way;
    }
    if (p.type === 'dispose' && state.pending?.kind === 'disposal' && state.pending.way === 'confiscate') {
      const holderPath = (await repo.orgsByIds(tx, [state.holderOrgId]))[0]?.path ?? '/';
      const fin = await repo.financeOrgOf(tx, `/${holderPath.split('/').filter(Boolean)[0]}/`);
      if (!fin) throw conflict('the district has no finance bureau to receive the confiscation');
      data.financeOrgId = fin.id;
    }
    if (p.type === 'transfer_accept' || p.type === 'transfer_reject') {
      if (state.pending?.kind === 'transfer') data.offerSeq = state.pending.offerSeq;
    }
    const facts = {
      actorId: ctx.actor.userId,
      actsForHolder: await actsFor(ctx, state.holderOrgId, f.actorPath, tx),
      actsForRecipient: state.pending?.kind === 'transfer' ? await actsFor(ctx, state.pending.toOrgId, f.actorPath, tx) : false,
      actsForFinance: ctx.actor.via === 'system' || (await repo.orgsByIds(tx, f.actorPath.split('/').filter(Boolean))).some((o) => o.dept_type === 'finance'),
      witnessId: p.witness?.id ?? null,
      disposalApprovals: f.settings.disposalApprovals,
      now: f.recordedAt,
    };
    const why = refusal(state, p.type, { ...data, correctsSeq: p.correctsSeq }, facts);
    if (why) throw conflict(why, { item: item.code, type: p.type, status: item.status });
    if (p.fileIds.length) await attachFiles(tx, p.fileIds, { field: 'fileIds' });
    const ev = nextEvent(ctx, item, state, p.type, data, { at: p.at, witness: p.witness, correctsSeq: p.correctsSeq, recordedAt: f.recordedAt, actorOrgId: ctx.actor.orgId });
    const patch: Parameters<typeof repo.updateItem>[2] = projection(ev.state, { seq: ev.event.seq, hash: ev.event.hash, recordedAt: ev.event.recordedAt });
    // The centre's operator keeps seeing what it stores.
    const centre = await repo.locationById(tx, item.centre_id);
    patch.seen_by = [...new Set([...item.seen_by, ...ev.state.heldBy, ...(centre ? [centre.operator_org_id] : [])])];
    if (p.type === 'correct') {
      const fields = ev.state.fields;
      Object.assign(patch, { name: fields.name, description: fields.description, quantity: fields.quantity, unit: fields.unit, value_cents: fields.valueCents });
    }
    await repo.insertEvents(tx, [ev.event]);
    await repo.updateItem(tx, item.id, patch);
    if (p.type === 'transfer_accept' || (p.type === 'dispose' && data.financeOrgId)) await repo.addCaseViewer(tx, item.case_id, ev.state.holderOrgId);
    const resolves: Partial<Record<ActionType, string[]>> = {
      return: ['loan_overdue'],
      transfer_accept: ['transfer_unaccepted'],
      transfer_reject: ['transfer_unaccepted'],
      dispose: ['unrelated_not_released', 'undisposed'],
      treasury_receipt: ['unrelated_not_released', 'undisposed'],
    };
    if (resolves[p.type]) await repo.resolveWarnings(tx, item.id, resolves[p.type]!);
    await recordAudit(tx, ctx, { action: 'custody_item.event', targetType: 'custody_item', targetId: item.id, before: { status: item.status, holder: item.holder_org_id, location: item.location_id }, after: { type: p.type, seq: ev.event.seq, status: ev.state.status, holder: ev.state.holderOrgId, location: ev.state.locationId, witness: p.witness?.id ?? null } });
    return ev;
  }

  /**
   * Appends an event the system records rather than a person's step (an evidence file verified
   * or rejected), on the locked item, with its audit row — in the caller's transaction.
   */
  async function appendRecorded(tx: DbOrTx, ctx: ActorContext, itemId: string, type: 'evidence_added' | 'evidence_rejected', data: Record<string, unknown>) {
    const [item] = await repo.lockItems(tx, [itemId]);
    if (!item) throw notFound('item');
    const ev = nextEvent(ctx, item, item.state as ItemState, type, data, { recordedAt: new Date(), actorOrgId: ctx.actor.orgId });
    await repo.insertEvents(tx, [ev.event]);
    await repo.updateItem(tx, item.id, projection(ev.state, { seq: ev.event.seq, hash: ev.event.hash, recordedAt: ev.event.recordedAt }));
    await recordAudit(tx, ctx, { action: 'custody_item.event', targetType: 'custody_item', targetId: item.id, after: { type, seq: ev.event.seq, ...data } });
    return ev.event;
  }

  /** One step on one item (POST /items/:id/events): 409 with the reason when not allowed now. */
  async function act(ctx: ActorContext, itemId: string, type: string, input: ActionInput) {
    const p = await prepare(ctx, type, input);
    await visibleItem(ctx, itemId);
    const f = { actorPath: await actorOrgPath(ctx), scope: await scopeOf(ctx), settings: await settings(), recordedAt: new Date() };
    await db.transaction().execute(async (tx) => {
      const [item] = await repo.lockItems(tx, [itemId]);
      if (!item) throw notFound('item');
      const ev = await step(tx, ctx, item, p, f);
      await notifyStep(tx, item, p.type, ev.state);
    });
    return getItem(ctx, itemId);
  }

  /**
   * The same step on several scanned items, all or nothing: when any item refuses, nothing is
   * written and the 409 lists every item's reason.
   */
  async function batch(ctx: ActorContext, codes: string[], type: string, input: ActionInput) {
    if (!Array.isArray(codes) || !codes.length) throw invalid('codes', 'scan at least one code');
    if (codes.length > 500) throw invalid('codes', 'at most 500 codes at once');
    const wanted = [...new Set(codes.map((c) => String(c).trim().split(/[/?#]/).filter(Boolean).pop()!.toUpperCase()))];
    const p = await prepare(ctx, type, input);
    requirePermission(ctx.actor, 'custody.read');
    const f = { actorPath: await actorOrgPath(ctx), scope: await scopeOf(ctx), settings: await settings(), recordedAt: new Date() };
    const found = await repo.itemsByCodes(db, wanted);
    const visible = found.filter((i) => itemSeen(f.scope, i));
    const missing = wanted.filter((c) => !visible.some((i) => i.code === c));
    if (missing.length) throw new AppError('not_found', `items not found: ${missing.join(', ')}`, missing.map((c) => ({ code: c, reason: 'not found' })));
    const results: { code: string; seq: number; status: string }[] = [];
    await db.transaction().execute(async (tx) => {
      const locked = await repo.lockItems(tx, visible.map((i) => i.id));
      const refusals: { code: string; reason: string }[] = [];
      for (const item of locked) {
        try {
          // Savepoint-free: a refusal throws before this item writes anything; others are
          // collected and the whole batch rolls back below.
          const ev = await step(tx, ctx, item, p, f);
          results.push({ code: item.code, seq: ev.event.seq, status: ev.state.status });
        } catch (e) {
          if (e instanceof AppError && (e.code === 'conflict' || e.code === 'validation_failed')) refusals.push({ code: item.code, reason: e.message });
          else throw e;
        }
      }
      if (refusals.length) throw conflict(`${refusals.length} of ${locked.length} items cannot take this step; nothing was written`, refusals);
    });
    return { type: p.type, count: results.length, items: results };
  }

  /** Tells the people who act next (the receiving agency, the approvers) through the inbox. */
  async function notifyStep(tx: DbOrTx, item: repo.ItemRow, type: ActionType, s: ItemState) {
    if (type !== 'transfer_offer' && type !== 'borrow_request' && type !== 'disposal_request') return;
    const org = type === 'transfer_offer' && s.pending?.kind === 'transfer' ? s.pending.toOrgId : s.holderOrgId;
    const [o] = await repo.orgsByIds(tx, [org]);
    if (!o) return;
    await publishEvent(tx, { type: 'custody.pending', subjectType: 'custody_item', subjectId: item.id, orgPaths: [o.path], data: { code: item.code, name: item.name, step: type, label: EVENT_LABELS[type] } });
  }

  // ---------------------------------------------------------------- warnings

  function presentWarning(w: Awaited<ReturnType<typeof repo.listWarnings>>['items'][number]) {
    return {
      id: w.id,
      kind: w.kind,
      label: WARNING_LABELS[w.kind] ?? w.kind,
      raisedAt: iso(w.raised_at),
      dueAt: iso(w.due_at),
      resolvedAt: iso(w.resolved_at),
      detail: w.detail,
      item: { id: w.item_id, code: w.item_code, name: w.item_name },
      caseNumber: w.case_number,
      caseCode: w.case_code,
      holderName: w.holder_name,
    };
  }

  async function listWarnings(ctx: ActorContext, f: { open?: boolean; kind?: string }, page: { limit: number; offset: number }) {
    requirePermission(ctx.actor, 'custody.read');
    const r = await repo.listWarnings(db, await scopeOf(ctx), f, page);
    return { items: r.items.map(presentWarning), total: r.total };
  }

  /** Raises the deadline warnings that are due (idempotent: one per item, kind and episode). */
  async function sweep(now = new Date()) {
    const s = await settings();
    const due = await repo.dueWarnings(db, now, s);
    const rows: Parameters<typeof repo.insertWarnings>[1] = [];
    for (const i of due.loans) {
      const loan = (i.state as ItemState).loan;
      rows.push({ item_id: i.id, case_id: i.case_id, kind: 'loan_overdue', episode: `loan-${loan?.checkOutSeq ?? 0}`, holder_org_id: i.holder_org_id, due_at: i.loan_due_at, detail: { dueAt: iso(i.loan_due_at), borrowerId: loan?.borrowerId ?? null } });
    }
    for (const i of due.unrelated) rows.push({ item_id: i.id, case_id: i.case_id, kind: 'unrelated_not_released', episode: 'unrelated', holder_org_id: i.holder_org_id, due_at: new Date(new Date(i.unrelated_at!).getTime() + s.unrelatedDays * 86_400_000), detail: { unrelatedAt: iso(i.unrelated_at), limitDays: s.unrelatedDays } });
    for (const i of due.undisposed) rows.push({ item_id: i.id, case_id: i.case_id, kind: 'undisposed', episode: 'concluded', holder_org_id: i.holder_org_id, due_at: new Date(new Date(i.concluded_at!).getTime() + s.undisposedDays * 86_400_000), detail: { concludedAt: iso(i.concluded_at), limitDays: s.undisposedDays } });
    for (const i of due.transfers) {
      const pend = (i.state as ItemState).pending;
      if (pend?.kind !== 'transfer') continue;
      rows.push({ item_id: i.id, case_id: i.case_id, kind: 'transfer_unaccepted', episode: `offer-${pend.offerSeq}`, holder_org_id: i.holder_org_id, due_at: new Date(new Date(pend.offeredAt).getTime() + s.transferDays * 86_400_000), detail: { toOrgId: pend.toOrgId, offeredAt: pend.offeredAt, limitDays: s.transferDays } });
    }
    if (!rows.length) return 0;
    return db.transaction().execute(async (tx) => {
      const raised = await repo.insertWarnings(tx, rows);
      if (raised.length) {
        const byKind: Record<string, number> = {};
        for (const r of raised) byKind[r.kind] = (byKind[r.kind] ?? 0) + 1;
        await recordAudit(tx, { actor: null, ip: null, requestId: null }, { action: 'custody.warnings_raised', targetType: 'custody_warning', after: { count: raised.length, byKind } });
        await publishEvent(tx, { type: 'custody.warning', data: { count: raised.length, byKind } });
      }
      return raised.length;
    });
  }

  // ---------------------------------------------------------------- statistics

  async function stats(ctx: ActorContext) {
    requirePermission(ctx.actor, 'custody.read');
    const scope = await scopeOf(ctx);
    const since = new Date(Date.now() - 365 * 86_400_000);
    const [byType, byWay, months] = await Promise.all([repo.statsByType(db, scope), repo.statsByDisposition(db, scope), repo.statsByMonth(db, scope, since)]);
    const month = (d: Date | string) => new Date(new Date(d).getTime() + 8 * 3_600_000).toISOString().slice(0, 7);
    const perMonth = new Map<string, { received: number; disposed: number }>();
    for (const r of months) {
      if (new Date(r.seized_at) >= since) {
        const m = month(r.seized_at);
        perMonth.set(m, { received: (perMonth.get(m)?.received ?? 0) + 1, disposed: perMonth.get(m)?.disposed ?? 0 });
      }
      if (r.disposed_at && new Date(r.disposed_at) >= since) {
        const m = month(r.disposed_at);
        perMonth.set(m, { received: perMonth.get(m)?.received ?? 0, disposed: (perMonth.get(m)?.disposed ?? 0) + 1 });
      }
    }
    const types = byType.map((t) => ({
      type: t.type,
      label: ITEM_TYPE_LABELS[t.type as ItemType] ?? t.type,
      total: Number(t.total),
      inCustody: Number(t.in_custody),
      onLoan: Number(t.on_loan),
      disposed: Number(t.disposed),
      valueInCustodyCents: Number(t.value_in_custody),
      avgDaysToDisposal: t.avg_days_to_disposal === null ? null : Math.round(Number(t.avg_days_to_disposal) * 10) / 10,
    }));
    const sum = (k: 'total' | 'inCustody' | 'onLoan' | 'disposed') => types.reduce((n, t) => n + t[k], 0);
    const disposedWithDays = types.filter((t) => t.avgDaysToDisposal !== null);
    const openWarnings = await repo.listWarnings(db, scope, { open: true }, { limit: 1, offset: 0 });
    return {
      totals: {
        items: sum('total'),
        inCustody: sum('inCustody'),
        onLoan: sum('onLoan'),
        disposed: sum('disposed'),
        openWarnings: openWarnings.total,
        avgDaysToDisposal: disposedWithDays.length ? Math.round((disposedWithDays.reduce((n, t) => n + t.avgDaysToDisposal! * t.disposed, 0) / Math.max(1, disposedWithDays.reduce((n, t) => n + t.disposed, 0))) * 10) / 10 : null,
      },
      byType: types,
      byWay: byWay.map((w) => ({ way: w.disposition, label: DISPOSAL_WAY_LABELS[w.disposition as DisposalWay] ?? w.disposition, count: Number(w.n) })),
      byMonth: [...perMonth.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([m, v]) => ({ month: m, ...v })),
    };
  }

  async function transferTargetsOf(ctx: ActorContext) {
    requirePermission(ctx.actor, 'custody.read');
    const district = districtIdOf(ctx, await actorOrgPath(ctx));
    return (await repo.transferTargets(db, `/${district}/`)).map((o) => ({ id: o.id, name: o.name, deptType: o.dept_type }));
  }

  return {
    settings,
    updateSettings,
    createLocation,
    centres,
    storageMap,
    createCase,
    listCases,
    getCase,
    concludeCase,
    registerItems,
    getItem,
    ownerOf,
    photo,
    scan,
    listItems,
    inbox,
    approvals,
    act,
    batch,
    listWarnings,
    sweep,
    stats,
    transferTargets: transferTargetsOf,
    /** For the evidence and display parts of the module. */
    internal: { visibleItem, itemSeen, scopeOf, actorOrgPath, actsFor, presentItems, appendRecorded },
  };
}

export type CustodyService = ReturnType<typeof createCustodyService>;
