/**
 * Writes test/fixtures/address-labelled.json: free-text address queries, as residents and
 * hotline operators type them, labelled with the standard fullText of the record they mean in
 * the demo district (default seed).
 *
 *   node --import tsx scripts/make-address-labelled.ts
 *
 * Records are sampled from generateDemoDistrict(); each query is written from hand-written
 * templates (one set per variant class), hand-picked typos (a 同音字 / 形近字 table) and spoken
 * forms. The expected record is decided from the district itself (what the text supports: a
 * room number without its unit in a building with several units names the building; a
 * building that does not exist names the estate), never from the matcher. Short forms (a name
 * without its suffix) are only used where the district leaves a person no doubt (the short name
 * is unique in the stated context).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateDemoDistrict } from '../src/server/modules/demo/demo.generator.js';
import type { AddressRecord } from '../src/server/modules/geo/geo.types.js';

export interface LabelledQuery {
  q: string;
  expected: string;
  kind: string;
}

// ---------------------------------------------------------------------------------------------
// deterministic randomness

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
/** `--seed=N` draws another sample (e.g. a held-out set), `--out=FILE` writes it elsewhere. */
const arg = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const rand = mulberry32(Number(arg('seed') ?? 20250611));
const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
const chance = (p: number): boolean => rand() < p;

// ---------------------------------------------------------------------------------------------
// the district

const district = generateDemoDistrict();
const A = district.addresses;
const byId = new Map(A.map((a) => [a.id, a]));
const children = new Map<string, AddressRecord[]>();
for (const a of A) {
  if (!a.parentId) continue;
  const l = children.get(a.parentId) ?? [];
  l.push(a);
  children.set(a.parentId, l);
}
const kids = (r: AddressRecord): AddressRecord[] => children.get(r.id) ?? [];
const parent = (r: AddressRecord): AddressRecord => byId.get(r.parentId!)!;
const PREFIX = '浙江省嘉兴市海宁市';

const communities = A.filter((a) => a.level === 'community');
const estatesAll = A.filter((a) => a.level === 'estate');
/** Estates of flats (buildings named N幢) and natural villages (houses named N号). */
const isFlats = (e: AddressRecord): boolean => kids(e).some((b) => b.name.endsWith('幢'));
const flats = estatesAll.filter(isFlats);
const villages = estatesAll.filter((e) => !isFlats(e) && kids(e).length > 0);
const rooms = A.filter((a) => a.level === 'room');

// short names as people say them
const ESTATE_SUFFIXES = ['小区', '家园', '花苑', '新村', '公寓', '华庭', '名苑', '花园', '雅苑', '嘉园', '佳苑', '雅居', '府', '苑', '城'];
const estateCore = (name: string): string | null => {
  for (const s of [...ESTATE_SUFFIXES].sort((a, b) => b.length - a.length)) {
    if (name.endsWith(s) && name.length - s.length >= 2) return name.slice(0, -s.length);
  }
  return null;
};
const streetCore = (name: string): string => name.replace(/(街道|镇)$/, '');
const commCore = (name: string): string => name.replace(/(社区|村)$/, '');

/** Is `core` a name a person would read as exactly one estate within `scope` (a street or community)? */
function coreUniqueIn(core: string, scope: AddressRecord): boolean {
  let n = 0;
  const walk = (r: AddressRecord): void => {
    for (const c of kids(r)) {
      if (c.level === 'community') {
        if (commCore(c.name) === core || c.name.startsWith(core)) n += 2;
        walk(c);
      } else if (c.level === 'estate' && (c.name.startsWith(core) || estateCore(c.name) === core)) n++;
    }
  };
  walk(scope);
  return n === 1;
}
const estateNameCount = new Map<string, number>();
for (const e of estatesAll) estateNameCount.set(e.name, (estateNameCount.get(e.name) ?? 0) + 1);
const uniqueInCounty = (e: AddressRecord): boolean => estateNameCount.get(e.name) === 1;
const allPlaceNames = new Set<string>();
for (const a of A) {
  if (a.level === 'building' || a.level === 'unit' || a.level === 'room') continue;
  allPlaceNames.add(a.name);
  const c = a.level === 'estate' ? estateCore(a.name) : a.level === 'community' ? commCore(a.name) : a.level === 'street' ? streetCore(a.name) : null;
  if (c) allPlaceNames.add(c);
  for (const al of a.aliases) allPlaceNames.add(al);
}

// numbers as people write them
const CN = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
const cnNumber = (n: number): string => {
  if (n < 10) return CN[n];
  if (n < 20) return `十${n % 10 ? CN[n % 10] : ''}`;
  if (n < 100) return `${CN[Math.floor(n / 10)]}十${n % 10 ? CN[n % 10] : ''}`;
  return String(n);
};
const cnDigits = (s: string): string => s.replace(/[0-9]/g, (d) => CN[Number(d)]);
const fullWidth = (s: string): string => s.replace(/[0-9A-Za-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
const num = (name: string): number => Number(/^\d+/.exec(name)![0]);

// ---------------------------------------------------------------------------------------------
// hand-picked typos: 同音字 (same pinyin, the usual IME slip) and 形近字 (look-alike)

const TYPO: Record<string, string[]> = {
  苑: ['园', '院', '远'], 园: ['苑', '圆', '源'], 锦: ['金', '景'], 绣: ['秀'], 秀: ['绣', '琇'], 华: ['花', '化'], 庭: ['亭', '廷', '停'],
  嘉: ['佳', '家'], 佳: ['嘉', '家'], 景: ['京', '井'], 丽: ['利', '莉'], 翠: ['萃', '粹'], 碧: ['必', '壁'], 紫: ['子', '梓'], 麒: ['其', '棋'],
  麟: ['林', '琳'], 凤: ['风', '峰'], 凰: ['皇', '黄'], 馨: ['心', '新', '欣'], 宁: ['凝', '柠'], 盛: ['胜', '圣'], 世: ['市', '事'], 纪: ['记', '际'],
  御: ['玉', '裕'], 潮: ['朝', '巢'], 钱: ['前', '乾'], 塘: ['唐', '堂'], 湖: ['胡', '糊'], 滨: ['宾', '彬'], 蓝: ['兰', '澜'], 湾: ['弯', '万'],
  栖: ['西', '溪'], 星: ['新', '心'], 河: ['和', '荷'], 书: ['树', '舒'], 香: ['乡', '湘'], 丰: ['风', '峰'], 泽: ['则', '择'], 怡: ['宜', '仪'],
  悦: ['月', '越'], 澜: ['兰', '蓝'], 枫: ['风', '峰'], 兰: ['蓝', '澜'], 虹: ['红', '宏'], 桂: ['贵', '归'], 樟: ['章', '彰'], 梧: ['吴', '悟'],
  桐: ['同', '童'], 棠: ['堂', '唐'], 明: ['名', '鸣'], 珠: ['朱', '株'], 洲: ['州', '舟'], 和: ['禾', '合'], 幸: ['杏', '兴'], 福: ['富', '付'],
  新: ['心', '欣'], 月: ['悦', '越'], 都: ['督', '度'], 阳: ['杨', '洋'], 光: ['广'], 硖: ['峡', '夹', '狭'], 西: ['希', '溪'], 山: ['三', '衫'],
  关: ['官', '观'], 厢: ['相', '湘'], 米: ['迷', '咪'], 微: ['薇', '维'], 漾: ['洋', '样'], 梅: ['媒', '煤'], 鹃: ['娟', '绢'], 庆: ['青', '请'],
  浜: ['邦', '滨', '帮'], 埭: ['代', '带', '岱'], 兜: ['斗', '抖'], 港: ['岗', '江'], 汇: ['会', '惠'], 坝: ['霸', '把'], 墩: ['敦', '蹲'],
  宅: ['窄', '择'], 荆: ['京', '经'], 茗: ['明', '名'], 渡: ['度', '杜'], 仓: ['苍', '沧'], 基: ['机', '基'], 祝: ['竹', '助'], 澄: ['城', '程'],
  洛: ['落', '络'], 隆: ['龙', '笼'], 涛: ['滔', '桃'], 凯: ['恺', '楷'], 启: ['起', '启'], 亭: ['停', '庭'], 宗: ['综', '棕'], 川: ['穿', '传'],
  拳: ['权', '全'], 焦: ['蕉'], 啸: ['笑', '肖'], 辉: ['晖', '挥'], 桥: ['乔', '侨'], 盐: ['严', '言'], 斜: ['邪', '协'], 袁: ['元', '源'],
};

/** One substitution, insertion, deletion or swap of neighbours apart. */
function withinOneEdit(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1) return false;
  if (a.length === b.length) {
    const diff = [...a].map((c, i) => (c === b[i] ? -1 : i)).filter((i) => i >= 0);
    return diff.length <= 1 || (diff.length === 2 && diff[1] === diff[0] + 1 && a[diff[0]] === b[diff[1]] && a[diff[1]] === b[diff[0]]);
  }
  const [s, t] = a.length < b.length ? [a, b] : [b, a];
  let i = 0;
  while (i < s.length && s[i] === t[i]) i++;
  return s.slice(i) === t.slice(i + 1);
}
const estateCores = new Set(estatesAll.map((e) => estateCore(e.name)).filter((c): c is string => !!c));
/**
 * A slip a reader can still undo: the misspelt word is no other place's name, is not one edit
 * away from another place's name, and does not start with the short name of another estate.
 */
function unambiguousSlip(bad: string, original: string): boolean {
  if (allPlaceNames.has(bad)) return false;
  for (const p of allPlaceNames) if (p !== original && p.length >= 2 && withinOneEdit(bad, p)) return false;
  for (const c of estateCores) if (!original.startsWith(c) && bad.startsWith(c)) return false;
  return true;
}

/** Replaces one character of `word` (not the first of a two-character word) with a typo; null if none applies. */
function typoOf(word: string, avoidFirst = false): string | null {
  const positions = [...word].map((c, i) => [c, i] as const).filter(([c, i]) => TYPO[c] && !(avoidFirst && i === 0));
  for (let tries = 0; tries < 6 && positions.length > 0; tries++) {
    const [c, i] = pick(positions);
    const t = pick(TYPO[c]).replace(c, '');
    if (!t) continue;
    const w = word.slice(0, i) + t + word.slice(i + 1);
    if (unambiguousSlip(w, word)) return w;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// building / unit / room phrasing

const building = (b: AddressRecord, style?: string): string => {
  const n = num(b.name);
  switch (style ?? pick(['幢', '幢', '幢', '栋', '号楼', '号', '座', '#', '三幢', '第三幢', '幢楼'])) {
    case '栋':
      return `${n}栋`;
    case '号楼':
      return `${n}号楼`;
    case '号':
      return `${n}号`;
    case '座':
      return `${n}座`;
    case '#':
      return `${n}#`;
    case '三幢':
      return `${cnNumber(n)}${pick(['幢', '栋', '号楼'])}`;
    case '第三幢':
      return `第${pick([String(n), cnNumber(n)])}${pick(['幢', '栋'])}`;
    case '幢楼':
      return `${n}${pick(['栋楼', '幢楼'])}`;
    default:
      return `${n}幢`;
  }
};
const unit = (u: AddressRecord, style?: string): string => {
  const n = num(u.name);
  switch (style ?? pick(['单元', '单元', '单元', '一单元', '单', '-'])) {
    case '一单元':
      return `${cnNumber(n)}单元`;
    case '单':
      return `${n}单`;
    case '-':
      return `${n}-`;
    default:
      return `${n}单元`;
  }
};
const room = (r: AddressRecord, style?: string): string => {
  const s = String(num(r.name));
  switch (style ?? pick(['室', '室', '', '', '号', '户', '三零一'])) {
    case '室':
      return `${s}室`;
    case '号':
      return `${s}号`;
    case '户':
      return `${s}户`;
    case '三零一':
      return cnDigits(s) + (chance(0.5) ? '室' : '');
    default:
      return s;
  }
};

interface RoomCtx {
  room: AddressRecord;
  unit: AddressRecord;
  bldg: AddressRecord;
  estate: AddressRecord;
  comm: AddressRecord;
  street: AddressRecord;
}
const roomCtx = (r: AddressRecord): RoomCtx => {
  const unitR = parent(r);
  const b = parent(unitR);
  const e = parent(b);
  const c = parent(e);
  return { room: r, unit: unitR, bldg: b, estate: e, comm: c, street: parent(c) };
};

/** A random room in a flats estate, optionally filtered. */
function sampleRoom(filter: (c: RoomCtx) => boolean = () => true): RoomCtx {
  for (let t = 0; t < 10000; t++) {
    const c = roomCtx(pick(rooms));
    if (filter(c)) return c;
  }
  throw new Error('no room fits');
}
const used = new Set<string>();
/** Samples rooms without reusing an estate too often. */
function freshRoom(filter: (c: RoomCtx) => boolean = () => true): RoomCtx {
  for (let t = 0; t < 200; t++) {
    const c = sampleRoom(filter);
    if (!used.has(c.estate.id)) {
      used.add(c.estate.id);
      return c;
    }
  }
  return sampleRoom(filter);
}
const multiUnit = (b: AddressRecord): boolean => kids(b).length > 1;

const out: LabelledQuery[] = [];
const push = (kind: string, q: string, expected: AddressRecord): void => {
  out.push({ q, expected: expected.fullText, kind });
};

const NOISE_BEFORE = ['我家在', '我住在', '地址：', '地址是', '家住', '你好，我在', '麻烦来一下', '报修地址：', '我现在在', '位置：'];
const NOISE_AFTER = ['附近', '对面', '旁边', '门口', '边上', '那里', '楼下', '东侧', '西侧那边', '北门', '后面', '这边', '一带', '里面', '南门口'];

// ---------------------------------------------------------------------------------------------
// 1. full standard text, with the usual spacing and punctuation people add

for (let i = 0; i < 14; i++) {
  const c = freshRoom();
  const parts = [PREFIX.slice(0, 3), PREFIX.slice(3, 6), PREFIX.slice(6), c.street.name, c.comm.name, c.estate.name, c.bldg.name, c.unit.name, c.room.name];
  const style = i % 4;
  if (style === 0) push('full', parts.join(''), c.room);
  else if (style === 1) push('full', parts.slice(2).join(''), c.room);
  else if (style === 2) push('full', `${parts.slice(0, 3).join('')} ${parts.slice(3, 6).join('')} ${parts.slice(6).join('')}`, c.room);
  else push('full', `${parts.slice(2, 6).join('')}${c.bldg.name}${c.unit.name}`, c.unit);
}

// 2. upper levels missing (no 省/市/区县/街道, often no 社区 either)

for (let i = 0; i < 26; i++) {
  const c = freshRoom((x) => uniqueInCounty(x.estate));
  const t = i % 6;
  if (t === 0) push('missing_levels', `${c.comm.name}${c.estate.name}${c.bldg.name}${c.unit.name}${c.room.name}`, c.room);
  else if (t === 1) push('missing_levels', `${c.estate.name}${c.bldg.name}${c.unit.name}${room(c.room, '')}`, c.room);
  else if (t === 2) push('missing_levels', `${c.estate.name}${building(c.bldg, '幢')}`, c.bldg);
  else if (t === 3) push('missing_levels', `${c.comm.name}${c.estate.name}${building(c.bldg, '号楼')}`, c.bldg);
  else if (t === 4) push('missing_levels', `${c.estate.name}${c.bldg.name}${c.unit.name}`, c.unit);
  else push('missing_levels', `${c.comm.name}${c.estate.name}${building(c.bldg, '栋')}${unit(c.unit, '单元')}${room(c.room, '室')}`, c.room);
}

// 3. levels out of the way: county and street but no community, 海宁 for 海宁市, 嘉兴海宁 …

for (let i = 0; i < 20; i++) {
  const c = freshRoom();
  const t = i % 5;
  if (t === 0) push('skipped_levels', `海宁${streetCore(c.street.name)}${c.estate.name}${c.bldg.name}${c.unit.name}${room(c.room, '')}`, c.room);
  else if (t === 1 && uniqueInCounty(c.estate)) push('skipped_levels', `海宁市${c.estate.name}${building(c.bldg)}`, c.bldg);
  else if (t === 2) push('skipped_levels', `${c.street.name}${c.estate.name}${c.bldg.name}${c.unit.name}${c.room.name}`, c.room);
  else if (t === 3) push('skipped_levels', `嘉兴海宁${c.street.name}${c.estate.name}`, c.estate);
  else push('skipped_levels', `浙江海宁${streetCore(c.street.name)}${c.comm.name}${c.estate.name}${building(c.bldg, '幢')}${unit(c.unit, '单元')}`, c.unit);
}

// 4. suffixes dropped (硖石文苑3幢, 西山文苑) where the short name is unambiguous in its context

{
  let n = 0;
  for (let t = 0; n < 20 && t < 5000; t++) {
    const c = freshRoom();
    const core = estateCore(c.estate.name);
    if (!core) continue;
    const byStreet = n % 2 === 0;
    const scope = byStreet ? c.street : c.comm;
    if (!coreUniqueIn(core, scope)) continue;
    const ctx = byStreet ? streetCore(c.street.name) : commCore(c.comm.name);
    const v = n % 4;
    if (v === 0) push('suffix_dropped', `${ctx}${core}${building(c.bldg, '幢')}`, c.bldg);
    else if (v === 1) push('suffix_dropped', `${ctx}${core}`, c.estate);
    else if (v === 2) push('suffix_dropped', `${ctx}${core}${c.bldg.name}${c.unit.name}${room(c.room, '')}`, c.room);
    else push('suffix_dropped', `${ctx}的${core}${building(c.bldg, '栋')}${unit(c.unit, '单')}${room(c.room, '')}`, c.room);
    n++;
  }
}

// 5. building forms: 3栋 3号楼 3座 三幢 3# 第三幢 3号 …

for (const style of ['栋', '号楼', '座', '三幢', '#', '第三幢', '号', '幢楼', '栋', '号楼', '三幢', '座', '#', '号楼', '栋', '三幢', '号', '第三幢', '栋', '号楼', '座', '三幢', '栋', '号楼']) {
  const c = freshRoom((x) => uniqueInCounty(x.estate));
  if (chance(0.45)) push('building_variant', `${chance(0.5) ? c.comm.name : ''}${c.estate.name}${building(c.bldg, style)}`, c.bldg);
  else push('building_variant', `${c.estate.name}${building(c.bldg, style)}${unit(c.unit, '单元')}${room(c.room, pick(['室', '']))}`, c.room);
}

// 6. unit and room forms: 一单元, 1单, 1-301, 3-1-301, 301 with no 室, rooms without the unit

for (let i = 0; i < 26; i++) {
  const t = i % 8;
  if (t === 6 || t === 7) {
    // room without its unit: the room if the building has one unit, else only the building is known
    const c = freshRoom((x) => (t === 6 ? !multiUnit(x.bldg) : multiUnit(x.bldg)));
    push('unit_room_variant', `${c.estate.name}${building(c.bldg, pick(['幢', '栋', '号楼']))}${room(c.room, pick(['', '室']))}`, t === 6 ? c.room : c.bldg);
    continue;
  }
  const c = freshRoom((x) => uniqueInCounty(x.estate));
  const r = String(num(c.room.name));
  const b = num(c.bldg.name);
  const u = num(c.unit.name);
  if (t === 0) push('unit_room_variant', `${c.estate.name}${b}幢${cnNumber(u)}单元${r}`, c.room);
  else if (t === 1) push('unit_room_variant', `${c.estate.name}${b}幢${u}单${r}`, c.room);
  else if (t === 2) push('unit_room_variant', `${c.estate.name}${b}幢${u}-${r}`, c.room);
  else if (t === 3) push('unit_room_variant', `${c.estate.name}${b}-${u}-${r}`, c.room);
  else if (t === 4) push('unit_room_variant', `${c.comm.name}${c.estate.name}${cnNumber(b)}幢${cnNumber(u)}单元${cnDigits(r)}`, c.room);
  else push('unit_room_variant', `${c.estate.name}${b}号楼${u}单元${r}${pick(['号', '户', '室'])}`, c.room);
}

// 7. full-width digits and letters, spaces, punctuation

for (let i = 0; i < 16; i++) {
  const c = freshRoom((x) => uniqueInCounty(x.estate));
  const t = i % 4;
  if (t === 0) push('fullwidth_punct', `${c.estate.name}${fullWidth(String(num(c.bldg.name)))}幢${fullWidth(String(num(c.unit.name)))}单元${fullWidth(String(num(c.room.name)))}室`, c.room);
  else if (t === 1) push('fullwidth_punct', `${c.comm.name}，${c.estate.name}，${num(c.bldg.name)}幢，${num(c.unit.name)}单元，${num(c.room.name)}。`, c.room);
  else if (t === 2) push('fullwidth_punct', `${streetCore(c.street.name)} ${c.estate.name} ${fullWidth(String(num(c.bldg.name)))}栋 ${fullWidth(String(num(c.unit.name)))}单元 ${fullWidth(String(num(c.room.name)))}`, c.room);
  else push('fullwidth_punct', `${c.estate.name}（${c.comm.name}）${fullWidth(`${num(c.bldg.name)}-${num(c.unit.name)}-${num(c.room.name)}`)}`, c.room);
}

// 8. extra words, leading phrases

for (let i = 0; i < 26; i++) {
  const c = freshRoom((x) => uniqueInCounty(x.estate));
  const t = i % 5;
  const pre = pick(NOISE_BEFORE);
  const post = pick(NOISE_AFTER);
  if (t === 0) push('noise', `${pre}${c.estate.name}${c.bldg.name}${c.unit.name}${room(c.room, pick(['', '室']))}`, c.room);
  else if (t === 1) push('noise', `${c.estate.name}${post}`, c.estate);
  else if (t === 2) push('noise', `${pre}${c.comm.name}${c.estate.name}${building(c.bldg, pick(['幢', '号楼']))}${post}`, c.bldg);
  else if (t === 3) push('noise', `${c.estate.name}${building(c.bldg, '幢')}${unit(c.unit, '单元')}${room(c.room, '')}${pick(['楼下', '门口', '附近'])}`, c.room);
  else push('noise', `${pre}${streetCore(c.street.name)}${c.estate.name}${post}的${building(c.bldg, pick(['幢', '栋']))}`, c.bldg);
}

// 9. one wrong character in a name (同音字 / 形近字)

{
  let n = 0;
  for (let t = 0; n < 26 && t < 5000; t++) {
    const c = freshRoom((x) => uniqueInCounty(x.estate));
    const v = n % 6;
    if (v <= 2) {
      // the estate name, with its suffix (so one character of three or more)
      const bad = typoOf(c.estate.name, true);
      if (!bad) continue;
      if (v === 0) push('typo', `${bad}${c.bldg.name}${c.unit.name}${room(c.room, '')}`, c.room);
      else if (v === 1) push('typo', `${c.comm.name}${bad}${building(c.bldg, pick(['幢', '栋', '号楼']))}`, c.bldg);
      else push('typo', `${streetCore(c.street.name)}${bad}`, c.estate);
    } else if (v === 3) {
      // the community
      const bad = typoOf(c.comm.name, true);
      if (!bad) continue;
      push('typo', `${bad}${c.estate.name}${c.bldg.name}${c.unit.name}${c.room.name}`, c.room);
    } else if (v === 4) {
      // the street: 峡石 for 硖石 is the classic one
      const bad = typoOf(c.street.name, false);
      if (!bad || bad === c.street.name) continue;
      push('typo', `海宁${bad}${c.estate.name}${building(c.bldg, '幢')}`, c.bldg);
    } else {
      // the road of the alias
      const alias = c.estate.aliases[0];
      const road = /^(.*?)(\d+号)$/.exec(alias);
      if (!road) continue;
      const bad = typoOf(road[1], true);
      if (!bad || !unambiguousSlip(bad + road[2], alias)) continue;
      const withBuilding = chance(0.4);
      push('typo', `${bad}${road[2]}${withBuilding ? c.bldg.name : pick(['', '附近'])}`, withBuilding ? c.bldg : c.estate);
    }
    n++;
  }
}

// 9b. other slips of one character: a character left out, typed twice, two characters swapped

{
  let n = 0;
  for (let t = 0; n < 9 && t < 5000; t++) {
    const c = freshRoom((x) => uniqueInCounty(x.estate) && x.estate.name.length >= 4);
    const name = c.estate.name;
    const v = n % 3;
    let bad: string;
    if (v === 0) {
      const i = int(1, name.length - 2);
      bad = name.slice(0, i) + name.slice(i + 1);
    } else if (v === 1) {
      const i = int(1, name.length - 1);
      bad = name.slice(0, i + 1) + name[i] + name.slice(i + 1);
    } else {
      const i = int(1, name.length - 2);
      bad = name.slice(0, i) + name[i + 1] + name[i] + name.slice(i + 2);
    }
    if (bad === name || !unambiguousSlip(bad, name) || [...allPlaceNames].some((p) => p.length >= 3 && bad.includes(p))) continue;
    if (n % 2 === 0) push('typo', `${commCore(c.comm.name)}${bad}${c.bldg.name}${room(c.room, '')}`.replace(c.bldg.name, `${c.bldg.name}${c.unit.name}`), c.room);
    else push('typo', `${streetCore(c.street.name)}${bad}${building(c.bldg, '栋')}`, c.bldg);
    n++;
  }
}

// 9c. the suffix people use is not the estate's own (盛世小区 for 盛世新村), where the name
//     part leaves no doubt in the stated context

{
  let n = 0;
  for (let t = 0; n < 14 && t < 5000; t++) {
    const c = freshRoom();
    const core = estateCore(c.estate.name);
    if (!core) continue;
    const scope = n % 2 === 0 ? c.comm : c.street;
    if (!coreUniqueIn(core, scope)) continue;
    const wrong = pick(['小区', '小区', '小区', '花园', '新村', '家园', '苑'].filter((x) => !c.estate.name.endsWith(x) && !core.endsWith(x[0])));
    if (allPlaceNames.has(core + wrong)) continue;
    const ctx = scope === c.comm ? c.comm.name : streetCore(c.street.name);
    const v = n % 3;
    if (v === 0) push('suffix_swapped', `${ctx}${core}${wrong}${building(c.bldg)}${unit(c.unit, '单元')}${room(c.room)}`, c.room);
    else if (v === 1) push('suffix_swapped', `${ctx}${core}${wrong}`, c.estate);
    else push('suffix_swapped', `${pick(NOISE_BEFORE)}${ctx}${core}${wrong}${building(c.bldg, pick(['幢', '号楼']))}${pick(['', '楼下', '门口'])}`, c.bldg);
    n++;
  }
}

// 10. road and number aliases

for (let i = 0; i < 20; i++) {
  const c = freshRoom();
  const alias = c.estate.aliases[0];
  const t = i % 5;
  if (t === 0) push('road_alias', alias, c.estate);
  else if (t === 1) push('road_alias', `${alias.replace(/号$/, pick(['号', '']))}${pick(NOISE_AFTER)}`, c.estate);
  else if (t === 2) push('road_alias', `${alias}${building(c.bldg, pick(['幢', '栋', '号楼']))}${unit(c.unit, '单元')}${room(c.room, '')}`, c.room);
  else if (t === 3) push('road_alias', `${streetCore(c.street.name)}${alias}${pick(['', '那里', '对面'])}`, c.estate);
  else push('road_alias', `${pick(NOISE_BEFORE)}${alias}${building(c.bldg, '幢')}`, c.bldg);
}

// 11. only an estate or a community is named: return it, not a room

for (let i = 0; i < 22; i++) {
  const t = i % 6;
  if (t <= 2) {
    const e = pick(flats.filter(uniqueInCounty));
    const c = parent(e);
    if (t === 0) push('coarse', e.name, e);
    else if (t === 1) push('coarse', `${c.name}${e.name}${pick(['', '里面', e.name.endsWith('小区') ? '门口' : '小区门口'])}`, e);
    else push('coarse', `海宁市${parent(c).name}${c.name}${e.name}`, e);
  } else {
    const c = pick(communities);
    const s = parent(c);
    if (t === 3) push('coarse', `${s.name}${c.name}`, c);
    else if (t === 4) push('coarse', `${streetCore(s.name)}${c.name}${pick([c.name.endsWith('村') ? '村委会' : '居委会', '办公室', ''])}`, c);
    else push('coarse', `海宁${c.name}`, c);
  }
}

// 12. natural villages: houses numbered 12号

for (let i = 0; i < 16; i++) {
  const e = pick(villages);
  const c = parent(e);
  const s = parent(c);
  const h = pick(kids(e));
  const n = num(h.name);
  const t = i % 6;
  if (t === 0) push('natural_village', `${c.name}${e.name}${n}号`, h);
  else if (t === 1) push('natural_village', `${streetCore(s.name)}${c.name}${e.name}${cnNumber(n)}号`, h);
  else if (t === 2) push('natural_village', `${s.name}${c.name}${e.name}`, e);
  else if (t === 3) push('natural_village', `${pick(NOISE_BEFORE)}${c.name}${e.name}${n}号${pick(['', '附近', '旁边'])}`, h);
  else if (t === 4) push('natural_village', `海宁${s.name}${e.name}${n}号`, h);
  else push('natural_village', `${commCore(c.name)}村${e.name}${n}号`, h);
}

// 13. a building that does not exist: the estate (with lower confidence)

for (let i = 0; i < 8; i++) {
  const c = freshRoom((x) => uniqueInCounty(x.estate));
  const max = Math.max(...kids(c.estate).map((b) => num(b.name)));
  const ghost = max + int(3, 20);
  push('missing_building', `${i % 2 ? c.comm.name : ''}${c.estate.name}${ghost}${pick(['幢', '栋', '号楼'])}${i % 3 === 0 ? '1单元101' : ''}`, c.estate);
}

// 14. mixed: several variant classes at once, as typed on the hotline

{
  const templates: Array<(c: RoomCtx) => [string, AddressRecord] | null> = [
    (c) => [`我家住海宁${streetCore(c.street.name)}那边${c.estate.name}${cnNumber(num(c.bldg.name))}栋${cnNumber(num(c.unit.name))}单元${num(c.room.name)}`, c.room],
    (c) => [`${c.estate.name}${num(c.bldg.name)}号楼${num(c.unit.name)}单元${num(c.room.name)}室门口有人吵架`, c.room],
    (c) => [`报警：${streetCore(c.street.name)}${c.comm.name}${c.estate.name} ${num(c.bldg.name)}栋${num(c.unit.name)}-${num(c.room.name)}`, c.room],
    (c) => {
      const bad = typoOf(c.estate.name, true);
      return bad ? [`${commCore(c.comm.name)}${bad}${cnNumber(num(c.bldg.name))}幢${num(c.unit.name)}单${num(c.room.name)}附近`, c.room] : null;
    },
    (c) => [`${c.estate.aliases[0]}（${c.estate.name}）${fullWidth(String(num(c.bldg.name)))}栋`, c.bldg],
    (c) => [`地址:海宁市 ${c.street.name}，${c.estate.name}${num(c.bldg.name)}#${num(c.unit.name)}单元${cnDigits(String(num(c.room.name)))}室`, c.room],
    (c) => [`在${c.estate.name}${num(c.bldg.name)}幢的楼下`, c.bldg],
    (c) => {
      const core = estateCore(c.estate.name);
      return core && coreUniqueIn(core, c.comm)
        ? [`${commCore(c.comm.name)}${core} ${num(c.bldg.name)}-${num(c.unit.name)}-${num(c.room.name)}`, c.room]
        : null;
    },
    (c) => [`${c.estate.name}${num(c.bldg.name)}栋${num(c.unit.name)}单元${Math.floor(num(c.room.name) / 100)}楼${num(c.room.name)}`, c.room],
    (c) => [`你好我要反映个事情，地址是${c.estate.name}${num(c.bldg.name)}幢`, c.bldg],
    (c) => [`${num(c.bldg.name)}幢${num(c.unit.name)}单元${num(c.room.name)}，${c.comm.name}${c.estate.name}`, c.room],
    (c) => {
      const bad = typoOf(commCore(c.comm.name), true);
      return bad ? [`${streetCore(c.street.name)}${bad}${c.estate.name}${num(c.bldg.name)}号楼`, c.bldg] : null;
    },
    (c) => [`${c.estate.name}${num(c.bldg.name)}幢${num(c.unit.name)}单元${num(c.room.name)}室 ${c.comm.name.replace(/社区$/, '社区居委会')}辖区`, c.room],
    (c) => [`海宁${streetCore(c.street.name)}${c.estate.aliases[0]}${c.estate.name}${num(c.bldg.name)}-${num(c.unit.name)}-${num(c.room.name)}`, c.room],
  ];
  let n = 0;
  for (let t = 0; n < 28 && t < 1000; t++) {
    const c = freshRoom((x) => uniqueInCounty(x.estate));
    const r = templates[n % templates.length](c);
    if (!r) continue;
    push('mixed', r[0], r[1]);
    n++;
  }
}

// 15. hard: one-off phrasings from hotline transcripts (each template used once or twice)

{
  const roadsOf = (st: AddressRecord): string[] => {
    const out2 = new Set<string>();
    const walk = (r: AddressRecord): void => {
      for (const c of kids(r)) {
        if (c.level === 'estate') for (const al of c.aliases) out2.add(al.replace(/\d+号$/, ''));
        else if (c.level === 'community') walk(c);
      }
    };
    walk(st);
    return [...out2];
  };
  const templates: Array<(c: RoomCtx) => [string, AddressRecord] | null> = [
    (c) => [`那个${c.estate.name}，靠近${pick(roadsOf(c.street))}那边的${num(c.bldg.name)}号楼`, c.bldg],
    (c) => [`${c.comm.name}那个${c.estate.name}，${cnNumber(num(c.bldg.name))}栋楼${cnNumber(num(c.unit.name))}单元`, c.unit],
    (c) => [`${c.estate.name}${num(c.bldg.name)}幢${num(c.unit.name)}单元${Math.floor(num(c.room.name) / 100)}楼东边那户`, c.unit],
    (c) => [`${c.estate.name} ${num(c.bldg.name)} ${num(c.unit.name)} ${num(c.room.name)}`, c.room],
    (c) => [`${c.estate.name}${num(c.bldg.name)}栋楼下的快递柜`, c.bldg],
    (c) => {
      const bs = kids(c.estate);
      if (bs.length < 2) return null;
      return [`${c.estate.name}的${num(bs[0].name)}幢和${num(bs[1].name)}幢中间`, c.estate];
    },
    (c) => {
      const units = kids(c.bldg).length;
      return [`${c.estate.name}${num(c.bldg.name)}号楼${units + 1}单元`, c.bldg];
    },
    (c) => [`${c.estate.name}${num(c.bldg.name)}幢${num(c.unit.name)}单元${num(c.room.name)}室，${c.estate.aliases[0]}`, c.room],
    (c) => [`海宁市${streetCore(c.street.name)}${c.comm.name.replace(/社区$/, '社区居委会').replace(/村$/, '村委会')}旁边的${c.estate.name}`, c.estate],
    (c) => {
      const bad = typoOf(c.estate.name, true);
      return bad ? [`${fullWidth(String(num(c.bldg.name)))}号楼，${bad}`, c.bldg] : null;
    },
    (c) => (c.estate.name.endsWith('小区') ? null : [`${c.estate.name}小区${num(c.bldg.name)}幢`, c.bldg]),
    (c) => [`${streetCore(c.street.name)}${c.street.name.endsWith('镇') ? '镇上' : '那边'}${c.estate.name}那里${num(c.bldg.name)}幢${num(c.unit.name)}单元`, c.unit],
    (c) => [`帮我查一下${c.estate.name}${num(c.bldg.name)}-${num(c.unit.name)}-${num(c.room.name)}住的是谁`, c.room],
    (c) => [`${c.estate.name}北大门进去第${cnNumber(num(c.bldg.name))}幢`, c.bldg],
  ];
  let n = 0;
  for (let t = 0; n < 20 && t < 1000; t++) {
    const c = freshRoom((x) => uniqueInCounty(x.estate));
    const r = templates[n % templates.length](c);
    if (!r) continue;
    push('hard', r[0], r[1]);
    n++;
  }
  // villages: the household's natural village named with the town only, and a house that does not exist
  for (let i = 0; i < 4; i++) {
    const e = pick(villages);
    const s = parent(parent(e));
    const houses = kids(e).length;
    if (i % 2 === 0) push('hard', `${streetCore(s.name)}${e.name}那边`, e);
    else push('hard', `${parent(e).name}${e.name}${houses + int(5, 30)}号`, e);
  }
}

// ---------------------------------------------------------------------------------------------

const seen = new Set<string>();
const unique = out.filter((x) => (seen.has(x.q) ? false : (seen.add(x.q), true)));
for (const x of unique) {
  if (!A.some((a) => a.fullText === x.expected)) throw new Error(`expected record missing: ${x.expected}`);
}
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const outArg = arg('out');
  const file = outArg ? new URL(outArg, `file://${process.cwd()}/`) : new URL('../test/fixtures/address-labelled.json', import.meta.url);
  writeFileSync(file, `${JSON.stringify(unique, null, 1)}\n`);
  const kinds = new Map<string, number>();
  for (const x of unique) kinds.set(x.kind, (kinds.get(x.kind) ?? 0) + 1);
  console.log(`${unique.length} queries →`, fileURLToPath(file), Object.fromEntries(kinds));
}
