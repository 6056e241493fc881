/**
 * Providers (language, antd theme and locale, session) and the routes of the console.
 * Pages are loaded lazily so that the map libraries only load with the pages that use them.
 */
import { lazy, Suspense, type ReactNode } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { App as AntApp, ConfigProvider, Spin } from 'antd';
import zhCN from 'antd/locale/zh_CN';
import enUS from 'antd/locale/en_US';
import { I18nProvider, useI18n } from '../i18n';
import { AuthProvider, useAuth } from './auth';
import { AppLayout } from './AppLayout';
import { LoginPage } from './LoginPage';
import { Forbidden, NotFound } from './ErrorPages';
import type { Permission } from '../api';

const MapPage = lazy(() => import('../modules/geo/MapPage'));
const AddressesPage = lazy(() => import('../modules/geo/AddressesPage'));
const GridsPage = lazy(() => import('../modules/geo/GridsPage'));
const OrgsPage = lazy(() => import('../modules/core/OrgsPage'));
const UsersPage = lazy(() => import('../modules/core/UsersPage'));
const AuditPage = lazy(() => import('../modules/audit/AuditPage'));
const ReportListPage = lazy(() => import('../modules/reports/ReportListPage'));
const ReportDetailPage = lazy(() => import('../modules/reports/ReportDetailPage'));
const IntakePage = lazy(() => import('../modules/reports/IntakePage'));
const TriagePage = lazy(() => import('../modules/reports/TriagePage'));
const MyTasksPage = lazy(() => import('../modules/reports/MyTasksPage'));
const MyTaskDetailPage = lazy(() => import('../modules/reports/MyTaskDetailPage'));
const PatrolPage = lazy(() => import('../modules/reports/PatrolPage'));
const SupervisionPage = lazy(() => import('../modules/reports/SupervisionPage'));
const StatsPage = lazy(() => import('../modules/reports/StatsPage'));
const ReportSettingsPage = lazy(() => import('../modules/reports/SettingsPage'));
// 预警中心
const WarningListPage = lazy(() => import('../modules/alerts/WarningListPage'));
const WarningDetailPage = lazy(() => import('../modules/alerts/WarningDetailPage'));
const DevicesPage = lazy(() => import('../modules/alerts/DevicesPage'));
const DeviceDetailPage = lazy(() => import('../modules/alerts/DeviceDetailPage'));
const HouseholdsPage = lazy(() => import('../modules/alerts/HouseholdsPage'));
const AlertRulesPage = lazy(() => import('../modules/alerts/RulesPage'));
const ReconPage = lazy(() => import('../modules/alerts/ReconPage'));
const PrecisionPage = lazy(() => import('../modules/alerts/PrecisionPage'));
// 涉案财物
const CustodyLedgerPage = lazy(() => import('../modules/custody/LedgerPage'));
const CustodyItemPage = lazy(() => import('../modules/custody/ItemPage'));
const CustodyCasesPage = lazy(() => import('../modules/custody/CasesPage'));
const CustodyCaseDetailPage = lazy(() => import('../modules/custody/CaseDetailPage'));
const CustodyScanPage = lazy(() => import('../modules/custody/ScanPage'));
const CustodyCodeResolvePage = lazy(() => import('../modules/custody/CodeResolvePage'));
const CustodyInboxPage = lazy(() => import('../modules/custody/QueuePages').then((m) => ({ default: m.InboxPage })));
const CustodyApprovalsPage = lazy(() => import('../modules/custody/QueuePages').then((m) => ({ default: m.ApprovalsPage })));
const CustodyStoragePage = lazy(() => import('../modules/custody/StoragePage'));
const CustodyWarningsPage = lazy(() => import('../modules/custody/WarningsPage'));
const CustodyStatsPage = lazy(() => import('../modules/custody/StatsPage'));
const CustodyDisplaysPage = lazy(() => import('../modules/custody/DisplaysPage'));
const CustodyDisplayViewerPage = lazy(() => import('../modules/custody/DisplayViewerPage'));
// Residents' pages: no account, outside the console's shell.
const ResidentReportPage = lazy(() => import('../resident/ReportPage'));
const ResidentStatusPage = lazy(() => import('../resident/StatusPage'));

/** The console's report pages: path below /reports, permission, page. */
const REPORT_ROUTES: { path: string; permission: Permission; element: ReactNode }[] = [
  { path: 'reports', permission: 'report.read', element: <ReportListPage /> },
  { path: 'reports/intake', permission: 'report.create', element: <IntakePage /> },
  { path: 'reports/triage', permission: 'report.triage', element: <TriagePage /> },
  { path: 'reports/mine', permission: 'report.handle', element: <MyTasksPage /> },
  { path: 'reports/mine/:id', permission: 'report.handle', element: <MyTaskDetailPage /> },
  { path: 'reports/patrol', permission: 'report.create', element: <PatrolPage /> },
  { path: 'reports/supervision', permission: 'report.supervise', element: <SupervisionPage /> },
  { path: 'reports/stats', permission: 'report.read', element: <StatsPage /> },
  { path: 'reports/settings', permission: 'report.configure', element: <ReportSettingsPage /> },
  { path: 'reports/:id', permission: 'report.read', element: <ReportDetailPage /> },
];

/** The console's 预警中心 pages: path below /alerts, permission, page. */
const ALERT_ROUTES: { path: string; permission: Permission; element: ReactNode }[] = [
  { path: 'alerts', permission: 'alert.read', element: <Navigate to="/alerts/warnings" replace /> },
  { path: 'alerts/warnings', permission: 'alert.read', element: <WarningListPage /> },
  { path: 'alerts/warnings/:id', permission: 'alert.read', element: <WarningDetailPage /> },
  { path: 'alerts/devices', permission: 'alert.read', element: <DevicesPage /> },
  { path: 'alerts/devices/:id', permission: 'alert.read', element: <DeviceDetailPage /> },
  { path: 'alerts/households', permission: 'household.read', element: <HouseholdsPage /> },
  { path: 'alerts/rules', permission: 'alert.read', element: <AlertRulesPage /> },
  { path: 'alerts/recon', permission: 'alert.read', element: <ReconPage /> },
  { path: 'alerts/precision', permission: 'alert.read', element: <PrecisionPage /> },
];

/** The console's 涉案财物 pages: path below /custody, permission, page. */
const CUSTODY_ROUTES: { path: string; permission: Permission; element: ReactNode }[] = [
  { path: 'custody', permission: 'custody.read', element: <Navigate to="/custody/items" replace /> },
  { path: 'custody/items', permission: 'custody.read', element: <CustodyLedgerPage /> },
  { path: 'custody/items/:id', permission: 'custody.read', element: <CustodyItemPage /> },
  { path: 'custody/cases', permission: 'custody.read', element: <CustodyCasesPage /> },
  { path: 'custody/cases/:id', permission: 'custody.read', element: <CustodyCaseDetailPage /> },
  { path: 'custody/scan', permission: 'custody.read', element: <CustodyScanPage /> },
  { path: 'custody/inbox', permission: 'custody.read', element: <CustodyInboxPage /> },
  { path: 'custody/approvals', permission: 'custody.approve', element: <CustodyApprovalsPage /> },
  { path: 'custody/storage', permission: 'custody.read', element: <CustodyStoragePage /> },
  { path: 'custody/warnings', permission: 'custody.read', element: <CustodyWarningsPage /> },
  { path: 'custody/stats', permission: 'custody.read', element: <CustodyStatsPage /> },
  { path: 'custody/displays', permission: 'custody.read', element: <CustodyDisplaysPage /> },
  // What a label's QR code opens (`${PUBLIC_BASE_URL}/c/${code}`).
  { path: 'c/:code', permission: 'custody.read', element: <CustodyCodeResolvePage /> },
];

export const PRIMARY = '#1d4ed8';

function Loading() {
  return (
    <div className="za-center">
      <Spin size="large" />
    </div>
  );
}

function RequireAuth({ children }: { children: ReactNode }) {
  const { status, signedOut } = useAuth();
  const location = useLocation();
  if (status === 'loading') return <Loading />;
  // A session that expired brings the user back where they were; signing out does not.
  if (status === 'anonymous') return <Navigate to="/login" replace state={signedOut ? null : { from: location.pathname + location.search }} />;
  return <>{children}</>;
}

function RequirePermission({ permission, children }: { permission: Permission; children: ReactNode }) {
  const { can } = useAuth();
  if (!can(permission)) return <Forbidden />;
  return <Suspense fallback={<Loading />}>{children}</Suspense>;
}

function Themed({ children }: { children: ReactNode }) {
  const { lang } = useI18n();
  return (
    <ConfigProvider
      locale={lang === 'zh-CN' ? zhCN : enUS}
      theme={{
        token: {
          colorPrimary: PRIMARY,
          colorInfo: PRIMARY,
          borderRadius: 4,
          fontFamily:
            '-apple-system, BlinkMacSystemFont, "Segoe UI", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Helvetica Neue", Arial, sans-serif',
        },
        components: {
          Layout: { siderBg: '#0b1a38', triggerBg: '#0a1530', headerBg: '#0f2557', headerPadding: '0 16px', headerHeight: 52 },
          Menu: {
            darkItemBg: '#0b1a38',
            darkSubMenuItemBg: '#081430',
            darkItemSelectedBg: PRIMARY,
            darkGroupTitleColor: 'rgba(255,255,255,0.38)',
          },
          Table: { headerBg: '#f3f6fb', cellPaddingBlockSM: 6 },
          Card: { headerHeightSM: 38 },
        },
      }}
    >
      <AntApp>{children}</AntApp>
    </ConfigProvider>
  );
}

export function Root() {
  return (
    <I18nProvider>
      <Themed>
        <AuthProvider>
          <BrowserRouter>
            <Routes>
              <Route path="/login" element={<LoginPage />} />
              <Route
                path="/report"
                element={
                  <Suspense fallback={<Loading />}>
                    <ResidentReportPage />
                  </Suspense>
                }
              />
              <Route
                path="/r/:code?"
                element={
                  <Suspense fallback={<Loading />}>
                    <ResidentStatusPage />
                  </Suspense>
                }
              />
              <Route
                path="/display/:token"
                element={
                  <Suspense fallback={<Loading />}>
                    <CustodyDisplayViewerPage />
                  </Suspense>
                }
              />
              <Route
                element={
                  <RequireAuth>
                    <AppLayout />
                  </RequireAuth>
                }
              >
                <Route
                  index
                  element={
                    <Suspense fallback={<Loading />}>
                      <MapPage />
                    </Suspense>
                  }
                />
                <Route
                  path="addresses"
                  element={
                    <RequirePermission permission="address.read">
                      <AddressesPage />
                    </RequirePermission>
                  }
                />
                <Route
                  path="grids"
                  element={
                    <RequirePermission permission="grid.read">
                      <GridsPage />
                    </RequirePermission>
                  }
                />
                <Route
                  path="orgs"
                  element={
                    <RequirePermission permission="org.read">
                      <OrgsPage />
                    </RequirePermission>
                  }
                />
                <Route
                  path="users"
                  element={
                    <RequirePermission permission="user.read">
                      <UsersPage />
                    </RequirePermission>
                  }
                />
                <Route
                  path="audit"
                  element={
                    <RequirePermission permission="audit.read">
                      <AuditPage />
                    </RequirePermission>
                  }
                />
                {REPORT_ROUTES.map((r) => (
                  <Route key={r.path} path={r.path} element={<RequirePermission permission={r.permission}>{r.element}</RequirePermission>} />
                ))}
                {ALERT_ROUTES.map((r) => (
                  <Route key={r.path} path={r.path} element={<RequirePermission permission={r.permission}>{r.element}</RequirePermission>} />
                ))}
                {CUSTODY_ROUTES.map((r) => (
                  <Route key={r.path} path={r.path} element={<RequirePermission permission={r.permission}>{r.element}</RequirePermission>} />
                ))}
                <Route path="*" element={<NotFound />} />
              </Route>
            </Routes>
          </BrowserRouter>
        </AuthProvider>
      </Themed>
    </I18nProvider>
  );
}
