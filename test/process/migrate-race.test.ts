/**
 * Processes starting together against one fresh PostgreSQL database (PostgreSQL only):
 *  - two `zhian migrate` processes at the same moment both succeed and apply every
 *    migration exactly once (the advisory lock of migrate());
 *  - two servers (`start --no-build`, demo on) at the same moment both become ready and the
 *    demo district is seeded once (the advisory lock and marker of seedDemo()).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/server/platform/db/database.js';
import { migrate, readMigrations } from '../../src/server/platform/db/migrate.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'zhian.js');
const MIGRATIONS_DIR = path.join(ROOT, 'migrations');
const PG_URL = process.env.TEST_DATABASE_URL || undefined;
/** Fresh databases raced by two migrate processes. */
const MIGRATE_RACES = 3;

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
// PostgreSQL databases of this file
// ---------------------------------------------------------------------------------------

const createdDatabases: string[] = [];

async function withClient<R>(url: string, fn: (c: pg.Client) => Promise<R>): Promise<R> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function freshDatabase(): Promise<string> {
  const name = `zhian_t_${crypto.randomBytes(6).toString('hex')}`;
  await withClient(PG_URL!, (c) => c.query(`create database ${name}`));
  createdDatabases.push(name);
  const u = new URL(PG_URL!);
  u.pathname = `/${name}`;
  return u.toString();
}

afterAll(async () => {
  const running = [...children];
  killAllChildren();
  await Promise.all(running.map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once('close', r)))));
  for (const name of createdDatabases) {
    await withClient(PG_URL!, (c) => c.query(`drop database if exists ${name} with (force)`)).catch(() => undefined);
  }
}, 60_000);

async function readyz(base: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: await res.json() };
}

const count = async (c: pg.Client, text: string, params: unknown[] = []) => Number((await c.query(text, params)).rows[0].n);

describe.skipIf(!PG_URL)('processes racing on one fresh PostgreSQL database', () => {
  it(
    'two `zhian migrate` at once: both exit 0 and each migration is applied once',
    async () => {
      const expected = readMigrations(MIGRATIONS_DIR);
      for (let i = 0; i < MIGRATE_RACES; i++) {
        const url = await freshDatabase();
        const t0 = Date.now();
        const procs = [launch(['migrate'], { DATABASE_URL: url }), launch(['migrate'], { DATABASE_URL: url })];
        const timer = setTimeout(() => procs.forEach((p) => alive(p.child) && p.child.kill('SIGKILL')), 90_000);
        const exits = await Promise.all(procs.map((p) => p.closed));
        clearTimeout(timer);
        console.log(`[migrate-race] race ${i + 1}: both done in ${Date.now() - t0} ms, exits ${JSON.stringify(exits)}`);
        exits.forEach((e, k) => {
          expect(e, `migrate #${k + 1} stderr:\n${procs[k].stderr.join('\n')}`).toEqual({ code: 0, signal: null });
          expect(procs[k].stdout.join('\n')).toContain('database is up to date');
        });
        await withClient(url, async (c) => {
          const rows = (await c.query<{ version: number; name: string; n: string }>(
            'select version, min(name) as name, count(*) as n from schema_migrations group by version order by version',
          )).rows;
          expect(rows.map((r) => ({ version: r.version, name: r.name, n: Number(r.n) }))).toEqual(
            expected.map((m) => ({ version: m.version, name: m.name, n: 1 })),
          );
          // The schema is whole: every table of the migrations is there, and empty.
          expect(await count(c, `select count(*) as n from information_schema.tables where table_schema = 'public' and table_name in ('orgs', 'users', 'audit_log', 'grids', 'addresses')`)).toBe(5);
          expect(await count(c, 'select count(*) as n from orgs')).toBe(0);
        });
      }
    },
    300_000,
  );

  it(
    'two servers at once with the demo: both ready, the demo district seeded once',
    async () => {
      const url = await freshDatabase();
      const vars = { DATABASE_URL: url, ZHIAN_DEMO: 'true', PORT: '0', HOST: '127.0.0.1' };
      const t0 = Date.now();
      const procs = [launch(['start', '--no-build'], vars), launch(['start', '--no-build'], vars)];
      const listening = /Server listening at (http:\/\/[^"\s]+)/;
      const urls = (await Promise.all(procs.map((p) => p.waitForLine(listening, 150_000)))).map((m) => m[1]);
      console.log(`[migrate-race] both servers listening after ${Date.now() - t0} ms: ${urls.join(', ')}`);
      for (const u of urls) expect(await readyz(u)).toEqual({ status: 200, body: { status: 'ok' } });

      // Exactly one of them seeded, and logged what it seeded.
      const seededLogs = procs.flatMap((p) =>
        p.stdout
          .map((l) => {
            try {
              return JSON.parse(l) as { msg?: string; users?: number; orgs?: number; grids?: number; addresses?: number };
            } catch {
              return null;
            }
          })
          .filter((j) => j?.msg === 'demo district seeded'),
      );
      expect(seededLogs).toHaveLength(1);
      const seeded = seededLogs[0]!;
      // And both applied the migrations only once between them.
      const migrated = procs.filter((p) => p.stdout.some((l) => l.includes('"migrations applied"')));
      expect(migrated).toHaveLength(1);

      await withClient(url, async (c) => {
        expect(await count(c, `select count(*) as n from orgs where code = '330481'`)).toBe(1);
        expect(await count(c, `select count(*) as n from settings where key = 'demo.seeded'`)).toBe(1);
        expect(await count(c, `select count(*) as n from audit_log where action = 'demo.seeded'`)).toBe(1);
        expect(await count(c, 'select count(*) as n from users')).toBe(seeded.users);
        expect(await count(c, 'select count(*) as n from orgs')).toBe(seeded.orgs);
        expect(await count(c, 'select count(*) as n from grids')).toBe(seeded.grids);
        expect(await count(c, 'select count(*) as n from addresses')).toBe(seeded.addresses);
        expect(await count(c, 'select count(*) as n from (select version from schema_migrations group by version having count(*) > 1) d')).toBe(0);
        const marker = (await c.query(`select value from settings where key = 'demo.seeded'`)).rows[0].value;
        expect(marker).toMatchObject({ users: seeded.users, orgs: seeded.orgs });
      });

      // Both serve the same data, and both shut down cleanly.
      for (const u of urls) {
        const res = await fetch(`${u}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'admin', password: 'zhian-demo' }),
          signal: AbortSignal.timeout(30_000),
        });
        expect(res.status).toBe(200);
        await res.arrayBuffer();
      }
      const exits = await Promise.all(procs.map((p) => stopProc(p)));
      expect(exits).toEqual([
        { code: 0, signal: null },
        { code: 0, signal: null },
      ]);
    },
    300_000,
  );
  it(
    'four migrate() calls at once on separate pools (in process): every migration applied once',
    async () => {
      const expected = readMigrations(MIGRATIONS_DIR);
      const url = await freshDatabase();
      const handles = await Promise.all(Array.from({ length: 4 }, () => openDatabase({ databaseUrl: url, poolSize: 2 })));
      try {
        const applied = await Promise.all(handles.map((h) => migrate(h, MIGRATIONS_DIR)));
        // Between them they applied each migration once; the others found nothing to do.
        expect(applied.flat().sort()).toEqual(expected.map((m) => m.name).sort());
        expect(applied.filter((a) => a.length > 0)).toHaveLength(1);
      } finally {
        await Promise.all(handles.map((h) => h.close()));
      }
      await withClient(url, async (c) => {
        expect(await count(c, 'select count(*) as n from schema_migrations')).toBe(expected.length);
      });
    },
    120_000,
  );

  it(
    'a server with DATABASE_POOL_SIZE=1 starts (the migration lock must not hold the only pooled connection)',
    async () => {
      const url = await freshDatabase();
      const p = launch(['start', '--no-build'], { DATABASE_URL: url, DATABASE_POOL_SIZE: '1', ZHIAN_DEMO: 'false', PORT: '0', HOST: '127.0.0.1' });
      try {
        const m = await p.waitForLine(/Server listening at (http:\/\/[^"\s]+)/, 45_000).catch((e: Error) => {
          throw new Error(`the server did not start with DATABASE_POOL_SIZE=1 within 45 s (deadlock on the pool's only connection?)\n${e.message}`);
        });
        expect(await readyz(m[1])).toEqual({ status: 200, body: { status: 'ok' } });
        expect(await stopProc(p)).toEqual({ code: 0, signal: null });
      } finally {
        if (alive(p.child)) p.child.kill('SIGKILL');
      }
    },
    120_000,
  );
});
