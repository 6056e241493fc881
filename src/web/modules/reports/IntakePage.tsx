/**
 * 受理台: the hotline operator's form. Reports from residents come in through the public
 * page (群众上报页), linked here for the operator to send callers to.
 */
import { Button } from 'antd';
import { LinkOutlined } from '@ant-design/icons';
import { useI18n } from '../../i18n';
import { PageHeader } from '../../components/PageHeader';
import { ReportForm } from './ReportForm';

export default function IntakePage() {
  const { t } = useI18n();
  return (
    <div className="za-page">
      <PageHeader
        title={t('nav.reports.intake')}
        extra={
          <Button icon={<LinkOutlined />} href="/report" target="_blank" rel="noopener" data-testid="resident-page-link">
            {t('intake.residentPage')}
          </Button>
        }
      />
      <ReportForm channel="hotline" />
    </div>
  );
}
