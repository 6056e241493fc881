/**
 * 事件设置: the category tree with time limits, the routing rules and the working-day calendar.
 */
import { useSearchParams } from 'react-router-dom';
import { Tabs } from 'antd';
import { useI18n } from '../../i18n';
import { PageHeader } from '../../components/PageHeader';
import { CategorySettings } from './CategorySettings';
import { RoutingRuleSettings } from './RoutingRuleSettings';
import { CalendarSettings } from './CalendarSettings';

export default function SettingsPage() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const tab = params.get('tab') ?? 'categories';
  return (
    <div className="za-page">
      <PageHeader title={t('nav.reports.settings')} />
      <Tabs
        activeKey={tab}
        onChange={(k) => setParams(k === 'categories' ? {} : { tab: k }, { replace: true })}
        className="za-tabs-card"
        destroyOnHidden
        items={[
          { key: 'categories', label: t('set.categories'), children: <CategorySettings /> },
          { key: 'routing', label: t('set.routing'), children: <RoutingRuleSettings /> },
          { key: 'calendar', label: t('set.calendar'), children: <CalendarSettings /> },
        ]}
      />
    </div>
  );
}
