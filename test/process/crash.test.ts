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
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'zhian.js');
const PG_URL = process.env.TEST_DATABASE_URL || undefined;

const ADMIN = { username: 'admin', password: 'zhian-demo' };
/** Acknowledgements before the kill. */
const KILL_AFTER_ACKS = 100;
/** Requests kept in flight at once. */
const CONCURRENCY = 24;
/** Crash → restart cycles per database. */
const ROUNDS = 2;

// ---------------------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------------------

/** Settings of the parent that must not leak into a child (they would pick its database). */
const INHERITED_SETTINGS = [
  'TEST_DATABASE_URL',
  'DATABASE_URL',
  'DATABASE_POOL_SIZE',
  'ZHIAN_DATA_DIR',
  'ZHIAN_DEMO',
  'ZHIAN_DEMO_SCALE',
  'PORT',
  'HOST',
  'MAP_TILE_URL',
  'MAP_TILE_COORD_SYSTEM',
  'COOKIE_SECURE',
  'TRUST_PROXY',
];

function childEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info', NODE_ENV: 'development' };
  for (const k of INHERITED_SETTINGS) delete env[k];
  return { ...env, ...vars };
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Proc {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  /** Resolves once the process has exited and its output is read. */
  closed: Promise<Exit>;
  waitForLine(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
}

const children = new Set<ChildProcess>();
const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;
function killAllChildren() {
  for (const c of children) if (alive(c)) c.kill('SIGKILL');
}
process.once('exit', killAllChildren);

function launch(args: string[], vars: Record<string, string>): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: childEnv(vars), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const stdout: string[] = [];
  const stderr: string[] = [];
  const lines = new EventEmitter();
  readline.createInterface({ input: child.stdout! }).on('line', (l) => {
    stdout.push(l);
    lines.emit('line', l);
  });
  readline.createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
  const closed = new Promise<Exit>((resolve) => {
    child.once('error', () => resolve({ code: null, signal: null }));
    child.once('close', (code, signal) => {
      children.delete(child);
      lines.emit('closed');
      resolve({ code, signal });
    });
  });
  const waitForLine = (re: RegExp, timeoutMs: number) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      for (const l of stdout) {
        const m = l.match(re);
        if (m) return resolve(m);
      }
      const done = () => {
        clearTimeout(timer);
        lines.off('line', onLine);
        lines.off('closed', onClosed);
      };
      const onLine = (l: string) => {
        const m = l.match(re);
        if (m) {
          done();
          resolve(m);
        }
      };
      const onClosed = () => {
        done();
        reject(new Error(`process exited before ${re}: exit ${child.exitCode}/${child.signalCode}\nstdout:\n${stdout.slice(-20).join('\n')}\nstderr:\n${stderr.slice(-40).join('\n')}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${re}\nstdout:\n${stdout.slice(-20).join('\n')}\nstderr:\n${stderr.slice(-40).join('\n')}`));
      }, timeoutMs);
      lines.on('line', onLine);
      lines.once('closed', onClosed);
    });
  return { child, stdout, stderr, closed, waitForLine };
}

interface Server extends Proc {
  url: string;
  /** Milliseconds from spawn to "Server listening". */
  startMs: number;
}

async function startServer(vars: Record<string, string>, timeoutMs = 120_000): Promise<Server> {
  const t0 = Date.now();
  const p = launch(['start', '--no-build'], { PORT: '0', HOST: '127.0.0.1', ...vars });
  try {
    const m = await p.waitForLine(/Server listening at (http:\/\/[^"\s]+)/, timeoutMs);
    return { ...p, url: m[1], startMs: Date.now() - t0 };
  } catch (e) {
    if (alive(p.child)) p.child.kill('SIGKILL');
    throw e;
  }
}

/** SIGTERM, then SIGKILL when the process has not gone after graceMs. */
async function stopProc(p: Proc, graceMs = 20_000): Promise<Exit> {
  if (alive(p.child)) p.child.kill('SIGTERM');
  const timer = setTimeout(() => alive(p.child) && p.child.kill('SIGKILL'), graceMs);
  try {
    return await p.closed;
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------

interface Session {
  cookie: string;
  csrf: string;
}

async function login(base: string, username: string, password: string): Promise<Session> {
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${text}`);
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .find((c) => c.startsWith('zhian_session='));
  if (!cookie) throw new Error('login: no zhian_session cookie');
  return { cookie, csrf: JSON.parse(text).csrfToken };
}

async function getJson<T = any>(base: string, s: Session, url: string): Promise<T> {
  const res = await fetch(base + url, { headers: { cookie: s.cookie }, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

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
// PostgreSQL databases of this file
// ---------------------------------------------------------------------------------------

const createdDatabases: string[] = [];

async function adminQuery(text: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

async function freshDatabase(): Promise<string> {
  const name = `zhian_t_${crypto.randomBytes(6).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  createdDatabases.push(name);
  const u = new URL(PG_URL!);
  u.pathname = `/${name}`;
  return u.toString();
}

const tempDirs: string[] = [];
function tempDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}

afterAll(async () => {
  const running = [...children];
  killAllChildren();
  await Promise.all(running.map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once('close', r)))));
  for (const name of createdDatabases) await adminQuery(`drop database if exists ${name} with (force)`).catch(() => undefined);
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
}, 60_000);

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
      let s = await login(server.url, ADMIN.username, ADMIN.password);
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
        s = await login(server.url, ADMIN.username, ADMIN.password);
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
        const after = await fetch(`${server.url}/api/v1/orgs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', cookie: s.cookie, 'x-csrf-token': s.csrf },
          body: JSON.stringify({ parentId: street!.id, kind: 'community', code: `AFTER-${round}`, name: `恢复后社区${round}` }),
          signal: AbortSignal.timeout(30_000),
        });
        expect(after.status).toBe(201);
        await after.arrayBuffer();
      }
      console.log(`[crash ${label}] total: acknowledged ${allAcknowledged.length}, attempted ${allAttempted.length}`);
      const exit = await stopProc(server);
      expect(exit.code).toBe(0);
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
