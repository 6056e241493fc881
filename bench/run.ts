/**
 * Zhian benchmarks: `npm run bench` → docs/benchmarks.md.
 * Each figure is measured next to its reference in the same run and reported as a ratio.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import Fuse from 'fuse.js';
import pg from 'pg';
import { AddressMatcher } from '../src/server/modules/geo/address-matcher.js';
import { evaluateLabelled, type LabelledQuery } from '../src/server/modules/geo/address-matcher.eval.js';
import { GridIndex } from '../src/server/modules/geo/grid-index.js';
import { generateDemoDistrict, generateGridLattice } from '../src/server/modules/demo/index.js';
import type { AddressRecord } from '../src/server/modules/geo/geo.types.js';
import { fmt, machine, out, PG_URL, pgVersion, QUICK, rate, ROOT, say, startServer, stopServer } from './common.js';
import { benchClassification, benchReportsOnPostgres } from './reports.bench.js';
import { benchAlerts } from './alerts.bench.js';
import { benchCustody } from './custody.bench.js';

// ------------------------------------------------------------------ address matching
function benchMatching() {
  say('## Address matching (one core, in process)');
  say();
  const district = generateDemoDistrict();
  const labelled = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/address-labelled.json'), 'utf8')) as LabelledQuery[];
  let t = performance.now();
  const matcher = new AddressMatcher(district.addresses);
  const buildMs = performance.now() - t;
  const ours = evaluateLabelled(matcher, labelled);
  const ourRate = rate((i) => matcher.match(labelled[i % labelled.length].q), QUICK ? 1000 : 4000);

  // Reference: Fuse.js, the most used fuzzy-search library on npm, over full texts and aliases.
  t = performance.now();
  const fuse = new Fuse(district.addresses, { keys: ['fullText', 'aliases'], includeScore: true, ignoreLocation: true, threshold: 0.6 });
  const fuseBuildMs = performance.now() - t;
  const fuseMatcher = {
    match(q: string) {
      const hits = fuse.search(q, { limit: 6 });
      const conv = (h: { item: AddressRecord; score?: number }) => ({ record: h.item, confidence: 1 - (h.score ?? 1), matchedLevels: [] });
      return { query: q, normalized: q, best: hits[0] ? conv(hits[0]) : null, alternatives: hits.slice(1).map(conv) };
    },
  } as unknown as AddressMatcher;
  const sample = labelled.filter((_, i) => i % (QUICK ? 20 : 5) === 0);
  const fuseEval = evaluateLabelled(fuseMatcher, sample);
  const oursOnSample = evaluateLabelled(matcher, sample);
  const fuseRate = rate((i) => fuseMatcher.match(sample[i % sample.length].q), QUICK ? 1000 : 4000);

  say(`Demo district: ${fmt(district.addresses.length)} address records. Two labelled sets: ${labelled.length} queries written from templates while the matcher was developed (test/fixtures/address-labelled.json — it was used to improve the matcher, so it flatters it) and an independent held-out set written by hand by someone who never saw the matcher (test/fixtures/address-heldout.json). The reference is Fuse.js, the most used fuzzy-search library on npm, over the same records (full text and aliases, threshold 0.6); it is slow, so it runs on a sample.`);
  say();
  say('| | Zhian AddressMatcher | reference: Fuse.js 7 | ratio |');
  say('|---|---:|---:|---:|');
  say(`| index build | ${fmt(buildMs)} ms | ${fmt(fuseBuildMs)} ms | ${fmt(fuseBuildMs / buildMs, 2)}× |`);
  say(`| matches per second (one core) | ${fmt(ourRate)} | ${fmt(fuseRate, 1)} | **${fmt(ourRate / fuseRate)}×** |`);
  say(`| top-1 accuracy, sample of ${sample.length} queries | ${fmt(oursOnSample.accuracy * 100, 1)} % | ${fmt(fuseEval.accuracy * 100, 1)} % | ${fmt(oursOnSample.accuracy / Math.max(fuseEval.accuracy, 1e-9), 2)}× |`);
  say(`| top-1 accuracy, all ${labelled.length} queries | **${fmt(ours.accuracy * 100, 1)} %** (${ours.top1}/${ours.total}) | – | |`);
  const heldout = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/address-heldout.json'), 'utf8')) as LabelledQuery[];
  const oursHeld = evaluateLabelled(matcher, heldout);
  const fuseHeld = evaluateLabelled(fuseMatcher, heldout.filter((_, i) => i % (QUICK ? 20 : 4) === 0));
  say(`| top-1 accuracy, independent held-out set (${heldout.length} hand-written queries; Fuse.js on every ${QUICK ? 20 : 4}th) | **${fmt(oursHeld.accuracy * 100, 1)} %** (${oursHeld.top1}/${oursHeld.total}) | ${fmt(fuseHeld.accuracy * 100, 1)} % (${fuseHeld.top1}/${fuseHeld.total}) | ${fmt(oursHeld.accuracy / Math.max(fuseHeld.accuracy, 1e-9), 2)}× |`);
  say();
  say('Top-1 accuracy by kind of query:');
  say();
  say('| kind | queries | top-1 | accuracy |');
  say('|---|---:|---:|---:|');
  for (const [k, s] of Object.entries(ours.byKind).sort()) say(`| ${k} | ${s.total} | ${s.top1} | ${fmt(s.accuracy * 100, 1)} % |`);
  say();
}

// ------------------------------------------------------------------ point in grid
function benchGrids() {
  say('## Point-in-grid lookup (one core, in process)');
  say();
  say('| grids | R-tree index (lookups/s) | reference: brute-force scan (lookups/s) | ratio | answers agree |');
  say('|---:|---:|---:|---:|---:|');
  const bbox: [number, number, number, number] = [120.45, 30.3, 120.85, 30.55];
  for (const count of [400, 40_000]) {
    const polys = generateGridLattice({ seed: 7, count, bbox });
    const index = new GridIndex(polys.map((geometry, i) => ({ id: String(i), geometry })));
    let s = 12345;
    const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pts = Array.from({ length: 20_000 }, () => [bbox[0] + rnd() * (bbox[2] - bbox[0]), bbox[1] + rnd() * (bbox[3] - bbox[1])] as const);
    let agree = 0;
    const checks = count > 1000 ? 300 : 3000;
    for (let i = 0; i < checks; i++) if (index.locate(pts[i][0], pts[i][1]) === index.locateBruteForce(pts[i][0], pts[i][1])) agree++;
    const fast = rate((i) => index.locate(pts[i % pts.length][0], pts[i % pts.length][1]), QUICK ? 500 : 2000);
    const slow = rate((i) => index.locateBruteForce(pts[i % pts.length][0], pts[i % pts.length][1]), QUICK ? 500 : 2000);
    say(`| ${fmt(count)} | ${fmt(fast)} | ${fmt(slow)} | **${fmt(fast / slow)}×** | ${agree}/${checks} |`);
  }
  say();
}

// ------------------------------------------------------------------ HTTP latency
async function loadTest(port: number, paths: string[], headers: Record<string, string>, seconds: number) {
  const r = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: 50,
    duration: seconds,
    headers,
    requests: paths.map((p) => ({ method: 'GET', path: p })),
  });
  return { p50: r.latency.p50, p99: r.latency.p99, rps: r.requests.average, errors: r.errors + r.non2xx };
}

async function benchHttp() {
  say('## `GET /api/v1/addresses/match`, 50 concurrent connections (autocannon, server in its own process)');
  say();
  say('Reference: `GET /healthz` on the same server in the same run (the HTTP floor: no authentication, no database, no matching). Queries cycle through the labelled set.');
  say();
  say('| database | match p50 | match p99 | match req/s | /healthz p50 | /healthz p99 | /healthz req/s | p99 ratio |');
  say('|---|---:|---:|---:|---:|---:|---:|---:|');
  const labelled = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/address-labelled.json'), 'utf8')) as LabelledQuery[];
  const paths = labelled.map((l) => `/api/v1/addresses/match?q=${encodeURIComponent(l.q)}`);
  const seconds = QUICK ? 3 : 10;
  const targets: { label: string; env: Record<string, string>; cleanup?: () => Promise<void> }[] = [];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhian-bench-'));
  targets.push({ label: 'PGlite (embedded)', env: { ZHIAN_DATA_DIR: dataDir }, cleanup: async () => fs.rmSync(dataDir, { recursive: true, force: true }) });
  const dbName = `zhian_bench_${process.pid}`;
  try {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`create database ${dbName}`);
    await admin.end();
    const url = new URL(PG_URL);
    url.pathname = `/${dbName}`;
    targets.push({
      label: `PostgreSQL ${await pgVersion()}`,
      env: { DATABASE_URL: url.toString() },
      cleanup: async () => {
        const c = new pg.Client({ connectionString: PG_URL });
        await c.connect();
        await c.query(`drop database if exists ${dbName} with (force)`);
        await c.end();
      },
    });
  } catch (e) {
    say(`(PostgreSQL at ${PG_URL} not available: ${(e as Error).message})`);
  }
  for (const t of targets) {
    const { child, port } = await startServer(t.env);
    try {
      const login = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: 'zhian-demo' }),
      });
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
      await fetch(`http://127.0.0.1:${port}${paths[0]}`, { headers: { cookie } }); // warm the index
      const m = await loadTest(port, paths, { cookie }, seconds);
      const h = await loadTest(port, ['/healthz'], {}, seconds);
      say(`| ${t.label} | ${m.p50} ms | ${m.p99} ms | ${fmt(m.rps)} | ${h.p50} ms | ${h.p99} ms | ${fmt(h.rps)} | ${fmt(m.p99 / Math.max(h.p99, 1), 1)}× |`);
      if (m.errors) say(`|  ↳ ${m.errors} errors / non-2xx during the match run | | | | | | | |`);
    } finally {
      await stopServer(child);
      await t.cleanup?.();
    }
  }
  say();
}

async function main() {
  say('# Zhian benchmarks');
  say();
  say(`Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on: ${machine()}.`);
  say();
  say('Reproduce with `npm run bench` (`npm run bench -- --quick` for a short run). PostgreSQL figures use `BENCH_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/test`; a temporary database is created and dropped).');
  say();
  const started = performance.now();
  // --only=matching,grids,http,classify,reports,alerts,custody runs a subset (not written to docs/).
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');
  const run = (s: string) => !only || only.includes(s);
  if (run('matching')) benchMatching();
  if (run('grids')) benchGrids();
  if (run('http')) await benchHttp();
  if (run('classify')) benchClassification();
  if (run('reports')) await benchReportsOnPostgres();
  if (run('alerts')) await benchAlerts();
  if (run('custody')) await benchCustody();
  say(`Whole run: ${fmt((performance.now() - started) / 60_000, 1)} min${QUICK ? ' (--quick)' : ''}.`);
  say();
  const docs = path.join(ROOT, 'docs/benchmarks.md');
  if (!QUICK && !only) fs.writeFileSync(docs, out.join('\n'));
  else if (!QUICK && fs.existsSync(docs)) {
    // A full run of some sections replaces those sections in docs/benchmarks.md (and says when
    // they were measured); the other sections keep the figures of their own run.
    const stamp = `_This section was measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC with \`npm run bench -- --only=${only!.join(',')}\` on the machine above._`;
    const fresh = splitSections(out.join('\n'));
    const old = splitSections(fs.readFileSync(docs, 'utf8'));
    const merged = old.sections.map((sec) => {
      const f = fresh.sections.find((x) => x.title === sec.title);
      return f ? { ...f, body: `${stamp}\n\n${f.body.trimStart()}` } : sec;
    });
    for (const f of fresh.sections) if (!old.sections.some((x) => x.title === f.title)) merged.push({ ...f, body: `${stamp}\n\n${f.body.trimStart()}` });
    fs.writeFileSync(docs, [old.head, ...merged.map((x) => `${x.title}\n${x.body}`)].join(''));
    process.stderr.write(`sections ${fresh.sections.map((x) => x.title).join(', ')} written into ${docs}\n`);
  } else {
    const file = path.join(ROOT, `.tmp/benchmarks-${QUICK ? 'quick' : 'partial'}.md`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, out.join('\n'));
    process.stderr.write(`written to ${file}\n`);
  }
}

/** A markdown document cut at its '## ' headings: what comes before, then each section. */
function splitSections(text: string): { head: string; sections: { title: string; body: string }[] } {
  const parts = text.split(/^(?=## )/m);
  const head = parts[0]!.startsWith('## ') ? '' : parts.shift()!;
  return {
    head,
    sections: parts.map((p) => {
      const nl = p.indexOf('\n');
      return { title: p.slice(0, nl), body: p.slice(nl + 1) };
    }),
  };
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
