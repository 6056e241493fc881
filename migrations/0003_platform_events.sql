-- Platform services shared by the business modules: stored files, durable timers,
-- notifications (inbox) and outbound webhooks.

-- Uploaded files (photos). Bytes live in the database so that an acknowledged upload
-- survives a crash and every instance sees it; photos are a few MB at most.
create table files (
  id uuid primary key default gen_random_uuid(),
  sha256 text not null,
  mime text not null,
  size integer not null check (size >= 0),
  width integer,
  height integer,
  bytes bytea not null,
  -- A copy for the public (EXIF, including the location, removed); null when the original has none to strip.
  public_mime text,
  public_bytes bytea,
  -- Who uploaded it: a user, or null for a resident without an account.
  created_by uuid references users(id),
  -- Unattached uploads are deleted after a day; attaching sets this.
  attached_at timestamptz,
  created_at timestamptz not null default now()
);
-- Clean-up of unattached uploads.
create index files_unattached_idx on files (created_at) where attached_at is null;

-- Durable timers: due work that survives restarts and fires exactly once when several
-- instances poll (claimed with FOR UPDATE SKIP LOCKED inside the handler's transaction).
create table timers (
  id uuid primary key default gen_random_uuid(),
  kind text not null,
  subject_id uuid not null,
  due_at timestamptz not null,
  payload jsonb not null default '{}',
  attempts integer not null default 0,
  last_error text,
  fired_at timestamptz,
  created_at timestamptz not null default now()
);
-- The poller: due timers not yet fired, earliest first.
create index timers_due_idx on timers (due_at) where fired_at is null;
-- Cancelling the pending timers of a subject when its state changes.
create index timers_subject_idx on timers (subject_id, kind) where fired_at is null;

-- The console inbox of each user.
create table notifications (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users(id),
  kind text not null,
  title text not null,
  body text not null default '',
  subject_type text,
  subject_id uuid,
  link text,
  read_at timestamptz,
  created_at timestamptz not null default now()
);
-- A user's inbox, newest first, and the unread badge.
create index notifications_user_idx on notifications (user_id, created_at desc);
create index notifications_unread_idx on notifications (user_id) where read_at is null;

-- Outbound webhooks of an organisation subtree.
create table webhooks (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references orgs(id),
  name text not null,
  url text not null,
  secret text not null,
  events text[] not null,
  format text not null default 'json' check (format in ('json', 'dingtalk')),
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index webhooks_org_idx on webhooks (org_id);

create table webhook_deliveries (
  id uuid primary key default gen_random_uuid(),
  webhook_id uuid not null references webhooks(id) on delete cascade,
  event text not null,
  payload jsonb not null,
  status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
  attempts integer not null default 0,
  response_status integer,
  last_error text,
  created_at timestamptz not null default now(),
  delivered_at timestamptz
);
-- Delivery history of one webhook, newest first.
create index webhook_deliveries_webhook_idx on webhook_deliveries (webhook_id, created_at desc);

-- The head of an organisation receives escalations (overdue cases of a department).
-- Deferrable: users reference orgs, so an import loads both and checks this key at commit.
alter table orgs add column head_user_id uuid references users(id) deferrable initially immediate;
