import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Zhian } from '../../main.js';
import { auditCount, createTenant, login, testZhian, type Client, type Tenant } from '../../../../test/helpers.js';
import { cancelTimers, createTimerRunner } from '../jobs/timers.js';
import { publishEvent } from './events.js';
import { enqueueWebhookDeliveries, verifyWebhookSignature, webhookTimerHandlers } from './webhooks.js';

/** Runs the delivery handler by hand as the timer runner does: claim transaction, then the send. */
async function deliverNow(handlers: ReturnType<typeof webhookTimerHandlers>, deliveryId: string) {
  const after = await z.handle.db
    .transaction()
    .execute((tx) => handlers['webhook.deliver'](tx, { id: crypto.randomUUID(), kind: 'webhook.deliver', subjectId: deliveryId, dueAt: new Date(), payload: {}, attempts: 0 }));
  if (after) await after();
}

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A real HTTP receiver on 127.0.0.1 that records requests and fails the first `failFirst` (or all). */
async function receiver(opts: { failFirst?: number; alwaysFail?: boolean; dingtalk?: boolean; hang?: boolean } = {}) {
  const requests: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (opts.hang) return; // never answers
      const failing = opts.alwaysFail || requests.length <= (opts.failFirst ?? 0);
      if (opts.dingtalk) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(failing ? { errcode: 310000, errmsg: 'sign not match' } : { errcode: 0, errmsg: 'ok' }));
        return;
      }
      res.writeHead(failing ? 500 : 200, { 'content-type': 'text/plain' });
      res.end(failing ? 'boom' : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  servers.push(server);
  return { url: `http://127.0.0.1:${port}`, requests };
}

let z: Zhian;
const servers: http.Server[] = [];
const HOUR = 60 * 60_000;

beforeAll(async () => {
  z = await testZhian();
});
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  await z?.close();
});

async function tenant(): Promise<{ t: Tenant; admin: Client; districtPath: string }> {
  const t = await createTenant(z);
  // createTenant writes grids directly: the geo index of this instance must see them now.
  z.services.geo.invalidate();
  const admin = await login(z, t.admin);
  const org = await z.handle.db.selectFrom('orgs').select('path').where('id', '=', t.districtId).executeTakeFirstOrThrow();
  return { t, admin, districtPath: org.path };
}

async function createWebhook(c: Client, body: Record<string, unknown>) {
  const res = await c.post('/api/v1/webhooks', { name: '市平台', events: ['report.created', 'report.changed'], ...body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; secret: string; url: string; format: string };
}

async function createReport(c: Client, t: Tenant) {
  const res = await c.post('/api/v1/reports', { description: '小区门口垃圾堆了三天没人清理', categoryCode: '0101', lng: t.point[0], lat: t.point[1], channel: 'hotline' });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; number: string };
}

async function deliveriesOf(webhookId: string) {
  return z.handle.db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', webhookId).orderBy('created_at').execute();
}

/**
 * Ticks the timers (an hour ahead, so retries are due) until the condition holds. Between
 * ticks it yields briefly: on a shared PostgreSQL another test process may hold a due timer.
 */
async function tickUntil(cond: () => boolean | Promise<boolean>, rounds = 40): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await z.timers.tick(new Date(Date.now() + HOUR));
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not reached after ticking the timers');
}

describe('delivery', () => {
  it('a new report is sent, signed, to the webhook of its district', async () => {
    const { t, admin } = await tenant();
    const rx = await receiver();
    const hook = await createWebhook(admin, { url: `${rx.url}/hooks/zhian` });
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9_-]{20,}$/);
    expect(await auditCount(z, hook.id)).toBe(1);

    const report = await createReport(admin, t);
    // Queued in the report's transaction; nothing sent before the timers run.
    const queued = await deliveriesOf(hook.id);
    expect(queued.map((d) => [d.event, d.status])).toContainEqual(['report.created', 'pending']);
    expect(rx.requests).toHaveLength(0);

    await tickUntil(() => rx.requests.some((r) => r.headers['x-zhian-event'] === 'report.created'));
    const req = rx.requests.find((r) => r.headers['x-zhian-event'] === 'report.created')!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/hooks/zhian');
    expect(req.headers['content-type']).toBe('application/json');
    const body = JSON.parse(req.body);
    expect(body).toMatchObject({ type: 'report.created', subjectType: 'report', subjectId: report.id, data: { number: report.number } });
    expect(body.userIds).toBeUndefined();
    expect(body.id).toBe(req.headers['x-zhian-delivery']);
    expect(new Date(body.occurredAt).getTime()).not.toBeNaN();

    // The signature: sha256=hex(HMAC(secret, "<timestamp>.<body>")).
    const ts = req.headers['x-zhian-timestamp'] as string;
    const expected = `sha256=${crypto.createHmac('sha256', hook.secret).update(`${ts}.${req.body}`).digest('hex')}`;
    expect(req.headers['x-zhian-signature']).toBe(expected);
    expect(verifyWebhookSignature(hook.secret, { timestamp: ts, signature: expected }, req.body)).toBe(true);
    expect(verifyWebhookSignature('whsec_wrong', { timestamp: ts, signature: expected }, req.body)).toBe(false);
    expect(verifyWebhookSignature(hook.secret, { timestamp: ts, signature: expected }, req.body.replace('report', 'rep0rt'))).toBe(false);
    expect(verifyWebhookSignature(hook.secret, { timestamp: ts, signature: expected }, req.body, { now: new Date(Number(ts) * 1000 + 600_000) })).toBe(false);

    const d = (await deliveriesOf(hook.id)).find((x) => x.id === body.id)!;
    expect(d.status).toBe('delivered');
    expect(d.attempts).toBe(1);
    expect(d.response_status).toBe(200);
    expect(d.delivered_at).not.toBeNull();

    // Never twice: running the handler again for a delivered delivery sends nothing.
    const before = rx.requests.length;
    await deliverNow(webhookTimerHandlers(z.handle.db), d.id);
    expect(rx.requests.length).toBe(before);
  });

  it('a receiver failing twice gets the delivery on the third attempt', async () => {
    const { t, admin } = await tenant();
    const rx = await receiver({ failFirst: 2 });
    const hook = await createWebhook(admin, { url: rx.url, events: ['report.created'] });
    await createReport(admin, t);
    await tickUntil(async () => (await deliveriesOf(hook.id)).every((d) => d.status !== 'pending'));
    const [d] = await deliveriesOf(hook.id);
    expect(d.status).toBe('delivered');
    expect(d.attempts).toBe(3);
    expect(d.response_status).toBe(200);
    expect(rx.requests).toHaveLength(3);
    // The same delivery id on every retry, each attempt signed afresh.
    expect(new Set(rx.requests.map((r) => r.headers['x-zhian-delivery']))).toEqual(new Set([d.id]));

    const list = await admin.get(`/api/v1/webhooks/${hook.id}/deliveries`);
    expect(list.statusCode, list.body).toBe(200);
    expect(list.json().items[0]).toMatchObject({ id: d.id, event: 'report.created', status: 'delivered', attempts: 3, responseStatus: 200, lastError: null });
  });

  it('a receiver that always fails is given up after maxAttempts, with the last error', async () => {
    const { t, admin } = await tenant();
    const rx = await receiver({ alwaysFail: true });
    const hook = await createWebhook(admin, { url: rx.url, events: ['report.created'] });
    await createReport(admin, t);
    // Part way: the attempt is recorded and a retry is pending.
    await z.timers.tick(new Date());
    const first = (await deliveriesOf(hook.id))[0];
    if (first.status === 'pending' && first.attempts > 0) {
      expect(first.last_error).toContain('HTTP 500');
      const retry = await z.handle.db.selectFrom('timers').select(['due_at']).where('subject_id', '=', first.id).where('fired_at', 'is', null).executeTakeFirstOrThrow();
      expect(new Date(retry.due_at).getTime()).toBeGreaterThan(Date.now());
    }
    await tickUntil(async () => (await deliveriesOf(hook.id)).every((d) => d.status !== 'pending'));
    const [d] = await deliveriesOf(hook.id);
    expect(d.status).toBe('failed');
    expect(d.attempts).toBe(6);
    expect(d.response_status).toBe(500);
    expect(d.last_error).toContain('HTTP 500: boom');
    expect(rx.requests).toHaveLength(6);
    const timers = await z.handle.db.selectFrom('timers').select('id').where('subject_id', '=', d.id).where('fired_at', 'is', null).execute();
    expect(timers).toHaveLength(0);
  });

  it('an unreachable receiver and a timeout count as failed attempts', async () => {
    const { admin } = await tenant();
    const hang = await receiver({ hang: true });
    const hook = await createWebhook(admin, { url: hang.url, events: ['*'] });
    const closed = await receiver();
    const hook2 = await createWebhook(admin, { url: closed.url.replace(/:\d+$/, ':1'), events: ['*'] });
    const test1 = (await admin.post(`/api/v1/webhooks/${hook.id}/test`)).json().deliveryId as string;
    const test2 = (await admin.post(`/api/v1/webhooks/${hook2.id}/test`)).json().deliveryId as string;
    // Delivered here by hand, not by the shared runner.
    for (const id of [test1, test2]) await cancelTimers(z.handle.db, id);
    // A runner of its own with a short timeout, for these two deliveries only.
    const handlers = webhookTimerHandlers(z.handle.db, { timeoutMs: 200, maxAttempts: 1 });
    for (const id of [test1, test2]) {
      await deliverNow(handlers, id);
    }
    const [d1] = await deliveriesOf(hook.id);
    expect(d1).toMatchObject({ status: 'failed', attempts: 1, response_status: null });
    expect(d1.last_error).toBe('timeout after 200 ms');
    const [d2] = await deliveriesOf(hook2.id);
    expect(d2).toMatchObject({ status: 'failed', attempts: 1, response_status: null });
    expect(d2.last_error).toMatch(/fetch failed|ECONNREFUSED/);
  });

  it('DingTalk format: a Chinese markdown message and the robot URL signature', async () => {
    const { t, admin } = await tenant();
    const rx = await receiver({ dingtalk: true, failFirst: 1 });
    const secret = `SEC${crypto.randomBytes(32).toString('hex')}`;
    const hook = await createWebhook(admin, { url: `${rx.url}/robot/send?access_token=abc123`, format: 'dingtalk', secret, events: ['report.created'] });
    expect(hook.secret).toBe(secret);
    const report = await createReport(admin, t);
    await tickUntil(async () => (await deliveriesOf(hook.id)).every((d) => d.status !== 'pending'));
    const [d] = await deliveriesOf(hook.id);
    // DingTalk refuses with 200 + errcode: that attempt failed and was retried.
    expect(d.status).toBe('delivered');
    expect(d.attempts).toBe(2);
    expect(rx.requests).toHaveLength(2);

    const req = rx.requests[1];
    const u = new URL(req.url, rx.url);
    expect(u.pathname).toBe('/robot/send');
    expect(u.searchParams.get('access_token')).toBe('abc123');
    const ts = u.searchParams.get('timestamp')!;
    expect(Math.abs(Number(ts) - Date.now())).toBeLessThan(HOUR);
    // sign = urlencode(base64(HMAC-SHA256(key = secret, "<timestamp>\n<secret>"))).
    const sign = crypto.createHmac('sha256', secret).update(`${ts}\n${secret}`).digest('base64');
    expect(u.searchParams.get('sign')).toBe(sign);
    expect(req.url).toContain(`&sign=${encodeURIComponent(sign)}`);

    const body = JSON.parse(req.body);
    expect(body.msgtype).toBe('markdown');
    expect(body.markdown.title).toContain(report.number);
    expect(body.markdown.text).toMatch(/^### 新事件上报\n/);
    expect(body.markdown.text).toContain(`- 案件编号：${report.number}`);
    expect(body.markdown.text).toContain('- 状态：处置中');
    expect(body.markdown.text).toContain('智安');
    expect(d.last_error).toBeNull();
  });

  it('DingTalk format: a report change names the action in the words the module gave', async () => {
    const { t, admin, districtPath } = await tenant();
    const rx = await receiver({ dingtalk: true });
    const hook = await createWebhook(admin, { url: `${rx.url}/robot/send?access_token=x`, format: 'dingtalk', events: ['report.changed'] });
    expect(hook.secret).toMatch(/^whsec_/);
    await z.handle.db.transaction().execute((tx) =>
      publishEvent(tx, { type: 'report.changed', subjectType: 'report', subjectId: t.gridId, orgPaths: [districtPath], data: { number: '20240101000001', action: 'dispatch', status: 'dispatched', actionLabel: '派遣', statusLabel: '处置中' } }),
    );
    await tickUntil(() => rx.requests.length > 0);
    const req = rx.requests[0];
    // A generated whsec_ secret: the URL is not signed the DingTalk way.
    expect(req.url).toBe('/robot/send?access_token=x');
    const text = JSON.parse(req.body).markdown.text as string;
    expect(text).toMatch(/^### 事件更新\n- 案件编号：20240101000001\n- 动作：派遣\n- 状态：处置中\n/);
  });
});

describe('who receives what', () => {
  it('a webhook of another district receives nothing', async () => {
    const a = await tenant();
    const b = await tenant();
    const rxA = await receiver();
    const rxB = await receiver();
    const hookA = await createWebhook(a.admin, { url: rxA.url, events: ['*'] });
    const hookB = await createWebhook(b.admin, { url: rxB.url, events: ['*'] });
    const report = await createReport(a.admin, a.t);
    await tickUntil(() => rxA.requests.some((r) => JSON.parse(r.body).subjectId === report.id));
    expect(rxB.requests).toHaveLength(0);
    expect(await deliveriesOf(hookB.id)).toHaveLength(0);
    expect((await deliveriesOf(hookA.id)).length).toBeGreaterThan(0);
  });

  it('only subscribed event types, only active webhooks, never events addressed to users only', async () => {
    const { t, districtPath, admin } = await tenant();
    const rx = await receiver();
    const created = await createWebhook(admin, { url: rx.url, events: ['report.created'] });
    const all = await createWebhook(admin, { url: rx.url, events: ['*'] });
    const off = await createWebhook(admin, { url: rx.url, events: ['*'] });
    expect((await admin.patch(`/api/v1/webhooks/${off.id}`, { active: false })).statusCode).toBe(200);
    // A community's webhook hears of its community only.
    const community = await createWebhook(admin, { url: rx.url, events: ['*'], orgId: t.community2Id });

    const n = await z.handle.db.transaction().execute(async (tx) => {
      const changed = await enqueueWebhookDeliveries(tx, { type: 'report.changed', orgPaths: [districtPath], subjectId: t.gridId, data: {} });
      const notice = await enqueueWebhookDeliveries(tx, { type: 'notification', userIds: [t.adminId], data: { title: 'x' } });
      return { changed, notice };
    });
    expect(n).toEqual({ changed: 1, notice: 0 });
    expect(await deliveriesOf(all.id)).toHaveLength(1);
    expect(await deliveriesOf(created.id)).toHaveLength(0);
    expect(await deliveriesOf(off.id)).toHaveLength(0);
    expect(await deliveriesOf(community.id)).toHaveLength(0);
    const [d] = await deliveriesOf(all.id);
    expect(d.payload).toMatchObject({ id: d.id, type: 'report.changed', orgPaths: [districtPath] });
    expect((d.payload as Record<string, unknown>).userIds).toBeUndefined();
  });

  it('a rolled-back change enqueues nothing', async () => {
    const { t, districtPath, admin } = await tenant();
    const rx = await receiver();
    const hook = await createWebhook(admin, { url: rx.url, events: ['*'] });
    await expect(
      z.handle.db.transaction().execute(async (tx) => {
        expect(await enqueueWebhookDeliveries(tx, { type: 'report.created', subjectType: 'report', subjectId: t.gridId, orgPaths: [districtPath], data: { number: '1' } })).toBe(1);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    const deliveries = await deliveriesOf(hook.id);
    expect(deliveries).toHaveLength(0);
    await z.timers.tick(new Date(Date.now() + HOUR));
    expect(rx.requests).toHaveLength(0);
  });

  it('an inactive webhook gets nothing queued before it was disabled, except a test', async () => {
    const { districtPath, t, admin } = await tenant();
    const rx = await receiver();
    const hook = await createWebhook(admin, { url: rx.url, events: ['*'] });
    await z.handle.db.transaction().execute((tx) => enqueueWebhookDeliveries(tx, { type: 'report.changed', orgPaths: [districtPath], subjectId: t.gridId }));
    await admin.patch(`/api/v1/webhooks/${hook.id}`, { active: false });
    const test = await admin.post(`/api/v1/webhooks/${hook.id}/test`);
    expect(test.statusCode, test.body).toBe(202);
    await tickUntil(async () => (await deliveriesOf(hook.id)).every((d) => d.status !== 'pending'));
    const byEvent = Object.fromEntries((await deliveriesOf(hook.id)).map((d) => [d.event, [d.status, d.last_error]]));
    expect(byEvent).toEqual({ 'report.changed': ['failed', 'webhook is inactive'], 'webhook.test': ['delivered', null] });
    expect(rx.requests.map((r) => r.headers['x-zhian-event'])).toEqual(['webhook.test']);
  });
});

describe('the API', () => {
  it('lists without secrets, updates with audit, sends a test', async () => {
    const { admin, t } = await tenant();
    const rx = await receiver();
    const hook = await createWebhook(admin, { url: rx.url, name: '区指挥平台' });
    const list = await admin.get('/api/v1/webhooks');
    expect(list.statusCode, list.body).toBe(200);
    const item = list.json().items.find((w: { id: string }) => w.id === hook.id);
    expect(item).toMatchObject({ name: '区指挥平台', url: rx.url, events: ['report.created', 'report.changed'], format: 'json', active: true, orgId: t.districtId });
    expect(list.body).not.toContain(hook.secret);
    expect(item.secret).toBeUndefined();

    const patched = await admin.patch(`/api/v1/webhooks/${hook.id}`, { name: '新名称', events: ['*'] });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ name: '新名称', events: ['*'] });
    expect(await auditCount(z, hook.id)).toBe(2);
    const audit = await z.handle.db.selectFrom('audit_log').select(['action', 'after']).where('target_id', '=', hook.id).execute();
    expect(audit.map((a) => a.action).sort()).toEqual(['webhook.created', 'webhook.updated']);
    expect(JSON.stringify(audit)).not.toContain(hook.secret);

    const test = await admin.post(`/api/v1/webhooks/${hook.id}/test`);
    expect(test.statusCode, test.body).toBe(202);
    await tickUntil(() => rx.requests.length > 0);
    expect(rx.requests[0].headers['x-zhian-event']).toBe('webhook.test');
    expect(JSON.parse(rx.requests[0].body)).toMatchObject({ type: 'webhook.test', subjectType: 'webhook', subjectId: hook.id });
    const deliveries = (await admin.get(`/api/v1/webhooks/${hook.id}/deliveries?limit=5`)).json().items;
    expect(deliveries[0]).toMatchObject({ id: test.json().deliveryId, event: 'webhook.test', status: 'delivered', attempts: 1 });
  });

  it('bad input is a 400 naming the field', async () => {
    const { admin } = await tenant();
    const cases: [Record<string, unknown>, string][] = [
      [{ url: 'not a url' }, 'url'],
      [{ url: 'ftp://example.org/hook' }, 'url'],
      [{ url: 'javascript:alert(1)' }, 'url'],
      [{ url: 'file:///etc/passwd' }, 'url'],
      [{ url: 'https://user:pw@example.org/hook' }, 'url'],
      [{ events: ['report.deleted'] }, 'events.0'],
      [{ events: [] }, 'events'],
      [{ name: '  ' }, 'name'],
      [{ format: 'slack' }, 'format'],
      [{ secret: 'nope' }, 'secret'],
      [{ secret: `SEC${'a'.repeat(20)}` }, 'secret'],
    ];
    for (const [patch, field] of cases) {
      const res = await admin.post('/api/v1/webhooks', { name: 'x', url: 'https://example.org/hook', events: ['*'], ...patch });
      expect(res.statusCode, `${JSON.stringify(patch)} → ${res.body}`).toBe(400);
      const fields = (res.json().error.details ?? []).map((d: { field: string }) => d.field);
      expect(fields, res.body).toContain(field);
    }
    const hook = await createWebhook(admin, { url: 'http://127.0.0.1:1/hook' });
    const res = await admin.patch(`/api/v1/webhooks/${hook.id}`, { url: 'gopher://x' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details.map((d: { field: string }) => d.field)).toContain('url');
  });

  it('a non-admin, and an admin of another district, get 404', async () => {
    const a = await tenant();
    const b = await tenant();
    const hook = await createWebhook(a.admin, { url: 'http://127.0.0.1:1/hook' });
    const worker = await login(z, a.t.worker);
    const body = { name: 'x', url: 'https://example.org/hook', events: ['*'] };
    for (const c of [worker, b.admin]) {
      expect((await c.patch(`/api/v1/webhooks/${hook.id}`, { active: false })).statusCode).toBe(404);
      expect((await c.get(`/api/v1/webhooks/${hook.id}/deliveries`)).statusCode).toBe(404);
      expect((await c.post(`/api/v1/webhooks/${hook.id}/test`)).statusCode).toBe(404);
    }
    expect((await worker.get('/api/v1/webhooks')).statusCode).toBe(404);
    expect((await worker.post('/api/v1/webhooks', body)).statusCode).toBe(404);
    // Another district's admin sees none of them and cannot place one in a foreign organisation.
    expect((await b.admin.get('/api/v1/webhooks')).json().items.map((w: { id: string }) => w.id)).not.toContain(hook.id);
    expect((await b.admin.post('/api/v1/webhooks', { ...body, orgId: a.t.districtId })).statusCode).toBe(404);
    expect(await auditCount(z, hook.id)).toBe(1);
  });

  it('a webhook whose URL is no longer http(s) is refused at delivery without a request', async () => {
    const { admin, districtPath, t } = await tenant();
    const hook = await createWebhook(admin, { url: 'http://127.0.0.1:1/hook', events: ['*'] });
    await z.handle.db.updateTable('webhooks').set({ url: 'file:///etc/passwd' }).where('id', '=', hook.id).execute();
    await z.handle.db.transaction().execute((tx) => enqueueWebhookDeliveries(tx, { type: 'report.changed', orgPaths: [districtPath], subjectId: t.gridId }));
    let calls = 0;
    const runner = createTimerRunner(
      z.handle.db,
      webhookTimerHandlers(z.handle.db, {
        fetch: (async () => {
          calls++;
          return new Response('ok');
        }) as typeof fetch,
      }),
    );
    await runner.tick(new Date(Date.now() + HOUR));
    const [d] = await deliveriesOf(hook.id);
    expect(d.status).toBe('failed');
    expect(d.last_error).toContain('not http(s)');
    expect(calls).toBe(0);
  });
});
