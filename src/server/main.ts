import fs from 'node:fs';
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
import { registerFileRoutes } from './platform/files/files.routes.js';
import { createAuthService, createCoreService, deleteExpiredSessions, registerCoreRoutes } from './modules/core/index.js';
import { createGeoService, registerGeoRoutes } from './modules/geo/index.js';
import { DEMO_DISTRICT_CODE, seedDemo } from './modules/demo/index.js';
import { createReportsService, createReportSettings, ensureReportDefaults, registerReportRoutes, seedDemoReports } from './modules/reports/index.js';
import { createReportClassifier, DEFAULT_TRIAGE_THRESHOLD } from './modules/reports/classifier/index.js';
import { DEPT_TYPE_NAMES, type DeptType } from './modules/core/index.js';
import { createEventBus, createInbox } from './platform/events/events.js';
import { registerEventRoutes } from './platform/events/events.routes.js';
import { createWebhookService, webhookTimerHandlers } from './platform/events/webhooks.js';
import { registerWebhookRoutes } from './platform/events/webhooks.routes.js';
import { createOpen311Port } from './modules/reports/reports.open311.js';
import { registerOpen311Routes } from './modules/reports/open311/open311.routes.js';
import { createTimerRunner, pendingTimers, scheduleTimer, type TimerRow, type TimerRunner } from './platform/jobs/timers.js';
import { deleteUnattachedFiles } from './platform/files/files.js';
import { startMqttIngest, type MqttIngest } from './platform/mqtt/mqtt.js';
import { createIngestService, createRulesService, createWarningsService, mqttReadingHandler, READINGS_TOPIC, registerAlertRoutes, registerNgsiRoutes } from './modules/alerts/index.js';
import { createDevicesService, deleteOldReadings, registerDeviceRoutes } from './modules/alerts/alerts.devices.js';
import { createReconService, reconTimerHandlers } from './modules/alerts/alerts.recon.js';
import { registerReconRoutes } from './modules/alerts/alerts.recon.routes.js';
import { seedDemoAlerts } from './modules/alerts/alerts.demo.js';
import { seedDemoWarnings } from './modules/alerts/alerts.demo-warnings.js';
import { seedDemoCustody } from './modules/custody/custody.demo.js';
import { createCustodyService, createEvidenceService, loadSigningKey, registerCustodyRoutes, registerEvidenceRoutes, sealCheckpoints } from './modules/custody/index.js';
import { cleanupExpired } from './platform/uploads/tus.js';

export const ROOT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MIGRATIONS_DIR = path.join(ROOT_DIR, 'migrations');
export const WEB_ROOT = path.join(ROOT_DIR, 'dist/web');
/** Advisory lock key of start-up work that must happen once across instances. */
const SEED_TIMERS_LOCK = 7_310_002;

export interface Zhian {
  app: App;
  handle: DatabaseHandle<Database>;
  services: ReturnType<typeof createServices>;
  timers: TimerRunner;
  /** The MQTT ingest (embedded broker or subscription to MQTT_URL); null when not started. */
  mqtt: MqttIngest | null;
  close(): Promise<void>;
}

/** The services of every module, wired together. */
export function createServices(handle: DatabaseHandle<Database>, config: Config, logger: Logger | false = false) {
  const db = handle.db;
  const jobs = createJobs(db);
  const geo = createGeoService(db, jobs);
  const auth = createAuthService(
    db,
    { sessionTtlHours: config.SESSION_TTL_HOURS, loginMaxFailures: config.LOGIN_MAX_FAILURES, loginWindowMinutes: config.LOGIN_WINDOW_MINUTES },
    (userId) => geo.gridIdsOf(userId),
  );
  const core = createCoreService(db, geo.gridLinks);
  const reports = createReportsService({
    db,
    geo,
    classifier: classifier(),
    options: { triageThreshold: config.REPORT_TRIAGE_THRESHOLD ?? DEFAULT_TRIAGE_THRESHOLD, duplicateMetres: 250, duplicateHours: 72, maxReopens: 2 },
    deptTypeLabel: (t) => DEPT_TYPE_NAMES[t as DeptType] ?? t,
  });
  const reportSettings = createReportSettings(db, reports.invalidateSettings);
  const inbox = createInbox(db);
  const warnings = createWarningsService({ db, reports, log: logger ? (obj: object, msg: string) => logger.warn(obj, msg) : undefined });
  const onRaised = (ids: string[]) => warnings.ensureTasks(ids);
  const ingest = createIngestService({ db, onRaised });
  const devices = createDevicesService({ db, geo });
  const recon = createReconService({ db, jobs, geo, personKeySecret: config.PERSON_KEY_SECRET, onRaised, log: logger ? (obj: object, msg: string) => logger.warn(obj, msg) : undefined });
  const rules = createRulesService({
    db,
    jobs,
    onChanged: async (ruleId) => {
      ingest.invalidateRules();
      await recon.ensureSchedules(ruleId);
    },
    previewRecon: recon.preview,
  });
  const custody = createCustodyService({ db, confirmer: auth, log: logger ? (obj: object, msg: string) => logger.warn(obj, msg) : undefined });
  const signingKey = loadSigningKey(config.CUSTODY_SIGNING_KEY, config.dataDir);
  const evidence = createEvidenceService({ db, custody, dir: evidenceDir(config) });
  return { db, jobs, geo, auth, core, reports, reportSettings, inbox, warnings, ingest, devices, recon, rules, custody, signingKey, evidence };
}

/** Where evidence files live; unfinished tus uploads sit in its .uploads directory. */
export function evidenceDir(config: Config): string {
  return config.EVIDENCE_DIR ? path.resolve(config.EVIDENCE_DIR) : path.join(config.dataDir, 'evidence');
}

let trainedClassifier: ReturnType<typeof createReportClassifier> | null = null;
/** The text classifier, trained once per process on the labelled reports (a few hundred ms). */
function classifier() {
  trainedClassifier ??= createReportClassifier();
  return trainedClassifier;
}

const FILE_CLEANUP = 'files.cleanup';
const FILE_CLEANUP_SUBJECT = '00000000-0000-0000-0000-00000000f11e';
/** Each minute: silences, households without water use, tasks of warnings left uncreated. */
const ALERTS_SWEEP = 'alerts.sweep';
const ALERTS_SWEEP_SUBJECT = '00000000-0000-0000-0000-0000000a1e75';
/** Each day: readings past the retention period are deleted. */
const READINGS_RETENTION = 'alerts.retention';
const READINGS_RETENTION_SUBJECT = '00000000-0000-0000-0000-0000000a1e76';
/** Every 10 minutes: custody deadline warnings (loans overdue, items unreleased or undisposed, transfers unaccepted). */
const CUSTODY_SWEEP = 'custody.sweep';
const CUSTODY_SWEEP_SUBJECT = '00000000-0000-0000-0000-0000000c0571';
/** Every CUSTODY_CHECKPOINT_MINUTES: the moved chain heads are sealed into a signed checkpoint. */
const CUSTODY_CHECKPOINT = 'custody.checkpoint';
const CUSTODY_CHECKPOINT_SUBJECT = '00000000-0000-0000-0000-0000000c0572';

/** The kinds of durable timers and what each does when due. */
function timerHandlers(s: ReturnType<typeof createServices>, config: Config) {
  return {
    ...s.reports.timerHandlers,
    ...reconTimerHandlers(s.recon),
    // The sweep reads and writes in transactions of its own, after the claim commits.
    [ALERTS_SWEEP]: async (tx: Parameters<typeof deleteUnattachedFiles>[0], t: TimerRow) => {
      await scheduleTimer(tx, { kind: ALERTS_SWEEP, subjectId: ALERTS_SWEEP_SUBJECT, dueAt: new Date(Math.max(t.dueAt.getTime(), Date.now()) + 60_000) });
      return async () => {
        await s.ingest.sweep();
        await s.warnings.sweepUntasked();
      };
    },
    [READINGS_RETENTION]: async (tx: Parameters<typeof deleteUnattachedFiles>[0], t: TimerRow) => {
      await scheduleTimer(tx, { kind: READINGS_RETENTION, subjectId: READINGS_RETENTION_SUBJECT, dueAt: new Date(Math.max(t.dueAt.getTime(), Date.now()) + 86_400_000) });
      return async () => {
        await deleteOldReadings(s.db, new Date(Date.now() - config.READING_RETENTION_DAYS * 86_400_000));
      };
    },
    [CUSTODY_SWEEP]: async (tx: Parameters<typeof deleteUnattachedFiles>[0], t: TimerRow) => {
      await scheduleTimer(tx, { kind: CUSTODY_SWEEP, subjectId: CUSTODY_SWEEP_SUBJECT, dueAt: new Date(Math.max(t.dueAt.getTime(), Date.now()) + 600_000) });
      return async () => {
        await s.custody.sweep();
        // Evidence uploads abandoned for a week: their partial bytes go.
        await cleanupExpired(path.join(evidenceDir(config), '.uploads'), 7 * 86_400_000);
      };
    },
    [CUSTODY_CHECKPOINT]: async (tx: Parameters<typeof deleteUnattachedFiles>[0], t: TimerRow) => {
      await scheduleTimer(tx, { kind: CUSTODY_CHECKPOINT, subjectId: CUSTODY_CHECKPOINT_SUBJECT, dueAt: new Date(Math.max(t.dueAt.getTime(), Date.now()) + config.CUSTODY_CHECKPOINT_MINUTES * 60_000) });
      return async () => {
        await sealCheckpoints(s.db, s.signingKey);
      };
    },
    ...webhookTimerHandlers(s.db),
    // Photos uploaded but never attached to a report are removed after a day; then again in an hour.
    [FILE_CLEANUP]: async (tx: Parameters<typeof deleteUnattachedFiles>[0], t: TimerRow) => {
      await deleteUnattachedFiles(tx, new Date(Date.now() - 24 * 3600_000));
      const next = Math.max(t.dueAt.getTime(), Date.now()) + 3600_000;
      await scheduleTimer(tx, { kind: FILE_CLEANUP, subjectId: FILE_CLEANUP_SUBJECT, dueAt: new Date(next) });
    },
  };
}

export function createLogger(config: Config): Logger {
  return pino({ level: config.LOG_LEVEL, base: { service: 'zhian' }, timestamp: pino.stdTimeFunctions.isoTime });
}

/**
 * Opens the database, migrates, seeds the demo district when enabled, and builds the HTTP
 * app with every module's routes — without listening.
 */
export async function buildZhian(
  config: Config,
  opts: {
    logger?: Logger | false;
    handle?: DatabaseHandle<Database>;
    seed?: boolean;
    /** Run the timer poller (tests tick by hand). */
    timers?: boolean;
    /** Start the MQTT ingest (tests that need it say so). */
    mqtt?: boolean;
  } = {},
): Promise<Zhian> {
  const logger = opts.logger === undefined ? createLogger(config) : opts.logger;
  const handle =
    opts.handle ?? (await openDatabase<Database>({ databaseUrl: config.DATABASE_URL, dataDir: config.dataDir, poolSize: config.DATABASE_POOL_SIZE }));
  const applied = await migrate(handle, MIGRATIONS_DIR);
  if (applied.length && logger) logger.info({ applied }, 'migrations applied');
  if ((opts.seed ?? true) && config.demoEnabled) {
    const seeded = await seedDemo(handle, { scale: config.ZHIAN_DEMO_SCALE, log: logger ? (m) => logger.info(m) : undefined });
    if (seeded && logger) logger.info(seeded, 'demo district seeded');
  }
  await ensureReportDefaults(handle.db);
  await handle.withExclusiveLock(SEED_TIMERS_LOCK, async () => {
    if (!(await pendingTimers(handle.db, FILE_CLEANUP_SUBJECT)).length) {
      await scheduleTimer(handle.db, { kind: FILE_CLEANUP, subjectId: FILE_CLEANUP_SUBJECT, dueAt: new Date(Date.now() + 3600_000) });
    }
    if (!(await pendingTimers(handle.db, ALERTS_SWEEP_SUBJECT)).length) {
      await scheduleTimer(handle.db, { kind: ALERTS_SWEEP, subjectId: ALERTS_SWEEP_SUBJECT, dueAt: new Date(Date.now() + 60_000) });
    }
    if (!(await pendingTimers(handle.db, READINGS_RETENTION_SUBJECT)).length) {
      await scheduleTimer(handle.db, { kind: READINGS_RETENTION, subjectId: READINGS_RETENTION_SUBJECT, dueAt: new Date(Date.now() + 3600_000) });
    }
    if (!(await pendingTimers(handle.db, CUSTODY_SWEEP_SUBJECT)).length) {
      await scheduleTimer(handle.db, { kind: CUSTODY_SWEEP, subjectId: CUSTODY_SWEEP_SUBJECT, dueAt: new Date(Date.now() + 600_000) });
    }
    if (!(await pendingTimers(handle.db, CUSTODY_CHECKPOINT_SUBJECT)).length) {
      await scheduleTimer(handle.db, { kind: CUSTODY_CHECKPOINT, subjectId: CUSTODY_CHECKPOINT_SUBJECT, dueAt: new Date(Date.now() + config.CUSTODY_CHECKPOINT_MINUTES * 60_000) });
    }
  });
  const services = createServices(handle, config, logger);
  if ((opts.seed ?? true) && config.demoEnabled) {
    const seeded = await handle.withExclusiveLock(SEED_TIMERS_LOCK, () => seedDemoReports(handle.db, services.reports, { districtCode: DEMO_DISTRICT_CODE }));
    if (seeded && logger) logger.info(seeded, 'demo cases seeded');
    const alerts = await handle.withExclusiveLock(SEED_TIMERS_LOCK, () => seedDemoAlerts(handle.db, services, { districtCode: DEMO_DISTRICT_CODE }));
    if (alerts && logger) logger.info({ ...alerts, episodes: alerts.episodes.length }, 'demo devices and readings seeded');
    const warned = await handle.withExclusiveLock(SEED_TIMERS_LOCK, () => seedDemoWarnings(handle.db, services, { districtCode: DEMO_DISTRICT_CODE }));
    if (warned && logger) logger.info(warned, 'demo rules and warnings seeded');
    const custody = await handle.withExclusiveLock(SEED_TIMERS_LOCK, () => seedDemoCustody(handle.db, services, { districtCode: DEMO_DISTRICT_CODE }));
    if (custody && logger) logger.info(custody, 'demo property centre and custody cases seeded');
  }
  await services.jobs.failOrphans();
  await services.recon.failOrphans();
  await handle.withExclusiveLock(SEED_TIMERS_LOCK, () => services.recon.ensureSchedules());
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
  await registerFileRoutes(app, { db: handle.db, maxBytes: config.PHOTO_LIMIT_BYTES, publicUploadsPerMinute: config.PUBLIC_UPLOADS_PER_MINUTE });
  await registerReportRoutes(app, { reports: services.reports, settings: services.reportSettings, geo: services.geo, publicReportsPerMinute: config.PUBLIC_REPORTS_PER_MINUTE });
  await registerOpen311Routes(app, { port: createOpen311Port(handle.db, services.reports, { baseUrl: '' }), contact: '智安事件中枢' });
  const bus = createEventBus(handle);
  await bus.start();
  registerEventRoutes(app, { bus, inbox: services.inbox });
  registerWebhookRoutes(app, { webhooks: createWebhookService(handle.db) });
  registerDeviceRoutes(app, { devices: services.devices });
  const verifyDevice = (code: string, secret: string) => services.devices.verifyDeviceSecret(code, secret);
  registerAlertRoutes(app, { warnings: services.warnings, rules: services.rules, ingest: services.ingest, verifyDevice });
  await registerNgsiRoutes(app, { db: handle.db, ingest: services.ingest, verifyDevice });
  registerReconRoutes(app, { recon: services.recon, uploadLimit: config.UPLOAD_LIMIT_BYTES });
  registerCustodyRoutes(app, { custody: services.custody, db: handle.db, jobs: services.jobs, signingKey: services.signingKey, publicBaseUrl: config.PUBLIC_BASE_URL ?? null });
  fs.mkdirSync(path.join(evidenceDir(config), '.uploads'), { recursive: true });
  await registerEvidenceRoutes(app, { evidence: services.evidence, uploadDir: path.join(evidenceDir(config), '.uploads'), maxSize: config.EVIDENCE_MAX_BYTES });
  registerPlatformRoutes(app, services, config);
  await app.ready();
  const mqtt =
    (opts.mqtt ?? true)
      ? await startMqttIngest({
          url: config.MQTT_URL,
          username: config.MQTT_USERNAME,
          password: config.MQTT_PASSWORD,
          port: config.MQTT_PORT,
          topic: READINGS_TOPIC,
          clientId: config.MQTT_CLIENT_ID,
          authenticate: async (user, pass) => !!(await services.devices.verifyDeviceSecret(user, pass)),
          onMessage: mqttReadingHandler(services.ingest, logger || undefined),
          log: logger || undefined,
        })
      : null;
  if (mqtt && logger) logger.info({ broker: mqtt.brokerUrl, embedded: !config.MQTT_URL }, 'mqtt ingest started');
  const timers = createTimerRunner(handle.db, timerHandlers(services, config), {
    intervalMs: config.TIMER_INTERVAL_MS,
    onError: (err, t) => logger && logger.error({ err, timer: t.id, kind: t.kind }, 'timer failed'),
    onFired: (t) => logger && logger.debug({ timer: t.id, kind: t.kind, subject: t.subjectId }, 'timer fired'),
  });
  if (opts.timers ?? true) timers.start();
  return {
    app,
    handle,
    services,
    timers,
    mqtt,
    async close() {
      await mqtt?.close();
      await timers.stop();
      await app.close();
      await bus.stop();
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
  const mapConfig = (bounds: [number, number, number, number] | null) => {
    const b = bounds ?? [120.45, 30.3, 120.85, 30.55];
    return { tileUrl: config.MAP_TILE_URL ?? null, tileCoordSystem: config.MAP_TILE_COORD_SYSTEM, center: [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2], zoom: 10.5, bounds: b };
  };
  app.get('/api/v1/map/config', { schema: { tags: ['stats'], summary: '地图配置 Map configuration' } }, async (req) => mapConfig(await s.geo.extent(actorContextOf(req))));
  // Residents place a pin without an account: the extent and the grid outlines are public.
  app.get('/api/v1/public/map-config', { schema: { tags: ['public'], summary: '地图配置（群众端）', security: [] } }, async () => mapConfig(await s.geo.publicExtent()));
  app.get('/api/v1/public/grids.geojson', { schema: { tags: ['public'], summary: '网格轮廓（群众端）', security: [] } }, async (_req, reply) => {
    reply.type('application/geo+json').header('cache-control', 'public, max-age=300');
    return s.geo.publicGridFeatures();
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
