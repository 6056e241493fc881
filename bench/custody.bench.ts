/**
 * Benchmarks of the custody module (涉案财物), on a database of 1,000,000 items and
 * 10,000,000 hash-chained events (bench/custody.generate.ts):
 *  1. chain verification (`verifyCustody`, the whole `zhian custody verify`) beside reading the
 *     same rows without hashing and beside plain SHA-256 over the same canonical bytes;
 *  2. latency of the scan service call (code → item page with timeline and chain check) beside
 *     the two index lookups it rests on, done directly with pg;
 *  3. a 1 GB evidence upload over tus (tus-js-client → Zhian's evidence endpoint, including the
 *     server's re-hash) beside a plain copy of the same file on the same disk.
 */
import { execFileSync, fork, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalEvent } from '../src/server/modules/custody/custody.chain.js';
import pg from 'pg';
import * as tus from 'tus-js-client';
import { buildZhian, createServices, MIGRATIONS_DIR } from '../src/server/main.js';
import type { Config } from '../src/server/config.js';
import type { Database } from '../src/server/db.js';
import { openDatabase, type DatabaseHandle } from '../src/server/platform/db/database.js';
import { migrate } from '../src/server/platform/db/migrate.js';
import type { ActorContext } from '../src/server/platform/http/context.js';
import { sha256File } from '../src/server/platform/uploads/tus.js';
import { sealCheckpoints, verifyCustody } from '../src/server/modules/custody/custody.integrity.js';
import { eventsAfter } from '../src/server/modules/custody/custody.repository.js';
import { PASSWORD, systemContext, testConfig } from '../test/helpers.js';
import { custodyWorld } from '../test/custody-fixture.js';
import { TEMPLATES, type BenchWorld, type PartitionResult, type UserKey } from './custody.generate.js';
import { adminQuery, databaseUrl, fmt, machine, ms, percentile, PG_URL, pgVersion, progress, QUICK, say } from './common.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DB_NAME = 'zhian_bench_custody';
const MB = 2 ** 20;
/** 100,000 cases → 1,000,000 items → 10,000,000 events (CUSTODY_BENCH_CASES overrides, for trials). */
const CASES = Number(process.env.CUSTODY_BENCH_CASES) || (QUICK ? 1_000 : 100_000);
const FILE_BYTES = QUICK ? 64 * MB : 1024 * MB;
const SEQUENTIAL = QUICK ? 300 : 2_000;
const CONCURRENCY = 50;
const CONCURRENT_CALLS = QUICK ? 1_000 : 5_000;
const WARM_UP = QUICK ? 30 : 100;
/** Events whose canonical bytes are hashed for the SHA-256 reference (the first ones in verification order). */
const SHA_SAMPLE = QUICK ? 100_000 : 1_000_000;
/** Verification reads in pages of this many events (verifyCustody's default). */
const PAGE = 5_000;
const TABLES = ['custody_cases', 'custody_items', 'custody_events'];

const sec = (millis: number) => `${fmt(millis / 1000, millis < 10_000 ? 2 : 1)} s`;
const ratio = (a: number, b: number) => (Number.isFinite(a / b) && b > 0 ? `${fmt(a / b, a / b < 10 ? 2 : 1)}×` : '–');
const gib = (bytes: number) => (bytes >= 2 ** 30 ? `${fmt(bytes / 2 ** 30, 2)} GiB` : `${fmt(bytes / MB)} MiB`);

// ------------------------------------------------------------------------------ the world

/** The district, agencies, centre, bins and people, made through the API as the tests make them. */
async function makeWorld(config: Config): Promise<{ world: BenchWorld; admin: string; officer: string }> {
  const z = await buildZhian(config, { logger: false, seed: false, timers: false, mqtt: false });
  try {
    const w = await custodyWorld(z);
    const clerk = await w.as('clerk');
    const mk = async (body: Record<string, unknown>) => {
      const r = await clerk.post('/api/v1/custody/locations', body);
      if (r.statusCode !== 201) throw new Error(`location: ${r.statusCode} ${r.body}`);
      return r.json().id as string;
    };
    // A second store room: 4 cabinets of 10 bins without a capacity limit.
    const room = await mk({ parentId: w.centreId, kind: 'room', name: '二号库房' });
    const bins: string[] = [];
    for (let c = 1; c <= 4; c++) {
      const cabinet = await mk({ parentId: room, kind: 'cabinet', name: `${c}号柜` });
      for (let b = 1; b <= 10; b++) bins.push(await mk({ parentId: cabinet, kind: 'bin', name: `${c}-${b}号格` }));
    }
    const procLeader2 = await z.services.core.createUser(systemContext(), {
      username: `procleader2-${w.t.suffix}`,
      displayName: '王副检察长',
      phone: '13700002222',
      orgId: w.orgs.procuratorate,
      roles: ['custody_leader'],
      password: PASSWORD,
      scopeOrgId: w.orgs.procuratorate,
    });
    const ids: Record<UserKey, string> = { ...Object.fromEntries(Object.entries(w.users).map(([k, v]) => [k, v.id])), procLeader2: procLeader2.id } as Record<UserKey, string>;
    const rows = await z.handle.db.selectFrom('users').select(['id', 'display_name', 'org_id']).where('id', 'in', Object.values(ids)).execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    const users = Object.fromEntries(Object.entries(ids).map(([k, id]) => [k, { id, name: byId.get(id)!.display_name, orgId: byId.get(id)!.org_id }])) as BenchWorld['users'];
    const now = Date.now();
    return {
      world: { orgs: w.orgs, centreId: w.centreId, bins, users, fromMs: now - 3 * 365 * 86_400_000, toMs: now - 90 * 86_400_000 },
      admin: w.t.admin,
      officer: w.users.officer.username,
    };
  } finally {
    await z.close();
  }
}

// ------------------------------------------------------------------------------ loading

interface Definitions {
  constraints: { tbl: string; name: string; type: string; def: string }[];
  indexes: { name: string; def: string }[];
}

/** The keys, foreign keys and indexes of the loaded tables (as migrated), to drop before COPY and rebuild after. */
async function definitions(c: pg.Client): Promise<Definitions> {
  const constraints = await c.query<{ tbl: string; name: string; type: string; def: string }>(
    `select conrelid::regclass::text as tbl, conname as name, contype as type, pg_get_constraintdef(oid) as def
     from pg_constraint where contype in ('p', 'u', 'f') and (conrelid = any($1::text[]::regclass[]) or confrelid = any($1::text[]::regclass[]))`,
    [TABLES],
  );
  const indexes = await c.query<{ name: string; def: string }>(
    `select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as def from pg_index i
     where i.indrelid = any($1::text[]::regclass[])
       and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid and k.conrelid = i.indrelid and k.contype in ('p', 'u'))`,
    [TABLES],
  );
  return { constraints: constraints.rows, indexes: indexes.rows };
}

async function dropDefinitions(c: pg.Client, d: Definitions) {
  for (const k of d.constraints.filter((x) => x.type === 'f')) await c.query(`alter table ${k.tbl} drop constraint ${k.name}`);
  for (const i of d.indexes) await c.query(`drop index ${i.name}`);
  for (const k of d.constraints.filter((x) => x.type !== 'f')) await c.query(`alter table ${k.tbl} drop constraint ${k.name}`);
}

async function rebuildDefinitions(c: pg.Client, d: Definitions) {
  await c.query(`set maintenance_work_mem = '1GB'`);
  for (const k of d.constraints.filter((x) => x.type !== 'f')) {
    progress(`rebuilding ${k.tbl} ${k.name}`);
    await c.query(`alter table ${k.tbl} add constraint ${k.name} ${k.def}`);
  }
  for (const i of d.indexes) {
    progress(`rebuilding ${i.name}`);
    await c.query(i.def);
  }
  // Adding a foreign key checks every row against the referenced table (one join per key).
  for (const k of d.constraints.filter((x) => x.type === 'f')) {
    progress(`validating ${k.tbl} ${k.name}`);
    await c.query(`alter table ${k.tbl} add constraint ${k.name} ${k.def}`);
  }
}

/** Forks one generator per core, each COPYing its share of the cases. */
async function generate(url: string, world: BenchWorld, cases: number): Promise<PartitionResult & { children: number }> {
  const children = Math.max(1, Math.min(4, os.cpus().length));
  const per = Math.ceil(cases / children / 2) * 2;
  const done: number[] = new Array(children).fill(0);
  const total = cases * 100;
  let shown = 0;
  const results = await Promise.all(
    Array.from({ length: children }, (_, i) => {
      const from = Math.min(cases, i * per);
      const to = Math.min(cases, (i + 1) * per);
      return new Promise<PartitionResult>((resolve, reject) => {
        const child = fork(path.join(HERE, 'custody.child.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        let result: PartitionResult | null = null;
        child.on('message', (m: { ready?: boolean; progress?: number; result?: PartitionResult; error?: string }) => {
          if (m.ready) child.send({ url, world, from, to, caseCount: cases, checkpointed: false });
          if (m.progress !== undefined) {
            done[i] = m.progress;
            const sum = done.reduce((a, b) => a + b, 0);
            if (sum - shown >= total / 10) {
              shown = sum;
              progress(`generated and copied ${fmt(sum)} of ${fmt(total)} events`);
            }
          }
          if (m.result) result = m.result;
          if (m.error) reject(new Error(`custody generator: ${m.error}`));
        });
        child.on('exit', (code) => (result ? resolve(result) : reject(new Error(`custody generator exited ${code}`))));
      });
    }),
  );
  return {
    children,
    cases: results.reduce((a, r) => a + r.cases, 0),
    items: results.reduce((a, r) => a + r.items, 0),
    events: results.reduce((a, r) => a + r.events, 0),
    bytes: results.reduce((a, r) => a + r.bytes, 0),
    ms: Math.max(...results.map((r) => r.ms)),
  };
}

// ------------------------------------------------------------------------------ 1. verification

/** Reads every event in verification order (same statement, same keyset pages) without hashing. */
async function readAll(url: string): Promise<{ events: number; ms: number }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const t = performance.now();
    let after: { itemId: string; seq: number } | null = null;
    let events = 0;
    for (;;) {
      const r: pg.QueryResult<{ item_id: string; seq: number }> = after
        ? await c.query('select * from "custody_events" where (item_id, seq) > ($1::uuid, $2) order by "item_id", "seq" limit $3', [after.itemId, after.seq, PAGE])
        : await c.query('select * from "custody_events" order by "item_id", "seq" limit $1', [PAGE]);
      events += r.rows.length;
      if (r.rows.length < PAGE) break;
      const last = r.rows[r.rows.length - 1]!;
      after = { itemId: last.item_id, seq: last.seq };
    }
    return { events, ms: performance.now() - t };
  } finally {
    await c.end();
  }
}

/**
 * SHA-256 of the same bytes eventHash hashes (previous hash, newline, canonical JSON), the
 * canonical strings built beforehand; only the hashing is timed. Every digest is compared
 * with the stored hash, so the bytes are the verified ones.
 */
async function hashSample(handle: DatabaseHandle<Database>, count: number): Promise<{ events: number; bytes: number; ms: number; mismatches: number }> {
  let after: { itemId: string; seq: number } | null = null;
  let events = 0;
  let bytes = 0;
  let hashMs = 0;
  let mismatches = 0;
  while (events < count) {
    const page = await eventsAfter(handle.db, after, Math.min(PAGE, count - events));
    if (!page.length) break;
    const prev = page.map((e) => e.prevHash);
    const bodies = page.map(canonicalEvent);
    const out = new Array<string>(page.length);
    const t = performance.now();
    for (let i = 0; i < page.length; i++) out[i] = crypto.createHash('sha256').update(prev[i]!).update('\n').update(bodies[i]!).digest('hex');
    hashMs += performance.now() - t;
    for (let i = 0; i < page.length; i++) {
      if (out[i] !== page[i]!.hash) mismatches++;
      bytes += 65 + Buffer.byteLength(bodies[i]!);
    }
    events += page.length;
    const last = page[page.length - 1]!;
    after = { itemId: last.itemId, seq: last.seq };
  }
  return { events, bytes, ms: hashMs, mismatches };
}

// ------------------------------------------------------------------------------ 2. scan

interface Latencies {
  p50: number;
  p99: number;
  max: number;
  perSecond: number;
  n: number;
}

function summarise(xs: number[], wallMs: number): Latencies {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1] ?? NaN, perSecond: (xs.length * 1000) / wallMs, n: xs.length };
}

async function concurrently(codes: string[], fn: (code: string) => Promise<void>, concurrency: number): Promise<Latencies> {
  const xs: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < codes.length) {
        const code = codes[next++]!;
        const t = performance.now();
        await fn(code);
        xs.push(performance.now() - t);
      }
    }),
  );
  return summarise(xs, performance.now() - t0);
}

/** Statements one call sends (pg.Client.prototype.query patched for the call only). */
async function statementsOf(fn: () => Promise<unknown>): Promise<number> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  let n = 0;
  proto.query = function (this: unknown, ...args: unknown[]) {
    n++;
    return original.apply(this, args);
  };
  try {
    await fn();
  } finally {
    proto.query = original;
  }
  return n;
}

// ------------------------------------------------------------------------------ 3. tus

function uploadOnce(file: string, endpoint: string, token: string, metadata: Record<string, string>): Promise<{ ms: number; sha256: string | null; result: unknown }> {
  return new Promise((resolve, reject) => {
    let sha256: string | null = null;
    let result: unknown = null;
    const t = performance.now();
    const upload = new tus.Upload(fs.createReadStream(file), {
      endpoint,
      chunkSize: 64 * MB,
      retryDelays: null,
      headers: { authorization: `Bearer ${token}` },
      metadata,
      onAfterResponse(_req, res) {
        const h = res.getHeader('Upload-Sha256');
        if (h) {
          sha256 = h;
          const r = res.getHeader('X-Upload-Result');
          result = r ? JSON.parse(Buffer.from(r, 'base64url').toString('utf8')) : null;
        }
      },
      onSuccess: () => resolve({ ms: performance.now() - t, sha256, result }),
      onError: (e) => reject(e),
    });
    upload.start();
  });
}

async function timed(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

function sh(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: 'ignore' });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}`))));
    p.on('error', reject);
  });
}

async function benchTus(url: string, officer: string, itemId: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhian-bench-tus-'));
  try {
    const free = fs.statfsSync(dir);
    const freeBytes = free.bavail * free.bsize;
    const df = execFileSync('df', ['-hT', dir], { encoding: 'utf8' }).trim().split('\n').pop()!.split(/\s+/);
    if (freeBytes < FILE_BYTES * 3.5) {
      say(`(Not enough free disk space for the upload test in ${os.tmpdir()}: ${gib(freeBytes)} free, ${gib(FILE_BYTES * 3.5)} needed.)`);
      say();
      return;
    }
    progress(`tus: writing a ${gib(FILE_BYTES)} file of random bytes to ${dir} (${df[1]} on ${df[0]}, ${gib(freeBytes)} free)`);
    const src = path.join(dir, 'evidence.bin');
    const fd = fs.openSync(src, 'w');
    const block = Buffer.alloc(16 * MB);
    for (let written = 0; written < FILE_BYTES; written += block.length) {
      crypto.randomFillSync(block);
      fs.writeSync(fd, block, 0, Math.min(block.length, FILE_BYTES - written));
    }
    fs.closeSync(fd);
    let declared = '';
    const shaMs = await timed(async () => {
      declared = await sha256File(src);
    });

    const evidenceDir = path.join(dir, 'evidence');
    const z = await buildZhian(testConfig({ DATABASE_URL: url, EVIDENCE_DIR: evidenceDir }), { logger: false, seed: false, timers: false, mqtt: false });
    const rounds: { tus: number; copy: number; cat: number }[] = [];
    let checks = '';
    try {
      await z.app.listen({ port: 0, host: '127.0.0.1' });
      const address = z.app.server.address();
      if (!address || typeof address === 'string') throw new Error('no port');
      const endpoint = `http://127.0.0.1:${address.port}/api/v1/custody/uploads`;
      const token = await z.services.auth.createToken(systemContext(), officer, 'bench');
      for (let round = 0; round < (QUICK ? 1 : 3); round++) {
        const copy = path.join(dir, 'copy.bin');
        const copyMs = await timed(() => fsp.copyFile(src, copy));
        fs.rmSync(copy);
        progress(`tus round ${round + 1}: uploading`);
        const up = await uploadOnce(src, endpoint, token, { itemId, filename: `现场录像-${round + 1}.bin`, filetype: 'application/octet-stream', sha256: declared });
        const r = up.result as { evidenceId?: string; seq?: number; size?: number } | null;
        const stored = r?.evidenceId ? path.join(evidenceDir, itemId.slice(0, 2), itemId, r.evidenceId) : '';
        const ok = up.sha256 === declared && !!stored && fs.existsSync(stored) && fs.statSync(stored).size === FILE_BYTES;
        checks = ok
          ? `the server's SHA-256 matched the declared one, the file was recorded as evidence (event ${r?.seq} on the item's chain) and stored with its full ${fmt(FILE_BYTES)} bytes`
          : `**CHECK FAILED**: server SHA-256 ${up.sha256}, declared ${declared}, result ${JSON.stringify(up.result)}`;
        if (stored) fs.rmSync(stored, { force: true });
        const catMs = await timed(() => sh('sh', ['-c', `cat "${src}" > "${copy}"`]));
        fs.rmSync(copy);
        rounds.push({ tus: up.ms, copy: copyMs, cat: catMs });
        progress(`tus round ${round + 1}: tus ${sec(up.ms)}, copyFile ${sec(copyMs)}, cat ${sec(catMs)}`);
      }
    } finally {
      await z.close();
    }
    const mbps = (millis: number) => FILE_BYTES / MB / (millis / 1000);
    type Way = 'tus' | 'copy' | 'cat';
    /** Over all rounds: every byte copied divided by the summed time. */
    const all = (k: Way) => (rounds.length * FILE_BYTES) / MB / (rounds.reduce((a, r) => a + r[k], 0) / 1000);
    const each = (k: Way) => rounds.map((r) => fmt(mbps(r[k]))).join(' / ');
    const meanTus = rounds.reduce((a, r) => a + r.tus, 0) / rounds.length;
    say(`### Evidence upload over tus: a ${gib(FILE_BYTES)} file`);
    say();
    say(
      `Zhian's evidence endpoint (\`POST/PATCH /api/v1/custody/uploads\`: @tus/server with the file store, behind the platform's authentication — a bearer token of the case officer) in a real Fastify app built with \`buildZhian\` and listening on 127.0.0.1, ` +
        `fed by tus-js-client ${tusVersion()} in the same process from an \`fs.ReadStream\` with \`chunkSize\` 64 MiB (${Math.ceil(FILE_BYTES / (64 * MB))} PATCH request${FILE_BYTES > 64 * MB ? 's' : ''}). ` +
        `The time runs from \`upload.start()\` to \`onSuccess\`, so it includes the server's re-hash of the stored file after the last byte (sha256File), the comparison with the declared SHA-256, the move into the evidence directory and the \`evidence_added\` event on the item's hash chain. ` +
        `References on the same disk (${df[1]}, ${df[0]}), with the source file in the page cache for all: \`fs.copyFile\` (libuv: an in-kernel copy) and \`cat file > copy\` in a shell. ${rounds.length} round${rounds.length > 1 ? 's' : ''}, each copy → tus → cat; MB = 2²⁰ bytes; nothing is fsync'ed by any of them.`,
    );
    say();
    say('| | MB/s (per round) | MB/s (all rounds) | tus ÷ reference |');
    say('|---|---:|---:|---:|');
    say(`| **tus upload** (tus-js-client → Zhian, incl. server re-hash and recording) | ${each('tus')} | **${fmt(all('tus'))}** | 1× |`);
    say(`| reference: \`fs.copyFile\` of the same file, same directory | ${each('copy')} | ${fmt(all('copy'))} | ${ratio(all('tus'), all('copy'))} |`);
    say(`| reference: \`cat file > copy\` | ${each('cat')} | ${fmt(all('cat'))} | ${ratio(all('tus'), all('cat'))} |`);
    say(`| for scale: SHA-256 of the file alone (sha256File, 1 MiB reads; once, before the rounds) | ${fmt(mbps(shaMs))} | | |`);
    say();
    say(
      `The server's re-hash is a large share of an upload: hashing the file alone took ${sec(shaMs)}, ${fmt((shaMs / meanTus) * 100)} % of the mean upload time (${sec(meanTus)}); the rest — the bytes over HTTP into the file store, and the recording — ran at about ${fmt(FILE_BYTES / MB / ((meanTus - shaMs) / 1000))} MB/s.`,
    );
    say();
    say(`Checks: ${checks}. The files are deleted afterwards.`);
    say();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function tusVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(HERE, '../node_modules/tus-js-client/package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '';
  }
}

// ------------------------------------------------------------------------------ the section

export async function benchCustody() {
  say('## Custody (涉案财物)');
  say();
  try {
    await adminQuery(`drop database if exists ${DB_NAME} with (force)`);
    await adminQuery(`create database ${DB_NAME}`);
  } catch (e) {
    say(`(PostgreSQL at ${PG_URL} not available: ${(e as Error).message})`);
    say();
    return;
  }
  const url = databaseUrl(DB_NAME);
  const config = testConfig({ DATABASE_URL: url });
  const sectionStart = performance.now();
  const load0 = os.loadavg();
  const c = new pg.Client({ connectionString: url });
  let handle: DatabaseHandle<Database> | null = null;
  try {
    // ---------------------------------------------------------------- data
    progress(`database ${DB_NAME}: migrating; the district, its agencies, centre and people through the API`);
    const { world, admin, officer } = await makeWorld(config);
    await c.connect();
    const defs = await definitions(c);
    await dropDefinitions(c, defs);
    progress(`generating ${fmt(CASES)} cases, ${fmt(CASES * 10)} items, ${fmt(CASES * 100)} events`);
    let t = performance.now();
    const gen = await generate(url, world, CASES);
    const genMs = performance.now() - t;
    t = performance.now();
    await rebuildDefinitions(c, defs);
    const rebuildMs = performance.now() - t;
    await c.query(`select setval('custody_case_code_seq', $1)`, [CASES]);
    handle = await openDatabase<Database>({ databaseUrl: url, poolSize: config.DATABASE_POOL_SIZE });
    await migrate(handle, MIGRATIONS_DIR);
    const services = createServices(handle, config);
    progress('sealing the chain heads into signed checkpoints (sealCheckpoints)');
    t = performance.now();
    const sealed = await sealCheckpoints(handle.db, services.signingKey);
    const sealMs = performance.now() - t;
    progress('vacuum analyze');
    t = performance.now();
    await c.query('vacuum analyze custody_cases, custody_items, custody_events, custody_checkpoints, custody_checkpoint_heads');
    const vacuumMs = performance.now() - t;
    const stattuple = await c.query('create extension if not exists pgstattuple').then(() => true, () => false);
    const sizes: { t: string; rows: number; heap: number; free: number | null; indexes: number; size: number }[] = [];
    for (const table of ['custody_cases', 'custody_items', 'custody_events', 'custody_checkpoint_heads']) {
      const r = (await c.query<{ rows: string; heap: string; indexes: string; size: string }>(
        `select (select count(*) from ${table})::text as rows, pg_table_size('${table}')::text as heap, pg_indexes_size('${table}')::text as indexes, pg_total_relation_size('${table}')::text as size`,
      )).rows[0]!;
      const free = stattuple ? Number((await c.query<{ f: string }>(`select approx_free_space::text as f from pgstattuple_approx('${table}')`)).rows[0]!.f) : null;
      sizes.push({ t: table, rows: Number(r.rows), heap: Number(r.heap), free, indexes: Number(r.indexes), size: Number(r.size) });
    }
    const rowsOf = (table: string) => sizes.find((x) => x.t === table)!.rows;
    const counts = { cases: rowsOf('custody_cases'), items: rowsOf('custody_items'), events: rowsOf('custody_events') };
    const dbSize = Number((await c.query<{ s: string }>('select pg_database_size(current_database())::text as s')).rows[0]!.s);
    const statuses = (await c.query<{ status: string; n: string }>('select status, count(*)::text as n from custody_items group by status order by count(*) desc')).rows;

    say(
      `Machine: ${machine()}; load average at the start of the section ${load0.map((x) => fmt(x, 1)).join(' / ')} (1 / 5 / 15 min; anything else running competes with the figures). A fresh database \`${DB_NAME}\` on PostgreSQL ${await pgVersion()} (same machine, default configuration: shared_buffers 128 MB), migrated; the district, its police bureau with a criminal brigade, procuratorate, court, finance bureau and property centre (2 rooms, 43 bins), and 13 people (officers, clerks, leaders, a finance officer) made through the API as the tests make them (test/custody-fixture.ts). The database is dropped at the end.`,
    );
    say();
    say(
      `**Data**: ${fmt(counts.cases)} cases, ${fmt(counts.items)} items (1–19 per case), ${fmt(counts.events)} events (1–19 per item, ${fmt(counts.events / counts.items, 1)} on average) with real hash chains, generated by bench/custody.generate.ts: ${TEMPLATES} lifecycles found by a seeded random walk over the custody model in which a step is taken only when the model's \`refusal()\` allows it (separation of duties, two people for cash and valuables, two approvals for a disposal, transfers police → procuratorate → court, loans, confiscation into the treasury, corrections, evidence), ` +
        `each item following one of them with its own ids, case, code, owner digest and times; every event hashed with \`eventHash\` (SHA-256 over the previous hash and the RFC 8785 canonical JSON) and folded with \`applyEvent\`, and the item's projection (state, status, holder, location, pending, seen_by, last_seq, head_hash) written as the service writes it. ` +
        `Item states at the end: ${statuses.map((s) => `${s.status} ${fmt(Number(s.n))}`).join(', ')}. Items are written case by case (in time order) with random UUIDs, so the table's physical order is not the (item, seq) order verification reads in.`,
    );
    say();
    say(`| table | rows | table (with TOAST)${stattuple ? ' | of which free space' : ''} | indexes | total (pg_total_relation_size) |`);
    say(`|---|---:|---:|${stattuple ? '---:|' : ''}---:|---:|`);
    for (const s of sizes) say(`| ${s.t} | ${fmt(s.rows)} | ${gib(s.heap)}${stattuple ? ` | ${gib(s.free ?? 0)}` : ''} | ${gib(s.indexes)} | ${gib(s.size)} |`);
    say(`| whole database | | |${stattuple ? ' |' : ''} | ${gib(dbSize)} |`);
    say();
    const itemsSize = sizes.find((x) => x.t === 'custody_items')!;
    if (stattuple && (itemsSize.free ?? 0) > 0.3 * itemsSize.heap) {
      say(
        `Free space as measured by pgstattuple_approx after VACUUM. \`sealCheckpoints\` updates every item row it seals (checkpointed_seq), so sealing all ${fmt(counts.items)} heads at once leaves the space of each row's previous version behind in custody_items: VACUUM makes it reusable for later updates but does not give it back.`,
      );
      say();
    }
    say(
      `Generation: ${sec(genMs)} to generate and COPY (${gen.children} generator processes, each with its own COPY streams for cases, items and events in text format via pg-copy-streams; ${gib(gen.bytes)} of COPY text) with the keys, foreign keys and indexes of the three tables dropped, then ${sec(rebuildMs)} to rebuild them exactly as migrated (the foreign keys validated over every row), ` +
        `${sec(sealMs)} for \`sealCheckpoints\` to seal the ${fmt(counts.items)} chain heads into ${sealed.length} signed checkpoint${sealed.length === 1 ? '' : 's'} (the real sealer: 50,000 heads per checkpoint), and ${sec(vacuumMs)} for VACUUM ANALYZE — ${sec(genMs + rebuildMs + sealMs + vacuumMs)} in all.`,
    );
    say();

    // ---------------------------------------------------------------- 1. verification
    progress('reference: reading every event in verification order, without hashing');
    const read = await readAll(url);
    progress(`read ${fmt(read.events)} events in ${sec(read.ms)}; verifying (verifyCustody)`);
    let shown = 0;
    const report = await verifyCustody(handle.db, services.signingKey, {
      onProgress: (n) => {
        if (n - shown >= 1_000_000) {
          shown = n;
          progress(`verified ${fmt(n)} events`);
        }
      },
    });
    progress(`verify: ${report.ok ? 'intact' : 'TAMPERED'} ${fmt(report.events)} events in ${sec(report.ms)}; hashing the reference sample`);
    const sha = await hashSample(handle, SHA_SAMPLE);
    const verifyRate = report.events / (report.ms / 1000);
    const readRate = read.events / (read.ms / 1000);
    const shaRate = sha.events / (sha.ms / 1000);
    say('### Chain verification (`zhian custody verify`)');
    say();
    say(
      `\`verifyCustody\` (custody.integrity.ts, what \`zhian custody verify\` runs) over the whole database, in this process on the same pool as the service: every event read in (item, seq) order in keyset pages of ${fmt(PAGE)}, each hash recomputed, each chain checked for gaps and links, each item's stored projection compared with the fold of its events, then the items without events, and every checkpoint (numbers, digest chain, Ed25519 signature, each signed head against its event). ` +
        `References in the same run: reading the same rows with the same statement and pages through pg without doing anything with them; and SHA-256 (node:crypto, one \`createHash\` per event, as eventHash does) over the exact bytes eventHash hashes — the canonical JSON built beforehand and kept in memory, only the hashing timed — for the first ${fmt(sha.events)} events in verification order (${gib(sha.bytes)}; each digest equal to the stored hash: ${sha.mismatches === 0 ? 'yes' : `**no, ${sha.mismatches} differ**`}).`,
    );
    say();
    say('| | events | time | events/s | verify ÷ reference |');
    say('|---|---:|---:|---:|---:|');
    say(`| **verifyCustody** (${fmt(report.items)} items, ${report.checkpoints} checkpoint${report.checkpoints === 1 ? '' : 's'}) — ${report.ok ? 'intact' : `**TAMPERED: ${report.problems.length} problems**`} | ${fmt(report.events)} | ${sec(report.ms)} | **${fmt(verifyRate)}** | 1× |`);
    say(`| reference: read the same rows, no hashing | ${fmt(read.events)} | ${sec(read.ms)} | ${fmt(readRate)} | ${ratio(verifyRate, readRate)} |`);
    say(`| reference: SHA-256 of the same canonical bytes, in memory | ${fmt(sha.events)} | ${sec(sha.ms)} | ${fmt(shaRate)} | ${ratio(verifyRate, shaRate)} |`);
    say();
    say(
      `Verification runs at ${fmt((verifyRate / readRate) * 100)} % of the rate at which the rows can merely be read and at ${fmt((verifyRate / shaRate) * 100, 1)} % of the rate of the hashing alone: ` +
        `per event it spends ${fmt(1e6 / verifyRate, 1)} µs, of which ${fmt(1e6 / readRate, 1)} µs reading and ${fmt(1e6 / shaRate, 2)} µs SHA-256; the rest is building the event from its row, the canonical JSON, the fold and the projection comparison. Reading and checking do not overlap: the next page is asked for only when the current one is checked, and the checking runs on one core.`,
    );
    say();
    if (!report.ok) {
      say('Problems (first 10):');
      say();
      for (const p of report.problems.slice(0, 10)) say(`- ${p.code ?? p.itemId} ${p.seq ?? ''}: ${p.problem}`);
      say();
    }

    // ---------------------------------------------------------------- 2. scan
    progress('scan: picking random item codes');
    const need = 2 * (WARM_UP + SEQUENTIAL + CONCURRENT_CALLS);
    const codes = (await c.query<{ code: string }>('select code from custody_items order by random() limit $1', [need])).rows.map((r) => r.code);
    const [zc, rc] = [codes.filter((_, i) => i % 2 === 0), codes.filter((_, i) => i % 2 === 1)];
    const token = await services.auth.createToken(systemContext(), admin, 'bench');
    const resolved = await services.auth.resolve({ bearer: token });
    if (!resolved) throw new Error('bench token did not resolve');
    const ctx: ActorContext = { actor: resolved.actor, ip: '127.0.0.1', requestId: null };
    let bad = 0;
    const zhian = async (code: string) => {
      const r = await services.custody.scan(ctx, code);
      if (r.kind !== 'item' || !r.item.chain.intact || r.item.timeline.length !== r.item.lastSeq) bad++;
    };
    const pool = new pg.Pool({ connectionString: url, max: config.DATABASE_POOL_SIZE });
    const raw = async (code: string) => {
      const item = await pool.query<{ id: string; last_seq: number }>('select * from custody_items where code = $1', [code]);
      const events = await pool.query('select * from custody_events where item_id = $1 order by seq', [item.rows[0]!.id]);
      if (events.rows.length !== item.rows[0]!.last_seq) bad++;
    };
    let statements = 0;
    let seqZ: Latencies;
    let seqR: Latencies;
    let conZ: Latencies;
    let conR: Latencies;
    try {
      statements = await statementsOf(() => zhian(zc[0]!));
      for (let i = 0; i < WARM_UP; i++) {
        await zhian(zc[i]!);
        await raw(rc[i]!);
      }
      progress(`scan: ${fmt(SEQUENTIAL)} sequential calls each, alternating`);
      const xz: number[] = [];
      const xr: number[] = [];
      let wz = 0;
      let wr = 0;
      for (let i = WARM_UP; i < WARM_UP + SEQUENTIAL; i++) {
        const one = async (fn: (code: string) => Promise<void>, code: string, into: number[]) => {
          const s = performance.now();
          await fn(code);
          const d = performance.now() - s;
          into.push(d);
          return d;
        };
        if (i % 2 === 0) {
          wz += await one(zhian, zc[i]!, xz);
          wr += await one(raw, rc[i]!, xr);
        } else {
          wr += await one(raw, rc[i]!, xr);
          wz += await one(zhian, zc[i]!, xz);
        }
      }
      seqZ = summarise(xz, wz);
      seqR = summarise(xr, wr);
      progress(`scan: ${fmt(CONCURRENT_CALLS)} calls each, ${CONCURRENCY} at a time`);
      const from = WARM_UP + SEQUENTIAL;
      conZ = await concurrently(zc.slice(from, from + CONCURRENT_CALLS), zhian, CONCURRENCY);
      conR = await concurrently(rc.slice(from, from + CONCURRENT_CALLS), raw, CONCURRENCY);
    } finally {
      await pool.end();
    }
    say('### Scan to item page');
    say();
    say(
      `\`custody.scan(ctx, code)\` — what \`GET /api/v1/custody/scan?code=…\` calls when a label is scanned: resolve the code, check the actor's scope, build the item page with its case, holder, storage place, full timeline with the chain checked, and open warnings — called in process on the services from \`createServices\` (pool of ${config.DATABASE_POOL_SIZE} connections, the default), ` +
        `as the administrator of the district (a real scoped actor, resolved from a bearer token: the scope checks run), for random item codes (${fmt(SEQUENTIAL)} sequential calls, then ${fmt(CONCURRENT_CALLS)} calls ${CONCURRENCY} at a time; ${WARM_UP} warm-up calls not counted; every answer checked: an item, chain intact, timeline complete${bad ? ` — **${bad} answers failed the check**` : ''}). The first measured call sent ${statements} SQL statements (counted on pg's client). ` +
        `Reference: the database limit for the same page — the two lookups it rests on, \`select * from custody_items where code = $1\` and \`select * from custody_events where item_id = $1 order by seq\`, sent directly with pg (a pool of the same size) for other random codes, alternating with the service calls. With 50 callers, both wait for the pool's connections: the service takes one for each of its statements in turn, the reference for two.`,
    );
    say();
    say('| | p50 | p99 | max | calls/s | p50 ratio | p99 ratio |');
    say('|---|---:|---:|---:|---:|---:|---:|');
    say(`| **custody.scan**, sequential | ${ms(seqZ.p50)} ms | **${ms(seqZ.p99)} ms** | ${ms(seqZ.max)} ms | ${fmt(seqZ.perSecond)} | ${ratio(seqZ.p50, seqR.p50)} | ${ratio(seqZ.p99, seqR.p99)} |`);
    say(`| reference: the two lookups, sequential | ${ms(seqR.p50)} ms | ${ms(seqR.p99)} ms | ${ms(seqR.max)} ms | ${fmt(seqR.perSecond)} | 1× | 1× |`);
    say(`| **custody.scan**, ${CONCURRENCY} concurrent | ${ms(conZ.p50)} ms | **${ms(conZ.p99)} ms** | ${ms(conZ.max)} ms | ${fmt(conZ.perSecond)} | ${ratio(conZ.p50, conR.p50)} | ${ratio(conZ.p99, conR.p99)} |`);
    say(`| reference: the two lookups, ${CONCURRENCY} concurrent | ${ms(conR.p50)} ms | ${ms(conR.p99)} ms | ${ms(conR.max)} ms | ${fmt(conR.perSecond)} | 1× | 1× |`);
    say();

    // ---------------------------------------------------------------- 3. tus
    const item = (await c.query<{ id: string }>('select id from custody_items where code = $1', [zc[0]])).rows[0]!;
    await benchTus(url, officer, item.id);
    say(`Load average at the end of the section: ${os.loadavg().map((x) => fmt(x, 1)).join(' / ')}. The section took ${fmt((performance.now() - sectionStart) / 60_000, 1)} min.`);
    say();
  } finally {
    await handle?.close().catch(() => undefined);
    await c.end().catch(() => undefined);
    await adminQuery(`drop database if exists ${DB_NAME} with (force)`).catch((e) => say(`(could not drop ${DB_NAME}: ${(e as Error).message})`));
  }
}
