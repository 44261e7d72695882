import { lazy, Suspense, type ReactNode } from 'react';
import { Navigate, Route, Routes } from 'react-router-dom';
import { Spin } from 'antd';
import MainLayout from './layout/MainLayout';
import DashboardPage from './pages/dashboard/DashboardPage';
import LoginPage from './pages/login/LoginPage';
import UnderConstruction from './pages/UnderConstruction';
import NotFound from './pages/NotFound';
import { CATALOG_PAGES, INVENTORY_PAGES, MODULES, PRICE_PAGES, SYSTEM_PAGES } from './routes';
import { RequireAuth, RequirePermission } from './auth/guards';
import { useAuth } from './auth/AuthContext';

const UsersPage = lazy(() => import('./pages/system/UsersPage'));
const RolesPage = lazy(() => import('./pages/system/RolesPage'));
const StoresPage = lazy(() => import('./pages/system/StoresPage'));
const RegionsPage = lazy(() => import('./pages/system/RegionsPage'));
const ApiKeysPage = lazy(() => import('./pages/system/ApiKeysPage'));
const AuditPage = lazy(() => import('./pages/system/AuditPage'));

const SkuListPage = lazy(() => import('./pages/catalog/SkuListPage'));
const SkuDetailPage = lazy(() => import('./pages/catalog/SkuDetailPage'));
const CategoriesPage = lazy(() => import('./pages/catalog/CategoriesPage'));
const BrandsPage = lazy(() => import('./pages/catalog/BrandsPage'));
const PriceQueryPage = lazy(() => import('./pages/catalog/PriceQueryPage'));
const PriceGuardsPage = lazy(() => import('./pages/catalog/PriceGuardsPage'));
const ImportsPage = lazy(() => import('./pages/imports/ImportsPage'));
const ImportWizardPage = lazy(() => import('./pages/imports/ImportWizardPage'));
const StockPage = lazy(() => import('./pages/inventory/StockPage'));
const LedgerPage = lazy(() => import('./pages/inventory/LedgerPage'));
const MovePage = lazy(() => import('./pages/inventory/MovePage'));
const TransfersPage = lazy(() => import('./pages/inventory/TransfersPage'));
const TransferDetailPage = lazy(() => import('./pages/inventory/TransferDetailPage'));
const StocktakesPage = lazy(() => import('./pages/inventory/StocktakesPage'));
const StocktakeDetailPage = lazy(() => import('./pages/inventory/StocktakeDetailPage'));
const AlertsPage = lazy(() => import('./pages/inventory/AlertsPage'));

/** Module pages outside /system (absolute paths) and the pages reached from them. */
const MODULE_ELEMENTS: Record<string, ReactNode> = {
  '/catalog/sku': <SkuListPage />,
  '/catalog/categories': <CategoriesPage />,
  '/catalog/brands': <BrandsPage />,
  '/imports': <ImportsPage />,
  '/catalog/price': <PriceQueryPage />,
  '/catalog/price-guards': <PriceGuardsPage />,
  '/inventory/stock': <StockPage />,
  '/inventory/ledger': <LedgerPage />,
  '/inventory/move': <MovePage />,
  '/inventory/transfers': <TransfersPage />,
  '/inventory/stocktakes': <StocktakesPage />,
  '/inventory/alerts': <AlertsPage />,
  '/inventory/imports': <ImportsPage kind="stock" />,
};
const DETAIL_ROUTES: { path: string; permission: string; element: ReactNode }[] = [
  { path: '/catalog/sku/:id', permission: 'catalog.sku.read', element: <SkuDetailPage /> },
  { path: '/imports/new', permission: 'catalog.sku.write', element: <ImportWizardPage /> },
  { path: '/imports/:id', permission: 'catalog.sku.write', element: <ImportWizardPage /> },
  { path: '/inventory/transfers/:id', permission: 'inventory.read', element: <TransferDetailPage /> },
  { path: '/inventory/stocktakes/:id', permission: 'inventory.read', element: <StocktakeDetailPage /> },
  { path: '/inventory/imports/new', permission: 'inventory.move', element: <ImportWizardPage kind="stock" /> },
  { path: '/inventory/imports/:id', permission: 'inventory.move', element: <ImportWizardPage kind="stock" /> },
];

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

/** /system, /catalog, /prices → the first page of the module this user may open. */
function ModuleIndex({ pages }: { pages: { path: string; permission: string }[] }) {
  const { can } = useAuth();
  const first = pages.find((p) => can(p.permission));
  return first ? <Navigate to={first.path} replace /> : <RequirePermission permission={pages[0].permission}>{null}</RequirePermission>;
}

function guarded(permission: string, element: ReactNode) {
  return (
    <RequirePermission permission={permission}>
      <Suspense fallback={<PageFallback />}>{element}</Suspense>
    </RequirePermission>
  );
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
          <Route index element={<ModuleIndex pages={SYSTEM_PAGES} />} />
          {SYSTEM_PAGES.map((p) => (
            <Route key={p.path} path={p.path.slice('/system/'.length)} element={guarded(p.permission, SYSTEM_ELEMENTS[p.path])} />
          ))}
        </Route>
        <Route path="catalog" element={<ModuleIndex pages={CATALOG_PAGES} />} />
        <Route path="prices" element={<ModuleIndex pages={PRICE_PAGES} />} />
        <Route path="inventory" element={<ModuleIndex pages={INVENTORY_PAGES} />} />
        {[...CATALOG_PAGES, ...PRICE_PAGES, ...INVENTORY_PAGES].map((p) => (
          <Route key={p.path} path={p.path.slice(1)} element={guarded(p.permission, MODULE_ELEMENTS[p.path])} />
        ))}
        {DETAIL_ROUTES.map((r) => (
          <Route key={r.path} path={r.path.slice(1)} element={guarded(r.permission, r.element)} />
        ))}
        <Route path="home" element={<Navigate to="/" replace />} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}
