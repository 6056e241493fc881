/**
 * 分拨队列: reports the system could not route by itself (unsure category, no department),
 * and cases waiting to be registered or dispatched. Per row: set the category (or adopt the
 * classifier's suggestion), then 受理 / 立案 / 派遣, 作废 with a reason, or 合并 into another case.
 */
import { useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { App, Badge, Button, Dropdown, Segmented, Space, Table, Tag, Tooltip, TreeSelect, Typography } from 'antd';
import { CheckOutlined, MergeCellsOutlined, MoreOutlined, ReloadOutlined, SendOutlined, StopOutlined, ThunderboltOutlined } from '@ant-design/icons';
import { api, type ReportAction, type ReportQuery, type ReportSummary } from '../../api';
import { labels, useI18n } from '../../i18n';
import { useAuth } from '../../app/auth';
import { useBusy } from '../../app/feedback';
import { PageHeader } from '../../components/PageHeader';
import { tablePagination, usePagedList } from '../../components/usePagedList';
import { isReportEvent, useLiveConnected, useLiveRefresh } from '../../components/liveEvents';
import { confidenceColor, formatTime, percent } from '../../format';
import { ActionModal } from './ActionModal';
import { StatusTag, PriorityTag } from './StatusTag';
import { DeadlineCountdown } from './DeadlineCountdown';
import { areaText, categoryTree, useReportCategories } from './report-meta';

type Tab = 'reported' | 'later';

interface Pending {
  report: ReportSummary;
  action: ReportAction;
  chain: ReportAction[];
}

export default function TriagePage() {
  const { t, lang } = useI18n();
  const { can } = useAuth();
  const { message } = App.useApp();
  const { busy, run } = useBusy();
  const cats = useReportCategories();
  const tree = useMemo(() => categoryTree(cats.list, { leavesOnly: true }), [cats.list]);
  const live = useLiveConnected();

  const [tab, setTab] = useState<Tab>('reported');
  const [query, setQuery] = useState<ReportQuery>({ page: 1, pageSize: 20, triage: true });
  const [version, setVersion] = useState(0);
  const [pending, setPending] = useState<Pending | null>(null);
  const { data, loading } = usePagedList(api.reports.list, query, version);
  const reload = () => setVersion((v) => v + 1);
  useLiveRefresh(isReportEvent, reload);

  const switchTab = (v: Tab) => {
    setTab(v);
    setQuery((q) => ({ page: 1, pageSize: q.pageSize, ...(v === 'reported' ? { triage: true } : { status: ['accepted', 'registered'], order: 'deadline' as const }) }));
  };

  const setCategory = async (r: ReportSummary, code: string) => {
    const out = await run(`cat-${r.id}`, () => api.reports.triage(r.id, code));
    if (out) {
      message.success(t('triage.categorized'));
      reload();
    }
  };

  const quick = async (r: ReportSummary, action: ReportAction) => {
    const out = await run(`${action}-${r.id}`, () => api.reports.act(r.id, action, {}));
    if (out) {
      message.success(t('rep.actionDone', { action: labels.reportAction(lang, action) }));
      reload();
    }
  };

  /** Steps still to take before dispatching, from the case's status. */
  const chainTo = (r: ReportSummary): ReportAction[] => (r.status === 'reported' ? ['accept', 'register'] : r.status === 'accepted' ? ['register'] : []);
  const canDispatch = can('report.dispatch');

  return (
    <div className="za-page">
      <PageHeader
        title={t('nav.reports.triage')}
        sub={
          <Space size={6}>
            <Badge status={live ? 'processing' : 'default'} />
            {t('triage.live')}
          </Space>
        }
        extra={
          <Space>
            <Segmented<Tab>
              value={tab}
              onChange={switchTab}
              options={[
                { value: 'reported', label: t('triage.pending') },
                { value: 'later', label: t('triage.inProgress') },
              ]}
              data-testid="triage-tabs"
            />
            <Button icon={<ReloadOutlined />} onClick={reload}>
              {t('common.refresh')}
            </Button>
          </Space>
        }
      />
      <Table<ReportSummary>
        size="small"
        bordered
        rowKey="id"
        loading={loading}
        dataSource={data.items}
        locale={{ emptyText: t('triage.empty') }}
        pagination={tablePagination(query, setQuery, data.total, (n) => t('common.total', { n }))}
        scroll={{ x: 1200 }}
        onRow={(r) => ({ 'data-testid': 'triage-row', 'data-number': r.number }) as React.HTMLAttributes<HTMLElement>}
        columns={[
          {
            title: t('rep.number'),
            dataIndex: 'number',
            width: 150,
            render: (v: string, r) => (
              <Space direction="vertical" size={0}>
                <Link to={`/reports/${r.id}`} className="za-mono">
                  {v}
                </Link>
                <Space size={2}>
                  <StatusTag status={r.status} />
                  <PriorityTag priority={r.priority} hideNormal />
                </Space>
              </Space>
            ),
          },
          {
            title: t('rep.description'),
            dataIndex: 'description',
            render: (v: string, r) => (
              <div>
                <Typography.Paragraph ellipsis={{ rows: 2, tooltip: v }} style={{ marginBottom: 2 }}>
                  {v}
                </Typography.Paragraph>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {labels.channel(lang, r.channel)} · {areaText(r)} · {formatTime(r.createdAt, lang)}
                </Typography.Text>
              </div>
            ),
          },
          {
            title: t('triage.suggestion'),
            key: 'suggestion',
            width: 170,
            render: (_: unknown, r) =>
              r.suggestedCategory ? (
                <Space size={4} wrap>
                  <span>{cats.name(r.suggestedCategory)}</span>
                  {r.suggestedConfidence !== null && (
                    <Tag bordered={false} color={confidenceColor(r.suggestedConfidence)}>
                      {percent(r.suggestedConfidence)}
                    </Tag>
                  )}
                  {r.categoryCode !== r.suggestedCategory && (
                    <Button
                      size="small"
                      type="link"
                      icon={<ThunderboltOutlined />}
                      loading={busy[`cat-${r.id}`]}
                      onClick={() => setCategory(r, r.suggestedCategory!)}
                      data-testid="adopt-suggestion"
                    >
                      {t('triage.adopt')}
                    </Button>
                  )}
                </Space>
              ) : (
                <Typography.Text type="secondary">—</Typography.Text>
              ),
          },
          {
            title: t('rep.category'),
            key: 'category',
            width: 200,
            render: (_: unknown, r) => (
              <TreeSelect
                size="small"
                showSearch
                treeNodeFilterProp="title"
                style={{ width: '100%' }}
                value={r.categoryCode ?? undefined}
                treeData={tree}
                placeholder={t('triage.chooseCategory')}
                popupMatchSelectWidth={300}
                disabled={busy[`cat-${r.id}`]}
                onChange={(code: string) => code && setCategory(r, code)}
                data-testid="triage-category"
              />
            ),
          },
          {
            title: t('rep.deadline'),
            key: 'deadline',
            width: 140,
            render: (_: unknown, r) => <DeadlineCountdown deadline={r.stageDeadline} overdue={r.overdue} warned={r.warned} status={r.status} />,
          },
          {
            title: t('common.actions'),
            key: 'actions',
            width: 250,
            fixed: 'right',
            render: (_: unknown, r) => {
              const noCategory = !r.categoryCode;
              const gate = (node: React.ReactElement) => (noCategory ? <Tooltip title={t('triage.needCategory')}>{node}</Tooltip> : node);
              return (
                <Space size={4} wrap>
                  {r.status === 'reported' &&
                    gate(
                      <Button size="small" icon={<CheckOutlined />} disabled={noCategory} loading={busy[`accept-${r.id}`]} onClick={() => quick(r, 'accept')} data-testid="triage-accept">
                        {labels.reportAction(lang, 'accept')}
                      </Button>,
                    )}
                  {r.status === 'accepted' &&
                    gate(
                      <Button size="small" icon={<CheckOutlined />} disabled={noCategory} loading={busy[`register-${r.id}`]} onClick={() => quick(r, 'register')} data-testid="triage-register">
                        {labels.reportAction(lang, 'register')}
                      </Button>,
                    )}
                  {canDispatch &&
                    gate(
                      <Button
                        size="small"
                        type="primary"
                        icon={<SendOutlined />}
                        disabled={noCategory}
                        onClick={() => setPending({ report: r, action: 'dispatch', chain: chainTo(r) })}
                        data-testid="triage-dispatch"
                      >
                        {r.status === 'registered' ? labels.reportAction(lang, 'dispatch') : t('triage.dispatchAll')}
                      </Button>,
                    )}
                  <Dropdown
                    trigger={['click']}
                    menu={{
                      items: [
                        { key: 'void', icon: <StopOutlined />, label: labels.reportAction(lang, 'void'), danger: true },
                        { key: 'merge', icon: <MergeCellsOutlined />, label: labels.reportAction(lang, 'merge') },
                      ],
                      onClick: ({ key }) => setPending({ report: r, action: key as ReportAction, chain: [] }),
                    }}
                  >
                    <Button size="small" icon={<MoreOutlined />} aria-label={t('triage.more')} data-testid="triage-more" />
                  </Dropdown>
                </Space>
              );
            },
          },
        ]}
      />
      <ActionModal
        report={pending?.report ?? null}
        action={pending?.action ?? null}
        chain={pending?.chain}
        onClose={() => setPending(null)}
        onDone={() => {
          setPending(null);
          reload();
        }}
      />
    </div>
  );
}
