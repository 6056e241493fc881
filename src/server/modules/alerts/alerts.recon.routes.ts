import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { actorContextOf, type App } from '../../platform/http/app.js';
import { AppError, invalid } from '../../platform/http/errors.js';
import { ZIdParams, errorResponses } from '../../platform/http/schemas.js';
import { attachment, XLSX_MIME } from '../../platform/http/xlsx.js';
import type { ReconService } from './alerts.recon.js';
import * as S from './alerts.recon.schemas.js';

const tags = { tags: ['reconciliation'] };
const DEFAULT_UPLOAD_LIMIT = 50 * 1024 * 1024;

/** The file and fields of a multipart/form-data body (Node's own parser: no plugin needed). */
async function readForm(body: Buffer, contentType: string): Promise<{ fields: Record<string, string>; file: { name: string; bytes: Buffer } | null }> {
  let form: FormData;
  try {
    form = await new Request('http://localhost/', { method: 'POST', headers: { 'content-type': contentType }, body: body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer }).formData();
  } catch {
    throw invalid('file', 'not a readable multipart/form-data body');
  }
  const fields: Record<string, string> = {};
  let file: { name: string; bytes: Buffer } | null = null;
  for (const [key, value] of form.entries()) {
    if (typeof value === 'string') fields[key] = value;
    else if (key === 'file' && !file) file = { name: value.name ?? '', bytes: Buffer.from(await value.arrayBuffer()) };
  }
  return { fields, file };
}

/**
 * Reconciliation: imports of registers (xlsx/csv, as an asynchronous job), their templates,
 * runs of reconciliation rules and their history.
 */
export function registerReconRoutes(app: App, deps: { recon: ReconService; uploadLimit?: number }) {
  const { recon } = deps;
  const uploadLimit = deps.uploadLimit ?? DEFAULT_UPLOAD_LIMIT;

  app.register(async (scoped) => {
    // Multipart forms (field kind + file) and raw file bodies (?kind=&format=), as buffers.
    scoped.addContentTypeParser(
      /^(multipart\/form-data|application\/octet-stream|text\/csv|application\/vnd\.openxmlformats-officedocument\.spreadsheetml\.sheet)(;|$)/,
      { parseAs: 'buffer', bodyLimit: uploadLimit },
      (_req, body, done) => done(null, body),
    );
    scoped.withTypeProvider<ZodTypeProvider>().post(
      '/api/v1/recon/imports',
      {
        bodyLimit: uploadLimit,
        schema: {
          ...tags,
          summary: '导入比对数据 xlsx/csv（居住登记 residents / 企业登记 enterprises / 门禁记录 access；异步任务）',
          description: 'multipart/form-data with fields kind and file; or the raw file with ?kind=&format=&fileName=. Progress and the row-by-row errors at GET /api/v1/jobs/{jobId}. A file with any error imports nothing.',
          querystring: S.ZImportQuery,
          response: { 202: S.ZImportStarted, ...errorResponses },
        },
      },
      async (req, reply) => {
        const ctx = actorContextOf(req);
        if (!Buffer.isBuffer(req.body) || req.body.length === 0) throw new AppError('validation_failed', 'file: the file is required', [{ field: 'file', message: 'the file is required' }]);
        const contentType = String(req.headers['content-type'] ?? '');
        let kind = req.query.kind as string | undefined;
        let fileName = req.query.fileName ?? null;
        let bytes: Buffer = req.body;
        if (/^multipart\/form-data/i.test(contentType)) {
          const form = await readForm(req.body, contentType);
          if (!form.file || !form.file.bytes.length) throw invalid('file', 'the file is required');
          kind = form.fields.kind ?? kind;
          fileName = form.file.name || fileName;
          bytes = form.file.bytes;
        }
        if (!kind) throw invalid('kind', 'one of residents, enterprises, access');
        const r = await recon.startImport(ctx, { kind, fileName, bytes, format: req.query.format });
        reply.code(202);
        return { jobId: r.jobId, importId: r.importId };
      },
    );
  });

  app.get(
    '/api/v1/recon/imports',
    { schema: { ...tags, summary: '比对数据导入记录 Imports', querystring: S.ZPageQuery, response: { 200: z.object({ items: z.array(S.ZImport), total: z.number() }), ...errorResponses } } },
    async (req) => {
      const { page, pageSize } = req.query;
      return recon.listImports(actorContextOf(req), { limit: pageSize, offset: (page - 1) * pageSize });
    },
  );

  app.get('/api/v1/recon/templates/:kind.xlsx', { schema: { ...tags, summary: '导入模板 xlsx', params: S.ZTemplateParams } }, async (req, reply) => {
    const t = await recon.template(actorContextOf(req), req.params.kind);
    return reply.type(XLSX_MIME).header('content-disposition', attachment(t.fileName)).send(t.bytes);
  });

  app.post(
    '/api/v1/alert-rules/:id/run',
    { schema: { ...tags, summary: '立即执行比对 Run a reconciliation rule now', params: ZIdParams, body: S.ZRunIn, response: { 202: S.ZRunStarted, ...errorResponses } } },
    async (req, reply) => {
      const r = await recon.startRun(actorContextOf(req), req.params.id, { asOf: req.body?.asOf ?? null });
      reply.code(202);
      return { runId: r.runId, jobId: r.jobId };
    },
  );

  app.get(
    '/api/v1/recon/runs',
    { schema: { ...tags, summary: '比对执行记录 Runs', querystring: S.ZRunQuery, response: { 200: z.object({ items: z.array(S.ZRun), total: z.number() }), ...errorResponses } } },
    async (req) => {
      const { page, pageSize, ruleId } = req.query;
      return recon.listRuns(actorContextOf(req), { ruleId }, { limit: pageSize, offset: (page - 1) * pageSize });
    },
  );

  app.get('/api/v1/recon/runs/:id', { schema: { ...tags, summary: '比对执行详情 Run', params: ZIdParams, response: { 200: S.ZRun, ...errorResponses } } }, async (req) =>
    recon.getRun(actorContextOf(req), req.params.id),
  );
}
