/**
 * Processes starting together against one fresh PostgreSQL database (PostgreSQL only):
 *  - two `zhian migrate` processes at the same moment both succeed and apply every
 *    migration exactly once (the advisory lock of migrate());
 *  - two servers (`start --no-build`, demo on) at the same moment both become ready and the
 *    demo district is seeded once (the advisory lock and marker of seedDemo());
 *  - four migrate() calls in one process on separate pools apply every migration once;
 *  - a server with a pool of one connection migrates, seeds and serves (the advisory lock
 *    lives on a connection of its own).
 */
import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/server/platform/db/database.js';
import { migrate, readMigrations } from '../../src/server/platform/db/migrate.js';
import { cleanup, cli, freshDatabase, getJson, login, MIGRATIONS_DIR, PG_URL, request, startServer, stopProc, withClient } from './support.js';

/** Fresh databases raced by two migrate processes. */
const MIGRATE_RACES = 3;

afterAll(cleanup, 60_000);

async function readyz(base: string): Promise<{ status: number; json: unknown }> {
  const r = await request(base, 'GET', '/readyz');
  return { status: r.status, json: r.json };
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
        const runs = await Promise.all([cli(['migrate'], { DATABASE_URL: url }, 90_000), cli(['migrate'], { DATABASE_URL: url }, 90_000)]);
        console.log(`[migrate-race] race ${i + 1}: both done in ${Date.now() - t0} ms, exits ${JSON.stringify(runs.map((r) => ({ code: r.code, signal: r.signal })))}`);
        runs.forEach((r, k) => {
          expect({ code: r.code, signal: r.signal }, `migrate #${k + 1} stderr:\n${r.stderr}`).toEqual({ code: 0, signal: null });
          expect(r.stdout).toContain('database is up to date');
        });
        await withClient(url, async (c) => {
          const rows = (await c.query<{ version: number; name: string; checksum: string; n: string }>(
            'select version, min(name) as name, min(checksum) as checksum, count(*) as n from schema_migrations group by version order by version',
          )).rows;
          expect(rows.map((r) => ({ version: r.version, name: r.name, checksum: r.checksum, n: Number(r.n) }))).toEqual(
            expected.map((m) => ({ version: m.version, name: m.name, checksum: m.checksum, n: 1 })),
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
      const vars = { DATABASE_URL: url, ZHIAN_DEMO: 'true' };
      // Both spawned in the same tick.
      const procs = await Promise.all([startServer(vars, 150_000), startServer(vars, 150_000)]);
      const urls = procs.map((p) => p.url);
      console.log(`[migrate-race] both servers listening after ${procs.map((p) => p.startMs).join(' / ')} ms: ${urls.join(', ')}`);
      for (const u of urls) expect(await readyz(u)).toEqual({ status: 200, json: { status: 'ok' } });

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
        expect(await count(c, `select count(*) as n from audit_log where action = 'demo.seeded' and target_type = 'district'`)).toBe(1);
        // The demo district's cases too, once: one marker, one audit row, one Open311 demo key.
        expect(await count(c, `select count(*) as n from settings where key = 'demo.reports.seeded'`)).toBe(1);
        expect(await count(c, `select count(*) as n from audit_log where action = 'demo.seeded' and target_type = 'report'`)).toBe(1);
        expect(await count(c, 'select count(*) as n from open311_keys')).toBe(1);
        expect(await count(c, 'select count(*) as n from reports')).toBeGreaterThan(300);
        // The district's people and organisations, and those the property centre's demo added.
        const custody = (await c.query(`select value from settings where key = 'demo.custody.seeded'`)).rows[0].value as { users: number; orgs: number };
        expect(custody).toMatchObject({ users: 12, orgs: 3 });
        expect(await count(c, 'select count(*) as n from users')).toBe(seeded.users! + custody.users);
        expect(await count(c, 'select count(*) as n from orgs')).toBe(seeded.orgs! + custody.orgs);
        expect(await count(c, 'select count(*) as n from grids')).toBe(seeded.grids);
        expect(await count(c, 'select count(*) as n from addresses')).toBe(seeded.addresses);
        expect(await count(c, 'select count(*) as n from (select version from schema_migrations group by version having count(*) > 1) d')).toBe(0);
        const marker = (await c.query(`select value from settings where key = 'demo.seeded'`)).rows[0].value;
        expect(marker).toMatchObject({ users: seeded.users, orgs: seeded.orgs });
      });

      // Both serve the same data, and both shut down cleanly.
      for (const u of urls) {
        const orgs = (await getJson<{ items: unknown[] }>(u, await login(u), '/api/v1/orgs')).items;
        expect(orgs).toHaveLength(seeded.orgs! + 3);
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
    'a server with DATABASE_POOL_SIZE=1 starts, migrates and seeds (the locks must not hold the only pooled connection)',
    async () => {
      const url = await freshDatabase();
      // Migrations and the demo seed each run under the advisory lock, and use the pool meanwhile.
      const server = await startServer({ DATABASE_URL: url, DATABASE_POOL_SIZE: '1', ZHIAN_DEMO: 'true' }, 45_000).catch((e: Error) => {
        throw new Error(`the server did not start with DATABASE_POOL_SIZE=1 within 45 s (deadlock on the pool's only connection?)\n${e.message}`);
      });
      console.log(`[migrate-race] DATABASE_POOL_SIZE=1: migrated, seeded and listening after ${server.startMs} ms`);
      expect(server.stdout.filter((l) => l.includes('"demo district seeded"'))).toHaveLength(1);
      expect(await readyz(server.url)).toEqual({ status: 200, json: { status: 'ok' } });
      const s = await login(server.url);
      const street = (await getJson<{ items: { id: string; kind: string }[] }>(server.url, s, '/api/v1/orgs')).items.find((o) => o.kind === 'street');
      const created = await request(server.url, 'POST', '/api/v1/orgs', { session: s, body: { parentId: street!.id, kind: 'community', code: 'POOL-1', name: '单连接社区' } });
      expect(created.status, created.text).toBe(201);
      expect(await stopProc(server)).toEqual({ code: 0, signal: null });
    },
    120_000,
  );
});
