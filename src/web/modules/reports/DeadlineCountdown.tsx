import { Tooltip } from 'antd';
import { ClockCircleOutlined } from '@ant-design/icons';
import type { ReportStatus } from '../../api';
import { useI18n } from '../../i18n';
import { formatTime } from '../../format';
import { durationText, useNow } from './report-meta';

/**
 * Time left in the current stage: red when overdue, orange when warned (80 % used) or under
 * an hour, grey when nothing runs (closed, suspended). The deadline itself is in the tooltip.
 */
export function DeadlineCountdown({
  deadline,
  overdue,
  warned,
  status,
  size = 'default',
}: {
  deadline: string | null;
  overdue?: boolean;
  warned?: boolean;
  /** Final and suspended cases have no running clock. */
  status?: ReportStatus;
  size?: 'default' | 'large';
}) {
  const { t, lang } = useI18n();
  const now = useNow();
  if (status === 'suspended') return <span className="za-countdown za-countdown-none">{t('rep.paused')}</span>;
  if (!deadline || status === 'closed' || status === 'voided') return <span className="za-countdown za-countdown-none">{t('rep.noDeadline')}</span>;
  const due = new Date(deadline).getTime();
  const left = (due - now) / 60_000;
  const late = overdue || left < 0;
  const tone = late ? 'late' : warned || left < 60 ? 'warn' : 'ok';
  const text = late ? t('rep.overdueBy', { t: durationText(-left, t) }) : t('rep.remaining', { t: durationText(left, t) });
  return (
    <Tooltip title={t('rep.deadlineAt', { t: formatTime(deadline, lang) })}>
      <span className={`za-countdown za-countdown-${tone}${size === 'large' ? ' za-countdown-lg' : ''}`} data-testid="deadline" data-tone={tone}>
        <ClockCircleOutlined />
        {text}
      </span>
    </Tooltip>
  );
}
