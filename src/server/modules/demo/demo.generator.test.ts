import Flatbush from 'flatbush';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADDRESS_LEVELS, type AddressRecord, type GridGeometry } from '../geo/geo.types.js';
import { DEPT_TYPES } from '../core/core.types.js';
import { bboxOfRing, geometryArea, pointInPolygon, pointInRing, ringSignedArea, tilingBoundary } from './demo.geometry.js';
import { DEMO_BBOX, DEMO_DEFAULT_SEED, generateDemoDistrict, generateGridLattice, indexDemoOrgs, type DemoDistrict } from './demo.generator.js';
import { Prng } from './demo.random.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function expectUnique(values: string[], what: string) {
  const seen = new Set<string>();
  const dups: string[] = [];
  for (const v of values) {
    if (seen.has(v)) dups.push(v);
    seen.add(v);
  }
  expect(dups.slice(0, 5), `duplicate ${what}`).toEqual([]);
}

const ring0 = (g: GridGeometry) => (g.type === 'Polygon' ? g.coordinates[0] : g.coordinates[0][0]);

/** Grids whose polygon contains the point (bbox prefilter, exact test). */
function makeLocator(geoms: GridGeometry[]) {
  const index = new Flatbush(geoms.length);
  for (const g of geoms) {
    const [a, b, c, d] = bboxOfRing(ring0(g));
    index.add(a, b, c, d);
  }
  index.finish();
  return (x: number, y: number) => index.search(x, y, x, y).filter((k) => pointInPolygon(x, y, geoms[k]));
}

let d: DemoDistrict;
let genMs = 0;

beforeAll(() => {
  generateDemoDistrict({ seed: 1, scale: 0.3 }); // warm up the JIT
  const t = performance.now();
  d = generateDemoDistrict();
  genMs = performance.now() - t;
});

describe('generateDemoDistrict', () => {
  it('is fast and deterministic; another seed gives another district', () => {
    expect(genMs).toBeLessThan(2000);
    const again = generateDemoDistrict({ seed: DEMO_DEFAULT_SEED, scale: 1 });
    expect(JSON.stringify(again)).toBe(JSON.stringify(d));
    const other = generateDemoDistrict({ seed: 42 });
    expect(other.orgs[0].id).not.toBe(d.orgs[0].id);
    expect(JSON.stringify(other.grids.map((g) => g.geometry))).not.toBe(JSON.stringify(d.grids.map((g) => g.geometry)));
    expect(other.addresses.map((a) => a.fullText).join('|')).not.toBe(d.addresses.map((a) => a.fullText).join('|'));
    // Same organisation names and codes for every seed (only ids differ).
    expect(other.orgs.map((o) => o.code + o.name)).toEqual(d.orgs.map((o) => o.code + o.name));
  });

  it('has the expected counts at scale 1', () => {
    const kinds = (k: string) => d.orgs.filter((o) => o.kind === k);
    expect(kinds('district')).toHaveLength(1);
    expect(kinds('street')).toHaveLength(12);
    expect(kinds('community').length).toBeGreaterThanOrEqual(140);
    expect(kinds('community').length).toBeLessThanOrEqual(160);
    expect(kinds('department')).toHaveLength(DEPT_TYPES.length - 1);
    expect(kinds('agency')).toHaveLength(1);
    expect(d.grids.length).toBeGreaterThanOrEqual(380);
    expect(d.grids.length).toBeLessThanOrEqual(420);
    expect(d.addresses.length).toBeGreaterThanOrEqual(45_000);
    expect(d.addresses.length).toBeLessThanOrEqual(55_000);
    for (const level of ADDRESS_LEVELS) expect(d.addresses.some((a) => a.level === level), level).toBe(true);
  });

  it('has unique, UUID-formatted ids and unique codes, usernames, fullTexts and phones', () => {
    const ids = [...d.orgs.map((o) => o.id), ...d.grids.map((g) => g.id), ...d.addresses.map((a) => a.id), ...d.users.map((u) => u.id)];
    expectUnique(ids, 'id');
    expect(ids.filter((id) => !UUID_V4.test(id))).toEqual([]);
    expectUnique(d.orgs.map((o) => o.code), 'org code');
    expectUnique(d.orgs.map((o) => o.name), 'org name');
    expectUnique(d.grids.map((g) => g.code), 'grid code');
    expectUnique(d.grids.map((g) => g.name), 'grid name');
    expectUnique(d.addresses.map((a) => a.fullText), 'fullText');
    expectUnique(d.users.map((u) => u.username), 'username');
    expectUnique(d.users.map((u) => u.phone), 'phone');
    for (const u of d.users) expect(u.phone).toMatch(/^1[358]\d{9}$/);
  });

  it('builds the organisation tree', () => {
    const byId = new Map(d.orgs.map((o) => [o.id, o]));
    const district = d.orgs[0];
    expect(district).toMatchObject({ kind: 'district', name: '海宁市', code: '330481', parentId: null, deptType: null });
    for (const o of d.orgs.slice(1)) {
      const parent = byId.get(o.parentId!)!;
      expect(d.orgs.indexOf(parent)).toBeLessThan(d.orgs.indexOf(o));
      if (o.kind === 'street') expect([parent.id, o.code.length, o.name]).toEqual([district.id, 9, expect.stringMatching(/(街道|镇)$/)]);
      if (o.kind === 'community') {
        expect(parent.kind).toBe('street');
        expect(o.deptType).toBe('community');
        expect(o.code.startsWith(parent.code)).toBe(true);
        expect(o.code).toHaveLength(12);
        expect(o.name).toMatch(parent.name.endsWith('街道') ? /社区$/ : /(社区|村)$/);
      }
      if (o.kind === 'department') {
        expect(parent.id).toBe(district.id);
        expect(o.code).toBe(`330481-D-${o.deptType}`);
      }
    }
    const depts = d.orgs.filter((o) => o.kind === 'department').map((o) => o.deptType);
    expect(new Set(depts)).toEqual(new Set(DEPT_TYPES.filter((t) => t !== 'community')));
    expect(d.orgs.find((o) => o.deptType === 'urban_management')!.name).toBe('海宁市综合行政执法局');
    expect(d.orgs.find((o) => o.kind === 'agency')).toMatchObject({ name: '海宁市社会治理综合指挥中心', deptType: null, parentId: district.id });
    const index = indexDemoOrgs(d.orgs);
    expect(index.district).toBe(district);
    expect(index.streets.size).toBe(12);
    expect(index.communities.get('西山社区')!.parentId).toBe(index.streets.get('硖石街道')!.id);
    expect(index.departments.get('public_security')!.name).toBe('海宁市公安局');
    expect(index.commandCentre.kind).toBe('agency');
    const towns = d.orgs.filter((o) => o.kind === 'street' && o.name.endsWith('镇'));
    const villages = d.orgs.filter((o) => o.kind === 'community' && o.name.endsWith('村'));
    expect(towns).toHaveLength(8);
    expect(villages.length).toBeGreaterThan(50);
  });

  it('produces closed, counter-clockwise, 6-decimal grid polygons inside the county box, named after their community', () => {
    const orgById = new Map(d.orgs.map((o) => [o.id, o]));
    for (const g of d.grids) {
      expect(g.geometry.type).toBe('Polygon');
      const ring = ring0(g.geometry);
      expect(ring[0]).toEqual(ring[ring.length - 1]);
      expect(ringSignedArea(ring)).toBeGreaterThan(0);
      for (const [x, y] of ring) {
        expect(Math.round(x * 1e6) / 1e6).toBe(x);
        expect(Math.round(y * 1e6) / 1e6).toBe(y);
        expect(x >= DEMO_BBOX[0] && x <= DEMO_BBOX[2] && y >= DEMO_BBOX[1] && y <= DEMO_BBOX[3]).toBe(true);
      }
      const community = orgById.get(g.communityOrgId)!;
      expect(community.kind).toBe('community');
      expect(g.code).toMatch(new RegExp(`^${community.code}\\d{2}$`));
      expect(g.name).toBe(`${community.name}第${Number(g.code.slice(-2))}网格`);
    }
  });

  it('tiles the county: grids neither overlap nor leave gaps', () => {
    const geoms = d.grids.map((g) => g.geometry);
    const { rings, badEdges } = tilingBoundary(geoms);
    expect(badEdges).toBe(0);
    expect(rings).toHaveLength(1); // one outline, no holes
    const outline = rings[0];
    const total = geoms.reduce((a, g) => a + geometryArea(g), 0);
    expect(Math.abs(total - ringSignedArea(outline)) / total).toBeLessThan(1e-9);
    const locate = makeLocator(geoms);
    const [minX, minY, maxX, maxY] = bboxOfRing(outline);
    const rng = new Prng(7, 'test');
    let inside = 0;
    const problems: string[] = [];
    for (let n = 0; n < 20_000; n++) {
      const x = rng.range(minX, maxX);
      const y = rng.range(minY, maxY);
      const hits = locate(x, y).length;
      const expected = pointInRing(x, y, outline) ? 1 : 0;
      inside += expected;
      if (hits !== expected) problems.push(`${x},${y}: ${hits} grids`);
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(inside).toBeGreaterThan(10_000);
  });

  it('gives every community a contiguous set of grids and every street a contiguous set of communities', () => {
    const orgById = new Map(d.orgs.map((o) => [o.id, o]));
    // Adjacency: grids sharing an edge.
    const edgeOwner = new Map<string, number>();
    d.grids.forEach((g, k) => {
      const r = ring0(g.geometry);
      for (let i = 0; i + 1 < r.length; i++) edgeOwner.set(`${r[i]}>${r[i + 1]}`, k);
    });
    const adj = d.grids.map(() => new Set<number>());
    d.grids.forEach((g, k) => {
      const r = ring0(g.geometry);
      for (let i = 0; i + 1 < r.length; i++) {
        const m = edgeOwner.get(`${r[i + 1]}>${r[i]}`);
        if (m !== undefined) adj[k].add(m);
      }
    });
    const connected = (members: number[]) => {
      const set = new Set(members);
      const seen = new Set([members[0]]);
      const stack = [members[0]];
      while (stack.length) for (const m of adj[stack.pop()!]) if (set.has(m) && !seen.has(m)) (seen.add(m), stack.push(m));
      return seen.size === set.size;
    };
    const groups = (key: (k: number) => string) => {
      const map = new Map<string, number[]>();
      d.grids.forEach((_, k) => map.set(key(k), [...(map.get(key(k)) ?? []), k]));
      return map;
    };
    const byCommunity = groups((k) => d.grids[k].communityOrgId);
    expect(byCommunity.size).toBe(d.orgs.filter((o) => o.kind === 'community').length);
    for (const [id, members] of byCommunity) expect(connected(members), orgById.get(id)!.name).toBe(true);
    const byStreet = groups((k) => orgById.get(d.grids[k].communityOrgId)!.parentId!);
    expect(byStreet.size).toBe(12);
    for (const [id, members] of byStreet) expect(connected(members), orgById.get(id)!.name).toBe(true);
  });

  it('builds a nine-level address tree with parents first and consistent full texts', () => {
    const byId = new Map<string, AddressRecord>();
    const levelIndex = (a: AddressRecord) => ADDRESS_LEVELS.indexOf(a.level);
    const problems: string[] = [];
    for (const a of d.addresses) {
      if (a.parentId === null) {
        if (a.level !== 'province') problems.push(`root ${a.fullText}`);
      } else {
        const p = byId.get(a.parentId);
        if (!p) problems.push(`parent of ${a.fullText} not before it`);
        else if (levelIndex(a) !== levelIndex(p) + 1 || a.fullText !== p.fullText + a.name) problems.push(`bad child ${a.fullText}`);
      }
      if ((a.gridId === null) !== levelIndex(a) < ADDRESS_LEVELS.indexOf('community')) problems.push(`gridId of ${a.fullText}`);
      if (!Number.isFinite(a.lng) || !Number.isFinite(a.lat)) problems.push(`point of ${a.fullText}`);
      byId.set(a.id, a);
    }
    expect(problems.slice(0, 5)).toEqual([]);
    const sample = (level: string) => d.addresses.find((a) => a.level === level)!.fullText;
    expect(sample('county')).toBe('浙江省嘉兴市海宁市');
    expect(sample('room')).toMatch(/^浙江省嘉兴市海宁市.+(街道|镇).+(社区|村).+\d+幢\d+单元\d+室$/);
    // Natural-village houses: building level "12号" without units.
    const house = d.addresses.find((a) => a.level === 'building' && /^\d+号$/.test(a.name))!;
    expect(house).toBeDefined();
    expect(d.addresses.some((a) => a.parentId === house.id)).toBe(false);

    // Estates: one road+number alias each, unique; names unique within their street.
    const estates = d.addresses.filter((a) => a.level === 'estate');
    for (const e of estates) expect(e.aliases).toEqual([expect.stringMatching(/^[\u4e00-\u9fa5]+(路|街|大道)\d+号$/)]);
    expectUnique(estates.map((e) => e.aliases[0]), 'estate road alias');
    expectUnique(
      estates.map((e) => `${byId.get(byId.get(e.parentId!)!.parentId!)!.name}/${e.name}`),
      'estate name within street',
    );
  });

  it('puts every address with a grid inside that grid, and the grid in the address’s community', () => {
    const byId = new Map(d.addresses.map((a) => [a.id, a]));
    const gridById = new Map(d.grids.map((g) => [g.id, g]));
    const communityOrgByName = new Map(d.orgs.filter((o) => o.kind === 'community').map((o) => [o.name, o]));
    const communityOf = new Map<string, string>(); // address id → community org id
    let checked = 0;
    const problems: string[] = [];
    for (const a of d.addresses) {
      if (a.gridId === null) continue;
      const g = gridById.get(a.gridId);
      if (!g || !pointInPolygon(a.lng, a.lat, g.geometry)) problems.push(`${a.fullText} outside its grid`);
      let orgId: string | undefined;
      if (a.level === 'community') orgId = communityOrgByName.get(a.name)!.id;
      else orgId = communityOf.get(a.parentId!);
      if (orgId === undefined) {
        let p = a;
        while (p.level !== 'community') p = byId.get(p.parentId!)!;
        orgId = communityOrgByName.get(p.name)!.id;
      }
      communityOf.set(a.id, orgId);
      if (g?.communityOrgId !== orgId) problems.push(`${a.fullText} in a grid of another community`);
      checked++;
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(checked).toBe(d.addresses.filter((a) => ADDRESS_LEVELS.indexOf(a.level) >= 4).length);
    // Every grid has at least one estate or natural village.
    const gridsWithEstates = new Set(d.addresses.filter((a) => a.level === 'estate').map((a) => a.gridId));
    expect(gridsWithEstates.size).toBe(d.grids.length);
  });

  it('creates the demo users, one grid worker per grid', () => {
    const district = d.orgs[0];
    const user = (name: string) => d.users.find((u) => u.username === name)!;
    expect(user('admin')).toMatchObject({ displayName: '系统管理员', orgId: district.id, roles: ['admin'], scopeOrgId: district.id });
    expect(user('command')).toMatchObject({ displayName: '指挥中心值班员', orgId: d.orgs.find((o) => o.kind === 'agency')!.id, roles: ['command_center'], scopeOrgId: district.id });
    expect(user('auditor')).toMatchObject({ displayName: '审计员', roles: ['auditor'], scopeOrgId: district.id });
    for (const o of d.orgs.filter((x) => x.kind === 'department'))
      expect(user(`dept-${o.deptType}`)).toMatchObject({ orgId: o.id, roles: ['dept_staff'], scopeOrgId: o.id });
    expect(user('street-xiashi')).toMatchObject({ orgId: d.orgs.find((o) => o.name === '硖石街道')!.id, roles: ['community_staff'] });
    expect(d.users.filter((u) => u.roles.includes('community_staff'))).toHaveLength(12);
    const workers = d.users.filter((u) => u.roles.includes('grid_worker'));
    expect(workers).toHaveLength(d.grids.length);
    expect(workers[0].username).toBe('gw0001');
    const perGrid = new Map<string, number>();
    for (const w of workers) {
      expect(w.gridIds).toHaveLength(1);
      perGrid.set(w.gridIds[0], (perGrid.get(w.gridIds[0]) ?? 0) + 1);
      const g = d.grids.find((x) => x.id === w.gridIds[0])!;
      expect(w).toMatchObject({ orgId: g.communityOrgId, scopeOrgId: g.communityOrgId });
    }
    for (const g of d.grids) expect(perGrid.get(g.id), g.name).toBe(1);
    for (const u of d.users.filter((x) => !['admin', 'command', 'auditor'].includes(x.username))) expect(u.displayName).toMatch(/^[\u4e00-\u9fa5]{2,3}$/);
  });

  it('scale 2 roughly doubles grids and addresses and keeps the organisations', () => {
    const d2 = generateDemoDistrict({ scale: 2 });
    expect(d2.grids.length / d.grids.length).toBeGreaterThan(1.8);
    expect(d2.grids.length / d.grids.length).toBeLessThan(2.2);
    expect(d2.addresses.length / d.addresses.length).toBeGreaterThan(1.8);
    expect(d2.addresses.length / d.addresses.length).toBeLessThan(2.2);
    expect(d2.orgs).toEqual(d.orgs);
    expect(tilingBoundary(d2.grids.map((g) => g.geometry))).toMatchObject({ badEdges: 0, rings: [expect.anything()] });
    const outOfBox = d2.grids.filter((g) => ring0(g.geometry).some(([x, y]) => x < DEMO_BBOX[0] || x > DEMO_BBOX[2] || y < DEMO_BBOX[1] || y > DEMO_BBOX[3]));
    expect(outOfBox.map((g) => g.name)).toEqual([]);
    const gridById = new Map(d2.grids.map((g) => [g.id, g]));
    const outside = d2.addresses.filter((a) => a.gridId !== null && !pointInPolygon(a.lng, a.lat, gridById.get(a.gridId)!.geometry));
    expect(outside.map((a) => a.fullText).slice(0, 5)).toEqual([]);
  });
});

describe('generateGridLattice', () => {
  it('tiles a small box exactly', () => {
    const bbox: [number, number, number, number] = [120.5, 30.3, 120.6, 30.36];
    const geoms = generateGridLattice({ seed: 3, count: 300, bbox });
    expect(Math.abs(geoms.length - 300)).toBeLessThan(15);
    const { rings, badEdges } = tilingBoundary(geoms);
    expect(badEdges).toBe(0);
    expect(rings).toHaveLength(1);
    const boxArea = (bbox[2] - bbox[0]) * (bbox[3] - bbox[1]);
    expect(Math.abs(ringSignedArea(rings[0]) - boxArea) / boxArea).toBeLessThan(1e-9);
    expect(bboxOfRing(rings[0])).toEqual(bbox);
    for (const g of geoms) expect(ringSignedArea(ring0(g))).toBeGreaterThan(0);
    expect(generateGridLattice({ seed: 3, count: 300, bbox })).toEqual(geoms);
  });

  it('returns ~40,000 polygons quickly that cover the box once', () => {
    const bbox: [number, number, number, number] = [120.45, 30.3, 120.85, 30.55];
    const t = performance.now();
    const geoms = generateGridLattice({ seed: 11, count: 40_000, bbox });
    expect(performance.now() - t).toBeLessThan(1500);
    expect(Math.abs(geoms.length - 40_000)).toBeLessThan(400);
    const total = geoms.reduce((a, g) => a + geometryArea(g), 0);
    const boxArea = (bbox[2] - bbox[0]) * (bbox[3] - bbox[1]);
    expect(Math.abs(total - boxArea) / boxArea).toBeLessThan(1e-6);
    const locate = makeLocator(geoms);
    const rng = new Prng(5, 'lattice-test');
    let bad = 0;
    for (let n = 0; n < 5_000; n++) if (locate(rng.range(bbox[0], bbox[2]), rng.range(bbox[1], bbox[3])).length !== 1) bad++;
    expect(bad).toBe(0);
  });
});
