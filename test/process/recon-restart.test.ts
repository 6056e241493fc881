/**
 * A reconciliation run survives `kill -9` of its server: nothing lost, nothing twice.
 *
 * A district's registers (generated, the answer known by construction: K people to be found
 * as 人来未登记) and a rule are written in this process; then a real server process
 * (`node bin/zhian.js start --no-build`) runs the rule and is SIGKILLed while the run's
 * transaction is open. After a restart on the same data the run is marked failed, no warning
 * of the rule exists (one transaction: all or nothing), and a re-run raises exactly the K
 * warnings. The server is killed again right after that run's commit, while it creates the
 * verification tasks; after a second restart a third run raises nothing, and the warnings
 * are still exactly the K, once each.
 *
 * On PGlite the database is one connection: while the run's transaction is open every other
 * query waits, so the kill comes when /readyz has been unanswered for two seconds (longer than
 * the findings statement takes here; the transaction takes many). On
 * PostgreSQL the job's progress (GET /api/v1/jobs/:id) shows the transaction under way.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/server/config.js';
import { buildZhian } from '../../src/server/main.js';
import { personKey } from '../../src/server/modules/alerts/alerts.recon.js';
import { loadReconDataset, reconDataset } from '../../src/server/modules/alerts/alerts.recon.generate.js';
import { createTenant, login as injectLogin, PASSWORD } from '../helpers.js';
import { cleanup, freshDatabase, getJson, login, PG_URL, request, startServer, stopProc, tempDir, type Server, type Session } from './support.js';

afterAll(cleanup, 60_000);

const SECRET = 'recon-restart-test-secret-0123456789';
/** People planted as 人来未登记: enough warnings that the run's transaction lasts seconds. */
const PLANTED = 800;
const DAY = 86_400_000;
const asOf = new Date(Math.floor((Date.now() + 8 * 3_600_000) / DAY) * DAY - 8 * 3_600_000 - 2 * DAY);
const later = (s: number) => new Date(asOf.getTime() + s * 1000);

type Target = { ZHIAN_DATA_DIR: string } | { DATABASE_URL: string };

/** The district, its administrator, a rule and the registers, written before any server runs. */
async function prepare(target: Target) {
  const config = loadConfig({ NODE_ENV: 'test', ZHIAN_DEMO: 'false', LOG_LEVEL: 'silent', MQTT_PORT: '0', PERSON_KEY_SECRET: SECRET, ...target });
  const z = await buildZhian(config, { logger: false, seed: false, timers: false, mqtt: false });
  try {
    const t = await createTenant(z);
    const admin = await injectLogin(z, t.admin);
    const res = await admin.post('/api/v1/alert-rules', { name: '人来未登记', kind: 'unregistered_resident', taskCategory: '0903', params: { windowDays: 30, levels: { green: 5, yellow: 10, red: 20 } } });
    expect(res.statusCode, res.body).toBe(201);
    const ds = reconDataset({ seed: 7, asOf, unregistered: PLANTED, multiEnterprise: 0, noise: 100, addressPrefix: `测试区${t.suffix}` });
    const counts = await loadReconDataset(z.handle.db, t.districtId, ds, SECRET);
    const expected = new Set(ds.expected.unregistered.map((u) => `u:${u.addressKey}|${personKey(SECRET, u.idNumber)}`));
    expect(expected.size).toBe(PLANTED);
    return { tenant: t, ruleId: res.json().id as string, expected, counts };
  } finally {
    await z.close();
  }
}

/** The rule's warnings and runs, read with a process of its own once no server runs. */
async function inspect(target: Target, ruleId: string) {
  const config = loadConfig({ NODE_ENV: 'test', ZHIAN_DEMO: 'false', LOG_LEVEL: 'silent', MQTT_PORT: '0', PERSON_KEY_SECRET: SECRET, ...target });
  const z = await buildZhian(config, { logger: false, seed: false, timers: false, mqtt: false });
  try {
    const warnings = await z.handle.db.selectFrom('alert_warnings').select(['subject_key', 'episode_key', 'level', 'cleared_at']).where('rule_id', '=', ruleId).execute();
    const runs = await z.handle.db.selectFrom('recon_runs').select(['id', 'status', 'raised', 'error']).where('rule_id', '=', ruleId).orderBy('started_at').execute();
    const states = await z.handle.db.selectFrom('alert_rule_states').select('subject_key').where('rule_id', '=', ruleId).execute();
    return { warnings, runs, states };
  } finally {
    await z.close();
  }
}

async function warningCount(s: Server, session: Session, ruleId: string): Promise<number> {
  return (await getJson<{ total: number }>(s.url, session, `/api/v1/warnings?ruleId=${ruleId}&pageSize=1`)).total;
}

async function startRun(s: Server, session: Session, ruleId: string, at: Date) {
  const r = await request(s.url, 'POST', `/api/v1/alert-rules/${ruleId}/run`, { session, body: { asOf: at.toISOString() } });
  expect(r.status, r.text).toBe(202);
  return r.json as { runId: string; jobId: string };
}

async function waitForJob(s: Server, session: Session, jobId: string, timeoutMs = 240_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const j = await getJson<{ status: string; result: any; errors: unknown[] }>(s.url, session, `/api/v1/jobs/${jobId}`);
    if (j.status !== 'running') return j;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still running after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Waits until the run's transaction is under way, then SIGKILLs the server. Returns what
 * told it so.
 */
async function killInsideTransaction(s: Server, session: Session, jobId: string, engine: 'pglite' | 'postgres'): Promise<string> {
  const t0 = Date.now();
  for (;;) {
    if (Date.now() - t0 > 120_000) throw new Error('the run never reached its transaction');
    if (engine === 'pglite') {
      const answered = await Promise.race([
        fetch(`${s.url}/readyz`, { signal: AbortSignal.timeout(30_000) }).then(() => true, () => true),
        new Promise<false>((r) => setTimeout(() => r(false), 2000)),
      ]);
      if (!answered) {
        s.child.kill('SIGKILL');
        return `/readyz unanswered for 2 s, ${Date.now() - t0} ms after the start`;
      }
    } else {
      const j = await getJson<{ status: string; processed: number; total: number }>(s.url, session, `/api/v1/jobs/${jobId}`);
      if (j.status !== 'running') throw new Error(`the run ended (${j.status}) before it could be killed: make it longer`);
      if (j.processed > 0) {
        s.child.kill('SIGKILL');
        return `job at ${j.processed}/${j.total}, ${Date.now() - t0} ms after the start`;
      }
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

function restartScenario(label: string, engine: 'pglite' | 'postgres', makeTarget: () => Promise<Target>) {
  it(
    `a run killed mid-transaction is re-run to exactly the known warnings (${label})`,
    async () => {
      const target = await makeTarget();
      const t0 = Date.now();
      const { tenant, ruleId, expected, counts } = await prepare(target);
      console.log(`[recon-restart ${label}] prepared ${counts.residents} registrations, ${counts.access} entries in ${Date.now() - t0} ms`);
      const vars = { ...target, ZHIAN_DEMO: 'false', PERSON_KEY_SECRET: SECRET };

      // 1. Killed while the run's transaction is open.
      let server = await startServer(vars);
      let session = await login(server.url, tenant.admin, PASSWORD);
      const first = await startRun(server, session, ruleId, asOf);
      const how = await killInsideTransaction(server, session, first.jobId, engine);
      expect((await server.closed).signal).toBe('SIGKILL');
      console.log(`[recon-restart ${label}] killed: ${how}`);

      // 2. After the restart: on PostgreSQL the kill was inside the run's transaction, so the run
      // failed and nothing of it was written. On PGlite (one connection; the probe cannot see
      // into the transaction) the kill may land before or after the commit: all or nothing.
      server = await startServer(vars);
      session = await login(server.url, tenant.admin, PASSWORD);
      const runs = await getJson<{ items: Array<{ id: string; status: string }> }>(server.url, session, `/api/v1/recon/runs?ruleId=${ruleId}`);
      const firstStatus = runs.items.find((r) => r.id === first.runId)?.status;
      if (engine === 'postgres') expect(firstStatus).toBe('failed');
      expect(['failed', 'succeeded']).toContain(firstStatus);
      const committed = firstStatus === 'succeeded';
      expect(await warningCount(server, session, ruleId)).toBe(committed ? PLANTED : 0);
      expect((await getJson<{ status: string }>(server.url, session, `/api/v1/jobs/${first.jobId}`)).status).toBe(firstStatus);
      console.log(`[recon-restart ${label}] the killed run: ${firstStatus}`);
      const t1 = Date.now();
      const second = await startRun(server, session, ruleId, committed ? later(1) : asOf);
      const j2 = await waitForJob(server, session, second.jobId);
      expect(j2.status, JSON.stringify(j2.errors)).toBe('succeeded');
      expect(j2.result).toMatchObject({ found: PLANTED, raised: committed ? 0 : PLANTED });
      console.log(`[recon-restart ${label}] re-run: ${PLANTED} warnings in ${Date.now() - t1} ms`);
      // Killed again while it makes the verification tasks, after the run's commit.
      server.child.kill('SIGKILL');
      await server.closed;

      // 3. A run after the second restart raises nothing; the warnings are the K, once each.
      server = await startServer(vars);
      session = await login(server.url, tenant.admin, PASSWORD);
      expect(await warningCount(server, session, ruleId)).toBe(PLANTED);
      const third = await startRun(server, session, ruleId, later(2));
      const j3 = await waitForJob(server, session, third.jobId);
      expect(j3.result).toMatchObject({ found: PLANTED, raised: 0, ended: 0 });
      expect(await stopProc(server)).toMatchObject({ signal: null });

      const after = await inspect(target, ruleId);
      const keys = after.warnings.map((w) => w.subject_key);
      expect(new Set(keys).size, 'no subject warned twice').toBe(keys.length);
      expect(new Set(keys)).toEqual(expected);
      expect(after.warnings.every((w) => w.cleared_at === null && w.episode_key === asOf.toISOString())).toBe(true);
      expect(after.runs.map((r) => [r.status, r.raised])).toEqual(
        committed
          ? [
              ['succeeded', PLANTED],
              ['succeeded', 0],
              ['succeeded', 0],
            ]
          : [
              ['failed', 0],
              ['succeeded', PLANTED],
              ['succeeded', 0],
            ],
      );
      expect(new Set(after.states.map((s) => s.subject_key))).toEqual(expected);
    },
    600_000,
  );
}

// Each half of the suite runs its own engine: the PGlite run is the embedded half's.
describe.skipIf(!!PG_URL)('reconciliation restart on PGlite', () => {
  restartScenario('PGlite', 'pglite', async () => ({ ZHIAN_DATA_DIR: tempDir('zhian-recon-') }));
});

describe.skipIf(!PG_URL)('reconciliation restart on PostgreSQL', () => {
  restartScenario('PostgreSQL', 'postgres', async () => ({ DATABASE_URL: await freshDatabase() }));
});
