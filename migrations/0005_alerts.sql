-- Early warning (智能预警 + 人工核验): devices and their readings, households for care
-- services, rules with per-subject episode state, warnings that become verification tasks
-- in the reports loop, and the data imported for reconciliation (people by pseudonymous key).

-- Warnings reach the reports loop as verification tasks of their own channel.
alter table reports drop constraint reports_channel_check;
alter table reports add constraint reports_channel_check check (channel in ('resident', 'hotline', 'patrol', 'api', 'open311', 'warning'));

-- Rivers and lakes with a target class (GB 3838-2002) and a river chief (河长) to notify.
create table water_bodies (
  id uuid primary key default gen_random_uuid(),
  district_org_id uuid not null references orgs(id),
  name text not null,
  kind text not null check (kind in ('river', 'lake')),
  -- Target class 1..5 (I..V); a reading worse than the target raises a warning.
  target_class integer not null check (target_class between 1 and 5),
  -- How many classes worse than the target make a yellow and a red warning.
  alarm_levels jsonb not null default '{"yellow": 1, "red": 2}',
  chief_user_id uuid references users(id),
  created_at timestamptz not null default now(),
  unique (district_org_id, name)
);

-- Households recorded by community staff for care services (独居老人, 残障, 留守儿童 …).
create table households (
  id uuid primary key default gen_random_uuid(),
  address_id uuid references addresses(id),
  address_text text not null,
  lng double precision,
  lat double precision,
  grid_id uuid references grids(id),
  community_org_id uuid not null references orgs(id),
  -- Data scope: the community's path; only its staff (and wider scopes) see the household.
  area_path text not null,
  -- Personal data: masked in lists, every read of the full record audited.
  contact_name text not null,
  contact_phone text,
  care_tags text[] not null default '{}',
  note text not null default '',
  created_by uuid references users(id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index households_area_idx on households (area_path text_pattern_ops);

create table devices (
  id uuid primary key default gen_random_uuid(),
  -- The device's own serial, used in MQTT topics and NGSI-LD entity ids.
  code text not null unique,
  name text not null,
  type text not null check (type in ('water_quality', 'water_meter', 'access_control', 'camera_alarm', 'generic')),
  lng double precision,
  lat double precision,
  address_id uuid references addresses(id),
  address_text text,
  grid_id uuid references grids(id),
  community_org_id uuid references orgs(id),
  district_org_id uuid not null references orgs(id),
  area_path text not null,
  owner text not null default '',
  water_body_id uuid references water_bodies(id),
  household_id uuid references households(id),
  -- Argon2id hash of the device's own secret (MQTT password, bearer for HTTP ingest).
  secret_hash text,
  active boolean not null default true,
  online boolean not null default false,
  last_seen_at timestamptz,
  last_reading_at timestamptz,
  attributes jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index devices_area_idx on devices (area_path text_pattern_ops);
create index devices_household_idx on devices (household_id) where household_id is not null;
-- The "no signal" sweep: active devices by last reading.
create index devices_last_reading_idx on devices (last_reading_at) where active;

-- Readings as a time series: one row per device and observation time, so a redelivered
-- message (same device, same time) is stored once. The key serves per-device time ranges.
create table readings (
  device_id uuid not null references devices(id) on delete cascade,
  observed_at timestamptz not null,
  received_at timestamptz not null default now(),
  source text not null check (source in ('mqtt', 'ngsi-ld', 'http', 'import')),
  values jsonb not null,
  primary key (device_id, observed_at)
);
-- Retention deletes by age in batches; a BRIN index is tiny for an append-mostly table.
create index readings_received_brin on readings using brin (received_at);

create table alert_rules (
  id uuid primary key default gen_random_uuid(),
  district_org_id uuid not null references orgs(id),
  name text not null,
  kind text not null check (kind in ('threshold', 'no_signal', 'no_consumption', 'water_quality', 'unregistered_resident', 'multi_enterprise')),
  -- Which devices a device rule watches: a type, optionally narrowed to some devices.
  device_type text,
  device_ids uuid[],
  -- The rule's own criteria (thresholds per level, hysteresis, durations, N …).
  params jsonb not null,
  -- The verification task's category in the reports loop.
  task_category text not null references report_categories(code),
  enabled boolean not null default true,
  version integer not null default 1,
  created_by uuid references users(id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- The state of a rule for one subject (a device, a person at an address, an address):
-- pending since, active episode, last value. One row per rule and subject.
create table alert_rule_states (
  rule_id uuid not null references alert_rules(id) on delete cascade,
  subject_key text not null,
  state jsonb not null,
  updated_at timestamptz not null default now(),
  primary key (rule_id, subject_key)
);

create sequence alert_warning_number_seq;

create table alert_warnings (
  id uuid primary key default gen_random_uuid(),
  number text not null unique,
  rule_id uuid not null references alert_rules(id),
  subject_key text not null,
  -- The episode: when the condition began. A condition raises one warning per episode, so a
  -- re-run or a redelivered message finds the same key and writes nothing.
  episode_key text not null,
  level text not null check (level in ('red', 'yellow', 'green')),
  title text not null,
  detail jsonb not null default '{}',
  device_id uuid references devices(id),
  household_id uuid references households(id),
  address_text text,
  lng double precision,
  lat double precision,
  grid_id uuid references grids(id),
  community_org_id uuid references orgs(id),
  district_org_id uuid not null references orgs(id),
  area_path text not null,
  status text not null default 'open' check (status in ('open', 'verifying', 'confirmed', 'false_alarm', 'handled')),
  -- When the condition ended (the warning stays until verified).
  cleared_at timestamptz,
  outcome_note text,
  outcome_by uuid references users(id),
  outcome_at timestamptz,
  report_id uuid references reports(id),
  -- Claim of the task creation (after commit, retried by a sweep).
  task_claimed_at timestamptz,
  raised_at timestamptz not null default now(),
  unique (rule_id, subject_key, episode_key)
);
create index alert_warnings_area_idx on alert_warnings (area_path text_pattern_ops, raised_at desc);
create index alert_warnings_rule_idx on alert_warnings (rule_id, status);
-- The sweep for warnings whose verification task is not yet created.
create index alert_warnings_untasked_idx on alert_warnings (raised_at) where report_id is null;
create index alert_warnings_report_idx on alert_warnings (report_id) where report_id is not null;

-- Data imported for reconciliation. People appear only as a keyed hash of the ID number.
create table recon_imports (
  id uuid primary key default gen_random_uuid(),
  district_org_id uuid not null references orgs(id),
  kind text not null check (kind in ('residents', 'enterprises', 'access')),
  file_name text not null,
  rows integer not null,
  job_id uuid references jobs(id),
  created_by uuid references users(id),
  created_at timestamptz not null default now()
);

-- Residence registrations (居住登记): a person registered at an address.
create table recon_residents (
  id bigserial primary key,
  district_org_id uuid not null references orgs(id),
  import_id uuid not null references recon_imports(id),
  person_key text not null,
  address_key text not null,
  address_text text not null,
  registered_on date,
  unique (district_org_id, person_key, address_key)
);
create index recon_residents_address_idx on recon_residents (district_org_id, address_key, person_key);

-- Enterprise registrations: enterprises with their registered address.
create table recon_enterprises (
  id bigserial primary key,
  district_org_id uuid not null references orgs(id),
  import_id uuid not null references recon_imports(id),
  credit_code text not null,
  name text not null,
  address_key text not null,
  address_text text not null,
  unique (district_org_id, credit_code)
);
create index recon_enterprises_address_idx on recon_enterprises (district_org_id, address_key);

-- Access-control entries (门禁): a person key entering an address at a time.
create table recon_access (
  id bigserial primary key,
  district_org_id uuid not null references orgs(id),
  import_id uuid not null references recon_imports(id),
  person_key text not null,
  address_key text not null,
  address_text text not null,
  entered_at timestamptz not null,
  unique (district_org_id, person_key, address_key, entered_at)
);
-- 人来未登记: entries in a window, grouped by address and person.
create index recon_access_time_idx on recon_access (district_org_id, entered_at);

-- A reconciliation run: scheduled or on demand; survives a restart (re-run is idempotent).
create table recon_runs (
  id uuid primary key default gen_random_uuid(),
  rule_id uuid not null references alert_rules(id),
  trigger text not null check (trigger in ('schedule', 'manual')),
  status text not null check (status in ('running', 'succeeded', 'failed')),
  as_of timestamptz not null,
  job_id uuid references jobs(id),
  found integer not null default 0,
  raised integer not null default 0,
  ended integer not null default 0,
  error text,
  created_by uuid references users(id),
  started_at timestamptz not null default now(),
  finished_at timestamptz
);
create index recon_runs_rule_idx on recon_runs (rule_id, started_at desc);
