/**
 * MQTT side of the early-warning benchmark: a private Mosquitto, a fleet of simulated devices
 * publishing readings with QoS 1 at a controlled rate, and the bookkeeping of which readings
 * cross the threshold (so the bench can time publish → warning).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';

export const MOSQUITTO = process.env.BENCH_MOSQUITTO ?? '/usr/sbin/mosquitto';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listens on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Broker {
  url: string;
  port: number;
  version: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * A Mosquitto of our own on a free loopback port: no persistence on disk, anonymous access,
 * and no limit on the queue of a persistent session — with Mosquitto's default (1,000 queued
 * messages per client) an overloaded subscriber would lose readings instead of showing a backlog.
 */
export async function startMosquitto(): Promise<Broker> {
  if (!fs.existsSync(MOSQUITTO)) throw new Error(`${MOSQUITTO} not found (apt-get install mosquitto, or set BENCH_MOSQUITTO)`);
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhian-mosquitto-'));
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      'max_queued_messages 0',
      'max_queued_bytes 0',
      'max_inflight_messages 20',
      'set_tcp_nodelay true',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    await Promise.race([waitForPort(port, 10_000), exited.then(() => Promise.reject(new Error(`mosquitto exited: ${err}`)))]);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  const version = await new Promise<string>((resolve) => {
    const v = spawn(MOSQUITTO, ['-h'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let s = '';
    v.stdout!.on('data', (d: Buffer) => (s += d));
    v.on('exit', () => resolve(s.match(/version ([\d.]+)/)?.[1] ?? '?'));
  });
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    version,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Removes what a persistent session left queued on the broker (connect once with a clean session). */
export async function discardSession(url: string, clientId: string): Promise<void> {
  const c = mqtt.connect(url, { clientId, clean: true, reconnectPeriod: 0 });
  await new Promise<void>((resolve, reject) => {
    c.once('connect', () => resolve());
    c.once('error', reject);
  });
  await c.endAsync();
}

// -------------------------------------------------------------------------------------- devices

/**
 * Threshold of the benchmark's rule: NH3N ≥ 2.0 mg/L raises a yellow warning, the episode ends
 * when the value falls under 2.0 − 0.2.
 */
export const THRESHOLD = { indicator: 'NH3N', yellow: 2, hysteresis: 0.2 } as const;

export interface StepResult {
  offered: number;
  seconds: number;
  /** Readings acknowledged by the broker during the step (PUBACK). */
  published: number;
  crossings: number;
}

/**
 * The simulated devices: one MQTT connection each (as real devices have), readings published
 * round-robin at the asked rate with QoS 1. Every reading of a device is later than its
 * previous one (milliseconds), so none is a duplicate. A fraction of the readings is above
 * the threshold, and the next reading of that device is back to normal, so each crossing is
 * exactly one episode: one warning on each side.
 */
export class Fleet {
  private clients: MqttClient[] = [];
  private lastAt: number[] = [];
  /** Devices whose last reading crossed: the next one must be normal. */
  private high: boolean[] = [];
  private seq = 0;
  private rnd = 0x2545f491;
  /** Publish time (performance.now()) of each crossing reading, by `${code}|${observedAt}`. */
  readonly crossings = new Map<string, number>();
  published = 0;
  failed = 0;

  constructor(
    readonly codes: string[],
    private topicOf: (code: string) => string,
  ) {
    this.lastAt = codes.map(() => 0);
    this.high = codes.map(() => false);
  }

  async connect(url: string, prefix: string): Promise<void> {
    const batch = 100;
    for (let i = 0; i < this.codes.length; i += batch) {
      await Promise.all(
        this.codes.slice(i, i + batch).map(async (code, k) => {
          const c = mqtt.connect(url, { clientId: `${prefix}-${code}`, clean: true, reconnectPeriod: 1000, keepalive: 60 });
          await new Promise<void>((resolve, reject) => {
            c.once('connect', () => resolve());
            c.once('error', reject);
          });
          // Devices' readings leave at once (no Nagle delay behind an unacknowledged packet).
          (c.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
          this.clients[i + k] = c;
        }),
      );
    }
  }

  private random(): number {
    // xorshift32: the same sequence of crossings on both sides.
    let x = this.rnd;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rnd = x >>> 0;
    return this.rnd / 2 ** 32;
  }

  /** Starts the sequence of devices and crossings over (both sides then publish the same readings). */
  restart() {
    this.rnd = 0x2545f491;
    this.seq = 0;
  }

  private publishOne(crossShare: number, track: boolean): boolean {
    const i = this.seq++ % this.codes.length;
    const code = this.codes[i]!;
    const now = Date.now();
    const at = Math.max(now, this.lastAt[i]! + 1);
    this.lastAt[i] = at;
    let value: number;
    let crossing = false;
    if (this.high[i]) {
      value = 1 + this.random() * 0.5;
      this.high[i] = false;
    } else if (this.random() < crossShare) {
      value = 2.2 + this.random();
      this.high[i] = true;
      crossing = true;
    } else {
      value = 0.5 + this.random();
    }
    const observedAt = new Date(at).toISOString();
    const payload = JSON.stringify({ observedAt, values: { NH3N: Math.round(value * 1000) / 1000, DO: 6.2, pH: 7.4 } });
    if (crossing && track) this.crossings.set(`${code}|${observedAt}`, performance.now());
    this.clients[i]!.publish(this.topicOf(code), payload, { qos: 1 }, (err) => {
      if (err) this.failed++;
      else this.published++;
    });
    return crossing;
  }

  /**
   * Publishes at `rate` readings/s for `seconds` (paced every 5 ms); resolves when the step's
   * time is over and every reading of it is acknowledged by the broker (or 5 s later).
   */
  async run(rate: number, seconds: number, crossShare: number, opts: { track?: boolean; onTick?: () => void } = {}): Promise<StepResult> {
    const start = performance.now();
    const before = this.published;
    let sent = 0;
    let crossings = 0;
    const total = Math.round(rate * seconds);
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
      // Never more than 2,000 unacknowledged publishes: a publisher that cannot keep up shows as a lower published rate.
      while (sent < due && sent - (this.published - before) < 2000) {
        if (this.publishOne(crossShare, opts.track ?? true)) crossings++;
        sent++;
      }
      opts.onTick?.();
      await new Promise((r) => setTimeout(r, 5));
    }
    const end = performance.now() + 5000;
    while (this.published - before < sent && performance.now() < end) await new Promise((r) => setTimeout(r, 5));
    const elapsed = (performance.now() - start) / 1000;
    return { offered: rate, seconds: elapsed, published: this.published - before, crossings };
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.endAsync().catch(() => undefined)));
    this.clients = [];
  }
}

/** CPU seconds (user + system) used so far by a process, from /proc. */
export function cpuSeconds(pid: number): number {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const parts = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(parts[11]) + Number(parts[12])) / 100; // utime, stime in clock ticks (100 Hz)
  } catch {
    return NaN;
  }
}

/** Peak and current resident set of a process, in bytes (VmHWM, VmRSS). */
export function memoryOf(pid: number | 'self'): { hwm: number; rss: number } {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(s.match(new RegExp(`${k}:\\s+(\\d+) kB`))?.[1] ?? NaN) * 1024;
  return { hwm: kb('VmHWM'), rss: kb('VmRSS') };
}
