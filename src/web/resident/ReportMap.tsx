/**
 * The small map of "我要反映": tap to drop a pin, drag it to adjust, expand to full screen for
 * precision. Loaded lazily with MapLibre. Without a tile URL the grid outlines are the base
 * map (as on the console's map). The pin is kept in WGS-84; only the display is shifted when
 * the tiles are GCJ-02.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { Alert, Button, Spin } from 'antd';
import { CompressOutlined, ExpandOutlined } from '@ant-design/icons';
import type { Feature, FeatureCollection, Geometry } from 'geojson';
import { baseStyle, displayBounds, el, labelPoint, maplibregl, pointToDisplay, pointToWgs84, quietTileErrors, streetColors, toDisplay } from '../modules/geo/map-support';
import { residentApi, type GridCollection, type GridProps, type PublicMapConfig } from './resident-api';
import type { RT } from './resident-i18n';

export interface ReportMapProps {
  /** The pin, WGS-84. */
  pin: { lng: number; lat: number } | null;
  /** Incremented by the page when the map should fly to the pin (GPS, address). */
  flyKey: number;
  onPick: (lng: number, lat: number) => void;
  t: RT;
}

const LABEL_MIN_ZOOM = 14.5;
const LABEL_MAX = 60;

export default function ReportMap({ pin, flyKey, onPick, t }: ReportMapProps) {
  const wrapRef = useRef<HTMLDivElement>(null);
  const containerRef = useRef<HTMLDivElement>(null);
  const mapRef = useRef<maplibregl.Map | null>(null);
  const markerRef = useRef<maplibregl.Marker | null>(null);
  const configRef = useRef<PublicMapConfig | null>(null);
  const onPickRef = useRef(onPick);
  onPickRef.current = onPick;
  const pinRef = useRef(pin);
  pinRef.current = pin;

  const [failed, setFailed] = useState(false);
  const [loading, setLoading] = useState(true);
  const [full, setFull] = useState(false);
  const [ready, setReady] = useState(false);

  const placeMarker = useCallback((p: { lng: number; lat: number } | null) => {
    const map = mapRef.current;
    const cfg = configRef.current;
    if (!map || !cfg) return;
    if (!p) {
      markerRef.current?.remove();
      markerRef.current = null;
      return;
    }
    const at = pointToDisplay(p.lng, p.lat, cfg.tileCoordSystem);
    if (!markerRef.current) {
      const m = new maplibregl.Marker({ color: '#dc2626', draggable: true }).setLngLat(at).addTo(map);
      m.getElement().setAttribute('data-testid', 'map-pin');
      m.on('dragend', () => {
        const ll = m.getLngLat();
        const [lng, lat] = pointToWgs84(ll.lng, ll.lat, cfg.tileCoordSystem);
        onPickRef.current(round6(lng), round6(lat));
      });
      markerRef.current = m;
    } else markerRef.current.setLngLat(at);
  }, []);

  useEffect(() => {
    let disposed = false;
    let map: maplibregl.Map | null = null;
    let ro: ResizeObserver | null = null;
    const labels = new Map<string, maplibregl.Marker>();

    (async () => {
      let cfg: PublicMapConfig;
      try {
        cfg = await residentApi.mapConfig();
      } catch {
        if (!disposed) {
          setFailed(true);
          setLoading(false);
        }
        return;
      }
      if (disposed || !containerRef.current) return;
      configRef.current = cfg;
      try {
        map = new maplibregl.Map({
          container: containerRef.current,
          style: baseStyle(cfg),
          bounds: displayBounds(cfg),
          fitBoundsOptions: { padding: 8 },
          attributionControl: false,
          maxZoom: 19,
          dragRotate: false,
          pitchWithRotate: false,
          cooperativeGestures: true,
          locale: {
            'CooperativeGesturesHandler.MobileHelpText': t('map.coop'),
            'CooperativeGesturesHandler.WindowsHelpText': t('map.coopDesktop'),
            'CooperativeGesturesHandler.MacHelpText': t('map.coopMac'),
          },
        });
      } catch (e) {
        // No WebGL (old phones, some privacy modes): the address box still works.
        console.warn('map unavailable', e);
        setFailed(true);
        setLoading(false);
        return;
      }
      const m = map;
      mapRef.current = m;
      quietTileErrors(m);
      m.touchZoomRotate.disableRotation();
      m.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'bottom-right');
      ro = new ResizeObserver(() => m.resize());
      ro.observe(containerRef.current);

      const cs = cfg.tileCoordSystem;
      const points: { id: string; name: string; point: [number, number] }[] = [];
      const updateLabels = () => {
        if (m.getZoom() < LABEL_MIN_ZOOM) {
          labels.forEach((l) => l.remove());
          labels.clear();
          return;
        }
        const b = m.getBounds();
        const visible = new Set<string>();
        for (const p of points) {
          if (visible.size >= LABEL_MAX) break;
          if (!b.contains(p.point)) continue;
          visible.add(p.id);
          if (!labels.has(p.id)) labels.set(p.id, new maplibregl.Marker({ element: el('div', 'za-grid-label', p.name), anchor: 'center' }).setLngLat(p.point).addTo(m));
        }
        for (const [id, l] of labels) {
          if (!visible.has(id)) {
            l.remove();
            labels.delete(id);
          }
        }
      };

      m.on('load', async () => {
        if (disposed) return;
        setLoading(false);
        setReady(true);
        placeMarker(pinRef.current);
        if (pinRef.current) m.jumpTo({ center: pointToDisplay(pinRef.current.lng, pinRef.current.lat, cs), zoom: 16 });
        let fc: GridCollection;
        try {
          fc = await residentApi.grids();
        } catch {
          return; // the pin still works on the bare background; the server checks the place
        }
        if (disposed) return;
        const display = displayGrids(fc, cs, points);
        m.addSource('grids', { type: 'geojson', data: display });
        m.addLayer(
          {
            id: 'grid-fill',
            type: 'fill',
            source: 'grids',
            paint: { 'fill-color': ['get', '_color'], 'fill-opacity': cfg.tileUrl ? 0.12 : 0.28 },
          },
          undefined,
        );
        m.addLayer({
          id: 'grid-line',
          type: 'line',
          source: 'grids',
          paint: { 'line-color': ['get', '_color'], 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 0.4, 14, 1, 17, 2], 'line-opacity': 0.85 },
        });
        updateLabels();
      });
      m.on('moveend', updateLabels);
      m.on('click', (e) => {
        const [lng, lat] = pointToWgs84(e.lngLat.lng, e.lngLat.lat, cs);
        onPickRef.current(round6(lng), round6(lat));
      });
    })();

    return () => {
      disposed = true;
      ro?.disconnect();
      labels.forEach((l) => l.remove());
      markerRef.current?.remove();
      markerRef.current = null;
      map?.remove();
      mapRef.current = null;
    };
    // The map is built once; the language of its help texts is fixed at that moment.
  }, [placeMarker]);

  // Follow the pin.
  useEffect(() => {
    if (ready) placeMarker(pin);
  }, [pin, ready, placeMarker]);

  // Fly to the pin when the page asks (GPS fix, address chosen).
  useEffect(() => {
    const map = mapRef.current;
    const cfg = configRef.current;
    const p = pinRef.current;
    if (!flyKey || !ready || !map || !cfg || !p) return;
    map.flyTo({ center: pointToDisplay(p.lng, p.lat, cfg.tileCoordSystem), zoom: Math.max(map.getZoom(), 16), speed: 1.8 });
  }, [flyKey, ready]);

  // Full screen: one finger pans; back in the page, two fingers (the page must scroll).
  useEffect(() => {
    const map = mapRef.current;
    if (!map) return;
    if (full) map.cooperativeGestures.disable();
    else map.cooperativeGestures.enable();
    document.body.style.overflow = full ? 'hidden' : '';
    const p = pinRef.current;
    const cfg = configRef.current;
    requestAnimationFrame(() => {
      map.resize();
      if (p && cfg) map.easeTo({ center: pointToDisplay(p.lng, p.lat, cfg.tileCoordSystem), duration: 0 });
    });
    return () => {
      document.body.style.overflow = '';
    };
  }, [full]);

  if (failed) return <Alert type="warning" showIcon message={t('map.loadFailed')} className="rz-gap-top" data-testid="map-unavailable" />;

  return (
    <div ref={wrapRef} className={full ? 'rz-map rz-map-full' : 'rz-map'}>
      <div ref={containerRef} className="rz-map-canvas" data-testid="report-map" aria-label={t('location.mapHint')} />
      {loading && (
        <div className="rz-map-loading">
          <Spin size="small" /> <span>{t('map.loading')}</span>
        </div>
      )}
      <Button
        className="rz-map-expand"
        size="middle"
        icon={full ? <CompressOutlined /> : <ExpandOutlined />}
        onClick={() => setFull((f) => !f)}
        aria-label={full ? t('map.done') : t('map.fullscreen')}
        data-testid="map-fullscreen"
      >
        {full ? t('map.done') : null}
      </Button>
      <div className="rz-map-hint">{t('location.mapHint')}</div>
    </div>
  );
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** Copies the grid outlines into display coordinates, coloured by street, and collects label points. */
function displayGrids(
  fc: GridCollection,
  cs: PublicMapConfig['tileCoordSystem'],
  points: { id: string; name: string; point: [number, number] }[],
): FeatureCollection<Geometry, GridProps & { _color: string }> {
  const streets = [...new Set(fc.features.map((f) => f.properties?.street ?? ''))];
  const colors = streetColors(streets.map((s) => ({ id: s, name: s })));
  const features: Feature<Geometry, GridProps & { _color: string }>[] = [];
  fc.features.forEach((f, i) => {
    if (!f.geometry || !f.properties) return;
    const label = labelPoint(f.geometry);
    if (label) points.push({ id: String(f.id ?? i), name: f.properties.name, point: pointToDisplay(label[0], label[1], cs) });
    // A deep copy: gcoord converts in place and the fetched collection is cached for the page.
    features.push({ type: 'Feature', geometry: structuredClone(f.geometry), properties: { ...f.properties, _color: colors.get(f.properties.street ?? '') ?? '#64748b' } });
  });
  return toDisplay({ type: 'FeatureCollection', features }, cs);
}
