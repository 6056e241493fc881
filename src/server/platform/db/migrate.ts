import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import type { DatabaseHandle } from './database.js';

/** Advisory-lock key shared by every Zhian process migrating one database ("zhian-mg"). */
export const MIGRATION_LOCK_KEY = 0x7a68_6d67;

export interface MigrationFile {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

/** Reads NNNN_name.sql files in version order; a gap or duplicate version is an error. */
export function readMigrations(dir: string): MigrationFile[] {
  const files = fs
    .readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort();
  return files.map((file, i) => {
    const version = Number(file.slice(0, 4));
    if (version !== i + 1) throw new Error(`migration ${file}: expected version ${i + 1}`);
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    return { version, name: file.replace(/\.sql$/, ''), sql: text, checksum: crypto.createHash('sha256').update(text).digest('hex') };
  });
}

/**
 * Applies the pending forward-only migrations, each in its own transaction, while holding
 * the migration lock so that processes starting together never apply one twice.
 * Returns the names applied.
 */
export async function migrate(handle: DatabaseHandle<any>, dir: string): Promise<string[]> {
  const migrations = readMigrations(dir);
  return handle.withExclusiveLock(MIGRATION_LOCK_KEY, async () => {
    await handle.execScript(
      `create table if not exists schema_migrations (
         version integer primary key,
         name text not null,
         checksum text not null,
         applied_at timestamptz not null default now()
       )`,
    );
    const done = await sql<{ version: number; checksum: string }>`select version, checksum from schema_migrations`.execute(handle.db);
    const applied = new Map(done.rows.map((r) => [r.version, r.checksum]));
    // Migrations are forward-only: an applied file that changed since is a mistake to stop at.
    for (const m of migrations) {
      const was = applied.get(m.version);
      if (was !== undefined && was !== m.checksum) throw new Error(`migration ${m.name} was changed after it was applied; add a new migration instead`);
    }
    const names: string[] = [];
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      const escapedName = m.name.replace(/'/g, "''");
      await handle.execScript(
        `begin;\n${m.sql}\n;insert into schema_migrations (version, name, checksum) values (${m.version}, '${escapedName}', '${m.checksum}');\ncommit;`,
      );
      names.push(m.name);
    }
    return names;
  });
}
