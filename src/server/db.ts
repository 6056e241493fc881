import type { Kysely, Transaction } from 'kysely';
import type { CoreTables } from './modules/core/core.tables.js';
import type { GeoTables } from './modules/geo/geo.tables.js';
import type { PlatformTables } from './platform/platform.tables.js';
import type { ReportsTables } from './modules/reports/reports.tables.js';
import type { AlertsTables } from './modules/alerts/alerts.tables.js';
import type { CustodyTables } from './modules/custody/custody.tables.js';

/** Every table of the Zhian database; each module declares its own part. */
export interface Database extends PlatformTables, CoreTables, GeoTables, ReportsTables, AlertsTables, CustodyTables {
  schema_migrations: { version: number; name: string; checksum: string; applied_at: Date };
}

export type Db = Kysely<Database>;
/** A database or an open transaction: repositories accept either. */
export type DbOrTx = Kysely<Database> | Transaction<Database>;
