/**
 * Data of the reconciliation benchmark (人来未登记), written straight into PostgreSQL with
 * `insert … select … from generate_series` — no rows pass through Node. Person keys are
 * SHA-256 hex digests (as long as the keyed hashes of ID numbers an import produces).
 *
 * The answer is planted, so that Zhian, the plain SQL statement and DuckDB can be checked
 * against a number known in advance, not only against each other. With asOf at 12:00 Beijing
 * time, window (asOf − 30 d, asOf], N = 5 distinct Beijing days:
 *
 *  - registrations: R people, each registered at one of R/4 addresses;
 *  - residents' entries (≈ 87 % of the entries): registered people entering their own
 *    address, spread over the last 45 days (so a third are outside the window) → not found;
 *  - visitors (8 %): unregistered people entering an address on exactly 4 distinct days → not found;
 *  - planted: F unregistered people entering an address on 5…25 distinct days (a third of
 *    them twice a day) → found, with levels green (5–9 days), yellow (10–19), red (20–25);
 *  - edge cases, E of each:
 *      e1 a registered person entering ANOTHER address on 6 days → found (registration is per address);
 *      e2 6 days, of which 2 are 31 and 33 days ago → 4 in the window → not found;
 *      e3 12 entries on 4 days → not found (distinct days, not entries);
 *      e4 6 entries at 23:30 and 00:30 Beijing time: 6 Beijing days but 3 UTC days → found;
 *      e5 5 UTC days but 4 Beijing days → not found;
 *      e6a one entry exactly at asOf − 30 d (outside: the window is open there) + 4 days → not found;
 *      e6b one entry exactly at asOf (inside) + 4 days → found.
 *
 * Expected: F + 3E findings. An implementation that dates entries in UTC, counts entries
 * instead of days, ignores the address of the registration or closes the window at the wrong
 * end gets another number.
 */
import type pg from 'pg';

export interface ReconScale {
  registrations: number;
  entries: number;
  planted: number;
  edge: number;
}

export interface ReconData {
  asOf: Date;
  addresses: number;
  registrations: number;
  entries: number;
  expected: { found: number; green: number; yellow: number; red: number };
  /** Rows by kind of entry. */
  parts: Record<string, number>;
  residentsImportId: string;
  accessImportId: string;
}

const DAY = 86_400;
/** Levels of the benchmark's rule (distinct days in the window). */
export const RECON_LEVELS = { green: 5, yellow: 10, red: 20 } as const;
export const WINDOW_DAYS = 30;

/** Days of the j-th planted person (5…25) and entries per day (2 for every third). */
const plantedDays = (j: number) => 5 + (j % 21);
const plantedPerDay = (j: number) => (j % 3 === 0 ? 2 : 1);

function levelOf(days: number): 'green' | 'yellow' | 'red' {
  return days >= RECON_LEVELS.red ? 'red' : days >= RECON_LEVELS.yellow ? 'yellow' : 'green';
}

/**
 * Writes the registrations and the entries of one district. The unique and plain indexes of
 * the two tables are dropped for the load and built again as the migration defines them, then
 * the tables are analysed.
 */
export async function generateReconData(
  c: pg.Client,
  districtId: string,
  places: Array<{ key: string; text: string }>,
  scale: ReconScale,
  log: (s: string) => void,
): Promise<ReconData> {
  // 12:00 Beijing time of yesterday: entries are in the past, days are far from midnight.
  const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
  const asOf = new Date(Date.parse(`${today}T04:00:00Z`) - DAY * 1000);
  const R = scale.registrations;
  const addresses = Math.max(1, Math.min(places.length, Math.floor(R / 4)));
  const F = scale.planted;
  const E = scale.edge;
  let plantedEntries = 0;
  const expected = { found: F + 3 * E, green: 3 * E, yellow: 0, red: 0 };
  for (let j = 0; j < F; j++) {
    plantedEntries += plantedDays(j) * plantedPerDay(j);
    expected[levelOf(plantedDays(j))]++;
  }
  const edgeEntries = E * (6 + 6 + 12 + 6 + 5 + 5 + 5);
  const visitors = Math.floor((scale.entries * 0.08) / 4);
  const residentEntries = scale.entries - 4 * visitors - plantedEntries - edgeEntries;
  if (residentEntries < R) throw new Error('too few entries for the registrations');
  const perResident = Math.ceil(residentEntries / R);
  const slot = Math.floor((45 * DAY) / perResident);

  await c.query(`set timezone = 'UTC'`);
  await c.query(`set maintenance_work_mem = '1GB'`);
  await c.query(`set session_replication_role = replica`); // FK triggers off: rows are consistent by construction
  const imports = await c.query<{ id: string; kind: string }>(
    `insert into recon_imports (district_org_id, kind, file_name, rows) values ($1, 'residents', 'bench-residents.xlsx', $2), ($1, 'access', 'bench-access.csv', $3) returning id, kind`,
    [districtId, R, scale.entries],
  );
  const residentsImportId = imports.rows.find((r) => r.kind === 'residents')!.id;
  const accessImportId = imports.rows.find((r) => r.kind === 'access')!.id;

  // Helpers as SQL functions of this database (dropped at the end).
  await c.query(`create or replace function pg_temp.bench_addr(x bigint) returns bigint language sql immutable as $$ select (x * 2654435761) % ${addresses} $$`);
  // The addresses: the first `addresses` places, numbered 0…; keys as the import computes them.
  await c.query(`create temporary table bench_places (i bigint primary key, akey text not null, atext text not null)`);
  await c.query(`insert into bench_places select i - 1, k, t from unnest($1::text[], $2::text[]) with ordinality as x(k, t, i)`, [
    places.slice(0, addresses).map((p) => p.key),
    places.slice(0, addresses).map((p) => p.text),
  ]);
  await c.query('analyze bench_places');
  await c.query(`create or replace function pg_temp.bench_pkey(p text) returns text language sql immutable as $$ select encode(sha256(convert_to(p, 'UTF8')), 'hex') $$`);
  await c.query(`create or replace function pg_temp.bench_h(x bigint) returns bigint language sql immutable as $$ select ((x * 1103515245 + 12345) % 2147483648) $$`);

  const saved = await dropIndexes(c, ['recon_residents', 'recon_access']);

  let t = performance.now();
  await c.query(
    `insert into recon_residents (district_org_id, import_id, person_key, address_key, address_text, registered_on)
     select $1, $2, pg_temp.bench_pkey('r' || n), b.akey, b.atext, date '2020-01-01' + (n % 1800)::int
     from generate_series(0, $3::bigint - 1) n join bench_places b on b.i = pg_temp.bench_addr(n)`,
    [districtId, residentsImportId, R],
  );
  log(`${R.toLocaleString('en-US')} registrations in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  /** Inserts entries: `select` yields (n, person seed, address number, entered_at); $1 asOf, then params. */
  const ins = (select: string, params: unknown[]) =>
    c.query(
      `insert into recon_access (district_org_id, import_id, person_key, address_key, address_text, entered_at)
       select $1, $2, pg_temp.bench_pkey(s.person), b.akey, b.atext, s.at from (${select}) s join bench_places b on b.i = s.addr`,
      [districtId, accessImportId, ...params],
    );
  // asOf is $3 in every statement below.
  t = performance.now();
  // Residents: entry n is person n % R's k-th entry (k = n / R), in the k-th slot of the last 45 days.
  const chunk = 2_000_000;
  for (let from = 0; from < residentEntries; from += chunk) {
    const to = Math.min(residentEntries, from + chunk) - 1;
    await ins(
      `select 'r' || (n % ${R}) as person, pg_temp.bench_addr(n % ${R}) as addr,
              $3::timestamptz - make_interval(secs => 1 + (n / ${R}) * ${slot} + pg_temp.bench_h(n) % ${slot - 1}) as at
       from generate_series($4::bigint, $5::bigint) n`,
      [asOf, from, to],
    );
    log(`residents' entries ${(to + 1).toLocaleString('en-US')} / ${residentEntries.toLocaleString('en-US')} (${((performance.now() - t) / 1000).toFixed(1)} s)`);
  }
  // Visitors: 4 entries on 4 consecutive days 1…28 days ago, between 06:00 and 12:00 Beijing time.
  await ins(
    `select 'v' || j as person, pg_temp.bench_addr(j + 7) as addr,
            $3::timestamptz - make_interval(days => (j % 25 + 1 + m)::int, mins => (pg_temp.bench_h(j * 4 + m) % 360)::int) as at
     from generate_series(0, $4::bigint - 1) j, generate_series(0, 3) m`,
    [asOf, visitors],
  );
  // Planted: person u_j on plantedDays(j) days (1…25 days ago), twice a day for every third.
  await ins(
    `select 'u' || j as person, pg_temp.bench_addr(j * 13 + 5) as addr,
            $3::timestamptz - make_interval(days => d::int, mins => (m * 60 + pg_temp.bench_h(j) % 300)::int) as at
     from generate_series(0, $4::bigint - 1) j, generate_series(1, 5 + (j % 21)) d, generate_series(0, case when j % 3 = 0 then 1 else 0 end) m`,
    [asOf, F],
  );
  // Edge cases. M(t) = Beijing midnight t days before asOf's Beijing day = asOf − 12 h − t days.
  const edge = (tag: string, person: string, addr: string, times: string) =>
    ins(`select ${person} as person, ${addr} as addr, x.at from generate_series(0, $4::bigint - 1) j, lateral (values ${times}) as x(at)`, [asOf, E]).then((r) =>
      log(`edge case ${tag}: ${r.rowCount} entries`),
    );
  const M = (days: number, plus = '0 minutes') => `($3::timestamptz - interval '12 hours' - interval '${days} days' + interval '${plus}')`;
  const noon = (days: number) => `($3::timestamptz - interval '${days} days')`;
  await edge('e1', `'r' || j`, `((pg_temp.bench_addr(j) + 1) % ${addresses})`, [1, 2, 3, 4, 5, 6].map((d) => `(${noon(d)})`).join(', '));
  await edge('e2', `'e2-' || j`, `pg_temp.bench_addr(j + 101)`, [1, 2, 3, 4, 31, 33].map((d) => `(${noon(d)})`).join(', '));
  await edge('e3', `'e3-' || j`, `pg_temp.bench_addr(j + 202)`, [1, 2, 3, 4].flatMap((d) => [0, 60, 120].map((m) => `(${noon(d)} - interval '${m} minutes')`)).join(', '));
  await edge('e4', `'e4-' || j`, `pg_temp.bench_addr(j + 303)`, [2, 4, 6].flatMap((d) => [`(${M(d, '-30 minutes')})`, `(${M(d, '30 minutes')})`]).join(', '));
  await edge('e5', `'e5-' || j`, `pg_temp.bench_addr(j + 404)`, [`(${M(3, '1 hour')})`, `(${M(3, '9 hours')})`, `(${M(5, '12 hours')})`, `(${M(7, '12 hours')})`, `(${M(9, '12 hours')})`].join(', '));
  await edge('e6a', `'e6a-' || j`, `pg_temp.bench_addr(j + 505)`, [`($3::timestamptz - interval '${WINDOW_DAYS} days')`, ...[1, 2, 3, 4].map((d) => `(${noon(d)})`)].join(', '));
  await edge('e6b', `'e6b-' || j`, `pg_temp.bench_addr(j + 606)`, [`($3::timestamptz)`, ...[1, 2, 3, 4].map((d) => `(${noon(d)})`)].join(', '));
  log(`${scale.entries.toLocaleString('en-US')} entries in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  t = performance.now();
  await restoreIndexes(c, saved);
  await c.query(`set session_replication_role = origin`);
  await c.query('analyze recon_residents');
  await c.query('analyze recon_access');
  log(`indexes rebuilt and tables analysed in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const n = await c.query<{ n: string }>('select count(*) as n from recon_access where district_org_id = $1', [districtId]);
  if (Number(n.rows[0]!.n) !== scale.entries) throw new Error(`generated ${n.rows[0]!.n} entries, expected ${scale.entries}`);
  return {
    asOf,
    addresses,
    registrations: R,
    entries: scale.entries,
    expected,
    parts: { residents: residentEntries, visitors: 4 * visitors, planted: plantedEntries, edge: edgeEntries },
    residentsImportId,
    accessImportId,
  };
}

interface SavedIndex {
  table: string;
  name: string;
  /** `alter table … add constraint …` for unique constraints, `create index …` otherwise. */
  create: string;
  drop: string;
}

/** Drops the unique constraints and plain indexes (not the primary keys) of the tables; returns how to rebuild them. */
async function dropIndexes(c: pg.Client, tables: string[]): Promise<SavedIndex[]> {
  const saved: SavedIndex[] = [];
  for (const table of tables) {
    const cons = await c.query<{ conname: string; def: string }>(`select conname, pg_get_constraintdef(oid) as def from pg_constraint where conrelid = $1::regclass and contype = 'u'`, [table]);
    for (const k of cons.rows) saved.push({ table, name: k.conname, create: `alter table ${table} add constraint ${k.conname} ${k.def}`, drop: `alter table ${table} drop constraint ${k.conname}` });
    const idx = await c.query<{ indexname: string; indexdef: string }>(
      `select i.indexname, i.indexdef from pg_indexes i
       where i.tablename = $1 and i.schemaname = current_schema()
         and not exists (select 1 from pg_constraint k where k.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)`,
      [table],
    );
    for (const k of idx.rows) saved.push({ table, name: k.indexname, create: k.indexdef, drop: `drop index ${k.indexname}` });
  }
  for (const s of saved) await c.query(s.drop);
  return saved;
}

async function restoreIndexes(c: pg.Client, saved: SavedIndex[]): Promise<void> {
  for (const s of saved) await c.query(s.create);
}

/**
 * The reference statement: the same anti-join as one plain SQL statement, counting the
 * findings by level. Parameters: $1 district, $2 asOf, $3 window days, $4 N.
 */
export const PLAIN_SQL = `
select count(*)::int as found,
       count(*) filter (where days < ${RECON_LEVELS.yellow})::int as green,
       count(*) filter (where days >= ${RECON_LEVELS.yellow} and days < ${RECON_LEVELS.red})::int as yellow,
       count(*) filter (where days >= ${RECON_LEVELS.red})::int as red
from (
  select a.address_key, a.person_key, count(distinct (a.entered_at at time zone 'Asia/Shanghai')::date) as days
  from recon_access a
  where a.district_org_id = $1 and a.entered_at > $2::timestamptz - make_interval(secs => $3 * 86400) and a.entered_at <= $2::timestamptz
  group by a.address_key, a.person_key
  having count(distinct (a.entered_at at time zone 'Asia/Shanghai')::date) >= $4
) g
where not exists (
  select 1 from recon_residents r
  where r.district_org_id = $1 and r.address_key = g.address_key and r.person_key = g.person_key
)`;

/** The same statement in DuckDB over the tables loaded from CSV (one district: no district column). */
export function duckSql(asOf: Date): string {
  const ts = `timestamptz '${asOf.toISOString()}'`;
  return `
select count(*)::int as found,
       count(*) filter (where days < ${RECON_LEVELS.yellow})::int as green,
       count(*) filter (where days >= ${RECON_LEVELS.yellow} and days < ${RECON_LEVELS.red})::int as yellow,
       count(*) filter (where days >= ${RECON_LEVELS.red})::int as red
from (
  select a.address_key, a.person_key, count(distinct (a.entered_at at time zone 'Asia/Shanghai')::date) as days
  from access a
  where a.entered_at > ${ts} - interval '${WINDOW_DAYS * 86400} seconds' and a.entered_at <= ${ts}
  group by a.address_key, a.person_key
  having count(distinct (a.entered_at at time zone 'Asia/Shanghai')::date) >= ${RECON_LEVELS.green}
) g
where not exists (
  select 1 from residents r where r.address_key = g.address_key and r.person_key = g.person_key
)`;
}

/**
 * A rewrite of Zhian's findings statement with the same output (the columns of
 * unregisteredResidents in alerts.recon.repository.ts): the anti-join is applied to the
 * entries BEFORE they are grouped, so the entries of registered residents — most of them —
 * never reach the sort of count(distinct …). Parameters as PLAIN_SQL.
 */
export const REWRITE_SQL = `
select a.address_key, a.person_key, min(a.address_text) as address_text,
       count(distinct (a.entered_at at time zone 'Asia/Shanghai')::date)::int as days,
       min(a.entered_at) as first_at, max(a.entered_at) as last_at
from recon_access a
where a.district_org_id = $1 and a.entered_at > $2::timestamptz - make_interval(secs => $3 * 86400) and a.entered_at <= $2::timestamptz
  and not exists (
    select 1 from recon_residents r
    where r.district_org_id = $1 and r.address_key = a.address_key and r.person_key = a.person_key
  )
group by a.address_key, a.person_key
having count(distinct (a.entered_at at time zone 'Asia/Shanghai')::date) >= $4
order by a.address_key, a.person_key`;
