import type { Transaction } from 'kysely';
import type { Database, Db } from '../../db.js';
import { notifyUsers } from '../../platform/events/events.js';
import { invalid } from '../../platform/http/errors.js';
import {
  EMPTY_STATE,
  evaluateNoSignal,
  LEVEL_LABELS,
  stepNoConsumption,
  stepThreshold,
  stepWaterQuality,
  type EngineEvent,
  type EpisodeState,
  type Step,
} from './alerts.engine.js';
import { CLASS_LABELS } from './alerts.gb3838.js';
import * as repo from './alerts.repository.js';
import { applySteps, loadRuleStates, type RuleRow, type WarningSubject } from './alerts.warnings.js';

export type ReadingSource = 'mqtt' | 'ngsi-ld' | 'http' | 'import';
export interface ReadingInput {
  observedAt: Date;
  values: Record<string, number>;
}
type Rule = Awaited<ReturnType<typeof repo.enabledRules>>[number];
type Device = repo.IngestDevice;

const DEVICE_RULE_KINDS = new Set(['threshold', 'water_quality', 'no_consumption', 'no_signal']);
const RULE_CACHE_MS = 5_000;
const DEVICE_CACHE_MS = 5_000;
const MAX_VALUES = 64;
/** Readings more than this far in the future are refused: a device clock gone wrong would otherwise open episodes ahead of time. */
const MAX_FUTURE_MS = 10 * 60_000;

/** Checks and normalises a reading: a time, and finite numbers by name. */
export function checkReading(raw: { observedAt?: unknown; values?: unknown }, now = new Date()): ReadingInput {
  const at = raw.observedAt instanceof Date ? raw.observedAt : typeof raw.observedAt === 'string' || typeof raw.observedAt === 'number' ? new Date(raw.observedAt) : null;
  if (!at || Number.isNaN(at.getTime())) throw invalid('observedAt', 'an ISO 8601 time or epoch milliseconds is required');
  if (at.getTime() > now.getTime() + MAX_FUTURE_MS) throw invalid('observedAt', `${at.toISOString()} is in the future`);
  if (!raw.values || typeof raw.values !== 'object' || Array.isArray(raw.values)) throw invalid('values', 'an object of numbers by indicator name is required');
  const entries = Object.entries(raw.values as Record<string, unknown>);
  if (!entries.length) throw invalid('values', 'at least one value is required');
  if (entries.length > MAX_VALUES) throw invalid('values', `at most ${MAX_VALUES} values`);
  const values: Record<string, number> = {};
  for (const [k, v] of entries) {
    if (!/^[A-Za-z][A-Za-z0-9_.-]{0,40}$/.test(k)) throw invalid(`values.${k}`, 'names are letters, digits, _ . -');
    if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(`values.${k}`, 'must be a finite number');
    values[k] = v;
  }
  return { observedAt: at, values };
}

/** The subject of a device's warnings: its place, and words for the warning. */
export function deviceSubject(d: Device, rule: Rule | RuleRow, title: string, detail: Record<string, unknown> = {}): WarningSubject {
  return {
    title,
    detail: { deviceCode: d.code, deviceName: d.name, ...detail },
    deviceId: d.id,
    householdId: d.household_id,
    addressText: d.household_address ?? d.address_text,
    lng: d.lng,
    lat: d.lat,
    gridId: d.grid_id,
    communityOrgId: d.community_org_id,
    areaPath: d.area_path,
  };
}

/** The title of a device's warning under a rule. */
export function titleOf(d: Device, rule: Rule): string {
  switch (rule.kind) {
    case 'water_quality':
      return `${d.water_body_name && !d.name.startsWith(d.water_body_name) ? d.water_body_name : ''}${d.name}水质未达目标${d.target_class ? `（目标${CLASS_LABELS[d.target_class]}）` : ''}`;
    case 'no_consumption':
      return `关爱对象家庭长时间未用水：${d.name}`;
    case 'no_signal':
      return `设备无信号：${d.name}（${d.code}）`;
    default:
      return `${d.name}：${rule.name}`;
  }
}

/** True when the rule watches this device. */
export function ruleWatches(rule: Rule, d: Device): boolean {
  if (!DEVICE_RULE_KINDS.has(rule.kind) || rule.district_org_id !== d.district_org_id) return false;
  if (rule.device_ids?.length && !rule.device_ids.includes(d.id)) return false;
  if (rule.device_type && rule.device_type !== d.type) return false;
  if (rule.kind === 'water_quality') return !!d.water_body_kind && !!d.target_class;
  if (rule.kind === 'no_consumption') {
    const tags = ((rule.params as { careTags?: string[] }).careTags ?? []) as string[];
    return d.type === 'water_meter' && !!d.household_id && (!tags.length || (d.care_tags ?? []).some((t) => tags.includes(t)));
  }
  return true;
}

/** One rule's step for one device on a reading (null when the rule has nothing to say). */
export function stepOnReading(rule: Rule, d: Device, state: EpisodeState, r: ReadingInput): Step | null {
  const p = rule.params as never;
  switch (rule.kind) {
    case 'threshold':
      return stepThreshold(state, p, { at: r.observedAt, values: r.values });
    case 'water_quality':
      return stepWaterQuality(state, p, { at: r.observedAt, values: r.values, kind: d.water_body_kind as 'river' | 'lake', targetClass: d.target_class! });
    case 'no_consumption': {
      const v = r.values.waterConsumption ?? r.values.cumulative ?? r.values.volume;
      if (v === undefined) return null;
      return stepNoConsumption(state, p, { at: r.observedAt, cumulative: v });
    }
    case 'no_signal':
      // A reading ends a silence; without an open episode there is nothing to record.
      if (!state.active) return null;
      return evaluateNoSignal(state, p, { now: r.observedAt, lastReadingAt: r.observedAt, createdAt: new Date(d.created_at) });
    default:
      return null;
  }
}

/**
 * Replays a device's readings (oldest first) through a rule from a state, as if they came in
 * now, and then the clock at `until`: the dry run and the demo use it. Pure; writes nothing.
 */
export function replay(rule: Rule, d: Device, readings: { observed_at: Date | string; values: unknown }[], opts: { state?: EpisodeState; from: Date; until: Date }): { state: EpisodeState; events: EngineEvent[] } {
  let state = opts.state ?? EMPTY_STATE;
  const events: EngineEvent[] = [];
  const p = rule.params as never;
  let last: Date | null = null;
  for (const r of readings) {
    const at = new Date(r.observed_at);
    if (rule.kind === 'no_signal') {
      // The silence before this reading, seen just before it ended; then the reading ends it.
      const before = evaluateNoSignal(state, p, { now: new Date(at.getTime() - 1), lastReadingAt: last ?? opts.from, createdAt: opts.from });
      events.push(...before.events);
      const after = evaluateNoSignal(before.state, p, { now: at, lastReadingAt: at, createdAt: opts.from });
      events.push(...after.events);
      state = after.state;
    } else {
      const step = stepOnReading(rule, d, state, { observedAt: at, values: r.values as Record<string, number> });
      if (step) {
        events.push(...step.events);
        state = step.state;
      }
    }
    last = at;
  }
  const clock =
    rule.kind === 'no_signal'
      ? evaluateNoSignal(state, p, { now: opts.until, lastReadingAt: last ?? opts.from, createdAt: opts.from })
      : rule.kind === 'no_consumption'
        ? stepNoConsumption(state, p, { at: opts.until, cumulative: null })
        : null;
  if (clock) {
    events.push(...clock.events);
    state = clock.state;
  }
  return { state, events };
}

/**
 * Readings in: stored once per device and time, then every rule that watches the device
 * takes its step, all in one transaction (an acknowledged reading has its warnings too).
 * Warnings raised get their verification tasks after commit.
 */
export function createIngestService(deps: { db: Db; onRaised: (ids: string[]) => Promise<unknown> }) {
  const { db } = deps;
  let ruleCache: { at: number; rules: Rule[] } | null = null;
  let stats = { stored: 0, duplicates: 0, rejected: 0, raised: 0 };

  async function rules(): Promise<Rule[]> {
    if (!ruleCache || Date.now() - ruleCache.at > RULE_CACHE_MS) ruleCache = { at: Date.now(), rules: await repo.enabledRules(db) };
    return ruleCache.rules;
  }

  function invalidateRules() {
    ruleCache = null;
    deviceCache.clear();
  }

  // Devices by code, kept a few seconds: a stream of readings needs no lookup per message.
  const deviceCache = new Map<string, { at: number; d: Device | null }>();
  /** Looks a device up by its code (for MQTT topics and NGSI-LD ids); null when unknown or retired. */
  async function deviceByCode(code: string) {
    const hit = deviceCache.get(code);
    if (hit && Date.now() - hit.at < DEVICE_CACHE_MS) return hit.d;
    const d = await repo.deviceForIngest(db, { code });
    const found = d && d.active ? d : null;
    if (deviceCache.size > 100_000) deviceCache.clear();
    deviceCache.set(code, { at: Date.now(), d: found });
    return found;
  }

  /**
   * `tasks: 'background'` (MQTT) does not hold the acknowledgement for the verification tasks:
   * they are made after it, and the minute sweep makes any a crash left undone.
   */
  async function ingest(device: Device, reading: ReadingInput, source: ReadingSource, opts: { tasks?: 'wait' | 'background' } = {}): Promise<{ stored: boolean; raised: string[] }> {
    const all = (await rules()).filter((r) => ruleWatches(r, device));
    const out = await db.transaction().execute(async (tx) => {
      await repo.lockSubject(tx, device.id);
      const stored = await repo.insertReading(tx, { deviceId: device.id, observedAt: reading.observedAt, source, values: reading.values });
      if (!stored) return { stored, raised: [] as string[] };
      await repo.markDeviceHeard(tx, device.id, reading.observedAt);
      const raised: string[] = [];
      for (const rule of all) {
        const state = (await loadRuleStates(tx, rule.id, [device.id])).get(device.id) ?? EMPTY_STATE;
        const step = stepOnReading(rule, device, state, reading);
        if (!step) continue;
        const res = await applySteps(tx, rule as unknown as RuleRow, [{ subjectKey: device.id, step, subject: deviceSubject(device, rule, titleOf(device, rule)) }]);
        raised.push(...res.raised);
        if (res.raised.length && rule.kind === 'water_quality' && device.chief_user_id) await notifyChief(tx, device, step);
      }
      return { stored, raised };
    });
    if (out.stored) stats.stored++;
    else stats.duplicates++;
    stats.raised += out.raised.length;
    if (out.raised.length) {
      if (opts.tasks === 'background') void Promise.resolve(deps.onRaised(out.raised)).catch(() => undefined);
      else await deps.onRaised(out.raised);
    }
    return out;
  }

  async function notifyChief(tx: Transaction<Database>, d: Device, step: Step) {
    const e = step.events.find((x) => x.kind === 'raise');
    if (!e) return;
    await notifyUsers(tx, [d.chief_user_id!], {
      kind: 'alert.water_quality',
      title: `${LEVEL_LABELS[e.level]}水质预警：${d.water_body_name ?? d.name}`,
      body: e.reason,
      subjectType: 'device',
      subjectId: d.id,
      link: `/alerts/devices/${d.id}`,
    });
  }

  /** Ingest by device code; unknown devices are refused (400 naming the device). */
  async function ingestByCode(code: string, reading: ReadingInput, source: ReadingSource, opts: { tasks?: 'wait' | 'background' } = {}) {
    const d = await deviceByCode(code);
    if (!d) {
      stats.rejected++;
      throw invalid('device', `unknown or retired device ${code}`);
    }
    return ingest(d, reading, source, opts);
  }

  /**
   * The clock's part: silences (no signal) and households without water use are measured
   * against now, not against a reading. Run by a timer every minute; idempotent.
   */
  async function sweep(now = new Date()): Promise<{ raised: number; cleared: number }> {
    let raised: string[] = [];
    let cleared = 0;
    for (const rule of await rules()) {
      if (rule.kind !== 'no_signal' && rule.kind !== 'no_consumption') continue;
      const districtPath = await repo.orgPath(db, rule.district_org_id);
      if (!districtPath) continue;
      const ids = await repo.devicesOfRule(db, rule, districtPath);
      for (let i = 0; i < ids.length; i += 200) {
        const chunk = ids.slice(i, i + 200);
        const devices = (await Promise.all(chunk.map((id) => repo.deviceForIngest(db, { id })))).filter((d): d is Device => !!d && ruleWatches(rule, d));
        const res = await db.transaction().execute(async (tx) => {
          const steps: Parameters<typeof applySteps>[2] = [];
          for (const d of devices) {
            await repo.lockSubject(tx, d.id);
            const fresh = await repo.deviceForIngest(tx, { id: d.id });
            if (!fresh) continue;
            const state = (await loadRuleStates(tx, rule.id, [d.id])).get(d.id) ?? EMPTY_STATE;
            const p = rule.params as never;
            const step =
              rule.kind === 'no_signal'
                ? evaluateNoSignal(state, p, { now, lastReadingAt: fresh.last_reading_at ? new Date(fresh.last_reading_at) : null, createdAt: new Date(fresh.created_at) })
                : stepNoConsumption(state, p, { at: now, cumulative: null });
            if (!step.events.length && JSON.stringify(step.state) === JSON.stringify(state)) continue;
            steps.push({ subjectKey: d.id, step, subject: deviceSubject(fresh, rule, titleOf(fresh, rule)) });
          }
          return applySteps(tx, rule as unknown as RuleRow, steps);
        });
        raised = raised.concat(res.raised);
        cleared += res.cleared;
      }
    }
    await repo.markSilentOffline(db, new Date(now.getTime() - 30 * 60_000));
    if (raised.length) await deps.onRaised(raised);
    return { raised: raised.length, cleared };
  }

  return {
    ingest,
    ingestByCode,
    deviceByCode,
    sweep,
    invalidateRules,
    stats: () => ({ ...stats }),
    resetStats: () => {
      stats = { stored: 0, duplicates: 0, rejected: 0, raised: 0 };
    },
  };
}

export type IngestService = ReturnType<typeof createIngestService>;
