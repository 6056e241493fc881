import { Tag } from 'antd';
import { useI18n } from '../../i18n';
import type { Level, WarningStatus } from './alerts-api';
import { LEVEL_HEX, LEVEL_TEXT, STATUS_COLORS, levelLabel, statusLabel } from './alerts-meta';

/** 红色 / 黄色 / 绿色 as a filled tag in the level's own colour. */
export function LevelTag({ level, large }: { level: Level; large?: boolean }) {
  const { t } = useI18n();
  return (
    <Tag
      bordered={false}
      className={large ? 'za-level-tag za-level-tag-lg' : 'za-level-tag'}
      style={{ background: LEVEL_HEX[level], color: LEVEL_TEXT[level] }}
      data-testid="level-tag"
      data-level={level}
    >
      {levelLabel(t, level)}
    </Tag>
  );
}

/** 待派发 / 核查中 / 属实 / 误报 / 已处置. */
export function WarningStatusTag({ status }: { status: WarningStatus }) {
  const { t } = useI18n();
  return (
    <Tag color={STATUS_COLORS[status]} bordered={false} data-testid="warning-status" data-status={status}>
      {statusLabel(t, status)}
    </Tag>
  );
}

/** The three levels with their colours, for maps and charts. */
export function LevelLegend() {
  const { t } = useI18n();
  return (
    <div className="za-status-legend">
      {(['red', 'yellow', 'green'] as Level[]).map((l) => (
        <span key={l}>
          <i style={{ background: LEVEL_HEX[l] }} />
          {levelLabel(t, l)}
        </span>
      ))}
    </div>
  );
}
