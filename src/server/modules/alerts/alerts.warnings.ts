import type { Transaction } from 'kysely';
import type { Database, Db, DbOrTx } from '../../db.js';
import { recordAudit, recordAudits, type AuditEntry } from '../../platform/audit/audit.js';
import { notifyUsers, publishEvent } from '../../platform/events/events.js';
import { systemContext, type ActorContext } from '../../platform/http/context.js';
import { AppError, conflict, invalid, notFound } from '../../platform/http/errors.js';
import { requirePermission } from '../core/index.js';
import type { ReportsService } from '../reports/index.js';
import { EMPTY_STATE, LEVEL_LABELS, RULE_KIND_LABELS, type EngineEvent, type EpisodeState, type Level, type Step } from './alerts.engine.js';
import * as repo from './alerts.repository.js';

export interface RuleRow {
  id: string;
  district_org_id: string;
  name: string;
  kind: string;
  params: Record<string, unknown>;
  task_category: string;
  enabled: boolean;
}

/** Where and what a warning is about. */
export interface WarningSubject {
  title: string;
  detail: Record<string, unknown>;
  deviceId?: string | null;
  householdId?: string | null;
  addressText?: string | null;
  lng?: number | null;
  lat?: number | null;
  gridId?: string | null;
  communityOrgId?: string | null;
  areaPath: string;
}

export const OUTCOMES = ['confirmed', 'false_alarm', 'handled'] as const;
export type Outcome = (typeof OUTCOMES)[number];
export const OUTCOME_LABELS: Record<Outcome, string> = { confirmed: '属实', false_alarm: '误报', handled: '已处置' };
const PRIORITY_OF_LEVEL: Record<Level, 'urgent' | 'high' | 'normal'> = { red: 'urgent', yellow: 'high', green: 'normal' };
/** A task creation claimed this long ago without finishing is taken over (the claimer crashed). */
const CLAIM_STALE_MS = 5 * 60_000;

/** All saved states of a rule (or of some subjects). */
export async function loadRuleStates(q: DbOrTx, ruleId: string, subjectKeys?: string[]): Promise<Map<string, EpisodeState>> {
  const rows = await repo.statesOf(q, ruleId, subjectKeys);
  return new Map(rows.map((r) => [r.subject_key, { ...EMPTY_STATE, ...(r.state as unknown as EpisodeState) }]));
}

function districtPathOf(areaPath: string): string {
  return `/${areaPath.split('/').filter(Boolean)[0]}/`;
}

/** Above this many warnings in one step, consoles and webhooks get one summary event instead of one each. */
const EVENT_BATCH = 20;

/**
 * Saves the states and writes warnings for the events, in the caller's transaction: a raise
 * inserts a warning unless the episode has one (so a replay or a redelivery writes nothing),
 * an escalation raises the level, a clear marks the episode ended. Audit rows and live
 * events go with them. Set-based: a reconciliation run that raises thousands writes them in
 * a few statements. Returns the ids of warnings newly raised; after commit, pass them to the
 * warnings service's ensureTasks so each becomes a verification task.
 */
export async function applySteps(
  tx: Transaction<Database>,
  rule: RuleRow,
  steps: Array<{ subjectKey: string; step: Step; subject: WarningSubject }>,
): Promise<{ raised: string[]; escalated: number; cleared: number }> {
  if (!steps.length) return { raised: [], escalated: 0, cleared: 0 };
  await repo.saveStates(
    tx,
    rule.id,
    steps.map((s) => ({ subjectKey: s.subjectKey, state: s.step.state })),
  );
  const raises: { subjectKey: string; subject: WarningSubject; e: Extract<EngineEvent, { kind: 'raise' }> }[] = [];
  const later: { subjectKey: string; subject: WarningSubject; e: Exclude<EngineEvent, { kind: 'raise' }> }[] = [];
  for (const { subjectKey, step, subject } of steps) {
    for (const e of step.events) {
      if (e.kind === 'raise') raises.push({ subjectKey, subject, e });
      else later.push({ subjectKey, subject, e });
    }
  }
  const raised = await raiseAll(tx, rule, raises);
  // Escalations and ends refer to warnings raised before (or just now): look them up at once.
  const existing = await repo.warningsOfEpisodes(
    tx,
    rule.id,
    later.map((l) => ({ subjectKey: l.subjectKey, episodeKey: l.e.episodeKey })),
  );
  const key = (subjectKey: string, episodeKey: string) => `${subjectKey}\u0000${episodeKey}`;
  const byKey = new Map(existing.map((w) => [key(w.subject_key, w.episode_key), w]));
  const audits: AuditEntry[] = [];
  const events: { id: string; number: string; areaPath: string; data: Record<string, unknown> }[] = [];
  const missed: typeof raises = [];
  const toLevel = new Map<Level, string[]>();
  const toClear = new Map<string, string[]>();
  for (const { subjectKey, subject, e } of later) {
    const w = byKey.get(key(subjectKey, e.episodeKey));
    if (e.kind === 'escalate') {
      if (!w) {
        // The episode began before this rule's warnings were kept (or in a dry run): raise it now.
        missed.push({ subjectKey, subject, e: { ...e, kind: 'raise' } });
      } else if (rank(e.level) > rank(w.level)) {
        w.level = e.level;
        toLevel.set(e.level, [...(toLevel.get(e.level) ?? []), w.id]);
        audits.push({ action: 'alert.escalated', targetType: 'alert_warning', targetId: w.id, after: { level: e.level, reason: e.reason } });
        events.push({ id: w.id, number: w.number, areaPath: w.area_path, data: { level: e.level, levelLabel: LEVEL_LABELS[e.level] } });
      }
    } else if (w && !w.cleared_at) {
      w.cleared_at = new Date(e.at);
      toClear.set(e.at, [...(toClear.get(e.at) ?? []), w.id]);
      audits.push({ action: 'alert.cleared', targetType: 'alert_warning', targetId: w.id, after: { at: e.at, reason: e.reason } });
      events.push({ id: w.id, number: w.number, areaPath: w.area_path, data: { cleared: true } });
    }
  }
  raised.push(...(await raiseAll(tx, rule, missed)));
  for (const [level, ids] of toLevel) await repo.updateWarnings(tx, ids, { level });
  for (const [at, ids] of toClear) await repo.updateWarnings(tx, ids, { cleared_at: new Date(at) });
  await recordAudits(tx, systemContext(), audits);
  await publishChanges(tx, events);
  return { raised, escalated: [...toLevel.values()].reduce((n, ids) => n + ids.length, 0), cleared: [...toClear.values()].reduce((n, ids) => n + ids.length, 0) };
}

async function publishChanges(tx: Transaction<Database>, events: { id: string; number: string; areaPath: string; data: Record<string, unknown> }[]) {
  if (events.length <= EVENT_BATCH) {
    for (const ev of events) await publishEvent(tx, { type: 'alert.changed', subjectType: 'alert_warning', subjectId: ev.id, orgPaths: [ev.areaPath], data: { number: ev.number, ...ev.data } });
  } else {
    const paths = [...new Set(events.map((e) => districtPathOf(e.areaPath)))];
    await publishEvent(tx, { type: 'alert.changed', subjectType: 'alert_warning', orgPaths: paths, data: { count: events.length, numbers: events.slice(0, 50).map((e) => e.number) } });
  }
}

function rank(l: string): number {
  return l === 'red' ? 3 : l === 'yellow' ? 2 : 1;
}

async function raiseAll(tx: Transaction<Database>, rule: RuleRow, raises: { subjectKey: string; subject: WarningSubject; e: Extract<EngineEvent, { kind: 'raise' }> }[]): Promise<string[]> {
  if (!raises.length) return [];
  const numbers = await repo.nextWarningNumbers(tx, raises.length);
  const now = new Date();
  const rows = await repo.insertWarnings(
    tx,
    raises.map(({ subjectKey, subject, e }, i) => ({
      number: numbers[i]!,
      rule_id: rule.id,
      subject_key: subjectKey,
      episode_key: e.episodeKey,
      level: e.level,
      title: subject.title,
      detail: JSON.stringify({ ...subject.detail, reason: e.reason, value: e.value, at: e.at }),
      device_id: subject.deviceId ?? null,
      household_id: subject.householdId ?? null,
      address_text: subject.addressText ?? null,
      lng: subject.lng ?? null,
      lat: subject.lat ?? null,
      grid_id: subject.gridId ?? null,
      community_org_id: subject.communityOrgId ?? null,
      district_org_id: rule.district_org_id,
      area_path: subject.areaPath,
      cleared_at: null,
      outcome_note: null,
      outcome_by: null,
      outcome_at: null,
      report_id: null,
      task_claimed_at: null,
      raised_at: new Date(e.at) > now ? now : new Date(e.at),
    })),
  );
  if (!rows.length) return [];
  const bySubject = new Map(raises.map((r) => [`${r.subjectKey}\u0000${r.e.episodeKey}`, r]));
  const made = rows.map((w) => ({ w, r: bySubject.get(`${w.subject_key}\u0000${w.episode_key}`)! }));
  await recordAudits(
    tx,
    systemContext(),
    made.map(({ w, r }) => ({ action: 'alert.raised', targetType: 'alert_warning', targetId: w.id, after: { number: w.number, rule: rule.name, level: r.e.level, subject: w.subject_key.slice(0, 80), reason: r.e.reason } })),
  );
  if (made.length <= EVENT_BATCH) {
    for (const { w, r } of made) {
      await publishEvent(tx, { type: 'alert.raised', subjectType: 'alert_warning', subjectId: w.id, orgPaths: [r.subject.areaPath], data: { number: w.number, level: r.e.level, levelLabel: LEVEL_LABELS[r.e.level], title: r.subject.title, rule: rule.name } });
    }
  } else {
    const paths = [...new Set(made.map(({ r }) => districtPathOf(r.subject.areaPath)))];
    await publishEvent(tx, { type: 'alert.raised', subjectType: 'alert_rule', subjectId: rule.id, orgPaths: paths, data: { count: made.length, rule: rule.name, numbers: made.slice(0, 50).map(({ w }) => w.number) } });
  }
  // The command centre of the district hears of red warnings at once (one notice per batch).
  const red = made.filter(({ r }) => r.e.level === 'red');
  if (red.length) {
    const cc = await repo.usersWithRoleUnder(tx, districtPathOf(red[0]!.r.subject.areaPath), 'command_center');
    const first = red[0]!;
    await notifyUsers(
      tx,
      cc.map((u) => u.id),
      red.length === 1
        ? { kind: 'alert.raised', title: `红色预警 ${first.w.number}`, body: `${first.r.subject.title}：${first.r.e.reason}`, subjectType: 'alert_warning', subjectId: first.w.id, link: `/alerts/warnings/${first.w.id}` }
        : { kind: 'alert.raised', title: `${rule.name}：${red.length} 条红色预警`, body: red.slice(0, 5).map(({ r }) => r.subject.title).join('；'), link: `/alerts/warnings?level=red&ruleId=${rule.id}` },
    );
  }
  return rows.map((w) => w.id);
}

/** Warnings: the list, the detail, their verification tasks in the reports loop, and the outcome recorded on site. */
export function createWarningsService(deps: { db: Db; reports: ReportsService; log?: (obj: object, msg: string) => void }) {
  const { db, reports } = deps;

  function scopeFilter(ctx: ActorContext) {
    return { scopePath: ctx.actor.scopePath, gridIds: ctx.actor.gridIds };
  }

  async function visible(ctx: ActorContext, id: string, q: DbOrTx = db, forUpdate = false) {
    requirePermission(ctx.actor, 'alert.read');
    const w = await repo.warningRow(q, id, forUpdate);
    if (!w || !w.area_path.startsWith(ctx.actor.scopePath)) throw notFound('warning');
    const assigned = w.report_assignee_id !== null && w.report_assignee_id === ctx.actor.userId;
    if (ctx.actor.gridIds && !assigned && !(w.grid_id && ctx.actor.gridIds.includes(w.grid_id))) throw notFound('warning');
    return w;
  }

  /**
   * Makes each warning a verification task in the reports loop (channel 预警核查, the rule's
   * task category, at the warning's place → its community and grid worker). Runs after the
   * warning's transaction commits; a claim keeps two instances from both creating it, and a
   * sweep retries what a crash left undone (finding a task already made by its external ref).
   */
  async function ensureTasks(ids: string[]): Promise<number> {
    let made = 0;
    for (const id of ids) {
      const w = await repo.claimTask(db, id, new Date(Date.now() - CLAIM_STALE_MS));
      if (!w) continue;
      const ref = `warning:${id}`;
      try {
        let reportId = (await repo.reportByExternalRef(db, ref))?.id ?? null;
        if (!reportId) {
          const rule = await repo.ruleById(db, w.rule_id);
          const detail = w.detail as Record<string, unknown>;
          const created = await reports.createReport(
            systemContext(),
            {
              channel: 'warning',
              description: `【${LEVEL_LABELS[w.level]}预警 ${w.number}】${w.title}。${typeof detail.reason === 'string' ? detail.reason : ''}请网格员现场核查并登记核查结果（属实 / 误报 / 已处置）。`.slice(0, 2000),
              categoryCode: rule?.task_category ?? null,
              lng: w.lng,
              lat: w.lat,
              address: w.address_text,
              externalRef: ref,
              priority: PRIORITY_OF_LEVEL[w.level],
            },
            { scopePath: `/${w.area_path.split('/').filter(Boolean)[0]}/` },
          );
          reportId = created.id;
        }
        await db.transaction().execute(async (tx) => {
          await repo.updateWarning(tx, id, { report_id: reportId, status: 'verifying' });
          await recordAudit(tx, systemContext(), { action: 'alert.task_created', targetType: 'alert_warning', targetId: id, after: { reportId } });
        });
        made++;
      } catch (err) {
        // A warning that cannot be placed (no grid covers it) waits for a person: it stays open.
        deps.log?.({ err, warning: id }, 'verification task not created');
        if (err instanceof AppError && err.status === 400) {
          await repo.updateWarning(db, id, { task_claimed_at: new Date('2999-01-01T00:00:00Z') });
        } else {
          await repo.updateWarning(db, id, { task_claimed_at: null });
        }
      }
    }
    return made;
  }

  /** Tasks a crash or an unreachable step left uncreated: retried by the minute sweep. */
  async function sweepUntasked(): Promise<number> {
    const rows = await repo.untaskedWarnings(db, new Date(Date.now() - 30_000), 200);
    return ensureTasks(rows.map((r) => r.id));
  }

  async function list(ctx: ActorContext, f: Omit<repo.WarningFilter, 'scopePath' | 'gridIds'>, page: { limit: number; offset: number }) {
    requirePermission(ctx.actor, 'alert.read');
    const r = await repo.listWarnings(db, { ...f, ...scopeFilter(ctx) }, page);
    return { total: r.total, items: r.items.map(present) };
  }

  function present(r: Awaited<ReturnType<typeof repo.listWarnings>>['items'][number]) {
    return {
      id: r.id,
      number: r.number,
      level: r.level,
      title: r.title,
      status: r.status,
      raisedAt: new Date(r.raised_at).toISOString(),
      clearedAt: r.cleared_at ? new Date(r.cleared_at).toISOString() : null,
      addressText: r.address_text,
      lng: r.lng,
      lat: r.lat,
      rule: { id: r.rule_id, name: r.rule_name, kind: r.rule_kind, kindLabel: RULE_KIND_LABELS[r.rule_kind as keyof typeof RULE_KIND_LABELS] ?? r.rule_kind },
      device: r.device_id ? { id: r.device_id, code: r.device_code, name: r.device_name } : null,
      gridName: r.grid_name,
      report: r.report_id ? { id: r.report_id, number: r.report_number, status: r.report_status, deadline: r.report_deadline ? new Date(r.report_deadline).toISOString() : null } : null,
      outcomeAt: r.outcome_at ? new Date(r.outcome_at).toISOString() : null,
    };
  }

  async function get(ctx: ActorContext, id: string) {
    const w = await visible(ctx, id);
    return {
      id: w.id,
      number: w.number,
      level: w.level,
      title: w.title,
      status: w.status,
      detail: w.detail,
      raisedAt: new Date(w.raised_at).toISOString(),
      clearedAt: w.cleared_at ? new Date(w.cleared_at).toISOString() : null,
      addressText: w.address_text,
      lng: w.lng,
      lat: w.lat,
      gridName: w.grid_name,
      communityName: w.community_name,
      rule: { id: w.rule_id, name: w.rule_name, kind: w.rule_kind, kindLabel: RULE_KIND_LABELS[w.rule_kind as keyof typeof RULE_KIND_LABELS] ?? w.rule_kind },
      device: w.device_id ? { id: w.device_id, code: w.device_code, name: w.device_name, type: w.device_type } : null,
      householdId: w.household_id,
      report: w.report_id ? { id: w.report_id, number: w.report_number, status: w.report_status, deadline: w.report_deadline ? new Date(w.report_deadline).toISOString() : null } : null,
      outcome: OUTCOMES.includes(w.status as Outcome) ? { outcome: w.status as Outcome, label: OUTCOME_LABELS[w.status as Outcome], note: w.outcome_note, at: w.outcome_at ? new Date(w.outcome_at).toISOString() : null } : null,
    };
  }

  /**
   * The grid worker's finding on site. With a task, it is the task's 处置 step in the reports
   * loop and the outcome is written in that step's transaction (both or neither); without one
   * (a warning nobody could place), the outcome alone.
   */
  async function recordOutcome(ctx: ActorContext, id: string, input: { outcome: string; note?: string | null }) {
    if (!OUTCOMES.includes(input.outcome as Outcome)) throw invalid('outcome', `one of ${OUTCOMES.join(', ')}`);
    const outcome = input.outcome as Outcome;
    const note = input.note?.trim() || null;
    if (note && note.length > 1000) throw invalid('note', 'at most 1000 characters');
    requirePermission(ctx.actor, 'alert.verify');
    const w = await visible(ctx, id);
    if (OUTCOMES.includes(w.status as Outcome)) throw conflict(`warning ${w.number} was already verified: ${OUTCOME_LABELS[w.status as Outcome]}`, { status: w.status });
    const write = async (tx: Transaction<Database>) => {
      const cur = await repo.warningRow(tx, id, true);
      if (!cur || OUTCOMES.includes(cur.status as Outcome)) throw conflict(`warning ${w.number} was already verified`, { status: cur?.status });
      await repo.updateWarning(tx, id, { status: outcome, outcome_note: note, outcome_by: ctx.actor.via === 'system' ? null : ctx.actor.userId, outcome_at: new Date() });
      await recordAudit(tx, ctx, { action: 'alert.verified', targetType: 'alert_warning', targetId: id, before: { status: cur.status }, after: { outcome, note } });
      await publishEvent(tx, { type: 'alert.changed', subjectType: 'alert_warning', subjectId: id, orgPaths: [cur.area_path], data: { number: cur.number, outcome, outcomeLabel: OUTCOME_LABELS[outcome] } });
    };
    if (w.report_id) {
      await reports.act(ctx, w.report_id, 'handle', { note: `核查结果：${OUTCOME_LABELS[outcome]}${note ? `。${note}` : ''}` }, { within: write });
    } else {
      await db.transaction().execute(write);
    }
    return get(ctx, id);
  }

  async function precision(ctx: ActorContext, f: Omit<repo.WarningFilter, 'scopePath' | 'gridIds'>) {
    requirePermission(ctx.actor, 'alert.read');
    const rows = await repo.precisionByRule(db, { ...f, ...scopeFilter(ctx) });
    return rows.map((r) => {
      const verified = Number(r.verified);
      const hits = Number(r.confirmed) + Number(r.handled);
      return {
        ruleId: r.rule_id,
        ruleName: r.rule_name,
        kind: r.rule_kind,
        kindLabel: RULE_KIND_LABELS[r.rule_kind as keyof typeof RULE_KIND_LABELS] ?? r.rule_kind,
        raised: Number(r.raised),
        verified,
        confirmed: Number(r.confirmed),
        handled: Number(r.handled),
        falseAlarm: Number(r.false_alarm),
        byLevel: { red: Number(r.red), yellow: Number(r.yellow), green: Number(r.green) },
        /** Share of verified warnings found true on site (属实 or 已处置); null until one is verified. */
        precision: verified ? hits / verified : null,
      };
    });
  }

  return { ensureTasks, sweepUntasked, list, get, recordOutcome, precision };
}

export type WarningsService = ReturnType<typeof createWarningsService>;
