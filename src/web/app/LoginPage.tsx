import { useState } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router-dom';
import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { LockOutlined, UserOutlined, GlobalOutlined } from '@ant-design/icons';
import { ApiError } from '../api';
import { useI18n } from '../i18n';
import { useAuth } from './auth';
import { Logo } from './Logo';

interface LoginForm {
  username: string;
  password: string;
}

export function LoginPage() {
  const { t, lang, setLang } = useI18n();
  const { status, login } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [error, setError] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const from = (location.state as { from?: string } | null)?.from ?? '/';

  if (status === 'authenticated') return <Navigate to={from} replace />;

  const onFinish = async (values: LoginForm) => {
    setSubmitting(true);
    setError(null);
    try {
      await login(values.username.trim(), values.password);
      navigate(from.startsWith('/login') ? '/' : from, { replace: true });
    } catch (e) {
      if (e instanceof ApiError && e.status === 429) setError(t('login.locked'));
      else if (e instanceof ApiError && e.status === 401) setError(t('login.bad'));
      else if (e instanceof ApiError && e.status === 0) setError(t('common.networkError'));
      else setError(e instanceof Error ? e.message : t('common.error'));
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <div className="za-login">
      <div className="za-login-lang">
        <Button type="text" icon={<GlobalOutlined />} onClick={() => setLang(lang === 'zh-CN' ? 'en-US' : 'zh-CN')} style={{ color: '#fff' }}>
          {t('lang.switch')}
        </Button>
      </div>
      <div className="za-login-inner">
        <div className="za-login-brand">
          <Logo size={56} />
          <h1>{t('app.title')}</h1>
          <p>{t('login.slogan')}</p>
        </div>
        <Card className="za-login-card" title={t('login.title')} variant="borderless">
          {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} role="alert" />}
          <Form<LoginForm> layout="vertical" onFinish={onFinish} requiredMark={false} size="large" autoComplete="on">
            <Form.Item name="username" label={t('login.username')} rules={[{ required: true, whitespace: true, message: t('common.required') }]}>
              <Input prefix={<UserOutlined />} autoComplete="username" autoFocus />
            </Form.Item>
            <Form.Item name="password" label={t('login.password')} rules={[{ required: true, message: t('common.required') }]}>
              <Input.Password prefix={<LockOutlined />} autoComplete="current-password" />
            </Form.Item>
            <Button type="primary" htmlType="submit" block loading={submitting}>
              {t('login.submit')}
            </Button>
          </Form>
          <Typography.Paragraph type="secondary" style={{ marginTop: 16, marginBottom: 0, fontSize: 12, textAlign: 'center' }}>
            {t('login.note')}
          </Typography.Paragraph>
        </Card>
      </div>
      <div className="za-login-footer">{t('app.footer')}</div>
    </div>
  );
}
