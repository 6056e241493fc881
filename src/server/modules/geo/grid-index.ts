import Flatbush from 'flatbush';
import type { GridGeometry } from './geo.types.js';

export interface IndexedGrid {
  id: string;
  geometry: GridGeometry;
}

/** Even–odd ray casting over one ring of [lng, lat] positions. */
export function pointInRing(lng: number, lat: number, ring: number[][]): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > lat !== yj > lat && lng < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Point in a GeoJSON Polygon or MultiPolygon, holes respected. */
export function pointInGeometry(lng: number, lat: number, g: GridGeometry): boolean {
  const polygons = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
  for (const rings of polygons) {
    if (rings.length === 0 || !pointInRing(lng, lat, rings[0])) continue;
    let inHole = false;
    for (let h = 1; h < rings.length; h++) if (pointInRing(lng, lat, rings[h])) inHole = true;
    if (!inHole) return true;
  }
  return false;
}

export function bboxOf(g: GridGeometry): [number, number, number, number] {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  const polygons = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
  for (const rings of polygons)
    for (const [x, y] of rings[0] ?? []) {
      if (x < minX) minX = x;
      if (y < minY) minY = y;
      if (x > maxX) maxX = x;
      if (y > maxY) maxY = y;
    }
  return [minX, minY, maxX, maxY];
}

/**
 * Point-in-grid lookup: a packed Hilbert R-tree (Flatbush) over the grids' bounding boxes
 * narrows the search to a few candidates, then an exact polygon test decides.
 */
export class GridIndex {
  private readonly tree: Flatbush | null;
  constructor(private readonly grids: IndexedGrid[]) {
    if (grids.length === 0) {
      this.tree = null;
      return;
    }
    const tree = new Flatbush(grids.length);
    for (const g of grids) tree.add(...bboxOf(g.geometry));
    tree.finish();
    this.tree = tree;
  }

  get size(): number {
    return this.grids.length;
  }

  /** The id of the grid containing the point, or null. */
  locate(lng: number, lat: number): string | null {
    if (!this.tree) return null;
    const hits = this.tree.search(lng, lat, lng, lat);
    for (const i of hits) if (pointInGeometry(lng, lat, this.grids[i].geometry)) return this.grids[i].id;
    return null;
  }

  /** The reference the index is measured against: test every polygon. */
  locateBruteForce(lng: number, lat: number): string | null {
    for (const g of this.grids) if (pointInGeometry(lng, lat, g.geometry)) return g.id;
    return null;
  }
}
