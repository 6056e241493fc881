import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Zhian } from '../../main.js';
import { createTenant, login, testZhian, uid } from '../../../../test/helpers.js';

/**
 * Readings over MQTT into Zhian: devices sign in with their own code and secret on the
 * embedded broker and may publish only on their own topic; a redelivered QoS 1 message is
 * stored once and raises one warning; the same through Mosquitto with MQTT_URL.
 */

async function until<T>(fn: () => Promise<T | null | undefined | false>, what: string, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function setup(z: Zhian) {
  const t = await createTenant(z);
  // The tenant's grids were inserted behind the geo service's back: let it see them at once.
  z.services.geo.invalidate();
  const admin = await login(z, t.admin);
  const code = `WQ-${uid()}`;
  const res = await admin.post('/api/v1/devices', { code, name: `监测站${code}`, type: 'generic', lng: t.point[0], lat: t.point[1] });
  expect(res.statusCode, res.body).toBe(201);
  const device = res.json() as { id: string; secret: string };
  const rule = await admin.post('/api/v1/alert-rules', {
    name: '氨氮超标',
    kind: 'threshold',
    taskCategory: '0906',
    deviceIds: [device.id],
    params: { indicator: 'NH3N', direction: 'above', levels: { yellow: 1, red: 2 }, hysteresis: 0.1, minDurationSec: 0 },
  });
  expect(rule.statusCode, rule.body).toBe(201);
  return { t, admin, code, device, ruleId: (rule.json() as { id: string }).id };
}

async function readings(z: Zhian, deviceId: string) {
  return z.handle.db.selectFrom('readings').selectAll().where('device_id', '=', deviceId).execute();
}

async function publish(client: mqtt.MqttClient, topic: string, body: unknown, opts: mqtt.IClientPublishOptions = {}) {
  await client.publishAsync(topic, JSON.stringify(body), { qos: 1, ...opts });
}

describe('MQTT through the embedded broker', () => {
  let z: Zhian;
  let s: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    z = await testZhian({}, { mqtt: true });
    s = await setup(z);
  });
  afterAll(async () => {
    await z?.close();
  });

  it('stores a device’s QoS 1 reading before the broker acknowledges it, once even when redelivered, with one warning', async () => {
    const client = await mqtt.connectAsync(z.mqtt!.brokerUrl, { username: s.code, password: s.device.secret, clientId: `dev-${s.code}`, reconnectPeriod: 0 });
    const body = { observedAt: new Date(Date.now() - 5_000).toISOString(), values: { NH3N: 1.4 } };
    await publish(client, `zhian/devices/${s.code}/readings`, body);
    // The PUBACK came after the handler: the reading is already there.
    expect(await readings(z, s.device.id)).toHaveLength(1);
    await publish(client, `zhian/devices/${s.code}/readings`, body, { dup: true });
    expect(await readings(z, s.device.id)).toHaveLength(1);
    const ws = await z.handle.db.selectFrom('alert_warnings').select(['level']).where('rule_id', '=', s.ruleId).execute();
    expect(ws).toEqual([{ level: 'yellow' }]);
    await client.endAsync();
  });

  it('refuses a wrong secret, and a device publishing as another device stores nothing', async () => {
    await expect(mqtt.connectAsync(z.mqtt!.brokerUrl, { username: s.code, password: 'wrong', reconnectPeriod: 0 })).rejects.toThrow();
    const other = await setup(z);
    const client = await mqtt.connectAsync(z.mqtt!.brokerUrl, { username: other.code, password: other.device.secret, reconnectPeriod: 0 });
    const before = (await readings(z, s.device.id)).length;
    // The broker refuses the foreign topic (MQTT 3.1.1 has no negative ack: it closes the connection).
    await Promise.race([publish(client, `zhian/devices/${s.code}/readings`, { observedAt: new Date().toISOString(), values: { NH3N: 5 } }).catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
    await client.endAsync(true);
    const own = await mqtt.connectAsync(z.mqtt!.brokerUrl, { username: other.code, password: other.device.secret, reconnectPeriod: 0 });
    await publish(own, `zhian/devices/${other.code}/readings`, { observedAt: new Date().toISOString(), values: { NH3N: 0.2 } });
    expect((await readings(z, s.device.id)).length).toBe(before);
    expect(await readings(z, other.device.id)).toHaveLength(1);
    await own.endAsync();
  });

  it('drops a malformed payload without blocking the stream', async () => {
    const client = await mqtt.connectAsync(z.mqtt!.brokerUrl, { username: s.code, password: s.device.secret, reconnectPeriod: 0 });
    await client.publishAsync(`zhian/devices/${s.code}/readings`, 'not json', { qos: 1 });
    await publish(client, `zhian/devices/${s.code}/readings`, { observedAt: new Date().toISOString(), values: { NH3N: 'high' } });
    await publish(client, `zhian/devices/${s.code}/readings`, { ts: Date.now() - 1000, values: { NH3N: 0.3 } });
    expect(await readings(z, s.device.id)).toHaveLength(2);
    await client.endAsync();
  });
});

describe('MQTT through Mosquitto (MQTT_URL)', () => {
  let z: Zhian;
  let s: Awaited<ReturnType<typeof setup>>;
  const clientId = `zhian-test-${uid()}`;
  beforeAll(async () => {
    z = await testZhian({ MQTT_URL: 'mqtt://127.0.0.1:1883', MQTT_CLIENT_ID: clientId }, { mqtt: true });
    s = await setup(z);
  });
  afterAll(async () => {
    await z?.close();
    // Forget the persistent session this test left in the shared broker.
    const c = await mqtt.connectAsync('mqtt://127.0.0.1:1883', { clientId, clean: true, reconnectPeriod: 0 }).catch(() => null);
    await c?.endAsync();
  });

  it('takes readings published to the machine’s broker, and those published while Zhian was away', async () => {
    const device = await mqtt.connectAsync('mqtt://127.0.0.1:1883', { clientId: `dev-${s.code}`, reconnectPeriod: 0 });
    await publish(device, `zhian/devices/${s.code}/readings`, { observedAt: new Date(Date.now() - 60_000).toISOString(), values: { NH3N: 2.5 } });
    await until(async () => (await readings(z, s.device.id)).length === 1, 'the first reading');
    // Zhian's subscriber goes away; its persistent session keeps what is published meanwhile.
    await z.mqtt!.close();
    await publish(device, `zhian/devices/${s.code}/readings`, { observedAt: new Date(Date.now() - 30_000).toISOString(), values: { NH3N: 0.1 } });
    const { startMqttIngest } = await import('../../platform/mqtt/mqtt.js');
    const { mqttReadingHandler, READINGS_TOPIC } = await import('./index.js');
    const again = await startMqttIngest({ url: 'mqtt://127.0.0.1:1883', port: 0, topic: READINGS_TOPIC, clientId, onMessage: mqttReadingHandler(z.services.ingest) });
    try {
      await until(async () => (await readings(z, s.device.id)).length === 2, 'the reading published while away');
      const w = await until(async () => z.handle.db.selectFrom('alert_warnings').select(['level', 'cleared_at']).where('rule_id', '=', s.ruleId).executeTakeFirst(), 'the warning');
      expect(w.level).toBe('red');
      expect(w.cleared_at).not.toBeNull();
    } finally {
      await again.close();
      await device.endAsync();
    }
  });
});
