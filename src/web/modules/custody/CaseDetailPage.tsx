/**
 * 案件详情 — the case, its items (one code each) and what officers do with a case: register
 * items, print their labels, conclude it.
 */
import { useCallback, useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { Badge, Button, Card, Descriptions, Result, Skeleton, Space, Table, Tag, Typography } from 'antd';
import { ArrowLeftOutlined, CheckSquareOutlined, PlusOutlined, ReloadOutlined, UnorderedListOutlined } from '@ant-design/icons';
import { ApiError } from '../../api';
import { useAuth } from '../../app/auth';
import { useShowError } from '../../app/feedback';
import { formatTime } from '../../format';
import { custodyApi, custodyUrls, type CaseDetail, type Item, type ItemStatus, type ItemType, type Place } from './custody-api';
import { useCustodyI18n } from './custody-i18n';
import { CaseStatusTag, ItemStatusTag, PrintLabelsButton, qtyText } from './custody-meta';
import { ConcludeModal, RegisterItemsModal } from './CaseForms';

export default function CaseDetailPage() {
  const { id } = useParams<{ id: string }>();
  const { t, lang, typeLabel, yuan, wayLabel } = useCustodyI18n();
  const { can } = useAuth();
  const navigate = useNavigate();
  const showError = useShowError();
  const [data, setData] = useState<CaseDetail | null>(null);
  const [missing, setMissing] = useState(false);
  const [centres, setCentres] = useState<Place[]>([]);
  const [registering, setRegistering] = useState(false);
  const [concluding, setConcluding] = useState(false);

  const load = useCallback(async () => {
    if (!id) return;
    try {
      setData(await custodyApi.cases.get(id));
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 400)) setMissing(true);
      else showError(e);
    }
  }, [id, showError]);
  useEffect(() => {
    setData(null);
    setMissing(false);
    void load();
  }, [load]);
  useEffect(() => {
    custodyApi.centres().then(setCentres, () => undefined);
  }, []);

  if (missing) return <Result status="404" title="404" subTitle={t('c.notFound')} extra={<Link to="/custody/cases">{t('case.list')}</Link>} />;
  if (!data)
    return (
      <div className="za-page">
        <Skeleton active paragraph={{ rows: 8 }} />
      </div>
    );

  const c = data;
  const open = c.status === 'open';
  const mayRegister = can('custody.register');

  return (
    <div className="za-page" data-testid="case-page">
      <div className="za-detail-head">
        <div className="za-detail-title">
          <Button type="text" icon={<ArrowLeftOutlined />} onClick={() => navigate(-1)} aria-label={t('c.back')} />
          <h2 className="za-page-title" data-testid="case-number">
            {c.caseNumber}
          </h2>
          <Tag bordered={false}>{t(`c.kind.${c.kind}`)}</Tag>
          <CaseStatusTag status={c.status} />
        </div>
        <Space wrap className="za-detail-actions">
          {mayRegister && open && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setRegistering(true)} data-testid="case-register-items">
              {t('case.registerItems')}
            </Button>
          )}
          {c.items.length > 0 && <PrintLabelsButton url={(f) => custodyUrls.caseLabels(c.id, f)} />}
          <Button icon={<UnorderedListOutlined />} onClick={() => navigate(`/custody/items?caseId=${c.id}`)}>
            {t('st.openLedger')}
          </Button>
          {mayRegister && open && (
            <Button icon={<CheckSquareOutlined />} onClick={() => setConcluding(true)} data-testid="case-conclude">
              {t('case.conclude')}
            </Button>
          )}
          <Button icon={<ReloadOutlined />} onClick={() => void load()} aria-label={t('c.refresh')} />
        </Space>
      </div>

      <Card size="small" title={t('case.info')} className="za-card">
        <Descriptions size="small" bordered column={{ xs: 1, sm: 1, md: 2, lg: 3, xl: 3, xxl: 3 }}>
          <Descriptions.Item label={t('c.caseCode')}>
            <span className="za-mono">{c.code}</span>
          </Descriptions.Item>
          <Descriptions.Item label={t('c.caseTitle')} span={2}>
            {c.title}
          </Descriptions.Item>
          <Descriptions.Item label={t('case.agency')}>{c.agency.name}</Descriptions.Item>
          <Descriptions.Item label={t('case.officer')}>{c.officer.name}</Descriptions.Item>
          <Descriptions.Item label={t('case.openedAt')}>{formatTime(c.openedAt, lang)}</Descriptions.Item>
          <Descriptions.Item label={t('c.centre')}>{centres.find((x) => x.id === c.centreId)?.name ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('c.items')}>{t('c.itemsN', { n: c.items.length })}</Descriptions.Item>
          <Descriptions.Item label={t('c.registeredAt')}>{formatTime(c.createdAt, lang)}</Descriptions.Item>
          {!open && (
            <>
              <Descriptions.Item label={t('case.concludedAt')}>{formatTime(c.concludedAt, lang)}</Descriptions.Item>
              <Descriptions.Item label={t('case.conclusion')} span={2}>
                {c.conclusion}
              </Descriptions.Item>
            </>
          )}
        </Descriptions>
      </Card>

      <Card size="small" title={`${t('c.items')}（${c.items.length}）`} className="za-card" styles={{ body: { padding: 0 } }}>
        <Table<Item>
          size="small"
          rowKey="id"
          dataSource={c.items}
          pagination={false}
          scroll={{ x: 1000 }}
          locale={{ emptyText: t('case.noItems') }}
          onRow={(r) => ({ onClick: (e) => !(e.target as HTMLElement).closest('a,button') && navigate(`/custody/items/${r.id}`), className: 'cz-row-link', 'data-testid': 'case-item-row' }) as React.HTMLAttributes<HTMLElement>}
          columns={[
            {
              title: t('c.code'),
              dataIndex: 'code',
              width: 160,
              render: (v: string, r) => (
                <Link to={`/custody/items/${r.id}`} className="za-mono">
                  {v}
                </Link>
              ),
            },
            { title: t('c.name'), dataIndex: 'name', ellipsis: true },
            { title: t('c.type'), dataIndex: 'type', width: 90, render: (v: ItemType) => typeLabel(v) },
            { title: t('c.qty'), key: 'qty', width: 90, align: 'right', render: (_: unknown, r) => qtyText(r.quantity, r.unit) },
            { title: t('c.value'), dataIndex: 'valueCents', width: 120, align: 'right', render: (v: number | null) => yuan(v) },
            {
              title: t('c.location'),
              key: 'location',
              width: 200,
              ellipsis: true,
              render: (_: unknown, r) => (r.location ? r.location.path.split(' / ').slice(1).join(' / ') : <Typography.Text type="secondary">—</Typography.Text>),
            },
            { title: t('c.holder'), key: 'holder', width: 130, ellipsis: true, render: (_: unknown, r) => r.holder.name },
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
            { title: t('c.warnings'), key: 'w', width: 64, align: 'center', render: (_: unknown, r) => (r.openWarnings ? <Badge count={r.openWarnings} /> : null) },
          ]}
        />
      </Card>

      <RegisterItemsModal
        open={registering}
        caseDetail={c}
        onClose={() => setRegistering(false)}
        onDone={() => {
          setRegistering(false);
          void load();
        }}
      />
      <ConcludeModal
        open={concluding}
        caseDetail={c}
        onClose={() => setConcluding(false)}
        onDone={(next) => {
          setConcluding(false);
          setData(next);
        }}
      />
    </div>
  );
}
