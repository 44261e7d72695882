import { useMemo, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { PageContainer, type ProColumns } from '@ant-design/pro-components';
import { App, Button, Form, Input, Modal, Select, Table, Tag, Typography } from 'antd';
import { errorMessage } from '../../api/client';
import { ackAlert, getThresholds, listAlerts, putThreshold, type StockAlert, type Threshold, type Thresholds } from '../../api/inventory';
import FilterBar from '../../components/FilterBar';
import ListTable from '../../components/ListTable';
import SkuSelect from '../../components/SkuSelect';
import { useAuth } from '../../auth/AuthContext';
import { useAsync } from '../../hooks/useAsync';
import { useActorNames } from '../../hooks/useRefData';
import { useUrlFilters } from '../../hooks/useUrlFilters';
import { formatDateTime } from '../../utils/format';
import { ALERT_KIND, fmtQty, isNegative } from './labels';
import ProblemAlert from './ProblemAlert';
import { useInventoryStores } from './useInventoryStores';
import { useStoreList } from './useStoreList';

const FILTER_KEYS = ['store_id', 'kind', 'status'] as const;
type Filters = Partial<Record<(typeof FILTER_KEYS)[number], string>>;
const KIND_OPTIONS = Object.entries(ALERT_KIND).map(([value, k]) => ({ value, label: k.text }));

/** 预警: low stock, slow movers and negative stock of a store; 知道了 acknowledges one. */
export default function AlertsPage() {
  const { message } = App.useApp();
  const navigate = useNavigate();
  const { can } = useAuth();
  const { options, defaultStoreId } = useInventoryStores();
  const { actorName } = useActorNames();
  const { filters, setFilters, limit, setLimit } = useUrlFilters(FILTER_KEYS);
  const storeId = filters.store_id ?? defaultStoreId ?? undefined;
  const status = filters.status ?? 'open';
  const query = useMemo(() => ({ ...filters, store_id: storeId, status: status === 'all' ? undefined : status }), [filters, storeId, status]);
  const list = useStoreList<StockAlert>(listAlerts, query, limit, true);
  const [acking, setAcking] = useState<string | null>(null);
  const [thresholdOpen, setThresholdOpen] = useState(false);

  const ack = async (a: StockAlert) => {
    setAcking(a.id);
    try {
      await ackAlert(a.id);
      message.success('已确认');
      list.reload();
    } catch (err) {
      message.error(errorMessage(err));
    } finally {
      setAcking(null);
    }
  };

  const columns: ProColumns<StockAlert>[] = [
    { title: '类型', key: 'kind', render: (_, a) => <Tag color={ALERT_KIND[a.kind]?.color}>{ALERT_KIND[a.kind]?.text ?? a.kind}</Tag> },
    {
      title: '商品',
      key: 'sku',
      render: (_, a) => (
        <a onClick={() => navigate(`/inventory/ledger?store_id=${encodeURIComponent(a.store_id)}&sku_id=${encodeURIComponent(a.sku_id)}`)}>
          <Typography.Text style={{ fontFamily: 'monospace' }}>{a.sku_code}</Typography.Text> {a.sku_name}
        </a>
      ),
    },
    { title: '现有库存', key: 'on_hand', align: 'right', render: (_, a) => <Typography.Text strong type={isNegative(a.on_hand) ? 'danger' : undefined} style={{ fontSize: 16 }}>{fmtQty(a.on_hand)}</Typography.Text> },
    { title: '预警时库存', key: 'raised', align: 'right', render: (_, a) => fmtQty(a.on_hand_when_raised) },
    { title: '预警线', key: 'threshold', align: 'right', render: (_, a) => fmtQty(a.threshold) },
    { title: '最近销售', key: 'last_sale', render: (_, a) => (a.last_sale_at ? formatDateTime(a.last_sale_at) : '—') },
    { title: '发生时间', key: 'at', render: (_, a) => formatDateTime(a.opened_at) },
    {
      title: '状态',
      key: 'status',
      render: (_, a) =>
        a.status === 'open' ? (
          <Tag color="red">未处理</Tag>
        ) : a.status === 'acknowledged' ? (
          <span>已确认 · {actorName(a.acknowledged_by)} {formatDateTime(a.acknowledged_at)}</span>
        ) : (
          <Tag color="green">已解除 {formatDateTime(a.resolved_at)}</Tag>
        ),
    },
    {
      title: '操作',
      key: 'actions',
      render: (_, a) =>
        a.status === 'open' && can('inventory.move') ? (
          <Button size="small" loading={acking === a.id} onClick={() => void ack(a)} data-testid={`alert-ack-${a.sku_code}`}>
            知道了
          </Button>
        ) : null,
    },
  ];

  return (
    <PageContainer title="预警" subTitle="库存偏低、滞销和负库存的商品">
      <FilterBar<Filters> values={{ ...filters, store_id: storeId, status }} onSearch={(v) => setFilters({ store_id: v.store_id, kind: v.kind, status: v.status })} onReset={() => setFilters({})} testId="alert-filter">
        <Form.Item name="store_id" label="门店">
          <Select showSearch optionFilterProp="label" options={options} placeholder="选择门店" />
        </Form.Item>
        <Form.Item name="kind" label="类型">
          <Select allowClear placeholder="全部" options={KIND_OPTIONS} />
        </Form.Item>
        <Form.Item name="status" label="状态">
          <Select options={[{ value: 'open', label: '未处理' }, { value: 'acknowledged', label: '已确认' }, { value: 'resolved', label: '已解除' }, { value: 'all', label: '全部' }]} />
        </Form.Item>
      </FilterBar>
      <ListTable<StockAlert>
        testId="alert-table"
        list={list}
        columns={columns}
        rowKey="id"
        persistenceKey="ucm.inventory.alerts.columns"
        headerTitle="预警"
        pager={{ limit, setLimit }}
        rowTestId={(a) => `alert-row-${a.sku_code}`}
        toolBar={
          can('inventory.move')
            ? [
                <Button key="threshold" onClick={() => setThresholdOpen(true)} data-testid="threshold-open">
                  设置预警线
                </Button>,
              ]
            : []
        }
      />
      {thresholdOpen && <ThresholdModal storeId={storeId} onClose={() => setThresholdOpen(false)} onSaved={() => { setThresholdOpen(false); list.reload(); }} />}
    </PageContainer>
  );
}

interface ThresholdForm {
  store_id?: string;
  sku_id?: string;
  low_stock?: string;
}

/** 预警线: at or below this on hand a product raises 库存偏低 (no product = the store's default). */
function ThresholdModal({ storeId, onClose, onSaved }: { storeId?: string; onClose: () => void; onSaved: () => void }) {
  const { message } = App.useApp();
  const { options } = useInventoryStores();
  const [form] = Form.useForm<ThresholdForm>();
  const store = Form.useWatch('store_id', form) ?? storeId;
  const current = useAsync<Thresholds | null>(() => (store ? getThresholds({ store_id: store, limit: 200 }) : Promise.resolve(null)), [store]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const save = async (body: { store_id: string; sku_id: string | null; low_stock: string | null }, done: string) => {
    setBusy(true);
    setError(null);
    try {
      await putThreshold(body);
      message.success(done);
      current.reload();
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  };
  const submit = async (v: ThresholdForm) => {
    if (!v.store_id || !v.low_stock) return;
    if (await save({ store_id: v.store_id, sku_id: v.sku_id ?? null, low_stock: v.low_stock.trim() }, '预警线已保存')) onSaved();
  };
  const t = current.data;
  return (
    <Modal title="设置预警线" open width={640} onCancel={onClose} onOk={() => form.submit()} okText="保存" okButtonProps={{ loading: busy }}>
      <Form<ThresholdForm> form={form} layout="vertical" initialValues={{ store_id: storeId }} onFinish={(v) => void submit(v)}>
        <Form.Item name="store_id" label="门店" rules={[{ required: true, message: '请选择门店' }]}>
          <Select showSearch optionFilterProp="label" options={options} />
        </Form.Item>
        <Form.Item name="sku_id" label="商品" tooltip="不选 = 本店所有商品的默认预警线">
          <SkuSelect />
        </Form.Item>
        <Form.Item name="low_stock" label="库存不高于此数量时预警" rules={[{ required: true, message: '请填写数量' }]}>
          <Input inputMode="decimal" placeholder="例如 10" />
        </Form.Item>
      </Form>
      <Typography.Paragraph type="secondary">预警每天早上 6 点按最新库存检查一次；负库存随出入库立即提醒。</Typography.Paragraph>
      <ProblemAlert error={error} />
      {t && (
        <>
          <Typography.Title level={5}>本店现有预警线</Typography.Title>
          <Typography.Paragraph>
            默认：{t.low_stock_default === null ? '未设置' : fmtQty(t.low_stock_default)}
            {t.low_stock_default !== null && (
              <Button type="link" size="small" danger disabled={busy} onClick={() => void save({ store_id: t.store_id, sku_id: null, low_stock: null }, '已删除默认预警线')}>
                删除
              </Button>
            )}
            {' · '}滞销：{t.slow_mover_days} 天无销售
          </Typography.Paragraph>
          <Table<Threshold>
            size="small"
            rowKey="sku_id"
            pagination={false}
            dataSource={t.items}
            locale={{ emptyText: '没有单品预警线' }}
            columns={[
              { title: '商品', key: 'sku', render: (_, r) => `${r.sku_code} ${r.sku_name}` },
              { title: '预警线', key: 'low', align: 'right', render: (_, r) => fmtQty(r.low_stock) },
              {
                title: '',
                key: 'del',
                render: (_, r) => (
                  <Button type="link" size="small" danger disabled={busy} onClick={() => void save({ store_id: t.store_id, sku_id: r.sku_id, low_stock: null }, '已删除')}>
                    删除
                  </Button>
                ),
              },
            ]}
          />
        </>
      )}
    </Modal>
  );
}
