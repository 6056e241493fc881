import { z } from 'zod';
import { actorContextOf, type App } from '../http/app.js';
import { notFound } from '../http/errors.js';
import { ZIdParams } from '../http/schemas.js';
import { eventVisibleTo, type EventBus, type Inbox } from './events.js';

const ZNotification = z.object({
  id: z.string(),
  kind: z.string(),
  title: z.string(),
  body: z.string(),
  subjectType: z.string().nullable(),
  subjectId: z.string().nullable(),
  link: z.string().nullable(),
  readAt: z.string().nullable(),
  createdAt: z.string(),
});

/** The inbox and the live stream (Server-Sent Events) of the signed-in user. */
export function registerEventRoutes(app: App, opts: { bus: EventBus; inbox: Inbox; heartbeatMs?: number }) {
  app.get(
    '/api/v1/notifications',
    {
      schema: {
        tags: ['notifications'],
        summary: '我的消息 My inbox',
        querystring: z.object({ unread: z.enum(['true', 'false']).optional(), limit: z.coerce.number().int().min(1).max(200).default(50) }),
        response: { 200: z.object({ unread: z.number(), items: z.array(ZNotification) }) },
      },
    },
    async (req) => {
      const ctx = actorContextOf(req);
      return opts.inbox.list(ctx.actor.userId, { unreadOnly: req.query.unread === 'true', limit: req.query.limit });
    },
  );

  app.post(
    '/api/v1/notifications/:id/read',
    { schema: { tags: ['notifications'], summary: '标为已读 Mark read', params: ZIdParams, response: { 200: z.object({ ok: z.literal(true) }) } } },
    async (req) => {
      const ctx = actorContextOf(req);
      if (!(await opts.inbox.markRead(ctx.actor.userId, req.params.id))) throw notFound('notification');
      return { ok: true as const };
    },
  );

  app.post(
    '/api/v1/notifications/read-all',
    { schema: { tags: ['notifications'], summary: '全部已读 Mark all read', response: { 200: z.object({ updated: z.number() }) } } },
    async (req) => {
      const ctx = actorContextOf(req);
      return { updated: await opts.inbox.markAllRead(ctx.actor.userId) };
    },
  );

  app.get('/api/v1/events/stream', { schema: { tags: ['notifications'], summary: '实时事件 (Server-Sent Events) Live events' } }, async (req, reply) => {
    const ctx = actorContextOf(req);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': req.id,
    });
    res.write(`retry: 3000\n: connected\n\n`);
    const unsubscribe = opts.bus.subscribe((e) => {
      if (!eventVisibleTo(ctx.actor, e)) return;
      // Other users' ids stay on the server.
      const { userIds: _omit, orgPaths: _paths, ...visible } = e;
      res.write(`event: ${e.type}\ndata: ${JSON.stringify(visible)}\n\n`);
    });
    const heartbeat = setInterval(() => res.write(`: ping\n\n`), opts.heartbeatMs ?? 25_000);
    heartbeat.unref();
    const end = () => {
      clearInterval(heartbeat);
      unsubscribe();
    };
    req.raw.on('close', end);
    res.on('error', end);
  });
}
