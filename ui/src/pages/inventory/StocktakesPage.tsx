import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { PageContainer, type ProColumns } from '@ant-design/pro-components';
import { Button, Form, Input, Modal, Select, Tag, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { createStocktake, listStocktakes, type Stocktake } from '../../api/inventory';
import CategoryTreeSelect from '../../components/CategoryTreeSelect';
import FilterBar from '../../components/FilterBar';
import ListTable from '../../components/ListTable';
import { useAuth } from '../../auth/AuthContext';
import { useCategories } from '../../hooks/useCatalogRefs';
import { formatDateTime, formatMoney } from '../../utils/format';
import { STOCKTAKE_STATUS, fmtSigned } from './labels';
import ProblemAlert from './ProblemAlert';
import { useIdempotencyKey } from './useIdempotencyKey';
import { useInventoryStores } from './useInventoryStores';
import { useDocumentList } from './useStoreList';

const FILTER_KEYS = ['store_id', 'status'] as const;
type Filters = Partial<Record<(typeof FILTER_KEYS)[number], string>>;
const STATUS_OPTIONS = Object.entries(STOCKTAKE_STATUS).map(([value, s]) => ({ value, label: s.text }));

/** 盘点: stocktakes of the store, newest first; 新建盘点 freezes today's book stock to count against. */
export default function StocktakesPage() {
  const navigate = useNavigate();
  const { options, defaultStoreId, storeName } = useInventoryStores();
  const { can } = useAuth();
  const { filters, setFilters, limit, setLimit, storeId, list } = useDocumentList<Stocktake, (typeof FILTER_KEYS)[number]>(FILTER_KEYS, listStocktakes);
  const [creating, setCreating] = useState(false);

  const columns: ProColumns<Stocktake>[] = [
    {
      title: '盘点单号',
      key: 'code',
      render: (_, s) => (
        <a onClick={() => navigate(`/inventory/stocktakes/${s.id}`)} style={{ fontFamily: 'monospace' }} data-testid={`stocktake-link-${s.code}`}>
          {s.code}
        </a>
      ),
    },
    { title: '门店', key: 'store', render: (_, s) => (s.store_code ? `${s.store_code} ${s.store_name ?? ''}` : storeName(s.store_id)) },
    { title: '状态', key: 'status', render: (_, s) => <Tag color={STOCKTAKE_STATUS[s.status]?.color}>{STOCKTAKE_STATUS[s.status]?.text ?? s.status}</Tag> },
    { title: '已盘 / 应盘', key: 'progress', align: 'right', render: (_, s) => `${s.totals.counted} / ${s.totals.lines}` },
    { title: '盘盈', key: 'gain', align: 'right', render: (_, s) => <Typography.Text type="success">{fmtSigned(s.totals.gain_qty, '+')}</Typography.Text> },
    { title: '盘亏', key: 'loss', align: 'right', render: (_, s) => <Typography.Text type="danger">{fmtSigned(s.totals.loss_qty, '-')}</Typography.Text> },
    { title: '差异金额', key: 'value', align: 'right', render: (_, s) => formatMoney(s.variance_value) },
    { title: '备注', key: 'note', render: (_, s) => s.note || '—' },
    { title: '创建时间', key: 'created_at', render: (_, s) => formatDateTime(s.created_at) },
  ];

  return (
    <PageContainer title="盘点" subTitle="清点货架，核对账面库存；差异需说明原因并审核后才入账">
      <FilterBar<Filters> values={{ ...filters, store_id: storeId }} onSearch={(v) => setFilters({ store_id: v.store_id, status: v.status })} onReset={() => setFilters({})} testId="stocktake-filter">
        <Form.Item name="store_id" label="门店">
          <Select allowClear showSearch optionFilterProp="label" options={options} placeholder="全部门店" />
        </Form.Item>
        <Form.Item name="status" label="状态">
          <Select allowClear placeholder="全部" options={STATUS_OPTIONS} />
        </Form.Item>
      </FilterBar>
      <ListTable<Stocktake>
        testId="stocktake-table"
        list={list}
        columns={columns}
        rowKey="id"
        persistenceKey="ucm.inventory.stocktakes.columns"
        headerTitle="盘点单"
        pager={{ limit, setLimit }}
        rowTestId={(s) => `stocktake-row-${s.code}`}
        rowAttrs={(s) => ({ 'data-status': s.status, 'data-stocktake-id': s.id })}
        toolBar={
          can('inventory.stocktake')
            ? [
                <Button key="create" type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="stocktake-create">
                  新建盘点
                </Button>,
              ]
            : []
        }
      />
      {creating && <NewStocktakeModal storeId={storeId ?? defaultStoreId ?? undefined} onClose={() => setCreating(false)} onCreated={(s) => navigate(`/inventory/stocktakes/${s.id}`)} />}
    </PageContainer>
  );
}

interface NewStocktake {
  store_id?: string;
  category_ids?: string[];
  note?: string;
}

function NewStocktakeModal({ storeId, onClose, onCreated }: { storeId?: string; onClose: () => void; onCreated: (s: Stocktake) => void }) {
  const { can } = useAuth();
  const { options } = useInventoryStores();
  const { tree } = useCategories();
  const [form] = Form.useForm<NewStocktake>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const idem = useIdempotencyKey();

  const submit = async (v: NewStocktake) => {
    if (!v.store_id) return;
    const body = { store_id: v.store_id, category_ids: v.category_ids?.length ? v.category_ids : undefined, note: v.note?.trim() ?? '' };
    setBusy(true);
    setError(null);
    try {
      const created = await createStocktake(body, idem.keyFor(body));
      idem.done();
      onCreated(created);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal title="新建盘点" open onCancel={onClose} onOk={() => form.submit()} okText="开始盘点" okButtonProps={{ loading: busy, 'data-testid': 'stocktake-form-submit' }} data-testid="stocktake-form">
      <Form<NewStocktake> form={form} layout="vertical" initialValues={{ store_id: storeId }} onFinish={(v) => void submit(v)}>
        <Form.Item name="store_id" label="门店" rules={[{ required: true, message: '请选择门店' }]}>
          <Select showSearch optionFilterProp="label" options={options} data-testid="stocktake-form-store" />
        </Form.Item>
        {can('catalog.sku.read') && (
          <Form.Item name="category_ids" label="盘点范围" tooltip="不选 = 全店盘点；选类目 = 只盘这些类目（含子类目）">
            <CategoryTreeSelect tree={tree} multiple placeholder="全店" data-testid="stocktake-form-categories" />
          </Form.Item>
        )}
        <Form.Item name="note" label="备注">
          <Input maxLength={200} placeholder="选填，例如：月末全盘" data-testid="stocktake-form-note" />
        </Form.Item>
      </Form>
      <Typography.Paragraph type="secondary">开始后系统记下此刻的账面库存；盘点期间照常营业，销售会自动扣除。</Typography.Paragraph>
      <ProblemAlert error={error} testId="stocktake-form-error" />
    </Modal>
  );
}
