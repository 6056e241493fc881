/**
 * The map of the 事件中枢 pages, drawn offline from our own GeoJSON like the overview map:
 * - pick mode (intake, patrol): grid outlines, click to place a draggable pin;
 * - a case (detail): its point and its grid;
 * - many cases (list): points coloured by status, a popup per point.
 * Loaded lazily (default export) so MapLibre only loads with the pages that show a map.
 */
import { useEffect, useRef, useState } from 'react';
import { Alert, Spin } from 'antd';
import type { Feature, FeatureCollection, Geometry, Point } from 'geojson';
import type { GeoJSONSource, MapLayerMouseEvent } from 'maplibre-gl';
import { api, type MapConfig } from '../../api';
import { useI18n } from '../../i18n';
import {
  baseStyle,
  displayBounds,
  el,
  geometryBounds,
  loadMapConfig,
  maplibregl,
  pointToDisplay,
  pointToWgs84,
  quietTileErrors,
  toDisplay,
} from '../geo/map-support';

export interface MapPoint {
  id: string;
  lng: number;
  lat: number;
  color: string;
  title: string;
  lines?: string[];
}

export interface ReportMapProps {
  height?: number | string;
  /** The pin (WGS-84); with onPick the map is a picker: click places it, dragging moves it. */
  pin?: { lng: number; lat: number } | null;
  onPick?: (lng: number, lat: number) => void;
  /** Draws every grid's outline (for picking a place). */
  showGrids?: boolean;
  /** Highlights one grid (fetched by id) and frames it. */
  gridId?: string | null;
  points?: MapPoint[];
  /** The popup of a point gets a button calling this. */
  onOpen?: (id: string) => void;
  openLabel?: string;
  legend?: React.ReactNode;
  testId?: string;
}

const EMPTY: FeatureCollection = { type: 'FeatureCollection', features: [] };

export default function ReportMap({ height = 360, pin, onPick, showGrids, gridId, points, onOpen, openLabel, legend, testId = 'report-map' }: ReportMapProps) {
  const { t } = useI18n();
  const ref = useRef<HTMLDivElement>(null);
  const mapRef = useRef<maplibregl.Map | null>(null);
  const markerRef = useRef<maplibregl.Marker | null>(null);
  const [config, setConfig] = useState<MapConfig | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [ready, setReady] = useState(false);
  const [loadingGrids, setLoadingGrids] = useState(false);
  const onPickRef = useRef(onPick);
  onPickRef.current = onPick;
  const onOpenRef = useRef(onOpen);
  onOpenRef.current = onOpen;
  const openLabelRef = useRef(openLabel);
  openLabelRef.current = openLabel;
  const pointsRef = useRef(points);
  pointsRef.current = points;

  useEffect(() => {
    loadMapConfig()
      .then(setConfig)
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, []);

  // ------------------------------------------------------------ the map
  useEffect(() => {
    if (!config || !ref.current) return;
    const cs = config.tileCoordSystem;
    const map = new maplibregl.Map({
      container: ref.current,
      style: baseStyle(config),
      bounds: displayBounds(config),
      fitBoundsOptions: { padding: 16 },
      attributionControl: false,
      dragRotate: false,
      pitchWithRotate: false,
      maxZoom: 19,
    });
    quietTileErrors(map);
    map.touchZoomRotate.disableRotation();
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    mapRef.current = map;

    map.on('load', () => {
      map.addSource('grids', { type: 'geojson', data: EMPTY });
      map.addLayer({ id: 'grids-fill', type: 'fill', source: 'grids', paint: { 'fill-color': '#94a3b8', 'fill-opacity': 0.08 } });
      map.addLayer({
        id: 'grids-line',
        type: 'line',
        source: 'grids',
        paint: { 'line-color': '#64748b', 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 0.4, 15, 1.2], 'line-opacity': 0.8 },
      });
      map.addSource('grid-hl', { type: 'geojson', data: EMPTY });
      map.addLayer({ id: 'grid-hl-fill', type: 'fill', source: 'grid-hl', paint: { 'fill-color': '#1d4ed8', 'fill-opacity': 0.14 } });
      map.addLayer({ id: 'grid-hl-line', type: 'line', source: 'grid-hl', paint: { 'line-color': '#1d4ed8', 'line-width': 2 } });
      map.addSource('points', { type: 'geojson', data: EMPTY });
      map.addLayer({
        id: 'points',
        type: 'circle',
        source: 'points',
        paint: {
          'circle-color': ['get', 'color'],
          'circle-radius': ['interpolate', ['linear'], ['zoom'], 9, 4, 15, 7],
          'circle-stroke-color': '#fff',
          'circle-stroke-width': 1.5,
        },
      });
      // The container may have had no size when the map was created (lazy mount): frame the district again.
      map.resize();
      map.fitBounds(displayBounds(config), { padding: 16, duration: 0 });
      setReady(true);
    });

    map.on('click', (e) => {
      const hit = map.queryRenderedFeatures(e.point, { layers: ['points'] })[0];
      if (hit) return;
      if (onPickRef.current) {
        const [lng, lat] = pointToWgs84(e.lngLat.lng, e.lngLat.lat, cs);
        onPickRef.current(round6(lng), round6(lat));
      }
    });
    map.on('mouseenter', 'points', () => (map.getCanvas().style.cursor = 'pointer'));
    map.on('mouseleave', 'points', () => (map.getCanvas().style.cursor = ''));
    map.on('click', 'points', (e: MapLayerMouseEvent) => {
      const id = e.features?.[0]?.properties?.id as string | undefined;
      const p = pointsRef.current?.find((x) => x.id === id);
      if (!p) return;
      const box = el('div', 'za-popup');
      box.appendChild(el('div', 'za-popup-title', p.title));
      for (const line of p.lines ?? []) box.appendChild(el('div', 'za-popup-row', line));
      if (onOpenRef.current) {
        const a = el('button', 'za-popup-link', openLabelRef.current ?? '→') as HTMLButtonElement;
        a.type = 'button';
        a.onclick = () => onOpenRef.current?.(p.id);
        box.appendChild(a);
      }
      new maplibregl.Popup({ offset: 10, maxWidth: '320px' }).setLngLat(e.lngLat).setDOMContent(box).addTo(map);
    });

    const ro = new ResizeObserver(() => map.resize());
    ro.observe(ref.current);
    return () => {
      ro.disconnect();
      markerRef.current?.remove();
      markerRef.current = null;
      map.remove();
      mapRef.current = null;
      setReady(false);
    };
  }, [config]);

  // ------------------------------------------------------------ grid outlines
  useEffect(() => {
    const map = mapRef.current;
    if (!map || !ready || !config || !showGrids) return;
    let cancelled = false;
    setLoadingGrids(true);
    api.grids
      .features(config.bounds)
      .then((fc) => {
        if (cancelled) return;
        (map.getSource('grids') as GeoJSONSource | undefined)?.setData(toDisplay(fc as FeatureCollection, config.tileCoordSystem));
      })
      .catch(() => undefined)
      .finally(() => !cancelled && setLoadingGrids(false));
    return () => {
      cancelled = true;
    };
  }, [ready, config, showGrids]);

  // ------------------------------------------------------------ one grid
  useEffect(() => {
    const map = mapRef.current;
    if (!map || !ready || !config) return;
    const source = map.getSource('grid-hl') as GeoJSONSource | undefined;
    if (!gridId) {
      source?.setData(EMPTY);
      return;
    }
    let cancelled = false;
    api.grids
      .get(gridId)
      .then((g) => {
        if (cancelled || !g.geometry) return;
        const display = toDisplay(structuredClone(g.geometry), config.tileCoordSystem);
        source?.setData({ type: 'Feature', geometry: display, properties: {} });
        const b = geometryBounds(display);
        if (b) map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 28, duration: 0, maxZoom: 17 });
      })
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [ready, config, gridId]);

  // ------------------------------------------------------------ the pin
  useEffect(() => {
    const map = mapRef.current;
    if (!map || !ready || !config) return;
    const cs = config.tileCoordSystem;
    if (!pin) {
      markerRef.current?.remove();
      markerRef.current = null;
      return;
    }
    const at = pointToDisplay(pin.lng, pin.lat, cs);
    if (!markerRef.current) {
      const m = new maplibregl.Marker({ color: '#dc2626', draggable: !!onPickRef.current }).setLngLat(at).addTo(map);
      m.on('dragend', () => {
        const ll = m.getLngLat();
        const [lng, lat] = pointToWgs84(ll.lng, ll.lat, cs);
        onPickRef.current?.(round6(lng), round6(lat));
      });
      markerRef.current = m;
    } else markerRef.current.setLngLat(at);
    // Bring the pin into view when it came from elsewhere (an address, the GPS).
    if (!gridId && (!map.getBounds().contains(at) || map.getZoom() < 14)) map.flyTo({ center: at, zoom: Math.max(map.getZoom(), 15), speed: 1.8 });
  }, [ready, config, pin, gridId]);

  // ------------------------------------------------------------ points
  useEffect(() => {
    const map = mapRef.current;
    if (!map || !ready || !config) return;
    const cs = config.tileCoordSystem;
    const features: Feature<Point>[] = (points ?? []).map((p) => ({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: pointToDisplay(p.lng, p.lat, cs) },
      properties: { id: p.id, color: p.color },
    }));
    (map.getSource('points') as GeoJSONSource | undefined)?.setData({ type: 'FeatureCollection', features } as FeatureCollection<Geometry>);
    if (features.length > 1) {
      const b = geometryBounds({ type: 'MultiPoint', coordinates: features.map((f) => f.geometry.coordinates) });
      if (b) map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 40, duration: 0, maxZoom: 16 });
    } else if (features.length === 1 && !gridId) map.jumpTo({ center: features[0].geometry.coordinates as [number, number], zoom: 15 });
  }, [ready, config, points, gridId]);

  if (error) return <Alert type="error" showIcon message={t('map.loadFailed')} description={error} />;
  return (
    <div className="za-report-map" style={{ height }} data-testid={testId}>
      <div ref={ref} className="za-report-map-canvas" />
      {(!config || loadingGrids) && (
        <div className="za-report-map-spin">
          <Spin size="small" />
        </div>
      )}
      {legend && <div className="za-report-map-legend">{legend}</div>}
    </div>
  );
}

function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}
