import rateLimit from '@fastify/rate-limit';
import { z } from 'zod';
import type { GeoService } from '../geo/index.js';
import { actorContextOf, type App } from '../../platform/http/app.js';
import { AppError } from '../../platform/http/errors.js';
import { ZIdParams, errorResponses } from '../../platform/http/schemas.js';
import { attachment, toXlsx, XLSX_MIME } from '../../platform/http/xlsx.js';
import * as S from './reports.schemas.js';
import type { ReportsService } from './reports.service.js';
import type { ReportSettings } from './reports.settings.js';
import { STAGE_LABELS } from './reports.categories.js';
import { STATS_GROUPS } from './reports.repository.js';

const tags = (t: string) => ({ tags: [t] });
const CHANNEL_LABELS: Record<string, string> = { resident: '群众上报', hotline: '热线', patrol: '巡查', api: '系统接入', open311: 'Open311' };
const GROUP_LABELS: Record<string, string> = { dept: '部门', grid: '网格', category: '类别', street: '街道·镇', day: '日期' };
const RATING_LABELS: Record<string, string> = { satisfied: '满意', basically_satisfied: '基本满意', dissatisfied: '不满意' };

export async function registerReportRoutes(app: App, deps: { reports: ReportsService; settings: ReportSettings; geo: GeoService; publicReportsPerMinute: number }) {
  const { reports, settings } = deps;

  const ZStatsQuery = z.object({
    from: z.coerce.date().default(() => new Date(Date.now() - 30 * 24 * 3600_000)),
    to: z.coerce.date().default(() => new Date()),
    groupBy: z.enum(STATS_GROUPS).default('dept'),
  });
  app.get('/api/v1/reports/stats', { schema: { ...tags('reports'), summary: '统计分析 Statistics', querystring: ZStatsQuery, response: { 200: S.ZStats, ...errorResponses } } }, async (req) =>
    reports.stats(actorContextOf(req), req.query),
  );
  app.get('/api/v1/reports/stats.xlsx', { schema: { ...tags('reports'), summary: '导出统计 xlsx', querystring: ZStatsQuery } }, async (req, reply) => {
    const st = await reports.stats(actorContextOf(req), req.query);
    const pct = (v: number | null) => (v === null ? '' : `${(v * 100).toFixed(1)}%`);
    const hours = (m: number | null) => (m === null ? '' : (m / 60).toFixed(1));
    const buf = await toXlsx(
      '统计',
      [
        { header: GROUP_LABELS[st.groupBy], width: 24, value: (r) => r.name },
        { header: '受理总数', value: (r) => r.total },
        { header: '办理中', value: (r) => r.open },
        { header: '已结案', value: (r) => r.closed },
        { header: '作废', value: (r) => r.voided },
        { header: '超时', value: (r) => r.overdue },
        { header: '结案率', value: (r) => pct(r.resolutionRate) },
        { header: '按时率', value: (r) => pct(r.onTimeRate) },
        { header: '平均办结(小时)', value: (r) => hours(r.avgCloseMinutes) },
        { header: '满意', value: (r) => r.satisfied },
        { header: '基本满意', value: (r) => r.basicallySatisfied },
        { header: '不满意', value: (r) => r.dissatisfied },
        { header: '满意率', value: (r) => pct(r.satisfactionRate) },
      ],
      [...st.rows, st.totals],
    );
    return reply.type(XLSX_MIME).header('content-disposition', attachment('事件统计.xlsx')).send(buf);
  });

  // ---------------------------------------------------------------- staff and systems

  app.post('/api/v1/reports', { schema: { ...tags('reports'), summary: '登记事件 Create a report (hotline, patrol, systems)', body: S.ZReportIn, response: { 201: S.ZCreated, ...errorResponses } } }, async (req, reply) => {
    const out = await reports.createStaffReport(actorContextOf(req), req.body);
    reply.code(201);
    return { ...out, suggestion: out.suggestion ? { category: out.suggestion.category, confidence: out.suggestion.confidence } : null };
  });

  app.post('/api/v1/reports/classify', { schema: { ...tags('reports'), summary: '智能分类 Classify text (creates nothing)', body: S.ZClassifyIn, response: { 200: S.ZClassification, ...errorResponses } } }, async (req) => {
    actorContextOf(req);
    return reports.classify(req.body.text);
  });

  app.get('/api/v1/reports', { schema: { ...tags('reports'), summary: '事件列表 Cases', querystring: S.ZReportQuery, response: { 200: z.object({ items: z.array(S.ZReportSummary), total: z.number(), page: z.number(), pageSize: z.number() }) } } }, async (req) => {
    const ctx = actorContextOf(req);
    const { page, pageSize, order, mine, ...f } = req.query;
    return reports.listReports(ctx, { ...f, assignedTo: mine ? ctx.actor.userId : undefined }, { page, pageSize }, order);
  });

  app.get('/api/v1/reports/export.xlsx', { schema: { ...tags('reports'), summary: '导出事件 xlsx', querystring: S.ZReportQuery.omit({ page: true, pageSize: true }) } }, async (req, reply) => {
    const ctx = actorContextOf(req);
    const { order, mine, ...f } = req.query;
    const { items } = await reports.listReports(ctx, { ...f, assignedTo: mine ? ctx.actor.userId : undefined }, { page: 1, pageSize: 50_000 }, order);
    const time = (s: string | null) => (s ? new Date(s).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false }) : '');
    const buf = await toXlsx(
      '事件',
      [
        { header: '案件编号', width: 18, value: (r) => r.number },
        { header: '状态', value: (r) => r.statusLabel },
        { header: '类别', value: (r) => r.categoryName ?? '' },
        { header: '描述', width: 40, value: (r) => r.description },
        { header: '渠道', value: (r) => CHANNEL_LABELS[r.channel] ?? r.channel },
        { header: '街道·镇', value: (r) => r.streetName ?? '' },
        { header: '社区·村', value: (r) => r.communityName ?? '' },
        { header: '网格', value: (r) => r.gridName ?? '' },
        { header: '地址', width: 30, value: (r) => r.address ?? '' },
        { header: '责任部门', width: 20, value: (r) => r.deptName ?? '' },
        { header: '处置人', value: (r) => r.assigneeName ?? '' },
        { header: '上报人', value: (r) => r.reporterName ?? '' },
        { header: '联系电话', value: (r) => r.reporterPhone ?? '' },
        { header: '当前环节', value: (r) => (r.stage ? STAGE_LABELS[r.stage] : '') },
        { header: '环节时限', width: 20, value: (r) => time(r.stageDeadline) },
        { header: '超时', value: (r) => (r.overdue ? '是' : '') },
        { header: '督办', value: (r) => (r.supervised ? '是' : '') },
        { header: '评价', value: (r) => (r.rating ? RATING_LABELS[r.rating] : '') },
        { header: '上报时间', width: 20, value: (r) => time(r.createdAt) },
        { header: '结案时间', width: 20, value: (r) => time(r.closedAt) },
      ],
      items,
    );
    return reply.type(XLSX_MIME).header('content-disposition', attachment('事件.xlsx')).send(buf);
  });

  app.get('/api/v1/reports/duplicates', { schema: { ...tags('reports'), summary: '疑似重复 Possible duplicates (same category, 250 m, 72 h)', querystring: S.ZDuplicatesQuery, response: { 200: S.ZDuplicates, ...errorResponses } } }, async (req) =>
    reports.duplicates(actorContextOf(req), req.query),
  );

  app.get('/api/v1/reports/extensions/pending', { schema: { ...tags('reports'), summary: '待审批延时 Pending extension requests', response: { 200: z.array(S.ZPendingExtension), ...errorResponses } } }, async (req) =>
    reports.pendingExtensions(actorContextOf(req)),
  );

  app.get('/api/v1/reports/:id', { schema: { ...tags('reports'), summary: '事件详情 Case detail', params: ZIdParams, response: { 200: S.ZReportDetail, ...errorResponses } } }, async (req) =>
    reports.getReport(actorContextOf(req), req.params.id),
  );

  app.get('/api/v1/reports/:id/contact', { schema: { ...tags('reports'), summary: '上报人联系方式（审计）Reporter contact, audited', params: ZIdParams, response: { 200: z.object({ name: z.string().nullable(), phone: z.string().nullable() }), ...errorResponses } } }, async (req) =>
    reports.contact(actorContextOf(req), req.params.id),
  );

  app.get('/api/v1/reports/:id/photos/:fileId', { schema: { ...tags('reports'), summary: '事件照片 Photo', params: z.object({ id: z.uuid(), fileId: z.uuid() }) } }, async (req, reply) => {
    const f = await reports.photo(actorContextOf(req), req.params.id, req.params.fileId);
    return reply.type(f.mime).header('cache-control', 'private, max-age=3600').header('etag', `"${f.sha256}"`).send(f.bytes);
  });

  app.post('/api/v1/reports/:id/actions/:action', { schema: { ...tags('reports'), summary: '办理 Workflow step', params: S.ZActionParams, body: S.ZActionIn, response: { 200: S.ZActionOut, ...errorResponses } } }, async (req) =>
    reports.act(actorContextOf(req), req.params.id, req.params.action, req.body),
  );

  app.post('/api/v1/reports/:id/triage', { schema: { ...tags('reports'), summary: '人工分类 Set the category', params: ZIdParams, body: S.ZTriageIn, response: { 200: S.ZReportDetail, ...errorResponses } } }, async (req) =>
    reports.triage(actorContextOf(req), req.params.id, req.body),
  );

  app.post('/api/v1/reports/:id/extensions', { schema: { ...tags('reports'), summary: '申请延时 Request an extension', params: ZIdParams, body: S.ZExtensionIn, response: { 201: z.object({ id: z.string() }), ...errorResponses } } }, async (req, reply) => {
    const out = await reports.requestExtension(actorContextOf(req), req.params.id, req.body);
    reply.code(201);
    return out;
  });

  app.post(
    '/api/v1/reports/:id/extensions/:extensionId/decision',
    { schema: { ...tags('reports'), summary: '审批延时 Decide an extension', params: z.object({ id: z.uuid(), extensionId: z.uuid() }), body: S.ZExtensionDecisionIn, response: { 200: S.ZReportDetail, ...errorResponses } } },
    async (req) => reports.decideExtension(actorContextOf(req), req.params.id, req.params.extensionId, req.body),
  );

  // ---------------------------------------------------------------- settings

  app.get('/api/v1/report-categories', { schema: { ...tags('report settings'), summary: '事件类别 Categories', response: { 200: z.array(S.ZCategory) } } }, async (req) => settings.categories(actorContextOf(req)));
  app.post('/api/v1/report-categories', { schema: { ...tags('report settings'), body: S.ZCategoryIn, response: { 201: S.ZCategory, ...errorResponses } } }, async (req, reply) => {
    const out = await settings.createCategory(actorContextOf(req), req.body);
    reply.code(201);
    return out;
  });
  app.patch('/api/v1/report-categories/:code', { schema: { ...tags('report settings'), params: S.ZCodeParams, body: S.ZCategoryPatch, response: { 200: S.ZCategory, ...errorResponses } } }, async (req) =>
    settings.updateCategory(actorContextOf(req), req.params.code, req.body),
  );
  app.get('/api/v1/routing-rules', { schema: { ...tags('report settings'), summary: '分拨规则 Routing rules', response: { 200: z.array(S.ZRoutingRule) } } }, async (req) => settings.routingRules(actorContextOf(req)));
  app.post('/api/v1/routing-rules', { schema: { ...tags('report settings'), body: S.ZRoutingRuleIn, response: { 201: S.ZRoutingRule, ...errorResponses } } }, async (req, reply) => {
    const out = await settings.createRoutingRule(actorContextOf(req), req.body);
    reply.code(201);
    return out;
  });
  app.delete('/api/v1/routing-rules/:id', { schema: { ...tags('report settings'), params: ZIdParams, response: { 204: z.null(), ...errorResponses } } }, async (req, reply) => {
    await settings.deleteRoutingRule(actorContextOf(req), req.params.id);
    return reply.code(204).send(null);
  });
  app.get('/api/v1/work-calendar', { schema: { ...tags('report settings'), summary: '工作日历 Working-day calendar', response: { 200: z.array(S.ZCalendarYear) } } }, async (req) => settings.calendarYears(actorContextOf(req)));
  app.put('/api/v1/work-calendar/:year', { schema: { ...tags('report settings'), params: S.ZYearParams, body: z.unknown(), response: { 200: S.ZCalendarYear, ...errorResponses } } }, async (req) =>
    settings.putCalendarYear(actorContextOf(req), req.params.year, req.body),
  );

  // ---------------------------------------------------------------- residents (no account)

  await app.register(async (pub) => {
    await pub.register(rateLimit, {
      global: false,
      errorResponseBuilder: (_req, ctx) => new AppError('too_many_requests', `too many reports from this address; retry in ${Math.ceil(ctx.ttl / 1000)} s`, { retryAfterSeconds: Math.ceil(ctx.ttl / 1000) }),
    });
    const p = pub as unknown as App;
    p.post(
      '/api/v1/public/reports',
      {
        config: { rateLimit: { max: deps.publicReportsPerMinute, timeWindow: 60_000 } },
        schema: { ...tags('public'), summary: '我要反映 Report a problem (residents, no account)', security: [], body: S.ZPublicReportIn, response: { 201: S.ZPublicCreated, ...errorResponses } },
      },
      async (req, reply) => {
        const b = req.body;
        const out = await reports.createPublicReport(
          { actor: null, ip: req.ip, requestId: req.id },
          { channel: 'resident', description: b.description, categoryCode: b.categoryCode, lng: b.lng, lat: b.lat, address: b.address, reporterName: b.name, reporterPhone: b.phone, photoIds: b.photoIds },
        );
        reply.code(201);
        return { trackingCode: out.trackingCode, number: out.number, statusUrl: `/r/${out.trackingCode}` };
      },
    );
    p.post(
      '/api/v1/public/reports/:code/rating',
      { config: { rateLimit: { max: 20, timeWindow: 60_000 } }, schema: { ...tags('public'), summary: '评价 Rate the handling', security: [], params: S.ZTrackingParams, body: S.ZRateIn, response: { 200: z.object({ rating: z.string(), reopened: z.boolean() }), ...errorResponses } } },
      async (req) => reports.rate({ actor: null, ip: req.ip, requestId: req.id }, req.params.code, req.body),
    );
    p.get(
      '/api/v1/public/reports/:code',
      { config: { rateLimit: { max: 120, timeWindow: 60_000 } }, schema: { ...tags('public'), summary: '进度查询 Status by tracking code', security: [], params: S.ZTrackingParams, response: { 200: S.ZPublicStatus, ...errorResponses } } },
      async (req) => reports.publicStatus(req.params.code),
    );
  });

  app.get('/api/v1/public/reports/:code/photos/:fileId', { schema: { ...tags('public'), security: [], params: z.object({ code: z.string().max(20), fileId: z.uuid() }) } }, async (req, reply) => {
    const f = await reports.publicPhoto(req.params.code, req.params.fileId);
    return reply.type(f.mime).header('cache-control', 'public, max-age=86400').send(f.bytes);
  });
  app.get('/api/v1/public/categories', { schema: { ...tags('public'), security: [], response: { 200: z.array(z.object({ code: z.string(), parentCode: z.string().nullable(), name: z.string() })) } } }, async () => settings.publicCategories());
  app.post('/api/v1/public/classify', { schema: { ...tags('public'), summary: '类别建议 Suggest a category', security: [], body: S.ZClassifyIn, response: { 200: S.ZClassification, ...errorResponses } } }, async (req) =>
    reports.classify(req.body.text),
  );
  app.get(
    '/api/v1/public/address-match',
    { schema: { ...tags('public'), summary: '地址联想 Address suggestions', security: [], querystring: z.object({ q: z.string().min(1).max(100) }), response: { 200: z.array(z.object({ fullText: z.string(), lng: z.number(), lat: z.number(), confidence: z.number() })) } } },
    async (req) => {
      const m = await deps.geo.resolveAddress(req.query.q, '/');
      if (!m) return [];
      return [m.best, ...m.alternatives].slice(0, 5).map((a) => ({ fullText: a.fullText, lng: a.lng, lat: a.lat, confidence: a.confidence }));
    },
  );
}
