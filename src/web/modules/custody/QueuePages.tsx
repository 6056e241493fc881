/**
 * The two work queues: 移送接收 (transfers offered to the user's agency: accept or refuse,
 * several at once by the batch endpoint) and 审批 (loans and disposals awaiting the user's
 * approval). Both reload when a step anywhere makes something pending.
 */
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { App, Button, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { CheckOutlined, CloseOutlined, ReloadOutlined } from '@ant-design/icons';
import { ApiError } from '../../api';
import { useAuth } from '../../app/auth';
import { PageHeader } from '../../components/PageHeader';
import { usePagedList } from '../../components/usePagedList';
import { useLiveRefresh } from '../../components/liveEvents';
import { formatTime } from '../../format';
import { custodyApi, type ActionType, type Item } from './custody-api';
import { useCustodyI18n } from './custody-i18n';
import { ItemStatusTag, qtyText, useCustodyErrors } from './custody-meta';
import { ActionModal } from './ItemActions';
import { useDisposalApprovals } from './ItemPage';

const isPendingEvent = (e: { type: string; subjectType?: string }) => e.type === 'custody.pending' || e.subjectType === 'custody_item';

function ItemCell({ item }: { item: Item }) {
  return (
    <div>
      <Link to={`/custody/items/${item.id}`} className="za-mono">
        {item.code}
      </Link>
      <div className="cz-queue-name">{item.name}</div>
      <div className="za-cell-sub">
        {item.case.caseNumber} · {qtyText(item.quantity, item.unit)}
      </div>
    </div>
  );
}

export function InboxPage() {
  const { t, lang, localize } = useCustodyI18n();
  const { message } = App.useApp();
  const handleError = useCustodyErrors();
  const [version, setVersion] = useState(0);
  const [query, setQuery] = useState({ page: 1, pageSize: 50 });
  const { data, loading } = usePagedList(custodyApi.inbox, query, version);
  const [acting, setActing] = useState<{ item: Item; type: ActionType } | null>(null);
  const [selected, setSelected] = useState<string[]>([]);
  const [batching, setBatching] = useState(false);
  const approvals = useDisposalApprovals();
  useLiveRefresh(isPendingEvent, () => setVersion((v) => v + 1), 1000);

  const acceptSelected = async () => {
    const codes = data.items.filter((i) => selected.includes(i.id)).map((i) => i.code);
    if (!codes.length) return;
    setBatching(true);
    try {
      const r = await custodyApi.batch({ type: 'transfer_accept', codes, note: '' });
      message.success(t('scan.batchDone', { n: r.count, step: t('a.transfer_accept') }));
      setSelected([]);
      setVersion((v) => v + 1);
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && Array.isArray(e.details)) {
        const lines = (e.details as { code: string; reason: string }[]).map((d) => `${d.code}：${localize(d.reason)}`);
        message.error({ content: <div>{[localize(e.message), ...lines].map((l) => <div key={l}>{l}</div>)}</div>, duration: 8 });
      } else handleError(e);
    } finally {
      setBatching(false);
    }
  };

  return (
    <div className="za-page">
      <PageHeader
        title={t('inbox.title')}
        extra={
          <Space wrap>
            <Button type="primary" icon={<CheckOutlined />} disabled={!selected.length} loading={batching} onClick={acceptSelected} data-testid="inbox-accept-selected">
              {t('inbox.acceptSelected', { n: selected.length })}
            </Button>
            <Button icon={<ReloadOutlined />} onClick={() => setVersion((v) => v + 1)} aria-label={t('c.refresh')} />
          </Space>
        }
      />
      <Table<Item>
        size="small"
        bordered
        rowKey="id"
        loading={loading}
        dataSource={data.items}
        scroll={{ x: 1000 }}
        locale={{ emptyText: t('inbox.empty') }}
        rowSelection={{ selectedRowKeys: selected, onChange: (keys) => setSelected(keys as string[]) }}
        pagination={{ current: query.page, pageSize: query.pageSize, total: data.total, showTotal: (n) => t('c.totalItems', { n }), onChange: (page, pageSize) => setQuery({ page, pageSize }) }}
        onRow={() => ({ 'data-testid': 'inbox-row' }) as React.HTMLAttributes<HTMLElement>}
        columns={[
          { title: t('c.name'), key: 'item', render: (_: unknown, r) => <ItemCell item={r} /> },
          { title: t('c.type'), key: 'type', width: 90, render: (_: unknown, r) => r.typeLabel },
          { title: t('inbox.from'), key: 'from', width: 150, render: (_: unknown, r) => r.holder.name },
          { title: t('inbox.to'), key: 'to', width: 150, render: (_: unknown, r) => r.pending?.orgName ?? '—' },
          {
            title: t('f.documentRefTransfer'),
            key: 'doc',
            width: 180,
            render: (_: unknown, r) =>
              r.pending?.kind === 'transfer' ? (
                <div>
                  {r.pending.documentRef}
                  <div className="za-cell-sub">{formatTime(r.pending.offeredAt, lang)}</div>
                </div>
              ) : null,
          },
          { title: t('c.status'), dataIndex: 'status', width: 90, render: (s: Item['status']) => <ItemStatusTag status={s} /> },
          {
            title: t('c.actions'),
            key: 'actions',
            width: 196,
            fixed: 'right',
            render: (_: unknown, r) => (
              <Space size={4}>
                <Button size="small" type="primary" icon={<CheckOutlined />} onClick={() => setActing({ item: r, type: 'transfer_accept' })} data-testid="inbox-accept">
                  {t('a.transfer_accept')}
                </Button>
                <Button size="small" danger icon={<CloseOutlined />} onClick={() => setActing({ item: r, type: 'transfer_reject' })} data-testid="inbox-reject">
                  {t('a.transfer_reject')}
                </Button>
              </Space>
            ),
          },
        ]}
      />
      {acting && (
        <ActionModal
          item={acting.item}
          type={acting.type}
          disposalApprovals={approvals}
          onClose={() => setActing(null)}
          onDone={() => {
            setActing(null);
            setVersion((v) => v + 1);
          }}
        />
      )}
    </div>
  );
}

export function ApprovalsPage() {
  const { t, lang, wayLabel } = useCustodyI18n();
  const { user } = useAuth();
  const [version, setVersion] = useState(0);
  const [query, setQuery] = useState({ page: 1, pageSize: 50 });
  const { data, loading } = usePagedList(custodyApi.approvals, query, version);
  const required = (data as { approvalsRequired?: number }).approvalsRequired ?? 2;
  const [acting, setActing] = useState<{ item: Item; type: ActionType } | null>(null);
  useLiveRefresh(isPendingEvent, () => setVersion((v) => v + 1), 1000);

  /** Why this user cannot decide (separation of duties), if so. */
  const blocked = (i: Item): string | undefined => {
    const p = i.pending;
    if (!p || !user) return undefined;
    if ((p.kind === 'borrow' || p.kind === 'disposal') && p.requesterId === user.id) return t('f.sodRequester');
    if (p.kind === 'disposal' && i.seizedBy === user.id) return t('f.sodSeizer');
    if (p.kind === 'disposal' && p.approverIds.includes(user.id)) return t('f.sodApproved');
    return undefined;
  };

  return (
    <div className="za-page">
      <PageHeader
        title={t('appr.title')}
        sub={t('appr.required', { n: required })}
        extra={<Button icon={<ReloadOutlined />} onClick={() => setVersion((v) => v + 1)} aria-label={t('c.refresh')} />}
      />
      <Table<Item>
        size="small"
        bordered
        rowKey="id"
        loading={loading}
        dataSource={data.items}
        scroll={{ x: 980 }}
        locale={{ emptyText: t('appr.empty') }}
        pagination={{ current: query.page, pageSize: query.pageSize, total: data.total, showTotal: (n) => t('c.totalN', { n }), onChange: (page, pageSize) => setQuery({ page, pageSize }) }}
        onRow={() => ({ 'data-testid': 'approval-row' }) as React.HTMLAttributes<HTMLElement>}
        columns={[
          {
            title: t('appr.kind'),
            key: 'kind',
            width: 80,
            render: (_: unknown, r) => <Tag color={r.pending?.kind === 'disposal' ? 'volcano' : 'blue'}>{t(r.pending?.kind === 'disposal' ? 'appr.kind.disposal' : 'appr.kind.borrow')}</Tag>,
          },
          { title: t('c.name'), key: 'item', render: (_: unknown, r) => <ItemCell item={r} /> },
          {
            title: t('appr.detail'),
            key: 'detail',
            width: 280,
            render: (_: unknown, r) => {
              const p = r.pending;
              if (p?.kind === 'borrow')
                return (
                  <div>
                    {p.purpose}
                    <div className="za-cell-sub">
                      {t('d.dueAt')}：{formatTime(p.dueAt, lang)}
                    </div>
                  </div>
                );
              if (p?.kind === 'disposal')
                return (
                  <div>
                    <Typography.Text strong>{wayLabel(p.way)}</Typography.Text> · {p.documentRef}
                    <div className="za-cell-sub">{t('c.approvalsN', { n: p.approverIds.length, m: required })}</div>
                  </div>
                );
              return null;
            },
          },
          { title: t('c.holder'), key: 'holder', width: 140, render: (_: unknown, r) => r.holder.name },
          { title: t('c.status'), dataIndex: 'status', width: 90, render: (s: Item['status']) => <ItemStatusTag status={s} /> },
          {
            title: t('c.actions'),
            key: 'actions',
            width: 160,
            fixed: 'right',
            render: (_: unknown, r) => {
              const why = blocked(r);
              const kind = r.pending?.kind === 'disposal' ? 'disposal' : 'borrow';
              const buttons = (
                <Space size={4}>
                  <Button size="small" type="primary" icon={<CheckOutlined />} disabled={!!why} onClick={() => setActing({ item: r, type: `${kind}_approve` })} data-testid="approval-approve">
                    {t('appr.approve')}
                  </Button>
                  <Button size="small" danger icon={<CloseOutlined />} disabled={!!why} onClick={() => setActing({ item: r, type: `${kind}_reject` })} data-testid="approval-reject">
                    {t('appr.reject')}
                  </Button>
                </Space>
              );
              return why ? (
                <Tooltip title={why}>
                  <span>{buttons}</span>
                </Tooltip>
              ) : (
                buttons
              );
            },
          },
        ]}
      />
      {acting && (
        <ActionModal
          item={acting.item}
          type={acting.type}
          disposalApprovals={required}
          onClose={() => setActing(null)}
          onDone={() => {
            setActing(null);
            setVersion((v) => v + 1);
          }}
        />
      )}
    </div>
  );
}
