/**
 * 案件详情: everything about one case — what, where, who reported it (masked), why it went
 * where it went, what happened when, the deadline of every stage, extensions, supervisions —
 * and the steps this user may take now. Refreshes itself when the case changes elsewhere.
 */
import { useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { App, Button, Card, Col, Descriptions, Result, Row, Skeleton, Space, Tag, Typography } from 'antd';
import { ArrowLeftOutlined, ReloadOutlined } from '@ant-design/icons';
import type { ActionResult, ReportAction } from '../../api';
import { labels, useI18n } from '../../i18n';
import { useAuth } from '../../app/auth';
import { formatTime } from '../../format';
import { ActionModal } from './ActionModal';
import { DeadlineCountdown } from './DeadlineCountdown';
import { LazyReportMap } from './ReportMapLazy';
import { CaseTimeline, ExtensionForm, ExtensionList, PhotoGroups, ReporterContact, StageTable, SupervisionList } from './ReportDetailParts';
import { RoutingSteps } from './RoutingSteps';
import { CaseFlags, PriorityTag, StatusTag } from './StatusTag';
import { DANGER_ACTIONS, FORWARD_ACTIONS } from './report-meta';
import { useReport } from './useReport';

export default function ReportDetailPage() {
  const { id } = useParams<{ id: string }>();
  const { t, lang } = useI18n();
  const { can } = useAuth();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const ownUntil = useRef(0);
  const { report, setReport, loading, missing, reload } = useReport(id, () => {
    if (Date.now() > ownUntil.current) message.info(t('rep.updatedLive'));
  });
  const [action, setAction] = useState<ReportAction | null>(null);
  const [extOpen, setExtOpen] = useState(false);

  if (missing) return <Result status="404" title="404" subTitle={t('page.notFound')} extra={<Link to="/reports">{t('nav.reports.list')}</Link>} />;
  if (!report) return <div className="za-page">{loading && <Skeleton active paragraph={{ rows: 10 }} />}</div>;

  const done = (result: ActionResult) => {
    ownUntil.current = Date.now() + 4000;
    setAction(null);
    if (result.report) setReport(result.report);
    else {
      message.info(t('rep.notVisible'));
      navigate('/reports');
    }
  };

  const hasPendingExt = report.extensions.some((e) => e.status === 'pending');

  return (
    <div className="za-page" data-testid="report-detail" data-status={report.status}>
      <div className="za-detail-head">
        <div className="za-detail-title">
          <Button type="text" icon={<ArrowLeftOutlined />} onClick={() => navigate(-1)} aria-label={t('rep.back')} />
          <h2 className="za-page-title">
            <span className="za-mono" data-testid="report-number">
              {report.number}
            </span>
          </h2>
          <StatusTag status={report.status} />
          <PriorityTag priority={report.priority} />
          {report.categoryName && <Tag bordered={false}>{report.categoryName}</Tag>}
          <CaseFlags supervised={report.supervised} overdue={report.overdue} />
          {report.stage && (
            <span className="za-detail-deadline">
              {labels.stage(lang, report.stage)}
              {lang === 'zh-CN' ? '：' : ': '}
              <DeadlineCountdown deadline={report.stageDeadline} overdue={report.overdue} warned={report.warned} status={report.status} />
            </span>
          )}
        </div>
        <Space wrap className="za-detail-actions" data-testid="report-actions">
          {report.actions.map((a) => (
            <Button
              key={a}
              type={FORWARD_ACTIONS.includes(a) ? 'primary' : 'default'}
              danger={DANGER_ACTIONS.includes(a)}
              onClick={() => setAction(a)}
              data-testid={`action-${a}`}
            >
              {labels.reportAction(lang, a)}
            </Button>
          ))}
          <Button icon={<ReloadOutlined />} onClick={() => void reload()} aria-label={t('common.refresh')} />
        </Space>
      </div>

      <Row gutter={12}>
        <Col xs={24} xl={16}>
          <Card size="small" title={t('rep.basic')} className="za-card">
            <Typography.Paragraph className="za-detail-desc" data-testid="report-description">
              {report.description}
            </Typography.Paragraph>
            <Descriptions size="small" bordered column={{ xs: 1, sm: 1, md: 2, lg: 2, xl: 2, xxl: 2 }} styles={{ label: { width: 100 } }}>
              <Descriptions.Item label={t('rep.category')}>{report.categoryName ?? '—'}</Descriptions.Item>
              <Descriptions.Item label={t('rep.channel')}>{labels.channel(lang, report.channel)}</Descriptions.Item>
              <Descriptions.Item label={t('rep.address')} span={2}>
                {report.address ?? '—'}
              </Descriptions.Item>
              <Descriptions.Item label={t('rep.area')} span={2}>
                {[report.streetName, report.communityName, report.gridName].filter(Boolean).join(' · ') || '—'}
              </Descriptions.Item>
              <Descriptions.Item label={t('rep.dept')}>{report.deptName ?? '—'}</Descriptions.Item>
              <Descriptions.Item label={t('rep.assignee')}>{report.assigneeName ?? '—'}</Descriptions.Item>
              <Descriptions.Item label={t('rep.reporter')} span={2}>
                <ReporterContact report={report} canRead={can('personal.read')} />
              </Descriptions.Item>
              <Descriptions.Item label={t('rep.createdAt')}>{formatTime(report.createdAt, lang)}</Descriptions.Item>
              <Descriptions.Item label={t('rep.expectedAt')}>{report.expectedAt ? formatTime(report.expectedAt, lang) : '—'}</Descriptions.Item>
              <Descriptions.Item label={t('rep.timeMode')}>{labels.timeMode(lang, report.timeMode)}</Descriptions.Item>
              <Descriptions.Item label={t('rep.trackingCode')}>
                <Typography.Text copyable className="za-mono">
                  {report.trackingCode}
                </Typography.Text>
              </Descriptions.Item>
              {report.closedAt && <Descriptions.Item label={t('rep.closedAt')}>{formatTime(report.closedAt, lang)}</Descriptions.Item>}
              {report.reopenCount > 0 && <Descriptions.Item label={t('rep.reopenCount')}>{report.reopenCount}</Descriptions.Item>}
              {report.mergedInto && (
                <Descriptions.Item label={t('rep.mergedInto')}>
                  <Link to={`/reports/${report.mergedInto}`}>{t('rep.open')}</Link>
                </Descriptions.Item>
              )}
              {report.resultNote && (
                <Descriptions.Item label={t('rep.resultNote')} span={2}>
                  {report.resultNote}
                </Descriptions.Item>
              )}
              {report.rating && (
                <Descriptions.Item label={t('rep.rating')} span={2}>
                  <Tag color={report.rating === 'dissatisfied' ? 'red' : 'green'} bordered={false}>
                    {labels.rating(lang, report.rating)}
                  </Tag>
                  {report.ratingComment}
                </Descriptions.Item>
              )}
            </Descriptions>
          </Card>

          <Card size="small" title={t('rep.photos')} className="za-card">
            <PhotoGroups photos={report.photos} />
          </Card>

          <Card size="small" title={t('rep.routing')} extra={<Typography.Text type="secondary">{t('rep.routingHint')}</Typography.Text>} className="za-card">
            {report.routing.length ? <RoutingSteps steps={report.routing} /> : <Typography.Text type="secondary">{t('rep.noRecords')}</Typography.Text>}
          </Card>

          <Card size="small" title={t('rep.stages')} className="za-card">
            <StageTable stages={report.stages} />
          </Card>
        </Col>

        <Col xs={24} xl={8}>
          <Card size="small" title={t('rep.location')} className="za-card" styles={{ body: { padding: 8 } }}>
            {report.lng !== null && report.lat !== null ? (
              <LazyReportMap height={240} pin={{ lng: report.lng, lat: report.lat }} gridId={report.gridId} testId="detail-map" />
            ) : (
              <Typography.Text type="secondary">{t('rep.noLocation')}</Typography.Text>
            )}
          </Card>

          <Card
            size="small"
            title={t('rep.extensions')}
            className="za-card"
            extra={
              report.canRequestExtension &&
              !hasPendingExt && (
                <Button size="small" onClick={() => setExtOpen((o) => !o)} data-testid="extension-toggle">
                  {t('rep.extRequest')}
                </Button>
              )
            }
          >
            {extOpen && report.canRequestExtension && !hasPendingExt && (
              <div className="za-inline-form">
                <ExtensionForm
                  reportId={report.id}
                  onDone={() => {
                    ownUntil.current = Date.now() + 4000;
                    setExtOpen(false);
                    void reload(true);
                  }}
                />
              </div>
            )}
            <ExtensionList
              report={report}
              canApprove={can('report.approve')}
              onChanged={(r) => {
                ownUntil.current = Date.now() + 4000;
                setReport(r);
              }}
            />
          </Card>

          <Card size="small" title={t('rep.supervisions')} className="za-card">
            <SupervisionList items={report.supervisions} />
          </Card>

          <Card size="small" title={t('rep.timeline')} className="za-card">
            <CaseTimeline events={report.events} />
          </Card>
        </Col>
      </Row>

      <ActionModal report={report} action={action} onClose={() => setAction(null)} onDone={done} />
    </div>
  );
}
