import crypto from 'node:crypto';
import type { Insertable } from 'kysely';
import type { Db } from '../../db.js';
import { recordAudit } from '../../platform/audit/audit.js';
import { systemContext } from '../../platform/http/context.js';
import { getSetting, putSetting } from '../core/index.js';
import { Prng } from '../demo/demo.random.js';
import { loadLabelledReports } from './classifier/index.js';
import { addMinutes, type WorkCalendar } from './reports.calendar.js';
import { STAGES, type Stage, type StageLimits } from './reports.categories.js';
import * as repo from './reports.repository.js';
import { CHANNEL_LABELS, type ReportsService } from './reports.service.js';
import type { ReportEventsTable, ReportStagesTable, ReportsTable } from './reports.tables.js';

const MARKER = 'demo.reports.seeded';
/** The API key of the demo Open311 client, written in the README. Demo mode only. */
export const DEMO_OPEN311_KEY = 'demo-open311-key';
const TRACKING = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁沈任姚卢傅钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常汤康易乔赖文'.split('');
const STEP_ACTION: Record<Stage, string> = { accept: 'accept', register: 'register', dispatch: 'dispatch', handle: 'handle', verify: 'verify', close: 'close' };
const RESULTS = ['已到现场处置完毕', '已协调相关单位整改到位', '已清理完毕，现场恢复正常', '已维修完成并复查', '已约谈责任人，限期整改已完成', '已调解，双方达成一致', '已上门走访并落实帮扶措施'];

type Channel = 'resident' | 'hotline' | 'patrol' | 'api';

/**
 * The reports of the demo district: department heads (they receive escalations), the demo
 * Open311 key, sixty days of handled cases (from the labelled example texts, with stage times
 * around their limits, ratings) and a few open ones, so that every page has something real
 * to show. Runs once (a marker in settings), deterministic, in one transaction.
 */
export async function seedDemoReports(db: Db, reports: ReportsService, opts: { districtCode: string; days?: number; perDay?: number; now?: Date }) {
  if (await getSetting(db, MARKER)) return null;
  const district = await db.selectFrom('orgs').select(['id', 'path']).where('code', '=', opts.districtCode).executeTakeFirst();
  if (!district) return null;
  const now = opts.now ?? new Date();
  const days = opts.days ?? 60;
  const perDay = opts.perDay ?? 12;
  const rng = new Prng(20260101, 'reports');
  const cal: WorkCalendar = await reports.calendar();
  const cats = [...(await reports.categories()).values()].filter((c) => c.parent_code && c.dept_type && c.active);
  const texts = new Map<string, string[]>();
  for (const item of loadLabelledReports().items) texts.set(item.category, [...(texts.get(item.category) ?? []), item.text]);

  const depts = await db.selectFrom('orgs').select(['id', 'path', 'dept_type', 'name']).where('kind', '=', 'department').where('path', 'like', `${district.path}%`).execute();
  const deptByType = new Map(depts.map((d) => [d.dept_type!, d]));
  const deptUsers = await db.selectFrom('users').select(['id', 'org_id', 'display_name']).where('username', 'like', 'dept-%').execute();
  const commandUsers = await db.selectFrom('users').select(['display_name']).where('username', '=', 'command').execute();
  const operator = commandUsers[0]?.display_name ?? '指挥中心值班员';
  const places = await db
    .selectFrom('addresses as a')
    .innerJoin('grids as g', 'g.id', 'a.grid_id')
    .innerJoin('orgs as c', 'c.id', 'g.community_org_id')
    .select(['a.id', 'a.full_text', 'a.lng', 'a.lat', 'a.grid_id', 'g.community_org_id', 'c.parent_id as street_id', 'c.path as community_path'])
    .where('a.level', '=', 'building')
    .where('c.path', 'like', `${district.path}%`)
    .orderBy('a.id')
    .limit(4000)
    .execute();
  const workers = await db.selectFrom('grid_workers as w').innerJoin('users as u', 'u.id', 'w.user_id').select(['w.grid_id', 'u.id', 'u.display_name']).execute();
  const workerOf = new Map(workers.map((w) => [w.grid_id, w]));
  if (!places.length || !cats.length) return null;

  const reportRows: Insertable<ReportsTable>[] = [];
  const stageRows: Insertable<ReportStagesTable>[] = [];
  const eventRows: Insertable<ReportEventsTable>[] = [];
  const supervisions: { reportId: string; stage: string; at: Date }[] = [];
  for (let d = days; d >= 1; d--) {
    const dayStart = new Date(now.getTime() - d * 86_400_000);
    const n = Math.max(2, Math.round(perDay * (0.6 + rng.next() * 0.8)));
    for (let i = 0; i < n; i++) {
      const cat = rng.pick(cats);
      const dept = deptByType.get(cat.dept_type!);
      const place = rng.pick(places);
      const worker = workerOf.get(place.grid_id!) ?? null;
      const text = rng.pick(texts.get(cat.code) ?? [cat.name]);
      const limits = { ...(cat.limits ?? {}) } as StageLimits;
      const mode = cat.time_mode as 'working' | 'natural';
      const created = new Date(Date.UTC(dayStart.getUTCFullYear(), dayStart.getUTCMonth(), dayStart.getUTCDate(), 23 + rng.int(0, 13), rng.int(0, 59), rng.int(0, 59)) - 24 * 3600_000);
      if (created > now) continue;
      const id = rng.uuid();
      const channel = rng.weighted<Channel>(['resident', 'hotline', 'patrol', 'api'], [45, 30, 20, 5]);
      const ageDays = (now.getTime() - created.getTime()) / 86_400_000;
      // Most older cases are closed; the last days still have work in progress.
      const endStage: Stage | 'closed' | 'voided' =
        ageDays > 4 ? rng.weighted<Stage | 'closed' | 'voided'>(['closed', 'voided', 'handle', 'verify'], [93, 3, 3, 1]) : rng.weighted<Stage | 'closed' | 'voided'>(['closed', 'handle', 'verify', 'close', 'accept'], [45, 28, 10, 5, 15]);
      // Unsure of the category: waiting in the triage queue, unrouted.
      const triage = endStage === 'accept';
      const late = rng.chance(0.18);
      let t = created;
      const events: Insertable<ReportEventsTable>[] = [{ report_id: id, action: 'create', from_status: null, to_status: 'reported', actor_id: null, actor_name: channel === 'resident' ? '群众' : operator, note: `渠道：${CHANNEL_LABELS[channel]}`, created_at: t }];
      let status = 'reported';
      let stage: Stage | null = null;
      let stageStarted: Date | null = null;
      let stageDeadline: Date | null = null;
      let overdue = false;
      const order: Stage[] = [...STAGES];
      const statusAfter: Record<Stage, string> = { accept: 'accepted', register: 'registered', dispatch: 'dispatched', handle: 'handled', verify: 'verified', close: 'closed' };
      let voided = false;
      for (const st of order) {
        const deadline = addMinutes(cal, t, limits[st], mode);
        const span = deadline.getTime() - t.getTime();
        const isHandle = st === 'handle';
        if (endStage === st) {
          stage = st;
          stageStarted = t;
          stageDeadline = deadline;
          overdue = deadline < now;
          stageRows.push({ report_id: id, stage: st, started_at: t, deadline, finished_at: null, on_time: null });
          if (overdue) supervisions.push({ reportId: id, stage: st, at: deadline });
          break;
        }
        if (endStage === 'voided' && st === 'register') {
          stageRows.push({ report_id: id, stage: st, started_at: t, deadline, finished_at: t, on_time: true });
          events.push({ report_id: id, action: 'void', from_status: status, to_status: 'voided', actor_id: null, actor_name: operator, note: '重复上报，已作废', created_at: t });
          status = 'voided';
          voided = true;
          break;
        }
        const fraction = isHandle ? (late ? 1 + rng.next() * 0.8 : 0.15 + rng.next() * 0.8) : st === 'accept' || st === 'register' || st === 'dispatch' ? rng.next() * 0.4 : 0.1 + rng.next() * 0.7;
        const finished = new Date(Math.min(t.getTime() + Math.max(60_000, span * fraction), now.getTime() - 60_000));
        stageRows.push({ report_id: id, stage: st, started_at: t, deadline, finished_at: finished, on_time: finished <= deadline });
        const actor = isHandle ? (worker?.display_name ?? deptUsers.find((u) => u.org_id === dept?.id)?.display_name ?? null) : st === 'verify' ? (worker?.display_name ?? operator) : st === 'accept' || st === 'register' || st === 'dispatch' ? (rng.chance(0.8) ? '系统' : operator) : operator;
        events.push({
          report_id: id,
          action: STEP_ACTION[st],
          from_status: status,
          to_status: statusAfter[st],
          actor_id: null,
          actor_name: actor,
          note: isHandle ? rng.pick(RESULTS) : st === 'dispatch' ? `派遣至${dept?.name ?? ''}` : null,
          created_at: finished,
        });
        status = statusAfter[st];
        t = finished;
      }
      const closed = status === 'closed';
      const rating = closed && rng.chance(0.6) ? rng.weighted(['satisfied', 'basically_satisfied', 'dissatisfied'], [80, 14, 6]) : null;
      if (rating) events.push({ report_id: id, action: 'rated', from_status: 'closed', to_status: 'closed', actor_id: null, actor_name: '群众', note: null, data: JSON.stringify({ rating }), created_at: new Date(Math.min(t.getTime() + 3600_000, now.getTime())) });
      eventRows.push(...events);
      const day = new Date(created.getTime() + 8 * 3600_000).toISOString().slice(0, 10).replace(/-/g, '');
      reportRows.push({
        id,
        // Numbered below, from the sequence, once the count is known.
        number: day,
        tracking_code: Array.from({ length: 10 }, () => TRACKING[rng.int(0, 31)]).join(''),
        channel,
        status: stage ? ({ accept: 'reported', register: 'accepted', dispatch: 'registered', handle: 'dispatched', verify: 'handled', close: 'verified' } as const)[stage] : status,
        suspended_from: null,
        suspended_at: null,
        description: text,
        category_code: triage ? null : cat.code,
        suggested_category: cat.code,
        suggested_confidence: triage ? 0.3 + rng.next() * 0.3 : 0.65 + rng.next() * 0.34,
        priority: cat.priority,
        time_mode: cat.time_mode,
        lng: place.lng,
        lat: place.lat,
        address_text: place.full_text,
        address_id: place.id,
        grid_id: place.grid_id,
        community_org_id: place.community_org_id,
        street_org_id: place.street_id,
        district_org_id: district.id,
        dept_org_id: voided || triage ? null : (dept?.id ?? null),
        assignee_id: voided || triage ? null : (worker?.id ?? null),
        area_path: place.community_path,
        dept_path: voided || triage ? null : (dept?.path ?? null),
        routing: JSON.stringify(triage ? [{ kind: 'unrouted', text: '自动分类置信度低于阈值，转人工分拨' }] : [
          { kind: 'category', text: `类别「${cat.name}」(${cat.code})` },
          ...(dept ? [{ kind: 'default', text: `按部门类型交本区县的「${dept.name}」` }] : []),
          ...(worker ? [{ kind: 'grid_worker', text: `网格员：${worker.display_name}` }] : []),
        ]),
        reporter_name: `${rng.pick(SURNAMES)}${rng.chance(0.5) ? '先生' : '女士'}`,
        reporter_phone: `1${rng.pick(['3', '5', '7', '8', '9'])}${String(rng.int(0, 999_999_999)).padStart(9, '0')}`,
        reporter_user_id: null,
        external_ref: null,
        stage,
        stage_started_at: stageStarted,
        stage_deadline: stageDeadline,
        expected_at: null,
        warned: overdue,
        overdue,
        supervised: overdue,
        merged_into: null,
        result_note: closed || status === 'handled' || status === 'verified' ? (events.find((e) => e.action === 'handle')?.note ?? null) : null,
        rating,
        rating_comment: rating === 'dissatisfied' ? '处理太慢' : null,
        created_at: created,
        updated_at: t,
        closed_at: closed || voided ? t : null,
      });
    }
  }

  const seqs = await repo.nextSequenceValues(db, reportRows.length);
  reportRows.forEach((r, i) => (r.number = `${r.number}${String(seqs[i]).padStart(6, '0')}`));
  await db.transaction().execute(async (tx) => {
    // Escalations go to the head of each department: its demo user.
    for (const d of depts) {
      const head = deptUsers.find((u) => u.org_id === d.id);
      if (head) await tx.updateTable('orgs').set({ head_user_id: head.id }).where('id', '=', d.id).execute();
    }
    await repo.insertOpen311Key(tx, { name: '演示接入（Open311）', keyHash: crypto.createHash('sha256').update(DEMO_OPEN311_KEY).digest('hex'), districtOrgId: district.id });
    await repo.insertDemoCases(tx, reportRows, stageRows, eventRows);
    for (const s of supervisions) await repo.insertSupervision(tx, { reportId: s.reportId, kind: 'overdue', stage: s.stage, note: '超时，自动督办', createdBy: null });
    const result = { cases: reportRows.length, days };
    await putSetting(tx, MARKER, { ...result, at: now.toISOString() });
    await recordAudit(tx, systemContext(), { action: 'demo.seeded', targetType: 'report', after: result });
  });
  return { cases: reportRows.length };
}
