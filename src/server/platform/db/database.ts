import fs from 'node:fs';
import path from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { PGliteDialect } from './pglite-dialect.js';

export type DatabaseKind = 'pglite' | 'postgres';

/** An open database: the typed query builder plus what the platform needs besides it. */
export interface DatabaseHandle<T> {
  db: Kysely<T>;
  kind: DatabaseKind;
  /** Runs a multi-statement SQL script (migrations, import). */
  execScript(script: string): Promise<void>;
  /** Runs fn while holding a cluster-wide lock (advisory lock on PostgreSQL). */
  withExclusiveLock<R>(key: number, fn: () => Promise<R>): Promise<R>;
  /**
   * Receives NOTIFY payloads of a channel (sent with pg_notify, delivered on commit) — from
   * every instance on PostgreSQL, from this process on PGlite. Returns the unsubscriber.
   */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface OpenOptions {
  databaseUrl?: string;
  dataDir?: string;
  poolSize?: number;
}

const INT8 = 20;
const NUMERIC = 1700;

/**
 * Opens PostgreSQL when a URL is given, otherwise the embedded PGlite under dataDir
 * (or in memory when dataDir is 'memory://'). Both speak the same SQL and give the same
 * JavaScript types: bigint counts and numerics come back as numbers.
 */
export async function openDatabase<T>(opts: OpenOptions): Promise<DatabaseHandle<T>> {
  if (opts.databaseUrl) return openPostgres<T>(opts.databaseUrl, opts.poolSize ?? 10);
  return openPGlite<T>(opts.dataDir ?? './data');
}

async function openPostgres<T>(url: string, poolSize: number): Promise<DatabaseHandle<T>> {
  const typeOverrides = new pg.TypeOverrides();
  typeOverrides.setTypeParser(INT8, (v) => Number(v));
  typeOverrides.setTypeParser(NUMERIC, (v) => Number(v));
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types: typeOverrides });
  pool.on('error', () => {
    /* idle client errors are reported by the next query */
  });
  const db = new Kysely<T>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    kind: 'postgres',
    async execScript(script) {
      const client = await pool.connect();
      try {
        await client.query(script);
      } catch (err) {
        await client.query('rollback').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    // The lock lives on its own connection outside the pool, so that the work done under it
    // can use the pool even when the pool has a single connection.
    async withExclusiveLock(key, fn) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query('select pg_advisory_lock($1)', [key]);
        return await fn();
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    async listen(channel, onPayload) {
      let client: pg.Client | null = null;
      let closed = false;
      // A dedicated connection; reconnects after a drop so live updates resume.
      const connect = async (): Promise<void> => {
        const c = new pg.Client({ connectionString: url });
        c.on('notification', (n) => n.channel === channel && onPayload(n.payload ?? ''));
        c.on('error', () => {
          if (closed) return;
          client = null;
          setTimeout(() => void connect().catch(() => undefined), 1000).unref();
        });
        await c.connect();
        await c.query(`listen ${pg.escapeIdentifier(channel)}`);
        client = c;
      };
      await connect();
      return async () => {
        closed = true;
        await client?.end().catch(() => undefined);
      };
    },
    async close() {
      await db.destroy();
    },
  };
}

async function openPGlite<T>(dataDir: string): Promise<DatabaseHandle<T>> {
  const inMemory = dataDir === 'memory://';
  if (!inMemory) fs.mkdirSync(path.resolve(dataDir), { recursive: true });
  const pglite = await PGlite.create(inMemory ? undefined : path.resolve(dataDir), {
    parsers: {
      [INT8]: (v: string) => Number(v),
      [NUMERIC]: (v: string) => Number(v),
    },
    serializers: {
      [INT8]: (v: unknown) => String(v),
    },
  });
  void pgliteTypes;
  const db = new Kysely<T>({ dialect: new PGliteDialect(pglite) });
  return {
    db,
    kind: 'pglite',
    async execScript(script) {
      // Take the driver's lease so the script never interleaves with a transaction.
      await db.connection().execute(async () => {
        try {
          await pglite.exec(script);
        } catch (err) {
          await pglite.exec('rollback').catch(() => undefined);
          throw err;
        }
      });
    },
    // One process owns a PGlite data directory, so the lease of the single connection suffices.
    async withExclusiveLock(_key, fn) {
      return fn();
    },
    async listen(channel, onPayload) {
      // Under the driver's lease, so LISTEN never lands inside another caller's transaction.
      const unsubscribe = await db.connection().execute(() => pglite.listen(channel, onPayload));
      return async () => {
        await db.connection().execute(() => unsubscribe());
      };
    },
    async close() {
      await db.destroy();
    },
  };
}

/** True when the database answers a trivial query. */
export async function ping(db: Kysely<any>): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}
