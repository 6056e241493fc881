import { useEffect, useMemo, useState } from 'react';
import { Outlet, useLocation, useNavigate } from 'react-router-dom';
import { App, Avatar, Button, Dropdown, Layout, Menu, Space, Tag, Tooltip, type MenuProps } from 'antd';
import {
  AlertOutlined,
  ApartmentOutlined,
  BarChartOutlined,
  FlagOutlined,
  FormOutlined,
  MenuOutlined,
  MobileOutlined,
  NodeIndexOutlined,
  SettingOutlined,
  UnorderedListOutlined,
  ApiOutlined,
  AuditOutlined,
  BorderOuterOutlined,
  DashboardOutlined,
  DownOutlined,
  EnvironmentOutlined,
  GlobalOutlined,
  KeyOutlined,
  LogoutOutlined,
  SafetyCertificateOutlined,
  SendOutlined,
  TeamOutlined,
  UserOutlined,
  HomeOutlined,
  WifiOutlined,
  HeartOutlined,
  ControlOutlined,
  DiffOutlined,
  AimOutlined,
  ScanOutlined,
  DatabaseOutlined,
  FolderOpenOutlined,
  InboxOutlined,
  CheckSquareOutlined,
  AppstoreOutlined,
  WarningOutlined,
  PieChartOutlined,
  VideoCameraOutlined,
} from '@ant-design/icons';
import { useI18n, labels, type MsgKey } from '../i18n';
import { useAuth } from './auth';
import { Logo } from './Logo';
import { ChangePasswordModal } from './ChangePasswordModal';
import { InboxBell } from './InboxBell';
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
/** 事件中枢; keys are the path below /reports ('reports' itself is the case list). */
const REPORT_PAGES: NavPage[] = [
  { key: 'reports/intake', path: '/reports/intake', label: 'nav.reports.intake', icon: <FormOutlined />, permission: 'report.create' },
  { key: 'reports/triage', path: '/reports/triage', label: 'nav.reports.triage', icon: <NodeIndexOutlined />, permission: 'report.triage' },
  { key: 'reports', path: '/reports', label: 'nav.reports.list', icon: <UnorderedListOutlined />, permission: 'report.read' },
  { key: 'reports/mine', path: '/reports/mine', label: 'nav.reports.mine', icon: <MobileOutlined />, permission: 'report.handle' },
  { key: 'reports/supervision', path: '/reports/supervision', label: 'nav.reports.supervision', icon: <FlagOutlined />, permission: 'report.supervise' },
  { key: 'reports/stats', path: '/reports/stats', label: 'nav.reports.stats', icon: <BarChartOutlined />, permission: 'report.read' },
  { key: 'reports/settings', path: '/reports/settings', label: 'nav.reports.settings', icon: <SettingOutlined />, permission: 'report.configure' },
];
const REPORT_SUBPAGES = new Set(['intake', 'triage', 'mine', 'supervision', 'stats', 'settings']);

/** 预警中心; keys are the path below /alerts. */
const ALERT_PAGES: NavPage[] = [
  { key: 'alerts/warnings', path: '/alerts/warnings', label: 'nav.alerts.warnings', icon: <AlertOutlined />, permission: 'alert.read' },
  { key: 'alerts/devices', path: '/alerts/devices', label: 'nav.alerts.devices', icon: <WifiOutlined />, permission: 'alert.read' },
  { key: 'alerts/households', path: '/alerts/households', label: 'nav.alerts.households', icon: <HeartOutlined />, permission: 'household.read' },
  { key: 'alerts/rules', path: '/alerts/rules', label: 'nav.alerts.rules', icon: <ControlOutlined />, permission: 'alert.configure' },
  { key: 'alerts/recon', path: '/alerts/recon', label: 'nav.alerts.recon', icon: <DiffOutlined />, permission: 'recon.import' },
  { key: 'alerts/precision', path: '/alerts/precision', label: 'nav.alerts.precision', icon: <AimOutlined />, permission: 'alert.read' },
];

/** 涉案财物; keys are the path below /custody. */
const CUSTODY_PAGES: NavPage[] = [
  { key: 'custody/scan', path: '/custody/scan', label: 'nav.custody.scan', icon: <ScanOutlined />, permission: 'custody.read' },
  { key: 'custody/items', path: '/custody/items', label: 'nav.custody.items', icon: <DatabaseOutlined />, permission: 'custody.read' },
  { key: 'custody/cases', path: '/custody/cases', label: 'nav.custody.cases', icon: <FolderOpenOutlined />, permission: 'custody.read' },
  { key: 'custody/inbox', path: '/custody/inbox', label: 'nav.custody.inbox', icon: <InboxOutlined />, permission: 'custody.transfer' },
  { key: 'custody/approvals', path: '/custody/approvals', label: 'nav.custody.approvals', icon: <CheckSquareOutlined />, permission: 'custody.approve' },
  { key: 'custody/storage', path: '/custody/storage', label: 'nav.custody.storage', icon: <AppstoreOutlined />, permission: 'custody.read' },
  { key: 'custody/warnings', path: '/custody/warnings', label: 'nav.custody.warnings', icon: <WarningOutlined />, permission: 'custody.read' },
  { key: 'custody/stats', path: '/custody/stats', label: 'nav.custody.stats', icon: <PieChartOutlined />, permission: 'custody.read' },
  { key: 'custody/displays', path: '/custody/displays', label: 'nav.custody.displays', icon: <VideoCameraOutlined />, permission: 'custody.display' },
];

const COMING: { key: string; label: MsgKey; icon: React.ReactNode }[] = [
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

  // Phones: the menu hides behind a button in the header and slides over the page.
  const [mobile, setMobile] = useState(() => typeof window !== 'undefined' && window.innerWidth < 768);
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => setMenuOpen(false), [location.pathname]);

  const selectedKey = useMemo(() => {
    const [, seg = '', sub = ''] = location.pathname.split('/');
    if (seg === 'reports') {
      if (sub === 'patrol') return 'reports/mine';
      return REPORT_SUBPAGES.has(sub) ? `reports/${sub}` : 'reports';
    }
    if (seg === 'alerts') return `alerts/${sub || 'warnings'}`;
    if (seg === 'custody') return `custody/${sub || 'items'}`;
    if (seg === 'c') return 'custody/scan';
    return seg === '' ? 'map' : seg;
  }, [location.pathname]);

  const items = useMemo<MenuProps['items']>(() => {
    const page = (p: NavPage) => ({ key: p.key, icon: p.icon, label: t(p.label) });
    const base = BASE_PAGES.filter((p) => !p.permission || can(p.permission)).map(page);
    const admin = ADMIN_PAGES.filter((p) => !p.permission || can(p.permission)).map(page);
    const reports = REPORT_PAGES.filter((p) => !p.permission || can(p.permission)).map(page);
    const result: NonNullable<MenuProps['items']> = [{ key: 'map', icon: <EnvironmentOutlined />, label: t('nav.map') }];
    if (reports.length) result.push({ type: 'group', key: 'g-reports', label: t('nav.group.reports'), children: reports });
    const alerts = ALERT_PAGES.filter((p) => !p.permission || can(p.permission)).map(page);
    if (alerts.length) result.push({ type: 'group', key: 'g-alerts', label: t('nav.alerts'), children: alerts });
    const custody = CUSTODY_PAGES.filter((p) => !p.permission || can(p.permission)).map(page);
    if (custody.length)
      result.push({
        type: 'group',
        key: 'g-custody',
        label: (
          <span>
            <SafetyCertificateOutlined style={{ marginInlineEnd: 6 }} />
            {t('nav.custody')}
          </span>
        ),
        children: custody,
      });
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
      const page = [...REPORT_PAGES, ...ALERT_PAGES, ...CUSTODY_PAGES, ...BASE_PAGES, ...ADMIN_PAGES].find((p) => p.key === key);
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
  const siderCollapsed = mobile ? !menuOpen : collapsed;

  return (
    <Layout className="za-shell">
      {mobile && menuOpen && <div className="za-sider-mask" onClick={() => setMenuOpen(false)} />}
      <Sider
        collapsible
        collapsed={siderCollapsed}
        onCollapse={(c, type) => {
          // The breakpoint is handled by onBreakpoint; keep the desktop preference untouched.
          if (type === 'responsive') return;
          if (mobile) {
            setMenuOpen(!c);
            return;
          }
          setCollapsed(c);
          localStorage.setItem(COLLAPSED_KEY, c ? '1' : '0');
        }}
        breakpoint="md"
        onBreakpoint={(broken) => {
          setMobile(broken);
          setMenuOpen(false);
        }}
        trigger={mobile ? null : undefined}
        width={208}
        collapsedWidth={mobile ? 0 : 56}
        theme="dark"
        className={mobile ? 'za-sider za-sider-mobile' : 'za-sider'}
      >
        <div className="za-brand" onClick={() => navigate('/')} role="link" tabIndex={0}>
          <Logo size={28} />
          {!siderCollapsed && <span>{t('app.short')}</span>}
        </div>
        <Menu theme="dark" mode="inline" selectedKeys={[selectedKey]} items={items} onClick={onMenuClick} />
      </Sider>
      <Layout>
        <Header className="za-header">
          {mobile ? (
            <Space size={4} className="za-header-mobile">
              <Button type="text" className="za-header-btn" icon={<MenuOutlined />} onClick={() => setMenuOpen((o) => !o)} aria-label={t('nav.menu')} data-testid="menu-toggle" />
              <Logo size={22} />
              <span className="za-header-title">{t('app.short')}</span>
            </Space>
          ) : (
            <div className="za-header-title">{t('app.title')}</div>
          )}
          <Space size={mobile ? 2 : 8}>
            <InboxBell />
            <Tooltip title={lang === 'zh-CN' ? 'Switch to English' : '切换到中文'}>
              <Button
                type="text"
                size="small"
                icon={<GlobalOutlined />}
                className="za-header-btn"
                onClick={() => setLang(lang === 'zh-CN' ? 'en-US' : 'zh-CN')}
              >
                {mobile ? null : t('lang.switch')}
              </Button>
            </Tooltip>
            <Dropdown menu={userMenu} placement="bottomRight" trigger={['click']}>
              <Button type="text" className="za-header-btn za-user-btn">
                <Avatar size={24} icon={<UserOutlined />} style={{ background: '#3b82f6' }} />
                {!mobile && <span className="za-user-name">{user?.displayName ?? user?.username}</span>}
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
