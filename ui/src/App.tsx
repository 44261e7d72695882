import { lazy, Suspense, type ReactNode } from 'react';
import { Navigate, Route, Routes } from 'react-router-dom';
import { Spin } from 'antd';
import MainLayout from './layout/MainLayout';
import DashboardPage from './pages/dashboard/DashboardPage';
import LoginPage from './pages/login/LoginPage';
import UnderConstruction from './pages/UnderConstruction';
import NotFound from './pages/NotFound';
import { MODULES, SYSTEM_PAGES } from './routes';
import { RequireAuth, RequirePermission } from './auth/guards';
import { useAuth } from './auth/AuthContext';

const UsersPage = lazy(() => import('./pages/system/UsersPage'));
const RolesPage = lazy(() => import('./pages/system/RolesPage'));
const StoresPage = lazy(() => import('./pages/system/StoresPage'));
const RegionsPage = lazy(() => import('./pages/system/RegionsPage'));
const ApiKeysPage = lazy(() => import('./pages/system/ApiKeysPage'));
const AuditPage = lazy(() => import('./pages/system/AuditPage'));

const SYSTEM_ELEMENTS: Record<string, ReactNode> = {
  '/system/users': <UsersPage />,
  '/system/roles': <RolesPage />,
  '/system/stores': <StoresPage />,
  '/system/regions': <RegionsPage />,
  '/system/api-keys': <ApiKeysPage />,
  '/system/audit': <AuditPage />,
};

function PageFallback() {
  return (
    <div style={{ padding: 48, textAlign: 'center' }}>
      <Spin />
    </div>
  );
}

/** /system → the first system page this user may open. */
function SystemIndex() {
  const { can } = useAuth();
  const first = SYSTEM_PAGES.find((p) => can(p.permission));
  return first ? <Navigate to={first.path} replace /> : <RequirePermission permission="system.user.read">{null}</RequirePermission>;
}

export default function App() {
  return (
    <Routes>
      <Route path="login" element={<LoginPage />} />
      <Route
        element={
          <RequireAuth>
            <MainLayout />
          </RequireAuth>
        }
      >
        <Route index element={<DashboardPage />} />
        <Route path="dashboard" element={<DashboardPage />} />
        {MODULES.filter((m) => !m.ready).map((m) => (
          <Route key={m.path} path={`${m.path.slice(1)}/*`} element={<UnderConstruction title={m.name} />} />
        ))}
        <Route path="system">
          <Route index element={<SystemIndex />} />
          {SYSTEM_PAGES.map((p) => (
            <Route
              key={p.path}
              path={p.path.slice('/system/'.length)}
              element={
                <RequirePermission permission={p.permission}>
                  <Suspense fallback={<PageFallback />}>{SYSTEM_ELEMENTS[p.path]}</Suspense>
                </RequirePermission>
              }
            />
          ))}
        </Route>
        <Route path="home" element={<Navigate to="/" replace />} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}
