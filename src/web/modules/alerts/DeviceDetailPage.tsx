/**
 * 设备详情: one device — its readings per indicator over a chosen range as a line chart (for
 * water-quality stations with the GB 3838-2002 class limits of the chosen indicator drawn
 * across, the water body's target class in bold), the latest values, where it is, and the
 * warnings it raised. Administrators edit it or issue a new secret.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { App, Badge, Button, Card, Col, DatePicker, Descriptions, Empty, Result, Row, Segmented, Skeleton, Space, Spin, Table, Tag, Tooltip, Typography } from 'antd';
import { ArrowLeftOutlined, EditOutlined, KeyOutlined, ReloadOutlined } from '@ant-design/icons';
import * as echarts from 'echarts/core';
import { DataZoomComponent, MarkLineComponent } from 'echarts/components';
import dayjs, { type Dayjs } from 'dayjs';
import { ApiError } from '../../api';
import { useI18n } from '../../i18n';
import { useAuth } from '../../app/auth';
import { useShowError } from '../../app/feedback';
import { EChart, type EChartOption } from '../../components/EChart';
import { useLiveRefresh } from '../../components/liveEvents';
import { formatCoord, formatTime, shanghaiIso } from '../../format';
import { LazyReportMap } from '../reports/ReportMapLazy';
import { shortTime } from '../reports/report-meta';
import { alertsApi, type Device, type Readings, type WarningSummary, type WaterBody } from './alerts-api';
import { CLASS_HEX, GB3838, INDICATOR_UNITS, LEVEL_HEX, deviceTypeLabel, indicatorKeys, indicatorLabel, isWarningListEvent } from './alerts-meta';
import { LevelTag, WarningStatusTag } from './AlertTags';
import { classText, DeviceFormModal, SecretModal } from './DeviceForms';
import './alerts.css';

echarts.use([MarkLineComponent, DataZoomComponent]);

type RangeKey = '24h' | '7d' | '30d' | 'custom';
const RANGE_HOURS: Record<Exclude<RangeKey, 'custom'>, number> = { '24h': 24, '7d': 24 * 7, '30d': 24 * 30 };

export default function DeviceDetailPage() {
  const { id } = useParams<{ id: string }>();
  const { t, lang } = useI18n();
  const { can } = useAuth();
  const { modal } = App.useApp();
  const navigate = useNavigate();
  const showError = useShowError();
  const [device, setDevice] = useState<Device | null>(null);
  const [missing, setMissing] = useState(false);
  const [waterBody, setWaterBody] = useState<WaterBody | null>(null);
  const [range, setRange] = useState<RangeKey>('7d');
  const [custom, setCustom] = useState<[Dayjs, Dayjs] | null>(null);
  const [readings, setReadings] = useState<Readings | null>(null);
  const [readingsLoading, setReadingsLoading] = useState(false);
  const [indicator, setIndicator] = useState<string | null>(null);
  const [warnings, setWarnings] = useState<{ items: WarningSummary[]; total: number }>({ items: [], total: 0 });
  const [editing, setEditing] = useState(false);
  const [secret, setSecret] = useState<{ code: string; secret: string } | null>(null);
  const [version, setVersion] = useState(0);

  const load = useCallback(async () => {
    if (!id) return;
    try {
      const d = await alertsApi.devices.get(id);
      setDevice(d);
      if (d.waterBody) {
        const list = await alertsApi.waterBodies.list().catch(() => [] as WaterBody[]);
        setWaterBody(list.find((w) => w.id === d.waterBody!.id) ?? null);
      } else setWaterBody(null);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) setMissing(true);
      else showError(e);
    }
  }, [id, showError]);
  useEffect(() => void load(), [load]);

  const window_ = useMemo(() => {
    if (range === 'custom') {
      if (!custom) return null;
      return { from: shanghaiIso(custom[0].startOf('day'))!, to: shanghaiIso(custom[1].startOf('day').add(1, 'day'))! };
    }
    const to = new Date();
    return { from: new Date(to.getTime() - RANGE_HOURS[range] * 3600_000).toISOString(), to: to.toISOString() };
    // `version` moves the window to now on refresh.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [range, custom, version]);

  useEffect(() => {
    if (!id || !window_) return;
    let cancelled = false;
    setReadingsLoading(true);
    alertsApi.devices
      .readings(id, window_)
      .then((r) => {
        if (cancelled) return;
        setReadings(r);
        const keys = indicatorKeys(r.indicators).length ? indicatorKeys(r.indicators) : [...new Set(r.items.flatMap((i) => Object.keys(i.values)))];
        setIndicator((cur) => (cur && keys.includes(cur) ? cur : (keys.find((k) => k in GB3838 && k !== 'DO') ?? keys[0] ?? null)));
      })
      .catch((e: unknown) => !cancelled && showError(e))
      .finally(() => !cancelled && setReadingsLoading(false));
    return () => {
      cancelled = true;
    };
  }, [id, window_, showError]);

  useEffect(() => {
    if (!id) return;
    alertsApi.warnings.list({ deviceId: id, pageSize: 10 }).then(setWarnings, () => undefined);
  }, [id, version]);
  useLiveRefresh((e) => e.subjectType === 'alert_warning' || isWarningListEvent(e), () => setVersion((v) => v + 1), 2000, !!id);

  const keys = useMemo(() => {
    if (!readings) return [];
    const k = indicatorKeys(readings.indicators);
    return k.length ? k : [...new Set(readings.items.flatMap((i) => Object.keys(i.values)))];
  }, [readings]);

  const chartOption = useMemo<EChartOption | null>(() => {
    if (!readings || !indicator || !device) return null;
    const points = readings.items.filter((r) => typeof r.values[indicator] === 'number').map((r) => [new Date(r.observedAt).getTime(), r.values[indicator]] as [number, number]);
    if (!points.length) return null;
    const unit = unitOf(readings, indicator);
    const lake = waterBody?.kind === 'lake';
    const std = device.type === 'water_quality' ? GB3838[indicator] : undefined;
    const dataMax = Math.max(...points.map((p) => p[1]));
    const dataMin = Math.min(...points.map((p) => p[1]));
    const target = waterBody?.targetClass ?? 3;
    let marks: { yAxis: number; name: string; lineStyle: object; label: object }[] = [];
    let yMax: number | undefined;
    let yMin: number | undefined;
    if (std) {
      const limits = (lake && std.lakeLimits) || std.limits;
      // One line per distinct limit (Ⅰ and Ⅱ share some), up to the class the data reaches.
      const drawn: { value: number; classes: number[] }[] = [];
      limits.forEach((v, i) => {
        const last = drawn[drawn.length - 1];
        if (last && last.value === v) last.classes.push(i + 1);
        else drawn.push({ value: v, classes: [i + 1] });
      });
      const reach = std.lowerIsWorse ? drawn : drawn.filter((d, i) => i === 0 || drawn[i - 1]!.value < Math.max(dataMax, limits[target - 1]!) || d.classes.includes(target));
      marks = reach.map((d) => {
        const isTarget = d.classes.includes(target);
        const worst = d.classes[d.classes.length - 1]!;
        const color = CLASS_HEX[worst - 1];
        return {
          yAxis: d.value,
          name: d.classes.map(classText).join('/'),
          lineStyle: { color, type: isTarget ? 'solid' : 'dashed', width: isTarget ? 2 : 1, opacity: isTarget ? 1 : 0.8 },
          label: {
            formatter: `${t('al.classLimit', { c: d.classes.map(classText).join('/') })} ${d.value}${isTarget ? ` · ${t('al.target')}` : ''}`,
            position: 'insideEndTop',
            color,
            backgroundColor: 'rgba(255,255,255,0.85)',
            padding: [1, 4],
            borderRadius: 2,
            fontSize: 11,
            fontWeight: isTarget ? 600 : 400,
          },
        };
      });
      const values = marks.map((m) => m.yAxis);
      yMax = niceCeil(Math.max(dataMax, ...values) * 1.08);
      yMin = std.lowerIsWorse ? Math.max(0, Math.floor(Math.min(dataMin, ...values) * 0.9)) : 0;
    }
    const color = '#1d4ed8';
    return {
      grid: { left: 8, right: 24, top: 28, bottom: 56, containLabel: true },
      tooltip: {
        trigger: 'axis',
        valueFormatter: (v: number) => `${v}${unit ? ` ${unit}` : ''}`,
      },
      xAxis: { type: 'time', axisLabel: { fontSize: 11, color: '#64748b', hideOverlap: true }, splitLine: { show: false } },
      yAxis: {
        type: 'value',
        name: unit,
        nameTextStyle: { color: '#64748b', fontSize: 11, align: 'right' },
        min: yMin,
        max: yMax,
        scale: !std,
        splitLine: { lineStyle: { color: '#eef1f5' } },
        axisLabel: { fontSize: 11, color: '#64748b' },
      },
      dataZoom: [
        { type: 'inside', filterMode: 'none' },
        { type: 'slider', height: 18, bottom: 8, filterMode: 'none', borderColor: '#e2e8f0', fillerColor: 'rgba(29,78,216,0.08)', textStyle: { fontSize: 10 } },
      ],
      series: [
        {
          name: indicatorLabel(t, indicator),
          type: 'line',
          showSymbol: points.length < 60,
          symbolSize: 4,
          lineStyle: { width: 1.6, color },
          itemStyle: { color },
          areaStyle: std ? undefined : { color: 'rgba(29,78,216,0.06)' },
          data: points,
          markLine: marks.length ? { symbol: 'none', silent: true, data: marks, animation: false } : undefined,
        },
      ],
    };
  }, [readings, indicator, device, waterBody, t]);

  if (missing) return <Result status="404" title="404" subTitle={t('page.notFound')} extra={<Link to="/alerts/devices">{t('nav.alerts.devices')}</Link>} />;
  if (!device)
    return (
      <div className="za-page">
        <Skeleton active paragraph={{ rows: 10 }} />
      </div>
    );

  const renewSecret = () =>
    modal.confirm({
      title: t('al.newSecret'),
      content: t('al.newSecretConfirm'),
      okText: t('common.ok'),
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          const r = await alertsApi.devices.newSecret(device.id);
          setSecret({ code: device.code, secret: r.secret });
        } catch (e) {
          showError(e);
        }
      },
    });

  const latest = Object.entries(device.lastValues ?? {}).filter(([, v]) => typeof v === 'number');
  const lake = waterBody?.kind === 'lake';

  return (
    <div className="za-page" data-testid="device-detail">
      <div className="za-detail-head">
        <div className="za-detail-title">
          <Button type="text" icon={<ArrowLeftOutlined />} onClick={() => navigate(-1)} aria-label={t('rep.back')} />
          <h2 className="za-page-title">
            {device.name} <span className="za-mono za-title-code">{device.code}</span>
          </h2>
          <Tag bordered={false}>{deviceTypeLabel(t, device.type)}</Tag>
          <Badge status={device.online ? 'success' : 'default'} text={device.online ? t('al.online') : t('al.offline')} />
        </div>
        <Space wrap className="za-detail-actions">
          {can('alert.configure') && (
            <>
              <Button icon={<EditOutlined />} onClick={() => setEditing(true)}>
                {t('common.edit')}
              </Button>
              <Button icon={<KeyOutlined />} onClick={renewSecret}>
                {t('al.newSecret')}
              </Button>
            </>
          )}
          <Button icon={<ReloadOutlined />} onClick={() => { void load(); setVersion((v) => v + 1); }} aria-label={t('common.refresh')} />
        </Space>
      </div>

      <Row gutter={12}>
        <Col xs={24} xl={17}>
          <Card
            size="small"
            className="za-card"
            title={t('al.readings')}
            extra={
              <Space wrap size={6}>
                <Segmented
                  size="small"
                  value={range}
                  onChange={(v) => setRange(v as RangeKey)}
                  options={[
                    { value: '24h', label: t('al.range24h') },
                    { value: '7d', label: t('al.range7d') },
                    { value: '30d', label: t('al.range30d') },
                    { value: 'custom', label: t('al.rangeCustom') },
                  ]}
                  data-testid="readings-range"
                />
                {range === 'custom' && (
                  <DatePicker.RangePicker size="small" value={custom} onChange={(v) => setCustom(v && v[0] && v[1] ? [v[0], v[1]] : null)} disabledDate={(d) => d.isAfter(dayjs().endOf('day'))} />
                )}
              </Space>
            }
          >
            {keys.length > 1 && (
              <Segmented
                size="small"
                value={indicator ?? undefined}
                onChange={(v) => setIndicator(String(v))}
                options={keys.map((k) => ({ value: k, label: indicatorLabel(t, k) }))}
                style={{ marginBottom: 8 }}
                data-testid="indicator-picker"
              />
            )}
            <Spin spinning={readingsLoading}>
              {chartOption ? (
                <EChart option={chartOption} height={340} testId="readings-chart" />
              ) : (
                <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={readingsLoading ? t('common.loading') : t('al.noReadings')} style={{ padding: '60px 0' }} />
              )}
            </Spin>
            {device.type === 'water_quality' && indicator && GB3838[indicator] && (
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {t('al.gbHint', { target: classText(waterBody?.targetClass ?? 3), body: waterBody?.name ?? t('al.noWaterBody') })}
                {indicator === 'DO' ? ` ${t('al.doHint')}` : ''}
                {indicator === 'TP' && lake ? ` ${t('al.tpLakeHint')}` : ''}
              </Typography.Text>
            )}
          </Card>

          <Card size="small" className="za-card" title={t('al.deviceWarnings', { n: warnings.total })} extra={<Link to={`/alerts/warnings?deviceId=${device.id}`}>{t('al.allWarnings')}</Link>}>
            <Table<WarningSummary>
              size="small"
              rowKey="id"
              dataSource={warnings.items}
              pagination={false}
              scroll={{ x: 640 }}
              locale={{ emptyText: t('al.noWarnings') }}
              columns={[
                {
                  title: t('al.number'),
                  dataIndex: 'number',
                  width: 150,
                  render: (v: string, r) => (
                    <Link to={`/alerts/warnings/${r.id}`} className="za-mono">
                      {v}
                    </Link>
                  ),
                },
                { title: t('al.level'), dataIndex: 'level', width: 70, render: (l: WarningSummary['level']) => <LevelTag level={l} /> },
                { title: t('al.content'), dataIndex: 'title', ellipsis: true },
                { title: t('al.status'), dataIndex: 'status', width: 90, render: (s: WarningSummary['status']) => <WarningStatusTag status={s} /> },
                {
                  title: t('al.raisedAt'),
                  dataIndex: 'raisedAt',
                  width: 100,
                  render: (v: string) => (
                    <Tooltip title={formatTime(v, lang)}>
                      <span className="za-cell-time">{shortTime(v, lang)}</span>
                    </Tooltip>
                  ),
                },
              ]}
            />
          </Card>
        </Col>
        <Col xs={24} xl={7}>
          <Card size="small" className="za-card" title={t('al.latestValues')} data-testid="latest-values">
            {latest.length ? (
              <div className="za-latest">
                {latest.map(([k, v]) => {
                  const cls = device.type === 'water_quality' ? classOf(k, v, lake) : null;
                  return (
                    <div key={k} className="za-latest-item">
                      <span className="za-latest-name">{indicatorLabel(t, k)}</span>
                      <span className="za-latest-value">
                        {fmt(v)}
                        <small>{INDICATOR_UNITS[k] ?? ''}</small>
                      </span>
                      {cls && (
                        <span className="za-latest-class" style={{ color: CLASS_HEX[cls - 1] }}>
                          {t('al.classOf', { c: classText(cls) })}
                        </span>
                      )}
                    </div>
                  );
                })}
              </div>
            ) : (
              <Typography.Text type="secondary">{t('al.noReadings')}</Typography.Text>
            )}
            {device.lastReadingAt && (
              <div className="za-cell-sub" style={{ marginTop: 6 }}>
                {t('al.lastReadingAt')}
                {lang === 'zh-CN' ? '：' : ': '}
                {formatTime(device.lastReadingAt, lang)}
              </div>
            )}
          </Card>
          <Card size="small" className="za-card" title={t('al.deviceInfo')}>
            <Descriptions size="small" column={1} styles={{ label: { width: 86, whiteSpace: 'nowrap' } }}>
              <Descriptions.Item label={t('al.owner')}>{device.owner || '—'}</Descriptions.Item>
              {device.waterBody && (
                <Descriptions.Item label={t('al.waterBody')}>
                  {device.waterBody.name}
                  {waterBody && <span className="za-cell-sub"> · {t('al.targetClassShort', { c: classText(waterBody.targetClass) })}</span>}
                </Descriptions.Item>
              )}
              {device.household && <Descriptions.Item label={t('al.household')}>{device.household.label}</Descriptions.Item>}
              <Descriptions.Item label={t('al.address')}>{device.addressText || '—'}</Descriptions.Item>
              <Descriptions.Item label={t('common.grid')}>{[device.communityName, device.gridName].filter(Boolean).join(' · ') || '—'}</Descriptions.Item>
              <Descriptions.Item label={t('al.lastSeenAt')}>{device.lastSeenAt ? formatTime(device.lastSeenAt, lang) : t('al.never')}</Descriptions.Item>
              <Descriptions.Item label={t('al.mqttTopic')}>
                <Typography.Text copyable className="za-mono" style={{ fontSize: 12 }}>
                  {`zhian/devices/${device.code}/readings`}
                </Typography.Text>
              </Descriptions.Item>
            </Descriptions>
          </Card>
          <Card size="small" className="za-card" title={t('rep.location')} styles={{ body: { padding: 8 } }}>
            {device.lng !== null && device.lat !== null ? (
              <>
                <LazyReportMap height={220} points={[{ id: device.id, lng: device.lng, lat: device.lat, color: device.online ? LEVEL_HEX.green : '#94a3b8', title: device.code, lines: [device.name] }]} testId="device-map" />
                <Typography.Text type="secondary" className="za-coord">
                  {formatCoord(device.lng, device.lat)}
                </Typography.Text>
              </>
            ) : (
              <Typography.Text type="secondary">{t('rep.noLocation')}</Typography.Text>
            )}
          </Card>
        </Col>
      </Row>

      <DeviceFormModal
        open={editing}
        device={device}
        onClose={() => setEditing(false)}
        onSaved={() => {
          setEditing(false);
          void load();
        }}
      />
      <SecretModal value={secret} onClose={() => setSecret(null)} />
    </div>
  );
}

function unitOf(r: Readings, key: string): string {
  for (const i of r.indicators ?? []) if (typeof i !== 'string' && i.key === key && i.unit) return i.unit;
  return INDICATOR_UNITS[key] ?? '';
}

function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return v.toFixed(Math.abs(v) < 1 ? 3 : 2).replace(/0+$/, '').replace(/\.$/, '');
}

/** A round axis top just above the value (0.87 → 0.9, 23 → 25). */
function niceCeil(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  const steps = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];
  const n = v / p;
  return (steps.find((s) => s >= n) ?? 10) * p;
}

/** The class of one value by GB 3838-2002 (1..6), or null for indicators without limits. */
export function classOf(key: string, value: number, lake: boolean): number | null {
  const std = GB3838[key];
  if (!std) return null;
  const limits = (lake && std.lakeLimits) || std.limits;
  for (let i = 0; i < limits.length; i++) {
    if (std.lowerIsWorse ? value >= limits[i]! : value <= limits[i]!) return i + 1;
  }
  return 6;
}
