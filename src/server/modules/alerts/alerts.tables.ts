import type { ColumnType, Generated } from 'kysely';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;
type NullableTs = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface WaterBodiesTable {
  id: Generated<string>;
  district_org_id: string;
  name: string;
  kind: 'river' | 'lake';
  target_class: number;
  alarm_levels: ColumnType<{ yellow: number; red: number }, string | undefined, string>;
  chief_user_id: string | null;
  created_at: CreatedAt;
}

export interface HouseholdsTable {
  id: Generated<string>;
  address_id: string | null;
  address_text: string;
  lng: number | null;
  lat: number | null;
  grid_id: string | null;
  community_org_id: string;
  area_path: string;
  contact_name: string;
  contact_phone: string | null;
  care_tags: ColumnType<string[], string[] | undefined, string[]>;
  note: Generated<string>;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface DevicesTable {
  id: Generated<string>;
  code: string;
  name: string;
  type: 'water_quality' | 'water_meter' | 'access_control' | 'camera_alarm' | 'generic';
  lng: number | null;
  lat: number | null;
  address_id: string | null;
  address_text: string | null;
  grid_id: string | null;
  community_org_id: string | null;
  district_org_id: string;
  area_path: string;
  owner: Generated<string>;
  water_body_id: string | null;
  household_id: string | null;
  secret_hash: string | null;
  active: Generated<boolean>;
  online: Generated<boolean>;
  last_seen_at: NullableTs;
  last_reading_at: NullableTs;
  attributes: ColumnType<Record<string, unknown>, string | undefined, string>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface ReadingsTable {
  device_id: string;
  observed_at: ColumnType<Date, Date | string, Date | string>;
  received_at: CreatedAt;
  source: 'mqtt' | 'ngsi-ld' | 'http' | 'import';
  values: Json<Record<string, number>>;
}

export interface AlertRulesTable {
  id: Generated<string>;
  district_org_id: string;
  name: string;
  kind: 'threshold' | 'no_signal' | 'no_consumption' | 'water_quality' | 'unregistered_resident' | 'multi_enterprise';
  device_type: string | null;
  device_ids: string[] | null;
  params: Json<Record<string, unknown>>;
  task_category: string;
  enabled: Generated<boolean>;
  version: Generated<number>;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface AlertRuleStatesTable {
  rule_id: string;
  subject_key: string;
  state: Json<Record<string, unknown>>;
  updated_at: UpdatedAt;
}

export interface AlertWarningsTable {
  id: Generated<string>;
  number: string;
  rule_id: string;
  subject_key: string;
  episode_key: string;
  level: 'red' | 'yellow' | 'green';
  title: string;
  detail: Json<Record<string, unknown>>;
  device_id: string | null;
  household_id: string | null;
  address_text: string | null;
  lng: number | null;
  lat: number | null;
  grid_id: string | null;
  community_org_id: string | null;
  district_org_id: string;
  area_path: string;
  status: Generated<'open' | 'verifying' | 'confirmed' | 'false_alarm' | 'handled'>;
  cleared_at: NullableTs;
  outcome_note: string | null;
  outcome_by: string | null;
  outcome_at: NullableTs;
  report_id: string | null;
  task_claimed_at: NullableTs;
  raised_at: CreatedAt;
}

export interface ReconImportsTable {
  id: Generated<string>;
  district_org_id: string;
  kind: 'residents' | 'enterprises' | 'access';
  file_name: string;
  rows: number;
  job_id: string | null;
  created_by: string | null;
  created_at: CreatedAt;
}

export interface ReconResidentsTable {
  id: Generated<string>;
  district_org_id: string;
  import_id: string;
  person_key: string;
  address_key: string;
  address_text: string;
  registered_on: ColumnType<Date | null, Date | string | null, Date | string | null>;
}

export interface ReconEnterprisesTable {
  id: Generated<string>;
  district_org_id: string;
  import_id: string;
  credit_code: string;
  name: string;
  address_key: string;
  address_text: string;
}

export interface ReconAccessTable {
  id: Generated<string>;
  district_org_id: string;
  import_id: string;
  person_key: string;
  address_key: string;
  address_text: string;
  entered_at: ColumnType<Date, Date | string, Date | string>;
}

export interface ReconRunsTable {
  id: Generated<string>;
  rule_id: string;
  trigger: 'schedule' | 'manual';
  status: 'running' | 'succeeded' | 'failed';
  as_of: ColumnType<Date, Date | string, Date | string>;
  job_id: string | null;
  found: Generated<number>;
  raised: Generated<number>;
  ended: Generated<number>;
  error: string | null;
  created_by: string | null;
  started_at: CreatedAt;
  finished_at: NullableTs;
}

/** The tables of the alerts module. */
export interface AlertsTables {
  water_bodies: WaterBodiesTable;
  households: HouseholdsTable;
  devices: DevicesTable;
  readings: ReadingsTable;
  alert_rules: AlertRulesTable;
  alert_rule_states: AlertRuleStatesTable;
  alert_warnings: AlertWarningsTable;
  recon_imports: ReconImportsTable;
  recon_residents: ReconResidentsTable;
  recon_enterprises: ReconEnterprisesTable;
  recon_access: ReconAccessTable;
  recon_runs: ReconRunsTable;
}
