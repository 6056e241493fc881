import { Button, Result } from 'antd';
import { useNavigate } from 'react-router-dom';
import { useI18n } from '../i18n';

export function Forbidden() {
  const { t } = useI18n();
  const navigate = useNavigate();
  return (
    <Result
      status="403"
      title="403"
      subTitle={t('page.forbidden')}
      extra={
        <Button type="primary" onClick={() => navigate('/')}>
          {t('page.backHome')}
        </Button>
      }
    />
  );
}

export function NotFound() {
  const { t } = useI18n();
  const navigate = useNavigate();
  return (
    <Result
      status="404"
      title="404"
      subTitle={t('page.notFound')}
      extra={
        <Button type="primary" onClick={() => navigate('/')}>
          {t('page.backHome')}
        </Button>
      }
    />
  );
}
