/**
 * Benchmarks of the early-warning module (智能预警):
 *  1. sustained MQTT ingest (readings/s stored, publish → warning latency) beside Node-RED
 *     running the same threshold flow against the same broker in the same run;
 *  2. reconciliation (人来未登记) of registrations × access entries: Zhian's run beside the
 *     same anti-join as one plain SQL statement in PostgreSQL, and in DuckDB;
 *  3. peak memory of Zhian's process during the reconciliation.
 * Zhian runs in a child process (alerts.child.ts) so its CPU and memory are its own.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import pg from 'pg';
import { buildZhian } from '../src/server/main.js';
import { DEMO_DISTRICT_CODE } from '../src/server/modules/demo/index.js';
import { addressKey } from '../src/server/modules/alerts/alerts.recon.js';
import { testConfig } from '../test/helpers.js';
import { cpuSeconds, discardSession, Fleet, memoryOf, startMosquitto, THRESHOLD, type Broker } from './alerts.broker.js';
import { ensurePeers, nodeRedVersions, openDuckDB, startNodeRed } from './alerts.peers.js';
import { duckSql, generateReconData, PLAIN_SQL, RECON_LEVELS, REWRITE_SQL, WINDOW_DAYS, type ReconData } from './alerts.recon-data.js';
import { adminQuery, databaseUrl, fmt, ms, percentile, PG_URL, pgVersion, progress, QUICK, say } from './common.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DEVICES = 1000;
const ZHIAN_CLIENT_ID = 'zhian-bench-ingest';
const MB = 2 ** 20;
const sec = (millis: number) => `${fmt(millis / 1000, millis < 10_000 ? 2 : 1)} s`;
const ratio = (a: number, b: number) => (Number.isFinite(a / b) && b > 0 ? `${fmt(a / b, a / b < 10 ? 2 : 0)}×` : '–');

// ------------------------------------------------------------------------------ Zhian child process

interface Child {
  pid: number;
  request<T = Record<string, unknown>>(m: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

/** Forks alerts.child.ts (tsx) and waits until Zhian is built in it. */
async function forkZhian(mode: 'ingest' | 'recon', url: string, mqttUrl = ''): Promise<Child> {
  const child: ChildProcess = fork(path.join(HERE, 'alerts.child.ts'), [mode, url, mqttUrl], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const queue: Array<(m: Record<string, unknown>) => void> = [];
  child.on('message', (m: Record<string, unknown>) => queue.shift()?.(m));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const next = <T>(timeoutMs: number) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`zhian child: no answer in ${timeoutMs} ms`)), timeoutMs);
      queue.push((m) => {
        clearTimeout(timer);
        if (m.error) reject(new Error(`zhian child: ${m.error}`));
        else resolve(m as T);
      });
      void exited.then((code) => reject(new Error(`zhian child exited (${code})`)));
    });
  await next(300_000);
  return {
    pid: child.pid!,
    request<T>(m: Record<string, unknown>, timeoutMs = 1_800_000) {
      const p = next<T>(timeoutMs);
      child.send(m);
      return p;
    },
    async close() {
      if (child.exitCode !== null) return;
      child.send({ cmd: 'close' });
      const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(t);
    },
  };
}

interface ZhianStats {
  ingest: { stored: number; duplicates: number; rejected: number; raised: number };
  mqtt: { received: number; acked: number; failed: number } | null;
  statements: { total: number; kinds: [string, number][]; ms: Record<string, number> };
  cpuSeconds: number;
}

// ------------------------------------------------------------------------------------ 1. MQTT ingest

interface Side {
  label: string;
  pid: number;
  fleet: Fleet;
  /** Readings the side has processed so far. */
  processed(): Promise<number>;
  /** Receipt time (performance.now()) of the warning of each crossing, by `${code}|${observedAt}`. */
  warned(): Promise<Map<string, number>>;
}

interface StepRow {
  offered: number;
  published: number;
  processed: number;
  backlog: number;
  keptUp: boolean;
  publisherBound: boolean;
  cpuPerReading: number;
  keys: string[];
}

interface RampResult {
  steps: StepRow[];
  sustained: StepRow | null;
  /** Readings/s while the backlog of the last step was worked off (the side's ceiling). */
  drainRate: number | null;
  drained: boolean;
}

const sleep = (millis: number) => new Promise((r) => setTimeout(r, millis));

/** Waits until the side has processed everything published (or the time is up); returns readings/s meanwhile. */
async function drain(side: Side, base: { published: number; processed: number }, maxMs: number): Promise<{ rate: number | null; drained: boolean }> {
  const start = performance.now();
  const p0 = await side.processed();
  let p = p0;
  while (performance.now() - start < maxMs) {
    p = await side.processed();
    if (p - base.processed >= side.fleet.published - base.published) {
      const elapsed = (performance.now() - start) / 1000;
      return { rate: elapsed > 0.5 ? (p - p0) / elapsed : null, drained: true };
    }
    await sleep(100);
  }
  return { rate: (p - p0) / ((performance.now() - start) / 1000), drained: false };
}

/** Rate steps until the side no longer keeps up (its backlog grows) or the publishers cannot offer more. */
async function ramp(side: Side, rates: number[], stepSec: number, crossShare: number): Promise<RampResult> {
  const base = { published: side.fleet.published, processed: await side.processed() };
  const steps: StepRow[] = [];
  for (const rate of rates) {
    const p0 = await side.processed();
    const cpu0 = cpuSeconds(side.pid);
    const k0 = side.fleet.crossings.size;
    const r = await side.fleet.run(rate, stepSec, crossShare);
    const p1 = await side.processed();
    const cpu1 = cpuSeconds(side.pid);
    const backlog = side.fleet.published - base.published - (p1 - base.processed);
    // The publishers (this process) could not offer the rate: the ramp ends there, the figure is a lower bound.
    const publisherBound = r.published / r.seconds < 0.95 * rate;
    const keptUp = backlog <= Math.max(50, rate * 0.5);
    const row: StepRow = {
      offered: rate,
      published: r.published / r.seconds,
      processed: (p1 - p0) / r.seconds,
      backlog,
      keptUp,
      publisherBound,
      cpuPerReading: ((cpu1 - cpu0) / Math.max(1, p1 - p0)) * 1000,
      keys: [...side.fleet.crossings.keys()].slice(k0),
    };
    steps.push(row);
    progress(`${side.label}: offered ${fmt(rate)}/s → published ${fmt(row.published)}/s, processed ${fmt(row.processed)}/s, backlog ${fmt(backlog)}${publisherBound ? ' (publishers at their limit)' : ''}`);
    if (!keptUp || publisherBound) break;
  }
  const last = steps[steps.length - 1]!;
  const d = last.keptUp ? { rate: null, drained: true } : await drain(side, base, QUICK ? 30_000 : 90_000);
  if (!last.keptUp) progress(`${side.label}: backlog ${d.drained ? 'worked off' : 'NOT worked off'} at ${fmt(d.rate ?? 0)} readings/s`);
  const kept = steps.filter((s) => s.keptUp);
  return { steps, sustained: kept[kept.length - 1] ?? null, drainRate: d.rate, drained: d.drained };
}

interface Latency {
  n: number;
  warned: number;
  p50: number;
  p99: number;
  max: number;
}

function latencies(keys: string[], published: Map<string, number>, warned: Map<string, number>): Latency {
  const xs: number[] = [];
  for (const k of keys) {
    const t = warned.get(k);
    if (t !== undefined) xs.push(t - published.get(k)!);
  }
  xs.sort((a, b) => a - b);
  return { n: keys.length, warned: xs.length, p50: percentile(xs, 50), p99: percentile(xs, 99), max: xs[xs.length - 1] ?? NaN };
}

/** A fixed rate for a fixed time; everything published is processed before returning. */
async function steady(side: Side, rate: number, seconds: number, crossShare: number, before?: () => Promise<void>) {
  const base = { published: side.fleet.published, processed: await side.processed() };
  await before?.();
  const cpu0 = cpuSeconds(side.pid);
  const k0 = side.fleet.crossings.size;
  const r = await side.fleet.run(rate, seconds, crossShare);
  const d = await drain(side, base, 60_000);
  const processed = (await side.processed()) - base.processed;
  const cpu = cpuSeconds(side.pid) - cpu0;
  const keys = [...side.fleet.crossings.keys()].slice(k0);
  await sleep(1000); // the last warnings' notifications
  return { published: r.published, processed, drained: d.drained, cpuPerReading: (cpu / Math.max(1, processed)) * 1000, keys, crossings: r.crossings };
}

/** Sequential single-row transactions on the same database: the commit floor of a one-at-a-time consumer. */
async function commitFloor(url: string, seconds: number): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query('create table bench_commit_floor (device_id int, observed_at timestamptz, values jsonb, primary key (device_id, observed_at))');
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  while (performance.now() < end) {
    await c.query('insert into bench_commit_floor values ($1, $2, $3)', [n % DEVICES, new Date(Date.now() + n), '{"NH3N": 1.2}']);
    n++;
  }
  const perSecond = n / ((performance.now() - start) / 1000);
  await c.query('drop table bench_commit_floor');
  await c.end();
  return perSecond;
}

export async function benchIngest(url: string, codes: string[], broker: Broker) {
  const rates = QUICK ? [25, 50, 100, 400, 1600, 6400, 25600] : [25, 50, 75, 100, 150, 200, 300, 500, 1000, 2000, 4000, 8000, 16000, 32000];
  const stepSec = QUICK ? 3 : 5;
  const latencySec = QUICK ? 6 : 30;
  const rampShare = 0.01;
  const latencyShare = 0.05;

  // ---------------------------------------------------------------- Zhian
  progress('Zhian: starting the ingest process (MQTT_URL = the bench broker)');
  const zhian = await forkZhian('ingest', url, broker.url);
  const listener = new pg.Client({ connectionString: url });
  await listener.connect();
  const raisedAt: Array<{ id: string; t: number }> = [];
  listener.on('notification', (n) => {
    if (!n.payload?.includes('"alert.raised"')) return;
    const t = performance.now();
    try {
      const e = JSON.parse(n.payload) as { type: string; subjectId: string };
      if (e.type === 'alert.raised') raisedAt.push({ id: e.subjectId, t });
    } catch {
      /* not ours */
    }
  });
  await listener.query('listen zhian_events');
  const zFleet = new Fleet(codes, (c) => `zhian/devices/${c}/readings`);
  await zFleet.connect(broker.url, 'dev-z');
  const zStats = () => zhian.request<ZhianStats>({ cmd: 'stats' }, 30_000);
  const warnedZ = new Map<string, number>();
  let mapped = 0;
  const zSide: Side = {
    label: 'Zhian',
    pid: zhian.pid,
    fleet: zFleet,
    processed: async () => (await zStats()).ingest.stored,
    async warned() {
      const fresh = raisedAt.slice(mapped);
      mapped = raisedAt.length;
      for (let i = 0; i < fresh.length; i += 5000) {
        const part = fresh.slice(i, i + 5000);
        const r = await listener.query<{ id: string; code: string; at: string }>(`select id, detail->>'deviceCode' as code, detail->>'at' as at from alert_warnings where id = any($1::uuid[])`, [part.map((x) => x.id)]);
        const t = new Map(part.map((x) => [x.id, x.t]));
        for (const row of r.rows) warnedZ.set(`${row.code}|${row.at}`, t.get(row.id)!);
      }
      return warnedZ;
    },
  };
  progress('Zhian: warm-up');
  await steady(zSide, 20, 3, 0);
  const zRamp = await ramp(zSide, rates, stepSec, rampShare);
  const zWarnedRamp = await zSide.warned();
  const latencyRate = Math.max(10, Math.round(((zRamp.sustained?.offered ?? 20) * 0.5) / 5) * 5);
  progress(`Zhian: ${latencySec} s at ${latencyRate} readings/s for the latency`);
  await zhian.request({ cmd: 'reset' });
  zFleet.restart();
  const zLat = await steady(zSide, latencyRate, latencySec, latencyShare);
  const zStatsLat = await zStats();
  const zL = latencies(zLat.keys, zFleet.crossings, await zSide.warned());
  const tasks = await listener.query<{ raised: string; tasked: string }>(
    `select count(*) as raised, count(report_id) as tasked from alert_warnings w join alert_rules r on r.id = w.rule_id where r.name = $1`,
    [BENCH_RULE],
  );
  await zFleet.close();
  await listener.end();
  await zhian.close();
  await discardSession(broker.url, ZHIAN_CLIENT_ID);
  const floor = await commitFloor(url, QUICK ? 2 : 5);

  // ---------------------------------------------------------------- Node-RED
  ensurePeers(['node-red']);
  progress('Node-RED: starting');
  const nr = await startNodeRed({ brokerPort: broker.port, readingsTopic: 'bench-nr/devices/+/readings', alertTopic: 'bench-nr/alerts' });
  const nrFleet = new Fleet(codes, (c) => `bench-nr/devices/${c}/readings`);
  const alertSub = mqtt.connect(broker.url, { clientId: 'bench-alert-listener', clean: true });
  const warnedN = new Map<string, number>();
  let nrRaises = 0;
  alertSub.on('message', (_topic, payload) => {
    const t = performance.now();
    const m = JSON.parse(payload.toString()) as { kind: string; device: string; at: string };
    if (m.kind === 'raise') {
      nrRaises++;
      warnedN.set(`${m.device}|${m.at}`, t);
    }
  });
  await new Promise<void>((resolve, reject) => alertSub.once('connect', () => alertSub.subscribe('bench-nr/alerts', { qos: 1 }, (e) => (e ? reject(e) : resolve()))));
  await nrFleet.connect(broker.url, 'dev-n');
  const nSide: Side = { label: 'Node-RED', pid: nr.pid, fleet: nrFleet, processed: async () => (await nr.stats()).processed, warned: async () => warnedN };
  let nRamp: RampResult;
  let nLat: Awaited<ReturnType<typeof steady>>;
  try {
    await steady(nSide, 20, 3, 0);
    nRamp = await ramp(nSide, rates, stepSec, rampShare);
    progress(`Node-RED: ${latencySec} s at ${latencyRate} readings/s for the latency`);
    nrFleet.restart();
    nLat = await steady(nSide, latencyRate, latencySec, latencyShare);
  } finally {
    await nrFleet.close();
    await alertSub.endAsync();
    await nr.stop();
  }
  const nL = latencies(nLat.keys, nrFleet.crossings, warnedN);
  const v = nodeRedVersions();

  // ---------------------------------------------------------------- report
  const zs = zRamp.sustained;
  const ns = nRamp.sustained;
  const nTop = nRamp.steps[nRamp.steps.length - 1]!;
  const perReading = (k: string) => (zStatsLat.statements.kinds.find(([x]) => x === k)?.[1] ?? 0) / Math.max(1, zLat.processed);
  const stmts = zStatsLat.statements.total / Math.max(1, zLat.processed);
  say('### Sustained MQTT ingest, beside Node-RED');
  say();
  say(
    `${fmt(DEVICES)} simulated devices, one MQTT connection each (mqtt.js, QoS 1), publish \`{"observedAt": …, "values": {"NH3N": …, "DO": 6.2, "pH": 7.4}}\` round-robin to a private Mosquitto ${broker.version} started by the bench (loopback, no persistence, unlimited session queue so that a slow subscriber shows a backlog instead of losing readings). ` +
      `The rate goes up in steps of ${stepSec} s until the side's backlog grows (more than half a second of readings left at the end of a step). ${fmt(rampShare * 100)} % of the readings cross the threshold (NH3N ≥ ${THRESHOLD.yellow}) and the device's next reading is back to normal, so each crossing is one episode — one warning on each side. ` +
      `Latency: ${latencySec} s at ${fmt(latencyRate)} readings/s (half of Zhian's sustained rate, the same for both) with ${fmt(latencyShare * 100)} % crossings, from the publish call to the moment the bench hears of the warning — for Zhian the \`alert.raised\` NOTIFY of the committed transaction (LISTEN zhian_events), for Node-RED the alert message on the broker.`,
  );
  say();
  say(
    `**What each side does per reading.** Zhian (its own process, \`buildZhian\` with \`MQTT_URL\`, persistent session, PostgreSQL ${await pgVersion()}): looks the device up, then in one transaction an advisory lock on the device, INSERT of the reading (stored once per device and time), UPDATE of the device's last reading, SELECT and UPSERT of the rule's state for the device; on a crossing also the warning row, its audit row and the NOTIFY, and after the commit the verification task in the reports loop (a case with its routing, stage and audit) — and only then the PUBACK to the broker, one message at a time. ` +
      `Node-RED ${v.nodeRed} (its own process on Node.js ${v.node}, which Node-RED 5 requires): mqtt in (QoS 1, persistent session) → json → a function node with the same threshold + hysteresis episode logic, its state in the node's memory context → mqtt out (QoS 1) of raises and clears. Nothing is written to disk, nothing survives a restart, and the message is acknowledged as it arrives. The ratio compares a durable, audited warning with a task against an in-memory flow; it is the price of the durability, not a like-for-like race.`,
  );
  say();
  say(`| | Zhian | reference: Node-RED ${v.nodeRed} | ratio |`);
  say('|---|---:|---:|---:|');
  const sustainedCell = (s: StepRow | null, r: RampResult) => {
    if (!s) return `< ${fmt(r.steps[0]!.offered)}`;
    const top = r.steps[r.steps.length - 1]!;
    if (top.publisherBound && top.keptUp) return `**≥ ${fmt(top.processed)}** (the publishers' limit: ${fmt(top.published)} of ${fmt(top.offered)} offered/s)`;
    return `**${fmt(s.processed)}** (offered ${fmt(s.offered)})`;
  };
  const sustainedOf = (s: StepRow | null, r: RampResult) => {
    const top = r.steps[r.steps.length - 1]!;
    return top.publisherBound && top.keptUp ? top.processed : (s?.processed ?? NaN);
  };
  say(`| sustained readings/s (highest step without a growing backlog) | ${sustainedCell(zs, zRamp)} | ${sustainedCell(ns, nRamp)} | **${ratio(sustainedOf(zs, zRamp), sustainedOf(ns, nRamp))}**${nTop.publisherBound ? ' (at most)' : ''} |`);
  say(`| readings/s while working off a backlog (the ceiling) | ${zRamp.drainRate ? fmt(zRamp.drainRate) : '–'}${zRamp.drained ? '' : ' (not worked off in time)'} | ${nRamp.drainRate ? fmt(nRamp.drainRate) : '–'} | ${ratio(zRamp.drainRate ?? NaN, nRamp.drainRate ?? NaN)} |`);
  say(`| publish → warning p50 at ${fmt(latencyRate)}/s | **${ms(zL.p50)} ms** | ${ms(nL.p50)} ms | ${ratio(zL.p50, nL.p50)} |`);
  say(`| publish → warning p99 at ${fmt(latencyRate)}/s | **${ms(zL.p99)} ms** | ${ms(nL.p99)} ms | ${ratio(zL.p99, nL.p99)} |`);
  say(`| warnings / crossings in the latency run | ${fmt(zL.warned)} / ${fmt(zL.n)} | ${fmt(nL.warned)} / ${fmt(nL.n)} | |`);
  say(`| CPU of the side's own process per reading (latency run) | ${fmt(zLat.cpuPerReading, 2)} ms | ${fmt(nLat.cpuPerReading, 3)} ms | ${ratio(zLat.cpuPerReading, nLat.cpuPerReading)} |`);
  say(`| SQL statements per reading (latency run) | ${fmt(stmts, 1)} | – | |`);
  say();
  say('Rate steps (readings/s processed, backlog left at the end of the step, latency of the step\'s crossings — queueing included once a side falls behind):');
  say();
  say('| offered/s | Zhian stored/s | backlog | p50 | p99 | Node-RED processed/s | backlog | p50 | p99 |');
  say('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const zByRate = new Map(zRamp.steps.map((s) => [s.offered, s]));
  const nByRate = new Map(nRamp.steps.map((s) => [s.offered, s]));
  const cells = (s: StepRow | undefined, warned: Map<string, number>, published: Map<string, number>) => {
    if (!s) return '– | – | – | –';
    const l = latencies(s.keys, published, warned);
    if (s.publisherBound) return `${fmt(s.processed)} (publishers: ${fmt(s.published)}/s) | ${fmt(s.backlog)} | – | –`;
    return `${fmt(s.processed)}${s.keptUp ? '' : ' ✗'} | ${fmt(s.backlog)} | ${l.warned ? `${ms(l.p50)} ms` : '–'} | ${l.warned ? `${ms(l.p99)} ms` : '–'}`;
  };
  for (const rate of rates.filter((r) => zByRate.has(r) || nByRate.has(r))) {
    say(`| ${fmt(rate)} | ${cells(zByRate.get(rate), zWarnedRamp, zFleet.crossings)} | ${cells(nByRate.get(rate), warnedN, nrFleet.crossings)} |`);
  }
  say();
  say(
    `✗ = the side fell behind in that step (the ramp stops there); "publishers" = this process could not publish faster (the ramp stops there too; latency not shown, the readings queued in the publishers). During the whole Zhian run ${fmt(Number(tasks.rows[0]!.raised))} warnings were raised and ${fmt(Number(tasks.rows[0]!.tasked))} of them have their verification task; Node-RED sent ${fmt(nrRaises)} raises. ` +
      `Where Zhian's time goes: its MQTT subscriber handles one message at a time and acknowledges it after the commit (mqtt.js, \`handleMessage\`), so its rate is bounded by one reading's round trips. Per reading in the latency run: ${fmt(stmts, 1)} statements — ` +
      `${zStatsLat.statements.kinds.slice(0, 9).map(([k, n]) => `${k} ${fmt(n / Math.max(1, zLat.processed), 2)}`).join(', ')} — ` +
      `of which ${fmt(perReading('begin'), 2)} transactions. For scale: sequential one-row INSERT transactions (autocommit, same database, one connection) reach ${fmt(floor)}/s on this machine — the ceiling of any consumer that commits one reading at a time.`,
  );
  say();
}

// -------------------------------------------------------------------------- 2 and 3. Reconciliation

interface ReconRun {
  ms: number;
  result: { found: number; byLevel: Record<'red' | 'yellow' | 'green', number>; raised: number; escalated: number; ended: number } | null;
  runStatus: { status: string; error: string | null } | null;
  statements: { total: number; kinds: [string, number][]; ms: Record<string, number> };
  baselineRss: number;
  peakRss: number;
  hwmReset: boolean;
  findingsSql: { text: string; values: unknown[] } | null;
}

function psqlCopy(url: string, select: string, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', `\\copy (${select}) to '${file}' with (format csv)`], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PGTZ: 'UTC' } });
    let err = '';
    p.stderr!.on('data', (d: Buffer) => (err += d));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`psql \\copy failed (${code}): ${err}`))));
  });
}

export async function benchRecon(url: string, c: pg.Client, districtId: string, ruleId: string) {
  const scale = QUICK ? { registrations: 100_000, entries: 1_000_000, planted: 100, edge: 10 } : { registrations: 1_000_000, entries: 10_000_000, planted: 500, edge: 50 };
  // Building and room addresses of the demo district, keyed as an import keys them.
  const places = (await c.query<{ full_text: string }>(`select full_text from addresses where level in ('room', 'building') order by full_text`)).rows.map((r) => ({ key: addressKey(r.full_text), text: r.full_text }));
  progress(`generating ${fmt(scale.registrations)} registrations × ${fmt(scale.entries)} entries in PostgreSQL`);
  let t = performance.now();
  const data: ReconData = await generateReconData(c, districtId, places, scale, progress);
  const genMs = performance.now() - t;
  const ex = data.expected;

  // ---------------------------------------------------------------- Zhian
  progress('Zhian: starting the reconciliation process');
  const zhian = await forkZhian('recon', url);
  let first: ReconRun;
  let again: ReconRun;
  try {
    progress('Zhian: run');
    first = await zhian.request<ReconRun>({ cmd: 'run', ruleId, asOf: data.asOf.toISOString() });
    progress(`Zhian: run took ${sec(first.ms)} (${JSON.stringify(first.result ?? first.runStatus)})`);
    again = await zhian.request<ReconRun>({ cmd: 'run', ruleId, asOf: data.asOf.toISOString() });
    progress(`Zhian: re-run took ${sec(again.ms)}`);
  } finally {
    await zhian.close();
  }
  if (!first.result) throw new Error(`Zhian's reconciliation run failed: ${JSON.stringify(first.runStatus)}`);
  const warnings = await c.query<{ level: string; n: string; tasked: string }>(`select level, count(*) as n, count(report_id) as tasked from alert_warnings where rule_id = $1 group by level`, [ruleId]);
  const wBy = Object.fromEntries(warnings.rows.map((r) => [r.level, Number(r.n)])) as Record<string, number>;
  const tasked = warnings.rows.reduce((a, r) => a + Number(r.tasked), 0);

  // ---------------------------------------------------------------- plain SQL
  progress('PostgreSQL: the plain statement');
  const params = [districtId, data.asOf, WINDOW_DAYS, RECON_LEVELS.green];
  t = performance.now();
  const plain = (await c.query<{ found: number; green: number; yellow: number; red: number }>(PLAIN_SQL, params)).rows[0]!;
  const plainMs = performance.now() - t;
  progress('PostgreSQL: the rewritten findings statement (anti-join before grouping)');
  t = performance.now();
  const rewritten = (await c.query<{ days: number }>(REWRITE_SQL, params)).rows;
  const rewriteMs = performance.now() - t;
  const rw = { found: rewritten.length, green: 0, yellow: 0, red: 0 };
  for (const r of rewritten) rw[r.days >= RECON_LEVELS.red ? 'red' : r.days >= RECON_LEVELS.yellow ? 'yellow' : 'green']++;
  let rewritePlan = '';
  let plan = '';
  if (first.findingsSql) {
    progress("PostgreSQL: EXPLAIN ANALYZE of Zhian's findings statement");
    const r = await c.query(`explain (analyze, buffers) ${first.findingsSql.text}`, first.findingsSql.values);
    plan = r.rows.map((x) => x['QUERY PLAN']).join('\n');
    const r2 = await c.query(`explain (analyze, buffers) ${REWRITE_SQL}`, params);
    rewritePlan = r2.rows.map((x) => x['QUERY PLAN']).join('\n');
  }

  // ---------------------------------------------------------------- DuckDB
  ensurePeers(['duckdb']);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhian-duck-'));
  let duck: { found: number; green: number; yellow: number; red: number };
  let exportMs: number;
  let loadMs: number;
  let queryMs: number;
  let csvBytes: number;
  let duckVersion: string;
  let duckRss: number;
  try {
    progress('DuckDB: export from PostgreSQL to CSV (psql \\copy)');
    t = performance.now();
    await Promise.all([
      psqlCopy(url, `select person_key, address_key from recon_residents where district_org_id = '${districtId}'`, path.join(dir, 'residents.csv')),
      psqlCopy(url, `select person_key, address_key, entered_at from recon_access where district_org_id = '${districtId}'`, path.join(dir, 'access.csv')),
    ]);
    exportMs = performance.now() - t;
    csvBytes = fs.statSync(path.join(dir, 'residents.csv')).size + fs.statSync(path.join(dir, 'access.csv')).size;
    try {
      fs.writeFileSync('/proc/self/clear_refs', '5'); // VmHWM := current RSS
    } catch {
      /* older kernels: the peak may include earlier work of this process */
    }
    const before = memoryOf('self').rss;
    const db = await openDuckDB();
    duckVersion = db.version;
    try {
      progress('DuckDB: load');
      t = performance.now();
      await db.connection.run(`create table residents as select * from read_csv('${path.join(dir, 'residents.csv')}', header = false, columns = {'person_key': 'VARCHAR', 'address_key': 'VARCHAR'})`);
      await db.connection.run(`create table access as select * from read_csv('${path.join(dir, 'access.csv')}', header = false, columns = {'person_key': 'VARCHAR', 'address_key': 'VARCHAR', 'entered_at': 'TIMESTAMPTZ'})`);
      loadMs = performance.now() - t;
      progress('DuckDB: query');
      t = performance.now();
      const r = await db.connection.runAndReadAll(duckSql(data.asOf));
      queryMs = performance.now() - t;
      const row = r.getRowObjects()[0]!;
      duck = { found: Number(row.found), green: Number(row.green), yellow: Number(row.yellow), red: Number(row.red) };
      duckRss = memoryOf('self').hwm - before;
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }

  // ---------------------------------------------------------------- the answers must agree
  const z = first.result;
  const agree =
    [z.found, plain.found, duck.found, rw.found].every((n) => n === ex.found) &&
    (['green', 'yellow', 'red'] as const).every((l) => z.byLevel[l] === ex[l] && plain[l] === ex[l] && duck[l] === ex[l] && rw[l] === ex[l] && (wBy[l] ?? 0) === ex[l]);
  const answer = (x: { found: number; green: number; yellow: number; red: number }) => `${fmt(x.found)} (${fmt(x.red)} red, ${fmt(x.yellow)} yellow, ${fmt(x.green)} green)`;

  const findingsMs = first.statements.ms['select recon_access'] ?? NaN;
  const againFindingsMs = again.statements.ms['select recon_access'] ?? NaN;
  say('### Reconciliation 人来未登记, beside one plain SQL statement and DuckDB');
  say();
  say(
    `${fmt(data.registrations)} residence registrations at ${fmt(data.addresses)} building and room addresses of the demo district and ${fmt(data.entries)} access-control entries over 45 days, generated in PostgreSQL in ${sec(genMs)} (bench/alerts.recon-data.ts; person keys are SHA-256 hex, as long as the HMACs of an import). ` +
      `Rule: seen on ≥ ${RECON_LEVELS.green} distinct Beijing days in the ${WINDOW_DAYS} days before asOf at an address without a registration there (levels: green ${RECON_LEVELS.green}, yellow ${RECON_LEVELS.yellow}, red ${RECON_LEVELS.red} days). ` +
      `The answer is planted: ${fmt(scale.planted)} people on 5–25 days, plus ${fmt(scale.edge)} each of the edge cases that count (a registered person at another address; 6 Beijing days that are 3 UTC days; an entry exactly at asOf) and of those that do not (4 days in the window and 2 before it; 12 entries on 4 days; 5 UTC days that are 4 Beijing days; an entry exactly at asOf − 30 days), so **${fmt(ex.found)}** findings are expected, and all three must report them.`,
  );
  say();
  say(
    `Zhian: \`recon.startRun\` on the district's rule, in its own process — the findings statement (alerts.recon.repository.ts), the address of each finding matched against the address library and placed in its grid, then in one transaction the rule states, the warnings with their audit rows and events, the run's row; after the commit a verification task per warning. ` +
      `Plain SQL: the same anti-join, counting by level, one statement on the same PostgreSQL. DuckDB ${duckVersion} (in memory, \`@duckdb/node-api\`): the same statement over the same rows, exported with \`psql \\copy\` to CSV and loaded (times reported apart).`,
  );
  say();
  say('| | time | findings | ratio to plain SQL |');
  say('|---|---:|---:|---:|');
  say(`| **Zhian**, first run (${fmt(z.raised)} warnings raised, ${fmt(tasked)} verification tasks) | **${sec(first.ms)}** | ${answer({ found: z.found, ...z.byLevel })} | ${ratio(first.ms, plainMs)} |`);
  say(`|  ↳ of which the findings statement | ${sec(findingsMs)} | | ${ratio(findingsMs, plainMs)} |`);
  say(`| Zhian, re-run at the same asOf (nothing new to write) | ${sec(again.ms)} | ${fmt(again.result?.found ?? NaN)} | ${ratio(again.ms, plainMs)} |`);
  say(`|  ↳ of which the findings statement | ${sec(againFindingsMs)} | | ${ratio(againFindingsMs, plainMs)} |`);
  say(`| reference: one plain SQL statement, PostgreSQL ${await pgVersion()} | ${sec(plainMs)} | ${answer(plain)} | 1× |`);
  say(`| reference: DuckDB ${duckVersion}, query | ${sec(queryMs)} | ${answer(duck)} | ${ratio(queryMs, plainMs)} |`);
  say(`| the anti-join before the grouping (the shape Zhian's findings statement now has), alone | ${sec(rewriteMs)} | ${answer(rw)} | ${ratio(rewriteMs, plainMs)} |`);
  say(`|  ↳ DuckDB load: export to CSV (${fmt(csvBytes / MB)} MB) + read into tables | ${sec(exportMs)} + ${sec(loadMs)} | | |`);
  say();
  say(
    agree
      ? `All three agree with the planted answer (${answer(ex)}); the warnings in \`alert_warnings\` match by level.`
      : `**The answers DISAGREE** — expected ${answer(ex)}; Zhian ${answer({ found: z.found, ...z.byLevel })} (warnings by level ${JSON.stringify(wBy)}), plain SQL ${answer(plain)}, DuckDB ${answer(duck)}, rewrite ${answer(rw)}.`,
  );
  say();
  const topKinds = (r: ReconRun) =>
    r.statements.kinds
      .slice(0, 8)
      .map(([k, n]) => `${k} ${fmt(n)}${r.statements.ms[k] !== undefined && r.statements.ms[k]! > 200 ? ` (${sec(r.statements.ms[k]!)})` : ''}`)
      .join(', ');
  say(
    `Statements of Zhian's first run: ${fmt(first.statements.total)} (${fmt(first.statements.total / Math.max(1, z.raised))} per warning) — ${topKinds(first)}. ` +
      `Re-run: ${fmt(again.statements.total)} — ${topKinds(again)}: it writes nothing, but still matches and places the address of every finding again before finding out that nothing changed.`,
  );
  say();
  say('### Memory of the reconciliation run');
  say();
  say('| | resident set before the run | peak during the run | growth |');
  say('|---|---:|---:|---:|');
  say(`| Zhian process, first run (${first.hwmReset ? 'VmHWM reset through /proc/self/clear_refs before the run, and RSS sampled every 20 ms' : 'RSS sampled every 20 ms'}) | ${fmt(first.baselineRss / MB)} MB | **${fmt(first.peakRss / MB)} MB** | ${fmt((first.peakRss - first.baselineRss) / MB)} MB |`);
  say(`| Zhian process, re-run | ${fmt(again.baselineRss / MB)} MB | ${fmt(again.peakRss / MB)} MB | ${fmt((again.peakRss - again.baselineRss) / MB)} MB |`);
  say(`| reference: DuckDB in memory (growth of the bench process's peak while loading and querying) | | | ${fmt(duckRss / MB)} MB |`);
  say();
  say("Zhian aggregates in PostgreSQL: the entries never come to Node, only the findings do, so its memory grows with the number of findings, not of entries. PostgreSQL's own memory (shared buffers, work_mem of the sort) is not in these figures.");
  say();
  if (plan) {
    say("<details><summary>EXPLAIN (ANALYZE, BUFFERS) of Zhian's findings statement, and of the rewrite</summary>");
    say();
    say('```');
    say(plan);
    say('```');
    say();
    say('```');
    say(REWRITE_SQL.trim());
    say('```');
    say();
    say('```');
    say(rewritePlan);
    say('```');
    say();
    say('</details>');
    say();
  }
  if (!agree) throw new Error('reconciliation answers disagree (see the report)');
}

// ------------------------------------------------------------------------------------------ the run

const BENCH_RULE = '氨氮超标（基准测试）';

/**
 * Migrates and seeds the demo district (buildZhian in this process, closed again), then adds
 * the bench's devices at building addresses of the district, its threshold rule and its
 * reconciliation rule; the demo's own rules are switched off.
 */
export async function setUpDatabase(url: string, c: pg.Client) {
  const z = await buildZhian(testConfig({ DATABASE_URL: url, ZHIAN_DEMO: 'true' }), { logger: false, seed: true, timers: false, mqtt: false });
  await z.close();
  const district = (await c.query<{ id: string }>('select id from orgs where code = $1', [DEMO_DISTRICT_CODE])).rows[0]!.id;
  await c.query('update alert_rules set enabled = false');
  // The demo's own registrations and entries (if it seeds any) would change the planted answer.
  await c.query('delete from recon_access where district_org_id = $1', [district]);
  await c.query('delete from recon_residents where district_org_id = $1', [district]);
  await c.query(`delete from recon_imports i where i.district_org_id = $1 and i.kind in ('residents', 'access')`, [district]);
  const dev = await c.query<{ code: string }>(
    `insert into devices (code, name, type, lng, lat, address_id, address_text, grid_id, community_org_id, district_org_id, area_path, active)
     select 'BENCH' || lpad(x.i::text, 4, '0'), 'BENCH' || lpad(x.i::text, 4, '0'), 'generic', x.lng, x.lat, x.id, x.full_text, x.grid_id, g.community_org_id, $1, o.path, true
     from (select row_number() over (order by a.full_text) - 1 as i, a.* from addresses a where a.level = 'building' and a.grid_id is not null order by a.full_text limit ${DEVICES}) x
     join grids g on g.id = x.grid_id join orgs o on o.id = g.community_org_id
     returning code`,
    [district],
  );
  const codes = dev.rows.map((r) => r.code).sort();
  await c.query(`insert into alert_rules (district_org_id, name, kind, device_type, params, task_category) values ($1, $2, 'threshold', 'generic', $3, '0906')`, [
    district,
    BENCH_RULE,
    JSON.stringify({ indicator: THRESHOLD.indicator, direction: 'above', levels: { yellow: THRESHOLD.yellow }, hysteresis: THRESHOLD.hysteresis, minDurationSec: 0 }),
  ]);
  const recon = await c.query<{ id: string }>(
    `insert into alert_rules (district_org_id, name, kind, params, task_category) values ($1, '人来未登记（基准测试）', 'unregistered_resident', $2, '0903') returning id`,
    [district, JSON.stringify({ windowDays: WINDOW_DAYS, levels: RECON_LEVELS, schedule: 'off' })],
  );
  return { district, codes, reconRuleId: recon.rows[0]!.id };
}

export async function benchAlerts() {
  say('## Early warning');
  say();
  const name = `zhian_bench_${crypto.randomBytes(4).toString('hex')}`;
  try {
    await adminQuery(`create database ${name}`);
  } catch (e) {
    say(`(PostgreSQL at ${PG_URL} not available: ${(e as Error).message})`);
    say();
    return;
  }
  const url = databaseUrl(name);
  let broker: Broker | null = null;
  const c = new pg.Client({ connectionString: url });
  try {
    await c.connect();
    progress(`database ${name}: migrating and seeding the demo district`);
    let t = performance.now();
    const { district, codes, reconRuleId } = await setUpDatabase(url, c);
    const seedMs = performance.now() - t;
    say(
      `Load average of the machine at the start of the section: ${os.loadavg().map((x) => fmt(x, 1)).join(' / ')} (1 / 5 / 15 min; anything else running competes with the figures). ` +
      `A fresh database on PostgreSQL ${await pgVersion()} (same machine, default configuration), migrated and seeded with the demo district in ${sec(seedMs)}; ${fmt(codes.length)} devices of type \`generic\` at building addresses of the district (so warnings land in a grid and become tasks) and one \`threshold\` rule: NH3N ≥ ${THRESHOLD.yellow} → yellow, hysteresis ${THRESHOLD.hysteresis}, minDurationSec 0, task category 0906. The database is dropped at the end.`,
    );
    say();
    t = performance.now();
    broker = await startMosquitto();
    await benchIngest(url, codes, broker);
    await broker.stop();
    broker = null;
    progress(`MQTT part took ${sec(performance.now() - t)}`);
    t = performance.now();
    await benchRecon(url, c, district, reconRuleId);
    progress(`reconciliation part took ${sec(performance.now() - t)}`);
    say(`Load average at the end of the section: ${os.loadavg().map((x) => fmt(x, 1)).join(' / ')}.`);
    say();
  } finally {
    await c.end().catch(() => undefined);
    if (broker) await broker.stop().catch(() => undefined);
    await adminQuery(`drop database if exists ${name} with (force)`).catch((e) => say(`(could not drop ${name}: ${(e as Error).message})`));
  }
}
