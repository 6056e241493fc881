/**
 * 预警列表: the warnings the user may see, filtered by level, status, rule, kind, time and
 * text; as a table or as pins on the map coloured by level; xlsx export with the same
 * filters; reloaded live when warnings are raised or change. Filters live in the address.
 */
import { useEffect, useMemo, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { Button, DatePicker, Input, Segmented, Select, Space, Table, Tooltip, Typography } from 'antd';
import { DownloadOutlined, EnvironmentOutlined, TableOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import type { ReportStatus } from '../../api';
import { useI18n } from '../../i18n';
import { useBusy } from '../../app/feedback';
import { PageHeader } from '../../components/PageHeader';
import { tablePagination, useAllPages, usePagedList, useUrlListQuery } from '../../components/usePagedList';
import { useLiveRefresh } from '../../components/liveEvents';
import { formatTime, shanghaiIso, TIME_ZONE } from '../../format';
import { LazyReportMap } from '../reports/ReportMapLazy';
import type { MapPoint } from '../reports/ReportMap';
import { DeadlineCountdown } from '../reports/DeadlineCountdown';
import { shortAddress, shortTime } from '../reports/report-meta';
import { alertsApi, LEVELS, RULE_KINDS, WARNING_STATUSES, type AlertRule, type Level, type RuleKind, type WarningQuery, type WarningStatusFilter, type WarningSummary } from './alerts-api';
import { LEVEL_HEX, isWarningListEvent, kindLabel, levelLabel, statusLabel } from './alerts-meta';
import { LevelLegend, LevelTag, WarningStatusTag } from './AlertTags';
import './alerts.css';

const MAP_LIMIT = 1000;
const STATUS_FILTERS: WarningStatusFilter[] = [...WARNING_STATUSES.slice(0, 2), 'done', ...WARNING_STATUSES.slice(2)];

function queryFromParams(p: URLSearchParams): WarningQuery {
  const get = (k: string) => p.get(k) || undefined;
  return {
    page: Number(p.get('page')) || 1,
    pageSize: Number(p.get('pageSize')) || 20,
    level: get('level') as Level | undefined,
    status: get('status') as WarningStatusFilter | undefined,
    ruleId: get('ruleId'),
    kind: get('kind') as RuleKind | undefined,
    deviceId: get('deviceId'),
    from: get('from'),
    to: get('to'),
    q: get('q'),
  };
}

const WARNING_QUERY_KEYS = ['level', 'status', 'ruleId', 'kind', 'deviceId', 'from', 'to', 'q'] as const;

export default function WarningListPage() {
  const { t, lang } = useI18n();
  const navigate = useNavigate();
  const { busy, run } = useBusy();
  const { query, view, setQuery, filter, reset } = useUrlListQuery(queryFromParams, WARNING_QUERY_KEYS);
  const [keyword, setKeyword] = useState(query.q ?? '');
  const [version, setVersion] = useState(0);
  const [rules, setRules] = useState<AlertRule[]>([]);

  useEffect(() => {
    alertsApi.rules.list().then(setRules, () => undefined);
  }, []);


  const { data, loading } = usePagedList(alertsApi.warnings.list, query, version);
  useLiveRefresh(isWarningListEvent, () => setVersion((v) => v + 1), 1500);

  const mapData = useAllPages(alertsApi.warnings.list, query, { enabled: view === 'map', limit: MAP_LIMIT, reloadKey: version });

  const points = useMemo<MapPoint[]>(
    () =>
      (mapData?.items ?? [])
        .filter((w) => w.lng !== null && w.lat !== null)
        // Red last so that it is drawn on top of milder warnings at the same place.
        .sort((a, b) => LEVELS.indexOf(b.level) - LEVELS.indexOf(a.level))
        .map((w) => ({
          id: w.id,
          lng: w.lng!,
          lat: w.lat!,
          color: LEVEL_HEX[w.level],
          title: `${w.number} · ${levelLabel(t, w.level)} · ${statusLabel(t, w.status)}`,
          lines: [w.title, w.rule.name, w.addressText ?? '', formatTime(w.raisedAt, lang)].filter(Boolean),
        })),
    [mapData, t, lang],
  );

  const range = query.from || query.to ? ([query.from ? dayjs(query.from).tz(TIME_ZONE) : null, query.to ? dayjs(query.to).tz(TIME_ZONE).subtract(1, 'day') : null] as const) : null;

  return (
    <div className="za-page">
      <PageHeader
        title={t('nav.alerts.warnings')}
        extra={
          <Space wrap>
            <Segmented
              value={view}
              onChange={(v) => setQuery((q) => q, String(v))}
              options={[
                { value: 'table', icon: <TableOutlined />, label: t('rep.viewTable') },
                { value: 'map', icon: <EnvironmentOutlined />, label: t('rep.viewMap') },
              ]}
              data-testid="warnings-view"
            />
            <Button icon={<DownloadOutlined />} loading={busy.xlsx} onClick={() => run('xlsx', () => alertsApi.warnings.exportXlsx(query))} data-testid="warnings-export">
              {t('common.exportXlsx')}
            </Button>
          </Space>
        }
      />
      <div className="za-filter-bar">
        <Input.Search
          allowClear
          enterButton
          placeholder={t('al.searchWarnings')}
          style={{ width: 220 }}
          value={keyword}
          onChange={(e) => setKeyword(e.target.value)}
          onSearch={(v) => filter({ q: v.trim() || undefined })}
          data-testid="warnings-search"
        />
        <Select
          allowClear
          placeholder={t('al.level')}
          style={{ width: 100 }}
          value={query.level}
          options={LEVELS.map((l) => ({ value: l, label: <span className="za-level-option"><i style={{ background: LEVEL_HEX[l] }} />{levelLabel(t, l)}</span> }))}
          onChange={(v?: Level) => filter({ level: v })}
          data-testid="filter-level"
        />
        <Select
          allowClear
          placeholder={t('al.status')}
          style={{ width: 120 }}
          value={query.status}
          options={STATUS_FILTERS.map((s) => ({ value: s, label: s === 'done' ? t('al.status.done') : statusLabel(t, s) }))}
          onChange={(v?: WarningStatusFilter) => filter({ status: v })}
          data-testid="filter-warning-status"
        />
        <Select
          allowClear
          placeholder={t('al.kind')}
          style={{ width: 140 }}
          value={query.kind}
          options={RULE_KINDS.map((k) => ({ value: k, label: kindLabel(t, k) }))}
          onChange={(v?: RuleKind) => filter({ kind: v })}
        />
        <Select
          allowClear
          showSearch
          optionFilterProp="label"
          placeholder={t('al.rule')}
          style={{ width: 180 }}
          value={query.ruleId}
          options={rules.map((r) => ({ value: r.id, label: r.name }))}
          onChange={(v?: string) => filter({ ruleId: v })}
        />
        <DatePicker.RangePicker
          style={{ width: 240 }}
          value={range as never}
          allowEmpty={[true, true]}
          onChange={(v) =>
            filter({
              from: v?.[0] ? shanghaiIso(v[0].startOf('day')) : undefined,
              to: v?.[1] ? shanghaiIso(v[1].startOf('day').add(1, 'day')) : undefined,
            })
          }
        />
        <Button
          onClick={() => {
            setKeyword('');
            reset();
          }}
        >
          {t('common.reset')}
        </Button>
      </div>

      {view === 'map' ? (
        <div>
          <Typography.Text type="secondary" style={{ display: 'block', marginBottom: 6, fontSize: 12 }}>
            {t('al.mapLimit', { n: Math.min(MAP_LIMIT, mapData?.total ?? 0), total: mapData?.total ?? 0 })}
          </Typography.Text>
          <LazyReportMap
            height="calc(100vh - 250px)"
            points={points}
            onOpen={(id) => navigate(`/alerts/warnings/${id}`)}
            openLabel={t('common.detail')}
            legend={<LevelLegend />}
            showGrids
            testId="warnings-map"
          />
        </div>
      ) : (
        <Table<WarningSummary>
          size="small"
          bordered
          rowKey="id"
          loading={loading}
          dataSource={data.items}
          scroll={{ x: 1180 }}
          pagination={tablePagination(query, (u) => setQuery(u), data.total, (n) => t('common.total', { n }))}
          onRow={(r) => ({ 'data-testid': 'warning-row', 'data-number': r.number, 'data-level': r.level }) as React.HTMLAttributes<HTMLElement>}
          columns={[
            {
              title: t('al.number'),
              dataIndex: 'number',
              width: 150,
              fixed: 'left',
              render: (v: string, r) => (
                <div>
                  <Link to={`/alerts/warnings/${r.id}`} className="za-mono">
                    {v}
                  </Link>
                  <div className="za-cell-sub">{kindLabel(t, r.rule.kind)}</div>
                </div>
              ),
            },
            { title: t('al.level'), dataIndex: 'level', width: 72, align: 'center', render: (l: Level) => <LevelTag level={l} /> },
            {
              title: t('al.content'),
              dataIndex: 'title',
              ellipsis: { showTitle: false },
              render: (v: string, r) => (
                <Tooltip title={v} placement="topLeft">
                  <div className="za-ellipsis">{v}</div>
                  <div className="za-cell-sub za-ellipsis">{r.addressText ? shortAddress(r.addressText) : '—'}</div>
                </Tooltip>
              ),
            },
            { title: t('al.rule'), key: 'rule', width: 150, ellipsis: true, render: (_: unknown, r) => r.rule.name },
            {
              title: t('al.device'),
              key: 'device',
              width: 130,
              ellipsis: true,
              render: (_: unknown, r) =>
                r.device ? (
                  <Link to={`/alerts/devices/${r.device.id}`} className="za-mono">
                    {r.device.code}
                  </Link>
                ) : (
                  <Typography.Text type="secondary">—</Typography.Text>
                ),
            },
            { title: t('common.grid'), dataIndex: 'gridName', width: 120, ellipsis: true, render: (v: string | null) => v ?? '—' },
            {
              title: t('al.status'),
              dataIndex: 'status',
              width: 90,
              render: (s: WarningSummary['status'], r) => (
                <div>
                  <WarningStatusTag status={s} />
                  {r.clearedAt && <div className="za-cell-sub">{t('al.cleared')}</div>}
                </div>
              ),
            },
            {
              title: t('al.task'),
              key: 'task',
              width: 150,
              render: (_: unknown, r) =>
                r.report ? (
                  <div>
                    <Link to={`/reports/${r.report.id}`} className="za-mono">
                      {r.report.number}
                    </Link>
                    {r.status === 'verifying' && (
                      <div>
                        <DeadlineCountdown deadline={r.report.deadline} status={r.report.status as ReportStatus} />
                      </div>
                    )}
                  </div>
                ) : (
                  <Typography.Text type="secondary">{t('al.noTask')}</Typography.Text>
                ),
            },
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
      )}
    </div>
  );
}
