/** The only place with SQL for the custody tables. */
import { sql, type Insertable, type Selectable } from 'kysely';
import type { DbOrTx } from '../../db.js';
import type { CustodyEvent } from './custody.model.js';
import type { CustodyCasesTable, CustodyItemsTable, CustodyLocationsTable } from './custody.tables.js';

export type LocationRow = Selectable<CustodyLocationsTable>;
export type CaseRow = Selectable<CustodyCasesTable> & { agency_name: string; officer_name: string };
export type ItemRow = Selectable<CustodyItemsTable>;
export type StoredEvent = CustodyEvent & { prevHash: string; hash: string };

// ------------------------------------------------------------------ organisations and people

/** Ids of the organisations under a path (the actor's scope). */
export async function orgIdsUnder(db: DbOrTx, pathPrefix: string): Promise<string[]> {
  const rows = await db.selectFrom('orgs').select('id').where('path', 'like', `${pathPrefix}%`).execute();
  return rows.map((r) => r.id);
}

export async function orgsByIds(db: DbOrTx, ids: string[]) {
  if (!ids.length) return [];
  return db.selectFrom('orgs').select(['id', 'name', 'path', 'kind', 'dept_type', 'parent_id']).where('id', 'in', [...new Set(ids)]).execute();
}

export async function usersByIds(db: DbOrTx, ids: string[]) {
  if (!ids.length) return [];
  return db.selectFrom('users').select(['id', 'display_name', 'org_id', 'roles', 'active']).where('id', 'in', [...new Set(ids)]).execute();
}

/** The finance bureau of a district (上缴国库 goes there). */
export async function financeOrgOf(db: DbOrTx, districtPath: string) {
  return db.selectFrom('orgs').select(['id', 'name', 'path']).where('dept_type', '=', 'finance').where('path', 'like', `${districtPath}%`).orderBy('path').executeTakeFirst();
}

/** Agencies and departments items can be transferred to, within a district. */
export async function transferTargets(db: DbOrTx, districtPath: string) {
  return db
    .selectFrom('orgs')
    .select(['id', 'name', 'dept_type', 'kind'])
    .where('path', 'like', `${districtPath}%`)
    .where((eb) => eb.or([eb('dept_type', 'in', ['public_security', 'procuratorate', 'court', 'finance']), eb('kind', '=', 'agency')]))
    .orderBy('code')
    .execute();
}

// ------------------------------------------------------------------ storage

export async function insertLocation(tx: DbOrTx, row: Insertable<CustodyLocationsTable> & { id: string }) {
  await tx.insertInto('custody_locations').values(row).execute();
}

export async function locationById(db: DbOrTx, id: string) {
  return db.selectFrom('custody_locations').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function locationByCode(db: DbOrTx, code: string) {
  return db.selectFrom('custody_locations').selectAll().where('code', '=', code).executeTakeFirst();
}

export async function locationsByIds(db: DbOrTx, ids: string[]) {
  if (!ids.length) return [];
  return db.selectFrom('custody_locations').selectAll().where('id', 'in', [...new Set(ids)]).execute();
}

/** Centres of the organisations under a path (the operators' or the districts'). */
export async function centresUnder(db: DbOrTx, orgIds: string[] | null) {
  let q = db.selectFrom('custody_locations').selectAll().where('kind', '=', 'centre');
  if (orgIds) q = q.where((eb) => eb.or([eb('operator_org_id', 'in', orgIds.length ? orgIds : ['00000000-0000-0000-0000-000000000000']), eb('district_org_id', 'in', orgIds.length ? orgIds : ['00000000-0000-0000-0000-000000000000'])]));
  return q.orderBy('code').execute();
}

export async function locationsOfCentre(db: DbOrTx, centreId: string) {
  return db.selectFrom('custody_locations').selectAll().where('centre_id', '=', centreId).orderBy('path').orderBy('code').execute();
}

export async function childCount(db: DbOrTx, parentId: string): Promise<number> {
  const r = await db.selectFrom('custody_locations').select((eb) => eb.fn.countAll<string>().as('n')).where('parent_id', '=', parentId).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Items currently stored at each location of a centre (in store, not on loan). */
export async function occupancyOfCentre(db: DbOrTx, centreId: string): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('custody_items')
    .select(['location_id', (eb) => eb.fn.countAll<string>().as('n')])
    .where('centre_id', '=', centreId)
    .where('location_id', 'is not', null)
    .groupBy('location_id')
    .execute();
  return new Map(rows.map((r) => [r.location_id!, Number(r.n)]));
}

/** Items at one location, locked: the capacity check and the check-in are one decision. */
export async function countAtLocationLocked(tx: DbOrTx, locationId: string): Promise<number> {
  await tx.selectFrom('custody_locations').select('id').where('id', '=', locationId).forUpdate().execute();
  const r = await tx.selectFrom('custody_items').select((eb) => eb.fn.countAll<string>().as('n')).where('location_id', '=', locationId).executeTakeFirstOrThrow();
  return Number(r.n);
}

// ------------------------------------------------------------------ cases

export async function nextCaseSerial(tx: DbOrTx): Promise<number> {
  const r = await sql<{ n: string }>`select nextval('custody_case_code_seq') as n`.execute(tx);
  return Number(r.rows[0]!.n);
}

export async function insertCase(tx: DbOrTx, row: Insertable<CustodyCasesTable> & { id: string }) {
  await tx.insertInto('custody_cases').values(row).execute();
}

function caseQuery(db: DbOrTx) {
  return db
    .selectFrom('custody_cases as c')
    .innerJoin('orgs as a', 'a.id', 'c.agency_org_id')
    .innerJoin('users as u', 'u.id', 'c.officer_id')
    .selectAll('c')
    .select(['a.name as agency_name', 'u.display_name as officer_name']);
}

export async function caseById(db: DbOrTx, id: string): Promise<CaseRow | undefined> {
  return caseQuery(db).where('c.id', '=', id).executeTakeFirst();
}

export async function caseByCode(db: DbOrTx, code: string): Promise<CaseRow | undefined> {
  return caseQuery(db).where('c.code', '=', code).executeTakeFirst();
}

export async function caseByNumber(db: DbOrTx, agencyOrgId: string, caseNumber: string) {
  return db.selectFrom('custody_cases').select('id').where('agency_org_id', '=', agencyOrgId).where('case_number', '=', caseNumber).executeTakeFirst();
}

export async function lockCase(tx: DbOrTx, id: string) {
  return tx.selectFrom('custody_cases').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function updateCase(tx: DbOrTx, id: string, patch: Partial<Pick<Selectable<CustodyCasesTable>, 'status' | 'concluded_at' | 'conclusion' | 'seen_by'>>) {
  await tx.updateTable('custody_cases').set({ ...patch, updated_at: new Date() }).where('id', '=', id).execute();
}

/** Adds an organisation to the cases' seen_by (it now holds property of them). */
export async function addCaseViewer(tx: DbOrTx, caseId: string, orgId: string) {
  await sql`update custody_cases set seen_by = array_append(seen_by, ${orgId}::uuid), updated_at = now() where id = ${caseId} and not (${orgId}::uuid = any(seen_by))`.execute(tx);
}

export interface CaseFilter {
  q?: string;
  status?: 'open' | 'concluded';
  agencyOrgId?: string;
}

export async function listCases(db: DbOrTx, scope: string[] | null, f: CaseFilter, page: { limit: number; offset: number }) {
  let q = caseQuery(db);
  if (scope) q = q.where(sql<boolean>`c.seen_by && ${sql.val(scope)}::uuid[]`);
  if (f.status) q = q.where('c.status', '=', f.status);
  if (f.agencyOrgId) q = q.where('c.agency_org_id', '=', f.agencyOrgId);
  if (f.q) q = q.where((eb) => eb.or([eb('c.case_number', 'like', `%${f.q}%`), eb('c.title', 'like', `%${f.q}%`), eb('c.code', '=', f.q!)]));
  const [items, total] = await Promise.all([
    q
      .select((eb) => [
        eb.selectFrom('custody_items as i').whereRef('i.case_id', '=', 'c.id').select((e2) => e2.fn.countAll<string>().as('n')).as('item_count'),
        eb.selectFrom('custody_items as i').whereRef('i.case_id', '=', 'c.id').where('i.status', 'in', ['disposed']).select((e2) => e2.fn.countAll<string>().as('n')).as('disposed_count'),
      ])
      .orderBy('c.created_at', 'desc')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    q.clearSelect().select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { items, total: Number(total.n) };
}

// ------------------------------------------------------------------ items

export async function maxItemNo(tx: DbOrTx, caseId: string): Promise<number> {
  const r = await tx.selectFrom('custody_items').select((eb) => eb.fn.max('item_no').as('m')).where('case_id', '=', caseId).executeTakeFirst();
  return Number(r?.m ?? 0);
}

export async function insertItem(tx: DbOrTx, row: Insertable<CustodyItemsTable> & { id: string }) {
  await tx.insertInto('custody_items').values(row).execute();
}

export async function itemById(db: DbOrTx, id: string) {
  return db.selectFrom('custody_items').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function itemByCode(db: DbOrTx, code: string) {
  return db.selectFrom('custody_items').selectAll().where('code', '=', code).executeTakeFirst();
}

export async function itemsByCodes(db: DbOrTx, codes: string[]) {
  if (!codes.length) return [];
  return db.selectFrom('custody_items').selectAll().where('code', 'in', codes).execute();
}

/** Locks items in id order (no deadlock between two batches over the same items). */
export async function lockItems(tx: DbOrTx, ids: string[]) {
  if (!ids.length) return [];
  return tx.selectFrom('custody_items').selectAll().where('id', 'in', ids).orderBy('id').forUpdate().execute();
}

export async function itemsOfCase(db: DbOrTx, caseId: string) {
  return db.selectFrom('custody_items').selectAll().where('case_id', '=', caseId).orderBy('item_no').execute();
}

export async function updateItem(tx: DbOrTx, id: string, patch: Partial<Insertable<CustodyItemsTable>>) {
  await tx.updateTable('custody_items').set(patch).where('id', '=', id).execute();
}

export interface ItemFilter {
  q?: string;
  type?: string;
  status?: string;
  holderOrgId?: string;
  locationId?: string;
  centreId?: string;
  caseId?: string;
  pending?: 'borrow' | 'transfer' | 'disposal';
  pendingOrgIds?: string[];
  disposition?: string;
  warning?: boolean;
  from?: Date;
  to?: Date;
}

function itemQuery(db: DbOrTx, scope: string[] | null, f: ItemFilter) {
  let q = db.selectFrom('custody_items as i').innerJoin('custody_cases as c', 'c.id', 'i.case_id');
  // Those who hold or held the item, and the agency a transfer is offered to.
  if (scope) q = q.where(sql<boolean>`(i.seen_by && ${sql.val(scope)}::uuid[] or (i.pending = 'transfer' and i.pending_org_id = any(${sql.val(scope)}::uuid[])))`);
  if (f.type) q = q.where('i.type', '=', f.type);
  if (f.status) q = q.where('i.status', '=', f.status);
  if (f.holderOrgId) q = q.where('i.holder_org_id', '=', f.holderOrgId);
  if (f.locationId) q = q.where('i.location_id', '=', f.locationId);
  if (f.centreId) q = q.where('i.centre_id', '=', f.centreId);
  if (f.caseId) q = q.where('i.case_id', '=', f.caseId);
  if (f.pending) q = q.where('i.pending', '=', f.pending);
  if (f.pendingOrgIds) q = q.where('i.pending_org_id', 'in', f.pendingOrgIds.length ? f.pendingOrgIds : ['00000000-0000-0000-0000-000000000000']);
  if (f.disposition) q = q.where('i.disposition', '=', f.disposition);
  if (f.from) q = q.where('i.registered_at', '>=', f.from);
  if (f.to) q = q.where('i.registered_at', '<', f.to);
  if (f.warning) q = q.where((eb) => eb.exists(eb.selectFrom('custody_warnings as w').select('w.id').whereRef('w.item_id', '=', 'i.id').where('w.resolved_at', 'is', null)));
  if (f.q) {
    const like = `%${f.q}%`;
    q = q.where((eb) => eb.or([eb('i.code', '=', f.q!), eb('c.code', '=', f.q!), eb('i.name', 'like', like), eb('c.case_number', 'like', like), eb('c.title', 'like', like)]));
  }
  return q;
}

export async function listItems(db: DbOrTx, scope: string[] | null, f: ItemFilter, page: { limit: number; offset: number }) {
  const q = itemQuery(db, scope, f);
  const [items, total] = await Promise.all([
    q
      .selectAll('i')
      .select(['c.code as case_code', 'c.case_number', 'c.title as case_title', 'c.status as case_status'])
      .select((eb) => eb.selectFrom('custody_warnings as w').whereRef('w.item_id', '=', 'i.id').where('w.resolved_at', 'is', null).select((e2) => e2.fn.countAll<string>().as('n')).as('open_warnings'))
      .orderBy('i.registered_at', 'desc')
      .orderBy('i.id')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    q.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { items, total: Number(total.n) };
}

// ------------------------------------------------------------------ events

export async function insertEvents(tx: DbOrTx, events: StoredEvent[]) {
  if (!events.length) return;
  await tx
    .insertInto('custody_events')
    .values(
      events.map((e) => ({
        item_id: e.itemId,
        seq: e.seq,
        type: e.type,
        at: e.at,
        recorded_at: e.recordedAt,
        actor_id: e.actorId,
        actor_name: e.actorName,
        actor_org_id: e.actorOrgId,
        witness_id: e.witnessId,
        witness_name: e.witnessName,
        corrects_seq: e.correctsSeq,
        data: JSON.stringify(e.data),
        prev_hash: e.prevHash,
        hash: e.hash,
      })),
    )
    .execute();
}

type EventDbRow = Selectable<import('./custody.tables.js').CustodyEventsTable>;

export function eventOfRow(r: EventDbRow): StoredEvent {
  return {
    itemId: r.item_id,
    seq: r.seq,
    type: r.type as StoredEvent['type'],
    at: new Date(r.at).toISOString(),
    recordedAt: new Date(r.recorded_at).toISOString(),
    actorId: r.actor_id,
    actorName: r.actor_name,
    actorOrgId: r.actor_org_id,
    witnessId: r.witness_id,
    witnessName: r.witness_name,
    correctsSeq: r.corrects_seq,
    data: (typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as Record<string, unknown>,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export async function eventsOfItem(db: DbOrTx, itemId: string): Promise<StoredEvent[]> {
  const rows = await db.selectFrom('custody_events').selectAll().where('item_id', '=', itemId).orderBy('seq').execute();
  return rows.map(eventOfRow);
}

/** One page of all events in (item, seq) order after a key: verification walks the table with it. */
export async function eventsAfter(db: DbOrTx, after: { itemId: string; seq: number } | null, limit: number): Promise<StoredEvent[]> {
  let q = db.selectFrom('custody_events').selectAll();
  if (after) q = q.where(sql<boolean>`(item_id, seq) > (${after.itemId}::uuid, ${after.seq})`);
  const rows = await q.orderBy('item_id').orderBy('seq').limit(limit).execute();
  return rows.map(eventOfRow);
}

/** Items' stored projection in id order from a key (verification compares it with the fold). */
export async function itemsAfter(db: DbOrTx, afterId: string | null, limit: number) {
  let q = db.selectFrom('custody_items').select(['id', 'code', 'status', 'holder_org_id', 'location_id', 'disposition', 'last_seq', 'head_hash', 'state']);
  if (afterId) q = q.where('id', '>', afterId);
  return q.orderBy('id').limit(limit).execute();
}

// ------------------------------------------------------------------ checkpoints

export async function lastCheckpoint(db: DbOrTx) {
  return db.selectFrom('custody_checkpoints').selectAll().orderBy('no', 'desc').limit(1).executeTakeFirst();
}

/** Chain heads that moved since they were last sealed. */
export async function unsealedHeads(tx: DbOrTx, limit: number) {
  return tx
    .selectFrom('custody_items')
    .select(['id as itemId', 'last_seq as seq', 'head_hash as hash'])
    .where(sql<boolean>`last_seq > checkpointed_seq`)
    .orderBy('id')
    .limit(limit)
    .execute();
}

export async function insertCheckpoint(tx: DbOrTx, c: { no: number; at: Date; prevDigest: string; digest: string; heads: { itemId: string; seq: number; hash: string }[]; keyId: string; signature: string }) {
  await tx.insertInto('custody_checkpoints').values({ no: c.no, at: c.at, prev_digest: c.prevDigest, digest: c.digest, head_count: c.heads.length, key_id: c.keyId, signature: c.signature }).execute();
  for (let i = 0; i < c.heads.length; i += 1000) {
    const part = c.heads.slice(i, i + 1000);
    await tx.insertInto('custody_checkpoint_heads').values(part.map((h) => ({ checkpoint_no: c.no, item_id: h.itemId, seq: h.seq, hash: h.hash }))).execute();
    await sql`update custody_items i set checkpointed_seq = h.seq
      from (select unnest(${sql.val(part.map((h) => h.itemId))}::uuid[]) as id, unnest(${sql.val(part.map((h) => h.seq))}::int[]) as seq) h
      where i.id = h.id`.execute(tx);
  }
}

export async function checkpointsFrom(db: DbOrTx, fromNo: number, limit: number) {
  return db.selectFrom('custody_checkpoints').selectAll().where('no', '>=', fromNo).orderBy('no').limit(limit).execute();
}

export async function headsOfCheckpoint(db: DbOrTx, no: number) {
  return db.selectFrom('custody_checkpoint_heads').select(['item_id as itemId', 'seq', 'hash']).where('checkpoint_no', '=', no).execute();
}

/** The signed heads whose event is missing or has another hash (truncation, rewrite). */
export async function brokenHeads(db: DbOrTx, no: number) {
  return db
    .selectFrom('custody_checkpoint_heads as h')
    .leftJoin('custody_events as e', (j) => j.onRef('e.item_id', '=', 'h.item_id').onRef('e.seq', '=', 'h.seq'))
    .select(['h.item_id as itemId', 'h.seq', 'h.hash as signed', 'e.hash as stored'])
    .where('h.checkpoint_no', '=', no)
    .where((eb) => eb.or([eb('e.hash', 'is', null), eb('e.hash', '<>', eb.ref('h.hash'))]))
    .execute();
}

// ------------------------------------------------------------------ warnings

export async function insertWarnings(tx: DbOrTx, rows: { item_id: string; case_id: string; kind: string; episode: string; holder_org_id: string; due_at: Date | null; detail: Record<string, unknown> }[]) {
  if (!rows.length) return [];
  return tx
    .insertInto('custody_warnings')
    .values(rows.map((r) => ({ ...r, kind: r.kind as never, detail: JSON.stringify(r.detail) })))
    .onConflict((oc) => oc.columns(['item_id', 'kind', 'episode']).doNothing())
    .returning(['id', 'item_id', 'kind'])
    .execute();
}

export async function resolveWarnings(tx: DbOrTx, itemId: string, kinds: string[]) {
  await tx.updateTable('custody_warnings').set({ resolved_at: new Date() }).where('item_id', '=', itemId).where('kind', 'in', kinds as never).where('resolved_at', 'is', null).execute();
}

/** Candidates of the periodic warnings, straight from the projection. */
export async function dueWarnings(db: DbOrTx, now: Date, s: { unrelatedDays: number; undisposedDays: number; transferDays: number }) {
  const loans = await db
    .selectFrom('custody_items')
    .select(['id', 'case_id', 'holder_org_id', 'loan_due_at', 'state'])
    .where('status', '=', 'on_loan')
    .where('loan_due_at', '<', now)
    .execute();
  const unrelated = await db
    .selectFrom('custody_items')
    .select(['id', 'case_id', 'holder_org_id', 'unrelated_at'])
    .where('unrelated_at', '<', new Date(now.getTime() - s.unrelatedDays * 86_400_000))
    .where('status', '<>', 'disposed')
    .execute();
  const undisposed = await db
    .selectFrom('custody_items as i')
    .innerJoin('custody_cases as c', 'c.id', 'i.case_id')
    .select(['i.id', 'i.case_id', 'i.holder_org_id', 'c.concluded_at'])
    .where('c.status', '=', 'concluded')
    .where('c.concluded_at', '<', new Date(now.getTime() - s.undisposedDays * 86_400_000))
    .where('i.status', 'not in', ['disposed'])
    .execute();
  const transfers = await db
    .selectFrom('custody_items')
    .select(['id', 'case_id', 'holder_org_id', 'state'])
    .where('pending', '=', 'transfer')
    .where(sql<boolean>`(state->'pending'->>'offeredAt')::timestamptz < ${new Date(now.getTime() - s.transferDays * 86_400_000)}`)
    .execute();
  return { loans, unrelated, undisposed, transfers };
}

export async function listWarnings(db: DbOrTx, scope: string[] | null, f: { open?: boolean; kind?: string; itemId?: string }, page: { limit: number; offset: number }) {
  let q = db
    .selectFrom('custody_warnings as w')
    .innerJoin('custody_items as i', 'i.id', 'w.item_id')
    .innerJoin('custody_cases as c', 'c.id', 'w.case_id')
    .innerJoin('orgs as o', 'o.id', 'w.holder_org_id');
  if (scope) q = q.where(sql<boolean>`i.seen_by && ${sql.val(scope)}::uuid[]`);
  if (f.open) q = q.where('w.resolved_at', 'is', null);
  if (f.kind) q = q.where('w.kind', '=', f.kind as never);
  if (f.itemId) q = q.where('w.item_id', '=', f.itemId);
  const [items, total] = await Promise.all([
    q
      .select(['w.id', 'w.kind', 'w.raised_at', 'w.due_at', 'w.detail', 'w.resolved_at', 'i.id as item_id', 'i.code as item_code', 'i.name as item_name', 'c.case_number', 'c.code as case_code', 'o.name as holder_name'])
      .orderBy('w.raised_at', 'desc')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    q.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { items, total: Number(total.n) };
}

// ------------------------------------------------------------------ statistics

export async function statsByType(db: DbOrTx, scope: string[] | null) {
  let q = db.selectFrom('custody_items');
  if (scope) q = q.where(sql<boolean>`seen_by && ${sql.val(scope)}::uuid[]`);
  return q
    .select([
      'type',
      (eb) => eb.fn.countAll<string>().as('total'),
      sql<string>`count(*) filter (where status in ('registered', 'in_store', 'on_loan'))`.as('in_custody'),
      sql<string>`count(*) filter (where status = 'on_loan')`.as('on_loan'),
      sql<string>`count(*) filter (where status in ('disposed', 'awaiting_treasury'))`.as('disposed'),
      sql<string>`coalesce(sum(value_cents) filter (where status in ('registered', 'in_store', 'on_loan')), 0)`.as('value_in_custody'),
      sql<string | null>`avg(extract(epoch from (disposed_at - seized_at)) / 86400) filter (where disposed_at is not null)`.as('avg_days_to_disposal'),
    ])
    .groupBy('type')
    .execute();
}

export async function statsByDisposition(db: DbOrTx, scope: string[] | null) {
  let q = db.selectFrom('custody_items').where('disposition', 'is not', null);
  if (scope) q = q.where(sql<boolean>`seen_by && ${sql.val(scope)}::uuid[]`);
  return q.select(['disposition', (eb) => eb.fn.countAll<string>().as('n')]).groupBy('disposition').execute();
}

/**
 * Items received and disposed per month (Asia/Shanghai months). Received counts from the
 * seizure, when the property came into custody — stock entered later (存量录入) keeps its month.
 */
export async function statsByMonth(db: DbOrTx, scope: string[] | null, since: Date) {
  let q = db.selectFrom('custody_items').where((eb) => eb.or([eb('seized_at', '>=', since), eb('disposed_at', '>=', since)]));
  if (scope) q = q.where(sql<boolean>`seen_by && ${sql.val(scope)}::uuid[]`);
  return q.select(['seized_at', 'disposed_at']).execute();
}

// ------------------------------------------------------------------ evidence and displays

export async function insertEvidence(tx: DbOrTx, row: { id: string; item_id: string; seq: number; filename: string; mime: string; size: number; sha256: string; storage_path: string; uploaded_by: string }) {
  await tx.insertInto('custody_evidence').values(row).execute();
}

export async function evidenceOfItem(db: DbOrTx, itemId: string) {
  return db
    .selectFrom('custody_evidence as e')
    .innerJoin('users as u', 'u.id', 'e.uploaded_by')
    .selectAll('e')
    .select('u.display_name as uploader_name')
    .where('e.item_id', '=', itemId)
    .orderBy('e.created_at')
    .execute();
}

export async function evidenceById(db: DbOrTx, id: string) {
  return db.selectFrom('custody_evidence').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function liveSharesOf(db: DbOrTx, evidenceId: string, now: Date) {
  return db
    .selectFrom('custody_evidence_shares as s')
    .innerJoin('orgs as o', 'o.id', 's.org_id')
    .select(['s.id', 's.org_id', 'o.name as org_name', 'o.path as org_path', 's.expires_at', 's.created_at'])
    .where('s.evidence_id', '=', evidenceId)
    .where('s.revoked_at', 'is', null)
    .where('s.expires_at', '>', now)
    .execute();
}

export async function insertShare(tx: DbOrTx, row: { evidence_id: string; org_id: string; expires_at: Date; created_by: string }) {
  return tx.insertInto('custody_evidence_shares').values(row).returning('id').executeTakeFirstOrThrow();
}

export async function insertDisplay(tx: DbOrTx, row: { token_hash: string; title: string; viewer_name: string; item_ids: string[]; created_by: string; org_id: string; expires_at: Date }) {
  return tx.insertInto('custody_displays').values(row).returning('id').executeTakeFirstOrThrow();
}

export async function displayByTokenHash(db: DbOrTx, tokenHash: string) {
  return db.selectFrom('custody_displays').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

export async function displaysOf(db: DbOrTx, createdBy: string | null, orgIds: string[] | null) {
  let q = db.selectFrom('custody_displays').selectAll();
  if (orgIds) q = q.where('org_id', 'in', orgIds.length ? orgIds : ['00000000-0000-0000-0000-000000000000']);
  if (createdBy) q = q.where('created_by', '=', createdBy);
  return q.orderBy('created_at', 'desc').limit(100).execute();
}

export async function revokeDisplay(tx: DbOrTx, id: string) {
  await tx.updateTable('custody_displays').set({ revoked_at: new Date() }).where('id', '=', id).execute();
}
