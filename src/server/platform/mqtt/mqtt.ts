/**
 * MQTT ingest: devices publish readings, the platform hands each one to `onMessage` and
 * acknowledges it only once the handler has finished, so an acknowledged reading is stored.
 *
 * Two ways to run:
 * - Embedded (no `url`): an Aedes broker in this process. Aedes writes a device's PUBACK
 *   *before* it routes the message to subscribers, so a subscriber could never hold that
 *   PUBACK back. The handler therefore runs inside the broker's `authorizePublish` hook,
 *   which Aedes awaits before it acknowledges: the device's PUBACK waits for `onMessage`.
 *   No internal MQTT subscriber is needed, and a crash of this process (which takes Aedes'
 *   in-memory store with it) cannot lose an acknowledged reading.
 * - External (`url`, e.g. Mosquitto or EMQX): an mqtt.js subscriber with a persistent session
 *   (`clean: false`). Its PUBACK to the broker is sent only after `onMessage` resolves, so a
 *   reading the broker dropped from its queue has been stored.
 *
 * No business rules here: what a topic means and how a payload is stored is the caller's.
 */
import crypto from 'node:crypto';
import net from 'node:net';
import { Aedes, type Client as AedesClient, type PublishPacket, type Subscription } from 'aedes';
import mqtt, { type IClientOptions, type IConnackPacket, type IPublishPacket, type MqttClient } from 'mqtt';

/** Logger shape (pino's). */
export interface MqttLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface MqttIngestOptions {
  /** External broker URL (MQTT_URL); undefined = start the embedded Aedes broker. */
  url?: string;
  username?: string;
  password?: string;
  /**
   * Embedded broker port; 0 = any free port. When the port is the default 1883 and it is
   * taken, a free port is used instead and reported through `log`.
   */
  port: number;
  /** Embedded broker: interface to listen on; default all interfaces. */
  host?: string;
  /** Topic filter to subscribe to, e.g. 'zhian/devices/+/readings'. */
  topic: string;
  /** Persistent session client id of the subscriber (external broker). */
  clientId: string;
  /** External broker: MQTT protocol version; 5 asks the broker to keep the session without expiry. Default 4 (3.1.1). */
  protocolVersion?: 4 | 5;
  /** Embedded broker only: authenticate a device (username = device code, password = its secret). */
  authenticate?: (username: string, password: string) => Promise<boolean>;
  /**
   * Embedded broker only: may this authenticated device publish on this topic? Default: only
   * under its own branch of `topic` — the level where the filter has its first `+` must equal
   * the username (zhian/devices/{username}/…). The trusted credentials may publish anywhere.
   */
  authorizePublish?: (username: string, topic: string) => boolean;
  /**
   * Called for every message on `topic`; the message is acknowledged only after the promise
   * settles. A rejection is logged, counted in `stats().failed`, and the message is still
   * acknowledged (a poison message must not block the stream).
   */
  onMessage: (topic: string, payload: Buffer, meta: { duplicate: boolean; qos: number }) => Promise<void>;
  log?: MqttLog;
}

export interface MqttIngestStats {
  /** Messages handed to `onMessage`. */
  received: number;
  /** QoS 1/2 messages acknowledged after their handler settled. */
  acked: number;
  /** Handler rejections. */
  failed: number;
  /** Embedded: the broker is listening. External: the subscriber is connected. */
  connected: boolean;
}

export interface MqttIngest {
  /** Where devices connect: 'mqtt://127.0.0.1:PORT' for the embedded broker, or the external URL. */
  brokerUrl: string;
  /**
   * Embedded broker only (null otherwise): credentials generated at each start that may
   * publish on any topic and subscribe to any filter — for tests and trusted local tools.
   */
  trustedCredentials: { username: string; password: string } | null;
  stats(): MqttIngestStats;
  /** Stops taking messages, waits for handlers in flight, then disconnects / closes the broker. */
  close(): Promise<void>;
}

const DEFAULT_PORT = 1883;
const noopLog: MqttLog = { info() {}, warn() {}, error() {} };

/** Starts the ingest; resolves once the broker listens (embedded) or the subscription is in place (external). */
export async function startMqttIngest(opts: MqttIngestOptions): Promise<MqttIngest> {
  return opts.url ? startSubscriber(opts, opts.url) : startEmbedded(opts);
}

// ---------------------------------------------------------------------------------------
// Topics
// ---------------------------------------------------------------------------------------

/** True when `topic` matches the MQTT filter (`+` one level, `#` the rest). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  // Filters starting with a wildcard do not match $-topics (MQTT-4.7.2-1).
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * The default ownership rule derived from the ingest filter: a topic (or a subscription
 * filter) belongs to `username` when it starts with the filter's levels before its first
 * `+` and the next level is the username itself.
 */
function ownsBranch(filter: string, username: string, topic: string): boolean {
  const f = filter.split('/');
  const at = f.indexOf('+');
  if (at < 0) return false;
  const t = topic.split('/');
  if (t.length <= at) return false;
  for (let i = 0; i < at; i++) if (t[i] !== f[i]) return false;
  return t[at] === username;
}

// ---------------------------------------------------------------------------------------
// Handling one message
// ---------------------------------------------------------------------------------------

interface Counters {
  received: number;
  acked: number;
  failed: number;
}

/** Runs the handler; never rejects (a failure is logged and counted, the message still acked). */
async function runHandler(opts: MqttIngestOptions, log: MqttLog, counters: Counters, topic: string, payload: Buffer | string, qos: number, dup: boolean): Promise<void> {
  counters.received++;
  try {
    await opts.onMessage(topic, Buffer.isBuffer(payload) ? payload : Buffer.from(payload), { duplicate: dup, qos });
  } catch (err) {
    counters.failed++;
    log.error({ err, topic, qos, duplicate: dup }, 'mqtt: message handler failed; message acknowledged anyway');
  }
}

// ---------------------------------------------------------------------------------------
// Embedded broker
// ---------------------------------------------------------------------------------------

interface Identity {
  username: string;
  trusted: boolean;
}

function sameSecret(a: string, b: string): boolean {
  const x = crypto.createHash('sha256').update(a).digest();
  const y = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(x, y);
}

function authError(message: string, returnCode: 3 | 4 | 5) {
  return Object.assign(new Error(message), { returnCode });
}

async function startEmbedded(opts: MqttIngestOptions): Promise<MqttIngest> {
  const log = opts.log ?? noopLog;
  const counters: Counters = { received: 0, acked: 0, failed: 0 };
  const trusted = { username: `zhian-trusted-${crypto.randomBytes(8).toString('hex')}`, password: crypto.randomBytes(24).toString('base64url') };
  const identities = new WeakMap<AedesClient, Identity>();
  // One chain per connection: a device's messages are handled (and acknowledged) in the order
  // it sent them — Aedes dispatches the packets of one socket read concurrently.
  const chains = new WeakMap<AedesClient, Promise<void>>();
  const inFlight = new Set<Promise<void>>();
  let closing = false;

  const mayPublish = (who: Identity, topic: string): boolean => {
    if (who.trusted) return true;
    if (!opts.authorizePublish) return ownsBranch(opts.topic, who.username, topic);
    try {
      return opts.authorizePublish(who.username, topic);
    } catch (err) {
      // A throw inside an Aedes hook would take the broker down; refuse instead.
      log.error({ err, username: who.username, topic }, 'mqtt: authorizePublish failed');
      return false;
    }
  };

  const broker = await Aedes.createBroker({
    authenticate(client, username, password, done) {
      const pass = password?.toString('utf8') ?? '';
      if (!username || !pass) return done(authError('username and password required', 4), false);
      if (username === trusted.username) {
        if (!sameSecret(pass, trusted.password)) return done(authError('bad username or password', 4), false);
        identities.set(client, { username, trusted: true });
        return done(null, true);
      }
      if (!opts.authenticate) return done(authError('device authentication is not configured', 5), false);
      opts.authenticate(username, pass).then(
        (ok) => {
          if (!ok) {
            log.warn({ username, clientId: client.id }, 'mqtt: device refused (bad code or secret)');
            return done(authError('bad username or password', 4), false);
          }
          identities.set(client, { username, trusted: false });
          done(null, true);
        },
        (err) => {
          log.error({ err, username }, 'mqtt: device authentication failed');
          done(authError('authentication unavailable', 3), false);
        },
      );
    },
    // Runs before Aedes writes the PUBACK/PUBREC, so the device's acknowledgement waits for the handler.
    authorizePublish(client, packet: PublishPacket, done) {
      const who = client ? identities.get(client) : undefined;
      // client is null only for a will left by a previous broker life: nobody vouches for it.
      if (!client || !who) return done(new Error('not authenticated'));
      if (packet.topic.startsWith('$SYS')) return done(new Error('$SYS topics are reserved'));
      if (!mayPublish(who, packet.topic)) {
        log.warn({ username: who.username, topic: packet.topic }, 'mqtt: publish on a topic the device does not own refused');
        return done(new Error('not authorized to publish on this topic'));
      }
      if (!topicMatches(opts.topic, packet.topic)) return done(null);
      // Not acknowledged: the device sends it again (to this or another instance) after reconnecting.
      if (closing) return done(new Error('broker shutting down'));
      const { topic, payload, qos } = packet;
      const dup = !!packet.dup;
      const previous = chains.get(client) ?? Promise.resolve();
      const work = previous.then(() => runHandler(opts, log, counters, topic, payload, qos, dup));
      chains.set(client, work);
      inFlight.add(work);
      void work.then(() => {
        inFlight.delete(work);
        if (qos > 0) counters.acked++;
        done(null);
      });
    },
    authorizeSubscribe(client, sub: Subscription, done) {
      const who = identities.get(client);
      if (!who) return done(new Error('not authenticated'));
      if (who.trusted || ownsBranch(opts.topic, who.username, sub.topic)) return done(null, sub);
      log.warn({ username: who.username, filter: sub.topic }, 'mqtt: subscription outside the device branch refused');
      // null = refused in the SUBACK (0x80) without dropping the connection.
      done(null, null);
    },
  });
  broker.on('clientError', (client, err) => log.warn({ clientId: client.id, err: err.message }, 'mqtt: client error'));

  const server = net.createServer(broker.handle);
  let port: number;
  try {
    port = await listen(server, opts.port, opts.host);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || opts.port !== DEFAULT_PORT) {
      await closeBroker(broker);
      throw err;
    }
    // Another broker (often a system Mosquitto) already has 1883: `npm start` still works.
    port = await listen(server, 0, opts.host);
    log.warn({ wanted: opts.port, port }, 'mqtt: port 1883 is taken; embedded broker listens on a free port instead (set MQTT_PORT or MQTT_URL)');
  }
  const host = !opts.host || opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host;
  const brokerUrl = `mqtt://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closed = false;

  return {
    brokerUrl,
    trustedCredentials: { ...trusted },
    stats: () => ({ ...counters, connected: !closed && server.listening }),
    async close() {
      if (closed) return;
      closed = true;
      closing = true;
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...inFlight]);
      await closeBroker(broker);
      await serverClosed;
    },
  };
}

function listen(server: net.Server, port: number, host: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve((server.address() as net.AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

function closeBroker(broker: Aedes): Promise<void> {
  return new Promise((resolve) => broker.close(() => resolve()));
}

// ---------------------------------------------------------------------------------------
// Subscriber to an external broker
// ---------------------------------------------------------------------------------------

async function startSubscriber(opts: MqttIngestOptions, url: string): Promise<MqttIngest> {
  const log = opts.log ?? noopLog;
  const counters: Counters = { received: 0, acked: 0, failed: 0 };
  const protocolVersion = opts.protocolVersion ?? 4;
  const options: IClientOptions = {
    clientId: opts.clientId,
    username: opts.username,
    password: opts.password,
    // A persistent session: the broker queues QoS 1 messages while we are away.
    clean: false,
    protocolVersion,
    // MQTT 5 sessions end with the connection unless an expiry is asked for; 0xFFFFFFFF = never.
    properties: protocolVersion === 5 ? { sessionExpiryInterval: 0xffffffff } : undefined,
    reconnectPeriod: 500,
    connectTimeout: 10_000,
    keepalive: 30,
    // Subscribing is done here, once per connection without a stored session.
    resubscribe: false,
    queueQoSZero: false,
  };
  const client: MqttClient = mqtt.connect(url, options);
  let closing = false;
  let inFlight: Promise<void> = Promise.resolve();

  // mqtt.js handles incoming packets one at a time and sends a QoS 1 PUBACK (QoS 2 PUBCOMP)
  // only when this callback is called without an error. So: one message at a time, acked in
  // order (MQTT-4.6.0-2 asks acks in the order of the PUBLISHes), each after its handler.
  // (`customHandleAcks` would also delay the ack, but mqtt.js honours it for MQTT 5 only.)
  client.handleMessage = (packet: IPublishPacket, callback: (err?: Error) => void) => {
    // An error skips the ack; the broker redelivers to the next session. Messages still
    // buffered from a connection that has dropped could not be acked either, so they are not
    // handled now: they come again after the reconnect.
    if (closing) return callback(new Error('ingest closing'));
    if (!client.connected) return callback(new Error('connection lost'));
    const connection = client.stream;
    const work = runHandler(opts, log, counters, packet.topic, packet.payload, packet.qos, !!packet.dup);
    inFlight = work;
    void work.then(() => {
      // Acknowledge only on the connection that delivered the message. mqtt.js would queue a
      // PUBACK made while offline and send it on the next connection, where the broker may
      // already have resent this message id and, once that copy is acked, reused the id for a
      // message not yet handled. The broker resends this one (dup) and that copy is acked.
      if (!client.connected || client.stream !== connection) return callback(new Error('connection lost while handling'));
      if (packet.qos > 0) counters.acked++;
      callback();
    });
  };

  let firstConnect = true;
  // Reconnection errors repeat every reconnectPeriod; one line per outage is enough.
  let errorReported = false;
  // The start waits for the first subscription, a refusal, or the first failed attempt.
  let started = false;
  const subscribed = new Promise<void>((resolveStart, rejectStart) => {
    const resolve = () => {
      started = true;
      resolveStart();
    };
    const reject = (err: Error) => {
      started = true;
      rejectStart(err);
    };
    client.on('connect', (connack: IConnackPacket) => {
      errorReported = false;
      const resume = !!connack.sessionPresent;
      log.info({ url: redact(url), clientId: opts.clientId, sessionPresent: resume }, 'mqtt: subscriber connected');
      // Subscribe on the first connection even with a stored session (the filter may have
      // changed) and whenever the broker lost the session.
      if (!firstConnect && resume) return;
      firstConnect = false;
      const connection = client.stream;
      client.subscribe(opts.topic, { qos: 1 }, (err, granted) => {
        const refused = granted?.some((g) => g.qos === 128 || g.qos > 2);
        if (err || refused) {
          const e = new Error(`broker refused the subscription to ${opts.topic}${err ? `: ${err.message}` : ''}`, { cause: err });
          log.error({ err: e, topic: opts.topic }, 'mqtt: subscription failed');
          if (!started) return reject(e);
          // Connected but not subscribed would look healthy and receive nothing: drop the
          // connection, so the next one (without a session) subscribes again.
          if (client.stream === connection) connection.destroy();
          return;
        }
        resolve();
      });
    });
    client.on('error', (err: Error & { code?: unknown }) => {
      if (!errorReported) log.warn({ err: err.message, code: err.code }, 'mqtt: subscriber error');
      errorReported = true;
      // Refused credentials will not fix themselves: fail the start loudly.
      if (!started && isAuthRefusal(err.code)) reject(err);
    });
    client.once('close', () => {
      if (!started) {
        log.warn({ url: redact(url) }, 'mqtt: broker unreachable; retrying in the background');
        resolve();
      }
    });
  });
  client.on('offline', () => !closing && log.warn({ url: redact(url) }, 'mqtt: subscriber offline; reconnecting'));

  try {
    await subscribed;
  } catch (err) {
    await client.endAsync(true);
    throw err;
  }

  return {
    brokerUrl: url,
    trustedCredentials: null,
    stats: () => ({ ...counters, connected: client.connected }),
    async close() {
      if (closing) return;
      closing = true;
      // The handler in flight finishes and its message is acknowledged before we disconnect.
      await inFlight;
      await client.endAsync();
    },
  };
}

/** CONNACK codes for refused credentials: 4/5 in MQTT 3.1.1, 0x86/0x87 in MQTT 5. */
function isAuthRefusal(code: unknown): boolean {
  return code === 4 || code === 5 || code === 0x86 || code === 0x87;
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//');
}
