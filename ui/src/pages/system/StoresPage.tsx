import { useCallback, useEffect, useState } from 'react';
import { PageContainer, type ProColumns } from '@ant-design/pro-components';
import { Alert, App, Button, Form, Input, Modal, Select, Tag, TimePicker, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import '../../utils/format'; // dayjs plugins (customParseFormat)
import { errorMessage, isApiError } from '../../api/client';
import { createStore, listAllStores, listStores, updateStore, type Store, type StoreInput, type StoreStatus } from '../../api/identity';
import { useAuth } from '../../auth/AuthContext';
import FilterBar from '../../components/FilterBar';
import ListTable from '../../components/ListTable';
import VersionConflictAlert from '../../components/VersionConflictAlert';
import { useCursorList } from '../../hooks/useCursorList';
import { useRegions } from '../../hooks/useRefData';
import { useUrlFilters } from '../../hooks/useUrlFilters';
import { downloadCsv } from '../../utils/csv';
import { listActions } from '../../components/ListActions';
import { useEditor } from '../../hooks/useEditor';
import { applyApiErrors } from '../../utils/formErrors';

export const STORE_STATUS: Record<StoreStatus, { text: string; color: string }> = {
  active: { text: '营业中', color: 'success' },
  preparing: { text: '筹备中', color: 'processing' },
  closed: { text: '已关闭', color: 'default' },
};

const FILTER_KEYS = ['q', 'region_id', 'status'] as const;
const DEFAULT_HOURS = '07:00-23:00';

interface StoreValues {
  code: string;
  name: string;
  region_id?: string;
  address?: string;
  hours?: [Dayjs, Dayjs] | null;
  status: StoreStatus;
  timezone: string;
}

function parseHours(h: string | null | undefined): [Dayjs, Dayjs] | null {
  const m = /^(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})$/.exec(h ?? '');
  if (!m) return null;
  return [dayjs(m[1], 'HH:mm'), dayjs(m[2], 'HH:mm')];
}

function StoreModal({
  store,
  creating,
  onClose,
  onSaved,
  onRefresh,
  refreshing,
}: {
  store: Store | null;
  creating: boolean;
  onClose: () => void;
  onSaved: () => void;
  onRefresh: () => void;
  refreshing: boolean;
}) {
  const { message } = App.useApp();
  const { regions } = useRegions();
  const [form] = Form.useForm<StoreValues>();
  const [submitting, setSubmitting] = useState(false);
  const [conflict, setConflict] = useState(false);
  const [formError, setFormError] = useState<string[]>([]);
  const open = creating || !!store;

  useEffect(() => {
    if (!open) return;
    setConflict(false);
    setFormError([]);
    form.resetFields();
    if (store) {
      form.setFieldsValue({
        code: store.code,
        name: store.name,
        region_id: store.region_id ?? undefined,
        address: store.address ?? undefined,
        hours: parseHours(store.business_hours) ?? undefined,
        status: store.status,
        timezone: store.timezone || 'Asia/Shanghai',
      });
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open, store?.id, store?.version]);

  const submit = async (v: StoreValues) => {
    setSubmitting(true);
    setFormError([]);
    const body: StoreInput = {
      code: v.code.trim(),
      name: v.name.trim(),
      region_id: v.region_id ?? null,
      address: v.address?.trim() ?? '',
      business_hours: v.hours ? `${v.hours[0].format('HH:mm')}-${v.hours[1].format('HH:mm')}` : DEFAULT_HOURS,
      status: v.status,
      timezone: v.timezone || 'Asia/Shanghai',
    };
    try {
      if (store) await updateStore(store.id, { ...body, version: store.version });
      else await createStore(body);
      message.success(store ? '已保存' : '已创建门店');
      onSaved();
    } catch (err) {
      if (isApiError(err, 'common.version_conflict')) setConflict(true);
      else setFormError(applyApiErrors(form, err, ['code', 'name', 'region_id', 'address', 'hours', 'status', 'timezone'], { business_hours: 'hours' }));
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <Modal
      title={store ? `编辑门店 · ${store.name}` : '新建门店'}
      open={open}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText="保存"
      okButtonProps={{ loading: submitting, disabled: conflict }}
      maskClosable={false}
      width={600}
      forceRender
    >
      {conflict && <VersionConflictAlert onRefresh={onRefresh} loading={refreshing} />}
      {formError.length > 0 && <Alert type="error" showIcon message={formError.join('；')} style={{ marginBottom: 16 }} />}
      <Form<StoreValues> form={form} labelCol={{ flex: '90px' }} onFinish={(v) => void submit(v)} initialValues={{ status: 'preparing', timezone: 'Asia/Shanghai', hours: parseHours(DEFAULT_HOURS) ?? undefined }}>
        <Form.Item name="code" label="门店编码" rules={[{ required: true, message: '请输入门店编码' }]} extra={store ? '门店编码创建后不可修改' : undefined}>
          <Input disabled={!!store} placeholder="如 S005" data-testid="store-form-code" />
        </Form.Item>
        <Form.Item name="name" label="门店名称" rules={[{ required: true, message: '请输入门店名称' }]}>
          <Input data-testid="store-form-name" />
        </Form.Item>
        <Form.Item name="region_id" label="所属区域" extra="区域经理按区域管理门店">
          <Select allowClear placeholder="选择区域" options={regions.map((r) => ({ value: r.id, label: `${r.code} ${r.name}` }))} />
        </Form.Item>
        <Form.Item name="address" label="地址">
          <Input.TextArea autoSize={{ minRows: 1, maxRows: 3 }} />
        </Form.Item>
        <Form.Item name="hours" label="营业时间" rules={[{ required: true, message: '请选择营业时间' }]}>
          <TimePicker.RangePicker format="HH:mm" minuteStep={5} order={false} />
        </Form.Item>
        <Form.Item name="status" label="状态" rules={[{ required: true }]}>
          <Select options={(Object.keys(STORE_STATUS) as StoreStatus[]).map((k) => ({ value: k, label: STORE_STATUS[k].text }))} />
        </Form.Item>
        <Form.Item name="timezone" label="时区">
          <Select options={[{ value: 'Asia/Shanghai', label: 'Asia/Shanghai（北京时间）' }]} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

export default function StoresPage() {
  const { can } = useAuth();
  const { message } = App.useApp();
  const writable = can('system.store.write');
  const { regions } = useRegions();
  const { filters, filterKey, setFilters, limit, setLimit } = useUrlFilters(FILTER_KEYS);
  const fetchPage = useCallback(
    (p: { limit: number; cursor: string | null }, signal: AbortSignal) => listStores({ ...filters, limit: p.limit, cursor: p.cursor }, signal),
    [filters],
  );
  const list = useCursorList<Store>(fetchPage, filterKey, limit);
  const editor = useEditor<string>();
  const [exporting, setExporting] = useState(false);
  const editing = editor.target ? list.items.find((s) => s.id === editor.target) ?? null : null;

  const columns: ProColumns<Store>[] = [
    { title: '门店编码', dataIndex: 'code', key: 'code', fixed: 'left', render: (_, s) => <Typography.Text strong>{s.code}</Typography.Text> },
    { title: '门店名称', dataIndex: 'name', key: 'name' },
    { title: '区域', dataIndex: 'region_name', key: 'region_name', render: (_, s) => s.region_name ?? '—' },
    { title: '状态', dataIndex: 'status', key: 'status', render: (_, s) => <Tag color={STORE_STATUS[s.status]?.color}>{STORE_STATUS[s.status]?.text ?? s.status}</Tag> },
    { title: '营业时间', dataIndex: 'business_hours', key: 'business_hours', render: (_, s) => s.business_hours || '—' },
    { title: '地址', dataIndex: 'address', key: 'address', ellipsis: true, render: (_, s) => s.address || '—' },
    { title: '时区', dataIndex: 'timezone', key: 'timezone' },
    ...(writable
      ? [
          {
            title: '操作',
            key: 'actions',
            fixed: 'right' as const,
            render: (_: unknown, s: Store) => (
              <Button type="link" size="small" onClick={() => editor.open(s.id)} data-testid={`store-edit-${s.code}`}>
                编辑
              </Button>
            ),
          },
        ]
      : []),
  ];

  const exportCsv = async () => {
    setExporting(true);
    try {
      const all = await listAllStores(filters);
      downloadCsv(
        `stores-${Date.now()}.csv`,
        ['门店编码', '门店名称', '区域', '状态', '营业时间', '地址', '时区'],
        all.map((s) => [s.code, s.name, s.region_name, STORE_STATUS[s.status]?.text ?? s.status, s.business_hours, s.address, s.timezone]),
      );
    } catch (err) {
      message.error(errorMessage(err));
    } finally {
      setExporting(false);
    }
  };

  return (
    <PageContainer title="门店" subTitle="仅显示您有权查看的门店">
      <FilterBar
        values={{ q: filters.q, region_id: filters.region_id, status: filters.status }}
        onSearch={(v: { q?: string; region_id?: string; status?: string }) => setFilters({ q: v.q?.trim(), region_id: v.region_id, status: v.status })}
        onReset={() => setFilters({})}
        testId="store-filter"
      >
        <Form.Item name="q" label="关键字">
          <Input placeholder="门店编码 / 名称" allowClear />
        </Form.Item>
        <Form.Item name="region_id" label="区域">
          <Select allowClear placeholder="全部" options={regions.map((r) => ({ value: r.id, label: r.name }))} />
        </Form.Item>
        <Form.Item name="status" label="状态">
          <Select allowClear placeholder="全部" options={(Object.keys(STORE_STATUS) as StoreStatus[]).map((k) => ({ value: k, label: STORE_STATUS[k].text }))} />
        </Form.Item>
      </FilterBar>
      <ListTable<Store>
        testId="store-table"
        list={list}
        columns={columns}
        rowKey="id"
        persistenceKey="ucm.system.stores.columns"
        headerTitle="门店列表"
        pager={{ limit, setLimit }}
        defaultHidden={['timezone']}
        rowTestId={(s) => `store-row-${s.code}`}
        toolBar={listActions({
          onExport: () => void exportCsv(),
          exporting,
          create: writable && { label: '新建门店', testId: 'store-create', onClick: editor.create },
        })}
      />
      {writable && (
        <StoreModal
          store={editing}
          creating={editor.creating}
          onClose={editor.close}
          onSaved={() => editor.saved(list.reload)}
          onRefresh={list.reload}
          refreshing={list.loading}
        />
      )}
    </PageContainer>
  );
}
