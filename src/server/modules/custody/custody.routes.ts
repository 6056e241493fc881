import { z } from 'zod';
import { actorContextOf, type App } from '../../platform/http/app.js';
import { requirePermission } from '../core/index.js';
import { invalid } from '../../platform/http/errors.js';
import { ZIdParams, errorResponses } from '../../platform/http/schemas.js';
import { attachment, toXlsx, XLSX_MIME } from '../../platform/http/xlsx.js';
import type { Jobs } from '../../platform/jobs/jobs.js';
import type { Db } from '../../db.js';
import { recordAudit } from '../../platform/audit/audit.js';
import { verifyCustody } from './custody.integrity.js';
import type { SigningKey } from './custody.chain.js';
import { renderLabels, renderLocationLabels, type LabelFormat } from './custody.labels.js';
import { DISPOSAL_WAYS, ITEM_TYPES, STATUSES } from './custody.model.js';
import { ACTION_TYPES, LOCATION_KIND_LABELS, WARNING_LABELS, type CustodyService } from './custody.service.js';
import * as repo from './custody.repository.js';

const tags = { tags: ['custody'] };
const any = { 200: z.any(), 201: z.any(), 202: z.any(), ...errorResponses };
const page = {
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(20),
};
const ZItemQuery = z.object({
  q: z.string().max(100).optional(),
  type: z.enum(ITEM_TYPES).optional(),
  status: z.enum(STATUSES).optional(),
  holderOrgId: z.uuid().optional(),
  locationId: z.uuid().optional(),
  centreId: z.uuid().optional(),
  caseId: z.uuid().optional(),
  disposition: z.enum(DISPOSAL_WAYS).optional(),
  warning: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  ...page,
});
const ZWitness = z.object({ username: z.string().min(1).max(60), password: z.string().min(1).max(200) }).nullable().optional();
const ZActionIn = z.object({ type: z.enum(ACTION_TYPES), witness: ZWitness, at: z.string().nullable().optional() }).catchall(z.unknown());
const ZItemIn = z.object({
  type: z.enum(ITEM_TYPES),
  name: z.string().max(100),
  description: z.string().max(1000).optional(),
  quantity: z.number().positive(),
  unit: z.string().max(10),
  valueCents: z.number().int().min(0).nullable().optional(),
  ownerKind: z.enum(['person', 'organisation', 'unknown']),
  ownerName: z.string().max(100).nullable().optional(),
  ownerPhone: z.string().max(20).nullable().optional(),
  seizureDoc: z.string().max(80),
  seizedAt: z.string(),
  photoFileIds: z.array(z.uuid()).max(20).optional(),
});
const time = (s: string | null | undefined) => (s ? new Date(s).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false }) : '');
const yuan = (c: number | null) => (c === null ? '' : (c / 100).toFixed(2));

/** Seized property: storage, cases, items and their steps, scanning, labels, ledger, warnings, statistics. */
export function registerCustodyRoutes(app: App, deps: { custody: CustodyService; db: Db; jobs: Jobs; signingKey: SigningKey; publicBaseUrl?: string | null }) {
  const { custody } = deps;

  // ---------------------------------------------------------------- settings and storage
  app.get('/api/v1/custody/settings', { schema: { ...tags, summary: '涉案财物规则设置 Settings' } }, async (req) => {
    requirePermission(actorContextOf(req).actor, 'custody.read');
    return custody.settings();
  });
  app.patch(
    '/api/v1/custody/settings',
    { schema: { ...tags, summary: '修改规则设置', body: z.object({ registrationHours: z.number().int().optional(), unrelatedDays: z.number().int().optional(), undisposedDays: z.number().int().optional(), transferDays: z.number().int().optional(), disposalApprovals: z.number().int().optional() }), response: any } },
    async (req) => custody.updateSettings(actorContextOf(req), req.body),
  );
  app.get('/api/v1/custody/centres', { schema: { ...tags, summary: '保管中心 Property centres' } }, async (req) => custody.centres(actorContextOf(req)));
  app.get('/api/v1/custody/centres/:id/map', { schema: { ...tags, summary: '库房平面 Storage map with occupancy', params: ZIdParams, response: any } }, async (req) => custody.storageMap(actorContextOf(req), req.params.id));
  app.post(
    '/api/v1/custody/locations',
    {
      schema: {
        ...tags,
        summary: '新建保管位置 Create a centre, room, cabinet, shelf or bin',
        body: z.object({
          parentId: z.uuid().nullable().optional(),
          kind: z.enum(['centre', 'room', 'cabinet', 'shelf', 'bin']),
          name: z.string().max(60),
          code: z.string().max(40).nullable().optional(),
          capacity: z.number().int().positive().nullable().optional(),
          operatorOrgId: z.uuid().nullable().optional(),
          lng: z.number().min(-180).max(180).nullable().optional(),
          lat: z.number().min(-90).max(90).nullable().optional(),
          addressText: z.string().max(200).nullable().optional(),
        }),
        response: any,
      },
    },
    async (req, reply) => {
      const r = await custody.createLocation(actorContextOf(req), req.body);
      reply.code(201);
      return r;
    },
  );
  app.get(
    '/api/v1/custody/centres/:id/labels.pdf',
    { schema: { ...tags, summary: '位置标签 PDF Location labels of a centre', params: ZIdParams, querystring: z.object({ format: z.enum(['label', 'a4']).default('a4'), kind: z.enum(['room', 'cabinet', 'shelf', 'bin']).optional() }) } },
    async (req, reply) => {
      const map = await custody.storageMap(actorContextOf(req), req.params.id);
      const byId = new Map(map.places.map((p) => [p.id, p]));
      const places = map.places.filter((p) => p.kind !== 'centre' && (!req.query.kind || p.kind === req.query.kind));
      const pdf = await renderLocationLabels(
        places.map((p) => {
          const chain: string[] = [];
          for (let x: typeof p | undefined = p; x && x.kind !== 'centre'; x = x.parentId ? byId.get(x.parentId) : undefined) chain.unshift(x.name);
          return { code: p.code, name: chain.join(' / '), kindLabel: LOCATION_KIND_LABELS[p.kind] ?? p.kind, centre: map.centre.name };
        }),
        { format: req.query.format as LabelFormat, baseUrl: deps.publicBaseUrl ?? null },
      );
      return reply.type('application/pdf').header('content-disposition', attachment(`${map.centre.name}-位置标签.pdf`)).send(pdf);
    },
  );
  app.get('/api/v1/custody/transfer-targets', { schema: { ...tags, summary: '可移送单位 Agencies that receive property' } }, async (req) => custody.transferTargets(actorContextOf(req)));

  // ---------------------------------------------------------------- cases
  app.post(
    '/api/v1/custody/cases',
    { schema: { ...tags, summary: '登记案件（一案一码）Register a case', body: z.object({ caseNumber: z.string().max(60), title: z.string().max(100), kind: z.enum(['criminal', 'administrative']), openedAt: z.string(), centreId: z.uuid(), agencyOrgId: z.uuid().nullable().optional() }), response: any } },
    async (req, reply) => {
      const r = await custody.createCase(actorContextOf(req), req.body);
      reply.code(201);
      return r;
    },
  );
  app.get('/api/v1/custody/cases', { schema: { ...tags, summary: '案件列表 Cases', querystring: z.object({ q: z.string().max(100).optional(), status: z.enum(['open', 'concluded']).optional(), agencyOrgId: z.uuid().optional(), ...page }) } }, async (req) => {
    const { page: p, pageSize, ...f } = req.query;
    return { ...(await custody.listCases(actorContextOf(req), f, { limit: pageSize, offset: (p - 1) * pageSize })), page: p, pageSize };
  });
  app.get('/api/v1/custody/cases/:id', { schema: { ...tags, summary: '案件详情 Case with its items', params: ZIdParams, response: any } }, async (req) => custody.getCase(actorContextOf(req), req.params.id));
  app.post('/api/v1/custody/cases/:id/conclude', { schema: { ...tags, summary: '结案 Conclude the case', params: ZIdParams, body: z.object({ conclusion: z.string().max(200) }), response: any } }, async (req) =>
    custody.concludeCase(actorContextOf(req), req.params.id, req.body),
  );
  app.post('/api/v1/custody/cases/:id/items', { schema: { ...tags, summary: '登记涉案财物（一物一码）Register items', params: ZIdParams, body: z.object({ items: z.array(ZItemIn).min(1).max(200) }), response: any } }, async (req, reply) => {
    const r = await custody.registerItems(actorContextOf(req), req.params.id, req.body.items);
    reply.code(201);
    return { items: r };
  });

  // ---------------------------------------------------------------- items
  app.get('/api/v1/custody/items', { schema: { ...tags, summary: '涉案财物台账 Ledger', querystring: ZItemQuery } }, async (req) => {
    const { page: p, pageSize, ...f } = req.query;
    return { ...(await custody.listItems(actorContextOf(req), f, { limit: pageSize, offset: (p - 1) * pageSize })), page: p, pageSize };
  });
  app.get('/api/v1/custody/items/export.xlsx', { schema: { ...tags, summary: '导出台账 xlsx', querystring: ZItemQuery.omit({ page: true, pageSize: true }) } }, async (req, reply) => {
    const { items } = await custody.listItems(actorContextOf(req), req.query, { limit: 50_000, offset: 0 });
    const buf = await toXlsx(
      '涉案财物台账',
      [
        { header: '物品编号', width: 20, value: (r) => r.code },
        { header: '案件编号', width: 26, value: (r) => r.case.caseNumber },
        { header: '案件名称', width: 24, value: (r) => r.case.title },
        { header: '名称', width: 24, value: (r) => r.name },
        { header: '类别', value: (r) => r.typeLabel },
        { header: '数量', value: (r) => `${r.quantity}${r.unit}` },
        { header: '估值（元）', value: (r) => yuan(r.valueCents) },
        { header: '权利人', value: (r) => r.owner.name ?? '' },
        { header: '扣押文书', width: 24, value: (r) => r.seizureDoc },
        { header: '扣押时间', width: 20, value: (r) => time(r.seizedAt) },
        { header: '状态', value: (r) => r.statusLabel },
        { header: '责任单位', width: 20, value: (r) => r.holder.name },
        { header: '存放位置', width: 30, value: (r) => r.location?.path ?? '' },
        { header: '处置方式', value: (r) => r.dispositionLabel ?? '' },
        { header: '处置时间', width: 20, value: (r) => time(r.disposedAt) },
        { header: '预警', value: (r) => (r.openWarnings ? String(r.openWarnings) : '') },
      ],
      items,
    );
    return reply.type(XLSX_MIME).header('content-disposition', attachment('涉案财物台账.xlsx')).send(buf);
  });
  app.get('/api/v1/custody/items/:id', { schema: { ...tags, summary: '物品详情与全部流转记录 Item with its timeline', params: ZIdParams, response: any } }, async (req) => custody.getItem(actorContextOf(req), req.params.id));
  app.get('/api/v1/custody/items/:id/owner', { schema: { ...tags, summary: '权利人信息（审计）Owner in clear, audited', params: ZIdParams, response: any } }, async (req) => custody.ownerOf(actorContextOf(req), req.params.id));
  app.get('/api/v1/custody/items/:id/photos/:fileId', { schema: { ...tags, summary: '物品照片 Photo', params: z.object({ id: z.uuid(), fileId: z.uuid() }) } }, async (req, reply) => {
    const f = await custody.photo(actorContextOf(req), req.params.id, req.params.fileId);
    return reply.type(f.mime).header('cache-control', 'private, max-age=3600').header('etag', `"${f.sha256}"`).send(f.bytes);
  });
  app.post('/api/v1/custody/items/:id/events', { schema: { ...tags, summary: '流转操作 A step: check in, move, loan, transfer, disposal …', params: ZIdParams, body: ZActionIn, response: any } }, async (req, reply) => {
    const { type, ...input } = req.body;
    const r = await custody.act(actorContextOf(req), req.params.id, type, input);
    reply.code(201);
    return r;
  });
  app.post('/api/v1/custody/batch', { schema: { ...tags, summary: '批量扫码操作（全部成功或全部不写）Batch step over scanned codes', body: ZActionIn.extend({ codes: z.array(z.string().max(200)).min(1).max(500) }), response: any } }, async (req, reply) => {
    const { type, codes, ...input } = req.body;
    const r = await custody.batch(actorContextOf(req), codes, type, input);
    reply.code(201);
    return r;
  });
  app.get('/api/v1/custody/scan', { schema: { ...tags, summary: '扫码 Resolve a scanned code', querystring: z.object({ code: z.string().min(1).max(300) }), response: any } }, async (req) => custody.scan(actorContextOf(req), req.query.code));
  app.get('/api/v1/custody/inbox', { schema: { ...tags, summary: '待接收移送 Transfers to my agency', querystring: z.object(page) } }, async (req) => {
    const { page: p, pageSize } = req.query;
    return custody.inbox(actorContextOf(req), { limit: pageSize, offset: (p - 1) * pageSize });
  });
  app.get('/api/v1/custody/approvals', { schema: { ...tags, summary: '待审批 Loans and disposals to approve', querystring: z.object(page) } }, async (req) => {
    const { page: p, pageSize } = req.query;
    return custody.approvals(actorContextOf(req), { limit: pageSize, offset: (p - 1) * pageSize });
  });
  app.get('/api/v1/custody/warnings', { schema: { ...tags, summary: '涉案财物预警 Warnings', querystring: z.object({ open: z.enum(['true', 'false']).transform((v) => v === 'true').optional(), kind: z.enum(Object.keys(WARNING_LABELS) as [string, ...string[]]).optional(), ...page }) } }, async (req) => {
    const { page: p, pageSize, ...f } = req.query;
    return { ...(await custody.listWarnings(actorContextOf(req), f, { limit: pageSize, offset: (p - 1) * pageSize })), page: p, pageSize };
  });
  app.get('/api/v1/custody/stats', { schema: { ...tags, summary: '统计 Statistics' } }, async (req) => custody.stats(actorContextOf(req)));

  // ---------------------------------------------------------------- labels
  app.get(
    '/api/v1/custody/labels.pdf',
    { schema: { ...tags, summary: '物品二维码标签 PDF（50×30 mm 或 A4）QR labels', querystring: z.object({ caseId: z.uuid().optional(), itemIds: z.string().max(20_000).optional(), format: z.enum(['label', 'a4']).default('label') }) } },
    async (req, reply) => {
      const ctx = actorContextOf(req);
      const ids = req.query.itemIds ? req.query.itemIds.split(',').filter(Boolean) : [];
      if (!req.query.caseId && !ids.length) throw invalid('itemIds', 'give caseId or itemIds');
      const items = req.query.caseId ? (await custody.getCase(ctx, req.query.caseId)).items : await Promise.all(ids.map((id) => custody.getItem(ctx, id)));
      const pdf = await renderLabels(
        items.map((i) => ({ code: i.code, caseNumber: i.case.caseNumber, caseCode: i.case.code, itemNo: i.itemNo, name: i.name, typeLabel: i.typeLabel, holder: i.holder.name, seizedAt: i.seizedAt })),
        { format: req.query.format as LabelFormat, baseUrl: deps.publicBaseUrl ?? null },
      );
      await deps.db.transaction().execute((tx) => recordAudit(tx, ctx, { action: 'custody.labels_printed', targetType: 'custody_item', targetId: items.length === 1 ? items[0]!.id : null, after: { count: items.length, codes: items.slice(0, 50).map((i) => i.code), format: req.query.format } }));
      return reply.type('application/pdf').header('content-disposition', attachment(`标签-${items[0]?.case.caseNumber ?? ''}.pdf`)).send(pdf);
    },
  );

  // ---------------------------------------------------------------- integrity
  app.get('/api/v1/custody/integrity', { schema: { ...tags, summary: '完整性 Last checkpoint' } }, async (req) => {
    requirePermission(actorContextOf(req).actor, 'custody.read');
    const last = await repo.lastCheckpoint(deps.db);
    return { keyId: deps.signingKey.keyId, lastCheckpoint: last ? { no: last.no, at: new Date(last.at).toISOString(), digest: last.digest, heads: last.head_count } : null };
  });
  app.post('/api/v1/custody/integrity/verify', { schema: { ...tags, summary: '校验全部哈希链与签名检查点（任务）Verify every chain and checkpoint (a job)', response: any } }, async (req, reply) => {
    const ctx = actorContextOf(req);
    requirePermission(ctx.actor, 'audit.read');
    const total = Number((await deps.db.selectFrom('custody_events').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    const jobId = await deps.jobs.create('custody.verify', ctx.actor.userId, total);
    void verifyCustody(deps.db, deps.signingKey, { onProgress: (n) => deps.jobs.progress(jobId, n) })
      .then((r) => deps.jobs.finish(jobId, { status: 'succeeded', processed: r.events, total: r.events, result: r }))
      .catch((err) => deps.jobs.finish(jobId, { status: 'failed', processed: 0, total, errors: [{ row: 0, field: 'verify', message: String(err?.message ?? err) }] }));
    reply.code(202);
    return { jobId };
  });
}
