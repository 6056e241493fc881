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
  const fks = await sql<{ child: string; parent: string; child_col: string; parent_col: string; deferrable: boolean }>`
    select cl.relname as child, pl.relname as parent, ca.attname as child_col, pa.attname as parent_col, c.condeferrable as deferrable
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
    // A deferrable key (orgs.head_user_id → users, which reference orgs) is checked at commit
    // of the import, so it does not order the tables and may close a cycle.
    else if (!fk.deferrable && !t.dependsOn.includes(fk.parent)) t.dependsOn.push(fk.parent);
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

function openWriter(file: string) {
  const out = fs.createWriteStream(file);
  const gz = file.endsWith('.gz') ? zlib.createGzip() : null;
  if (gz) gz.pipe(out);
  const stream: NodeJS.WritableStream = gz ?? out;
  let failure: Error | null = null;
  stream.on('error', (e) => (failure = e));
  out.on('error', (e) => (failure = e));
  return {
    async write(line: string): Promise<void> {
      if (failure) throw failure;
      if (!stream.write(line + '\n')) await new Promise((resolve) => stream.once('drain', resolve));
    },
    /** Ends the stream and waits until the file is on disk. */
    async close(): Promise<void> {
      await new Promise<void>((resolve, reject) => {
        out.once('finish', () => resolve());
        out.once('error', reject);
        stream.end();
      });
      if (failure) throw failure;
    },
  };
}

export interface ExportSummary {
  tables: Record<string, number>;
}

/**
 * Line format (NDJSON): a header {format, version, schemaVersion}; per table a line
 * {table, rows} followed by that many {row} lines; a last line {end: true, tables} so that a
 * cut-off file is recognised. Reads one consistent snapshot (repeatable read).
 */
export async function exportDatabase(db: Kysely<any>, file: string, onProgress?: (table: string, rows: number) => void): Promise<ExportSummary> {
  const out = openWriter(file);
  const summary: ExportSummary = { tables: {} };
  await db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (tx) => {
      const infos = await tables(tx);
      const versions = await sql<{ version: number }>`select max(version) as version from schema_migrations`.execute(tx);
      await out.write(JSON.stringify({ format: FORMAT, version: 2, schemaVersion: versions.rows[0]?.version ?? 0, exportedAt: new Date().toISOString() }));
      for (const t of infos) {
        const rows = await sql<{ r: Record<string, unknown> }>`select to_jsonb(t) as r from ${sql.table(t.name)} t`.execute(tx);
        const ordered = parentsFirst(rows.rows.map((x) => x.r), t.selfRefs);
        await out.write(JSON.stringify({ table: t.name, rows: ordered.length }));
        for (const r of ordered) await out.write(JSON.stringify({ row: r }));
        summary.tables[t.name] = ordered.length;
        onProgress?.(t.name, ordered.length);
      }
      // Sequences that are not a column's own (case numbers) continue where they were.
      const seqs = await sql<{ name: string; value: number | null }>`
        select sequencename as name, last_value as value from pg_sequences where schemaname = 'public' order by sequencename`.execute(tx);
      for (const q of seqs.rows) if (q.value !== null) await out.write(JSON.stringify({ sequence: q.name, value: Number(q.value) }));
      await out.write(JSON.stringify({ end: true, tables: summary.tables }));
    });
  await out.close();
  return summary;
}

/**
 * Loads an export into a database that has the schema but no data; refuses a non-empty
 * one and a file that is cut off or inconsistent. All in one transaction: an error leaves
 * the target as it was.
 */
export async function importDatabase(db: Kysely<any>, file: string, onProgress?: (table: string, rows: number) => void): Promise<ExportSummary> {
  const infos = await tables(db);
  const known = new Set(infos.map((t) => t.name));
  for (const t of infos) {
    const r = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(t.name)}`.execute(db);
    if (Number(r.rows[0].n) > 0) throw new Error(`the target database is not empty: table ${t.name} has rows`);
  }
  const summary: ExportSummary = { tables: {} };
  const versions = await sql<{ version: number }>`select max(version) as version from schema_migrations`.execute(db);
  await db.transaction().execute(async (tx) => {
    await sql`set constraints all deferred`.execute(tx);
    type Header = { format?: string; schemaVersion?: number };
    let header: Header | null = null as Header | null;
    let table: string | null = null;
    let announced = 0;
    let ended = false;
    let batch: unknown[] = [];
    const flush = async () => {
      if (!table || batch.length === 0) return;
      await sql`insert into ${sql.table(table)} select * from jsonb_populate_recordset(null::${sql.table(table)}, ${JSON.stringify(batch)}::jsonb)`.execute(tx);
      summary.tables[table] = (summary.tables[table] ?? 0) + batch.length;
      batch = [];
    };
    const closeTable = async () => {
      await flush();
      if (!table) return;
      const got = summary.tables[table] ?? 0;
      if (got !== announced) throw new Error(`table ${table}: the file announces ${announced} rows but holds ${got}`);
      onProgress?.(table, got);
    };
    // The reader is created here, right before it is consumed, so that no line is emitted
    // while nobody listens.
    const input = fs.createReadStream(file);
    const lines = readline.createInterface({ input: file.endsWith('.gz') ? input.pipe(zlib.createGunzip()) : input, crlfDelay: Infinity });
    for await (const line of lines) {
      if (!line.trim()) continue;
      if (ended) throw new Error('the file continues after its end marker');
      let obj: Record<string, unknown>;
      try {
        obj = JSON.parse(line);
      } catch {
        throw new Error(header ? 'the file is damaged: a line is not JSON' : 'not a Zhian export file');
      }
      if (!header) {
        header = obj as Header;
        if (header.format !== FORMAT) throw new Error('not a Zhian export file');
        if ((header.schemaVersion ?? 0) > (versions.rows[0]?.version ?? 0)) throw new Error(`the export has schema version ${header.schemaVersion}; migrate the target first`);
        continue;
      }
      if ('row' in obj) {
        if (!table) throw new Error('the file is damaged: a row before any table');
        batch.push(obj.row);
        if (batch.length >= BATCH) await flush();
      } else if (typeof obj.table === 'string' && typeof obj.rows === 'number') {
        await closeTable();
        if (!known.has(obj.table)) throw new Error(`the target has no table ${obj.table}`);
        table = obj.table;
        announced = obj.rows;
      } else if (typeof obj.sequence === 'string' && typeof obj.value === 'number') {
        await closeTable();
        table = null;
        await sql`select setval(${`public.${obj.sequence}`}::regclass, ${obj.value})`.execute(tx);
      } else if (obj.end === true) {
        await closeTable();
        ended = true;
      } else {
        throw new Error('the file is damaged: an unknown line');
      }
    }
    if (!header) throw new Error('the file is empty');
    if (!ended) throw new Error('the file is cut off: its end marker is missing; nothing was imported');
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
