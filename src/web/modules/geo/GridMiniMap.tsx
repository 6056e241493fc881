/**
 * A small map of one grid polygon, on the same offline-capable base style as the main map.
 */
import { useEffect, useRef, useState } from 'react';
import { Alert } from 'antd';
import type { Geometry } from 'geojson';
import type { MapConfig } from '../../api';
import { baseStyle, geometryBounds, loadMapConfig, maplibregl, quietTileErrors, toDisplay } from './map-support';

export default function GridMiniMap({ geometry, height = 240 }: { geometry: Geometry | null; height?: number }) {
  const ref = useRef<HTMLDivElement>(null);
  const mapRef = useRef<maplibregl.Map | null>(null);
  const [config, setConfig] = useState<MapConfig | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [ready, setReady] = useState(false);

  useEffect(() => {
    loadMapConfig()
      .then(setConfig)
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, []);

  useEffect(() => {
    if (!config || !ref.current) return;
    const map = new maplibregl.Map({
      container: ref.current,
      style: baseStyle(config),
      center: config.center,
      zoom: config.zoom,
      attributionControl: false,
      dragRotate: false,
    });
    quietTileErrors(map);
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    map.on('load', () => {
      map.addSource('grid', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
      map.addLayer({ id: 'grid-fill', type: 'fill', source: 'grid', paint: { 'fill-color': '#1d4ed8', 'fill-opacity': 0.22 } });
      map.addLayer({ id: 'grid-line', type: 'line', source: 'grid', paint: { 'line-color': '#1d4ed8', 'line-width': 2 } });
      setReady(true);
    });
    const ro = new ResizeObserver(() => map.resize());
    ro.observe(ref.current);
    mapRef.current = map;
    return () => {
      ro.disconnect();
      map.remove();
      mapRef.current = null;
      setReady(false);
    };
  }, [config]);

  useEffect(() => {
    const map = mapRef.current;
    if (!map || !ready || !config) return;
    const source = map.getSource('grid') as maplibregl.GeoJSONSource | undefined;
    if (!source) return;
    if (!geometry) {
      source.setData({ type: 'FeatureCollection', features: [] });
      return;
    }
    // gcoord converts in place: convert a copy, never the caller's geometry.
    const display = toDisplay(structuredClone(geometry), config.tileCoordSystem);
    source.setData({ type: 'Feature', geometry: display, properties: {} });
    const b = geometryBounds(display);
    if (b) map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 24, duration: 0, maxZoom: 18 });
  }, [geometry, ready, config]);

  if (error) return <Alert type="error" showIcon message={error} />;
  return <div ref={ref} className="za-mini-map" style={{ height }} />;
}
