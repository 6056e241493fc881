import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  INDICATOR_LABELS,
  INDICATORS,
  LIMITS,
  assessWater,
  classOf,
  indicatorOf,
  readingsFromValues,
  type Indicator,
  type WaterBodyKind,
} from './alerts.gb3838.js';

/** The next representable double above / below x (x > 0). */
function nextUp(x: number): number {
  const b = new Float64Array([x]);
  const i = new BigInt64Array(b.buffer);
  i[0] = i[0]! + 1n;
  return b[0]!;
}
function nextDown(x: number): number {
  const b = new Float64Array([x]);
  const i = new BigInt64Array(b.buffer);
  i[0] = i[0]! - 1n;
  return b[0]!;
}

/** The table as the team recorded it (brief/anchors.md), written out independently of LIMITS. */
const TABLE: Record<WaterBodyKind, Record<Indicator, number[]>> = {
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

/** The best class whose limit the value meets, straight from the table. */
function expectedClass(limits: number[], lowerLimit: boolean, v: number): number {
  const i = limits.findIndex((l) => (lowerLimit ? v >= l : v <= l));
  return i < 0 ? 6 : i + 1;
}

interface Case {
  kind: WaterBodyKind;
  ind: Indicator;
  value: number;
  cls: number;
  /** The class whose limit is being probed (1..5). */
  probed: number;
  side: 'at' | 'worse' | 'better';
}

function boundaryCases(): Case[] {
  const cases: Case[] = [];
  for (const kind of ['river', 'lake'] as const) {
    for (const ind of INDICATORS) {
      const limits = TABLE[kind][ind];
      const lower = ind === 'DO';
      limits.forEach((l, i) => {
        const probed = i + 1;
        const add = (value: number, side: Case['side']) => cases.push({ kind, ind, value, cls: expectedClass(limits, lower, value), probed, side });
        add(l, 'at');
        for (const v of lower ? [l - 1e-9, nextDown(l)] : [l + 1e-9, nextUp(l)]) add(v, 'worse');
        for (const v of lower ? [l + 1e-9, nextUp(l)] : [l - 1e-9, nextDown(l)]) add(v, 'better');
      });
    }
  }
  return cases;
}

describe('GB 3838-2002 single-factor classes', () => {
  it('LIMITS is the table recorded in the brief', () => {
    for (const kind of ['river', 'lake'] as const) for (const ind of INDICATORS) expect([...LIMITS[kind][ind]], `${kind} ${ind}`).toEqual(TABLE[kind][ind]);
  });

  const cases = boundaryCases();
  it.each(cases.map((c) => [c.kind, c.ind, c.value, c.cls, c.side, c.probed] as const))('%s %s %d → class %d (%s the class %d limit)', (kind, ind, value, cls, side, probed) => {
    expect(classOf(kind, ind, value)).toBe(cls);
    // Meeting a limit puts the value in that class or a better one (shared limits); missing it, in a worse one.
    if (side === 'worse') expect(cls).toBeGreaterThan(probed);
    else expect(cls).toBeLessThanOrEqual(probed);
    if (side === 'at') expect(cls).toBe(TABLE[kind][ind].indexOf(TABLE[kind][ind][probed - 1]!) + 1);
  });

  it('covers every boundary of every indicator for both kinds', () => {
    // 2 kinds × 6 indicators × 5 limits × (1 exact + 2 worse + 2 better)
    expect(cases.length).toBe(2 * 6 * 5 * 5);
  });

  it('just worse than the class V limit is 劣Ⅴ', () => {
    expect(classOf('river', 'NH3N', 2.0000001)).toBe(6);
    expect(classOf('river', 'NH3N', nextUp(2))).toBe(6);
    expect(classOf('river', 'DO', nextDown(2))).toBe(6);
    expect(classOf('river', 'DO', 0)).toBe(6);
    expect(classOf('lake', 'TP', 0.21)).toBe(6);
    expect(classOf('river', 'TP', 0.21)).toBe(4);
    expect(classOf('river', 'TP', 0.41)).toBe(6);
  });

  it('shared limits go to the better class: COD 15 and BOD5 3 are class I', () => {
    expect(classOf('river', 'COD', 15)).toBe(1);
    expect(classOf('river', 'COD', 15.000001)).toBe(3);
    expect(classOf('river', 'BOD5', 3)).toBe(1);
    expect(classOf('river', 'BOD5', 3.01)).toBe(3);
  });

  it('lakes and rivers differ only in total phosphorus', () => {
    expect(classOf('river', 'TP', 0.1)).toBe(2);
    expect(classOf('lake', 'TP', 0.1)).toBe(4);
    expect(classOf('lake', 'TP', 0.025)).toBe(2);
    expect(classOf('river', 'TP', 0.025)).toBe(2);
    expect(classOf('lake', 'TP', 0.026)).toBe(3);
  });

  it('refuses what is not a concentration', () => {
    expect(() => classOf('river', 'NH3N', -0.1)).toThrow(RangeError);
    expect(() => classOf('river', 'NH3N', Number.NaN)).toThrow(RangeError);
    expect(() => classOf('river', 'NH3N', Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });

  it('agrees with the table for any value (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom<WaterBodyKind>('river', 'lake'), fc.constantFrom(...INDICATORS), fc.double({ min: 0, max: 100, noNaN: true }), (kind, ind, v) => {
        expect(classOf(kind, ind, v)).toBe(expectedClass(TABLE[kind][ind], ind === 'DO', v));
      }),
    );
  });

  it('is monotone: a worse value never gets a better class (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom<WaterBodyKind>('river', 'lake'), fc.constantFrom(...INDICATORS), fc.double({ min: 0, max: 50, noNaN: true }), fc.double({ min: 0, max: 50, noNaN: true }), (kind, ind, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        if (ind === 'DO') expect(classOf(kind, ind, lo)).toBeGreaterThanOrEqual(classOf(kind, ind, hi));
        else expect(classOf(kind, ind, lo)).toBeLessThanOrEqual(classOf(kind, ind, hi));
      }),
    );
  });
});

describe('assessWater', () => {
  it('is null when no indicator is given', () => {
    expect(assessWater('river', {})).toBeNull();
    expect(assessWater('river', { NH3N: Number.NaN, TP: -1 })).toBeNull();
  });

  it('takes the worst indicator, with its label and quality', () => {
    const a = assessWater('river', { DO: 8, CODMn: 3, NH3N: 2.31, TP: 0.15 })!;
    expect(a.class).toBe(6);
    expect(a.label).toBe('劣Ⅴ类');
    expect(a.quality).toBe('重度污染');
    expect(a.decisive).toEqual(['NH3N']);
    expect(a.indicators).toEqual({
      DO: { value: 8, class: 1, label: 'Ⅰ类' },
      CODMn: { value: 3, class: 2, label: 'Ⅱ类' },
      NH3N: { value: 2.31, class: 6, label: '劣Ⅴ类' },
      TP: { value: 0.15, class: 3, label: 'Ⅲ类' },
    });
  });

  it('assesses only what was measured (partial readings)', () => {
    const a = assessWater('lake', { TP: 0.04 })!;
    expect(a).toMatchObject({ class: 3, label: 'Ⅲ类', quality: '良好', decisive: ['TP'] });
    expect(Object.keys(a.indicators)).toEqual(['TP']);
    expect(assessWater('river', { TP: 0.04 })!.class).toBe(2);
  });

  it('names every indicator at the worst class, in INDICATORS order (ties)', () => {
    const a = assessWater('river', { TP: 0.3, NH3N: 1.2, DO: 4, COD: 25 })!;
    expect(a.class).toBe(4);
    expect(a.decisive).toEqual(['DO', 'COD', 'NH3N', 'TP']);
    const b = assessWater('river', { BOD5: 2, COD: 10, DO: 9 })!;
    expect(b.class).toBe(1);
    expect(b.decisive).toEqual(['DO', 'COD', 'BOD5']);
  });

  it('the section class is the max of the indicator classes (property)', () => {
    const reading = fc.record(
      { DO: fc.double({ min: 0, max: 12, noNaN: true }), CODMn: fc.double({ min: 0, max: 20, noNaN: true }), COD: fc.double({ min: 0, max: 50, noNaN: true }), BOD5: fc.double({ min: 0, max: 12, noNaN: true }), NH3N: fc.double({ min: 0, max: 3, noNaN: true }), TP: fc.double({ min: 0, max: 0.5, noNaN: true }) },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.constantFrom<WaterBodyKind>('river', 'lake'), reading, (kind, r) => {
        const a = assessWater(kind, r);
        const given = INDICATORS.filter((i) => r[i] !== undefined);
        if (!given.length) return expect(a).toBeNull();
        const classes = given.map((i) => classOf(kind, i, r[i]!));
        expect(a!.class).toBe(Math.max(...classes));
        expect(a!.decisive).toEqual(given.filter((_, k) => classes[k] === a!.class));
      }),
    );
  });
});

describe('readingsFromValues', () => {
  it('has a Chinese name for each indicator', () => {
    expect(INDICATOR_LABELS).toEqual({ DO: '溶解氧', CODMn: '高锰酸盐指数', COD: '化学需氧量', BOD5: '五日生化需氧量', NH3N: '氨氮', TP: '总磷' });
  });

  it.each([
    ['NH3-N', 'NH3N'],
    ['NH3_N', 'NH3N'],
    ['nh3n', 'NH3N'],
    ['NH4', 'NH3N'],
    ['O2', 'DO'],
    ['dissolvedOxygen', 'DO'],
    ['cod', 'COD'],
    ['bod', 'BOD5'],
    ['BOD', 'BOD5'],
    ['P-TOT', 'TP'],
    ['totalPhosphorus', 'TP'],
    ['CODMn', 'CODMn'],
    ['codMn', 'CODMn'],
    ['permanganateIndex', 'CODMn'],
  ] as const)('reads %s as %s', (alias, ind) => {
    expect(readingsFromValues({ [alias]: 1.25 })).toEqual({ [ind]: 1.25 });
    expect(indicatorOf(alias)).toBe(ind);
  });

  it('keeps the six indicators only, and ignores non-finite and negative values', () => {
    expect(readingsFromValues({ pH: 7.2, temperature: 18, NH3: 0.4, NH4: 0.6, TP: -0.1, DO: Number.NaN, cod: Number.POSITIVE_INFINITY, BOD5: 0 })).toEqual({ NH3N: 0.6, BOD5: 0 });
    expect(indicatorOf('toString')).toBeNull();
    expect(readingsFromValues({ constructor: 1 } as Record<string, number>)).toEqual({});
  });

  it('prefers the canonical name when an indicator comes twice', () => {
    expect(readingsFromValues({ NH4: 0.9, NH3N: 0.4 })).toEqual({ NH3N: 0.4 });
    expect(readingsFromValues({ NH3N: 0.4, NH4: 0.9 })).toEqual({ NH3N: 0.4 });
    expect(readingsFromValues({ O2: 6.5, dissolvedOxygen: 7 })).toEqual({ DO: 6.5 });
  });

  it('feeds assessWater', () => {
    expect(assessWater('river', readingsFromValues({ O2: 6.2, 'NH3-N': 0.8, 'P-TOT': 0.12 }))).toMatchObject({ class: 3, decisive: ['NH3N', 'TP'] });
  });
});
