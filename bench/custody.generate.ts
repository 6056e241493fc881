/**
 * Data of the custody benchmark (bench/custody.bench.ts): cases, items and their hash-chained
 * event histories, generated in Node and streamed into PostgreSQL with COPY.
 *
 * Each item follows one of a few hundred lifecycles ("templates"), found once by a seeded
 * random walk over the custody model: a step enters a template only when the model's own
 * `refusal()` allows it (preconditions, separation of duties, two-person rule, approvals), so
 * every history is one the service could have written. An item differs from the others of its
 * template in its ids, case, code, owner digest, times and the dates derived from them; its
 * events are built with the fields the service's nextEvent fills, hashed with `eventHash`
 * (custody.chain.ts) and folded with `applyEvent` (custody.model.ts), and the projection
 * columns of custody_items (state, status, holder, location, pending, seen_by, last_seq,
 * head_hash …) are written as the service writes them.
 */
import crypto from 'node:crypto';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { eventHash, GENESIS } from '../src/server/modules/custody/custody.chain.js';
import { applyEvent, refusal, TWO_PERSON_TYPES, type CustodyEvent, type DisposalWay, type EventType, type ItemState, type ItemType, type RegisterData } from '../src/server/modules/custody/custody.model.js';

export type UserKey = 'officer' | 'officer2' | 'clerk' | 'clerk2' | 'leader' | 'leader2' | 'proc' | 'procLeader' | 'procLeader2' | 'judge' | 'judgeLeader' | 'judgeLeader2' | 'finance';

/** The organisations, people and places of the generated district (made through the API first). */
export interface BenchWorld {
  orgs: { police: string; criminal: string; procuratorate: string; court: string; finance: string; centre: string };
  centreId: string;
  /** Bins without a capacity limit: where the generated items are stored. */
  bins: string[];
  users: Record<UserKey, { id: string; name: string; orgId: string }>;
  /** Cases are opened between fromMs and toMs; every event lies before toMs + 60 days < now. */
  fromMs: number;
  toMs: number;
}

export const TEMPLATES = 200;
/** Items per case come in pairs summing to this (so the mean is exactly half). */
const PAIR_ITEMS = 20;
/** Events per item come in pairs of templates summing to this (mean exactly 10). */
const PAIR_EVENTS = 20;

/** A small seeded PRNG (mulberry32). */
export function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ------------------------------------------------------------------------------- templates

interface Step {
  type: EventType;
  actor: UserKey;
  witness: UserKey | null;
  correctsSeq: number | null;
  /** Hours after the registration. */
  hours: number;
  /** The event's data; dates that depend on the item's times are computed from its state and time. */
  data: (s: ItemState, atMs: number) => Record<string, unknown>;
}

export interface Template {
  type: ItemType;
  fields: { name: string; description: string; quantity: number; unit: string; valueCents: number | null };
  ownerKind: 'person' | 'organisation' | 'unknown';
  steps: Step[];
  /** Status after the last step (for the report). */
  finalStatus: string;
}

const ITEM_KINDS: { type: ItemType; weight: number; fields: Template['fields'] }[] = [
  { type: 'cash', weight: 3, fields: { name: '人民币现金', description: '百元面额，用信封封装', quantity: 12000, unit: '元', valueCents: 1_200_000 } },
  { type: 'valuables', weight: 1, fields: { name: '黄金项链', description: '足金，约 25 克', quantity: 1, unit: '条', valueCents: 1_150_000 } },
  { type: 'vehicle', weight: 1, fields: { name: '白色小型轿车', description: '大众朗逸，车牌浙A·12345', quantity: 1, unit: '辆', valueCents: 6_000_000 } },
  { type: 'electronic', weight: 4, fields: { name: '黑色苹果手机', description: 'iPhone 13，屏幕碎裂', quantity: 1, unit: '部', valueCents: 300_000 } },
  { type: 'document', weight: 2, fields: { name: '手写账本', description: '蓝色封皮，共 48 页', quantity: 1, unit: '本', valueCents: null } },
  { type: 'drugs', weight: 1, fields: { name: '疑似毒品白色晶体', description: '透明塑料袋包装', quantity: 12.5, unit: '克', valueCents: null } },
  { type: 'weapon', weight: 1, fields: { name: '管制刀具', description: '单刃，刃长 22 厘米', quantity: 1, unit: '把', valueCents: null } },
  { type: 'other', weight: 2, fields: { name: '作案工具撬棍', description: '铁质，长约 60 厘米', quantity: 1, unit: '根', valueCents: null } },
];

/** Candidate steps with their weights (a step the model refuses is skipped). */
const STEP_WEIGHTS: [EventType, number][] = [
  ['check_in', 8],
  ['photograph', 1.5],
  ['move', 1.5],
  ['seal', 1.5],
  ['unseal', 0.8],
  ['examine', 1],
  ['evidence_added', 1.2],
  ['mark_unrelated', 0.2],
  ['borrow_request', 1.2],
  ['borrow_approve', 6],
  ['borrow_reject', 0.6],
  ['check_out', 6],
  ['return', 5],
  ['transfer_offer', 0.9],
  ['transfer_accept', 6],
  ['transfer_reject', 0.6],
  ['disposal_request', 0.7],
  ['disposal_approve', 6],
  ['disposal_reject', 0.4],
  ['dispose', 6],
  ['treasury_receipt', 6],
  ['correct', 0.3],
];

const AGENCY_ORDER = ['police', 'procuratorate', 'court'] as const;

/** Builds the templates of a world: deterministic, so the parent and every child get the same ones. */
export function buildTemplates(w: BenchWorld): Template[] {
  const orgKey = (id: string) => (Object.entries(w.orgs).find(([, v]) => v === id)?.[0] ?? '') as keyof BenchWorld['orgs'] | '';
  const officerOf = (holder: string): UserKey => ({ police: 'officer', procuratorate: 'proc', court: 'judge' } as Record<string, UserKey>)[orgKey(holder)] ?? 'officer';
  const leadersOf = (holder: string): UserKey[] => ({ police: ['leader', 'leader2'], procuratorate: ['procLeader', 'procLeader2'], court: ['judgeLeader', 'judgeLeader2'] } as Record<string, UserKey[]>)[orgKey(holder)] ?? ['leader'];
  // Who acts for an organisation: its own people, and the criminal brigade for the police bureau.
  const actsFor = (u: UserKey, org: string) => w.users[u].orgId === org || (org === w.orgs.police && w.users[u].orgId === w.orgs.criminal);
  const templates: Template[] = [];
  let prevLength = 0;
  for (let k = 0; k < TEMPLATES; k++) {
    const rnd = prng(1000 + k);
    const length = k % 2 === 0 ? 1 + Math.floor(rnd() * (PAIR_EVENTS - 1)) : PAIR_EVENTS - prevLength;
    prevLength = length;
    const total = ITEM_KINDS.reduce((a, x) => a + x.weight, 0);
    let pick = rnd() * total;
    const kind = ITEM_KINDS.find((x) => (pick -= x.weight) < 0) ?? ITEM_KINDS[0]!;
    const twoPerson = TWO_PERSON_TYPES.includes(kind.type);
    const reg: RegisterData = {
      caseId: '',
      itemNo: 1,
      code: '',
      type: kind.type,
      ...kind.fields,
      ownerKind: 'person',
      ownerDigest: '',
      seizureDoc: '',
      seizedAt: '',
      seizedBy: w.users.officer.id,
      holderOrgId: w.orgs.police,
      centreId: w.centreId,
    };
    const fake = (type: EventType, actor: UserKey, data: Record<string, unknown>, seq: number, correctsSeq: number | null): CustodyEvent => ({
      itemId: 'template',
      seq,
      type,
      at: new Date(w.toMs).toISOString(),
      recordedAt: new Date(w.toMs).toISOString(),
      actorId: w.users[actor].id,
      actorName: w.users[actor].name,
      actorOrgId: w.users[actor].orgId,
      witnessId: null,
      witnessName: null,
      correctsSeq,
      data,
    });
    let state = applyEvent(null, fake('register', 'officer', reg as unknown as Record<string, unknown>, 1, null));
    const steps: Step[] = [];
    let hours = 0;
    let tries = 0;
    while (steps.length < length - 1) {
      tries++;
      const sum = STEP_WEIGHTS.reduce((a, [, x]) => a + x, 0);
      let r = rnd() * sum;
      let type = (STEP_WEIGHTS.find(([, x]) => (r -= x) < 0) ?? STEP_WEIGHTS[0]!)[0];
      if (tries > 500) type = 'examine'; // always allowed: a walk never gets stuck
      const s = state;
      const holder = s.holderOrgId;
      let actor: UserKey = officerOf(holder);
      let witness: UserKey | null = null;
      let correctsSeq: number | null = null;
      let data: Step['data'];
      const otherBin = () => w.bins.filter((b) => b !== s.locationId)[Math.floor(rnd() * (w.bins.length - 1))]!;
      switch (type) {
        case 'check_in': {
          actor = 'clerk';
          witness = twoPerson ? 'clerk2' : null;
          const bin = otherBin();
          data = () => ({ locationId: bin });
          break;
        }
        case 'return': {
          actor = 'clerk';
          const bin = otherBin();
          data = () => ({ locationId: bin, condition: '完好' });
          break;
        }
        case 'move': {
          actor = 'clerk';
          const bin = otherBin();
          const from = s.locationId;
          data = () => ({ toLocationId: bin, reason: '库位调整', fromLocationId: from });
          break;
        }
        case 'seal': {
          actor = 'clerk';
          const no = `FT${String(k).padStart(4, '0')}${steps.length}`;
          data = () => ({ sealNo: no });
          break;
        }
        case 'unseal':
          actor = 'clerk';
          data = () => ({ reason: '鉴定需要启封' });
          break;
        case 'photograph': {
          const ids = [crypto.randomUUID()];
          data = () => ({ fileIds: ids, note: '' });
          break;
        }
        case 'examine':
          data = () => ({ examiner: '市公安局物证鉴定所', purpose: '真伪鉴定', result: '' });
          break;
        case 'evidence_added': {
          const evidenceId = crypto.randomUUID();
          const sha256 = crypto.createHash('sha256').update(evidenceId).digest('hex');
          data = () => ({ evidenceId, filename: '现场视频.mp4', mime: 'video/mp4', size: 48_213_337, sha256 });
          break;
        }
        case 'mark_unrelated':
          data = () => ({ reason: '经查与案件无关' });
          break;
        case 'borrow_request':
          data = (_s, at) => ({ purpose: '出庭示证', dueAt: new Date(at + 14 * 86_400_000).toISOString() });
          break;
        case 'borrow_approve':
        case 'disposal_approve': {
          const pend = s.pending;
          const leaders = leadersOf(holder).filter((u) => !(pend?.kind === 'disposal' && (pend.approverIds.includes(w.users[u].id) || pend.requesterId === w.users[u].id)));
          actor = leaders[Math.floor(rnd() * leaders.length)] ?? leadersOf(holder)[0]!;
          data = type === 'borrow_approve' ? () => ({ note: '' }) : (st) => ({ note: '', ...(st.pending?.kind === 'disposal' ? { requestSeq: st.pending.requestSeq, way: st.pending.way } : {}) });
          break;
        }
        case 'borrow_reject':
          actor = leadersOf(holder)[0]!;
          data = () => ({ reason: '理由不充分' });
          break;
        case 'disposal_reject': {
          actor = leadersOf(holder)[1] ?? leadersOf(holder)[0]!;
          data = (st) => ({ reason: '处置依据不足', ...(st.pending?.kind === 'disposal' ? { requestSeq: st.pending.requestSeq, way: st.pending.way } : {}) });
          break;
        }
        case 'check_out':
          actor = 'clerk';
          data = (st) => (st.pending?.kind === 'borrow' ? { note: '', dueAt: st.pending.dueAt, borrowerId: st.pending.requesterId, requestSeq: st.pending.requestSeq } : { note: '' });
          break;
        case 'transfer_offer': {
          const next = AGENCY_ORDER.map((a) => w.orgs[a]).find((o) => o !== holder && AGENCY_ORDER.indexOf(orgKey(o) as never) > AGENCY_ORDER.indexOf(orgKey(holder) as never)) ?? w.orgs.procuratorate;
          data = () => ({ toOrgId: next, documentRef: '移送清单〔2025〕17号', note: '', fromOrgId: holder });
          break;
        }
        case 'transfer_accept':
        case 'transfer_reject': {
          const to = s.pending?.kind === 'transfer' ? s.pending.toOrgId : holder;
          actor = officerOf(to);
          data = type === 'transfer_accept' ? (st) => ({ note: '', ...(st.pending?.kind === 'transfer' ? { offerSeq: st.pending.offerSeq } : {}) }) : (st) => ({ reason: '手续不全', ...(st.pending?.kind === 'transfer' ? { offerSeq: st.pending.offerSeq } : {}) });
          break;
        }
        case 'disposal_request': {
          const ways: DisposalWay[] = kind.type === 'cash' || kind.type === 'valuables' ? ['confiscate', 'return'] : kind.type === 'drugs' || kind.type === 'weapon' ? ['destroy'] : ['auction', 'return', 'destroy'];
          const way = ways[Math.floor(rnd() * ways.length)]!;
          data = () => ({ way, documentRef: '刑事判决书〔2025〕88号', note: '' });
          break;
        }
        case 'dispose': {
          actor = 'clerk';
          witness = twoPerson ? 'clerk2' : null;
          data = (st) => {
            const way = st.pending?.kind === 'disposal' ? st.pending.way : undefined;
            return { recipient: '', receiptRef: '', proceedsCents: null, note: '', ...(st.pending?.kind === 'disposal' ? { requestSeq: st.pending.requestSeq, way } : {}), ...(way === 'confiscate' ? { financeOrgId: w.orgs.finance } : {}) };
          };
          break;
        }
        case 'treasury_receipt':
          actor = 'finance';
          data = () => ({ receiptRef: '非税收入缴款书 3301250001', amountCents: null });
          break;
        case 'correct': {
          correctsSeq = 1 + Math.floor(rnd() * s.lastSeq);
          const desc = `${s.fields.description}（更正）`;
          data = () => ({ reason: '登记时描述有误', changes: { description: desc } });
          break;
        }
        default:
          continue;
      }
      const d = data(s, w.toMs);
      const decision = {
        actorId: w.users[actor].id,
        actsForHolder: actsFor(actor, holder),
        actsForRecipient: s.pending?.kind === 'transfer' ? actsFor(actor, s.pending.toOrgId) : false,
        actsForFinance: w.users[actor].orgId === w.orgs.finance,
        witnessId: witness ? w.users[witness].id : null,
        disposalApprovals: 2,
        now: new Date(w.toMs),
      };
      if (refusal(s, type, { ...d, correctsSeq }, decision)) continue;
      tries = 0;
      hours += 2 + Math.floor(rnd() * 60);
      steps.push({ type, actor, witness, correctsSeq, hours, data });
      state = applyEvent(s, fake(type, actor, d, s.lastSeq + 1, correctsSeq));
    }
    templates.push({ type: kind.type, fields: kind.fields, ownerKind: rnd() < 0.85 ? 'person' : 'unknown', steps, finalStatus: state.status });
  }
  return templates;
}

// ------------------------------------------------------------------------------- rows

/** COPY text format: backslash, tab, newline and carriage return escaped; null as \N. */
const esc = (v: string) => (/[\\\t\n\r]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : v);
const col = (v: string | number | null | undefined) => (v === null || v === undefined ? '\\N' : typeof v === 'number' ? String(v) : esc(v));
const uuidArray = (ids: string[]) => `{${ids.join(',')}}`;

export const CASE_COLUMNS = 'id, code, agency_org_id, case_number, title, kind, opened_at, officer_id, centre_id, status, concluded_at, conclusion, seen_by, created_at, updated_at';
export const ITEM_COLUMNS =
  'id, case_id, item_no, code, type, name, description, quantity, unit, value_cents, owner_kind, owner_name, owner_phone, seizure_doc, seized_at, seized_by, centre_id, status, holder_org_id, location_id, pending, pending_org_id, loan_due_at, unrelated_at, disposition, disposed_at, state, seen_by, last_seq, head_hash, checkpointed_seq, registered_at, updated_at';
export const EVENT_COLUMNS = 'item_id, seq, type, at, recorded_at, actor_id, actor_name, actor_org_id, witness_id, witness_name, corrects_seq, data, prev_hash, hash';

/** Items of case c: pairs of cases sum to PAIR_ITEMS. */
export function itemsOfCase(c: number): number {
  const a = 1 + Math.floor(prng(7 + Math.floor(c / 2))() * (PAIR_ITEMS - 1));
  return c % 2 === 0 ? a : PAIR_ITEMS - a;
}
/** Global index of the first item of case c. */
export const firstItemOf = (c: number) => Math.floor(c / 2) * PAIR_ITEMS + (c % 2 === 0 ? 0 : itemsOfCase(c - 1));

const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高';
const CRIMES = ['盗窃案', '诈骗案', '抢劫案', '故意伤害案', '非法持有毒品案', '开设赌场案', '非法经营案', '寻衅滋事案'];
export const caseCode = (c: number) => `AJ2025${String(c + 1).padStart(6, '0')}`;

export interface PartitionResult {
  cases: number;
  items: number;
  events: number;
  bytes: number;
  ms: number;
}

/**
 * Generates cases [from, to) with their items and events and COPYs them into the database,
 * three streams at once (cases, items, events). progress(events) is called now and then.
 */
export async function generatePartition(url: string, w: BenchWorld, from: number, to: number, opts: { caseCount: number; checkpointed: boolean; progress?: (events: number) => void }): Promise<PartitionResult> {
  const t0 = performance.now();
  const templates = buildTemplates(w);
  const ctxOf = (u: UserKey) => w.users[u];
  const clients = await Promise.all([0, 1, 2].map(async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query('set synchronous_commit = off');
    return c;
  }));
  const streams = [
    clients[0]!.query(copyFrom(`copy custody_cases (${CASE_COLUMNS}) from stdin`)),
    clients[1]!.query(copyFrom(`copy custody_items (${ITEM_COLUMNS}) from stdin`)),
    clients[2]!.query(copyFrom(`copy custody_events (${EVENT_COLUMNS}) from stdin`)),
  ];
  const done = streams.map((s) => new Promise<void>((resolve, reject) => {
    s.on('finish', () => resolve());
    s.on('error', reject);
  }));
  const buffers = ['', '', ''];
  let bytes = 0;
  const flush = async (i: number, force = false) => {
    if (!force && buffers[i]!.length < 1 << 20) return;
    const chunk = buffers[i]!;
    buffers[i] = '';
    bytes += Buffer.byteLength(chunk);
    if (!(streams[i] as Writable).write(chunk)) await once(streams[i] as Writable, 'drain');
  };

  let items = 0;
  let events = 0;
  let lastProgress = 0;
  const span = w.toMs - w.fromMs;
  for (let c = from; c < to; c++) {
    const rnd = prng(100_000 + c);
    const caseId = crypto.randomUUID();
    const code = caseCode(c);
    const opened = w.fromMs + Math.floor((c / opts.caseCount) * span) + Math.floor(rnd() * 3_600_000);
    const officer: UserKey = rnd() < 0.5 ? 'officer' : 'officer2';
    const caseSeen = new Set([w.orgs.police, w.orgs.centre]);
    const n = itemsOfCase(c);
    const g0 = firstItemOf(c);
    for (let no = 1; no <= n; no++) {
      const g = g0 + no - 1;
      const tpl = templates[g % TEMPLATES]!;
      const id = crypto.randomUUID();
      const itemCode = `${code}-${String(no).padStart(3, '0')}`;
      const registered = opened + 3_600_000 + no * 60_000;
      const seizedAt = new Date(registered - 2 * 3_600_000).toISOString();
      const ownerName = tpl.ownerKind === 'unknown' ? null : `${SURNAMES[g % SURNAMES.length]}某${g % 97}`;
      const ownerPhone = ownerName ? `139${String(g % 100_000_000).padStart(8, '0')}` : null;
      const quantity = tpl.type === 'cash' ? tpl.fields.quantity + (g % 50) * 100 : tpl.fields.quantity;
      const valueCents = tpl.type === 'cash' ? quantity * 100 : tpl.fields.valueCents;
      const seizureDoc = `海公（刑）扣字〔2025〕${c + 1}号`;
      const reg: RegisterData = {
        caseId,
        itemNo: no,
        code: itemCode,
        type: tpl.type,
        name: tpl.fields.name,
        description: tpl.fields.description,
        quantity,
        unit: tpl.fields.unit,
        valueCents,
        ownerKind: tpl.ownerKind,
        ownerDigest: crypto.createHash('sha256').update(`${ownerName ?? ''}\n${ownerPhone ?? ''}`).digest('hex'),
        seizureDoc,
        seizedAt,
        seizedBy: w.users[officer].id,
        holderOrgId: w.orgs.police,
        centreId: w.centreId,
      };
      // As the service's nextEvent builds each event: hash over the previous hash and the event.
      const cur: { state: ItemState | null } = { state: null };
      let prevHash = GENESIS;
      let last = { seq: 0, hash: GENESIS, recordedAt: '' };
      const emit = (type: EventType, actor: UserKey, witness: UserKey | null, correctsSeq: number | null, data: Record<string, unknown>, atMs: number, recordedMs: number) => {
        const a = ctxOf(actor);
        const e: CustodyEvent = {
          itemId: id,
          seq: last.seq + 1,
          type,
          at: new Date(atMs).toISOString(),
          recordedAt: new Date(recordedMs).toISOString(),
          actorId: a.id,
          actorName: a.name,
          actorOrgId: a.orgId,
          witnessId: witness ? w.users[witness].id : null,
          witnessName: witness ? w.users[witness].name : null,
          correctsSeq,
          data,
        };
        const hash = eventHash(prevHash, e);
        buffers[2] +=
          `${id}\t${e.seq}\t${type}\t${e.at}\t${e.recordedAt}\t${e.actorId}\t${col(e.actorName)}\t${e.actorOrgId}\t${col(e.witnessId)}\t${col(e.witnessName)}\t${col(e.correctsSeq)}\t${esc(JSON.stringify(data))}\t${prevHash}\t${hash}\n`;
        cur.state = applyEvent(cur.state, e);
        prevHash = hash;
        last = { seq: e.seq, hash, recordedAt: e.recordedAt };
        events++;
      };
      // The registration is recorded by the seizing officer (at = recorded = registration).
      emit('register', officer, null, null, reg as unknown as Record<string, unknown>, registered, registered);
      for (const st of tpl.steps) {
        const at = registered + st.hours * 3_600_000;
        const actor = st.actor === 'officer' ? officer : st.actor;
        emit(st.type, actor, st.witness, st.correctsSeq, st.data(cur.state!, at), at, at + 5 * 60_000);
      }
      const s = cur.state!;
      const seen = [...new Set([w.orgs.police, w.orgs.centre, ...s.heldBy])];
      for (const o of s.heldBy) caseSeen.add(o);
      const pendingOrg = s.pending ? (s.pending.kind === 'transfer' ? s.pending.toOrgId : s.holderOrgId) : null;
      buffers[1] +=
        [
          id,
          caseId,
          no,
          itemCode,
          tpl.type,
          col(s.fields.name),
          col(s.fields.description),
          s.fields.quantity,
          col(s.fields.unit),
          col(s.fields.valueCents),
          tpl.ownerKind,
          col(ownerName),
          col(ownerPhone),
          col(seizureDoc),
          seizedAt,
          w.users[officer].id,
          w.centreId,
          s.status,
          s.holderOrgId,
          col(s.locationId),
          col(s.pending?.kind ?? null),
          col(pendingOrg),
          col(s.loan?.dueAt ?? null),
          col(s.unrelatedAt),
          col(s.disposition),
          col(s.disposedAt),
          esc(JSON.stringify(s)),
          uuidArray(seen),
          last.seq,
          last.hash,
          opts.checkpointed ? last.seq : 0,
          new Date(registered).toISOString(),
          last.recordedAt,
        ].join('\t') + '\n';
      items++;
      await flush(2);
    }
    const title = `${SURNAMES[c % SURNAMES.length]}某${CRIMES[c % CRIMES.length]}`;
    buffers[0] +=
      [caseId, code, w.orgs.police, col(`海公（刑）立字〔2025〕${c + 1}号`), col(title), c % 10 === 9 ? 'administrative' : 'criminal', new Date(opened).toISOString(), w.users[officer].id, w.centreId, 'open', '\\N', '\\N', uuidArray([...caseSeen]), new Date(opened).toISOString(), new Date(opened).toISOString()].join('\t') +
      '\n';
    await flush(0);
    await flush(1);
    if (events - lastProgress >= 250_000) {
      lastProgress = events;
      opts.progress?.(events);
    }
  }
  for (let i = 0; i < 3; i++) {
    await flush(i, true);
    streams[i]!.end();
  }
  await Promise.all(done);
  await Promise.all(clients.map((c) => c.end()));
  return { cases: to - from, items, events, bytes, ms: performance.now() - t0 };
}
