import type { Db } from '../../db.js';
import { systemContext } from '../../platform/http/context.js';
import { findOrgByCode, getSetting, putSetting } from '../core/index.js';
import { DEFAULT_PARAMS, type RuleKind } from './alerts.engine.js';
import { deviceSubject, replay, ruleWatches, titleOf } from './alerts.ingest.js';
import * as repo from './alerts.repository.js';
import { applySteps, type RuleRow, type WarningsService } from './alerts.warnings.js';

const MARKER = 'demo.alerts.warnings.seeded';

/** The rules of the demo district: what a district would switch on first. */
const DEMO_RULES: { name: string; kind: RuleKind; deviceType: string | null; taskCategory: string; params?: Record<string, unknown>; enabled?: boolean }[] = [
  { name: '河湖水质未达目标类别', kind: 'water_quality', deviceType: 'water_quality', taskCategory: '0901' },
  { name: '独居老人家庭12小时未用水', kind: 'no_consumption', deviceType: 'water_meter', taskCategory: '0902', params: { ...DEFAULT_PARAMS.no_consumption, careTags: ['独居老人', '孤寡老人'] } },
  { name: '智能水表离线', kind: 'no_signal', deviceType: 'water_meter', taskCategory: '0905', params: { levels: { yellow: 360, red: 1080 } } },
  { name: '水质监测站离线', kind: 'no_signal', deviceType: 'water_quality', taskCategory: '0905', params: { levels: { yellow: 120, red: 480 } } },
  { name: 'pH 超出 6–9', kind: 'threshold', deviceType: 'water_quality', taskCategory: '0906', params: { indicator: 'pH', direction: 'above', levels: { yellow: 9, red: 9.5 }, hysteresis: 0.2, minDurationSec: 1800 } },
  { name: '人来未登记', kind: 'unregistered_resident', deviceType: null, taskCategory: '0903', params: { ...DEFAULT_PARAMS.unregistered_resident, schedule: 'monthly' } },
  { name: '一址多企', kind: 'multi_enterprise', deviceType: null, taskCategory: '0904', params: { ...DEFAULT_PARAMS.multi_enterprise, schedule: 'monthly' } },
];

/**
 * The demo's rules, and its warnings made the way production makes them: the seeded readings
 * of the last days are replayed through each device rule and the steps applied (one warning
 * per episode, verification tasks after commit). Episodes that ended long enough ago get an
 * outcome on site, so the precision page has something to show. Runs once (a marker).
 */
export async function seedDemoWarnings(db: Db, deps: { warnings: WarningsService }, opts: { districtCode: string; days?: number; now?: Date }) {
  if (await getSetting(db, MARKER)) return null;
  const district = await findOrgByCode(db, opts.districtCode);
  if (!district) return null;
  const now = opts.now ?? new Date();
  const from = new Date(now.getTime() - (opts.days ?? 14) * 86_400_000);
  const ruleIds: string[] = [];
  for (const r of DEMO_RULES) {
    const row = await repo.insertRule(db, {
      district_org_id: district.id,
      name: r.name,
      kind: r.kind as never,
      device_type: r.deviceType,
      device_ids: null,
      params: JSON.stringify(r.params ?? DEFAULT_PARAMS[r.kind]),
      task_category: r.taskCategory,
      enabled: r.enabled ?? true,
      created_by: null,
    });
    ruleIds.push(row.id);
  }
  const raised: string[] = [];
  for (const id of ruleIds) {
    const rule = (await repo.ruleById(db, id))!;
    if (rule.kind === 'unregistered_resident' || rule.kind === 'multi_enterprise') continue;
    const deviceIds = await repo.devicesOfRule(db, rule, district.path);
    const steps: Parameters<typeof applySteps>[2] = [];
    for (const deviceId of deviceIds) {
      const d = await repo.deviceForIngest(db, { id: deviceId });
      if (!d || !ruleWatches(rule, d)) continue;
      const r = replay(rule, d, await repo.readingsBetween(db, d.id, from, now), { from, until: now });
      if (!r.events.length) continue;
      steps.push({ subjectKey: d.id, step: r, subject: deviceSubject(d, rule, titleOf(d, rule)) });
    }
    const res = await db.transaction().execute((tx) => applySteps(tx, rule as unknown as RuleRow, steps));
    raised.push(...res.raised);
  }
  await deps.warnings.ensureTasks(raised);
  // Episodes over for more than a day were checked on site: most were real, one was not.
  const done = await db.selectFrom('alert_warnings').select(['id']).where('id', 'in', raised.length ? raised : ['00000000-0000-0000-0000-000000000000']).where('cleared_at', '<', new Date(now.getTime() - 86_400_000)).orderBy('raised_at').execute();
  let verified = 0;
  for (const [i, w] of done.entries()) {
    const outcome = i % 4 === 3 ? 'false_alarm' : i % 2 ? 'handled' : 'confirmed';
    const note = outcome === 'false_alarm' ? '现场核实：传感器探头附着水草，读数失真，已清理' : outcome === 'handled' ? '已通知相关单位处置，现场恢复正常' : '现场核实情况属实，已上报处置';
    try {
      await deps.warnings.recordOutcome(systemContext(), w.id, { outcome, note });
      verified++;
    } catch {
      // A task that could not be placed stays for a person to verify.
    }
  }
  const result = { rules: ruleIds.length, warnings: raised.length, verified };
  await putSetting(db, MARKER, { ...result, at: now.toISOString() });
  return result;
}
