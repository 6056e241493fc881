import type { DbOrTx } from '../../db.js';
import type { Place } from '../geo/index.js';
import * as repo from './reports.repository.js';

/** One line of the explanation of where a report went, shown on every case. */
export interface RoutingStep {
  kind: 'location' | 'category' | 'rule' | 'default' | 'grid_worker' | 'unrouted' | 'manual';
  text: string;
  ruleId?: string;
}

export interface RoutedTo {
  dept: { id: string; name: string; path: string; headUserId: string | null } | null;
  assignee: { id: string; displayName: string } | null;
  steps: RoutingStep[];
}

export interface CategoryForRouting {
  code: string;
  name: string;
  parentCode: string | null;
  deptType: string | null;
}

/**
 * Body + area + category (FixMyStreet's model), plus the grid: the most specific routing
 * rule whose category and area match decides the department; without one, the department
 * of the category's type in the report's district. The grid worker of the grid is assigned.
 */
export async function routeReport(
  db: DbOrTx,
  input: { category: CategoryForRouting | null; place: Place | null; areaPath: string; districtPath: string; rules: repo.RoutingRuleRow[]; deptTypeLabel: (t: string) => string },
): Promise<RoutedTo> {
  const steps: RoutingStep[] = [];
  const { category, place } = input;
  if (place) {
    steps.push({ kind: 'location', text: `位置落在${place.streetName ?? ''}${place.communityName}「${place.gridName}」网格` });
  }
  if (!category) {
    steps.push({ kind: 'unrouted', text: '未确定事件类别，转人工分拨' });
    return { dept: null, assignee: null, steps };
  }
  steps.push({ kind: 'category', text: `类别「${category.name}」(${category.code})，责任部门类型：${category.deptType ? input.deptTypeLabel(category.deptType) : '未设置'}` });

  const specificity = (r: repo.RoutingRuleRow): number => {
    const cat = r.category_code === category.code ? 3 : r.category_code === category.parentCode ? 2 : r.category_code === null && r.dept_type === category.deptType ? 1 : 0;
    if (!cat) return -1;
    if (r.area_org_id && !(r.area_path && input.areaPath.startsWith(r.area_path))) return -1;
    // Rules send only to organisations of the report's own district.
    if (!r.target_path.startsWith(input.districtPath)) return -1;
    return (r.area_path?.length ?? 0) * 10 + cat;
  };
  const best = input.rules
    .map((r) => ({ r, s: specificity(r) }))
    .filter((x) => x.s >= 0)
    .sort((a, b) => b.s - a.s)[0]?.r;

  let dept: RoutedTo['dept'] = null;
  if (best) {
    const [o] = await repo.orgsByIds(db, [best.target_org_id]);
    if (o) {
      dept = { id: o.id, name: o.name, path: o.path, headUserId: o.head_user_id };
      const what = best.category_code ? `类别 ${best.category_code}` : `部门类型 ${input.deptTypeLabel(best.dept_type ?? '')}`;
      steps.push({ kind: 'rule', ruleId: best.id, text: `分拨规则：${what}${best.area_name ? `，区域「${best.area_name}」` : '，全区'} → ${o.name}${best.note ? `（${best.note}）` : ''}` });
    }
  }
  // Community work (verification on site) goes to the community office of the place itself.
  if (!dept && category.deptType === 'community' && place) {
    const [o] = await repo.orgsByIds(db, [place.communityOrgId]);
    if (o) {
      dept = { id: o.id, name: o.name, path: o.path, headUserId: o.head_user_id };
      steps.push({ kind: 'default', text: `社区事务：交所在社区「${o.name}」` });
    }
  }
  if (!dept && category.deptType) {
    const d = await repo.departmentOfType(db, input.districtPath, category.deptType);
    if (d) {
      dept = { id: d.id, name: d.name, path: d.path, headUserId: d.head_user_id };
      steps.push({ kind: 'default', text: `无专门规则：按部门类型交本区县的「${d.name}」` });
    }
  }
  if (!dept) {
    steps.push({ kind: 'unrouted', text: '本区县没有对应的责任部门，转人工分拨' });
    return { dept: null, assignee: null, steps };
  }
  const worker = place?.workers[0] ?? null;
  if (worker) steps.push({ kind: 'grid_worker', text: `网格员：${worker.displayName}（${place!.gridName}）` });
  return { dept, assignee: worker ? { id: worker.id, displayName: worker.displayName } : null, steps };
}
