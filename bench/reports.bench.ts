/**
 * Benchmarks of the reports module (事件中枢):
 *  - classification of report texts, in process, against a keyword baseline written here;
 *  - intake (createReport) on PostgreSQL against raw INSERTs of the same rows;
 *  - the POST /api/v1/reports HTTP path against GET /healthz on the same server;
 *  - the case list and the statistics with a million generated cases, against the raw SQL of
 *    the same query shape, with EXPLAIN of the slow queries and the effect of proposed fixes.
 * Each figure is measured next to its reference in the same run.
 */
import crypto from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict';
import autocannon from 'autocannon';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from '../src/server/db.js';
import { buildZhian, type Zhian } from '../src/server/main.js';
import { DEMO_DISTRICT_CODE, DEMO_PASSWORD } from '../src/server/modules/demo/index.js';
import { createReportClassifier, DEFAULT_TRIAGE_THRESHOLD, evaluate, loadLabelledReports, tokenize, type LabelledReport, type ReportClassification } from '../src/server/modules/reports/classifier/index.js';
import { LEAF_CATEGORIES } from '../src/server/modules/reports/reports.categories.js';
import * as repo from '../src/server/modules/reports/reports.repository.js';
import type { ReportInput } from '../src/server/modules/reports/reports.service.js';
import { systemContext, type RequestContext } from '../src/server/platform/http/context.js';
import { testConfig } from '../test/helpers.js';
import { adminQuery, databaseUrl, fmt, median, ms, percentile, pgVersion, progress, QUICK, rate, say, startServer, stopServer } from './common.js';
import { generateCases } from './reports.generate.js';

const CATEGORY_NAME = new Map(LEAF_CATEGORIES.map((c) => [c.code, c.name]));
const pct = (v: number, d = 1) => `${fmt(v * 100, d)} %`;
const ratio = (a: number, b: number, d = 2) => `${fmt(a / b, d)}×`;

// =================================================================================================
// 1. Classification
// =================================================================================================

interface Classifies {
  classify(text: string): ReportClassification;
}

/**
 * The reference: a trivial keyword classifier. For each category, the jieba words (two Han
 * characters or more) that occur in at least two of its training reports and of which at
 * least 60 % of the occurrences are in that category, the 15 most frequent of them; a text
 * goes to the category with the most keywords contained in it (ties: the first code; no hit:
 * the largest category).
 */
function keywordBaseline(train: LabelledReport[], jieba: Jieba, perCategory = 15): Classifies & { keywords: Map<string, string[]> } {
  const words = (text: string) => new Set(jieba.cut(text.normalize('NFKC'), false).filter((w) => w.length >= 2 && /^\p{Script=Han}+$/u.test(w)));
  const labels = [...new Set(train.map((x) => x.category))].sort();
  const size = new Map<string, number>();
  const df = new Map<string, Map<string, number>>();
  for (const x of train) {
    size.set(x.category, (size.get(x.category) ?? 0) + 1);
    for (const w of words(x.text)) {
      const m = df.get(w) ?? new Map<string, number>();
      m.set(x.category, (m.get(x.category) ?? 0) + 1);
      df.set(w, m);
    }
  }
  const candidates = new Map<string, { w: string; n: number }[]>(labels.map((l) => [l, []]));
  for (const [w, m] of df) {
    let total = 0;
    let best = '';
    let bn = 0;
    for (const [c, k] of m) {
      total += k;
      if (k > bn || (k === bn && c < best)) [best, bn] = [c, k];
    }
    if (bn >= 2 && bn / total >= 0.6) candidates.get(best)!.push({ w, n: bn });
  }
  const keywords = new Map(labels.map((l) => [l, candidates.get(l)!.sort((a, b) => b.n - a.n || (a.w < b.w ? -1 : 1)).slice(0, perCategory).map((x) => x.w)]));
  const largest = labels.reduce((a, b) => ((size.get(b) ?? 0) > (size.get(a) ?? 0) ? b : a));
  const lists = labels.map((l) => keywords.get(l)!);
  return {
    keywords,
    classify(text: string) {
      const t = text.normalize('NFKC');
      const hits = lists.map((ws) => {
        let h = 0;
        for (const w of ws) if (t.includes(w)) h++;
        return h;
      });
      const sum = hits.reduce((a, b) => a + b, 0);
      const order = labels.map((_, i) => i).sort((a, b) => hits[b] - hits[a] || a - b);
      if (sum === 0) {
        const rest = labels.filter((l) => l !== largest);
        return { category: largest, confidence: 0, alternatives: rest.slice(0, 3).map((category) => ({ category, confidence: 0 })) };
      }
      return { category: labels[order[0]], confidence: hits[order[0]] / sum, alternatives: order.slice(1, 4).map((i) => ({ category: labels[i], confidence: hits[i] / sum })) };
    },
  };
}

function topK(c: Classifies, items: LabelledReport[], k: number): number {
  let ok = 0;
  for (const x of items) {
    const r = c.classify(x.text);
    if ([r.category, ...r.alternatives.map((a) => a.category)].slice(0, k).includes(x.category)) ok++;
  }
  return ok;
}

export function benchClassification() {
  say('## Report classification (one core, in process)');
  say();
  const data = loadLabelledReports();
  const train = data.items.filter((x) => x.split === 'train');
  const held = data.items.filter((x) => x.split === 'heldout');

  // Start-up: the jieba dictionary (once per process), then training as buildZhian does it.
  let t = performance.now();
  tokenize('井盖');
  const dictMs = performance.now() - t;
  t = performance.now();
  const ours = createReportClassifier();
  const trainMs = performance.now() - t;
  const warmTrainMs = median([0, 1, 2].map(() => {
    const s = performance.now();
    createReportClassifier();
    return performance.now() - s;
  }));

  const jieba = Jieba.withDict(dict);
  t = performance.now();
  const base = keywordBaseline(train, jieba);
  const baseTrainMs = performance.now() - t;

  const thresholds = [0.5, 0.6, DEFAULT_TRIAGE_THRESHOLD, 0.7, 0.8];
  const ev = evaluate(ours, held, thresholds);
  const bev = evaluate(base, held, []);
  const top3 = topK(ours, held, 3);
  const btop3 = topK(base, held, 3);
  const millis = QUICK ? 1000 : 3000;
  const ourRate = rate((i) => ours.classify(held[i % held.length].text), millis);
  const baseRate = rate((i) => base.classify(held[i % held.length].text), millis);

  say(
    `Data: test set = the ${held.length} held-out reports of src/server/modules/reports/classifier/reports-labelled.json (8 per leaf, written separately with deliberately different wording; never used to choose the model), training set = its ${fmt(train.length)} training reports, ${new Set(train.map((x) => x.category)).size} leaf categories. ` +
      'Zhian: jieba words + character bigrams and unigrams, multinomial naive Bayes, temperature fitted by cross-validation (text-classifier.ts). ' +
      'Reference: a keyword classifier written in the bench — for each category the 15 most frequent jieba words (≥ 2 characters) of its training reports that occur in at least two of them and have ≥ 60 % of their occurrences in it; a text goes to the category with the most keywords it contains — trained on the same training set and measured on the same held-out set in the same run.',
  );
  say();
  say('| | Zhian classifier | reference: keyword baseline | ratio |');
  say('|---|---:|---:|---:|');
  say(`| held-out top-1 accuracy | **${pct(ev.accuracy)}** (${ev.correct}/${ev.n}) | ${pct(bev.accuracy)} (${bev.correct}/${bev.n}) | **${ratio(ev.accuracy, bev.accuracy)}** |`);
  say(`| held-out top-3 accuracy | ${pct(top3 / held.length)} (${top3}/${held.length}) | ${pct(btop3 / held.length)} (${btop3}/${held.length}) | ${ratio(top3, btop3)} |`);
  say(`| classifications per second (one core) | ${fmt(ourRate)} | ${fmt(baseRate)} | ${ratio(ourRate, baseRate)} |`);
  say(`| training at start-up | ${fmt(trainMs)} ms (warm: ${fmt(warmTrainMs)} ms) + ${fmt(dictMs)} ms to load the jieba dictionary once per process | ${fmt(baseTrainMs)} ms | |`);
  say();
  const at = ev.thresholds.find((x) => x.threshold === DEFAULT_TRIAGE_THRESHOLD)!;
  say(
    `Triage: a report whose confidence is below the threshold (DEFAULT_TRIAGE_THRESHOLD = ${DEFAULT_TRIAGE_THRESHOLD}) goes to the manual triage queue instead of being routed. On the held-out set at ${DEFAULT_TRIAGE_THRESHOLD}: **${pct(at.triageRate)}** of the reports go to triage, catching ${pct(at.errorsCaught)} of the misclassifications; the automatically routed rest is **${pct(at.autoAccuracy)}** accurate (against ${pct(ev.accuracy)} with no triage). Mean confidence of right answers ${fmt(ev.meanConfidenceCorrect, 2)}, of wrong ones ${fmt(ev.meanConfidenceWrong, 2)}.`,
  );
  say();
  say('| threshold | sent to triage | errors caught | accuracy of the auto-routed rest |');
  say('|---:|---:|---:|---:|');
  for (const p of ev.thresholds) {
    const b = p.threshold === DEFAULT_TRIAGE_THRESHOLD ? '**' : '';
    say(`| ${b}${p.threshold}${b} | ${b}${pct(p.triageRate)}${b} | ${pct(p.errorsCaught)} | ${b}${pct(p.autoAccuracy)}${b} |`);
  }
  say();
  say('Held-out accuracy per category:');
  say();
  say('| code | name | n | correct | accuracy | keyword baseline |');
  say('|---|---|---:|---:|---:|---:|');
  const bper = new Map(bev.perCategory.map((c) => [c.category, c]));
  for (const c of ev.perCategory) say(`| ${c.category} | ${CATEGORY_NAME.get(c.category) ?? ''} | ${c.n} | ${c.correct} | ${pct(c.accuracy, 0)} | ${pct(bper.get(c.category)?.accuracy ?? 0, 0)} |`);
  say();
  const pairs = Object.entries(ev.confusion)
    .flatMap(([e, m]) => Object.entries(m).map(([p, k]) => ({ e, p, k })))
    .sort((a, b) => b.k - a.k || (a.e + a.p < b.e + b.p ? -1 : 1))
    .slice(0, 6);
  say(`Most frequent confusions (expected → predicted): ${pairs.map((x) => `${CATEGORY_NAME.get(x.e)} → ${CATEGORY_NAME.get(x.p)} (${x.k})`).join(', ')}.`);
  say();
}

// =================================================================================================
// 2 and 3. Intake, list and statistics on PostgreSQL
// =================================================================================================

interface District {
  id: string;
  path: string;
  commandUserId: string;
}

/** Counts the statements sent by every pg client of this process while on. */
function statementCounter() {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  const kinds = new Map<string, number>();
  let total = 0;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const q = args[0] as string | { text?: string } | undefined;
    const text = (typeof q === 'string' ? q : (q?.text ?? '')).trim().toLowerCase();
    let kind = text.split(/\s+/)[0] ?? '?';
    const table = text.match(/^(?:insert into|update|delete from)\s+"?(\w+)"?/)?.[1] ?? (text.startsWith('select') ? (text.includes('pg_notify') ? 'pg_notify()' : text.match(/\bfrom\s+"?(\w+)"?/)?.[1]) : undefined);
    if (table) kind = `${kind} ${table}`;
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    total++;
    const t = performance.now();
    const r = original.apply(this, args);
    if (r && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).then(() => (waitMs += performance.now() - t), () => (waitMs += performance.now() - t));
    return r;
  };
  let waitMs = 0;
  return {
    get total() {
      return total;
    },
    /** Wall time spent waiting for statements (meaningful for sequential callers). */
    get waitMs() {
      return waitMs;
    },
    kinds,
    stop() {
      proto.query = original;
    },
  };
}

/** Runs fn from `concurrency` callers for `seconds`; reports/s and latencies. */
async function closedLoop(concurrency: number, seconds: number, fn: (i: number) => Promise<unknown>) {
  let next = 0;
  const lat: number[] = [];
  let errors = 0;
  let firstError: unknown = null;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const i = next++;
        const t = performance.now();
        try {
          await fn(i);
          lat.push(performance.now() - t);
        } catch (e) {
          errors++;
          firstError ??= e;
        }
      }
    }),
  );
  const elapsed = performance.now() - start;
  if (firstError) progress(`first error: ${(firstError as Error).message}`);
  lat.sort((a, b) => a - b);
  return { n: lat.length, perSecond: (lat.length * 1000) / elapsed, p50: percentile(lat, 50), p99: percentile(lat, 99), errors };
}

const INSERT_COLUMNS = [
  'number', 'tracking_code', 'channel', 'status', 'suspended_from', 'suspended_at', 'description', 'category_code', 'suggested_category', 'suggested_confidence', 'priority', 'time_mode',
  'lng', 'lat', 'address_text', 'address_id', 'grid_id', 'community_org_id', 'street_org_id', 'district_org_id', 'dept_org_id', 'assignee_id', 'area_path', 'dept_path', 'routing',
  'reporter_name', 'reporter_phone', 'reporter_user_id', 'external_ref', 'stage', 'stage_started_at', 'stage_deadline', 'expected_at', 'merged_into', 'result_note', 'rating', 'rating_comment', 'closed_at',
];

/** Samples what the active sessions of the database wait for, until stopped. */
async function waitSampler(url: string) {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  const counts = new Map<string, number>();
  let samples = 0;
  let on = true;
  const loop = (async () => {
    while (on) {
      const r = await c.query(
        `select coalesce(wait_event_type || ': ' || wait_event, 'on CPU') as what from pg_stat_activity
         where datname = current_database() and pid <> pg_backend_pid() and state in ('active', 'idle in transaction') and backend_type = 'client backend'`,
      );
      for (const x of r.rows) {
        counts.set(x.what, (counts.get(x.what) ?? 0) + 1);
        samples++;
      }
      await new Promise((res) => setTimeout(res, 20));
    }
  })();
  return {
    async stop() {
      on = false;
      await loop;
      await c.end();
      const top = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([what, n]) => ({ what, share: n / Math.max(samples, 1) }));
      return { samples, top };
    },
  };
}

async function benchIntake(z: Zhian, url: string, district: District, token: string) {
  const concurrency = 8;
  const seconds = QUICK ? 4 : 20;
  const resolved = await z.services.auth.resolve({ bearer: token });
  if (!resolved) throw new Error('bench token does not resolve');
  const ctx: RequestContext = { actor: resolved.actor, ip: '127.0.0.1', requestId: null };
  const held = loadLabelledReports().items.filter((x) => x.split === 'heldout');
  const places = await z.handle.db
    .selectFrom('addresses as a')
    .innerJoin('grids as g', 'g.id', 'a.grid_id')
    .innerJoin('orgs as c', 'c.id', 'g.community_org_id')
    .select(['a.full_text', 'a.lng', 'a.lat'])
    .where('a.level', '=', 'building')
    .where('c.path', 'like', `${district.path}%`)
    .orderBy('a.id')
    .limit(2000)
    .execute();
  // A hotline operator's entry: the caller's words, the pin and the address, no category.
  const input = (i: number): ReportInput => {
    const p = places[(i * 7919) % places.length];
    return { channel: 'hotline', description: held[i % held.length].text, lng: p.lng, lat: p.lat, address: p.full_text, reporterName: '王先生', reporterPhone: '13812345678' };
  };

  // Statements per report, sequentially (also the warm-up).
  const seq = 40;
  for (let i = 0; i < 10; i++) await z.services.reports.createReport(ctx, input(200_000 + i));
  const counter = statementCounter();
  const seqStart = performance.now();
  for (let i = 0; i < seq; i++) await z.services.reports.createReport(ctx, input(100_000 + i));
  const seqMs = (performance.now() - seqStart) / seq;
  counter.stop();
  const waitMs = counter.waitMs / seq;
  const perReport = counter.total / seq;
  const kinds = [...counter.kinds.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([k, v]) => `${k} ${fmt(v / seq, 1)}`);

  progress(`intake: ${concurrency} callers for ${seconds} s`);
  const outcome = new Map<string, number>();
  const sampler = await waitSampler(url);
  const cpu0 = process.cpuUsage();
  const ours = await closedLoop(concurrency, seconds, async (i) => {
    const r = await z.services.reports.createReport(ctx, input(i));
    outcome.set(r.status, (outcome.get(r.status) ?? 0) + 1);
  });
  const cpu = process.cpuUsage(cpu0);
  const nodeCpuMs = (cpu.user + cpu.system) / 1000 / Math.max(ours.n, 1);
  const waits = await sampler.stop();

  // Reference: the same rows, INSERTed one by one through a plain pg Pool, same concurrency.
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const sample = (await pool.query(`select ${INSERT_COLUMNS.join(', ')} from reports where reporter_user_id is not null order by created_at desc limit 500`)).rows;
  const text = `insert into reports (${INSERT_COLUMNS.join(', ')}) values (${INSERT_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')}) returning id`;
  const tag = crypto.randomBytes(3).toString('hex').toUpperCase();
  progress(`raw INSERT: ${concurrency} callers for ${seconds} s`);
  const raw = await closedLoop(concurrency, seconds, async (i) => {
    const row = sample[i % sample.length];
    const values = INSERT_COLUMNS.map((c) => (c === 'number' ? `R${tag}${String(i).padStart(9, '0')}` : c === 'tracking_code' ? `R${tag}${i.toString(36).toUpperCase().padStart(4, '0')}` : c === 'routing' ? JSON.stringify(row.routing) : row[c]));
    await pool.query(text, values);
  });
  await pool.end();
  // The copies were only a reference: they go, so that the list benchmarks see the service's rows only.
  // (Nothing references them; without the FK triggers, as the check of reports.merged_into has no index to use.)
  const cleanup = new pg.Client({ connectionString: url });
  await cleanup.connect();
  await cleanup.query(`set session_replication_role = replica`);
  await cleanup.query(`delete from reports where number like $1`, [`R${tag}%`]);
  await cleanup.end();

  const auto = outcome.get('dispatched') ?? 0;
  const triage = outcome.get('reported') ?? 0;
  say(`### Intake: \`createReport\`, ${concurrency} concurrent callers, in process`);
  say();
  say(
    `Each call as a hotline operator's entry: a held-out report text (no category: the classifier decides), a pin and the address text of a building of the demo district, a name and phone; ` +
      'validation, address resolution, classification, routing, then one transaction with the report row, the stage rows, the timeline events, the durable warning and overdue timers, the audit row, pg_notify and the notifications, then the duplicate check. ' +
      `Database pool: 10 connections (the default). Reference: INSERTs of the same rows (${INSERT_COLUMNS.length} columns, values copied from reports the service wrote, new number and tracking code) into \`reports\`, one statement per row with \`returning id\`, through a plain \`pg\` Pool of 10, ${concurrency} concurrent callers, in the same run on the same database.`,
  );
  say();
  say(`| ${seconds} s, ${concurrency} callers | Zhian createReport | reference: raw INSERT | ratio (ours / raw) |`);
  say('|---|---:|---:|---:|');
  say(`| reports per second | **${fmt(ours.perSecond)}** | ${fmt(raw.perSecond)} | **${ratio(ours.perSecond, raw.perSecond, 3)}** |`);
  say(`| latency p50 | ${ms(ours.p50)} ms | ${ms(raw.p50)} ms | ${ratio(ours.p50, raw.p50, 1)} |`);
  say(`| latency p99 | ${ms(ours.p99)} ms | ${ms(raw.p99)} ms | ${ratio(ours.p99, raw.p99, 1)} |`);
  say(`| SQL statements per report | ${fmt(perReport, 1)} | 1 | ${fmt(perReport, 1)}× |`);
  if (ours.errors || raw.errors) say(`| errors | ${ours.errors} | ${raw.errors} | |`);
  say();
  say(
    `Of the ${fmt(ours.n)} reports created in the measured ${seconds} s, ${pct(auto / Math.max(ours.n, 1), 0)} were classified with enough confidence and dispatched at once (受理, 立案, 派遣 by the system) and ${pct(triage / Math.max(ours.n, 1), 0)} went to the triage queue. ` +
      `One caller alone (${seq} sequential calls after 10 warm-up ones): ${ms(seqMs)} ms per report, of which ${ms(waitMs)} ms waiting for PostgreSQL (${pct(waitMs / seqMs, 0)}) and the rest in Node (validation, address matching, classification, routing, query building). ` +
      `Statements per report, counted at the pg client: ${kinds.join(', ')}. ` +
      `With ${concurrency} callers the Node process spent ${ms(nodeCpuMs)} ms of CPU per report (process.cpuUsage; the machine has 2 cores, shared with PostgreSQL). ` +
      `What the database sessions of the ${concurrency} callers were doing (pg_stat_activity sampled every 20 ms, ${fmt(waits.samples)} samples of active sessions): ${waits.top.map((w) => `${w.what} ${pct(w.share, 0)}`).join(', ')}.`,
  );
  say();
}

async function benchIntakeHttp(port: number, token: string, z: Zhian, district: District) {
  const held = loadLabelledReports().items.filter((x) => x.split === 'heldout');
  const places = await z.handle.db
    .selectFrom('addresses as a')
    .innerJoin('grids as g', 'g.id', 'a.grid_id')
    .innerJoin('orgs as c', 'c.id', 'g.community_org_id')
    .select(['a.full_text', 'a.lng', 'a.lat'])
    .where('a.level', '=', 'building')
    .where('c.path', 'like', `${district.path}%`)
    .orderBy('a.id')
    .limit(2000)
    .execute();
  const connections = 8;
  const duration = QUICK ? 3 : 15;
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  const requests = Array.from({ length: 600 }, (_, i) => {
    const p = places[(i * 7919) % places.length];
    return { method: 'POST' as const, path: '/api/v1/reports', headers, body: JSON.stringify({ channel: 'hotline', description: held[i % held.length].text, lng: p.lng, lat: p.lat, address: p.full_text, reporterName: '李女士', reporterPhone: '13912345678' }) };
  });
  const warm = await fetch(`http://127.0.0.1:${port}/api/v1/reports`, { method: 'POST', headers, body: requests[0].body });
  if (warm.status !== 201) throw new Error(`POST /api/v1/reports: ${warm.status} ${await warm.text()}`);
  progress(`autocannon POST /api/v1/reports, ${connections} connections, ${duration} s`);
  const post = await autocannon({ url: `http://127.0.0.1:${port}`, connections, duration, requests });
  progress(`autocannon GET /healthz`);
  const health = await autocannon({ url: `http://127.0.0.1:${port}`, connections, duration, requests: [{ method: 'GET', path: '/healthz' }] });
  say(`### Intake over HTTP: \`POST /api/v1/reports\`, ${connections} connections (autocannon, server in its own process)`);
  say();
  say(`The same kind of entries as above, as JSON with a bearer token (an API token of the command-centre user), ${duration} s. Reference: \`GET /healthz\` on the same server in the same run (the HTTP floor: no authentication, no database).`);
  say();
  say('| | POST /api/v1/reports | GET /healthz | ratio |');
  say('|---|---:|---:|---:|');
  say(`| requests per second | **${fmt(post.requests.average)}** | ${fmt(health.requests.average)} | ${fmt(post.requests.average / health.requests.average, 3)}× |`);
  say(`| latency p50 | ${post.latency.p50} ms | ${health.latency.p50} ms | ${fmt(post.latency.p50 / Math.max(health.latency.p50, 1), 1)}× |`);
  say(`| latency p99 | **${post.latency.p99} ms** | ${health.latency.p99} ms | ${fmt(post.latency.p99 / Math.max(health.latency.p99, 1), 1)}× |`);
  const bad = post.errors + post.non2xx;
  if (bad) say(`| errors / non-2xx | ${bad} | ${health.errors + health.non2xx} | |`);
  say();
}

// ------------------------------------------------------------------------------------- list and stats

interface Captured {
  sql: string;
  parameters: unknown[];
}

/** Zhian's own SQL for a repository call, captured from Kysely (run again raw for timing and EXPLAIN). */
async function capture(pool: pg.Pool, fn: (db: Kysely<Database>) => Promise<unknown>): Promise<Captured[]> {
  const captured: Captured[] = [];
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: pool as never }),
    log: (e) => {
      if (e.level === 'query') captured.push({ sql: e.query.sql, parameters: [...e.query.parameters] });
    },
  });
  await fn(db);
  return captured;
}

/** Sequential timings of an async call: a few warm-up calls, then up to n calls or the time budget. */
async function timeSeq(fn: () => Promise<unknown>, n: number, budgetMs: number, warm = 3, minN = 10) {
  // Warm-up: `warm` calls, or a single one when a call takes longer than half a second.
  for (let i = 0; i < warm; i++) {
    const t = performance.now();
    await fn();
    if (performance.now() - t > 500) break;
  }
  const lat: number[] = [];
  const start = performance.now();
  while (lat.length < n && (lat.length < minN || performance.now() - start < budgetMs)) {
    const t = performance.now();
    await fn();
    lat.push(performance.now() - t);
  }
  lat.sort((a, b) => a - b);
  return { n: lat.length, p50: percentile(lat, 50), p99: percentile(lat, 99) };
}

async function explain(pool: pg.Pool, q: Captured): Promise<string> {
  const r = await pool.query(`explain (analyze, buffers, costs off) ${q.sql}`, q.parameters as unknown[]);
  return r.rows.map((x) => x['QUERY PLAN']).join('\n');
}

interface Endpoint {
  key: string;
  label: string;
  path: string;
  /** Zhian's repository call, for the captured SQL. */
  zhian: (db: Kysely<Database>) => Promise<unknown>;
  /** The raw SQL of the same shape. */
  raw: (pool: pg.Pool) => Promise<unknown>;
  rawText: string;
}

function endpoints(d: District): Endpoint[] {
  const scope: repo.ReportScope = { pathPrefix: d.path, gridIds: null, userId: d.commandUserId };
  const like = `${d.path}%`;
  const page = { offset: 0, limit: 20 };
  const now = Date.now();
  const d30 = new Date(now - 30 * 86_400_000);
  const d90 = new Date(now - 90 * 86_400_000);
  const list = (where: string, extra: unknown[] = []) => async (pool: pg.Pool) =>
    Promise.all([
      pool.query(`select * from reports where area_path like $1${where} order by created_at desc limit 20`, [like, ...extra]),
      pool.query(`select count(*) from reports where area_path like $1${where}`, [like, ...extra]),
    ]);
  const stats = (key: string, from: Date) => async (pool: pg.Pool) => {
    const to = new Date();
    const p = [like, from, to];
    const w = `r.area_path like $1 and r.created_at >= $2 and r.created_at < $3`;
    await pool.query(
      `select ${key} as key, count(*) total, count(*) filter (where status not in ('closed', 'voided')) open, count(*) filter (where status = 'closed') closed,
              count(*) filter (where status = 'voided') voided, count(*) filter (where overdue) overdue,
              avg(extract(epoch from (closed_at - created_at)) / 60) filter (where status = 'closed') avg_close,
              count(*) filter (where rating = 'satisfied') s, count(*) filter (where rating = 'basically_satisfied') b, count(*) filter (where rating = 'dissatisfied') d
       from reports r where ${w} group by 1`,
      p,
    );
    await pool.query(`select ${key} as key, count(*), count(*) filter (where s.on_time) from reports r join report_stages s on s.report_id = r.id where ${w} and s.finished_at is not null and s.on_time is not null group by 1`, p);
    await pool.query(
      `select s.stage, count(*), avg(extract(epoch from (s.finished_at - s.started_at)) / 60), count(*) filter (where s.on_time), count(*) filter (where s.on_time is not null)
       from reports r join report_stages s on s.report_id = r.id where ${w} and s.finished_at is not null group by 1`,
      p,
    );
  };
  const dayKey = `to_char(r.created_at at time zone 'Asia/Shanghai', 'YYYY-MM-DD')`;
  return [
    {
      key: 'list',
      label: 'list, newest first',
      path: '/api/v1/reports?page=1&pageSize=20',
      zhian: (db) => repo.listReports(db, scope, {}, page),
      raw: list(''),
      rawText: '`select * from reports where area_path like $1 order by created_at desc limit 20` ∥ `select count(*) … where area_path like $1`',
    },
    {
      key: 'overdue',
      label: 'list, dispatched and overdue',
      path: '/api/v1/reports?status=dispatched&overdue=true&page=1&pageSize=20',
      zhian: (db) => repo.listReports(db, scope, { status: ['dispatched'], overdue: true }, page),
      raw: list(` and status = 'dispatched' and overdue`),
      rawText: "the same with `and status = 'dispatched' and overdue`",
    },
    {
      key: 'search',
      label: 'list, text search 井盖',
      path: `/api/v1/reports?q=${encodeURIComponent('井盖')}`,
      zhian: (db) => repo.listReports(db, scope, { q: '井盖' }, page),
      raw: list(` and description like $2`, ['%井盖%']),
      rawText: "the same with `and description like '%井盖%'`",
    },
    {
      key: 'stats-dept',
      label: 'statistics by department, last 30 days',
      path: '/api/v1/reports/stats?groupBy=dept',
      zhian: (db) => repo.reportStats(db, scope, { from: d30, to: new Date(now), groupBy: 'dept' }),
      raw: stats('r.dept_org_id', d30),
      rawText: 'the three aggregates (cases by department; on-time stages by department; time per stage) over `reports` (⋈ `report_stages`) `where area_path like $1 and created_at in the period`, without the name joins',
    },
    {
      key: 'stats-day',
      label: 'statistics by day, last 90 days',
      path: `/api/v1/reports/stats?groupBy=day&from=${encodeURIComponent(d90.toISOString())}`,
      zhian: (db) => repo.reportStats(db, scope, { from: d90, to: new Date(now), groupBy: 'day' }),
      raw: stats(dayKey, d90),
      rawText: 'the same three aggregates grouped by day',
    },
  ];
}

/** What a captured statement is (Kysely logs them as they complete, so the order of parallel ones varies). */
function statementName(sql: string): string {
  if (/^select count\(\*\) as "n"/.test(sql)) return 'count';
  if (!sql.includes('report_stages')) return sql.includes('group by') ? 'cases by group' : 'items';
  return /group by "s"\."stage"/.test(sql) ? 'time per stage' : 'on-time by group';
}

const STATEMENT_ORDER = ['items', 'count', 'cases by group', 'on-time by group', 'time per stage'];

async function login(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'command', password: DEMO_PASSWORD }) });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${await res.text()}`);
  return (res.headers.get('set-cookie') ?? '').split(';')[0];
}

async function httpGet(port: number, path: string, cookie: string) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { cookie } });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${body.slice(0, 300)}`);
  return body;
}

async function benchListAndStats(url: string, port: number, district: District) {
  const n = QUICK ? 50_000 : 1_000_000;
  const requests = QUICK ? 30 : 200;
  const budget = QUICK ? 3_000 : 12_000;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  progress(`generating ${fmt(n)} cases`);
  const gen = await generateCases(c, { n, districtOrgId: district.id, districtPath: district.path, log: progress });
  const sizes = (await c.query(`select pg_size_pretty(pg_table_size('reports')) rt, pg_size_pretty(pg_indexes_size('reports')) ri, pg_size_pretty(pg_table_size('report_stages')) st, pg_size_pretty(pg_indexes_size('report_stages')) si, (select count(*) from reports) nr, (select count(*) from report_stages) ns`)).rows[0];
  const dist = (await c.query(`select status, count(*)::int n from reports group by 1 order by 2 desc`)).rows as { status: string; n: number }[];
  await c.end();

  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const settings = (await pool.query(`select name, current_setting(name) as value from pg_settings where name in ('shared_buffers', 'work_mem', 'jit', 'max_parallel_workers_per_gather', 'random_page_cost', 'effective_cache_size') order by name`)).rows as { name: string; value: string }[];
  const cookie = await login(port);
  const eps = endpoints(district);
  // Zhian's SQL, captured once per endpoint.
  const captured = new Map<string, Captured[]>();
  for (const e of eps) captured.set(e.key, await capture(pool, e.zhian));

  type Row = { e: Endpoint; http: Awaited<ReturnType<typeof timeSeq>>; raw: Awaited<ReturnType<typeof timeSeq>>; parts: { name: string; p50: number; q: Captured }[]; total?: number };
  const rows: Row[] = [];
  const healthz = await timeSeq(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).text(), requests, budget);
  for (const e of eps) {
    progress(`${e.label}: HTTP`);
    const http = await timeSeq(() => httpGet(port, e.path, cookie), requests, budget);
    progress(`${e.label}: raw SQL`);
    const raw = await timeSeq(() => e.raw(pool), requests, budget);
    const parts = [];
    const qs = [...captured.get(e.key)!].sort((a, b) => STATEMENT_ORDER.indexOf(statementName(a.sql)) - STATEMENT_ORDER.indexOf(statementName(b.sql)));
    for (const q of qs) {
      const t = await timeSeq(() => pool.query(q.sql, q.parameters as unknown[]), Math.min(requests, 50), budget / 4, 1);
      parts.push({ name: statementName(q.sql), p50: t.p50, q });
    }
    const body = JSON.parse(await httpGet(port, e.path, cookie));
    rows.push({ e, http, raw, parts, total: body.total ?? body.totals?.total });
  }

  say(`### Case list and statistics with ${fmt(Number(sizes.nr))} cases`);
  say();
  say(
    `${fmt(gen.cases)} cases of the demo district generated by SQL, plus the ${fmt(Number(sizes.nr) - gen.cases)} of the demo seed and the intake runs above (bench/reports.generate.ts: two years, chronological, a hotline-like category mix, building addresses drawn uniformly, the default department of the category; status over all rows: ` +
      `${dist.map((x) => `${x.status} ${pct(x.n / Number(sizes.nr), 1)}`).join(', ')}) with ${fmt(gen.stages)} stage rows (all six stages of a closed case, 受理 and 立案 of a voided one, the finished and the running ones of an open one), in ${fmt(gen.loadMs / 1000)} s plus ${fmt(gen.vacuumMs / 1000)} s of VACUUM ANALYZE; ` +
      `reports ${sizes.rt} + ${sizes.ri} of indexes, report_stages ${sizes.st} + ${sizes.si}. PostgreSQL ${await pgVersion()} with its default settings (${settings.map((x) => `${x.name} ${x.value}`).join(', ')}).`,
  );
  say();
  say(
    `Zhian: sequential requests over HTTP (keep-alive) to the server process, signed in as the district's command-centre user (the whole district in scope); ${requests} requests each after 3 warm-up ones (fewer when a request takes long: at least 10, up to ${budget / 1000} s). ` +
      `Reference: the raw SQL of the same query shape on a plain \`pg\` connection (scope by \`area_path like '/district/%'\`, no joins for names), as many times. \`GET /healthz\` sequentially: p50 ${ms(healthz.p50)} ms.`,
  );
  say();
  say('| request | total | Zhian p50 | Zhian p99 | raw SQL p50 | raw SQL p99 | p50 ratio |');
  say('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    say(`| \`GET ${decodeURIComponent(r.e.path).replace(/from=[^&]*/, 'from=−90 d')}\` | ${r.total !== undefined ? fmt(r.total) : ''} | **${ms(r.http.p50)} ms** | ${ms(r.http.p99)} ms | ${ms(r.raw.p50)} ms | ${ms(r.raw.p99)} ms | ${ratio(r.http.p50, r.raw.p50, 1)} |`);
  }
  say();
  say('Where the time goes — each SQL statement Zhian sends for the request (captured from Kysely), run alone on the database, median:');
  say();
  say('| request | statement | p50 |');
  say('|---|---|---:|');
  for (const r of rows) for (const p of r.parts) say(`| ${r.e.label} | ${p.name} | ${ms(p.p50)} ms |`);
  say();
  return { pool, rows, captured, eps, cookie, requests, budget };
}

// ------------------------------------------------------------------------------- proposed fixes

/** EXPLAIN (ANALYZE, BUFFERS) text without the per-row name lookups (Memoize / pkey scans of the joined names). */
function trimPlan(plan: string): string {
  const lines = plan.split('\n');
  const out: string[] = [];
  let skipIndent = -1;
  for (const line of lines) {
    const indent = line.search(/\S/);
    if (skipIndent >= 0 && indent > skipIndent) continue;
    skipIndent = -1;
    if (/->\s+Memoize/.test(line)) {
      out.push(`${line.replace(/\(actual.*$/, '')}(name lookup, details omitted)`);
      skipIndent = indent;
      continue;
    }
    out.push(line);
  }
  return out.join('\n');
}

type Timed = { p50: number; n: number };

/** The scans of a statement's plan on reports (and the bench indexes), e.g. "Index Scan Backward using reports_created_idx". */
async function scansOf(pool: pg.Pool, text: string, params: unknown[]): Promise<string> {
  const r = await pool.query(`explain (costs off) ${text}`, params);
  const lines = r.rows.map((x) => String(x['QUERY PLAN']));
  const scans = lines
    .map((l) => l.replace(/^[\s>-]+/, '').trim())
    .filter((l) => /Scan/.test(l) && (/ on reports\b/.test(l) || /bench_/.test(l)))
    .map((l) => l.replace(/ on reports r$/, '').replace(/^Parallel /, 'parallel '));
  return [...new Set(scans)].join(' + ');
}

async function sqlTime(pool: pg.Pool, text: string, params: unknown[], requests: number, budget: number, minN = 10): Promise<Timed> {
  const t = await timeSeq(() => pool.query(text, params), requests, budget, 1, minN);
  return { p50: t.p50, n: t.n };
}

/** The list statements with the 6 LEFT JOINs for names replaced by scalar subqueries (evaluated for the page only). */
function scalarNames(itemsSql: string): string {
  const m = itemsSql.match(/^select "r"\.\*, .*? from "reports" as "r" (?:left join .*? )?where (.*)$/s);
  if (!m) throw new Error(`unexpected items SQL: ${itemsSql.slice(0, 200)}`);
  return (
    `select "r".*, (select c.name from report_categories c where c.code = r.category_code) as category_name, (select d.name from orgs d where d.id = r.dept_org_id) as dept_name, ` +
    `(select cm.name from orgs cm where cm.id = r.community_org_id) as community_name, (select st.name from orgs st where st.id = r.street_org_id) as street_name, ` +
    `(select g.name from grids g where g.id = r.grid_id) as grid_name, (select a.display_name from users a where a.id = r.assignee_id) as assignee_name from "reports" as "r" where ${m[1]}`
  );
}

const CAP = 10_000;
const capped = (countSql: string) => countSql.replace(/^select count\(\*\) as "n" from "reports" as "r" where (.*)$/s, `select count(*) as "n" from (select 1 from "reports" as "r" where $1 limit ${CAP + 1}) as t`);
const estimateOf = (countSql: string) => countSql.replace(/^select count\(\*\) as "n" from "reports" as "r" where (.*)$/s, `explain (format json) select 1 from "reports" as "r" where $1`);

/** The q filter through a bigram index: `… @> text_bigrams(q)` as the index condition, the LIKEs as the exact check. */
function bigramSearch(sql: string, params: unknown[], q: string): { sql: string; params: unknown[] } {
  const re = /\("r"\."number" like \$(\d+) or "r"\."description" like \$(\d+) or "r"\."address_text" like \$(\d+)\)/;
  const m = sql.match(re);
  if (!m) throw new Error('no q filter in the SQL');
  const k = params.length + 1;
  const replaced = sql.replace(re, `(bench_text_bigrams("r"."description" || ' ' || coalesce("r"."address_text", '')) @> bench_text_bigrams($${k}::text) and ("r"."description" like $${m[2]} or "r"."address_text" like $${m[3]}))`);
  // The case-number parameter is no longer used (a query with Han characters is never a case number): renumber.
  const gone = Number(m[1]);
  return { sql: replaced.replace(/\$(\d+)/g, (_, n) => `$${Number(n) > gone ? Number(n) - 1 : n}`), params: [...params.filter((_, i) => i !== gone - 1), q] };
}

const GROUP_KEY_SQL: Record<string, string> = {
  'stats-dept': 'r.dept_org_id::text',
  'stats-day': `to_char(r.created_at at time zone 'Asia/Shanghai', 'YYYY-MM-DD')`,
};

/** The two statements over report_stages as one pass, grouped by (key, stage), limited to recent stages (BRIN). */
function mergedStages(onTimeSql: string, params: unknown[], key: string): { sql: string; params: unknown[] } {
  // The WHERE of Zhian's on-time statement: period, scope, finished stages with a verdict.
  const m = onTimeSql.match(/ where (.*?) group by /s);
  if (!m) throw new Error('unexpected on-time SQL');
  const where = m[1].replace(/ and "s"\."on_time" is not null/, '');
  const from = params.findIndex((p) => p instanceof Date);
  return {
    sql:
      `select ${key} as key, s.stage, count(*) as n, count(*) filter (where s.on_time) as on_time, count(*) filter (where s.on_time is not null) as timed, ` +
      `sum(extract(epoch from (s.finished_at - s.started_at)) / 60) as minutes from "reports" as "r" inner join "report_stages" as "s" on "s"."report_id" = "r"."id" ` +
      `where ${where} and s.started_at >= $${from + 1}::timestamptz - interval '1 day' group by 1, 2`,
    params,
  };
}

interface ListStats {
  pool: pg.Pool;
  rows: { e: Endpoint; http: { n: number; p50: number; p99: number }; raw: { n: number; p50: number; p99: number }; parts: { name: string; p50: number; q: Captured }[]; total?: number }[];
  captured: Map<string, Captured[]>;
  eps: Endpoint[];
  cookie: string;
  requests: number;
  budget: number;
}

async function benchFixes(url: string, port: number, ls: ListStats) {
  const { pool, rows, cookie, requests, budget } = ls;
  const row = (key: string) => rows.find((r) => r.e.key === key)!;
  const part = (key: string, name: string) => row(key).parts.find((p) => p.name === name)!;
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  await c.query(`set maintenance_work_mem = '256MB'`);
  const fixes: string[] = [];
  let extStats = { before: 0, after: 0, exact: 0 };
  const add = (what: string, stmt: string, before: number, after: number, note: string) =>
    fixes.push(`| ${what} | ${stmt} | ${ms(before)} ms | **${ms(after)} ms** | **${fmt(before / after, before / after >= 10 ? 0 : 1)}×** | ${note} |`);

  // EXPLAIN of the slow statements, before any change.
  const plans: { title: string; plan: string }[] = [];
  for (const [key, name] of [['list', 'count'], ['overdue', 'items'], ['overdue', 'count'], ['search', 'count'], ['stats-day', 'on-time by group'], ['stats-day', 'time per stage']] as const) {
    const p = part(key, name);
    plans.push({ title: `${row(key).e.label} — ${name} (p50 ${ms(p.p50)} ms)`, plan: trimPlan(await explain(pool, p.q)) });
  }

  // 1. The total: exact count(*) vs a capped count vs the planner's estimate.
  progress('fix: counts');
  const countRows: string[] = [];
  for (const key of ['list', 'overdue', 'search']) {
    const p = part(key, 'count');
    const exact = Number((await pool.query(p.q.sql, p.q.parameters)).rows[0].n);
    const cap = await sqlTime(pool, capped(p.q.sql), p.q.parameters, requests, budget / 4);
    const est = await sqlTime(pool, estimateOf(p.q.sql), p.q.parameters, requests, budget / 4);
    const plan = (await pool.query(estimateOf(p.q.sql), p.q.parameters)).rows[0]['QUERY PLAN'];
    const estimate = Math.round(Number((typeof plan === 'string' ? JSON.parse(plan) : plan)[0].Plan['Plan Rows']));
    countRows.push(`| ${row(key).e.label} | ${fmt(exact)} | ${ms(p.p50)} ms | ${ms(cap.p50)} ms | ${ms(est.p50)} ms (estimate ${fmt(estimate)}, ${estimate >= exact ? '+' : '−'}${pct(Math.abs(estimate - exact) / Math.max(exact, 1), 0)}) |`);
    if (key === 'list') add('capped count (exact up to 10,000, else "10,000+")', `count, ${row(key).e.label}`, p.p50, cap.p50, 'rewrite, no index');
  }

  // 2. Names by scalar subqueries instead of six LEFT JOINs: the planner's join search goes away.
  progress('fix: names by scalar subqueries');
  const items = part('list', 'items');
  const plainItems = await sqlTime(pool, items.q.sql, items.q.parameters, requests, budget / 4);
  const scalar = await sqlTime(pool, scalarNames(items.q.sql), items.q.parameters, requests, budget / 4);
  const planning = async (text: string, params: unknown[]) => {
    const xs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await pool.query(`explain (summary on, costs off) ${text}`, params);
      const line = r.rows.map((x) => x['QUERY PLAN'] as string).find((l) => l.startsWith('Planning Time'));
      xs.push(Number(line?.match(/([\d.]+) ms/)?.[1] ?? NaN));
    }
    return median(xs);
  };
  const planJoins = await planning(items.q.sql, items.q.parameters);
  const planScalar = await planning(scalarNames(items.q.sql), items.q.parameters);
  add('names by scalar subqueries', `items, ${row('list').e.label}`, plainItems.p50, scalar.p50, `planning ${ms(planJoins)} → ${ms(planScalar)} ms; rewrite, no index`);

  // 3. Open cases: a partial covering index for the status / overdue filters and their counts.
  progress('fix: open-cases index');
  const ovItemsScan = await scansOf(pool, part('overdue', 'items').q.sql, part('overdue', 'items').q.parameters);
  const ovCountScan = await scansOf(pool, part('overdue', 'count').q.sql, part('overdue', 'count').q.parameters);
  let t = performance.now();
  await c.query(`create index bench_reports_open_idx on reports (status, overdue, created_at desc) include (area_path, dept_path) where status not in ('closed', 'voided')`);
  const openBuild = performance.now() - t;
  const openSize = (await c.query(`select pg_size_pretty(pg_relation_size('bench_reports_open_idx')) s`)).rows[0].s;
  const ov = row('overdue');
  const ovItems = await sqlTime(pool, part('overdue', 'items').q.sql, part('overdue', 'items').q.parameters, requests, budget / 4);
  const ovCount = await sqlTime(pool, part('overdue', 'count').q.sql, part('overdue', 'count').q.parameters, requests, budget / 4);
  const ovHttp = await timeSeq(() => httpGet(port, ov.e.path, cookie), requests, budget);
  add('index `reports_open_idx`', `items, ${ov.e.label}`, part('overdue', 'items').p50, ovItems.p50, `plan: ${ovItemsScan} → ${await scansOf(pool, part('overdue', 'items').q.sql, part('overdue', 'items').q.parameters)}`);
  add('index `reports_open_idx`', `count, ${ov.e.label}`, part('overdue', 'count').p50, ovCount.p50, `plan: ${ovCountScan} → ${await scansOf(pool, part('overdue', 'count').q.sql, part('overdue', 'count').q.parameters)} (heap fetches only for pages not all-visible)`);
  add('index `reports_open_idx`', `**whole request** \`GET ${ov.e.path}\``, ov.http.p50, ovHttp.p50, `HTTP p99 ${ms(ov.http.p99)} → ${ms(ovHttp.p99)} ms; no code change`);
  // The planner's row estimate for status = … and overdue (two correlated columns), before and after extended statistics.
  const ovEstimate = async () => {
    const q = part('overdue', 'count').q;
    const plan = (await pool.query(estimateOf(q.sql), q.parameters)).rows[0]['QUERY PLAN'];
    return Math.round(Number((typeof plan === 'string' ? JSON.parse(plan) : plan)[0].Plan['Plan Rows']));
  };
  const estBefore = await ovEstimate();
  await c.query(`create statistics bench_reports_status_overdue (mcv) on status, overdue from reports`);
  await c.query(`analyze reports`);
  const estAfter = await ovEstimate();
  const ovExact = Number((await pool.query(part('overdue', 'count').q.sql, part('overdue', 'count').q.parameters)).rows[0].n);
  extStats = { before: estBefore, after: estAfter, exact: ovExact };

  // 4. Statistics: the two passes over report_stages as one, limited to recent stages by a BRIN index.
  progress('fix: statistics');
  t = performance.now();
  await c.query(`create index bench_report_stages_started_brin on report_stages using brin (started_at)`);
  const brinBuild = performance.now() - t;
  const brinSize = (await c.query(`select pg_size_pretty(pg_relation_size('bench_report_stages_started_brin')) s`)).rows[0].s;
  for (const key of ['stats-dept', 'stats-day']) {
    const a = part(key, 'on-time by group');
    const b = part(key, 'time per stage');
    const merged = mergedStages(a.q.sql, a.q.parameters, GROUP_KEY_SQL[key]);
    const mt = await sqlTime(pool, merged.sql, merged.params, requests, budget / 4);
    // Same figures? On-time by group and per stage, from the merged rows.
    const mr = (await pool.query(merged.sql, merged.params)).rows as { key: string | null; stage: string; n: string; on_time: string; timed: string }[];
    const ar = (await pool.query(a.q.sql, a.q.parameters)).rows as { key: string | null; n: string; on_time: string }[];
    const br = (await pool.query(b.q.sql, b.q.parameters)).rows as { stage: string; n: string }[];
    const byKey = new Map<string | null, number>();
    for (const x of mr) byKey.set(x.key, (byKey.get(x.key) ?? 0) + Number(x.on_time));
    const byStage = new Map<string, number>();
    for (const x of mr) byStage.set(x.stage, (byStage.get(x.stage) ?? 0) + Number(x.n));
    const same = ar.every((x) => byKey.get(x.key) === Number(x.on_time)) && br.every((x) => byStage.get(x.stage) === Number(x.n));
    add('one pass over stages + BRIN on `report_stages.started_at`', `on-time by group + time per stage, ${row(key).e.label}`, a.p50 + b.p50, mt.p50, `same figures: ${same ? 'yes' : '**no**'}`);
  }
  // 5. Text search: a GIN index of character bigrams (the words of a Chinese query are mostly two characters).
  progress('fix: bigram index (building)');
  const sItems = part('search', 'items');
  const sCount = part('search', 'count');
  // A term found in no case: the worst case of the scans as they are (the items scan reads the whole table).
  const rareTerm = '狗咬';
  const rare = (q: Captured) => ({ sql: q.sql, params: q.parameters.map((v) => (typeof v === 'string' && v.includes('井盖') ? v.replace('井盖', rareTerm) : v)) });
  const rareItemsScan = await scansOf(pool, rare(sItems.q).sql, rare(sItems.q).params);
  const rareCountScan = await scansOf(pool, rare(sCount.q).sql, rare(sCount.q).params);
  const rareItemsBefore = await sqlTime(pool, rare(sItems.q).sql, rare(sItems.q).params, 3, 0, 3);
  const rareCountBefore = await sqlTime(pool, rare(sCount.q).sql, rare(sCount.q).params, 5, 0, 5);
  await c.query(`create function bench_text_bigrams(t text) returns text[] language sql immutable strict parallel safe as $$ select array(select substr(t, i, 2) from generate_series(1, greatest(char_length(t) - 1, 1)) i) $$`);
  t = performance.now();
  await c.query(`create index bench_reports_text_bigrams_idx on reports using gin (bench_text_bigrams(description || ' ' || coalesce(address_text, '')))`);
  const bigramBuild = performance.now() - t;
  // Statistics of the indexed expression (bigram frequencies), so that the planner can tell frequent terms from rare ones.
  t = performance.now();
  await c.query(`analyze reports`);
  const analyzeMs = performance.now() - t;
  const bigramSize = (await c.query(`select pg_size_pretty(pg_relation_size('bench_reports_text_bigrams_idx')) s`)).rows[0].s;
  progress('fix: bigram index (measuring)');
  const bi = bigramSearch(sItems.q.sql, sItems.q.parameters, '井盖');
  const bc = bigramSearch(sCount.q.sql, sCount.q.parameters, '井盖');
  const biT = await sqlTime(pool, bi.sql, bi.params, requests, budget / 4);
  const bcT = await sqlTime(pool, bc.sql, bc.params, requests, budget / 4);
  const sameCount = Number((await pool.query(bc.sql, bc.params)).rows[0].n) === Number((await pool.query(sCount.q.sql, sCount.q.parameters)).rows[0].n);
  const rbi = bigramSearch(rare(sItems.q).sql, rare(sItems.q).params, rareTerm);
  const rbc = bigramSearch(rare(sCount.q).sql, rare(sCount.q).params, rareTerm);
  const rbiT = await sqlTime(pool, rbi.sql, rbi.params, requests, budget / 4);
  const rbcT = await sqlTime(pool, rbc.sql, rbc.params, requests, budget / 4);
  add('bigram GIN index + rewrite of `q`', `count, ${row('search').e.label}`, sCount.p50, bcT.p50, `same count: ${sameCount ? 'yes' : '**no**'}; plan: ${await scansOf(pool, bc.sql, bc.params)}`);
  add('bigram GIN index + rewrite of `q`', `items, ${row('search').e.label}`, sItems.p50, biT.p50, `a frequent term; plan: ${await scansOf(pool, bi.sql, bi.params)}`);
  add('bigram GIN index + rewrite of `q`', `count, text search ${rareTerm} (found in no case)`, rareCountBefore.p50, rbcT.p50, `plan: ${rareCountScan} → ${await scansOf(pool, rbc.sql, rbc.params)}`);
  add('bigram GIN index + rewrite of `q`', `items, text search ${rareTerm} (found in no case)`, rareItemsBefore.p50, rbiT.p50, `plan: ${rareItemsScan}, to the end of the table (${rareItemsBefore.n} runs) → ${await scansOf(pool, rbi.sql, rbi.params)}`);
  await c.end();

  say('#### Proposed fixes, measured on this database');
  say();
  say(
    'Each fix was applied to the benchmark database only (indexes created there, rewritten statements run directly on it; the migrations and the code are unchanged), and the affected statements timed again against the same statements before the change. ' +
      `Index builds at this size (maintenance_work_mem 256MB): \`reports_open_idx\` ${fmt(openBuild / 1000, 1)} s (${openSize}), the BRIN index ${fmt(brinBuild / 1000, 1)} s (${brinSize}), the bigram GIN index ${fmt(bigramBuild / 1000, 0)} s (${bigramSize}) plus ${fmt(analyzeMs / 1000, 1)} s of ANALYZE.`,
  );
  say();
  say('The DDL, as it would go into a migration (in the bench the objects carry a `bench_` prefix):');
  say();
  say('```sql');
  say(`-- Open cases (status / overdue / triage filters and their counts): small, because closed and voided cases are left out.`);
  say(`create index reports_open_idx on reports (status, overdue, created_at desc) include (area_path, dept_path) where status not in ('closed', 'voided');`);
  say(`-- The planner's row estimate for status = … and overdue (correlated columns): ${fmt(extStats.before)} rows without, ${fmt(extStats.after)} with these statistics (exact: ${fmt(extStats.exact)}).`);
  say(`create statistics reports_status_overdue (mcv) on status, overdue from reports;`);
  say(`-- Text search: character bigrams of description and address (a Chinese query word is mostly two characters; pg_trgm needs three).`);
  say(`create function text_bigrams(t text) returns text[] language sql immutable strict parallel safe`);
  say(`  as $$ select array(select substr(t, i, 2) from generate_series(1, greatest(char_length(t) - 1, 1)) i) $$;`);
  say(`create index reports_text_bigrams_idx on reports using gin (text_bigrams(description || ' ' || coalesce(address_text, '')));`);
  say(`analyze reports; -- statistics of the indexed expression: without them the planner takes every term for a rare one`);
  say(`-- Statistics: stages are written in time order, so a BRIN index finds the recent ones for a few kB.`);
  say(`create index report_stages_started_brin on report_stages using brin (started_at);`);
  say('```');
  say();
  say('| fix | statement | before p50 | after p50 | speed-up | note |');
  say('|---|---|---:|---:|---:|---|');
  for (const f of fixes) say(f);
  say();
  say('The rewrites, in reports.repository.ts:');
  say();
  say(`- **count**: \`select count(*) from (select 1 from reports r where … limit ${CAP + 1}) t\` and, when it reaches ${fmt(CAP + 1)}, answer \`total: ${CAP}\` with a flag (the console shows "${fmt(CAP)}+"; 20 a page, nobody pages that far). The planner's estimate (\`EXPLAIN (FORMAT JSON)\`, below) is cheaper still but can be far off when filters are combined.`);
  say('- **names**: in `reportQuery`, `(select c.name from report_categories c where c.code = r.category_code) as category_name` and likewise for the department, community, street, grid and assignee instead of the six `LEFT JOIN`s: PostgreSQL evaluates them for the 20 rows of the page only, and the join-order search (most of the time of the items statement) disappears.');
  say(`- **q**: for a query of two characters or more that is not a case number, \`text_bigrams(r.description || ' ' || coalesce(r.address_text, '')) @> text_bigrams($q) and (r.description like '%q%' or r.address_text like '%q%')\` — the expression must be written exactly as in the index; the LIKEs keep the exact meaning. A query of digits adds \`or (r.number >= $q and r.number < $q || '~')\` for the case number: unlike \`r.number like 'q%'\`, the range can use the unique index under the database's C.UTF-8 collation, so both branches of the OR are indexed. A one-character query keeps the plain LIKEs (its "bigram" matches nothing).`);
  say(`- **statistics**: the on-time and the per-stage statements as one, \`select <key>, s.stage, count(*), count(*) filter (where s.on_time), count(*) filter (where s.on_time is not null), sum(extract(epoch from s.finished_at - s.started_at) / 60) from reports r join report_stages s on s.report_id = r.id where <period and scope> and s.finished_at is not null and s.started_at >= $from - interval '1 day' group by 1, 2\`, summed per group and per stage in JavaScript. The added condition is implied (a stage never starts before its case; the day covers the difference between the clocks of the application and the database) and is what lets the BRIN index skip the old stages. Even so the join touches every stage of every case in the period; the structural fix is to keep per-case counters on \`reports\` (e.g. \`stages_timed\`, \`stages_on_time\`, updated when a stage finishes, in the same transaction) so that the on-time rate comes from the single pass over \`reports\` ("cases by group" above), and to compute the time per stage only when asked for, or from a daily summary.`);
  say();
  say(`The total of the list, three ways (p50): \`count(*)\` as now; a count capped at ${fmt(CAP + 1)} rows (\`select count(*) from (select 1 … limit ${CAP + 1})\`); the planner's estimate (\`EXPLAIN (FORMAT JSON)\`, row estimate of the plan):`);
  say();
  say('| list | exact total | count(*) | capped count | planner estimate |');
  say('|---|---:|---:|---:|---:|');
  for (const r of countRows) say(r);
  say();
  say('<details><summary>EXPLAIN (ANALYZE, BUFFERS) of the slow statements, before the fixes</summary>');
  say();
  for (const p of plans) {
    say(`**${p.title}**`);
    say();
    say('```');
    say(p.plan);
    say('```');
    say();
  }
  say('</details>');
  say();
}

// ------------------------------------------------------------------------------------------ the run

export async function benchReportsOnPostgres() {
  say('## Reports on PostgreSQL');
  say();
  const name = `zhian_bench_${crypto.randomBytes(4).toString('hex')}`;
  try {
    await adminQuery(`create database ${name}`);
  } catch (e) {
    say(`(PostgreSQL not available: ${(e as Error).message})`);
    say();
    return;
  }
  const url = databaseUrl(name);
  let z: Zhian | null = null;
  let server: ChildProcess | null = null;
  let pool: pg.Pool | null = null;
  try {
    progress(`database ${name}: migrating and seeding the demo district`);
    const t = performance.now();
    z = await buildZhian(testConfig({ DATABASE_URL: url, ZHIAN_DEMO: 'true' }), { logger: false, seed: true, timers: false });
    const seedMs = performance.now() - t;
    const d = await z.handle.db.selectFrom('orgs').select(['id', 'path']).where('code', '=', DEMO_DISTRICT_CODE).executeTakeFirstOrThrow();
    const cmd = await z.handle.db.selectFrom('users').select(['id']).where('username', '=', 'command').executeTakeFirstOrThrow();
    const district: District = { id: d.id, path: d.path, commandUserId: cmd.id };
    const token = await z.services.auth.createToken(systemContext(), 'command', 'bench');
    say(
      `A fresh database \`zhian_bench_…\` on PostgreSQL ${await pgVersion()} (same machine, default configuration), migrated and seeded with the demo district (150 communities, 400 grids, 49,987 addresses, 431 users, 60 days of cases) in ${fmt(seedMs / 1000, 1)} s. ` +
        'Zhian is built in process with `buildZhian(…, { seed: true, timers: false })` for the intake figures and started as its own process (`zhian start`) for the HTTP ones. The database is dropped at the end.',
    );
    say();
    await benchIntake(z, url, district, token);
    const srv = await startServer({ DATABASE_URL: url });
    server = srv.child;
    await benchIntakeHttp(srv.port, token, z, district);
    await z.close();
    z = null;
    const ls = await benchListAndStats(url, srv.port, district);
    pool = ls.pool;
    await benchFixes(url, srv.port, ls);
  } finally {
    if (pool) await pool.end().catch(() => undefined);
    if (server) await stopServer(server);
    if (z) await z.close().catch(() => undefined);
    await adminQuery(`drop database if exists ${name} with (force)`).catch((e) => say(`(could not drop ${name}: ${(e as Error).message})`));
  }
}

export { endpoints, capture, explain, benchFixes, benchListAndStats, type District };
