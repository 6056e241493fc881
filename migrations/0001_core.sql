-- Core platform: organisations, users, sessions, tokens, audit, jobs, settings.

create table orgs (
  id uuid primary key default gen_random_uuid(),
  parent_id uuid references orgs(id),
  kind text not null check (kind in ('district', 'street', 'community', 'department', 'agency')),
  dept_type text check (dept_type in ('public_security', 'procuratorate', 'court', 'finance',
    'urban_management', 'transport', 'housing', 'ecology_environment', 'market_regulation',
    'civil_affairs', 'water_resources', 'fire_rescue', 'emergency_management', 'justice',
    'health', 'education', 'community')),
  code text not null unique,
  name text not null,
  -- Materialised path of ids, '/root/…/self/': subtree scope checks are a prefix match.
  path text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
-- Subtree queries: path like '/…/%'.
create index orgs_path_idx on orgs (path text_pattern_ops);
create index orgs_parent_idx on orgs (parent_id);

create table users (
  id uuid primary key default gen_random_uuid(),
  username text not null unique,
  display_name text not null,
  phone text,
  org_id uuid not null references orgs(id),
  roles text[] not null default '{}',
  -- Root of the organisation subtree the user may see; null = the user's own org.
  scope_org_id uuid references orgs(id),
  password_hash text not null,
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index users_org_idx on users (org_id);

create table sessions (
  -- SHA-256 of the cookie value: a leaked table does not leak live sessions.
  id text primary key,
  user_id uuid not null references users(id),
  csrf_token text not null,
  ip text,
  user_agent text,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null
);
create index sessions_user_idx on sessions (user_id);

create table api_tokens (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users(id),
  name text not null,
  prefix text not null,
  token_hash text not null unique,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);

-- Failed logins, counted per username and IP within a window for the lockout.
create table login_failures (
  id bigserial primary key,
  username text not null,
  ip text not null,
  at timestamptz not null default now()
);
create index login_failures_lookup_idx on login_failures (username, ip, at);

create table audit_log (
  id bigserial primary key,
  at timestamptz not null default now(),
  actor_id uuid,
  actor_name text,
  ip text,
  request_id text,
  action text not null,
  target_type text not null,
  target_id text,
  before jsonb,
  after jsonb
);
-- Console search: newest first, by actor, by action, by target.
create index audit_log_at_idx on audit_log (at desc);
create index audit_log_actor_idx on audit_log (actor_id, at desc);
create index audit_log_action_idx on audit_log (action, at desc);
create index audit_log_target_idx on audit_log (target_type, target_id);

create table jobs (
  id uuid primary key default gen_random_uuid(),
  kind text not null,
  status text not null check (status in ('running', 'succeeded', 'failed')),
  created_by uuid references users(id),
  processed integer not null default 0,
  total integer not null default 0,
  result jsonb,
  errors jsonb not null default '[]',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table settings (
  key text primary key,
  value jsonb not null,
  updated_at timestamptz not null default now()
);
