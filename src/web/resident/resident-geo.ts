/**
 * Which grid a point falls in, computed in the browser from the public grid outlines, so that
 * the resident sees "硖石街道 西山社区 第1网格" under the pin before submitting (and is warned
 * when the pin is outside the district). The server decides again on submit.
 */
import type { Position } from 'geojson';
import type { GridCollection, GridProps } from './resident-api';

function inRing(ring: Position[], x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const xi = ring[i][0];
    const yi = ring[i][1];
    const xj = ring[j][0];
    const yj = ring[j][1];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function inPolygon(rings: Position[][], x: number, y: number): boolean {
  if (!rings.length || !inRing(rings[0], x, y)) return false;
  for (let k = 1; k < rings.length; k++) if (inRing(rings[k], x, y)) return false;
  return true;
}

/** The grid containing the WGS-84 point, or null. */
export function gridAt(fc: GridCollection, lng: number, lat: number): GridProps | null {
  for (const f of fc.features) {
    const g = f.geometry;
    if (!g) continue;
    if (g.type === 'Polygon' && inPolygon(g.coordinates, lng, lat)) return f.properties;
    if (g.type === 'MultiPolygon' && g.coordinates.some((p) => inPolygon(p, lng, lat))) return f.properties;
  }
  return null;
}

/** "硖石街道 西山社区第1网格": street, community (unless the grid's name starts with it), grid. */
export function gridPlaceText(p: GridProps): string {
  const community = p.community && !p.name.startsWith(p.community) ? p.community : null;
  return [p.street, community, p.name].filter(Boolean).join(' ');
}

/** Drops the province and city the whole district shares: "浙江省嘉兴市海宁市硖石街道…" → "海宁市硖石街道…". */
export function shortAddress(full: string): string {
  return full.replace(/^浙江省/, '').replace(/^嘉兴市/, '');
}
