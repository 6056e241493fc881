import { assessWater, CLASS_LABELS, INDICATOR_LABELS, INDICATOR_UNIT, indicatorOf, readingsFromValues, type Indicator, type WaterBodyKind } from './alerts.gb3838.js';

/**
 * The early-warning rule engine, pure: the state of one rule for one subject (a device, a
 * household's meter, an address …) plus an input gives the next state and the events to
 * record. The caller keeps the state (JSON) in a table and writes warnings for the events.
 *
 * Every input carries its observation time and older ones are ignored, and every episode is
 * keyed by when its condition began, so redeliveries, replays and a second server evaluating
 * the same subject never raise a warning twice.
 */

export type Level = 'red' | 'yellow' | 'green';
export const LEVELS: Level[] = ['green', 'yellow', 'red'];
export const LEVEL_RANK: Record<Level, number> = { green: 1, yellow: 2, red: 3 };
export const LEVEL_LABELS: Record<Level, string> = { red: '红色', yellow: '黄色', green: '绿色' };

/** Lower bounds per level: the highest level whose bound is met wins. */
export type LevelBounds = Partial<Record<Level, number>>;

/** The highest level whose bound the value meets (value >= bound); null when none is. */
export function levelFor(bounds: LevelBounds, value: number): Level | null {
  return levelBy(bounds, value, 'above');
}

/** As levelFor; for 'below' a level is met when value <= its bound. */
function levelBy(bounds: LevelBounds, value: number, direction: 'above' | 'below'): Level | null {
  if (!Number.isFinite(value)) return null;
  for (let i = LEVELS.length - 1; i >= 0; i--) {
    const level = LEVELS[i]!;
    const bound = bounds[level];
    if (typeof bound !== 'number') continue;
    if (direction === 'above' ? value >= bound : value <= bound) return level;
  }
  return null;
}

/** The least severe configured level (the episode's floor while hysteresis holds it). */
function lowestLevel(bounds: LevelBounds): Level | null {
  return LEVELS.find((l) => typeof bounds[l] === 'number') ?? null;
}

export interface EpisodeState {
  /** When the condition began (ISO); set while pending (not yet long enough) and while active. */
  since: string | null;
  /** The episode being warned about; null while none is active. episodeKey === the ISO 'since' of that episode. */
  active: { episodeKey: string; level: Level } | null;
  /** Observation time of the newest input applied; older inputs are ignored (out of order). */
  lastAt: string | null;
  /** Free room for kind-specific data (e.g. meter value and since when it has not moved). */
  extra?: Record<string, unknown>;
}

export const EMPTY_STATE: EpisodeState = Object.freeze({ since: null, active: null, lastAt: null });

export type EngineEvent =
  | { kind: 'raise'; episodeKey: string; level: Level; at: string; value: number | null; reason: string }
  | { kind: 'escalate'; episodeKey: string; level: Level; at: string; value: number | null; reason: string }
  | { kind: 'clear'; episodeKey: string; at: string; reason: string };

export interface Step {
  state: EpisodeState;
  events: EngineEvent[];
}

function unchanged(state: EpisodeState): Step {
  return { state, events: [] };
}

function validDate(d: Date | null | undefined): d is Date {
  return d instanceof Date && !Number.isNaN(d.getTime());
}

/** True when `at` is not newer than the newest input already applied. */
function isStale(state: EpisodeState, at: Date): boolean {
  return state.lastAt !== null && at.getTime() <= Date.parse(state.lastAt);
}

function laterIso(a: string | null, b: string): string {
  return a !== null && Date.parse(a) >= Date.parse(b) ? a : b;
}

/**
 * The common episode stepper: condition level now (null = condition not met) at time `at`.
 * Raises once the condition has held for minDurationSec (measured from `since` to `at`); a
 * null level before that resets; while active, a null level clears the episode; a higher
 * level escalates (never de-escalates within an episode). Inputs with at <= lastAt are
 * ignored (no events, state unchanged) — this makes replays and redeliveries harmless.
 */
export function stepEpisode(state: EpisodeState, input: { at: Date; level: Level | null; value: number | null; reason: string }, minDurationSec: number): Step {
  if (!validDate(input.at) || isStale(state, input.at)) return unchanged(state);
  const at = input.at.toISOString();
  const { level, value, reason } = input;
  if (level === null) {
    const events: EngineEvent[] = state.active ? [{ kind: 'clear', episodeKey: state.active.episodeKey, at, reason }] : [];
    return { state: { ...state, since: null, active: null, lastAt: at }, events };
  }
  const since = state.since ?? state.active?.episodeKey ?? at;
  if (state.active) {
    if (LEVEL_RANK[level] <= LEVEL_RANK[state.active.level]) return { state: { ...state, since, lastAt: at }, events: [] };
    const episodeKey = state.active.episodeKey;
    return { state: { ...state, since, active: { episodeKey, level }, lastAt: at }, events: [{ kind: 'escalate', episodeKey, level, at, value, reason }] };
  }
  const heldSec = (input.at.getTime() - Date.parse(since)) / 1000;
  if (heldSec < Math.max(0, minDurationSec || 0)) return { state: { ...state, since, lastAt: at }, events: [] };
  return { state: { ...state, since, active: { episodeKey: since, level }, lastAt: at }, events: [{ kind: 'raise', episodeKey: since, level, at, value, reason }] };
}

/**
 * For conditions whose episode key comes from the data (a silence's start, an idle meter's
 * idleSince, a reconciliation run) rather than from the first evaluation: ends an active
 * episode of another key, then raises, escalates or clears the episode `key` by `level`.
 */
function settle(
  active: EpisodeState['active'],
  events: EngineEvent[],
  e: { key: string; level: Level | null; at: string; value: number | null; reason: string; endedAt: string; endedReason: string },
): EpisodeState['active'] {
  let current = active;
  if (current && current.episodeKey !== e.key) {
    events.push({ kind: 'clear', episodeKey: current.episodeKey, at: e.endedAt, reason: e.endedReason });
    current = null;
  }
  if (e.level === null) {
    if (current) events.push({ kind: 'clear', episodeKey: current.episodeKey, at: e.at, reason: e.reason });
    return null;
  }
  if (!current) {
    events.push({ kind: 'raise', episodeKey: e.key, level: e.level, at: e.at, value: e.value, reason: e.reason });
    return { episodeKey: e.key, level: e.level };
  }
  if (LEVEL_RANK[e.level] > LEVEL_RANK[current.level]) {
    events.push({ kind: 'escalate', episodeKey: e.key, level: e.level, at: e.at, value: e.value, reason: e.reason });
    return { episodeKey: e.key, level: e.level };
  }
  return current;
}

function sameActive(a: EpisodeState['active'], b: EpisodeState['active']): boolean {
  return a === b || (!!a && !!b && a.episodeKey === b.episodeKey && a.level === b.level);
}

// ─── Rule kinds ───────────────────────────────────────────────────────────────

export const RULE_KINDS = ['threshold', 'no_signal', 'no_consumption', 'water_quality', 'unregistered_resident', 'multi_enterprise'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

export const RULE_KIND_LABELS: Record<RuleKind, string> = {
  threshold: '阈值',
  no_signal: '无信号',
  no_consumption: '无用水',
  water_quality: '水质类别',
  unregistered_resident: '人来未登记',
  multi_enterprise: '一址多企',
};

export interface ThresholdParams {
  /** The reading's value name; one of the GB 3838 indicators also matches its aliases (NH4 for NH3N …). */
  indicator: string;
  /** 'above': a level is met when value >= its bound; 'below': when value <= its bound. */
  direction: 'above' | 'below';
  /** above: green < yellow < red; below: green > yellow > red; at least one level. */
  levels: LevelBounds;
  /** How far the value must fall back beyond the lowest bound before an episode clears. */
  hysteresis: number;
  minDurationSec: number;
}

export interface WaterQualityParams {
  minDurationSec: number;
  /** Classes worse than the water body's target class, e.g. {yellow: 1, red: 2}. */
  levels: LevelBounds;
}

export interface NoSignalParams {
  /** Minutes of silence, e.g. {yellow: 60, red: 240}. */
  levels: LevelBounds;
}

export interface NoConsumptionParams {
  /** Hours without consumption, e.g. {yellow: 12, red: 24}. */
  levels: LevelBounds;
  /** The least rise of the meter (m³) that counts as water used. */
  minDelta: number;
  /** Only households with one of these tags are watched (all when empty), e.g. ['独居老人']. */
  careTags: string[];
}

export interface UnregisteredResidentParams {
  windowDays: number;
  schedule?: ReconSchedule;
  /** Distinct days seen at the address within the window; the lowest bound is the N of "seen on N days". */
  levels: LevelBounds;
}

export interface MultiEnterpriseParams {
  /** Enterprises registered at one address. */
  levels: LevelBounds;
  /** When reconciliation runs by itself (default monthly, 02:00 on the 1st). */
  schedule?: ReconSchedule;
}

export const RECON_SCHEDULES = ['monthly', 'weekly', 'off'] as const;
export type ReconSchedule = (typeof RECON_SCHEDULES)[number];

function schedule(p: Record<string, unknown>): ReconSchedule {
  const v = p.schedule ?? 'monthly';
  if (!RECON_SCHEDULES.includes(v as ReconSchedule)) throw new ParamError('params.schedule', `one of ${RECON_SCHEDULES.join(', ')}`);
  return v as ReconSchedule;
}

export interface RuleParams {
  threshold: ThresholdParams;
  no_signal: NoSignalParams;
  no_consumption: NoConsumptionParams;
  water_quality: WaterQualityParams;
  unregistered_resident: UnregisteredResidentParams;
  multi_enterprise: MultiEnterpriseParams;
}

export const DEFAULT_PARAMS: { [K in RuleKind]: RuleParams[K] } = {
  threshold: { indicator: 'NH3N', direction: 'above', levels: { yellow: 1.5, red: 2 }, hysteresis: 0.1, minDurationSec: 600 },
  no_signal: { levels: { yellow: 60, red: 240 } },
  no_consumption: { levels: { yellow: 12, red: 24 }, minDelta: 0.001, careTags: ['独居老人'] },
  water_quality: { minDurationSec: 3600, levels: { yellow: 1, red: 2 } },
  unregistered_resident: { windowDays: 30, levels: { green: 5, yellow: 10, red: 20 }, schedule: 'monthly' },
  multi_enterprise: { levels: { green: 3, yellow: 5, red: 10 }, schedule: 'monthly' },
};

// ─── Parameter validation ─────────────────────────────────────────────────────

export type ParamsCheck<K extends RuleKind> = { ok: true; params: RuleParams[K] } | { ok: false; field: string; message: string };

class ParamError extends Error {
  constructor(
    public field: string,
    message: string,
  ) {
    super(message);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function num(obj: Record<string, unknown>, key: string, opts: { def?: number; min?: number; minExclusive?: number; max?: number; integer?: boolean }): number {
  const field = `params.${key}`;
  const v = obj[key];
  if (v === undefined && opts.def !== undefined) return opts.def;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ParamError(field, 'a number is required');
  if (opts.integer && !Number.isInteger(v)) throw new ParamError(field, 'a whole number is required');
  if (opts.min !== undefined && v < opts.min) throw new ParamError(field, `must be at least ${opts.min}`);
  if (opts.minExclusive !== undefined && v <= opts.minExclusive) throw new ParamError(field, `must be greater than ${opts.minExclusive}`);
  if (opts.max !== undefined && v > opts.max) throw new ParamError(field, `must be at most ${opts.max}`);
  return v;
}

/**
 * Level bounds: known levels only, numbers in range, ordered by severity (ascending: green <
 * yellow < red; descending: the reverse), at least one. The error names the offending level.
 */
function levels(obj: Record<string, unknown>, opts: { order: 'ascending' | 'descending'; min?: number; minExclusive?: number; max?: number; integer?: boolean; unit: string }): LevelBounds {
  const raw = obj.levels;
  if (!isRecord(raw)) throw new ParamError('params.levels', 'an object of bounds by level (green, yellow, red) is required');
  for (const key of Object.keys(raw)) {
    if (!LEVELS.includes(key as Level)) throw new ParamError(`params.levels.${key}`, 'unknown level: use green, yellow or red');
  }
  const out: LevelBounds = {};
  let prev: { level: Level; bound: number } | null = null;
  for (const level of LEVELS) {
    const v = raw[level];
    if (v === undefined || v === null) continue;
    const field = `params.levels.${level}`;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ParamError(field, `a number (${opts.unit}) is required`);
    if (opts.integer && !Number.isInteger(v)) throw new ParamError(field, `a whole number (${opts.unit}) is required`);
    if (opts.min !== undefined && v < opts.min) throw new ParamError(field, `must be at least ${opts.min} ${opts.unit}`);
    if (opts.minExclusive !== undefined && v <= opts.minExclusive) throw new ParamError(field, `must be greater than ${opts.minExclusive} ${opts.unit}`);
    if (opts.max !== undefined && v > opts.max) throw new ParamError(field, `must be at most ${opts.max} ${opts.unit}`);
    if (prev) {
      if (opts.order === 'ascending' && v <= prev.bound) throw new ParamError(field, `must be greater than the ${prev.level} bound (${prev.bound}): a more severe level needs a higher bound`);
      if (opts.order === 'descending' && v >= prev.bound) throw new ParamError(field, `must be less than the ${prev.level} bound (${prev.bound}): for 'below' a more severe level needs a lower bound`);
    }
    out[level] = v;
    prev = { level, bound: v };
  }
  if (!prev) throw new ParamError('params.levels', 'at least one level (green, yellow or red) is required');
  return out;
}

const VALUE_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,40}$/;
const MAX_DURATION_SEC = 30 * 86_400;

function parseParams(kind: RuleKind, p: Record<string, unknown>): RuleParams[RuleKind] {
  switch (kind) {
    case 'threshold': {
      const indicator = p.indicator;
      if (typeof indicator !== 'string' || !VALUE_NAME.test(indicator)) throw new ParamError('params.indicator', 'the name of a reading value is required (letters, digits, _ . -)');
      const direction = p.direction ?? 'above';
      if (direction !== 'above' && direction !== 'below') throw new ParamError('params.direction', "one of 'above', 'below'");
      return {
        indicator,
        direction,
        levels: levels(p, { order: direction === 'above' ? 'ascending' : 'descending', unit: indicator }),
        hysteresis: num(p, 'hysteresis', { def: 0, min: 0 }),
        minDurationSec: num(p, 'minDurationSec', { def: 0, min: 0, max: MAX_DURATION_SEC }),
      };
    }
    case 'water_quality':
      return {
        minDurationSec: num(p, 'minDurationSec', { def: 0, min: 0, max: MAX_DURATION_SEC }),
        levels: levels(p, { order: 'ascending', min: 1, max: 5, integer: true, unit: 'classes worse than the target' }),
      };
    case 'no_signal':
      return { levels: levels(p, { order: 'ascending', minExclusive: 0, max: 60 * 24 * 90, unit: 'minutes' }) };
    case 'no_consumption': {
      const tags = p.careTags ?? [];
      if (!Array.isArray(tags)) throw new ParamError('params.careTags', 'a list of tags is required');
      if (tags.length > 20) throw new ParamError('params.careTags', 'at most 20 tags');
      tags.forEach((t, i) => {
        if (typeof t !== 'string' || !t.trim() || t.length > 20) throw new ParamError(`params.careTags.${i}`, 'a tag of 1–20 characters is required');
      });
      return {
        levels: levels(p, { order: 'ascending', minExclusive: 0, max: 24 * 90, unit: 'hours' }),
        minDelta: num(p, 'minDelta', { def: 0.001, minExclusive: 0, max: 100 }),
        careTags: [...new Set((tags as string[]).map((t) => t.trim()))],
      };
    }
    case 'unregistered_resident': {
      const windowDays = num(p, 'windowDays', { def: 30, min: 1, max: 366, integer: true });
      return { windowDays, levels: levels(p, { order: 'ascending', min: 1, max: windowDays, integer: true, unit: 'days' }), schedule: schedule(p) };
    }
    case 'multi_enterprise':
      return { levels: levels(p, { order: 'ascending', min: 2, integer: true, unit: 'enterprises' }), schedule: schedule(p) };
  }
}

/**
 * Checks a rule's parameters field by field; the first bad one is named as the API reports
 * it (e.g. 'params.levels.red'). Missing optional fields get their defaults; unknown fields
 * are dropped.
 */
export function validateParams<K extends RuleKind>(kind: K, params: unknown): ParamsCheck<K> {
  if (!RULE_KINDS.includes(kind)) return { ok: false, field: 'kind', message: `one of ${RULE_KINDS.join(', ')}` };
  if (!isRecord(params)) return { ok: false, field: 'params', message: 'an object of parameters is required' };
  try {
    return { ok: true, params: parseParams(kind, params) as RuleParams[K] };
  } catch (e) {
    if (e instanceof ParamError) return { ok: false, field: e.field, message: e.message };
    throw e;
  }
}

// ─── Formatting of reasons ────────────────────────────────────────────────────

/** A number as people write it (no binary noise such as 0.30000000000000004). */
function fmt(v: number): string {
  return String(Number.parseFloat(v.toPrecision(6)));
}

/** Beijing time (UTC+8, no daylight saving), 'YYYY-MM-DD HH:mm', for the reason texts. */
function cnTime(iso: string): string {
  const d = new Date(Date.parse(iso) + 8 * 3_600_000);
  return d.toISOString().slice(0, 16).replace('T', ' ');
}

function fmtDuration(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  if (d) return `${d}天${h ? `${h}小时` : ''}`;
  if (h) return `${h}小时${m ? `${m}分钟` : ''}`;
  return `${m}分钟`;
}

// ─── threshold ────────────────────────────────────────────────────────────────

/** The value a rule watches: by its name, or for a GB 3838 indicator by any of its aliases. */
function valueOf(values: Record<string, number>, name: string): number | null {
  const direct = Object.hasOwn(values, name) ? values[name] : undefined;
  if (typeof direct === 'number' && Number.isFinite(direct)) return direct;
  const ind = indicatorOf(name);
  return ind ? (readingsFromValues(values)[ind] ?? null) : null;
}

/**
 * A value against bounds. A reading without the indicator changes nothing (it is not a
 * clear). While an episode is active it continues, at least at the lowest level, until the
 * value is back beyond the lowest bound by more than the hysteresis; escalation uses the
 * plain bounds.
 */
export function stepThreshold(state: EpisodeState, params: ThresholdParams, input: { at: Date; values: Record<string, number> }): Step {
  const value = valueOf(input.values, params.indicator);
  if (value === null) return unchanged(state);
  const bounds = params.levels ?? {};
  const above = params.direction !== 'below';
  const name = params.indicator;
  let level = levelBy(bounds, value, above ? 'above' : 'below');
  let reason: string;
  if (level) {
    reason = `${name} ${fmt(value)} ${above ? '≥' : '≤'} ${LEVEL_LABELS[level]}阈值 ${fmt(bounds[level]!)}`;
  } else {
    const floor = lowestLevel(bounds);
    const h = Math.max(0, params.hysteresis ?? 0);
    const edge = floor ? bounds[floor]! : Number.NaN;
    const held = !!state.active && !!floor && (above ? value >= edge - h : value <= edge + h);
    if (held) {
      level = floor;
      reason = `${name} ${fmt(value)} 仍在回差范围内（${LEVEL_LABELS[floor!]}阈值 ${fmt(edge)}，回差 ${fmt(h)}）`;
    } else {
      reason = floor ? `${name} ${fmt(value)} 已恢复正常（${above ? '<' : '>'} ${fmt(above ? edge - h : edge + h)}）` : `${name} ${fmt(value)}`;
    }
  }
  return stepEpisode(state, { at: input.at, level, value, reason }, params.minDurationSec ?? 0);
}

// ─── water_quality ────────────────────────────────────────────────────────────

function decisiveOf(state: EpisodeState): Indicator[] {
  const d = state.extra?.decisive;
  return Array.isArray(d) ? (d.filter((x) => typeof x === 'string') as Indicator[]) : [];
}

/**
 * A reading's GB 3838 class against the water body's target class: `levels` are bounds on
 * how many classes worse it is. Indicators not in the reading are not assessed; a reading
 * with none of the six changes nothing. A reading that is fine but lacks every indicator
 * that made the water bad (kept in extra.decisive) changes nothing either: stations that
 * send indicators in separate messages would otherwise clear an episode they cannot judge.
 */
export function stepWaterQuality(state: EpisodeState, params: WaterQualityParams, input: { at: Date; values: Record<string, number>; kind: WaterBodyKind; targetClass: number }): Step {
  const target = input.targetClass;
  if (!Number.isInteger(target) || target < 1 || target > 5) return unchanged(state);
  const a = assessWater(input.kind, readingsFromValues(input.values));
  if (!a) return unchanged(state);
  const worse = a.class - target;
  const level = worse > 0 ? levelFor(params.levels ?? {}, worse) : null;
  const pendingOn = decisiveOf(state);
  if (level === null && (state.active || state.since) && pendingOn.length && !pendingOn.some((i) => a.indicators[i])) return unchanged(state);
  const detail = a.decisive.map((i) => `${INDICATOR_LABELS[i]} ${fmt(a.indicators[i]!.value)} ${INDICATOR_UNIT}`).join('、');
  const reason = worse > 0 ? `水质${a.label}（${detail}），目标${CLASS_LABELS[target]}` : `水质${a.label}，达到目标${CLASS_LABELS[target]}`;
  const step = stepEpisode(state, { at: input.at, level, value: a.class, reason }, params.minDurationSec ?? 0);
  if (step.state === state) return step;
  const { decisive: _drop, ...rest } = step.state.extra ?? {};
  const extra = level ? { ...rest, decisive: a.decisive } : rest;
  const next: EpisodeState = { ...step.state };
  if (Object.keys(extra).length) next.extra = extra;
  else delete next.extra;
  return { state: next, events: step.events };
}

// ─── no_signal ────────────────────────────────────────────────────────────────

/**
 * A device gone quiet. The silence runs from the last reading (or from when the device was
 * added, if it was never heard) and `since` is that start; the episode key is its ISO time,
 * so evaluating again and again (a timer, several servers) never makes a second episode. A
 * reading after the silence ends it: call with the new lastReadingAt. The bounds are the
 * durations, so there is no separate minimum duration.
 *
 * The state changes only when the silence start or the episode changes, so a timer sweep
 * that finds nothing new has nothing to write. Evaluations older than the newest applied one
 * for the same silence, and a lastReadingAt older than the silence known, are ignored.
 */
export function evaluateNoSignal(state: EpisodeState, params: NoSignalParams, input: { now: Date; lastReadingAt: Date | null; createdAt: Date }): Step {
  const heard = validDate(input.lastReadingAt);
  const startDate = heard ? input.lastReadingAt! : input.createdAt;
  if (!validDate(input.now) || !validDate(startDate)) return unchanged(state);
  const start = startDate.toISOString();
  const startMs = startDate.getTime();
  if (state.since !== null && startMs < Date.parse(state.since)) return unchanged(state);
  if (state.since === start && isStale(state, input.now)) return unchanged(state);
  const now = input.now.toISOString();
  const silentMs = Math.max(0, input.now.getTime() - startMs);
  const minutes = silentMs / 60_000;
  const level = levelBy(params.levels ?? {}, minutes, 'above');
  const reason = heard ? `设备已 ${fmtDuration(silentMs)} 无数据上报（最后上报 ${cnTime(start)}）` : `设备自接入（${cnTime(start)}）起未上报数据，已 ${fmtDuration(silentMs)}`;
  const events: EngineEvent[] = [];
  const active = settle(state.active, events, {
    key: start,
    level,
    at: now,
    value: Math.floor(minutes),
    reason: level ? reason : `设备恢复上报（${cnTime(start)}）`,
    endedAt: start,
    endedReason: `设备恢复上报（${cnTime(start)}）`,
  });
  if (state.since === start && sameActive(active, state.active) && !events.length) return unchanged(state);
  return { state: { ...state, since: start, active, lastAt: laterIso(state.lastAt, now) }, events };
}

// ─── no_consumption ───────────────────────────────────────────────────────────

interface MeterMemory {
  /** Since when the meter has not risen by minDelta (ISO): the episode key. */
  idleSince: string;
  /** The meter's value at idleSince: consumption is measured against it, so slow creeping adds up. */
  baseValue: number;
  /** The newest value and its time; older readings are ignored. */
  lastValue: number;
  lastValueAt: string;
}

function meterOf(state: EpisodeState): MeterMemory | null {
  const x = state.extra;
  if (!x || typeof x.idleSince !== 'string' || typeof x.baseValue !== 'number' || typeof x.lastValue !== 'number' || typeof x.lastValueAt !== 'string') return null;
  return { idleSince: x.idleSince, baseValue: x.baseValue, lastValue: x.lastValue, lastValueAt: x.lastValueAt };
}

/** Meters report in litres or thousandths; a fall smaller than this is noise, not a new meter. */
const METER_NOISE = 1e-9;

/**
 * A household (of a care tag, e.g. 独居老人) whose water meter has not moved. Readings
 * (`cumulative` in m³) move idleSince forward when the meter rose by at least minDelta since
 * idleSince; the clock (a sweep, `cumulative` null) only measures how long it has been. The
 * episode key is idleSince, so it is the same whoever evaluates. Water used again clears; a
 * meter going backwards (a replacement) restarts the count.
 */
export function stepNoConsumption(state: EpisodeState, params: NoConsumptionParams, input: { at: Date; cumulative: number | null }): Step {
  if (!validDate(input.at)) return unchanged(state);
  const at = input.at.toISOString();
  const bounds = params.levels ?? {};
  const minDelta = typeof params.minDelta === 'number' && params.minDelta > 0 ? params.minDelta : 0.001;
  const prev = meterOf(state);
  const events: EngineEvent[] = [];
  let meter: MeterMemory;
  let endedReason = '';

  if (input.cumulative === null) {
    // The clock alone: nothing to measure before the first reading, nothing new for an old time.
    if (!prev || isStale(state, input.at)) return unchanged(state);
    meter = prev;
  } else {
    const c = input.cumulative;
    if (!Number.isFinite(c)) return unchanged(state);
    if (prev && input.at.getTime() <= Date.parse(prev.lastValueAt)) return unchanged(state);
    if (!prev) {
      meter = { idleSince: at, baseValue: c, lastValue: c, lastValueAt: at };
    } else if (c < prev.lastValue - METER_NOISE) {
      meter = { idleSince: at, baseValue: c, lastValue: c, lastValueAt: at };
      endedReason = `水表读数回退（${fmt(prev.lastValue)} → ${fmt(c)} m³，可能已换表），重新计时`;
    } else if (c - prev.baseValue >= minDelta) {
      meter = { idleSince: at, baseValue: c, lastValue: c, lastValueAt: at };
      endedReason = `恢复用水：水表读数 ${fmt(c)} m³（${cnTime(prev.idleSince)} 以来增加 ${fmt(c - prev.baseValue)} m³）`;
    } else {
      meter = { ...prev, lastValue: c, lastValueAt: at };
    }
  }

  // A reading that arrives after a later sweep is measured at the sweep's time: idleness only grows.
  const evalAt = input.cumulative === null ? at : laterIso(state.lastAt, at);
  const idleMs = Math.max(0, Date.parse(evalAt) - Date.parse(meter.idleSince));
  const hours = idleMs / 3_600_000;
  const level = levelBy(bounds, hours, 'above');
  const reason = level
    ? `已 ${fmtDuration(idleMs)} 未用水（水表读数自 ${cnTime(meter.idleSince)} 起停在 ${fmt(meter.baseValue)} m³）`
    : endedReason || `${fmtDuration(idleMs)} 未用水，未达预警时长`;
  const active = settle(state.active, events, { key: meter.idleSince, level, at: evalAt, value: Math.round(hours * 10) / 10, reason, endedAt: at, endedReason: endedReason || reason });

  if (input.cumulative === null && sameActive(active, state.active) && !events.length) return unchanged(state);
  return {
    state: { ...state, since: meter.idleSince, active, lastAt: laterIso(state.lastAt, at), extra: { ...state.extra, ...meter } },
    events,
  };
}

// ─── Reconciliation (人来未登记, 一址多企) ────────────────────────────────────

export interface ReconFinding {
  value: number;
  level: Level;
  reason: string;
}

/**
 * Bulk rules found by SQL: the subjects found now against the saved states. For every
 * subject in prev ∪ found: found and not active → raise (a new episode keyed by asOf);
 * found at a higher level → escalate; active and not found → clear; nothing else. A run not
 * newer than a subject's last one is ignored for it. Re-running with the same findings
 * after the states were saved yields no events.
 */
export function reconcileSubjects(prev: Map<string, EpisodeState>, found: Map<string, ReconFinding>, asOf: Date): Map<string, Step> {
  const out = new Map<string, Step>();
  if (!validDate(asOf)) {
    for (const [key, state] of prev) out.set(key, unchanged(state));
    for (const key of found.keys()) if (!out.has(key)) out.set(key, unchanged(prev.get(key) ?? EMPTY_STATE));
    return out;
  }
  const at = asOf.toISOString();
  for (const key of new Set([...prev.keys(), ...found.keys()])) {
    const state = prev.get(key) ?? EMPTY_STATE;
    if (isStale(state, asOf)) {
      out.set(key, unchanged(state));
      continue;
    }
    const f = found.get(key) ?? null;
    const events: EngineEvent[] = [];
    const episodeKey = state.active?.episodeKey ?? at;
    const active = settle(state.active, events, {
      key: episodeKey,
      level: f ? f.level : null,
      at,
      value: f ? f.value : null,
      reason: f ? f.reason : '本次比对未再发现',
      endedAt: at,
      endedReason: '本次比对未再发现',
    });
    out.set(key, { state: { ...state, since: active ? active.episodeKey : null, active, lastAt: at }, events });
  }
  return out;
}
