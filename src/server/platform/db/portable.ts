import fs from 'node:fs';
import readline from 'node:readline';
import zlib from 'node:zlib';
import { sql, type Kysely } from 'kysely';

/**
 * Moves a whole database between PGlite and PostgreSQL: every table of the public schema
 * into one NDJSON file (gzip when the name ends in .gz), and back into an empty database.
 * Rows travel as to_jsonb() and return through jsonb_populate_recordset(), so every column
 * type round-trips exactly; tables load in foreign-key order, self-referencing rows parents first.
 */

const FORMAT = 'zhian-export';
// Bookkeeping that migrations create and triggers maintain; never moved.
const SKIP = new Set(['schema_migrations', 'geo_revision']);
const BATCH = 500;

interface TableInfo {
  name: string;
  /** Tables this one references (other than itself). */
  dependsOn: string[];
  /** [child column, parent column] pairs of foreign keys onto itself. */
  selfRefs: [string, string][];
}

async function tables(db: Kysely<any>): Promise<TableInfo[]> {
  const names = await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`.execute(db);
  const fks = await sql<{ child: string; parent: string; child_col: string; parent_col: string }>`
    select cl.relname as child, pl.relname as parent, ca.attname as child_col, pa.attname as parent_col
    from pg_constraint c
    join pg_class cl on cl.oid = c.conrelid
    join pg_class pl on pl.oid = c.confrelid
    join pg_namespace n on n.oid = cl.relnamespace
    join lateral unnest(c.conkey, c.confkey) as k(ck, pk) on true
    join pg_attribute ca on ca.attrelid = c.conrelid and ca.attnum = k.ck
    join pg_attribute pa on pa.attrelid = c.confrelid and pa.attnum = k.pk
    where c.contype = 'f' and n.nspname = 'public'`.execute(db);
  const infos = new Map<string, TableInfo>();
  for (const { name } of names.rows) if (!SKIP.has(name)) infos.set(name, { name, dependsOn: [], selfRefs: [] });
  for (const fk of fks.rows) {
    const t = infos.get(fk.child);
    if (!t) continue;
    if (fk.child === fk.parent) t.selfRefs.push([fk.child_col, fk.parent_col]);
    else if (!t.dependsOn.includes(fk.parent)) t.dependsOn.push(fk.parent);
  }
  // Topological order: a table after every table it references.
  const ordered: TableInfo[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (t: TableInfo) => {
    if (state.get(t.name) === 'done') return;
    if (state.get(t.name) === 'visiting') throw new Error(`foreign-key cycle through ${t.name}`);
    state.set(t.name, 'visiting');
    for (const d of t.dependsOn) {
      const dep = infos.get(d);
      if (dep) visit(dep);
    }
    state.set(t.name, 'done');
    ordered.push(t);
  };
  for (const t of infos.values()) visit(t);
  return ordered;
}

/** Orders rows so that a row comes after the row its self-reference points to. */
function parentsFirst(rows: Record<string, unknown>[], selfRefs: [string, string][]): Record<string, unknown>[] {
  if (selfRefs.length === 0) return rows;
  const [childCol, parentCol] = selfRefs[0];
  const byKey = new Map(rows.map((r) => [String(r[parentCol]), r]));
  const out: Record<string, unknown>[] = [];
  const placed = new Set<Record<string, unknown>>();
  const place = (r: Record<string, unknown>, depth: number) => {
    if (placed.has(r)) return;
    if (depth > 10_000) throw new Error('self-reference cycle');
    const parentKey = r[childCol];
    const parent = parentKey == null ? undefined : byKey.get(String(parentKey));
    if (parent && parent !== r) place(parent, depth + 1);
    placed.add(r);
    out.push(r);
  };
  for (const r of rows) place(r, 0);
  return out;
}

function openWriter(file: string): NodeJS.WritableStream & { end(cb?: () => void): void } {
  const out = fs.createWriteStream(file);
  if (!file.endsWith('.gz')) return out;
  const gz = zlib.createGzip();
  gz.pipe(out);
  return gz;
}

function write(stream: NodeJS.WritableStream, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (stream.write(line + '\n')) resolve();
    else stream.once('drain', resolve);
    stream.once('error', reject);
  });
}

export interface ExportSummary {
  tables: Record<string, number>;
}

export async function exportDatabase(db: Kysely<any>, file: string, onProgress?: (table: string, rows: number) => void): Promise<ExportSummary> {
  const infos = await tables(db);
  const versions = await sql<{ version: number }>`select max(version) as version from schema_migrations`.execute(db);
  const out = openWriter(file);
  const summary: ExportSummary = { tables: {} };
  await write(out, JSON.stringify({ format: FORMAT, version: 1, schemaVersion: versions.rows[0]?.version ?? 0, exportedAt: new Date().toISOString() }));
  for (const t of infos) {
    const rows = await sql<{ r: Record<string, unknown> }>`select to_jsonb(t) as r from ${sql.table(t.name)} t`.execute(db);
    const ordered = parentsFirst(rows.rows.map((x) => x.r), t.selfRefs);
    await write(out, JSON.stringify({ table: t.name, rows: ordered.length }));
    for (const r of ordered) await write(out, JSON.stringify(r));
    summary.tables[t.name] = ordered.length;
    onProgress?.(t.name, ordered.length);
  }
  await new Promise<void>((resolve) => out.end(resolve));
  if (file.endsWith('.gz')) await new Promise((r) => setTimeout(r, 50));
  return summary;
}

/**
 * Loads an export into a database that has the schema but no data; refuses a non-empty
 * one. All in one transaction: an error leaves the target as it was.
 */
export async function importDatabase(db: Kysely<any>, file: string, onProgress?: (table: string, rows: number) => void): Promise<ExportSummary> {
  const infos = await tables(db);
  const known = new Set(infos.map((t) => t.name));
  for (const t of infos) {
    const r = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(t.name)}`.execute(db);
    if (Number(r.rows[0].n) > 0) throw new Error(`the target database is not empty: table ${t.name} has rows`);
  }
  const input = fs.createReadStream(file);
  const lines = readline.createInterface({ input: file.endsWith('.gz') ? input.pipe(zlib.createGunzip()) : input, crlfDelay: Infinity });
  const summary: ExportSummary = { tables: {} };
  const versions = await sql<{ version: number }>`select max(version) as version from schema_migrations`.execute(db);
  await db.transaction().execute(async (tx) => {
    let header: { format?: string; schemaVersion?: number } | null = null;
    let table: string | null = null;
    let batch: unknown[] = [];
    const flush = async () => {
      if (!table || batch.length === 0) return;
      await sql`insert into ${sql.table(table)} select * from jsonb_populate_recordset(null::${sql.table(table)}, ${JSON.stringify(batch)}::jsonb)`.execute(tx);
      summary.tables[table] = (summary.tables[table] ?? 0) + batch.length;
      batch = [];
    };
    for await (const line of lines) {
      if (!line.trim()) continue;
      const obj = JSON.parse(line);
      if (!header) {
        header = obj;
        if (header?.format !== FORMAT) throw new Error('not a Zhian export file');
        if ((header.schemaVersion ?? 0) > (versions.rows[0]?.version ?? 0)) throw new Error(`the export has schema version ${header.schemaVersion}; migrate the target first`);
        continue;
      }
      if (obj && typeof obj.table === 'string' && typeof obj.rows === 'number' && Object.keys(obj).length === 2) {
        await flush();
        if (table) onProgress?.(table, summary.tables[table] ?? 0);
        if (!known.has(obj.table)) throw new Error(`the target has no table ${obj.table}`);
        table = obj.table;
        continue;
      }
      batch.push(obj);
      if (batch.length >= BATCH) await flush();
    }
    await flush();
    if (table) onProgress?.(table, summary.tables[table] ?? 0);
    // Serial columns continue after the imported ids.
    const serials = await sql<{ table_name: string; column_name: string }>`
      select table_name, column_name from information_schema.columns
      where table_schema = 'public' and column_default like 'nextval(%'`.execute(tx);
    for (const s of serials.rows) {
      await sql`select setval(pg_get_serial_sequence(${s.table_name}, ${s.column_name}), coalesce((select max(${sql.ref(s.column_name)}) from ${sql.table(s.table_name)}), 0) + 1, false)`.execute(tx);
    }
  });
  return summary;
}
