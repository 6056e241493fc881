/**
 * Runs once before the suite. On PostgreSQL (TEST_DATABASE_URL) the schema is migrated
 * here, under the advisory lock, so test files start from the same migrated database.
 */
export default async function setup() {
  const url = process.env.TEST_DATABASE_URL;
  const label = url ? `PostgreSQL (${url.replace(/\/\/[^@]*@/, '//')})` : 'PGlite (in memory, one per test file)';
  process.stdout.write(`\n[zhian tests] database: ${label}\n`);
  if (!url) return;
  const { openDatabase } = await import('../src/server/platform/db/database.js');
  const { migrate } = await import('../src/server/platform/db/migrate.js');
  const { MIGRATIONS_DIR } = await import('../src/server/main.js');
  const handle = await openDatabase({ databaseUrl: url });
  try {
    await migrate(handle, MIGRATIONS_DIR);
  } finally {
    await handle.close();
  }
}
