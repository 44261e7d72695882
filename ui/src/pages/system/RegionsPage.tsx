import { useCallback, useEffect, useState } from 'react';
import { PageContainer, type ProColumns } from '@ant-design/pro-components';
import { Alert, App, Button, Form, Input, Modal, Typography } from 'antd';
import { isApiError } from '../../api/client';
import { createRegion, listRegions, updateRegion, type Region } from '../../api/identity';
import { useAuth } from '../../auth/AuthContext';
import FilterBar from '../../components/FilterBar';
import ListTable from '../../components/ListTable';
import VersionConflictAlert from '../../components/VersionConflictAlert';
import { useCursorList } from '../../hooks/useCursorList';
import { useUrlFilters } from '../../hooks/useUrlFilters';
import { downloadCsv } from '../../utils/csv';
import { listActions } from '../../components/ListActions';
import { useEditor } from '../../hooks/useEditor';
import { applyApiErrors } from '../../utils/formErrors';

const FILTER_KEYS = ['q'] as const;

interface RegionValues {
  code: string;
  name: string;
}

function RegionModal({
  region,
  creating,
  onClose,
  onSaved,
  onRefresh,
  refreshing,
}: {
  region: Region | null;
  creating: boolean;
  onClose: () => void;
  onSaved: () => void;
  onRefresh: () => void;
  refreshing: boolean;
}) {
  const { message } = App.useApp();
  const [form] = Form.useForm<RegionValues>();
  const [submitting, setSubmitting] = useState(false);
  const [conflict, setConflict] = useState(false);
  const [formError, setFormError] = useState<string[]>([]);
  const open = creating || !!region;

  useEffect(() => {
    if (!open) return;
    setConflict(false);
    setFormError([]);
    form.resetFields();
    if (region) form.setFieldsValue({ code: region.code, name: region.name });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open, region?.id, region?.version]);

  const submit = async (v: RegionValues) => {
    setSubmitting(true);
    setFormError([]);
    try {
      if (region) await updateRegion(region.id, { name: v.name.trim(), version: region.version });
      else await createRegion({ code: v.code.trim(), name: v.name.trim() });
      message.success(region ? '已保存' : '已创建区域');
      onSaved();
    } catch (err) {
      if (isApiError(err, 'common.version_conflict')) setConflict(true);
      else setFormError(applyApiErrors(form, err, ['code', 'name']));
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <Modal
      title={region ? `编辑区域 · ${region.name}` : '新建区域'}
      open={open}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText="保存"
      okButtonProps={{ loading: submitting, disabled: conflict }}
      forceRender
    >
      {conflict && <VersionConflictAlert onRefresh={onRefresh} loading={refreshing} />}
      {formError.length > 0 && <Alert type="error" showIcon message={formError.join('；')} style={{ marginBottom: 16 }} />}
      <Form<RegionValues> form={form} labelCol={{ flex: '90px' }} onFinish={(v) => void submit(v)}>
        <Form.Item name="code" label="区域编码" rules={[{ required: true, message: '请输入区域编码' }]} extra={region ? '区域编码创建后不可修改' : undefined}>
          <Input disabled={!!region} placeholder="如 NORTH" data-testid="region-form-code" />
        </Form.Item>
        <Form.Item name="name" label="区域名称" rules={[{ required: true, message: '请输入区域名称' }]}>
          <Input placeholder="如 华北" data-testid="region-form-name" />
        </Form.Item>
      </Form>
    </Modal>
  );
}

export default function RegionsPage() {
  const { can } = useAuth();
  const writable = can('system.store.write');
  const { filters, filterKey, setFilters } = useUrlFilters(FILTER_KEYS);
  // GET /system/regions is a short list: every page is loaded, then filtered here.
  const fetchPage = useCallback(async () => {
    const all = await listRegions();
    const q = filters.q?.toLowerCase();
    return { items: q ? all.filter((r) => r.code.toLowerCase().includes(q) || r.name.toLowerCase().includes(q)) : all, next_cursor: null };
  }, [filters]);
  const list = useCursorList<Region>(fetchPage, filterKey, 500);
  const editor = useEditor<string>();
  const editing = editor.target ? list.items.find((r) => r.id === editor.target) ?? null : null;

  const columns: ProColumns<Region>[] = [
    { title: '区域编码', dataIndex: 'code', key: 'code', render: (_, r) => <Typography.Text strong>{r.code}</Typography.Text> },
    { title: '区域名称', dataIndex: 'name', key: 'name' },
    ...(writable
      ? [
          {
            title: '操作',
            key: 'actions',
            render: (_: unknown, r: Region) => (
              <Button type="link" size="small" onClick={() => editor.open(r.id)} data-testid={`region-edit-${r.code}`}>
                编辑
              </Button>
            ),
          },
        ]
      : []),
  ];

  return (
    <PageContainer title="区域" subTitle="门店按区域归属，区域经理按区域授权">
      <FilterBar values={{ q: filters.q }} onSearch={(v: { q?: string }) => setFilters({ q: v.q?.trim() })} onReset={() => setFilters({})} testId="region-filter">
        <Form.Item name="q" label="关键字">
          <Input placeholder="区域编码 / 名称" allowClear />
        </Form.Item>
      </FilterBar>
      <ListTable<Region>
        testId="region-table"
        list={list}
        columns={columns}
        rowKey="id"
        persistenceKey="ucm.system.regions.columns"
        headerTitle="区域列表"
        rowTestId={(r) => `region-row-${r.code}`}
        toolBar={listActions({
          onExport: () => downloadCsv(`regions-${Date.now()}.csv`, ['区域编码', '区域名称'], list.items.map((r) => [r.code, r.name])),
          create: writable && { label: '新建区域', testId: 'region-create', onClick: editor.create },
        })}
      />
      {writable && (
        <RegionModal
          region={editing}
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
