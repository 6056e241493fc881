/**
 * Working-day calendar for case deadlines (办理时限).
 *
 * A stage's time limit is a number of minutes counted either in natural (clock) time or in
 * working time: the working periods of each working day on the Chinese calendar, where a
 * working day is Monday–Friday unless it is a public holiday, plus the weekend days that are
 * worked in exchange (调休上班), as announced each year by the State Council General Office
 * (国务院办公厅关于××年部分节假日安排的通知).
 *
 * Time zone is always Asia/Shanghai, implemented as a fixed UTC+8 offset (China has had no DST
 * since 1991), so no tz database is needed.
 *
 * Complexity: adding or measuring working time walks day by day and, within a day, period by
 * period — never minute by minute. A walk longer than {@link MAX_ADD_SCAN_DAYS} days (adding) or a
 * span longer than {@link MAX_SPAN_DAYS} days (measuring) is refused with a RangeError.
 */

export interface CalendarYear {
  year: number;
  /**
   * 'YYYY-MM-DD' days off that would be working days otherwise. Every day of each holiday
   * period may be listed, weekends inside included. All dates must fall in `year`: an
   * arrangement that crosses New Year goes into the entry of the year each date falls in.
   */
  holidays: string[];
  /** Weekend days (Saturday or Sunday) of `year` that are working days (调休上班). */
  workdays: string[];
}

export interface WorkingPeriods {
  /** Local Shanghai times 'HH:MM' (end may be '24:00'), ascending and non-overlapping. */
  periods: [string, string][];
}

export type TimeMode = 'working' | 'natural';

/** 08:30–12:00 and 13:30–18:00: eight working hours a day. */
export const DEFAULT_WORKING_PERIODS: [string, string][] = [
  ['08:30', '12:00'],
  ['13:30', '18:00'],
];

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const SHANGHAI_OFFSET_MS = 8 * 3_600_000;
/** How many days `addWorkingMinutes` may walk before it gives up (about three years). */
const MAX_ADD_SCAN_DAYS = 3 * 366;
/** The longest span `workingMinutesBetween` measures (about a century; still only ~36k steps). */
const MAX_SPAN_DAYS = 100 * 366;

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_RE = /^(\d{2}):(\d{2})$/;

/** Days since 1970-01-01 of a 'YYYY-MM-DD' string, or null when it is not a real date. */
function parseDay(day: string): number | null {
  const m = DATE_RE.exec(day);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return null;
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  // Date.UTC maps years 0–99 to 1900–1999; four-digit input makes that moot except 0000–0099.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return ms / DAY_MS;
}

function formatDayIndex(index: number): string {
  return new Date(index * DAY_MS).toISOString().slice(0, 10);
}

/** 0 = Sunday … 6 = Saturday; 1970-01-01 was a Thursday. */
function weekdayOfIndex(index: number): number {
  return (((index + 4) % 7) + 7) % 7;
}

function shanghaiDayIndex(ms: number): number {
  return Math.floor((ms + SHANGHAI_OFFSET_MS) / DAY_MS);
}

/** UTC milliseconds of local midnight (Shanghai) starting the given day. */
function dayStartMs(index: number): number {
  return index * DAY_MS - SHANGHAI_OFFSET_MS;
}

function checkDate(d: Date, name: string): number {
  if (!(d instanceof Date)) throw new TypeError(`${name}: not a Date`);
  const t = d.getTime();
  if (!Number.isFinite(t)) throw new RangeError(`${name}: invalid Date`);
  return t;
}

function checkMinutes(minutes: number): number {
  if (typeof minutes !== 'number' || !Number.isFinite(minutes) || minutes < 0) {
    throw new RangeError(`minutes: must be a finite number >= 0, got ${String(minutes)}`);
  }
  return minutes;
}

/** The Shanghai calendar day of an instant, 'YYYY-MM-DD'. */
export function shanghaiDay(d: Date): string {
  const t = checkDate(d, 'date');
  return formatDayIndex(shanghaiDayIndex(t));
}

function parseTimeOfDay(s: unknown, field: string): number {
  const m = typeof s === 'string' ? TIME_RE.exec(s) : null;
  if (!m) throw new Error(`${field}: expected 'HH:MM'`);
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (min > 59 || h > 24 || (h === 24 && min !== 0)) throw new Error(`${field}: not a time of day`);
  return (h * 60 + min) * MINUTE_MS;
}

function parsePeriods(periods: [string, string][]): [number, number][] {
  if (!Array.isArray(periods) || periods.length === 0) throw new Error('periods: at least one working period is required');
  const out: [number, number][] = [];
  periods.forEach((p, i) => {
    if (!Array.isArray(p) || p.length !== 2) throw new Error(`periods.${i}: expected ['HH:MM', 'HH:MM']`);
    const start = parseTimeOfDay(p[0], `periods.${i}.0`);
    const end = parseTimeOfDay(p[1], `periods.${i}.1`);
    if (end <= start) throw new Error(`periods.${i}: end must be after start`);
    const prev = out[out.length - 1];
    if (prev && start < prev[1]) throw new Error(`periods.${i}: overlaps or precedes periods.${i - 1}`);
    out.push([start, end]);
  });
  return out;
}

/**
 * Checks one year's arrangement (e.g. entered by an administrator) and returns a clean copy.
 * Throws an Error whose message starts with the offending field: 'year: …', 'holidays.3: …',
 * 'workdays.0: …'.
 */
export function validateCalendarYear(input: unknown): CalendarYear {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new Error('calendar year: expected an object { year, holidays, workdays }');
  }
  const o = input as Record<string, unknown>;
  const year = o.year;
  if (typeof year !== 'number' || !Number.isInteger(year) || year < 1970 || year > 9999) {
    throw new Error('year: expected an integer year between 1970 and 9999');
  }
  const readList = (field: 'holidays' | 'workdays'): { days: string[]; index: number[] } => {
    const raw = o[field];
    if (!Array.isArray(raw)) throw new Error(`${field}: expected an array of 'YYYY-MM-DD' strings`);
    const seen = new Map<number, number>();
    const days: string[] = [];
    const index: number[] = [];
    raw.forEach((v, i) => {
      const where = `${field}.${i}`;
      if (typeof v !== 'string') throw new Error(`${where}: expected a 'YYYY-MM-DD' string`);
      const idx = parseDay(v);
      if (idx === null) throw new Error(`${where}: '${v}' is not a valid 'YYYY-MM-DD' date`);
      if (Number(v.slice(0, 4)) !== year) throw new Error(`${where}: ${v} is not a date of ${year}`);
      const dup = seen.get(idx);
      if (dup !== undefined) throw new Error(`${where}: ${v} repeats ${field}.${dup}`);
      seen.set(idx, i);
      days.push(v);
      index.push(idx);
    });
    return { days, index };
  };
  const holidays = readList('holidays');
  const workdays = readList('workdays');
  const holidaySet = new Set(holidays.index);
  workdays.index.forEach((idx, i) => {
    const day = workdays.days[i];
    const wd = weekdayOfIndex(idx);
    if (wd !== 0 && wd !== 6) throw new Error(`workdays.${i}: ${day} is not a Saturday or Sunday`);
    if (holidaySet.has(idx)) {
      throw new Error(`workdays.${i}: ${day} is also listed as a holiday (holidays.${holidays.index.indexOf(idx)})`);
    }
  });
  return { year, holidays: holidays.days, workdays: workdays.days };
}

export class WorkCalendar {
  private readonly holidays = new Set<number>();
  private readonly workdays = new Set<number>();
  private readonly years = new Set<number>();
  /** Working periods as [start, end) offsets in ms from local midnight. */
  private readonly periods: [number, number][];

  constructor(years: CalendarYear[], periods: [string, string][] = DEFAULT_WORKING_PERIODS) {
    if (!Array.isArray(years)) throw new Error('years: expected an array of calendar years');
    years.forEach((raw, i) => {
      let y: CalendarYear;
      try {
        y = validateCalendarYear(raw);
      } catch (e) {
        const msg = (e as Error).message;
        throw new Error(msg.startsWith('calendar year:') ? `years.${i}${msg.slice('calendar year'.length)}` : `years.${i}.${msg}`);
      }
      if (this.years.has(y.year)) throw new Error(`years.${i}.year: ${y.year} is listed twice`);
      this.years.add(y.year);
      for (const d of y.holidays) this.holidays.add(parseDay(d)!);
      for (const d of y.workdays) this.workdays.add(parseDay(d)!);
    });
    this.periods = parsePeriods(periods);
  }

  covers(year: number): boolean {
    return this.years.has(year);
  }

  isWorkingDay(day: string): boolean {
    const idx = parseDay(day);
    if (idx === null) throw new RangeError(`day: '${day}' is not a valid 'YYYY-MM-DD' date`);
    return this.isWorkingDayIndex(idx);
  }

  private isWorkingDayIndex(idx: number): boolean {
    if (this.holidays.has(idx)) return false;
    if (this.workdays.has(idx)) return true;
    const wd = weekdayOfIndex(idx);
    return wd !== 0 && wd !== 6;
  }

  /**
   * The earliest instant t ≥ start such that the working time in [start, t] is `minutes`.
   * So a start outside working time counts from the next working period, a result may be the
   * exact end of a period (12:00, not 13:30), and 0 minutes gives `start` itself.
   */
  addWorkingMinutes(start: Date, minutes: number): Date {
    const t0 = checkDate(start, 'start');
    let remaining = Math.round(checkMinutes(minutes) * MINUTE_MS); // millisecond resolution
    if (remaining === 0) return new Date(t0);
    const first = shanghaiDayIndex(t0);
    for (let day = first; day <= first + MAX_ADD_SCAN_DAYS; day++) {
      if (!this.isWorkingDayIndex(day)) continue;
      const base = dayStartMs(day);
      for (const [ps, pe] of this.periods) {
        const s = Math.max(base + ps, t0);
        const e = base + pe;
        if (e <= s) continue;
        const avail = e - s;
        if (remaining <= avail) return new Date(s + remaining);
        remaining -= avail;
      }
    }
    throw new RangeError(`minutes: ${minutes} working minutes reach beyond ${MAX_ADD_SCAN_DAYS} days after ${start.toISOString()}`);
  }

  /**
   * Working minutes in [a, b] (0 if b <= a). Exact: fractional when a or b is not on a whole
   * minute. For any start and m ≥ 0, workingMinutesBetween(start, addWorkingMinutes(start, m)) === m.
   */
  workingMinutesBetween(a: Date, b: Date): number {
    const ta = checkDate(a, 'a');
    const tb = checkDate(b, 'b');
    if (tb <= ta) return 0;
    const first = shanghaiDayIndex(ta);
    const last = shanghaiDayIndex(tb);
    if (last - first > MAX_SPAN_DAYS) {
      throw new RangeError(`b: span of ${last - first} days exceeds the ${MAX_SPAN_DAYS}-day limit`);
    }
    let total = 0;
    for (let day = first; day <= last; day++) {
      if (!this.isWorkingDayIndex(day)) continue;
      const base = dayStartMs(day);
      for (const [ps, pe] of this.periods) {
        const s = Math.max(base + ps, ta);
        const e = Math.min(base + pe, tb);
        if (e > s) total += e - s;
      }
    }
    return total / MINUTE_MS;
  }
}

/** `start` plus `minutes` in the given mode (natural: clock minutes; working: see addWorkingMinutes). */
export function addMinutes(cal: WorkCalendar, start: Date, minutes: number, mode: TimeMode): Date {
  if (mode === 'working') return cal.addWorkingMinutes(start, minutes);
  if (mode === 'natural') return new Date(checkDate(start, 'start') + Math.round(checkMinutes(minutes) * MINUTE_MS));
  throw new RangeError(`mode: unknown time mode '${String(mode)}'`);
}

/** Minutes from a to b in the given mode; 0 if b <= a. */
export function minutesBetween(cal: WorkCalendar, a: Date, b: Date, mode: TimeMode): number {
  if (mode === 'working') return cal.workingMinutesBetween(a, b);
  if (mode === 'natural') {
    const ta = checkDate(a, 'a');
    const tb = checkDate(b, 'b');
    return tb <= ta ? 0 : (tb - ta) / MINUTE_MS;
  }
  throw new RangeError(`mode: unknown time mode '${String(mode)}'`);
}

/** Every day from `from` to `to` inclusive ('YYYY-MM-DD'). */
function range(from: string, to: string): string[] {
  const a = parseDay(from);
  const b = parseDay(to);
  if (a === null || b === null || b < a) throw new Error(`bad range ${from}..${to}`);
  const out: string[] = [];
  for (let i = a; i <= b; i++) out.push(formatDayIndex(i));
  return out;
}

/**
 * Official arrangements, transcribed from the State Council General Office notices (full texts
 * as published by Xinhua / 人民日报 / 光明网), checked against the weekday annotations in the
 * notices and against the statutory count: Mon–Fri holidays minus 调休 workdays equals the
 * statutory holidays (11 in 2024; 13 from 2025 on, after the November 2024 revision of
 * 《全国年节及纪念日放假办法》).
 *
 * - 2024: 国务院办公厅关于2024年部分节假日安排的通知, 国办发明电〔2023〕7号, 2023-10-25.
 * - 2025: 国务院办公厅关于2025年部分节假日安排的通知, 国办发明电〔2024〕12号, 2024-11-12.
 * - 2026: 国务院办公厅关于2026年部分节假日安排的通知, 2025-11-04.
 *
 * Holiday periods are listed in full (weekend days inside included). 2024-02-09 (除夕) was only
 * "encouraged" as a day off in the 2024 notice, so it is a working day here.
 */
export const OFFICIAL_CALENDAR_YEARS: CalendarYear[] = [
  {
    year: 2024,
    holidays: [
      '2024-01-01', // 元旦: 1月1日放假,与周末连休
      ...range('2024-02-10', '2024-02-17'), // 春节: 2月10日至17日放假调休,共8天
      ...range('2024-04-04', '2024-04-06'), // 清明节: 4月4日至6日放假调休,共3天
      ...range('2024-05-01', '2024-05-05'), // 劳动节: 5月1日至5日放假调休,共5天
      '2024-06-10', // 端午节: 6月10日放假,与周末连休
      ...range('2024-09-15', '2024-09-17'), // 中秋节: 9月15日至17日放假调休,共3天
      ...range('2024-10-01', '2024-10-07'), // 国庆节: 10月1日至7日放假调休,共7天
    ],
    workdays: [
      '2024-02-04', // 春节 (星期日)
      '2024-02-18', // 春节 (星期日)
      '2024-04-07', // 清明节 (星期日)
      '2024-04-28', // 劳动节 (星期日)
      '2024-05-11', // 劳动节 (星期六)
      '2024-09-14', // 中秋节 (星期六)
      '2024-09-29', // 国庆节 (星期日)
      '2024-10-12', // 国庆节 (星期六)
    ],
  },
  {
    year: 2025,
    holidays: [
      '2025-01-01', // 元旦: 1月1日(周三)放假1天,不调休
      ...range('2025-01-28', '2025-02-04'), // 春节: 1月28日(除夕、周二)至2月4日(正月初七、周二),共8天
      ...range('2025-04-04', '2025-04-06'), // 清明节: 4月4日(周五)至6日(周日),共3天
      ...range('2025-05-01', '2025-05-05'), // 劳动节: 5月1日(周四)至5日(周一),共5天
      ...range('2025-05-31', '2025-06-02'), // 端午节: 5月31日(周六)至6月2日(周一),共3天
      ...range('2025-10-01', '2025-10-08'), // 国庆节、中秋节: 10月1日(周三)至8日(周三),共8天
    ],
    workdays: [
      '2025-01-26', // 春节 (周日)
      '2025-02-08', // 春节 (周六)
      '2025-04-27', // 劳动节 (周日)
      '2025-09-28', // 国庆节、中秋节 (周日)
      '2025-10-11', // 国庆节、中秋节 (周六)
    ],
  },
  {
    year: 2026,
    holidays: [
      ...range('2026-01-01', '2026-01-03'), // 元旦: 1月1日(周四)至3日(周六),共3天
      ...range('2026-02-15', '2026-02-23'), // 春节: 2月15日(腊月二十八、周日)至23日(正月初七、周一),共9天
      ...range('2026-04-04', '2026-04-06'), // 清明节: 4月4日(周六)至6日(周一),共3天
      ...range('2026-05-01', '2026-05-05'), // 劳动节: 5月1日(周五)至5日(周二),共5天
      ...range('2026-06-19', '2026-06-21'), // 端午节: 6月19日(周五)至21日(周日),共3天
      ...range('2026-09-25', '2026-09-27'), // 中秋节: 9月25日(周五)至27日(周日),共3天
      ...range('2026-10-01', '2026-10-07'), // 国庆节: 10月1日(周四)至7日(周三),共7天
    ],
    workdays: [
      '2026-01-04', // 元旦 (周日)
      '2026-02-14', // 春节 (周六)
      '2026-02-28', // 春节 (周六)
      '2026-05-09', // 劳动节 (周六)
      '2026-09-20', // 国庆节 (周日)
      '2026-10-10', // 国庆节 (周六)
    ],
  },
];
