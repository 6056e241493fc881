/**
 * 物品 — one seized item: where it stands on each axis (who is responsible, where it is, its
 * status, its disposal) and what is pending; the steps the user may take now; the whole hash
 * chained history; photos, digital evidence, open warnings and the owner (masked, revealed on
 * request and audited). Used on phones by clerks at the shelf, so it stacks into one column
 * with the actions right after the state.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { Alert, App, Badge, Button, Card, Col, Descriptions, Grid, Image, Result, Row, Skeleton, Space, Tag, Typography } from 'antd';
import { ArrowLeftOutlined, EyeOutlined, LockOutlined, ReloadOutlined, TeamOutlined, WarningOutlined } from '@ant-design/icons';
import { ApiError } from '../../api';
import { useAuth } from '../../app/auth';
import { useShowError } from '../../app/feedback';
import { useLiveRefresh } from '../../components/liveEvents';
import { formatTime } from '../../format';
import { custodyApi, custodyUrls, type ActionType, type Item, type ItemDetail } from './custody-api';
import { useCustodyI18n } from './custody-i18n';
import { ChainTag, ItemStatusTag, PrintLabelsButton, qtyText } from './custody-meta';
import { ActionButtons, ActionModal, availableActions } from './ItemActions';
import { ItemTimeline } from './ItemTimeline';
import { EvidencePanel } from './EvidencePanel';

/** The disposal approvals a request needs (the district's setting), loaded once per page. */
export function useDisposalApprovals(): number {
  const [n, setN] = useState(2);
  useEffect(() => {
    custodyApi.settings().then((s) => setN(s.disposalApprovals), () => undefined);
  }, []);
  return n;
}

function useItem(id: string | undefined) {
  const showError = useShowError();
  const [item, setItem] = useState<ItemDetail | null>(null);
  const [missing, setMissing] = useState(false);
  const seq = useRef(0);
  const load = useCallback(async () => {
    if (!id) return;
    const mine = ++seq.current;
    try {
      const r = await custodyApi.items.get(id);
      if (mine === seq.current) setItem(r);
    } catch (e) {
      if (mine !== seq.current) return;
      if (e instanceof ApiError && (e.status === 404 || e.status === 400)) setMissing(true);
      else showError(e);
    }
  }, [id, showError]);
  useEffect(() => {
    setItem(null);
    setMissing(false);
    void load();
  }, [load]);
  useLiveRefresh((e) => e.subjectType === 'custody_item' && e.subjectId === id, () => void load(), 500, !!id);
  return { item, setItem, missing, reload: load };
}

/** The pending step in words: "调用申请待审批", "移送至 X，待接收", "销毁申请待审批（1/2）". */
export function PendingText({ item, approvals }: { item: Item; approvals: number }) {
  const { t, wayLabel } = useCustodyI18n();
  const p = item.pending;
  if (!p) return null;
  if (p.kind === 'borrow') return <>{p.approverId ? t('item.pending.borrowApproved') : t('item.pending.borrow')}</>;
  if (p.kind === 'transfer') return <>{t('item.pending.transfer', { org: p.orgName ?? '' })}</>;
  return <>{p.approverIds.length >= approvals ? t('item.pending.disposalReady', { way: wayLabel(p.way) }) : t('item.pending.disposal', { way: wayLabel(p.way), n: p.approverIds.length, m: approvals })}</>;
}

function OwnerCell({ item }: { item: ItemDetail }) {
  const { t } = useCustodyI18n();
  const { can } = useAuth();
  const { modal } = App.useApp();
  const showError = useShowError();
  const [full, setFull] = useState<{ name: string | null; phone: string | null } | null>(null);
  const [loading, setLoading] = useState(false);
  const o = item.owner;
  if (o.kind === 'unknown' && !o.name) return <span>{t('c.ownerKind.unknown')}</span>;
  const reveal = () =>
    modal.confirm({
      title: t('c.ownerTitle'),
      content: t('c.ownerAudited'),
      onOk: async () => {
        setLoading(true);
        try {
          setFull(await custodyApi.items.owner(item.id));
        } catch (e) {
          showError(e);
        } finally {
          setLoading(false);
        }
      },
    });
  return (
    <Space size={6} wrap>
      <Tag bordered={false}>{t(`c.ownerKind.${o.kind}`)}</Tag>
      <span data-testid="item-owner">
        {full ? full.name : o.name} <span className="za-mono">{full ? full.phone : o.phone}</span>
      </span>
      {full ? (
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t('c.ownerNote')}
        </Typography.Text>
      ) : (
        can('personal.read') && (
          <Button size="small" type="link" icon={<EyeOutlined />} loading={loading} onClick={reveal} data-testid="show-owner">
            {t('c.showOwner')}
          </Button>
        )
      )}
    </Space>
  );
}

export default function ItemPage() {
  const { id } = useParams<{ id: string }>();
  const { t, lang, yuan, typeLabel, wayLabel, warningLabel } = useCustodyI18n();
  const { can, user } = useAuth();
  const navigate = useNavigate();
  const screens = Grid.useBreakpoint();
  const mobile = !screens.md;
  const { item, setItem, missing, reload } = useItem(id);
  const approvals = useDisposalApprovals();
  const [action, setAction] = useState<ActionType | null>(null);
  const [evidenceKey, setEvidenceKey] = useState(0);

  if (missing) return <Result status="404" title="404" subTitle={t('c.notFound')} extra={<Link to="/custody/items">{t('ledger.title')}</Link>} />;
  if (!item)
    return (
      <div className="za-page">
        <Skeleton active paragraph={{ rows: 12 }} />
      </div>
    );

  const actions = availableActions(item, can, user?.id, approvals, t);
  const openWarnings = item.warnings.filter((w) => !w.resolvedAt);
  const loanLate = item.loan && new Date(item.loan.dueAt) < new Date();

  const state = (
    <Card size="small" title={t('item.current')} className="za-card cz-state-card" data-testid="item-state">
      <Descriptions size="small" bordered column={1} styles={{ label: { width: 116 } }}>
        <Descriptions.Item label={t('c.holder')}>
          <span data-testid="item-holder">{item.holder.name}</span>
        </Descriptions.Item>
        <Descriptions.Item label={t('c.location')}>
          {item.location ? (
            <span data-testid="item-location">
              {item.location.path}
              <span className="za-mono cz-sub-code">{item.location.code}</span>
            </span>
          ) : item.loan ? (
            <Typography.Text type={loanLate ? 'danger' : undefined}>{t(loanLate ? 'item.loanOverdue' : 'item.loan', { t: formatTime(item.loan.dueAt, lang) })}</Typography.Text>
          ) : (
            <Typography.Text type="secondary">{item.status === 'disposed' || item.status === 'awaiting_treasury' ? t('item.outOfStore') : t('item.noLocation')}</Typography.Text>
          )}
        </Descriptions.Item>
        <Descriptions.Item label={t('c.status')}>
          <Space size={4} wrap>
            <ItemStatusTag status={item.status} />
            {item.sealed && (
              <Tag icon={<LockOutlined />} color="magenta">
                {t('c.sealed')}
              </Tag>
            )}
            {item.unrelatedAt && <Tag color="orange">{t('c.unrelated')}</Tag>}
          </Space>
        </Descriptions.Item>
        <Descriptions.Item label={t('c.disposition')}>
          {item.disposition ? (
            <span data-testid="item-disposition">{t('item.disposedAt', { way: wayLabel(item.disposition), t: item.disposedAt ? formatTime(item.disposedAt, lang) : t('c.pending') })}</span>
          ) : (
            <Typography.Text type="secondary">{t('item.notDisposed')}</Typography.Text>
          )}
        </Descriptions.Item>
        {item.pending && (
          <Descriptions.Item label={t('c.pending')}>
            <Typography.Text strong className="cz-pending" data-testid="item-pending">
              <PendingText item={item} approvals={approvals} />
            </Typography.Text>
            {item.pending.kind === 'borrow' && <div className="za-cell-sub">{`${t('item.purpose')}：${item.pending.purpose} · ${t('d.dueAt')}：${formatTime(item.pending.dueAt, lang)}`}</div>}
            {item.pending.kind !== 'borrow' && <div className="za-cell-sub">{`${t('item.documentRef')}：${item.pending.documentRef}`}</div>}
          </Descriptions.Item>
        )}
      </Descriptions>
    </Card>
  );

  const actionsCard = (
    <Card size="small" title={t('item.actions')} className="za-card">
      {actions.length ? <ActionButtons actions={actions} onPick={setAction} block={mobile} /> : <Typography.Text type="secondary">{t('item.noActions')}</Typography.Text>}
    </Card>
  );

  const warningsCard = openWarnings.length ? (
    <Card
      size="small"
      title={
        <Space>
          <WarningOutlined style={{ color: '#dc2626' }} />
          {t('item.openWarnings')}
        </Space>
      }
      className="za-card cz-warn-card"
      data-testid="item-warnings"
    >
      {openWarnings.map((w) => (
        <div key={w.id} className="cz-warn-line">
          <Tag color="red">{warningLabel(w.kind, w.label)}</Tag>
          <span className="za-cell-sub">
            {t('c.raisedAt')} {formatTime(w.raisedAt, lang)}
            {w.dueAt ? ` · ${t('w.dueAt')} ${formatTime(w.dueAt, lang)}` : ''}
          </span>
        </div>
      ))}
    </Card>
  ) : null;

  const info = (
    <Card size="small" title={t('item.info')} className="za-card">
      <Descriptions size="small" bordered column={{ xs: 1, sm: 1, md: 2, lg: 2, xl: 2, xxl: 2 }} styles={{ label: { width: 96 } }}>
        <Descriptions.Item label={t('c.caseNumber')} span="filled">
          <Link to={`/custody/cases/${item.case.id}`}>{item.case.caseNumber}</Link>
          <span className="cz-sub-code">
            {item.case.title} · <span className="za-mono">{item.case.code}</span>
          </span>
        </Descriptions.Item>
        <Descriptions.Item label={t('c.type')}>
          {typeLabel(item.type)}
          {item.twoPerson && (
            <Tag icon={<TeamOutlined />} color="purple" style={{ marginLeft: 6 }} title={t('c.twoPersonHint')}>
              {t('c.twoPerson')}
            </Tag>
          )}
        </Descriptions.Item>
        <Descriptions.Item label={t('c.qty')}>{qtyText(item.quantity, item.unit)}</Descriptions.Item>
        <Descriptions.Item label={t('c.value')}>{yuan(item.valueCents)}</Descriptions.Item>
        <Descriptions.Item label={t('c.seizureDoc')}>{item.seizureDoc}</Descriptions.Item>
        <Descriptions.Item label={t('c.seizedAt')}>{formatTime(item.seizedAt, lang)}</Descriptions.Item>
        <Descriptions.Item label={t('c.registeredAt')}>{formatTime(item.registeredAt, lang)}</Descriptions.Item>
        <Descriptions.Item label={t('c.owner')} span="filled">
          <OwnerCell item={item} />
        </Descriptions.Item>
        {item.description ? (
          <Descriptions.Item label={t('c.description')} span="filled">
            <span className="cz-pre">{item.description}</span>
          </Descriptions.Item>
        ) : null}
      </Descriptions>
    </Card>
  );

  const photos = (
    <Card size="small" title={`${t('c.photos')}（${item.photos.length}）`} className="za-card" data-testid="item-photos">
      {item.photos.length ? (
        <Image.PreviewGroup>
          <Space size={8} wrap>
            {item.photos.map((f) => (
              <Image key={f} src={custodyUrls.photo(item.id, f)} width={mobile ? 88 : 104} height={mobile ? 88 : 104} style={{ objectFit: 'cover', borderRadius: 4 }} />
            ))}
          </Space>
        </Image.PreviewGroup>
      ) : (
        <Typography.Text type="secondary">{t('c.noPhotos')}</Typography.Text>
      )}
    </Card>
  );

  const timeline = (
    <Card size="small" title={t('item.timeline')} className="za-card" extra={<ChainTag intact={item.chain.intact} />}>
      {!item.chain.intact && <Alert type="error" showIcon message={t('item.chainBad')} description={<pre className="cz-problems">{JSON.stringify(item.chain.problems, null, 1)}</pre>} style={{ marginBottom: 8 }} />}
      <ItemTimeline item={item} />
    </Card>
  );

  const evidence = (
    <Card
      size="small"
      title={
        <Space>
          {t('item.evidence')}
          <Badge count={item.evidenceCount} color="#1d4ed8" showZero={false} />
        </Space>
      }
      className="za-card"
    >
      <EvidencePanel itemId={item.id} reloadKey={evidenceKey} onChanged={() => void reload()} />
    </Card>
  );

  return (
    <div className={mobile ? 'za-page cz-item-mobile' : 'za-page'} data-testid="item-page" data-status={item.status}>
      <div className="za-detail-head">
        <div className="za-detail-title">
          <Button type="text" icon={<ArrowLeftOutlined />} onClick={() => navigate(-1)} aria-label={t('c.back')} />
          <h2 className="za-page-title">
            <span className="za-mono" data-testid="item-code">
              {item.code}
            </span>
          </h2>
          <ItemStatusTag status={item.status} large />
          {item.sealed && (
            <Tag icon={<LockOutlined />} color="magenta">
              {t('c.sealed')}
            </Tag>
          )}
          {item.pending && (
            <Tag color="processing">
              <PendingText item={item} approvals={approvals} />
            </Tag>
          )}
        </div>
        <Space wrap className="za-detail-actions">
          {!mobile && <ChainTag intact={item.chain.intact} />}
          <PrintLabelsButton url={(f) => custodyUrls.itemLabels([item.id], f)} label={t('item.labels')} />
          <Button
            icon={<ReloadOutlined />}
            onClick={() => {
              void reload();
              setEvidenceKey((k) => k + 1);
            }}
            aria-label={t('c.open')}
          />
        </Space>
      </div>
      <div className="cz-item-name" data-testid="item-name">
        {item.name}
        <span className="cz-item-sub">
          {typeLabel(item.type)} · {qtyText(item.quantity, item.unit)} · {item.holder.name}
        </span>
      </div>
      {mobile ? (
        <div>
          {state}
          {actionsCard}
          {warningsCard}
          {info}
          {photos}
          {timeline}
          {evidence}
        </div>
      ) : (
        <Row gutter={12}>
          <Col xs={24} xl={15}>
            {info}
            {photos}
            {evidence}
            {timeline}
          </Col>
          <Col xs={24} xl={9}>
            {state}
            {actionsCard}
            {warningsCard}
          </Col>
        </Row>
      )}
      <ActionModal
        item={item}
        type={action}
        disposalApprovals={approvals}
        onClose={() => setAction(null)}
        onRefused={() => void reload()}
        onDone={(after) => {
          setAction(null);
          setItem(after);
        }}
      />
    </div>
  );
}
