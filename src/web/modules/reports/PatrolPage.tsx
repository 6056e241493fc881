/**
 * 巡查上报: a grid worker's report from the street, on a phone: position from the GPS if
 * allowed (otherwise a pin), photos straight from the camera.
 */
import { useNavigate } from 'react-router-dom';
import { Button } from 'antd';
import { LeftOutlined } from '@ant-design/icons';
import { useI18n } from '../../i18n';
import { ReportForm } from './ReportForm';

export default function PatrolPage() {
  const { t } = useI18n();
  const navigate = useNavigate();
  return (
    <div className="za-mobile-page">
      <div className="za-mobile-bar">
        <Button type="text" icon={<LeftOutlined />} onClick={() => navigate('/reports/mine')} aria-label={t('rep.back')} />
        <span className="za-mobile-title">{t('intake.patrolTitle')}</span>
        <span style={{ width: 32 }} />
      </div>
      <ReportForm channel="patrol" mobile />
    </div>
  );
}
