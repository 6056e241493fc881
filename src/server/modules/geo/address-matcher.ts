/**
 * Address matcher of the unified address library: resolves free Chinese text, as residents and
 * hotline operators type it, to the most specific AddressRecord the text supports.
 *
 * Pure and in memory. Pipeline of one match:
 *  1. normalizeAddressText: NFKC (full-width → ASCII), upper-case letters, a few traditional
 *     characters, punctuation and spaces dropped, Chinese numerals before 幢/单元/室… → digits.
 *  2. Mentions: every name variant (full name, name without its level suffix, aliases) of the
 *     place levels 省…小区·自然村 that occurs in the text, found exactly through a character trie,
 *     and with one edit (symmetric-deletion index) in the parts of the text no exact name explains;
 *     plus a contextual pass that tolerates one wrong character in a short name when its parent
 *     is mentioned just before it.
 *  3. Each mentioned place is scored: quality of its own mention, mentions of its ancestors
 *     (support), mentions of unrelated places (conflicts), characters nothing explains.
 *  4. From the best places the numbers after the mention (3幢 / 3号楼 / 1单元 / 1- / 301室 /
 *     3-1-301 …) are matched against the children (building → unit → room), tolerating a skipped
 *     level; ambiguity returns the common ancestor, a missing building returns the place itself
 *     with lower confidence.
 *  5. Confidence = score × an ambiguity factor from the best unrelated competitor.
 */
import { ADDRESS_LEVELS, type AddressLevel, type AddressRecord } from './geo.types.js';

export interface MatchCandidate {
  record: AddressRecord;
  /** 0..1 */
  confidence: number;
  matchedLevels: AddressLevel[];
  reason?: string;
}

export interface MatchResult {
  query: string;
  normalized: string;
  best: MatchCandidate | null;
  alternatives: MatchCandidate[];
}

// ---------------------------------------------------------------------------------------------
// Normalization
// ---------------------------------------------------------------------------------------------

const TRADITIONAL: Record<string, string> = {
  號: '号', 樓: '楼', 單: '单', 棟: '栋', 區: '区', 層: '层', 門: '门', 園: '园', 灣: '湾', 莊: '庄',
  鎮: '镇', 縣: '县', 鄉: '乡', 裡: '里', 裏: '里', 東: '东', 龍: '龙', 華: '华', 陽: '阳', 興: '兴',
  寧: '宁', 廣: '广', 場: '场', 橋: '桥', 閣: '阁', 臺: '台', 車: '车', 長: '长', 開: '开', 發: '发',
  進: '进', 濱: '滨', 匯: '汇', 國: '国', 際: '际', 嶺: '岭', 貿: '贸', 線: '线', 戶: '户', 壹: '一',
  貳: '二', 叁: '三', 參: '三', 肆: '四', 伍: '五', 陸: '六', 柒: '七', 捌: '八', 玖: '九', 拾: '十',
};
const TRADITIONAL_RE = new RegExp(`[${Object.keys(TRADITIONAL).join('')}]`, 'g');

const CN_DIGIT: Record<string, number> = {
  零: 0, 〇: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9,
};
const CN_NUMERAL_RUN_RE = /[零〇一二两三四五六七八九十百千]+/g;
/** A Chinese numeral run followed by one of these is a number (三幢 → 3幢, 一单元 → 1单元). */
const NUMERAL_SUFFIX_RE = /^(?:号|幢|栋|座|楼|单元|单|室|户|层|期|组|弄|排|撞|-)/;
/** …or preceded by one of these and at the end of the text (1单元三零一 → 1单元301). */
const NUMERAL_PREFIX_CHARS = new Set(['幢', '栋', '座', '楼', '元', '单', '号', '-']);

function cnNumeralToDigits(run: string): string {
  if (!/[十百千]/.test(run)) {
    let out = '';
    for (const c of run) out += String(CN_DIGIT[c] ?? 0);
    return out;
  }
  let total = 0;
  let cur = 0;
  for (const c of run) {
    if (c === '十') {
      total += (cur || 1) * 10;
      cur = 0;
    } else if (c === '百') {
      total += (cur || 1) * 100;
      cur = 0;
    } else if (c === '千') {
      total += (cur || 1) * 1000;
      cur = 0;
    } else cur = CN_DIGIT[c] ?? 0;
  }
  return String(total + cur);
}

const ALNUM_RE = /[A-Z0-9]/;

/**
 * Canonical form of address text: NFKC (full-width digits and letters → ASCII), ASCII letters
 * upper-cased, some traditional characters simplified, everything but Han characters, A-Z, 0-9
 * and '-' removed ('#' → 号, dashes/slashes/dots → '-', kept only between two letters/digits),
 * Chinese numerals in number positions (三幢, 一单元, 三零一室, 十二号楼) → Arabic digits.
 * Idempotent.
 */
export function normalizeAddressText(input: string): string {
  if (typeof input !== 'string' || input.length === 0) return '';
  let s = input.normalize('NFKC');
  s = s.replace(/[a-z]/g, (c) => c.toUpperCase());
  s = s.replace(TRADITIONAL_RE, (c) => TRADITIONAL[c] ?? c);
  s = s.replace(/#/g, '号');
  // spaces between two numbers are separators: "3 1 301" → 3-1-301
  s = s.replace(/([0-9])\s+(?=[0-9])/g, '$1-');
  s = s.replace(/[‐‑‒–—―−~_/\\|.、·]/g, '-');
  s = s.replace(/[^\p{Script=Han}A-Z0-9-]/gu, '');
  s = s.replace(/-+/g, '-');
  s = s.replace(CN_NUMERAL_RUN_RE, (run: string, offset: number, whole: string) => {
    const end = offset + run.length;
    const after = whole.slice(end, end + 2);
    const before = offset > 0 ? whole[offset - 1] : '';
    if (NUMERAL_SUFFIX_RE.test(after) || before === '-' || before === '第') return cnNumeralToDigits(run);
    if (end === whole.length && NUMERAL_PREFIX_CHARS.has(before)) return cnNumeralToDigits(run);
    return run;
  });
  // keep '-' only between two letters/digits
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '-') {
      const prev = out[out.length - 1];
      const next = s[i + 1];
      if (prev !== undefined && next !== undefined && ALNUM_RE.test(prev) && ALNUM_RE.test(next)) out += c;
      continue;
    }
    out += c;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------------------------

const LV: Record<AddressLevel, number> = Object.fromEntries(ADDRESS_LEVELS.map((l, i) => [l, i])) as Record<
  AddressLevel,
  number
>;
const PLACE_MAX_LV = LV.estate;

/** Level suffixes stripped to get the short name people use ("文苑小区" → "文苑"). */
const CORE_SUFFIXES: Partial<Record<AddressLevel, string[]>> = {
  province: ['维吾尔自治区', '壮族自治区', '回族自治区', '自治区', '省', '市'],
  city: ['自治州', '地区', '市', '州', '盟'],
  county: ['自治县', '市', '区', '县', '旗'],
  street: ['街道办事处', '街道', '镇', '乡', '开发区', '园区'],
  community: ['社区居委会', '社区居民委员会', '村民委员会', '居委会', '村委会', '社区', '村', '居'],
  estate: [
    '小区', '新村', '花园', '花苑', '家园', '公寓', '新苑', '雅苑', '嘉园', '佳园', '佳苑', '名苑', '名邸', '华庭', '雅居',
    '山庄', '公馆', '大厦', '广场', '苑', '府', '城', '园', '庭', '居', '里', '村', '组', '邸', '坊',
  ],
};

/** Generic words naming a level; after a short name they confirm (or contradict) its level. */
const LEVEL_WORDS: Array<[string, number[]]> = (
  [
    ['自治区', ['province']],
    ['省', ['province']],
    ['市', ['city', 'county']],
    ['县', ['county']],
    ['区', ['county']],
    ['街道', ['street']],
    ['镇', ['street']],
    ['乡', ['street']],
    ['社区', ['community']],
    ['居委会', ['community']],
    ['村委会', ['community']],
    ['村委', ['community']],
    ['村', ['community', 'estate']],
    ['小区', ['estate']],
    ['新村', ['estate', 'community']],
    ['花园', ['estate']],
    ['花苑', ['estate']],
    ['家园', ['estate']],
    ['公寓', ['estate']],
    ['新苑', ['estate']],
    ['雅苑', ['estate']],
    ['嘉园', ['estate']],
    ['佳苑', ['estate']],
    ['名苑', ['estate']],
    ['华庭', ['estate']],
    ['雅居', ['estate']],
    ['大厦', ['estate']],
    ['苑', ['estate']],
    ['府', ['estate']],
    ['城', ['estate']],
    ['园', ['estate']],
    ['庭', ['estate']],
    ['自然村', ['estate']],
  ] as Array<[string, AddressLevel[]]>
)
  .map(([w, ls]): [string, number[]] => [w, ls.map((l) => LV[l])])
  .sort((a, b) => b[0].length - a[0].length);

/** Words that carry no address information (position words, fillers, leading phrases). */
const NOISE_WORDS = [
  '附近', '对面', '旁边', '门口', '边上', '那里', '这里', '那边', '这边', '楼下', '楼上', '楼道', '楼梯', '楼顶',
  '东侧', '西侧', '南侧', '北侧', '东边', '西边', '南边', '北边', '东面', '西面', '南面', '北面', '东首', '西首',
  '隔壁', '后面', '前面', '里面', '外面', '周边', '周围', '一带', '左右', '大门', '东门', '西门', '南门', '北门',
  '正门', '后门', '侧门', '路口', '拐角', '转角', '出口', '入口', '底下', '上面', '下面', '中间', '内部', '院子',
  '我家在', '我家住', '我住在', '家住在', '家住', '住在', '我在', '我家', '我们', '地址是', '地址为', '地址', '位于',
  '就在', '在', '的', '里', '内', '处', '边', '旁', '侧', '位置', '定位', '现场', '请问', '你好', '您好', '麻烦',
  '报警', '求助', '反映', '举报', '投诉', '这个', '那个', '这', '那', '是', '到', '去', '我', '家', '住', '一下',
  '居民委员会', '村民委员会', '委员会', '办事处', '居委', '村委', '辖区', '管辖',
  '具体', '大概', '差不多', '好像', '应该', '呢', '啊', '吧', '呀', '了', '嗯', '哦', '号',
  ...LEVEL_WORDS.map(([w]) => w),
];
const NOISE_BY_FIRST = new Map<string, string[]>();
for (const w of NOISE_WORDS) {
  const list = NOISE_BY_FIRST.get(w[0]) ?? [];
  if (!list.includes(w)) list.push(w);
  NOISE_BY_FIRST.set(w[0], list);
}
for (const list of NOISE_BY_FIRST.values()) list.sort((a, b) => b.length - a.length);

/** One-character fillers that may follow a short name without being part of it. */
const FILLER_CHARS = new Set(['的', '里', '内', '边', '旁', '侧', '处', '那', '这', '在', '是', '呢', '啊', '吧', '呀', '了']);

/** Every level suffix and generic level word. */
const SUFFIX_WORDS = new Set<string>([...Object.values(CORE_SUFFIXES).flat(), ...LEVEL_WORDS.map(([w]) => w)]);

const BUILDING_SUFFIX = new Set(['号楼', '幢', '栋', '座', '撞', '桩', '状', '壮', '装', '栋楼', '幢楼']);

// ---------------------------------------------------------------------------------------------
// Index structures
// ---------------------------------------------------------------------------------------------

interface Node {
  rec: AddressRecord;
  lv: number;
  parent: Node | null;
  children: Node[];
  childByKey: Map<string, Node[]> | null;
  /** Number key of building/unit/room names ("3幢" → "3", "301室" → "301", "A座" → "A"). */
  key: string;
  norm: string;
  order: number;
}

type VariantKind = 'full' | 'core' | 'alias';
interface Variant {
  node: Node;
  text: string;
  kind: VariantKind;
  q: number;
}

type MentionKind = VariantKind | 'fuzzy' | 'context';
interface Mention {
  node: Node;
  start: number;
  end: number;
  q: number;
  kind: MentionKind;
  /** Kind of the underlying variant (for fuzzy/context mentions: of the name matched). */
  vkind: VariantKind;
  variant: string;
}

interface TrieNode {
  next: Map<string, TrieNode>;
  vars: Variant[] | null;
}

/** b building, bh building or room (号), u unit, r room, f floor (explained, never matched), null any. */
type Hint = 'b' | 'bh' | 'r' | 'u' | 'f' | null;
interface Token {
  value: string;
  hint: Hint;
  start: number;
  end: number;
}

interface Outcome {
  node: Node;
  factor: number;
  path: Node[];
  notes: string[];
}

interface Scored {
  node: Node;
  score: number;
  rank: number;
  levels: Set<number>;
  reasons: string[];
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isHan = (c: string | undefined): boolean => c !== undefined && /\p{Script=Han}/u.test(c);

function numberKey(norm: string): string {
  const m = /^第?([0-9]+[A-Z]?|[A-Z][0-9]*)/.exec(norm);
  if (!m) return norm;
  return m[1].replace(/^0+(?=[0-9])/, '');
}

function tokenKey(v: string): string {
  return v.replace(/^0+(?=[0-9])/, '');
}

/** Only the first characters of a (normalized) query are matched. */
const MAX_QUERY_CHARS = 120;

const SKIP_PENALTY: Record<number, number> = {
  [LV.street]: 0.75,
  [LV.community]: 0.8,
  [LV.estate]: 0.85,
  [LV.building]: 0.85,
  [LV.unit]: 0.95,
};

// ---------------------------------------------------------------------------------------------
// Matcher
// ---------------------------------------------------------------------------------------------

export class AddressMatcher {
  private readonly nodes: Node[] = [];
  private readonly byId = new Map<string, Node>();
  private readonly trie: TrieNode = { next: new Map(), vars: null };
  /** Exact variant text → variants (for fuzzy lookups). */
  private readonly exact = new Map<string, Variant[]>();
  /** Variant with one non-digit character deleted → variants (symmetric-deletion index). */
  private readonly deletions = new Map<string, Variant[]>();
  private readonly variantsOf = new Map<Node, Variant[]>();
  private maxVariantLen = 0;

  constructor(records: AddressRecord[]) {
    for (let i = 0; i < records.length; i++) {
      const rec = records[i];
      const lv = LV[rec.level] ?? LV.room;
      const norm = normalizeAddressText(rec.name);
      const node: Node = {
        rec,
        lv,
        parent: null,
        children: [],
        childByKey: null,
        key: lv > PLACE_MAX_LV ? numberKey(norm) : norm,
        norm,
        order: i,
      };
      this.nodes.push(node);
      this.byId.set(rec.id, node);
    }
    for (const node of this.nodes) {
      const pid = node.rec.parentId;
      if (pid == null) continue;
      const parent = this.byId.get(pid);
      if (!parent || parent === node) continue;
      node.parent = parent;
      parent.children.push(node);
    }
    for (const node of this.nodes) {
      if (node.children.length === 0) continue;
      const map = new Map<string, Node[]>();
      for (const c of node.children) {
        if (c.lv <= PLACE_MAX_LV) continue;
        const list = map.get(c.key);
        if (list) list.push(c);
        else map.set(c.key, [c]);
      }
      node.childByKey = map;
    }
    for (const node of this.nodes) if (node.lv <= PLACE_MAX_LV) this.indexPlace(node);
  }

  get size(): number {
    return this.nodes.length;
  }

  private addVariant(v: Variant): void {
    if (v.text.length === 0) return;
    const list = this.variantsOf.get(v.node) ?? [];
    const dup = list.find((x) => x.text === v.text);
    if (dup) {
      if (dup.q >= v.q) return;
      dup.q = v.q;
      dup.kind = v.kind;
      return;
    }
    list.push(v);
    this.variantsOf.set(v.node, list);
    // trie
    let t = this.trie;
    for (const c of v.text) {
      let n = t.next.get(c);
      if (!n) {
        n = { next: new Map(), vars: null };
        t.next.set(c, n);
      }
      t = n;
    }
    (t.vars ??= []).push(v);
    this.maxVariantLen = Math.max(this.maxVariantLen, v.text.length);
    // exact + deletion indexes for fuzzy matching of names long enough to be distinctive
    const ex = this.exact.get(v.text);
    if (ex) ex.push(v);
    else this.exact.set(v.text, [v]);
    if (v.text.length >= 3) {
      const seen = new Set<string>();
      for (let j = 0; j < v.text.length; j++) {
        if (isDigit(v.text[j])) continue;
        const d = v.text.slice(0, j) + v.text.slice(j + 1);
        if (seen.has(d)) continue;
        seen.add(d);
        const l = this.deletions.get(d);
        if (l) l.push(v);
        else this.deletions.set(d, [v]);
      }
    }
  }

  private indexPlace(node: Node): void {
    const level = ADDRESS_LEVELS[node.lv];
    const full = node.norm;
    if (full.length >= 1) this.addVariant({ node, text: full, kind: 'full', q: 1 });
    for (const core of coresOf(full, level)) this.addVariant({ node, text: core, kind: 'core', q: 0.9 });
    for (const alias of node.rec.aliases ?? []) {
      const a = normalizeAddressText(alias);
      if (a.length < 2) continue;
      this.addVariant({ node, text: a, kind: 'alias', q: 1 });
      if (/[0-9]号$/.test(a)) this.addVariant({ node, text: a.slice(0, -1), kind: 'alias', q: 0.95 });
      for (const core of coresOf(a, level)) this.addVariant({ node, text: core, kind: 'core', q: 0.85 });
    }
  }

  // -------------------------------------------------------------------------------------------

  /**
   * `visible` limits the answer to the records a caller may see; it is applied while ranking,
   * so records outside it neither take the top places nor lower the confidence.
   */
  match(query: string, opts?: { limit?: number; visible?: (record: AddressRecord) => boolean }): MatchResult {
    const limit = Math.max(0, Math.floor(opts?.limit ?? 5));
    const q = typeof query === 'string' ? query : String(query ?? '');
    const normalized = normalizeAddressText(q.length > MAX_QUERY_CHARS * 4 ? q.slice(0, MAX_QUERY_CHARS * 4) : q);
    const empty: MatchResult = { query: q, normalized, best: null, alternatives: [] };
    if (normalized.length === 0 || this.nodes.length === 0) return empty;
    // an address is short; the cost of a match grows with the square of the text
    const text = normalized.length > MAX_QUERY_CHARS ? normalized.slice(0, MAX_QUERY_CHARS) : normalized;

    const mentions = this.findMentions(text);
    if (mentions.length === 0) return empty;

    // score every mentioned place
    const byNode = new Map<Node, Mention[]>();
    for (const m of mentions) {
      const l = byNode.get(m.node);
      if (l) l.push(m);
      else byNode.set(m.node, [m]);
    }
    const places: Array<{ node: Node; score: number; rank: number; tokens: Token[]; levels: Set<number>; reasons: string[] }> = [];
    for (const [node, ms] of byNode) {
      let best: ReturnType<AddressMatcher['scorePlace']> | null = null;
      ms.sort((a, b) => b.q - a.q || b.end - b.start - (a.end - a.start));
      for (const m of ms) {
        // a score never exceeds the quality of its mention (plus a small support bonus)
        if (best && m.q + 0.02 < best.rank) break;
        const s = this.scorePlace(node, m, mentions, byNode, text);
        if (!best || s.rank > best.rank) best = s;
      }
      if (best) places.push({ node, ...best });
    }
    const visible = opts?.visible;
    const candidates = visible ? places.filter((p) => visible(p.node.rec)) : places;
    candidates.sort((a, b) => b.rank - a.rank || a.node.order - b.node.order);

    // descend to building / unit / room from the best places
    const finals = new Map<Node, Scored>();
    const add = (s: Scored): void => {
      const prev = finals.get(s.node);
      if (!prev || s.rank > prev.rank) finals.set(s.node, s);
    };
    const top = candidates.slice(0, 8);
    const cutoff = top.length > 0 ? top[0].score * 0.3 : 0;
    for (const p of top) {
      if (p.score < cutoff) continue;
      const tokens = p.tokens;
      const outcomes = tokens.length > 0 ? this.descend(p.node, tokens, 0, 1, [], []) : [{ node: p.node, factor: 1, path: [], notes: [] }];
      outcomes.sort((a, b) => b.factor - a.factor || b.node.lv - a.node.lv || a.node.order - b.node.order);
      const topF = outcomes[0].factor;
      const ties = outcomes.filter((o) => o.factor >= topF * 0.99);
      const uniqTies = [...new Set(ties.map((t) => t.node))];
      for (const o of outcomes.slice(0, 12)) {
        const levels = new Set(p.levels);
        for (const n of o.path) levels.add(n.lv);
        const score = p.score * o.factor * (uniqTies.length > 1 && ties.includes(o) ? 0.9 : 1);
        add({ node: o.node, score, rank: score + (p.rank - p.score), levels, reasons: [...p.reasons, ...o.notes] });
      }
      if (uniqTies.length > 1) {
        const lca = commonAncestor(uniqTies);
        if (lca) {
          const levels = new Set(p.levels);
          for (let n: Node | null = lca; n && n !== p.node; n = n.parent) levels.add(n.lv);
          const score = p.score * topF * 0.95;
          add({
            node: lca,
            score,
            rank: score + (p.rank - p.score),
            levels,
            reasons: [...p.reasons, `ambiguous below: ${uniqTies.length} matches`],
          });
        }
      }
    }
    // on a tie, the place containing the other: "长安" is 长安镇 before its 长安社区
    const ranked = [...finals.values()]
      .filter((f) => !visible || visible(f.node.rec))
      .sort((a, b) => b.rank - a.rank || a.node.lv - b.node.lv || a.node.order - b.node.order);
    if (ranked.length === 0) return empty;

    // ambiguity: confidence drops when an unrelated candidate scores close
    const consider = ranked.slice(0, 12);
    const conf = (s: Scored): number => {
      let comp = 0;
      for (const o of consider) {
        if (o === s || isAncestor(o.node, s.node) || isAncestor(s.node, o.node)) continue;
        if (o.score > comp) comp = o.score;
      }
      const r = s.score > 0 ? Math.min(1, comp / s.score) : 1;
      const c = s.score * (1 - 0.5 * r ** 6);
      return Math.max(0, Math.min(1, Number.isFinite(c) ? c : 0));
    };
    const toCandidate = (s: Scored): MatchCandidate => ({
      record: s.node.rec,
      confidence: round3(conf(s)),
      matchedLevels: [...s.levels].sort((a, b) => a - b).map((l) => ADDRESS_LEVELS[l]),
      reason: s.reasons.join('; ') || undefined,
    });
    const bestS = ranked[0];
    const alternatives: MatchCandidate[] = [];
    for (const s of ranked.slice(1)) {
      if (alternatives.length >= limit) break;
      if (isAncestor(s.node, bestS.node)) continue;
      alternatives.push(toCandidate(s));
    }
    return { query: q, normalized, best: toCandidate(bestS), alternatives };
  }

  // -------------------------------------------------------------------------------------------
  // Mentions

  private findMentions(Q: string): Mention[] {
    const n = Q.length;
    const found = new Map<string, Mention>();
    const push = (m: Mention): void => {
      const k = `${m.node.order}:${m.start}:${m.end}`;
      const prev = found.get(k);
      if (!prev || prev.q < m.q) found.set(k, m);
    };
    // exact, through the trie
    for (let i = 0; i < n; i++) {
      if (isDigit(Q[i]) && isDigit(Q[i - 1])) continue;
      let t: TrieNode | undefined = this.trie;
      for (let j = i; j < n && t; j++) {
        t = t.next.get(Q[j]);
        if (t?.vars) {
          const end = j + 1;
          if (isDigit(Q[j]) && isDigit(Q[end])) continue;
          for (const v of t.vars) push({ node: v.node, start: i, end, q: v.q, kind: v.kind, vkind: v.kind, variant: v.text });
        }
      }
    }
    // fuzzy (one edit) where no distinctive exact name explains the text
    const strong = new Uint8Array(n);
    for (const m of found.values()) {
      if (m.kind === 'full' || m.kind === 'alias' || m.end - m.start >= 3) for (let i = m.start; i < m.end; i++) strong[i] = 1;
    }
    const maxL = Math.min(this.maxVariantLen + 1, n);
    const fuzzyPush = (v: Variant, start: number, end: number): void => {
      if (end <= start) return;
      const window = Q.slice(start, end);
      if (window === v.text || !withinOneEdit(window, v.text)) return;
      if (isDigit(Q[end - 1]) && isDigit(Q[end])) return;
      if (isDigit(Q[start]) && isDigit(Q[start - 1])) return;
      // a slip in the level suffix only (文苑花苑 for 文苑花园) weighs less than one in the name
      let q = v.q * (1 - 0.8 / v.text.length);
      if (v.kind === 'full') {
        const core = this.variantsOf.get(v.node)?.find((x) => x.kind === 'core' && v.text.startsWith(x.text));
        if (core && window.startsWith(core.text)) {
          const rest = window.slice(core.text.length);
          if (SUFFIX_WORDS.has(rest)) q = Math.max(q, v.q * 0.88);
          // the slip replaced a one-character suffix: little more than the short name
          else if (v.text.length - core.text.length === 1) q *= 0.8;
        }
      }
      push({ node: v.node, start, end, q, kind: 'fuzzy', vkind: v.kind, variant: v.text });
    };
    for (let i = 0; i < n; i++) {
      if (!isHan(Q[i]) || strong[i]) continue;
      let unmasked = 0;
      for (let L = 1; L <= maxL && i + L <= n; L++) {
        if (!strong[i + L - 1]) unmasked++;
        if (L < 3 || unmasked < 2) continue;
        const w = Q.slice(i, i + L);
        // query misses one character of the name
        const a = this.deletions.get(w);
        if (a) for (const v of a) if (v.text.length === L + 1) fuzzyPush(v, i, i + L);
        for (let j = 0; j < L; j++) {
          if (isDigit(w[j])) continue;
          if (j > 0 && w[j] === w[j - 1]) continue;
          const d = w.slice(0, j) + w.slice(j + 1);
          // query has one extra character
          if (L - 1 >= 3) {
            const b = this.exact.get(d);
            if (b) for (const v of b) fuzzyPush(v, i, i + L);
          }
          // one character replaced (or two swapped)
          const c = this.deletions.get(d);
          if (c) for (const v of c) if (v.text.length === L) fuzzyPush(v, i, i + L);
        }
      }
    }
    // contextual: a short name with one wrong character right after its mentioned parent
    const base = [...found.values()];
    for (const m of base) {
      if (m.kind === 'fuzzy' || m.node.lv < LV.county || m.node.lv >= PLACE_MAX_LV) continue;
      const start = m.end;
      if (start >= n || !isHan(Q[start])) continue;
      if (base.some((o) => o.start === start && o.node.lv > m.node.lv && isAncestor(m.node, o.node))) continue;
      const descendants: Node[] = [];
      for (const c of m.node.children) {
        if (c.lv > PLACE_MAX_LV) continue;
        descendants.push(c);
        if (m.node.lv >= LV.street) for (const g of c.children) if (g.lv <= PLACE_MAX_LV) descendants.push(g);
      }
      for (const d of descendants) {
        for (const v of this.variantsOf.get(d) ?? []) {
          if (v.kind === 'alias' || v.text.length < 2) continue;
          const w = Q.slice(start, start + v.text.length);
          if (w.length !== v.text.length || w === v.text) continue;
          let diff = 0;
          let digitDiff = false;
          for (let k = 0; k < w.length; k++) {
            if (w[k] !== v.text[k]) {
              diff++;
              if (isDigit(w[k]) || isDigit(v.text[k])) digitDiff = true;
            }
          }
          if (diff !== 1 || digitDiff) continue;
          // the first character of a two-character name must be right
          if (v.text.length === 2 && w[0] !== v.text[0]) continue;
          push({ node: d, start, end: start + w.length, q: v.q * 0.7, kind: 'context', vkind: v.kind, variant: v.text });
        }
      }
    }
    return [...found.values()];
  }

  // -------------------------------------------------------------------------------------------
  // Scoring of a place (province … estate) mentioned by `cm`

  private scorePlace(
    C: Node,
    cm: Mention,
    mentions: Mention[],
    byNode: Map<Node, Mention[]>,
    Q: string,
  ): { score: number; rank: number; tokens: Token[]; levels: Set<number>; reasons: string[] } {
    const n = Q.length;
    const mask = new Uint8Array(n);
    const chosen: Mention[] = [cm];
    const levels = new Set<number>([C.lv]);
    const reasons: string[] = [];
    let qC = cm.q;
    if (cm.kind === 'fuzzy' || cm.kind === 'context') reasons.push(`fuzzy ${Q.slice(cm.start, cm.end)}≈${cm.variant}`);
    else if (cm.kind === 'alias') reasons.push(`alias ${cm.variant}`);
    markRange(mask, cm.start, cm.end);
    let tailStart = cm.end;

    // generic level word after a short name: confirms or contradicts the level
    if (cm.vkind !== 'full') {
      const lw = levelWordAt(Q, cm.end);
      if (lw) {
        if (!lw[1].includes(C.lv)) {
          qC *= 0.7;
          reasons.push(`level word ${lw[0]}`);
        } else if (!C.norm.endsWith(lw[0])) {
          // the right level, another suffix (盛世小区 for 盛世新村)
          qC *= 0.92;
        }
        markRange(mask, cm.end, cm.end + lw[0].length);
        tailStart = cm.end + lw[0].length;
      }
    }

    // support: the best non-overlapping mention of each ancestor
    const chain = new Set<Node>([C]);
    let support = 0;
    let supportQ = 0;
    const unmentioned: Node[] = [];
    for (let a = C.parent; a; a = a.parent) {
      chain.add(a);
      const ms = byNode.get(a);
      let pick: Mention | null = null;
      if (ms) {
        for (const m of ms) {
          if (overlapsAny(m, chosen)) continue;
          if (!pick || m.q > pick.q || (m.q === pick.q && m.end - m.start > pick.end - pick.start)) pick = m;
        }
      }
      if (pick) {
        chosen.push(pick);
        markRange(mask, pick.start, pick.end);
        levels.add(a.lv);
        support++;
        supportQ += pick.q;
        if (pick.vkind !== 'full') {
          const lw = levelWordAt(Q, pick.end);
          if (lw && !mask[pick.end]) markRange(mask, pick.end, pick.end + lw[0].length);
        }
      } else unmentioned.push(a);
    }
    // the same places named a second time ("健康路12号宁馨嘉园": alias and name) are explained too
    for (const m of mentions) {
      if (!chain.has(m.node) || (m.kind !== 'full' && m.kind !== 'alias') || overlapsAny(m, chosen)) continue;
      chosen.push(m);
      markRange(mask, m.start, m.end);
    }
    // an ancestor's short name written with one wrong character (西三 for 西山) still supports
    if (unmentioned.length > 0) {
      // text that is exactly the name of another place is not a typo of this one
      const named = new Uint8Array(n);
      for (const m of mentions) {
        if (m.kind === 'fuzzy' || m.kind === 'context' || chain.has(m.node)) continue;
        for (let k = m.start; k < m.end; k++) named[k] = 1;
      }
      for (const a of unmentioned) {
        if (a.lv < LV.street) continue;
        let done = false;
        for (const v of this.variantsOf.get(a) ?? []) {
          if (done || v.kind === 'alias' || v.text.length < 2) continue;
          const L = v.text.length;
          for (let i = 0; i + L <= n && !done; i++) {
            if (mask[i] || mask[i + L - 1]) continue;
            let diff = 0;
            let ok = true;
            for (let k = 0; k < L; k++) {
              if (mask[i + k] || named[i + k]) {
                ok = false;
                break;
              }
              if (Q[i + k] !== v.text[k]) {
                if (isDigit(Q[i + k]) || isDigit(v.text[k])) ok = false;
                diff++;
              }
            }
            if (!ok || diff !== 1 || (L === 2 && Q[i] !== v.text[0])) continue;
            markRange(mask, i, i + L);
            levels.add(a.lv);
            support += 0.5;
            supportQ += 0.5;
            done = true;
          }
        }
      }
    }

    // numbers after the mention (building/unit/room) are explained by the descent; when there
    // are none, numbers written before the names ("3幢1单元301，文苑小区")
    const free = (t: Token): boolean => !chosen.some((c) => t.start < c.end && c.start < t.end);
    let tokens = lexTail(Q, tailStart, n).filter(free);
    if (tokens.length === 0) {
      let headEnd = cm.start;
      for (const c of chosen) headEnd = Math.min(headEnd, c.start);
      tokens = lexTail(Q, 0, headEnd).filter(free);
    }
    for (const t of tokens) markRange(mask, t.start, t.end);

    const beforeNoise = mask.slice();
    // noise words in what remains; never inside the full name of another place ("新苑社区")
    const locked = new Uint8Array(n);
    for (const m of mentions) {
      if (chain.has(m.node) || (m.kind !== 'full' && m.kind !== 'alias') || m.end - m.start < 3) continue;
      if (overlapsAny(m, chosen)) continue;
      for (let k = m.start; k < m.end; k++) locked[k] = 1;
    }
    for (let i = 0; i < n; ) {
      if (mask[i]) {
        i++;
        continue;
      }
      const words = NOISE_BY_FIRST.get(Q[i]);
      let len = 0;
      if (words) {
        for (const w of words) {
          if (Q.startsWith(w, i)) {
            let open = true;
            for (let k = i; k < i + w.length; k++) if (mask[k] || locked[k]) open = false;
            if (open) {
              len = w.length;
              break;
            }
          }
        }
      }
      if (len > 0) {
        markRange(mask, i, i + len);
        i += len;
      } else i++;
    }

    // conflicts: other places mentioned where nothing of this candidate is
    let conflicts = 0;
    const conflictSpans: Mention[] = [];
    for (const m of mentions) {
      if (chain.has(m.node)) continue;
      let inside = true;
      let overlapChosen = false;
      for (let k = m.start; k < m.end; k++) if (!mask[k]) inside = false;
      for (const c of chosen) if (m.start < c.end && c.start < m.end) overlapChosen = true;
      if (overlapChosen) continue;
      // a place inside this one named elsewhere in the text (even a word like 西门 that could be
      // a gate) means the text is about something more specific
      const descendant = m.kind !== 'fuzzy' && m.kind !== 'context' && isAncestor(C, m.node);
      if (inside && !descendant) continue;
      if (conflictSpans.some((o) => m.start < o.end && o.start < m.end)) continue;
      conflictSpans.push(m);
      conflicts++;
    }
    // the candidate's own name lies inside a longer exact name of another place
    let nested = false;
    for (const m of mentions) {
      if (m.node === C || chain.has(m.node) || m.kind === 'fuzzy' || m.kind === 'context') continue;
      if (m.start <= cm.start && m.end >= cm.end && m.end - m.start > cm.end - cm.start) nested = true;
    }

    // a short name followed by characters nothing explains is probably part of another name
    // (a filler word may follow: 文苑的3幢, 文苑附近; 家 or 号 may not: 梧桐家源)
    const short = cm.vkind !== 'full' && cm.kind !== 'alias';
    const trailing = (short || cm.kind === 'fuzzy') && unexplainedAt(Q, tailStart, mask, beforeNoise);
    // …or preceded by them
    const leading = short && cm.start > 0 && !mask[cm.start - 1] && isHan(Q[cm.start - 1]);

    let u = 0;
    for (let i = 0; i < n; i++) if (!mask[i]) u++;
    let score = qC * Math.max(0.5, 0.96 ** u) * 0.85 ** conflicts * (nested ? 0.6 : 1) * (trailing ? 0.85 : 1) * (leading ? 0.85 : 1);
    if (u > 0) reasons.push(`${u} unexplained chars`);
    if (conflicts > 0) reasons.push(`${conflicts} conflicting names`);
    score = Math.max(0, Math.min(1, score));
    const rank = score + 0.002 * support + 0.001 * supportQ;
    return { score, rank, tokens, levels, reasons };
  }

  // -------------------------------------------------------------------------------------------
  // Descent into building / unit / room

  private descend(node: Node, tokens: Token[], i: number, factor: number, path: Node[], notes: string[]): Outcome[] {
    if (i >= tokens.length) return [{ node, factor, path, notes }];
    const tok = tokens[i];
    if (tok.hint === 'f') return this.descend(node, tokens, i + 1, factor, path, notes);
    if (tok.hint === 'b' && node.lv >= LV.building) {
      // a second building ("3幢和5幢之间"): only the place containing both is known
      let up: Node = node;
      while (up.lv > PLACE_MAX_LV && up.parent) up = up.parent;
      return [{ node: up, factor: factor * 0.85, path: path.filter((p) => p.lv <= up.lv), notes: [...notes, 'several buildings'] }];
    }
    const key = tokenKey(tok.value);
    const allowed = (lv: number): boolean => {
      switch (tok.hint) {
        case 'b':
          return lv === LV.building;
        case 'bh':
          return lv === LV.building || lv === LV.room;
        case 'u':
          return lv === LV.unit;
        case 'r':
          return lv === LV.room;
        default:
          return lv > PLACE_MAX_LV;
      }
    };
    let matches: Array<{ node: Node; pen: number }> = [];
    for (const c of node.childByKey?.get(key) ?? []) if (allowed(c.lv)) matches.push({ node: c, pen: 1 });
    if (matches.length === 0) {
      for (const mid of node.children) {
        const pen = SKIP_PENALTY[mid.lv];
        if (pen === undefined) continue;
        for (const c of mid.childByKey?.get(key) ?? []) if (allowed(c.lv)) matches.push({ node: c, pen });
      }
    }
    if (matches.length === 0) {
      if (tok.hint === null && i + 1 < tokens.length) {
        return this.descend(node, tokens, i + 1, factor * 0.9, path, [...notes, `ignored ${tok.value}`]);
      }
      let rest = 0;
      for (let k = i; k < tokens.length; k++) if (tokens[k].hint !== 'f') rest++;
      return [{ node, factor: factor * 0.7 * 0.95 ** (rest - 1), path, notes: [...notes, `${tok.value} not found`] }];
    }
    if (matches.length > 24) matches = matches.slice(0, 24);
    const out: Outcome[] = [];
    for (const m of matches) {
      const p = m.node.parent && m.node.parent !== node ? [...path, m.node.parent, m.node] : [...path, m.node];
      const nn = m.pen < 1 ? [...notes, `skipped ${ADDRESS_LEVELS[m.node.parent?.lv ?? 0]}`] : notes;
      for (const o of this.descend(m.node, tokens, i + 1, factor * m.pen, p, nn)) out.push(o);
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** The name without its level suffix (the longest suffix that leaves two characters or more). */
function coresOf(full: string, level: AddressLevel): string[] {
  let best = '';
  for (const suf of CORE_SUFFIXES[level] ?? []) {
    if (suf.length > best.length && full.length - suf.length >= 2 && full.endsWith(suf)) best = suf;
  }
  return best ? [full.slice(0, -best.length)] : [];
}

/** One substitution, insertion, deletion or swap of two neighbours apart (Damerau, ≤ 1). */
function withinOneEdit(a: string, b: string): boolean {
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > 1) return false;
  if (la === lb) {
    let first = -1;
    let count = 0;
    for (let i = 0; i < la; i++) {
      if (a[i] !== b[i]) {
        if (count === 0) first = i;
        count++;
        if (count > 2) return false;
      }
    }
    if (count <= 1) return true;
    return a[first] === b[first + 1] && a[first + 1] === b[first] && first + 1 < la && a[first + 1] !== b[first + 1];
  }
  const [s, t] = la < lb ? [a, b] : [b, a];
  let i = 0;
  while (i < s.length && s[i] === t[i]) i++;
  return s.slice(i) === t.slice(i + 1);
}

function markRange(mask: Uint8Array, a: number, b: number): void {
  for (let i = a; i < b && i < mask.length; i++) mask[i] = 1;
}

function levelWordAt(Q: string, pos: number): [string, number[]] | null {
  for (const lw of LEVEL_WORDS) if (Q.startsWith(lw[0], pos)) return lw;
  return null;
}

/** Is Q[i] a character no name, number or filler word explains? */
function unexplainedAt(Q: string, i: number, mask: Uint8Array, beforeNoise: Uint8Array): boolean {
  if (i < 0 || i >= Q.length || !isHan(Q[i]) || beforeNoise[i]) return false;
  if (!mask[i]) return true;
  if (FILLER_CHARS.has(Q[i])) return false;
  const words = NOISE_BY_FIRST.get(Q[i]);
  if (!words) return true;
  for (const w of words) if (w.length >= 2 && Q.startsWith(w, i)) return false;
  return true;
}

function overlapsAny(m: Mention, list: Mention[]): boolean {
  for (const o of list) if (m.start < o.end && o.start < m.end) return true;
  return false;
}

function isAncestor(a: Node, b: Node): boolean {
  for (let p = b.parent; p; p = p.parent) if (p === a) return true;
  return false;
}

function commonAncestor(nodes: Node[]): Node | null {
  if (nodes.length === 0) return null;
  for (let c: Node | null = nodes[0]; c; c = c.parent) {
    const cc = c;
    if (nodes.every((n) => n === cc || isAncestor(cc, n))) return cc;
  }
  return null;
}

/**
 * Numbers after the place name: 3幢 / 3号楼 / 3栋 / 3座 / A座 → building; 1单元 / 1单 → unit;
 * 301室 / 301户 → room; 3号 → building (room when a building was already given); N楼 → building,
 * or floor after a building; 3-1-301 and bare numbers → untyped (the tree decides).
 */
const TAIL_RE = /第?([0-9]+[A-Z]?|[A-Z][0-9]*)(号楼|幢楼|栋楼|幢|栋|座|撞|桩|状|壮|装|号|楼|单元|单|室|户|层|-)?/g;
function lexTail(Q: string, from: number, to: number): Token[] {
  const tokens: Token[] = [];
  if (to <= from) return tokens;
  let hasBuilding = false;
  TAIL_RE.lastIndex = from;
  for (let m = TAIL_RE.exec(Q); m; m = TAIL_RE.exec(Q)) {
    if (m.index >= to) break;
    const value = m[1];
    let suf = m[2] ?? '';
    const start = m.index;
    let end = m.index + m[0].length;
    if (end > to) {
      suf = '';
      end = start + (m[0].startsWith('第') ? 1 : 0) + value.length;
      if (end > to) break;
    }
    // "301楼下" is a position word, not a building
    if ((suf === '楼' || suf === '号楼') && /[下上道梯顶前后]/.test(Q[end] ?? '')) {
      suf = suf === '号楼' ? '号' : '';
      end -= 1;
    }
    const lettersOnly = /^[A-Z]+$/.test(value);
    if (lettersOnly && !BUILDING_SUFFIX.has(suf)) continue;
    if (isDigit(Q[start - 1]) || /[A-Z]/.test(Q[start - 1] ?? '')) continue;
    let hint: Hint = null;
    if (BUILDING_SUFFIX.has(suf)) hint = 'b';
    else if (suf === '号') hint = hasBuilding ? 'r' : 'bh';
    else if (suf === '楼') hint = hasBuilding ? 'f' : 'b';
    else if (suf === '单元' || suf === '单') hint = 'u';
    else if (suf === '室' || suf === '户') hint = 'r';
    else if (suf === '层') hint = 'f';
    if (hint === 'b' || hint === 'bh') hasBuilding = true;
    if (hint === null && tokens.length === 0) hasBuilding = true;
    tokens.push({ value, hint, start, end });
  }
  return tokens;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
