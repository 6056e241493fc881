import crypto from 'node:crypto';
import ExcelJS from 'exceljs';
import type { DbOrTx } from '../../db.js';
import { levelFor, type Level, type LevelBounds } from './alerts.engine.js';
import { addressKey, creditCheckChar, IMPORT_COLUMNS, idCheckChar, personKey, type ImportKind } from './alerts.recon.js';
import * as repo from './alerts.recon.repository.js';

/**
 * Deterministic registers for tests and benchmarks, with the answer known by construction.
 *
 * People (by index) fall in categories:
 *  - planted: seen at an address on d distinct Beijing days within the window, not
 *    registered there (some registered at another address) — exactly these are 人来未登记,
 *    d spread over the levels; some entries repeat a day or an instant, some are written
 *    with an offset, one kind of day is the window's very end (asOf itself);
 *  - noise that must NOT be found: N−1 days (many entries a day); registered at the same
 *    address (written differently: full-width digits, spaces); N−1 days inside the window
 *    plus entries on the window's open start, before it and after asOf; N−1 days at each of
 *    two addresses; N−1 Beijing days whose entries at 00:10 and 23:50 span N UTC dates;
 *  - bulk (benchmarks): registered at home, seen there on some days and elsewhere on fewer
 *    than N.
 * Addresses for enterprises: planted ones with a count per level (some rows written as
 * variants of the address), noise with N−1 enterprises plus a repeated row of one of them,
 * bulk with one. Rows come from generators, so ten million entries never sit in memory.
 */

const DAY = 86_400_000;
const BEIJING = 8 * 3_600_000;

export interface ReconDataOptions {
  seed?: number;
  /** The run's asOf; must be a Beijing midnight (00:00 Asia/Shanghai). */
  asOf: Date;
  windowDays?: number;
  dayLevels?: LevelBounds;
  enterpriseLevels?: LevelBounds;
  /** People to plant as 人来未登记. */
  unregistered: number;
  /** Addresses to plant as 一址多企. */
  multiEnterprise: number;
  /** People (and addresses) per noise category; default max(3, ⌈unregistered/4⌉). */
  noise?: number;
  /** Registered people with ordinary comings and goings (benchmarks). */
  bulkPeople?: number;
  /** Average entries of a bulk person in the window. */
  bulkEntriesPerPerson?: number;
  /** Addresses with one enterprise each (benchmarks). */
  bulkEnterprises?: number;
  /** Text before every address (a district's name keeps datasets apart). */
  addressPrefix?: string;
}

export interface ResidentRecord {
  idNumber: string;
  name: string;
  address: string;
  registeredOn: string;
}
export interface EnterpriseRecord {
  creditCode: string;
  name: string;
  address: string;
}
export interface AccessRecord {
  idNumber: string;
  address: string;
  /** As written in the file (mostly Beijing wall clock without offset). */
  enteredAt: string;
  at: Date;
}

export interface ExpectedUnregistered {
  idNumber: string;
  address: string;
  addressKey: string;
  days: number;
  level: Level;
}
export interface ExpectedMulti {
  address: string;
  addressKey: string;
  enterprises: number;
  level: Level;
}

export interface ReconDataset {
  options: Required<Omit<ReconDataOptions, 'seed'>> & { seed: number };
  residents(): Generator<ResidentRecord>;
  enterprises(): Generator<EnterpriseRecord>;
  access(): Generator<AccessRecord>;
  expected: { unregistered: ExpectedUnregistered[]; multiEnterprise: ExpectedMulti[] };
  /** Beijing dates (YYYY-MM-DD) on which planted person i is seen inside the window. */
  plantedDates(i: number): Set<string>;
  /** Every ID number used (for "never stored" checks); not for bulk-size datasets. */
  idNumbers(): Generator<string>;
  /** Every name used (names are read, never stored). */
  names(): Generator<string>;
}

// ---------------------------------------------------------------- randomness

function hash32(...xs: number[]): number {
  let h = 0x811c9dc5;
  for (const x of xs) {
    h = Math.imul(h ^ (x & 0xffff), 0x01000193);
    h = Math.imul(h ^ (x >>> 16), 0x01000193);
  }
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

/** mulberry32: a small seeded generator, the same numbers on every machine. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n) };
}

/** k distinct numbers of lo..hi, deterministic. */
function pick(r: ReturnType<typeof rng>, k: number, lo: number, hi: number): number[] {
  const all = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  for (let i = all.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, k).sort((a, b) => a - b);
}

// ---------------------------------------------------------------- identities and texts

/** A valid 18-character ID number, unique per index (< 20 million), with its check digit. */
export function idNumberOf(seed: number, i: number): string {
  const region = String(110101 + (seed % 500) * 100).slice(0, 6);
  const birth = new Date(Date.UTC(1950, 0, 1) + (i % 20_000) * DAY);
  const ymd = birth.toISOString().slice(0, 10).replace(/-/g, '');
  const seq = String(Math.floor(i / 20_000) % 1000).padStart(3, '0');
  const first17 = `${region}${ymd}${seq}`;
  return first17 + idCheckChar(first17);
}

const CREDIT_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';

/** A valid unified social credit code, unique per index, with its check character. */
export function creditCodeOf(seed: number, j: number): string {
  let n = j;
  let body = '';
  for (let k = 0; k < 8; k++) {
    body = CREDIT_CHARS[n % 31] + body;
    n = Math.floor(n / 31);
  }
  const first17 = `91${String(330100 + (seed % 99)).slice(0, 6)}${body}Q`;
  return first17 + creditCheckChar(first17);
}

const SURNAMES = ['欧阳', '司马', '上官', '诸葛', '东方', '皇甫', '令狐', '独孤'];
const GIVEN = '璟珩瑾琮琰瑄珏玥琛璇珺瑜琪璐';
function nameOf(i: number): string {
  return `${SURNAMES[i % SURNAMES.length]}${GIVEN[Math.floor(i / 8) % GIVEN.length]}${GIVEN[Math.floor(i / 112) % GIVEN.length]}`;
}

const ROADS = ['幸福路', '和平街', '建设路', '人民路', '解放路', '文化路', '新华街', '光明路'];
function residenceText(prefix: string, idx: number, variant = 0): string {
  const road = ROADS[idx % ROADS.length]!;
  const no = Math.floor(idx / ROADS.length) + 1;
  if (variant === 1) return `${prefix}${road}${toFullWidth(String(no))}号`;
  if (variant === 2) return `${prefix} ${road} ${no} 号`;
  if (variant === 3) return `\u3000${prefix}${road}${no}号 `;
  return `${prefix}${road}${no}号`;
}
function enterpriseAddressText(prefix: string, idx: number, variant = 0): string {
  const no = idx + 1;
  if (variant === 1) return `${prefix}创业大道${toFullWidth(String(no))}号`;
  if (variant === 2) return `${prefix}创业大道 ${no}号`;
  return `${prefix}创业大道${no}号`;
}
function toFullWidth(s: string): string {
  return s.replace(/[0-9]/g, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0));
}

/** Beijing wall clock of an instant, 'YYYY-MM-DD HH:mm:ss'. */
function beijing(at: Date): string {
  return new Date(at.getTime() + BEIJING).toISOString().slice(0, 19).replace('T', ' ');
}
function written(at: Date, n: number): string {
  // Most rows as an operator's export writes them; some with an explicit offset.
  if (n % 11 === 5) return at.toISOString();
  if (n % 13 === 7) return `${beijing(at).replace(' ', 'T')}+08:00`;
  return beijing(at);
}

// ---------------------------------------------------------------- people

type Category = 'planted' | 'below' | 'registeredHere' | 'windowEdge' | 'split' | 'midnight' | 'bulk';

interface Visit {
  address: number;
  variant: number;
  instants: Date[];
}
interface Person {
  i: number;
  category: Category;
  idNumber: string;
  name: string;
  /** Registered at (address index, variant), if at all. */
  home: { address: number; variant: number } | null;
  visits: Visit[];
  expected?: { address: number; days: number; level: Level };
}

function bounds(levels: LevelBounds): Array<{ level: Level; bound: number }> {
  return (['green', 'yellow', 'red'] as Level[]).filter((l) => typeof levels[l] === 'number').map((l) => ({ level: l, bound: levels[l]! }));
}

/** A count at `level`: between its bound and the next level's (exclusive), at most `cap`. */
function countAt(levels: LevelBounds, level: Level, cap: number, r: ReturnType<typeof rng>): number {
  const bs = bounds(levels);
  const at = bs.findIndex((b) => b.level === level);
  const lo = bs[at]!.bound;
  const hi = Math.min(cap, (bs[at + 1]?.bound ?? cap + 1) - 1);
  return lo + r.int(Math.max(1, hi - lo + 1));
}

export function reconDataset(o: ReconDataOptions): ReconDataset {
  const options = {
    seed: o.seed ?? 1,
    asOf: o.asOf,
    windowDays: o.windowDays ?? 30,
    dayLevels: o.dayLevels ?? { green: 5, yellow: 10, red: 20 },
    enterpriseLevels: o.enterpriseLevels ?? { green: 3, yellow: 5, red: 10 },
    unregistered: o.unregistered,
    multiEnterprise: o.multiEnterprise,
    noise: o.noise ?? Math.max(3, Math.ceil(o.unregistered / 4)),
    bulkPeople: o.bulkPeople ?? 0,
    bulkEntriesPerPerson: o.bulkEntriesPerPerson ?? 6,
    bulkEnterprises: o.bulkEnterprises ?? 0,
    addressPrefix: o.addressPrefix ?? '测试区',
  };
  if ((options.asOf.getTime() + BEIJING) % DAY !== 0) throw new Error('asOf must be a Beijing midnight (00:00 Asia/Shanghai)');
  const { seed, asOf, windowDays: W, dayLevels, enterpriseLevels, unregistered: K, multiEnterprise: M, noise, bulkPeople, addressPrefix: prefix } = options;
  const bs = bounds(dayLevels);
  const N = bs[0]!.bound;
  if (N < 2 || N > W) throw new Error('the lowest day bound must be between 2 and windowDays');
  const levelCycle = bs.map((b) => b.level);
  const categories: Array<[Category, number]> = [
    ['planted', K],
    ['below', noise],
    ['registeredHere', noise],
    ['windowEdge', noise],
    ['split', noise],
    ['midnight', noise],
    ['bulk', bulkPeople],
  ];
  const peopleCount = categories.reduce((n, [, c]) => n + c, 0);
  /** An instant on day k before asOf (k = 1 is the day before asOf's date), at a minute of that Beijing day. */
  const onDay = (k: number, minute: number) => new Date(asOf.getTime() - k * DAY + minute * 60_000);

  function person(i: number): Person {
    let rest = i;
    let category: Category = 'bulk';
    let c = 0;
    for (const [cat, n] of categories) {
      if (rest < n) {
        category = cat;
        c = rest;
        break;
      }
      rest -= n;
    }
    const r = rng(hash32(seed, i, 17));
    const idNumber = idNumberOf(seed, i);
    const name = nameOf(i);
    const own = i * 4;
    const p: Person = { i, category, idNumber, name, home: null, visits: [] };
    const days = (ks: number[], perDay: () => number) => ks.flatMap((k) => Array.from({ length: perDay() }, () => onDay(k, 1 + r.int(1438))));
    switch (category) {
      case 'planted': {
        const level = levelCycle[c % levelCycle.length]!;
        const d = countAt(dayLevels, level, W, r);
        // Two planted people share an address now and then: subjects are (address, person).
        const address = c % 5 === 1 ? (i - 1) * 4 : own;
        let instants: Date[];
        if (c % 4 === 0) {
          // asOf itself is inside the window (its end is closed): one of the d days.
          instants = [new Date(asOf.getTime()), ...days(pick(r, d - 1, 1, W), () => 1 + r.int(3))];
        } else {
          instants = days(pick(r, d, 1, W), () => 1 + r.int(3));
        }
        // The very same entry twice (a re-sent export) counts once.
        if (c % 3 === 0) instants.push(instants[0]!);
        p.visits.push({ address, variant: c % 4, instants });
        if (c % 3 === 1) p.home = { address: own + 1, variant: 0 };
        if (c % 3 === 2) p.home = { address: own + 2, variant: 2 };
        p.expected = { address, days: d, level };
        break;
      }
      case 'below':
        p.visits.push({ address: own, variant: 0, instants: days(pick(r, N - 1, 1, W), () => 3) });
        break;
      case 'registeredHere': {
        const d = Math.min(W, (bs[bs.length - 1]!.bound ?? N) + 2);
        p.visits.push({ address: own, variant: 1, instants: days(pick(r, d, 1, W), () => 1 + r.int(2)) });
        p.home = { address: own, variant: 2 + (c % 2) };
        break;
      }
      case 'windowEdge': {
        const inside = days(pick(r, N - 1, 1, Math.min(W - 1, N + 3)), () => 1);
        const outside = [
          onDay(W, 0), // the window's open start: excluded, and a Beijing date of its own
          onDay(W + 1, 600),
          onDay(W + 5, 60),
          new Date(asOf.getTime() + 60_000), // after asOf
          new Date(asOf.getTime() + 3_600_000),
        ];
        p.visits.push({ address: own, variant: 0, instants: [...inside, ...outside] });
        break;
      }
      case 'split':
        p.visits.push({ address: own, variant: 0, instants: days(pick(r, N - 1, 1, W), () => 1) });
        p.visits.push({ address: own + 1, variant: 0, instants: days(pick(r, N - 1, 1, W), () => 1) });
        p.home = { address: own + 2, variant: 0 };
        break;
      case 'midnight': {
        // N−1 consecutive Beijing days, at 00:10 and 23:50: N distinct UTC dates, N−1 Beijing ones.
        const start = 2 + r.int(Math.max(1, W - N - 1));
        const ks = Array.from({ length: N - 1 }, (_, j) => start + j);
        p.visits.push({ address: own, variant: 0, instants: ks.flatMap((k) => [onDay(k, 10), onDay(k, 1430)]) });
        break;
      }
      case 'bulk': {
        p.home = { address: own, variant: 0 };
        const homeDays = Math.min(W, Math.max(0, Math.round(options.bulkEntriesPerPerson * 0.8) + r.int(3) - 1));
        p.visits.push({ address: own, variant: 0, instants: days(pick(r, homeDays, 1, W), () => 1) });
        const away = Math.min(N - 1, Math.max(0, options.bulkEntriesPerPerson - homeDays));
        if (away > 0) {
          const other = (((i * 7919) % Math.max(1, bulkPeople)) + (peopleCount - bulkPeople)) * 4;
          if (other !== own) p.visits.push({ address: other, variant: 0, instants: days(pick(r, away, 1, W), () => 1) });
        }
        break;
      }
    }
    return p;
  }

  function* people(): Generator<Person> {
    for (let i = 0; i < peopleCount; i++) yield person(i);
  }

  // Enterprises: planted addresses [0, M), noise [M, M + noiseM), bulk after.
  const noiseM = Math.max(3, M);
  const enterpriseCounts: number[] = [];
  for (let e = 0; e < M; e++) {
    const r = rng(hash32(seed, e, 29));
    const level = levelCycle[e % levelCycle.length]!;
    const eb = bounds(enterpriseLevels);
    enterpriseCounts.push(countAt(enterpriseLevels, level, eb[eb.length - 1]!.bound + 3, r));
  }
  const NE = bounds(enterpriseLevels)[0]!.bound;

  const registeredOn = (i: number) => new Date(Date.UTC(2015, 0, 1) + (hash32(seed, i, 3) % 3000) * DAY).toISOString().slice(0, 10);

  const expected = {
    unregistered: [] as ExpectedUnregistered[],
    multiEnterprise: enterpriseCounts.map((n, e) => {
      const address = enterpriseAddressText(prefix, e);
      return { address, addressKey: addressKey(address), enterprises: n, level: levelFor(enterpriseLevels, n)! };
    }),
  };
  for (let i = 0; i < K; i++) {
    const p = person(i);
    const address = residenceText(prefix, p.expected!.address);
    expected.unregistered.push({ idNumber: p.idNumber, address, addressKey: addressKey(address), days: p.expected!.days, level: p.expected!.level });
  }

  return {
    options,
    expected,
    *residents() {
      for (const p of people()) {
        if (p.home) yield { idNumber: p.idNumber, name: p.name, address: residenceText(prefix, p.home.address, p.home.variant), registeredOn: registeredOn(p.i) };
      }
    },
    *access() {
      let n = 0;
      for (const p of people()) {
        for (const v of p.visits) {
          for (const at of v.instants) {
            yield { idNumber: p.idNumber, address: residenceText(prefix, v.address, (v.variant + n) % 4 === 0 ? 0 : v.variant), enteredAt: written(at, n), at };
            n++;
          }
        }
      }
    },
    *enterprises() {
      let j = 0;
      for (let e = 0; e < M; e++) {
        for (let k = 0; k < enterpriseCounts[e]!; k++) {
          yield { creditCode: creditCodeOf(seed, j), name: `${prefix}星辰科技有限公司${j}`, address: enterpriseAddressText(prefix, e, k % 3) };
          j++;
        }
      }
      for (let e = M; e < M + noiseM; e++) {
        let first = '';
        for (let k = 0; k < NE - 1; k++) {
          const code = creditCodeOf(seed, j);
          first ||= code;
          yield { creditCode: code, name: `${prefix}远航贸易有限公司${j}`, address: enterpriseAddressText(prefix, e, k % 3) };
          j++;
        }
        // The same enterprise listed twice: N rows, N−1 enterprises.
        if (first) yield { creditCode: first, name: `${prefix}远航贸易有限公司${j - NE + 1}`, address: enterpriseAddressText(prefix, e) };
      }
      for (let e = M + noiseM; e < M + noiseM + options.bulkEnterprises; e++) {
        yield { creditCode: creditCodeOf(seed, j), name: `${prefix}个体工商户${j}`, address: enterpriseAddressText(prefix, e) };
        j++;
      }
    },
    plantedDates(i: number) {
      const from = asOf.getTime() - W * DAY;
      const dates = new Set<string>();
      for (const v of person(i).visits) for (const at of v.instants) if (at.getTime() > from && at.getTime() <= asOf.getTime()) dates.add(beijing(at).slice(0, 10));
      return dates;
    },
    *idNumbers() {
      for (const p of people()) yield p.idNumber;
    },
    *names() {
      for (const p of people()) yield p.name;
    },
  };
}

/**
 * A later state of a dataset: some planted people registered at their address (their
 * episodes end), some planted enterprise addresses thinned below N (enterprises moved away:
 * their episodes end), some green people seen on more days (escalated to the top level).
 * Returns the rows to import and the expected findings afterwards.
 */
export function reconChange(ds: ReconDataset, c: { register: number; thin: number; escalate: number }) {
  const { seed, asOf, windowDays: W, dayLevels, enterpriseLevels, addressPrefix: prefix } = ds.options;
  const levelsTop = bounds(dayLevels).at(-1)!;
  const registered = ds.expected.unregistered.slice(0, c.register);
  const rest = ds.expected.unregistered.slice(c.register);
  const toEscalate = rest.filter((u) => u.level === 'green' && levelsTop.bound <= W).slice(0, c.escalate);
  const residents: ResidentRecord[] = registered.map((u, k) => ({ idNumber: u.idNumber, name: nameOf(100_000 + k), address: u.address, registeredOn: beijing(asOf).slice(0, 10) }));
  const access: AccessRecord[] = [];
  let n = 0;
  const escalatedDays = new Map<ExpectedUnregistered, number>();
  for (const u of toEscalate) {
    // Seen at noon on each of the last R days (R: the top bound); days already seen count once.
    const dates = ds.plantedDates(ds.expected.unregistered.indexOf(u));
    for (let k = 1; k <= levelsTop.bound; k++) {
      const at = new Date(asOf.getTime() - k * DAY + 12 * 3_600_000);
      dates.add(beijing(at).slice(0, 10));
      access.push({ idNumber: u.idNumber, address: u.address, enteredAt: written(at, n++), at });
    }
    escalatedDays.set(u, dates.size);
  }
  const NE = bounds(enterpriseLevels)[0]!.bound;
  const thinned = ds.expected.multiEnterprise.slice(0, c.thin);
  const thinnedKeys = new Set(thinned.map((m) => m.addressKey));
  // Re-list the enterprises of the thinned addresses: all but N−1 moved to addresses of their own.
  const enterprises: EnterpriseRecord[] = [];
  const perAddress = new Map<string, number>();
  let moved = 0;
  for (const e of ds.enterprises()) {
    const key = addressKey(e.address);
    if (!thinnedKeys.has(key)) continue;
    const seen = perAddress.get(key) ?? 0;
    perAddress.set(key, seen + 1);
    if (seen >= NE - 1) enterprises.push({ ...e, address: `${prefix}迁出新址${seed}-${moved++}号` });
  }
  const expectedAfter = {
    unregistered: rest.map((u) => {
      const days = escalatedDays.get(u);
      return days === undefined ? u : { ...u, days, level: levelFor(dayLevels, days)! };
    }),
    multiEnterprise: ds.expected.multiEnterprise.filter((m) => !thinnedKeys.has(m.addressKey)),
  };
  return { residents, access, enterprises, registered, escalated: toEscalate, thinned, expected: expectedAfter };
}

// ---------------------------------------------------------------- files

const HEADERS: Record<ImportKind, string[]> = {
  residents: IMPORT_COLUMNS.residents.map((c) => c.headers[0]!),
  enterprises: IMPORT_COLUMNS.enterprises.map((c) => c.headers[0]!),
  access: IMPORT_COLUMNS.access.map((c) => c.headers[0]!),
};

type RecordOf<K extends ImportKind> = K extends 'residents' ? ResidentRecord : K extends 'enterprises' ? EnterpriseRecord : AccessRecord;

function cellsOf<K extends ImportKind>(kind: K, r: RecordOf<K>): string[] {
  if (kind === 'residents') {
    const x = r as ResidentRecord;
    return [x.idNumber, x.name, x.address, x.registeredOn];
  }
  if (kind === 'enterprises') {
    const x = r as EnterpriseRecord;
    return [x.creditCode, x.name, x.address];
  }
  const x = r as AccessRecord;
  return [x.idNumber, x.address, x.enteredAt];
}

const csvCell = (s: string) => (/[",\n\r]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** A CSV file (UTF-8 with BOM, as Excel writes it) of records of a kind. */
export function toCsv<K extends ImportKind>(kind: K, records: Iterable<RecordOf<K>>): Buffer {
  const lines = [HEADERS[kind].join(',')];
  for (const r of records) lines.push(cellsOf(kind, r).map(csvCell).join(','));
  return Buffer.from(`\uFEFF${lines.join('\r\n')}\r\n`, 'utf8');
}

/** An xlsx file of records of a kind, identity columns as text. */
export async function toXlsxFile<K extends ImportKind>(kind: K, records: Iterable<RecordOf<K>>): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet(kind);
  ws.addRow(HEADERS[kind]);
  ws.getColumn(1).numFmt = '@';
  for (const r of records) ws.addRow(cellsOf(kind, r));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

// ---------------------------------------------------------------- straight into the tables

/**
 * Loads a dataset into a district's tables without files (benchmarks of runs at scale):
 * the same keys an import makes, in batches, never the whole dataset in memory.
 */
export async function loadReconDataset(db: DbOrTx, districtId: string, ds: ReconDataset, secret: string, opts: { batch?: number; onProgress?: (kind: ImportKind, rows: number) => void } = {}) {
  const batch = opts.batch ?? 10_000;
  const keys = new Map<string, string>();
  const keyOf = (id: string) => {
    let k = keys.get(id);
    if (!k) {
      // Entries come person by person: a small cache saves almost every HMAC.
      if (keys.size > 10_000) keys.clear();
      k = personKey(secret, id);
      keys.set(id, k);
    }
    return k;
  };
  const counts = { residents: 0, enterprises: 0, access: 0 };
  for (const kind of ['residents', 'enterprises', 'access'] as const) {
    const importId = crypto.randomUUID();
    await repo.insertImport(db, { id: importId, districtId, kind, fileName: `generated-${kind}`, rows: 0, jobId: null, createdBy: null });
    let rows: unknown[] = [];
    const flush = async () => {
      if (!rows.length) return;
      if (kind === 'residents') await repo.insertResidents(db, districtId, importId, rows as repo.ResidentRow[]);
      else if (kind === 'access') await repo.insertAccess(db, districtId, importId, rows as repo.AccessRow[]);
      else await repo.upsertEnterprises(db, districtId, importId, dedupe(rows as repo.EnterpriseRow[]));
      counts[kind] += rows.length;
      opts.onProgress?.(kind, counts[kind]);
      rows = [];
    };
    if (kind === 'residents') {
      for (const r of ds.residents()) {
        rows.push({ personKey: keyOf(r.idNumber), addressKey: addressKey(r.address), addressText: r.address.trim(), registeredOn: r.registeredOn });
        if (rows.length >= batch) await flush();
      }
    } else if (kind === 'access') {
      for (const r of ds.access()) {
        rows.push({ personKey: keyOf(r.idNumber), addressKey: addressKey(r.address), addressText: r.address.trim(), enteredAt: r.at });
        if (rows.length >= batch) await flush();
      }
    } else {
      for (const r of ds.enterprises()) {
        rows.push({ creditCode: r.creditCode, name: r.name, addressKey: addressKey(r.address), addressText: r.address.trim() });
        if (rows.length >= batch) await flush();
      }
    }
    await flush();
  }
  return counts;
}

function dedupe(rows: repo.EnterpriseRow[]): repo.EnterpriseRow[] {
  const m = new Map<string, repo.EnterpriseRow>();
  for (const r of rows) if (!m.has(r.creditCode)) m.set(r.creditCode, r);
  return [...m.values()];
}
