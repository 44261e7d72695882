import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router-dom';
import { Button, Result, Space, Spin } from 'antd';
import { useAuth } from './AuthContext';

/** Every route but /login: no session → /login (and back here after logging in). */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { status, endReason, error, reload, logout } = useAuth();
  const location = useLocation();
  if (status === 'anonymous') {
    // After 退出登录 the next user starts from the dashboard; otherwise come back here.
    const state = endReason === 'logout' ? undefined : { from: location.pathname + location.search };
    return <Navigate to="/login" replace state={state} />;
  }
  if (status === 'loading') {
    return (
      <div style={{ height: '100vh', display: 'flex', alignItems: 'center', justifyContent: 'center' }}>
        <Spin size="large" tip="正在加载账号信息…">
          <div style={{ width: 200, height: 80 }} />
        </Spin>
      </div>
    );
  }
  if (status === 'error') {
    return (
      <Result
        status="error"
        title="无法加载账号信息"
        subTitle={error}
        extra={
          <Space>
            <Button type="primary" onClick={() => void reload()}>
              重试
            </Button>
            <Button onClick={() => void logout()}>重新登录</Button>
          </Space>
        }
      />
    );
  }
  return <>{children}</>;
}

/** A page the user may not open (deep link without the permission): 403 instead of the page. */
export function RequirePermission({ permission, children }: { permission: string; children: ReactNode }) {
  const { can } = useAuth();
  if (!can(permission)) {
    return <Result status="403" title="无权访问" subTitle="您的账号没有访问此页面的权限，如需开通请联系管理员。" data-testid="forbidden" />;
  }
  return <>{children}</>;
}
