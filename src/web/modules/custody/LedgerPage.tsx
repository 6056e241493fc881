/**
 * 台账 — every seized item the user may see, filtered by text, type, status, holding agency,
 * disposal way and open warnings (and, from other pages, by case, centre or storage place),
 * with the xlsx export of the same filters. Filters live in the address.
 */
import { useEffect, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { Badge, Button, Checkbox, Input, Select, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { DownloadOutlined, LockOutlined, ScanOutlined } from '@ant-design/icons';
import { useBusy } from '../../app/feedback';
import { PageHeader } from '../../components/PageHeader';
import { tablePagination, usePagedList, useUrlListQuery } from '../../components/usePagedList';
import { formatTime } from '../../format';
import { shortTime } from '../reports/report-meta';
import { custodyApi, DISPOSAL_WAYS, ITEM_TYPES, STATUSES, type Agency, type DisposalWay, type Item, type ItemQuery, type Place, type ItemStatus, type ItemType } from './custody-api';
import { useCustodyI18n } from './custody-i18n';
import { ItemStatusTag, qtyText } from './custody-meta';

function queryFromParams(p: URLSearchParams): ItemQuery {
  const get = (k: string) => p.get(k) || undefined;
  return {
    page: Number(p.get('page')) || 1,
    pageSize: Number(p.get('pageSize')) || 20,
    q: get('q'),
    type: get('type') as ItemType | undefined,
    status: get('status') as ItemStatus | undefined,
    holderOrgId: get('holderOrgId'),
    disposition: get('disposition') as DisposalWay | undefined,
    warning: p.get('warning') === 'true' ? true : undefined,
    locationId: get('locationId'),
    centreId: get('centreId'),
    caseId: get('caseId'),
  };
}

const KEYS = ['q', 'type', 'status', 'holderOrgId', 'disposition', 'warning', 'locationId', 'centreId', 'caseId'] as const;

export default function LedgerPage() {
  const { t, lang, typeLabel, statusLabel, wayLabel } = useCustodyI18n();
  const navigate = useNavigate();
  const { busy, run } = useBusy();
  const { query, setQuery, filter, reset } = useUrlListQuery(queryFromParams, KEYS);
  const [keyword, setKeyword] = useState(query.q ?? '');
  const [agencies, setAgencies] = useState<Agency[]>([]);
  const [centres, setCentres] = useState<Place[]>([]);
  const { data, loading } = usePagedList(custodyApi.items.list, query);

  useEffect(() => {
    custodyApi.transferTargets().then(setAgencies, () => undefined);
    custodyApi.centres().then(setCentres, () => undefined);
  }, []);
  useEffect(() => setKeyword(query.q ?? ''), [query.q]);

  // A filter set from another page (a place, a case, a centre) shows as a removable tag.
  const first = data.items[0];
  const scopeTags: { key: 'locationId' | 'caseId' | 'centreId'; text: string }[] = [];
  if (query.locationId) scopeTags.push({ key: 'locationId', text: t('c.filterLocation', { name: first?.location?.path ?? query.locationId.slice(0, 8) }) });
  if (query.caseId) scopeTags.push({ key: 'caseId', text: t('c.filterCase', { name: first?.case.caseNumber ?? query.caseId.slice(0, 8) }) });
  if (query.centreId) scopeTags.push({ key: 'centreId', text: t('c.filterCentre', { name: centres.find((c) => c.id === query.centreId)?.name ?? query.centreId.slice(0, 8) }) });

  return (
    <div className="za-page">
      <PageHeader
        title={t('ledger.title')}
        extra={
          <Space wrap>
            <Button icon={<ScanOutlined />} onClick={() => navigate('/custody/scan')}>
              {t('nav.scan')}
            </Button>
            <Button icon={<DownloadOutlined />} loading={busy.xlsx} onClick={() => run('xlsx', () => custodyApi.items.exportXlsx(query))} data-testid="ledger-export">
              {t('ledger.export')}
            </Button>
          </Space>
        }
      />
      <div className="za-filter-bar">
        <Input.Search
          allowClear
          enterButton
          placeholder={t('c.searchItems')}
          style={{ width: 240 }}
          value={keyword}
          onChange={(e) => setKeyword(e.target.value)}
          onSearch={(v) => filter({ q: v.trim() || undefined })}
          data-testid="ledger-search"
        />
        <Select allowClear placeholder={t('c.type')} style={{ width: 120 }} value={query.type} options={ITEM_TYPES.map((x) => ({ value: x, label: typeLabel(x) }))} onChange={(v?: ItemType) => filter({ type: v })} data-testid="filter-type" />
        <Select allowClear placeholder={t('c.status')} style={{ width: 120 }} value={query.status} options={STATUSES.map((x) => ({ value: x, label: statusLabel(x) }))} onChange={(v?: ItemStatus) => filter({ status: v })} data-testid="filter-status" />
        <Select
          allowClear
          showSearch
          optionFilterProp="label"
          placeholder={t('c.holder')}
          style={{ width: 180 }}
          value={query.holderOrgId}
          options={agencies.map((a) => ({ value: a.id, label: a.name }))}
          onChange={(v?: string) => filter({ holderOrgId: v })}
        />
        <Select allowClear placeholder={t('c.dispositionWay')} style={{ width: 130 }} value={query.disposition} options={DISPOSAL_WAYS.map((x) => ({ value: x, label: wayLabel(x) }))} onChange={(v?: DisposalWay) => filter({ disposition: v })} />
        <Checkbox checked={!!query.warning} onChange={(e) => filter({ warning: e.target.checked || undefined })} data-testid="filter-warning">
          {t('c.hasWarning')}
        </Checkbox>
        {scopeTags.map((s) => (
          <Tag key={s.key} closable color="blue" onClose={() => filter({ [s.key]: undefined })}>
            {s.text}
          </Tag>
        ))}
        <Button
          onClick={() => {
            setKeyword('');
            reset();
          }}
        >
          {t('c.reset')}
        </Button>
      </div>
      <Table<Item>
        size="small"
        bordered
        rowKey="id"
        loading={loading}
        dataSource={data.items}
        scroll={{ x: 1420 }}
        pagination={tablePagination(query, (u) => setQuery(u), data.total, (n) => t('c.totalItems', { n }))}
        onRow={(r) => ({ onClick: (e) => !(e.target as HTMLElement).closest('a,button') && navigate(`/custody/items/${r.id}`), className: 'cz-row-link', 'data-testid': 'ledger-row', 'data-code': r.code }) as React.HTMLAttributes<HTMLElement>}
        columns={[
          {
            title: t('c.code'),
            dataIndex: 'code',
            width: 160,
            fixed: 'left',
            render: (v: string, r) => (
              <Link to={`/custody/items/${r.id}`} className="za-mono">
                {v}
              </Link>
            ),
          },
          {
            title: t('c.caseNumber'),
            key: 'case',
            width: 200,
            ellipsis: { showTitle: false },
            render: (_: unknown, r) => (
              <Tooltip title={`${r.case.caseNumber} · ${r.case.title}`} placement="topLeft">
                <Link to={`/custody/cases/${r.case.id}`} className="cz-ellipsis">
                  {r.case.caseNumber}
                </Link>
                <div className="za-cell-sub cz-ellipsis">{r.case.title}</div>
              </Tooltip>
            ),
          },
          {
            title: t('c.name'),
            dataIndex: 'name',
            ellipsis: true,
            width: 220,
            render: (v: string, r) => (
              <span>
                {v}
                {r.sealed && <LockOutlined className="cz-sealed-icon" title={t('c.sealed')} />}
              </span>
            ),
          },
          { title: t('c.type'), dataIndex: 'type', width: 90, render: (v: ItemType) => typeLabel(v) },
          { title: t('c.qty'), key: 'qty', width: 90, align: 'right', render: (_: unknown, r) => qtyText(r.quantity, r.unit) },
          { title: t('c.holder'), key: 'holder', width: 140, ellipsis: true, render: (_: unknown, r) => r.holder.name },
          {
            title: t('c.location'),
            key: 'location',
            width: 220,
            ellipsis: { showTitle: false },
            render: (_: unknown, r) =>
              r.location ? (
                <Tooltip title={r.location.path} placement="topLeft">
                  <span className="cz-ellipsis">{r.location.path.split(' / ').slice(1).join(' / ') || r.location.path}</span>
                </Tooltip>
              ) : (
                <Typography.Text type="secondary">—</Typography.Text>
              ),
          },
          {
            title: t('c.status'),
            dataIndex: 'status',
            width: 110,
            render: (s: ItemStatus, r) => (
              <div>
                <ItemStatusTag status={s} />
                {r.disposition && <div className="za-cell-sub">{wayLabel(r.disposition)}</div>}
              </div>
            ),
          },
          {
            title: t('c.warnings'),
            key: 'warnings',
            width: 70,
            align: 'center',
            render: (_: unknown, r) => (r.openWarnings ? <Badge count={r.openWarnings} data-testid="warning-badge" /> : <Typography.Text type="secondary">—</Typography.Text>),
          },
          {
            title: t('c.registeredAt'),
            dataIndex: 'registeredAt',
            width: 100,
            render: (v: string) => (
              <Tooltip title={formatTime(v, lang)}>
                <span className="za-cell-time">{shortTime(v, lang)}</span>
              </Tooltip>
            ),
          },
        ]}
      />
    </div>
  );
}
