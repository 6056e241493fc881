-- Seized property and evidence custody (涉案财物管理, 一案一码 一物一码 一码到底) with digital
-- evidence (证据通) and remote display (远程示证). The item is the unit of accountability: its
-- history is an append-only list of events forming a SHA-256 hash chain with gapless sequence
-- numbers; the heads of all chains are sealed into Ed25519-signed checkpoints, so edits,
-- inserts, removals, reorders, truncation and a wholesale rewrite are all detected.

-- Storage: centre → room → cabinet / shelf → bin, each with a printable location code.
create table custody_locations (
  id uuid primary key default gen_random_uuid(),
  district_org_id uuid not null references orgs(id),
  -- The organisation running the centre; its clerks keep every item stored there.
  operator_org_id uuid not null references orgs(id),
  parent_id uuid references custody_locations(id),
  centre_id uuid references custody_locations(id),
  kind text not null check (kind in ('centre', 'room', 'cabinet', 'shelf', 'bin')),
  code text not null unique,
  name text not null,
  -- Items the place holds at most (null: not limited, e.g. a yard for vehicles).
  capacity integer check (capacity is null or capacity > 0),
  -- Materialised path of ids: occupancy of a room counts the items of its whole subtree.
  path text not null,
  lng double precision,
  lat double precision,
  address_text text,
  active boolean not null default true,
  created_at timestamptz not null default now()
);
-- Tree and storage map: the children of a place; subtree occupancy by path prefix.
create index custody_locations_parent_idx on custody_locations (parent_id);
create index custody_locations_path_idx on custody_locations (path text_pattern_ops);

create sequence custody_case_code_seq;

-- Cases (一案一码): the handling agency's case number and the platform's own code.
create table custody_cases (
  id uuid primary key default gen_random_uuid(),
  code text not null unique,
  agency_org_id uuid not null references orgs(id),
  case_number text not null,
  title text not null,
  kind text not null check (kind in ('criminal', 'administrative')),
  -- 立案时间: nothing may be seized before the case was opened.
  opened_at timestamptz not null,
  officer_id uuid not null references users(id),
  centre_id uuid not null references custody_locations(id),
  status text not null default 'open' check (status in ('open', 'concluded')),
  concluded_at timestamptz,
  conclusion text,
  -- Organisations that hold or held property of the case (and the centre's operator):
  -- an agency sees exactly these cases.
  seen_by uuid[] not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (agency_org_id, case_number)
);
-- Scope filter of the case list: seen_by && {orgs in scope}.
create index custody_cases_seen_idx on custody_cases using gin (seen_by);
create index custody_cases_created_idx on custody_cases (created_at desc);

-- Items (一物一码). Descriptive columns come from the registration (and corrections); the
-- columns after "projection" are derived from the events by the fold in custody.model.ts,
-- written in the same transaction as each event, and checked against the fold by
-- `zhian custody verify`.
create table custody_items (
  id uuid primary key default gen_random_uuid(),
  case_id uuid not null references custody_cases(id),
  item_no integer not null,
  code text not null unique,
  type text not null check (type in ('cash', 'valuables', 'vehicle', 'electronic', 'document', 'drugs', 'weapon', 'other')),
  name text not null,
  description text not null default '',
  quantity numeric not null check (quantity > 0),
  unit text not null,
  value_cents bigint check (value_cents is null or value_cents >= 0),
  owner_kind text not null check (owner_kind in ('person', 'organisation', 'unknown')),
  -- Personal data: masked in lists, every full read audited.
  owner_name text,
  owner_phone text,
  seizure_doc text not null,
  seized_at timestamptz not null,
  seized_by uuid not null references users(id),
  centre_id uuid not null references custody_locations(id),
  -- projection
  status text not null check (status in ('registered', 'in_store', 'on_loan', 'awaiting_treasury', 'disposed')),
  holder_org_id uuid not null references orgs(id),
  location_id uuid references custody_locations(id),
  pending text check (pending in ('borrow', 'transfer', 'disposal')),
  pending_org_id uuid references orgs(id),
  loan_due_at timestamptz,
  unrelated_at timestamptz,
  disposition text check (disposition in ('auction', 'destroy', 'return', 'confiscate')),
  disposed_at timestamptz,
  state jsonb not null,
  seen_by uuid[] not null,
  last_seq integer not null,
  head_hash text not null,
  -- Work list of the checkpoint sealer (not part of the evidence: the signed heads are).
  checkpointed_seq integer not null default 0,
  registered_at timestamptz not null,
  updated_at timestamptz not null,
  unique (case_id, item_no)
);
create index custody_items_seen_idx on custody_items using gin (seen_by);
-- Ledger: newest first, by status, holder, location; approvals and transfer inboxes.
create index custody_items_registered_idx on custody_items (registered_at desc);
create index custody_items_status_idx on custody_items (status, registered_at desc);
create index custody_items_holder_idx on custody_items (holder_org_id, registered_at desc);
create index custody_items_location_idx on custody_items (location_id) where location_id is not null;
create index custody_items_pending_idx on custody_items (pending, pending_org_id) where pending is not null;
-- The checkpoint sealer reads only chains whose head moved since the last checkpoint.
create index custody_items_unsealed_idx on custody_items (id) where last_seq > checkpointed_seq;
-- Warning sweep: loans due, unrelated items not released.
create index custody_items_loan_due_idx on custody_items (loan_due_at) where loan_due_at is not null;
create index custody_items_unrelated_idx on custody_items (unrelated_at) where unrelated_at is not null and status <> 'disposed';

-- The append-only history. hash = SHA-256(prev_hash || '\n' || RFC 8785 canonical JSON of
-- every other column); seq is gapless from 1 per item.
create table custody_events (
  item_id uuid not null references custody_items(id),
  seq integer not null check (seq >= 1),
  type text not null,
  -- When it happened (may precede recording, e.g. the seizure) and when it was recorded.
  at timestamptz not null,
  recorded_at timestamptz not null,
  actor_id uuid not null,
  actor_name text not null,
  actor_org_id uuid not null,
  -- Second person for cash and valuables (two-person rule), confirmed with their password.
  witness_id uuid,
  witness_name text,
  -- A correction points at the event it corrects; the original stays.
  corrects_seq integer,
  data jsonb not null,
  prev_hash text not null,
  hash text not null,
  primary key (item_id, seq)
);
-- Statistics by type over time (received, disposed per month).
create index custody_events_type_at_idx on custody_events (type, at);

-- Signed checkpoints: the chain heads that moved since the previous checkpoint, digested
-- together with the previous checkpoint's digest and signed with the configured Ed25519 key.
create table custody_checkpoints (
  no integer primary key,
  at timestamptz not null,
  prev_digest text not null,
  digest text not null,
  head_count integer not null,
  key_id text not null,
  signature text not null
);

create table custody_checkpoint_heads (
  checkpoint_no integer not null references custody_checkpoints(no),
  item_id uuid not null,
  seq integer not null,
  hash text not null,
  primary key (checkpoint_no, item_id)
);
-- Verification looks up the signed heads of one item.
create index custody_checkpoint_heads_item_idx on custody_checkpoint_heads (item_id, seq);

-- Warnings of practice: late registration, loan overdue, unrelated item not released,
-- concluded case not disposed, transfer not accepted. One per item, kind and episode.
create table custody_warnings (
  id uuid primary key default gen_random_uuid(),
  item_id uuid not null references custody_items(id),
  case_id uuid not null references custody_cases(id),
  kind text not null check (kind in ('late_registration', 'loan_overdue', 'unrelated_not_released', 'undisposed', 'transfer_unaccepted')),
  episode text not null,
  holder_org_id uuid not null references orgs(id),
  raised_at timestamptz not null default now(),
  due_at timestamptz,
  detail jsonb not null default '{}',
  resolved_at timestamptz,
  unique (item_id, kind, episode)
);
create index custody_warnings_open_idx on custody_warnings (raised_at desc) where resolved_at is null;
create index custody_warnings_item_idx on custody_warnings (item_id);

-- Digital evidence files (证据通), uploaded over tus and re-hashed on completion.
create table custody_evidence (
  id uuid primary key default gen_random_uuid(),
  item_id uuid not null references custody_items(id),
  seq integer not null,
  filename text not null,
  mime text not null,
  size bigint not null,
  sha256 text not null,
  storage_path text not null,
  uploaded_by uuid not null references users(id),
  created_at timestamptz not null default now()
);
create index custody_evidence_item_idx on custody_evidence (item_id);

-- Sharing an evidence file with another agency until a time.
create table custody_evidence_shares (
  id uuid primary key default gen_random_uuid(),
  evidence_id uuid not null references custody_evidence(id),
  org_id uuid not null references orgs(id),
  expires_at timestamptz not null,
  created_by uuid not null references users(id),
  created_at timestamptz not null default now(),
  revoked_at timestamptz
);
create index custody_evidence_shares_org_idx on custody_evidence_shares (org_id, expires_at);

-- Remote display sessions (远程示证): an expiring read-only link for one named viewer.
create table custody_displays (
  id uuid primary key default gen_random_uuid(),
  -- SHA-256 of the link token: a leaked table does not leak live links.
  token_hash text not null unique,
  title text not null,
  viewer_name text not null,
  item_ids uuid[] not null,
  created_by uuid not null references users(id),
  org_id uuid not null references orgs(id),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz
);
