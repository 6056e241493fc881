import type { Db } from '../../db.js';
import type { ActorContext } from '../../platform/http/context.js';
import { invalid } from '../../platform/http/errors.js';
import { requirePermission } from '../core/index.js';
import { STAGES, STAGE_LABELS, type Stage } from './reports.categories.js';
import * as repo from './reports.repository.js';

export interface StatsRow {
  key: string | null;
  name: string;
  total: number;
  open: number;
  closed: number;
  voided: number;
  overdue: number;
  resolutionRate: number | null;
  onTimeRate: number | null;
  avgCloseMinutes: number | null;
  satisfied: number;
  basicallySatisfied: number;
  dissatisfied: number;
  satisfactionRate: number | null;
}

const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 10_000) / 10_000 : null);

/**
 * Statistics of the closed loop over a period: resolution rate (closed of the non-voided),
 * on-time rate (stages finished within their deadline), average time to close, satisfaction
 * ((满意 + 基本满意) of the rated) — by department, grid, category, street or day.
 */
export async function reportStatistics(db: Db, ctx: ActorContext, scope: repo.ReportScope, q: { from: Date; to: Date; groupBy: repo.StatsGroup }) {
  requirePermission(ctx.actor, 'report.read');
  if (q.to <= q.from) throw invalid('to', 'must be after from');
  if (q.to.getTime() - q.from.getTime() > 3 * 366 * 24 * 3600_000) throw invalid('to', 'a period of at most three years');
  const { rows, onTime, stages } = await repo.reportStats(db, scope, q);
  const onTimeByKey = new Map(onTime.map((o) => [o.key, o]));
  const present = (r: (typeof rows)[number]): StatsRow => {
    const ot = onTimeByKey.get(r.key);
    const total = Number(r.total);
    const closed = Number(r.closed);
    const voided = Number(r.voided);
    const s = Number(r.satisfied);
    const b = Number(r.basically_satisfied);
    const d = Number(r.dissatisfied);
    return {
      key: r.key,
      name: r.name,
      total,
      open: Number(r.open),
      closed,
      voided,
      overdue: Number(r.overdue),
      resolutionRate: ratio(closed, total - voided),
      onTimeRate: ot ? ratio(Number(ot.on_time), Number(ot.n)) : null,
      avgCloseMinutes: r.avg_close_minutes === null ? null : Math.round(Number(r.avg_close_minutes)),
      satisfied: s,
      basicallySatisfied: b,
      dissatisfied: d,
      satisfactionRate: ratio(s + b, s + b + d),
    };
  };
  const presented = rows.map(present);
  const sum = (f: (r: StatsRow) => number) => presented.reduce((a, r) => a + f(r), 0);
  const closed = sum((r) => r.closed);
  const allOnTime = onTime.reduce((a, o) => a + Number(o.on_time), 0);
  const allTimed = onTime.reduce((a, o) => a + Number(o.n), 0);
  const totals: StatsRow = {
    key: null,
    name: '合计',
    total: sum((r) => r.total),
    open: sum((r) => r.open),
    closed,
    voided: sum((r) => r.voided),
    overdue: sum((r) => r.overdue),
    resolutionRate: ratio(closed, sum((r) => r.total - r.voided)),
    onTimeRate: ratio(allOnTime, allTimed),
    avgCloseMinutes: closed ? Math.round(sum((r) => (r.avgCloseMinutes ?? 0) * r.closed) / closed) : null,
    satisfied: sum((r) => r.satisfied),
    basicallySatisfied: sum((r) => r.basicallySatisfied),
    dissatisfied: sum((r) => r.dissatisfied),
    satisfactionRate: ratio(sum((r) => r.satisfied + r.basicallySatisfied), sum((r) => r.satisfied + r.basicallySatisfied + r.dissatisfied)),
  };
  const byStage = new Map(stages.map((s) => [s.stage, s]));
  return {
    from: q.from.toISOString(),
    to: q.to.toISOString(),
    groupBy: q.groupBy,
    totals,
    rows: q.groupBy === 'day' ? presented.sort((a, b) => (a.name < b.name ? -1 : 1)) : presented,
    stages: STAGES.map((st: Stage) => {
      const s = byStage.get(st);
      return {
        stage: st,
        label: STAGE_LABELS[st],
        n: s ? Number(s.n) : 0,
        avgMinutes: s ? Math.round(Number(s.avg_minutes)) : null,
        onTimeRate: s ? ratio(Number(s.on_time), Number(s.timed)) : null,
      };
    }),
  };
}
