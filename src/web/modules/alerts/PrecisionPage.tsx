/**
 * 准确率统计: per rule over a period — warnings raised, verified on site, found true (属实),
 * handled (已处置), false alarms (误报) — and the precision: the share of verified warnings
 * found true. A rule with many false alarms needs its bounds revisited.
 */
import { useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { Alert, Card, Col, DatePicker, Empty, Progress, Row, Segmented, Space, Spin, Statistic, Table, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useI18n } from '../../i18n';
import { PageHeader } from '../../components/PageHeader';
import { EChart, type EChartOption } from '../../components/EChart';
import { TIME_ZONE, percent } from '../../format';
import { alertsApi, type PrecisionRow } from './alerts-api';
import { LEVEL_HEX, kindLabel } from './alerts-meta';
import './alerts.css';

type Period = '30d' | 'quarter' | 'year' | 'all' | 'custom';
const COLORS = { confirmed: '#ea580c', handled: '#16a34a', falseAlarm: '#94a3b8', pending: '#bfdbfe', precision: '#1d4ed8' };

function periodRange(p: Period, custom: [Dayjs, Dayjs] | null): { from?: string; to?: string } | null {
  const today = dayjs().tz(TIME_ZONE).startOf('day');
  const end = today.add(1, 'day');
  if (p === 'all') return {};
  if (p === 'custom') {
    if (!custom) return null;
    return { from: dayjs.tz(custom[0].format('YYYY-MM-DD'), TIME_ZONE).toISOString(), to: dayjs.tz(custom[1].format('YYYY-MM-DD'), TIME_ZONE).add(1, 'day').toISOString() };
  }
  const from = p === '30d' ? today.subtract(29, 'day') : p === 'quarter' ? today.date(1).month(Math.floor(today.month() / 3) * 3) : today.month(0).date(1);
  return { from: from.toISOString(), to: end.toISOString() };
}

/** Colour of a precision: green from 80 %, amber from 50 %, red below. */
function precisionColor(p: number | null): string {
  if (p === null) return '#94a3b8';
  return p >= 0.8 ? '#16a34a' : p >= 0.5 ? '#d97706' : '#dc2626';
}

export default function PrecisionPage() {
  const { t } = useI18n();
  const [period, setPeriod] = useState<Period>('30d');
  const [custom, setCustom] = useState<[Dayjs, Dayjs] | null>(null);
  const [rows, setRows] = useState<PrecisionRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const range = useMemo(() => periodRange(period, custom), [period, custom]);

  useEffect(() => {
    if (!range) return;
    let cancelled = false;
    setLoading(true);
    setError(null);
    alertsApi.warnings
      .precision(range)
      .then((r) => !cancelled && setRows(r))
      .catch((e: unknown) => !cancelled && setError(e instanceof Error ? e.message : String(e)))
      .finally(() => !cancelled && setLoading(false));
    return () => {
      cancelled = true;
    };
  }, [range]);

  const totals = useMemo(() => {
    const list = rows ?? [];
    const sum = (k: 'raised' | 'verified' | 'confirmed' | 'handled' | 'falseAlarm') => list.reduce((n, r) => n + (r[k] ?? 0), 0);
    const verified = sum('verified');
    const hits = sum('confirmed') + sum('handled');
    return { raised: sum('raised'), verified, confirmed: sum('confirmed'), handled: sum('handled'), falseAlarm: sum('falseAlarm'), precision: verified ? hits / verified : null };
  }, [rows]);

  const chart = useMemo<EChartOption | null>(() => {
    const list = (rows ?? []).filter((r) => r.raised > 0);
    if (!list.length) return null;
    // Category axes draw bottom-up: the busiest rule on top.
    const sorted = [...list].sort((a, b) => a.raised - b.raised);
    const names = sorted.map((r) => r.ruleName);
    const pending = sorted.map((r) => Math.max(0, r.raised - r.verified));
    const bar = (name: string, data: number[], color: string) => ({
      name,
      type: 'bar',
      stack: 'n',
      xAxisIndex: 0,
      yAxisIndex: 0,
      barMaxWidth: 18,
      itemStyle: { color },
      data,
      label: { show: true, color: name === t('al.pending') ? '#1e3a8a' : '#fff', fontSize: 11, formatter: (p: { value: number }) => (p.value ? String(p.value) : '') },
    });
    return {
      legend: { top: 0, left: 0, itemWidth: 12, itemHeight: 8, textStyle: { fontSize: 12 }, data: [t('al.outcome.confirmed'), t('al.outcome.handled'), t('al.outcome.false_alarm'), t('al.pending')] },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      grid: [
        { left: 8, right: '34%', top: 30, bottom: 8, containLabel: true },
        { left: '70%', right: 40, top: 30, bottom: 8, containLabel: false },
      ],
      xAxis: [
        { type: 'value', gridIndex: 0, minInterval: 1, splitLine: { lineStyle: { color: '#eef1f5' } }, axisLabel: { fontSize: 11, color: '#64748b' } },
        { type: 'value', gridIndex: 1, min: 0, max: 100, splitLine: { lineStyle: { color: '#eef1f5' } }, axisLabel: { fontSize: 11, color: '#64748b', formatter: '{value}%' }, name: t('al.precision'), nameLocation: 'middle', nameGap: 22, nameTextStyle: { fontSize: 11, color: '#64748b' } },
      ],
      yAxis: [
        { type: 'category', gridIndex: 0, data: names, axisTick: { show: false }, axisLabel: { fontSize: 12, color: '#334155', width: 150, overflow: 'truncate' } },
        { type: 'category', gridIndex: 1, data: names, axisTick: { show: false }, axisLabel: { show: false } },
      ],
      series: [
        bar(t('al.outcome.confirmed'), sorted.map((r) => r.confirmed), COLORS.confirmed),
        bar(t('al.outcome.handled'), sorted.map((r) => r.handled), COLORS.handled),
        bar(t('al.outcome.false_alarm'), sorted.map((r) => r.falseAlarm), COLORS.falseAlarm),
        bar(t('al.pending'), pending, COLORS.pending),
        {
          name: t('al.precision'),
          type: 'bar',
          xAxisIndex: 1,
          yAxisIndex: 1,
          barMaxWidth: 14,
          data: sorted.map((r) => ({ value: r.precision === null ? 0 : Math.round(r.precision * 100), itemStyle: { color: precisionColor(r.precision), borderRadius: [0, 3, 3, 0] } })),
          label: {
            show: true,
            position: 'right',
            fontSize: 11,
            color: '#334155',
            formatter: (p: { dataIndex: number }) => (sorted[p.dataIndex]!.precision === null ? t('al.noVerified') : `${Math.round(sorted[p.dataIndex]!.precision! * 100)}%`),
          },
          tooltip: { valueFormatter: (v: number) => `${v}%` },
        },
      ],
    };
  }, [rows, t]);

  const num = (v: number) => v;

  return (
    <div className="za-page">
      <PageHeader
        title={t('nav.alerts.precision')}
        sub={t('al.precisionSub')}
        extra={
          <Space wrap>
            <Segmented
              value={period}
              onChange={(v) => setPeriod(v as Period)}
              options={[
                { value: '30d', label: t('al.last30d') },
                { value: 'quarter', label: t('al.thisQuarter') },
                { value: 'year', label: t('al.thisYear') },
                { value: 'all', label: t('common.all') },
                { value: 'custom', label: t('al.rangeCustom') },
              ]}
              data-testid="precision-period"
            />
            {period === 'custom' && <DatePicker.RangePicker value={custom} onChange={(v) => setCustom(v && v[0] && v[1] ? [v[0], v[1]] : null)} />}
          </Space>
        }
      />
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} />}
      <Spin spinning={loading}>
        <Row gutter={12} className="za-precision-stats">
          <Col xs={12} md={6} xl={4}>
            <Card size="small" className="za-card">
              <Statistic title={t('al.raised')} value={totals.raised} />
            </Card>
          </Col>
          <Col xs={12} md={6} xl={4}>
            <Card size="small" className="za-card">
              <Statistic title={t('al.verified')} value={totals.verified} suffix={totals.raised ? <small className="za-stat-suffix">/ {totals.raised}</small> : undefined} />
            </Card>
          </Col>
          <Col xs={12} md={6} xl={4}>
            <Card size="small" className="za-card">
              <Statistic title={t('al.outcome.confirmed')} value={totals.confirmed} valueStyle={{ color: COLORS.confirmed }} />
            </Card>
          </Col>
          <Col xs={12} md={6} xl={4}>
            <Card size="small" className="za-card">
              <Statistic title={t('al.outcome.handled')} value={totals.handled} valueStyle={{ color: COLORS.handled }} />
            </Card>
          </Col>
          <Col xs={12} md={6} xl={4}>
            <Card size="small" className="za-card">
              <Statistic title={t('al.outcome.false_alarm')} value={totals.falseAlarm} valueStyle={{ color: '#64748b' }} />
            </Card>
          </Col>
          <Col xs={12} md={6} xl={4}>
            <Card size="small" className="za-card">
              <Statistic title={t('al.precisionAll')} value={totals.precision === null ? '—' : percent(totals.precision)} valueStyle={{ color: precisionColor(totals.precision) }} />
            </Card>
          </Col>
        </Row>

        <Card size="small" className="za-card" title={t('al.precisionChart')}>
          {chart ? <EChart option={chart} height={Math.max(220, 60 + (rows?.filter((r) => r.raised > 0).length ?? 0) * 40)} testId="precision-chart" /> : <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('al.noWarningsPeriod')} />}
        </Card>

        <Card size="small" className="za-card" title={t('al.precisionTable')}>
          <Table<PrecisionRow>
            size="small"
            bordered
            rowKey="ruleId"
            dataSource={rows ?? []}
            pagination={false}
            scroll={{ x: 980 }}
            onRow={(r) => ({ 'data-testid': 'precision-row', 'data-rule': r.ruleName }) as React.HTMLAttributes<HTMLElement>}
            columns={[
              {
                title: t('al.rule'),
                dataIndex: 'ruleName',
                fixed: 'left',
                width: 200,
                render: (v: string, r) => (
                  <div>
                    <Link to={`/alerts/warnings?ruleId=${r.ruleId}`}>{v}</Link>
                    <div className="za-cell-sub">{kindLabel(t, r.kind)}</div>
                  </div>
                ),
              },
              { title: t('al.raised'), dataIndex: 'raised', width: 80, align: 'right', sorter: (a, b) => a.raised - b.raised, defaultSortOrder: 'descend', render: num },
              {
                title: t('al.byLevel'),
                key: 'lv',
                width: 150,
                render: (_: unknown, r) => (
                  <span className="za-by-level">
                    {(['red', 'yellow', 'green'] as const).map((l) => (
                      <span key={l} title={t(`al.level.${l}`)}>
                        <i style={{ background: LEVEL_HEX[l] }} />
                        {r.byLevel?.[l] ?? 0}
                      </span>
                    ))}
                  </span>
                ),
              },
              { title: t('al.verified'), dataIndex: 'verified', width: 80, align: 'right', sorter: (a, b) => a.verified - b.verified },
              { title: t('al.outcome.confirmed'), dataIndex: 'confirmed', width: 70, align: 'right' },
              { title: t('al.outcome.false_alarm'), dataIndex: 'falseAlarm', width: 70, align: 'right' },
              { title: t('al.outcome.handled'), dataIndex: 'handled', width: 80, align: 'right' },
              {
                title: t('al.precision'),
                dataIndex: 'precision',
                width: 170,
                sorter: (a, b) => (a.precision ?? -1) - (b.precision ?? -1),
                render: (v: number | null) =>
                  v === null ? (
                    <Typography.Text type="secondary">{t('al.noVerified')}</Typography.Text>
                  ) : (
                    <Progress percent={Math.round(v * 100)} size="small" strokeColor={precisionColor(v)} format={(p) => `${p}%`} data-testid="precision-value" />
                  ),
              },
            ]}
          />
        </Card>
      </Spin>
    </div>
  );
}
