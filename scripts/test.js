#!/usr/bin/env node
// Runs the whole test suite once: on PGlite, or on PostgreSQL when TEST_DATABASE_URL is set.
// Builds the console first when it is not built (the browser test needs it), and ends with
// the line "N passed, N failed".
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

if (!fs.existsSync(path.join(root, 'dist/web/index.html'))) {
  console.log('[zhian tests] building the console (vite build)…');
  const b = spawnSync(bin('vite'), ['build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}

// The type check counts as one test: a type error fails the run like a failing test.
console.log('[zhian tests] type check (tsc --noEmit)…');
const tsc = spawnSync(bin('tsc'), ['--noEmit', '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
const typecheckOk = tsc.status === 0;

const outDir = path.join(root, '.tmp');
fs.mkdirSync(outDir, { recursive: true });
const report = path.join(outDir, `vitest-${process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite'}.json`);
fs.rmSync(report, { force: true });
const args = ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)];
const r = spawnSync(bin('vitest'), args, { cwd: root, stdio: 'inherit', env: process.env });

let passed = 0;
let failed = 0;
let skipped = 0;
if (fs.existsSync(report)) {
  const j = JSON.parse(fs.readFileSync(report, 'utf8'));
  passed = j.numPassedTests ?? 0;
  failed = (j.numFailedTests ?? 0) + (j.numFailedTestSuites ?? 0);
  skipped = (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
} else {
  failed = 1;
}
if (typecheckOk) passed += 1;
else failed += 1;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(r.status === 0 && failed === 0 ? 0 : 1);
