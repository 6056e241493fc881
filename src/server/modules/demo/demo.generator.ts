/**
 * Deterministic demo district generator (pure functions, no database).
 *
 * A county modelled on 海宁市 (浙江省嘉兴市): the district organisation, its 12 streets/towns,
 * 150 communities/villages, 16 departments and the command centre; ~400 grids that tile the county
 * exactly (jittered, warped quadrilateral lattice with shared vertices — smaller grids in the city
 * centre); ~50,000 addresses on nine levels, each at or below the community level lying inside its
 * grid; and the demo users. Same seed + scale ⇒ byte-identical output, ids included.
 */
import type { DeptType, OrgRecord, UserSeed } from '../core/core.types.js';
import type { AddressLevel, AddressRecord, GridGeometry, GridRecord, PolygonGeometry } from '../geo/geo.types.js';
import { pointInRing, ringBoundaryDistance, ringCentroid, ringSignedArea, round6, bboxOfRing, segmentDistance, type Ring } from './demo.geometry.js';
import {
  CITY_POINT,
  COMMAND_CENTRE_NAME,
  DEMO_CITY_CENTRE,
  DEMO_DEPARTMENTS,
  DEMO_OUTLINE,
  DEMO_STREETS,
  ESTATE_PREFIXES,
  ESTATE_SUFFIXES,
  ESTATE_SUFFIX_WEIGHTS,
  GIVEN_CHARS,
  PROVINCE_POINT,
  ROAD_PREFIXES,
  SURNAMES,
  VILLAGE_SURNAMES,
  VILLAGE_SUFFIXES,
} from './demo.names.js';
import { Prng } from './demo.random.js';

export { DEMO_STREETS } from './demo.names.js';
export { pointInPolygon } from './demo.geometry.js';

export interface DemoDistrict {
  /** District first, then streets, communities (grouped by street), departments, the command centre. */
  orgs: OrgRecord[];
  /** Grouped by street and community, numbered 01… within each community. */
  grids: GridRecord[];
  /** Depth-first, parents before children. */
  addresses: AddressRecord[];
  users: UserSeed[];
}

export interface DemoOptions {
  /** Default 20260101. */
  seed?: number;
  /** Multiplies the number of grids (≈400) and addresses (≈50,000). Default 1. */
  scale?: number;
}

export const DEMO_DEFAULT_SEED = 20260101;
/** Every generated coordinate lies within this box [minLng, minLat, maxLng, maxLat]. */
export const DEMO_BBOX: readonly [number, number, number, number] = [120.45, 30.3, 120.85, 30.55];
export const DEMO_DISTRICT_CODE = '330481';
export const DEMO_GRIDS_PER_SCALE = 400;
export const DEMO_ADDRESSES_PER_SCALE = 50_000;

// ---------------------------------------------------------------------------------------------
// Local planar projection (km) around the county. Constants, so no trigonometry is involved.
const LNG0 = 120.65;
const LAT0 = 30.425;
const KX = 95.99; // km per degree of longitude at 30.425° N
const KY = 110.86; // km per degree of latitude
const toDeg = (x: number, y: number): [number, number] => [round6(LNG0 + x / KX), round6(LAT0 + y / KY)];
const toKm = (lng: number, lat: number): [number, number] => [(lng - LNG0) * KX, (lat - LAT0) * KY];

// ---------------------------------------------------------------------------------------------
// Jittered quadrilateral lattice with shared vertices and wiggled (shared) edge midpoints.

interface Lattice {
  cols: number;
  rows: number;
  /** Vertices, index j * (cols + 1) + i, metric space. */
  vx: Float64Array;
  vy: Float64Array;
  /** Midpoints of horizontal edges V(i,j)–V(i+1,j), index j * cols + i. */
  hx: Float64Array;
  hy: Float64Array;
  /** Midpoints of vertical edges V(i,j)–V(i,j+1), index j * (cols + 1) + i. */
  ex: Float64Array;
  ey: Float64Array;
}

const VERTEX_JITTER = 0.15; // of a cell, per axis
const EDGE_WIGGLE = 0.08; // of an edge length, perpendicular

function buildLattice(rng: Prng, cols: number, rows: number, map: (u: number, v: number) => [number, number], pinBorder: boolean): Lattice {
  const nv = (cols + 1) * (rows + 1);
  const vx = new Float64Array(nv);
  const vy = new Float64Array(nv);
  for (let j = 0; j <= rows; j++)
    for (let i = 0; i <= cols; i++) {
      const ju = (rng.next() * 2 - 1) * VERTEX_JITTER;
      const jv = (rng.next() * 2 - 1) * VERTEX_JITTER;
      const u = i + (pinBorder && (i === 0 || i === cols) ? 0 : ju);
      const v = j + (pinBorder && (j === 0 || j === rows) ? 0 : jv);
      const [x, y] = map(u, v);
      const k = j * (cols + 1) + i;
      vx[k] = x;
      vy[k] = y;
    }
  const mid = (a: number, b: number, pinned: boolean): [number, number] => {
    const w = (rng.next() * 2 - 1) * EDGE_WIGGLE;
    const mx = (vx[a] + vx[b]) / 2;
    const my = (vy[a] + vy[b]) / 2;
    if (pinned) return [mx, my];
    return [mx - (vy[b] - vy[a]) * w, my + (vx[b] - vx[a]) * w];
  };
  const hx = new Float64Array(cols * (rows + 1));
  const hy = new Float64Array(cols * (rows + 1));
  for (let j = 0; j <= rows; j++)
    for (let i = 0; i < cols; i++) {
      const a = j * (cols + 1) + i;
      const [x, y] = mid(a, a + 1, pinBorder && (j === 0 || j === rows));
      hx[j * cols + i] = x;
      hy[j * cols + i] = y;
    }
  const ex = new Float64Array((cols + 1) * rows);
  const ey = new Float64Array((cols + 1) * rows);
  for (let j = 0; j < rows; j++)
    for (let i = 0; i <= cols; i++) {
      const a = j * (cols + 1) + i;
      const [x, y] = mid(a, a + cols + 1, pinBorder && (i === 0 || i === cols));
      ex[a] = x;
      ey[a] = y;
    }
  return { cols, rows, vx, vy, hx, hy, ex, ey };
}

/** Closed counter-clockwise ring of cell (i, j), converted by `out` (which must round). */
function cellRing(L: Lattice, i: number, j: number, out: (x: number, y: number) => [number, number]): Ring {
  const w = L.cols + 1;
  const v00 = j * w + i;
  const v10 = v00 + 1;
  const v01 = v00 + w;
  const v11 = v01 + 1;
  const first = out(L.vx[v00], L.vy[v00]);
  return [
    first,
    out(L.hx[j * L.cols + i], L.hy[j * L.cols + i]),
    out(L.vx[v10], L.vy[v10]),
    out(L.ex[v10], L.ey[v10]),
    out(L.vx[v11], L.vy[v11]),
    out(L.hx[(j + 1) * L.cols + i], L.hy[(j + 1) * L.cols + i]),
    out(L.vx[v01], L.vy[v01]),
    out(L.ex[v00], L.ey[v00]),
    [first[0], first[1]],
  ];
}

function cellCentre(L: Lattice, i: number, j: number): [number, number] {
  const w = L.cols + 1;
  const a = j * w + i;
  return [(L.vx[a] + L.vx[a + 1] + L.vx[a + w] + L.vx[a + w + 1]) / 4, (L.vy[a] + L.vy[a + 1] + L.vy[a + w] + L.vy[a + w + 1]) / 4];
}

/**
 * Polygons that tile `bbox` exactly (no gaps, no overlaps, shared vertices; outer edges straight
 * along the box), about `count` of them (rows × cols closest to count for near-square cells),
 * row-major from the south-west corner. Coordinates rounded to 6 decimals, rings closed and CCW.
 */
export function generateGridLattice(opts: { seed: number; count: number; bbox: [number, number, number, number] }): GridGeometry[] {
  const [minLng, minLat, maxLng, maxLat] = opts.bbox;
  if (!(maxLng > minLng && maxLat > minLat)) throw new Error('generateGridLattice: empty bbox');
  const count = Math.max(1, Math.round(opts.count));
  const midLat = ((minLat + maxLat) / 2) * (Math.PI / 180);
  const wKm = (maxLng - minLng) * 111.32 * Math.cos(midLat);
  const hKm = (maxLat - minLat) * 110.57;
  const cols = Math.max(1, Math.round(Math.sqrt((count * wKm) / hKm)));
  const rows = Math.max(1, Math.round(count / cols));
  const rng = new Prng(opts.seed, 'lattice');
  const L = buildLattice(rng, cols, rows, (u, v) => [u, v], true);
  const out = (u: number, v: number): [number, number] => [
    round6(u >= cols ? maxLng : minLng + (u / cols) * (maxLng - minLng)),
    round6(v >= rows ? maxLat : minLat + (v / rows) * (maxLat - minLat)),
  ];
  const result: GridGeometry[] = new Array(cols * rows);
  for (let j = 0; j < rows; j++) for (let i = 0; i < cols; i++) result[j * cols + i] = { type: 'Polygon', coordinates: [cellRing(L, i, j, out)] };
  return result;
}

// ---------------------------------------------------------------------------------------------
// Binary min-heap of (key, value) with deterministic tie-breaking on value.

class MinHeap {
  private keys: number[] = [];
  private vals: number[] = [];
  get size(): number {
    return this.keys.length;
  }
  private less(a: number, b: number): boolean {
    return this.keys[a] < this.keys[b] || (this.keys[a] === this.keys[b] && this.vals[a] < this.vals[b]);
  }
  private swap(a: number, b: number): void {
    [this.keys[a], this.keys[b]] = [this.keys[b], this.keys[a]];
    [this.vals[a], this.vals[b]] = [this.vals[b], this.vals[a]];
  }
  push(key: number, val: number): void {
    this.keys.push(key);
    this.vals.push(val);
    let i = this.keys.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }
  peekVal(): number {
    return this.vals[0];
  }
  pop(): number {
    const top = this.vals[0];
    const lastK = this.keys.pop()!;
    const lastV = this.vals.pop()!;
    if (this.keys.length > 0) {
      this.keys[0] = lastK;
      this.vals[0] = lastV;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.keys.length && this.less(l, m)) m = l;
        if (r < this.keys.length && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}

// ---------------------------------------------------------------------------------------------
// The county's cells.

interface Cell {
  i: number;
  j: number;
  /** Centre in km. */
  x: number;
  y: number;
  ring: Ring;
  neighbours: number[];
  bbox: [number, number, number, number];
}

const WARP_STRENGTH = 0.45; // city-centre cells are ~0.55 of the outer cells' linear size
const WARP_SIGMA2 = 36; // km², σ = 6 km

function buildCountyCells(seed: number, n: number): Cell[] {
  const outline: Ring = DEMO_OUTLINE.map(([lng, lat]) => toKm(lng, lat));
  const [cx, cy] = toKm(DEMO_CITY_CENTRE[0], DEMO_CITY_CENTRE[1]);
  const warp = (x: number, y: number): [number, number] => {
    const dx = x - cx;
    const dy = y - cy;
    const f = 1 - WARP_STRENGTH * Math.exp(-(dx * dx + dy * dy) / WARP_SIGMA2);
    return [cx + dx * f, cy + dy * f];
  };
  const [oMinX, oMinY, oMaxX, oMaxY] = bboxOfRing(outline);
  const score = (x: number, y: number): number => {
    let d = Infinity;
    for (let a = 0, b = outline.length - 1; a < outline.length; b = a++) {
      const e = segmentDistance(x, y, outline[b][0], outline[b][1], outline[a][0], outline[a][1]);
      if (e < d) d = e;
    }
    return pointInRing(x, y, outline) ? d : -d;
  };
  const make = (s: number) => {
    const margin = 1.5 + 2 * s;
    const x0 = oMinX - margin;
    const y0 = oMinY - margin;
    const cols = Math.ceil((oMaxX - oMinX + 2 * margin) / s);
    const rows = Math.ceil((oMaxY - oMinY + 2 * margin) / s);
    const L = buildLattice(new Prng(seed, 'lattice'), cols, rows, (u, v) => warp(x0 + u * s, y0 + v * s), false);
    const scores = new Float64Array(cols * rows);
    let inside = 0;
    for (let j = 0; j < rows; j++)
      for (let i = 0; i < cols; i++) {
        const [x, y] = cellCentre(L, i, j);
        const sc = score(x, y);
        scores[j * cols + i] = sc;
        if (sc > 0) inside++;
      }
    return { L, scores, inside };
  };
  let s = Math.sqrt(Math.abs(ringSignedArea(outline)) / n);
  let lat = make(s);
  for (let iter = 0; iter < 6 && Math.abs(lat.inside - n) > n * 0.01; iter++) {
    s *= Math.sqrt(lat.inside / n);
    lat = make(s);
  }
  const { L, scores } = lat;
  const { cols, rows } = L;
  // Grow a connected set of exactly n cells from the deepest one, best score first.
  let best = 0;
  for (let k = 1; k < scores.length; k++) if (scores[k] > scores[best]) best = k;
  const chosen = new Int32Array(cols * rows).fill(-1);
  const order: number[] = [];
  const heap = new MinHeap();
  const queued = new Uint8Array(cols * rows);
  heap.push(-scores[best], best);
  queued[best] = 1;
  while (order.length < n && heap.size > 0) {
    const k = heap.pop();
    chosen[k] = order.length;
    order.push(k);
    const i = k % cols;
    const j = (k - i) / cols;
    const around = [i > 0 ? k - 1 : -1, i < cols - 1 ? k + 1 : -1, j > 0 ? k - cols : -1, j < rows - 1 ? k + cols : -1];
    for (const m of around)
      if (m >= 0 && !queued[m]) {
        queued[m] = 1;
        heap.push(-scores[m], m);
      }
  }
  // Sort row-major (south to north, west to east) for stable indices.
  order.sort((a, b) => a - b);
  order.forEach((k, idx) => (chosen[k] = idx));
  return order.map((k) => {
    const i = k % cols;
    const j = (k - i) / cols;
    const [x, y] = cellCentre(L, i, j);
    const ring = cellRing(L, i, j, toDeg);
    const neighbours: number[] = [];
    if (i > 0 && chosen[k - 1] >= 0) neighbours.push(chosen[k - 1]);
    if (i < cols - 1 && chosen[k + 1] >= 0) neighbours.push(chosen[k + 1]);
    if (j > 0 && chosen[k - cols] >= 0) neighbours.push(chosen[k - cols]);
    if (j < rows - 1 && chosen[k + cols] >= 0) neighbours.push(chosen[k + cols]);
    return { i, j, x, y, ring, neighbours, bbox: bboxOfRing(ring) };
  });
}

// ---------------------------------------------------------------------------------------------
// Partitioning cells into contiguous regions.

const dist = (ax: number, ay: number, bx: number, by: number) => Math.sqrt((ax - bx) * (ax - bx) + (ay - by) * (ay - by));

/**
 * Capacity-constrained partition of the connected `members` into one region per site: a power
 * diagram (cell → argmin of squared distance to the site minus the site's price) whose prices are
 * tuned until region sizes approach `goals`, followed by a repair that keeps each region's largest
 * connected piece and hands orphaned cells to an adjacent region. Every region ends connected and
 * with at least `mins[r]` cells (default 1). Returns the label (region index) of every member.
 */
function partition(cells: Cell[], members: number[], sites: [number, number][], goals: number[], mins?: number[]): Map<number, number> {
  const k = sites.length;
  const need = mins ?? sites.map(() => 1);
  let area = 0;
  for (const c of members) area += cellArea(cells[c]);
  const meanCell = area / members.length;
  const prices = sites.map(() => 0);
  const n = members.length;
  const xs = members.map((c) => cells[c].x);
  const ys = members.map((c) => cells[c].y);
  const assign = () => {
    const labels = new Int32Array(n);
    const sizes = sites.map(() => 0);
    for (let m = 0; m < n; m++) {
      let best = 0;
      let bestCost = Infinity;
      for (let r = 0; r < k; r++) {
        const dx = xs[m] - sites[r][0];
        const dy = ys[m] - sites[r][1];
        const cost = dx * dx + dy * dy - prices[r];
        if (cost < bestCost) {
          bestCost = cost;
          best = r;
        }
      }
      labels[m] = best;
      sizes[best]++;
    }
    return { labels, sizes };
  };
  let best = assign();
  let bestErr = Infinity;
  for (let round = 0; round < 150; round++) {
    const cur = round === 0 ? best : assign();
    // Sizes are integers: a region is on target when within one cell (or 5 %) of its goal.
    let err = 0;
    let onTarget = true;
    for (let r = 0; r < k; r++) {
      const dev = Math.abs(cur.sizes[r] - goals[r]);
      err += dev * dev;
      if (dev >= Math.max(1, 0.05 * goals[r])) onTarget = false;
    }
    if (err < bestErr) {
      bestErr = err;
      best = cur;
    }
    if (onTarget) break;
    const step = (round < 60 ? 0.6 : 0.25) * meanCell;
    for (let r = 0; r < k; r++) prices[r] += step * (goals[r] - cur.sizes[r]);
  }
  const label = new Map<number, number>();
  members.forEach((c, m) => label.set(c, best.labels[m]));
  repairConnectivity(cells, members, label, k, goals);
  enforceMinimum(cells, members, label, k, need, sites);
  return label;
}

function cellArea(cell: Cell): number {
  return Math.abs(ringSignedArea(cell.ring)) * KX * KY;
}

function components(cells: Cell[], set: Set<number>): number[][] {
  const seen = new Set<number>();
  const out: number[][] = [];
  for (const start of set) {
    if (seen.has(start)) continue;
    const comp = [start];
    seen.add(start);
    for (let q = 0; q < comp.length; q++)
      for (const m of cells[comp[q]].neighbours)
        if (set.has(m) && !seen.has(m)) {
          seen.add(m);
          comp.push(m);
        }
    out.push(comp);
  }
  return out;
}

/** Keep each region's largest connected piece; give orphaned cells to adjacent regions (smallest relative size first). */
function repairConnectivity(cells: Cell[], members: number[], label: Map<number, number>, k: number, goals: number[]): void {
  const regionCells = Array.from({ length: k }, () => new Set<number>());
  for (const c of members) regionCells[label.get(c)!].add(c);
  const orphans = new Set<number>();
  for (let r = 0; r < k; r++) {
    const comps = components(cells, regionCells[r]);
    if (comps.length <= 1) continue;
    comps.sort((a, b) => b.length - a.length || a[0] - b[0]);
    for (const comp of comps.slice(1))
      for (const c of comp) {
        orphans.add(c);
        label.delete(c);
        regionCells[r].delete(c);
      }
  }
  while (orphans.size > 0) {
    let progressed = false;
    for (const c of [...orphans].sort((a, b) => a - b)) {
      let pick = -1;
      for (const m of cells[c].neighbours) {
        const q = label.get(m);
        if (q === undefined) continue;
        if (pick < 0 || regionCells[q].size / goals[q] < regionCells[pick].size / goals[pick]) pick = q;
      }
      if (pick < 0) continue;
      label.set(c, pick);
      regionCells[pick].add(c);
      orphans.delete(c);
      progressed = true;
    }
    if (!progressed) throw new Error('demo generator: cells are not connected');
  }
}

function isConnected(cells: Cell[], set: Set<number>): boolean {
  return set.size === 0 || components(cells, set).length === 1;
}

/** Move boundary cells into regions smaller than their minimum, keeping every donor connected. */
function enforceMinimum(cells: Cell[], members: number[], label: Map<number, number>, k: number, mins: number[], sites: [number, number][]): void {
  const regionCells = Array.from({ length: k }, () => new Set<number>());
  for (const c of members) regionCells[label.get(c)!].add(c);
  for (let guard = 0; guard < members.length * 4; guard++) {
    const r = regionCells.findIndex((set, q) => set.size < mins[q]);
    if (r < 0) return;
    // Candidates: cells adjacent to the region (any member if the region is empty).
    const candidates = new Set<number>();
    if (regionCells[r].size === 0) for (const c of members) candidates.add(c);
    else for (const c of regionCells[r]) for (const m of cells[c].neighbours) if (label.get(m) !== undefined && label.get(m) !== r) candidates.add(m);
    let bestCell = -1;
    let bestD = Infinity;
    for (const m of [...candidates].sort((a, b) => a - b)) {
      const q = label.get(m)!;
      if (q === r || regionCells[q].size <= mins[q]) continue;
      const d = dist(cells[m].x, cells[m].y, sites[r][0], sites[r][1]);
      if (d >= bestD) continue;
      const rest = new Set(regionCells[q]);
      rest.delete(m);
      if (!isConnected(cells, rest)) continue;
      bestD = d;
      bestCell = m;
    }
    if (bestCell < 0) throw new Error('demo generator: cannot give every region enough grids; increase scale');
    const q = label.get(bestCell)!;
    regionCells[q].delete(bestCell);
    regionCells[r].add(bestCell);
    label.set(bestCell, r);
  }
}

/** Split a connected set of cells into k compact, connected, similar-sized parts (farthest-point sites + capacity-constrained Lloyd). */
function splitIntoParts(cells: Cell[], members: number[], k: number, centre: [number, number]): number[][] {
  let first = members[0];
  for (const c of members) if (dist(cells[c].x, cells[c].y, centre[0], centre[1]) < dist(cells[first].x, cells[first].y, centre[0], centre[1])) first = c;
  const seeds = [first];
  const minD = new Map(members.map((c) => [c, dist(cells[c].x, cells[c].y, cells[first].x, cells[first].y)]));
  while (seeds.length < k) {
    let far = -1;
    let fd = -1;
    for (const c of members) {
      const d = minD.get(c)!;
      if (d > fd) {
        fd = d;
        far = c;
      }
    }
    seeds.push(far);
    for (const c of members) minD.set(c, Math.min(minD.get(c)!, dist(cells[c].x, cells[c].y, cells[far].x, cells[far].y)));
  }
  const sites = seeds.map((c) => [cells[c].x, cells[c].y] as [number, number]);
  const goals = sites.map(() => members.length / k);
  let parts: number[][] = [];
  for (let iter = 0; iter < 6; iter++) {
    const label = partition(cells, members, sites, goals);
    parts = sites.map(() => []);
    for (const c of members) parts[label.get(c)!].push(c);
    for (let r = 0; r < k; r++) {
      let sx = 0;
      let sy = 0;
      for (const c of parts[r]) {
        sx += cells[c].x;
        sy += cells[c].y;
      }
      sites[r] = [sx / parts[r].length, sy / parts[r].length];
    }
  }
  return parts;
}

// ---------------------------------------------------------------------------------------------
// Points inside grids.

/** A random point inside `ring` at least `marginKm` from its boundary (margin relaxed if needed). */
function pointInside(rng: Prng, ring: Ring, bbox: [number, number, number, number], marginKm: number): [number, number] {
  let margin = marginKm;
  for (let round = 0; round < 4; round++, margin /= 2)
    for (let t = 0; t < 25; t++) {
      const x = round6(rng.range(bbox[0], bbox[2]));
      const y = round6(rng.range(bbox[1], bbox[3]));
      if (pointInRing(x, y, ring) && ringBoundaryDistance(x, y, ring, KX, KY) >= margin) return [x, y];
    }
  const [x, y] = ringCentroid(ring);
  return [round6(x), round6(y)];
}

/** A random point within `radiusKm` of (x, y) and inside `ring`; (x, y) itself if none is found. */
function pointNear(rng: Prng, x: number, y: number, radiusKm: number, ring: Ring): [number, number] {
  for (let t = 0; t < 12; t++) {
    const dx = rng.range(-radiusKm, radiusKm);
    const dy = rng.range(-radiusKm, radiusKm);
    if (dx * dx + dy * dy > radiusKm * radiusKm) continue;
    const px = round6(x + dx / KX);
    const py = round6(y + dy / KY);
    if (pointInRing(px, py, ring)) return [px, py];
  }
  return [x, y];
}

// ---------------------------------------------------------------------------------------------

function personName(rng: Prng): string {
  const given = rng.chance(0.72) ? rng.pick(GIVEN_CHARS) + rng.pick(GIVEN_CHARS) : rng.pick(GIVEN_CHARS);
  return rng.pick(SURNAMES) + given;
}

const PHONE_PREFIXES = ['130', '131', '132', '133', '135', '136', '137', '138', '139', '150', '151', '152', '153', '155', '156', '157', '158', '159', '180', '181', '182', '183', '185', '186', '187', '188', '189'];

function phoneNumber(rng: Prng, used: Set<string>): string {
  for (;;) {
    const p = rng.pick(PHONE_PREFIXES) + String(rng.int(0, 99_999_999)).padStart(8, '0');
    if (!used.has(p)) {
      used.add(p);
      return p;
    }
  }
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

type CommunityCategory = 'urban' | 'town' | 'village';
/** Relative address density per grid. */
const DENSITY: Record<CommunityCategory, number> = { urban: 2.2, town: 1.5, village: 0.8 };

interface CommunityInfo {
  org: OrgRecord;
  streetIndex: number;
  category: CommunityCategory;
  cells: number[];
  grids: GridRecord[];
}

export function generateDemoDistrict(opts: DemoOptions = {}): DemoDistrict {
  const seed = opts.seed ?? DEMO_DEFAULT_SEED;
  const scale = opts.scale ?? 1;
  if (!Number.isFinite(seed)) throw new Error('generateDemoDistrict: seed must be a finite number');
  if (!(scale > 0) || !Number.isFinite(scale)) throw new Error('generateDemoDistrict: scale must be a positive number');

  // ---- organisations (ids depend on the seed only) ----
  const orgRng = new Prng(seed, 'orgs');
  const orgs: OrgRecord[] = [];
  const district: OrgRecord = { id: orgRng.uuid(), parentId: null, kind: 'district', deptType: null, code: DEMO_DISTRICT_CODE, name: '海宁市' };
  orgs.push(district);
  const streetOrgs = DEMO_STREETS.map((s, si) => {
    const o: OrgRecord = { id: orgRng.uuid(), parentId: district.id, kind: 'street', deptType: null, code: DEMO_DISTRICT_CODE + pad(si + 1, 3), name: s.name };
    orgs.push(o);
    return o;
  });
  const communityOrgs = DEMO_STREETS.map((s, si) =>
    s.communities.map((name, ci) => {
      const o: OrgRecord = { id: orgRng.uuid(), parentId: streetOrgs[si].id, kind: 'community', deptType: 'community', code: streetOrgs[si].code + pad(ci + 1, 3), name };
      orgs.push(o);
      return o;
    }),
  );
  const deptOrgs = (Object.keys(DEMO_DEPARTMENTS) as Exclude<DeptType, 'community'>[]).map((t) => {
    const o: OrgRecord = { id: orgRng.uuid(), parentId: district.id, kind: 'department', deptType: t, code: `${DEMO_DISTRICT_CODE}-D-${t}`, name: DEMO_DEPARTMENTS[t] };
    orgs.push(o);
    return o;
  });
  const commandOrg: OrgRecord = { id: orgRng.uuid(), parentId: district.id, kind: 'agency', deptType: null, code: `${DEMO_DISTRICT_CODE}-A-command_center`, name: COMMAND_CENTRE_NAME };
  orgs.push(commandOrg);

  // ---- cells, streets, communities ----
  const nCommunities = DEMO_STREETS.reduce((a, s) => a + s.communities.length, 0);
  // At least 1.5 grids per community on average (so scales below ~0.56 keep 225 grids).
  const nGrids = Math.max(Math.round(DEMO_GRIDS_PER_SCALE * scale), Math.ceil(nCommunities * 1.5));
  const cells = buildCountyCells(seed, nGrids);
  const allCells = cells.map((_, k) => k);
  const streetPos = DEMO_STREETS.map((s) => toKm(s.lng, s.lat));
  const streetMins = DEMO_STREETS.map((s) => s.communities.length);
  const streetGoals = streetMins.map((m) => (m / nCommunities) * cells.length);
  const streetLabel = partition(cells, allCells, streetPos, streetGoals, streetMins);

  const communities: CommunityInfo[] = [];
  const gridRng = new Prng(seed, 'grids');
  const grids: GridRecord[] = [];
  DEMO_STREETS.forEach((s, si) => {
    const members = allCells.filter((c) => streetLabel.get(c) === si);
    const parts = splitIntoParts(cells, members, s.communities.length, streetPos[si]);
    // Communities (listed first) nearest the street/town centre, villages further out.
    const centroidDist = parts.map((p) => {
      let sx = 0;
      let sy = 0;
      for (const c of p) {
        sx += cells[c].x;
        sy += cells[c].y;
      }
      return dist(sx / p.length, sy / p.length, streetPos[si][0], streetPos[si][1]);
    });
    const byDistance = parts.map((_, k) => k).sort((a, b) => centroidDist[a] - centroidDist[b] || a - b);
    s.communities.forEach((name, ci) => {
      const part = parts[byDistance[ci]].slice().sort((a, b) => cells[b].j - cells[a].j || cells[a].i - cells[b].i);
      const org = communityOrgs[si][ci];
      const info: CommunityInfo = { org, streetIndex: si, category: name.endsWith('村') ? 'village' : s.town ? 'town' : 'urban', cells: part, grids: [] };
      const width = part.length > 99 ? 3 : 2;
      part.forEach((c, gi) => {
        const g: GridRecord = {
          id: gridRng.uuid(),
          code: org.code + pad(gi + 1, width),
          name: `${name}第${gi + 1}网格`,
          communityOrgId: org.id,
          geometry: { type: 'Polygon', coordinates: [cells[c].ring] } satisfies PolygonGeometry,
        };
        grids.push(g);
        info.grids.push(g);
      });
      communities.push(info);
    });
  });

  // ---- addresses ----
  const addresses = generateAddresses(seed, scale, cells, communities, streetLabel);

  // ---- users ----
  const userRng = new Prng(seed, 'users');
  const phones = new Set<string>();
  const users: UserSeed[] = [];
  const addUser = (username: string, displayName: string, orgId: string, roles: UserSeed['roles'], scopeOrgId: string | null, gridIds: string[] = []) =>
    users.push({ id: userRng.uuid(), username, displayName, phone: phoneNumber(userRng, phones), orgId, roles, scopeOrgId, gridIds });
  addUser('admin', '系统管理员', district.id, ['admin'], district.id);
  addUser('command', '指挥中心值班员', commandOrg.id, ['command_center'], district.id);
  addUser('auditor', '审计员', district.id, ['auditor'], district.id);
  for (const d of deptOrgs) addUser(`dept-${d.deptType}`, personName(userRng), d.id, ['dept_staff'], d.id);
  DEMO_STREETS.forEach((s, si) => addUser(`street-${s.key}`, personName(userRng), streetOrgs[si].id, ['community_staff'], streetOrgs[si].id));
  const gwWidth = Math.max(4, String(grids.length).length);
  grids.forEach((g, k) => addUser(`gw${pad(k + 1, gwWidth)}`, personName(userRng), g.communityOrgId, ['grid_worker'], g.communityOrgId, [g.id]));

  return { orgs, grids, addresses, users };
}

/** Lookup of the demo organisations: by kind, street/community name and department type. */
export interface DemoOrgIndex {
  district: OrgRecord;
  commandCentre: OrgRecord;
  /** By name, e.g. "硖石街道". */
  streets: Map<string, OrgRecord>;
  /** By name (unique in the county), e.g. "西山社区", "新仓村" — the same as the community-level address name. */
  communities: Map<string, OrgRecord>;
  departments: Map<DeptType, OrgRecord>;
}

export function indexDemoOrgs(orgs: readonly OrgRecord[]): DemoOrgIndex {
  const district = orgs.find((o) => o.kind === 'district');
  const commandCentre = orgs.find((o) => o.kind === 'agency' && o.code === `${DEMO_DISTRICT_CODE}-A-command_center`);
  if (!district || !commandCentre) throw new Error('indexDemoOrgs: not a demo district');
  return {
    district,
    commandCentre,
    streets: new Map(orgs.filter((o) => o.kind === 'street').map((o) => [o.name, o])),
    communities: new Map(orgs.filter((o) => o.kind === 'community').map((o) => [o.name, o])),
    departments: new Map(orgs.filter((o) => o.kind === 'department' && o.deptType).map((o) => [o.deptType!, o])),
  };
}

// ---------------------------------------------------------------------------------------------
// Address library.

function generateAddresses(seed: number, scale: number, cells: Cell[], communities: CommunityInfo[], streetLabel: Map<number, number>): AddressRecord[] {
  const rng = new Prng(seed, 'addresses');
  const out: AddressRecord[] = [];
  const add = (parent: AddressRecord | null, level: AddressLevel, name: string, lng: number, lat: number, gridId: string | null, aliases: string[] = []) => {
    const rec: AddressRecord = { id: rng.uuid(), parentId: parent ? parent.id : null, level, name, fullText: (parent ? parent.fullText : '') + name, aliases, lng, lat, gridId };
    out.push(rec);
    return rec;
  };

  // Roads: a disjoint set per street.
  const roadPrefixes = rng.shuffle(ROAD_PREFIXES);
  const perStreet = Math.floor(roadPrefixes.length / DEMO_STREETS.length);
  const roads = DEMO_STREETS.map((_, si) =>
    roadPrefixes.slice(si * perStreet, (si + 1) * perStreet).map((p) => p + rng.weighted(['路', '街', '大道'], [16, 3, 1])),
  );
  const usedRoadNumbers = new Set<string>();
  const roadAlias = (si: number): string => {
    for (let attempt = 0; ; attempt++) {
      const a = rng.pick(roads[si]) + rng.int(1, 300 + 20 * attempt) + '号';
      if (!usedRoadNumbers.has(a)) {
        usedRoadNumbers.add(a);
        return a;
      }
    }
  };

  // Names of estates: unique within the county when possible, always within the street.
  const usedCounty = new Set<string>();
  let usedStreet = new Set<string>();
  const uniqueName = (gen: () => string): string => {
    for (let t = 0; t < 40; t++) {
      const n = gen();
      if (!usedCounty.has(n) && !usedStreet.has(n)) return remember(n);
    }
    for (let t = 0; t < 40; t++) {
      const n = gen();
      if (!usedStreet.has(n)) return remember(n);
    }
    const base = gen();
    for (let k = 2; ; k++) {
      const n = `${base}${k}期`;
      if (!usedStreet.has(n)) return remember(n);
    }
  };
  const remember = (n: string) => {
    usedCounty.add(n);
    usedStreet.add(n);
    return n;
  };
  const estateName = () => rng.pick(ESTATE_PREFIXES) + rng.weighted(ESTATE_SUFFIXES, ESTATE_SUFFIX_WEIGHTS);
  const DIRECTIONS = '东西南北前后'.split('');
  const villageName = () =>
    rng.chance(0.85) ? rng.pick(VILLAGE_SURNAMES) + '家' + rng.pick(VILLAGE_SUFFIXES) : rng.pick(DIRECTIONS) + rng.pick(['庄', '埭', '浜', '港', '湾', '塘']);

  // Upper levels.
  const province = add(null, 'province', '浙江省', PROVINCE_POINT[0], PROVINCE_POINT[1], null);
  const city = add(province, 'city', '嘉兴市', CITY_POINT[0], CITY_POINT[1], null);
  const centroidOf = (cs: number[]): [number, number] => {
    let sx = 0;
    let sy = 0;
    for (const c of cs) {
      sx += cells[c].x;
      sy += cells[c].y;
    }
    return [sx / cs.length, sy / cs.length];
  };
  const countyC = centroidOf(cells.map((_, k) => k));
  const county = add(city, 'county', '海宁市', ...toDeg(countyC[0], countyC[1]), null);

  const upper = 3 + DEMO_STREETS.length + communities.length;
  const totalTarget = Math.round(DEMO_ADDRESSES_PER_SCALE * scale);
  const estateBudget = Math.max(totalTarget - upper, 0);
  let totalWeight = 0;
  for (const cm of communities) totalWeight += DENSITY[cm.category] * cm.grids.length;
  let cumulative = 0;
  let produced = 0;

  DEMO_STREETS.forEach((s, si) => {
    usedStreet = new Set<string>();
    const streetCells = cells.map((_, k) => k).filter((k) => streetLabel.get(k) === si);
    const sc = centroidOf(streetCells);
    let rep = streetCells[0];
    for (const c of streetCells) if (dist(cells[c].x, cells[c].y, sc[0], sc[1]) < dist(cells[rep].x, cells[rep].y, sc[0], sc[1])) rep = c;
    const repC = ringCentroid(cells[rep].ring);
    const street = add(county, 'street', s.name, round6(repC[0]), round6(repC[1]), null);

    for (const cm of communities) {
      if (cm.streetIndex !== si) continue;
      // Community office: in the grid nearest the community's centroid.
      const cc = centroidOf(cm.cells);
      let officeK = 0;
      cm.cells.forEach((c, k) => {
        if (dist(cells[c].x, cells[c].y, cc[0], cc[1]) < dist(cells[cm.cells[officeK]].x, cells[cm.cells[officeK]].y, cc[0], cc[1])) officeK = k;
      });
      const officeCell = cells[cm.cells[officeK]];
      const community = add(street, 'community', cm.org.name, ...pointInside(rng, officeCell.ring, officeCell.bbox, 0.05), cm.grids[officeK].id);

      cm.grids.forEach((g, gk) => {
        const cell = cells[cm.cells[gk]];
        cumulative += (estateBudget * DENSITY[cm.category]) / totalWeight;
        let allowed = Math.round(cumulative) - produced;
        let first = true;
        while (first || allowed >= 25) {
          const village = cm.category === 'village' && rng.chance(0.9);
          const size = village
            ? naturalVillage(community, cell, g.id, allowed, si)
            : estate(community, cell, g.id, allowed, si, cm.category);
          produced += size;
          allowed -= size;
          first = false;
        }
      });
    }
  });
  return out;

  function naturalVillage(parent: AddressRecord, cell: Cell, gridId: string, allowed: number, si: number): number {
    let houses = rng.int(10, 45);
    if (1 + houses > allowed) houses = Math.max(6, allowed - 1);
    const [x, y] = pointInside(rng, cell.ring, cell.bbox, 0.12);
    const e = add(parent, 'estate', uniqueName(villageName), x, y, gridId, [roadAlias(si)]);
    const radius = 0.08 + 0.02 * Math.sqrt(houses);
    for (let h = 1; h <= houses; h++) add(e, 'building', `${h}号`, ...pointNear(rng, x, y, radius, cell.ring), gridId);
    return 1 + houses;
  }

  function estate(parent: AddressRecord, cell: Cell, gridId: string, allowed: number, si: number, category: CommunityCategory): number {
    const highRise = rng.chance(category === 'urban' ? 0.22 : 0.1);
    let buildings: number;
    let units: number;
    let floors: number;
    let perFloor: number;
    if (highRise) {
      buildings = rng.int(2, 8);
      units = rng.int(1, 2);
      floors = rng.int(11, 26);
      perFloor = rng.pick([2, 2, 3, 4]);
    } else {
      buildings = rng.int(3, 14);
      units = rng.weighted([1, 2, 3], [3, 5, 2]);
      floors = rng.weighted([4, 5, 6, 7], [1, 3, 5, 2]);
      perFloor = 2;
    }
    let perBuilding = 1 + units * (1 + floors * perFloor);
    if (1 + buildings * perBuilding > allowed) {
      buildings = Math.max(1, Math.floor((allowed - 1) / perBuilding));
      if (1 + perBuilding > allowed) {
        // Small remainder: one low building.
        units = 1;
        perFloor = 2;
        floors = Math.min(7, Math.max(2, Math.floor((allowed - 3) / 2)));
        perBuilding = 1 + units * (1 + floors * perFloor);
      }
    }
    const [x, y] = pointInside(rng, cell.ring, cell.bbox, 0.12);
    const e = add(parent, 'estate', uniqueName(estateName), x, y, gridId, [roadAlias(si)]);
    const radius = 0.05 + 0.035 * Math.sqrt(buildings);
    for (let b = 1; b <= buildings; b++) {
      const [bx, by] = pointNear(rng, x, y, radius, cell.ring);
      const bRec = add(e, 'building', `${b}幢`, bx, by, gridId, [`${b}号楼`]);
      for (let u = 1; u <= units; u++) {
        const [ux, uy] = pointNear(rng, bx, by, 0.012, cell.ring);
        const uRec = add(bRec, 'unit', `${u}单元`, ux, uy, gridId);
        for (let f = 1; f <= floors; f++) for (let r = 1; r <= perFloor; r++) add(uRec, 'room', `${f}${pad(r, 2)}室`, ux, uy, gridId);
      }
    }
    return 1 + buildings * perBuilding;
  }
}
