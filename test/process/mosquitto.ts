/**
 * A private Mosquitto for process tests: its own config, port and persistence directory, so a
 * test can kill and restart the broker without touching the machine's broker on 1883.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const MOSQUITTO_BIN = '/usr/sbin/mosquitto';
export const hasMosquitto = fs.existsSync(MOSQUITTO_BIN);

export interface PrivateMosquitto {
  url: string;
  port: number;
  /** Directory holding the config, the persistence file and nothing else. */
  dir: string;
  /** The broker's log (stderr) since the first start, for failure messages. */
  log(): string;
  /** Sends the signal and waits for the process to exit. SIGTERM makes Mosquitto save its persistence. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the broker again on the same port and persistence; resolves when it accepts connections. */
  restart(): Promise<void>;
  /** Stops the broker (SIGTERM) and removes its directory. */
  dispose(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A port that was free a moment ago (bind port 0, read it, release it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** True when something accepts TCP connections on host:port. */
export function accepting(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts `/usr/sbin/mosquitto -c <dir>/mosquitto.conf` listening on 127.0.0.1:<free port>,
 * anonymous, with persistence saved every second and at shutdown.
 */
export async function startMosquitto(opts: { extraConfig?: string[] } = {}): Promise<PrivateMosquitto> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhian-mosquitto-'));
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence true',
      `persistence_location ${dir}/`,
      'autosave_interval 1',
      // The default (1000) silently drops QoS 1 messages beyond it for a slow or absent
      // subscriber; the tests are about restarts, not about that limit.
      'max_queued_messages 100000',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_type information',
      // As root Mosquitto would switch to the `mosquitto` user, who cannot write `dir`;
      // as anyone else this line has no effect.
      `user ${os.userInfo().username}`,
      ...(opts.extraConfig ?? []),
      '',
    ].join('\n'),
  );
  let output = '';
  let child: ChildProcess | null = null;

  const launch = async () => {
    const c = spawn(MOSQUITTO_BIN, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    running.add(c);
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.once('exit', () => running.delete(c));
    c.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child = c;
    // Bounded wait for the listener (a failed start exits and is reported with the log).
    for (let i = 0; i < 200; i++) {
      if (c.exitCode !== null || c.signalCode !== null) break;
      if (await accepting(port)) return;
      await Promise.race([exited, new Promise((r) => setTimeout(r, 50))]);
    }
    c.kill('SIGKILL');
    throw new Error(`mosquitto did not start on port ${port}:\n${output}`);
  };

  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill(signal);
    await exited;
  };

  await launch();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    dir,
    log: () => output,
    stop,
    async restart() {
      await stop();
      await launch();
    },
    async dispose() {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
