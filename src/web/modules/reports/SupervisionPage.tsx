/**
 * 督办看板: four columns for the command centre — cases past their deadline, cases about to
 * be (80 % of the time used), cases under supervision, and extension requests to decide.
 * 督办 from any card; extensions approved or rejected inline. Refreshes itself on changes.
 */
import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { Badge, Button, Card, Col, Empty, Row, Space, Spin, Typography } from 'antd';
import { AlertOutlined, ClockCircleOutlined, FieldTimeOutlined, FlagOutlined, ReloadOutlined } from '@ant-design/icons';
import { api, type PendingExtension, type ReportSummary } from '../../api';
import { labels, useI18n } from '../../i18n';
import { useAuth } from '../../app/auth';
import { useShowError } from '../../app/feedback';
import { PageHeader } from '../../components/PageHeader';
import { isReportEvent, useLiveRefresh } from '../../components/liveEvents';
import { formatTime } from '../../format';
import { ActionModal } from './ActionModal';
import { ExtensionDecisionModal, type ExtensionDecision } from './ReportDetailParts';
import { DeadlineCountdown } from './DeadlineCountdown';
import { StatusTag } from './StatusTag';
import { OPEN_STATUSES, durationText } from './report-meta';

interface Board {
  overdue: ReportSummary[];
  atRisk: ReportSummary[];
  supervised: ReportSummary[];
  overdueTotal: number;
  atRiskTotal: number;
  supervisedTotal: number;
  extensions: PendingExtension[];
}

export default function SupervisionPage() {
  const { t, lang } = useI18n();
  const { can } = useAuth();
  const showError = useShowError();
  const [board, setBoard] = useState<Board | null>(null);
  const [loading, setLoading] = useState(false);
  const [supervising, setSupervising] = useState<ReportSummary | null>(null);
  const [deciding, setDeciding] = useState<ExtensionDecision | null>(null);
  const canApprove = can('report.approve');

  const load = useCallback(async () => {
    setLoading(true);
    try {
      const [overdue, atRisk, supervised, extensions] = await Promise.all([
        api.reports.list({ overdue: true, order: 'deadline', status: OPEN_STATUSES, page: 1, pageSize: 50 }),
        api.reports.list({ atRisk: true, order: 'deadline', page: 1, pageSize: 50 }),
        api.reports.list({ supervised: true, order: 'deadline', status: OPEN_STATUSES, page: 1, pageSize: 50 }),
        canApprove ? api.reports.pendingExtensions() : Promise.resolve([]),
      ]);
      setBoard({
        overdue: overdue.items,
        atRisk: atRisk.items,
        supervised: supervised.items,
        overdueTotal: overdue.total,
        atRiskTotal: atRisk.total,
        supervisedTotal: supervised.total,
        extensions,
      });
    } catch (e) {
      showError(e);
    } finally {
      setLoading(false);
    }
  }, [canApprove, showError]);

  useEffect(() => {
    void load();
  }, [load]);
  useLiveRefresh(isReportEvent, () => void load(), 1200);

  const ask = (ext: PendingExtension, approve: boolean) => setDeciding({ reportId: ext.reportId, number: ext.number, ext, approve });

  const caseCard = (r: ReportSummary) => (
    <div key={r.id} className={`za-board-card${r.overdue ? ' za-board-late' : r.warned ? ' za-board-warn' : ''}`} data-testid="board-card" data-number={r.number}>
      <div className="za-board-card-head">
        <Link to={`/reports/${r.id}`} className="za-mono">
          {r.number}
        </Link>
        <StatusTag status={r.status} />
      </div>
      <div className="za-board-card-title">{r.categoryName ?? '—'}</div>
      <Typography.Paragraph ellipsis={{ rows: 2, tooltip: r.description }} className="za-board-card-desc">
        {r.description}
      </Typography.Paragraph>
      <div className="za-board-card-meta">{[r.deptName, r.assigneeName].filter(Boolean).join(' · ') || '—'}</div>
      <div className="za-board-card-foot">
        <span>
          {r.stage ? `${labels.stage(lang, r.stage)} ` : ''}
          <DeadlineCountdown deadline={r.stageDeadline} overdue={r.overdue} warned={r.warned} status={r.status} />
        </span>
        <Button size="small" danger icon={<FlagOutlined />} onClick={() => setSupervising(r)} data-testid="supervise-button">
          {t('sup.supervise')}
        </Button>
      </div>
    </div>
  );

  const column = (key: string, title: string, icon: React.ReactNode, color: string, total: number, body: React.ReactNode) => (
    <Col xs={24} md={12} xl={6} key={key}>
      <Card
        size="small"
        className="za-board-col"
        data-testid={`board-${key}`}
        title={
          <Space>
            <span style={{ color }}>{icon}</span>
            {title}
            <Badge count={total} showZero color={color} overflowCount={999} />
          </Space>
        }
      >
        {body}
      </Card>
    </Col>
  );

  const list = (items: ReportSummary[]) => (items.length ? items.map(caseCard) : <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('sup.empty')} />);

  return (
    <div className="za-page">
      <PageHeader
        title={t('nav.reports.supervision')}
        extra={
          <Button icon={<ReloadOutlined />} onClick={() => void load()} loading={loading}>
            {t('common.refresh')}
          </Button>
        }
      />
      {!board ? (
        <div className="za-center">
          <Spin />
        </div>
      ) : (
        <Row gutter={[12, 12]}>
          {column('overdue', t('sup.overdue'), <AlertOutlined />, '#dc2626', board.overdueTotal, list(board.overdue))}
          {column('atRisk', t('sup.atRisk'), <ClockCircleOutlined />, '#d97706', board.atRiskTotal, list(board.atRisk))}
          {column('supervised', t('sup.supervised'), <FlagOutlined />, '#c026d3', board.supervisedTotal, list(board.supervised))}
          {canApprove &&
            column(
              'extensions',
              t('sup.pendingExt'),
              <FieldTimeOutlined />,
              '#2563eb',
              board.extensions.length,
              board.extensions.length ? (
                board.extensions.map((e) => (
                  <div key={e.id} className="za-board-card" data-testid="board-extension" data-number={e.number}>
                    <div className="za-board-card-head">
                      <Link to={`/reports/${e.reportId}`} className="za-mono">
                        {e.number}
                      </Link>
                      <span>
                        {labels.stage(lang, e.stage)} +{durationText(e.minutes, t)}
                      </span>
                    </div>
                    <Typography.Paragraph ellipsis={{ rows: 3, tooltip: e.reason }} className="za-board-card-desc">
                      {e.reason}
                    </Typography.Paragraph>
                    <div className="za-board-card-meta">
                      {e.requestedBy ?? '—'} · {formatTime(e.createdAt, lang)}
                    </div>
                    <div className="za-board-card-foot">
                      <span />
                      <Space size={4}>
                        <Button
                          size="small"
                          type="primary"
                          onClick={() => ask(e, true)}
                          data-testid="extension-approve"
                        >
                          {t('rep.extApprove')}
                        </Button>
                        <Button
                          size="small"
                          danger
                          onClick={() => ask(e, false)}
                          data-testid="extension-reject"
                        >
                          {t('rep.extReject')}
                        </Button>
                      </Space>
                    </div>
                  </div>
                ))
              ) : (
                <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('sup.empty')} />
              ),
            )}
        </Row>
      )}

      <ActionModal
        report={supervising}
        action={supervising ? 'supervise' : null}
        onClose={() => setSupervising(null)}
        onDone={() => {
          setSupervising(null);
          void load();
        }}
      />
      <ExtensionDecisionModal
        deciding={deciding}
        onClose={() => setDeciding(null)}
        onDone={() => {
          setDeciding(null);
          void load();
        }}
      />
    </div>
  );
}
