/**
 * 案件 — the cases whose property the user may see (one code per case), with 登记案件 for
 * officers. Filters live in the address.
 */
import { useEffect, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { Button, Input, Select, Table, Tag, Tooltip } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useAuth } from '../../app/auth';
import { PageHeader } from '../../components/PageHeader';
import { tablePagination, usePagedList, useUrlListQuery } from '../../components/usePagedList';
import { formatTime } from '../../format';
import { shortTime } from '../reports/report-meta';
import { custodyApi, type CaseQuery, type CaseSummary } from './custody-api';
import { useCustodyI18n } from './custody-i18n';
import { CaseFormModal } from './CaseForms';
import { CaseStatusTag } from './custody-meta';

function queryFromParams(p: URLSearchParams): CaseQuery {
  return {
    page: Number(p.get('page')) || 1,
    pageSize: Number(p.get('pageSize')) || 20,
    q: p.get('q') || undefined,
    status: (p.get('status') as CaseQuery['status']) || undefined,
  };
}
const KEYS = ['q', 'status'] as const;

export default function CasesPage() {
  const { t, lang } = useCustodyI18n();
  const { can } = useAuth();
  const navigate = useNavigate();
  const { query, setQuery, filter, reset } = useUrlListQuery(queryFromParams, KEYS);
  const [keyword, setKeyword] = useState(query.q ?? '');
  const [creating, setCreating] = useState(false);
  const { data, loading } = usePagedList(custodyApi.cases.list, query);
  useEffect(() => setKeyword(query.q ?? ''), [query.q]);

  return (
    <div className="za-page">
      <PageHeader
        title={t('case.list')}
        extra={
          can('custody.register') && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="case-new">
              {t('case.new')}
            </Button>
          )
        }
      />
      <div className="za-filter-bar">
        <Input.Search allowClear enterButton placeholder={t('case.search')} style={{ width: 260 }} value={keyword} onChange={(e) => setKeyword(e.target.value)} onSearch={(v) => filter({ q: v.trim() || undefined })} data-testid="case-search" />
        <Select
          allowClear
          placeholder={t('c.status')}
          style={{ width: 120 }}
          value={query.status}
          options={(['open', 'concluded'] as const).map((s) => ({ value: s, label: t(`c.caseStatus.${s}`) }))}
          onChange={(v?: CaseQuery['status']) => filter({ status: v })}
        />
        <Button
          onClick={() => {
            setKeyword('');
            reset();
          }}
        >
          {t('c.reset')}
        </Button>
      </div>
      <Table<CaseSummary>
        size="small"
        bordered
        rowKey="id"
        loading={loading}
        dataSource={data.items}
        scroll={{ x: 1100 }}
        pagination={tablePagination(query, (u) => setQuery(u), data.total, (n) => t('c.totalN', { n }))}
        onRow={(r) => ({ onClick: (e) => !(e.target as HTMLElement).closest('a,button') && navigate(`/custody/cases/${r.id}`), className: 'cz-row-link', 'data-testid': 'case-row' }) as React.HTMLAttributes<HTMLElement>}
        columns={[
          {
            title: t('c.caseCode'),
            dataIndex: 'code',
            width: 140,
            fixed: 'left',
            render: (v: string, r) => (
              <Link to={`/custody/cases/${r.id}`} className="za-mono">
                {v}
              </Link>
            ),
          },
          { title: t('c.caseNumber'), dataIndex: 'caseNumber', width: 240, ellipsis: true },
          { title: t('c.caseTitle'), dataIndex: 'title', ellipsis: true },
          { title: t('case.kind'), dataIndex: 'kind', width: 70, render: (k: CaseSummary['kind']) => <Tag bordered={false}>{t(`c.kind.${k}`)}</Tag> },
          { title: t('case.agency'), key: 'agency', width: 150, ellipsis: true, render: (_: unknown, r) => r.agency.name },
          { title: t('case.officer'), key: 'officer', width: 90, render: (_: unknown, r) => r.officer.name },
          {
            title: t('case.openedAt'),
            dataIndex: 'openedAt',
            width: 100,
            render: (v: string) => (
              <Tooltip title={formatTime(v, lang)}>
                <span className="za-cell-time">{shortTime(v, lang)}</span>
              </Tooltip>
            ),
          },
          { title: t('case.items'), key: 'items', width: 120, align: 'center', render: (_: unknown, r) => `${r.disposedCount ?? 0} / ${r.itemCount ?? 0}` },
          { title: t('c.status'), dataIndex: 'status', width: 90, render: (s: CaseSummary['status']) => <CaseStatusTag status={s} /> },
        ]}
      />
      <CaseFormModal
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(c) => {
          setCreating(false);
          navigate(`/custody/cases/${c.id}`);
        }}
      />
    </div>
  );
}
