import crypto from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { accepting, freePort } from '../../../../test/process/mosquitto.js';
import { startMqttIngest, topicMatches, type MqttIngest, type MqttIngestOptions } from './mqtt.js';

const TOPIC = 'zhian/devices/+/readings';
const SECRETS: Record<string, string> = { D1: 'secret-one', D2: 'secret-two' };

interface Received {
  topic: string;
  payload: string;
  duplicate: boolean;
  qos: number;
}

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
}, 60_000);

const run = () => crypto.randomBytes(4).toString('hex');
/** The machine's Mosquitto on 127.0.0.1:1883 (anonymous). */
const systemBroker = await accepting(1883);

/** A gate a handler can wait on. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

async function until(what: string, done: () => boolean, limitMs = 20_000) {
  const deadline = Date.now() + limitMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function recordingLog() {
  const lines: Array<{ level: string; msg?: string; obj: object }> = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, msg });
  return { lines, log: { info: at('info'), warn: at('warn'), error: at('error') } };
}

async function embedded(extra: Partial<MqttIngestOptions> = {}) {
  const received: Received[] = [];
  const ingest = await startMqttIngest({
    port: 0,
    host: '127.0.0.1',
    topic: TOPIC,
    clientId: 'zhian-ingest-test',
    authenticate: async (username, password) => SECRETS[username] === password,
    onMessage: async (topic, payload, meta) => void received.push({ topic, payload: payload.toString(), ...meta }),
    ...extra,
  });
  cleanups.push(() => ingest.close());
  return { ingest, received };
}

async function device(ingest: MqttIngest, username: string, password = SECRETS[username], extra: IClientOptions = {}): Promise<MqttClient> {
  const client = await mqtt.connectAsync(ingest.brokerUrl, { username, password, reconnectPeriod: 0, protocolVersion: 4, ...extra }, false);
  client.on('error', () => undefined);
  cleanups.push(() => client.endAsync(true));
  return client;
}

describe('topicMatches', () => {
  it('follows MQTT wildcard rules', () => {
    expect(topicMatches(TOPIC, 'zhian/devices/D1/readings')).toBe(true);
    expect(topicMatches(TOPIC, 'zhian/devices/D1/status')).toBe(false);
    expect(topicMatches(TOPIC, 'zhian/devices/D1/readings/x')).toBe(false);
    expect(topicMatches('zhian/#', 'zhian/devices/D1/readings')).toBe(true);
    expect(topicMatches('#', '$SYS/broker')).toBe(false);
  });
});

describe('embedded broker', () => {
  it('hands an authenticated device’s QoS 1 reading to the handler before the device gets its PUBACK', async () => {
    const { ingest, received } = await embedded();
    const d1 = await device(ingest, 'D1');
    await d1.publishAsync('zhian/devices/D1/readings', '{"values":{"DO":6.1}}', { qos: 1 });
    expect(received).toEqual([{ topic: 'zhian/devices/D1/readings', payload: '{"values":{"DO":6.1}}', duplicate: false, qos: 1 }]);
    expect(ingest.brokerUrl).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    expect(ingest.stats()).toEqual({ received: 1, acked: 1, failed: 0, connected: true });
  });

  it('refuses a wrong password, an unknown device and a missing password', async () => {
    const { ingest } = await embedded();
    await expect(device(ingest, 'D1', 'wrong')).rejects.toMatchObject({ code: 4 });
    await expect(device(ingest, 'D9', 'whatever')).rejects.toMatchObject({ code: 4 });
    await expect(mqtt.connectAsync(ingest.brokerUrl, { username: 'D1', reconnectPeriod: 0 }, false)).rejects.toMatchObject({ code: 4 });
  });

  it('answers "server unavailable" when the authentication check fails', async () => {
    const { ingest } = await embedded({
      authenticate: async () => {
        throw new Error('database down');
      },
    });
    await expect(device(ingest, 'D1')).rejects.toMatchObject({ code: 3 });
  });

  it('refuses a publish on another device’s topic: the connection is dropped and nothing is delivered', async () => {
    const { log, lines } = recordingLog();
    const { ingest, received } = await embedded({ log });
    const d1 = await device(ingest, 'D1');
    const closed = new Promise<void>((resolve) => d1.once('close', () => resolve()));
    let acked = false;
    d1.publish('zhian/devices/D2/readings', 'forged', { qos: 1 }, () => (acked = true));
    await closed;
    const d2 = await device(ingest, 'D2');
    await d2.publishAsync('zhian/devices/D2/readings', 'genuine', { qos: 1 });
    expect(received.map((r) => r.payload)).toEqual(['genuine']);
    expect(acked).toBe(false);
    expect(lines.some((l) => l.level === 'warn' && /does not own/.test(l.msg ?? ''))).toBe(true);
  });

  it('acknowledges messages outside the ingest filter without handing them over', async () => {
    const { ingest, received } = await embedded();
    const d1 = await device(ingest, 'D1');
    await d1.publishAsync('zhian/devices/D1/status', 'online', { qos: 1 });
    await d1.publishAsync('zhian/devices/D1/readings', 'r', { qos: 1 });
    expect(received.map((r) => r.payload)).toEqual(['r']);
  });

  it('uses the authorizePublish option when given', async () => {
    const { ingest, received } = await embedded({ authorizePublish: (username, topic) => topic === `zhian/devices/${username}-gw/readings` });
    const d1 = await device(ingest, 'D1');
    await d1.publishAsync('zhian/devices/D1-gw/readings', 'via gateway', { qos: 1 });
    expect(received.map((r) => r.payload)).toEqual(['via gateway']);
  });

  it('does not acknowledge a message before its slow handler has finished', async () => {
    const events: string[] = [];
    const started = gate();
    const release = gate();
    const { ingest } = await embedded({
      onMessage: async () => {
        events.push('handler started');
        started.open();
        await release.opened;
        events.push('handler finished');
      },
    });
    const [d1, d2] = await Promise.all([device(ingest, 'D1'), device(ingest, 'D2')]);
    const puback = d1.publishAsync('zhian/devices/D1/readings', 'slow', { qos: 1 }).then(() => void events.push('puback'));
    await started.opened;
    // A full round trip through the broker on another connection: a premature PUBACK to D1
    // would have been written by now.
    await d2.publishAsync('zhian/devices/D2/status', 'online', { qos: 1 });
    expect(events).toEqual(['handler started']);
    release.open();
    await puback;
    expect(events).toEqual(['handler started', 'handler finished', 'puback']);
  });

  it('still acknowledges a message whose handler fails, and counts the failure', async () => {
    const { log, lines } = recordingLog();
    const { ingest } = await embedded({
      log,
      onMessage: async (_topic, payload) => {
        if (payload.toString() === 'poison') throw new Error('cannot parse');
      },
    });
    const d1 = await device(ingest, 'D1');
    await d1.publishAsync('zhian/devices/D1/readings', 'poison', { qos: 1 });
    await d1.publishAsync('zhian/devices/D1/readings', 'fine', { qos: 1 });
    expect(ingest.stats()).toMatchObject({ received: 2, acked: 2, failed: 1 });
    expect(lines.filter((l) => l.level === 'error')).toHaveLength(1);
  });

  it('keeps one device’s messages in order while another device is handled alongside', async () => {
    const order: Record<string, number[]> = { D1: [], D2: [] };
    const { ingest } = await embedded({
      onMessage: async (topic, payload) => {
        // Uneven handler times would reorder concurrent handling.
        await new Promise((r) => setTimeout(r, crypto.randomInt(0, 4)));
        order[topic.split('/')[2]!]!.push(Number(payload.toString()));
      },
    });
    const [d1, d2] = await Promise.all([device(ingest, 'D1'), device(ingest, 'D2')]);
    const sent: Array<Promise<unknown>> = [];
    for (let i = 1; i <= 30; i++) {
      sent.push(d1.publishAsync('zhian/devices/D1/readings', String(i), { qos: 1 }));
      sent.push(d2.publishAsync('zhian/devices/D2/readings', String(i), { qos: 1 }));
    }
    await Promise.all(sent);
    const expected = Array.from({ length: 30 }, (_, i) => i + 1);
    expect(order).toEqual({ D1: expected, D2: expected });
  });

  it('copes with a device that disconnects while its message is being handled', async () => {
    const started = gate();
    const release = gate();
    const { ingest, received } = await embedded({
      onMessage: async (topic, payload, meta) => {
        if (payload.toString() === 'first') {
          started.open();
          await release.opened;
        }
        received.push({ topic, payload: payload.toString(), ...meta });
      },
    });
    const d1 = await device(ingest, 'D1');
    d1.publish('zhian/devices/D1/readings', 'first', { qos: 1 });
    await started.opened;
    await d1.endAsync(true);
    release.open();
    const again = await device(ingest, 'D1');
    await again.publishAsync('zhian/devices/D1/readings', 'second', { qos: 1 });
    expect(received.map((r) => r.payload)).toEqual(['first', 'second']);
  });

  it('lets a device subscribe only under its own branch', async () => {
    const { ingest } = await embedded();
    const d1 = await device(ingest, 'D1');
    // mqtt.js rejects a refused subscription; the SUBACK's code is on the error.
    const qos = (filter: string) =>
      d1.subscribeAsync(filter, { qos: 1 }).then(
        (granted) => granted[0]!.qos,
        (err: { packet?: { granted?: number[] } }) => err.packet?.granted?.[0],
      );
    expect(await qos('zhian/devices/D1/commands')).toBe(1);
    expect(await qos('zhian/devices/D2/readings')).toBe(128);
    expect(await qos('zhian/devices/+/readings')).toBe(128);
    expect(await qos('#')).toBe(128);
    expect(await qos('$SYS/#')).toBe(128);
  });

  it('gives trusted credentials that may publish on any device’s topic and subscribe to all readings', async () => {
    const { ingest, received } = await embedded();
    const creds = ingest.trustedCredentials!;
    const trusted = await device(ingest, creds.username, creds.password);
    expect((await trusted.subscribeAsync(TOPIC, { qos: 1 }))[0]!.qos).toBe(1);
    await trusted.publishAsync('zhian/devices/D7/readings', 'from a trusted tool', { qos: 1 });
    expect(received.map((r) => r.payload)).toEqual(['from a trusted tool']);
    await expect(device(ingest, creds.username, 'guess')).rejects.toMatchObject({ code: 4 });
  });

  it('waits for the handler in flight when closing', async () => {
    const events: string[] = [];
    const started = gate();
    const release = gate();
    const { ingest } = await embedded({
      onMessage: async () => {
        started.open();
        await release.opened;
        events.push('handler finished');
      },
    });
    const d1 = await device(ingest, 'D1');
    d1.publish('zhian/devices/D1/readings', 'x', { qos: 1 });
    await started.opened;
    const closed = ingest.close().then(() => void events.push('closed'));
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(events).toEqual([]);
    release.open();
    await closed;
    expect(events).toEqual(['handler finished', 'closed']);
    expect(ingest.stats().connected).toBe(false);
  });

  it.skipIf(!systemBroker)('falls back to a free port when the default 1883 is taken, and says so', async () => {
    // Only runs while something (the machine's Mosquitto) holds 127.0.0.1:1883, so this never takes 1883.
    const { log, lines } = recordingLog();
    const { ingest } = await embedded({ port: 1883, host: '127.0.0.1', log });
    expect(ingest.brokerUrl).not.toBe('mqtt://127.0.0.1:1883');
    expect(lines.some((l) => l.level === 'warn' && /1883/.test(l.msg ?? ''))).toBe(true);
    const d1 = await device(ingest, 'D1');
    await d1.publishAsync('zhian/devices/D1/readings', 'ok', { qos: 1 });
  });

  it('fails to start when a non-default port is taken', async () => {
    const { ingest } = await embedded();
    const port = Number(new URL(ingest.brokerUrl).port);
    await expect(embedded({ port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});

describe('external broker', () => {
  it('starts while the broker is unreachable and keeps retrying', async () => {
    const { log, lines } = recordingLog();
    const ingest = await startMqttIngest({ url: `mqtt://127.0.0.1:${await freePort()}`, port: 0, topic: TOPIC, clientId: `zhian-test-${run()}`, onMessage: async () => undefined, log });
    expect(ingest.stats().connected).toBe(false);
    expect(lines.some((l) => l.level === 'warn' && /unreachable/.test(l.msg ?? ''))).toBe(true);
    await ingest.close();
  });

  it('fails the start when the broker refuses the credentials or the subscription', async () => {
    // The embedded broker stands in for an external one here.
    const { ingest: broker } = await embedded();
    const base = { url: broker.brokerUrl, port: 0, topic: TOPIC, clientId: `zhian-test-${run()}`, onMessage: async () => undefined };
    await expect(startMqttIngest({ ...base, username: 'D1', password: 'wrong' })).rejects.toMatchObject({ code: 4 });
    // A device may not subscribe to every device's readings.
    await expect(startMqttIngest({ ...base, username: 'D1', password: SECRETS.D1 })).rejects.toThrow(/refused the subscription/);
  });

  // The machine's Mosquitto (anonymous); each run uses its own topic prefix and client ids.
  it.skipIf(!systemBroker).each([4, 5] as const)('delivers messages published while the subscriber was away (persistent session, MQTT %i)', async (protocolVersion) => {
    const id = run();
    const url = 'mqtt://127.0.0.1:1883';
    const clientId = `zhian-test-sub-${id}`;
    const received: string[] = [];
    const options: MqttIngestOptions = {
      url,
      port: 0,
      topic: `zhian-test/${id}/devices/+/readings`,
      clientId,
      protocolVersion,
      onMessage: async (_topic, payload) => void received.push(payload.toString()),
    };
    cleanups.push(async () => {
      // Drop the session this test left on the shared broker.
      const c = await mqtt.connectAsync(url, { clientId, clean: true, protocolVersion, reconnectPeriod: 0 }, false);
      await c.endAsync();
    });

    const first = await startMqttIngest(options);
    expect(first.stats().connected).toBe(true);
    await first.close();

    const publisher = await mqtt.connectAsync(url, { clientId: `zhian-test-pub-${id}`, reconnectPeriod: 0 }, false);
    for (let i = 1; i <= 5; i++) await publisher.publishAsync(`zhian-test/${id}/devices/D1/readings`, String(i), { qos: 1 });
    await publisher.endAsync();
    expect(received).toEqual([]);

    const second = await startMqttIngest(options);
    cleanups.push(() => second.close());
    await until('the queued messages', () => received.length >= 5);
    expect(received).toEqual(['1', '2', '3', '4', '5']);
    await second.close();
    expect(second.stats()).toMatchObject({ received: 5, acked: 5, failed: 0 });
  });
});
