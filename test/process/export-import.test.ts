/**
 * The move from PGlite to PostgreSQL through `zhian export` / `zhian import`.
 *
 * A temporary PGlite directory gets the demo district (`seed --demo`), a user (`user add`)
 * and an API token (`token create`), and is exported to one .ndjson.gz file. The file is
 * imported into a fresh PGlite directory (always) and a fresh PostgreSQL database (when
 * TEST_DATABASE_URL is set). For every table of the public schema (but schema_migrations)
 * the row count and a content checksum must equal the source's; importing into a non-empty
 * database must fail with a clear message; and the token made on PGlite must work against
 * a server started on the copy.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/server/platform/db/database.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'zhian.js');
const PG_URL = process.env.TEST_DATABASE_URL || undefined;

const NEW_USER = { username: 'export-check', name: '迁移核对员', password: 'Exp0rt-check-pass' };

// ---------------------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------------------

/** Settings of the parent that must not leak into a child (they would pick its database). */
const INHERITED_SETTINGS = [
  'TEST_DATABASE_URL',
  'DATABASE_URL',
  'DATABASE_POOL_SIZE',
  'ZHIAN_DATA_DIR',
  'ZHIAN_DEMO',
  'ZHIAN_DEMO_SCALE',
  'PORT',
  'HOST',
  'MAP_TILE_URL',
  'MAP_TILE_COORD_SYSTEM',
  'COOKIE_SECURE',
  'TRUST_PROXY',
];

function childEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info', NODE_ENV: 'development' };
  for (const k of INHERITED_SETTINGS) delete env[k];
  return { ...env, ...vars };
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Proc {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  /** Resolves once the process has exited and its output is read. */
  closed: Promise<Exit>;
  waitForLine(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
}

const children = new Set<ChildProcess>();
const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;
function killAllChildren() {
  for (const c of children) if (alive(c)) c.kill('SIGKILL');
}
process.once('exit', killAllChildren);

function launch(args: string[], vars: Record<string, string>): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: childEnv(vars), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const stdout: string[] = [];
  const stderr: string[] = [];
  const lines = new EventEmitter();
  readline.createInterface({ input: child.stdout! }).on('line', (l) => {
    stdout.push(l);
    lines.emit('line', l);
  });
  readline.createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
  const closed = new Promise<Exit>((resolve) => {
    child.once('error', () => resolve({ code: null, signal: null }));
    child.once('close', (code, signal) => {
      children.delete(child);
      lines.emit('closed');
      resolve({ code, signal });
    });
  });
  const waitForLine = (re: RegExp, timeoutMs: number) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      for (const l of stdout) {
        const m = l.match(re);
        if (m) return resolve(m);
      }
      const done = () => {
        clearTimeout(timer);
        lines.off('line', onLine);
        lines.off('closed', onClosed);
      };
      const onLine = (l: string) => {
        const m = l.match(re);
        if (m) {
          done();
          resolve(m);
        }
      };
      const onClosed = () => {
        done();
        reject(new Error(`process exited before ${re}: exit ${child.exitCode}/${child.signalCode}\nstdout:\n${stdout.slice(-20).join('\n')}\nstderr:\n${stderr.slice(-40).join('\n')}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${re}\nstdout:\n${stdout.slice(-20).join('\n')}\nstderr:\n${stderr.slice(-40).join('\n')}`));
      }, timeoutMs);
      lines.on('line', onLine);
      lines.once('closed', onClosed);
    });
  return { child, stdout, stderr, closed, waitForLine };
}

interface Server extends Proc {
  url: string;
  /** Milliseconds from spawn to "Server listening". */
  startMs: number;
}

async function startServer(vars: Record<string, string>, timeoutMs = 120_000): Promise<Server> {
  const t0 = Date.now();
  const p = launch(['start', '--no-build'], { PORT: '0', HOST: '127.0.0.1', ...vars });
  try {
    const m = await p.waitForLine(/Server listening at (http:\/\/[^"\s]+)/, timeoutMs);
    return { ...p, url: m[1], startMs: Date.now() - t0 };
  } catch (e) {
    if (alive(p.child)) p.child.kill('SIGKILL');
    throw e;
  }
}

/** SIGTERM, then SIGKILL when the process has not gone after graceMs. */
async function stopProc(p: Proc, graceMs = 20_000): Promise<Exit> {
  if (alive(p.child)) p.child.kill('SIGTERM');
  const timer = setTimeout(() => alive(p.child) && p.child.kill('SIGKILL'), graceMs);
  try {
    return await p.closed;
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------
// Databases and files of this file
// ---------------------------------------------------------------------------------------

const createdDatabases: string[] = [];
const tempDirs: string[] = [];

function tempDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}

async function adminQuery(text: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

async function freshDatabase(): Promise<string> {
  const name = `zhian_t_${crypto.randomBytes(6).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  createdDatabases.push(name);
  const u = new URL(PG_URL!);
  u.pathname = `/${name}`;
  return u.toString();
}

afterAll(async () => {
  const running = [...children];
  killAllChildren();
  await Promise.all(running.map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once('close', r)))));
  for (const name of createdDatabases) await adminQuery(`drop database if exists ${name} with (force)`).catch(() => undefined);
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
}, 60_000);

/** Where a database lives, as the CLI's environment says it. */
type Target = { ZHIAN_DATA_DIR: string } | { DATABASE_URL: string };

interface CliResult extends Exit {
  stdout: string;
  stderr: string;
  ms: number;
}

async function cli(args: string[], target: Target, timeoutMs = 180_000): Promise<CliResult> {
  const t0 = Date.now();
  const p = launch(args, { ...target });
  const timer = setTimeout(() => alive(p.child) && p.child.kill('SIGKILL'), timeoutMs);
  const exit = await p.closed;
  clearTimeout(timer);
  return { ...exit, stdout: p.stdout.join('\n'), stderr: p.stderr.join('\n'), ms: Date.now() - t0 };
}

async function cliOk(args: string[], target: Target, timeoutMs?: number): Promise<CliResult> {
  const r = await cli(args, target, timeoutMs);
  if (r.code !== 0) throw new Error(`zhian ${args.join(' ')} exited ${r.code}/${r.signal}\nstdout:\n${r.stdout.slice(-3000)}\nstderr:\n${r.stderr.slice(-3000)}`);
  return r;
}

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

/** The export file, parsed: header and the row count each table header announces. */
function readExport(file: string): { header: any; tables: Record<string, number>; lines: string[] } {
  const lines = zlib.gunzipSync(fs.readFileSync(file)).toString('utf8').split('\n').filter((l) => l.trim());
  const header = JSON.parse(lines[0]);
  const tables: Record<string, number> = {};
  for (const l of lines.slice(1)) {
    const o = JSON.parse(l);
    if (o && typeof o.table === 'string' && typeof o.rows === 'number' && Object.keys(o).length === 2) tables[o.table] = o.rows;
  }
  return { header, tables, lines };
}

async function http(base: string, method: string, url: string, opts: { bearer?: string; body?: unknown } = {}) {
  const res = await fetch(base + url, {
    method,
    headers: {
      ...(opts.bearer ? { authorization: `Bearer ${opts.bearer}` } : {}),
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let json: any = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, json, text };
}

// ---------------------------------------------------------------------------------------
// The scenario
// ---------------------------------------------------------------------------------------

describe('export from PGlite and import into an empty database', () => {
  const source: Target = { ZHIAN_DATA_DIR: '' };
  let exportFile = '';
  let token = '';
  let before: Snapshot = {};
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
    expect(exp.stdout).toMatch(/exported \d+ rows/);
    exportStderr = exp.stderr;
    before = await snapshot(source);
  }, 300_000);

  it('the export file has every table with the source row counts', () => {
    const { header, tables } = readExport(exportFile);
    expect(header).toMatchObject({ format: 'zhian-export', version: 1 });
    expect(header.schemaVersion).toBeGreaterThanOrEqual(1);
    const counts = Object.fromEntries(Object.entries(before).map(([t, s]) => [t, s.rows]));
    expect(tables).toEqual(counts);
    expect(before.users.rows).toBeGreaterThan(1);
    expect(before.api_tokens.rows).toBe(1);
    expect(before.addresses.rows).toBeGreaterThan(1000);
    // The clear text token is nowhere in the file; its hash is.
    expect(zlib.gunzipSync(fs.readFileSync(exportFile)).toString('utf8')).not.toContain(token);
  });

  it('export writes nothing to stderr (no warnings such as an event-listener leak)', () => {
    expect(exportStderr).toBe('');
  });

  async function importAndCheck(label: string, target: Target) {
    const imp = await cliOk(['import', exportFile], target, 240_000);
    expect(imp.stdout).toMatch(/imported \d+ rows/);
    const after = await snapshot(target);
    const rowsTotal = Object.values(after).reduce((a, s) => a + s.rows, 0);
    console.log(`[export-import] ${label}: import ${imp.ms} ms, ${Object.keys(after).length} tables, ${rowsTotal} rows`);
    // Same tables, same counts, same contents.
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    const diff = Object.keys(before).filter((t) => after[t].rows !== before[t].rows || after[t].md5 !== before[t].md5);
    expect(diff.map((t) => ({ table: t, source: before[t], target: after[t] }))).toEqual([]);

    // A second import into the now non-empty database is refused, clearly, and changes nothing.
    const again = await cli(['import', exportFile], target, 240_000);
    expect(again.code).not.toBe(0);
    expect(again.code).not.toBeNull();
    expect(again.stderr).toMatch(/not empty/);
    expect(await snapshot(target)).toEqual(after);

    // The token made on PGlite works against a server on the copy; so does the new user's password.
    const server = await startServer({ ...target, ZHIAN_DEMO: 'false' });
    try {
      const me = await http(server.url, 'GET', '/api/v1/auth/me', { bearer: token });
      expect(me.status, me.text).toBe(200);
      expect(me.json.user.username).toBe('admin');
      expect((await http(server.url, 'GET', '/api/v1/auth/me', { bearer: `${token}x` })).status).toBe(401);
      const orgs = await http(server.url, 'GET', '/api/v1/orgs', { bearer: token });
      expect(orgs.status).toBe(200);
      expect(orgs.json.items).toHaveLength(before.orgs.rows);
      const login = await http(server.url, 'POST', '/api/v1/auth/login', { body: { username: NEW_USER.username, password: NEW_USER.password } });
      expect(login.status, login.text).toBe(200);
      expect(login.json.user.roles.sort()).toEqual(['admin', 'auditor']);
      // Serial ids continue after the imported ones: new audit rows (bigserial) can be written.
      const street = orgs.json.items.find((o: { kind: string }) => o.kind === 'street');
      const created = await http(server.url, 'POST', '/api/v1/orgs', {
        bearer: token,
        body: { parentId: street.id, kind: 'community', code: `IMPORTED-${label}`, name: '迁移后社区' },
      });
      expect(created.status, created.text).toBe(201);
      const audit = await http(server.url, 'GET', `/api/v1/audit?targetId=${created.json.id}`, { bearer: token });
      expect(audit.json.items.map((a: { action: string }) => a.action)).toEqual(['org.created']);
      expect(await stopProc(server)).toEqual({ code: 0, signal: null });
    } finally {
      if (alive(server.child)) server.child.kill('SIGKILL');
    }
  }

  it('into a fresh PGlite directory: same rows and checksums; non-empty refused; the token works', async () => {
    await importAndCheck('PGlite', { ZHIAN_DATA_DIR: path.join(tempDir('zhian-export-dst-'), 'data') });
  }, 300_000);

  it.skipIf(!PG_URL)('into a fresh PostgreSQL database: same rows and checksums; non-empty refused; the token works', async () => {
    await importAndCheck('PostgreSQL', { DATABASE_URL: await freshDatabase() });
  }, 300_000);

  it('an export cut short at a line boundary is refused and leaves the target empty', async () => {
    // As after a full disk or an interrupted copy: the last rows of the last table are gone.
    const { lines } = readExport(exportFile);
    const cut = path.join(tempDir('zhian-export-cut-'), 'cut.ndjson.gz');
    fs.writeFileSync(cut, zlib.gzipSync(lines.slice(0, lines.length - 10).join('\n') + '\n'));
    const target: Target = PG_URL ? { DATABASE_URL: await freshDatabase() } : { ZHIAN_DATA_DIR: path.join(tempDir('zhian-export-cut-dst-'), 'data') };
    const r = await cli(['import', cut], target, 240_000);
    const after = await snapshot(target);
    const rows = Object.values(after).reduce((a, s) => a + s.rows, 0);
    console.log(`[export-import] truncated export: import exit ${r.code}, rows in target afterwards ${rows}`);
    expect(r.code, `import of a truncated export succeeded:\n${r.stdout.slice(-500)}`).not.toBe(0);
    expect(rows).toBe(0);
  }, 300_000);

  it('an export whose gzip stream is cut short is refused and leaves the target empty', async () => {
    const bytes = fs.readFileSync(exportFile);
    const cut = path.join(tempDir('zhian-export-gzcut-'), 'cut.ndjson.gz');
    fs.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.9)));
    const target: Target = PG_URL ? { DATABASE_URL: await freshDatabase() } : { ZHIAN_DATA_DIR: path.join(tempDir('zhian-export-gzcut-dst-'), 'data') };
    const r = await cli(['import', cut], target, 120_000);
    const after = await snapshot(target);
    const rows = Object.values(after).reduce((a, s) => a + s.rows, 0);
    console.log(`[export-import] cut gzip stream: import exit ${r.code}/${r.signal} in ${r.ms} ms, rows in target afterwards ${rows}`);
    expect(r.signal, 'import hung on a cut gzip stream').toBeNull();
    expect(r.code).not.toBe(0);
    expect(rows).toBe(0);
  }, 300_000);
});
