/**
 * 我的任务: a phone-first list of the cases assigned to me (处置中, 待核查), the most urgent
 * first, big touch targets; a tap opens the task; 巡查上报 starts a patrol report.
 */
import { useMemo, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { Button, Empty, Segmented, Skeleton, Typography } from 'antd';
import { CameraOutlined, EnvironmentOutlined, ReloadOutlined, RightOutlined } from '@ant-design/icons';
import { api, type ReportQuery, type ReportStatus, type ReportSummary } from '../../api';
import { useI18n } from '../../i18n';
import { useAuth } from '../../app/auth';
import { usePagedList } from '../../components/usePagedList';
import { isReportEvent, useLiveRefresh } from '../../components/liveEvents';
import { formatTime } from '../../format';
import { DeadlineCountdown } from './DeadlineCountdown';
import { CaseFlags, PriorityTag, StatusTag } from './StatusTag';
import { shortAddress } from './report-meta';

type Filter = 'todo' | 'verify' | 'all';
const STATUSES: Record<Filter, ReportStatus[]> = { todo: ['dispatched'], verify: ['handled'], all: ['dispatched', 'handled'] };

export default function MyTasksPage() {
  const { t, lang } = useI18n();
  const { can } = useAuth();
  const navigate = useNavigate();
  const [filter, setFilter] = useState<Filter>('all');
  const [version, setVersion] = useState(0);
  const query = useMemo<ReportQuery>(() => ({ mine: true, status: STATUSES[filter], order: 'deadline', page: 1, pageSize: 100 }), [filter]);
  const { data, loading } = usePagedList(api.reports.list, query, version);
  useLiveRefresh(isReportEvent, () => setVersion((v) => v + 1), 1000);

  return (
    <div className="za-mobile-page" data-testid="my-tasks">
      <div className="za-mobile-bar">
        <span className="za-mobile-title">
          {t('mine.title')}
          <span className="za-mobile-count">{t('mine.count', { n: data.total })}</span>
        </span>
        <Button type="text" icon={<ReloadOutlined />} onClick={() => setVersion((v) => v + 1)} aria-label={t('common.refresh')} />
      </div>
      {can('report.create') && (
        <Button type="primary" size="large" block icon={<CameraOutlined />} className="za-big-button" onClick={() => navigate('/reports/patrol')} data-testid="patrol-button">
          {t('mine.patrol')}
        </Button>
      )}
      <Segmented<Filter>
        block
        size="large"
        value={filter}
        onChange={setFilter}
        options={[
          { value: 'all', label: t('mine.all') },
          { value: 'todo', label: t('mine.todo') },
          { value: 'verify', label: t('mine.toVerify') },
        ]}
        className="za-mobile-seg"
      />
      {loading && !data.items.length ? (
        <Skeleton active paragraph={{ rows: 6 }} />
      ) : data.items.length ? (
        <div className="za-task-list">
          {data.items.map((r) => (
            <TaskCard key={r.id} r={r} onOpen={() => navigate(`/reports/mine/${r.id}`)} lang={lang} />
          ))}
        </div>
      ) : (
        <Empty description={t('mine.empty')} style={{ marginTop: 48 }} />
      )}
    </div>
  );
}

function TaskCard({ r, onOpen, lang }: { r: ReportSummary; onOpen: () => void; lang: 'zh-CN' | 'en-US' }) {
  return (
    <button
      type="button"
      className={`za-task${r.overdue ? ' za-task-late' : r.warned ? ' za-task-warn' : ''}`}
      onClick={onOpen}
      data-testid="task-card"
      data-number={r.number}
    >
      <div className="za-task-head">
        <span className="za-task-cat">{r.categoryName ?? '—'}</span>
        <StatusTag status={r.status} />
        <PriorityTag priority={r.priority} hideNormal />
        <CaseFlags supervised={r.supervised} />
        <RightOutlined className="za-task-chevron" />
      </div>
      <div className="za-task-deadline">
        <DeadlineCountdown deadline={r.stageDeadline} overdue={r.overdue} warned={r.warned} status={r.status} size="large" />
      </div>
      <Typography.Paragraph ellipsis={{ rows: 2 }} className="za-task-desc">
        {r.description}
      </Typography.Paragraph>
      <div className="za-task-addr">
        <EnvironmentOutlined /> {r.address ? shortAddress(r.address) : [r.communityName, r.gridName].filter(Boolean).join(' · ') || '—'}
      </div>
      <div className="za-task-meta">
        <span className="za-mono">{r.number}</span>
        <span>{formatTime(r.createdAt, lang)}</span>
      </div>
    </button>
  );
}
