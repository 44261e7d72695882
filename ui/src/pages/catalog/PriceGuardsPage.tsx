import { useEffect, useMemo, useState } from 'react';
import { PageContainer } from '@ant-design/pro-components';
import { Alert, App, Button, Card, Form, InputNumber, Modal, Select, Table, Tag, Typography } from 'antd';
import { errorMessage } from '../../api/client';
import { listPriceGuards, putPriceGuard, type PriceGuard } from '../../api/catalog';
import { useAuth } from '../../auth/AuthContext';
import { listActions } from '../../components/ListActions';
import { useAsync } from '../../hooks/useAsync';
import { useStoreOptions } from '../../hooks/useRefData';
import { downloadCsv } from '../../utils/csv';
import { applyApiErrors } from '../../utils/formErrors';

interface Values {
  store_id: string;
  max_down_pct: number;
  max_up_pct: number;
}

const DEFAULT_KEY = '__default__';
const pct = (v: string | number | null | undefined) => (v === null || v === undefined || v === '' ? '—' : `${v}%`);

/** 价格规则: HQ limits on store prices (how far below / above the HQ price a store may go). */
export default function PriceGuardsPage() {
  const { can, allStores } = useAuth();
  const { message } = App.useApp();
  const writable = can('catalog.price.write') && allStores;
  const { stores, byId } = useStoreOptions();
  const guards = useAsync<PriceGuard[]>(() => listPriceGuards(), []);
  const [editing, setEditing] = useState<PriceGuard | 'new' | null>(null);
  const [form] = Form.useForm<Values>();
  const [submitting, setSubmitting] = useState(false);
  const [formError, setFormError] = useState<string[]>([]);
  const rows = useMemo(() => [...(guards.data ?? [])].sort((a, b) => (a.store_id === null ? -1 : b.store_id === null ? 1 : (byId.get(a.store_id)?.code ?? '').localeCompare(byId.get(b.store_id)?.code ?? ''))), [guards.data, byId]);
  const defaultGuard = rows.find((g) => g.store_id === null);

  useEffect(() => {
    if (!editing) return;
    form.resetFields();
    setFormError([]);
    if (editing === 'new') form.setFieldsValue({ max_down_pct: Number(defaultGuard?.max_down_pct ?? 30), max_up_pct: Number(defaultGuard?.max_up_pct ?? 20) });
    else form.setFieldsValue({ store_id: editing.store_id ?? DEFAULT_KEY, max_down_pct: Number(editing.max_down_pct), max_up_pct: Number(editing.max_up_pct) });
  }, [editing, form, defaultGuard]);

  const submit = async (v: Values) => {
    setSubmitting(true);
    setFormError([]);
    try {
      await putPriceGuard({ store_id: v.store_id === DEFAULT_KEY ? null : v.store_id, max_down_pct: String(v.max_down_pct), max_up_pct: String(v.max_up_pct) });
      message.success('已保存');
      setEditing(null);
      guards.reload();
    } catch (err) {
      setFormError(applyApiErrors(form, err, ['store_id', 'max_down_pct', 'max_up_pct']));
    } finally {
      setSubmitting(false);
    }
  };

  const storeLabel = (id: string | null) => (id ? (byId.get(id) ? `${byId.get(id)!.code} ${byId.get(id)!.name}` : id) : null);

  return (
    <PageContainer title="价格规则" subTitle="门店自主调价的总部限制：相对总部当前价最多下调 / 上调的幅度">
      {guards.error && <Alert type="error" showIcon message={guards.error} style={{ marginBottom: 16 }} />}
      <Card
        title="门店调价限制"
        extra={listActions({
          onExport: () =>
            downloadCsv(`price-guards-${Date.now()}.csv`, ['门店', '最多下调', '最多上调'], rows.map((g) => [storeLabel(g.store_id) ?? '默认（所有门店）', pct(g.max_down_pct), pct(g.max_up_pct)])),
          create: writable && { label: '新增门店规则', testId: 'guard-create', onClick: () => setEditing('new') },
        })}
      >
        <Table<PriceGuard>
          rowKey={(g) => g.store_id ?? DEFAULT_KEY}
          loading={guards.loading}
          dataSource={rows}
          pagination={false}
          data-testid="guard-table"
          columns={[
            { title: '门店', dataIndex: 'store_id', render: (s: string | null) => (s ? storeLabel(s) : <Tag color="gold">默认（所有门店）</Tag>) },
            { title: '最多下调', dataIndex: 'max_down_pct', align: 'right', render: pct },
            { title: '最多上调', dataIndex: 'max_up_pct', align: 'right', render: pct },
            ...(writable
              ? [
                  {
                    title: '操作',
                    key: 'actions',
                    render: (_: unknown, g: PriceGuard) => (
                      <Button type="link" size="small" onClick={() => setEditing(g)}>
                        编辑
                      </Button>
                    ),
                  },
                ]
              : []),
          ]}
        />
        <Typography.Paragraph type="secondary" style={{ marginTop: 12, fontSize: 12 }}>
          门店经理设置门店价时，价格必须在「总部当前价 ×（1 − 下调幅度）」到「总部当前价 ×（1 + 上调幅度）」之间；总部人员不受此限制。
        </Typography.Paragraph>
      </Card>
      <Modal
        title={editing === 'new' ? '新增门店规则' : '编辑调价限制'}
        open={!!editing}
        onCancel={() => setEditing(null)}
        onOk={() => form.submit()}
        okButtonProps={{ loading: submitting }}
        okText="保存"
        forceRender
      >
        {formError.length > 0 && <Alert type="error" showIcon message={formError.join('；')} style={{ marginBottom: 16 }} />}
        <Form<Values> form={form} labelCol={{ flex: '90px' }} onFinish={(v) => void submit(v).catch((e) => message.error(errorMessage(e)))}>
          <Form.Item name="store_id" label="门店" rules={[{ required: true, message: '请选择门店' }]}>
            <Select
              disabled={editing !== 'new'}
              showSearch
              optionFilterProp="label"
              options={[{ value: DEFAULT_KEY, label: '默认（所有门店）' }, ...stores.map((s) => ({ value: s.id, label: `${s.code} ${s.name}` }))]}
            />
          </Form.Item>
          <Form.Item name="max_down_pct" label="最多下调" rules={[{ required: true, message: '请输入' }]}>
            <InputNumber min={0} max={100} precision={2} addonAfter="%" />
          </Form.Item>
          <Form.Item name="max_up_pct" label="最多上调" rules={[{ required: true, message: '请输入' }]}>
            <InputNumber min={0} max={1000} precision={2} addonAfter="%" />
          </Form.Item>
        </Form>
      </Modal>
    </PageContainer>
  );
}
