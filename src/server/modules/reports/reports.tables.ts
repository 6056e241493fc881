import type { ColumnType, Generated } from 'kysely';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;
type Ts = ColumnType<Date, Date | string, Date | string>;
type NullableTs = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface ReportCategoriesTable {
  code: string;
  parent_code: string | null;
  name: string;
  dept_type: string | null;
  priority: string;
  time_mode: string;
  limits: ColumnType<Record<string, number> | null, string | null, string | null>;
  active: Generated<boolean>;
  updated_at: UpdatedAt;
}

export interface WorkCalendarYearsTable {
  year: number;
  holidays: ColumnType<(Date | string)[], string[], string[]>;
  workdays: ColumnType<(Date | string)[], string[], string[]>;
  updated_at: UpdatedAt;
}

export interface ReportRoutingRulesTable {
  id: Generated<string>;
  category_code: string | null;
  dept_type: string | null;
  area_org_id: string | null;
  target_org_id: string;
  note: Generated<string>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface ReportsTable {
  id: Generated<string>;
  number: string;
  tracking_code: string;
  channel: string;
  status: string;
  suspended_from: string | null;
  suspended_at: NullableTs;
  description: string;
  category_code: string | null;
  suggested_category: string | null;
  suggested_confidence: number | null;
  priority: string;
  time_mode: string;
  lng: number | null;
  lat: number | null;
  address_text: string | null;
  address_id: string | null;
  grid_id: string | null;
  community_org_id: string | null;
  street_org_id: string | null;
  district_org_id: string | null;
  dept_org_id: string | null;
  assignee_id: string | null;
  area_path: string;
  dept_path: string | null;
  routing: Json<unknown[]>;
  reporter_name: string | null;
  reporter_phone: string | null;
  reporter_user_id: string | null;
  external_ref: string | null;
  stage: string | null;
  stage_started_at: NullableTs;
  stage_deadline: NullableTs;
  expected_at: NullableTs;
  warned: Generated<boolean>;
  overdue: Generated<boolean>;
  supervised: Generated<boolean>;
  reopen_count: Generated<number>;
  merged_into: string | null;
  result_note: string | null;
  rating: string | null;
  rating_comment: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  closed_at: NullableTs;
}

export interface ReportEventsTable {
  id: Generated<number>;
  report_id: string;
  action: string;
  from_status: string | null;
  to_status: string | null;
  actor_id: string | null;
  actor_name: string | null;
  note: string | null;
  data: ColumnType<unknown, string | null, string | null>;
  created_at: CreatedAt;
}

export interface ReportStagesTable {
  id: Generated<string>;
  report_id: string;
  stage: string;
  started_at: Ts;
  deadline: NullableTs;
  finished_at: NullableTs;
  on_time: boolean | null;
  extended_minutes: Generated<number>;
  suspended_minutes: Generated<number>;
}

export interface ReportPhotosTable {
  report_id: string;
  file_id: string;
  kind: 'report' | 'result';
  created_at: CreatedAt;
}

export interface ReportExtensionsTable {
  id: Generated<string>;
  report_id: string;
  stage: string;
  minutes: number;
  reason: string;
  status: Generated<'pending' | 'approved' | 'rejected'>;
  requested_by: string | null;
  decided_by: string | null;
  decision_note: string | null;
  created_at: CreatedAt;
  decided_at: NullableTs;
}

export interface ReportSupervisionsTable {
  id: Generated<string>;
  report_id: string;
  kind: 'manual' | 'overdue';
  stage: string | null;
  note: Generated<string>;
  created_by: string | null;
  created_at: CreatedAt;
}

export interface Open311KeysTable {
  id: Generated<string>;
  name: string;
  key_hash: string;
  district_org_id: string | null;
  active: Generated<boolean>;
  created_at: CreatedAt;
}

/** Tables owned by the reports module. */
export interface ReportsTables {
  report_categories: ReportCategoriesTable;
  work_calendar_years: WorkCalendarYearsTable;
  report_routing_rules: ReportRoutingRulesTable;
  reports: ReportsTable;
  report_events: ReportEventsTable;
  report_stages: ReportStagesTable;
  report_photos: ReportPhotosTable;
  report_extensions: ReportExtensionsTable;
  report_supervisions: ReportSupervisionsTable;
  open311_keys: Open311KeysTable;
}
