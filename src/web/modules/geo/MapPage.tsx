/**
 * 总览地图: the district's grids on a full-height map, address search, and a statistics panel.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useLocation, useNavigate } from 'react-router-dom';
import { Alert, Button, Card, Descriptions, Drawer, Empty, Skeleton, Space, Spin, Tag, Tooltip, Typography } from 'antd';
import { BarChartOutlined, CloseOutlined, EnvironmentOutlined, TeamOutlined } from '@ant-design/icons';
import type { Feature, FeatureCollection, Geometry } from 'geojson';
import type { MapLayerMouseEvent } from 'maplibre-gl';
import { api, type AddressMatch, type GridDetail, type GridFeatureProps, type MapConfig, type Overview } from '../../api';
import { labels, translate, useI18n } from '../../i18n';
import { useAuth } from '../../app/auth';
import { useShowError } from '../../app/feedback';
import { formatCoord, formatNumber, percent } from '../../format';
import { BarChart } from '../../components/BarChart';
import {
  baseStyle,
  displayBounds,
  el,
  labelPoint,
  loadMapConfig,
  maplibregl,
  quietTileErrors,
  pointToDisplay,
  pointToWgs84,
  streetColors,
  toDisplay,
} from './map-support';
import { AddressSearchBox } from './address-search';

type GridFeature = Feature<Geometry, GridFeatureProps & { _color: string }>;

interface StreetInfo {
  id: string;
  name: string;
  color: string;
  count: number;
}

interface Selection {
  id: string;
  clicked: [number, number] | null;
}

/** Zoom from which grid names are drawn as HTML labels. */
const LABEL_MIN_ZOOM = 14;
const LABEL_MAX_COUNT = 300;

const ZOOM_BY_LEVEL: Record<string, number> = {
  province: 9,
  city: 10,
  county: 11,
  street: 13,
  community: 15,
  // Buildings and rooms stop at 16: the grid's outline and name stay in view around the marker.
  estate: 15.5,
  building: 16,
  unit: 16,
  room: 16,
};

export default function MapPage() {
  const { t, lang } = useI18n();
  const { can } = useAuth();
  const showError = useShowError();
  const navigate = useNavigate();
  const location = useLocation();

  const containerRef = useRef<HTMLDivElement>(null);
  const mapRef = useRef<maplibregl.Map | null>(null);
  const labelMarkers = useRef(new Map<string, maplibregl.Marker>());
  const labelPoints = useRef<{ id: string; name: string; point: [number, number] }[]>([]);
  const searchMarker = useRef<maplibregl.Marker | null>(null);
  const langRef = useRef(lang);
  langRef.current = lang;

  const [config, setConfig] = useState<MapConfig | null>(null);
  const [configError, setConfigError] = useState<string | null>(null);
  const [gridsLoading, setGridsLoading] = useState(false);
  const [streets, setStreets] = useState<StreetInfo[]>([]);
  const [overview, setOverview] = useState<Overview | null>(null);
  const [panelOpen, setPanelOpen] = useState(() => localStorage.getItem('zhian.mapPanel') !== '0');
  const [selection, setSelection] = useState<Selection | null>(null);
  const [detail, setDetail] = useState<GridDetail | null>(null);
  const [detailLoading, setDetailLoading] = useState(false);
  const [mapReady, setMapReady] = useState(false);

  // ------------------------------------------------------------ data
  useEffect(() => {
    loadMapConfig()
      .then(setConfig)
      .catch((e: unknown) => {
        setConfigError(e instanceof Error ? e.message : String(e));
        showError(e);
      });
    api.stats
      .overview()
      .then(setOverview)
      .catch(() => setOverview(null));
  }, [showError]);

  // ------------------------------------------------------------ map
  const updateLabels = useCallback(() => {
    const map = mapRef.current;
    if (!map) return;
    const markers = labelMarkers.current;
    if (map.getZoom() < LABEL_MIN_ZOOM) {
      markers.forEach((m) => m.remove());
      markers.clear();
      return;
    }
    const b = map.getBounds();
    const visible = new Set<string>();
    for (const lp of labelPoints.current) {
      if (visible.size >= LABEL_MAX_COUNT) break;
      if (!b.contains(lp.point)) continue;
      visible.add(lp.id);
      if (!markers.has(lp.id)) {
        const m = new maplibregl.Marker({ element: el('div', 'za-grid-label', lp.name), anchor: 'center' }).setLngLat(lp.point).addTo(map);
        markers.set(lp.id, m);
      }
    }
    for (const [id, m] of markers) {
      if (!visible.has(id)) {
        m.remove();
        markers.delete(id);
      }
    }
  }, []);

  useEffect(() => {
    if (!config || !containerRef.current) return;
    const cs = config.tileCoordSystem;
    const map = new maplibregl.Map({
      container: containerRef.current,
      style: baseStyle(config),
      bounds: displayBounds(config),
      fitBoundsOptions: { padding: 24 },
      attributionControl: false,
      maxZoom: 19,
      dragRotate: false,
      pitchWithRotate: false,
    });
    quietTileErrors(map);
    mapRef.current = map;
    map.touchZoomRotate.disableRotation();
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'bottom-right');
    map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');

    const ro = new ResizeObserver(() => map.resize());
    ro.observe(containerRef.current);

    let hoveredId: string | null = null;
    let disposed = false;

    map.on('load', async () => {
      setMapReady(true);
      if (!can('grid.read')) return;
      setGridsLoading(true);
      try {
        const fc = (await api.grids.features(config.bounds)) as FeatureCollection<Geometry, GridFeatureProps>;
        if (disposed) return;
        const streetNames = new Map<string, string>();
        for (const f of fc.features) if (f.properties?.streetId) streetNames.set(f.properties.streetId, f.properties.streetName ?? '');
        const colors = streetColors([...streetNames].map(([id, name]) => ({ id, name })));
        const counts = new Map<string, number>();
        const points: { id: string; name: string; point: [number, number] }[] = [];
        const display = maplibreFeatures(fc, cs, colors, counts, points);
        labelPoints.current = points;
        setStreets(
          [...streetNames].map(([id, name]) => ({ id, name, color: colors.get(id) ?? '#64748b', count: counts.get(id) ?? 0 })).sort((a, b) => a.name.localeCompare(b.name, 'zh-CN')),
        );

        map.addSource('grids', { type: 'geojson', data: display, promoteId: 'id' });
        map.addLayer({
          id: 'grid-fill',
          type: 'fill',
          source: 'grids',
          paint: {
            'fill-color': ['get', '_color'],
            'fill-opacity': [
              'case',
              ['boolean', ['feature-state', 'hover'], false],
              config.tileUrl ? 0.45 : 0.55,
              config.tileUrl ? 0.22 : 0.32,
            ],
          },
        });
        map.addLayer({
          id: 'grid-line',
          type: 'line',
          source: 'grids',
          paint: {
            'line-color': ['get', '_color'],
            'line-width': ['interpolate', ['linear'], ['zoom'], 9, 0.5, 13, 1, 16, 2],
            'line-opacity': 0.9,
          },
        });
        map.addLayer({
          id: 'grid-selected',
          type: 'line',
          source: 'grids',
          filter: ['==', ['get', 'id'], ''],
          paint: { 'line-color': '#0f172a', 'line-width': 3 },
        });
        updateLabels();
      } catch (e) {
        if (!disposed) showError(e);
      } finally {
        if (!disposed) setGridsLoading(false);
      }
    });

    map.on('mousemove', 'grid-fill', (e: MapLayerMouseEvent) => {
      const id = e.features?.[0]?.properties?.id as string | undefined;
      if (!id) return;
      map.getCanvas().style.cursor = 'pointer';
      if (hoveredId === id) return;
      if (hoveredId) map.setFeatureState({ source: 'grids', id: hoveredId }, { hover: false });
      hoveredId = id;
      map.setFeatureState({ source: 'grids', id }, { hover: true });
    });
    map.on('mouseleave', 'grid-fill', () => {
      map.getCanvas().style.cursor = '';
      if (hoveredId) map.setFeatureState({ source: 'grids', id: hoveredId }, { hover: false });
      hoveredId = null;
    });
    map.on('click', 'grid-fill', (e: MapLayerMouseEvent) => {
      const id = e.features?.[0]?.properties?.id as string | undefined;
      if (!id) return;
      setSelection({ id, clicked: pointToWgs84(e.lngLat.lng, e.lngLat.lat, cs) });
    });
    map.on('moveend', updateLabels);

    const markers = labelMarkers.current;
    return () => {
      disposed = true;
      ro.disconnect();
      markers.forEach((m) => m.remove());
      markers.clear();
      searchMarker.current?.remove();
      searchMarker.current = null;
      map.remove();
      mapRef.current = null;
      setMapReady(false);
    };
  }, [config, can, showError, updateLabels]);

  // Highlight the selected grid and load its details (workers are not in the map layer).
  useEffect(() => {
    const map = mapRef.current;
    if (map?.getLayer('grid-selected')) map.setFilter('grid-selected', ['==', ['get', 'id'], selection?.id ?? '']);
    if (!selection) {
      setDetail(null);
      return;
    }
    let cancelled = false;
    setDetailLoading(true);
    api.grids
      .get(selection.id)
      .then((d) => !cancelled && setDetail(d))
      .catch((e: unknown) => !cancelled && showError(e))
      .finally(() => !cancelled && setDetailLoading(false));
    return () => {
      cancelled = true;
    };
  }, [selection, showError]);

  // ------------------------------------------------------------ search
  const showMatch = useCallback(
    (m: AddressMatch) => {
      const map = mapRef.current;
      if (!map || !config) return;
      const l = langRef.current;
      const point = pointToDisplay(m.lng, m.lat, config.tileCoordSystem);
      map.flyTo({ center: point, zoom: Math.max(map.getZoom(), ZOOM_BY_LEVEL[m.level] ?? 16), speed: 1.6 });

      const box = el('div', 'za-popup');
      box.appendChild(el('div', 'za-popup-title', m.fullText));
      const row = (label: string, value: string) => {
        const r = el('div', 'za-popup-row');
        r.appendChild(el('span', 'za-popup-label', label));
        const v = el('span', 'za-popup-value', value);
        r.appendChild(v);
        box.appendChild(r);
        return v;
      };
      row(translate(l, 'addr.level'), labels.level(l, m.level));
      const gridEl = row(translate(l, 'common.grid'), m.gridName ?? '—');
      const communityEl = row(translate(l, 'common.community'), translate(l, 'common.loading'));
      const streetEl = row(translate(l, 'common.street'), '');
      row(translate(l, 'common.coords'), formatCoord(m.lng, m.lat));
      row(translate(l, 'map.confidence'), percent(m.confidence));

      api.grids
        .locate(m.lng, m.lat)
        .then((loc) => {
          gridEl.textContent = loc.grid?.name ?? m.gridName ?? '—';
          communityEl.textContent = loc.community?.name ?? '—';
          streetEl.textContent = loc.street?.name ?? '—';
        })
        .catch(() => {
          communityEl.textContent = m.gridName ? '—' : translate(l, 'map.outsideGrids');
          streetEl.textContent = '—';
        });

      searchMarker.current?.remove();
      const popup = new maplibregl.Popup({ offset: 28, maxWidth: '340px', closeButton: true }).setDOMContent(box);
      searchMarker.current = new maplibregl.Marker({ color: '#dc2626' }).setLngLat(point).setPopup(popup).addTo(map);
      searchMarker.current.togglePopup();
      if (m.gridId && map.getLayer('grid-selected')) map.setFilter('grid-selected', ['==', ['get', 'id'], m.gridId]);
    },
    [config],
  );

  // Other pages send an address here ("在地图中定位") through the navigation state.
  const incoming = (location.state as { showAddress?: AddressMatch } | null)?.showAddress;
  useEffect(() => {
    if (!incoming || !mapReady) return;
    showMatch(incoming);
    navigate('.', { replace: true, state: null });
  }, [incoming, mapReady, showMatch, navigate]);

  // ------------------------------------------------------------ view
  const colorByStreet = useMemo(() => new Map(streets.flatMap((s) => [[s.id, s.color] as const, [s.name, s.color] as const])), [streets]);
  const chartData = useMemo(
    () =>
      (overview?.gridsByStreet ?? []).map((r) => ({
        name: r.street,
        value: r.count,
        color: (r.streetId && colorByStreet.get(r.streetId)) || colorByStreet.get(r.street),
      })),
    [overview, colorByStreet],
  );

  const stats: { key: string; label: string; value: number | undefined }[] = [
    { key: 'streets', label: t('map.stats.streets'), value: overview?.streets },
    { key: 'communities', label: t('map.stats.communities'), value: overview?.communities },
    { key: 'grids', label: t('map.stats.grids'), value: overview?.grids },
    { key: 'addresses', label: t('map.stats.addresses'), value: overview?.addresses },
    { key: 'users', label: t('map.stats.users'), value: overview?.users },
  ];

  const togglePanel = () => {
    const next = !panelOpen;
    setPanelOpen(next);
    localStorage.setItem('zhian.mapPanel', next ? '1' : '0');
  };

  return (
    <div className="za-map-wrap">
      <div ref={containerRef} className="za-map" />

      {configError && (
        <Alert className="za-map-error" type="error" showIcon message={t('map.loadFailed')} description={configError} />
      )}
      {!config && !configError && (
        <div className="za-center za-map-loading">
          <Spin />
        </div>
      )}

      {can('address.read') && (
        <div className="za-map-search">
          <AddressSearchBox onPick={showMatch} />
        </div>
      )}

      <div className="za-map-right">
        <div className="za-stats-strip">
          {stats.map((s) => (
            <div className="za-stat" key={s.key}>
              <div className="za-stat-value">{overview ? formatNumber(s.value, lang) : '–'}</div>
              <div className="za-stat-label">{s.label}</div>
            </div>
          ))}
          <Tooltip title={t('map.panel')}>
            <Button
              className="za-panel-toggle"
              type={panelOpen ? 'primary' : 'default'}
              icon={<BarChartOutlined />}
              onClick={togglePanel}
              aria-pressed={panelOpen}
            />
          </Tooltip>
        </div>
        {panelOpen && (
          <Card
            size="small"
            className="za-map-panel"
            title={t('map.gridsByStreet')}
            extra={<Button type="text" size="small" icon={<CloseOutlined />} onClick={togglePanel} aria-label={t('common.close')} />}
          >
            {overview ? (
              chartData.length ? (
                <BarChart data={chartData} height={Math.max(160, chartData.length * 26 + 24)} seriesName={t('map.gridCount')} />
              ) : (
                <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} />
              )
            ) : (
              <Skeleton active paragraph={{ rows: 4 }} />
            )}
            {streets.length > 0 && (
              <div className="za-legend">
                <div className="za-legend-title">{t('map.legend')}</div>
                {streets.map((s) => (
                  <div className="za-legend-item" key={s.id}>
                    <span className="za-swatch" style={{ background: s.color }} />
                    <span className="za-legend-name">{s.name}</span>
                    <span className="za-legend-count">{s.count}</span>
                  </div>
                ))}
              </div>
            )}
            <div className="za-map-mode">
              <Tag bordered={false} color={config?.tileUrl ? 'blue' : 'default'}>
                {config?.tileUrl ? `${t('map.tiles')} · ${config.tileCoordSystem.toUpperCase()}` : t('map.offline')}
              </Tag>
              {gridsLoading && <Spin size="small" />}
            </div>
          </Card>
        )}
      </div>

      <Drawer
        open={!!selection}
        onClose={() => setSelection(null)}
        mask={false}
        getContainer={false}
        width={340}
        title={
          <Space>
            <EnvironmentOutlined />
            {t('map.gridInfo')}
          </Space>
        }
        rootClassName="za-map-drawer"
      >
        {detailLoading && !detail ? (
          <Skeleton active />
        ) : detail ? (
          <>
            <Typography.Title level={5} style={{ marginTop: 0 }}>
              {detail.name}
            </Typography.Title>
            <Descriptions column={1} size="small" bordered styles={{ label: { width: 96 } }}>
              <Descriptions.Item label={t('grid.code')}>{detail.code}</Descriptions.Item>
              <Descriptions.Item label={t('common.community')}>{detail.communityName}</Descriptions.Item>
              <Descriptions.Item label={t('common.street')}>{detail.streetName}</Descriptions.Item>
              <Descriptions.Item label={t('common.gridWorkers')}>
                {detail.workers.length ? (
                  <Space size={[4, 4]} wrap>
                    {detail.workers.map((w) => (
                      <Tag key={w.id} icon={<TeamOutlined />} color="blue">
                        {w.displayName}
                      </Tag>
                    ))}
                  </Space>
                ) : (
                  <Typography.Text type="secondary">{t('map.noWorkers')}</Typography.Text>
                )}
              </Descriptions.Item>
              {selection?.clicked && (
                <Descriptions.Item label={t('map.clickedAt')}>
                  <Typography.Text copyable style={{ fontSize: 12 }}>
                    {formatCoord(selection.clicked[0], selection.clicked[1])}
                  </Typography.Text>
                </Descriptions.Item>
              )}
            </Descriptions>
            {can('grid.read') && (
              <Button style={{ marginTop: 12 }} block onClick={() => navigate(`/grids?open=${encodeURIComponent(detail.id)}`)}>
                {t('map.viewGrid')}
              </Button>
            )}
          </>
        ) : null}
      </Drawer>
    </div>
  );
}

/** Copies the features into display coordinates, colours them and collects label points. */
function maplibreFeatures(
  fc: FeatureCollection<Geometry, GridFeatureProps>,
  cs: MapConfig['tileCoordSystem'],
  colors: Map<string, string>,
  counts: Map<string, number>,
  points: { id: string; name: string; point: [number, number] }[],
): FeatureCollection<Geometry, GridFeatureProps & { _color: string }> {
  const features: GridFeature[] = [];
  for (const f of fc.features) {
    if (!f.geometry || !f.properties) continue;
    const p = f.properties;
    const street = p.streetId ?? '';
    counts.set(street, (counts.get(street) ?? 0) + 1);
    const label = labelPoint(f.geometry);
    if (label) points.push({ id: p.id, name: p.name, point: pointToDisplay(label[0], label[1], cs) });
    features.push({ type: 'Feature', geometry: f.geometry, properties: { ...p, _color: colors.get(street) ?? '#64748b' } });
  }
  const out: FeatureCollection<Geometry, GridFeatureProps & { _color: string }> = { type: 'FeatureCollection', features };
  // gcoord converts in place; the copied feature list is ours alone, the geometries come
  // straight from the fetched answer which nothing else holds.
  return toDisplay(out, cs);
}

