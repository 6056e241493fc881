/**
 * Crash safety: a write that the server acknowledged (201) survives `kill -9` of the server.
 *
 * The server runs as a real child process (`node bin/zhian.js start --no-build`, demo on),
 * on a temporary PGlite directory and — when TEST_DATABASE_URL is set — on a fresh
 * PostgreSQL database. A burst of concurrent POST /api/v1/orgs is fired at it and the
 * process is SIGKILLed while requests are in flight, right after the ~100th acknowledgement.
 * After a restart on the same data every acknowledged organisation must exist and every
 * organisation of the burst must have exactly one 'org.created' audit row (same transaction).
 * The whole cycle runs twice per database (crash, recover, crash again, recover).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, freshDatabase, getJson, login, PG_URL, request, startServer, stopProc, tempDir, type Server, type Session } from './support.js';

/** Acknowledgements before the kill. */
const KILL_AFTER_ACKS = 100;
/** Requests kept in flight at once. */
const CONCURRENCY = 24;
/** Crash → restart cycles per database. */
const ROUNDS = 2;

afterAll(cleanup, 60_000);

interface Org {
  id: string;
  kind: string;
  code: string;
  parentId: string | null;
}

/** Runs fn over items with at most `limit` at a time. */
async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

// ---------------------------------------------------------------------------------------
// The scenario
// ---------------------------------------------------------------------------------------

interface BurstResult {
  attempted: string[];
  acknowledged: string[];
  inFlightAtKill: number;
  unexpected: string[];
  burstMs: number;
}

/**
 * Fires POST /api/v1/orgs with CONCURRENCY requests in flight until KILL_AFTER_ACKS were
 * acknowledged, then SIGKILLs the server at once, while the other requests are in flight.
 */
async function burstThenKill(server: Server, s: Session, parentId: string, round: number): Promise<BurstResult> {
  const attempted: string[] = [];
  const acknowledged: string[] = [];
  const unexpected: string[] = [];
  let inFlight = 0;
  let inFlightAtKill = -1;
  let killed = false;
  let next = 0;
  const t0 = Date.now();
  const kill = () => {
    killed = true;
    inFlightAtKill = inFlight;
    server.child.kill('SIGKILL');
  };
  const worker = async () => {
    while (!killed) {
      const n = next++;
      const code = `CRASH-${round}-${n}`;
      attempted.push(code);
      inFlight++;
      try {
        const res = await fetch(`${server.url}/api/v1/orgs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', cookie: s.cookie, 'x-csrf-token': s.csrf },
          body: JSON.stringify({ parentId, kind: 'community', code, name: `压测社区${round}-${n}` }),
          signal: AbortSignal.timeout(60_000),
        });
        // The status line is the acknowledgement: the server answers after the commit.
        inFlight--;
        if (res.status === 201) {
          acknowledged.push(code);
          if (!killed && acknowledged.length >= KILL_AFTER_ACKS) kill();
        } else if (!killed) {
          unexpected.push(`${code}: HTTP ${res.status} ${await res.text().catch(() => '')}`);
        }
        await res.arrayBuffer().catch(() => undefined);
      } catch (e) {
        inFlight--;
        if (!killed) unexpected.push(`${code}: ${(e as Error).message} ${String((e as any).cause ?? '')}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { attempted, acknowledged, inFlightAtKill, unexpected, burstMs: Date.now() - t0 };
}

function crashScenario(label: string, serverVars: () => Promise<Record<string, string>>) {
  it(
    `acknowledged writes survive kill -9 (${label})`,
    async () => {
      const vars = { ZHIAN_DEMO: 'true', ...(await serverVars()) };
      let server = await startServer(vars);
      console.log(`[crash ${label}] first start (migrate + demo seed): ${server.startMs} ms`);
      let s = await login(server.url);
      const orgs0 = (await getJson<{ items: Org[] }>(server.url, s, '/api/v1/orgs')).items;
      const street = orgs0.find((o) => o.kind === 'street');
      expect(street, 'the demo district has a street').toBeDefined();

      const allAttempted: string[] = [];
      const allAcknowledged: string[] = [];
      for (let round = 1; round <= ROUNDS; round++) {
        const burst = await burstThenKill(server, s, street!.id, round);
        const exit = await server.closed;
        expect(exit.signal).toBe('SIGKILL');
        expect(burst.unexpected, 'no write failed before the kill').toEqual([]);
        expect(burst.inFlightAtKill, 'requests were in flight at the kill').toBeGreaterThan(0);
        allAttempted.push(...burst.attempted);
        allAcknowledged.push(...burst.acknowledged);

        server = await startServer(vars);
        s = await login(server.url);
        const orgs = (await getJson<{ items: Org[] }>(server.url, s, '/api/v1/orgs')).items;
        const byCode = new Map(orgs.map((o) => [o.code, o]));
        const missing = allAcknowledged.filter((c) => !byCode.has(c));
        const present = orgs.filter((o) => o.code.startsWith('CRASH-'));
        const attemptedSet = new Set(allAttempted);
        const presentThisRound = present.filter((o) => o.code.startsWith(`CRASH-${round}-`)).length;
        console.log(
          `[crash ${label}] round ${round}: attempted ${burst.attempted.length}, acknowledged ${burst.acknowledged.length}, ` +
            `in flight at kill ${burst.inFlightAtKill}, present after restart ${presentThisRound} ` +
            `(burst ${burst.burstMs} ms, ${Math.round((burst.acknowledged.length * 1000) / burst.burstMs)} acks/s; restart ${server.startMs} ms)`,
        );
        expect(missing, 'acknowledged organisations missing after the restart').toEqual([]);
        // Nothing appears that was never sent, and nothing is duplicated.
        expect(present.filter((o) => !attemptedSet.has(o.code))).toEqual([]);
        expect(new Set(present.map((o) => o.code)).size).toBe(present.length);
        for (const o of present) expect(o.parentId).toBe(street!.id);

        // Each organisation that exists was audited exactly once, in its own transaction.
        const audits = await pool(present, 8, async (o) => {
          const r = await getJson<{ items: { action: string; targetId: string | null }[]; total: number }>(
            server.url,
            s,
            `/api/v1/audit?targetId=${o.id}&pageSize=100`,
          );
          return { code: o.code, created: r.items.filter((a) => a.action === 'org.created' && a.targetId === o.id).length };
        });
        const badAudit = audits.filter((a) => a.created !== 1);
        expect(badAudit, 'organisations without exactly one org.created audit row').toEqual([]);

        // The server still takes writes after the recovery.
        const after = await request(server.url, 'POST', '/api/v1/orgs', {
          session: s,
          body: { parentId: street!.id, kind: 'community', code: `AFTER-${round}`, name: `恢复后社区${round}` },
        });
        expect(after.status, after.text).toBe(201);
      }
      console.log(`[crash ${label}] total: acknowledged ${allAcknowledged.length}, attempted ${allAttempted.length}`);
      expect(await stopProc(server), 'clean shutdown after the last recovery').toEqual({ code: 0, signal: null });
    },
    300_000,
  );
}

describe('crash safety on PGlite', () => {
  crashScenario('PGlite', async () => ({ ZHIAN_DATA_DIR: tempDir('zhian-crash-') }));
});

describe.skipIf(!PG_URL)('crash safety on PostgreSQL', () => {
  crashScenario('PostgreSQL', async () => ({ DATABASE_URL: await freshDatabase() }));
});
