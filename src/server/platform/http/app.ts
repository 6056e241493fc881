import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { AppError, ERROR_STATUS } from './errors.js';
import type { Actor, ActorContext, RequestContext } from './context.js';
import { createMetrics } from './metrics.js';

export const SESSION_COOKIE = 'zhian_session';
export const CSRF_HEADER = 'x-csrf-token';

export type App = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

/** Resolves credentials to an actor; provided by the core module. */
export interface Authenticator {
  resolve(by: { sessionToken: string } | { bearer: string }): Promise<{ actor: Actor; csrfToken: string | null } | undefined>;
}

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
    csrfToken: string | null;
    sessionToken: string | null;
  }
}

export interface AppOptions {
  logger: Logger | false;
  bodyLimit: number;
  trustProxy: boolean;
  authenticator: Authenticator;
  /** Whether the database answers; for /readyz. */
  ready: () => Promise<boolean>;
  /** Built console to serve at '/', if present. */
  webRoot?: string;
}

/** The request's context for services. */
export function contextOf(req: FastifyRequest): RequestContext {
  return { actor: req.actor, ip: req.ip, requestId: req.id };
}

/** The request's context, requiring a signed-in actor (401 otherwise). */
export function actorContextOf(req: FastifyRequest): ActorContext {
  if (!req.actor) throw new AppError('unauthenticated', 'sign in first');
  return { actor: req.actor, ip: req.ip, requestId: req.id };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const LOGIN_PATH = '/api/v1/auth/login';

/**
 * The HTTP server of the platform, without business routes: ids, logs, errors, auth,
 * CSRF, OpenAPI, metrics, health, the console's static files.
 */
export async function createApp(opts: AppOptions): Promise<App> {
  const app = Fastify({
    loggerInstance: opts.logger || undefined,
    logger: opts.logger ? undefined : false,
    bodyLimit: opts.bodyLimit,
    trustProxy: opts.trustProxy,
    requestIdHeader: 'x-request-id',
    genReqId: () => crypto.randomUUID(),
    ajv: undefined,
  } as any).withTypeProvider<ZodTypeProvider>() as unknown as App;

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.decorateRequest('actor', null);
  app.decorateRequest('csrfToken', null);
  app.decorateRequest('sessionToken', null);

  await app.register(cookie);

  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });

  app.setErrorHandler((err: FastifyError | AppError | Error, req, reply) => sendError(err, req, reply));
  app.setNotFoundHandler((req, reply) => {
    if (opts.webRoot && req.method === 'GET' && !isApiPath(req.url) && fs.existsSync(path.join(opts.webRoot, 'index.html'))) {
      return reply.type('text/html').sendFile('index.html');
    }
    return sendError(new AppError('not_found', `no route ${req.method} ${req.url.split('?')[0]}`), req, reply);
  });

  // Authentication: session cookie or bearer token; CSRF for cookie-authenticated writes.
  app.addHook('onRequest', async (req) => {
    // Static files of the console and probes need no identity: spare them the lookup.
    if (!isApiPath(req.url) || /^\/(healthz|readyz|metrics)/.test(req.url)) return;
    // Residents' pages act without an account: a staff session in the same browser plays no part.
    if (req.url.startsWith('/api/v1/public/')) return;
    const header = req.headers.authorization;
    if (header?.startsWith('Bearer ')) {
      const resolved = await opts.authenticator.resolve({ bearer: header.slice(7).trim() });
      if (!resolved) throw new AppError('unauthenticated', 'invalid or revoked API token');
      req.actor = resolved.actor;
      return;
    }
    const token = req.cookies[SESSION_COOKIE];
    if (!token) return;
    const resolved = await opts.authenticator.resolve({ sessionToken: token });
    if (!resolved) return;
    req.actor = resolved.actor;
    req.csrfToken = resolved.csrfToken;
    req.sessionToken = token;
    // Signing in again over a live session needs no token (SameSite=Strict guards login CSRF).
    if (!SAFE_METHODS.has(req.method) && req.url.split('?')[0] !== LOGIN_PATH) {
      const sent = req.headers[CSRF_HEADER];
      const expected = resolved.csrfToken ?? '';
      if (typeof sent !== 'string' || !timingSafeEqual(sent, expected)) {
        throw new AppError('csrf_failed', `missing or wrong ${CSRF_HEADER} header`);
      }
    }
  });

  const metrics = createMetrics();
  app.addHook('onResponse', async (req, reply) => {
    metrics.observe(req.method, req.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.type(metrics.contentType);
    return metrics.render();
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    if (await opts.ready()) return { status: 'ok' };
    reply.code(503);
    return { status: 'unavailable' };
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Zhian 智安 API', version: '1', description: '智安 — 基层治理与公共安全开放平台 REST API' },
      components: {
        securitySchemes: {
          cookieAuth: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
          bearerAuth: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{ cookieAuth: [] }, { bearerAuth: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  if (opts.webRoot && fs.existsSync(opts.webRoot)) {
    await app.register(fastifyStatic, { root: opts.webRoot, prefix: '/', wildcard: false, index: ['index.html'] });
  }
  return app;
}

function isApiPath(url: string): boolean {
  return /^\/(api|open311|ngsi-ld|metrics|healthz|readyz)(\/|$|\?)/.test(url);
}

function timingSafeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && crypto.timingSafeEqual(ba, bb);
}

/** One error shape for the whole API: {"error":{"code","message","details","requestId"}}. */
function sendError(err: unknown, req: FastifyRequest, reply: FastifyReply) {
  let status = 500;
  let code: string = 'internal';
  let message = 'internal error';
  let details: unknown = undefined;
  if (err instanceof AppError) {
    status = err.status;
    code = err.code;
    message = err.message;
    details = err.details;
  } else if (hasZodFastifySchemaValidationErrors(err)) {
    status = 400;
    code = 'validation_failed';
    const where = (err as any).validationContext as string | undefined;
    const problems = err.validation.map((v) => ({
      field: fieldName(v.instancePath, v.params),
      message: v.message ?? 'is invalid',
      ...(where ? { in: where } : {}),
    }));
    details = problems;
    message = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  } else if (isFastifyError(err) && err.statusCode && err.statusCode < 500) {
    status = err.statusCode;
    const byStatus = Object.entries(ERROR_STATUS).find(([, s]) => s === status)?.[0];
    code = status === 400 ? 'bad_request' : (byStatus ?? 'bad_request');
    message = err.message;
  } else {
    req.log.error({ err }, 'unhandled error');
  }
  if (status === 429 && details && typeof details === 'object' && 'retryAfterSeconds' in details) {
    reply.header('retry-after', String((details as { retryAfterSeconds: number }).retryAfterSeconds));
  }
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send({ error: { code, message, ...(details !== undefined ? { details } : {}), requestId: req.id } });
}

function fieldName(instancePath: string | undefined, params: unknown): string {
  const fromPath = (instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
  if (fromPath) return fromPath;
  const missing = (params as { missingProperty?: string } | undefined)?.missingProperty;
  return missing ?? '(body)';
}

function isFastifyError(e: unknown): e is FastifyError {
  return typeof e === 'object' && e !== null && 'statusCode' in e;
}
