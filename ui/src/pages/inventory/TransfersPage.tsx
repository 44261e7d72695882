import { useEffect, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { PageContainer, type ProColumns } from '@ant-design/pro-components';
import { Button, Drawer, Form, Input, Select, Space, Tag, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { createTransfer, listTransferDestinations, listTransfers, type Transfer } from '../../api/inventory';
import { useAuth } from '../../auth/AuthContext';
import FilterBar from '../../components/FilterBar';
import ListTable from '../../components/ListTable';
import { useAsync } from '../../hooks/useAsync';
import { formatDateTime } from '../../utils/format';
import { TRANSFER_STATUS, fromName, toName } from './labels';
import ProblemAlert from './ProblemAlert';
import ScanLines, { toApiLines, type EntryLine } from './ScanLines';
import { useIdempotencyKey } from './useIdempotencyKey';
import { useInventoryStores } from './useInventoryStores';
import { useDocumentList } from './useStoreList';

const FILTER_KEYS = ['store_id', 'direction', 'status'] as const;
type Filters = Partial<Record<(typeof FILTER_KEYS)[number], string>>;
const STATUS_OPTIONS = Object.entries(TRANSFER_STATUS).map(([value, s]) => ({ value, label: s.text }));

/** 调拨: transfers leaving or reaching the chosen store; 新建调拨 sends goods to another store. */
export default function TransfersPage() {
  const navigate = useNavigate();
  const { options, defaultStoreId, storeName } = useInventoryStores();
  const { can } = useAuth();
  const { filters, setFilters, limit, setLimit, storeId, list } = useDocumentList<Transfer, (typeof FILTER_KEYS)[number]>(FILTER_KEYS, listTransfers);
  const [creating, setCreating] = useState(false);

  const columns: ProColumns<Transfer>[] = [
    {
      title: '调拨单号',
      key: 'code',
      render: (_, t) => (
        <a onClick={() => navigate(`/inventory/transfers/${t.id}`)} style={{ fontFamily: 'monospace' }} data-testid={`transfer-link-${t.code ?? t.id}`}>
          {t.code ?? t.id.slice(0, 8)}
        </a>
      ),
    },
    {
      title: '方向',
      key: 'direction',
      render: (_, t) => (storeId === t.from_store_id ? <Tag color="volcano">调出</Tag> : storeId === t.to_store_id ? <Tag color="green">调入</Tag> : '—'),
    },
    { title: '调出门店', key: 'from', render: (_, t) => fromName(t, storeName) },
    { title: '调入门店', key: 'to', render: (_, t) => toName(t, storeName) },
    { title: '状态', key: 'status', render: (_, t) => <Tag color={TRANSFER_STATUS[t.status]?.color}>{TRANSFER_STATUS[t.status]?.text ?? t.status}</Tag> },
    { title: '商品种数', key: 'lines', align: 'right', render: (_, t) => t.line_count ?? t.lines?.length ?? '—' },
    { title: '备注', key: 'note', render: (_, t) => t.note || '—' },
    { title: '创建时间', key: 'created_at', render: (_, t) => formatDateTime(t.created_at) },
  ];

  return (
    <PageContainer title="调拨" subTitle="门店之间调货：调出店发货，调入店收货">
      <FilterBar<Filters> values={{ ...filters, store_id: storeId }} onSearch={(v) => setFilters({ store_id: v.store_id, direction: v.direction, status: v.status })} onReset={() => setFilters({})} testId="transfer-filter">
        <Form.Item name="store_id" label="门店">
          <Select allowClear showSearch optionFilterProp="label" options={options} placeholder="全部门店" />
        </Form.Item>
        <Form.Item name="direction" label="方向">
          <Select allowClear placeholder="调出和调入" options={[{ value: 'out', label: '调出' }, { value: 'in', label: '调入' }]} />
        </Form.Item>
        <Form.Item name="status" label="状态">
          <Select allowClear placeholder="全部" options={STATUS_OPTIONS} />
        </Form.Item>
      </FilterBar>
      <ListTable<Transfer>
        testId="transfer-table"
        list={list}
        columns={columns}
        rowKey="id"
        persistenceKey="ucm.inventory.transfers.columns"
        headerTitle="调拨单"
        pager={{ limit, setLimit }}
        rowTestId={(t) => `transfer-row-${t.code ?? t.id}`}
        rowAttrs={(t) => ({ 'data-status': t.status, 'data-transfer-id': t.id })}
        toolBar={
          can('inventory.transfer')
            ? [
                <Button key="create" type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="transfer-create">
                  新建调拨
                </Button>,
              ]
            : []
        }
      />
      <NewTransferDrawer open={creating} fromStoreId={storeId ?? defaultStoreId ?? undefined} onClose={() => setCreating(false)} onCreated={(t) => navigate(`/inventory/transfers/${t.id}`)} />
    </PageContainer>
  );
}

interface NewTransfer {
  from_store_id?: string;
  to_store_id?: string;
  note?: string;
}

function NewTransferDrawer({ open, fromStoreId, onClose, onCreated }: { open: boolean; fromStoreId?: string; onClose: () => void; onCreated: (t: Transfer) => void }) {
  const { options } = useInventoryStores();
  const [form] = Form.useForm<NewTransfer>();
  const from = Form.useWatch('from_store_id', form);
  // a store manager sees only their own store: the destinations come from the API
  const destinations = useAsync(() => (from ? listTransferDestinations(from) : Promise.resolve({ items: [], next_cursor: null })), [from]);
  const toOptions = (destinations.data?.items ?? []).map((d) => ({ value: d.id, label: `${d.code} ${d.name}` }));
  const [lines, setLines] = useState<EntryLine[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const idem = useIdempotencyKey();

  useEffect(() => {
    if (open) {
      form.resetFields();
      form.setFieldsValue({ from_store_id: fromStoreId });
      setLines([]);
      setError(null);
    }
  }, [open, fromStoreId, form]);

  const submit = async (v: NewTransfer) => {
    if (!v.from_store_id || !v.to_store_id || !lines.length) return;
    const body = { from_store_id: v.from_store_id, to_store_id: v.to_store_id, lines: toApiLines(lines), note: v.note?.trim() ?? '' };
    setBusy(true);
    setError(null);
    try {
      const t = await createTransfer(body, idem.keyFor(body));
      idem.done();
      onCreated(t);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Drawer
      title="新建调拨"
      width={900}
      open={open}
      onClose={onClose}
      destroyOnHidden
      extra={
        <Space>
          <Button onClick={onClose}>取消</Button>
          <Button type="primary" loading={busy} disabled={!lines.length} onClick={() => form.submit()} data-testid="transfer-form-submit">
            创建调拨单
          </Button>
        </Space>
      }
      data-testid="transfer-form"
    >
      <Form<NewTransfer> form={form} layout="vertical" onFinish={(v) => void submit(v)}>
        <Space size="large" wrap>
          <Form.Item name="from_store_id" label="调出门店" rules={[{ required: true, message: '请选择调出门店' }]}>
            <Select size="large" style={{ width: 260 }} showSearch optionFilterProp="label" options={options} data-testid="transfer-form-from" />
          </Form.Item>
          <Form.Item name="to_store_id" label="调入门店" rules={[{ required: true, message: '请选择调入门店' }]}>
            <Select size="large" style={{ width: 260 }} showSearch optionFilterProp="label" options={toOptions} loading={destinations.loading} placeholder={from ? '选择门店' : '先选调出门店'} data-testid="transfer-form-to" />
          </Form.Item>
        </Space>
        <Form.Item name="note" label="备注">
          <Input maxLength={200} placeholder="选填，例如：周末促销补货" data-testid="transfer-form-note" />
        </Form.Item>
      </Form>
      <Typography.Paragraph type="secondary">创建后由调出门店确认发货，发货后商品计入调入门店的「在途」。</Typography.Paragraph>
      <ScanLines lines={lines} onChange={setLines} disabled={busy} testId="transfer-scan" />
      <div style={{ marginTop: 16 }}>
        <ProblemAlert error={error} names={(id) => lines.find((l) => l.sku_id === id)?.sku_name} testId="transfer-form-error" />
      </div>
    </Drawer>
  );
}
