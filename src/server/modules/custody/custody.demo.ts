/**
 * The seized-property part of the demo district (涉案财物): the district's property centre
 * (海宁市涉案财物管理中心) with its store rooms, the people who work with property in the
 * police, procuratorate, court and finance bureau, and ~36 cases of the last four months whose
 * items went through check-in, loans, transfers and disposal — every step taken through the
 * custody service itself, so hash chains, projections, warnings and checkpoints are the real
 * ones. Runs once (a marker in settings); names, amounts and histories come from a seeded RNG.
 *
 * The service records every step at the time it is taken (recordedAt = now) and lets a step
 * say when it happened (`at`) up to 30 days back; the demo histories use that: steps of older
 * cases carry an `at` within the last 29 days. Property of older cases is entered as the
 * centre's backlog at go-live (存量补录): for that entry the registration deadline is widened
 * through the audited settings and restored at once, so only the two recent items registered
 * too late raise 超时登记.
 */
import type { Db } from '../../db.js';
import { recordAudit } from '../../platform/audit/audit.js';
import { systemContext, type ActorContext } from '../../platform/http/context.js';
import { findOrgByCode, findUserByUsername, getSetting, hashPassword, insertOrg, insertUser, permissionsOf, putSetting } from '../core/index.js';
import { DEMO_PASSWORD } from '../demo/index.js';
import { GIVEN_CHARS, ROAD_PREFIXES, SURNAMES } from '../demo/demo.names.js';
import { Prng } from '../demo/demo.random.js';
import type { SigningKey } from './custody.chain.js';
import { sealCheckpoints } from './custody.integrity.js';
import type { DisposalWay, ItemType } from './custody.model.js';
import { type ActionType, type CustodyService } from './custody.service.js';

const MARKER = 'demo.custody.seeded';
type OrgRow = NonNullable<Awaited<ReturnType<typeof findOrgByCode>>>;
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** China Standard Time, for the year and date in document numbers. */
const CST = 8 * HOUR;
/** The latest a back-dated step may lie in the past (the service allows 30 days). */
const BACKDATE_LIMIT = 29 * DAY;

// ------------------------------------------------------------------ people and places

type UserKey = 'officer' | 'officer2' | 'clerk' | 'clerk2' | 'leader' | 'leader2' | 'proc' | 'procLeader' | 'judge' | 'judgeLeader' | 'judgeLeader2' | 'finance';
type OrgKey = 'criminal' | 'police' | 'centre' | 'procuratorate' | 'court' | 'finance';

/** The demo accounts (password zhian-demo), their organisation and role. */
const DEMO_USERS: { key: UserKey; username: string; org: OrgKey; role: string }[] = [
  { key: 'officer', username: 'custody-officer', org: 'criminal', role: 'case_officer' },
  { key: 'officer2', username: 'custody-officer2', org: 'criminal', role: 'case_officer' },
  { key: 'clerk', username: 'custody-clerk', org: 'centre', role: 'property_clerk' },
  { key: 'clerk2', username: 'custody-clerk2', org: 'centre', role: 'property_clerk' },
  { key: 'leader', username: 'custody-leader', org: 'police', role: 'custody_leader' },
  { key: 'leader2', username: 'custody-leader2', org: 'police', role: 'custody_leader' },
  { key: 'proc', username: 'custody-proc', org: 'procuratorate', role: 'case_officer' },
  { key: 'procLeader', username: 'custody-procleader', org: 'procuratorate', role: 'custody_leader' },
  { key: 'judge', username: 'custody-judge', org: 'court', role: 'case_officer' },
  { key: 'judgeLeader', username: 'custody-judgeleader', org: 'court', role: 'custody_leader' },
  { key: 'judgeLeader2', username: 'custody-judgeleader2', org: 'court', role: 'custody_leader' },
  { key: 'finance', username: 'custody-finance', org: 'finance', role: 'finance_officer' },
];

interface DemoUser {
  id: string;
  username: string;
  ctx: ActorContext;
}

type RoomKind = 'general' | 'valuables' | 'electronic' | 'controlled' | 'vehicles';
/** The store rooms of the centre; every cabinet holds 3–4 shelves or bins. */
const ROOMS: { kind: RoomKind; name: string; cabinet: (letter: string) => string; child: 'shelf' | 'bin' | null; childName: (n: number) => string; capacity: [number, number] }[] = [
  { kind: 'general', name: '一号库房（一般物品）', cabinet: (l) => `${l}柜`, child: 'shelf', childName: (n) => `第${n}层`, capacity: [20, 40] },
  { kind: 'valuables', name: '二号库房（贵重物品·现金）', cabinet: (l) => `${l}号保险柜`, child: 'bin', childName: (n) => `${n}号格`, capacity: [10, 20] },
  { kind: 'electronic', name: '三号库房（电子设备）', cabinet: (l) => `${l}柜`, child: 'shelf', childName: (n) => `第${n}层`, capacity: [15, 40] },
  { kind: 'controlled', name: '四号库房（毒品·管制器具，双人双锁）', cabinet: (l) => `${l}号双锁柜`, child: 'bin', childName: (n) => `${n}号格`, capacity: [10, 20] },
  { kind: 'vehicles', name: '车辆停放场', cabinet: () => '', child: null, childName: () => '', capacity: [0, 0] },
];

const ROOM_OF: Record<ItemType, RoomKind> = {
  cash: 'valuables',
  valuables: 'valuables',
  vehicle: 'vehicles',
  electronic: 'electronic',
  document: 'general',
  drugs: 'controlled',
  weapon: 'controlled',
  other: 'general',
};

/** Types checked in by two people here: the service's rule (cash, valuables) and the double-locked room. */
const WITNESSED_CHECK_IN: readonly ItemType[] = ['cash', 'valuables', 'drugs'];
const TWO_PERSON: readonly ItemType[] = ['cash', 'valuables'];

// ------------------------------------------------------------------ generated content

const pad = (n: number, w: number) => String(n).padStart(w, '0');
const digits = (r: Prng, n: number) => Array.from({ length: n }, () => r.int(0, 9)).join('');
const yuan = (v: number) => Math.round(v * 100);

function personName(r: Prng): string {
  return r.pick(SURNAMES) + r.pick(GIVEN_CHARS) + (r.chance(0.7) ? r.pick(GIVEN_CHARS) : '');
}

function mobile(r: Prng): string {
  return `1${r.pick(['35', '36', '37', '38', '39', '58', '59', '87', '88'])}${digits(r, 8)}`;
}

/** 浙F (嘉兴) plates: a letter and four digits, or a new-energy D/F plate with five. */
function plate(r: Prng): string {
  const letters = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
  return r.chance(0.25) ? `${r.pick(['D', 'F'])}${digits(r, 5)}` : `${letters[r.int(0, letters.length - 1)]}${digits(r, 4)}`;
}

/** Whose the item is: the suspect's, the victim's, the company's, a relative's of the suspect, or nobody known. */
type Owner = 'suspect' | 'victim' | 'company' | 'relative' | 'unknown';
interface ItemSpec {
  type: ItemType;
  name: string;
  description: string;
  quantity: number;
  unit: string;
  valueCents: number | null;
  owner: Owner;
}

const COLOURS = ['黑色', '白色', '银色', '蓝色', '红色', '灰色'];
const it = {
  cash(r: Prng, min: number, max: number, owner: Owner, name = '人民币现金'): ItemSpec {
    const hundreds = r.int(Math.ceil(min / 100), Math.floor(max / 100));
    const fifty = r.chance(0.3);
    const amount = hundreds * 100 + (fifty ? 50 : 0);
    return { type: 'cash', name, description: `百元券${hundreds}张${fifty ? '、五十元券1张' : ''}，当场清点`, quantity: amount, unit: '元', valueCents: yuan(amount), owner };
  },
  necklace(r: Prng, owner: Owner): ItemSpec {
    const g = r.int(8, 45);
    return { type: 'valuables', name: '黄金项链', description: `足金，约${g}克${r.chance(0.5) ? '，带吊坠' : ''}`, quantity: 1, unit: '条', valueCents: yuan(g * 580), owner };
  },
  bracelet(r: Prng, owner: Owner): ItemSpec {
    const g = r.int(20, 60);
    return { type: 'valuables', name: '黄金手镯', description: `足金，约${g}克`, quantity: 1, unit: '只', valueCents: yuan(g * 580), owner };
  },
  watch(r: Prng, owner: Owner): ItemSpec {
    return { type: 'valuables', name: '机械手表', description: `${r.pick(['钢制表带', '皮质表带'])}，表盘背面有划痕`, quantity: 1, unit: '块', valueCents: yuan(r.int(30, 300) * 100), owner };
  },
  ebike(r: Prng, owner: Owner): ItemSpec {
    return { type: 'vehicle', name: '电动自行车', description: `${r.pick(COLOURS)}，车架号后六位${digits(r, 6)}，无钥匙`, quantity: 1, unit: '辆', valueCents: yuan(r.int(15, 40) * 100), owner };
  },
  car(r: Prng, owner: Owner): ItemSpec {
    return { type: 'vehicle', name: '小型轿车', description: `号牌浙F·${plate(r)}，${r.pick(COLOURS)}，车辆钥匙一把、行驶证随车`, quantity: 1, unit: '辆', valueCents: yuan(r.int(60, 220) * 1000), owner };
  },
  phone(r: Prng, owner: Owner): ItemSpec {
    return { type: 'electronic', name: `${r.pick(COLOURS)}智能手机`, description: `${r.pick(['屏幕完好', '屏幕有裂痕', '带透明保护壳'])}，IMEI后四位${digits(r, 4)}，已关机`, quantity: 1, unit: '部', valueCents: yuan(r.int(8, 60) * 100), owner };
  },
  laptop(r: Prng, owner: Owner): ItemSpec {
    return { type: 'electronic', name: '笔记本电脑', description: `${r.pick(['灰色', '银色', '黑色'])}，${r.pick(['13', '14', '15.6'])}英寸，带电源适配器`, quantity: 1, unit: '台', valueCents: yuan(r.int(25, 90) * 100), owner };
  },
  usb(r: Prng, owner: Owner): ItemSpec {
    return { type: 'electronic', name: 'U盘', description: `${r.pick(['16', '32', '64', '128'])}GB，金属外壳`, quantity: r.int(1, 3), unit: '个', valueCents: null, owner };
  },
  dashcam(r: Prng, owner: Owner): ItemSpec {
    return { type: 'electronic', name: '行车记录仪', description: '自前挡风玻璃处拆下，含存储卡一张', quantity: 1, unit: '台', valueCents: yuan(r.int(2, 6) * 100), owner };
  },
  bankcards(r: Prng, owner: Owner): ItemSpec {
    return { type: 'other', name: '银行卡', description: '多个不同户名的借记卡', quantity: r.int(3, 12), unit: '张', valueCents: null, owner };
  },
  ledger(r: Prng, owner: Owner): ItemSpec {
    return { type: 'document', name: '账本', description: '手写记账本，记录资金往来', quantity: r.int(1, 4), unit: '本', valueCents: null, owner };
  },
  contracts(r: Prng, owner: Owner): ItemSpec {
    return { type: 'document', name: '购销合同', description: '加盖公章的购销合同及送货单', quantity: r.int(2, 12), unit: '份', valueCents: null, owner };
  },
  drugs(r: Prng, min: number, max: number): ItemSpec {
    const g = Math.round(r.range(min, max) * 10) / 10;
    return { type: 'drugs', name: '疑似毒品（白色晶体）', description: `透明自封袋包装，共${r.int(1, 6)}袋，毛重约${g}克`, quantity: g, unit: '克', valueCents: null, owner: 'suspect' };
  },
  drugTools(): ItemSpec {
    return { type: 'other', name: '吸毒工具', description: '自制吸壶一个、锡箔纸若干', quantity: 1, unit: '套', valueCents: null, owner: 'suspect' };
  },
  scale(): ItemSpec {
    return { type: 'other', name: '电子秤', description: '小型精密电子秤，称盘有白色粉末残留', quantity: 1, unit: '台', valueCents: null, owner: 'suspect' };
  },
  knife(r: Prng): ItemSpec {
    return { type: 'weapon', name: '管制刀具', description: `${r.pick(['单刃匕首', '弹簧刀', '双刃匕首'])}，刃长约${r.int(15, 28)}厘米`, quantity: 1, unit: '把', valueCents: null, owner: 'suspect' };
  },
  shirt(): ItemSpec {
    return { type: 'other', name: '带血迹T恤', description: '白色短袖，前襟有血迹，已晾干装袋', quantity: 1, unit: '件', valueCents: null, owner: 'suspect' };
  },
  mahjongTables(r: Prng): ItemSpec {
    return { type: 'other', name: '自动麻将机', description: '四口麻将机，含麻将牌一副', quantity: r.int(1, 3), unit: '台', valueCents: null, owner: 'suspect' };
  },
  chips(r: Prng): ItemSpec {
    return { type: 'other', name: '筹码', description: '塑料筹码，面值不等', quantity: r.int(10, 50) * 10, unit: '枚', valueCents: null, owner: 'suspect' };
  },
  cards(r: Prng): ItemSpec {
    return { type: 'other', name: r.pick(['扑克牌', '麻将牌']), description: '赌博现场查获', quantity: r.int(1, 6), unit: '副', valueCents: null, owner: 'suspect' };
  },
};

type TemplateKey = 'theft' | 'fraud' | 'telecom' | 'traffic' | 'casino' | 'drugSale' | 'business' | 'assault' | 'affray' | 'gambling' | 'drugUse' | 'knife';
interface Template {
  kind: 'criminal' | 'administrative';
  title(p: { surname: string; opened: Date; industry: string }): string;
  items(r: Prng): ItemSpec[];
}

const INDUSTRIES = ['贸易', '电子科技', '建材', '五金', '服装', '物流', '家纺', '化工'];
const TEMPLATES: Record<TemplateKey, Template> = {
  theft: {
    kind: 'criminal',
    title: ({ surname: s }) => `${s}某某盗窃案`,
    items: (r) => [it.cash(r, 300, 3000, 'victim', '赃款（人民币现金）'), ...r.shuffle([it.necklace(r, 'victim'), it.watch(r, 'victim'), it.ebike(r, 'victim'), it.phone(r, 'victim')]).slice(0, r.int(1, 3))],
  },
  fraud: {
    kind: 'criminal',
    title: ({ surname: s }) => `${s}某某诈骗案`,
    items: (r) => [it.cash(r, 5000, 80000, 'victim', '赃款（人民币现金）'), it.phone(r, 'suspect'), ...(r.chance(0.5) ? [it.phone(r, 'suspect')] : []), it.bankcards(r, 'suspect'), ...(r.chance(0.5) ? [it.bracelet(r, 'victim')] : [])],
  },
  telecom: {
    kind: 'criminal',
    title: ({ opened }) => {
      const d = new Date(opened.getTime() + CST);
      return `“${d.getUTCMonth() + 1}·${d.getUTCDate()}”电信网络诈骗案`;
    },
    items: (r) => [it.phone(r, 'suspect'), it.phone(r, 'suspect'), ...(r.chance(0.5) ? [it.phone(r, 'suspect')] : []), it.laptop(r, 'suspect'), it.usb(r, 'suspect'), it.bankcards(r, 'suspect')],
  },
  traffic: {
    kind: 'criminal',
    title: ({ surname: s }) => `${s}某某交通肇事案`,
    items: (r) => [it.car(r, 'suspect'), it.dashcam(r, 'suspect')],
  },
  casino: {
    kind: 'criminal',
    title: ({ surname: s }) => `${s}某某等人开设赌场案`,
    items: (r) => [it.cash(r, 20000, 150000, 'suspect', '赌资（人民币现金）'), it.mahjongTables(r), it.chips(r), it.ledger(r, 'suspect'), it.phone(r, 'suspect')],
  },
  drugSale: {
    kind: 'criminal',
    title: ({ surname: s }) => `${s}某某贩卖毒品案`,
    items: (r) => [it.drugs(r, 5, 60), it.scale(), it.cash(r, 2000, 20000, 'suspect', '毒资（人民币现金）'), it.phone(r, 'suspect')],
  },
  business: {
    kind: 'criminal',
    title: ({ industry }) => `某某${industry}有限公司非法经营案`,
    items: (r) => [it.ledger(r, 'company'), it.contracts(r, 'company'), it.laptop(r, 'company'), it.cash(r, 10000, 50000, 'company', '违法所得（人民币现金）')],
  },
  assault: {
    kind: 'criminal',
    title: ({ surname: s }) => `${s}某某故意伤害案`,
    items: (r) => [it.knife(r), it.shirt(), it.phone(r, 'suspect')],
  },
  affray: {
    kind: 'criminal',
    title: ({ surname: s }) => `${s}某某等人寻衅滋事案`,
    items: (r) => [it.knife(r), ...(r.chance(0.6) ? [it.knife(r)] : []), it.phone(r, 'suspect')],
  },
  gambling: {
    kind: 'administrative',
    title: ({ surname: s }) => `${s}某某等人赌博案`,
    items: (r) => [it.cash(r, 500, 8000, 'suspect', '赌资（人民币现金）'), it.cards(r), ...(r.chance(0.5) ? [it.phone(r, 'suspect')] : [])],
  },
  drugUse: {
    kind: 'administrative',
    title: ({ surname: s }) => `${s}某某吸毒案`,
    items: (r) => [it.drugs(r, 0.2, 2), it.drugTools()],
  },
  knife: {
    kind: 'administrative',
    title: ({ surname: s }) => `${s}某某非法携带管制器具案`,
    items: (r) => [it.knife(r)],
  },
};

/** Where each case's property ends up. */
type Fate =
  | 'police_disposed'
  | 'court_disposed'
  | 'court'
  | 'procuratorate'
  | 'concluded'
  | 'loan'
  | 'loan_returned'
  | 'disposal_pending'
  | 'transfer_pending'
  | 'transfer_overdue'
  | 'unrelated'
  | 'in_store'
  | 'borrow_pending'
  | 'awaiting_check_in'
  | 'late';

/** The cases, oldest first, in four age bands (days): 60–120, 15–58, 3–14, and two registered late. */
const PLAN: { band: [number, number]; cases: [TemplateKey, Fate][] }[] = [
  {
    band: [60, 120],
    cases: [
      ['theft', 'police_disposed'],
      ['gambling', 'police_disposed'],
      ['drugUse', 'police_disposed'],
      ['knife', 'police_disposed'],
      ['drugSale', 'court_disposed'],
      ['casino', 'court_disposed'],
      ['fraud', 'court'],
      ['telecom', 'court'],
      ['traffic', 'concluded'],
      ['assault', 'concluded'],
      ['theft', 'procuratorate'],
      ['fraud', 'procuratorate'],
      ['business', 'procuratorate'],
    ],
  },
  {
    band: [15, 58],
    cases: [
      ['theft', 'loan'],
      ['telecom', 'loan'],
      ['affray', 'loan_returned'],
      ['fraud', 'disposal_pending'],
      ['gambling', 'disposal_pending'],
      ['drugUse', 'disposal_pending'],
      ['drugSale', 'transfer_overdue'],
      ['business', 'transfer_pending'],
      ['theft', 'transfer_pending'],
      ['fraud', 'unrelated'],
      ['traffic', 'in_store'],
      ['telecom', 'in_store'],
      ['theft', 'in_store'],
      ['assault', 'in_store'],
      ['casino', 'in_store'],
    ],
  },
  {
    band: [3, 14],
    cases: [
      ['fraud', 'in_store'],
      ['theft', 'in_store'],
      ['gambling', 'in_store'],
      ['drugSale', 'borrow_pending'],
      ['knife', 'awaiting_check_in'],
      ['telecom', 'borrow_pending'],
    ],
  },
  { band: [2, 2.5], cases: [['theft', 'late'], ['fraud', 'late']] },
];

/** How the police dispose of their own cases' property (发还被害人, 没收, 销毁). */
function policeWay(type: ItemType, kind: 'criminal' | 'administrative'): DisposalWay {
  if (type === 'drugs' || type === 'weapon' || type === 'other') return 'destroy';
  if (type === 'cash') return kind === 'administrative' ? 'confiscate' : 'return';
  return 'return';
}

/** What a judgment orders: proceeds and tools of crime confiscated, contraband destroyed, vehicles and valuables auctioned; files stay with the case. */
function courtWay(type: ItemType): DisposalWay | null {
  if (type === 'drugs' || type === 'weapon' || type === 'other') return 'destroy';
  if (type === 'cash' || type === 'electronic') return 'confiscate';
  if (type === 'vehicle' || type === 'valuables') return 'auction';
  return null;
}

export interface DemoCustodyResult {
  cases: number;
  items: number;
  events: number;
  /** Steps confirmed by a second person's password. */
  witnessed: number;
  locations: number;
  users: number;
  /** Organisations the custody demo added to the district (the centre, two police brigades). */
  orgs: number;
  byStatus: Record<string, number>;
  pending: Record<string, number>;
  warnings: number;
  checkpoints: number;
  ms: number;
}

/**
 * Seeds the custody demo of the district with the given code once; null when it already ran
 * (or the district, its four departments, or the demo accounts' names are missing / taken).
 * Takes a few seconds: 78 storage places, 36 cases, ~125 items and ~500 events, ~30 of the
 * steps confirmed by a second person's password.
 */
export async function seedDemoCustody(db: Db, services: { custody: CustodyService; signingKey: SigningKey }, opts: { districtCode: string }): Promise<DemoCustodyResult | null> {
  if (await getSetting(db, MARKER)) return null;
  const t0 = Date.now();
  const district = await findOrgByCode(db, opts.districtCode);
  const dept = async (t: string) => findOrgByCode(db, `${opts.districtCode}-D-${t}`);
  const [police, procuratorate, court, finance] = await Promise.all([dept('public_security'), dept('procuratorate'), dept('court'), dept('finance')]);
  if (!district || !police || !procuratorate || !court || !finance) return null;
  if (await findUserByUsername(db, DEMO_USERS[0].username)) {
    // A run that stopped half-way, or accounts of that name made by hand: leave them be.
    await putSetting(db, MARKER, { skipped: `${DEMO_USERS[0].username} already exists`, at: new Date().toISOString() });
    return null;
  }
  const r = new Prng(20260101, 'custody');
  const custody = services.custody;

  // ---- organisations and people, in one transaction
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  let orgsAdded = 0;
  const { orgs, users } = await db.transaction().execute(async (tx) => {
    const ensure = async (parent: OrgRow, kind: string, deptType: string | null, code: string, name: string) => {
      const found = await findOrgByCode(tx, code);
      if (found) return found;
      orgsAdded++;
      return insertOrg(tx, { id: r.uuid(), parentId: parent.id, parentPath: parent.path, kind, deptType, code, name });
    };
    const criminal = await ensure(police, 'department', 'public_security', `${police.code}-criminal`, '海宁市公安局刑事侦查大队');
    await ensure(police, 'department', 'public_security', `${police.code}-public_order`, '海宁市公安局治安管理大队');
    const centre = await ensure(district, 'agency', null, `${opts.districtCode}-A-custody_centre`, '海宁市涉案财物管理中心');
    const orgs: Record<OrgKey, OrgRow> = { criminal, police, centre, procuratorate, court, finance };
    const users = {} as Record<UserKey, DemoUser>;
    for (const u of DEMO_USERS) {
      const org = orgs[u.org];
      const displayName = personName(r);
      const id = await insertUser(tx, { id: r.uuid(), username: u.username, displayName, phone: mobile(r), orgId: org.id, roles: [u.role], scopeOrgId: org.id, passwordHash });
      users[u.key] = {
        id,
        username: u.username,
        ctx: {
          ip: null,
          requestId: null,
          actor: { userId: id, username: u.username, displayName, orgId: org.id, roles: [u.role], permissions: permissionsOf([u.role]), scopePath: org.path, scopeOrgId: org.id, gridIds: null, via: 'session' },
        },
      };
    }
    await recordAudit(tx, systemContext(), { action: 'demo.seeded', targetType: 'custody', after: { users: DEMO_USERS.map((u) => u.username), centre: centre.name } });
    return { orgs, users };
  });
  const as = (k: UserKey) => users[k].ctx;

  // ---- the centre and its store rooms
  const clerk = as('clerk');
  let locations = 0;
  const place = async (input: Parameters<CustodyService['createLocation']>[1]) => {
    locations++;
    return (await custody.createLocation(clerk, input)).id;
  };
  const centreId = await place({
    kind: 'centre',
    name: '海宁市涉案财物管理中心',
    operatorOrgId: orgs.centre.id,
    lng: 120.6912,
    lat: 30.5087,
    addressText: `浙江省海宁市硖石街道${r.pick(ROAD_PREFIXES)}路${r.int(20, 300)}号`,
  });
  /** Per room: the places items go to, with room left. */
  const slots = new Map<RoomKind, { id: string; free: number | null }[]>();
  for (const room of ROOMS) {
    const roomId = await place({ parentId: centreId, kind: 'room', name: room.name });
    if (!room.child) {
      slots.set(room.kind, [{ id: roomId, free: null }]);
      continue;
    }
    const leaves: { id: string; free: number }[] = [];
    for (const letter of ['A', 'B', 'C', 'D']) {
      const cabinetId = await place({ parentId: roomId, kind: 'cabinet', name: room.cabinet(letter) });
      const n = r.int(3, 4);
      for (let k = 1; k <= n; k++) {
        const capacity = r.int(room.capacity[0], room.capacity[1]);
        leaves.push({ id: await place({ parentId: cabinetId, kind: room.child, name: room.childName(k), capacity }), free: capacity });
      }
    }
    slots.set(room.kind, leaves);
  }
  const cursor = new Map<RoomKind, number>();
  /** A place in the room with space for n items, taken in turn so the rooms fill evenly. */
  const slotFor = (room: RoomKind, n: number, other?: string) => {
    const list = slots.get(room)!;
    for (let k = 0; k < list.length; k++) {
      const i = ((cursor.get(room) ?? 0) + k) % list.length;
      const s = list[i];
      if (s.id === other || (s.free !== null && s.free < n)) continue;
      cursor.set(room, i + 1);
      if (s.free !== null) s.free -= n;
      return s.id;
    }
    throw new Error(`demo custody: ${room} is full`);
  };

  // ---- the steps, through the service
  const now = Date.now();
  let witnessed = 0;
  const lastAt = new Map<string, number>();
  /** When a step on these items happened: as wanted, but after their previous step and within the service's window. */
  const when = (codes: string[], wanted: number) => {
    let t = Math.max(wanted, now - BACKDATE_LIMIT, ...codes.map((c) => (lastAt.get(c) ?? 0) + 5 * MIN));
    t = Math.min(t, now - MIN);
    for (const c of codes) lastAt.set(c, t);
    return t;
  };
  const step = async (who: UserKey, codes: string[], type: ActionType, input: Record<string, unknown>, at: number | null, witness?: UserKey) => {
    if (!codes.length) return;
    const t = at === null ? null : when(codes, at);
    await custody.batch(as(who), codes, type, { ...input, ...(t !== null ? { at: new Date(t).toISOString() } : {}), ...(witness ? { witness: { username: users[witness].username, password: DEMO_PASSWORD } } : {}) });
    if (witness) witnessed++;
  };

  // ---- cases
  // Property seized before the centre went on line is entered as stock (存量录入): only the
  // cases marked late are registered as ordinary, late registrations.

  let criminalNo = r.int(1100, 1300);
  let adminNo = r.int(400, 600);
  let seizureNo = r.int(300, 500);
  let docNo = r.int(100, 200);
  let sealNo = r.int(1000, 2000);
  const year = (t: number) => new Date(t + CST).getUTCFullYear();
  const caseIds: string[] = [];
  let caseIndex = 0;
  for (const band of PLAN) {
    const ages = band.cases.map(() => r.range(band.band[0], band.band[1])).sort((a, b) => b - a);
    for (const [ci, [key, fate]] of band.cases.entries()) {
      const tpl = TEMPLATES[key];
      const registrar: UserKey = caseIndex++ % 2 === 0 ? 'officer' : 'officer2';
      const other: UserKey = registrar === 'officer' ? 'officer2' : 'officer';
      const surname = r.pick(SURNAMES);
      const suspect = surname + r.pick(GIVEN_CHARS) + (r.chance(0.6) ? r.pick(GIVEN_CHARS) : '');
      const industry = r.pick(INDUSTRIES);
      const owners = { suspect, victim: personName(r), company: `海宁某某${industry}有限公司`, relative: surname + r.pick(GIVEN_CHARS) + r.pick(GIVEN_CHARS) };
      const phones = { suspect: mobile(r), victim: mobile(r), company: `0573-87${digits(r, 6)}`, relative: mobile(r) };
      const openedAt = fate === 'late' ? now - r.range(54, 60) * HOUR : now - ages[ci] * DAY + r.int(-6, 6) * HOUR;
      const seizedAt = fate === 'late' ? now - r.range(30, 48) * HOUR : Math.min(openedAt + r.range(1, 20) * HOUR, now - 6 * HOUR);
      const y = year(openedAt);
      const caseNumber = tpl.kind === 'criminal' ? `海公（刑）立字〔${y}〕${criminalNo++}号` : `海公（治）行罚决字〔${y}〕${adminNo++}号`;
      const seizureDoc = `海公（${tpl.kind === 'criminal' ? '刑' : '治'}）扣字〔${year(seizedAt)}〕${seizureNo++}号`;
      const specs = tpl.items(r);
      // The phone found to belong to the suspect's family (认定与案件无关).
      if (fate === 'unrelated') specs.find((s) => s.type === 'electronic')!.owner = 'relative';
      // The car that drove the gamblers to the den, a tool of the crime the court has auctioned.
      if (fate === 'court_disposed' && key === 'casino') specs.push(it.car(r, 'suspect'));
      const c = await custody.createCase(as(registrar), { caseNumber, title: tpl.title({ surname, opened: new Date(openedAt), industry }), kind: tpl.kind, openedAt: new Date(openedAt).toISOString(), centreId, agencyOrgId: orgs.police.id });
      caseIds.push(c.id);
      const registered = await custody.registerItems(
        as(registrar),
        c.id,
        specs.map((s) => ({
          type: s.type,
          name: s.name,
          description: s.description,
          quantity: s.quantity,
          unit: s.unit,
          valueCents: s.valueCents,
          ownerKind: s.owner === 'company' ? 'organisation' : s.owner === 'unknown' ? 'unknown' : 'person',
          ownerName: s.owner === 'unknown' ? null : owners[s.owner],
          ownerPhone: s.owner === 'unknown' ? null : phones[s.owner],
          seizureDoc,
          seizedAt: new Date(seizedAt).toISOString(),
        })),
        { backlog: fate !== 'late' },
      );
      const items = registered.map((x) => ({ code: x.code, type: x.type as ItemType, valueCents: x.valueCents, location: '' }));
      const codes = items.map((x) => x.code);
      for (const x of items) lastAt.set(x.code, seizedAt);
      if (fate === 'awaiting_check_in') continue;

      // Phases of the case's history between check-in and a few hours ago.
      const start = Math.max(seizedAt + 2 * HOUR, now - BACKDATE_LIMIT);
      const end = now - 3 * HOUR;
      const P = (f: number) => (fate === 'late' ? null : start + f * (end - start));
      const keepers: [UserKey, UserKey] = r.chance(0.5) ? ['clerk', 'clerk2'] : ['clerk2', 'clerk'];

      // Check-in, one room at a time; cash, valuables and drugs with a second clerk.
      for (const room of [...new Set(items.map((x) => ROOM_OF[x.type]))]) {
        const group = items.filter((x) => ROOM_OF[x.type] === room);
        const slot = slotFor(room, group.length);
        for (const x of group) x.location = slot;
        await step(keepers[0], group.map((x) => x.code), 'check_in', { locationId: slot }, P(0), group.some((x) => WITNESSED_CHECK_IN.includes(x.type)) ? keepers[1] : undefined);
      }
      for (const x of items.filter((i) => i.type === 'cash' || i.type === 'drugs')) {
        await step(keepers[0], [x.code], 'seal', { sealNo: `HNFT${year(now)}${pad(sealNo++, 5)}` }, P(0.02));
      }
      const drugs = items.filter((x) => x.type === 'drugs').map((x) => x.code);
      if (drugs.length) {
        await step(registrar, drugs, 'examine', { examiner: '嘉兴市公安局物证鉴定所', purpose: '毒品定性定量检验', result: `检出甲基苯丙胺成分（鉴定文书号 嘉公鉴（毒）字〔${year(now)}〕${docNo++}号）` }, P(0.1));
      }
      if (key === 'telecom') {
        const phone = items.find((x) => x.type === 'electronic')!;
        await step(registrar, [phone.code], 'examine', { examiner: '海宁市公安局网安大队电子数据检验室', purpose: '电子数据提取', result: '已提取通讯录、聊天记录及转账记录，原始存储介质未改动' }, P(0.12));
      }
      const movable = items.filter((i) => ROOM_OF[i.type] !== 'vehicles');
      if (fate === 'in_store' && movable.length && r.chance(0.6)) {
        const x = r.pick(movable);
        const to = slotFor(ROOM_OF[x.type], 1, x.location);
        await step(keepers[1], [x.code], 'move', { toLocationId: to, reason: r.pick(['库位调整', '按案件集中存放', '原柜位维修']) }, P(0.4));
        x.location = to;
      }

      const transfer = async (from: UserKey, to: UserKey, toOrg: OrgRow, documentRef: string, offerAt: number, acceptAt: number | false) => {
        await step(from, codes, 'transfer_offer', { toOrgId: toOrg.id, documentRef }, offerAt);
        if (acceptAt !== false) await step(to, codes, 'transfer_accept', { note: '已核对移送清单，财物仍存放于涉案财物管理中心' }, acceptAt);
      };
      const dispose = async (requester: UserKey, approvers: UserKey[], groups: Map<DisposalWay, typeof items>, documentRef: string, f: number, finish = true, receipt = true) => {
        for (const [way, group] of groups) {
          const g = group.map((x) => x.code);
          await step(requester, g, 'disposal_request', { way, documentRef, note: '' }, P(f));
          for (const [k, a] of approvers.entries()) await step(a, g, 'disposal_approve', { note: '同意' }, P(f + 0.03 * (k + 1)));
          if (!finish) continue;
          const twoPerson = group.some((x) => TWO_PERSON.includes(x.type));
          const detail: Record<DisposalWay, Record<string, unknown>> = {
            return: { recipient: '物主本人（身份已核验）', receiptRef: `发还清单 No.${year(now)}${pad(docNo++, 4)}`, note: '当面清点交付' },
            destroy: { recipient: group.some((x) => x.type === 'drugs') ? '海宁市公安局禁毒大队（集中销毁）' : '海宁市公安局治安管理大队（集中销毁）', receiptRef: `销毁记录 No.${year(now)}${pad(docNo++, 4)}`, note: '监督销毁，全程录像' },
            auction: { recipient: '海宁市公共资源交易中心', receiptRef: `拍卖成交确认书 No.${year(now)}${pad(docNo++, 4)}`, proceedsCents: group.reduce((n, x) => n + Math.round((x.valueCents ?? 0) * r.range(0.55, 0.85)), 0), note: '公开拍卖' },
            confiscate: { recipient: '海宁市财政局', receiptRef: `非税收入缴款书 No.3304${digits(r, 8)}`, note: '' },
          };
          await step(keepers[0], g, 'dispose', detail[way], P(f + 0.12), twoPerson ? keepers[1] : undefined);
          if (way === 'confiscate' && receipt) {
            const cash = group.filter((x) => x.type === 'cash');
            const goods = group.filter((x) => x.type !== 'cash');
            for (const x of cash) await step('finance', [x.code], 'treasury_receipt', { receiptRef: `浙财非税〔${year(now)}〕${docNo++}号`, amountCents: x.valueCents }, P(f + 0.18));
            if (goods.length) await step('finance', goods.map((x) => x.code), 'treasury_receipt', { receiptRef: `浙财非税〔${year(now)}〕${docNo++}号` }, P(f + 0.18));
          }
        }
      };
      const groupBy = (way: (t: ItemType) => DisposalWay | null, subset = items) => {
        const m = new Map<DisposalWay, typeof items>();
        for (const x of subset) {
          const w = way(x.type);
          if (w) m.set(w, [...(m.get(w) ?? []), x]);
        }
        return m;
      };
      const prosecution = `海公（刑）诉字〔${year(now)}〕${docNo++}号`;
      const indictment = `海检刑诉〔${year(now)}〕${docNo++}号`;
      const judgment = `（${year(now)}）浙0481刑初${docNo++}号刑事判决书`;

      switch (fate) {
        case 'police_disposed':
          await dispose(registrar, ['leader', 'leader2'], groupBy((t) => policeWay(t, tpl.kind)), tpl.kind === 'administrative' ? caseNumber : `海公（刑）发还字〔${year(now)}〕${docNo++}号`, 0.4);
          await custody.concludeCase(as(registrar), c.id, { conclusion: tpl.kind === 'administrative' ? '行政处罚决定已执行完毕' : '赃物已发还被害人，案件侦查终结' });
          break;
        case 'court_disposed': {
          await transfer(registrar, 'proc', procuratorate, prosecution, P(0.2)!, P(0.22)!);
          await transfer('proc', 'judge', court, indictment, P(0.4)!, P(0.42)!);
          // The phone confiscated in the drug case is still on its way to the treasury.
          await dispose('judge', ['judgeLeader', 'judgeLeader2'], groupBy(courtWay), judgment, 0.55, true, key !== 'drugSale');
          if (key === 'drugSale') {
            const cash = items.filter((x) => x.type === 'cash');
            for (const x of cash) await step('finance', [x.code], 'treasury_receipt', { receiptRef: `浙财非税〔${year(now)}〕${docNo++}号`, amountCents: x.valueCents }, P(0.8));
          }
          await custody.concludeCase(as(registrar), c.id, { conclusion: '法院判决已生效，涉案财物依判决处置' });
          break;
        }
        case 'court':
          await transfer(registrar, 'proc', procuratorate, prosecution, P(0.3)!, P(0.33)!);
          await transfer('proc', 'judge', court, indictment, P(0.7)!, P(0.72)!);
          break;
        case 'procuratorate':
          await transfer(registrar, 'proc', procuratorate, prosecution, P(0.5)!, P(0.55)!);
          break;
        case 'concluded':
          await custody.concludeCase(as(registrar), c.id, { conclusion: key === 'assault' ? '双方达成和解，撤销案件，涉案财物待处理' : '案件已办结，涉案车辆待发还' });
          break;
        case 'loan':
        case 'loan_returned': {
          // Lent for identification or examination: anything but cash and drugs, valuables last.
          const candidates = items.filter((x) => x.type !== 'drugs' && x.type !== 'cash').sort((a, b) => Number(a.type === 'valuables') - Number(b.type === 'valuables'));
          const loaned = candidates[0];
          const returned = fate === 'loan_returned' ? candidates[0] : candidates[1];
          const purpose = key === 'telecom' ? '电子数据远程勘验' : key === 'affray' ? '组织证人辨认' : '组织被害人辨认';
          if (returned) {
            await step(other, [returned.code], 'borrow_request', { purpose, dueAt: new Date(now + 3 * DAY).toISOString() }, now - 9 * DAY);
            await step('leader', [returned.code], 'borrow_approve', { note: '同意，按期归还' }, now - 9 * DAY + 2 * HOUR);
            await step(keepers[0], [returned.code], 'check_out', { note: '' }, now - 8 * DAY);
            await step(keepers[1], [returned.code], 'return', { locationId: returned.location, condition: '完好，封签无损' }, now - 6 * DAY);
          }
          if (fate === 'loan' && loaned) {
            await step(other, [loaned.code], 'borrow_request', { purpose, dueAt: new Date(now + 5 * DAY).toISOString() }, now - 3 * DAY);
            await step('leader2', [loaned.code], 'borrow_approve', { note: '同意' }, now - 3 * DAY + 3 * HOUR);
            await step(keepers[0], [loaned.code], 'check_out', { note: '' }, now - 2 * DAY - 20 * HOUR);
          }
          break;
        }
        case 'disposal_pending': {
          // 发还 the fraud's proceeds to the victim, 没收 the stakes, 销毁 the drugs.
          const way: DisposalWay = key === 'fraud' ? 'return' : key === 'gambling' ? 'confiscate' : 'destroy';
          const group = items.filter((x) => (key === 'drugUse' ? x.type === 'drugs' || x.type === 'other' : x.type === 'cash'));
          const ref = tpl.kind === 'administrative' ? caseNumber : `海公（刑）发还字〔${year(now)}〕${docNo++}号`;
          await step(registrar, group.map((x) => x.code), 'disposal_request', { way, documentRef: ref, note: '' }, now - 2 * DAY);
          if (key !== 'gambling') await step('leader', group.map((x) => x.code), 'disposal_approve', { note: '同意' }, now - 1 * DAY);
          break;
        }
        case 'transfer_pending':
        case 'transfer_overdue':
          await transfer(registrar, 'proc', procuratorate, prosecution, fate === 'transfer_overdue' ? now - 5 * DAY : key === 'business' ? now - 20 * HOUR : now - 3 * HOUR, false);
          break;
        case 'unrelated': {
          const phone = items.find((x) => x.type === 'electronic')!;
          await step(registrar, [phone.code], 'mark_unrelated', { reason: '经查，该手机系嫌疑人家属所有，与案件无关，应予退还' }, now - 5 * DAY);
          break;
        }
        case 'borrow_pending': {
          const x = items.find((i) => i.type === (key === 'drugSale' ? 'drugs' : 'electronic'))!;
          await step(other, [x.code], 'borrow_request', { purpose: key === 'drugSale' ? '送检复核' : '电子数据勘验', dueAt: new Date(now + 4 * DAY).toISOString() }, now - 5 * HOUR);
          break;
        }
        case 'in_store':
        case 'late':
          break;
      }
    }
  }

  // ---- deadlines and the first signed checkpoint
  await custody.sweep();
  const sealed = await sealCheckpoints(db, services.signingKey);
  const rows = await db.selectFrom('custody_items').select(['status', 'pending']).where('case_id', 'in', caseIds).execute();
  const byStatus: Record<string, number> = {};
  const pending: Record<string, number> = {};
  for (const x of rows) {
    byStatus[x.status] = (byStatus[x.status] ?? 0) + 1;
    if (x.pending) pending[x.pending] = (pending[x.pending] ?? 0) + 1;
  }
  const eventCount = await db
    .selectFrom('custody_events as e')
    .innerJoin('custody_items as i', 'i.id', 'e.item_id')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('i.case_id', 'in', caseIds)
    .executeTakeFirstOrThrow();
  const warnings = await db.selectFrom('custody_warnings').select((eb) => eb.fn.countAll<string>().as('n')).where('case_id', 'in', caseIds).executeTakeFirstOrThrow();
  const result: DemoCustodyResult = {
    cases: caseIds.length,
    items: rows.length,
    events: Number(eventCount.n),
    witnessed,
    locations,
    users: DEMO_USERS.length,
    orgs: orgsAdded,
    byStatus,
    pending,
    warnings: Number(warnings.n),
    checkpoints: sealed.length,
    ms: Date.now() - t0,
  };
  await putSetting(db, MARKER, { ...result, at: new Date().toISOString() });
  return result;
}
