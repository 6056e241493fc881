import ExcelJS from 'exceljs';
import { parse as parseCsv } from 'csv-parse/sync';
import type { JobError } from '../../platform/jobs/jobs.js';

/** Columns of an address import file, by header text (Chinese headers; English accepted). */
export const ADDRESS_IMPORT_COLUMNS = {
  county: ['区县', '县市区', 'county'],
  street: ['街道', '街道·镇', '镇街', 'street'],
  community: ['社区', '社区·村', '村社', 'community'],
  estate: ['小区', '小区·自然村', '自然村', 'estate'],
  building: ['楼栋', '幢', 'building'],
  unit: ['单元', 'unit'],
  room: ['户', '室', '房号', 'room'],
  lng: ['经度', 'lng', 'longitude'],
  lat: ['纬度', 'lat', 'latitude'],
  alias: ['别名', 'alias'],
} as const;
export type ImportColumn = keyof typeof ADDRESS_IMPORT_COLUMNS;
const COLUMN_LABEL: Record<ImportColumn, string> = {
  county: '区县',
  street: '街道',
  community: '社区',
  estate: '小区',
  building: '楼栋',
  unit: '单元',
  room: '户',
  lng: '经度',
  lat: '纬度',
  alias: '别名',
};
export function columnLabel(c: ImportColumn): string {
  return COLUMN_LABEL[c];
}

export type ImportRow = { row: number } & Partial<Record<ImportColumn, string>>;

/** Reads the rows of an xlsx or csv file; row numbers are the spreadsheet's (header = 1). */
export async function readImportRows(bytes: Buffer, format: 'xlsx' | 'csv'): Promise<{ rows: ImportRow[]; errors: JobError[] }> {
  let table: string[][];
  if (format === 'csv') {
    const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
    try {
      table = parseCsv(text, { relax_column_count: true, skip_empty_lines: false }) as string[][];
    } catch (e) {
      return { rows: [], errors: [{ row: 0, field: '(file)', message: `not a readable CSV file: ${(e as Error).message}` }] };
    }
  } else {
    const wb = new ExcelJS.Workbook();
    try {
      await wb.xlsx.load(bytes as unknown as ArrayBuffer);
    } catch (e) {
      return { rows: [], errors: [{ row: 0, field: '(file)', message: `not a readable xlsx file: ${(e as Error).message}` }] };
    }
    const ws = wb.worksheets[0];
    table = [];
    ws?.eachRow({ includeEmpty: true }, (row, n) => {
      const values = (row.values as unknown[]).slice(1).map((v) => cellText(v));
      table[n - 1] = values;
    });
    for (let i = 0; i < table.length; i++) table[i] ??= [];
  }
  if (table.length === 0) return { rows: [], errors: [{ row: 0, field: '(file)', message: 'the file is empty' }] };
  const header = table[0].map((h) => String(h ?? '').trim());
  const index: Partial<Record<ImportColumn, number>> = {};
  for (const [col, names] of Object.entries(ADDRESS_IMPORT_COLUMNS) as [ImportColumn, readonly string[]][]) {
    const i = header.findIndex((h) => names.some((n) => n.toLowerCase() === h.toLowerCase()));
    if (i >= 0) index[col] = i;
  }
  const errors: JobError[] = [];
  for (const required of ['street', 'community', 'lng', 'lat'] as ImportColumn[]) {
    if (index[required] === undefined) errors.push({ row: 1, field: COLUMN_LABEL[required], message: `missing column ${COLUMN_LABEL[required]}` });
  }
  const rows: ImportRow[] = [];
  for (let r = 1; r < table.length; r++) {
    const cells = table[r];
    if (!cells || cells.every((c) => String(c ?? '').trim() === '')) continue;
    const row: ImportRow = { row: r + 1 };
    for (const [col, i] of Object.entries(index) as [ImportColumn, number][]) {
      const v = String(cells[i] ?? '').trim();
      if (v) row[col] = v;
    }
    rows.push(row);
  }
  return { rows, errors };
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') {
    const o = v as { text?: unknown; result?: unknown; richText?: { text: string }[] };
    if (o.richText) return o.richText.map((t) => t.text).join('');
    if (o.result !== undefined) return String(o.result);
    if (o.text !== undefined) return String(o.text);
  }
  return String(v);
}
