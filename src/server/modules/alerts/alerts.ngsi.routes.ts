import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../platform/http/app.js';
import { AppError } from '../../platform/http/errors.js';
import type { IngestService } from './alerts.ingest.js';
import { NgsiError, parseObservation, problemDetails } from './alerts.ngsi.js';
import * as repo from './alerts.repository.js';
import type { Db } from '../../db.js';

const BASE = '/ngsi-ld/v1';
const ERR = 'https://uri.etsi.org/ngsi-ld/errors/';
const MAX_BATCH = 1000;

type Caller = { deviceCode: string } | { scopePath: string };

/**
 * NGSI-LD (ETSI GS CIM 009) ingest of Smart Data Models observations: create an entity and
 * batch upsert. Errors are ProblemDetails as the spec has them, not the platform's format.
 * A device authenticates with its own code and secret (HTTP Basic) and may write only its own
 * observations; a gateway or staff token with device.ingest writes for devices in its scope.
 */
export async function registerNgsiRoutes(app: App, deps: { db: Db; ingest: IngestService; verifyDevice: (code: string, secret: string) => Promise<{ id: string; code: string } | null> }) {
  const { ingest } = deps;

  await app.register(async (scope) => {
    scope.addContentTypeParser('application/ld+json', { parseAs: 'string' }, (_req, body, done) => {
      try {
        done(null, JSON.parse(body as string));
      } catch {
        done(new NgsiError(400, `${ERR}InvalidRequest`, 'Invalid request', 'the body is not valid JSON'), undefined);
      }
    });
    scope.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
      if (err instanceof NgsiError) return sendProblem(reply, err, req.url);
      if (err instanceof AppError) {
        const type = err.status === 401 ? 'about:blank' : err.status === 404 ? `${ERR}ResourceNotFound` : err.status === 409 ? `${ERR}AlreadyExists` : `${ERR}BadRequestData`;
        return sendProblem(reply, new NgsiError(err.status, type, err.status === 401 ? 'Unauthorized' : 'Request failed', err.message), req.url);
      }
      if (err.statusCode && err.statusCode < 500) return sendProblem(reply, new NgsiError(err.statusCode, `${ERR}InvalidRequest`, 'Invalid request', err.message), req.url);
      req.log.error({ err }, 'ngsi-ld request failed');
      return sendProblem(reply, new NgsiError(500, `${ERR}InternalError`, 'Internal error', `request ${req.id} failed`), req.url);
    });

    scope.post(`${BASE}/entities`, { schema: { tags: ['ngsi-ld'], summary: 'NGSI-LD: create an observation entity' } }, async (req, reply) => {
      const caller = await callerOf(req);
      const entity = req.body;
      if (!entity || typeof entity !== 'object' || Array.isArray(entity)) throw new NgsiError(400, `${ERR}InvalidRequest`, 'Invalid request', 'the body must be one entity (a JSON object)');
      const obs = parseObservation(entity, { now: new Date() });
      const device = await deviceFor(caller, obs.deviceCode, obs.entityId);
      if (await repo.hasNgsiReadings(deps.db, device.id)) throw new NgsiError(409, `${ERR}AlreadyExists`, 'Already exists', `entity ${obs.entityId} already exists; use entityOperations/upsert or PATCH its attributes`);
      await ingest.ingest(device, { observedAt: obs.observedAt, values: obs.values }, 'ngsi-ld');
      return reply.code(201).header('location', `${BASE}/entities/${encodeURIComponent(obs.entityId)}`).send();
    });

    scope.post(`${BASE}/entityOperations/upsert`, { schema: { tags: ['ngsi-ld'], summary: 'NGSI-LD: batch upsert of observation entities' } }, async (req, reply) => {
      const caller = await callerOf(req);
      const body = req.body;
      if (!Array.isArray(body)) throw new NgsiError(400, `${ERR}InvalidRequest`, 'Invalid request', 'the body must be an array of entities');
      if (!body.length) throw new NgsiError(400, `${ERR}InvalidRequest`, 'Invalid request', 'the array of entities is empty');
      if (body.length > MAX_BATCH) throw new NgsiError(400, `${ERR}BadRequestData`, 'Too many entities', `at most ${MAX_BATCH} entities per batch`);
      const created: string[] = [];
      const success: string[] = [];
      const errors: { entityId: string; error: ReturnType<typeof problemDetails> }[] = [];
      for (const entity of body) {
        const entityId = typeof (entity as { id?: unknown })?.id === 'string' ? (entity as { id: string }).id : '';
        try {
          const obs = parseObservation(entity, { now: new Date() });
          const device = await deviceFor(caller, obs.deviceCode, obs.entityId);
          const existed = await repo.hasNgsiReadings(deps.db, device.id);
          await ingest.ingest(device, { observedAt: obs.observedAt, values: obs.values }, 'ngsi-ld');
          success.push(obs.entityId);
          if (!existed) created.push(obs.entityId);
        } catch (err) {
          const e = err instanceof NgsiError ? err : err instanceof AppError ? new NgsiError(err.status, `${ERR}BadRequestData`, 'Bad request data', err.message) : null;
          if (!e) throw err;
          errors.push({ entityId, error: problemDetails(e) });
        }
      }
      if (errors.length) return reply.code(207).type('application/json').send({ success, errors });
      if (created.length) return reply.code(201).type('application/json').send(created);
      return reply.code(204).send();
    });

    scope.get(`${BASE}/entities/:id`, { schema: { tags: ['ngsi-ld'], summary: 'NGSI-LD: the latest observation of a device' } }, async (req) => {
      const caller = await callerOf(req);
      const id = (req.params as { id: string }).id;
      const code = id.split(':').pop() ?? '';
      const device = await deviceFor(caller, code, id);
      const last = await repo.latestReading(deps.db, device.id);
      if (!last) throw new NgsiError(404, `${ERR}ResourceNotFound`, 'Not found', `entity ${id} not found`);
      const type = device.type === 'water_meter' ? 'WaterConsumptionObserved' : 'WaterQualityObserved';
      const observedAt = new Date(last.observed_at).toISOString();
      const entity: Record<string, unknown> = {
        id,
        type,
        dateObserved: { type: 'Property', value: { '@type': 'DateTime', '@value': observedAt } },
        refDevice: { type: 'Relationship', object: `urn:ngsi-ld:Device:${device.code}` },
      };
      if (device.lng !== null && device.lat !== null) entity.location = { type: 'GeoProperty', value: { type: 'Point', coordinates: [device.lng, device.lat] } };
      for (const [k, v] of Object.entries(last.values as Record<string, number>)) entity[k] = { type: 'Property', value: v, observedAt };
      return entity;
    });
  });

  function sendProblem(reply: FastifyReply, e: NgsiError, instance: string) {
    return reply.code(e.status).type('application/json').send(problemDetails(e, instance.split('?')[0]));
  }

  async function callerOf(req: FastifyRequest): Promise<Caller> {
    const h = req.headers.authorization;
    if (h?.startsWith('Basic ')) {
      const s = Buffer.from(h.slice(6), 'base64').toString('utf8');
      const i = s.indexOf(':');
      const dev = i > 0 ? await deps.verifyDevice(s.slice(0, i), s.slice(i + 1)) : null;
      if (!dev) throw new AppError('unauthenticated', 'wrong device code or secret');
      return { deviceCode: dev.code };
    }
    const actor = req.actor;
    if (!actor) throw new AppError('unauthenticated', 'a device secret (HTTP Basic) or a bearer token is required');
    if (!actor.permissions.has('device.ingest') && !actor.permissions.has('alert.configure')) throw new AppError('not_found', 'no such resource');
    return { scopePath: actor.scopePath };
  }

  async function deviceFor(caller: Caller, code: string, entityId: string) {
    const d = await ingest.deviceByCode(code);
    const allowed = d && ('deviceCode' in caller ? caller.deviceCode === d.code : d.area_path.startsWith(caller.scopePath));
    if (!d || !allowed) throw new NgsiError(404, `${ERR}ResourceNotFound`, 'Not found', `no device ${code} for entity ${entityId}`);
    return d;
  }
}
