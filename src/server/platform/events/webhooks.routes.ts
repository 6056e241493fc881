import { z } from 'zod';
import { actorContextOf, type App } from '../http/app.js';
import { ZIdParams, errorResponses } from '../http/schemas.js';
import { isDeliverableUrl, WEBHOOK_EVENT_TYPES, WEBHOOK_FORMATS, type WebhookService } from './webhooks.js';

const tags = ['webhooks'];

const ZUrl = z
  .string()
  .trim()
  .min(1)
  .max(2000)
  .refine(isDeliverableUrl, 'must be an absolute http:// or https:// URL without credentials');
const ZEvents = z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1).max(WEBHOOK_EVENT_TYPES.length);
const ZName = z.string().trim().min(1).max(100);

const ZWebhook = z.object({
  id: z.string(),
  orgId: z.string(),
  orgName: z.string(),
  name: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  format: z.enum(WEBHOOK_FORMATS),
  active: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const ZWebhookCreate = z
  .object({
    name: ZName,
    url: ZUrl,
    events: ZEvents,
    format: z.enum(WEBHOOK_FORMATS).default('json'),
    orgId: z.uuid().optional(),
    secret: z
      .string()
      .regex(/^SEC[A-Za-z0-9]{8,200}$/, "the DingTalk robot's 加签 secret (SEC…)")
      .optional()
      .describe("Only for format 'dingtalk': the robot's own signing secret. Otherwise a whsec_… secret is generated."),
  })
  .strict();
const ZWebhookPatch = z.object({ name: ZName.optional(), url: ZUrl.optional(), events: ZEvents.optional(), active: z.boolean().optional() }).strict();
const ZDelivery = z.object({
  id: z.string(),
  event: z.string(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number(),
  responseStatus: z.number().nullable(),
  lastError: z.string().nullable(),
  payload: z.unknown(),
  createdAt: z.string(),
  deliveredAt: z.string().nullable(),
});

const SIGNATURE_DOC = `Each delivery is a POST with \`content-type: application/json\` and the headers
\`x-zhian-event\`, \`x-zhian-delivery\` (the delivery id; the same on retries — deduplicate on it),
\`x-zhian-timestamp\` (unix seconds) and \`x-zhian-signature: sha256=<hex>\`, where \`<hex>\` is the
HMAC-SHA256, keyed with the webhook's secret, of \`"<x-zhian-timestamp>.<raw body>"\`. Verify it over
the raw bytes with a constant-time comparison and reject timestamps older than 5 minutes.
Non-2xx answers, network errors and timeouts (10 s) are retried after 10 s, 1 min, 5 min, 30 min
and 30 min, then the delivery is marked failed. Format \`dingtalk\` sends a DingTalk custom-robot
markdown message and, with a \`SEC…\` secret, signs the URL the DingTalk way (timestamp & sign).`;

/** Outbound webhooks of the actor's organisation subtree (permission webhook.write). */
export function registerWebhookRoutes(app: App, deps: { webhooks: WebhookService }) {
  const { webhooks } = deps;

  app.get(
    '/api/v1/webhooks',
    { schema: { tags, summary: 'Webhook 列表 Webhooks', response: { 200: z.object({ items: z.array(ZWebhook) }), ...errorResponses } } },
    async (req) => ({ items: await webhooks.listWebhooks(actorContextOf(req)) }),
  );

  app.post(
    '/api/v1/webhooks',
    {
      schema: {
        tags,
        summary: '新建 Webhook Create a webhook (the secret is shown once)',
        description: SIGNATURE_DOC,
        body: ZWebhookCreate,
        response: { 201: ZWebhook.extend({ secret: z.string() }), ...errorResponses },
      },
    },
    async (req, reply) => {
      reply.code(201);
      return webhooks.createWebhook(actorContextOf(req), req.body);
    },
  );

  app.patch(
    '/api/v1/webhooks/:id',
    { schema: { tags, summary: '修改 Webhook Update a webhook', params: ZIdParams, body: ZWebhookPatch, response: { 200: ZWebhook, ...errorResponses } } },
    async (req) => webhooks.updateWebhook(actorContextOf(req), req.params.id, req.body),
  );

  app.get(
    '/api/v1/webhooks/:id/deliveries',
    {
      schema: {
        tags,
        summary: '投递记录 Deliveries, newest first',
        params: ZIdParams,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }),
        response: { 200: z.object({ items: z.array(ZDelivery) }), ...errorResponses },
      },
    },
    async (req) => ({ items: await webhooks.deliveries(actorContextOf(req), req.params.id, req.query.limit) }),
  );

  app.post(
    '/api/v1/webhooks/:id/test',
    {
      schema: {
        tags,
        summary: '发送测试消息 Send a webhook.test delivery',
        params: ZIdParams,
        response: { 202: z.object({ deliveryId: z.string(), status: z.literal('pending') }), ...errorResponses },
      },
    },
    async (req, reply) => {
      reply.code(202);
      return webhooks.sendTest(actorContextOf(req), req.params.id);
    },
  );
}
