import type { Db } from '../../db.js';
import { recordAudit } from '../../platform/audit/audit.js';
import type { ActorContext } from '../../platform/http/context.js';
import { invalid, notFound } from '../../platform/http/errors.js';
import type { Jobs } from '../../platform/jobs/jobs.js';
import { requirePermission } from '../core/index.js';
import { DEFAULT_PARAMS, LEVELS, RULE_KIND_LABELS, RULE_KINDS, validateParams, type Level } from './alerts.engine.js';
import { replay, ruleWatches } from './alerts.ingest.js';
import * as repo from './alerts.repository.js';

const DEVICE_TYPES = ['water_quality', 'water_meter', 'access_control', 'camera_alarm', 'generic'] as const;
const DRY_RUN_DAYS = 30;

export interface RuleInput {
  name?: string;
  kind?: string;
  deviceType?: string | null;
  deviceIds?: string[] | null;
  params?: Record<string, unknown>;
  taskCategory?: string;
  enabled?: boolean;
}

type RuleRow = NonNullable<Awaited<ReturnType<typeof repo.ruleById>>>;

export function presentRule(r: RuleRow) {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    kindLabel: RULE_KIND_LABELS[r.kind as keyof typeof RULE_KIND_LABELS] ?? r.kind,
    deviceType: r.device_type,
    deviceIds: r.device_ids ?? [],
    params: r.params,
    taskCategory: r.task_category,
    enabled: r.enabled,
    version: r.version,
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}

/**
 * Rules without code: create, edit, enable, and a dry run that replays the last 30 days of
 * readings through the rule (nothing written) to show how many warnings it would have raised.
 */
export function createRulesService(deps: { db: Db; jobs: Jobs; onChanged: (ruleId: string) => Promise<void> | void; previewRecon?: (ctx: ActorContext, rule: RuleRow) => Promise<{ found: number; byLevel: Record<Level, number> }> }) {
  const { db, jobs } = deps;

  function districtOf(ctx: ActorContext): string {
    const id = ctx.actor.scopePath.split('/').filter(Boolean)[0];
    if (!id) throw invalid('district', 'your account is not bound to a district');
    return id;
  }

  async function visible(ctx: ActorContext, id: string) {
    requirePermission(ctx.actor, 'alert.read');
    const r = await repo.ruleById(db, id);
    const district = ctx.actor.scopePath.split('/').filter(Boolean)[0];
    if (!r || (district && r.district_org_id !== district)) throw notFound('rule');
    return r;
  }

  async function list(ctx: ActorContext) {
    requirePermission(ctx.actor, 'alert.read');
    const district = ctx.actor.scopePath === '/' ? null : [districtOf(ctx)];
    return (await repo.rulesOfDistricts(db, district)).map(presentRule);
  }

  async function check(input: RuleInput, base?: RuleRow) {
    const kind = input.kind ?? base?.kind;
    if (!kind || !RULE_KINDS.includes(kind as never)) throw invalid('kind', `one of ${RULE_KINDS.join(', ')}`);
    const name = (input.name ?? base?.name ?? '').trim();
    if (!name || name.length > 60) throw invalid('name', 'a name of 1–60 characters is required');
    const deviceType = input.deviceType === undefined ? (base?.device_type ?? null) : input.deviceType;
    if (deviceType !== null && !DEVICE_TYPES.includes(deviceType as never)) throw invalid('deviceType', `one of ${DEVICE_TYPES.join(', ')}`);
    const rawParams = input.params ?? (base?.params as Record<string, unknown> | undefined) ?? DEFAULT_PARAMS[kind as keyof typeof DEFAULT_PARAMS];
    const v = validateParams(kind as never, rawParams);
    if (!v.ok) throw invalid(v.field, v.message);
    const taskCategory = input.taskCategory ?? base?.task_category;
    if (!taskCategory || !/^09\d\d$/.test(taskCategory)) throw invalid('taskCategory', 'a category of the 预警核查 group (09xx)');
    const deviceIds = input.deviceIds === undefined ? (base?.device_ids ?? null) : input.deviceIds;
    return { kind, name, deviceType, params: v.params as Record<string, unknown>, taskCategory, deviceIds: deviceIds?.length ? deviceIds : null };
  }

  async function create(ctx: ActorContext, input: RuleInput) {
    requirePermission(ctx.actor, 'alert.configure');
    const district = districtOf(ctx);
    const v = await check(input);
    const id = await db.transaction().execute(async (tx) => {
      const r = await repo.insertRule(tx, {
        district_org_id: district,
        name: v.name,
        kind: v.kind as never,
        device_type: v.deviceType,
        device_ids: v.deviceIds,
        params: JSON.stringify(v.params),
        task_category: v.taskCategory,
        enabled: input.enabled ?? true,
        created_by: ctx.actor.via === 'system' ? null : ctx.actor.userId,
      });
      await recordAudit(tx, ctx, { action: 'alert_rule.created', targetType: 'alert_rule', targetId: r.id, after: v });
      return r.id;
    });
    await deps.onChanged(id);
    return presentRule((await repo.ruleById(db, id))!);
  }

  async function update(ctx: ActorContext, id: string, input: RuleInput) {
    requirePermission(ctx.actor, 'alert.configure');
    const base = await visible(ctx, id);
    if (input.kind && input.kind !== base.kind) throw invalid('kind', 'the kind of a rule cannot change; create a new rule');
    const v = await check(input, base);
    await db.transaction().execute(async (tx) => {
      await repo.updateRule(tx, id, {
        name: v.name,
        device_type: v.deviceType,
        device_ids: v.deviceIds,
        params: JSON.stringify(v.params),
        task_category: v.taskCategory,
        ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
      });
      await recordAudit(tx, ctx, { action: 'alert_rule.updated', targetType: 'alert_rule', targetId: id, before: presentRule(base), after: { ...v, enabled: input.enabled ?? base.enabled } });
    });
    await deps.onChanged(id);
    return presentRule((await repo.ruleById(db, id))!);
  }

  /**
   * Replays the last 30 days through the rule (saved or as edited, not saved) with no writes:
   * a job whose progress counts devices, whose result counts the warnings by level.
   */
  async function dryRun(ctx: ActorContext, id: string, draft?: Record<string, unknown>) {
    requirePermission(ctx.actor, 'alert.read');
    const base = await visible(ctx, id);
    const params = draft ? (await check({ params: draft }, base)).params : (base.params as Record<string, unknown>);
    const rule = { ...base, params } as RuleRow;
    const districtPath = (await repo.orgPath(db, rule.district_org_id)) ?? '/';
    if (rule.kind === 'unregistered_resident' || rule.kind === 'multi_enterprise') {
      if (!deps.previewRecon) throw invalid('kind', 'dry runs of reconciliation rules are not available');
      const jobId = await jobs.create('alert.dry_run', ctx.actor.userId, 1);
      void deps
        .previewRecon(ctx, rule)
        .then((r) => jobs.finish(jobId, { status: 'succeeded', processed: 1, total: 1, result: { ruleId: id, days: DRY_RUN_DAYS, warnings: r.found, byLevel: r.byLevel, devices: 0, samples: [] } }))
        .catch((err) => jobs.finish(jobId, { status: 'failed', processed: 0, total: 1, errors: [{ row: 0, field: 'rule', message: String(err?.message ?? err) }] }));
      return { jobId };
    }
    const deviceIds = await repo.devicesOfRule(db, rule, districtPath);
    const jobId = await jobs.create('alert.dry_run', ctx.actor.userId, deviceIds.length);
    const to = new Date();
    const from = new Date(to.getTime() - DRY_RUN_DAYS * 86_400_000);
    void (async () => {
      const byLevel: Record<Level, number> = { red: 0, yellow: 0, green: 0 };
      const samples: { deviceCode: string; at: string; level: Level; reason: string }[] = [];
      let devices = 0;
      try {
        for (let i = 0; i < deviceIds.length; i++) {
          const d = await repo.deviceForIngest(db, { id: deviceIds[i]! });
          if (d && ruleWatches(rule as never, d)) {
            const r = replay(rule as never, d, await repo.readingsBetween(db, d.id, from, to), { from, until: to });
            // Each episode counts once, at the highest level it reached.
            const episodes = new Map<string, { level: Level; at: string; reason: string }>();
            for (const e of r.events) {
              if (e.kind === 'raise') episodes.set(e.episodeKey, { level: e.level, at: e.at, reason: e.reason });
              else if (e.kind === 'escalate') {
                const ep = episodes.get(e.episodeKey);
                if (ep) episodes.set(e.episodeKey, { ...ep, level: e.level, reason: e.reason });
              }
            }
            for (const ep of episodes.values()) {
              byLevel[ep.level]++;
              if (samples.length < 20) samples.push({ deviceCode: d.code, at: ep.at, level: ep.level, reason: ep.reason });
            }
            if (episodes.size) devices++;
          }
          jobs.progress(jobId, i + 1);
        }
        const warnings = LEVELS.reduce((n, l) => n + byLevel[l], 0);
        await jobs.finish(jobId, { status: 'succeeded', processed: deviceIds.length, total: deviceIds.length, result: { ruleId: id, days: DRY_RUN_DAYS, warnings, byLevel, devices, samples } });
      } catch (err) {
        await jobs.finish(jobId, { status: 'failed', processed: 0, total: deviceIds.length, errors: [{ row: 0, field: 'rule', message: String((err as Error)?.message ?? err) }] });
      }
    })();
    return { jobId };
  }

  return { list, get: async (ctx: ActorContext, id: string) => presentRule(await visible(ctx, id)), create, update, dryRun };
}

export type RulesService = ReturnType<typeof createRulesService>;
