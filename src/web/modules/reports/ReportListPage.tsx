/**
 * 事件列表: every case the user may see, filtered (status, category, street, channel,
 * overdue, supervised, text); as a table or as points on the map coloured by status; xlsx
 * export with the same filters. Filters live in the address so that links and "back" keep them.
 */
import { useMemo, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { Button, Checkbox, Input, Segmented, Select, Space, Table, Tooltip, TreeSelect, Typography } from 'antd';
import { DownloadOutlined, EnvironmentOutlined, PlusOutlined, TableOutlined } from '@ant-design/icons';
import { api, CHANNELS, REPORT_STATUSES, type Channel, type ReportQuery, type ReportStatus, type ReportSummary } from '../../api';
import { labels, useI18n } from '../../i18n';
import { useAuth } from '../../app/auth';
import { useBusy } from '../../app/feedback';
import { PageHeader } from '../../components/PageHeader';
import { tablePagination, useAllPages, usePagedList, useUrlListQuery } from '../../components/usePagedList';
import { isReportEvent, useLiveRefresh } from '../../components/liveEvents';
import { formatTime } from '../../format';
import { useOrgs } from '../core/org-tree';
import { LazyReportMap } from './ReportMapLazy';
import type { MapPoint } from './ReportMap';
import { DeadlineCountdown } from './DeadlineCountdown';
import { CaseFlags, PriorityTag, StatusTag } from './StatusTag';
import { STATUS_HEX, areaText, categoryTree, shortTime, useReportCategories } from './report-meta';

const MAP_LIMIT = 1000;

function queryFromParams(p: URLSearchParams): ReportQuery {
  const status = (p.get('status') ?? '').split(',').filter((s): s is ReportStatus => (REPORT_STATUSES as readonly string[]).includes(s));
  return {
    page: Number(p.get('page')) || 1,
    pageSize: Number(p.get('pageSize')) || 20,
    status: status.length ? status : undefined,
    categoryCode: p.get('categoryCode') || undefined,
    streetOrgId: p.get('streetOrgId') || undefined,
    channel: (p.get('channel') as Channel) || undefined,
    q: p.get('q') || undefined,
    overdue: p.get('overdue') === 'true' || undefined,
    supervised: p.get('supervised') === 'true' || undefined,
    deptOrgId: p.get('deptOrgId') || undefined,
    gridId: p.get('gridId') || undefined,
  };
}

const REPORT_QUERY_KEYS = ['status', 'categoryCode', 'streetOrgId', 'channel', 'q', 'deptOrgId', 'gridId', 'overdue', 'supervised'] as const;

export default function ReportListPage() {
  const { t, lang } = useI18n();
  const { can } = useAuth();
  const navigate = useNavigate();
  const { busy, run } = useBusy();
  const { query, view, setQuery, filter, reset } = useUrlListQuery(queryFromParams, REPORT_QUERY_KEYS);
  const [keyword, setKeyword] = useState(query.q ?? '');
  const [version, setVersion] = useState(0);
  const cats = useReportCategories();
  const tree = useMemo(() => categoryTree(cats.list), [cats.list]);
  const { orgs } = useOrgs(can('org.read'));
  const streets = useMemo(() => orgs.filter((o) => o.kind === 'street').sort((a, b) => a.name.localeCompare(b.name, 'zh-CN')), [orgs]);


  const { data, loading } = usePagedList(api.reports.list, query, version);
  useLiveRefresh(isReportEvent, () => setVersion((v) => v + 1), 1500);

  // The map shows up to MAP_LIMIT cases of the same filters.
  const mapData = useAllPages(api.reports.list, query, { enabled: view === 'map', limit: MAP_LIMIT, reloadKey: version });

  const points = useMemo<MapPoint[]>(
    () =>
      (mapData?.items ?? [])
        .filter((r) => r.lng !== null && r.lat !== null)
        .map((r) => ({
          id: r.id,
          lng: r.lng!,
          lat: r.lat!,
          color: STATUS_HEX[r.status],
          title: `${r.number} · ${labels.reportStatus(lang, r.status)}`,
          lines: [r.categoryName ?? '', r.description.slice(0, 60), areaText(r), r.deptName ?? ''].filter(Boolean),
        })),
    [mapData, lang],
  );

  const legend = (
    <div className="za-status-legend">
      {REPORT_STATUSES.map((s) => (
        <span key={s}>
          <i style={{ background: STATUS_HEX[s] }} />
          {labels.reportStatus(lang, s)}
        </span>
      ))}
    </div>
  );

  return (
    <div className="za-page">
      <PageHeader
        title={t('nav.reports.list')}
        extra={
          <Space>
            <Segmented
              value={view}
              onChange={(v) => setQuery((q) => q, String(v))}
              options={[
                { value: 'table', icon: <TableOutlined />, label: t('rep.viewTable') },
                { value: 'map', icon: <EnvironmentOutlined />, label: t('rep.viewMap') },
              ]}
              data-testid="list-view"
            />
            <Button icon={<DownloadOutlined />} loading={busy.xlsx} onClick={() => run('xlsx', () => api.reports.exportXlsx(query))} data-testid="reports-export">
              {t('common.exportXlsx')}
            </Button>
            {can('report.create') && (
              <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/reports/intake')}>
                {t('nav.reports.intake')}
              </Button>
            )}
          </Space>
        }
      />
      <div className="za-filter-bar">
        <Input.Search
          allowClear
          enterButton
          placeholder={t('rep.searchPlaceholder')}
          style={{ width: 210 }}
          value={keyword}
          onChange={(e) => setKeyword(e.target.value)}
          onSearch={(v) => filter({ q: v.trim() || undefined })}
          data-testid="reports-search"
        />
        <Select<ReportStatus[]>
          mode="multiple"
          allowClear
          maxTagCount="responsive"
          placeholder={t('rep.filterStatus')}
          style={{ width: 190 }}
          value={query.status ?? []}
          options={REPORT_STATUSES.map((s) => ({ value: s, label: labels.reportStatus(lang, s) }))}
          onChange={(v) => filter({ status: v.length ? v : undefined })}
          data-testid="filter-status"
        />
        <TreeSelect
          allowClear
          showSearch
          treeNodeFilterProp="title"
          placeholder={t('rep.filterCategory')}
          style={{ width: 160 }}
          treeData={tree}
          value={query.categoryCode}
          popupMatchSelectWidth={280}
          onChange={(v?: string) => filter({ categoryCode: v || undefined })}
        />
        {streets.length > 0 && (
          <Select
            allowClear
            showSearch
            optionFilterProp="label"
            placeholder={t('rep.filterStreet')}
            style={{ width: 130 }}
            value={query.streetOrgId}
            options={streets.map((s) => ({ value: s.id, label: s.name }))}
            onChange={(v?: string) => filter({ streetOrgId: v || undefined })}
          />
        )}
        <Select
          allowClear
          placeholder={t('rep.filterChannel')}
          style={{ width: 116 }}
          value={query.channel}
          options={CHANNELS.map((c) => ({ value: c, label: labels.channel(lang, c) }))}
          onChange={(v?: Channel) => filter({ channel: v })}
        />
        <Checkbox checked={!!query.overdue} onChange={(e) => filter({ overdue: e.target.checked || undefined })} data-testid="filter-overdue">
          {t('rep.onlyOverdue')}
        </Checkbox>
        <Checkbox checked={!!query.supervised} onChange={(e) => filter({ supervised: e.target.checked || undefined })}>
          {t('rep.onlySupervised')}
        </Checkbox>
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
            {t('rep.mapLimit', { n: Math.min(MAP_LIMIT, mapData?.total ?? 0), total: mapData?.total ?? 0 })}
          </Typography.Text>
          <LazyReportMap height="calc(100vh - 240px)" points={points} onOpen={(id) => navigate(`/reports/${id}`)} openLabel={t('common.detail')} legend={legend} showGrids testId="reports-map" />
        </div>
      ) : (
        <Table<ReportSummary>
          size="small"
          bordered
          rowKey="id"
          loading={loading}
          dataSource={data.items}
          scroll={{ x: 1100 }}
          pagination={tablePagination(query, (u) => setQuery(u), data.total, (n) => t('common.total', { n }))}
          onRow={(r) => ({ 'data-testid': 'report-row', 'data-number': r.number }) as React.HTMLAttributes<HTMLElement>}
          columns={[
            {
              title: t('rep.number'),
              dataIndex: 'number',
              width: 140,
              fixed: 'left',
              render: (v: string, r) => (
                <div>
                  <Link to={`/reports/${r.id}`} className="za-mono">
                    {v}
                  </Link>
                  <div className="za-cell-sub">{labels.channel(lang, r.channel)}</div>
                </div>
              ),
            },
            {
              title: t('rep.status'),
              dataIndex: 'status',
              width: 120,
              render: (s: ReportStatus, r) => (
                <Space size={2} wrap>
                  <StatusTag status={s} />
                  <PriorityTag priority={r.priority} hideNormal />
                  <CaseFlags supervised={r.supervised} />
                </Space>
              ),
            },
            { title: t('rep.category'), dataIndex: 'categoryName', width: 100, ellipsis: true, render: (v: string | null) => v ?? <Typography.Text type="secondary">—</Typography.Text> },
            {
              title: t('rep.description'),
              dataIndex: 'description',
              ellipsis: { showTitle: false },
              render: (v: string) => (
                <Tooltip title={v} placement="topLeft">
                  {v}
                </Tooltip>
              ),
            },
            {
              title: t('rep.area'),
              key: 'area',
              width: 140,
              ellipsis: { showTitle: false },
              render: (_: unknown, r) => (
                <Tooltip title={r.address ?? areaText(r)} placement="topLeft">
                  {[r.streetName, r.communityName].filter(Boolean).join(' · ') || '—'}
                </Tooltip>
              ),
            },
            { title: t('rep.dept'), dataIndex: 'deptName', width: 140, ellipsis: true, render: (v: string | null) => v ?? '—' },
            { title: t('rep.assignee'), dataIndex: 'assigneeName', width: 76, ellipsis: true, render: (v: string | null) => v ?? '—' },
            {
              title: t('rep.deadline'),
              key: 'deadline',
              width: 130,
              render: (_: unknown, r) => <DeadlineCountdown deadline={r.stageDeadline} overdue={r.overdue} warned={r.warned} status={r.status} />,
            },
            {
              title: t('rep.createdAt'),
              dataIndex: 'createdAt',
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
