/**
 * One of my tasks on a phone: what and where, the time left, photos, and big buttons for
 * 处置完成 (result and photos from the camera), 申请延时 and 回退 (and 核查通过 for verifiers).
 */
import { useState } from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import { App, Button, Drawer, Result, Skeleton, Typography } from 'antd';
import { CheckOutlined, ClockCircleOutlined, EnvironmentOutlined, LeftOutlined, RollbackOutlined, SafetyOutlined } from '@ant-design/icons';
import type { ActionResult, ReportAction } from '../../api';
import { labels, useI18n } from '../../i18n';
import { formatTime } from '../../format';
import { ActionModal } from './ActionModal';
import { DeadlineCountdown } from './DeadlineCountdown';
import { LazyReportMap } from './ReportMapLazy';
import { CaseTimeline, ExtensionForm, PhotoGroups } from './ReportDetailParts';
import { CaseFlags, PriorityTag, StatusTag } from './StatusTag';
import { useReport } from './useReport';
import { shortAddress } from './report-meta';

export default function MyTaskDetailPage() {
  const { id } = useParams<{ id: string }>();
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const { report, setReport, missing, reload } = useReport(id);
  const [action, setAction] = useState<ReportAction | null>(null);
  const [extOpen, setExtOpen] = useState(false);

  const back = () => navigate('/reports/mine');
  const bar = (
    <div className="za-mobile-bar">
      <Button type="text" icon={<LeftOutlined />} onClick={back} aria-label={t('rep.back')} />
      <span className="za-mobile-title za-mono">{report?.number ?? ''}</span>
      <span style={{ width: 32 }} />
    </div>
  );

  if (missing)
    return (
      <div className="za-mobile-page">
        {bar}
        <Result status="404" subTitle={t('page.notFound')} />
      </div>
    );
  if (!report)
    return (
      <div className="za-mobile-page">
        {bar}
        <Skeleton active paragraph={{ rows: 8 }} />
      </div>
    );

  const done = (result: ActionResult, a: ReportAction) => {
    setAction(null);
    if (a === 'handle' || a === 'return' || !result.report) {
      message.success(t('rep.actionDone', { action: labels.reportAction(lang, a) }));
      back();
      return;
    }
    setReport(result.report);
  };

  const has = (a: ReportAction) => report.actions.includes(a);
  const hasPendingExt = report.extensions.some((e) => e.status === 'pending');

  return (
    <div className="za-mobile-page" data-testid="task-detail" data-status={report.status}>
      {bar}
      <div className="za-task-card-detail">
        <div className="za-task-head">
          <span className="za-task-cat">{report.categoryName ?? '—'}</span>
          <StatusTag status={report.status} />
          <PriorityTag priority={report.priority} hideNormal />
          <CaseFlags supervised={report.supervised} overdue={report.overdue} />
        </div>
        {report.stage && (
          <div className="za-task-deadline">
            {labels.stage(lang, report.stage)}
              {lang === 'zh-CN' ? '：' : ': '}
            <DeadlineCountdown deadline={report.stageDeadline} overdue={report.overdue} warned={report.warned} status={report.status} size="large" />
          </div>
        )}
        <Typography.Paragraph className="za-task-desc-full">{report.description}</Typography.Paragraph>
        {report.address && (
          <div className="za-task-addr">
            <EnvironmentOutlined /> {shortAddress(report.address)}
          </div>
        )}
        <div className="za-task-addr">
          {!report.address && <EnvironmentOutlined />} {[report.streetName, report.communityName, report.gridName].filter(Boolean).join(' · ')}
        </div>
        <div className="za-task-meta">
          <span>{report.deptName}</span>
          <span>{formatTime(report.createdAt, lang)}</span>
        </div>
      </div>

      <div className="za-task-actions" data-testid="task-actions">
        {has('handle') && (
          <Button type="primary" size="large" block icon={<CheckOutlined />} onClick={() => setAction('handle')} data-testid="task-handle">
            {t('mine.handle')}
          </Button>
        )}
        {has('verify') && (
          <Button type="primary" size="large" block icon={<SafetyOutlined />} onClick={() => setAction('verify')} data-testid="task-verify">
            {t('mine.verify')}
          </Button>
        )}
        <div className="za-task-actions-row">
          {report.canRequestExtension && (
            <Button size="large" block icon={<ClockCircleOutlined />} disabled={hasPendingExt} onClick={() => setExtOpen(true)} data-testid="task-extension">
              {hasPendingExt ? labels.extensionStatus(lang, 'pending') : t('mine.extension')}
            </Button>
          )}
          {has('return') && (
            <Button size="large" block danger icon={<RollbackOutlined />} onClick={() => setAction('return')} data-testid="task-return">
              {t('mine.return')}
            </Button>
          )}
        </div>
      </div>

      {report.photos.length > 0 && (
        <div className="za-mobile-section">
          <div className="za-mobile-section-title">{t('rep.photos')}</div>
          <PhotoGroups photos={report.photos} />
        </div>
      )}
      {report.lng !== null && report.lat !== null && (
        <div className="za-mobile-section">
          <div className="za-mobile-section-title">{t('rep.location')}</div>
          <LazyReportMap height={200} pin={{ lng: report.lng, lat: report.lat }} gridId={report.gridId} testId="task-map" />
        </div>
      )}
      <div className="za-mobile-section">
        <div className="za-mobile-section-title">{t('rep.timeline')}</div>
        <CaseTimeline events={report.events} />
      </div>

      <ActionModal report={report} action={action} mobile onClose={() => setAction(null)} onDone={done} />
      <Drawer open={extOpen} placement="bottom" height="auto" title={t('mine.extension')} onClose={() => setExtOpen(false)} className="za-bottom-drawer">
        <ExtensionForm
          reportId={report.id}
          size="large"
          onDone={() => {
            setExtOpen(false);
            void reload(true);
          }}
        />
      </Drawer>
    </div>
  );
}
