/**
 * GB 3838-2002 《地表水环境质量标准》, single-factor assessment: each indicator is put in the
 * best class whose limit it meets, and the section takes the worst class among its indicators
 * (the indicators at that class are the decisive ones, 超标因子). Beyond class V is 劣Ⅴ (6).
 */

export const INDICATORS = ['DO', 'CODMn', 'COD', 'BOD5', 'NH3N', 'TP'] as const;
export type Indicator = (typeof INDICATORS)[number];

/** Rivers and lakes/reservoirs differ only in total phosphorus. */
export type WaterBodyKind = 'river' | 'lake';

/** Index = class number 1..6; index 0 is unused so that CLASS_LABELS[cls] reads naturally. */
export const CLASS_LABELS = ['', 'Ⅰ类', 'Ⅱ类', 'Ⅲ类', 'Ⅳ类', 'Ⅴ类', '劣Ⅴ类'] as const;

/** How the class reads to the public (the usual wording of 水质状况). */
export const CLASS_QUALITY_LABELS = ['', '优', '优', '良好', '轻度污染', '中度污染', '重度污染'] as const;

export const INDICATOR_LABELS: Record<Indicator, string> = {
  DO: '溶解氧',
  CODMn: '高锰酸盐指数',
  COD: '化学需氧量',
  BOD5: '五日生化需氧量',
  NH3N: '氨氮',
  TP: '总磷',
};

/** Every indicator here is in mg/L. */
export const INDICATOR_UNIT = 'mg/L';

/** The worst class, 劣Ⅴ. */
export const WORST_CLASS = 6;

type Limits = readonly [number, number, number, number, number];

/** Limits of classes I..V (mg/L): DO is a lower limit (≥), all others are upper limits (≤). */
export const LIMITS: Record<WaterBodyKind, Record<Indicator, Limits>> = {
  river: {
    DO: [7.5, 6, 5, 3, 2],
    CODMn: [2, 4, 6, 10, 15],
    COD: [15, 15, 20, 30, 40],
    BOD5: [3, 3, 4, 6, 10],
    NH3N: [0.15, 0.5, 1.0, 1.5, 2.0],
    TP: [0.02, 0.1, 0.2, 0.3, 0.4],
  },
  lake: {
    DO: [7.5, 6, 5, 3, 2],
    CODMn: [2, 4, 6, 10, 15],
    COD: [15, 15, 20, 30, 40],
    BOD5: [3, 3, 4, 6, 10],
    NH3N: [0.15, 0.5, 1.0, 1.5, 2.0],
    TP: [0.01, 0.025, 0.05, 0.1, 0.2],
  },
};

/** Indicators where more is better (a lower limit). */
const LOWER_LIMIT: ReadonlySet<Indicator> = new Set(['DO']);

/**
 * The class (1..6) of one indicator's value. Where two classes share a limit (COD and BOD5
 * in I and II) a value meeting it is in the better one. Throws a RangeError for a value that
 * is not a finite non-negative number: a concentration cannot be one.
 */
export function classOf(kind: WaterBodyKind, indicator: Indicator, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${indicator}: ${value} is not a concentration`);
  const limits = LIMITS[kind][indicator];
  const lower = LOWER_LIMIT.has(indicator);
  for (let i = 0; i < limits.length; i++) {
    if (lower ? value >= limits[i]! : value <= limits[i]!) return i + 1;
  }
  return WORST_CLASS;
}

export interface Assessment {
  class: number;
  label: string;
  /** 优 / 良好 / 轻度污染 / 中度污染 / 重度污染. */
  quality: string;
  /** The indicators at the section's (worst) class, in INDICATORS order. */
  decisive: Indicator[];
  indicators: Partial<Record<Indicator, { value: number; class: number; label: string }>>;
}

function isConcentration(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

/**
 * The section's class from whatever indicators were measured (missing ones are simply not
 * assessed); null when none of the six was given. Non-finite or negative readings count as
 * not given.
 */
export function assessWater(kind: WaterBodyKind, readings: Partial<Record<Indicator, number>>): Assessment | null {
  const indicators: Assessment['indicators'] = {};
  let worst = 0;
  for (const ind of INDICATORS) {
    const value = readings[ind];
    if (!isConcentration(value)) continue;
    const cls = classOf(kind, ind, value);
    indicators[ind] = { value, class: cls, label: CLASS_LABELS[cls]! };
    worst = Math.max(worst, cls);
  }
  if (!worst) return null;
  const decisive = INDICATORS.filter((ind) => indicators[ind]?.class === worst);
  return { class: worst, label: CLASS_LABELS[worst]!, quality: CLASS_QUALITY_LABELS[worst]!, decisive, indicators };
}

/**
 * Names devices and data models use for the six indicators. Smart Data Models' NH4
 * (ammonium) is what Chinese stations report as 氨氮 (NH3-N); NH3 (free ammonia) is not.
 */
const ALIASES: Record<string, Indicator> = {
  DO: 'DO',
  O2: 'DO',
  dissolvedOxygen: 'DO',
  CODMn: 'CODMn',
  codMn: 'CODMn',
  permanganateIndex: 'CODMn',
  COD: 'COD',
  cod: 'COD',
  BOD5: 'BOD5',
  BOD: 'BOD5',
  bod: 'BOD5',
  NH3N: 'NH3N',
  'NH3-N': 'NH3N',
  NH3_N: 'NH3N',
  nh3n: 'NH3N',
  NH4: 'NH3N',
  TP: 'TP',
  'P-TOT': 'TP',
  totalPhosphorus: 'TP',
};

/** The indicator a reading's key stands for, or null. */
export function indicatorOf(key: string): Indicator | null {
  return Object.hasOwn(ALIASES, key) ? ALIASES[key]! : null;
}

/**
 * Picks the six indicators out of a reading's values by their known names. When a reading
 * carries one indicator under two names, the canonical name wins, then the first alias met.
 * Non-finite and negative values are ignored.
 */
export function readingsFromValues(values: Record<string, number>): Partial<Record<Indicator, number>> {
  const out: Partial<Record<Indicator, number>> = {};
  const canonical = new Set<Indicator>();
  for (const [key, value] of Object.entries(values)) {
    const ind = indicatorOf(key);
    if (!ind || !isConcentration(value)) continue;
    const isCanonical = key === ind;
    if (canonical.has(ind) || (out[ind] !== undefined && !isCanonical)) continue;
    out[ind] = value;
    if (isCanonical) canonical.add(ind);
  }
  return out;
}
