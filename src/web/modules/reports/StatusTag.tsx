import { Tag, Tooltip } from 'antd';
import { ClockCircleOutlined, FlagOutlined } from '@ant-design/icons';
import type { Priority, ReportStatus } from '../../api';
import { labels, useI18n } from '../../i18n';
import { PRIORITY_COLORS, STATUS_COLORS } from './report-meta';

/** The status of a case as a coloured tag (待受理, 处置中, 已结案 …). */
export function StatusTag({ status, className }: { status: ReportStatus; className?: string }) {
  const { lang } = useI18n();
  return (
    <Tag color={STATUS_COLORS[status]} bordered={false} className={className} data-testid="status-tag" data-status={status}>
      {labels.reportStatus(lang, status)}
    </Tag>
  );
}

/** Priority; 一般 (normal) is left out where `hideNormal` is set, to keep lists calm. */
export function PriorityTag({ priority, hideNormal }: { priority: Priority; hideNormal?: boolean }) {
  const { lang } = useI18n();
  if (hideNormal && (priority === 'normal' || priority === 'low')) return null;
  return (
    <Tag color={PRIORITY_COLORS[priority]} bordered={false} icon={priority === 'urgent' ? <FlagOutlined /> : undefined}>
      {labels.priority(lang, priority)}
    </Tag>
  );
}

/** Small markers: 督办 (supervised) and 超时 (overdue). */
export function CaseFlags({ supervised, overdue }: { supervised?: boolean; overdue?: boolean }) {
  const { t } = useI18n();
  return (
    <>
      {supervised && (
        <Tooltip title={t('rep.supervised')}>
          <Tag color="magenta" bordered={false} className="za-flag">
            {t('rep.supervised')}
          </Tag>
        </Tooltip>
      )}
      {overdue && (
        <Tag color="red" bordered={false} className="za-flag" icon={<ClockCircleOutlined />}>
          {t('rep.overdue')}
        </Tag>
      )}
    </>
  );
}
