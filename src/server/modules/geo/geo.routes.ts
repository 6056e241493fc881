import { z } from 'zod';
import { actorContextOf, type App } from '../../platform/http/app.js';
import { AppError } from '../../platform/http/errors.js';
import { ZIdParams, errorResponses } from '../../platform/http/schemas.js';
import { attachment, toXlsx, XLSX_MIME } from '../../platform/http/xlsx.js';
import type { GeoService } from './geo.service.js';
import * as S from './geo.schemas.js';

const tags = (t: string) => ({ tags: [t] });

export function registerGeoRoutes(app: App, deps: { geo: GeoService; uploadLimit: number }) {
  const { geo } = deps;

  app.get('/api/v1/grids', { schema: { ...tags('grids'), summary: '网格列表 Grids', querystring: S.ZGridQuery, response: { 200: z.object({ items: z.array(S.ZGrid), total: z.number() }) } } }, async (req) => {
    const { page, pageSize, ...f } = req.query;
    return geo.listGrids(actorContextOf(req), f, { page, pageSize });
  });
  app.get('/api/v1/grids/features.geojson', { schema: { ...tags('grids'), summary: '网格图层 GeoJSON', querystring: S.ZBboxQuery } }, async (req, reply) => {
    reply.type('application/geo+json');
    return geo.gridFeatures(actorContextOf(req), req.query.bbox);
  });
  app.get('/api/v1/grids/export.geojson', { schema: { ...tags('grids'), summary: '导出网格 GeoJSON' } }, async (req, reply) => {
    const fc = await geo.gridFeatures(actorContextOf(req));
    return reply.type('application/geo+json').header('content-disposition', attachment('网格.geojson')).send(JSON.stringify(fc));
  });
  app.get('/api/v1/grids/export.xlsx', { schema: { ...tags('grids'), summary: '导出网格 xlsx', querystring: S.ZGridQuery.omit({ page: true, pageSize: true }) } }, async (req, reply) => {
    const { items } = await geo.listGrids(actorContextOf(req), req.query, { page: 1, pageSize: 100_000 });
    const buf = await toXlsx(
      '网格',
      [
        { header: '网格编码', value: (g) => g.code },
        { header: '网格名称', width: 24, value: (g) => g.name },
        { header: '社区·村', value: (g) => g.communityName },
        { header: '街道·镇', value: (g) => g.streetName },
        { header: '网格员', width: 30, value: (g) => g.workers.map((w) => w.displayName).join('、') },
      ],
      items,
    );
    return reply.type(XLSX_MIME).header('content-disposition', attachment('网格.xlsx')).send(buf);
  });
  app.post(
    '/api/v1/grids/import.geojson',
    { bodyLimit: deps.uploadLimit, schema: { ...tags('grids'), summary: '导入网格 GeoJSON', body: S.ZFeatureCollectionIn, response: { 200: z.object({ created: z.number(), updated: z.number() }), ...errorResponses } } },
    async (req) => geo.importGrids(actorContextOf(req), req.body.features as never),
  );
  app.get('/api/v1/grids/locate', { schema: { ...tags('grids'), summary: '点位所在网格 Point in grid', querystring: S.ZLocateQuery, response: { 200: S.ZLocate, ...errorResponses } } }, async (req) =>
    geo.locate(actorContextOf(req), req.query.lng, req.query.lat),
  );
  app.get('/api/v1/grids/:id', { schema: { ...tags('grids'), params: ZIdParams, response: { 200: S.ZGridDetail, ...errorResponses } } }, async (req) =>
    geo.getGrid(actorContextOf(req), req.params.id),
  );
  app.patch('/api/v1/grids/:id', { schema: { ...tags('grids'), params: ZIdParams, body: S.ZGridPatch, response: { 200: S.ZGrid, ...errorResponses } } }, async (req) =>
    geo.updateGrid(actorContextOf(req), req.params.id, req.body),
  );

  app.get(
    '/api/v1/addresses/match',
    { schema: { ...tags('addresses'), summary: '地址匹配 Match free text to the address library', querystring: S.ZMatchQuery, response: { 200: S.ZMatchResult, ...errorResponses } } },
    async (req) => geo.matchAddress(actorContextOf(req), req.query.q, req.query.limit),
  );
  app.get('/api/v1/addresses', { schema: { ...tags('addresses'), querystring: S.ZAddressQuery, response: { 200: z.object({ items: z.array(S.ZAddress), total: z.number() }) } } }, async (req) => {
    const { page, pageSize, ...f } = req.query;
    return geo.listAddresses(actorContextOf(req), f, { page, pageSize });
  });
  app.get('/api/v1/addresses/:id', { schema: { ...tags('addresses'), params: ZIdParams, response: { 200: S.ZAddressDetail, ...errorResponses } } }, async (req) =>
    geo.getAddress(actorContextOf(req), req.params.id),
  );

  app.register(async (scoped) => {
    // Raw file bodies for imports; the file type is named by ?format=.
    scoped.addContentTypeParser(['application/octet-stream', 'text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'], { parseAs: 'buffer', bodyLimit: deps.uploadLimit }, (_req, body, done) => done(null, body));
    scoped.withTypeProvider<import('fastify-type-provider-zod').ZodTypeProvider>().post(
      '/api/v1/addresses/import',
      { bodyLimit: deps.uploadLimit, schema: { ...tags('addresses'), summary: '导入地址 xlsx/csv（异步任务）', querystring: S.ZImportQuery, response: { 202: z.object({ jobId: z.string() }), ...errorResponses } } },
      async (req, reply) => {
        if (!Buffer.isBuffer(req.body) || req.body.length === 0) throw new AppError('validation_failed', 'body: the file is required', [{ field: 'body', message: 'the file is required' }]);
        const { jobId } = await geo.startAddressImport(actorContextOf(req), req.body, req.query.format);
        reply.code(202);
        return { jobId };
      },
    );
  });

  app.get('/api/v1/jobs/:id', { schema: { ...tags('jobs'), summary: '任务进度 Job progress', params: ZIdParams, response: { 200: S.ZJob, ...errorResponses } } }, async (req) =>
    geo.job(actorContextOf(req), req.params.id),
  );
}
