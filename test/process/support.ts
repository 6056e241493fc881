/**
 * Shared by the process tests: the Zhian CLI (`node bin/zhian.js …`) as a child process,
 * servers started on a free port, HTTP sessions against them, fresh PostgreSQL databases
 * and temporary directories, and the cleanup of all of these after a test file.
 *
 * Each test file calls `afterAll(cleanup, 60_000)`; children still running when the test
 * process exits are killed in any case.
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

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = path.join(ROOT, 'bin', 'zhian.js');
export const MIGRATIONS_DIR = path.join(ROOT, 'migrations');
/** The PostgreSQL server of the run; databases of the tests are created next to its database. */
export const PG_URL = process.env.TEST_DATABASE_URL || undefined;
/** The administrator of the demo district. */
export const ADMIN = { username: 'admin', password: 'zhian-demo' };

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
  'MQTT_URL',
  'MQTT_PORT',
];

function childEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info', NODE_ENV: 'development' };
  for (const k of INHERITED_SETTINGS) delete env[k];
  // Children run the embedded broker on a free port: tests never take the standard 1883.
  return { ...env, MQTT_PORT: '0', ...vars };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Proc {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  /** Resolves once the process has exited and its output is read. */
  closed: Promise<Exit>;
  waitForLine(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
}

/**
 * The port, from Fastify's "Server listening at" log line or the CLI's own plain line
 * ("Zhian 智安 is serving http://localhost:PORT"); children listen on 127.0.0.1.
 */
export const LISTENING = /(?:Server listening at http:\/\/127\.0\.0\.1:|is serving http:\/\/localhost:)(\d+)/;

const children = new Set<ChildProcess>();
export const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;
function killAllChildren() {
  for (const c of children) if (alive(c)) c.kill('SIGKILL');
}
process.once('exit', killAllChildren);

const tail = (lines: string[], n: number) => lines.slice(-n).join('\n');

/** Starts `node bin/zhian.js ...args` with a clean environment plus vars (cwd: the repository). */
export function launch(args: string[], vars: Record<string, string>, opts: { cwd?: string } = {}): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env: childEnv(vars), stdio: ['ignore', 'pipe', 'pipe'] });
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
      const output = () => `\nstdout:\n${tail(stdout, 20)}\nstderr:\n${tail(stderr, 40)}`;
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
        reject(new Error(`process exited before ${re}: exit ${child.exitCode}/${child.signalCode}${output()}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${re}${output()}`));
      }, timeoutMs);
      lines.on('line', onLine);
      lines.once('closed', onClosed);
    });
  return { child, stdout, stderr, closed, waitForLine };
}

export interface Server extends Proc {
  url: string;
  /** Milliseconds from spawn to "Server listening". */
  startMs: number;
}

/** `zhian start --no-build` on a free port of 127.0.0.1; killed when it does not listen in time. */
export async function startServer(vars: Record<string, string>, timeoutMs = 120_000): Promise<Server> {
  const t0 = Date.now();
  const p = launch(['start', '--no-build'], { PORT: '0', HOST: '127.0.0.1', ...vars });
  try {
    const m = await p.waitForLine(LISTENING, timeoutMs);
    return { ...p, url: `http://127.0.0.1:${m[1]}`, startMs: Date.now() - t0 };
  } catch (e) {
    if (alive(p.child)) p.child.kill('SIGKILL');
    throw e;
  }
}

/** SIGTERM, then SIGKILL when the process has not gone after graceMs. */
export async function stopProc(p: Proc, graceMs = 20_000): Promise<Exit> {
  if (alive(p.child)) p.child.kill('SIGTERM');
  return settle(p, graceMs);
}

/** Waits for the process to end; SIGKILL after timeoutMs. */
async function settle(p: Proc, timeoutMs: number): Promise<Exit> {
  const timer = setTimeout(() => alive(p.child) && p.child.kill('SIGKILL'), timeoutMs);
  try {
    return await p.closed;
  } finally {
    clearTimeout(timer);
  }
}

export interface CliResult extends Exit {
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a CLI command to its end (SIGKILL after timeoutMs). */
export async function cli(args: string[], vars: Record<string, string>, timeoutMs = 180_000, opts: { cwd?: string } = {}): Promise<CliResult> {
  const t0 = Date.now();
  const p = launch(args, vars, opts);
  const exit = await settle(p, timeoutMs);
  return { ...exit, stdout: p.stdout.join('\n'), stderr: p.stderr.join('\n'), ms: Date.now() - t0 };
}

/** As cli(), and throws with the output unless the command exited 0. */
export async function cliOk(args: string[], vars: Record<string, string>, timeoutMs?: number): Promise<CliResult> {
  const r = await cli(args, vars, timeoutMs);
  if (r.code !== 0) throw new Error(`zhian ${args.join(' ')} exited ${r.code}/${r.signal}\nstdout:\n${r.stdout.slice(-3000)}\nstderr:\n${r.stderr.slice(-3000)}`);
  return r;
}

// ---------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------

export interface Session {
  cookie: string;
  csrf: string;
}

export interface Reply {
  status: number;
  /** The body parsed as JSON; undefined when it is not JSON. */
  json: any;
  text: string;
}

/** One request, authenticated by a session (cookie + CSRF token) or an API token. */
export async function request(base: string, method: string, url: string, opts: { session?: Session; bearer?: string; body?: unknown } = {}): Promise<Reply> {
  const res = await fetch(base + url, {
    method,
    headers: {
      ...(opts.session ? { cookie: opts.session.cookie, 'x-csrf-token': opts.session.csrf } : {}),
      ...(opts.bearer ? { authorization: `Bearer ${opts.bearer}` } : {}),
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let json: any = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, json, text };
}

/** GET that must answer 200; the parsed body. */
export async function getJson<T = any>(base: string, s: Session, url: string): Promise<T> {
  const r = await request(base, 'GET', url, { session: s });
  if (r.status !== 200) throw new Error(`GET ${url}: ${r.status} ${r.text}`);
  return r.json as T;
}

/** Logs in (by default the demo administrator); throws unless that answers 200 with a session cookie. */
export async function login(base: string, username = ADMIN.username, password = ADMIN.password): Promise<Session> {
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

// ---------------------------------------------------------------------------------------
// PostgreSQL databases and temporary directories of a test file
// ---------------------------------------------------------------------------------------

const createdDatabases: string[] = [];
const tempDirs: string[] = [];

/** Runs fn on a connection of its own to url. */
export async function withClient<R>(url: string, fn: (c: pg.Client) => Promise<R>): Promise<R> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A statement on the database of TEST_DATABASE_URL (create / drop database, …). */
export async function adminQuery(text: string): Promise<void> {
  await withClient(PG_URL!, (c) => c.query(text));
}

/** A new, empty PostgreSQL database next to TEST_DATABASE_URL's; dropped by cleanup(). */
export async function freshDatabase(): Promise<string> {
  const name = `zhian_t_${crypto.randomBytes(6).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  createdDatabases.push(name);
  const u = new URL(PG_URL!);
  u.pathname = `/${name}`;
  return u.toString();
}

/** A new temporary directory; removed by cleanup(). */
export function tempDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}

/** Kills the children still running, drops the databases and removes the directories. */
export async function cleanup(): Promise<void> {
  const running = [...children];
  killAllChildren();
  await Promise.all(running.map((c) => new Promise((r) => (alive(c) ? c.once('close', r) : r(null)))));
  for (const name of createdDatabases.splice(0)) await adminQuery(`drop database if exists ${name} with (force)`).catch(() => undefined);
  for (const d of tempDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}
