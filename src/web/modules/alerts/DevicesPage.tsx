/**
 * 设备与监测: the registered devices (water-quality stations, smart water meters, door
 * access, camera alarm sources) as a table or on the map, online or not, with their latest
 * values; registering a device shows its secret once. The second tab holds the water
 * bodies with their target class and the GB 3838 water-quality calculator.
 */
import { useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { Badge, Button, Input, Segmented, Select, Space, Table, Tabs, Tooltip, Typography } from 'antd';
import { DownloadOutlined, EnvironmentOutlined, PlusOutlined, TableOutlined } from '@ant-design/icons';
import { useI18n } from '../../i18n';
import { useAuth } from '../../app/auth';
import { useBusy } from '../../app/feedback';
import { PageHeader } from '../../components/PageHeader';
import { tablePagination, useAllPages, usePagedList, useUrlListQuery } from '../../components/usePagedList';
import { formatTime } from '../../format';
import { LazyReportMap } from '../reports/ReportMapLazy';
import type { MapPoint } from '../reports/ReportMap';
import { shortTime } from '../reports/report-meta';
import { alertsApi, DEVICE_TYPES, type Device, type DeviceQuery, type DeviceType, type WaterBody } from './alerts-api';
import { deviceTypeLabel, indicatorLabel } from './alerts-meta';
import { DeviceFormModal, SecretModal } from './DeviceForms';
import { WaterBodiesTab } from './WaterBodiesTab';
import './alerts.css';

const MAP_LIMIT = 1000;
const TYPE_HEX: Record<DeviceType, string> = {
  water_quality: '#0284c7',
  water_meter: '#7c3aed',
  access_control: '#0d9488',
  camera_alarm: '#db2777',
  generic: '#475569',
};

function queryFromParams(p: URLSearchParams): DeviceQuery {
  const online = p.get('online');
  return {
    page: Number(p.get('page')) || 1,
    pageSize: Number(p.get('pageSize')) || 20,
    type: (p.get('type') as DeviceType) || undefined,
    q: p.get('q') || undefined,
    online: online === 'true' ? true : online === 'false' ? false : undefined,
    waterBodyId: p.get('waterBodyId') || undefined,
  };
}

const DEVICE_QUERY_KEYS = ['type', 'q', 'online', 'waterBodyId'] as const;

export default function DevicesPage() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const tab = params.get('tab') === 'water' ? 'water' : 'devices';
  return (
    <div className="za-page">
      <PageHeader title={t('nav.alerts.devices')} />
      <Tabs
        activeKey={tab}
        onChange={(k) => setParams(k === 'devices' ? {} : { tab: k }, { replace: true })}
        className="za-tabs-card"
        destroyOnHidden
        items={[
          { key: 'devices', label: t('al.devicesTab'), children: <DevicesTab /> },
          { key: 'water', label: t('al.waterTab'), children: <WaterBodiesTab /> },
        ]}
      />
    </div>
  );
}

function DevicesTab() {
  const { t, lang } = useI18n();
  const { can } = useAuth();
  const navigate = useNavigate();
  const { busy, run } = useBusy();
  const { query, view, setQuery, filter, reset } = useUrlListQuery(queryFromParams, DEVICE_QUERY_KEYS);
  const [keyword, setKeyword] = useState(query.q ?? '');
  const [version, setVersion] = useState(0);
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<{ code: string; secret: string } | null>(null);
  const [waterBodies, setWaterBodies] = useState<WaterBody[]>([]);

  useEffect(() => {
    alertsApi.waterBodies.list().then(setWaterBodies, () => undefined);
  }, []);

  const { data, loading } = usePagedList(alertsApi.devices.list, query, version);

  const mapItems = useAllPages(alertsApi.devices.list, query, { enabled: view === 'map', limit: MAP_LIMIT, reloadKey: version })?.items ?? null;

  const points = useMemo<MapPoint[]>(
    () =>
      (mapItems ?? [])
        .filter((d) => d.lng !== null && d.lat !== null)
        .map((d) => ({
          id: d.id,
          lng: d.lng!,
          lat: d.lat!,
          color: TYPE_HEX[d.type],
          title: `${d.code} · ${d.name}`,
          lines: [deviceTypeLabel(t, d.type), d.online ? t('al.online') : t('al.offline'), d.addressText ?? '', valuesText(t, d.lastValues)].filter(Boolean),
        })),
    [mapItems, t],
  );

  const legend = (
    <div className="za-status-legend">
      {DEVICE_TYPES.map((d) => (
        <span key={d}>
          <i style={{ background: TYPE_HEX[d] }} />
          {deviceTypeLabel(t, d)}
        </span>
      ))}
    </div>
  );

  return (
    <>
      <div className="za-filter-bar">
        <Input.Search
          allowClear
          enterButton
          placeholder={t('al.searchDevices')}
          style={{ width: 220 }}
          value={keyword}
          onChange={(e) => setKeyword(e.target.value)}
          onSearch={(v) => filter({ q: v.trim() || undefined })}
        />
        <Select
          allowClear
          placeholder={t('al.deviceType')}
          style={{ width: 140 }}
          value={query.type}
          options={DEVICE_TYPES.map((d) => ({ value: d, label: deviceTypeLabel(t, d) }))}
          onChange={(v?: DeviceType) => filter({ type: v })}
          data-testid="filter-device-type"
        />
        <Select
          allowClear
          placeholder={t('al.onlineState')}
          style={{ width: 110 }}
          value={query.online === undefined ? undefined : String(query.online)}
          options={[
            { value: 'true', label: t('al.online') },
            { value: 'false', label: t('al.offline') },
          ]}
          onChange={(v?: string) => filter({ online: v === undefined ? undefined : v === 'true' })}
        />
        {waterBodies.length > 0 && (
          <Select
            allowClear
            placeholder={t('al.waterBody')}
            style={{ width: 150 }}
            value={query.waterBodyId}
            options={waterBodies.map((w) => ({ value: w.id, label: w.name }))}
            onChange={(v?: string) => filter({ waterBodyId: v })}
          />
        )}
        <Button
          onClick={() => {
            setKeyword('');
            reset();
          }}
        >
          {t('common.reset')}
        </Button>
        <span style={{ flex: 1 }} />
        <Space wrap>
          <Segmented
            value={view}
            onChange={(v) => setQuery((q) => q, String(v))}
            options={[
              { value: 'table', icon: <TableOutlined />, label: t('rep.viewTable') },
              { value: 'map', icon: <EnvironmentOutlined />, label: t('rep.viewMap') },
            ]}
          />
          <Button icon={<DownloadOutlined />} loading={busy.xlsx} onClick={() => run('xlsx', () => alertsApi.devices.exportXlsx(query))}>
            {t('common.exportXlsx')}
          </Button>
          {can('alert.configure') && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="device-create">
              {t('al.newDevice')}
            </Button>
          )}
        </Space>
      </div>

      {view === 'map' ? (
        <LazyReportMap height="calc(100vh - 260px)" points={points} onOpen={(id) => navigate(`/alerts/devices/${id}`)} openLabel={t('common.detail')} legend={legend} showGrids testId="devices-map" />
      ) : (
        <Table<Device>
          size="small"
          bordered
          rowKey="id"
          loading={loading}
          dataSource={data.items}
          scroll={{ x: 1100 }}
          pagination={tablePagination(query, (u) => setQuery(u), data.total, (n) => t('common.total', { n }))}
          onRow={(r) => ({ 'data-testid': 'device-row', 'data-code': r.code }) as React.HTMLAttributes<HTMLElement>}
          columns={[
            {
              title: t('al.deviceCode'),
              dataIndex: 'code',
              width: 150,
              fixed: 'left',
              render: (v: string, r) => (
                <div>
                  <Link to={`/alerts/devices/${r.id}`} className="za-mono">
                    {v}
                  </Link>
                  <div className="za-cell-sub">{r.name}</div>
                </div>
              ),
            },
            { title: t('al.deviceType'), dataIndex: 'type', width: 110, render: (v: DeviceType) => deviceTypeLabel(t, v) },
            {
              title: t('al.onlineState'),
              dataIndex: 'online',
              width: 80,
              render: (v: boolean) => <Badge status={v ? 'success' : 'default'} text={v ? t('al.online') : t('al.offline')} />,
            },
            {
              title: t('al.latestValues'),
              key: 'values',
              ellipsis: { showTitle: false },
              render: (_: unknown, r) => {
                const text = valuesText(t, r.lastValues);
                return text ? (
                  <Tooltip title={text} placement="topLeft">
                    <span className="za-values">{text}</span>
                  </Tooltip>
                ) : (
                  <Typography.Text type="secondary">—</Typography.Text>
                );
              },
            },
            {
              title: t('al.lastReadingAt'),
              dataIndex: 'lastReadingAt',
              width: 100,
              render: (v: string | null) =>
                v ? (
                  <Tooltip title={formatTime(v, lang)}>
                    <span className="za-cell-time">{shortTime(v, lang)}</span>
                  </Tooltip>
                ) : (
                  <Typography.Text type="secondary">{t('al.never')}</Typography.Text>
                ),
            },
            {
              title: t('al.belongsTo'),
              key: 'belongs',
              width: 160,
              ellipsis: true,
              render: (_: unknown, r) => r.waterBody?.name ?? r.household?.label ?? r.owner ?? '—',
            },
            {
              title: t('al.address'),
              key: 'area',
              width: 200,
              ellipsis: { showTitle: false },
              render: (_: unknown, r) => (
                <Tooltip title={r.addressText} placement="topLeft">
                  {r.addressText ?? ([r.communityName, r.gridName].filter(Boolean).join(' · ') || '—')}
                </Tooltip>
              ),
            },
            { title: t('common.grid'), dataIndex: 'gridName', width: 120, ellipsis: true, render: (v: string | null) => v ?? '—' },
          ]}
        />
      )}

      <DeviceFormModal
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(r) => {
          setCreating(false);
          setSecret({ code: r.code, secret: r.secret });
          setVersion((v) => v + 1);
        }}
      />
      <SecretModal value={secret} onClose={() => setSecret(null)} />
    </>
  );
}

/** "氨氮 0.82 · 溶解氧 6.1" of the latest reading. */
export function valuesText(t: ReturnType<typeof useI18n>['t'], values: Record<string, number> | null | undefined): string {
  if (!values) return '';
  return Object.entries(values)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => `${indicatorLabel(t, k)} ${Number.isInteger(v) ? v : v.toFixed(v < 1 ? 3 : 2)}`)
    .join(' · ');
}
