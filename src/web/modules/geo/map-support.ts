/**
 * Shared MapLibre plumbing for the console's maps.
 *
 * The district must be mappable on a network with no internet: without a configured tile
 * URL the style holds only a background colour and our own GeoJSON layers, and no glyphs or
 * sprites are referenced (text is drawn as HTML markers instead of symbol layers).
 * Our data is WGS-84; Chinese commercial tiles are GCJ-02, so when the tiles are GCJ-02 we
 * shift our geometry onto them for display and shift clicked points back before using them.
 */
import * as maplibregl from 'maplibre-gl';
import type { StyleSpecification } from 'maplibre-gl';
import maplibreWorkerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import 'maplibre-gl/dist/maplibre-gl.css';
import gcoord from 'gcoord';
import type { Feature, FeatureCollection, Geometry, Position } from 'geojson';
import { api, type CoordSystem, type MapConfig } from '../../api';

// The worker is bundled as an asset of our own build, never fetched from elsewhere.
maplibregl.setWorkerUrl(maplibreWorkerUrl);

export { maplibregl };

export const BACKGROUND = '#e8edf3';

let configPromise: Promise<MapConfig> | null = null;

/** The server's map configuration, fetched once per page load. */
export function loadMapConfig(): Promise<MapConfig> {
  if (!configPromise) {
    configPromise = api.map.config().catch((e: unknown) => {
      configPromise = null;
      throw e;
    });
  }
  return configPromise;
}

/** Expands the common "{s}" subdomain placeholder, which MapLibre does not understand. */
function tileTemplates(url: string): string[] {
  if (!url.includes('{s}')) return [url];
  return ['a', 'b', 'c'].map((s) => url.replace('{s}', s));
}

/**
 * Keeps an unreachable tile server from flooding the console: one warning, then silence.
 * Our own layers keep working without the base map.
 */
export function quietTileErrors(map: maplibregl.Map): void {
  let warned = false;
  map.on('error', (ev) => {
    const e = ev as unknown as { error?: { message?: string }; sourceId?: string };
    if (e.sourceId === 'basemap') {
      if (!warned) console.warn('base map tiles unavailable:', e.error?.message ?? e.error);
      warned = true;
      return;
    }
    console.error(e.error ?? ev);
  });
}

/** Base style: a plain background, plus the configured raster tiles if any. */
export function baseStyle(config: MapConfig): StyleSpecification {
  const style: StyleSpecification = {
    version: 8,
    sources: {},
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': BACKGROUND } }],
  };
  if (config.tileUrl) {
    style.sources.basemap = { type: 'raster', tiles: tileTemplates(config.tileUrl), tileSize: 256, maxzoom: 19 };
    style.layers.push({ id: 'basemap', type: 'raster', source: 'basemap' });
  }
  return style;
}

/** WGS-84 GeoJSON → the coordinate system of the tiles (in place: pass a copy you own). */
export function toDisplay<T extends FeatureCollection | Feature | Geometry>(geojson: T, cs: CoordSystem): T {
  if (cs !== 'gcj02') return geojson;
  return gcoord.transform(geojson as never, gcoord.WGS84, gcoord.GCJ02) as unknown as T;
}

/** A WGS-84 point → display coordinates. */
export function pointToDisplay(lng: number, lat: number, cs: CoordSystem): [number, number] {
  if (cs !== 'gcj02') return [lng, lat];
  const [x, y] = gcoord.transform([lng, lat], gcoord.WGS84, gcoord.GCJ02);
  return [x, y];
}

/** A clicked display point → WGS-84. */
export function pointToWgs84(lng: number, lat: number, cs: CoordSystem): [number, number] {
  if (cs !== 'gcj02') return [lng, lat];
  const [x, y] = gcoord.transform([lng, lat], gcoord.GCJ02, gcoord.WGS84);
  return [x, y];
}

/** The configured bounds in display coordinates. */
export function displayBounds(config: MapConfig): [[number, number], [number, number]] {
  const [minLng, minLat, maxLng, maxLat] = config.bounds;
  return [pointToDisplay(minLng, minLat, config.tileCoordSystem), pointToDisplay(maxLng, maxLat, config.tileCoordSystem)];
}

/** Bounding box [minLng, minLat, maxLng, maxLat] of any geometry. */
export function geometryBounds(geometry: Geometry): [number, number, number, number] | null {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  const visit = (c: unknown): void => {
    if (!Array.isArray(c)) return;
    if (typeof c[0] === 'number' && typeof c[1] === 'number') {
      const [x, y] = c as Position;
      if (x < minX) minX = x;
      if (y < minY) minY = y;
      if (x > maxX) maxX = x;
      if (y > maxY) maxY = y;
      return;
    }
    for (const child of c) visit(child);
  };
  if (geometry.type === 'GeometryCollection') {
    for (const g of geometry.geometries) {
      const b = geometryBounds(g);
      if (b) {
        visit([b[0], b[1]]);
        visit([b[2], b[3]]);
      }
    }
  } else visit(geometry.coordinates);
  return Number.isFinite(minX) ? [minX, minY, maxX, maxY] : null;
}

function ringArea(ring: Position[]): number {
  let a = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) a += (ring[j][0] + ring[i][0]) * (ring[j][1] - ring[i][1]);
  return a / 2;
}

function ringCentroid(ring: Position[]): [number, number] | null {
  let a = 0;
  let cx = 0;
  let cy = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const f = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
    a += f;
    cx += (ring[j][0] + ring[i][0]) * f;
    cy += (ring[j][1] + ring[i][1]) * f;
  }
  if (Math.abs(a) < 1e-14) return null;
  return [cx / (3 * a), cy / (3 * a)];
}

/** A point to hang a label on: the centroid of the largest outer ring, or the bbox centre. */
export function labelPoint(geometry: Geometry): [number, number] | null {
  let rings: Position[][] = [];
  if (geometry.type === 'Polygon') rings = [geometry.coordinates[0]];
  else if (geometry.type === 'MultiPolygon') rings = geometry.coordinates.map((p) => p[0]);
  let best: Position[] | null = null;
  let bestArea = -1;
  for (const r of rings) {
    if (!r || r.length < 3) continue;
    const area = Math.abs(ringArea(r));
    if (area > bestArea) {
      bestArea = area;
      best = r;
    }
  }
  const c = best ? ringCentroid(best) : null;
  if (c) return c;
  const b = geometryBounds(geometry);
  return b ? [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2] : null;
}

/** Distinct, calm colours for streets (fills are drawn translucent). */
export const STREET_PALETTE = [
  '#2563eb',
  '#16a34a',
  '#d97706',
  '#9333ea',
  '#dc2626',
  '#0891b2',
  '#65a30d',
  '#db2777',
  '#4f46e5',
  '#ca8a04',
  '#0d9488',
  '#ea580c',
  '#7c3aed',
  '#059669',
  '#be123c',
  '#0284c7',
];

/** Stable street → colour assignment, ordered by street name so colours do not shuffle. */
export function streetColors(streets: { id: string; name: string }[]): Map<string, string> {
  const sorted = [...streets].sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'));
  const m = new Map<string, string>();
  sorted.forEach((s, i) => m.set(s.id, STREET_PALETTE[i % STREET_PALETTE.length]));
  return m;
}

/** Builds a small DOM element with text content only (never HTML from data). */
export function el(tag: string, className?: string, text?: string): HTMLElement {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}
