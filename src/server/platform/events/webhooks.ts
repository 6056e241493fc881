/**
 * Outbound webhooks: other systems (a city platform, a DingTalk group) hear of changes.
 *
 * Delivery. `publishEvent` calls {@link enqueueWebhookDeliveries} in the transaction of the
 * change: one `webhook_deliveries` row per matching webhook plus a durable timer
 * ('webhook.deliver'). A rolled-back change sends nothing; a committed one is delivered even
 * after a crash. Delivery is at least once (a crash between the receiver's answer and the
 * commit sends again): receivers deduplicate on `x-zhian-delivery`. Failed attempts are
 * retried after 10 s, 1 min, 5 min, 30 min, 30 min…; after `maxAttempts` (6) the delivery
 * is marked failed. Redirects are not followed.
 *
 * Request (format 'json'):
 *
 *     POST <url>
 *     content-type: application/json
 *     x-zhian-event: report.changed
 *     x-zhian-delivery: <delivery id, the same on every retry>
 *     x-zhian-timestamp: 1718000000            (unix seconds, new on every attempt)
 *     x-zhian-signature: sha256=<hex>
 *
 *     {"id":"<delivery id>","type":"report.changed","subjectType":"report","subjectId":"…",
 *      "orgPaths":["/…/"],"data":{"number":"…","action":"dispatch","status":"dispatched"},
 *      "occurredAt":"2024-06-10T08:00:00.000Z"}
 *
 * Signature (like Stripe's): `<hex>` = HMAC-SHA256 with the webhook's secret (`whsec_…`, shown
 * once when the webhook is created) over `"<x-zhian-timestamp>.<raw body>"`. Receivers
 * recompute it over the raw bytes, compare in constant time and reject timestamps more than
 * 5 minutes away from their clock (replays); see {@link verifyWebhookSignature}.
 *
 * Format 'dingtalk': the body is a DingTalk custom-robot markdown message in Chinese; when the
 * secret is the robot's own `SEC…` secret (加签), `&timestamp=<ms>&sign=<urlencoded base64
 * HMAC-SHA256 of "<timestamp>\n<secret>" keyed with the secret>` is appended to the URL.
 * DingTalk answers 200 with `{"errcode":…}` on refusal: a non-zero errcode counts as failure.
 */
import crypto from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { Database, Db, DbOrTx } from '../../db.js';
import { recordAudit } from '../audit/audit.js';
import type { ActorContext, Actor } from '../http/context.js';
import { can } from '../http/context.js';
import { conflict, invalid, notFound } from '../http/errors.js';
import { cancelTimers, scheduleTimer, type TimerHandler, type TimerRow } from '../jobs/timers.js';
import type { ZhianEvent } from './events.js';

export const WEBHOOK_DELIVER = 'webhook.deliver';
/** Event types a webhook may subscribe to; '*' is every event of its organisation subtree. */
export const WEBHOOK_EVENT_TYPES = ['report.created', 'report.changed', 'webhook.test', '*'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
export const WEBHOOK_FORMATS = ['json', 'dingtalk'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

const RETRY_DELAYS_S = [10, 60, 300, 1800];
const SIGNATURE_TOLERANCE_S = 300;

/** The body sent for format 'json': the event without its user ids, with the delivery id. */
export interface WebhookPayload {
  id: string;
  type: string;
  subjectType?: string;
  subjectId?: string;
  orgPaths?: string[];
  data?: Record<string, unknown>;
  occurredAt: string;
}

// ---------------------------------------------------------------- enqueue

/**
 * Queues the event for every active webhook that wants it, with the caller's transaction: the
 * webhook's organisation covers one of the event's organisation paths and its event list has
 * the type (or '*'). Events addressed only to users (inbox notices) are never sent out.
 */
export async function enqueueWebhookDeliveries(tx: DbOrTx, event: ZhianEvent): Promise<number> {
  const paths = event.orgPaths ?? [];
  if (!paths.length) return 0;
  const hooks = await tx
    .selectFrom('webhooks as w')
    .innerJoin('orgs as o', 'o.id', 'w.org_id')
    .select(['w.id'])
    .where('w.active', '=', true)
    .where(sql<boolean>`(${event.type} = any(w.events) or '*' = any(w.events))`)
    .where(sql<boolean>`exists (select 1 from unnest(${paths}::text[]) as e(path) where starts_with(e.path, o.path))`)
    .execute();
  if (!hooks.length) return 0;
  const occurredAt = event.at ?? new Date().toISOString();
  const { userIds: _users, at: _at, ...rest } = event;
  await insertDeliveries(
    tx,
    hooks.map((h) => h.id),
    event.type,
    (id) => ({ id, ...rest, occurredAt }),
  );
  return hooks.length;
}

async function insertDeliveries(tx: DbOrTx, webhookIds: string[], type: string, payloadOf: (deliveryId: string) => WebhookPayload): Promise<string[]> {
  const rows = webhookIds.map((webhook_id) => {
    const id = crypto.randomUUID();
    return { id, webhook_id, event: type, payload: JSON.stringify(payloadOf(id)) };
  });
  await tx.insertInto('webhook_deliveries').values(rows).execute();
  const now = new Date();
  for (const r of rows) await scheduleTimer(tx, { kind: WEBHOOK_DELIVER, subjectId: r.id, dueAt: now });
  return rows.map((r) => r.id);
}

// ---------------------------------------------------------------- signing

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`, the x-zhian-signature header. */
export function signWebhook(secret: string, timestamp: number | string, body: string): string {
  return `sha256=${crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** What a receiver does: true when the signature matches and the timestamp is recent. */
export function verifyWebhookSignature(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  rawBody: string,
  opts: { toleranceSeconds?: number; now?: Date } = {},
): boolean {
  const ts = Number(headers.timestamp);
  if (!headers.signature || !Number.isInteger(ts)) return false;
  const now = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - ts) > (opts.toleranceSeconds ?? SIGNATURE_TOLERANCE_S)) return false;
  const expected = Buffer.from(signWebhook(secret, ts, rawBody));
  const got = Buffer.from(headers.signature);
  return expected.length === got.length && crypto.timingSafeEqual(expected, got);
}

/** The DingTalk robot's URL signature (加签): base64 HMAC-SHA256 of "<ms>\n<secret>", URL-encoded. */
export function dingtalkSign(secret: string, timestampMs: number): string {
  return encodeURIComponent(crypto.createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64'));
}

function dingtalkUrl(url: string, secret: string, nowMs: number): string {
  if (!secret.startsWith('SEC')) return url;
  return `${url}${url.includes('?') ? '&' : '?'}timestamp=${nowMs}&sign=${dingtalkSign(secret, nowMs)}`;
}

// ---------------------------------------------------------------- DingTalk message

const TIME_FORMAT = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

/** Markdown for a DingTalk custom robot; mentions 智安 so a keyword-guarded robot accepts it. */
export function dingtalkMessage(p: WebhookPayload): { msgtype: 'markdown'; markdown: { title: string; text: string } } {
  const d = p.data ?? {};
  const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
  const number = str(d.number);
  const status = str(d.status);
  const action = str(d.action);
  const lines: string[] = [];
  let title: string;
  let heading: string;
  if (p.type === 'report.created') {
    title = `新事件上报 ${number}`.trim();
    heading = '新事件上报';
  } else if (p.type === 'report.changed') {
    title = `事件更新 ${number}`.trim();
    heading = '事件更新';
  } else if (p.type === 'webhook.test') {
    title = '智安 Webhook 测试';
    heading = '测试消息';
    lines.push(`- 说明：${str(d.message) || '这是一条测试消息，收到即表示配置正确。'}`);
  } else {
    title = `智安事件 ${p.type}`;
    heading = `事件通知（${p.type}）`;
  }
  if (number) lines.push(`- 案件编号：${number}`);
  // The module that publishes an event names its action and status in words (actionLabel, statusLabel).
  if (action) lines.push(`- 动作：${str(d.actionLabel) || action}`);
  if (status) lines.push(`- 状态：${str(d.statusLabel) || status}`);
  const at = new Date(p.occurredAt);
  lines.push(`- 时间：${Number.isNaN(at.getTime()) ? p.occurredAt : TIME_FORMAT.format(at)}`);
  return { msgtype: 'markdown', markdown: { title, text: `### ${heading}\n${lines.join('\n')}\n\n> 来自智安事件中枢` } };
}

// ---------------------------------------------------------------- delivery

/** True for an absolute http(s) URL without credentials; the only kind a webhook may call. */
export function isDeliverableUrl(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  return (u.protocol === 'http:' || u.protocol === 'https:') && !!u.hostname && !u.username && !u.password;
}

async function readSnippet(res: Response, max = 2048): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let n = 0;
  try {
    while (n < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      n += value.length;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, max);
}

function describeError(e: unknown, timeoutMs: number): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return `timeout after ${timeoutMs} ms`;
  const cause = err?.cause ? `: ${err.cause.code ?? err.cause.message ?? ''}` : '';
  return `${err?.message ?? String(e)}${cause}`;
}

/**
 * The handler of 'webhook.deliver' timers. Each attempt is recorded on the delivery row; a
 * failed attempt schedules the next one itself (the runner would roll the record back if the
 * handler threw), with the runner's delays: 10 s, 1 min, 5 min, 30 min.
 */
export function webhookTimerHandlers(db: Db, opts: { fetch?: typeof fetch; timeoutMs?: number; maxAttempts?: number } = {}): Record<typeof WEBHOOK_DELIVER, TimerHandler> {
  const doFetch = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxAttempts = opts.maxAttempts ?? 6;

  /**
   * In the claiming transaction: count the attempt and leave a watchdog timer that retries if
   * this process dies mid-send; the HTTP call itself runs after the commit, so a slow receiver
   * holds no database connection, and its outcome is recorded in a transaction of its own.
   */
  async function deliver(tx: Transaction<Database>, timer: TimerRow): Promise<void | (() => Promise<void>)> {
    const d = await tx.selectFrom('webhook_deliveries').selectAll().where('id', '=', timer.subjectId).forUpdate().executeTakeFirst();
    // Delivered or given up already: never send twice.
    if (!d || d.status !== 'pending') return;
    // A watchdog fired before its time (a runner ticking ahead of the clock) while its attempt
    // may still be in flight: put it back instead of sending a second copy.
    if (timer.payload.watchdog && Date.now() < timer.dueAt.getTime()) {
      await scheduleTimer(tx, { kind: WEBHOOK_DELIVER, subjectId: d.id, dueAt: timer.dueAt, payload: timer.payload });
      return;
    }
    const hook = await tx.selectFrom('webhooks').selectAll().where('id', '=', d.webhook_id).executeTakeFirst();
    const attempts = d.attempts + 1;
    const record = (q: DbOrTx, patch: { status: 'delivered' | 'failed' | 'pending'; response_status?: number | null; last_error?: string | null }) =>
      q
        .updateTable('webhook_deliveries')
        .set({
          attempts,
          status: patch.status,
          response_status: patch.response_status ?? null,
          last_error: patch.last_error === undefined ? null : (patch.last_error?.slice(0, 1000) ?? null),
          ...(patch.status === 'delivered' ? { delivered_at: new Date() } : {}),
        })
        .where('id', '=', d.id)
        .execute();

    if (!hook) return void (await record(tx, { status: 'failed', last_error: 'webhook no longer exists' }));
    if (!hook.active && d.event !== 'webhook.test') return void (await record(tx, { status: 'failed', last_error: 'webhook is inactive' }));
    if (!isDeliverableUrl(hook.url)) return void (await record(tx, { status: 'failed', last_error: 'refused: the URL is not http(s)' }));

    await record(tx, { status: 'pending', response_status: d.response_status, last_error: d.last_error });
    await scheduleTimer(tx, { kind: WEBHOOK_DELIVER, subjectId: d.id, dueAt: new Date(Date.now() + timeoutMs + 60_000), payload: { watchdog: true } });

    const payload = d.payload as WebhookPayload;
    return async () => {
      const now = Date.now();
      const timestamp = Math.floor(now / 1000);
      const body = JSON.stringify(hook.format === 'dingtalk' ? dingtalkMessage(payload) : payload);
      const url = hook.format === 'dingtalk' ? dingtalkUrl(hook.url, hook.secret, now) : hook.url;
      let responseStatus: number | null = null;
      let error: string | null = null;
      try {
        const res = await doFetch(url, {
          method: 'POST',
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Zhian-Webhook/1',
            'x-zhian-event': d.event,
            'x-zhian-delivery': d.id,
            'x-zhian-timestamp': String(timestamp),
            'x-zhian-signature': signWebhook(hook.secret, timestamp, body),
          },
          body,
        });
        responseStatus = res.status;
        const text = await readSnippet(res);
        if (res.status < 200 || res.status >= 300) {
          error = `HTTP ${res.status}${text ? `: ${text.slice(0, 300)}` : ''}`;
        } else if (hook.format === 'dingtalk') {
          // DingTalk refuses with 200 and a non-zero errcode (bad signature, keyword, rate limit).
          try {
            const answer = JSON.parse(text) as { errcode?: number; errmsg?: string };
            if (answer && typeof answer.errcode === 'number' && answer.errcode !== 0) error = `DingTalk errcode ${answer.errcode}: ${answer.errmsg ?? ''}`;
          } catch {
            /* not JSON: the 2xx counts */
          }
        }
      } catch (e) {
        error = describeError(e, timeoutMs);
      }
      await db.transaction().execute(async (t2) => {
        const cur = await t2.selectFrom('webhook_deliveries').select(['status', 'attempts']).where('id', '=', d.id).forUpdate().executeTakeFirst();
        // Another attempt (the watchdog's) got there first.
        if (!cur || cur.status !== 'pending' || cur.attempts !== attempts) return;
        await cancelTimers(t2, d.id, WEBHOOK_DELIVER);
        if (!error) return void (await record(t2, { status: 'delivered', response_status: responseStatus }));
        if (attempts >= maxAttempts) return void (await record(t2, { status: 'failed', response_status: responseStatus, last_error: error }));
        await record(t2, { status: 'pending', response_status: responseStatus, last_error: error });
        const delay = RETRY_DELAYS_S[Math.min(attempts - 1, RETRY_DELAYS_S.length - 1)];
        await scheduleTimer(t2, { kind: WEBHOOK_DELIVER, subjectId: d.id, dueAt: new Date(Date.now() + delay * 1000) });
      });
    };
  }

  return { [WEBHOOK_DELIVER]: deliver };
}

// ---------------------------------------------------------------- service

export interface WebhookInput {
  name: string;
  url: string;
  events: string[];
  format?: WebhookFormat;
  orgId?: string;
  /** Only for 'dingtalk': the robot's own 加签 secret (SEC…). Otherwise one is generated. */
  secret?: string;
}
export interface WebhookPatch {
  name?: string;
  url?: string;
  events?: string[];
  active?: boolean;
}

interface WebhookRow {
  id: string;
  org_id: string;
  org_name: string;
  org_path: string;
  name: string;
  url: string;
  events: string[];
  format: WebhookFormat;
  active: boolean;
  created_at: Date;
  updated_at: Date;
}

function present(w: WebhookRow) {
  return {
    id: w.id,
    orgId: w.org_id,
    orgName: w.org_name,
    name: w.name,
    url: w.url,
    events: w.events,
    format: w.format,
    active: w.active,
    createdAt: new Date(w.created_at).toISOString(),
    updatedAt: new Date(w.updated_at).toISOString(),
  };
}
export type Webhook = ReturnType<typeof present>;

function requireWrite(actor: Actor): void {
  // The same answer as a missing resource (see requirePermission in the core policy).
  if (!can(actor, 'webhook.write')) throw notFound('resource');
}

function checkUrl(url: string): void {
  if (!isDeliverableUrl(url)) throw invalid('url', 'must be an absolute http:// or https:// URL without credentials');
}
function checkEvents(events: string[]): void {
  if (!events.length) throw invalid('events', 'subscribe to at least one event type');
  events.forEach((e, i) => {
    if (!(WEBHOOK_EVENT_TYPES as readonly string[]).includes(e)) throw invalid(`events.${i}`, `unknown event type; one of ${WEBHOOK_EVENT_TYPES.join(', ')}`);
  });
}

export function newWebhookSecret(): string {
  return `whsec_${crypto.randomBytes(24).toString('base64url')}`;
}

/** Managing the webhooks of the actor's organisation subtree (permission webhook.write). */
export function createWebhookService(db: Db) {
  function baseQuery(q: DbOrTx) {
    return q
      .selectFrom('webhooks as w')
      .innerJoin('orgs as o', 'o.id', 'w.org_id')
      .select(['w.id', 'w.org_id', 'o.name as org_name', 'o.path as org_path', 'w.name', 'w.url', 'w.events', 'w.format', 'w.active', 'w.created_at', 'w.updated_at']);
  }
  /** The webhook if the actor may see it; 404 otherwise. */
  async function visible(ctx: ActorContext, q: DbOrTx, id: string): Promise<WebhookRow> {
    const w = (await baseQuery(q).where('w.id', '=', id).executeTakeFirst()) as WebhookRow | undefined;
    if (!w || !w.org_path.startsWith(ctx.actor.scopePath)) throw notFound('webhook');
    return w;
  }

  return {
    /** Creates a webhook; the answer carries the secret, shown this once. */
    async createWebhook(ctx: ActorContext, input: WebhookInput): Promise<Webhook & { secret: string }> {
      requireWrite(ctx.actor);
      const name = input.name.trim();
      if (!name) throw invalid('name', 'is required');
      checkUrl(input.url);
      checkEvents(input.events);
      const format = input.format ?? 'json';
      if (input.secret !== undefined && format !== 'dingtalk') throw invalid('secret', 'only a DingTalk robot brings its own secret; others are generated');
      if (input.secret !== undefined && !/^SEC[A-Za-z0-9]{8,200}$/.test(input.secret)) throw invalid('secret', 'the DingTalk robot secret starts with SEC');
      const orgId = input.orgId ?? ctx.actor.scopeOrgId;
      if (!orgId) throw invalid('orgId', 'is required');
      const secret = input.secret ?? newWebhookSecret();
      return db.transaction().execute(async (tx) => {
        const org = await tx.selectFrom('orgs').select(['id', 'path']).where('id', '=', orgId).executeTakeFirst();
        if (!org || !org.path.startsWith(ctx.actor.scopePath)) throw notFound('organisation');
        const { id } = await tx
          .insertInto('webhooks')
          .values({ org_id: org.id, name, url: input.url, secret, events: [...new Set(input.events)], format })
          .returning('id')
          .executeTakeFirstOrThrow();
        const created = present(await visible(ctx, tx, id));
        await recordAudit(tx, ctx, { action: 'webhook.created', targetType: 'webhook', targetId: id, after: created });
        return { ...created, secret };
      });
    },

    /** The webhooks of the actor's subtree, without secrets. */
    async listWebhooks(ctx: ActorContext): Promise<Webhook[]> {
      requireWrite(ctx.actor);
      const rows = (await baseQuery(db)
        .where(sql<boolean>`starts_with(o.path, ${ctx.actor.scopePath})`)
        .orderBy('w.created_at', 'desc')
        .execute()) as WebhookRow[];
      return rows.map(present);
    },

    async updateWebhook(ctx: ActorContext, id: string, patch: WebhookPatch): Promise<Webhook> {
      requireWrite(ctx.actor);
      if (patch.url !== undefined) checkUrl(patch.url);
      if (patch.events !== undefined) checkEvents(patch.events);
      if (patch.name !== undefined && !patch.name.trim()) throw invalid('name', 'is required');
      return db.transaction().execute(async (tx) => {
        const before = present(await visible(ctx, tx, id));
        await tx
          .updateTable('webhooks')
          .set({
            updated_at: new Date(),
            ...(patch.name !== undefined ? { name: patch.name.trim() } : {}),
            ...(patch.url !== undefined ? { url: patch.url } : {}),
            ...(patch.events !== undefined ? { events: [...new Set(patch.events)] } : {}),
            ...(patch.active !== undefined ? { active: patch.active } : {}),
          })
          .where('id', '=', id)
          .execute();
        const after = present(await visible(ctx, tx, id));
        await recordAudit(tx, ctx, { action: 'webhook.updated', targetType: 'webhook', targetId: id, before, after });
        return after;
      });
    },

    /** The latest deliveries of a webhook, newest first. */
    async deliveries(ctx: ActorContext, id: string, limit = 50) {
      requireWrite(ctx.actor);
      await visible(ctx, db, id);
      const rows = await db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('webhook_id', '=', id)
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        id: r.id,
        event: r.event,
        status: r.status,
        attempts: r.attempts,
        responseStatus: r.response_status,
        lastError: r.last_error,
        payload: r.payload,
        createdAt: new Date(r.created_at).toISOString(),
        deliveredAt: r.delivered_at ? new Date(r.delivered_at).toISOString() : null,
      }));
    },

    /** Queues a 'webhook.test' delivery to this webhook only (also when it is inactive). */
    async sendTest(ctx: ActorContext, id: string): Promise<{ deliveryId: string; status: 'pending' }> {
      requireWrite(ctx.actor);
      return db.transaction().execute(async (tx) => {
        const w = await visible(ctx, tx, id);
        if (!isDeliverableUrl(w.url)) throw conflict('the webhook URL is not http(s)');
        const [deliveryId] = await insertDeliveries(tx, [w.id], 'webhook.test', (did) => ({
          id: did,
          type: 'webhook.test',
          subjectType: 'webhook',
          subjectId: w.id,
          orgPaths: [w.org_path],
          data: { name: w.name, message: '这是一条来自智安的测试消息，收到即表示配置正确。', by: ctx.actor.displayName },
          occurredAt: new Date().toISOString(),
        }));
        return { deliveryId, status: 'pending' as const };
      });
    },
  };
}
export type WebhookService = ReturnType<typeof createWebhookService>;
