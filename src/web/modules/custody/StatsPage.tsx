/**
 * 统计 — seized property in numbers: what is in custody, on loan and disposed of, open
 * warnings and the average days from registration to disposal; by type (in custody vs
 * disposed), by disposal way, and received vs disposed per month over the last year.
 */
import { useEffect, useMemo, useState } from 'react';
import { Card, Col, Empty, Row, Spin, Statistic, Table } from 'antd';
import { useShowError } from '../../app/feedback';
import { EChart, type EChartOption } from '../../components/EChart';
import { PageHeader } from '../../components/PageHeader';
import { formatNumber } from '../../format';
import { custodyApi, type CustodyStats } from './custody-api';
import { useCustodyI18n } from './custody-i18n';

const COLORS = { inCustody: '#1d4ed8', onLoan: '#0ea5e9', disposed: '#16a34a', received: '#1d4ed8', warnings: '#dc2626' };
const WAY_COLORS: Record<string, string> = { auction: '#f59e0b', destroy: '#64748b', return: '#16a34a', confiscate: '#7c3aed' };

export default function StatsPage() {
  const { t, lang, typeLabel, wayLabel, yuan } = useCustodyI18n();
  const showError = useShowError();
  const [stats, setStats] = useState<CustodyStats | null>(null);
  useEffect(() => {
    custodyApi.stats().then(setStats, showError);
  }, [showError]);

  const byType = useMemo<EChartOption>(() => {
    const rows = stats?.byType ?? [];
    return {
      grid: { left: 8, right: 16, top: 30, bottom: 8, containLabel: true },
      legend: { top: 0, right: 0, itemWidth: 12, itemHeight: 8, textStyle: { fontSize: 12 } },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: { type: 'category', data: rows.map((r) => typeLabel(r.type)), axisTick: { show: false }, axisLabel: { fontSize: 12, color: '#334155' } },
      yAxis: { type: 'value', minInterval: 1, splitLine: { lineStyle: { color: '#eef1f5' } } },
      series: [
        { name: t('stats.inCustody'), type: 'bar', data: rows.map((r) => r.inCustody), itemStyle: { color: COLORS.inCustody, borderRadius: [3, 3, 0, 0] }, barMaxWidth: 22 },
        { name: t('stats.onLoan'), type: 'bar', data: rows.map((r) => r.onLoan), itemStyle: { color: COLORS.onLoan, borderRadius: [3, 3, 0, 0] }, barMaxWidth: 22 },
        { name: t('stats.disposed'), type: 'bar', data: rows.map((r) => r.disposed), itemStyle: { color: COLORS.disposed, borderRadius: [3, 3, 0, 0] }, barMaxWidth: 22 },
      ],
    };
  }, [stats, t, typeLabel]);

  const byWay = useMemo<EChartOption>(
    () => ({
      tooltip: { trigger: 'item', formatter: '{b}: {c} ({d}%)' },
      legend: { bottom: 0, itemWidth: 12, itemHeight: 8, textStyle: { fontSize: 12 } },
      series: [
        {
          type: 'pie',
          radius: ['42%', '68%'],
          center: ['50%', '44%'],
          label: { formatter: '{b}\n{c}', fontSize: 11 },
          data: (stats?.byWay ?? []).map((w) => ({ name: wayLabel(w.way), value: w.count, itemStyle: { color: WAY_COLORS[w.way] } })),
        },
      ],
    }),
    [stats, wayLabel],
  );

  const byMonth = useMemo<EChartOption>(() => {
    const rows = stats?.byMonth ?? [];
    return {
      grid: { left: 8, right: 16, top: 30, bottom: 8, containLabel: true },
      legend: { top: 0, right: 0, itemWidth: 12, itemHeight: 8, textStyle: { fontSize: 12 } },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: rows.map((r) => r.month), axisLabel: { fontSize: 11 } },
      yAxis: { type: 'value', minInterval: 1, splitLine: { lineStyle: { color: '#eef1f5' } } },
      series: [
        { name: t('stats.received'), type: 'line', data: rows.map((r) => r.received), itemStyle: { color: COLORS.received }, areaStyle: { opacity: 0.08 }, symbolSize: 6 },
        { name: t('stats.disposed'), type: 'line', data: rows.map((r) => r.disposed), itemStyle: { color: COLORS.disposed }, symbolSize: 6 },
      ],
    };
  }, [stats, t]);

  if (!stats)
    return (
      <div className="za-page">
        <PageHeader title={t('stats.title')} />
        <div className="za-center" style={{ height: 240 }}>
          <Spin />
        </div>
      </div>
    );

  const tt = stats.totals;
  const value = stats.byType.reduce((n, r) => n + r.valueInCustodyCents, 0);
  const kpis = [
    { key: 'in', title: t('stats.inCustody'), value: formatNumber(tt.inCustody, lang), sub: t('stats.total', { n: tt.items }), color: COLORS.inCustody },
    { key: 'loan', title: t('stats.onLoan'), value: formatNumber(tt.onLoan, lang), sub: '', color: COLORS.onLoan },
    { key: 'disposed', title: t('stats.disposed'), value: formatNumber(tt.disposed, lang), sub: '', color: COLORS.disposed },
    { key: 'warnings', title: t('stats.warnings'), value: formatNumber(tt.openWarnings, lang), sub: '', color: COLORS.warnings },
    { key: 'days', title: t('stats.avgDays'), value: tt.avgDaysToDisposal === null ? '–' : t('stats.days', { n: tt.avgDaysToDisposal }), sub: `${t('stats.value')} ${yuan(value)}`, color: '#7c3aed' },
  ];

  return (
    <div className="za-page">
      <PageHeader title={t('stats.title')} />
      <div className="za-kpis" data-testid="custody-kpis">
        {kpis.map((k) => (
          <Card size="small" key={k.key} className="za-kpi" style={{ borderTopColor: k.color }}>
            <Statistic title={k.title} value={k.value} />
            <div className="za-kpi-sub">{k.sub}</div>
          </Card>
        ))}
      </div>
      {tt.items === 0 ? (
        <Card className="za-card">
          <Empty description={t('stats.noData')} />
        </Card>
      ) : (
        <>
          <Row gutter={12}>
            <Col xs={24} xl={14}>
              <Card size="small" title={t('stats.byType')} className="za-card">
                <EChart option={byType} height={300} testId="chart-by-type" />
              </Card>
            </Col>
            <Col xs={24} xl={10}>
              <Card size="small" title={t('stats.byWay')} className="za-card">
                {stats.byWay.length ? <EChart option={byWay} height={300} testId="chart-by-way" /> : <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('stats.noData')} style={{ height: 276, paddingTop: 80 }} />}
              </Card>
            </Col>
          </Row>
          <Card size="small" title={t('stats.byMonth')} className="za-card">
            <EChart option={byMonth} height={260} testId="chart-by-month" />
          </Card>
          <Card size="small" title={t('stats.byType')} className="za-card" styles={{ body: { padding: 0 } }}>
            <Table
              size="small"
              rowKey="type"
              pagination={false}
              dataSource={stats.byType}
              scroll={{ x: 720 }}
              columns={[
                { title: t('c.type'), dataIndex: 'type', render: (v: string) => typeLabel(v) },
                { title: t('stats.inCustody'), dataIndex: 'inCustody', align: 'right' },
                { title: t('stats.onLoan'), dataIndex: 'onLoan', align: 'right' },
                { title: t('stats.disposed'), dataIndex: 'disposed', align: 'right' },
                { title: t('stats.value'), dataIndex: 'valueInCustodyCents', align: 'right', render: (v: number) => yuan(v) },
                { title: t('stats.avgDays'), dataIndex: 'avgDaysToDisposal', align: 'right', render: (v: number | null) => (v === null ? '–' : v) },
              ]}
            />
          </Card>
        </>
      )}
    </div>
  );
}
