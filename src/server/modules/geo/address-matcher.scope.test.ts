import { describe, expect, it } from 'vitest';
import { AddressMatcher } from './address-matcher.js';
import type { AddressRecord } from './geo.types.js';

/** Two communities that each have an estate called 翠竹苑, in different grids. */
function twoEstates(): AddressRecord[] {
  const recs: AddressRecord[] = [];
  const add = (id: string, parent: AddressRecord | null, level: AddressRecord['level'], name: string, gridId: string | null) => {
    const r: AddressRecord = { id, parentId: parent?.id ?? null, level, name, fullText: (parent?.fullText ?? '') + name, aliases: [], lng: 120.6, lat: 30.4, gridId };
    recs.push(r);
    return r;
  };
  const p = add('p', null, 'province', '浙江省', null);
  const c = add('c', p, 'city', '嘉兴市', null);
  const k = add('k', c, 'county', '海宁市', null);
  const s = add('s', k, 'street', '硖石街道', null);
  for (const [n, name, grid] of [['1', '东山社区', 'g1'], ['2', '西山社区', 'g2']] as const) {
    const com = add(`com${n}`, s, 'community', name, grid);
    const est = add(`est${n}`, com, 'estate', '翠竹苑', grid);
    add(`b${n}`, est, 'building', '5幢', grid);
  }
  return recs;
}

describe('AddressMatcher visibility', () => {
  const m = new AddressMatcher(twoEstates());

  it('without a limit the two estates are ambiguous', () => {
    const r = m.match('翠竹苑5幢');
    expect(r.best!.confidence).toBeLessThan(0.8);
  });

  it('records outside `visible` neither win nor lower the confidence', () => {
    const r = m.match('翠竹苑5幢', { visible: (x) => x.gridId !== 'g1' });
    expect(r.best!.record.id).toBe('b2');
    expect(r.best!.confidence).toBeGreaterThan(0.8);
    expect([r.best, ...r.alternatives].map((a) => a!.record.gridId)).not.toContain('g1');
  });
});
