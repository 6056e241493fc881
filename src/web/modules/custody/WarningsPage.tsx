/**
 * 预警 — deadlines missed in the custody of seized property: registered late, loans overdue,
 * unrelated items not released, items undisposed after the case concluded, transfers not
 * accepted. Open ones by default; each links to its item.
 */
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { Button, Segmented, Select, Table, Tag, Tooltip, Typography } from 'antd';
import { ReloadOutlined } from '@ant-design/icons';
import { PageHeader } from '../../components/PageHeader';
import { usePagedList } from '../../components/usePagedList';
import { useLiveRefresh } from '../../components/liveEvents';
import { formatTime } from '../../format';
import { shortTime } from '../reports/report-meta';
import { custodyApi, WARNING_KINDS, type CustodyWarning } from './custody-api';
import { useCustodyI18n } from './custody-i18n';

const KIND_COLORS: Record<string, string> = {
  late_registration: 'orange',
  loan_overdue: 'red',
  unrelated_not_released: 'volcano',
  undisposed: 'magenta',
  transfer_unaccepted: 'gold',
};

export default function WarningsPage() {
  const { t, lang, warningLabel } = useCustodyI18n();
  const [query, setQuery] = useState<{ open?: boolean; kind?: string; page: number; pageSize: number }>({ open: true, page: 1, pageSize: 20 });
  const [version, setVersion] = useState(0);
  const { data, loading } = usePagedList(custodyApi.warnings, query, version);
  useLiveRefresh((e) => e.type === 'custody.warning', () => setVersion((v) => v + 1), 1000);

  const time = (v: string | null) =>
    v ? (
      <Tooltip title={formatTime(v, lang)}>
        <span className="za-cell-time">{shortTime(v, lang)}</span>
      </Tooltip>
    ) : (
      <Typography.Text type="secondary">—</Typography.Text>
    );

  return (
    <div className="za-page">
      <PageHeader title={t('w.title')} extra={<Button icon={<ReloadOutlined />} onClick={() => setVersion((v) => v + 1)} aria-label={t('c.refresh')} />} />
      <div className="za-filter-bar">
        <Segmented
          value={query.open ? 'open' : 'all'}
          onChange={(v) => setQuery((q) => ({ ...q, open: v === 'open' ? true : undefined, page: 1 }))}
          options={[
            { value: 'open', label: t('w.openOnly') },
            { value: 'all', label: t('c.all') },
          ]}
          data-testid="warnings-open"
        />
        <Select allowClear placeholder={t('w.kind')} style={{ width: 200 }} value={query.kind} options={WARNING_KINDS.map((k) => ({ value: k, label: warningLabel(k) }))} onChange={(v?: string) => setQuery((q) => ({ ...q, kind: v, page: 1 }))} />
      </div>
      <Table<CustodyWarning>
        size="small"
        bordered
        rowKey="id"
        loading={loading}
        dataSource={data.items}
        scroll={{ x: 1000 }}
        locale={{ emptyText: t('w.empty') }}
        pagination={{ current: query.page, pageSize: query.pageSize, total: data.total, showSizeChanger: true, pageSizeOptions: [20, 50, 100], showTotal: (n) => t('c.totalN', { n }), onChange: (page, pageSize) => setQuery((q) => ({ ...q, page: pageSize !== q.pageSize ? 1 : page, pageSize })) }}
        onRow={() => ({ 'data-testid': 'warning-row' }) as React.HTMLAttributes<HTMLElement>}
        columns={[
          { title: t('w.kind'), dataIndex: 'kind', width: 170, render: (k: string, r) => <Tag color={KIND_COLORS[k] ?? 'red'}>{warningLabel(k, r.label)}</Tag> },
          {
            title: t('c.name'),
            key: 'item',
            render: (_: unknown, r) => (
              <div>
                <Link to={`/custody/items/${r.item.id}`} className="za-mono">
                  {r.item.code}
                </Link>
                <div>{r.item.name}</div>
              </div>
            ),
          },
          { title: t('c.caseNumber'), dataIndex: 'caseNumber', width: 230, ellipsis: true },
          { title: t('c.holder'), dataIndex: 'holderName', width: 150, ellipsis: true, render: (v: string | null) => v ?? '—' },
          { title: t('c.raisedAt'), dataIndex: 'raisedAt', width: 100, render: (v: string) => time(v) },
          { title: t('w.dueAt'), dataIndex: 'dueAt', width: 100, render: (v: string | null) => time(v) },
          {
            title: t('c.status'),
            dataIndex: 'resolvedAt',
            width: 110,
            render: (v: string | null) => (v ? <Tooltip title={formatTime(v, lang)}><Tag color="green">{t('w.resolved')}</Tag></Tooltip> : <Tag color="red">{t('w.open')}</Tag>),
          },
        ]}
      />
    </div>
  );
}
