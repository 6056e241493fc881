import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino, { type Logger } from 'pino';
import { z } from 'zod';
import type { Config } from './config.js';
import type { Database } from './db.js';
import { openDatabase, ping, type DatabaseHandle } from './platform/db/database.js';
import { migrate } from './platform/db/migrate.js';
import { createApp, actorContextOf, type App } from './platform/http/app.js';
import { createJobs } from './platform/jobs/jobs.js';
import { createAuthService, createCoreService, deleteExpiredSessions, registerCoreRoutes } from './modules/core/index.js';
import { createGeoService, registerGeoRoutes } from './modules/geo/index.js';
import { seedDemo } from './modules/demo/index.js';

export const ROOT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MIGRATIONS_DIR = path.join(ROOT_DIR, 'migrations');
export const WEB_ROOT = path.join(ROOT_DIR, 'dist/web');

export interface Zhian {
  app: App;
  handle: DatabaseHandle<Database>;
  services: ReturnType<typeof createServices>;
  close(): Promise<void>;
}

/** The services of every module, wired together. */
export function createServices(handle: DatabaseHandle<Database>, config: Config) {
  const db = handle.db;
  const jobs = createJobs(db);
  const geo = createGeoService(db, jobs);
  const auth = createAuthService(
    db,
    { sessionTtlHours: config.SESSION_TTL_HOURS, loginMaxFailures: config.LOGIN_MAX_FAILURES, loginWindowMinutes: config.LOGIN_WINDOW_MINUTES },
    (userId) => geo.gridIdsOf(userId),
  );
  const core = createCoreService(db, geo.gridLinks);
  return { db, jobs, geo, auth, core };
}

export function createLogger(config: Config): Logger {
  return pino({ level: config.LOG_LEVEL, base: { service: 'zhian' }, timestamp: pino.stdTimeFunctions.isoTime });
}

/**
 * Opens the database, migrates, seeds the demo district when enabled, and builds the HTTP
 * app with every module's routes — without listening.
 */
export async function buildZhian(config: Config, opts: { logger?: Logger | false; handle?: DatabaseHandle<Database>; seed?: boolean } = {}): Promise<Zhian> {
  const logger = opts.logger === undefined ? createLogger(config) : opts.logger;
  const handle =
    opts.handle ?? (await openDatabase<Database>({ databaseUrl: config.DATABASE_URL, dataDir: config.dataDir, poolSize: config.DATABASE_POOL_SIZE }));
  const applied = await migrate(handle, MIGRATIONS_DIR);
  if (applied.length && logger) logger.info({ applied }, 'migrations applied');
  if ((opts.seed ?? true) && config.demoEnabled) {
    const seeded = await seedDemo(handle, { scale: config.ZHIAN_DEMO_SCALE, log: logger ? (m) => logger.info(m) : undefined });
    if (seeded && logger) logger.info(seeded, 'demo district seeded');
  }
  const services = createServices(handle, config);
  await services.jobs.failOrphans();
  await deleteExpiredSessions(handle.db);
  const app = await createApp({
    logger: logger,
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
    authenticator: services.auth,
    ready: () => ping(handle.db),
    webRoot: WEB_ROOT,
  });
  registerCoreRoutes(app, { auth: services.auth, core: services.core, cookieSecure: config.COOKIE_SECURE });
  registerGeoRoutes(app, { geo: services.geo, uploadLimit: config.UPLOAD_LIMIT_BYTES });
  registerPlatformRoutes(app, services, config);
  await app.ready();
  return {
    app,
    handle,
    services,
    async close() {
      await app.close();
      await handle.close();
    },
  };
}

/** Routes that combine modules: the overview counts and the map configuration. */
function registerPlatformRoutes(app: App, s: ReturnType<typeof createServices>, config: Config) {
  app.get(
    '/api/v1/stats/overview',
    {
      schema: {
        tags: ['stats'],
        summary: '总览统计 Overview counts',
        response: {
          200: z.object({
            streets: z.number(),
            communities: z.number(),
            departments: z.number(),
            grids: z.number(),
            addresses: z.number(),
            users: z.number(),
            gridsByStreet: z.array(z.object({ streetId: z.string(), street: z.string(), count: z.number() })),
          }),
        },
      },
    },
    async (req) => {
      const ctx = actorContextOf(req);
      const [orgs, geo, users] = await Promise.all([s.core.orgCounts(ctx), s.geo.stats(ctx), s.core.countUsers(ctx)]);
      return {
        streets: orgs.street ?? 0,
        communities: orgs.community ?? 0,
        departments: (orgs.department ?? 0) + (orgs.agency ?? 0),
        grids: geo.grids,
        addresses: geo.addresses,
        users,
        gridsByStreet: geo.gridsByStreet,
      };
    },
  );
  app.get('/api/v1/map/config', { schema: { tags: ['stats'], summary: '地图配置 Map configuration' } }, async (req) => {
    const bounds = (await s.geo.extent(actorContextOf(req))) ?? [120.45, 30.3, 120.85, 30.55];
    return {
      tileUrl: config.MAP_TILE_URL ?? null,
      tileCoordSystem: config.MAP_TILE_COORD_SYSTEM,
      center: [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2],
      zoom: 10.5,
      bounds,
    };
  });
}

/** Starts the server and installs graceful shutdown on SIGTERM/SIGINT. */
export async function startZhian(config: Config): Promise<Zhian> {
  const zhian = await buildZhian(config);
  await zhian.app.listen({ port: config.PORT, host: config.HOST });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    zhian.app.log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => process.exit(1), 15_000);
    timer.unref();
    try {
      await zhian.close();
      process.exit(0);
    } catch (err) {
      zhian.app.log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  return zhian;
}
