import { useMemo } from 'react';
import { PageContainer, type ProColumns } from '@ant-design/pro-components';
import { DatePicker, Form, Select, Tag, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { listLedger, type LedgerRow } from '../../api/inventory';
import FilterBar from '../../components/FilterBar';
import ListTable from '../../components/ListTable';
import SkuSelect from '../../components/SkuSelect';
import { useActorNames } from '../../hooks/useRefData';
import { useUrlFilters } from '../../hooks/useUrlFilters';
import { formatDateTime, fromApiTime, toApiTime } from '../../utils/format';
import { REASON_LABELS, fmtDelta, fmtQty, isNegative, reasonCodeLabel } from './labels';
import { useInventoryStores } from './useInventoryStores';
import { useStoreList } from './useStoreList';

const FILTER_KEYS = ['store_id', 'sku_id', 'reason', 'from', 'to'] as const;
interface FilterValues {
  store_id?: string;
  sku_id?: string;
  reason?: string;
  range?: [Dayjs | null, Dayjs | null];
}

const REASON_OPTIONS = Object.entries(REASON_LABELS).map(([value, label]) => ({ value, label }));

/** 库存流水: every change of stock, newest first, with who did it and why. */
export default function LedgerPage() {
  const { options, defaultStoreId } = useInventoryStores();
  const { actorName } = useActorNames();
  const { filters, setFilters, limit, setLimit } = useUrlFilters(FILTER_KEYS);
  const storeId = filters.store_id ?? defaultStoreId ?? undefined;
  const query = useMemo(() => ({ ...filters, store_id: storeId }), [filters, storeId]);
  const list = useStoreList<LedgerRow>(listLedger, query, limit, true);

  const columns: ProColumns<LedgerRow>[] = [
    { title: '时间', dataIndex: 'occurred_at', key: 'at', render: (_, r) => formatDateTime(r.occurred_at) },
    {
      title: '商品',
      key: 'sku',
      render: (_, r) => (
        <>
          <Typography.Text style={{ fontFamily: 'monospace' }}>{r.sku_code}</Typography.Text> {r.sku_name}
        </>
      ),
    },
    {
      title: '类型',
      dataIndex: 'reason',
      key: 'reason',
      render: (_, r) => <Tag color={isNegative(r.qty_delta) ? 'volcano' : 'green'}>{REASON_LABELS[r.reason] ?? r.reason}</Tag>,
    },
    {
      title: '数量变化',
      dataIndex: 'qty_delta',
      key: 'delta',
      align: 'right',
      render: (_, r) => (
        <Typography.Text strong type={isNegative(r.qty_delta) ? 'danger' : 'success'} style={{ fontSize: 16 }} data-testid="ledger-delta">
          {fmtDelta(r.qty_delta)}
        </Typography.Text>
      ),
    },
    {
      title: '变动后库存',
      dataIndex: 'on_hand_after',
      key: 'after',
      align: 'right',
      render: (_, r) => (
        <Typography.Text strong style={{ fontSize: 16 }} data-testid="ledger-after">
          {fmtQty(r.on_hand_after)}
        </Typography.Text>
      ),
    },
    { title: '单据号', dataIndex: 'ref', key: 'ref', render: (_, r) => r.ref ?? '—' },
    { title: '原因说明', key: 'code', render: (_, r) => [reasonCodeLabel(r.reason_code), r.note].filter(Boolean).join(' · ') || '—' },
    { title: '操作人', dataIndex: 'actor', key: 'actor', render: (_, r) => actorName(r.actor) },
  ];

  const values: FilterValues = {
    store_id: storeId,
    sku_id: filters.sku_id,
    reason: filters.reason,
    range: filters.from || filters.to ? [fromApiTime(filters.from) ?? null, fromApiTime(filters.to) ?? null] : undefined,
  };
  const onSearch = (v: FilterValues) =>
    setFilters({ store_id: v.store_id, sku_id: v.sku_id, reason: v.reason, from: toApiTime(v.range?.[0] ?? null), to: toApiTime(v.range?.[1] ?? null) });

  return (
    <PageContainer title="库存流水" subTitle="每一次库存变化：收货、销售、调拨、盘点……">
      <FilterBar<FilterValues> values={values} onSearch={onSearch} onReset={() => setFilters({})} testId="ledger-filter">
        <Form.Item name="store_id" label="门店">
          <Select showSearch optionFilterProp="label" options={options} placeholder="选择门店" data-testid="ledger-filter-store" />
        </Form.Item>
        <Form.Item name="sku_id" label="商品">
          <SkuSelect data-testid="ledger-filter-sku" />
        </Form.Item>
        <Form.Item name="reason" label="类型">
          <Select allowClear placeholder="全部" options={REASON_OPTIONS} data-testid="ledger-filter-reason" />
        </Form.Item>
        <Form.Item name="range" label="时间">
          <DatePicker.RangePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" allowEmpty={[true, true]} style={{ width: '100%' }} />
        </Form.Item>
      </FilterBar>
      <ListTable<LedgerRow>
        testId="ledger-table"
        list={list}
        columns={columns}
        rowKey="id"
        persistenceKey="ucm.inventory.ledger.columns"
        headerTitle="流水"
        pager={{ limit, setLimit }}
        rowTestId={(r) => `ledger-row-${r.sku_code}`}
        rowAttrs={(r) => ({ 'data-reason': r.reason, 'data-delta': String(r.qty_delta), 'data-on-hand-after': String(r.on_hand_after) })}
      />
    </PageContainer>
  );
}
