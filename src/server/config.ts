import { z } from 'zod';
import path from 'node:path';

/**
 * All settings of a Zhian process, parsed once from the environment at start.
 * Nothing else reads process.env: pass the parsed config down instead.
 */
const booleanFlag = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no'])
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

const ConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  ZHIAN_DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Seed the demo district on start (ignored in production). */
  ZHIAN_DEMO: booleanFlag.default(true),
  ZHIAN_DEMO_SCALE: z.coerce.number().int().min(1).max(1000).default(1),
  /** Session lifetime in hours. */
  SESSION_TTL_HOURS: z.coerce.number().int().min(1).max(24 * 90).default(12),
  /** Failed logins per username+IP within LOGIN_WINDOW_MINUTES before a lockout. */
  LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).max(100).default(5),
  LOGIN_WINDOW_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(15),
  /** Largest JSON body in bytes; file uploads have their own limit. */
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024),
  UPLOAD_LIMIT_BYTES: z.coerce.number().int().min(1024).default(50 * 1024 * 1024),
  /** Largest photo attached to a report. */
  PHOTO_LIMIT_BYTES: z.coerce.number().int().min(1024).default(15 * 1024 * 1024),
  /** Public (no account) report submissions and photo uploads per IP and minute. */
  PUBLIC_REPORTS_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(10),
  PUBLIC_UPLOADS_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(60),
  /** Classifications below this confidence go to the manual triage queue. */
  REPORT_TRIAGE_THRESHOLD: z.coerce.number().min(0).max(1).optional(),
  /** Poll interval of the durable timers (deadline warnings and escalations). */
  TIMER_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  /** Raster tile URL template for the console map; empty = offline map of our own layers. */
  MAP_TILE_URL: z.string().url().optional().or(z.literal('').transform(() => undefined)),
  MAP_TILE_COORD_SYSTEM: z.enum(['wgs84', 'gcj02']).default('wgs84'),
  /** Serve cookies with the Secure flag (behind HTTPS). */
  COOKIE_SECURE: booleanFlag.default(false),
  TRUST_PROXY: booleanFlag.default(false),
  /** External MQTT broker (e.g. mqtt://127.0.0.1:1883); unset = run the embedded broker on MQTT_PORT. */
  MQTT_URL: z.string().url().optional().or(z.literal('').transform(() => undefined)),
  MQTT_USERNAME: z.string().optional(),
  MQTT_PASSWORD: z.string().optional(),
  /** Client id of the ingest subscriber's persistent session (one per instance against an external broker). */
  MQTT_CLIENT_ID: z.string().min(1).max(64).default('zhian-ingest'),
  /** Port of the embedded broker; 0 = any free port; 'off' is not offered: devices need a broker. */
  MQTT_PORT: z.coerce.number().int().min(0).max(65535).default(1883),
  /** Readings older than this many days are deleted by a daily job. */
  READING_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(400),
  /** Key of the pseudonymous person keys (HMAC-SHA256 of the ID number); set it in production. */
  PERSON_KEY_SECRET: z.string().min(16).default('zhian-demo-person-key-change-me'),
  // Ed25519 key sealing the custody checkpoints: base64/hex 32-byte seed or PKCS#8 PEM. When
  // unset, one is generated into the data directory (fine for the embedded demo only: keep
  // the production key away from whoever can write the database).
  CUSTODY_SIGNING_KEY: z.string().optional(),
  // Minutes between checkpoints of the custody hash chains.
  CUSTODY_CHECKPOINT_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(60),
  // Where digital evidence files are kept (default: <data dir>/evidence).
  EVIDENCE_DIR: z.string().optional(),
  // Largest evidence file accepted over tus.
  EVIDENCE_MAX_BYTES: z.coerce.number().int().min(1024).default(10 * 1024 ** 3),
  // Public address of the console, printed into label QR codes so a phone camera opens the item.
  PUBLIC_BASE_URL: z.string().url().optional().or(z.literal('').transform(() => undefined)),
});

export type Config = z.infer<typeof ConfigSchema> & { dataDir: string; demoEnabled: boolean };

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Hides the password of a URL-like value (scheme://user:password@host) in messages. */
function redact(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:).*@/i, '$1***@');
}

/** Parses the environment; throws ConfigError listing every bad setting at once. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const relevant: Record<string, string> = {};
  for (const key of Object.keys(ConfigSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') relevant[key] = v;
  }
  const parsed = ConfigSchema.safeParse(relevant);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const key = i.path.join('.');
      return `${key}=${JSON.stringify(redact(relevant[key] ?? ''))}: ${i.message}`;
    });
    throw new ConfigError(problems);
  }
  const c = parsed.data;
  return {
    ...c,
    dataDir: path.resolve(c.ZHIAN_DATA_DIR),
    demoEnabled: c.ZHIAN_DEMO && c.NODE_ENV !== 'production',
  };
}
