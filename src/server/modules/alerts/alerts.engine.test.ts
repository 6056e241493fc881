import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PARAMS,
  EMPTY_STATE,
  LEVEL_LABELS,
  LEVEL_RANK,
  LEVELS,
  RULE_KIND_LABELS,
  RULE_KINDS,
  evaluateNoSignal,
  levelFor,
  reconcileSubjects,
  stepEpisode,
  stepNoConsumption,
  stepThreshold,
  stepWaterQuality,
  validateParams,
  type EngineEvent,
  type EpisodeState,
  type Level,
  type NoConsumptionParams,
  type NoSignalParams,
  type ReconFinding,
  type Step,
  type ThresholdParams,
  type WaterQualityParams,
} from './alerts.engine.js';

const T0 = Date.parse('2024-05-01T00:00:00.000Z');
const sec = (s: number) => new Date(T0 + s * 1000);
const min = (m: number) => sec(m * 60);
const hr = (h: number) => sec(h * 3600);
const iso = (d: Date) => d.toISOString();

/** Runs inputs through a step function, collecting every event; returns the final state too. */
function run<I>(step: (s: EpisodeState, i: I) => Step, inputs: I[], from: EpisodeState = EMPTY_STATE): { state: EpisodeState; events: EngineEvent[] } {
  let state = from;
  const events: EngineEvent[] = [];
  for (const i of inputs) {
    const r = step(state, i);
    state = r.state;
    events.push(...r.events);
  }
  return { state, events };
}

/**
 * The event stream is well formed: a raise only while nothing is active and never twice for
 * one episode; escalations go up within the active episode; a clear ends the active one.
 */
function expectWellFormed(events: EngineEvent[]) {
  const raised = new Set<string>();
  let active: { key: string; level: Level } | null = null;
  for (const e of events) {
    if (e.kind === 'raise') {
      expect(active, `raise ${e.episodeKey} while ${active?.key} is active`).toBeNull();
      expect(raised.has(e.episodeKey), `episode ${e.episodeKey} raised twice`).toBe(false);
      raised.add(e.episodeKey);
      active = { key: e.episodeKey, level: e.level };
    } else if (e.kind === 'escalate') {
      expect(active?.key).toBe(e.episodeKey);
      expect(LEVEL_RANK[e.level]).toBeGreaterThan(LEVEL_RANK[active!.level]);
      active = { key: e.episodeKey, level: e.level };
    } else {
      expect(active?.key).toBe(e.episodeKey);
      active = null;
    }
  }
}

/** A state survives the table: it is plain JSON. */
function viaJson(s: EpisodeState): EpisodeState {
  return JSON.parse(JSON.stringify(s)) as EpisodeState;
}

describe('levels', () => {
  it('are ordered and labelled', () => {
    expect(LEVELS).toEqual(['green', 'yellow', 'red']);
    expect(LEVELS.map((l) => LEVEL_RANK[l])).toEqual([1, 2, 3]);
    expect(LEVEL_LABELS).toEqual({ red: '红色', yellow: '黄色', green: '绿色' });
  });

  it('levelFor picks the highest level whose lower bound is met', () => {
    const b = { green: 3, yellow: 5, red: 10 };
    expect(levelFor(b, 2.999)).toBeNull();
    expect(levelFor(b, 3)).toBe('green');
    expect(levelFor(b, 4.999)).toBe('green');
    expect(levelFor(b, 5)).toBe('yellow');
    expect(levelFor(b, 10)).toBe('red');
    expect(levelFor(b, 1e9)).toBe('red');
    expect(levelFor({ red: 2 }, 1.9)).toBeNull();
    expect(levelFor({}, 100)).toBeNull();
    expect(levelFor(b, Number.NaN)).toBeNull();
  });

  it('the empty state is plain and frozen', () => {
    expect(EMPTY_STATE).toEqual({ since: null, active: null, lastAt: null });
    expect(Object.isFrozen(EMPTY_STATE)).toBe(true);
  });
});

describe('stepEpisode', () => {
  const on = (s: EpisodeState, at: Date, level: Level | null, minDur = 600) => stepEpisode(s, { at, level, value: 1, reason: 'r' }, minDur);

  it('raises exactly at the minimum duration, not one second short', () => {
    const a = on(EMPTY_STATE, sec(0), 'yellow');
    expect(a.events).toEqual([]);
    expect(a.state).toEqual({ since: iso(sec(0)), active: null, lastAt: iso(sec(0)) });
    const short = on(a.state, sec(599), 'yellow');
    expect(short.events).toEqual([]);
    const at = on(short.state, sec(600), 'yellow');
    expect(at.events).toEqual([{ kind: 'raise', episodeKey: iso(sec(0)), level: 'yellow', at: iso(sec(600)), value: 1, reason: 'r' }]);
    expect(at.state.active).toEqual({ episodeKey: iso(sec(0)), level: 'yellow' });
    expect(at.state.since).toBe(at.state.active!.episodeKey);
  });

  it('a condition that lapses before the duration starts over', () => {
    let s = on(EMPTY_STATE, sec(0), 'red').state;
    s = on(s, sec(300), null).state;
    expect(s.since).toBeNull();
    s = on(s, sec(400), 'red').state;
    expect(on(s, sec(900), 'red').events).toEqual([]);
    const r = on(s, sec(1000), 'red');
    expect(r.events[0]).toMatchObject({ kind: 'raise', episodeKey: iso(sec(400)) });
  });

  it('no minimum duration raises on the first input', () => {
    expect(on(EMPTY_STATE, sec(5), 'green', 0).events).toMatchObject([{ kind: 'raise', level: 'green', episodeKey: iso(sec(5)) }]);
  });

  it('escalates within the episode and never de-escalates', () => {
    let s = on(EMPTY_STATE, sec(0), 'green', 0).state;
    const up = on(s, sec(10), 'red', 0);
    expect(up.events).toEqual([{ kind: 'escalate', episodeKey: iso(sec(0)), level: 'red', at: iso(sec(10)), value: 1, reason: 'r' }]);
    s = up.state;
    const down = on(s, sec(20), 'yellow', 0);
    expect(down.events).toEqual([]);
    expect(down.state.active).toEqual({ episodeKey: iso(sec(0)), level: 'red' });
  });

  it('clears the active episode when the condition ends; the next one has a new key', () => {
    let s = on(EMPTY_STATE, sec(0), 'yellow', 0).state;
    const c = on(s, sec(60), null, 0);
    expect(c.events).toEqual([{ kind: 'clear', episodeKey: iso(sec(0)), at: iso(sec(60)), reason: 'r' }]);
    expect(c.state).toEqual({ since: null, active: null, lastAt: iso(sec(60)) });
    s = on(c.state, sec(120), 'yellow', 0).state;
    expect(s.active!.episodeKey).toBe(iso(sec(120)));
  });

  it('ignores out-of-order and duplicate inputs: same state, no events', () => {
    const s = on(EMPTY_STATE, sec(100), 'red', 0).state;
    for (const at of [sec(100), sec(99), sec(0)]) {
      for (const level of [null, 'red', 'yellow'] as const) {
        const r = on(s, at, level, 0);
        expect(r.events).toEqual([]);
        expect(r.state).toBe(s);
      }
    }
    expect(on(s, new Date(Number.NaN), null).state).toBe(s);
  });

  it('keeps the kind-specific extra', () => {
    const s = on({ ...EMPTY_STATE, extra: { x: 1 } }, sec(1), 'red', 0).state;
    expect(s.extra).toEqual({ x: 1 });
  });

  it('the same inputs from the empty state give the same events (replay)', () => {
    const inputs: [number, Level | null][] = [[0, 'green'], [600, 'yellow'], [700, 'red'], [800, null], [900, 'yellow'], [2000, 'yellow']];
    const feed = () => run((s, [t, l]: [number, Level | null]) => on(s, sec(t), l), inputs);
    const a = feed();
    expect(a.events.map((e) => e.kind)).toEqual(['raise', 'escalate', 'clear', 'raise']);
    expect(feed()).toEqual(a);
    expect(run((s, [t, l]: [number, Level | null]) => on(s, sec(t), l), inputs, a.state).events).toEqual([]);
  });
});

describe('threshold', () => {
  const above: ThresholdParams = { indicator: 'NH3N', direction: 'above', levels: { yellow: 1.5, red: 2 }, hysteresis: 0.25, minDurationSec: 0 };
  const step = (p: ThresholdParams) => (s: EpisodeState, [t, v]: [number, number | undefined]) => stepThreshold(s, p, { at: sec(t), values: v === undefined ? { pH: 7 } : { NH3N: v } });

  it('a reading without the indicator changes nothing (it is not a clear)', () => {
    const s = stepThreshold(EMPTY_STATE, above, { at: sec(0), values: { NH3N: 1.6 } }).state;
    const r = stepThreshold(s, above, { at: sec(60), values: { pH: 7.1 } });
    expect(r).toEqual({ state: s, events: [] });
  });

  it('raises with a reason naming value and bound, and escalates on the plain bounds', () => {
    const r = run(step(above), [[0, 1.6], [60, 2.0]]);
    expect(r.events).toEqual([
      { kind: 'raise', episodeKey: iso(sec(0)), level: 'yellow', at: iso(sec(0)), value: 1.6, reason: 'NH3N 1.6 ≥ 黄色阈值 1.5' },
      { kind: 'escalate', episodeKey: iso(sec(0)), level: 'red', at: iso(sec(60)), value: 2, reason: 'NH3N 2 ≥ 红色阈值 2' },
    ]);
  });

  it('hysteresis: a value inside the band keeps the episode, beyond it clears', () => {
    const start = run(step(above), [[0, 1.7]]).state;
    // The band is [1.25, 1.5): 1.25 itself still holds, anything below clears.
    for (const v of [1.49, 1.3, 1.25]) {
      const r = step(above)(start, [60, v]);
      expect(r.events, `value ${v}`).toEqual([]);
      expect(r.state.active).toEqual({ episodeKey: iso(sec(0)), level: 'yellow' });
    }
    const out = step(above)(start, [60, 1.2499]);
    expect(out.events).toEqual([{ kind: 'clear', episodeKey: iso(sec(0)), at: iso(sec(60)), reason: 'NH3N 1.2499 已恢复正常（< 1.25）' }]);
  });

  it('hysteresis holds a red episode at red (no de-escalation) and applies only to active episodes', () => {
    const red = run(step(above), [[0, 2.5], [60, 1.3]]);
    expect(red.events.map((e) => e.kind)).toEqual(['raise']);
    expect(red.state.active!.level).toBe('red');
    // Pending (min duration not reached): the band does not hold it.
    const slow = { ...above, minDurationSec: 600 };
    const pending = run(step(slow), [[0, 1.6], [60, 1.4]]);
    expect(pending.state.since).toBeNull();
    expect(run(step(slow), [[0, 1.6], [60, 1.4], [600, 1.6]]).events).toEqual([]);
  });

  it("'below': a level is met at or under its bound; hysteresis above the highest bound", () => {
    const p: ThresholdParams = { indicator: 'DO', direction: 'below', levels: { yellow: 3, red: 2 }, hysteresis: 0.5, minDurationSec: 0 };
    const stepDo = (s: EpisodeState, [t, v]: [number, number]) => stepThreshold(s, p, { at: sec(t), values: { DO: v } });
    expect(stepDo(EMPTY_STATE, [0, 3.01]).events).toEqual([]);
    const r = run(stepDo, [[0, 3], [60, 2], [120, 3.5], [180, 3.4]]);
    expect(r.events).toMatchObject([
      { kind: 'raise', level: 'yellow', reason: 'DO 3 ≤ 黄色阈值 3' },
      { kind: 'escalate', level: 'red' },
    ]);
    expect(r.state.active!.level).toBe('red');
    const cleared = stepDo(r.state, [240, 3.51]);
    expect(cleared.events).toMatchObject([{ kind: 'clear', reason: 'DO 3.51 已恢复正常（> 3.5）' }]);
  });

  it('minimum duration: exactly at it raises, one second short does not', () => {
    const p = { ...above, minDurationSec: 300 };
    expect(run(step(p), [[0, 1.6], [299, 1.7]]).events).toEqual([]);
    expect(run(step(p), [[0, 1.6], [300, 1.7]]).events).toMatchObject([{ kind: 'raise', episodeKey: iso(sec(0)), at: iso(sec(300)) }]);
  });

  it('finds a GB 3838 indicator under its aliases', () => {
    expect(stepThreshold(EMPTY_STATE, above, { at: sec(0), values: { NH4: 2.2 } }).events).toMatchObject([{ kind: 'raise', level: 'red', value: 2.2 }]);
    expect(stepThreshold(EMPTY_STATE, above, { at: sec(0), values: { 'NH3-N': 2.2 } }).events).toHaveLength(1);
    expect(stepThreshold(EMPTY_STATE, { ...above, indicator: 'turbidity' }, { at: sec(0), values: { NH4: 2.2 } }).events).toEqual([]);
  });

  it('out-of-order and duplicate readings are ignored', () => {
    const s = run(step(above), [[0, 1.6], [60, 1.7]]).state;
    expect(step(above)(s, [60, 0.1])).toEqual({ state: s, events: [] });
    expect(step(above)(s, [30, 0.1])).toEqual({ state: s, events: [] });
  });
});

describe('water_quality', () => {
  const p: WaterQualityParams = { minDurationSec: 0, levels: { yellow: 1, red: 2 } };
  const wq = (s: EpisodeState, t: number, values: Record<string, number>, params = p) => stepWaterQuality(s, params, { at: min(t), values, kind: 'river', targetClass: 3 });

  it('raises red for 劣Ⅴ against a class Ⅲ target, naming class and decisive indicators', () => {
    const r = wq(EMPTY_STATE, 0, { DO: 7, NH4: 2.31, TP: 0.1 });
    expect(r.events).toEqual([{ kind: 'raise', episodeKey: iso(min(0)), level: 'red', at: iso(min(0)), value: 6, reason: '水质劣Ⅴ类（氨氮 2.31 mg/L），目标Ⅲ类' }]);
    expect(r.state.extra).toEqual({ decisive: ['NH3N'] });
  });

  it('one class worse is yellow, two is red; meeting the target clears', () => {
    const r = run((s, [t, v]: [number, Record<string, number>]) => wq(s, t, v), [
      [0, { NH3N: 1.2, TP: 0.25 }],
      [10, { NH3N: 1.8 }],
      [20, { NH3N: 0.9, TP: 0.1 }],
    ]);
    expect(r.events).toMatchObject([
      { kind: 'raise', level: 'yellow', value: 4, reason: '水质Ⅳ类（氨氮 1.2 mg/L、总磷 0.25 mg/L），目标Ⅲ类' },
      { kind: 'escalate', level: 'red', value: 5 },
      { kind: 'clear', reason: '水质Ⅲ类，达到目标Ⅲ类' },
    ]);
    expect(r.state).toEqual({ since: null, active: null, lastAt: iso(min(20)) });
  });

  it('a reading with none of the six indicators changes nothing', () => {
    const s = wq(EMPTY_STATE, 0, { NH3N: 1.8 }).state;
    expect(wq(s, 5, { pH: 7.1, temperature: 20 })).toEqual({ state: s, events: [] });
  });

  it('a fine reading that lacks the indicators that made the water bad cannot clear it', () => {
    const s = wq(EMPTY_STATE, 0, { NH3N: 1.2 }).state;
    expect(s.active!.level).toBe('yellow');
    expect(wq(s, 5, { DO: 8 })).toEqual({ state: s, events: [] });
    expect(wq(s, 6, { DO: 8, NH3N: 0.4 }).events).toMatchObject([{ kind: 'clear' }]);
    // A bad reading of another indicator still counts.
    expect(wq(s, 7, { TP: 0.35 }).events).toMatchObject([{ kind: 'escalate', level: 'red' }]);
  });

  it('respects the minimum duration', () => {
    const slow = { ...p, minDurationSec: 3600 };
    const a = run((s, t: number) => wq(s, t, { COD: 25 }, slow), [0, 30, 59]);
    expect(a.events).toEqual([]);
    const b = wq(a.state, 60, { COD: 25 }, slow);
    expect(b.events).toMatchObject([{ kind: 'raise', episodeKey: iso(min(0)), level: 'yellow' }]);
  });

  it('is measured against the water body kind (lake total phosphorus)', () => {
    const lake = stepWaterQuality(EMPTY_STATE, p, { at: min(0), values: { TP: 0.1 }, kind: 'lake', targetClass: 3 });
    expect(lake.events).toMatchObject([{ level: 'yellow', value: 4 }]);
    const river = stepWaterQuality(EMPTY_STATE, p, { at: min(0), values: { TP: 0.1 }, kind: 'river', targetClass: 3 });
    expect(river.events).toEqual([]);
  });

  it('ignores a target class outside Ⅰ–Ⅴ', () => {
    expect(stepWaterQuality(EMPTY_STATE, p, { at: min(0), values: { NH3N: 3 }, kind: 'river', targetClass: 0 }).events).toEqual([]);
  });
});

describe('no_signal', () => {
  const p: NoSignalParams = { levels: { yellow: 60, red: 240 } };
  const created = min(0);

  it('counts a never-heard device from its creation, keyed by that time', () => {
    const a = evaluateNoSignal(EMPTY_STATE, p, { now: min(59), lastReadingAt: null, createdAt: created });
    expect(a.events).toEqual([]);
    expect(a.state.since).toBe(iso(created));
    const b = evaluateNoSignal(a.state, p, { now: min(60), lastReadingAt: null, createdAt: created });
    expect(b.events).toEqual([{ kind: 'raise', episodeKey: iso(created), level: 'yellow', at: iso(min(60)), value: 60, reason: '设备自接入（2024-05-01 08:00）起未上报数据，已 1小时' }]);
  });

  it('escalates at the red bound and re-evaluating makes no second episode', () => {
    const last = min(10);
    const inputs = [70, 100, 249, 250, 300, 1000].map((m) => ({ now: min(m), lastReadingAt: last, createdAt: created }));
    const r = run((s, i: (typeof inputs)[number]) => evaluateNoSignal(s, p, i), inputs);
    expect(r.events).toMatchObject([
      { kind: 'raise', episodeKey: iso(last), level: 'yellow', at: iso(min(70)), reason: '设备已 1小时 无数据上报（最后上报 2024-05-01 08:10）' },
      { kind: 'escalate', episodeKey: iso(last), level: 'red', at: iso(min(250)), value: 240 },
    ]);
    const again = evaluateNoSignal(r.state, p, { now: min(2000), lastReadingAt: last, createdAt: created });
    expect(again).toEqual({ state: r.state, events: [] });
  });

  it('a timer that finds nothing new leaves the state as it was (nothing to write)', () => {
    const s = evaluateNoSignal(EMPTY_STATE, p, { now: min(5), lastReadingAt: min(1), createdAt: created }).state;
    const r = evaluateNoSignal(s, p, { now: min(6), lastReadingAt: min(1), createdAt: created });
    expect(r.state).toBe(s);
  });

  it('a reading after the silence clears it', () => {
    const s = evaluateNoSignal(EMPTY_STATE, p, { now: min(100), lastReadingAt: min(10), createdAt: created }).state;
    const r = evaluateNoSignal(s, p, { now: min(101), lastReadingAt: min(101), createdAt: created });
    expect(r.events).toEqual([{ kind: 'clear', episodeKey: iso(min(10)), at: iso(min(101)), reason: '设备恢复上报（2024-05-01 09:41）' }]);
    expect(r.state).toMatchObject({ since: iso(min(101)), active: null });
  });

  it('missed sweeps: the old silence ends and the new one is raised in one step', () => {
    const s = evaluateNoSignal(EMPTY_STATE, p, { now: min(100), lastReadingAt: min(10), createdAt: created }).state;
    const r = evaluateNoSignal(s, p, { now: min(500), lastReadingAt: min(200), createdAt: created });
    expect(r.events.map((e) => [e.kind, e.episodeKey])).toEqual([
      ['clear', iso(min(10))],
      ['raise', iso(min(200))],
    ]);
    expect(r.events[1]).toMatchObject({ level: 'red' });
  });

  it('two servers evaluating independently name the same episode', () => {
    const a = evaluateNoSignal(EMPTY_STATE, p, { now: min(61), lastReadingAt: min(1), createdAt: created });
    const b = evaluateNoSignal(EMPTY_STATE, p, { now: min(200), lastReadingAt: min(1), createdAt: created });
    expect(a.events[0]!.episodeKey).toBe(b.events[0]!.episodeKey);
  });

  it('ignores a last reading older than the known silence, and older evaluations', () => {
    const s = evaluateNoSignal(EMPTY_STATE, p, { now: min(100), lastReadingAt: min(30), createdAt: created }).state;
    expect(evaluateNoSignal(s, p, { now: min(200), lastReadingAt: min(20), createdAt: created }).state).toBe(s);
    expect(evaluateNoSignal(s, p, { now: min(95), lastReadingAt: min(30), createdAt: created }).state).toBe(s);
    expect(evaluateNoSignal(s, p, { now: min(50), lastReadingAt: min(30), createdAt: created }).events).toEqual([]);
  });
});

describe('no_consumption', () => {
  const p: NoConsumptionParams = { levels: { yellow: 12, red: 24 }, minDelta: 0.001, careTags: ['独居老人'] };
  const read = (s: EpisodeState, h: number, c: number | null) => stepNoConsumption(s, p, { at: hr(h), cumulative: c });

  it('the clock alone says nothing before the first reading', () => {
    expect(read(EMPTY_STATE, 100, null)).toEqual({ state: EMPTY_STATE, events: [] });
  });

  it('raises at 12 hours idle (not a second earlier), escalates at 24, clears on use', () => {
    let s = read(EMPTY_STATE, 0, 100).state;
    expect(s.extra).toMatchObject({ idleSince: iso(hr(0)), baseValue: 100 });
    expect(stepNoConsumption(s, p, { at: new Date(hr(12).getTime() - 1000), cumulative: null }).events).toEqual([]);
    const y = read(s, 12, null);
    expect(y.events).toEqual([{ kind: 'raise', episodeKey: iso(hr(0)), level: 'yellow', at: iso(hr(12)), value: 12, reason: '已 12小时 未用水（水表读数自 2024-05-01 08:00 起停在 100 m³）' }]);
    s = y.state;
    const r = read(s, 24, 100.0004);
    expect(r.events).toMatchObject([{ kind: 'escalate', episodeKey: iso(hr(0)), level: 'red' }]);
    s = r.state;
    const used = read(s, 25, 100.02);
    expect(used.events).toEqual([{ kind: 'clear', episodeKey: iso(hr(0)), at: iso(hr(25)), reason: '恢复用水：水表读数 100.02 m³（2024-05-01 08:00 以来增加 0.02 m³）' }]);
    expect(used.state).toMatchObject({ since: iso(hr(25)), active: null, extra: { idleSince: iso(hr(25)), baseValue: 100.02 } });
  });

  it('a rise below minDelta is not use, but creeping rises add up', () => {
    let s = read(EMPTY_STATE, 0, 50).state;
    s = read(s, 1, 50.0006).state;
    expect(s.extra!.idleSince).toBe(iso(hr(0)));
    s = read(s, 2, 50.0012).state;
    expect(s.extra!.idleSince).toBe(iso(hr(2)));
  });

  it('a meter going backwards (replacement) restarts the count and ends the episode', () => {
    const s = read(read(EMPTY_STATE, 0, 900).state, 13, null).state;
    expect(s.active).toEqual({ episodeKey: iso(hr(0)), level: 'yellow' });
    const r = read(s, 14, 0.5);
    expect(r.events).toEqual([{ kind: 'clear', episodeKey: iso(hr(0)), at: iso(hr(14)), reason: '水表读数回退（900 → 0.5 m³，可能已换表），重新计时' }]);
    expect(r.state.extra).toMatchObject({ idleSince: iso(hr(14)), baseValue: 0.5 });
    expect(read(r.state, 26, null).events).toMatchObject([{ kind: 'raise', episodeKey: iso(hr(14)) }]);
  });

  it('ignores out-of-order and duplicate readings, but takes a reading that arrives after a later sweep', () => {
    let s = read(EMPTY_STATE, 0, 10).state;
    s = read(s, 5, 10).state;
    expect(read(s, 5, 99)).toEqual({ state: s, events: [] });
    expect(read(s, 3, 99)).toEqual({ state: s, events: [] });
    s = read(s, 13, null).state;
    expect(s.active).not.toBeNull();
    // Observed at 12:30 (use), delivered after the 13:00 sweep.
    const late = read(s, 12.5, 10.5);
    expect(late.events).toMatchObject([{ kind: 'clear', at: iso(hr(12.5)) }]);
    expect(late.state.extra!.idleSince).toBe(iso(hr(12.5)));
    expect(late.state.lastAt).toBe(iso(hr(13)));
  });

  it('the episode key is idleSince whoever evaluates and whenever', () => {
    const s = read(EMPTY_STATE, 0, 1).state;
    expect(read(s, 13, null).events[0]!.episodeKey).toBe(read(s, 30, null).events[0]!.episodeKey);
    const sweep = read(read(s, 13, null).state, 14, null);
    expect(sweep.events).toEqual([]);
    expect(sweep.state).toEqual(read(s, 13, null).state);
  });
});

describe('reconcileSubjects', () => {
  const f = (value: number, level: Level): ReconFinding => ({ value, level, reason: `${value} 天` });

  it('raises new, escalates higher, clears the gone, and leaves the rest alone', () => {
    const asOf1 = new Date('2024-06-01T02:00:00Z');
    const first = reconcileSubjects(new Map(), new Map([['a', f(6, 'green')], ['b', f(12, 'yellow')]]), asOf1);
    expect(first.get('a')!.events).toEqual([{ kind: 'raise', episodeKey: iso(asOf1), level: 'green', at: iso(asOf1), value: 6, reason: '6 天' }]);
    expect(first.get('a')!.state).toEqual({ since: iso(asOf1), active: { episodeKey: iso(asOf1), level: 'green' }, lastAt: iso(asOf1) });

    const saved = new Map([...first].map(([k, s]) => [k, viaJson(s.state)]));
    saved.set('c', EMPTY_STATE);
    const asOf2 = new Date('2024-06-02T02:00:00Z');
    const second = reconcileSubjects(saved, new Map([['a', f(21, 'red')], ['c', f(5, 'green')]]), asOf2);
    expect(second.get('a')!.events).toEqual([{ kind: 'escalate', episodeKey: iso(asOf1), level: 'red', at: iso(asOf2), value: 21, reason: '21 天' }]);
    expect(second.get('b')!.events).toEqual([{ kind: 'clear', episodeKey: iso(asOf1), at: iso(asOf2), reason: '本次比对未再发现' }]);
    expect(second.get('c')!.events).toMatchObject([{ kind: 'raise', episodeKey: iso(asOf2) }]);
    expect([...second.keys()].sort()).toEqual(['a', 'b', 'c']);

    const lower = reconcileSubjects(new Map([['a', second.get('a')!.state]]), new Map([['a', f(8, 'green')]]), new Date('2024-06-03T02:00:00Z'));
    expect(lower.get('a')!.events).toEqual([]);
    expect(lower.get('a')!.state.active).toEqual({ episodeKey: iso(asOf1), level: 'red' });
  });

  it('re-running with the same findings after saving yields no events; a stale run is ignored', () => {
    const found = new Map([['x', f(30, 'red')]]);
    const one = reconcileSubjects(new Map(), found, new Date('2024-06-01T00:00:00Z'));
    const saved = new Map([['x', viaJson(one.get('x')!.state)]]);
    for (const asOf of ['2024-06-01T00:00:00Z', '2024-06-01T00:10:00Z']) {
      expect(reconcileSubjects(saved, found, new Date(asOf)).get('x')!.events).toEqual([]);
    }
    const stale = reconcileSubjects(saved, new Map(), new Date('2024-05-31T00:00:00Z'));
    expect(stale.get('x')).toEqual({ state: saved.get('x'), events: [] });
  });

  it('a subject neither found nor active gets no events', () => {
    const r = reconcileSubjects(new Map([['q', { since: null, active: null, lastAt: '2024-01-01T00:00:00.000Z' }]]), new Map(), new Date('2024-06-01T00:00:00Z'));
    expect(r.get('q')!.events).toEqual([]);
  });
});

describe('rule kinds and parameters', () => {
  it('lists the kinds with their Chinese names and valid defaults', () => {
    expect([...RULE_KINDS].sort()).toEqual(['multi_enterprise', 'no_consumption', 'no_signal', 'threshold', 'unregistered_resident', 'water_quality']);
    expect(RULE_KIND_LABELS).toEqual({ threshold: '阈值', no_signal: '无信号', no_consumption: '无用水', water_quality: '水质类别', unregistered_resident: '人来未登记', multi_enterprise: '一址多企' });
    for (const k of RULE_KINDS) expect(validateParams(k, DEFAULT_PARAMS[k]), k).toEqual({ ok: true, params: DEFAULT_PARAMS[k] });
  });

  it('fills defaults and drops unknown fields', () => {
    expect(validateParams('threshold', { indicator: 'pH', levels: { red: 9 }, junk: 1 })).toEqual({ ok: true, params: { indicator: 'pH', direction: 'above', levels: { red: 9 }, hysteresis: 0, minDurationSec: 0 } });
    expect(validateParams('no_consumption', { levels: { red: 24 } })).toEqual({ ok: true, params: { levels: { red: 24 }, minDelta: 0.001, careTags: [] } });
    expect(validateParams('unregistered_resident', { levels: { green: 5 } })).toEqual({ ok: true, params: { windowDays: 30, levels: { green: 5 }, schedule: 'monthly' } });
    expect(validateParams('multi_enterprise', { levels: { green: 3 }, schedule: 'weekly' })).toEqual({ ok: true, params: { levels: { green: 3 }, schedule: 'weekly' } });
    expect(validateParams('multi_enterprise', { levels: { green: 3 }, schedule: 'daily' })).toMatchObject({ ok: false, field: 'params.schedule' });
  });

  it.each([
    ['threshold', null, 'params'],
    ['threshold', { levels: { red: 1 } }, 'params.indicator'],
    ['threshold', { indicator: '氨氮', levels: { red: 1 } }, 'params.indicator'],
    ['threshold', { indicator: 'NH3N', direction: 'sideways', levels: { red: 1 } }, 'params.direction'],
    ['threshold', { indicator: 'NH3N' }, 'params.levels'],
    ['threshold', { indicator: 'NH3N', levels: {} }, 'params.levels'],
    ['threshold', { indicator: 'NH3N', levels: { orange: 1 } }, 'params.levels.orange'],
    ['threshold', { indicator: 'NH3N', levels: { yellow: 2, red: 1.5 } }, 'params.levels.red'],
    ['threshold', { indicator: 'NH3N', levels: { green: 1, yellow: 1 } }, 'params.levels.yellow'],
    ['threshold', { indicator: 'NH3N', levels: { red: '2' } }, 'params.levels.red'],
    ['threshold', { indicator: 'DO', direction: 'below', levels: { yellow: 2, red: 3 } }, 'params.levels.red'],
    ['threshold', { indicator: 'NH3N', levels: { red: 2 }, hysteresis: -0.1 }, 'params.hysteresis'],
    ['threshold', { indicator: 'NH3N', levels: { red: 2 }, minDurationSec: -1 }, 'params.minDurationSec'],
    ['threshold', { indicator: 'NH3N', levels: { red: 2 }, minDurationSec: Number.NaN }, 'params.minDurationSec'],
    ['water_quality', { levels: { yellow: 0 } }, 'params.levels.yellow'],
    ['water_quality', { levels: { red: 1.5 } }, 'params.levels.red'],
    ['water_quality', { levels: { red: 6 } }, 'params.levels.red'],
    ['water_quality', { levels: { red: 2 }, minDurationSec: 'soon' }, 'params.minDurationSec'],
    ['no_signal', { levels: { yellow: 0 } }, 'params.levels.yellow'],
    ['no_signal', { levels: { yellow: 240, red: 60 } }, 'params.levels.red'],
    ['no_consumption', { levels: { red: 24 }, minDelta: 0 }, 'params.minDelta'],
    ['no_consumption', { levels: { red: 24 }, careTags: '独居老人' }, 'params.careTags'],
    ['no_consumption', { levels: { red: 24 }, careTags: ['独居老人', ''] }, 'params.careTags.1'],
    ['unregistered_resident', { windowDays: 0, levels: { red: 5 } }, 'params.windowDays'],
    ['unregistered_resident', { windowDays: 7, levels: { red: 10 } }, 'params.levels.red'],
    ['unregistered_resident', { levels: { green: 5.5 } }, 'params.levels.green'],
    ['multi_enterprise', { levels: { green: 1 } }, 'params.levels.green'],
    ['bogus', {}, 'kind'],
  ] as const)('%s %j → error on %s', (kind, params, field) => {
    const r = validateParams(kind as never, params);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.field).toBe(field);
      expect(r.message.length).toBeGreaterThan(5);
    }
  });
});

describe('properties', () => {
  const level = fc.constantFrom<Level | null>(null, 'green', 'yellow', 'red');

  it('stepEpisode: any sequence, fed twice (the second time on the saved state), never raises an episode twice', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: -300, max: 900 }), level), { maxLength: 40 }), fc.integer({ min: 0, max: 1200 }), (deltas, minDur) => {
        let t = 0;
        const inputs = deltas.map(([d, l]) => ({ at: sec((t += d)), level: l, value: null, reason: 'r' }));
        const step = (s: EpisodeState, i: (typeof inputs)[number]) => stepEpisode(s, i, minDur);
        const first = run(step, inputs);
        const second = run(step, inputs, viaJson(first.state));
        expect(second.events).toEqual([]);
        expect(second.state).toEqual(first.state);
        expectWellFormed(first.events);
        for (const e of first.events) if (e.kind !== 'clear') expect(e.level).not.toBeNull();
        // Replay from the empty state is identical.
        expect(run(step, inputs)).toEqual(first);
      }),
    );
  });

  it('stepEpisode: redelivering any input at any point changes nothing', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 900 }), level), { minLength: 1, maxLength: 30 }), fc.nat(), fc.nat(), (deltas, a, b) => {
        let t = 0;
        const inputs = deltas.map(([d, l]) => ({ at: sec((t += d)), level: l, value: null, reason: 'r' }));
        const step = (s: EpisodeState, i: (typeof inputs)[number]) => stepEpisode(s, i, 300);
        const i = a % inputs.length;
        const j = Math.max(i, b % inputs.length);
        // Input i is delivered again after input j.
        const withDup = [...inputs.slice(0, j + 1), inputs[i]!, ...inputs.slice(j + 1)];
        expect(run(step, withDup)).toEqual(run(step, inputs));
      }),
    );
  });

  it('threshold with hysteresis: well-formed events, nothing on the second feeding', () => {
    const p: ThresholdParams = { indicator: 'x', direction: 'above', levels: { green: 1, yellow: 2, red: 3 }, hysteresis: 0.5, minDurationSec: 120 };
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: -100, max: 200 }), fc.option(fc.double({ min: 0, max: 4, noNaN: true }))), { maxLength: 50 }), (seq) => {
        let t = 0;
        const inputs = seq.map(([d, v]) => ({ at: sec((t += d)), values: (v === null ? { y: 1 } : { x: v }) as Record<string, number> }));
        const step = (s: EpisodeState, i: (typeof inputs)[number]) => stepThreshold(s, p, i);
        const first = run(step, inputs);
        expectWellFormed(first.events);
        expect(run(step, inputs, viaJson(first.state)).events).toEqual([]);
        expect(run(step, inputs)).toEqual(first);
      }),
    );
  });

  it('no_consumption: readings and sweeps in any order raise each idle episode once', () => {
    const p: NoConsumptionParams = { levels: { green: 6, yellow: 12, red: 24 }, minDelta: 0.001, careTags: [] };
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -3600, max: 20 * 3600 }), fc.option(fc.integer({ min: -1, max: 3 }))), { maxLength: 40 }),
        (seq) => {
          let t = 0;
          let meter = 100;
          const inputs = seq.map(([d, use]) => {
            t += d;
            if (use !== null) meter = use < 0 ? 0 : meter + use * 0.0007;
            return { at: sec(t), cumulative: use === null ? null : meter };
          });
          const step = (s: EpisodeState, i: (typeof inputs)[number]) => stepNoConsumption(s, p, i);
          const first = run(step, inputs);
          const second = run(step, inputs, viaJson(first.state));
          expectWellFormed([...first.events, ...second.events]);
          expect(second.events.filter((e) => e.kind === 'raise')).toEqual([]);
          expect(run(step, inputs)).toEqual(first);
        },
      ),
    );
  });

  it('no_signal: any evaluations of any silences raise each silence once', () => {
    const p: NoSignalParams = { levels: { yellow: 60, red: 240 } };
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 600 }), fc.integer({ min: -30, max: 600 })), { maxLength: 40 }), (seq) => {
        const inputs = seq.map(([last, ahead]) => ({ now: min(last + ahead), lastReadingAt: min(last), createdAt: min(0) }));
        const step = (s: EpisodeState, i: (typeof inputs)[number]) => evaluateNoSignal(s, p, i);
        const first = run(step, inputs);
        const second = run(step, inputs, viaJson(first.state));
        expectWellFormed([...first.events, ...second.events]);
        expect(second.events.filter((e) => e.kind === 'raise')).toEqual([]);
      }),
    );
  });
});
