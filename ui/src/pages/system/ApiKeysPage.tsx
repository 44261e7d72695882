import { useCallback, useMemo, useState } from 'react';
import { PageContainer, type ProColumns } from '@ant-design/pro-components';
import { Alert, App, Button, Form, Input, Modal, Popconfirm, Select, Space, Tag, Tooltip, Typography } from 'antd';
import { errorMessage } from '../../api/client';
import { createApiKey, listApiKeys, revokeApiKey, type ApiKey, type ScopeType } from '../../api/identity';
import { useAuth } from '../../auth/AuthContext';
import FilterBar from '../../components/FilterBar';
import ListTable from '../../components/ListTable';
import PermissionPicker from '../../components/PermissionPicker';
import ScopeFields, { ScopeTag, scopeText } from '../../components/ScopeFields';
import { useCursorList } from '../../hooks/useCursorList';
import { usePermissions, useRegions, useStoreOptions } from '../../hooks/useRefData';
import { useUrlFilters } from '../../hooks/useUrlFilters';
import { downloadCsv } from '../../utils/csv';
import { listActions } from '../../components/ListActions';
import { formatDateTime } from '../../utils/format';
import { applyApiErrors } from '../../utils/formErrors';

const FILTER_KEYS = ['q', 'state'] as const;

interface KeyValues {
  name: string;
  permissions: string[];
  scope_type: ScopeType;
  scope_ids: string[];
}

function CreateKeyModal({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: (k: ApiKey & { key: string }) => void }) {
  const { allStores } = useAuth();
  const { permissions } = usePermissions();
  const { regions } = useRegions();
  const { stores } = useStoreOptions();
  const [form] = Form.useForm<KeyValues>();
  const [submitting, setSubmitting] = useState(false);
  const [formError, setFormError] = useState<string[]>([]);

  const submit = async (v: KeyValues) => {
    setSubmitting(true);
    setFormError([]);
    try {
      const k = await createApiKey({
        name: v.name.trim(),
        permissions: v.permissions ?? [],
        scope_type: v.scope_type,
        scope_ids: v.scope_type === 'global' ? [] : v.scope_ids ?? [],
      });
      form.resetFields();
      onCreated(k);
    } catch (err) {
      setFormError(applyApiErrors(form, err, ['name', 'permissions', 'scope_type', 'scope_ids']));
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <Modal
      title="新建 API 密钥"
      open={open}
      width={720}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText="创建"
      okButtonProps={{ loading: submitting, 'data-testid': 'apikey-form-submit' }}
      maskClosable={false}
      destroyOnHidden
    >
      {formError.length > 0 && <Alert type="error" showIcon message={formError.join('；')} style={{ marginBottom: 16 }} />}
      <Form<KeyValues>
        form={form}
        layout="vertical"
        preserve={false}
        onFinish={(v) => void submit(v)}
        initialValues={{ permissions: [], scope_type: allStores ? 'global' : 'stores', scope_ids: [] }}
      >
        <Form.Item name="name" label="名称" rules={[{ required: true, message: '请输入名称' }]} extra="用途说明，如「前台收银机同步」">
          <Input data-testid="apikey-form-name" />
        </Form.Item>
        <ScopeFields name={[]} absName={[]} regions={regions} stores={stores} allowGlobal={allStores} testId="apikey-form" />
        <Form.Item name="permissions" label="权限" rules={[{ required: true, type: 'array', min: 1, message: '至少选择一项权限' }]}>
          <PermissionPicker permissions={permissions} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** The new key, shown exactly once. */
function KeyRevealModal({ created, onClose }: { created: (ApiKey & { key: string }) | null; onClose: () => void }) {
  const [acknowledged, setAcknowledged] = useState(false);
  return (
    <Modal
      title="API 密钥已创建"
      open={!!created}
      closable={false}
      maskClosable={false}
      keyboard={false}
      afterClose={() => setAcknowledged(false)}
      footer={[
        <Button key="ok" type="primary" onClick={onClose} data-testid="apikey-reveal-close">
          我已妥善保存
        </Button>,
      ]}
    >
      <Alert
        type="warning"
        showIcon
        style={{ marginBottom: 16 }}
        message="密钥只显示这一次"
        description="关闭此窗口后将无法再次查看完整密钥，请立即复制并保存到安全的位置。如遗失，只能吊销后重新创建。"
      />
      <Typography.Paragraph>
        名称：<Typography.Text strong>{created?.name}</Typography.Text>
      </Typography.Paragraph>
      <Typography.Paragraph
        copyable={{ text: created?.key, tooltips: ['复制', '已复制'], onCopy: () => setAcknowledged(true) }}
        code
        style={{ wordBreak: 'break-all', fontSize: 14 }}
        data-testid="apikey-reveal-key"
      >
        {created?.key}
      </Typography.Paragraph>
      <Typography.Text type="secondary">
        调用时使用请求头 <Typography.Text code>Authorization: ApiKey &lt;密钥&gt;</Typography.Text>
        {acknowledged && <Tag color="success" style={{ marginLeft: 8 }}>已复制</Tag>}
      </Typography.Text>
    </Modal>
  );
}

export default function ApiKeysPage() {
  const { can } = useAuth();
  const { message } = App.useApp();
  const writable = can('system.apikey.write');
  const { permissions } = usePermissions();
  const permName = useMemo(() => new Map(permissions.map((p) => [p.code, p.name])), [permissions]);
  const { byId: regionsById } = useRegions();
  const { byId: storesById } = useStoreOptions();
  const { filters, filterKey, setFilters, limit, setLimit } = useUrlFilters(FILTER_KEYS);
  const fetchPage = useCallback(
    async (p: { limit: number; cursor: string | null }, signal: AbortSignal) => {
      const page = await listApiKeys({ limit: p.limit, cursor: p.cursor }, signal);
      // name / state filters: the API lists keys without filters, so they apply to the page.
      const q = filters.q?.toLowerCase();
      const items = page.items.filter(
        (k) =>
          (!q || k.name.toLowerCase().includes(q) || k.prefix.toLowerCase().includes(q)) &&
          (!filters.state || (filters.state === 'revoked') === !!k.revoked_at),
      );
      return { items, next_cursor: page.next_cursor };
    },
    [filters],
  );
  const list = useCursorList<ApiKey>(fetchPage, filterKey, limit);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<(ApiKey & { key: string }) | null>(null);

  const revoke = async (k: ApiKey) => {
    try {
      await revokeApiKey(k.id);
      message.success(`已吊销 ${k.name}`);
      list.reload();
    } catch (err) {
      message.error(errorMessage(err));
    }
  };

  const columns: ProColumns<ApiKey>[] = [
    { title: '名称', dataIndex: 'name', key: 'name', render: (_, k) => <Typography.Text strong>{k.name}</Typography.Text> },
    { title: '密钥前缀', dataIndex: 'prefix', key: 'prefix', render: (_, k) => <Typography.Text code>{k.prefix}…</Typography.Text> },
    {
      title: '状态',
      key: 'state',
      render: (_, k) => (k.revoked_at ? <Tooltip title={`吊销于 ${formatDateTime(k.revoked_at)}`}><Tag>已吊销</Tag></Tooltip> : <Tag color="success">有效</Tag>),
    },
    { title: '范围', key: 'scope', render: (_, k) => <ScopeTag scopeType={k.scope_type} ids={k.scope_ids} regionsById={regionsById} storesById={storesById} /> },
    {
      title: '权限',
      dataIndex: 'permissions',
      key: 'permissions',
      render: (_, k) => (
        <Tooltip title={k.permissions.map((c) => permName.get(c) ?? c).join('、')}>
          <Space size={[4, 4]} wrap style={{ maxWidth: 360 }}>
            {k.permissions.slice(0, 3).map((c) => (
              <Tag key={c}>{permName.get(c) ?? c}</Tag>
            ))}
            {k.permissions.length > 3 && <Tag>+{k.permissions.length - 3}</Tag>}
          </Space>
        </Tooltip>
      ),
    },
    { title: '创建时间', dataIndex: 'created_at', key: 'created_at', render: (_, k) => formatDateTime(k.created_at) },
    { title: '最近使用', dataIndex: 'last_used_at', key: 'last_used_at', render: (_, k) => formatDateTime(k.last_used_at) },
    ...(writable
      ? [
          {
            title: '操作',
            key: 'actions',
            fixed: 'right' as const,
            render: (_: unknown, k: ApiKey) =>
              k.revoked_at ? (
                <Typography.Text type="secondary">—</Typography.Text>
              ) : (
                <Popconfirm
                  title="吊销该 API 密钥？"
                  description="吊销后使用该密钥的系统将立即无法调用接口，且不可恢复。"
                  okText="吊销"
                  okButtonProps={{ danger: true }}
                  onConfirm={() => revoke(k)}
                >
                  <Button type="link" size="small" danger data-testid={`apikey-revoke-${k.id}`}>
                    吊销
                  </Button>
                </Popconfirm>
              ),
          },
        ]
      : []),
  ];

  return (
    <PageContainer title="API 密钥" subTitle="供前台收银、第三方系统调用接口">
      <FilterBar
        values={{ q: filters.q, state: filters.state }}
        onSearch={(v: { q?: string; state?: string }) => setFilters({ q: v.q?.trim(), state: v.state })}
        onReset={() => setFilters({})}
        testId="apikey-filter"
      >
        <Form.Item name="q" label="关键字">
          <Input placeholder="名称 / 前缀" allowClear />
        </Form.Item>
        <Form.Item name="state" label="状态">
          <Select allowClear placeholder="全部" options={[{ value: 'active', label: '有效' }, { value: 'revoked', label: '已吊销' }]} />
        </Form.Item>
      </FilterBar>
      <ListTable<ApiKey>
        testId="apikey-table"
        list={list}
        columns={columns}
        rowKey="id"
        persistenceKey="ucm.system.apikeys.columns"
        headerTitle="API 密钥"
        pager={{ limit, setLimit }}
        rowTestId={(k) => `apikey-row-${k.id}`}
        toolBar={listActions({
          onExport: () =>
            downloadCsv(
              `api-keys-${Date.now()}.csv`,
              ['名称', '密钥前缀', '状态', '范围', '权限', '创建时间', '最近使用', '吊销时间'],
              list.items.map((k) => [
                k.name,
                k.prefix,
                k.revoked_at ? '已吊销' : '有效',
                scopeText(k.scope_type, k.scope_ids, regionsById, storesById),
                k.permissions.join(' '),
                formatDateTime(k.created_at),
                formatDateTime(k.last_used_at),
                formatDateTime(k.revoked_at),
              ]),
            ),
          create: writable && { label: '新建', testId: 'apikey-create', onClick: () => setCreating(true) },
        })}
      />
      {writable && (
        <>
          <CreateKeyModal
            open={creating}
            onClose={() => setCreating(false)}
            onCreated={(k) => {
              setCreating(false);
              setCreated(k);
              list.reload();
            }}
          />
          <KeyRevealModal created={created} onClose={() => setCreated(null)} />
        </>
      )}
    </PageContainer>
  );
}
