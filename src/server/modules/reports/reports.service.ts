import crypto from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Database, Db, DbOrTx } from '../../db.js';
import { recordAudit } from '../../platform/audit/audit.js';
import { notifyUsers, publishEvent } from '../../platform/events/events.js';
import { attachFiles, readFile } from '../../platform/files/files.js';
import { systemContext, type ActorContext, type RequestContext } from '../../platform/http/context.js';
import { AppError, conflict, invalid, notFound } from '../../platform/http/errors.js';
import { cancelTimers, scheduleTimer, type TimerHandler } from '../../platform/jobs/timers.js';
import { maskName, maskPhone, requirePermission } from '../core/index.js';
import type { GeoService, Place } from '../geo/index.js';
import { addMinutes, minutesBetween, OFFICIAL_CALENDAR_YEARS, WorkCalendar } from './reports.calendar.js';
import { DEFAULT_CATEGORIES, WARNING_CATEGORY_GROUP, STAGES, STAGE_LABELS, type Priority, type Stage, type StageLimits } from './reports.categories.js';
import * as repo from './reports.repository.js';
import { routeReport, type RoutingStep } from './reports.routing.js';
import { reportStatistics } from './reports.stats.js';
import { ACTION_LABELS, STATUS_LABELS, STATUS_STAGE, actionsFrom, isOpen, permissionFor, planTransition, reasonRequired, type Action, type Status } from './reports.workflow.js';

export interface Classification {
  category: string;
  confidence: number;
  alternatives: { category: string; confidence: number }[];
}
export interface Classifier {
  classify(text: string): Classification;
}

export const CHANNELS = ['resident', 'hotline', 'patrol', 'api', 'open311', 'warning'] as const;
export type Channel = (typeof CHANNELS)[number];
export const CHANNEL_LABELS: Record<Channel, string> = { resident: '群众上报', hotline: '热线', patrol: '网格巡查', api: '系统接入', open311: 'Open311', warning: '预警核查' };

export interface ReportInput {
  channel: Channel;
  description: string;
  categoryCode?: string | null;
  lng?: number | null;
  lat?: number | null;
  address?: string | null;
  reporterName?: string | null;
  reporterPhone?: string | null;
  photoIds?: string[];
  externalRef?: string | null;
  priority?: Priority | null;
}

export interface ActionInput {
  reason?: string | null;
  note?: string | null;
  deptOrgId?: string | null;
  assigneeId?: string | null;
  photoIds?: string[];
  targetId?: string | null;
  passed?: boolean;
}

export interface ReportsOptions {
  /** Classifications below this confidence go to the manual triage queue. */
  triageThreshold: number;
  /** How far and how far back the duplicate check looks at intake. */
  duplicateMetres: number;
  duplicateHours: number;
  /** Reopenings a dissatisfied reporter may cause before the rating just stands. */
  maxReopens: number;
}

const DEFAULT_LIMITS: StageLimits = { accept: 60, register: 60, dispatch: 60, handle: 960, verify: 240, close: 120 };
const MAX_TEXT = 2000;
const MAX_PHOTOS = 9;
const PHONE_RE = /^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$/;
const CACHE_MS = 30_000;
/** Words for the steps that are not workflow actions, for webhooks and live events. */
const EVENT_ACTION_LABELS: Record<string, string> = { categorize: '重新分类', extension: '延时审批', warned: '临期预警', escalated: '超期督办', rated: '群众评价' };
const TRACKING_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';

function trackingCode(): string {
  const bytes = crypto.randomBytes(10);
  return [...bytes].map((b) => TRACKING_ALPHABET[b % 32]).join('');
}

function actorName(ctx: RequestContext): string {
  if (!ctx.actor) return '群众';
  return ctx.actor.via === 'system' ? '系统' : ctx.actor.displayName;
}

/**
 * Residents' reports and the closed loop: intake from every channel, classification,
 * routing, the GB/T 30428 workflow with deadlines on the working-day calendar, durable
 * warning and escalation timers, supervision, extensions, ratings.
 */
export function createReportsService(deps: { db: Db; geo: GeoService; classifier: Classifier; options: ReportsOptions; deptTypeLabel: (t: string) => string }) {
  const { db, geo, classifier, options } = deps;

  // ---------------------------------------------------------------- cached settings
  let calendarCache: { at: number; cal: WorkCalendar } | null = null;
  let categoryCache: { at: number; byCode: Map<string, Awaited<ReturnType<typeof repo.allCategories>>[number]> } | null = null;

  // Inside a transaction pass the transaction: on PGlite the one connection is leased to it.
  async function calendar(q: DbOrTx = db): Promise<WorkCalendar> {
    if (calendarCache && Date.now() - calendarCache.at < CACHE_MS) return calendarCache.cal;
    calendarCache = { at: Date.now(), cal: new WorkCalendar(await repo.calendarYears(q)) };
    return calendarCache.cal;
  }

  async function categories(q: DbOrTx = db) {
    if (categoryCache && Date.now() - categoryCache.at < CACHE_MS) return categoryCache.byCode;
    const rows = await repo.allCategories(q);
    categoryCache = { at: Date.now(), byCode: new Map(rows.map((r) => [r.code, r])) };
    return categoryCache.byCode;
  }

  function invalidateSettings() {
    calendarCache = null;
    categoryCache = null;
  }

  async function leafCategory(code: string, field: string) {
    const c = (await categories()).get(code);
    if (!c || !c.active) throw invalid(field, `unknown category ${code}`);
    if (!c.dept_type || !c.parent_code) throw invalid(field, `${code} (${c.name}) is a group; choose one of its categories`);
    return c;
  }

  function limitsOf(c: { limits: Record<string, number> | null } | undefined | null): StageLimits {
    return { ...DEFAULT_LIMITS, ...(c?.limits ?? {}) } as StageLimits;
  }

  // ---------------------------------------------------------------- scope

  function scopeOf(ctx: ActorContext): repo.ReportScope {
    return { pathPrefix: ctx.actor.scopePath, gridIds: ctx.actor.gridIds, userId: ctx.actor.userId };
  }

  function visible(ctx: ActorContext, r: repo.ReportView): boolean {
    const a = ctx.actor;
    if (a.gridIds) return r.assignee_id === a.userId || (!!r.grid_id && a.gridIds.includes(r.grid_id));
    return r.area_path.startsWith(a.scopePath) || (!!r.dept_path && r.dept_path.startsWith(a.scopePath));
  }

  async function visibleReport(ctx: ActorContext, tx: DbOrTx, id: string, forUpdate = false) {
    requirePermission(ctx.actor, 'report.read');
    const r = await repo.findReport(tx, id, { forUpdate });
    if (!r || !visible(ctx, r)) throw notFound('report');
    return r;
  }

  // ---------------------------------------------------------------- stages, timers, notices

  /**
   * Enters the stage of a status: finishes the running stage (on-time flag), opens the new
   * one with its deadline, and replaces the warning (80 %) and overdue timers.
   */
  async function enterStatus(tx: Transaction<Database>, r: { id: string; category_code: string | null; time_mode: string }, to: Status, now: Date, opts: { finishCurrent: boolean }) {
    const cal = await calendar(tx);
    if (opts.finishCurrent) {
      const cur = await repo.currentStage(tx, r.id);
      if (cur) await repo.finishStage(tx, cur.id, now, cur.deadline ? now.getTime() <= new Date(cur.deadline).getTime() : null);
      // An extension asked for a stage that has ended has nothing left to extend.
      await repo.closePendingExtensions(tx, r.id, '环节已结束，申请自动关闭');
    }
    await cancelTimers(tx, r.id, 'report.');
    const stage = STATUS_STAGE[to];
    if (!stage) return { stage: null, stageStartedAt: null, stageDeadline: null, expectedAt: undefined };
    const cat = r.category_code ? (await categories(tx)).get(r.category_code) : undefined;
    const limits = limitsOf(cat);
    const mode = r.time_mode as 'working' | 'natural';
    const limit = limits[stage];
    const deadline = addMinutes(cal, now, limit, mode);
    const stageId = await repo.insertStage(tx, { reportId: r.id, stage, startedAt: now, deadline });
    await scheduleTimer(tx, { kind: 'report.warn', subjectId: r.id, dueAt: addMinutes(cal, now, limit * 0.8, mode), payload: { stageId } });
    await scheduleTimer(tx, { kind: 'report.overdue', subjectId: r.id, dueAt: deadline, payload: { stageId } });
    // Expected completion: the remaining stages up to and including 处置.
    const upto = STAGES.indexOf('handle');
    const from = STAGES.indexOf(stage);
    const expectedAt = from <= upto ? addMinutes(cal, now, STAGES.slice(from, upto + 1).reduce((s, st) => s + limits[st], 0), mode) : undefined;
    return { stage, stageStartedAt: now, stageDeadline: deadline, expectedAt };
  }

  async function reschedule(tx: Transaction<Database>, reportId: string, stageId: string, startedAt: Date, deadline: Date, mode: 'working' | 'natural') {
    const cal = await calendar(tx);
    await cancelTimers(tx, reportId, 'report.');
    const total = minutesBetween(cal, startedAt, deadline, mode);
    const now = new Date();
    const warnAt = addMinutes(cal, startedAt, total * 0.8, mode);
    if (warnAt > now) await scheduleTimer(tx, { kind: 'report.warn', subjectId: reportId, dueAt: warnAt, payload: { stageId } });
    await scheduleTimer(tx, { kind: 'report.overdue', subjectId: reportId, dueAt: deadline, payload: { stageId } });
  }

  /** Who hears of a case: the staff of its department, its grid worker, and (on escalation) the head. */
  async function handlers(tx: DbOrTx, r: { dept_org_id: string | null; assignee_id: string | null }) {
    const ids: string[] = [];
    if (r.dept_org_id) ids.push(...(await repo.usersOfOrg(tx, r.dept_org_id, ['dept_staff'])).map((u) => u.id));
    if (r.assignee_id) ids.push(r.assignee_id);
    return ids;
  }

  async function publishChange(tx: DbOrTx, r: { id: string; area_path: string; dept_path: string | null; number: string }, type: string, data: Record<string, unknown> = {}) {
    const words: Record<string, string> = {};
    if (typeof data.action === 'string') words.actionLabel = EVENT_ACTION_LABELS[data.action] ?? ACTION_LABELS[data.action as Action] ?? data.action;
    if (typeof data.status === 'string') words.statusLabel = STATUS_LABELS[data.status as Status] ?? data.status;
    await publishEvent(tx, { type, subjectType: 'report', subjectId: r.id, orgPaths: [r.area_path, ...(r.dept_path ? [r.dept_path] : [])], data: { number: r.number, ...data, ...words } });
  }

  // ---------------------------------------------------------------- intake

  interface Located {
    lng: number;
    lat: number;
    place: Place;
    addressId: string | null;
    addressText: string | null;
  }

  /** Pin or address text → point, grid, community, street; 400 naming the field otherwise. */
  async function locate(input: ReportInput, scopePath: string): Promise<Located> {
    const hasPin = input.lng !== undefined && input.lng !== null && input.lat !== undefined && input.lat !== null;
    const address = input.address?.trim() || null;
    if (hasPin) {
      const lng = Number(input.lng);
      const lat = Number(input.lat);
      if (!Number.isFinite(lng) || lng < -180 || lng > 180) throw invalid('lng', 'must be a longitude in degrees (WGS-84)');
      if (!Number.isFinite(lat) || lat < -90 || lat > 90) throw invalid('lat', 'must be a latitude in degrees (WGS-84)');
      const place = await geo.placeOfPoint(lng, lat);
      if (!place || !place.communityPath.startsWith(scopePath)) throw invalid('lat', `the point (${lng}, ${lat}) is outside the district: no grid covers it`);
      let addressId: string | null = null;
      if (address) {
        const m = await geo.resolveAddress(address, scopePath);
        if (m && m.best.confidence >= 0.6) addressId = m.best.id;
      }
      return { lng, lat, place, addressId, addressText: address };
    }
    if (!address) throw invalid('location', 'put a pin on the map (lng, lat) or give an address');
    const m = await geo.resolveAddress(address, scopePath);
    if (!m || m.best.confidence < 0.5) throw invalid('address', `no address in the district matches "${address}"; put a pin on the map instead`);
    const place = await geo.placeOfPoint(m.best.lng, m.best.lat);
    if (!place || !place.communityPath.startsWith(scopePath)) throw invalid('address', `the address ${m.best.fullText} is outside the district`);
    return { lng: m.best.lng, lat: m.best.lat, place, addressId: m.best.id, addressText: m.best.fullText };
  }

  function checkText(input: ReportInput) {
    const d = input.description?.trim() ?? '';
    if (!d) throw invalid('description', 'describe the problem');
    if (d.length > MAX_TEXT) throw invalid('description', `at most ${MAX_TEXT} characters (got ${d.length})`);
    if ((input.photoIds?.length ?? 0) > MAX_PHOTOS) throw invalid('photoIds', `at most ${MAX_PHOTOS} photos`);
    if (input.reporterPhone && !PHONE_RE.test(input.reporterPhone.replace(/\s/g, ''))) throw invalid('phone', 'not a Chinese mobile or landline number');
    if (input.reporterName && input.reporterName.length > 50) throw invalid('name', 'at most 50 characters');
    return d;
  }

  /** The district subtree of a community path: '/district/street/community/' → '/district/'. */
  function districtPathOf(communityPath: string): string {
    const parts = communityPath.split('/').filter(Boolean);
    return `/${parts[0]}/`;
  }

  /**
   * Takes a report from any channel. Classification (unless the category is given), routing
   * and — when both are sure — acceptance, registration and dispatch happen at once; an
   * unsure report waits in the triage queue. All in one transaction with its audit row.
   */
  async function createReport(ctx: RequestContext, input: ReportInput, opts: { scopePath?: string; createdBy?: string | null } = {}) {
    const description = checkText(input);
    const scopePath = opts.scopePath ?? ctx.actor?.scopePath ?? '/';
    const loc = await locate(input, scopePath);
    let category = input.categoryCode ? await leafCategory(input.categoryCode, 'categoryCode') : null;
    if (category && category.parent_code === WARNING_CATEGORY_GROUP && input.channel !== 'warning') {
      throw invalid('categoryCode', `${category.name} tasks come only from the early-warning module`);
    }
    let suggestion: Classification | null = null;
    if (!category) {
      suggestion = classifier.classify(description);
      const c = (await categories()).get(suggestion.category);
      if (c && c.active && suggestion.confidence >= options.triageThreshold) category = c;
    }
    const districtPath = districtPathOf(loc.place.communityPath);
    const routed = await routeReport(db, {
      category: category ? { code: category.code, name: category.name, parentCode: category.parent_code, deptType: category.dept_type } : null,
      place: loc.place,
      areaPath: loc.place.communityPath,
      districtPath,
      rules: await repo.routingRules(db),
      deptTypeLabel: deps.deptTypeLabel,
    });
    if (suggestion) {
      const name = (await categories()).get(suggestion.category)?.name ?? suggestion.category;
      routed.steps.splice(category ? 1 : 0, 0, {
        kind: 'category',
        text: category ? `自动分类「${name}」，置信度 ${suggestion.confidence.toFixed(2)}` : `自动分类「${name}」置信度 ${suggestion.confidence.toFixed(2)}，低于 ${options.triageThreshold}，转人工分拨`,
      });
    }
    const auto = !!category && !!routed.dept;
    await calendar();
    const now = new Date();
    const districtOrgId = districtPath.split('/')[1];
    const result = await db.transaction().execute(async (tx) => {
      const number = await repo.nextReportNumber(tx);
      const code = trackingCode();
      const id = await repo.insertReport(tx, {
        number,
        tracking_code: code,
        channel: input.channel,
        status: 'reported',
        suspended_from: null,
        suspended_at: null,
        description,
        category_code: category?.code ?? null,
        suggested_category: suggestion?.category ?? null,
        suggested_confidence: suggestion?.confidence ?? null,
        priority: input.priority ?? (category?.priority as Priority) ?? 'normal',
        time_mode: category?.time_mode ?? 'working',
        lng: loc.lng,
        lat: loc.lat,
        address_text: loc.addressText,
        address_id: loc.addressId,
        grid_id: loc.place.gridId,
        community_org_id: loc.place.communityOrgId,
        street_org_id: loc.place.streetOrgId,
        district_org_id: districtOrgId,
        dept_org_id: auto ? routed.dept!.id : null,
        assignee_id: auto ? (routed.assignee?.id ?? null) : null,
        area_path: loc.place.communityPath,
        dept_path: auto ? routed.dept!.path : null,
        routing: JSON.stringify(routed.steps),
        reporter_name: input.reporterName?.trim() || null,
        reporter_phone: input.reporterPhone?.replace(/\s/g, '') || null,
        reporter_user_id: opts.createdBy ?? (ctx.actor && ctx.actor.via !== 'system' ? ctx.actor.userId : null),
        external_ref: input.externalRef ?? null,
        stage: null,
        stage_started_at: null,
        stage_deadline: null,
        expected_at: null,
        merged_into: null,
        result_note: null,
        rating: null,
        rating_comment: null,
        closed_at: null,
      });
      if (input.photoIds?.length) {
        await attachFiles(tx, input.photoIds, { field: 'photoIds', createdBy: ctx.actor && ctx.actor.via !== 'system' ? ctx.actor.userId : null });
        await repo.addPhotos(tx, id, input.photoIds, 'report');
      }
      const base = { id, category_code: category?.code ?? null, time_mode: category?.time_mode ?? 'working' };
      await repo.insertEvent(tx, { reportId: id, action: 'create', from: null, to: 'reported', actorId: ctx.actor?.via === 'session' || ctx.actor?.via === 'token' ? ctx.actor.userId : null, actorName: actorName(ctx), note: `渠道：${CHANNEL_LABELS[input.channel]}` });
      let status: Status = 'reported';
      let stageInfo = await enterStatus(tx, base, 'reported', now, { finishCurrent: false });
      if (auto) {
        // Sure of category and department: 受理, 立案 and 派遣 by the system at once.
        for (const [action, to] of [
          ['accept', 'accepted'],
          ['register', 'registered'],
          ['dispatch', 'dispatched'],
        ] as const) {
          stageInfo = await enterStatus(tx, base, to, now, { finishCurrent: true });
          await repo.insertEvent(tx, { reportId: id, action, from: status, to, actorId: null, actorName: '系统', note: action === 'dispatch' ? `自动派遣至${routed.dept!.name}${routed.assignee ? `，网格员${routed.assignee.displayName}` : ''}` : '自动' });
          status = to;
        }
      }
      await repo.updateReport(tx, id, {
        status,
        stage: stageInfo.stage,
        stage_started_at: stageInfo.stageStartedAt,
        stage_deadline: stageInfo.stageDeadline,
        expected_at: stageInfo.expectedAt ?? null,
      });
      await recordAudit(tx, ctx, {
        action: 'report.created',
        targetType: 'report',
        targetId: id,
        after: { number, channel: input.channel, category: category?.code ?? null, status, dept: routed.dept?.name ?? null, phone: maskPhone(input.reporterPhone ?? null) },
      });
      const row = { id, area_path: loc.place.communityPath, dept_path: auto ? routed.dept!.path : null, number };
      await publishChange(tx, row, 'report.created', { status });
      if (auto) {
        await notifyUsers(tx, await handlers(tx, { dept_org_id: routed.dept!.id, assignee_id: routed.assignee?.id ?? null }), {
          kind: 'report.dispatched',
          title: `新派遣案件 ${number}`,
          body: `${category!.name}：${description.slice(0, 60)}`,
          subjectType: 'report',
          subjectId: id,
          link: `/reports/${id}`,
        });
      } else {
        const triage = await repo.usersWithRoleUnder(tx, districtPath, 'command_center');
        await notifyUsers(tx, triage.map((u) => u.id), { kind: 'report.triage', title: `待人工分拨 ${number}`, body: description.slice(0, 80), subjectType: 'report', subjectId: id, link: `/reports/${id}` });
      }
      return { id, number, trackingCode: code, status };
    });
    const duplicates = category
      ? await findDuplicatesRaw({ categoryCode: category.code, lng: loc.lng, lat: loc.lat, excludeId: result.id, areaPrefix: districtPath })
      : [];
    return { ...result, categoryCode: category?.code ?? null, suggestion, routing: routed.steps, duplicates };
  }

  async function findDuplicatesRaw(p: { categoryCode: string; lng: number; lat: number; excludeId?: string; areaPrefix: string }) {
    const rows = await repo.nearbyOpenReports(db, { ...p, since: new Date(Date.now() - options.duplicateHours * 3600_000), metres: options.duplicateMetres });
    return rows.map((r) => ({ id: r.id, number: r.number, status: r.status as Status, description: r.description.slice(0, 100), distance: Math.round(r.distance), createdAt: new Date(r.created_at).toISOString() }));
  }

  // ---------------------------------------------------------------- transitions

  /**
   * One step of the closed loop. `within` runs in the step's transaction after the step is
   * checked and written (another module recording its part of the same step, e.g. the outcome
   * of a warning's verification); if it throws, nothing of the step is written.
   */
  async function act(ctx: ActorContext, id: string, action: Action, input: ActionInput, opts: { within?: (tx: Transaction<Database>, r: { id: string; from: Status; to: Status }) => Promise<void> } = {}) {
    const reason = input.reason?.trim() || null;
    if (reasonRequired(action) && !reason) throw invalid('reason', `a reason is required to ${action} (${ACTION_LABELS[action]})`);
    if ((input.photoIds?.length ?? 0) > MAX_PHOTOS) throw invalid('photoIds', `at most ${MAX_PHOTOS} photos`);
    // The geo indexes read through their own connection: look the place up before the transaction.
    const pre = action === 'dispatch' || action === 'reassign' ? await repo.findReport(db, id) : undefined;
    const place = pre && pre.lng !== null && pre.lat !== null ? await geo.placeOfPoint(pre.lng, pre.lat) : null;
    await calendar();
    await categories();
    const out = await db.transaction().execute(async (tx) => {
      const r = await visibleReport(ctx, tx, id, true);
      const from = r.status as Status;
      const plan = planTransition(action, from, { suspendedFrom: r.suspended_from as Status | null, reason });
      requirePermission(ctx.actor, plan.permission);
      const now = new Date();
      const patch: Parameters<typeof repo.updateReport>[2] = { status: plan.to };
      const data: Record<string, unknown> = {};
      let note = reason ?? input.note?.trim() ?? null;
      let enter = plan.to !== from;
      let notifyIds: string[] = [];

      switch (action) {
        case 'accept':
        case 'register': {
          if (!r.category_code) throw invalid('categoryCode', 'set the category before accepting (use the triage form)');
          break;
        }
        case 'dispatch':
        case 'reassign': {
          const target = await dispatchTarget(ctx, tx, r, input, place);
          patch.dept_org_id = target.dept.id;
          patch.dept_path = target.dept.path;
          patch.assignee_id = target.assignee?.id ?? null;
          const steps = [...((r.routing as RoutingStep[]) ?? [])];
          if (target.manual) steps.push({ kind: 'manual', text: `${actorName(ctx)}${action === 'reassign' ? '改派' : '人工派遣'}至${target.dept.name}${target.assignee ? `，${target.assignee.displayName}` : ''}` });
          // The engine decided: say which department and why, after the steps already shown.
          else steps.push(...target.steps.filter((st) => st.kind !== 'location' && !steps.some((o) => o.text === st.text)));
          patch.routing = JSON.stringify(steps);
          data.dept = target.dept.name;
          data.assignee = target.assignee?.displayName ?? null;
          note = note ?? `派遣至${target.dept.name}${target.assignee ? `，${target.assignee.displayName}` : ''}`;
          notifyIds = await handlers(tx, { dept_org_id: target.dept.id, assignee_id: target.assignee?.id ?? null });
          if (action === 'reassign') enter = false;
          break;
        }
        case 'handle': {
          if (!input.note?.trim()) throw invalid('note', 'describe how the problem was handled');
          patch.result_note = input.note.trim();
          if (input.photoIds?.length) {
            await attachFiles(tx, input.photoIds, { field: 'photoIds', createdBy: ctx.actor.userId });
            await repo.addPhotos(tx, r.id, input.photoIds, 'result');
            data.photos = input.photoIds.length;
          }
          break;
        }
        case 'verify':
        case 'close':
          if (action === 'close') patch.closed_at = now;
          break;
        case 'return':
          if (from === 'dispatched') {
            // The department gives the case back; the dispatcher chooses again.
            patch.dept_org_id = null;
            patch.dept_path = null;
            patch.assignee_id = null;
          }
          break;
        case 'suspend': {
          patch.suspended_from = from;
          patch.suspended_at = now;
          await cancelTimers(tx, r.id, 'report.');
          enter = false;
          patch.stage = null;
          break;
        }
        case 'resume': {
          // The clock stopped while suspended: the stage deadline moves by the time suspended.
          const cur = await repo.currentStage(tx, r.id);
          const cal = await calendar(tx);
          const mode = r.time_mode as 'working' | 'natural';
          patch.suspended_from = null;
          patch.suspended_at = null;
          patch.stage = STATUS_STAGE[plan.to];
          enter = false;
          if (cur && cur.deadline && r.suspended_at) {
            const left = Math.max(0, minutesBetween(cal, new Date(r.suspended_at), new Date(cur.deadline), mode));
            const paused = minutesBetween(cal, new Date(r.suspended_at), now, mode);
            const deadline = addMinutes(cal, now, left, mode);
            await repo.updateStage(tx, cur.id, { deadline, suspendedMinutes: cur.suspended_minutes + Math.round(paused) });
            patch.stage_deadline = deadline;
            patch.overdue = deadline < now;
            await reschedule(tx, r.id, cur.id, new Date(cur.started_at), deadline, mode);
            data.deadline = deadline.toISOString();
          }
          break;
        }
        case 'void':
          patch.closed_at = now;
          break;
        case 'merge': {
          if (!input.targetId) throw invalid('targetId', 'the case to merge into is required');
          if (input.targetId === r.id) throw invalid('targetId', 'a case cannot be merged into itself');
          const target = await repo.findReport(tx, input.targetId);
          if (!target || !visible(ctx, target)) throw invalid('targetId', 'no such case');
          if (!isOpen(target.status as Status) || target.status === 'suspended') throw conflict(`the target case ${target.number} is ${target.status}: merge only into an open case`);
          patch.merged_into = target.id;
          patch.closed_at = now;
          note = note ?? `合并至 ${target.number}`;
          data.mergedInto = target.number;
          await repo.insertEvent(tx, { reportId: target.id, action: 'merged_from', from: null, to: null, actorId: ctx.actor.userId, actorName: actorName(ctx), note: `${r.number} 合并至本案` });
          break;
        }
        case 'reopen':
          patch.reopen_count = r.reopen_count + 1;
          patch.closed_at = null;
          patch.rating = null;
          patch.rating_comment = null;
          patch.overdue = false;
          patch.warned = false;
          notifyIds = await handlers(tx, r);
          break;
        case 'supervise': {
          if (!reason && !input.note?.trim()) throw invalid('note', 'say what the supervision asks for');
          patch.supervised = true;
          await repo.insertSupervision(tx, { reportId: r.id, kind: 'manual', stage: r.stage, note: note ?? '', createdBy: ctx.actor.userId });
          notifyIds = await handlers(tx, r);
          break;
        }
      }

      if (enter) {
        const info = await enterStatus(tx, r, plan.to, now, { finishCurrent: true });
        patch.stage = info.stage;
        patch.stage_started_at = info.stageStartedAt;
        patch.stage_deadline = info.stageDeadline;
        if (info.expectedAt) patch.expected_at = info.expectedAt;
        patch.warned = false;
        patch.overdue = false;
      }
      if (plan.to === 'closed' || plan.to === 'voided') {
        const cur = await repo.currentStage(tx, r.id);
        if (cur) await repo.finishStage(tx, cur.id, now, cur.deadline ? now <= new Date(cur.deadline) : null);
        await cancelTimers(tx, r.id, 'report.');
      }
      await repo.updateReport(tx, r.id, patch);
      await repo.insertEvent(tx, { reportId: r.id, action, from, to: plan.to, actorId: ctx.actor.via === 'system' ? null : ctx.actor.userId, actorName: actorName(ctx), note, data: Object.keys(data).length ? data : undefined });
      await recordAudit(tx, ctx, { action: 'report.transitioned', targetType: 'report', targetId: r.id, before: { status: from }, after: { status: plan.to, action, reason, ...data } });
      await publishChange(tx, { ...r, dept_path: (patch.dept_path as string | null | undefined) ?? r.dept_path }, 'report.changed', { status: plan.to, action });
      if (notifyIds.length) {
        await notifyUsers(tx, notifyIds, { kind: `report.${action}`, title: `${ACTION_LABELS[action]}：${r.number}`, body: note ?? '', subjectType: 'report', subjectId: r.id, link: `/reports/${r.id}` });
      }
      if (opts.within) await opts.within(tx, { id: r.id, from, to: plan.to });
      return { from, to: plan.to };
    });
    // The step may take the case out of the actor's sight (a department sends it back): then no detail.
    const report = await getReport(ctx, id).catch((e) => {
      if (e instanceof AppError && e.code === 'not_found') return null;
      throw e;
    });
    return { ...out, report };
  }

  async function dispatchTarget(ctx: ActorContext, tx: DbOrTx, r: repo.ReportView, input: ActionInput, place: Place | null) {
    if (input.deptOrgId) {
      const [o] = await repo.orgsByIds(tx, [input.deptOrgId]);
      if (!o || !o.path.startsWith(ctx.actor.scopePath) || !['department', 'agency', 'street', 'community'].includes(o.kind)) throw invalid('deptOrgId', 'no such department in your area');
      const assignee = input.assigneeId ? await checkAssignee(tx, input.assigneeId, [o.path, r.area_path]) : null;
      return { dept: { id: o.id, name: o.name, path: o.path }, assignee, manual: true, steps: [] as RoutingStep[] };
    }
    // Without a choice: the routing engine decides, as at intake.
    if (!r.category_code) throw invalid('categoryCode', 'set the category first');
    const cat = (await categories(tx)).get(r.category_code)!;
    const routed = await routeReport(tx, {
      category: { code: cat.code, name: cat.name, parentCode: cat.parent_code, deptType: cat.dept_type },
      place,
      areaPath: r.area_path,
      districtPath: districtPathOf(r.area_path),
      rules: await repo.routingRules(tx),
      deptTypeLabel: deps.deptTypeLabel,
    });
    if (!routed.dept) throw invalid('deptOrgId', 'no department found for this category here: choose one');
    const assignee = input.assigneeId ? await checkAssignee(tx, input.assigneeId, [routed.dept.path, r.area_path]) : routed.assignee;
    return { dept: routed.dept, assignee, manual: !!input.assigneeId, steps: routed.steps };
  }

  async function checkAssignee(tx: DbOrTx, userId: string, paths: string[]) {
    const u = await repo.findUser(tx, userId);
    if (!u || !u.active || !paths.some((p) => u.org_path.startsWith(p) || p.startsWith(u.org_path))) throw invalid('assigneeId', 'no such active user for this case');
    return { id: u.id, displayName: u.display_name };
  }

  /** Sets the category (and priority) of a case in triage; the classifier's proposal stays on record. */
  async function triage(ctx: ActorContext, id: string, input: { categoryCode: string; priority?: Priority }) {
    requirePermission(ctx.actor, 'report.triage');
    const cat = await leafCategory(input.categoryCode, 'categoryCode');
    await db.transaction().execute(async (tx) => {
      const r = await visibleReport(ctx, tx, id, true);
      if (!['reported', 'accepted', 'registered'].includes(r.status)) throw conflict(`the category of a case in status ${r.status} (${STATUS_LABELS[r.status as Status]}) is fixed; send it back first`);
      await repo.updateReport(tx, id, { category_code: cat.code, priority: input.priority ?? (cat.priority as Priority), time_mode: cat.time_mode });
      await repo.insertEvent(tx, { reportId: id, action: 'categorize', from: r.status, to: r.status, actorId: ctx.actor.userId, actorName: actorName(ctx), note: `类别：${cat.name}` });
      await recordAudit(tx, ctx, { action: 'report.transitioned', targetType: 'report', targetId: id, before: { category: r.category_code }, after: { category: cat.code, action: 'categorize' } });
      await publishChange(tx, r, 'report.changed', { action: 'categorize' });
    });
    return getReport(ctx, id);
  }

  // ---------------------------------------------------------------- extensions

  async function requestExtension(ctx: ActorContext, id: string, input: { minutes: number; reason: string }) {
    if (!Number.isInteger(input.minutes) || input.minutes <= 0 || input.minutes > 60 * 24 * 30) throw invalid('minutes', 'a whole number of minutes between 1 and 43200');
    if (!input.reason?.trim()) throw invalid('reason', 'a reason is required');
    return db.transaction().execute(async (tx) => {
      const r = await visibleReport(ctx, tx, id, true);
      requirePermission(ctx.actor, 'report.handle');
      if (!r.stage || r.status === 'suspended') throw conflict(`a case in status ${r.status} (${STATUS_LABELS[r.status as Status]}) has no running deadline to extend`);
      const pending = (await repo.extensionsOf(tx, id)).find((e) => e.status === 'pending');
      if (pending) throw conflict('an extension request is already waiting for approval');
      const e = await repo.insertExtension(tx, { reportId: id, stage: r.stage, minutes: input.minutes, reason: input.reason.trim(), requestedBy: ctx.actor.userId });
      await repo.insertEvent(tx, { reportId: id, action: 'extension_requested', from: r.status, to: r.status, actorId: ctx.actor.userId, actorName: actorName(ctx), note: input.reason.trim(), data: { minutes: input.minutes } });
      await recordAudit(tx, ctx, { action: 'report.extension_requested', targetType: 'report', targetId: id, after: { extensionId: e.id, minutes: input.minutes, reason: input.reason } });
      const approvers = await repo.usersWithRoleUnder(tx, districtPathOf(r.area_path), 'command_center');
      await notifyUsers(tx, approvers.map((u) => u.id), { kind: 'report.extension_requested', title: `延时申请 ${r.number}`, body: input.reason.trim(), subjectType: 'report', subjectId: id, link: `/reports/${id}` });
      return { id: e.id };
    });
  }

  async function decideExtension(ctx: ActorContext, id: string, extensionId: string, input: { approve: boolean; note?: string | null }) {
    requirePermission(ctx.actor, 'report.approve');
    await db.transaction().execute(async (tx) => {
      const r = await visibleReport(ctx, tx, id, true);
      const e = await repo.findExtension(tx, id, extensionId);
      if (!e) throw notFound('extension request');
      if (e.status !== 'pending') throw conflict(`the request was already ${e.status}`);
      await repo.decideExtension(tx, e.id, { status: input.approve ? 'approved' : 'rejected', decidedBy: ctx.actor.userId, note: input.note ?? null });
      const data: Record<string, unknown> = { minutes: e.minutes, approved: input.approve };
      if (input.approve) {
        const cur = await repo.currentStage(tx, id);
        if (!cur || cur.stage !== e.stage || !cur.deadline) throw conflict(`the case has left the ${STAGE_LABELS[e.stage as Stage]} stage the extension was for`);
        const cal = await calendar(tx);
        const mode = r.time_mode as 'working' | 'natural';
        const deadline = addMinutes(cal, new Date(cur.deadline), e.minutes, mode);
        await repo.updateStage(tx, cur.id, { deadline, extendedMinutes: cur.extended_minutes + e.minutes });
        const expected = r.expected_at && e.stage !== 'verify' && e.stage !== 'close' ? addMinutes(cal, new Date(r.expected_at), e.minutes, mode) : r.expected_at;
        await repo.updateReport(tx, id, { stage_deadline: deadline, expected_at: expected, overdue: deadline < new Date(), warned: false });
        if (r.status !== 'suspended') await reschedule(tx, id, cur.id, new Date(cur.started_at), deadline, mode);
        data.deadline = deadline.toISOString();
      }
      await repo.insertEvent(tx, { reportId: id, action: input.approve ? 'extension_approved' : 'extension_rejected', from: r.status, to: r.status, actorId: ctx.actor.userId, actorName: actorName(ctx), note: input.note ?? null, data });
      await recordAudit(tx, ctx, { action: 'report.extension_decided', targetType: 'report', targetId: id, after: { extensionId, ...data } });
      if (e.requested_by) await notifyUsers(tx, [e.requested_by], { kind: 'report.extension_decided', title: `延时申请${input.approve ? '已批准' : '未批准'} ${r.number}`, subjectType: 'report', subjectId: id, link: `/reports/${id}` });
      await publishChange(tx, r, 'report.changed', { action: 'extension' });
    });
    return getReport(ctx, id);
  }

  // ---------------------------------------------------------------- timers

  const timerHandlers: Record<string, TimerHandler> = {
    /** 80 % of the stage's time used: the handlers are warned. */
    'report.warn': async (tx, t) => {
      const r = await repo.findReport(tx, t.subjectId, { forUpdate: true });
      const cur = r && (await repo.currentStage(tx, r.id));
      if (!r || !cur || cur.id !== t.payload.stageId || r.status === 'suspended') return;
      await repo.updateReport(tx, r.id, { warned: true });
      await repo.insertEvent(tx, { reportId: r.id, action: 'warned', from: r.status, to: r.status, actorId: null, actorName: '系统', note: `${STAGE_LABELS[cur.stage as Stage]}时限已用 80%` });
      await recordAudit(tx, systemContext(), { action: 'report.warned', targetType: 'report', targetId: r.id, after: { stage: cur.stage, deadline: cur.deadline } });
      const ids = r.status === 'dispatched' ? await handlers(tx, r) : (await repo.usersWithRoleUnder(tx, districtPathOf(r.area_path), 'command_center')).map((u) => u.id);
      await notifyUsers(tx, ids, { kind: 'report.warned', title: `即将超时 ${r.number}`, body: `${STAGE_LABELS[cur.stage as Stage]}时限将至`, subjectType: 'report', subjectId: r.id, link: `/reports/${r.id}` });
      await publishChange(tx, r, 'report.changed', { action: 'warned' });
    },
    /** The deadline passed: 督办 record, escalation to the department's head and the command centre. */
    'report.overdue': async (tx, t) => {
      const r = await repo.findReport(tx, t.subjectId, { forUpdate: true });
      const cur = r && (await repo.currentStage(tx, r.id));
      if (!r || !cur || cur.id !== t.payload.stageId || r.status === 'suspended') return;
      await repo.updateReport(tx, r.id, { overdue: true, supervised: true });
      await repo.insertSupervision(tx, { reportId: r.id, kind: 'overdue', stage: cur.stage, note: `${STAGE_LABELS[cur.stage as Stage]}超时，自动督办`, createdBy: null });
      await repo.insertEvent(tx, { reportId: r.id, action: 'escalated', from: r.status, to: r.status, actorId: null, actorName: '系统', note: `${STAGE_LABELS[cur.stage as Stage]}超时，自动督办并上报部门负责人` });
      await recordAudit(tx, systemContext(), { action: 'report.escalated', targetType: 'report', targetId: r.id, after: { stage: cur.stage, deadline: cur.deadline } });
      const ids: string[] = [];
      if (r.dept_org_id) {
        const [dept] = await repo.orgsByIds(tx, [r.dept_org_id]);
        if (dept?.head_user_id) ids.push(dept.head_user_id);
        else ids.push(...(await repo.usersOfOrg(tx, r.dept_org_id, ['dept_staff'])).map((u) => u.id));
      }
      ids.push(...(await repo.usersWithRoleUnder(tx, districtPathOf(r.area_path), 'command_center')).map((u) => u.id));
      await notifyUsers(tx, ids, { kind: 'report.escalated', title: `超时督办 ${r.number}`, body: `${STAGE_LABELS[cur.stage as Stage]}已超时`, subjectType: 'report', subjectId: r.id, link: `/reports/${r.id}` });
      await publishChange(tx, r, 'report.changed', { action: 'escalated' });
    },
  };

  // ---------------------------------------------------------------- reads

  function presentSummary(r: repo.ReportView) {
    return {
      id: r.id,
      number: r.number,
      channel: r.channel as Channel,
      status: r.status as Status,
      statusLabel: STATUS_LABELS[r.status as Status],
      description: r.description,
      categoryCode: r.category_code,
      categoryName: r.category_name ?? null,
      priority: r.priority as Priority,
      lng: r.lng,
      lat: r.lat,
      address: r.address_text,
      gridId: r.grid_id,
      gridName: r.grid_name ?? null,
      communityName: r.community_name ?? null,
      streetName: r.street_name ?? null,
      deptOrgId: r.dept_org_id,
      deptName: r.dept_name ?? null,
      assigneeId: r.assignee_id,
      assigneeName: r.assignee_name ?? null,
      reporterName: maskName(r.reporter_name),
      reporterPhone: maskPhone(r.reporter_phone),
      stage: r.stage as Stage | null,
      stageDeadline: r.stage_deadline ? new Date(r.stage_deadline).toISOString() : null,
      expectedAt: r.expected_at ? new Date(r.expected_at).toISOString() : null,
      warned: r.warned,
      overdue: r.overdue,
      supervised: r.supervised,
      suggestedCategory: r.suggested_category,
      suggestedConfidence: r.suggested_confidence,
      rating: r.rating,
      createdAt: new Date(r.created_at).toISOString(),
      updatedAt: new Date(r.updated_at).toISOString(),
      closedAt: r.closed_at ? new Date(r.closed_at).toISOString() : null,
    };
  }

  async function getReport(ctx: ActorContext, id: string) {
    const r = await visibleReport(ctx, db, id);
    const [events, stages, photos, extensions, supervisions] = await Promise.all([
      repo.eventsOf(db, id),
      repo.stagesOf(db, id),
      repo.photosOf(db, id),
      repo.extensionsOf(db, id),
      repo.supervisionsOf(db, id),
    ]);
    const allowed = actionsFrom(r.status as Status).filter((a) => {
      const p = permissionFor(a, r.status as Status);
      return p && (ctx.actor.permissions.has('*') || ctx.actor.permissions.has(p));
    });
    return {
      ...presentSummary(r),
      trackingCode: r.tracking_code,
      resultNote: r.result_note,
      ratingComment: r.rating_comment,
      mergedInto: r.merged_into,
      reopenCount: r.reopen_count,
      routing: (r.routing as RoutingStep[]) ?? [],
      timeMode: r.time_mode as 'working' | 'natural',
      actions: allowed,
      canRequestExtension: !!r.stage && r.status !== 'suspended' && (ctx.actor.permissions.has('*') || ctx.actor.permissions.has('report.handle')),
      events: events.map((e) => ({ id: Number(e.id), action: e.action, from: e.from_status, to: e.to_status, actorName: e.actor_name, note: e.note, data: e.data ?? null, at: new Date(e.created_at).toISOString() })),
      stages: stages
        .sort((a, b) => new Date(a.started_at).getTime() - new Date(b.started_at).getTime() || STAGES.indexOf(a.stage as Stage) - STAGES.indexOf(b.stage as Stage))
        .map((s) => ({
        id: s.id,
        stage: s.stage as Stage,
        startedAt: new Date(s.started_at).toISOString(),
        deadline: s.deadline ? new Date(s.deadline).toISOString() : null,
        finishedAt: s.finished_at ? new Date(s.finished_at).toISOString() : null,
        onTime: s.on_time,
        extendedMinutes: s.extended_minutes,
        suspendedMinutes: s.suspended_minutes,
      })),
      photos: photos.map((p) => ({ id: p.file_id, kind: p.kind, url: `/api/v1/reports/${id}/photos/${p.file_id}` })),
      extensions: extensions.map((e) => ({
        id: e.id,
        stage: e.stage as Stage,
        minutes: e.minutes,
        reason: e.reason,
        status: e.status,
        requestedBy: e.requested_by_name ?? null,
        decidedBy: e.decided_by_name ?? null,
        decisionNote: e.decision_note,
        createdAt: new Date(e.created_at).toISOString(),
        decidedAt: e.decided_at ? new Date(e.decided_at).toISOString() : null,
      })),
      supervisions: supervisions.map((s) => ({ id: s.id, kind: s.kind, stage: s.stage, note: s.note, createdBy: s.created_by_name ?? null, createdAt: new Date(s.created_at).toISOString() })),
    };
  }

  /** Hotline, patrol and systems: a signed-in caller with the report.create permission. */
  async function createStaffReport(ctx: ActorContext, input: ReportInput) {
    requirePermission(ctx.actor, 'report.create');
    return createReport(ctx, input);
  }

  /** Residents without an account: a phone number is required, so that they can be told the result. */
  async function createPublicReport(ctx: RequestContext, input: ReportInput) {
    if (!input.reporterPhone?.trim()) throw invalid('phone', 'required, so that we can tell you the result');
    return createReport({ ...ctx, actor: null }, { ...input, channel: 'resident' });
  }

  return {
    timerHandlers,
    createStaffReport,
    createPublicReport,
    invalidateSettings,
    calendar,
    categories,
    createReport,
    act,
    triage,
    requestExtension,
    decideExtension,
    getReport,
    presentSummary,
    scopeOf,
    visible,
    visibleReport,
    districtPathOf,
    leafCategory,

    async classify(text: string) {
      const t = text?.trim();
      if (!t) throw invalid('text', 'required');
      if (t.length > MAX_TEXT) throw invalid('text', `at most ${MAX_TEXT} characters`);
      const c = classifier.classify(t);
      const cats = await categories();
      const present = (code: string, confidence: number) => {
        const cat = cats.get(code);
        return { categoryCode: code, categoryName: cat?.name ?? code, departmentType: cat?.dept_type ?? null, confidence: Math.round(confidence * 1000) / 1000 };
      };
      return { ...present(c.category, c.confidence), belowThreshold: c.confidence < options.triageThreshold, alternatives: c.alternatives.map((a) => present(a.category, a.confidence)) };
    },

    async listReports(ctx: ActorContext, f: repo.ReportFilter, page: { page: number; pageSize: number }, order: 'created' | 'deadline' = 'created') {
      requirePermission(ctx.actor, 'report.read');
      const { items, total } = await repo.listReports(db, scopeOf(ctx), f, { offset: (page.page - 1) * page.pageSize, limit: page.pageSize }, order);
      return { items: items.map(presentSummary), total, page: page.page, pageSize: page.pageSize };
    },

    async duplicates(ctx: ActorContext, p: { categoryCode: string; lng: number; lat: number; excludeId?: string }) {
      requirePermission(ctx.actor, 'report.read');
      await leafCategory(p.categoryCode, 'categoryCode');
      return findDuplicatesRaw({ ...p, areaPrefix: ctx.actor.scopePath });
    },

    /** The reporter's name and phone, whole: permitted roles only, and every read audited. */
    async contact(ctx: ActorContext, id: string) {
      requirePermission(ctx.actor, 'personal.read');
      return db.transaction().execute(async (tx) => {
        const r = await visibleReport(ctx, tx, id);
        await recordAudit(tx, ctx, { action: 'report.contact_read', targetType: 'report', targetId: id });
        return { name: r.reporter_name, phone: r.reporter_phone };
      });
    },

    async photo(ctx: ActorContext, id: string, fileId: string) {
      await visibleReport(ctx, db, id);
      const p = await repo.photoOf(db, id, fileId);
      if (!p) throw notFound('photo');
      // Staff get the copy without EXIF too: the location of a photo is the case's location.
      const f = await readFile(db, fileId, 'public');
      if (!f) throw notFound('photo');
      return f;
    },

    // ------------------------------------------------------------ the resident's view

    /** What a resident sees with the tracking code: progress, department, result — nobody's personal data. */
    async publicStatus(code: string) {
      const r = await repo.findReportByTrackingCode(db, code.trim().toUpperCase());
      if (!r) throw notFound('report');
      const [events, photos] = await Promise.all([repo.eventsOf(db, r.id), repo.photosOf(db, r.id)]);
      const publicActions = new Set(['create', 'accept', 'register', 'dispatch', 'handle', 'verify', 'close', 'reopen', 'void', 'merge', 'rated', 'suspend', 'resume']);
      return {
        trackingCode: r.tracking_code,
        number: r.number,
        status: r.status as Status,
        statusLabel: STATUS_LABELS[r.status as Status],
        categoryName: r.category_name ?? null,
        area: [r.street_name, r.community_name].filter(Boolean).join(''),
        deptName: r.dept_name ?? null,
        createdAt: new Date(r.created_at).toISOString(),
        expectedAt: r.expected_at ? new Date(r.expected_at).toISOString() : null,
        closedAt: r.closed_at ? new Date(r.closed_at).toISOString() : null,
        resultNote: r.status === 'closed' || r.status === 'verified' || r.status === 'handled' ? r.result_note : null,
        rating: r.rating,
        canRate: r.status === 'closed' && !r.rating && !r.merged_into,
        timeline: events
          .filter((e) => publicActions.has(e.action))
          .map((e) => ({ action: e.action, label: e.action === 'create' ? '已提交' : e.action === 'rated' ? '已评价' : (ACTION_LABELS[e.action as Action] ?? e.action), at: new Date(e.created_at).toISOString() })),
        photos: photos.map((p) => ({ id: p.file_id, kind: p.kind, url: `/api/v1/public/reports/${r.tracking_code}/photos/${p.file_id}` })),
      };
    },

    async publicPhoto(code: string, fileId: string) {
      const r = await repo.findReportByTrackingCode(db, code.trim().toUpperCase());
      if (!r) throw notFound('photo');
      const p = await repo.photoOf(db, r.id, fileId);
      if (!p) throw notFound('photo');
      const f = await readFile(db, fileId, 'public');
      if (!f) throw notFound('photo');
      return f;
    },

    /** The resident's rating; 不满意 reopens the case (up to maxReopens times). */
    async rate(ctx: RequestContext, code: string, input: { rating: 'satisfied' | 'basically_satisfied' | 'dissatisfied'; comment?: string | null }) {
      if (input.comment && input.comment.length > 500) throw invalid('comment', 'at most 500 characters');
      return db.transaction().execute(async (tx) => {
        const found = await repo.findReportByTrackingCode(tx, code.trim().toUpperCase());
        if (!found) throw notFound('report');
        const r = (await repo.findReport(tx, found.id, { forUpdate: true }))!;
        if (r.status !== 'closed') throw conflict(`only a closed case can be rated; this one is ${STATUS_LABELS[r.status as Status]}`);
        if (r.rating) throw conflict('this case has already been rated');
        const now = new Date();
        const patch: Parameters<typeof repo.updateReport>[2] = { rating: input.rating, rating_comment: input.comment?.trim() || null };
        await repo.insertEvent(tx, { reportId: r.id, action: 'rated', from: 'closed', to: 'closed', actorId: null, actorName: '群众', note: input.comment?.trim() || null, data: { rating: input.rating } });
        let reopened = false;
        if (input.rating === 'dissatisfied' && r.reopen_count < options.maxReopens && r.dept_org_id) {
          const info = await enterStatus(tx, r, 'dispatched', now, { finishCurrent: false });
          Object.assign(patch, {
            // The timeline keeps this rating; the resident rates the second result afresh.
            rating: null,
            rating_comment: null,
            status: 'dispatched',
            closed_at: null,
            reopen_count: r.reopen_count + 1,
            stage: info.stage,
            stage_started_at: info.stageStartedAt,
            stage_deadline: info.stageDeadline,
            expected_at: info.expectedAt ?? null,
            warned: false,
            overdue: false,
          });
          await repo.insertEvent(tx, { reportId: r.id, action: 'reopen', from: 'closed', to: 'dispatched', actorId: null, actorName: '系统', note: '群众不满意，重新办理' });
          await notifyUsers(tx, await handlers(tx, r), { kind: 'report.reopen', title: `群众不满意，重新办理 ${r.number}`, body: input.comment ?? '', subjectType: 'report', subjectId: r.id, link: `/reports/${r.id}` });
          reopened = true;
        }
        await repo.updateReport(tx, r.id, patch);
        await recordAudit(tx, ctx, { action: 'report.rated', targetType: 'report', targetId: r.id, after: { rating: input.rating, reopened } });
        await publishChange(tx, r, 'report.changed', { action: 'rated' });
        return { rating: input.rating, reopened };
      });
    },

    // ------------------------------------------------------------ queues

    async stats(ctx: ActorContext, q: { from: Date; to: Date; groupBy: repo.StatsGroup }) {
      return reportStatistics(db, ctx, scopeOf(ctx), q);
    },

    async pendingExtensions(ctx: ActorContext) {
      requirePermission(ctx.actor, 'report.approve');
      const rows = await repo.pendingExtensions(db, scopeOf(ctx));
      return rows.map((e) => ({ id: e.id, reportId: e.report_id, number: e.number, stage: e.stage as Stage, minutes: e.minutes, reason: e.reason, requestedBy: e.requested_by_name ?? null, createdAt: new Date(e.created_at).toISOString() }));
    },

    async createOpen311Key(ctx: ActorContext, input: { name: string; districtOrgId: string | null }) {
      requirePermission(ctx.actor, 'report.configure');
      const apiKey = `o311_${crypto.randomBytes(18).toString('base64url')}`;
      return db.transaction().execute(async (tx) => {
        const k = await repo.insertOpen311Key(tx, { name: input.name, keyHash: crypto.createHash('sha256').update(apiKey).digest('hex'), districtOrgId: input.districtOrgId });
        await recordAudit(tx, ctx, { action: 'open311_key.created', targetType: 'open311_key', targetId: k.id, after: { name: input.name } });
        return { id: k.id, apiKey };
      });
    },
  };
}

export type ReportsService = ReturnType<typeof createReportsService>;

/** Puts the default category tree and the official calendars into an empty database; keeps edits. */
export async function ensureReportDefaults(db: DbOrTx): Promise<void> {
  await repo.ensureCategories(db, DEFAULT_CATEGORIES);
  await repo.ensureCalendarYears(db, OFFICIAL_CALENDAR_YEARS);
}

export { AppError };
