import { useEffect, useRef, useState } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router-dom';
import { Alert, Button, Card, Form, Input, Typography, type InputRef } from 'antd';
import { LockOutlined, SafetyCertificateOutlined, UserOutlined } from '@ant-design/icons';
import { errorMessage, isApiError } from '../../api/client';
import { useAuth } from '../../auth/AuthContext';
import HealthCard from '../dashboard/HealthCard';

interface LoginValues {
  username: string;
  password: string;
  totp_code?: string;
}

function safeFrom(state: unknown): string {
  const from = (state as { from?: unknown } | null)?.from;
  return typeof from === 'string' && from.startsWith('/') && !from.startsWith('/login') ? from : '/';
}

export default function LoginPage() {
  const { status, endReason, login } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [form] = Form.useForm<LoginValues>();
  const [error, setError] = useState<string | null>(null);
  const [needTotp, setNeedTotp] = useState(false);
  const [submitting, setSubmitting] = useState(false);
  const totpRef = useRef<InputRef>(null);

  useEffect(() => {
    if (needTotp) totpRef.current?.focus();
  }, [needTotp]);

  if (status === 'ready') return <Navigate to={safeFrom(location.state)} replace />;

  const onFinish = async (values: LoginValues) => {
    setSubmitting(true);
    setError(null);
    try {
      await login(values.username.trim(), values.password, needTotp ? values.totp_code?.trim() : undefined);
      navigate(safeFrom(location.state), { replace: true });
    } catch (err) {
      if (isApiError(err, 'auth.totp_required')) {
        setNeedTotp(true);
      } else if (isApiError(err, 'auth.totp_invalid')) {
        setNeedTotp(true);
        form.setFields([{ name: 'totp_code', errors: [errorMessage(err)] }]);
      } else {
        setError(errorMessage(err));
      }
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <div
      style={{
        minHeight: '100vh',
        display: 'flex',
        flexDirection: 'column',
        alignItems: 'center',
        justifyContent: 'center',
        gap: 16,
        padding: 24,
        background: 'linear-gradient(135deg, #e6f4ff 0%, #f5f5f5 60%)',
      }}
    >
      <div style={{ display: 'flex', alignItems: 'center', gap: 12 }}>
        <img src="/favicon.svg" alt="" width={40} height={40} />
        <Typography.Title level={3} style={{ margin: 0 }}>
          UCM-Color 后台管理
        </Typography.Title>
      </div>
      <Card style={{ width: 380 }} title="账号登录">
        {error && (
          <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} data-testid="login-error" />
        )}
        {endReason === 'expired' && !error && !needTotp && (
          <Alert type="warning" showIcon message="登录已过期，请重新登录" style={{ marginBottom: 16 }} data-testid="login-expired" />
        )}
        {needTotp && !error && (
          <Alert
            type="info"
            showIcon
            message="该账号已开启两步验证，请输入身份验证器中的 6 位动态验证码"
            style={{ marginBottom: 16 }}
            data-testid="login-totp-hint"
          />
        )}
        <Form<LoginValues> form={form} layout="vertical" onFinish={onFinish} requiredMark={false} data-testid="login-form">
          <Form.Item name="username" label="用户名" rules={[{ required: true, message: '请输入用户名' }]}>
            <Input
              prefix={<UserOutlined />}
              autoComplete="username"
              autoFocus
              disabled={needTotp}
              data-testid="login-username"
            />
          </Form.Item>
          <Form.Item name="password" label="密码" rules={[{ required: true, message: '请输入密码' }]}>
            <Input.Password
              prefix={<LockOutlined />}
              autoComplete="current-password"
              disabled={needTotp}
              data-testid="login-password"
            />
          </Form.Item>
          {needTotp && (
            <Form.Item
              name="totp_code"
              label="动态验证码"
              rules={[
                { required: true, message: '请输入动态验证码' },
                { pattern: /^\d{6}$/, message: '动态验证码为 6 位数字' },
              ]}
            >
              <Input
                ref={totpRef}
                prefix={<SafetyCertificateOutlined />}
                inputMode="numeric"
                autoComplete="one-time-code"
                maxLength={6}
                data-testid="login-totp"
              />
            </Form.Item>
          )}
          <Button type="primary" htmlType="submit" block loading={submitting} data-testid="login-submit">
            登录
          </Button>
          {needTotp && (
            <Button
              type="link"
              block
              style={{ marginTop: 8 }}
              onClick={() => {
                setNeedTotp(false);
                setError(null);
                form.setFieldsValue({ totp_code: undefined });
              }}
            >
              使用其他账号登录
            </Button>
          )}
        </Form>
      </Card>
      <div style={{ width: 380 }}>
        <HealthCard compact />
      </div>
    </div>
  );
}
