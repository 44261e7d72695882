import { useCallback, useEffect, useMemo, useState } from 'react';
import { PageContainer, type ProColumns } from '@ant-design/pro-components';
import { Alert, App, Button, Drawer, Form, Input, Space, Tag, Tooltip, Typography } from 'antd';
import { isApiError } from '../../api/client';
import { createRole, listRoles, updateRole, type Permission, type Role } from '../../api/identity';
import { useAuth } from '../../auth/AuthContext';
import FilterBar from '../../components/FilterBar';
import ListTable from '../../components/ListTable';
import PermissionPicker from '../../components/PermissionPicker';
import VersionConflictAlert from '../../components/VersionConflictAlert';
import { useCursorList } from '../../hooks/useCursorList';
import { usePermissions } from '../../hooks/useRefData';
import { useUrlFilters } from '../../hooks/useUrlFilters';
import { downloadCsv } from '../../utils/csv';
import { listActions } from '../../components/ListActions';
import { useEditor } from '../../hooks/useEditor';
import { applyApiErrors } from '../../utils/formErrors';

const FILTER_KEYS = ['q'] as const;

interface RoleValues {
  code: string;
  name: string;
  permissions: string[];
}

function RoleDrawer({
  permissions,
  permissionsLoading: loading,
  role,
  creating,
  onClose,
  onSaved,
  onRefresh,
  refreshing,
}: {
  permissions: Permission[];
  permissionsLoading: boolean;
  role: Role | null;
  creating: boolean;
  onClose: () => void;
  onSaved: () => void;
  onRefresh: () => void;
  refreshing: boolean;
}) {
  const { message } = App.useApp();
  const { can } = useAuth();
  const [form] = Form.useForm<RoleValues>();
  const [submitting, setSubmitting] = useState(false);
  const [conflict, setConflict] = useState(false);
  const [formError, setFormError] = useState<string[]>([]);
  const open = creating || !!role;
  const readOnly = !can('system.role.write') || (!!role && role.builtin);

  useEffect(() => {
    if (!open) return;
    setConflict(false);
    setFormError([]);
    if (role) form.setFieldsValue({ code: role.code, name: role.name, permissions: role.permissions });
    else form.resetFields();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open, role?.code, role?.version]);

  const submit = async (v: RoleValues) => {
    setSubmitting(true);
    setFormError([]);
    try {
      if (role) await updateRole(role.code, { name: v.name.trim(), permissions: v.permissions ?? [], version: role.version });
      else await createRole({ code: v.code.trim(), name: v.name.trim(), permissions: v.permissions ?? [] });
      message.success(role ? '已保存' : '已创建角色');
      onSaved();
    } catch (err) {
      if (isApiError(err, 'common.version_conflict')) setConflict(true);
      else setFormError(applyApiErrors(form, err, ['code', 'name', 'permissions']));
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <Drawer
      title={creating ? '新建角色' : readOnly ? `角色 · ${role?.name ?? ''}` : `编辑角色 · ${role?.name ?? ''}`}
      open={open}
      width={640}
      onClose={onClose}
      forceRender
      extra={
        !readOnly && (
          <Space>
            <Button onClick={onClose}>取消</Button>
            <Button type="primary" loading={submitting} disabled={conflict} onClick={() => form.submit()} data-testid="role-form-submit">
              保存
            </Button>
          </Space>
        )
      }
    >
      {role?.builtin && <Alert type="info" showIcon style={{ marginBottom: 16 }} message="内置角色的权限由系统维护，不能修改。如需调整，请新建自定义角色。" />}
      {conflict && <VersionConflictAlert onRefresh={onRefresh} loading={refreshing} />}
      {formError.length > 0 && <Alert type="error" showIcon message={formError.join('；')} style={{ marginBottom: 16 }} />}
      <Form<RoleValues> form={form} layout="vertical" onFinish={(v) => void submit(v)} disabled={readOnly} initialValues={{ permissions: [] }}>
        <Form.Item
          name="code"
          label="角色编码"
          rules={[
            { required: true, message: '请输入角色编码' },
            { pattern: /^[a-z][a-z0-9_]{1,63}$/, message: '小写字母开头，只含小写字母、数字和下划线' },
          ]}
        >
          <Input disabled={!creating} placeholder="如 store_clerk" data-testid="role-form-code" />
        </Form.Item>
        <Form.Item name="name" label="角色名称" rules={[{ required: true, message: '请输入角色名称' }]}>
          <Input data-testid="role-form-name" />
        </Form.Item>
        <Form.Item name="permissions" label="权限" rules={[{ required: true, type: 'array', min: 1, message: '至少选择一项权限' }]}>
          {loading ? <Typography.Text type="secondary">加载权限列表…</Typography.Text> : <PermissionPicker permissions={permissions} disabled={readOnly} />}
        </Form.Item>
      </Form>
    </Drawer>
  );
}

export default function RolesPage() {
  const { can } = useAuth();
  const writable = can('system.role.write');
  const { permissions, loading: permissionsLoading } = usePermissions();
  const permName = useMemo(() => new Map(permissions.map((p) => [p.code, p.name])), [permissions]);
  const { filters, filterKey, setFilters } = useUrlFilters(FILTER_KEYS);
  // GET /system/roles answers the whole list: filtered here.
  const fetchPage = useCallback(async () => {
    const all = await listRoles();
    const q = filters.q?.toLowerCase();
    return { items: q ? all.filter((r) => r.code.toLowerCase().includes(q) || r.name.toLowerCase().includes(q)) : all, next_cursor: null };
  }, [filters]);
  const list = useCursorList<Role>(fetchPage, filterKey, 500);
  const editor = useEditor<string>();
  const role = editor.target ? list.items.find((r) => r.code === editor.target) ?? null : null;

  const columns: ProColumns<Role>[] = [
    { title: '角色编码', dataIndex: 'code', key: 'code', render: (_, r) => <Typography.Text code>{r.code}</Typography.Text> },
    { title: '角色名称', dataIndex: 'name', key: 'name' },
    { title: '类型', dataIndex: 'builtin', key: 'builtin', width: 90, render: (_, r) => (r.builtin ? <Tag color="gold">内置</Tag> : <Tag>自定义</Tag>) },
    {
      title: '权限',
      dataIndex: 'permissions',
      key: 'permissions',
      render: (_, r) => (
        <Space size={[4, 4]} wrap style={{ maxWidth: 560 }}>
          {r.permissions.slice(0, 6).map((c) => (
            <Tag key={c}>{permName.get(c) ?? c}</Tag>
          ))}
          {r.permissions.length > 6 && (
            <Tooltip title={r.permissions.slice(6).map((c) => permName.get(c) ?? c).join('、')}>
              <Tag>+{r.permissions.length - 6}</Tag>
            </Tooltip>
          )}
        </Space>
      ),
    },
    {
      title: '操作',
      key: 'actions',
      fixed: 'right',
      render: (_, r) => (
        <Button type="link" size="small" onClick={() => editor.open(r.code)} data-testid={`role-open-${r.code}`}>
          {writable && !r.builtin ? '编辑' : '查看'}
        </Button>
      ),
    },
  ];

  return (
    <PageContainer title="角色" subTitle="内置角色只读；自定义角色可调整权限">
      <FilterBar values={{ q: filters.q }} onSearch={(v: { q?: string }) => setFilters({ q: v.q?.trim() })} onReset={() => setFilters({})} testId="role-filter">
        <Form.Item name="q" label="关键字">
          <Input placeholder="角色编码 / 名称" allowClear />
        </Form.Item>
      </FilterBar>
      <ListTable<Role>
        testId="role-table"
        list={list}
        columns={columns}
        rowKey="code"
        persistenceKey="ucm.system.roles.columns"
        headerTitle="角色列表"
        rowTestId={(r) => `role-row-${r.code}`}
        toolBar={listActions({
          onExport: () =>
            downloadCsv(
              `roles-${Date.now()}.csv`,
              ['角色编码', '角色名称', '类型', '权限'],
              list.items.map((r) => [r.code, r.name, r.builtin ? '内置' : '自定义', r.permissions.join(' ')]),
            ),
          create: writable && { label: '新建角色', testId: 'role-create', onClick: editor.create },
        })}
      />
      <RoleDrawer
        permissions={permissions}
        permissionsLoading={permissionsLoading}
        role={role}
        creating={editor.creating}
        onClose={editor.close}
        onSaved={() => editor.saved(list.reload)}
        onRefresh={list.reload}
        refreshing={list.loading}
      />
    </PageContainer>
  );
}
