import type { ColumnType, Generated } from 'kysely';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Json<T> = ColumnType<T, string, string>;

export interface FilesTable {
  id: Generated<string>;
  sha256: string;
  mime: string;
  size: number;
  width: number | null;
  height: number | null;
  bytes: Buffer;
  public_mime: string | null;
  public_bytes: Buffer | null;
  created_by: string | null;
  attached_at: Date | null;
  created_at: CreatedAt;
}

export interface TimersTable {
  id: Generated<string>;
  kind: string;
  subject_id: string;
  due_at: ColumnType<Date, Date | string, Date | string>;
  payload: Json<Record<string, unknown>>;
  attempts: Generated<number>;
  last_error: string | null;
  fired_at: Date | null;
  created_at: CreatedAt;
}

export interface NotificationsTable {
  id: Generated<string>;
  user_id: string;
  kind: string;
  title: string;
  body: Generated<string>;
  subject_type: string | null;
  subject_id: string | null;
  link: string | null;
  read_at: Date | null;
  created_at: CreatedAt;
}

export interface WebhooksTable {
  id: Generated<string>;
  org_id: string;
  name: string;
  url: string;
  secret: string;
  events: string[];
  format: Generated<'json' | 'dingtalk'>;
  active: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface WebhookDeliveriesTable {
  id: Generated<string>;
  webhook_id: string;
  event: string;
  payload: Json<unknown>;
  status: Generated<'pending' | 'delivered' | 'failed'>;
  attempts: Generated<number>;
  response_status: number | null;
  last_error: string | null;
  created_at: CreatedAt;
  delivered_at: Date | null;
}

/** Tables of the platform services (files, timers, notifications, webhooks). */
export interface PlatformTables {
  files: FilesTable;
  timers: TimersTable;
  notifications: NotificationsTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
}
