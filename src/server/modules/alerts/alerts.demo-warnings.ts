import type { Db } from '../../db.js';
import { systemContext } from '../../platform/http/context.js';
import { findOrgByCode, getSetting, putSetting } from '../core/index.js';
import { DEFAULT_PARAMS, type RuleKind } from './alerts.engine.js';
import { deviceSubject, replay, ruleWatches, titleOf } from './alerts.ingest.js';
import * as repo from './alerts.repository.js';
import { applySteps, type RuleRow, type WarningsService } from './alerts.warnings.js';
import { creditCheckChar, idCheckChar, type ReconService } from './alerts.recon.js';

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
export async function seedDemoWarnings(db: Db, deps: { warnings: WarningsService; recon: ReconService }, opts: { districtCode: string; days?: number; now?: Date }) {
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
  const recon = await seedDemoRecon(db, deps.recon, deps.warnings, { districtId: district.id, districtPath: district.path, now, ruleIds });
  const result = { rules: ruleIds.length, warnings: raised.length, verified, ...recon };
  await putSetting(db, MARKER, { ...result, at: now.toISOString() });
  return result;
}

/** A generated ID number with its GB 11643 check character; never a real person's. */
function demoIdNumber(i: number): string {
  const birth = new Date(Date.UTC(1960, 0, 1) + ((i * 7919) % 18_000) * 86_400_000);
  const first17 = `330481${birth.toISOString().slice(0, 10).replace(/-/g, '')}${String(100 + (i % 900)).padStart(3, '0')}`;
  return first17 + idCheckChar(first17);
}

function demoCreditCode(i: number): string {
  const first17 = `91330481MA${String(2_000_000 + i * 37).slice(-6)}X`.slice(0, 17);
  return first17 + creditCheckChar(first17);
}

const csv = (rows: string[][]) => Buffer.from(rows.map((r) => r.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\n') + '\n', 'utf8');

/**
 * A month of the demo's reconciliation data, imported through the same import path as a
 * district's own files (csv), then both reconciliation rules run once: a few people seen at
 * real demo addresses on many days without registering there (人来未登记) and a few
 * addresses with several enterprises (一址多企), among ordinary registered residents.
 */
async function seedDemoRecon(db: Db, recon: ReconService, warnings: WarningsService, o: { districtId: string; districtPath: string; now: Date; ruleIds: string[] }) {
  const addrs = (await repo.buildingAddresses(db, o.districtPath, 16)).map((a) => a.full_text);
  if (addrs.length < 16) return { reconWarnings: 0 };
  const ctx = systemContext();
  const day = 86_400_000;
  const at = (d: number, h: number) => new Date(o.now.getTime() - d * day - h * 3600_000).toISOString();
  const residents: string[][] = [['身份证号', '居住地址', '登记日期']];
  const access: string[][] = [['身份证号', '门禁地址', '进入时间']];
  let person = 1;
  // Ordinary residents: registered where they come home most days.
  for (let a = 0; a < 12; a++) {
    for (let k = 0; k < 5; k++, person++) {
      const id = demoIdNumber(person);
      residents.push([id, addrs[a]!, new Date(o.now.getTime() - (400 + person) * day).toISOString().slice(0, 10)]);
      for (let d = 1; d <= 28; d++) if ((d + k) % 3 !== 0) access.push([id, addrs[a]!, at(d, 10 + (k % 6))]);
    }
  }
  // 人来未登记: seen on these many distinct days, registered nowhere here (or elsewhere).
  for (const [i, days] of [6, 8, 12, 14, 22, 25, 3, 4].entries()) {
    const id = demoIdNumber(1000 + i);
    const addr = addrs[i % 6]!;
    if (i % 3 === 1) residents.push([id, addrs[15]!, '2024-03-01']);
    for (let d = 1; d <= days; d++) access.push([id, addr, at(d, 9 + (i % 8))]);
  }
  const enterprises: string[][] = [['统一社会信用代码', '企业名称', '注册地址']];
  const names = ['贸易', '科技', '建材', '电子商务', '服装', '物流', '餐饮管理', '装饰工程', '五金', '信息咨询', '文化传媒', '家纺'];
  let ent = 1;
  for (const [a, n] of [[12, 4], [13, 7], [14, 11]] as const) {
    for (let k = 0; k < n; k++, ent++) enterprises.push([demoCreditCode(ent), `海宁市${['宏', '盛', '鑫', '达', '源', '嘉', '恒'][ent % 7]}${['泰', '隆', '丰', '瑞', '和'][k % 5]}${names[ent % names.length]}有限公司`, addrs[a]!]);
  }
  for (let a = 0; a < 10; a++, ent++) enterprises.push([demoCreditCode(ent), `海宁市${['永', '兴', '华', '联'][a % 4]}${names[a]}有限公司`, addrs[a]!]);
  for (const [kind, rows] of [['residents', residents], ['enterprises', enterprises], ['access', access]] as const) {
    const r = await recon.startImport(ctx, { kind, fileName: `演示-${kind}.csv`, bytes: csv(rows), format: 'csv', districtId: o.districtId });
    await r.done;
  }
  let reconWarnings = 0;
  for (const id of o.ruleIds) {
    const rule = await repo.ruleById(db, id);
    if (rule?.kind !== 'unregistered_resident' && rule?.kind !== 'multi_enterprise') continue;
    const r = await recon.startRun(ctx, id, { asOf: o.now, trigger: 'manual' });
    const out = (await r.done) as { raised?: number } | undefined;
    reconWarnings += out?.raised ?? 0;
    // Grid workers have been to some of them already.
    const ws = await db.selectFrom('alert_warnings').select('id').where('rule_id', '=', id).where('report_id', 'is not', null).orderBy('number').limit(3).execute();
    const outcomes =
      rule.kind === 'unregistered_resident'
        ? ([
            ['confirmed', '上门核实：租住人员确未办理居住登记，已现场指导登记'],
            ['false_alarm', '核实为亲属短期探访，非常住'],
            ['handled', '房东已为租客补办居住登记'],
          ] as const)
        : ([
            ['confirmed', '现场核实：该地址为集中登记地，多家企业无实际经营'],
            ['handled', '已告知市场监管部门，督促企业变更住所'],
            ['false_alarm', '核实为商务楼宇，各企业分别在不同楼层实际经营'],
          ] as const);
    for (const [i, w] of ws.entries()) {
      await warnings.recordOutcome(ctx, w.id, { outcome: outcomes[i]![0], note: outcomes[i]![1] }).catch(() => undefined);
    }
  }
  return { reconWarnings };
}
