/**
 * Planar geometry helpers of the demo generator and its tests.
 * Rings are arrays of [x, y] (for GeoJSON: [lng, lat]) and may be closed or open.
 */
import type { GridGeometry } from '../geo/geo.types.js';

export type Ring = number[][];

/** Round to 6 decimals (≈ 0.1 m), the precision of every generated coordinate. */
export function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

// Point-in-polygon is the geo module's, so the generator and the server agree exactly.
export { pointInRing, pointInGeometry as pointInPolygon } from '../geo/grid-index.js';

/** Signed shoelace area: positive for counter-clockwise rings. */
export function ringSignedArea(ring: Ring): number {
  let s = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) s += (ring[j][0] - ring[i][0]) * (ring[j][1] + ring[i][1]);
  return s / 2;
}

/** Area of a Polygon / MultiPolygon in squared coordinate units (outer minus holes). */
export function geometryArea(geometry: GridGeometry): number {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  let a = 0;
  for (const rings of polygons) rings.forEach((r, i) => (a += i === 0 ? Math.abs(ringSignedArea(r)) : -Math.abs(ringSignedArea(r))));
  return a;
}

/** Area-weighted centroid of a ring. */
export function ringCentroid(ring: Ring): [number, number] {
  let a = 0;
  let cx = 0;
  let cy = 0;
  const x0 = ring[0][0];
  const y0 = ring[0][1];
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const xi = ring[i][0] - x0;
    const yi = ring[i][1] - y0;
    const xj = ring[j][0] - x0;
    const yj = ring[j][1] - y0;
    const f = xj * yi - xi * yj;
    a += f;
    cx += (xi + xj) * f;
    cy += (yi + yj) * f;
  }
  if (a === 0) return [x0, y0];
  return [x0 + cx / (3 * a), y0 + cy / (3 * a)];
}

export function bboxOfRing(ring: Ring): [number, number, number, number] {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const [x, y] of ring) {
    if (x < minX) minX = x;
    if (y < minY) minY = y;
    if (x > maxX) maxX = x;
    if (y > maxY) maxY = y;
  }
  return [minX, minY, maxX, maxY];
}

/** Distance from (x, y) to segment (ax, ay)–(bx, by), with the x axis scaled by `kx` and y by `ky`. */
export function segmentDistance(x: number, y: number, ax: number, ay: number, bx: number, by: number, kx = 1, ky = 1): number {
  const px = (x - ax) * kx;
  const py = (y - ay) * ky;
  const dx = (bx - ax) * kx;
  const dy = (by - ay) * ky;
  const len2 = dx * dx + dy * dy;
  let t = len2 === 0 ? 0 : (px * dx + py * dy) / len2;
  if (t < 0) t = 0;
  else if (t > 1) t = 1;
  const ex = px - t * dx;
  const ey = py - t * dy;
  return Math.sqrt(ex * ex + ey * ey);
}

/** Distance from a point to the boundary of a ring (axes scaled by kx, ky). */
export function ringBoundaryDistance(x: number, y: number, ring: Ring, kx = 1, ky = 1): number {
  let d = Infinity;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const e = segmentDistance(x, y, ring[j][0], ring[j][1], ring[i][0], ring[i][1], kx, ky);
    if (e < d) d = e;
  }
  return d;
}

/**
 * Outer boundary of a set of polygons that tile a region with shared vertices: every edge used
 * once is a boundary edge (interior edges appear twice, in opposite directions). Returns the
 * boundary as closed rings (counter-clockwise for outer boundaries, clockwise for holes) and the
 * number of edges that were neither matched nor unique (0 for an exact tiling).
 */
export function tilingBoundary(geometries: GridGeometry[]): { rings: Ring[]; badEdges: number } {
  const key = (p: number[]) => `${p[0]},${p[1]}`;
  const edges = new Map<string, number>();
  const points = new Map<string, number[]>();
  for (const g of geometries) {
    const polygons = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
    for (const rings of polygons)
      for (const ring of rings) {
        const n = ring.length - (key(ring[0]) === key(ring[ring.length - 1]) ? 1 : 0);
        for (let i = 0; i < n; i++) {
          const a = ring[i];
          const b = ring[(i + 1) % n];
          points.set(key(a), a);
          const k = `${key(a)}>${key(b)}`;
          edges.set(k, (edges.get(k) ?? 0) + 1);
        }
      }
  }
  let badEdges = 0;
  const next = new Map<string, string[]>();
  for (const [k, count] of edges) {
    const [a, b] = k.split('>');
    const reverse = edges.get(`${b}>${a}`) ?? 0;
    if (count > 1 || reverse > 1) badEdges++;
    if (reverse === 0) {
      const list = next.get(a) ?? [];
      list.push(b);
      next.set(a, list);
    }
  }
  const rings: Ring[] = [];
  for (const start of [...next.keys()].sort()) {
    while ((next.get(start)?.length ?? 0) > 0) {
      const ring: Ring = [points.get(start)!];
      let cur = start;
      for (;;) {
        const list = next.get(cur)!;
        const nxt = list.pop()!;
        ring.push(points.get(nxt)!);
        cur = nxt;
        if (cur === start) break;
        if ((next.get(cur)?.length ?? 0) === 0) {
          badEdges++;
          break;
        }
      }
      rings.push(ring);
    }
  }
  return { rings, badEdges };
}
