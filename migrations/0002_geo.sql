-- Unified address library and grids.

create table grids (
  id uuid primary key default gen_random_uuid(),
  code text not null unique,
  name text not null,
  community_org_id uuid not null references orgs(id),
  geometry jsonb not null,
  -- Bounding box, for the spatial index and bbox queries of the map.
  min_lng double precision not null,
  min_lat double precision not null,
  max_lng double precision not null,
  max_lat double precision not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index grids_community_idx on grids (community_org_id);
-- Map viewport queries (features.geojson?bbox=).
create index grids_bbox_idx on grids (min_lng, max_lng, min_lat, max_lat);

create table grid_workers (
  grid_id uuid not null references grids(id) on delete cascade,
  user_id uuid not null references users(id),
  primary key (grid_id, user_id)
);
-- The grids of a user (data scope of grid workers).
create index grid_workers_user_idx on grid_workers (user_id);

create table addresses (
  id uuid primary key default gen_random_uuid(),
  parent_id uuid references addresses(id),
  level text not null check (level in ('province', 'city', 'county', 'street', 'community',
    'estate', 'building', 'unit', 'room')),
  name text not null,
  full_text text not null unique,
  aliases text[] not null default '{}',
  lng double precision not null check (lng between -180 and 180),
  lat double precision not null check (lat between -90 and 90),
  grid_id uuid references grids(id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
-- Browsing the hierarchy: children of a record.
create index addresses_parent_idx on addresses (parent_id, name);
create index addresses_grid_idx on addresses (grid_id);

-- A revision number bumped by every change to addresses or grids, so that each instance
-- knows in one primary-key read whether its in-memory matcher and grid index are stale.
create table geo_revision (
  id boolean primary key default true check (id),
  revision bigint not null
);
insert into geo_revision (revision) values (0);

create function geo_bump_revision() returns trigger language plpgsql as $$
begin
  update geo_revision set revision = revision + 1;
  return null;
end $$;

create trigger addresses_revision after insert or update or delete or truncate on addresses
  for each statement execute function geo_bump_revision();
create trigger grids_revision after insert or update or delete or truncate on grids
  for each statement execute function geo_bump_revision();
create trigger grid_workers_revision after insert or update or delete or truncate on grid_workers
  for each statement execute function geo_bump_revision();
