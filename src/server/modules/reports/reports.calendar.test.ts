import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  OFFICIAL_CALENDAR_YEARS,
  WorkCalendar,
  addMinutes,
  minutesBetween,
  shanghaiDay,
  validateCalendarYear,
  type CalendarYear,
} from './reports.calendar.js';

/** An instant given as Shanghai local time, e.g. at('2026-03-02T11:00'). */
const at = (local: string): Date => new Date(`${local.length === 16 ? `${local}:00` : local}+08:00`);
const iso = (d: Date): string => shanghaiLocal(d);
/** 'YYYY-MM-DDTHH:MM' in Shanghai, for readable expectations. */
function shanghaiLocal(d: Date): string {
  return new Date(d.getTime() + 8 * 3_600_000).toISOString().slice(0, 16);
}

const cal = new WorkCalendar(OFFICIAL_CALENDAR_YEARS);
const DAY = 480; // default periods 08:30–12:00 + 13:30–18:00

describe('shanghaiDay', () => {
  it('uses UTC+8 day boundaries', () => {
    expect(shanghaiDay(new Date('2026-02-14T15:59:59.999Z'))).toBe('2026-02-14');
    expect(shanghaiDay(new Date('2026-02-14T16:00:00.000Z'))).toBe('2026-02-15');
    expect(shanghaiDay(at('2025-12-31T23:59'))).toBe('2025-12-31');
  });
  it('rejects an invalid Date', () => {
    expect(() => shanghaiDay(new Date(Number.NaN))).toThrow(RangeError);
  });
});

describe('official calendar data', () => {
  it('every official year passes validation unchanged', () => {
    for (const y of OFFICIAL_CALENDAR_YEARS) expect(validateCalendarYear(y)).toEqual(y);
    expect(OFFICIAL_CALENDAR_YEARS.map((y) => y.year)).toEqual([2024, 2025, 2026]);
  });

  it('lists every day of each holiday period (共N天 in the notices)', () => {
    const count = (year: number) => OFFICIAL_CALENDAR_YEARS.find((y) => y.year === year)!.holidays.length;
    expect(count(2024)).toBe(1 + 8 + 3 + 5 + 1 + 3 + 7);
    expect(count(2025)).toBe(1 + 8 + 3 + 5 + 3 + 8);
    expect(count(2026)).toBe(3 + 9 + 3 + 5 + 3 + 3 + 7);
  });

  it('weekday holidays minus 调休 workdays equal the statutory holidays of the year', () => {
    const net = (y: CalendarYear) => {
      const weekdayHolidays = y.holidays.filter((d) => {
        const wd = new Date(`${d}T00:00:00Z`).getUTCDay();
        return wd !== 0 && wd !== 6;
      }).length;
      return weekdayHolidays - y.workdays.length;
    };
    const byYear = Object.fromEntries(OFFICIAL_CALENDAR_YEARS.map((y) => [y.year, net(y)]));
    // 11 statutory days until 2024; 13 from 2025 (放假办法 revised November 2024).
    expect(byYear).toEqual({ 2024: 11, 2025: 13, 2026: 13 });
  });

  it('matches the weekday annotations printed in the notices', () => {
    const weekday = (d: string) => new Date(`${d}T00:00:00Z`).getUTCDay();
    // 2026 notice
    expect(weekday('2026-01-01')).toBe(4); // 周四
    expect(weekday('2026-01-04')).toBe(0); // 周日 上班
    expect(weekday('2026-02-15')).toBe(0); // 周日
    expect(weekday('2026-02-23')).toBe(1); // 周一
    expect(weekday('2026-02-14')).toBe(6); // 周六 上班
    expect(weekday('2026-02-28')).toBe(6); // 周六 上班
    expect(weekday('2026-05-09')).toBe(6); // 周六 上班
    expect(weekday('2026-09-20')).toBe(0); // 周日 上班
    expect(weekday('2026-10-10')).toBe(6); // 周六 上班
    // 2025 notice
    expect(weekday('2025-01-28')).toBe(2); // 除夕 周二
    expect(weekday('2025-02-04')).toBe(2); // 初七 周二
    expect(weekday('2025-10-08')).toBe(3); // 周三
    // 2024 notice
    expect(weekday('2024-02-04')).toBe(0); // 星期日 上班
    expect(weekday('2024-05-11')).toBe(6); // 星期六 上班
  });
});

describe('WorkCalendar.isWorkingDay', () => {
  it('knows adjusted working days and holidays', () => {
    expect(cal.isWorkingDay('2026-02-14')).toBe(true); // Saturday, 春节调休上班
    expect(cal.isWorkingDay('2026-02-16')).toBe(false); // Monday, 春节
    expect(cal.isWorkingDay('2026-02-23')).toBe(false); // Monday, 初七, still off
    expect(cal.isWorkingDay('2026-02-24')).toBe(true);
    expect(cal.isWorkingDay('2026-09-20')).toBe(true); // Sunday, 国庆调休上班
    expect(cal.isWorkingDay('2025-10-08')).toBe(false); // Wednesday, 国庆+中秋
    expect(cal.isWorkingDay('2024-02-09')).toBe(true); // 除夕 2024 was only "encouraged" off
  });
  it('treats an ordinary weekend as off and weekdays as on', () => {
    expect(cal.isWorkingDay('2026-03-07')).toBe(false); // Saturday
    expect(cal.isWorkingDay('2026-03-08')).toBe(false); // Sunday
    expect(cal.isWorkingDay('2026-03-09')).toBe(true); // Monday
  });
  it('treats an unknown year as plain Monday–Friday', () => {
    expect(cal.covers(2026)).toBe(true);
    expect(cal.covers(2027)).toBe(false);
    expect(cal.isWorkingDay('2027-01-01')).toBe(true); // a Friday; no notice loaded
    expect(cal.isWorkingDay('2027-01-02')).toBe(false);
  });
  it('rejects malformed days', () => {
    expect(() => cal.isWorkingDay('2026-02-30')).toThrow(RangeError);
    expect(() => cal.isWorkingDay('2026/02/14')).toThrow(RangeError);
  });
});

describe('WorkCalendar.addWorkingMinutes', () => {
  const add = (start: string, m: number) => iso(cal.addWorkingMinutes(at(start), m));

  it('adds within a period and up to its exact end', () => {
    expect(add('2026-03-02T09:00', 30)).toBe('2026-03-02T09:30');
    expect(add('2026-03-02T11:00', 60)).toBe('2026-03-02T12:00'); // ends at 12:00, not 13:30
  });
  it('skips lunch', () => {
    expect(add('2026-03-02T11:00', 90)).toBe('2026-03-02T14:00');
  });
  it('skips the evening', () => {
    expect(add('2026-03-02T17:00', 120)).toBe('2026-03-03T09:30');
  });
  it('skips a weekend', () => {
    expect(add('2026-03-06T17:00', 120)).toBe('2026-03-09T09:30'); // Friday → Monday
  });
  it('works on the 调休 Saturday and skips 春节', () => {
    expect(add('2026-02-13T17:00', 120)).toBe('2026-02-14T09:30'); // Fri → Sat (workday)
    expect(add('2026-02-14T17:00', 120)).toBe('2026-02-24T09:30'); // Sat → after 2/15–2/23
    // 40 working hours from Friday morning: 2/13, 2/14, then 2/24, 2/25, 2/26.
    expect(add('2026-02-13T08:30', 40 * 60)).toBe('2026-02-26T18:00');
    expect(add('2026-02-13T08:30', 40 * 60 + 1)).toBe('2026-02-27T08:31');
  });
  it('starts counting at the next working period when started outside working time', () => {
    expect(add('2026-03-02T07:00', 30)).toBe('2026-03-02T09:00');
    expect(add('2026-03-02T12:30', 30)).toBe('2026-03-02T14:00');
    expect(add('2026-03-02T20:00', 30)).toBe('2026-03-03T09:00');
    expect(add('2026-03-07T10:00', 30)).toBe('2026-03-09T09:00'); // Saturday
  });
  it('starts counting after the holiday when started on a holiday', () => {
    expect(add('2026-10-01T10:00', 30)).toBe('2026-10-08T09:00');
    expect(add('2026-09-19T10:00', 30)).toBe('2026-09-20T09:00'); // Saturday → 调休 Sunday
  });
  it('returns the start itself for 0 minutes', () => {
    expect(add('2026-03-07T10:00', 0)).toBe('2026-03-07T10:00');
  });
  it('rejects negative, non-finite and absurd amounts', () => {
    expect(() => cal.addWorkingMinutes(at('2026-03-02T09:00'), -1)).toThrow(/minutes/);
    expect(() => cal.addWorkingMinutes(at('2026-03-02T09:00'), Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => cal.addWorkingMinutes(at('2026-03-02T09:00'), 1e9)).toThrow(RangeError);
    expect(() => cal.addWorkingMinutes(new Date(Number.NaN), 1)).toThrow(RangeError);
  });
  it('honours custom working periods', () => {
    const short = new WorkCalendar(OFFICIAL_CALENDAR_YEARS, [
      ['08:30', '12:00'],
      ['13:30', '17:30'],
    ]);
    expect(short.workingMinutesBetween(at('2026-03-02T00:00'), at('2026-03-03T00:00'))).toBe(450);
    expect(iso(short.addWorkingMinutes(at('2026-03-02T17:00'), 60))).toBe('2026-03-03T09:00');
  });
});

describe('WorkCalendar.workingMinutesBetween', () => {
  const between = (a: string, b: string) => cal.workingMinutesBetween(at(a), at(b));
  it('counts only working periods', () => {
    expect(between('2026-03-02T08:00', '2026-03-02T19:00')).toBe(DAY);
    expect(between('2026-03-02T11:00', '2026-03-02T14:00')).toBe(60 + 30);
    expect(between('2026-03-02T00:00', '2026-03-09T00:00')).toBe(5 * DAY);
  });
  it('counts 春节 correctly: 2/13, 2/14 (调休), 2/24–2/26', () => {
    expect(between('2026-02-13T00:00', '2026-02-27T00:00')).toBe(5 * DAY);
  });
  it('is 0 when b <= a', () => {
    expect(between('2026-03-02T10:00', '2026-03-02T10:00')).toBe(0);
    expect(between('2026-03-02T11:00', '2026-03-02T10:00')).toBe(0);
  });
  it('is exact for instants off the whole minute', () => {
    expect(cal.workingMinutesBetween(at('2026-03-02T09:00:00'), at('2026-03-02T09:00:30'))).toBe(0.5);
  });
});

describe('natural mode', () => {
  it('adds and measures clock minutes, holidays included', () => {
    expect(iso(addMinutes(cal, at('2026-02-15T10:00'), 1440, 'natural'))).toBe('2026-02-16T10:00');
    expect(minutesBetween(cal, at('2026-02-15T10:00'), at('2026-02-16T10:30'), 'natural')).toBe(1470);
    expect(minutesBetween(cal, at('2026-02-16T10:30'), at('2026-02-15T10:00'), 'natural')).toBe(0);
  });
  it('delegates working mode to the calendar', () => {
    expect(iso(addMinutes(cal, at('2026-03-02T11:00'), 90, 'working'))).toBe('2026-03-02T14:00');
    expect(minutesBetween(cal, at('2026-03-02T11:00'), at('2026-03-02T14:00'), 'working')).toBe(90);
  });
  it('rejects an unknown mode and negative minutes', () => {
    expect(() => addMinutes(cal, at('2026-03-02T11:00'), 1, 'lunar' as never)).toThrow(/mode/);
    expect(() => addMinutes(cal, at('2026-03-02T11:00'), -5, 'natural')).toThrow(/minutes/);
  });
});

describe('properties', () => {
  // Instants between 2023-12-01 and 2027-01-31 (Shanghai): covered years plus both edges.
  const T0 = at('2023-12-01T00:00').getTime();
  const T1 = at('2027-01-31T00:00').getTime();
  const anyInstant = fc.integer({ min: T0, max: T1 }).map((t) => new Date(t));
  const minuteInstant = fc.integer({ min: T0 / 60_000, max: T1 / 60_000 }).map((m) => new Date(m * 60_000));
  const anyMinutes = fc.integer({ min: 0, max: 30 * DAY });
  const PERIODS: [number, number][] = [
    [8 * 60 + 30, 12 * 60],
    [13 * 60 + 30, 18 * 60],
  ];
  /**
   * An instant inside working time: on a working day d, strictly after a period's start and
   * at or before its end, i.e. in (start, end] — the instants that addWorkingMinutes can return
   * for a positive amount.
   */
  const workingInstant = fc
    .record({
      day: fc.integer({ min: 0, max: Math.floor((T1 - T0) / 86_400_000) }),
      period: fc.integer({ min: 0, max: 1 }),
      offsetMs: fc.integer({ min: 1, max: 270 * 60_000 }),
    })
    .map(({ day, period, offsetMs }) => {
      const [ps, pe] = PERIODS[period];
      const midnight = T0 + day * 86_400_000;
      return new Date(midnight + ps * 60_000 + Math.min(offsetMs, (pe - ps) * 60_000));
    })
    .filter((d) => cal.isWorkingDay(shanghaiDay(d)));

  it('minutesBetween(start, addMinutes(start, m)) === m for any start (inside working time or not)', () => {
    fc.assert(
      fc.property(anyInstant, anyMinutes, (start, m) => {
        const end = addMinutes(cal, start, m, 'working');
        return minutesBetween(cal, start, end, 'working') === m;
      }),
    );
  });

  it('the same holds, with fractional minutes, for starts inside working time', () => {
    fc.assert(
      fc.property(workingInstant, fc.integer({ min: 0, max: 30 * DAY * 60 }), (start, seconds) => {
        const m = seconds / 60;
        const end = cal.addWorkingMinutes(start, m);
        return cal.workingMinutesBetween(start, end) === m;
      }),
    );
  });

  it('addMinutes(a, minutesBetween(a, b)) === b when b is inside working time and after a', () => {
    fc.assert(
      // a up to 400 days before b (adding walks at most about three years).
      fc.property(workingInstant, fc.integer({ min: 1, max: 400 * 86_400_000 }), (b, back) => {
        const a = new Date(b.getTime() - back);
        const m = cal.workingMinutesBetween(a, b);
        return cal.addWorkingMinutes(a, m).getTime() === b.getTime();
      }),
    );
  });

  it('adding is additive: add(add(s, m1), m2) === add(s, m1 + m2)', () => {
    fc.assert(
      fc.property(anyInstant, anyMinutes, anyMinutes, (s, m1, m2) => {
        const twoSteps = cal.addWorkingMinutes(cal.addWorkingMinutes(s, m1), m2);
        return twoSteps.getTime() === cal.addWorkingMinutes(s, m1 + m2).getTime();
      }),
    );
  });

  it('measuring is additive over a split point', () => {
    fc.assert(
      fc.property(minuteInstant, minuteInstant, minuteInstant, (x, y, z) => {
        const [a, b, c] = [x, y, z].sort((p, q) => p.getTime() - q.getTime());
        return cal.workingMinutesBetween(a, c) === cal.workingMinutesBetween(a, b) + cal.workingMinutesBetween(b, c);
      }),
    );
  });

  it('is monotone in minutes and in start', () => {
    fc.assert(
      fc.property(anyInstant, anyInstant, anyMinutes, anyMinutes, (s1, s2, m1, m2) => {
        const [sa, sb] = s1 <= s2 ? [s1, s2] : [s2, s1];
        const [ma, mb] = m1 <= m2 ? [m1, m2] : [m2, m1];
        const t = (s: Date, m: number) => cal.addWorkingMinutes(s, m).getTime();
        return t(sa, ma) <= t(sa, mb) && t(sa, ma) <= t(sb, ma) && t(sa, ma) >= sa.getTime();
      }),
    );
  });

  it('measuring is monotone: wider intervals never count less, and never more than clock time', () => {
    fc.assert(
      fc.property(anyInstant, anyInstant, anyInstant, (x, y, z) => {
        const [a, b, c] = [x, y, z].sort((p, q) => p.getTime() - q.getTime());
        const ab = cal.workingMinutesBetween(a, b);
        const ac = cal.workingMinutesBetween(a, c);
        const bc = cal.workingMinutesBetween(b, c);
        return ab <= ac && bc <= ac && ac <= minutesBetween(cal, a, c, 'natural');
      }),
    );
  });

  it('natural mode is the inverse of itself', () => {
    fc.assert(
      fc.property(anyInstant, fc.integer({ min: 0, max: 1_000_000 }), (s, m) => {
        return minutesBetween(cal, s, addMinutes(cal, s, m, 'natural'), 'natural') === m;
      }),
    );
  });
});

describe('validateCalendarYear', () => {
  const ok = { year: 2026, holidays: ['2026-01-01', '2026-01-02'], workdays: ['2026-01-04'] };
  it('accepts a valid year and returns a copy', () => {
    const v = validateCalendarYear(ok);
    expect(v).toEqual(ok);
    expect(v.holidays).not.toBe(ok.holidays);
  });
  it('names the offending field', () => {
    const bad = (patch: Record<string, unknown>) => () => validateCalendarYear({ ...ok, ...patch });
    expect(() => validateCalendarYear(null)).toThrow(/^calendar year: /);
    expect(bad({ year: '2026' })).toThrow(/^year: /);
    expect(bad({ year: 2026.5 })).toThrow(/^year: /);
    expect(bad({ holidays: 'all of them' })).toThrow(/^holidays: /);
    expect(bad({ workdays: undefined })).toThrow(/^workdays: /);
    expect(bad({ holidays: ['2026-01-01', 20260102] })).toThrow(/^holidays\.1: /);
    expect(bad({ holidays: ['2026-01-01', '2026-02-30'] })).toThrow(/^holidays\.1: .*not a valid/);
    expect(bad({ holidays: ['2026-01-01', '2026-01-02', '2026-01-03', '2025-12-31'] })).toThrow(
      'holidays.3: 2025-12-31 is not a date of 2026',
    );
    expect(bad({ holidays: ['2026-01-01', '2026-01-01'] })).toThrow(/^holidays\.1: .*repeats holidays\.0/);
    expect(bad({ workdays: ['2026-03-02'] })).toThrow(/^workdays\.0: 2026-03-02 is not a Saturday or Sunday/);
    expect(bad({ workdays: ['2027-01-02'] })).toThrow(/^workdays\.0: .*not a date of 2026/);
    expect(bad({ holidays: ['2026-02-14'], workdays: ['2026-02-28', '2026-02-14'] })).toThrow(
      /^workdays\.1: 2026-02-14 is also listed as a holiday \(holidays\.0\)/,
    );
  });
  it('the calendar constructor reports the index of the bad year and its field', () => {
    expect(() => new WorkCalendar([ok, { ...ok, year: 2025 }])).toThrow(/^years\.1\.holidays\.0: /);
    expect(() => new WorkCalendar([ok, ok])).toThrow(/^years\.1\.year: 2026 is listed twice/);
    expect(() => new WorkCalendar([ok, 'x' as never])).toThrow(/^years\.1: /);
  });
  it('the calendar constructor validates working periods', () => {
    expect(() => new WorkCalendar([], [])).toThrow(/^periods: /);
    expect(() => new WorkCalendar([], [['12:00', '08:30']])).toThrow(/^periods\.0: /);
    expect(() => new WorkCalendar([], [['8:30', '12:00']])).toThrow(/^periods\.0\.0: /);
    expect(() =>
      new WorkCalendar(
        [],
        [
          ['08:30', '12:00'],
          ['11:00', '18:00'],
        ],
      ),
    ).toThrow(/^periods\.1: /);
    expect(new WorkCalendar([], [['00:00', '24:00']]).workingMinutesBetween(at('2026-03-02T00:00'), at('2026-03-03T00:00'))).toBe(1440);
  });
});
