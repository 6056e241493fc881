/**
 * The move from PGlite to PostgreSQL through `zhian export` / `zhian import`.
 *
 * A temporary PGlite directory gets the demo district (`seed --demo`), a user (`user add`)
 * and an API token (`token create`), and is exported to one .ndjson.gz file. The file is
 * imported into a fresh PGlite directory (always) and a fresh PostgreSQL database (when
 * TEST_DATABASE_URL is set). For every table of the public schema (but schema_migrations)
 * the row count and a content checksum must equal the source's; importing into a non-empty
 * database must fail with a clear message; and the token made on PGlite must work against
 * a server started on the copy. A cut-off file (rows or only its end marker missing, or a
 * cut gzip stream) is refused and imports nothing.
 *
 * File format (version 2): a header line {format, version, schemaVersion, exportedAt}; per
 * table {table, rows} followed by that many {"row": {...}} lines; last {end: true, tables}.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/server/platform/db/database.js';
import { migrate, readMigrations } from '../../src/server/platform/db/migrate.js';
import { importDatabase } from '../../src/server/platform/db/portable.js';
import { adminQuery, cleanup, cli, cliOk, freshDatabase, MIGRATIONS_DIR, PG_URL, request, startServer, stopProc, tempDir } from './support.js';

/**
 * Tables an export deliberately leaves out (bookkeeping that migrations create and triggers
 * maintain); compared by row count only. Any other table must travel and match exactly.
 */
const NOT_EXPORTED = new Set(['geo_revision']);
const NEW_USER = { username: 'export-check', name: '迁移核对员', password: 'Exp0rt-check-pass' };
/** The schema version of this checkout: the highest migration. */
const SCHEMA_VERSION = Math.max(...readMigrations(MIGRATIONS_DIR).map((m) => m.version));
/** What importDatabase() says about a file without its end marker. */
const CUT_OFF = 'the file is cut off: its end marker is missing; nothing was imported';

afterAll(cleanup, 60_000);

/** Where a database lives, as the CLI's environment says it. */
type Target = { ZHIAN_DATA_DIR: string } | { DATABASE_URL: string };

type Snapshot = Record<string, { rows: number; md5: string }>;

/**
 * Row count and content checksum of every table of the public schema but schema_migrations.
 * Time zone and collation are pinned so that both engines print and sort rows alike.
 */
async function snapshot(target: Target): Promise<Snapshot> {
  const handle = await openDatabase<any>('DATABASE_URL' in target ? { databaseUrl: target.DATABASE_URL, poolSize: 1 } : { dataDir: target.ZHIAN_DATA_DIR });
  try {
    await sql`set time zone 'UTC'`.execute(handle.db);
    const tables = await sql<{ name: string }>`
      select table_name as name from information_schema.tables
      where table_schema = 'public' and table_type = 'BASE TABLE' and table_name <> 'schema_migrations'
      order by table_name`.execute(handle.db);
    const out: Snapshot = {};
    for (const { name } of tables.rows) {
      const r = await sql<{ n: number; md5: string }>`
        select count(*)::int as n,
               md5(coalesce(string_agg(to_jsonb(t)::text, '' order by to_jsonb(t)::text collate "C"), '')) as md5
        from ${sql.table(name)} t`.execute(handle.db);
      out[name] = { rows: Number(r.rows[0].n), md5: r.rows[0].md5 };
    }
    return out;
  } finally {
    await handle.close();
  }
}

/** The export file, parsed line by line (format version 2). */
interface ExportFile {
  lines: string[];
  header: any;
  /** Row count each table line announces, in file order. */
  announced: Record<string, number>;
  /** {"row": …} lines that follow each table line. */
  held: Record<string, number>;
  /** The last line when it is the end marker, else null. */
  end: any;
  /** Lines that are none of the above, or come before a table or after the end marker. */
  stray: string[];
  /** Sequences (not owned by a column) and where they stood. */
  sequences: Record<string, number>;
}

function readExport(file: string): ExportFile {
  const lines = zlib.gunzipSync(fs.readFileSync(file)).toString('utf8').split('\n').filter((l) => l.trim());
  const out: ExportFile = { lines, header: JSON.parse(lines[0]), announced: {}, held: {}, end: null, stray: [], sequences: {} };
  let table: string | null = null;
  for (const l of lines.slice(1)) {
    const o = JSON.parse(l);
    if (out.end) out.stray.push(l);
    else if (o && 'row' in o && Object.keys(o).length === 1 && table) out.held[table]++;
    else if (o && typeof o.table === 'string' && typeof o.rows === 'number' && Object.keys(o).length === 2) {
      table = o.table as string;
      out.announced[table] = o.rows;
      out.held[table] = 0;
    } else if (o && typeof o.sequence === 'string' && typeof o.value === 'number' && Object.keys(o).length === 2) {
      out.sequences[o.sequence] = o.value;
      table = null;
    } else if (o && o.end === true) out.end = o;
    else out.stray.push(l);
  }
  return out;
}

/** Rows in the tables an export carries (the others are the target's own bookkeeping). */
const exportedRows = (s: Snapshot) => Object.entries(s).reduce((a, [t, x]) => a + (NOT_EXPORTED.has(t) ? 0 : x.rows), 0);

// ---------------------------------------------------------------------------------------
// The scenario
// ---------------------------------------------------------------------------------------

describe('export from PGlite and import into an empty database', () => {
  const source: Target = { ZHIAN_DATA_DIR: '' };
  let exportFile = '';
  let token = '';
  let before: Snapshot = {};
  /** Row counts of the exported tables in the source. */
  let counts: Record<string, number> = {};
  let exportStderr = '';

  beforeAll(async () => {
    source.ZHIAN_DATA_DIR = path.join(tempDir('zhian-export-src-'), 'data');
    const seed = await cliOk(['seed', '--demo'], source);
    expect(seed.stdout).toContain('seeded:');
    const add = await cliOk(
      ['user', 'add', '--username', NEW_USER.username, '--name', NEW_USER.name, '--org', '330481', '--role', 'admin', 'auditor', '--phone', '13700001111', '--password', NEW_USER.password],
      source,
    );
    expect(add.stdout).toContain(`created user ${NEW_USER.username}`);
    const tok = await cliOk(['token', 'create', '--user', 'admin', '--name', 'export-test'], source);
    token = tok.stdout.split('\n').map((l) => l.trim()).filter(Boolean).at(-1)!;
    expect(token.length).toBeGreaterThanOrEqual(20);
    exportFile = path.join(tempDir('zhian-export-file-'), 'zhian.ndjson.gz');
    const exp = await cliOk(['export', exportFile], source);
    console.log(`[export-import] seed ${seed.ms} ms, user add ${add.ms} ms, token ${tok.ms} ms, export ${exp.ms} ms (${fs.statSync(exportFile).size} bytes)`);
    exportStderr = exp.stderr;
    before = await snapshot(source);
    counts = Object.fromEntries(Object.entries(before).filter(([t]) => !NOT_EXPORTED.has(t)).map(([t, s]) => [t, s.rows]));
    expect(exp.stdout).toContain(`exported ${exportedRows(before)} rows`);
  }, 300_000);

  it('the export file: header, every table with the source row counts, its rows, the end marker', () => {
    const file = readExport(exportFile);
    expect(file.header).toMatchObject({ format: 'zhian-export', version: 2, schemaVersion: SCHEMA_VERSION });
    expect(Date.now() - Date.parse(file.header.exportedAt)).toBeLessThan(60 * 60_000);
    expect(file.announced).toEqual(counts);
    expect(file.held, 'row lines after each table line').toEqual(counts);
    expect(file.end, 'the last line is the end marker').toEqual({ end: true, tables: counts });
    expect(file.stray).toEqual([]);
    // Case numbers continue after an import: the sequence travels with the data.
    if (before.reports?.rows) expect(file.sequences.report_number_seq).toBeGreaterThanOrEqual(before.reports.rows);
    expect(before.users.rows).toBeGreaterThan(1);
    expect(before.api_tokens.rows).toBe(1);
    expect(before.addresses.rows).toBeGreaterThan(1000);
    // The clear text token is nowhere in the file; its hash is.
    expect(file.lines.join('\n')).not.toContain(token);
  });

  it('export writes nothing to stderr (no warnings such as an event-listener leak)', () => {
    expect(exportStderr).toBe('');
  });

  async function importAndCheck(label: string, target: Target) {
    const imp = await cliOk(['import', exportFile], target, 240_000);
    // Everything, first time: one progress line per table and the total.
    expect(imp.stdout).toContain(`imported ${exportedRows(before)} rows`);
    for (const [t, n] of Object.entries(counts)) expect(imp.stdout).toContain(`  ${t}: ${n}\n`);
    const after = await snapshot(target);
    console.log(`[export-import] ${label}: import ${imp.ms} ms, ${Object.keys(after).length} tables, ${exportedRows(after)} rows`);
    // Same tables, same counts, same contents.
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    const diff = Object.keys(before).filter((t) => after[t].rows !== before[t].rows || (!NOT_EXPORTED.has(t) && after[t].md5 !== before[t].md5));
    expect(diff.map((t) => ({ table: t, source: before[t], target: after[t] }))).toEqual([]);

    // A second import into the now non-empty database is refused, clearly, and changes nothing.
    const again = await cli(['import', exportFile], target, 240_000);
    expect(again.code).not.toBe(0);
    expect(again.code).not.toBeNull();
    expect(again.stderr).toContain('the target database is not empty');
    expect(await snapshot(target)).toEqual(after);

    // The token made on PGlite works against a server on the copy; so does the new user's password.
    const server = await startServer({ ...target, ZHIAN_DEMO: 'false' });
    const me = await request(server.url, 'GET', '/api/v1/auth/me', { bearer: token });
    expect(me.status, me.text).toBe(200);
    expect(me.json.user.username).toBe('admin');
    expect((await request(server.url, 'GET', '/api/v1/auth/me', { bearer: `${token}x` })).status).toBe(401);
    const orgs = await request(server.url, 'GET', '/api/v1/orgs', { bearer: token });
    expect(orgs.status).toBe(200);
    expect(orgs.json.items).toHaveLength(before.orgs.rows);
    const login = await request(server.url, 'POST', '/api/v1/auth/login', { body: { username: NEW_USER.username, password: NEW_USER.password } });
    expect(login.status, login.text).toBe(200);
    expect(login.json.user.roles.sort()).toEqual(['admin', 'auditor']);
    // Serial ids continue after the imported ones: new audit rows (bigserial) can be written.
    const street = orgs.json.items.find((o: { kind: string }) => o.kind === 'street');
    const created = await request(server.url, 'POST', '/api/v1/orgs', {
      bearer: token,
      body: { parentId: street.id, kind: 'community', code: `IMPORTED-${label}`, name: '迁移后社区' },
    });
    expect(created.status, created.text).toBe(201);
    const audit = await request(server.url, 'GET', `/api/v1/audit?targetId=${created.json.id}`, { bearer: token });
    expect(audit.json.items.map((a: { action: string }) => a.action)).toEqual(['org.created']);
    expect(await stopProc(server)).toEqual({ code: 0, signal: null });
  }

  it('into a fresh PGlite directory: same rows and checksums; non-empty refused; the token works', async () => {
    await importAndCheck('PGlite', { ZHIAN_DATA_DIR: path.join(tempDir('zhian-export-dst-'), 'data') });
  }, 300_000);

  it.skipIf(!PG_URL)('into a fresh PostgreSQL database: same rows and checksums; non-empty refused; the token works', async () => {
    await importAndCheck('PostgreSQL', { DATABASE_URL: await freshDatabase() });
  }, 300_000);

  /** Imports a damaged copy of the export into a fresh PGlite directory; it must fail and leave the target empty. */
  async function importRefused(label: string, bytes: Buffer) {
    const cut = path.join(tempDir('zhian-export-cut-'), 'cut.ndjson.gz');
    fs.writeFileSync(cut, bytes);
    const target: Target = { ZHIAN_DATA_DIR: path.join(tempDir('zhian-export-cut-dst-'), 'data') };
    const r = await cli(['import', cut], target, 120_000);
    const after = await snapshot(target);
    console.log(`[export-import] ${label}: import exit ${r.code}/${r.signal} in ${r.ms} ms, rows in target afterwards ${exportedRows(after)}; ${r.stderr.trim()}`);
    expect(r.signal, `import hung (${label})`).toBeNull();
    expect(r.code, `import succeeded (${label}):\n${r.stdout.slice(-500)}`).toBe(1);
    expect(r.stdout).not.toMatch(/imported \d+ rows/);
    expect(r.stderr).not.toMatch(/not a Zhian export file/);
    // The target got the schema (the import ran against it) and no row.
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    expect(Object.entries(after).filter(([t, s]) => !NOT_EXPORTED.has(t) && s.rows > 0), `stderr: ${r.stderr}`).toEqual([]);
    return r;
  }

  it('an export cut short at a line boundary is refused as cut off and leaves the target empty', async () => {
    // As after a full disk or an interrupted copy: the last rows of the last table are gone …
    const { lines } = readExport(exportFile);
    const tenShort = await importRefused('cut 10 lines short', zlib.gzipSync(lines.slice(0, -10).join('\n') + '\n'));
    expect(tenShort.stderr).toContain(CUT_OFF);
    // … or only the end marker: every row is there, and still nothing is imported.
    const noEnd = await importRefused('end marker missing', zlib.gzipSync(lines.slice(0, -1).join('\n') + '\n'));
    expect(noEnd.stderr).toContain(CUT_OFF);
  }, 300_000);

  it('an export whose gzip stream is cut short is refused and leaves the target empty', async () => {
    const bytes = fs.readFileSync(exportFile);
    const r = await importRefused('cut gzip stream', bytes.subarray(0, Math.floor(bytes.length * 0.9)));
    expect(r.stderr).toMatch(/unexpected end of file|cut off/);
  }, 300_000);
});

/**
 * importDatabase() must read the file from its first line whatever the timing of the
 * database: a small export is imported again and again (in process, each into emptied
 * tables) and must load its one row every time — not "not a Zhian export file", not
 * 0 rows with success, not a hang. Broken small files are refused with their own message
 * and load nothing.
 */
describe('importDatabase reads every line of the file, every time, and refuses broken files', () => {
  const ATTEMPTS = 10;
  const HEADER = { format: 'zhian-export', version: 2, schemaVersion: SCHEMA_VERSION, exportedAt: new Date().toISOString() };
  const PROBE = { key: 'probe', value: { ok: true }, updated_at: '2026-01-01T00:00:00+00:00' };
  const TINY = [HEADER, { table: 'settings', rows: 1 }, { row: PROBE }, { end: true, tables: { settings: 1 } }];
  /** Broken variants of TINY and what importDatabase() must say about each. */
  const BROKEN: [string, object[], string][] = [
    ['empty', [], 'the file is empty'],
    ['no header', TINY.slice(1), 'not a Zhian export file'],
    ['no end marker', TINY.slice(0, -1), CUT_OFF],
    ['fewer rows than announced', [HEADER, { table: 'settings', rows: 2 }, { row: PROBE }, TINY[3]], 'table settings: the file announces 2 rows but holds 1'],
    ['a line after the end marker', [...TINY, { row: PROBE }], 'the file continues after its end marker'],
  ];
  let dir = '';
  const write = (name: string, objects: object[]) => {
    const text = objects.map((o) => JSON.stringify(o) + '\n').join('');
    fs.writeFileSync(path.join(dir, name), text);
    fs.writeFileSync(path.join(dir, `${name}.gz`), zlib.gzipSync(text));
    return path.join(dir, name);
  };
  beforeAll(() => {
    dir = tempDir('zhian-export-tiny-');
  });

  const outcome = (db: Kysely<any>, file: string) => {
    const run = importDatabase(db, file).then(
      (s) => `imported ${s.tables.settings ?? 0}`,
      (e: Error) => `error: ${e.message}`,
    );
    return Promise.race([run, new Promise<string>((r) => setTimeout(() => r('hung (no end after 10 s)'), 10_000))]);
  };

  async function repeatImports(label: string, open: () => Promise<DatabaseHandle<any>>) {
    const handle = await open();
    const tiny = write('tiny.ndjson', TINY);
    const outcomes: string[] = [];
    const refusals: Record<string, string> = {};
    try {
      await migrate(handle, MIGRATIONS_DIR);
      for (let i = 0; i < ATTEMPTS; i++) {
        await sql`delete from settings`.execute(handle.db);
        outcomes.push(await outcome(handle.db, i % 2 ? `${tiny}.gz` : tiny));
        if (outcomes.at(-1)!.startsWith('hung')) break;
      }
      if (outcomes.every((o) => o === 'imported 1')) {
        for (const [name, objects] of BROKEN) {
          const file = write(name.replace(/\W+/g, '-'), objects);
          for (const f of [file, `${file}.gz`]) {
            await sql`delete from settings`.execute(handle.db);
            const o = await outcome(handle.db, f);
            const left = await sql<{ n: number }>`select count(*)::int as n from settings`.execute(handle.db);
            refusals[`${name}${f.endsWith('.gz') ? ' (gzip)' : ''}`] = `${o}; rows left: ${Number(left.rows[0].n)}`;
            if (o.startsWith('hung')) break;
          }
        }
      }
    } finally {
      // A hung import holds the connection inside its transaction; do not wait for it forever.
      await Promise.race([handle.close().catch(() => undefined), new Promise((r) => setTimeout(r, 5_000))]);
    }
    console.log(`[export-import] ${label}, ${ATTEMPTS} imports of a one-row export: ${outcomes.join(' | ')}`);
    expect(outcomes).toEqual(Array.from({ length: ATTEMPTS }, () => 'imported 1'));
    expect(refusals).toEqual(
      Object.fromEntries(BROKEN.flatMap(([name, , message]) => [name, `${name} (gzip)`].map((k) => [k, `error: ${message}; rows left: 0`]))),
    );
  }

  it('on PGlite', async () => {
    await repeatImports('PGlite', () => openDatabase<any>({ dataDir: 'memory://' }));
  }, 120_000);

  it.skipIf(!PG_URL)('on PostgreSQL', async () => {
    const url = await freshDatabase();
    await repeatImports('PostgreSQL', async () => {
      // Our own pool, so that a connection stuck in a hung import can be ended without an
      // unhandled error: every client gets an error listener.
      const pool = new pg.Pool({ connectionString: url, max: 4 });
      pool.on('error', () => undefined);
      pool.on('connect', (c) => c.on('error', () => undefined));
      const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
      return {
        db,
        kind: 'postgres' as const,
        execScript: async (script: string) => void (await pool.query(script)),
        listen: async () => async () => undefined,
        withExclusiveLock: <R>(_key: number, fn: () => Promise<R>) => fn(),
        close: async () => {
          // Ends the connections, also one held by a hung import.
          await adminQuery(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${new URL(url).pathname.slice(1)}' and pid <> pg_backend_pid()`);
          await db.destroy();
        },
      };
    });
  }, 120_000);
});
