import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { PageContainer, type ProColumns } from '@ant-design/pro-components';
import { Alert, App, Button, Card, Divider, Form, Input, Modal, Popconfirm, Radio, Select, Space, Tag, Typography } from 'antd';
import { DeleteOutlined, MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { errorMessage, isApiError } from '../../api/client';
import {
  addBinding,
  createUser,
  listAllUsers,
  listUsers,
  removeBinding,
  resetPassword,
  updateUser,
  type BindingInput,
  type User,
  type UserStatus,
} from '../../api/identity';
import { useAuth } from '../../auth/AuthContext';
import { passwordRules } from '../../components/ChangePasswordModal';
import FilterBar from '../../components/FilterBar';
import ListTable from '../../components/ListTable';
import ScopeFields, { ScopeTag, scopeText } from '../../components/ScopeFields';
import VersionConflictAlert from '../../components/VersionConflictAlert';
import { useCursorList } from '../../hooks/useCursorList';
import { useRegions, useRoles, useStoreOptions } from '../../hooks/useRefData';
import { useUrlFilters } from '../../hooks/useUrlFilters';
import { downloadCsv } from '../../utils/csv';
import { listActions } from '../../components/ListActions';
import { formatDateTime } from '../../utils/format';
import { applyApiErrors } from '../../utils/formErrors';

const STATUS: Record<UserStatus, { text: string; color: string }> = {
  active: { text: '启用', color: 'success' },
  disabled: { text: '停用', color: 'default' },
};

const FILTER_KEYS = ['q', 'status'] as const;

/** A random initial password meeting the policy (letters + digits, ≥ 8). */
function randomPassword(): string {
  const letters = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz';
  const digits = '23456789';
  const all = letters + digits;
  const buf = new Uint32Array(12);
  crypto.getRandomValues(buf);
  const chars = Array.from(buf, (n, i) => {
    const set = i < 2 ? letters : i < 4 ? digits : all;
    return set[n % set.length];
  });
  for (let i = chars.length - 1; i > 0; i--) {
    const j = buf[i] % (i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  return chars.join('');
}

/** Role option: name, code in grey (searchable by name). */
const roleOption = (o: { value?: string | number | null; label?: ReactNode }) => (
  <Space size={6}>
    <span>{o.label}</span>
    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
      {String(o.value)}
    </Typography.Text>
  </Space>
);

function useScopeRefs() {
  const { regions, byId: regionsById } = useRegions();
  const { stores, byId: storesById } = useStoreOptions();
  const { roles } = useRoles();
  return { regions, regionsById, stores, storesById, roles };
}
type ScopeRefs = ReturnType<typeof useScopeRefs>;

// ---------------------------------------------------------------------------------------------
// 新建用户

interface CreateValues {
  username: string;
  display_name: string;
  password: string;
  bindings: BindingInput[];
}

function UserCreateModal({ open, onClose, onCreated, refs }: { open: boolean; onClose: () => void; onCreated: (u: User) => void; refs: ScopeRefs }) {
  const { message } = App.useApp();
  const { allStores } = useAuth();
  const [form] = Form.useForm<CreateValues>();
  const [submitting, setSubmitting] = useState(false);
  const [formError, setFormError] = useState<string[]>([]);

  const submit = async (v: CreateValues) => {
    setSubmitting(true);
    setFormError([]);
    try {
      const u = await createUser({
        username: v.username.trim(),
        display_name: v.display_name.trim(),
        password: v.password,
        bindings: (v.bindings ?? []).map((b) => ({
          role_code: b.role_code,
          scope_type: b.scope_type,
          scope_ids: b.scope_type === 'global' ? [] : b.scope_ids ?? [],
        })),
      });
      message.success(`已创建用户 ${u.username}`);
      form.resetFields();
      onCreated(u);
    } catch (err) {
      setFormError(applyApiErrors(form, err, ['username', 'display_name', 'password', 'bindings']));
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <Modal
      title="新建用户"
      open={open}
      width={720}
      onCancel={onClose}
      maskClosable={false}
      destroyOnHidden
      footer={[
        <Button key="cancel" onClick={onClose}>
          取消
        </Button>,
        <Button key="ok" type="primary" loading={submitting} onClick={() => form.submit()} data-testid="user-form-submit">
          创建
        </Button>,
      ]}
    >
      {formError.length > 0 && <Alert type="error" showIcon message={formError.join('；')} style={{ marginBottom: 16 }} data-testid="user-form-error" />}
      <Form<CreateValues>
        form={form}
        layout="horizontal"
        labelCol={{ flex: '90px' }}
        preserve={false}
        onFinish={(v) => void submit(v)}
        initialValues={{ bindings: [{ role_code: undefined, scope_type: allStores ? 'global' : 'stores', scope_ids: [] }] }}
        data-testid="user-form"
      >
        <Form.Item
          name="username"
          label="用户名"
          rules={[
            { required: true, message: '请输入用户名' },
            { pattern: /^[A-Za-z0-9_.@-]{2,64}$/, message: '用户名为 2–64 位字母、数字或 _ . @ -' },
          ]}
        >
          <Input autoComplete="off" data-testid="user-form-username" placeholder="登录用的账号，如 mgr_xuhui" />
        </Form.Item>
        <Form.Item name="display_name" label="姓名" rules={[{ required: true, message: '请输入姓名' }]}>
          <Input autoComplete="off" data-testid="user-form-display-name" />
        </Form.Item>
        <Form.Item label="初始密码" required extra="至少 8 位，同时包含字母和数字；用户首次登录后需修改">
          <Space.Compact style={{ width: '100%' }}>
            <Form.Item name="password" noStyle rules={passwordRules(() => form.getFieldValue('username'))}>
              <Input.Password autoComplete="new-password" data-testid="user-form-password" />
            </Form.Item>
            <Button onClick={() => form.setFieldsValue({ password: randomPassword() })}>随机生成</Button>
          </Space.Compact>
        </Form.Item>
        <Divider orientation="left" plain>
          角色绑定
        </Divider>
        <Form.List
          name="bindings"
          rules={[
            {
              validator: async (_, v: unknown[] | undefined) => {
                if (!v || v.length < 1) throw new Error('至少绑定一个角色');
              },
            },
          ]}
        >
          {(fields, { add, remove }, { errors }) => (
            <>
              {fields.map((field, i) => (
                <Card
                  key={field.key}
                  size="small"
                  style={{ marginBottom: 12 }}
                  title={`绑定 ${i + 1}`}
                  data-testid={`user-form-binding-${i}`}
                  extra={
                    fields.length > 1 && (
                      <Button type="text" danger icon={<MinusCircleOutlined />} onClick={() => remove(field.name)} aria-label="删除绑定" />
                    )
                  }
                >
                  <Form.Item name={[field.name, 'role_code']} label="角色" rules={[{ required: true, message: '请选择角色' }]}>
                    <Select
                      data-testid={`user-form-binding-${i}-role`}
                      placeholder="选择角色"
                      showSearch
                      optionFilterProp="label"
                      options={refs.roles.map((r) => ({ value: r.code, label: r.name }))}
                      optionRender={roleOption}
                    />
                  </Form.Item>
                  <ScopeFields
                    name={[field.name]}
                    absName={['bindings', field.name]}
                    regions={refs.regions}
                    stores={refs.stores}
                    allowGlobal={allStores}
                    testId={`user-form-binding-${i}`}
                  />
                </Card>
              ))}
              <Button type="dashed" block icon={<PlusOutlined />} onClick={() => add({ scope_type: allStores ? 'global' : 'stores', scope_ids: [] })} data-testid="user-form-add-binding">
                添加角色绑定
              </Button>
              <Form.ErrorList errors={errors} />
            </>
          )}
        </Form.List>
      </Form>
    </Modal>
  );
}

// ---------------------------------------------------------------------------------------------
// 编辑用户 (display name, status)

interface EditValues {
  display_name: string;
  status: UserStatus;
}

function UserEditModal({ user, onClose, onSaved, onRefresh, refreshing }: { user: User | null; onClose: () => void; onSaved: () => void; onRefresh: () => void; refreshing: boolean }) {
  const { message } = App.useApp();
  const [form] = Form.useForm<EditValues>();
  const [submitting, setSubmitting] = useState(false);
  const [conflict, setConflict] = useState(false);
  const [formError, setFormError] = useState<string[]>([]);
  const version = user?.version;

  // Opening, or fresh data after a conflict → the form shows the current record.
  useEffect(() => {
    if (user) {
      form.setFieldsValue({ display_name: user.display_name, status: user.status });
      setConflict(false);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [user?.id, version]);

  const submit = async (v: EditValues) => {
    if (!user) return;
    setSubmitting(true);
    setFormError([]);
    try {
      await updateUser(user.id, { display_name: v.display_name.trim(), status: v.status, version: user.version });
      message.success('已保存');
      onSaved();
    } catch (err) {
      if (isApiError(err, 'common.version_conflict') || isApiError(err, undefined, 409)) setConflict(true);
      else setFormError(applyApiErrors(form, err, ['display_name', 'status']));
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <Modal
      title={`编辑用户 ${user?.username ?? ''}`}
      open={!!user}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText="保存"
      okButtonProps={{ loading: submitting, disabled: conflict, 'data-testid': 'user-edit-submit' }}
      forceRender
    >
      {conflict && <VersionConflictAlert onRefresh={onRefresh} loading={refreshing} />}
      {formError.length > 0 && <Alert type="error" showIcon message={formError.join('；')} style={{ marginBottom: 16 }} />}
      <Form<EditValues> form={form} layout="vertical" onFinish={(v) => void submit(v)}>
        <Form.Item name="display_name" label="姓名" rules={[{ required: true, message: '请输入姓名' }]}>
          <Input data-testid="user-edit-display-name" />
        </Form.Item>
        <Form.Item name="status" label="状态" extra="停用后该用户无法登录，已登录的会话也会失效">
          <Radio.Group optionType="button" options={[{ value: 'active', label: '启用' }, { value: 'disabled', label: '停用' }]} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

// ---------------------------------------------------------------------------------------------
// 角色绑定

function UserBindingsModal({ user, onClose, onChanged, refs }: { user: User | null; onClose: () => void; onChanged: () => void; refs: ScopeRefs }) {
  const { message } = App.useApp();
  const { allStores } = useAuth();
  const [form] = Form.useForm<BindingInput>();
  const [submitting, setSubmitting] = useState(false);
  const [formError, setFormError] = useState<string[]>([]);

  useEffect(() => {
    if (user) {
      form.resetFields();
      setFormError([]);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [user?.id]);

  const add = async (v: BindingInput) => {
    if (!user) return;
    setSubmitting(true);
    setFormError([]);
    try {
      await addBinding(user.id, { role_code: v.role_code, scope_type: v.scope_type, scope_ids: v.scope_type === 'global' ? [] : v.scope_ids ?? [] });
      message.success('已添加角色绑定');
      form.resetFields();
      onChanged();
    } catch (err) {
      setFormError(applyApiErrors(form, err, ['role_code', 'scope_type', 'scope_ids']));
    } finally {
      setSubmitting(false);
    }
  };

  const remove = async (bindingId: string) => {
    if (!user) return;
    try {
      await removeBinding(user.id, bindingId);
      message.success('已移除角色绑定');
      onChanged();
    } catch (err) {
      message.error(errorMessage(err));
    }
  };

  return (
    <Modal title={`角色绑定 · ${user?.username ?? ''}`} open={!!user} onCancel={onClose} footer={null} width={680} forceRender>
      <Typography.Title level={5}>当前绑定</Typography.Title>
      {(user?.roles ?? []).length === 0 && <Typography.Text type="secondary">尚未绑定角色</Typography.Text>}
      <Space direction="vertical" style={{ width: '100%' }}>
        {(user?.roles ?? []).map((b) => (
          <div key={b.binding_id} style={{ display: 'flex', alignItems: 'center', justifyContent: 'space-between' }} data-testid={`binding-${b.binding_id}`}>
            <Space>
              <Tag color="processing">{b.role_name || b.role_code}</Tag>
              <ScopeTag scopeType={b.scope_type} ids={b.scope_ids} regionsById={refs.regionsById} storesById={refs.storesById} />
            </Space>
            <Popconfirm title="移除该角色绑定？" description="移除后该用户立即失去对应权限" okText="移除" okButtonProps={{ danger: true }} onConfirm={() => remove(b.binding_id)}>
              <Button type="text" danger icon={<DeleteOutlined />}>
                移除
              </Button>
            </Popconfirm>
          </div>
        ))}
      </Space>
      <Divider />
      <Typography.Title level={5}>添加绑定</Typography.Title>
      {formError.length > 0 && <Alert type="error" showIcon message={formError.join('；')} style={{ marginBottom: 16 }} />}
      <Form<BindingInput>
        form={form}
        labelCol={{ flex: '70px' }}
        onFinish={(v) => void add(v)}
        initialValues={{ scope_type: allStores ? 'global' : 'stores', scope_ids: [] }}
      >
        <Form.Item name="role_code" label="角色" rules={[{ required: true, message: '请选择角色' }]}>
          <Select showSearch optionFilterProp="label" placeholder="选择角色" options={refs.roles.map((r) => ({ value: r.code, label: r.name }))}
                      optionRender={roleOption} data-testid="binding-add-role" />
        </Form.Item>
        <ScopeFields name={[]} absName={[]} regions={refs.regions} stores={refs.stores} allowGlobal={allStores} testId="binding-add" />
        <Form.Item style={{ textAlign: 'right', marginBottom: 0 }}>
          <Button type="primary" htmlType="submit" loading={submitting} icon={<PlusOutlined />} data-testid="binding-add-submit">
            添加
          </Button>
        </Form.Item>
      </Form>
    </Modal>
  );
}

// ---------------------------------------------------------------------------------------------
// 重置密码

function ResetPasswordModal({ user, onClose }: { user: User | null; onClose: () => void }) {
  const { message } = App.useApp();
  const [form] = Form.useForm<{ password: string }>();
  const [submitting, setSubmitting] = useState(false);
  const [formError, setFormError] = useState<string[]>([]);

  const submit = async (v: { password: string }) => {
    if (!user) return;
    setSubmitting(true);
    setFormError([]);
    try {
      await resetPassword(user.id, v.password);
      message.success(`已重置 ${user.username} 的密码，用户下次登录时需修改密码`);
      form.resetFields();
      onClose();
    } catch (err) {
      setFormError(applyApiErrors(form, err, ['password']));
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <Modal
      title={`重置密码 · ${user?.username ?? ''}`}
      open={!!user}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText="重置"
      okButtonProps={{ loading: submitting }}
      destroyOnHidden
    >
      {formError.length > 0 && <Alert type="error" showIcon message={formError.join('；')} style={{ marginBottom: 16 }} />}
      <Form form={form} layout="vertical" preserve={false} onFinish={(v) => void submit(v)}>
        <Form.Item label="新密码" required extra="请通过安全渠道告知用户；用户登录后需立即修改">
          <Space.Compact style={{ width: '100%' }}>
            <Form.Item name="password" noStyle rules={passwordRules(() => user?.username)}>
              <Input.Password autoComplete="new-password" />
            </Form.Item>
            <Button onClick={() => form.setFieldsValue({ password: randomPassword() })}>随机生成</Button>
          </Space.Compact>
        </Form.Item>
      </Form>
    </Modal>
  );
}

// ---------------------------------------------------------------------------------------------

export default function UsersPage() {
  const { can } = useAuth();
  const { message } = App.useApp();
  const writable = can('system.user.write');
  const refs = useScopeRefs();
  const { filters, filterKey, setFilters, limit, setLimit } = useUrlFilters(FILTER_KEYS);
  const fetchPage = useCallback(
    (p: { limit: number; cursor: string | null }, signal: AbortSignal) => listUsers({ ...filters, limit: p.limit, cursor: p.cursor }, signal),
    [filters],
  );
  const list = useCursorList<User>(fetchPage, filterKey, limit);
  const [creating, setCreating] = useState(false);
  const [editId, setEditId] = useState<string | null>(null);
  const [bindingsId, setBindingsId] = useState<string | null>(null);
  const [resetUser, setResetUser] = useState<User | null>(null);
  const [exporting, setExporting] = useState(false);
  const byId = useMemo(() => new Map(list.items.map((u) => [u.id, u])), [list.items]);

  const columns: ProColumns<User>[] = [
    { title: '用户名', dataIndex: 'username', key: 'username', fixed: 'left', render: (_, u) => <Typography.Text strong>{u.username}</Typography.Text> },
    { title: '姓名', dataIndex: 'display_name', key: 'display_name' },
    {
      title: '状态',
      dataIndex: 'status',
      key: 'status',
      width: 80,
      render: (_, u) => <Tag color={STATUS[u.status]?.color}>{STATUS[u.status]?.text ?? u.status}</Tag>,
    },
    {
      title: '角色与范围',
      key: 'roles',
      render: (_, u) => (
        <Space size={[4, 4]} wrap>
          {u.roles.map((b) => (
            <Tag key={b.binding_id} color="processing" title={scopeText(b.scope_type, b.scope_ids, refs.regionsById, refs.storesById)}>
              {b.role_name || b.role_code} · {scopeText(b.scope_type, b.scope_ids, refs.regionsById, refs.storesById)}
            </Tag>
          ))}
          {u.roles.length === 0 && <Typography.Text type="secondary">—</Typography.Text>}
        </Space>
      ),
    },
    { title: '最近登录', dataIndex: 'last_login_at', key: 'last_login_at', render: (_, u) => formatDateTime(u.last_login_at) },
    { title: '创建时间', dataIndex: 'created_at', key: 'created_at', render: (_, u) => formatDateTime(u.created_at) },
    ...(writable
      ? [
          {
            title: '操作',
            key: 'actions',
            fixed: 'right' as const,
            render: (_: unknown, u: User) => (
              <Space size={0}>
                <Button type="link" size="small" onClick={() => setEditId(u.id)} data-testid={`user-action-edit-${u.username}`}>
                  编辑
                </Button>
                <Button type="link" size="small" onClick={() => setBindingsId(u.id)} data-testid={`user-action-bindings-${u.username}`}>
                  角色绑定
                </Button>
                <Button type="link" size="small" onClick={() => setResetUser(u)}>
                  重置密码
                </Button>
              </Space>
            ),
          },
        ]
      : []),
  ];

  const exportCsv = async () => {
    setExporting(true);
    try {
      const all = await listAllUsers(filters);
      const rows = all.map((u) => [
          u.username,
          u.display_name,
          STATUS[u.status]?.text ?? u.status,
          u.roles.map((b) => `${b.role_name || b.role_code}（${scopeText(b.scope_type, b.scope_ids, refs.regionsById, refs.storesById)}）`).join('；'),
          formatDateTime(u.last_login_at),
          formatDateTime(u.created_at),
        ]);
      downloadCsv(`users-${Date.now()}.csv`, ['用户名', '姓名', '状态', '角色与范围', '最近登录', '创建时间'], rows);
    } catch (err) {
      message.error(errorMessage(err));
    } finally {
      setExporting(false);
    }
  };

  return (
    <PageContainer title="用户" subTitle="账号、角色绑定与数据范围">
      <FilterBar
        values={{ q: filters.q, status: filters.status }}
        onSearch={(v: { q?: string; status?: string }) => setFilters({ q: v.q?.trim(), status: v.status })}
        onReset={() => setFilters({})}
        testId="user-filter"
      >
        <Form.Item name="q" label="关键字">
          <Input placeholder="用户名 / 姓名" allowClear data-testid="user-filter-q" />
        </Form.Item>
        <Form.Item name="status" label="状态">
          <Select allowClear placeholder="全部" options={[{ value: 'active', label: '启用' }, { value: 'disabled', label: '停用' }]} />
        </Form.Item>
      </FilterBar>
      <ListTable<User>
        testId="user-table"
        list={list}
        columns={columns}
        rowKey="id"
        persistenceKey="ucm.system.users.columns"
        headerTitle="用户列表"
        pager={{ limit, setLimit }}
        rowTestId={(u) => `user-row-${u.username}`}
        rowAttrs={(u) => ({ 'data-user-id': u.id })}
        toolBar={listActions({
          onExport: () => void exportCsv(),
          exporting,
          create: writable && { label: '新建用户', testId: 'user-create', onClick: () => setCreating(true) },
        })}
      />
      {writable && (
        <>
          <UserCreateModal
            open={creating}
            refs={refs}
            onClose={() => setCreating(false)}
            onCreated={() => {
              setCreating(false);
              list.first();
              list.reload();
            }}
          />
          <UserEditModal
            user={editId ? byId.get(editId) ?? null : null}
            onClose={() => setEditId(null)}
            onSaved={() => {
              setEditId(null);
              list.reload();
            }}
            onRefresh={list.reload}
            refreshing={list.loading}
          />
          <UserBindingsModal user={bindingsId ? byId.get(bindingsId) ?? null : null} refs={refs} onClose={() => setBindingsId(null)} onChanged={list.reload} />
          <ResetPasswordModal user={resetUser} onClose={() => setResetUser(null)} />
        </>
      )}
    </PageContainer>
  );
}
