import { Navigate, Route, Routes } from 'react-router-dom';
import MainLayout from './layout/MainLayout';
import DashboardPage from './pages/dashboard/DashboardPage';
import UnderConstruction from './pages/UnderConstruction';
import NotFound from './pages/NotFound';
import { MODULES } from './routes';

export default function App() {
  return (
    <Routes>
      <Route element={<MainLayout />}>
        <Route index element={<DashboardPage />} />
        <Route path="dashboard" element={<DashboardPage />} />
        {MODULES.filter((m) => !m.ready).map((m) => (
          <Route key={m.path} path={`${m.path.slice(1)}/*`} element={<UnderConstruction title={m.name} />} />
        ))}
        <Route path="home" element={<Navigate to="/" replace />} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}
