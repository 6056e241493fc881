import type { Db } from '../../db.js';
import { recordAudit } from '../../platform/audit/audit.js';
import type { ActorContext } from '../../platform/http/context.js';
import { conflict, invalid, notFound } from '../../platform/http/errors.js';
import { requirePermission } from '../core/index.js';
import { validateCalendarYear, type CalendarYear } from './reports.calendar.js';
import type { Priority, StageLimits } from './reports.categories.js';
import * as repo from './reports.repository.js';

export interface CategoryInput {
  code: string;
  parentCode: string | null;
  name: string;
  deptType: string | null;
  priority: Priority;
  timeMode: 'working' | 'natural';
  limits: StageLimits | null;
}

function presentCategory(c: Awaited<ReturnType<typeof repo.allCategories>>[number]) {
  return {
    code: c.code,
    parentCode: c.parent_code,
    name: c.name,
    deptType: c.dept_type,
    priority: c.priority as Priority,
    timeMode: c.time_mode as 'working' | 'natural',
    limits: c.limits,
    active: c.active,
  };
}

/**
 * What administrators edit: the category tree, the routing rules and the working-day
 * calendar. Each change is audited and drops the cached copies of the reports service.
 */
export function createReportSettings(db: Db, onChange: () => void) {
  return {
    async categories(ctx: ActorContext) {
      requirePermission(ctx.actor, 'report.read');
      return (await repo.allCategories(db)).map(presentCategory);
    },
    /** Categories for residents' forms: active ones only. */
    async publicCategories() {
      return (await repo.allCategories(db)).filter((c) => c.active).map((c) => ({ code: c.code, parentCode: c.parent_code, name: c.name }));
    },

    async createCategory(ctx: ActorContext, input: CategoryInput) {
      requirePermission(ctx.actor, 'report.configure');
      const all = await repo.allCategories(db);
      if (all.some((c) => c.code === input.code)) throw conflict(`category ${input.code} already exists`);
      if (input.parentCode) {
        const parent = all.find((c) => c.code === input.parentCode);
        if (!parent) throw invalid('parentCode', `no category ${input.parentCode}`);
        if (parent.parent_code) throw invalid('parentCode', 'categories have two levels: choose a top-level group');
        if (!input.code.startsWith(input.parentCode)) throw invalid('code', `must start with the parent's code ${input.parentCode}`);
        if (!input.deptType) throw invalid('deptType', 'required for a category that receives cases');
        if (!input.limits) throw invalid('limits', 'required for a category that receives cases');
      }
      await db.transaction().execute(async (tx) => {
        await repo.insertCategory(tx, input);
        await recordAudit(tx, ctx, { action: 'category.created', targetType: 'report_category', targetId: null, after: input });
      });
      onChange();
      return presentCategory((await repo.findCategory(db, input.code))!);
    },

    async updateCategory(ctx: ActorContext, code: string, patch: Partial<Omit<CategoryInput, 'code' | 'parentCode'>> & { active?: boolean }) {
      requirePermission(ctx.actor, 'report.configure');
      const before = await repo.findCategory(db, code);
      if (!before) throw notFound('category');
      if (before.parent_code && patch.deptType === null) throw invalid('deptType', 'a category that receives cases needs a department type');
      if (before.parent_code && patch.limits === null) throw invalid('limits', 'a category that receives cases needs time limits');
      await db.transaction().execute(async (tx) => {
        await repo.updateCategory(tx, code, patch);
        await recordAudit(tx, ctx, { action: 'category.updated', targetType: 'report_category', before: presentCategory(before), after: { code, ...patch } });
      });
      onChange();
      return presentCategory((await repo.findCategory(db, code))!);
    },

    async routingRules(ctx: ActorContext) {
      requirePermission(ctx.actor, 'report.read');
      const rows = await repo.routingRules(db);
      return rows
        .filter((r) => r.target_path.startsWith(ctx.actor.scopePath) || ctx.actor.scopePath.startsWith(r.target_path))
        .map((r) => ({
          id: r.id,
          categoryCode: r.category_code,
          deptType: r.dept_type,
          areaOrgId: r.area_org_id,
          areaName: r.area_name ?? null,
          targetOrgId: r.target_org_id,
          targetName: r.target_name,
          note: r.note,
        }));
    },

    async createRoutingRule(ctx: ActorContext, input: { categoryCode?: string | null; deptType?: string | null; areaOrgId?: string | null; targetOrgId: string; note: string }) {
      requirePermission(ctx.actor, 'report.configure');
      if (!input.categoryCode && !input.deptType) throw invalid('categoryCode', 'give a category or a department type');
      if (input.categoryCode && !(await repo.findCategory(db, input.categoryCode))) throw invalid('categoryCode', `no category ${input.categoryCode}`);
      const orgs = await repo.orgsByIds(db, [input.targetOrgId, ...(input.areaOrgId ? [input.areaOrgId] : [])]);
      const target = orgs.find((o) => o.id === input.targetOrgId);
      if (!target || !target.path.startsWith(ctx.actor.scopePath)) throw invalid('targetOrgId', 'no such organisation in your area');
      if (input.areaOrgId) {
        const area = orgs.find((o) => o.id === input.areaOrgId);
        if (!area || !area.path.startsWith(ctx.actor.scopePath)) throw invalid('areaOrgId', 'no such area in your scope');
      }
      const id = await db.transaction().execute(async (tx) => {
        const r = await repo.insertRoutingRule(tx, { categoryCode: input.categoryCode ?? null, deptType: input.deptType ?? null, areaOrgId: input.areaOrgId ?? null, targetOrgId: input.targetOrgId, note: input.note });
        await recordAudit(tx, ctx, { action: 'routing_rule.created', targetType: 'routing_rule', targetId: r.id, after: input });
        return r.id;
      });
      return (await this.routingRules(ctx)).find((r) => r.id === id)!;
    },

    async deleteRoutingRule(ctx: ActorContext, id: string) {
      requirePermission(ctx.actor, 'report.configure');
      const rule = (await repo.routingRules(db)).find((r) => r.id === id);
      if (!rule || !rule.target_path.startsWith(ctx.actor.scopePath)) throw notFound('routing rule');
      await db.transaction().execute(async (tx) => {
        await repo.deleteRoutingRule(tx, id);
        await recordAudit(tx, ctx, { action: 'routing_rule.deleted', targetType: 'routing_rule', targetId: id, before: rule });
      });
    },

    async calendarYears(ctx: ActorContext) {
      requirePermission(ctx.actor, 'report.read');
      return repo.calendarYears(db);
    },

    async putCalendarYear(ctx: ActorContext, year: number, input: unknown) {
      requirePermission(ctx.actor, 'report.configure');
      let y: CalendarYear;
      try {
        y = validateCalendarYear(input);
      } catch (e) {
        const msg = (e as Error).message;
        const field = msg.split(':')[0];
        throw invalid(field, msg.slice(field.length + 1).trim());
      }
      if (y.year !== year) throw invalid('year', `the body is for ${y.year}, the path for ${year}`);
      const before = (await repo.calendarYears(db)).find((c) => c.year === year) ?? null;
      await db.transaction().execute(async (tx) => {
        await repo.putCalendarYear(tx, y);
        await recordAudit(tx, ctx, { action: 'calendar.updated', targetType: 'calendar_year', before, after: y });
      });
      onChange();
      return y;
    },
  };
}
export type ReportSettings = ReturnType<typeof createReportSettings>;
