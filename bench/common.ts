/** Shared helpers of the benchmark runner (bench/run.ts) and its sections. */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const PG_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const QUICK = process.argv.includes('--quick');

/** The lines of the report; say() also echoes them. */
export const out: string[] = [];
export const say = (s = '') => {
  out.push(s);
  process.stdout.write(`${s}\n`);
};
/** Progress on stderr only (not in the report). */
export const progress = (s: string) => process.stderr.write(`  … ${s}\n`);
export const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
/** Milliseconds with a sensible number of decimals. */
export const ms = (v: number) => (v >= 100 ? fmt(v) : v >= 10 ? fmt(v, 1) : fmt(v, 2));

/** Runs fn repeatedly for at least ms milliseconds; returns operations per second. */
export function rate(fn: (i: number) => void, millis: number): number {
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < millis) {
    for (let k = 0; k < 16; k++) fn(n++);
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);

export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${cpu}, ${os.cpus().length} cores, ${fmt(os.totalmem() / 2 ** 30, 0)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}`;
}

/** The URL of another database on the benchmark's PostgreSQL server. */
export function databaseUrl(name: string): string {
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function adminQuery(text: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

export async function pgVersion(): Promise<string> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  const r = await c.query('show server_version');
  await c.end();
  return String(r.rows[0].server_version).split(' ')[0];
}

/** Starts `zhian start` in its own process; resolves with the port once it listens. */
export async function startServer(env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/zhian.js'), 'start', '--no-build'], {
    cwd: ROOT,
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !['DATABASE_URL', 'TEST_DATABASE_URL'].includes(k))), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', NODE_ENV: 'development', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${buf}`)), 180_000);
    const onData = (d: Buffer) => {
      buf += d.toString();
      const m = buf.match(/serving http:\/\/localhost:(\d+)/) ?? buf.match(/listening at http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${buf}`)));
  });
  return { child, port };
}

export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}
