import { z } from 'zod';
import { actorContextOf, type App } from '../../platform/http/app.js';
import { AppError } from '../../platform/http/errors.js';
import { ZIdParams, errorResponses } from '../../platform/http/schemas.js';
import { attachment, toXlsx, XLSX_MIME } from '../../platform/http/xlsx.js';
import { LEVEL_LABELS, LEVELS, RULE_KINDS } from './alerts.engine.js';
import { assessWater, INDICATORS } from './alerts.gb3838.js';
import { checkReading, type IngestService } from './alerts.ingest.js';
import type { RulesService } from './alerts.rules.js';
import { OUTCOME_LABELS, OUTCOMES, type WarningsService } from './alerts.warnings.js';

const tags = (t: string) => ({ tags: [t] });
const STATUS_LABELS: Record<string, string> = { open: '待派发', verifying: '核查中', confirmed: '属实', false_alarm: '误报', handled: '已处置' };

const ZWarningQuery = z.object({
  level: z.enum(LEVELS as [string, ...string[]]).optional(),
  status: z.enum(['open', 'done', 'verifying', 'confirmed', 'false_alarm', 'handled']).optional(),
  ruleId: z.uuid().optional(),
  kind: z.enum(RULE_KINDS as unknown as [string, ...string[]]).optional(),
  deviceId: z.uuid().optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  q: z.string().max(100).optional(),
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(20),
});

const ZRuleIn = z.object({
  name: z.string().max(60).optional(),
  kind: z.string().optional(),
  deviceType: z.string().nullable().optional(),
  deviceIds: z.array(z.uuid()).max(1000).nullable().optional(),
  params: z.record(z.string(), z.unknown()).optional(),
  taskCategory: z.string().optional(),
  enabled: z.boolean().optional(),
});

const num = z.number().finite().nonnegative();
const ZAssessIn = z.object({
  waterBody: z.enum(['river', 'lake']),
  readings: z.object({ DO: num.optional(), CODMn: num.optional(), COD: num.optional(), BOD5: num.optional(), NH3N: num.optional(), TP: num.optional() }).strict(),
});

/** Warnings, rules, the GB 3838 calculator and device HTTP ingest. */
export function registerAlertRoutes(app: App, deps: { warnings: WarningsService; rules: RulesService; ingest: IngestService; verifyDevice: (code: string, secret: string) => Promise<{ id: string; code: string } | null> }) {
  const { warnings, rules, ingest } = deps;

  app.post(
    '/api/v1/water-quality/assess',
    { schema: { ...tags('alerts'), summary: '水质类别计算 GB 3838-2002 single-factor class', body: ZAssessIn, response: { 200: z.object({ class: z.number(), label: z.string(), quality: z.string().optional(), decisive: z.array(z.string()), indicators: z.record(z.string(), z.object({ value: z.number(), class: z.number(), label: z.string() })) }), ...errorResponses } } },
    async (req) => {
      actorContextOf(req);
      const a = assessWater(req.body.waterBody, req.body.readings);
      if (!a) throw new AppError('validation_failed', `readings: give at least one of ${INDICATORS.join(', ')}`, [{ field: 'readings', message: `at least one of ${INDICATORS.join(', ')}` }]);
      return a;
    },
  );

  // ---------------------------------------------------------------- warnings
  app.get('/api/v1/warnings', { schema: { ...tags('alerts'), summary: '预警列表 Warnings', querystring: ZWarningQuery } }, async (req) => {
    const { page, pageSize, ...f } = req.query;
    const r = await warnings.list(actorContextOf(req), f, { limit: pageSize, offset: (page - 1) * pageSize });
    return { ...r, page, pageSize };
  });
  app.get('/api/v1/warnings/export.xlsx', { schema: { ...tags('alerts'), summary: '导出预警 xlsx', querystring: ZWarningQuery.omit({ page: true, pageSize: true }) } }, async (req, reply) => {
    const { items } = await warnings.list(actorContextOf(req), req.query, { limit: 50_000, offset: 0 });
    const time = (s: string | null) => (s ? new Date(s).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false }) : '');
    const buf = await toXlsx(
      '预警',
      [
        { header: '预警编号', width: 20, value: (r) => r.number },
        { header: '等级', value: (r) => LEVEL_LABELS[r.level as keyof typeof LEVEL_LABELS] ?? r.level },
        { header: '规则', width: 20, value: (r) => r.rule.name },
        { header: '类型', value: (r) => r.rule.kindLabel },
        { header: '内容', width: 40, value: (r) => r.title },
        { header: '地点', width: 30, value: (r) => r.addressText ?? '' },
        { header: '网格', value: (r) => r.gridName ?? '' },
        { header: '状态', value: (r) => STATUS_LABELS[r.status] ?? r.status },
        { header: '核查任务', width: 18, value: (r) => r.report?.number ?? '' },
        { header: '预警时间', width: 20, value: (r) => time(r.raisedAt) },
        { header: '解除时间', width: 20, value: (r) => time(r.clearedAt) },
      ],
      items,
    );
    return reply.type(XLSX_MIME).header('content-disposition', attachment('预警.xlsx')).send(buf);
  });
  app.get('/api/v1/warnings/precision', { schema: { ...tags('alerts'), summary: '规则准确率 Precision of each rule', querystring: z.object({ from: z.coerce.date().optional(), to: z.coerce.date().optional() }) } }, async (req) =>
    warnings.precision(actorContextOf(req), req.query),
  );
  app.get('/api/v1/warnings/:id', { schema: { ...tags('alerts'), summary: '预警详情 Warning', params: ZIdParams, response: { 200: z.any(), 201: z.any(), 202: z.any(), ...errorResponses } } }, async (req) => warnings.get(actorContextOf(req), req.params.id));
  app.post(
    '/api/v1/warnings/:id/outcome',
    { schema: { ...tags('alerts'), summary: '登记核查结果 Record the outcome on site', params: ZIdParams, body: z.object({ outcome: z.enum(OUTCOMES), note: z.string().max(1000).nullable().optional() }), response: { 200: z.any(), 201: z.any(), 202: z.any(), ...errorResponses } } },
    async (req) => warnings.recordOutcome(actorContextOf(req), req.params.id, req.body),
  );
  app.get('/api/v1/warnings/outcomes', { schema: { ...tags('alerts'), summary: '核查结果选项' } }, async () => OUTCOMES.map((o) => ({ value: o, label: OUTCOME_LABELS[o] })));

  // ---------------------------------------------------------------- rules
  app.get('/api/v1/alert-rules', { schema: { ...tags('alerts'), summary: '预警规则 Rules' } }, async (req) => rules.list(actorContextOf(req)));
  app.get('/api/v1/alert-rules/:id', { schema: { ...tags('alerts'), summary: '预警规则 Rule', params: ZIdParams } }, async (req) => rules.get(actorContextOf(req), req.params.id));
  app.post('/api/v1/alert-rules', { schema: { ...tags('alerts'), summary: '新建规则 Create a rule', body: ZRuleIn, response: { 200: z.any(), 201: z.any(), 202: z.any(), ...errorResponses } } }, async (req, reply) => {
    const r = await rules.create(actorContextOf(req), req.body);
    reply.code(201);
    return r;
  });
  app.patch('/api/v1/alert-rules/:id', { schema: { ...tags('alerts'), summary: '修改规则 Edit, enable or disable a rule', params: ZIdParams, body: ZRuleIn, response: { 200: z.any(), 201: z.any(), 202: z.any(), ...errorResponses } } }, async (req) =>
    rules.update(actorContextOf(req), req.params.id, req.body),
  );
  app.post(
    '/api/v1/alert-rules/:id/dry-run',
    { schema: { ...tags('alerts'), summary: '试运行（近30天）Dry run over the last 30 days', params: ZIdParams, body: z.object({ params: z.record(z.string(), z.unknown()).optional() }).optional(), response: { 200: z.any(), 201: z.any(), 202: z.any(), ...errorResponses } } },
    async (req, reply) => {
      const r = await rules.dryRun(actorContextOf(req), req.params.id, req.body?.params);
      reply.code(202);
      return r;
    },
  );

  // ---------------------------------------------------------------- device HTTP ingest
  // A device posts with its own credentials (HTTP Basic: code and secret); staff or gateway
  // tokens with device.ingest may post for any device in their scope.
  app.post(
    '/api/v1/devices/by-code/:code/readings',
    {
      schema: {
        ...tags('alerts'),
        summary: '上报读数 Post a reading (device credentials)',
        params: z.object({ code: z.string().min(1).max(64) }),
        body: z.object({ observedAt: z.union([z.string(), z.number()]), values: z.record(z.string(), z.unknown()) }),
        response: { 200: z.object({ stored: z.boolean(), duplicate: z.boolean(), warningsRaised: z.number() }), 201: z.object({ stored: z.boolean(), duplicate: z.boolean(), warningsRaised: z.number() }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const code = req.params.code;
      const basic = req.headers.authorization?.startsWith('Basic ') ? Buffer.from(req.headers.authorization.slice(6), 'base64').toString('utf8') : null;
      if (basic) {
        const i = basic.indexOf(':');
        const dev = i > 0 ? await deps.verifyDevice(basic.slice(0, i), basic.slice(i + 1)) : null;
        if (!dev) throw new AppError('unauthenticated', 'wrong device code or secret');
        if (dev.code !== code) throw new AppError('not_found', `device ${code} not found`);
      } else {
        const ctx = actorContextOf(req);
        if (!ctx.actor.permissions.has('device.ingest') && !ctx.actor.permissions.has('alert.configure')) throw new AppError('not_found', `device ${code} not found`);
        const d = await ingest.deviceByCode(code);
        if (!d || !d.area_path.startsWith(ctx.actor.scopePath)) throw new AppError('not_found', `device ${code} not found`);
      }
      const r = await ingest.ingestByCode(code, checkReading(req.body), 'http');
      reply.code(r.stored ? 201 : 200);
      return { stored: r.stored, duplicate: !r.stored, warningsRaised: r.raised.length };
    },
  );
}
