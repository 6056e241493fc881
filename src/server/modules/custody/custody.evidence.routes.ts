import fs from 'node:fs';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { actorContextOf, contextOf, type App } from '../../platform/http/app.js';
import { ZIdParams, errorResponses } from '../../platform/http/schemas.js';
import { attachment } from '../../platform/http/xlsx.js';
import { registerTusUploads, type TusUploads } from '../../platform/uploads/tus.js';
import type { EvidenceService, FileSlice } from './custody.evidence.js';

const tags = { tags: ['custody'] };
const any = { 200: z.any(), 201: z.any(), 204: z.any(), ...errorResponses };
export const EVIDENCE_UPLOAD_PATH = '/api/v1/custody/uploads';

/** Streams a file or a byte range of it (206), so videos seek without loading whole files. */
function sendSlice(reply: FastifyReply, f: FileSlice, opts: { download: boolean }) {
  reply
    .type(f.mime)
    .header('accept-ranges', 'bytes')
    .header('content-length', String(f.end - f.start + 1))
    .header('cache-control', 'private, no-store')
    .header('x-content-type-options', 'nosniff');
  if (opts.download) reply.header('content-disposition', attachment(f.filename));
  if (f.partial) reply.code(206).header('content-range', `bytes ${f.start}-${f.end}/${f.size}`);
  return reply.send(fs.createReadStream(f.path, { start: f.start, end: f.end }));
}

/** Evidence uploads (tus), downloads, sharing, and remote display sessions with their public page. */
export async function registerEvidenceRoutes(app: App, deps: { evidence: EvidenceService; uploadDir: string; maxSize: number }): Promise<TusUploads> {
  const { evidence } = deps;
  const tus = await registerTusUploads(app, { path: EVIDENCE_UPLOAD_PATH, directory: deps.uploadDir, maxSize: deps.maxSize, hooks: evidence.tusHooks });

  app.get('/api/v1/custody/items/:id/evidence', { schema: { ...tags, summary: '电子证据列表 Evidence files of an item', params: ZIdParams, response: any } }, async (req) => evidence.listOfItem(actorContextOf(req), req.params.id));
  app.get('/api/v1/custody/evidence/shared', { schema: { ...tags, summary: '共享给本单位的电子证据 Evidence shared with my agency', response: any } }, async (req) => evidence.sharedWithMe(actorContextOf(req)));
  app.get('/api/v1/custody/evidence/:id/download', { schema: { ...tags, summary: '下载电子证据（审计）Download, audited', params: ZIdParams } }, async (req, reply) =>
    sendSlice(reply, await evidence.download(actorContextOf(req), req.params.id, req.headers.range), { download: true }),
  );
  app.post(
    '/api/v1/custody/evidence/:id/shares',
    { schema: { ...tags, summary: '共享给其他单位（限期）Share with an agency until a time', params: ZIdParams, body: z.object({ orgId: z.uuid(), expiresAt: z.string() }), response: any } },
    async (req, reply) => {
      const r = await evidence.share(actorContextOf(req), req.params.id, req.body);
      reply.code(201);
      return r;
    },
  );

  app.post(
    '/api/v1/custody/displays',
    { schema: { ...tags, summary: '创建远程示证链接 Create a display session', body: z.object({ title: z.string().max(100), viewerName: z.string().max(60), itemIds: z.array(z.string()).min(1).max(50), expiresAt: z.string() }), response: any } },
    async (req, reply) => {
      const r = await evidence.createDisplay(actorContextOf(req), req.body);
      reply.code(201);
      return r;
    },
  );
  app.get('/api/v1/custody/displays', { schema: { ...tags, summary: '远程示证链接 Display sessions', response: any } }, async (req) => evidence.listDisplays(actorContextOf(req)));
  app.post('/api/v1/custody/displays/:id/revoke', { schema: { ...tags, summary: '撤销链接 Revoke', params: ZIdParams, response: any } }, async (req, reply) => {
    await evidence.revokeDisplay(actorContextOf(req), req.params.id);
    reply.code(204);
  });

  // The viewer has no account: the link's token is the credential, every view audited.
  const ZToken = z.object({ token: z.string().min(20).max(100) });
  app.get('/api/v1/public/custody-display/:token', { schema: { tags: ['public'], security: [], summary: '远程示证（只读）Display page', params: ZToken, response: any } }, async (req, reply) => {
    reply.header('cache-control', 'no-store');
    return evidence.viewDisplay(contextOf(req), req.params.token);
  });
  app.get('/api/v1/public/custody-display/:token/photos/:fileId', { schema: { tags: ['public'], security: [], params: ZToken.extend({ fileId: z.uuid() }) } }, async (req, reply) => {
    const jpeg = await evidence.displayPhoto(contextOf(req), req.params.token, req.params.fileId);
    return reply.type('image/jpeg').header('cache-control', 'no-store').send(jpeg);
  });
  app.get('/api/v1/public/custody-display/:token/evidence/:evidenceId', { schema: { tags: ['public'], security: [], params: ZToken.extend({ evidenceId: z.uuid() }) } }, async (req, reply) =>
    sendSlice(reply, await evidence.displayEvidence(contextOf(req), req.params.token, req.params.evidenceId, req.headers.range), { download: false }),
  );
  return tus;
}
