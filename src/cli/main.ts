import fs from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig, type Config } from '../server/config.js';
import type { Database } from '../server/db.js';
import { openDatabase, type DatabaseHandle } from '../server/platform/db/database.js';
import { migrate } from '../server/platform/db/migrate.js';
import { exportDatabase, importDatabase } from '../server/platform/db/portable.js';
import { systemContext } from '../server/platform/http/context.js';
import { MIGRATIONS_DIR, ROOT_DIR, WEB_ROOT, createServices, startZhian } from '../server/main.js';
import { seedDemo } from '../server/modules/demo/index.js';
import { findOrgByCode, ROLES } from '../server/modules/core/index.js';
import { loadSigningKey, sealCheckpoints, verifyCustody } from '../server/modules/custody/index.js';

function config(): Config {
  try {
    return loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}

async function withDb<R>(fn: (handle: DatabaseHandle<Database>, c: Config) => Promise<R>): Promise<R> {
  const c = config();
  const handle = await openDatabase<Database>({ databaseUrl: c.DATABASE_URL, dataDir: c.dataDir, poolSize: 4 });
  try {
    await migrate(handle, MIGRATIONS_DIR);
    return await fn(handle, c);
  } finally {
    await handle.close();
  }
}

/** Builds the console when its output is missing or older than its sources. */
async function ensureWebBuilt(): Promise<void> {
  const index = path.join(WEB_ROOT, 'index.html');
  const srcDir = path.join(ROOT_DIR, 'src/web');
  const newest = (dir: string): number =>
    fs.readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
      const p = path.join(dir, e.name);
      return Math.max(m, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
    }, 0);
  if (fs.existsSync(index) && (!fs.existsSync(srcDir) || fs.statSync(index).mtimeMs >= newest(srcDir))) return;
  process.stdout.write('building the console (vite build)…\n');
  const { build } = await import('vite');
  await build({ configFile: path.join(ROOT_DIR, 'vite.config.ts'), logLevel: 'warn' });
}

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a positive integer');
  return n;
};

const program = new Command('zhian').description('Zhian 智安 — public safety and grassroots governance platform');

program
  .command('start')
  .description('build what is not built, migrate, seed the demo district (demo mode), serve API and console')
  .option('--no-build', 'do not build the console')
  .action(async (opts: { build: boolean }) => {
    const c = config();
    if (opts.build) await ensureWebBuilt();
    const z = await startZhian(c);
    const url = `http://localhost:${(z.app.server.address() as { port: number }).port}`;
    // Plain line on stdout whatever the log level: scripts wait for it.
    process.stdout.write(`Zhian 智安 is serving ${url} (database: ${z.handle.kind}${c.demoEnabled ? ', demo district: admin / zhian-demo' : ''})\n`);
  });

program
  .command('migrate')
  .description('apply pending database migrations')
  .action(async () => {
    await withDb(async () => {
      process.stdout.write('database is up to date\n');
    });
  });

program
  .command('seed')
  .description('seed the generated demo district (never in production)')
  .requiredOption('--demo', 'the demo district')
  .option('--scale <n>', 'multiply grids and addresses by n (benchmarks)', int, 1)
  .action(async (opts: { scale: number }) => {
    await withDb(async (handle, c) => {
      if (c.NODE_ENV === 'production') throw new Error('refusing to seed demo data with NODE_ENV=production');
      const r = await seedDemo(handle, { scale: opts.scale, log: (m) => process.stdout.write(`${m}\n`) });
      process.stdout.write(r ? `seeded: ${JSON.stringify(r)}\n` : 'the demo district is already seeded\n');
    });
  });

const user = program.command('user').description('manage users');
user
  .command('add')
  .description('create a user')
  .requiredOption('--username <name>')
  .requiredOption('--name <displayName>')
  .requiredOption('--org <code>', 'organisation code')
  .option('--role <role...>', `roles: ${ROLES.join(', ')}`, ['viewer'])
  .option('--phone <phone>')
  .option('--password <password>', 'or set ZHIAN_NEW_PASSWORD')
  .action(async (opts: { username: string; name: string; org: string; role: string[]; phone?: string; password?: string }) => {
    await withDb(async (handle, c) => {
      const password = opts.password ?? process.env.ZHIAN_NEW_PASSWORD;
      if (!password) throw new Error('--password or ZHIAN_NEW_PASSWORD is required');
      const org = await findOrgByCode(handle.db, opts.org);
      if (!org) throw new Error(`no organisation with code ${opts.org}`);
      const s = createServices(handle, c);
      const u = await s.core.createUser(systemContext(), {
        username: opts.username,
        displayName: opts.name,
        phone: opts.phone ?? null,
        orgId: org.id,
        roles: opts.role,
        password,
      });
      process.stdout.write(`created user ${u.username} (${u.id})\n`);
    });
  });

const token = program.command('token').description('API tokens for machines');
token
  .command('create')
  .description('create a bearer token acting as a user; printed once')
  .requiredOption('--user <username>')
  .option('--name <name>', 'what the token is for', 'cli')
  .action(async (opts: { user: string; name: string }) => {
    await withDb(async (handle, c) => {
      const s = createServices(handle, c);
      process.stdout.write(`${await s.auth.createToken(systemContext(), opts.user, opts.name)}\n`);
    });
  });

program
  .command('export <file>')
  .description('write every table to one file (.ndjson, or .ndjson.gz)')
  .action(async (file: string) => {
    await withDb(async (handle) => {
      const s = await exportDatabase(handle.db, path.resolve(file), (t, n) => process.stdout.write(`  ${t}: ${n}\n`));
      process.stdout.write(`exported ${Object.values(s.tables).reduce((a, b) => a + b, 0)} rows to ${file}\n`);
    });
  });

program
  .command('import <file>')
  .description('load an export into an empty database (e.g. PGlite → PostgreSQL)')
  .action(async (file: string) => {
    await withDb(async (handle) => {
      const s = await importDatabase(handle.db, path.resolve(file), (t, n) => process.stdout.write(`  ${t}: ${n}\n`));
      process.stdout.write(`imported ${Object.values(s.tables).reduce((a, b) => a + b, 0)} rows from ${file}\n`);
    });
  });

const custody = program.command('custody').description('seized property custody');
custody
  .command('verify')
  .description('check every item hash chain and signed checkpoint; exit 0 when intact, 1 naming each broken item and event')
  .option('--json', 'print the report as JSON')
  .action(async (opts: { json?: boolean }) => {
    const ok = await withDb(async (handle, c) => {
      const key = loadSigningKey(c.CUSTODY_SIGNING_KEY, c.dataDir);
      const r = await verifyCustody(handle.db, key, { onProgress: (n) => !opts.json && process.stderr.isTTY && process.stderr.write(`\r  ${n} events checked`) });
      if (!opts.json && process.stderr.isTTY) process.stderr.write('\n');
      if (opts.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else {
        for (const p of r.problems) process.stdout.write(`BROKEN item ${p.code ?? p.itemId}${p.seq !== null ? ` seq ${p.seq}` : ''}: ${p.problem}\n`);
        process.stdout.write(`${r.ok ? 'intact' : 'TAMPERED'}: ${r.items} items, ${r.events} events, ${r.checkpoints} checkpoints (key ${key.keyId}), ${r.problems.length} problems, ${r.ms} ms\n`);
      }
      return r.ok;
    });
    process.exitCode = ok ? 0 : 1;
  });
custody
  .command('checkpoint')
  .description('seal the chain heads that moved into a signed checkpoint now')
  .action(async () => {
    await withDb(async (handle, c) => {
      const written = await sealCheckpoints(handle.db, loadSigningKey(c.CUSTODY_SIGNING_KEY, c.dataDir));
      process.stdout.write(written.length ? written.map((w) => `checkpoint ${w.no}: ${w.heads} heads\n`).join('') : 'nothing to seal\n');
    });
  });

program.parseAsync(process.argv).catch((e: Error) => {
  process.stderr.write(`zhian: ${e.message}\n`);
  process.exit(1);
});
