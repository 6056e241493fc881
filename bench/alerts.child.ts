/**
 * Zhian in a process of its own for the early-warning benchmark (forked by alerts.bench.ts),
 * so that its CPU and memory are its own and not the publishers' or DuckDB's.
 *
 *   ingest: buildZhian with MQTT_URL = the bench's broker; answers `stats` with the ingest
 *           counters and the SQL statements sent since the last `reset`.
 *   recon:  buildZhian without MQTT; `run` runs the reconciliation rule once and answers with
 *           its duration, result, statements and the peak resident set during the run
 *           (VmHWM after resetting it through /proc/self/clear_refs, and sampled RSS).
 */
import fs from 'node:fs';
import pg from 'pg';
import { buildZhian, type Zhian } from '../src/server/main.js';
import { systemContext } from '../src/server/platform/http/context.js';
import { testConfig } from '../test/helpers.js';

type Msg = { cmd: 'stats' | 'reset' | 'close' } | { cmd: 'run'; ruleId: string; asOf: string };

// ------------------------------------------------------------------ statements sent by this process
const kinds = new Map<string, number>();
/** Milliseconds waited per kind (meaningful for sequential callers, as the reconciliation is). */
const kindMs = new Map<string, number>();
let statements = 0;
/** The last statement that read the access entries (the findings), to EXPLAIN it in the bench. */
let findingsSql: { text: string; values: unknown[] } | null = null;
const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
const original = proto.query;
proto.query = function (this: unknown, ...args: unknown[]) {
  const q = args[0] as string | { text?: string } | undefined;
  const text = (typeof q === 'string' ? q : (q?.text ?? '')).trim().toLowerCase();
  let kind = text.split(/\s+/)[0] ?? '?';
  const table =
    text.match(/^(?:insert into|update|delete from)\s+"?(\w+)"?/)?.[1] ??
    (text.startsWith('select') ? (text.includes('pg_notify') ? 'pg_notify()' : text.includes('pg_advisory_xact_lock') ? 'pg_advisory_xact_lock()' : text.includes('nextval') ? 'nextval()' : text.match(/\bfrom\s+"?(\w+)"?/)?.[1]) : undefined);
  if (table) kind = `${kind} ${table}`;
  kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  statements++;
  if (kind === 'select recon_access' && typeof q === 'string') findingsSql = { text: q, values: (args[1] as unknown[]) ?? [] };
  const t = performance.now();
  const r = original.apply(this, args);
  if (r && typeof (r as Promise<unknown>).then === 'function') {
    const done = () => kindMs.set(kind, (kindMs.get(kind) ?? 0) + performance.now() - t);
    (r as Promise<unknown>).then(done, done);
  }
  return r;
};
const statementReport = () => ({ total: statements, kinds: [...kinds.entries()].sort((a, b) => b[1] - a[1]), ms: Object.fromEntries(kindMs) });
const resetStatements = () => {
  kinds.clear();
  kindMs.clear();
  statements = 0;
  findingsSql = null;
};

function memory() {
  const s = fs.readFileSync('/proc/self/status', 'utf8');
  const kb = (k: string) => Number(s.match(new RegExp(`${k}:\\s+(\\d+) kB`))?.[1] ?? NaN) * 1024;
  return { hwm: kb('VmHWM'), rss: kb('VmRSS') };
}

const send = (m: unknown) => process.send!(m);

async function main() {
  const [mode, databaseUrl, mqttUrl] = process.argv.slice(2);
  const z: Zhian = await buildZhian(
    testConfig({ DATABASE_URL: databaseUrl!, ...(mode === 'ingest' ? { MQTT_URL: mqttUrl!, MQTT_CLIENT_ID: 'zhian-bench-ingest' } : {}) }),
    { logger: false, seed: false, timers: false, mqtt: mode === 'ingest' },
  );
  resetStatements();
  const cpu0 = process.cpuUsage();
  process.on('message', async (m: Msg) => {
    try {
      if (m.cmd === 'stats') {
        const cpu = process.cpuUsage(cpu0);
        send({ ingest: z.services.ingest.stats(), mqtt: z.mqtt?.stats() ?? null, statements: statementReport(), cpuSeconds: (cpu.user + cpu.system) / 1e6, memory: memory() });
      } else if (m.cmd === 'reset') {
        resetStatements();
        z.services.ingest.resetStats();
        send({ ok: true });
      } else if (m.cmd === 'run') {
        global.gc?.();
        const baseline = memory();
        // Resets VmHWM to the current RSS (Linux ≥ 4.0), so VmHWM after the run is the run's peak.
        let cleared = true;
        try {
          fs.writeFileSync('/proc/self/clear_refs', '5');
        } catch {
          cleared = false;
        }
        let sampledPeak = baseline.rss;
        const sampler = setInterval(() => (sampledPeak = Math.max(sampledPeak, process.memoryUsage().rss)), 20);
        resetStatements();
        const t = performance.now();
        const { runId, result } = await runRecon(z, m.ruleId, new Date(m.asOf));
        const ms = performance.now() - t;
        clearInterval(sampler);
        const after = memory();
        const runStatus = (await z.handle.db.selectFrom('recon_runs').select(['status', 'error']).where('id', '=', runId).executeTakeFirst()) ?? null;
        send({ ms, result: result ?? null, runStatus, statements: statementReport(), baselineRss: baseline.rss, peakRss: cleared ? Math.max(after.hwm, sampledPeak) : sampledPeak, hwmReset: cleared, findingsSql });
      } else if (m.cmd === 'close') {
        await z.close();
        send({ closed: true });
        process.exit(0);
      }
    } catch (e) {
      send({ error: (e as Error).stack ?? String(e) });
    }
  });
  send({ ready: true, memory: memory() });
}

/** One run of the reconciliation rule at asOf, as the "run now" button does it: started, then awaited to the end (tasks included). */
async function runRecon(z: Zhian, ruleId: string, asOf: Date) {
  const { runId, done } = await z.services.recon.startRun(systemContext(), ruleId, { asOf, trigger: 'manual' });
  return { runId, result: await done };
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
