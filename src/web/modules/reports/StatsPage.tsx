/**
 * 统计分析: the closed loop in numbers for a period — cases, resolution rate, on-time rate,
 * residents' satisfaction, time to close — by department, grid, category, street or day;
 * the average time of each stage; the table behind it, exportable to xlsx.
 */
import { useEffect, useMemo, useState } from 'react';
import { Alert, Button, Card, Col, DatePicker, Empty, Row, Segmented, Space, Spin, Statistic, Table, Typography } from 'antd';
import { DownloadOutlined } from '@ant-design/icons';
import dayjs, { type Dayjs } from 'dayjs';
import { api, type ReportStats, type StatsGroupBy, type StatsRow } from '../../api';
import { labels, useI18n } from '../../i18n';
import { useBusy } from '../../app/feedback';
import { PageHeader } from '../../components/PageHeader';
import { EChart, type EChartOption } from '../../components/EChart';
import { TIME_ZONE, formatNumber, percent } from '../../format';
import { durationText, toHours } from './report-meta';

type Period = 'week' | 'month' | 'quarter' | 'custom';
const TOP = 20;
const COLORS = { total: '#2563eb', closed: '#16a34a', overdue: '#dc2626', satisfied: '#16a34a', basically: '#60a5fa', dissatisfied: '#ef4444' };

/** Period bounds in Beijing time; `to` is the end of today (exclusive: tomorrow 00:00). */
function periodRange(p: Period, custom: [Dayjs, Dayjs] | null): { from: string; to: string } | null {
  const today = dayjs().tz(TIME_ZONE).startOf('day');
  const end = today.add(1, 'day');
  if (p === 'custom') {
    if (!custom) return null;
    const from = dayjs.tz(custom[0].format('YYYY-MM-DD'), TIME_ZONE);
    const to = dayjs.tz(custom[1].format('YYYY-MM-DD'), TIME_ZONE).add(1, 'day');
    return { from: from.toISOString(), to: to.toISOString() };
  }
  let from = today;
  if (p === 'week') from = today.subtract((today.day() + 6) % 7, 'day');
  if (p === 'month') from = today.date(1);
  if (p === 'quarter') from = today.date(1).month(Math.floor(today.month() / 3) * 3);
  return { from: from.toISOString(), to: end.toISOString() };
}

export default function StatsPage() {
  const { t, lang } = useI18n();
  const { busy, run } = useBusy();
  const [period, setPeriod] = useState<Period>('month');
  const [custom, setCustom] = useState<[Dayjs, Dayjs] | null>(null);
  const [groupBy, setGroupBy] = useState<StatsGroupBy>('dept');
  const [stats, setStats] = useState<ReportStats | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const range = useMemo(() => periodRange(period, custom), [period, custom]);

  useEffect(() => {
    if (!range) return;
    let cancelled = false;
    setLoading(true);
    setError(null);
    api.reports
      .stats({ ...range, groupBy })
      .then((s) => !cancelled && setStats(s))
      .catch((e: unknown) => {
        if (cancelled) return;
        setStats(null);
        setError(e instanceof Error ? e.message : String(e));
      })
      .finally(() => !cancelled && setLoading(false));
    return () => {
      cancelled = true;
    };
  }, [range, groupBy]);

  const groupLabel: Record<StatsGroupBy, string> = {
    dept: t('stats.byDept'),
    grid: t('stats.byGrid'),
    category: t('stats.byCategory'),
    street: t('stats.byStreet'),
    day: t('stats.byDay'),
  };

  const totals = stats?.totals;
  const top = useMemo(() => (stats ? [...stats.rows].sort((a, b) => b.total - a.total).slice(0, TOP) : []), [stats]);

  const barOption = useMemo<EChartOption>(() => {
    const rows = [...top].reverse();
    return {
      grid: { left: 8, right: 24, top: 28, bottom: 8, containLabel: true },
      legend: { top: 0, right: 0, itemWidth: 12, itemHeight: 8, textStyle: { fontSize: 12 } },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: { type: 'value', minInterval: 1, splitLine: { lineStyle: { color: '#eef1f5' } } },
      yAxis: { type: 'category', data: rows.map((r) => r.name), axisTick: { show: false }, axisLabel: { fontSize: 12, color: '#334155', width: 130, overflow: 'truncate' } },
      series: [
        { name: t('stats.total'), type: 'bar', data: rows.map((r) => r.total), itemStyle: { color: COLORS.total }, barMaxWidth: 12 },
        { name: t('stats.closed'), type: 'bar', data: rows.map((r) => r.closed), itemStyle: { color: COLORS.closed }, barMaxWidth: 12 },
        { name: t('stats.overdue'), type: 'bar', data: rows.map((r) => r.overdue), itemStyle: { color: COLORS.overdue }, barMaxWidth: 12 },
      ],
    };
  }, [top, t]);

  const lineOption = useMemo<EChartOption>(() => {
    const rows = stats ? [...stats.rows].sort((a, b) => String(a.key ?? a.name).localeCompare(String(b.key ?? b.name))) : [];
    return {
      grid: { left: 8, right: 16, top: 28, bottom: 8, containLabel: true },
      legend: { top: 0, right: 0, itemWidth: 12, itemHeight: 8, textStyle: { fontSize: 12 } },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: rows.map((r) => (/^\d{4}-\d{2}-\d{2}$/.test(r.name) ? r.name.slice(5) : r.name)), axisLabel: { fontSize: 11 } },
      yAxis: { type: 'value', minInterval: 1, splitLine: { lineStyle: { color: '#eef1f5' } } },
      series: [
        { name: t('stats.total'), type: 'line', data: rows.map((r) => r.total), itemStyle: { color: COLORS.total }, areaStyle: { opacity: 0.08 } },
        { name: t('stats.closed'), type: 'line', data: rows.map((r) => r.closed), itemStyle: { color: COLORS.closed } },
      ],
    };
  }, [stats, t]);

  const stageOption = useMemo<EChartOption>(() => {
    const stages = stats?.stages ?? [];
    return {
      grid: { left: 8, right: 16, top: 30, bottom: 8, containLabel: true },
      tooltip: {
        trigger: 'axis',
        axisPointer: { type: 'shadow' },
        formatter: (items: { dataIndex: number }[]) => {
          const s = stages[items[0]?.dataIndex ?? 0];
          if (!s) return '';
          return `${labels.stage(lang, s.stage)}<br/>${t('stats.avgHours')}: ${toHours(s.avgMinutes) ?? '–'}<br/>${t('stats.onTimeRate')}: ${percent(s.onTimeRate) || '–'}<br/>${t('stats.count')}: ${s.n}`;
        },
      },
      xAxis: { type: 'category', data: stages.map((s) => labels.stage(lang, s.stage)), axisTick: { show: false } },
      yAxis: { type: 'value', name: t('rep.hoursUnit'), nameTextStyle: { fontSize: 11 }, splitLine: { lineStyle: { color: '#eef1f5' } } },
      series: [
        {
          type: 'bar',
          barMaxWidth: 28,
          data: stages.map((s) => toHours(s.avgMinutes) ?? 0),
          itemStyle: { color: '#4f46e5', borderRadius: [3, 3, 0, 0] },
          label: { show: true, position: 'top', fontSize: 11, color: '#334155' },
        },
      ],
    };
  }, [stats, lang, t]);

  const pieOption = useMemo<EChartOption>(
    () => ({
      tooltip: { trigger: 'item', formatter: '{b}: {c} ({d}%)' },
      legend: { bottom: 0, itemWidth: 12, itemHeight: 8, textStyle: { fontSize: 12 } },
      series: [
        {
          type: 'pie',
          radius: ['42%', '68%'],
          center: ['50%', '44%'],
          label: { formatter: '{b}\n{d}%', fontSize: 11 },
          data: [
            { name: labels.rating(lang, 'satisfied'), value: totals?.satisfied ?? 0, itemStyle: { color: COLORS.satisfied } },
            { name: labels.rating(lang, 'basically_satisfied'), value: totals?.basicallySatisfied ?? 0, itemStyle: { color: COLORS.basically } },
            { name: labels.rating(lang, 'dissatisfied'), value: totals?.dissatisfied ?? 0, itemStyle: { color: COLORS.dissatisfied } },
          ],
        },
      ],
    }),
    [totals, lang],
  );

  const rated = (totals?.satisfied ?? 0) + (totals?.basicallySatisfied ?? 0) + (totals?.dissatisfied ?? 0);

  const kpis = [
    { key: 'total', title: t('stats.total'), value: totals ? formatNumber(totals.total, lang) : '–', sub: totals ? `${t('stats.open')} ${totals.open} · ${t('stats.closed')} ${totals.closed}` : '' },
    { key: 'resolution', title: t('stats.resolutionRate'), value: percent(totals?.resolutionRate) || '–', sub: totals ? `${t('stats.overdue')} ${totals.overdue}` : '' },
    { key: 'ontime', title: t('stats.onTimeRate'), value: percent(totals?.onTimeRate) || '–', sub: '' },
    { key: 'satisfaction', title: t('stats.satisfactionRate'), value: percent(totals?.satisfactionRate) || '–', sub: totals ? `${t('stats.rated')} ${rated}` : '' },
    { key: 'avg', title: t('stats.avgClose'), value: totals?.avgCloseMinutes !== null && totals?.avgCloseMinutes !== undefined ? durationText(totals.avgCloseMinutes, t) : '–', sub: '' },
  ];

  return (
    <div className="za-page">
      <PageHeader
        title={t('nav.reports.stats')}
        extra={
          <Button icon={<DownloadOutlined />} disabled={!range} loading={busy.xlsx} onClick={() => range && run('xlsx', () => api.reports.statsXlsx({ ...range, groupBy }))} data-testid="stats-export">
            {t('common.exportXlsx')}
          </Button>
        }
      />
      <div className="za-filter-bar">
        <Space wrap>
          <span className="za-filter-label">{t('stats.period')}</span>
          <Segmented<Period>
            value={period}
            onChange={setPeriod}
            options={[
              { value: 'week', label: t('stats.week') },
              { value: 'month', label: t('stats.month') },
              { value: 'quarter', label: t('stats.quarter') },
              { value: 'custom', label: t('stats.custom') },
            ]}
            data-testid="stats-period"
          />
          {period === 'custom' && (
            <DatePicker.RangePicker value={custom} onChange={(v) => setCustom(v && v[0] && v[1] ? [v[0], v[1]] : null)} allowClear={false} disabledDate={(d) => d.isAfter(dayjs().endOf('day'))} />
          )}
        </Space>
        <Space wrap>
          <span className="za-filter-label">{t('stats.groupBy')}</span>
          <Segmented<StatsGroupBy>
            value={groupBy}
            onChange={setGroupBy}
            options={(['dept', 'grid', 'category', 'street', 'day'] as const).map((g) => ({ value: g, label: groupLabel[g] }))}
            data-testid="stats-groupby"
          />
        </Space>
        {loading && <Spin size="small" />}
      </div>

      {error && <Alert type="warning" showIcon message={t('stats.unavailable')} description={error} style={{ marginBottom: 12 }} />}

      <div className="za-kpis" data-testid="stats-kpis">
        {kpis.map((k) => (
          <Card size="small" key={k.key} className="za-kpi">
            <Statistic title={k.title} value={k.value} />
            <div className="za-kpi-sub">{k.sub}</div>
          </Card>
        ))}
      </div>

      {stats && stats.totals.total === 0 ? (
        <Card className="za-card">
          <Empty description={t('stats.noData')} />
        </Card>
      ) : stats ? (
        <>
          <Row gutter={12}>
            <Col xs={24} xl={14}>
              {groupBy === 'day' ? (
                <Card size="small" title={t('stats.trend')} className="za-card">
                  <EChart option={lineOption} height={320} testId="chart-trend" />
                </Card>
              ) : (
                <Card size="small" title={`${groupLabel[groupBy]} · ${t('stats.byGroup', { n: Math.min(TOP, stats.rows.length) })}`} className="za-card">
                  <EChart option={barOption} height={Math.max(220, top.length * 30 + 48)} testId="chart-groups" />
                </Card>
              )}
            </Col>
            <Col xs={24} xl={10}>
              <Card size="small" title={t('stats.stageTimes')} className="za-card">
                <EChart option={stageOption} height={220} testId="chart-stages" />
              </Card>
              <Card size="small" title={t('stats.satisfaction')} className="za-card">
                {rated ? <EChart option={pieOption} height={220} testId="chart-satisfaction" /> : <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} />}
              </Card>
            </Col>
          </Row>
          <Card size="small" title={t('stats.table')} className="za-card">
            <StatsTable key={groupBy} stats={stats} groupLabel={groupLabel[groupBy]} byDay={groupBy === 'day'} />
          </Card>
        </>
      ) : null}
    </div>
  );
}

function StatsTable({ stats, groupLabel, byDay }: { stats: ReportStats; groupLabel: string; byDay: boolean }) {
  const { t } = useI18n();
  const rate = (v: number | null) => (v === null ? '–' : percent(v));
  return (
    <Table<StatsRow>
      size="small"
      bordered
      rowKey={(r) => r.key ?? r.name}
      dataSource={stats.rows}
      pagination={stats.rows.length > 50 ? { pageSize: 50, showSizeChanger: false } : false}
      scroll={{ x: 1100 }}
      data-testid="stats-table"
      summary={() => (
        <Table.Summary fixed>
          <Table.Summary.Row className="za-summary-row">
            <Table.Summary.Cell index={0}>{stats.totals.name || t('common.all')}</Table.Summary.Cell>
            <Table.Summary.Cell index={1} align="right">{stats.totals.total}</Table.Summary.Cell>
            <Table.Summary.Cell index={2} align="right">{stats.totals.open}</Table.Summary.Cell>
            <Table.Summary.Cell index={3} align="right">{stats.totals.closed}</Table.Summary.Cell>
            <Table.Summary.Cell index={4} align="right">{stats.totals.overdue}</Table.Summary.Cell>
            <Table.Summary.Cell index={5} align="right">{rate(stats.totals.resolutionRate)}</Table.Summary.Cell>
            <Table.Summary.Cell index={6} align="right">{rate(stats.totals.onTimeRate)}</Table.Summary.Cell>
            <Table.Summary.Cell index={7} align="right">{rate(stats.totals.satisfactionRate)}</Table.Summary.Cell>
            <Table.Summary.Cell index={8} align="right">{stats.totals.avgCloseMinutes !== null ? durationText(stats.totals.avgCloseMinutes, t) : '–'}</Table.Summary.Cell>
          </Table.Summary.Row>
        </Table.Summary>
      )}
      columns={[
        { title: groupLabel, dataIndex: 'name', ellipsis: true, sorter: byDay ? (a, b) => String(a.key ?? a.name).localeCompare(String(b.key ?? b.name)) : undefined, render: (v: string) => <Typography.Text>{v || '—'}</Typography.Text> },
        { title: t('stats.total'), dataIndex: 'total', width: 100, align: 'right', sorter: (a, b) => a.total - b.total, defaultSortOrder: byDay ? undefined : 'descend' },
        { title: t('stats.open'), dataIndex: 'open', width: 70, align: 'right', sorter: (a, b) => a.open - b.open },
        { title: t('stats.closed'), dataIndex: 'closed', width: 90, align: 'right', sorter: (a, b) => a.closed - b.closed },
        { title: t('stats.overdue'), dataIndex: 'overdue', width: 70, align: 'right', sorter: (a, b) => a.overdue - b.overdue },
        { title: t('stats.resolutionRate'), dataIndex: 'resolutionRate', width: 100, align: 'right', render: rate, sorter: (a, b) => (a.resolutionRate ?? -1) - (b.resolutionRate ?? -1) },
        { title: t('stats.onTimeRate'), dataIndex: 'onTimeRate', width: 120, align: 'right', render: rate, sorter: (a, b) => (a.onTimeRate ?? -1) - (b.onTimeRate ?? -1) },
        { title: t('stats.satisfactionRate'), dataIndex: 'satisfactionRate', width: 120, align: 'right', render: rate, sorter: (a, b) => (a.satisfactionRate ?? -1) - (b.satisfactionRate ?? -1) },
        {
          title: t('stats.avgClose'),
          dataIndex: 'avgCloseMinutes',
          width: 130,
          align: 'right',
          render: (v: number | null) => (v !== null ? durationText(v, t) : '–'),
          sorter: (a, b) => (a.avgCloseMinutes ?? -1) - (b.avgCloseMinutes ?? -1),
        },
      ]}
    />
  );
}
