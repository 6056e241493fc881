import { Tag, Timeline } from 'antd';
import { AimOutlined, ApartmentOutlined, BranchesOutlined, TagOutlined, UserOutlined, WarningOutlined } from '@ant-design/icons';
import type { RoutingStep } from '../../api';
import { labels, useI18n } from '../../i18n';

const KIND_COLOR: Record<string, string> = {
  location: 'blue',
  category: 'cyan',
  rule: 'purple',
  default: 'geekblue',
  grid_worker: 'green',
  unrouted: 'orange',
  manual: 'magenta',
};

function KindIcon({ kind }: { kind: string }) {
  switch (kind) {
    case 'location':
      return <AimOutlined />;
    case 'category':
      return <TagOutlined />;
    case 'rule':
      return <BranchesOutlined />;
    case 'grid_worker':
    case 'manual':
      return <UserOutlined />;
    case 'unrouted':
      return <WarningOutlined />;
    default:
      return <ApartmentOutlined />;
  }
}

/** 分拨说明: why the case went where it went, one line per decision. */
export function RoutingSteps({ steps }: { steps: RoutingStep[] }) {
  const { lang } = useI18n();
  return (
    <Timeline
      className="za-routing"
      data-testid="routing-steps"
      items={steps.map((s, i) => ({
        key: i,
        color: KIND_COLOR[s.kind] ?? 'gray',
        dot: <KindIcon kind={s.kind} />,
        children: (
          <span>
            <Tag bordered={false} color={KIND_COLOR[s.kind]} className="za-routing-kind">
              {labels.routingKind(lang, s.kind)}
            </Tag>
            {s.text}
          </span>
        ),
      }))}
    />
  );
}
