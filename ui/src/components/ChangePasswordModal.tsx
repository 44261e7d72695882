import { useState } from 'react';
import { Alert, App, Button, Form, Input, Modal } from 'antd';
import { isApiError } from '../api/client';
import { changePassword } from '../api/identity';
import { useAuth } from '../auth/AuthContext';
import { applyApiErrors } from '../utils/formErrors';

interface Values {
  old_password: string;
  new_password: string;
  confirm: string;
}

/** Password policy (docs/identity-api.md): ≥ 8 characters, letters and digits, not the username. */
export function passwordRules(username?: () => string | undefined) {
  return [
    { required: true, message: '请输入密码' },
    { min: 8, message: '密码至少 8 位' },
    { pattern: /(?=.*[A-Za-z])(?=.*\d)/, message: '密码需同时包含字母和数字' },
    {
      validator: async (_: unknown, v: string | undefined) => {
        const u = username?.();
        if (v && u && v.toLowerCase() === u.toLowerCase()) throw new Error('密码不能与用户名相同');
      },
    },
  ];
}

/**
 * 修改密码 (POST /auth/password). `forced` = the administrator reset the password: the dialog
 * cannot be dismissed, only left by logging out.
 */
export default function ChangePasswordModal({ open, forced = false, onClose }: { open: boolean; forced?: boolean; onClose: () => void }) {
  const { me, reload, logout } = useAuth();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [submitting, setSubmitting] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);

  const submit = async () => {
    const v = await form.validateFields();
    setSubmitting(true);
    setFormError(null);
    try {
      await changePassword({ old_password: v.old_password, new_password: v.new_password });
      message.success('密码已修改');
      form.resetFields();
      onClose();
      await reload();
    } catch (err) {
      if (isApiError(err, 'auth.invalid_credentials')) {
        form.setFields([{ name: 'old_password', errors: [err.problem.title] }]);
      } else {
        const rest = applyApiErrors(form, err, ['old_password', 'new_password'], { password: 'new_password' });
        if (rest.length) setFormError(rest.join('；'));
      }
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <Modal
      title="修改密码"
      open={open}
      closable={!forced}
      maskClosable={false}
      keyboard={!forced}
      onCancel={onClose}
      destroyOnHidden
      footer={[
        forced ? (
          <Button key="logout" onClick={() => void logout()}>
            退出登录
          </Button>
        ) : (
          <Button key="cancel" onClick={onClose}>
            取消
          </Button>
        ),
        <Button key="ok" type="primary" loading={submitting} onClick={() => void submit().catch(() => {})} data-testid="change-password-submit">
          确认修改
        </Button>,
      ]}
    >
      {forced && (
        <Alert type="warning" showIcon style={{ marginBottom: 16 }} message="您的密码由管理员设置或重置，请先修改密码后再继续使用。" />
      )}
      {formError && <Alert type="error" showIcon style={{ marginBottom: 16 }} message={formError} />}
      <Form<Values> form={form} layout="vertical" preserve={false} onFinish={() => void submit()}>
        <Form.Item name="old_password" label="原密码" rules={[{ required: true, message: '请输入原密码' }]}>
          <Input.Password autoComplete="current-password" data-testid="change-password-old" />
        </Form.Item>
        <Form.Item
          name="new_password"
          label="新密码"
          extra="至少 8 位，需同时包含字母和数字，且不能与用户名相同"
          rules={passwordRules(() => me?.username)}
        >
          <Input.Password autoComplete="new-password" data-testid="change-password-new" />
        </Form.Item>
        <Form.Item
          name="confirm"
          label="确认新密码"
          dependencies={['new_password']}
          rules={[
            { required: true, message: '请再次输入新密码' },
            ({ getFieldValue }) => ({
              validator: async (_, v) => {
                if (v && v !== getFieldValue('new_password')) throw new Error('两次输入的密码不一致');
              },
            }),
          ]}
        >
          <Input.Password autoComplete="new-password" data-testid="change-password-confirm" />
        </Form.Item>
      </Form>
    </Modal>
  );
}
