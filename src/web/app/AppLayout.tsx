import { useMemo, useState } from 'react';
import { Outlet, useLocation, useNavigate } from 'react-router-dom';
import { App, Avatar, Button, Dropdown, Layout, Menu, Space, Tag, Tooltip, type MenuProps } from 'antd';
import {
  AlertOutlined,
  ApartmentOutlined,
  ApiOutlined,
  AuditOutlined,
  BorderOuterOutlined,
  DashboardOutlined,
  DownOutlined,
  EnvironmentOutlined,
  GlobalOutlined,
  KeyOutlined,
  LogoutOutlined,
  NotificationOutlined,
  SafetyCertificateOutlined,
  SendOutlined,
  TeamOutlined,
  UserOutlined,
  HomeOutlined,
} from '@ant-design/icons';
import { useI18n, labels, type MsgKey } from '../i18n';
import { useAuth } from './auth';
import { Logo } from './Logo';
import { ChangePasswordModal } from './ChangePasswordModal';
import type { Permission } from '../api';

const { Header, Sider, Content } = Layout;

const COLLAPSED_KEY = 'zhian.siderCollapsed';

interface NavPage {
  key: string;
  path: string;
  label: MsgKey;
  icon: React.ReactNode;
  permission?: Permission;
}

const BASE_PAGES: NavPage[] = [
  { key: 'addresses', path: '/addresses', label: 'nav.addresses', icon: <HomeOutlined />, permission: 'address.read' },
  { key: 'grids', path: '/grids', label: 'nav.grids', icon: <BorderOuterOutlined />, permission: 'grid.read' },
];
const ADMIN_PAGES: NavPage[] = [
  { key: 'orgs', path: '/orgs', label: 'nav.orgs', icon: <ApartmentOutlined />, permission: 'org.read' },
  { key: 'users', path: '/users', label: 'nav.users', icon: <TeamOutlined />, permission: 'user.read' },
  { key: 'audit', path: '/audit', label: 'nav.audit', icon: <AuditOutlined />, permission: 'audit.read' },
];
const COMING: { key: string; label: MsgKey; icon: React.ReactNode }[] = [
  { key: 'reports', label: 'nav.reports', icon: <NotificationOutlined /> },
  { key: 'alerts', label: 'nav.alerts', icon: <AlertOutlined /> },
  { key: 'custody', label: 'nav.custody', icon: <SafetyCertificateOutlined /> },
  { key: 'dispatch', label: 'nav.dispatch', icon: <SendOutlined /> },
  { key: 'cockpit', label: 'nav.cockpit', icon: <DashboardOutlined /> },
];

export function AppLayout() {
  const { t, lang, setLang } = useI18n();
  const { user, logout, can } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const { message } = App.useApp();
  const [collapsed, setCollapsed] = useState(() => localStorage.getItem(COLLAPSED_KEY) === '1');
  const [pwdOpen, setPwdOpen] = useState(false);

  const selectedKey = useMemo(() => {
    const seg = location.pathname.split('/')[1] ?? '';
    return seg === '' ? 'map' : seg;
  }, [location.pathname]);

  const items = useMemo<MenuProps['items']>(() => {
    const page = (p: NavPage) => ({ key: p.key, icon: p.icon, label: t(p.label) });
    const base = BASE_PAGES.filter((p) => !p.permission || can(p.permission)).map(page);
    const admin = ADMIN_PAGES.filter((p) => !p.permission || can(p.permission)).map(page);
    const result: NonNullable<MenuProps['items']> = [{ key: 'map', icon: <EnvironmentOutlined />, label: t('nav.map') }];
    if (base.length) result.push({ type: 'group', key: 'g-base', label: t('nav.group.base'), children: base });
    if (admin.length) result.push({ type: 'group', key: 'g-admin', label: t('nav.group.admin'), children: admin });
    result.push({
      type: 'group',
      key: 'g-soon',
      label: t('nav.group.soon'),
      children: COMING.map((c) => ({
        key: c.key,
        icon: c.icon,
        disabled: true,
        label: (
          <span className="za-soon">
            <span>{t(c.label)}</span>
            <Tag color="default" bordered={false} className="za-soon-tag">
              {t('nav.soon')}
            </Tag>
          </span>
        ),
      })),
    });
    result.push({ type: 'divider' });
    result.push({
      key: 'api-docs',
      icon: <ApiOutlined />,
      label: (
        <a href="/api/docs" target="_blank" rel="noopener noreferrer">
          {t('nav.apiDocs')}
        </a>
      ),
    });
    return result;
  }, [t, can]);

  const onMenuClick: MenuProps['onClick'] = ({ key }) => {
    if (key === 'api-docs') return;
    if (key === 'map') navigate('/');
    else {
      const page = [...BASE_PAGES, ...ADMIN_PAGES].find((p) => p.key === key);
      if (page) navigate(page.path);
    }
  };

  const userMenu: MenuProps = {
    items: [
      { key: 'password', icon: <KeyOutlined />, label: t('user.changePassword') },
      { type: 'divider' },
      { key: 'logout', icon: <LogoutOutlined />, label: t('user.logout'), danger: true },
    ],
    onClick: async ({ key }) => {
      if (key === 'password') setPwdOpen(true);
      if (key === 'logout') {
        await logout().catch(() => undefined);
        message.success(t('user.loggedOut'));
        navigate('/login', { replace: true });
      }
    },
  };

  const isMap = selectedKey === 'map';

  return (
    <Layout className="za-shell">
      <Sider
        collapsible
        collapsed={collapsed}
        onCollapse={(c) => {
          setCollapsed(c);
          localStorage.setItem(COLLAPSED_KEY, c ? '1' : '0');
        }}
        width={208}
        collapsedWidth={56}
        theme="dark"
        className="za-sider"
      >
        <div className="za-brand" onClick={() => navigate('/')} role="link" tabIndex={0}>
          <Logo size={28} />
          {!collapsed && <span>{t('app.short')}</span>}
        </div>
        <Menu theme="dark" mode="inline" selectedKeys={[selectedKey]} items={items} onClick={onMenuClick} />
      </Sider>
      <Layout>
        <Header className="za-header">
          <div className="za-header-title">{t('app.title')}</div>
          <Space size={8}>
            <Tooltip title={lang === 'zh-CN' ? 'Switch to English' : '切换到中文'}>
              <Button
                type="text"
                size="small"
                icon={<GlobalOutlined />}
                className="za-header-btn"
                onClick={() => setLang(lang === 'zh-CN' ? 'en-US' : 'zh-CN')}
              >
                {t('lang.switch')}
              </Button>
            </Tooltip>
            <Dropdown menu={userMenu} placement="bottomRight" trigger={['click']}>
              <Button type="text" className="za-header-btn za-user-btn">
                <Avatar size={24} icon={<UserOutlined />} style={{ background: '#3b82f6' }} />
                <span className="za-user-name">{user?.displayName ?? user?.username}</span>
                <span className="za-user-org">
                  {user?.orgName}
                  {user?.roles?.length ? ` · ${user.roles.map((r) => labels.role(lang, r)).join('、')}` : ''}
                </span>
                <DownOutlined style={{ fontSize: 10 }} />
              </Button>
            </Dropdown>
          </Space>
        </Header>
        <Content className={isMap ? 'za-content za-content-map' : 'za-content'}>
          <Outlet />
        </Content>
      </Layout>
      <ChangePasswordModal open={pwdOpen} onClose={() => setPwdOpen(false)} />
    </Layout>
  );
}
