-- Residents' reports and closed-loop case handling (事件中枢).

-- Category tree in the style of GB/T 30428 / CJ/T 315; leaves carry the responsible
-- department type, default priority and the time limit of each stage (minutes).
create table report_categories (
  code text primary key,
  parent_code text references report_categories(code),
  name text not null,
  dept_type text,
  priority text not null default 'normal' check (priority in ('urgent', 'high', 'normal', 'low')),
  time_mode text not null default 'working' check (time_mode in ('working', 'natural')),
  limits jsonb,
  active boolean not null default true,
  updated_at timestamptz not null default now()
);
create index report_categories_parent_idx on report_categories (parent_code);

-- Working-day calendar per year: public holidays and adjusted working days (调休).
create table work_calendar_years (
  year integer primary key check (year between 2000 and 2100),
  holidays date[] not null default '{}',
  workdays date[] not null default '{}',
  updated_at timestamptz not null default now()
);

-- Routing rules (FixMyStreet's body + area + category): a case of the category (or of any
-- category with the department type) inside the area goes to the target organisation.
-- The most specific matching rule wins; without one, the department of the type in the
-- district of the location is chosen.
create table report_routing_rules (
  id uuid primary key default gen_random_uuid(),
  category_code text references report_categories(code),
  dept_type text,
  area_org_id uuid references orgs(id),
  target_org_id uuid not null references orgs(id),
  note text not null default '',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (category_code is not null or dept_type is not null)
);
create index report_routing_rules_category_idx on report_routing_rules (category_code);

create sequence report_number_seq;

create table reports (
  id uuid primary key default gen_random_uuid(),
  -- Case number shown to staff, e.g. 2026112300042 (date + sequence).
  number text not null unique,
  -- Unguessable code residents use to follow their report.
  tracking_code text not null unique,
  channel text not null check (channel in ('resident', 'hotline', 'patrol', 'api', 'open311')),
  status text not null check (status in ('reported', 'accepted', 'registered', 'dispatched', 'handled', 'verified', 'closed', 'suspended', 'voided')),
  -- While suspended (挂账): the status to return to.
  suspended_from text,
  suspended_at timestamptz,
  description text not null,
  category_code text references report_categories(code),
  -- What the classifier proposed, kept for accuracy statistics.
  suggested_category text,
  suggested_confidence real,
  priority text not null check (priority in ('urgent', 'high', 'normal', 'low')),
  time_mode text not null check (time_mode in ('working', 'natural')),
  lng double precision,
  lat double precision,
  address_text text,
  address_id uuid references addresses(id),
  grid_id uuid references grids(id),
  community_org_id uuid references orgs(id),
  street_org_id uuid references orgs(id),
  district_org_id uuid references orgs(id),
  dept_org_id uuid references orgs(id),
  assignee_id uuid references users(id),
  -- Paths for the data scope: where the case is, and who handles it.
  area_path text not null,
  dept_path text,
  routing jsonb not null default '[]',
  reporter_name text,
  reporter_phone text,
  reporter_user_id uuid references users(id),
  external_ref text,
  -- The current stage, when it began and its deadline (moved by suspension and extensions).
  stage text,
  stage_started_at timestamptz,
  stage_deadline timestamptz,
  -- When the case is expected to be handled (Open311 expected_datetime).
  expected_at timestamptz,
  warned boolean not null default false,
  overdue boolean not null default false,
  supervised boolean not null default false,
  reopen_count integer not null default 0,
  merged_into uuid references reports(id),
  result_note text,
  rating text check (rating in ('satisfied', 'basically_satisfied', 'dissatisfied')),
  rating_comment text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  closed_at timestamptz
);
-- Case lists: newest first within a scope, and by status.
create index reports_area_idx on reports (area_path text_pattern_ops, created_at desc);
create index reports_dept_idx on reports (dept_path text_pattern_ops, created_at desc);
create index reports_status_idx on reports (status, created_at desc);
create index reports_assignee_idx on reports (assignee_id, status);
create index reports_grid_idx on reports (grid_id, created_at desc);
-- Duplicate detection: open reports of one category in the last days.
create index reports_category_idx on reports (category_code, created_at desc);
-- Supervision board: open cases by deadline.
create index reports_deadline_idx on reports (stage_deadline) where status not in ('closed', 'voided');
create index reports_created_idx on reports (created_at);

-- The timeline: every step of a case, append-only.
create table report_events (
  id bigserial primary key,
  report_id uuid not null references reports(id),
  action text not null,
  from_status text,
  to_status text,
  actor_id uuid references users(id),
  actor_name text,
  note text,
  data jsonb,
  created_at timestamptz not null default now()
);
create index report_events_report_idx on report_events (report_id, id);

-- One row per stage passage (a stage passed twice after 回退 has two rows).
create table report_stages (
  id uuid primary key default gen_random_uuid(),
  report_id uuid not null references reports(id),
  stage text not null,
  started_at timestamptz not null,
  deadline timestamptz,
  finished_at timestamptz,
  on_time boolean,
  extended_minutes integer not null default 0,
  suspended_minutes integer not null default 0
);
create index report_stages_report_idx on report_stages (report_id, started_at);
-- Statistics: time per stage and on-time rate over a period.
create index report_stages_finished_idx on report_stages (stage, finished_at);

create table report_photos (
  report_id uuid not null references reports(id),
  file_id uuid not null references files(id),
  kind text not null check (kind in ('report', 'result')),
  created_at timestamptz not null default now(),
  primary key (report_id, file_id)
);

create table report_extensions (
  id uuid primary key default gen_random_uuid(),
  report_id uuid not null references reports(id),
  stage text not null,
  minutes integer not null check (minutes > 0),
  reason text not null,
  status text not null default 'pending' check (status in ('pending', 'approved', 'rejected')),
  requested_by uuid references users(id),
  decided_by uuid references users(id),
  decision_note text,
  created_at timestamptz not null default now(),
  decided_at timestamptz
);
create index report_extensions_report_idx on report_extensions (report_id);
-- The approval queue.
create index report_extensions_pending_idx on report_extensions (created_at) where status = 'pending';

-- 督办: supervision of a case by the command centre, by hand or on overdue.
create table report_supervisions (
  id uuid primary key default gen_random_uuid(),
  report_id uuid not null references reports(id),
  kind text not null check (kind in ('manual', 'overdue')),
  stage text,
  note text not null default '',
  created_by uuid references users(id),
  created_at timestamptz not null default now()
);
create index report_supervisions_report_idx on report_supervisions (report_id);
-- Open311 API keys of client systems (stored as hashes).
create table open311_keys (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  key_hash text not null unique,
  district_org_id uuid references orgs(id),
  active boolean not null default true,
  created_at timestamptz not null default now()
);
