/**
 * Bulk generation of cases for the list and statistics benchmarks: N reports of the demo
 * district spread over two years, with their report_stages, written by SQL
 * (insert … select … from generate_series) in batches.
 *
 * Distribution (deterministic shape, random draws by PostgreSQL's random()):
 *  - created_at: the last 730 days, somewhat denser towards today (age = 730 d × u^1.15), and
 *    generated in chronological order, so that the table is in created_at order on disk as
 *    it is in production (a table filled in random order would make every range scan look slow);
 *  - category: 34 leaves with hotline-like weights (暴露垃圾, 违章停车, 占道经营, 噪声扰民,
 *    物业纠纷 most frequent; 黄赌毒线索, 校园周边安全 rarest); description: a labelled text of
 *    the category (so `q=井盖` finds the manhole-cover reports and a few others);
 *  - place: a building address of the district drawn uniformly (so grids, communities and
 *    streets weigh by their number of buildings); the grid worker of its grid is the assignee;
 *  - department: the district department of the category's type, as the default routing does;
 *  - status: older than 7 days 93 % closed, 3 % voided, 2 % dispatched, 1 % handled, 0.5 %
 *    verified, 0.5 % waiting in triage or in the office stages; the last 7 days 45 % closed,
 *    30 % dispatched, 10 % handled, 5 % verified, 5 % triage, 5 % voided / office stages;
 *  - time to close: log-normal around 55 % of the handling limit (× 3 for working-time limits,
 *    as a working day is a third of a clock day), so that about 3/4 of the stages are on time;
 *    urgent (natural-time) categories close in hours, slow ones (mediation) in days;
 *  - stages: closed cases all six, voided cases 受理 and 立案, open cases the finished ones
 *    and the running one (with its deadline; overdue / warned / supervised flags set from it);
 *  - ratings: 60 % of closed cases rated, 80 / 14 / 6 % satisfied / basically / dissatisfied.
 *
 * Foreign-key triggers are switched off for the load (session_replication_role = replica; the
 * rows are consistent by construction); the plain indexes of the migrations are dropped for the
 * load and built again after it (primary keys and unique constraints stay), then VACUUM ANALYZE.
 */
import type pg from 'pg';
import { loadLabelledReports } from '../src/server/modules/reports/classifier/index.js';

/** Relative frequency of the leaves (a hotline-like mix). */
const WEIGHTS: Record<string, number> = {
  '0101': 12, '0102': 8, '0103': 4, '0104': 4,
  '0201': 2, '0202': 4, '0203': 3, '0204': 4, '0205': 1.5,
  '0301': 3, '0302': 9, '0303': 1, '0304': 3,
  '0401': 1, '0402': 0.5, '0403': 1, '0404': 1.5,
  '0501': 2, '0502': 2.5, '0503': 1, '0504': 1,
  '0601': 3, '0602': 5, '0603': 2, '0604': 3,
  '0701': 1.5, '0702': 1.5, '0703': 6, '0704': 1,
  '0801': 1.5, '0802': 1, '0803': 2, '0804': 1, '0805': 0.5,
};

/** Prefix of the generated case numbers (the service's are 14 digits). */
export const GENERATED_PREFIX = 'B';

export async function generateCases(c: pg.Client, opts: { n: number; districtOrgId: string; districtPath: string; batch?: number; log?: (s: string) => void }) {
  const { n, districtOrgId, districtPath } = opts;
  const batch = opts.batch ?? 100_000;
  const log = opts.log ?? (() => undefined);
  await c.query(`set session_replication_role = replica`);
  await c.query(`set synchronous_commit = off`);
  await c.query(`set work_mem = '64MB'`);

  // Places: the building addresses of the district with their grid, community, street, worker.
  await c.query(
    `create temp table b_place as
     select row_number() over (order by a.id)::int as i, a.id as address_id, a.full_text, a.lng, a.lat, a.grid_id, g.community_org_id,
            cm.parent_id as street_org_id, cm.path as area_path,
            (select w.user_id from grid_workers w where w.grid_id = g.id order by w.user_id limit 1) as worker_id
     from addresses a join grids g on g.id = a.grid_id join orgs cm on cm.id = g.community_org_id
     where a.level = 'building' and cm.path like $1`,
    [`${districtPath}%`],
  );
  const np = Number((await c.query(`select count(*) from b_place`)).rows[0].count);
  if (!np) throw new Error('no building addresses in the district');

  // Categories, their department (the default routing target) and 1,000 weighted slots.
  const codes = Object.keys(WEIGHTS);
  const total = codes.reduce((s, k) => s + WEIGHTS[k], 0);
  const slots: string[] = [];
  let acc = 0;
  for (const k of codes) {
    const upto = Math.round(((acc += WEIGHTS[k]) / total) * 1000);
    while (slots.length < upto) slots.push(k);
  }
  await c.query(
    `create temp table b_cat as
     select distinct on (rc.code) rc.code, rc.name, rc.priority, rc.time_mode, rc.limits, d.id as dept_org_id, d.path as dept_path, d.name as dept_name,
            case rc.time_mode when 'working' then 3 else 1 end as mult
     from report_categories rc
     left join orgs d on d.dept_type = rc.dept_type and d.kind in ('department', 'agency') and d.path like $1
     where rc.code = any($2::text[])
     order by rc.code, length(d.path)`,
    [`${districtPath}%`, codes],
  );
  await c.query(`create temp table b_slot as select (s - 1)::int as slot, code from unnest($1::text[]) with ordinality as t(code, s)`, [slots]);

  // Texts: the labelled reports of each category.
  const items = loadLabelledReports().items;
  await c.query(
    `create temp table b_text as
     select category, (row_number() over (partition by category order by text))::int as k, text
     from unnest($1::text[], $2::text[]) as t(category, text)`,
    [items.map((x) => x.category), items.map((x) => x.text)],
  );
  await c.query(`create temp table b_ntext as select category, count(*)::int as nt from b_text group by category`);
  await c.query(`analyze b_place; analyze b_cat; analyze b_slot; analyze b_text; analyze b_ntext`);

  const statement = `
    with g as (
      select x as n, random() as u_place, random() as u_cat, random() as u_text, random() as u_status, random() as u_chan,
             random() as u_rate, random() as u_rate2, random() as u_conf, random() as u_name, random() as u_phone,
             -- Chronological, as in production (the heap in created_at order): the x-th of n
             -- cases at the quantile of the age distribution 730 d × u^1.15, plus a jitter.
             now() - (730 * power(1 - (x - random()) / $4::float8, 1.15)) * interval '1 day' as created_at,
             sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) as z
      from generate_series($1::int, $2::int) x
    ), h as (
      select g.*, p.address_id, p.full_text, p.lng, p.lat, p.grid_id, p.community_org_id, p.street_org_id, p.area_path, p.worker_id,
             bc.code, bc.name as cat_name, bc.priority, bc.time_mode, bc.limits, bc.mult, bc.dept_org_id, bc.dept_path, bc.dept_name, t.text,
             -- Minutes from report to closure: log-normal around 55 % of the handling limit.
             ((bc.limits->>'handle')::int * bc.mult / 0.68 * 0.55 * exp(0.9 * g.z)) * interval '1 minute' as span,
             extract(epoch from now() - g.created_at) / 86400 as age
      from g
      join b_place p on p.i = 1 + floor(g.u_place * ${np})::int
      join b_slot s on s.slot = floor(g.u_cat * 1000)::int
      join b_cat bc on bc.code = s.code
      join b_ntext nt on nt.category = bc.code
      join b_text t on t.category = bc.code and t.k = 1 + floor(g.u_text * nt.nt)::int
    ), s as (
      select h.*,
        case when age > 7 then
          case when u_status < 0.93 then 'closed' when u_status < 0.96 then 'voided' when u_status < 0.98 then 'dispatched' when u_status < 0.99 then 'handled'
               when u_status < 0.995 then 'verified' when u_status < 0.998 then 'reported' when u_status < 0.999 then 'accepted' else 'registered' end
        else
          case when u_status < 0.45 then 'closed' when u_status < 0.47 then 'voided' when u_status < 0.77 then 'dispatched' when u_status < 0.87 then 'handled'
               when u_status < 0.92 then 'verified' when u_status < 0.97 then 'reported' when u_status < 0.985 then 'accepted' else 'registered' end
        end as status
      from h
    ), src as materialized (
      select s.*, gen_random_uuid() as id,
        -- The running stage (1..6) of an open case; 0 for closed and voided ones.
        case status when 'reported' then 1 when 'accepted' then 2 when 'registered' then 3 when 'dispatched' then 4 when 'handled' then 5 when 'verified' then 6 else 0 end as k_cur,
        case status when 'closed' then 6 when 'voided' then 2 when 'reported' then 1 when 'accepted' then 2 when 'registered' then 3 when 'dispatched' then 4 when 'handled' then 5 else 6 end as k_last,
        case status when 'reported' then 0 when 'accepted' then 0.02 when 'registered' then 0.04 when 'dispatched' then 0.07 when 'handled' then 0.75 when 'verified' then 0.92 end as f_cur,
        case status when 'reported' then 'accept' when 'accepted' then 'register' when 'registered' then 'dispatch' when 'dispatched' then 'handle' when 'handled' then 'verify' when 'verified' then 'close' end as stage_cur
      from s
    ), r as (
      select src.*,
        case when status = 'closed' then least(created_at + span, now() - interval '1 minute')
             when status = 'voided' then least(created_at + span * 0.04, now() - interval '1 minute') end as closed_at,
        least(created_at + span * f_cur, now() - interval '1 minute') as stage_started_at
      from src
    ), r2 as (
      select r.*, stage_started_at + ((limits->>stage_cur)::int * mult) * interval '1 minute' as stage_deadline from r
    ), ins as (
      insert into reports (id, number, tracking_code, channel, status, description, category_code, suggested_category, suggested_confidence, priority, time_mode,
                           lng, lat, address_text, address_id, grid_id, community_org_id, street_org_id, district_org_id, dept_org_id, assignee_id, area_path, dept_path,
                           routing, reporter_name, reporter_phone, stage, stage_started_at, stage_deadline, warned, overdue, supervised, result_note, rating, rating_comment,
                           created_at, updated_at, closed_at)
      select id, '${GENERATED_PREFIX}' || lpad(n::text, 9, '0'), 'T' || lpad(upper(to_hex(n)), 9, '0'),
        case when u_chan < 0.45 then 'resident' when u_chan < 0.75 then 'hotline' when u_chan < 0.95 then 'patrol' else 'api' end,
        status, text, case when status = 'reported' then null else code end, code,
        case when status = 'reported' then 0.3 + u_conf * 0.34 else 0.65 + u_conf * 0.34 end, priority, time_mode,
        lng, lat, full_text, address_id, grid_id, community_org_id, street_org_id, $3::uuid,
        case when status in ('reported', 'voided') then null else dept_org_id end,
        case when status in ('reported', 'voided') then null else worker_id end,
        area_path, case when status in ('reported', 'voided') then null else dept_path end,
        case when status = 'reported' then '[{"kind":"unrouted","text":"自动分类置信度低于阈值，转人工分拨"}]'::jsonb
             else jsonb_build_array(jsonb_build_object('kind', 'location', 'text', '位置落在网格'),
                                    jsonb_build_object('kind', 'category', 'text', '类别「' || cat_name || '」(' || code || ')'),
                                    jsonb_build_object('kind', 'default', 'text', '无专门规则：按部门类型交本区县的「' || dept_name || '」')) end,
        substr('王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗', 1 + floor(u_name * 20)::int, 1) || case when u_name * 20 - floor(u_name * 20) < 0.5 then '先生' else '女士' end,
        '1' || (array['3','5','7','8','9'])[1 + floor(u_phone * 5)::int] || lpad(floor(u_phone * 1e9)::bigint::text, 9, '0'),
        case when k_cur > 0 then stage_cur end,
        case when k_cur > 0 then stage_started_at end,
        case when k_cur > 0 then stage_deadline end,
        k_cur > 0 and stage_started_at + (stage_deadline - stage_started_at) * 0.8 < now(),
        k_cur > 0 and stage_deadline < now(),
        k_cur > 0 and stage_deadline < now(),
        case when status in ('closed', 'handled', 'verified') then '已到现场处置完毕' end,
        case when status = 'closed' and u_rate < 0.6 then case when u_rate2 < 0.8 then 'satisfied' when u_rate2 < 0.94 then 'basically_satisfied' else 'dissatisfied' end end,
        case when status = 'closed' and u_rate < 0.6 and u_rate2 >= 0.94 then '处理太慢' end,
        created_at, coalesce(closed_at, stage_started_at, created_at), closed_at
      from r2
      order by n
    )
    insert into report_stages (report_id, stage, started_at, deadline, finished_at, on_time)
    select r2.id, st.stage, b.started, b.started + lim, b.finished, case when b.finished is null then null else b.finished <= b.started + lim end
    from r2
    cross join (values (1, 'accept', 0.0, 0.02), (2, 'register', 0.02, 0.04), (3, 'dispatch', 0.04, 0.07), (4, 'handle', 0.07, 0.75), (5, 'verify', 0.75, 0.92), (6, 'close', 0.92, 1.0)) st(k, stage, f0, f1)
    cross join lateral (
      select least(r2.created_at + r2.span * st.f0, now() - interval '1 minute') as started,
             case when st.k = r2.k_cur then null
                  when r2.status = 'voided' and st.k = 2 then r2.closed_at
                  else least(r2.created_at + r2.span * st.f1, now() - interval '1 minute') end as finished,
             ((r2.limits->>st.stage)::int * r2.mult) * interval '1 minute' as lim
    ) b
    where st.k <= r2.k_last
    order by r2.n, st.k`;

  // The plain indexes are dropped for the load and built again after it (as pg_restore does);
  // primary keys and unique constraints stay and are maintained row by row.
  const plain = (
    await c.query(
      `select i.indexname, i.indexdef from pg_indexes i
       where i.schemaname = 'public' and i.tablename in ('reports', 'report_stages')
         and not exists (select 1 from pg_constraint k where k.conname = i.indexname)`,
    )
  ).rows as { indexname: string; indexdef: string }[];
  const start = performance.now();
  for (const ix of plain) await c.query(`drop index ${ix.indexname}`);
  let stages = 0;
  for (let from = 1; from <= n; from += batch) {
    const to = Math.min(n, from + batch - 1);
    const r = await c.query(statement, [from, to, districtOrgId, n]);
    stages += r.rowCount ?? 0;
    const s = (performance.now() - start) / 1000;
    log(`${to.toLocaleString('en-US')} / ${n.toLocaleString('en-US')} cases, ${stages.toLocaleString('en-US')} stages, ${s.toFixed(0)} s`);
  }
  await c.query(`set maintenance_work_mem = '256MB'`);
  const ti = performance.now();
  for (const ix of plain) await c.query(ix.indexdef);
  log(`${plain.length} indexes rebuilt in ${((performance.now() - ti) / 1000).toFixed(0)} s`);
  const loadMs = performance.now() - start;
  await c.query(`set session_replication_role = origin`);
  await c.query(`drop table b_place, b_cat, b_slot, b_text, b_ntext`);
  // What autovacuum would have done by the time a table had grown to this size.
  const t = performance.now();
  await c.query(`vacuum (analyze) reports`);
  await c.query(`vacuum (analyze) report_stages`);
  const vacuumMs = performance.now() - t;
  log(`vacuum analyze ${(vacuumMs / 1000).toFixed(0)} s`);
  return { cases: n, stages, loadMs, vacuumMs };
}
