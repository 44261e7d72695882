import { useCallback, useState } from 'react';
import { PageContainer, type ProColumns } from '@ant-design/pro-components';
import { App, AutoComplete, Button, DatePicker, Form, Input, Select, Tooltip, Typography } from 'antd';
import { DownloadOutlined } from '@ant-design/icons';
import type { Dayjs } from 'dayjs';
import { errorMessage } from '../../api/client';
import { exportAuditCsv, listAudit, type Audit } from '../../api/identity';
import AuditDiff from '../../components/AuditDiff';
import FilterBar from '../../components/FilterBar';
import ListTable from '../../components/ListTable';
import { useCursorList } from '../../hooks/useCursorList';
import { useActorNames, useStoreOptions } from '../../hooks/useRefData';
import { useUrlFilters } from '../../hooks/useUrlFilters';
import { formatDateTime, fromApiTime, toApiTime } from '../../utils/format';
import { CATALOG_ACTION_LABELS } from '../catalog/labels';

const FILTER_KEYS = ['actor', 'action', 'target_type', 'target_id', 'store_id', 'from', 'to'] as const;

export const ACTION_LABELS: Record<string, string> = {
  'system.user.create': '新建用户',
  'system.user.update': '修改用户',
  'system.user.password_reset': '重置密码',
  'system.user.password.reset': '重置密码',
  'system.binding.create': '添加角色绑定',
  'system.binding.delete': '移除角色绑定',
  'system.role.create': '新建角色',
  'system.role.update': '修改角色',
  'system.region.create': '新建区域',
  'system.region.update': '修改区域',
  'system.store.create': '新建门店',
  'system.store.update': '修改门店',
  'system.apikey.create': '新建 API 密钥',
  'system.apikey.revoke': '吊销 API 密钥',
  'system.api_key.create': '新建 API 密钥',
  'system.api_key.revoke': '吊销 API 密钥',
  'auth.login': '登录',
  'auth.login.failed': '登录失败',
  'auth.login.refused': '拒绝登录',
  'auth.password.failed': '修改密码失败',
  'auth.totp.setup': '设置两步验证',
  'system.grant.refused': '越权授权被拒绝',
  'objects.upload.record': '上传文件',
  'auth.logout': '退出登录',
  'auth.password.change': '修改密码',
  'auth.totp.enable': '开启两步验证',
  ...CATALOG_ACTION_LABELS,
};

const TARGET_TYPES: Record<string, string> = {
  app_user: '用户',
  user: '用户',
  auth_session: '登录会话',
  binding: '角色绑定',
  role: '角色',
  region: '区域',
  store: '门店',
  api_key: 'API 密钥',
  apikey: 'API 密钥',
  object_upload: '上传文件',
  sku: '商品',
  category: '类目',
  brand: '品牌',
  price: '价格',
  import_job: '导入任务',
};

interface FilterValues {
  actor?: string;
  action?: string;
  target_type?: string;
  target_id?: string;
  store_id?: string;
  range?: [Dayjs | null, Dayjs | null] | null;
}

export default function AuditPage() {
  const { message } = App.useApp();
  const { stores, byId: storesById } = useStoreOptions();
  // 操作人 "user:<id>" → username, when the viewer may read users.
  const { usersById, actorName } = useActorNames();
  const { filters, filterKey, setFilters, limit, setLimit } = useUrlFilters(FILTER_KEYS);
  const fetchPage = useCallback(
    (p: { limit: number; cursor: string | null }, signal: AbortSignal) => listAudit({ ...filters, limit: p.limit, cursor: p.cursor }, signal),
    [filters],
  );
  const list = useCursorList<Audit>(fetchPage, filterKey, limit);
  const [exporting, setExporting] = useState(false);

  const targetName = (a: Audit) => {
    if (a.target_type === 'app_user' || a.target_type === 'user') {
      const u = usersById.get(a.target_id);
      if (u) return u.username;
    }
    if (a.target_type === 'store') {
      const s = storesById.get(a.target_id);
      if (s) return `${s.code} ${s.name}`;
    }
    return null;
  };

  const columns: ProColumns<Audit>[] = [
    { title: '时间', dataIndex: 'at', key: 'at', width: 170, render: (_, a) => formatDateTime(a.at) },
    { title: '操作人', dataIndex: 'actor', key: 'actor', render: (_, a) => <Tooltip title={a.actor}>{actorName(a.actor)}</Tooltip> },
    {
      title: '操作',
      dataIndex: 'action',
      key: 'action',
      render: (_, a) => (
        <span>
          {ACTION_LABELS[a.action] ?? a.action}
          {ACTION_LABELS[a.action] && (
            <Typography.Text type="secondary" style={{ fontSize: 12, marginLeft: 6 }}>
              {a.action}
            </Typography.Text>
          )}
        </span>
      ),
    },
    { title: '对象类型', dataIndex: 'target_type', key: 'target_type', render: (_, a) => TARGET_TYPES[a.target_type] ?? a.target_type },
    {
      title: '对象',
      dataIndex: 'target_id',
      key: 'target_id',
      render: (_, a) => {
        const name = targetName(a);
        return (
          <span data-testid="audit-target">
            {name && <Typography.Text strong style={{ marginRight: 6 }}>{name}</Typography.Text>}
            <Tooltip title={a.target_id}>
              <Typography.Text type="secondary" copyable={{ text: a.target_id, tooltips: ['复制编号', '已复制'] }} style={{ fontSize: 12 }}>
                {a.target_id.length > 12 ? `${a.target_id.slice(0, 8)}…` : a.target_id}
              </Typography.Text>
            </Tooltip>
          </span>
        );
      },
    },
    {
      title: '门店',
      dataIndex: 'store_id',
      key: 'store_id',
      render: (_, a) => {
        if (!a.store_id) return '—';
        const s = storesById.get(a.store_id);
        return s ? `${s.code} ${s.name}` : a.store_id;
      },
    },
    { title: '来源 IP', dataIndex: 'source_ip', key: 'source_ip', render: (_, a) => a.source_ip || '—' },
    {
      title: '请求编号',
      dataIndex: 'request_id',
      key: 'request_id',
      render: (_, a) => (a.request_id ? <Typography.Text copyable style={{ fontSize: 12 }}>{a.request_id}</Typography.Text> : '—'),
    },
  ];

  const values: FilterValues = {
    actor: filters.actor,
    action: filters.action,
    target_type: filters.target_type,
    target_id: filters.target_id,
    store_id: filters.store_id,
    range: filters.from || filters.to ? [fromApiTime(filters.from) ?? null, fromApiTime(filters.to) ?? null] : undefined,
  };

  const onSearch = (v: FilterValues) =>
    setFilters({
      actor: v.actor?.trim(),
      action: v.action?.trim(),
      target_type: v.target_type?.trim(),
      target_id: v.target_id?.trim(),
      store_id: v.store_id,
      from: toApiTime(v.range?.[0] ?? null),
      to: toApiTime(v.range?.[1] ?? null),
    });

  const exportCsv = async () => {
    setExporting(true);
    try {
      const stamp = formatDateTime(new Date().toISOString(), 'YYYYMMDD-HHmmss');
      await exportAuditCsv({ ...filters }, `audit-${stamp}.csv`);
    } catch (err) {
      message.error(errorMessage(err));
    } finally {
      setExporting(false);
    }
  };

  const actorOptions = [...usersById.values()].map((u) => ({ value: `user:${u.id}`, label: `${u.username} ${u.display_name}` }));

  return (
    <PageContainer title="审计日志" subTitle="谁在何时做了什么">
      <FilterBar<FilterValues> values={values} onSearch={onSearch} onReset={() => setFilters({})} testId="audit-filter">
        <Form.Item name="actor" label="操作人">
          <AutoComplete
            options={actorOptions}
            filterOption={(input, o) => String(o?.label ?? '').toLowerCase().includes(input.toLowerCase()) || String(o?.value ?? '').includes(input)}
          >
            <Input allowClear placeholder="user:<编号>，可输入用户名搜索" data-testid="audit-filter-actor" />
          </AutoComplete>
        </Form.Item>
        <Form.Item name="action" label="操作">
          <AutoComplete
            options={Object.entries(ACTION_LABELS).map(([value, label]) => ({ value, label: `${label} ${value}` }))}
            filterOption={(input, o) => String(o?.label ?? '').toLowerCase().includes(input.toLowerCase())}
          >
            <Input allowClear placeholder="如 system.user.create" data-testid="audit-filter-action" />
          </AutoComplete>
        </Form.Item>
        <Form.Item name="target_type" label="对象类型">
          <AutoComplete
            options={Object.entries(TARGET_TYPES)
              .filter(([k]) => k !== 'apikey' && k !== 'user')
              .map(([value, label]) => ({ value, label: `${label} ${value}` }))}
          >
            <Input allowClear placeholder="如 app_user" data-testid="audit-filter-target-type" />
          </AutoComplete>
        </Form.Item>
        <Form.Item name="target_id" label="对象编号">
          <Input allowClear data-testid="audit-filter-target-id" />
        </Form.Item>
        <Form.Item name="store_id" label="门店">
          <Select
            allowClear
            showSearch
            optionFilterProp="label"
            placeholder="全部"
            options={stores.map((s) => ({ value: s.id, label: `${s.code} ${s.name}` }))}
            data-testid="audit-filter-store"
          />
        </Form.Item>
        <Form.Item name="range" label="时间范围">
          <DatePicker.RangePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" allowEmpty={[true, true]} style={{ width: '100%' }} />
        </Form.Item>
      </FilterBar>
      <ListTable<Audit>
        testId="audit-table"
        list={list}
        columns={columns}
        rowKey="id"
        persistenceKey="ucm.system.audit.columns"
        headerTitle="审计记录（北京时间）"
        pager={{ limit, setLimit }}
        defaultHidden={['request_id']}
        rowTestId={(a) => `audit-row-${a.id}`}
        rowAttrs={(a) => ({ 'data-action': a.action, 'data-target-type': a.target_type, 'data-target-id': a.target_id })}
        expandable={{
          expandedRowRender: (a) => <AuditDiff before={a.before} after={a.after} />,
          rowExpandable: (a) => a.before != null || a.after != null,
        }}
        toolBar={[
          <Button key="export" icon={<DownloadOutlined />} loading={exporting} onClick={() => void exportCsv()} data-testid="audit-export">
            导出 CSV
          </Button>,
        ]}
      />
    </PageContainer>
  );
}
