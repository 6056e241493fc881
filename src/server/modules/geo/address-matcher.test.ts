import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddressMatcher, normalizeAddressText } from './address-matcher.js';
import type { AddressLevel, AddressRecord } from './geo.types.js';

// ---------------------------------------------------------------------------------------------
// A small hand-built district: 浙江省 / 嘉兴市 / 海宁市 / three streets, urban communities with
// estates (buildings → units → rooms), a village with natural villages (households 12号), and a
// few traps: two 文苑小区 in different streets, a 西山社区 and a 西山花园, a 文苑社区.
// ---------------------------------------------------------------------------------------------

function buildFixture(): AddressRecord[] {
  const recs: AddressRecord[] = [];
  let seq = 0;
  const add = (parent: AddressRecord | null, level: AddressLevel, name: string, aliases: string[] = []): AddressRecord => {
    const r: AddressRecord = {
      id: `t${++seq}`,
      parentId: parent?.id ?? null,
      level,
      name,
      fullText: (parent?.fullText ?? '') + name,
      aliases,
      lng: 120.68 + seq * 1e-5,
      lat: 30.5,
      gridId: level === 'province' || level === 'city' || level === 'county' || level === 'street' ? null : 'g1',
    };
    recs.push(r);
    return r;
  };
  const estate = (
    community: AddressRecord,
    name: string,
    aliases: string[],
    buildings: string[],
    units: number,
    floors: number,
  ): AddressRecord => {
    const e = add(community, 'estate', name, aliases);
    for (const b of buildings) {
      const bb = add(e, 'building', b);
      for (let u = 1; u <= units; u++) {
        const uu = add(bb, 'unit', `${u}单元`);
        for (let f = 1; f <= floors; f++) for (let k = 1; k <= 2; k++) add(uu, 'room', `${f}0${k}室`);
      }
    }
    return e;
  };
  const prov = add(null, 'province', '浙江省');
  const city = add(prov, 'city', '嘉兴市');
  const county = add(city, 'county', '海宁市');
  const xiashi = add(county, 'street', '硖石街道');
  const haizhou = add(county, 'street', '海洲街道');
  const changan = add(county, 'street', '长安镇');
  const xishan = add(xiashi, 'community', '西山社区');
  const dongshan = add(xiashi, 'community', '东山社区');
  const wenyuanSq = add(xiashi, 'community', '文苑社区');
  const xinyuan = add(haizhou, 'community', '新苑社区');
  const hongxing = add(changan, 'community', '红星村');
  estate(xishan, '文苑小区', ['水月亭路88号'], ['1幢', '2幢', '3幢', '5幢'], 2, 6);
  estate(xishan, '金都家园', ['西山路12号'], ['1幢', '2幢', 'A座'], 1, 3);
  estate(dongshan, '西山花园', ['东山路5号'], ['1幢', '2幢'], 2, 3);
  estate(dongshan, '阳光雅苑', ['硖川路16号'], ['7幢', '8幢'], 3, 4);
  estate(wenyuanSq, '梧桐华庭', ['文宗路9号'], ['1幢', '2幢'], 1, 3);
  estate(xinyuan, '文苑小区', ['海洲路200号'], ['1幢', '2幢'], 1, 3);
  estate(xinyuan, '锦绣华庭', ['文宗路66号'], ['10幢', '11幢', '12幢'], 2, 5);
  const zhang = add(hongxing, 'estate', '张家埭');
  for (let i = 1; i <= 30; i++) add(zhang, 'room', `${i}号`);
  const shen = add(hongxing, 'estate', '沈家浜');
  for (let i = 1; i <= 20; i++) add(shen, 'room', `${i}号`);
  return recs;
}

const RECORDS = buildFixture();
const matcher = new AddressMatcher(RECORDS);
const P = '浙江省嘉兴市海宁市';
const byFull = new Map(RECORDS.map((r) => [r.fullText, r]));
const rec = (full: string): AddressRecord => {
  const r = byFull.get(P + full);
  if (!r) throw new Error(`fixture has no ${full}`);
  return r;
};
const best = (q: string): string | undefined => matcher.match(q).best?.record.fullText.slice(P.length);

const WY = '硖石街道西山社区文苑小区';

describe('normalizeAddressText', () => {
  it('folds full-width characters, case, spaces and punctuation', () => {
    expect(normalizeAddressText(' 文苑小区 ３幢，１单元　３０１室。')).toBe('文苑小区3幢1单元301室');
    expect(normalizeAddressText('金都家园ａ座')).toBe('金都家园A座');
    expect(normalizeAddressText('地址：西山社区（文苑小区）')).toBe('地址西山社区文苑小区');
  });
  it('turns Chinese numerals in number positions into digits, and only there', () => {
    expect(normalizeAddressText('三幢一单元三零一室')).toBe('3幢1单元301室');
    expect(normalizeAddressText('十二号楼二单元')).toBe('12号楼2单元');
    expect(normalizeAddressText('3幢1单元三零一')).toBe('3幢1单元301');
    expect(normalizeAddressText('三里桥一品苑')).toBe('三里桥一品苑');
  });
  it('keeps dashes only between numbers, and # means 号', () => {
    expect(normalizeAddressText('3—1—301')).toBe('3-1-301');
    expect(normalizeAddressText('文苑小区-3#')).toBe('文苑小区3号');
    expect(normalizeAddressText('3 1 301')).toBe('3-1-301');
  });
});

describe('AddressMatcher — variant classes', () => {
  it('indexes every record', () => {
    expect(matcher.size).toBe(RECORDS.length);
  });

  it('exact full text → that record, confidence ≈ 1', () => {
    const r = matcher.match(`${P}${WY}3幢1单元301室`);
    expect(r.best?.record.id).toBe(rec(`${WY}3幢1单元301室`).id);
    expect(r.best!.confidence).toBeGreaterThanOrEqual(0.95);
    expect(r.best!.matchedLevels).toEqual(['province', 'city', 'county', 'street', 'community', 'estate', 'building', 'unit', 'room']);
  });

  it('missing upper levels', () => {
    expect(best('西山社区文苑小区3幢1单元301')).toBe(`${WY}3幢1单元301室`);
    expect(best('西山社区文苑小区3号楼')).toBe(`${WY}3幢`);
    expect(best('硖石街道西山社区')).toBe('硖石街道西山社区');
    expect(best('锦绣华庭11幢2单元501室')).toBe('海洲街道新苑社区锦绣华庭11幢2单元501室');
  });

  it('levels out of the way', () => {
    expect(best('海宁硖石文苑小区3幢1单元301')).toBe(`${WY}3幢1单元301室`);
    expect(best('海宁市硖石文苑小区')).toBe(WY);
    expect(best('嘉兴海宁海洲文苑小区2幢')).toBe('海洲街道新苑社区文苑小区2幢');
  });

  it('suffixes dropped', () => {
    expect(best('硖石文苑3幢')).toBe(`${WY}3幢`);
    expect(best('西山文苑')).toBe(WY);
    expect(best('海洲文苑1幢1单元201')).toBe('海洲街道新苑社区文苑小区1幢1单元201室');
    expect(best('锦绣12幢')).toBe('海洲街道新苑社区锦绣华庭12幢');
  });

  it('building / unit / room forms', () => {
    const room = `${WY}3幢1单元301室`;
    for (const q of [
      '西山文苑3栋1单元301',
      '西山文苑3号楼1单元301室',
      '西山文苑3座1单元301',
      '西山文苑三幢一单元三零一',
      '西山文苑3幢一单元301室',
      '西山文苑3幢1单301',
      '西山文苑3幢1-301',
      '西山文苑3-1-301',
      '西山文苑3#1单元301',
      '西山文苑3号1单元301号',
    ]) {
      expect(best(q), q).toBe(room);
    }
    expect(best('金都家园A座2单元')).toBe('硖石街道西山社区金都家园A座');
    expect(best('金都家园a座1单元101')).toBe('硖石街道西山社区金都家园A座1单元101室');
    expect(best('锦绣华庭十二幢二单元')).toBe('海洲街道新苑社区锦绣华庭12幢2单元');
  });

  it('full-width digits and letters, spaces and punctuation', () => {
    expect(best('西山 文苑小区 ３幢 １单元 ３０１')).toBe(`${WY}3幢1单元301室`);
    expect(best('金都家园，Ａ座，１单元，１０１室。')).toBe('硖石街道西山社区金都家园A座1单元101室');
  });

  it('extra words and leading phrases', () => {
    for (const q of ['我家在西山文苑3幢1单元301', '地址：西山社区文苑小区3幢1单元301室', '西山文苑3幢1单元301附近', '就在西山文苑小区3幢1单元301楼下']) {
      expect(best(q), q).toBe(`${WY}3幢1单元301室`);
    }
    for (const q of ['西山社区文苑小区门口', '西山文苑小区对面', '西山文苑旁边', '文苑小区东侧那里', '西山文苑小区边上']) {
      expect(best(q), q).toBe(WY);
    }
  });

  it('one wrong character in a name', () => {
    expect(best('西山社区文园小区3幢')).toBe(`${WY}3幢`);
    expect(best('西三社区文苑小区3幢1单元301')).toBe(`${WY}3幢1单元301室`);
    expect(best('锦秀华庭10幢')).toBe('海洲街道新苑社区锦绣华庭10幢');
    expect(best('阳光雅园7幢3单元401')).toBe('硖石街道东山社区阳光雅苑7幢3单元401室');
    expect(best('红星村沈家邦5号')).toBe('长安镇红星村沈家浜5号');
    const r = matcher.match('西山社区文园小区3幢');
    expect(r.best!.confidence).toBeLessThan(matcher.match('西山社区文苑小区3幢').best!.confidence);
  });

  it('road and number aliases', () => {
    expect(best('水月亭路88号')).toBe(WY);
    expect(best('水月亭路88号附近')).toBe(WY);
    expect(best('水月亭路88号3幢1单元301')).toBe(`${WY}3幢1单元301室`);
    expect(best('文宗路66号11幢')).toBe('海洲街道新苑社区锦绣华庭11幢');
    expect(best('硖川路16号')).toBe('硖石街道东山社区阳光雅苑');
    // another number on the same road is not that estate
    expect(matcher.match('水月亭路8号').best?.record.fullText.slice(P.length)).not.toBe(WY);
  });

  it('returns the most specific record the text supports', () => {
    expect(best('西山社区文苑小区')).toBe(WY);
    expect(best('西山社区')).toBe('硖石街道西山社区');
    expect(best('西山花园')).toBe('硖石街道东山社区西山花园');
    expect(best('文苑社区')).toBe('硖石街道文苑社区');
    // a building that does not exist → the estate, with lower confidence
    const r = matcher.match('西山文苑小区9幢');
    expect(r.best?.record.fullText).toBe(P + WY);
    expect(r.best!.confidence).toBeLessThan(0.8);
    // room number without the unit, present in two units → the building
    expect(best('西山文苑3幢301')).toBe(`${WY}3幢`);
  });

  it('natural villages and households', () => {
    expect(best('长安红星村张家埭12号')).toBe('长安镇红星村张家埭12号');
    expect(best('张家埭12号')).toBe('长安镇红星村张家埭12号');
    expect(best('红星村张家埭')).toBe('长安镇红星村张家埭');
  });

  it('ambiguous text → alternatives close in score', () => {
    const r = matcher.match('文苑小区');
    expect(r.best).not.toBeNull();
    expect(r.alternatives.length).toBeGreaterThan(0);
    const names = [r.best!.record.fullText, r.alternatives[0].record.fullText].sort();
    expect(names).toEqual([P + WY, `${P}海洲街道新苑社区文苑小区`].sort());
    expect(r.best!.confidence).toBeLessThan(0.7);
    expect(Math.abs(r.best!.confidence - r.alternatives[0].confidence)).toBeLessThan(0.1);
    // context settles it
    expect(matcher.match('西山文苑小区').best!.confidence).toBeGreaterThan(0.85);
  });

  it('limit bounds the alternatives, nonsense gives nothing', () => {
    expect(matcher.match('文苑小区', { limit: 1 }).alternatives.length).toBeLessThanOrEqual(1);
    expect(matcher.match('文苑小区', { limit: 0 }).alternatives).toEqual([]);
    expect(matcher.match('').best).toBeNull();
    expect(matcher.match('今天天气不错').best).toBeNull();
    expect(matcher.match('3幢1单元301').best).toBeNull();
  });

  it('handles an empty library', () => {
    const m = new AddressMatcher([]);
    expect(m.size).toBe(0);
    expect(m.match('文苑小区').best).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

const byId = new Map(RECORDS.map((r) => [r.id, r]));
const chainOf = (r: AddressRecord): AddressRecord[] => {
  const out: AddressRecord[] = [];
  for (let c: AddressRecord | undefined = r; c; c = c.parentId ? byId.get(c.parentId) : undefined) out.unshift(c);
  return out;
};
const UPPER: AddressLevel[] = ['province', 'city', 'county', 'street'];
const arbRecord = fc.constantFrom(...RECORDS);
const fullWidth = (s: string): string => s.replace(/[0-9A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

describe('AddressMatcher — properties', () => {
  it('(a) the exact full text matches that record with confidence ≥ 0.95', () => {
    fc.assert(
      fc.property(arbRecord, (r) => {
        const m = matcher.match(r.fullText);
        expect(m.best?.record.id).toBe(r.id);
        expect(m.best!.confidence).toBeGreaterThanOrEqual(0.95);
      }),
      { numRuns: 300 },
    );
  });

  it('(b) dropping any subset of 省/市/区县/街道 still finds it', () => {
    fc.assert(
      fc.property(arbRecord, fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), (r, drop) => {
        const parts = chainOf(r).filter((c) => c === r || !(UPPER.includes(c.level) && drop[UPPER.indexOf(c.level)]));
        const q = parts.map((c) => c.name).join('');
        expect(matcher.match(q).best?.record.id, q).toBe(r.id);
      }),
      { numRuns: 300 },
    );
  });

  it('(c) full-width digits and 栋/号楼 for 幢 still find it', () => {
    fc.assert(
      fc.property(arbRecord, fc.constantFrom('栋', '号楼', '幢'), (r, b) => {
        const q = fullWidth(r.fullText.replace(/幢/g, b));
        expect(matcher.match(q).best?.record.id, q).toBe(r.id);
      }),
      { numRuns: 300 },
    );
  });

  it('(d) noise words before or after still find it', () => {
    fc.assert(
      fc.property(
        arbRecord,
        fc.constantFrom('', '我家在', '地址：', '我住在'),
        fc.constantFrom('', '附近', '对面', '旁边', '门口', '边上', '楼下'),
        (r, pre, post) => {
          const q = `${pre}${r.fullText}${post}`;
          expect(matcher.match(q).best?.record.id, q).toBe(r.id);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('(e) normalizeAddressText is idempotent', () => {
    const addressChars = fc.constantFrom(
      ...'文苑小区幢栋号楼单元室户层一二三四五六七八九十百零〇两0123456789ABab３１-—－#＃ ，。：、/.·~第街道社区村镇附近的'.split(''),
    );
    const check = (s: string): void => {
      const n = normalizeAddressText(s);
      expect(normalizeAddressText(n)).toBe(n);
    };
    fc.assert(fc.property(fc.string({ unit: addressChars, maxLength: 30 }), check), { numRuns: 1500 });
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), check), { numRuns: 500 });
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 20 }), check), { numRuns: 300 });
  });

  it('(f) match never throws on arbitrary text and confidence ∈ [0,1]', () => {
    const inRange = (c: number): boolean => Number.isFinite(c) && c >= 0 && c <= 1;
    const check = (s: string): void => {
      const r = matcher.match(s);
      expect(typeof r.normalized).toBe('string');
      if (r.best) expect(inRange(r.best.confidence)).toBe(true);
      for (const a of r.alternatives) expect(inRange(a.confidence)).toBe(true);
    };
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 60 }), check), { numRuns: 500 });
    const nameChars = fc.constantFrom(...[...new Set(RECORDS.map((r) => r.name).join('') + '附近-#３')]);
    fc.assert(fc.property(fc.string({ unit: nameChars, maxLength: 40 }), check), { numRuns: 1000 });
  });
});
