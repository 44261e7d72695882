import { useCallback, useEffect, useState } from 'react';
import { PageContainer, type ProColumns } from '@ant-design/pro-components';
import { Alert, App, Button, Form, Input, Modal, Popconfirm, Space, Typography } from 'antd';
import { Link } from 'react-router-dom';
import { errorMessage, fetchAll, isApiError } from '../../api/client';
import { createBrand, deleteBrand, listBrands, updateBrand, type Brand } from '../../api/catalog';
import { useAuth } from '../../auth/AuthContext';
import FilterBar from '../../components/FilterBar';
import { listActions } from '../../components/ListActions';
import ListTable from '../../components/ListTable';
import VersionConflictAlert from '../../components/VersionConflictAlert';
import { useCursorList } from '../../hooks/useCursorList';
import { useEditor } from '../../hooks/useEditor';
import { useUrlFilters } from '../../hooks/useUrlFilters';
import { downloadCsv } from '../../utils/csv';
import { applyApiErrors } from '../../utils/formErrors';

const FILTER_KEYS = ['q'] as const;

function BrandModal({ brand, creating, onClose, onSaved, onRefresh }: { brand: Brand | null; creating: boolean; onClose: () => void; onSaved: () => void; onRefresh: () => void }) {
  const { message } = App.useApp();
  const [form] = Form.useForm<{ code: string; name: string }>();
  const [submitting, setSubmitting] = useState(false);
  const [conflict, setConflict] = useState(false);
  const [formError, setFormError] = useState<string[]>([]);
  const open = creating || !!brand;

  useEffect(() => {
    if (!open) return;
    form.resetFields();
    setConflict(false);
    setFormError([]);
    if (brand) form.setFieldsValue({ code: brand.code, name: brand.name });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open, brand?.id, brand?.version]);

  const submit = async (v: { code: string; name: string }) => {
    setSubmitting(true);
    setFormError([]);
    try {
      if (brand) await updateBrand(brand.id, { name: v.name.trim(), version: brand.version });
      else await createBrand({ code: v.code.trim(), name: v.name.trim() });
      message.success(brand ? '已保存' : '已创建品牌');
      onSaved();
    } catch (err) {
      if (isApiError(err) && err.status === 409 && err.code === 'common.version_conflict') setConflict(true);
      else setFormError(applyApiErrors(form, err, ['code', 'name']));
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <Modal
      title={brand ? `编辑品牌 · ${brand.name}` : '新建品牌'}
      open={open}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText="保存"
      okButtonProps={{ loading: submitting, disabled: conflict, 'data-testid': 'brand-form-submit' }}
      forceRender
    >
      {conflict && <VersionConflictAlert onRefresh={onRefresh} />}
      {formError.length > 0 && <Alert type="error" showIcon message={formError.join('；')} style={{ marginBottom: 16 }} />}
      <Form form={form} labelCol={{ flex: '90px' }} onFinish={(v) => void submit(v)}>
        <Form.Item name="code" label="品牌编码" rules={[{ required: true, message: '请输入品牌编码' }]} extra={brand ? '编码创建后不可修改' : undefined}>
          <Input disabled={!!brand} data-testid="brand-form-code" />
        </Form.Item>
        <Form.Item name="name" label="品牌名称" rules={[{ required: true, message: '请输入品牌名称' }]}>
          <Input data-testid="brand-form-name" />
        </Form.Item>
      </Form>
    </Modal>
  );
}

export default function BrandsPage() {
  const { can, allStores } = useAuth();
  const { message } = App.useApp();
  const writable = can('catalog.sku.write') && allStores;
  const { filters, filterKey, setFilters, limit, setLimit } = useUrlFilters(FILTER_KEYS);
  const fetchPage = useCallback(
    (p: { limit: number; cursor: string | null }, signal: AbortSignal) => listBrands({ ...filters, limit: p.limit, cursor: p.cursor }, signal),
    [filters],
  );
  const list = useCursorList<Brand>(fetchPage, filterKey, limit);
  const editor = useEditor<string>();
  const editing = editor.target ? list.items.find((b) => b.id === editor.target) ?? null : null;
  const [exporting, setExporting] = useState(false);

  const remove = async (b: Brand) => {
    try {
      await deleteBrand(b.id);
      message.success('已删除');
      list.reload();
    } catch (err) {
      message.error(errorMessage(err));
    }
  };

  const columns: ProColumns<Brand>[] = [
    { title: '品牌编码', dataIndex: 'code', key: 'code', render: (_, b) => <Typography.Text strong>{b.code}</Typography.Text> },
    { title: '品牌名称', dataIndex: 'name', key: 'name' },
    {
      title: '商品数',
      dataIndex: 'sku_count',
      key: 'sku_count',
      align: 'right',
      render: (_, b) => <Link to={`/catalog/sku?brand_id=${encodeURIComponent(b.id)}`}>{b.sku_count ?? 0}</Link>,
    },
    ...(writable
      ? [
          {
            title: '操作',
            key: 'actions',
            fixed: 'right' as const,
            render: (_: unknown, b: Brand) => (
              <Space size={0}>
                <Button type="link" size="small" onClick={() => editor.open(b.id)} data-testid={`brand-edit-${b.code}`}>
                  编辑
                </Button>
                <Popconfirm title={`删除品牌「${b.name}」？`} description="仅未被商品使用的品牌可删除" okText="删除" okButtonProps={{ danger: true }} onConfirm={() => void remove(b)}>
                  <Button type="link" size="small" danger disabled={b.sku_count > 0}>
                    删除
                  </Button>
                </Popconfirm>
              </Space>
            ),
          },
        ]
      : []),
  ];

  return (
    <PageContainer title="品牌">
      <FilterBar values={{ q: filters.q }} onSearch={(v: { q?: string }) => setFilters({ q: v.q?.trim() })} onReset={() => setFilters({})} testId="brand-filter">
        <Form.Item name="q" label="关键字">
          <Input placeholder="品牌编码 / 名称" allowClear />
        </Form.Item>
      </FilterBar>
      <ListTable<Brand>
        testId="brand-table"
        list={list}
        columns={columns}
        rowKey="id"
        persistenceKey="ucm.catalog.brands.columns"
        headerTitle="品牌列表"
        pager={{ limit, setLimit }}
        rowTestId={(b) => `brand-row-${b.code}`}
        toolBar={listActions({
          onExport: () => {
            setExporting(true);
            fetchAll<Brand>('/catalog/brands', filters)
              .then((all) => downloadCsv(`brands-${Date.now()}.csv`, ['品牌编码', '品牌名称', '商品数'], all.map((b) => [b.code, b.name, b.sku_count])))
              .catch((err) => message.error(errorMessage(err)))
              .finally(() => setExporting(false));
          },
          exporting,
          create: writable && { label: '新建品牌', testId: 'brand-create', onClick: editor.create },
        })}
      />
      {writable && <BrandModal brand={editing} creating={editor.creating} onClose={editor.close} onSaved={() => editor.saved(list.reload)} onRefresh={list.reload} />}
    </PageContainer>
  );
}
