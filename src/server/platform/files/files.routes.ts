import rateLimit from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../db.js';
import { actorContextOf, type App } from '../http/app.js';
import { AppError } from '../http/errors.js';
import { ZErrorBody, errorResponses } from '../http/schemas.js';
import { PHOTO_MIME, storePhoto } from './files.js';

/** An upload as answered to its uploader; reports link photos by id. */
export const ZStoredFile = z.object({
  id: z.uuid(),
  mime: z.string(),
  size: z.number().int(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  sha256: z.string(),
});

const tags = ['files'];
const FIELD = 'body';
const responses = { 201: ZStoredFile, ...errorResponses, 413: ZErrorBody, 415: ZErrorBody, 429: ZErrorBody };
const description =
  `The request body is the photo itself (Content-Type image/* or application/octet-stream; the type is detected from the bytes). ` +
  `Accepted: ${PHOTO_MIME.join(', ')}. The upload stays unattached, and is deleted after a day, until a report links it by id.`;

/**
 * Photo uploads: POST /api/v1/files/photos (signed in) and POST /api/v1/public/photos
 * (residents without an account, rate-limited per IP). Raw request bodies; the parsers and
 * the rate limiter live in an encapsulated scope and touch no other route.
 */
export async function registerFileRoutes(app: App, opts: { db: Db; maxBytes: number; publicUploadsPerMinute: number }): Promise<void> {
  await app.register(async (plugin) => {
    const scoped = plugin.withTypeProvider<ZodTypeProvider>();
    // image/* (whatever subtype the client claims: the bytes decide) and application/octet-stream.
    scoped.addContentTypeParser(/^(?:image\/[\w.+-]+|application\/octet-stream)(?:;|$)/, { parseAs: 'buffer', bodyLimit: opts.maxBytes }, (_req, body, done) =>
      done(null, body),
    );
    // A limiter registered higher up already decorates the instance (and applies route configs).
    if (!scoped.hasDecorator('rateLimit')) {
      await scoped.register(rateLimit, {
        global: false,
        errorResponseBuilder: (_req, ctx) =>
          new AppError('too_many_requests', `too many uploads; retry in ${ctx.after}`, { retryAfterSeconds: Math.max(1, Math.ceil(ctx.ttl / 1000)) }),
      });
    }

    const bodyOf = (req: FastifyRequest): Buffer => {
      if (req.body === undefined || req.body === null) return Buffer.alloc(0);
      if (!Buffer.isBuffer(req.body)) throw new AppError('unsupported_media_type', 'send the photo itself as the body, Content-Type image/* or application/octet-stream');
      return req.body;
    };

    scoped.post(
      '/api/v1/files/photos',
      { bodyLimit: opts.maxBytes, schema: { tags, summary: '上传照片 Upload a photo', description, response: responses } },
      async (req, reply) => {
        const ctx = actorContextOf(req);
        const stored = await storePhoto(opts.db, bodyOf(req), { createdBy: ctx.actor.userId, maxBytes: opts.maxBytes, field: FIELD });
        reply.code(201);
        return stored;
      },
    );

    scoped.post(
      '/api/v1/public/photos',
      {
        bodyLimit: opts.maxBytes,
        config: { rateLimit: { max: opts.publicUploadsPerMinute, timeWindow: '1 minute' } },
        schema: { tags, summary: '居民上传照片 Upload a photo without an account', description, security: [], response: responses },
      },
      async (req, reply) => {
        const stored = await storePhoto(opts.db, bodyOf(req), { createdBy: null, maxBytes: opts.maxBytes, field: FIELD });
        reply.code(201);
        return stored;
      },
    );
  });
}
