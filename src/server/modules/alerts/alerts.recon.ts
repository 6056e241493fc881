import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { parse as parseCsvStream } from 'csv-parse';
import type { Transaction } from 'kysely';
import type { Database, Db } from '../../db.js';
import { recordAudit } from '../../platform/audit/audit.js';
import { publishEvent } from '../../platform/events/events.js';
import { systemContext, type ActorContext } from '../../platform/http/context.js';
import { conflict, invalid, notFound } from '../../platform/http/errors.js';
import type { JobError, Jobs } from '../../platform/jobs/jobs.js';
import { cancelTimers, pendingTimers, scheduleTimer, type TimerHandler, type TimerRow } from '../../platform/jobs/timers.js';
import { requirePermission } from '../core/index.js';
import type { GeoService } from '../geo/index.js';
import { levelFor, LEVELS, reconcileSubjects, validateParams, type Level, type LevelBounds, type ReconFinding, type Step } from './alerts.engine.js';
import * as rules from './alerts.repository.js';
import * as repo from './alerts.recon.repository.js';
import { applySteps, loadRuleStates, type RuleRow, type WarningSubject } from './alerts.warnings.js';

/**
 * Reconciliation (数据比对) of imported registers, monthly and on demand:
 *  - 人来未登记: a person seen entering an address on at least N distinct days in the
 *    window, with no residence registration at that address;
 *  - 一址多企: an address where at least N enterprises are registered.
 * The data arrives as xlsx/csv files (residence registrations, enterprise registrations,
 * access-control entries). People appear only as a keyed hash of their ID number: the
 * raw number is checked, hashed and dropped while the file is read — it is never stored,
 * never put in a job's error report (masked) and never logged.
 */

// ---------------------------------------------------------------- keys and check digits

/**
 * The key under which registers are compared: the address text NFKC-normalised (full-width
 * digits and letters → half-width), without any whitespace, dashes unified, Latin letters
 * upper-case. A trailing 号 / 室 and similar words are kept as written: "5号" and "5" stay
 * different keys, since dropping them would merge distinct places (5号 and 5号楼 …).
 */
export function addressKey(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[\s\u200b-\u200d\ufeff]+/gu, '')
    .replace(/[\u2010-\u2015\u2212\uff0d]/g, '-')
    .toUpperCase();
}

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';

/** The GB 11643-1999 check character of the first 17 digits of a citizen ID number. */
export function idCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * ID_WEIGHTS[i]!;
  return ID_CHECK[sum % 11]!;
}

/** An ID number as people type it (spaces, full-width digits, lower-case x) → 18 characters. */
export function normalizeIdNumber(raw: string): string {
  return raw.normalize('NFKC').replace(/\s+/g, '').toUpperCase();
}

/** Why an ID number is not a valid 18-character citizen ID number (GB 11643), or null. */
export function idNumberProblem(id: string): string | null {
  if (!/^\d{17}[\dX]$/.test(id)) return 'must be 18 characters: 17 digits and a check digit (0-9 or X)';
  const y = Number(id.slice(6, 10));
  const m = Number(id.slice(10, 12));
  const d = Number(id.slice(12, 14));
  const birth = new Date(Date.UTC(y, m - 1, d));
  if (y < 1900 || birth.getUTCMonth() !== m - 1 || birth.getUTCDate() !== d || birth.getTime() > Date.now()) return 'the birth date in it is not a valid date';
  if (idCheckChar(id) !== id[17]) return 'the check digit is wrong (GB 11643)';
  return null;
}

/** 3301**********1234: enough for a person to find the row, not enough to know the number. */
export function maskIdNumber(raw: string): string {
  const s = normalizeIdNumber(raw);
  if (s.length <= 8) return '*'.repeat(s.length);
  return `${s.slice(0, 4)}${'*'.repeat(s.length - 8)}${s.slice(-4)}`;
}

/** Any ID-number-like run of digits in a text, masked (for messages that might quote one). */
export function scrubIdNumbers(text: string): string {
  return text.replace(/\d{14,17}[\dXx]/g, (m) => maskIdNumber(m));
}

/** The pseudonymous person key: HMAC-SHA256 of the normalised ID number, hex. */
export function personKey(secret: string, idNumber: string): string {
  return crypto.createHmac('sha256', secret).update(normalizeIdNumber(idNumber)).digest('hex');
}

const CREDIT_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** The GB 32100-2015 check character of the first 17 characters of a unified social credit code. */
export function creditCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += CREDIT_CHARS.indexOf(first17[i]!) * CREDIT_WEIGHTS[i]!;
  return CREDIT_CHARS[(31 - (sum % 31)) % 31]!;
}

/** Why a unified social credit code is not valid (GB 32100), or null. */
export function creditCodeProblem(code: string): string | null {
  if (!/^[0-9A-HJ-NPQRTUWXY]{18}$/.test(code)) return 'must be 18 characters of 0-9 and A-Y without I, O, S, V, Z';
  if (creditCheckChar(code) !== code[17]) return 'the check character is wrong (GB 32100)';
  return null;
}

// ---------------------------------------------------------------- import files

export const IMPORT_KINDS = ['residents', 'enterprises', 'access'] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];
export const IMPORT_KIND_LABELS: Record<ImportKind, string> = { residents: '居住登记', enterprises: '企业登记', access: '门禁记录' };

type Column = 'idNumber' | 'name' | 'address' | 'registeredOn' | 'creditCode' | 'enterpriseName' | 'enteredAt';

/** Columns by header (Chinese headers; English accepted), first the label used in templates and errors. */
export const IMPORT_COLUMNS: Record<ImportKind, { column: Column; headers: string[]; required: boolean }[]> = {
  residents: [
    { column: 'idNumber', headers: ['身份证号', '身份证号码', '公民身份号码', 'id_number', 'id number'], required: true },
    // Read so that a file with it is accepted, never stored: the register needs no names.
    { column: 'name', headers: ['姓名', 'name'], required: false },
    { column: 'address', headers: ['居住地址', '地址', 'address'], required: true },
    { column: 'registeredOn', headers: ['登记日期', 'registered_on', 'registration date', 'date'], required: false },
  ],
  enterprises: [
    { column: 'creditCode', headers: ['统一社会信用代码', '信用代码', 'credit_code', 'uscc'], required: true },
    { column: 'enterpriseName', headers: ['企业名称', '名称', 'name', 'enterprise_name'], required: true },
    { column: 'address', headers: ['注册地址', '住所', '地址', 'address'], required: true },
  ],
  access: [
    { column: 'idNumber', headers: ['身份证号', '身份证号码', '公民身份号码', 'id_number', 'id number'], required: true },
    { column: 'address', headers: ['门禁地址', '地址', 'address'], required: true },
    { column: 'enteredAt', headers: ['进入时间', '时间', 'entered_at', 'time'], required: true },
  ],
};

function labelOf(kind: ImportKind, column: Column): string {
  return IMPORT_COLUMNS[kind].find((c) => c.column === column)!.headers[0]!;
}

const headerKey = (h: string) => h.normalize('NFKC').trim().toLowerCase().replace(/[\s_-]+/g, '');

/** Rows per file: far above a month of a district's data, and a bound on memory. */
const MAX_ROWS = 2_000_000;
const MAX_TEXT = 200;
const MAX_ERRORS_REPORTED = 1000;
/** Access entries dated further ahead than this are typos (a wrong year), not clock skew. */
const FUTURE_SLACK_MS = 86_400_000;

interface RawRow {
  row: number;
  cells: string[];
  /** Columns whose cell was a number too long to be exact (an ID number typed as a number). */
  inexact?: Set<number>;
}

interface Table {
  header: string[];
  /** Data rows (after the header), in file order; empty rows are skipped. */
  rows: AsyncIterable<RawRow>;
  /** Rows expected, for the progress bar (exact for xlsx, by line count for csv). */
  estimate: number;
}

/** CSV from Excel in China is often GB18030; UTF-8 (with or without BOM) is tried first. */
function decodeText(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    return new TextDecoder('gb18030').decode(bytes);
  }
}

/** A wall-clock time as written, for cells Excel stored as dates (exceljs gives them as UTC). */
function wallClock(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

function cellText(v: unknown): { text: string; inexact: boolean } {
  if (v === null || v === undefined) return { text: '', inexact: false };
  if (v instanceof Date) return { text: wallClock(v), inexact: false };
  if (typeof v === 'number') return { text: String(v), inexact: !Number.isSafeInteger(v) && Math.abs(v) >= 1e15 };
  if (typeof v === 'object') {
    const o = v as { text?: unknown; result?: unknown; richText?: { text: string }[] };
    if (o.richText) return { text: o.richText.map((t) => t.text).join(''), inexact: false };
    if (o.result !== undefined) return cellText(o.result);
    if (o.text !== undefined) return { text: String(o.text), inexact: false };
  }
  return { text: String(v), inexact: false };
}

async function readTable(bytes: Buffer, format: 'xlsx' | 'csv'): Promise<Table | JobError> {
  if (format === 'csv') {
    const text = decodeText(bytes);
    const parser = parseCsvStream({ relax_column_count: true, skip_empty_lines: false, relax_quotes: true });
    Readable.from([text]).pipe(parser);
    const it = parser[Symbol.asyncIterator]();
    let first: IteratorResult<string[]>;
    try {
      first = await it.next();
    } catch (e) {
      return { row: 0, field: '(file)', message: `not a readable CSV file: ${(e as Error).message}` };
    }
    if (first.done) return { row: 0, field: '(file)', message: 'the file is empty' };
    let lines = 0;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
    async function* rows(): AsyncIterable<RawRow> {
      let n = 1;
      for (;;) {
        let r: IteratorResult<string[]>;
        try {
          r = await it.next();
        } catch (e) {
          throw new CsvError(n + 1, (e as Error).message);
        }
        if (r.done) return;
        n++;
        if (r.value.every((c) => !String(c ?? '').trim())) continue;
        yield { row: n, cells: r.value.map((c) => String(c ?? '')) };
      }
    }
    return { header: first.value.map((h) => String(h ?? '')), rows: rows(), estimate: Math.max(0, lines) };
  }
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  } catch (e) {
    return { row: 0, field: '(file)', message: `not a readable xlsx file: ${(e as Error).message}` };
  }
  const ws = wb.worksheets[0];
  if (!ws || ws.rowCount === 0) return { row: 0, field: '(file)', message: 'the file is empty' };
  const header = ((ws.getRow(1).values as unknown[]) ?? []).slice(1).map((v) => cellText(v).text);
  const count = ws.rowCount;
  async function* rows(): AsyncIterable<RawRow> {
    for (let n = 2; n <= count; n++) {
      const values = ((ws!.getRow(n).values as unknown[]) ?? []).slice(1);
      const cells: string[] = [];
      let inexact: Set<number> | undefined;
      values.forEach((v, i) => {
        const c = cellText(v);
        cells[i] = c.text;
        if (c.inexact) (inexact ??= new Set()).add(i);
      });
      for (let i = 0; i < cells.length; i++) cells[i] ??= '';
      if (cells.every((c) => !c.trim())) continue;
      yield { row: n, cells, ...(inexact ? { inexact } : {}) };
    }
  }
  return { header, rows: rows(), estimate: Math.max(0, count - 1) };
}

class CsvError extends Error {
  constructor(
    readonly row: number,
    message: string,
  ) {
    super(message);
  }
}

const DATE_TIME = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * A date-time as written in the file. Without an offset it is Beijing time (Asia/Shanghai,
 * UTC+8, no daylight saving); 'Z' or '+hh:mm' are honoured. Null when it is not one.
 */
export function parseDateTime(text: string): Date | null {
  const m = DATE_TIME.exec(text.normalize('NFKC').trim());
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '0', tz] = m;
  const parts = [Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s)] as const;
  const wall = Date.UTC(parts[0], parts[1] - 1, parts[2], parts[3], parts[4], parts[5], Number(frac.padEnd(3, '0').slice(0, 3)));
  const check = new Date(wall);
  if (check.getUTCFullYear() !== parts[0] || check.getUTCMonth() !== parts[1] - 1 || check.getUTCDate() !== parts[2] || parts[3] > 23 || parts[4] > 59 || parts[5] > 59) return null;
  let offsetMin = 8 * 60;
  if (tz) {
    if (tz.toUpperCase() === 'Z') offsetMin = 0;
    else {
      const t = tz.replace(':', '');
      offsetMin = (t[0] === '-' ? -1 : 1) * (Number(t.slice(1, 3)) * 60 + Number(t.slice(3, 5)));
    }
  }
  return new Date(wall - offsetMin * 60_000);
}

type ParsedRows =
  | { kind: 'residents'; rows: repo.ResidentRow[] }
  | { kind: 'enterprises'; rows: repo.EnterpriseRow[] }
  | { kind: 'access'; rows: repo.AccessRow[] };

/**
 * Reads and checks every row of a file. Rows with errors are reported (row, column, message),
 * never partly taken: the caller imports nothing when there is any error. ID numbers are
 * hashed here and appear in messages only masked.
 */
async function parseImport(
  kind: ImportKind,
  table: Table,
  secret: string,
  onProgress: (rows: number) => void,
): Promise<{ parsed: ParsedRows; rows: number; errors: JobError[]; errorCount: number }> {
  const errors: JobError[] = [];
  let errorCount = 0;
  const report = (e: JobError) => {
    errorCount++;
    if (errors.length < MAX_ERRORS_REPORTED) errors.push({ ...e, message: scrubIdNumbers(e.message) });
  };
  const index = new Map<Column, number>();
  const keys = table.header.map(headerKey);
  for (const c of IMPORT_COLUMNS[kind]) {
    const i = keys.findIndex((h) => h && c.headers.some((name) => headerKey(name) === h));
    if (i >= 0) index.set(c.column, i);
    else if (c.required) report({ row: 1, field: c.headers[0]!, message: `missing column ${c.headers[0]} (the first row must hold the column names)` });
  }
  const residents: repo.ResidentRow[] = [];
  const enterprises = new Map<string, repo.EnterpriseRow>();
  const access: repo.AccessRow[] = [];
  if (errorCount) return { parsed: { kind: 'residents', rows: [] }, rows: 0, errors, errorCount };
  const now = Date.now();
  let rows = 0;
  const label = (c: Column) => labelOf(kind, c);
  try {
    for await (const raw of table.rows) {
      rows++;
      if (rows > MAX_ROWS) {
        report({ row: raw.row, field: '(file)', message: `too many rows: at most ${MAX_ROWS} per file; split the file` });
        break;
      }
      const cell = (c: Column) => {
        const i = index.get(c);
        return i === undefined ? '' : (raw.cells[i] ?? '').trim();
      };
      let bad = false;
      const err = (c: Column, message: string) => {
        bad = true;
        report({ row: raw.row, field: label(c), message });
      };
      let person: string | null = null;
      if (kind !== 'enterprises') {
        const v = cell('idNumber');
        if (!v) err('idNumber', 'required');
        else if (raw.inexact?.has(index.get('idNumber')!)) err('idNumber', `stored as a number, which loses its last digits (${maskIdNumber(v)}): format the column as text`);
        else {
          const id = normalizeIdNumber(v);
          const problem = idNumberProblem(id);
          if (problem) err('idNumber', `${maskIdNumber(id)}: ${problem}`);
          else person = personKey(secret, id);
        }
      }
      const addressText = cell('address').normalize('NFKC').replace(/\s+/g, ' ').trim();
      const key = addressKey(addressText);
      if (!key) err('address', 'required');
      else if (addressText.length > MAX_TEXT) err('address', `at most ${MAX_TEXT} characters`);
      if (kind === 'residents') {
        const v = cell('registeredOn');
        let on: string | null = null;
        if (v) {
          const d = parseDateTime(v);
          if (!d) err('registeredOn', `not a date: ${v.slice(0, 40)} (write it as 2025-03-01)`);
          else on = new Date(d.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
        }
        if (!bad) residents.push({ personKey: person!, addressKey: key, addressText, registeredOn: on });
      } else if (kind === 'access') {
        const v = cell('enteredAt');
        let at: Date | null = null;
        if (!v) err('enteredAt', 'required');
        else {
          at = parseDateTime(v);
          if (!at) err('enteredAt', `not a date and time: ${v.slice(0, 40)} (write it as 2025-03-01 08:30:00, Beijing time)`);
          else if (at.getTime() > now + FUTURE_SLACK_MS) err('enteredAt', `in the future: ${v.slice(0, 40)}`);
        }
        if (!bad) access.push({ personKey: person!, addressKey: key, addressText, enteredAt: at! });
      } else {
        const code = cell('creditCode').normalize('NFKC').replace(/\s+/g, '').toUpperCase();
        if (!code) err('creditCode', 'required');
        else {
          const problem = creditCodeProblem(code);
          if (problem) err('creditCode', `${code}: ${problem}`);
        }
        const name = cell('enterpriseName').normalize('NFKC').replace(/\s+/g, ' ').trim();
        if (!name) err('enterpriseName', 'required');
        else if (name.length > MAX_TEXT) err('enterpriseName', `at most ${MAX_TEXT} characters`);
        // The same enterprise twice in one file: the first row counts, the others are ignored.
        if (!bad && !enterprises.has(code)) enterprises.set(code, { creditCode: code, name, addressKey: key, addressText });
      }
      if (rows % 500 === 0) onProgress(rows);
    }
  } catch (e) {
    if (e instanceof CsvError) report({ row: e.row, field: '(file)', message: `not a readable CSV file: ${e.message}` });
    else throw e;
  }
  if (rows === 0 && !errorCount) report({ row: 0, field: '(file)', message: 'the file has no data rows' });
  const parsed: ParsedRows =
    kind === 'residents' ? { kind, rows: residents } : kind === 'access' ? { kind, rows: access } : { kind, rows: [...enterprises.values()] };
  return { parsed, rows, errors, errorCount };
}

function formatOf(fileName: string, bytes: Buffer): 'xlsx' | 'csv' {
  if (/\.xlsx$/i.test(fileName)) return 'xlsx';
  if (/\.(csv|txt)$/i.test(fileName)) return 'csv';
  // An xlsx file is a zip archive.
  return bytes.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04])) ? 'xlsx' : 'csv';
}

/** An empty workbook with the headers of a kind, its ID column formatted as text. */
export async function importTemplate(kind: ImportKind): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'Zhian 智安';
  const ws = wb.addWorksheet(IMPORT_KIND_LABELS[kind], { views: [{ state: 'frozen', ySplit: 1 }] });
  const cols = IMPORT_COLUMNS[kind];
  ws.columns = cols.map((c) => ({ header: c.headers[0]!, width: c.column === 'address' ? 36 : c.column === 'enterpriseName' ? 30 : 22 }));
  ws.getRow(1).font = { bold: true };
  cols.forEach((c, i) => {
    // Text, so that Excel keeps all 18 characters of an ID number or credit code.
    if (c.column === 'idNumber' || c.column === 'creditCode') ws.getColumn(i + 1).numFmt = '@';
    if (c.required) ws.getRow(1).getCell(i + 1).note = '必填';
  });
  return Buffer.from(await wb.xlsx.writeBuffer());
}

// ---------------------------------------------------------------- rules and schedules

export const RECON_KINDS = ['unregistered_resident', 'multi_enterprise'] as const;
export type ReconKind = (typeof RECON_KINDS)[number];
/** The durable timer of a rule's scheduled runs (subject: the rule). */
export const RECON_TIMER = 'recon.run';
/** A retry of a scheduled run that did not finish (a crash): an hour later, at most 3 times. */
export const RECON_RETRY_TIMER = 'recon.retry';
const RETRY_DELAY_MS = 3_600_000;
const MAX_RETRIES = 3;
export type Schedule = 'monthly' | 'weekly' | 'off';
const BEIJING_MS = 8 * 3_600_000;

/**
 * When a scheduled run is next due after `from`: 02:00 Beijing time on the 1st of the next
 * month (monthly) or on the next Monday (weekly); null when off.
 */
export function nextDue(schedule: Schedule, from: Date): Date | null {
  if (schedule === 'off') return null;
  const local = new Date(from.getTime() + BEIJING_MS);
  if (schedule === 'monthly') return new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth() + 1, 1, 2) - BEIJING_MS);
  const daysToMonday = ((8 - local.getUTCDay()) % 7) || 7;
  const due = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + daysToMonday, 2) - BEIJING_MS);
  // Before 02:00 on a Monday, this Monday's run is still ahead.
  const today = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate(), 2) - BEIJING_MS);
  return local.getUTCDay() === 1 && today > from ? today : due;
}

function scheduleOf(params: Record<string, unknown>): Schedule {
  const s = params.schedule;
  return s === 'weekly' || s === 'off' ? s : 'monthly';
}

interface ReconRuleParams {
  kind: ReconKind;
  windowDays: number;
  levels: LevelBounds;
  /** The lowest bound: seen on N days / N enterprises. */
  min: number;
}

function reconParams(rule: { kind: string; params: Record<string, unknown> }): ReconRuleParams {
  if (!RECON_KINDS.includes(rule.kind as ReconKind)) throw invalid('kind', `not a reconciliation rule (${RECON_KINDS.join(', ')})`);
  const v = validateParams(rule.kind as ReconKind, rule.params);
  if (!v.ok) throw invalid(v.field, v.message);
  const p = v.params as { windowDays?: number; levels: LevelBounds };
  const bounds = LEVELS.map((l) => p.levels[l]).filter((b): b is number => typeof b === 'number');
  return { kind: rule.kind as ReconKind, windowDays: p.windowDays ?? 30, levels: p.levels, min: Math.min(...bounds) };
}

interface Finding extends ReconFinding {
  subjectKey: string;
  addressKey: string;
  addressText: string;
  title: string;
  detail: Record<string, unknown>;
}

/**
 * One text per address key, the same in every warning at that address: of the ways it was
 * written, the shortest (fewest stray spaces), then the first in order.
 */
function addressTexts(rows: Array<{ address_key: string; address_text: string }>): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of rows) {
    const cur = out.get(r.address_key);
    if (cur === undefined || r.address_text.length < cur.length || (r.address_text.length === cur.length && r.address_text < cur)) out.set(r.address_key, r.address_text);
  }
  return out;
}

const cnDate = (d: Date) => new Date(d.getTime() + BEIJING_MS).toISOString().slice(0, 10);
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

// ---------------------------------------------------------------- the service

type AlertRuleRow = NonNullable<Awaited<ReturnType<typeof rules.ruleById>>>;

/** Steps applied per applySteps call: the job's progress moves between them. */
const APPLY_CHUNK = 100;
const PLACE_LEVELS = new Set(['estate', 'building', 'unit', 'room']);
/** Address matches below this confidence do not place a warning (it goes to the district). */
const MIN_MATCH_CONFIDENCE = 0.6;

export function createReconService(deps: {
  db: Db;
  jobs: Jobs;
  geo: GeoService;
  personKeySecret: string;
  onRaised: (warningIds: string[]) => Promise<unknown>;
  log?: (obj: object, msg: string) => void;
}) {
  const { db, jobs, geo } = deps;
  const log = deps.log ?? (() => undefined);
  /** Imports and runs under way in this process (tests and shutdown wait for them). */
  const inFlight = new Set<Promise<unknown>>();
  /** Runs this process is doing: never taken for orphans of a dead process. */
  const myRuns = new Set<string>();
  let orphansChecked: Promise<unknown> | null = null;

  function track<T>(p: Promise<T>): Promise<T> {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p)).catch(() => undefined);
    return p;
  }

  /** The district of the caller: the root of their scope. A system caller names one. */
  function districtOf(ctx: ActorContext, requested?: string | null): string {
    const own = ctx.actor.scopePath.split('/').filter(Boolean)[0];
    if (!own) {
      if (requested) return requested;
      throw invalid('districtId', 'your account is not bound to a district: name one');
    }
    if (requested && requested !== own) throw notFound('district');
    return own;
  }

  function inScope(ctx: ActorContext, districtId: string): boolean {
    const own = ctx.actor.scopePath.split('/').filter(Boolean)[0];
    return !own || own === districtId;
  }

  async function visibleRule(ctx: ActorContext, id: string): Promise<AlertRuleRow> {
    const r = await rules.ruleById(db, id);
    if (!r || !inScope(ctx, r.district_org_id)) throw notFound('rule');
    return r;
  }

  /** Runs left running by a crashed process are failed once per process, before the first run. */
  function checkOrphans() {
    orphansChecked ??= failOrphans().catch((err) => {
      orphansChecked = null;
      log({ err }, 'recon: orphaned runs not checked');
    });
    return orphansChecked;
  }

  /**
   * Marks runs left 'running' by a process that died as failed (and their jobs), so the rule
   * can run again; call at start-up. Runs this process has under way are kept.
   */
  async function failOrphans(): Promise<number> {
    const rows = await repo.failOrphanRuns(db, [...myRuns], 'interrupted by a restart; run it again');
    for (const r of rows) {
      if (r.job_id) await jobs.finish(r.job_id, { status: 'failed', processed: 0, total: 0, errors: [{ row: 0, field: '', message: 'interrupted by a restart' }] });
    }
    if (rows.length) log({ runs: rows.map((r) => r.id) }, 'recon: orphaned runs marked failed');
    return rows.length;
  }

  // ------------------------------------------------------------ imports

  /**
   * Starts an import; returns at once with the job (progress and the row-by-row report at
   * GET /api/v1/jobs/:id) and the id the import will have if it succeeds. A file with any
   * error imports nothing.
   */
  async function startImport(ctx: ActorContext, input: { kind: string; fileName?: string | null; bytes: Buffer; format?: 'xlsx' | 'csv'; districtId?: string | null }) {
    requirePermission(ctx.actor, 'recon.import');
    if (!IMPORT_KINDS.includes(input.kind as ImportKind)) throw invalid('kind', `one of ${IMPORT_KINDS.join(', ')}`);
    const kind = input.kind as ImportKind;
    const districtId = districtOf(ctx, input.districtId);
    if (!(await repo.districtPath(db, districtId))) throw notFound('district');
    if (!input.bytes.length) throw invalid('file', 'the file is empty');
    const fileName = clip((input.fileName ?? '').trim() || `${IMPORT_KIND_LABELS[kind]}.${input.format ?? formatOf('', input.bytes)}`, 200);
    const format = input.format ?? formatOf(fileName, input.bytes);
    const importId = crypto.randomUUID();
    const createdBy = ctx.actor.via === 'system' ? null : ctx.actor.userId;
    const jobId = await jobs.create('recon.import', createdBy, 0);
    const done = track(
      runImport(ctx, { jobId, importId, districtId, kind, fileName, bytes: input.bytes, format, createdBy }).catch(async (err) => {
        log({ err: scrubIdNumbers(String((err as Error)?.message ?? err)), job: jobId }, 'recon: import failed');
        await jobs.finish(jobId, { status: 'failed', processed: 0, total: 0, errors: [{ row: 0, field: '(file)', message: scrubIdNumbers(String((err as Error)?.message ?? err)) }] });
      }),
    );
    return { jobId, importId, done };
  }

  async function runImport(
    ctx: ActorContext,
    a: { jobId: string; importId: string; districtId: string; kind: ImportKind; fileName: string; bytes: Buffer; format: 'xlsx' | 'csv'; createdBy: string | null },
  ) {
    const table = await readTable(a.bytes, a.format);
    if (!('header' in table)) {
      await jobs.finish(a.jobId, { status: 'failed', processed: 0, total: 0, errors: [table] });
      return;
    }
    jobs.progress(a.jobId, 0, table.estimate * 2);
    const { parsed, rows, errors, errorCount } = await parseImport(a.kind, table, deps.personKeySecret, (n) => jobs.progress(a.jobId, n, Math.max(table.estimate, n) * 2));
    if (errorCount) {
      await jobs.finish(a.jobId, { status: 'failed', processed: rows, total: rows, result: { rows, errors: errorCount, imported: 0 }, errors });
      return;
    }
    const total = rows * 2;
    jobs.progress(a.jobId, rows, total);
    const progress = (n: number) => jobs.progress(a.jobId, rows + Math.round((n / Math.max(1, parsed.rows.length)) * rows), total);
    await db.transaction().execute(async (tx) => {
      await repo.insertImport(tx, { id: a.importId, districtId: a.districtId, kind: a.kind, fileName: a.fileName, rows, jobId: a.jobId, createdBy: a.createdBy });
      // Registrations have no end date: a new file of residents adds to those already known.
      const written =
        parsed.kind === 'residents'
          ? await repo.insertResidents(tx, a.districtId, a.importId, parsed.rows, progress)
          : parsed.kind === 'access'
            ? await repo.insertAccess(tx, a.districtId, a.importId, parsed.rows, progress)
            : await repo.upsertEnterprises(tx, a.districtId, a.importId, parsed.rows, progress);
      const result = { importId: a.importId, kind: a.kind, rows, imported: written, ignored: rows - written };
      await recordAudit(tx, ctx, { action: 'recon.imported', targetType: 'recon_import', targetId: a.importId, after: { ...result, fileName: a.fileName, districtId: a.districtId, jobId: a.jobId } });
      await jobs.finish(a.jobId, { status: 'succeeded', processed: total, total, result }, tx);
    });
  }

  async function listImports(ctx: ActorContext, page: { limit: number; offset: number }) {
    requirePermission(ctx.actor, 'alert.read');
    const own = ctx.actor.scopePath.split('/').filter(Boolean)[0];
    if (!own) return { items: [], total: 0 };
    const r = await repo.listImports(db, own, page);
    return {
      total: r.total,
      items: r.items.map((i) => ({
        id: i.id,
        kind: i.kind,
        kindLabel: IMPORT_KIND_LABELS[i.kind],
        fileName: i.file_name,
        rows: i.rows,
        jobId: i.job_id,
        // Only a file without errors becomes an import.
        status: 'succeeded' as const,
        createdBy: i.created_by_name ?? null,
        createdAt: new Date(i.created_at).toISOString(),
      })),
    };
  }

  async function template(ctx: ActorContext, kind: string) {
    requirePermission(ctx.actor, 'recon.import');
    if (!IMPORT_KINDS.includes(kind as ImportKind)) throw notFound('template');
    return { fileName: `${IMPORT_KIND_LABELS[kind as ImportKind]}导入模板.xlsx`, bytes: await importTemplate(kind as ImportKind) };
  }

  // ------------------------------------------------------------ findings

  /** What a rule finds in the district's data as of a time (SQL; nothing written). */
  async function findings(rule: { district_org_id: string; kind: string; params: Record<string, unknown> }, asOf: Date): Promise<Finding[]> {
    const p = reconParams(rule);
    if (p.kind === 'unregistered_resident') {
      const rows = await repo.unregisteredResidents(db, rule.district_org_id, asOf, p.windowDays, p.min);
      const texts = addressTexts(rows);
      return rows.flatMap((r) => {
        const level = levelFor(p.levels, r.days);
        if (!level) return [];
        const addressText = texts.get(r.address_key)!;
        return [
          {
            subjectKey: `u:${r.address_key}|${r.person_key}`,
            addressKey: r.address_key,
            addressText,
            value: r.days,
            level,
            reason: `近${p.windowDays}天内有${r.days}天出现于该地址，无居住登记`,
            title: clip(`人来未登记：${addressText} 近${p.windowDays}天出现${r.days}天，无居住登记`, 200),
            detail: {
              kind: 'unregistered_resident',
              addressText,
              addressKey: r.address_key,
              // The person key shortened: enough to tell people apart, useless to re-identify.
              person: r.person_key.slice(0, 12),
              days: r.days,
              windowDays: p.windowDays,
              firstSeen: cnDate(r.first_at),
              lastSeen: cnDate(r.last_at),
              asOf: asOf.toISOString(),
            },
          },
        ];
      });
    }
    const rows = await repo.multiEnterpriseAddresses(db, rule.district_org_id, p.min);
    return rows.flatMap((r) => {
      const level = levelFor(p.levels, r.enterprises);
      if (!level) return [];
      return [
        {
          subjectKey: `m:${r.address_key}`,
          addressKey: r.address_key,
          addressText: r.address_text,
          value: r.enterprises,
          level,
          reason: `该地址登记企业${r.enterprises}家`,
          title: clip(`一址多企：${r.address_text} 登记企业${r.enterprises}家`, 200),
          detail: { kind: 'multi_enterprise', addressText: r.address_text, addressKey: r.address_key, enterprises: r.enterprises, sampleNames: r.names, asOf: asOf.toISOString() },
        },
      ];
    });
  }

  /** For the rules' dry run: how many subjects the rule finds now, by level (nothing written). */
  async function preview(ctx: ActorContext, rule: { district_org_id: string; kind: string; params: Record<string, unknown> }) {
    requirePermission(ctx.actor, 'alert.read');
    if (!inScope(ctx, rule.district_org_id)) throw notFound('rule');
    const found = await findings(rule, new Date());
    const byLevel: Record<Level, number> = { red: 0, yellow: 0, green: 0 };
    for (const f of found) byLevel[f.level]++;
    return { found: found.length, byLevel };
  }

  /**
   * Where each address is: matched once per distinct address against the address library,
   * then its grid and community (so the grid worker gets the task). Done before the run's
   * transaction opens: the geo module reads with its own connection.
   */
  async function locate(found: Finding[], districtPath: string) {
    const places = new Map<string, Omit<WarningSubject, 'title' | 'detail'>>();
    for (const f of found) {
      if (places.has(f.addressKey)) continue;
      let place: Omit<WarningSubject, 'title' | 'detail'> = { addressText: f.addressText, areaPath: districtPath };
      try {
        const m = await geo.resolveAddress(f.addressText, districtPath);
        // Only a match down to a place (小区·自然村 or finer) says where: a street or community has many grids.
        if (m && m.best.confidence >= MIN_MATCH_CONFIDENCE && PLACE_LEVELS.has(m.best.level)) {
          const p = await geo.placeOfPoint(m.best.lng, m.best.lat);
          if (p && p.communityPath.startsWith(districtPath)) {
            place = { addressText: f.addressText, lng: m.best.lng, lat: m.best.lat, gridId: p.gridId, communityOrgId: p.communityOrgId, areaPath: p.communityPath };
          }
        }
      } catch (err) {
        log({ err }, 'recon: address not located');
      }
      places.set(f.addressKey, place);
    }
    return places;
  }

  // ------------------------------------------------------------ runs

  /**
   * Starts a run of a rule as of a time (default now): a recon_runs row and a job for the
   * progress. 409 while a run of the rule is under way.
   */
  async function startRun(ctx: ActorContext, ruleId: string, input: { asOf?: Date | null; trigger?: 'manual' | 'schedule' } = {}) {
    requirePermission(ctx.actor, 'recon.import');
    const rule = await visibleRule(ctx, ruleId);
    if (!RECON_KINDS.includes(rule.kind as ReconKind)) throw invalid('kind', `only reconciliation rules (${RECON_KINDS.join(', ')}) are run this way`);
    reconParams(rule);
    const asOf = input.asOf ?? new Date();
    if (Number.isNaN(asOf.getTime())) throw invalid('asOf', 'not a date');
    if (asOf.getTime() > Date.now() + 60_000) throw invalid('asOf', 'must not be in the future');
    await checkOrphans();
    const running = await repo.runningRunOf(db, rule.id);
    if (running) throw conflict(`a run of rule ${rule.name} is already under way`, { runId: running.id, jobId: running.job_id });
    const createdBy = ctx.actor.via === 'system' ? null : ctx.actor.userId;
    const trigger = input.trigger ?? 'manual';
    const jobId = await jobs.create('recon.run', createdBy, 0);
    let runId: string;
    try {
      runId = await db.transaction().execute(async (tx) => {
        // The rule's row lock makes "none running → insert" one step across instances.
        await repo.lockRule(tx, rule.id);
        const again = await repo.runningRunOf(tx, rule.id);
        if (again) throw conflict(`a run of rule ${rule.name} is already under way`, { runId: again.id, jobId: again.job_id });
        const id = await repo.insertRun(tx, { ruleId: rule.id, trigger, asOf, jobId, createdBy });
        await recordAudit(tx, ctx, { action: 'recon.run_started', targetType: 'recon_run', targetId: id, after: { ruleId: rule.id, rule: rule.name, trigger, asOf: asOf.toISOString(), jobId } });
        return id;
      });
    } catch (err) {
      await jobs.finish(jobId, { status: 'failed', processed: 0, total: 0, errors: [{ row: 0, field: 'rule', message: String((err as Error)?.message ?? err) }] });
      throw err;
    }
    myRuns.add(runId);
    const done = track(
      execute(ctx, rule, runId, jobId, asOf)
        .catch(async (err) => {
          const message = scrubIdNumbers(String((err as Error)?.message ?? err)).slice(0, 1000);
          log({ err: message, run: runId }, 'recon: run failed');
          await repo.finishRun(db, runId, { status: 'failed', error: message });
          await jobs.finish(jobId, { status: 'failed', processed: 0, total: 0, errors: [{ row: 0, field: 'rule', message }] });
        })
        .finally(() => myRuns.delete(runId)),
    );
    return { runId, jobId, done };
  }

  /**
   * The run: findings by SQL, their places, then in ONE transaction the saved states, the
   * warnings (new, escalated, ended), the run's outcome and the job's — so a crash leaves no
   * half-run, and a re-run raises exactly what is not raised yet (one warning per rule,
   * subject and episode; the saved state knows the active episodes).
   */
  async function execute(ctx: ActorContext, rule: AlertRuleRow, runId: string, jobId: string, asOf: Date) {
    const districtPath = (await repo.districtPath(db, rule.district_org_id)) ?? '/';
    const found = await findings(rule, asOf);
    jobs.progress(jobId, 0, found.length + 1);
    const places = await locate(found, districtPath);
    const byKey = new Map(found.map((f) => [f.subjectKey, f]));
    const ruleRow: RuleRow = {
      id: rule.id,
      district_org_id: rule.district_org_id,
      name: rule.name,
      kind: rule.kind,
      params: rule.params as Record<string, unknown>,
      task_category: rule.task_category,
      enabled: rule.enabled,
    };
    const outcome = await db.transaction().execute(async (tx) => {
      // Runs of one rule apply one after the other, each on the states the previous one saved;
      // the run's own row lock tells a starting instance that this run is alive.
      await repo.lockRule(tx, rule.id);
      await repo.lockRun(tx, runId);
      const prev = await loadRuleStates(tx, rule.id);
      const steps = reconcileSubjects(prev, new Map(found.map((f) => [f.subjectKey, { value: f.value, level: f.level, reason: f.reason }])), asOf);
      // Subjects neither found nor changing (episodes ended long ago) need no write.
      const work: Array<{ subjectKey: string; step: Step; subject: WarningSubject }> = [];
      for (const [subjectKey, step] of steps) {
        const f = byKey.get(subjectKey);
        if (!step.events.length && (!f || step.state === prev.get(subjectKey))) continue;
        const subject: WarningSubject = f
          ? { ...places.get(f.addressKey)!, title: f.title, detail: { ...f.detail, runId } }
          : { title: '', detail: {}, areaPath: districtPath };
        work.push({ subjectKey, step, subject });
      }
      jobs.progress(jobId, 0, work.length + 1);
      let raised: string[] = [];
      let escalated = 0;
      let cleared = 0;
      for (let i = 0; i < work.length; i += APPLY_CHUNK) {
        const r = await applySteps(tx as Transaction<Database>, ruleRow, work.slice(i, i + APPLY_CHUNK));
        raised = raised.concat(r.raised);
        escalated += r.escalated;
        cleared += r.cleared;
        jobs.progress(jobId, Math.min(work.length, i + APPLY_CHUNK), work.length + 1);
      }
      const byLevel: Record<Level, number> = { red: 0, yellow: 0, green: 0 };
      for (const f of found) byLevel[f.level]++;
      const result = { runId, ruleId: rule.id, asOf: asOf.toISOString(), found: found.length, byLevel, raised: raised.length, escalated, ended: cleared };
      await repo.finishRun(tx, runId, { status: 'succeeded', found: found.length, raised: raised.length, ended: cleared });
      // The work of a scheduled run that did not finish is done now: no retry needed.
      await cancelTimers(tx, rule.id, RECON_RETRY_TIMER);
      await recordAudit(tx, ctx, { action: 'recon.run_finished', targetType: 'recon_run', targetId: runId, after: result });
      await publishEvent(tx, { type: 'recon.run_finished', subjectType: 'alert_rule', subjectId: rule.id, orgPaths: [districtPath], data: { runId, rule: rule.name, found: found.length, raised: raised.length, ended: cleared } });
      await jobs.finish(jobId, { status: 'succeeded', processed: work.length + 1, total: work.length + 1, result }, tx);
      return { raised, result };
    });
    if (outcome.raised.length) {
      // Verification tasks are made after the commit; the warnings service's sweep retries what fails here.
      await Promise.resolve(deps.onRaised(outcome.raised)).catch((err) => log({ err, run: runId }, 'recon: verification tasks not created'));
    }
    return outcome.result;
  }

  async function listRuns(ctx: ActorContext, f: { ruleId?: string }, page: { limit: number; offset: number }) {
    requirePermission(ctx.actor, 'alert.read');
    await checkOrphans();
    if (f.ruleId) await visibleRule(ctx, f.ruleId);
    const own = ctx.actor.scopePath.split('/').filter(Boolean)[0] ?? null;
    const r = await repo.listRuns(db, { districtId: own, ruleId: f.ruleId }, page);
    return { total: r.total, items: r.items.map(presentRun) };
  }

  async function getRun(ctx: ActorContext, id: string) {
    requirePermission(ctx.actor, 'alert.read');
    const r = await repo.runById(db, id);
    if (!r) throw notFound('run');
    const rule = await rules.ruleById(db, r.rule_id);
    if (!rule || !inScope(ctx, rule.district_org_id)) throw notFound('run');
    return presentRun({ ...r, rule_name: rule.name, rule_kind: rule.kind, created_by_name: null });
  }

  // ------------------------------------------------------------ schedules

  /**
   * Makes the timers agree with the rules: one pending 'recon.run' per enabled
   * reconciliation rule whose schedule is not off, due at its next slot; none otherwise.
   * Call at start-up (under the start-up lock) and after a rule is created or changed.
   */
  async function ensureSchedules(ruleId?: string): Promise<void> {
    const now = new Date();
    for (const rule of await repo.reconRules(db, ruleId)) {
      const params = rule.params as Record<string, unknown>;
      const due = rule.enabled ? nextDue(scheduleOf(params), now) : null;
      const pending = (await pendingTimers(db, rule.id)).filter((t) => t.kind === RECON_TIMER);
      await db.transaction().execute(async (tx) => {
        if (!due) {
          if (pending.length) await cancelTimers(tx, rule.id, RECON_TIMER);
          return;
        }
        // A timer already due fires soon and reschedules itself; a wrong slot is replaced.
        const right = pending.filter((t) => new Date(t.due_at) <= now || new Date(t.due_at).getTime() === due.getTime());
        if (right.length === 1 && pending.length === 1) return;
        await cancelTimers(tx, rule.id, RECON_TIMER);
        await scheduleTimer(tx, { kind: RECON_TIMER, subjectId: rule.id, dueAt: right.length ? new Date(Math.min(...right.map((t) => new Date(t.due_at).getTime()))) : due });
      });
    }
  }

  /**
   * A scheduled run is due. In the claiming transaction: the next slot (and a retry in case
   * this run never finishes); after the commit: the run, with transactions of its own.
   */
  const onTimer: TimerHandler = async (tx, timer) => {
    const rule = await rules.ruleById(tx, timer.subjectId);
    if (!rule || !rule.enabled || !RECON_KINDS.includes(rule.kind as ReconKind)) return;
    const schedule = scheduleOf(rule.params as Record<string, unknown>);
    const next = nextDue(schedule, new Date(Math.max(timer.dueAt.getTime(), Date.now())));
    if (!next) return;
    const others = (await pendingTimers(tx, rule.id)).filter((t) => t.kind === RECON_TIMER && t.id !== timer.id);
    if (!others.length) await scheduleTimer(tx, { kind: RECON_TIMER, subjectId: rule.id, dueAt: next });
    await cancelTimers(tx, rule.id, RECON_RETRY_TIMER);
    await scheduleTimer(tx, { kind: RECON_RETRY_TIMER, subjectId: rule.id, dueAt: new Date(Date.now() + RETRY_DELAY_MS), payload: { attempt: 1 } });
    return () => runScheduled(rule.id);
  };

  /** A scheduled run that did not finish (the process died, or the run failed): once more. */
  const onRetryTimer: TimerHandler = async (tx, timer: TimerRow) => {
    const rule = await rules.ruleById(tx, timer.subjectId);
    if (!rule || !rule.enabled || !RECON_KINDS.includes(rule.kind as ReconKind)) return;
    const attempt = Number(timer.payload.attempt ?? 1);
    if (attempt < MAX_RETRIES) {
      await scheduleTimer(tx, { kind: RECON_RETRY_TIMER, subjectId: rule.id, dueAt: new Date(Date.now() + RETRY_DELAY_MS), payload: { attempt: attempt + 1 } });
    }
    return () => runScheduled(rule.id);
  };

  async function runScheduled(ruleId: string) {
    try {
      await startRun(systemContext(), ruleId, { trigger: 'schedule' });
    } catch (err) {
      // A run under way (409) does the work already; anything else is retried by the retry timer.
      log({ err, rule: ruleId }, 'recon: scheduled run not started');
    }
  }

  /** Resolves when the imports and runs this process has under way are done. */
  async function idle(): Promise<void> {
    while (inFlight.size) await Promise.allSettled([...inFlight]);
  }

  return {
    startImport,
    listImports,
    template,
    preview,
    startRun,
    listRuns,
    getRun,
    failOrphans,
    ensureSchedules,
    onTimer,
    onRetryTimer,
    idle,
  };
}

function presentRun(r: NonNullable<Awaited<ReturnType<typeof repo.runById>>> & { rule_name: string; rule_kind: string; created_by_name?: string | null }) {
  return {
    id: r.id,
    ruleId: r.rule_id,
    ruleName: r.rule_name,
    kind: r.rule_kind,
    trigger: r.trigger,
    status: r.status,
    asOf: new Date(r.as_of).toISOString(),
    jobId: r.job_id,
    found: r.found,
    raised: r.raised,
    ended: r.ended,
    error: r.error,
    createdBy: r.created_by_name ?? null,
    startedAt: new Date(r.started_at).toISOString(),
    finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
  };
}

export type ReconService = ReturnType<typeof createReconService>;

/** The durable timers of reconciliation: scheduled runs and their retries. */
export function reconTimerHandlers(service: ReconService): Record<string, TimerHandler> {
  return { [RECON_TIMER]: service.onTimer, [RECON_RETRY_TIMER]: service.onRetryTimer };
}

export { registerReconRoutes } from './alerts.recon.routes.js';
