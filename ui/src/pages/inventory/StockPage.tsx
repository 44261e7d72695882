import { useMemo, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { PageContainer, type ProColumns } from '@ant-design/pro-components';
import { App, Form, Input, Select, Space, Tag, Typography } from 'antd';
import { errorMessage } from '../../api/client';
import { exportStock, listStock, type StockRow } from '../../api/inventory';
import CategoryTreeSelect from '../../components/CategoryTreeSelect';
import FilterBar from '../../components/FilterBar';
import { listActions, type ExportFormat } from '../../components/ListActions';
import ListTable from '../../components/ListTable';
import SavedViews from '../../components/SavedViews';
import { useCategories } from '../../hooks/useCatalogRefs';
import { useUrlFilters } from '../../hooks/useUrlFilters';
import { formatDateTime } from '../../utils/format';
import { fmtQty, isNegative, subQty } from './labels';
import StockAsOfTable, { AsOfPicker } from './StockAsOfTable';
import { useInventoryStores } from './useInventoryStores';
import { useStoreList } from './useStoreList';

const FILTER_KEYS = ['store_id', 'category_id', 'q', 'below_threshold', 'at'] as const;
type Filters = Partial<Record<Exclude<(typeof FILTER_KEYS)[number], 'at'>, string>>;

/** At or below its threshold (the alert rule). */
const isLow = (r: StockRow) => r.low_stock !== null && r.low_stock !== undefined && !isNegative(subQty(r.low_stock, r.on_hand) ?? '-1');

const big = (q: StockRow['on_hand'], strong = false) => (
  <Typography.Text strong={strong} type={isNegative(q) ? 'danger' : undefined} style={{ fontSize: strong ? 18 : 15 }}>
    {fmtQty(q)}
  </Typography.Text>
);

/** 库存总览: one store's balances with what can still be sold; a row opens its ledger. */
export default function StockPage() {
  const { message } = App.useApp();
  const navigate = useNavigate();
  const { tree } = useCategories();
  const { options, defaultStoreId } = useInventoryStores();
  const { filters: urlFilters, setFilters: setUrlFilters, limit, setLimit } = useUrlFilters(FILTER_KEYS);
  /** 历史时点 (ISO 8601 with offset, kept in the URL): the table shows on hand then instead of now. */
  const at = urlFilters.at;
  const filters: Filters = useMemo(() => {
    const { at: _at, ...rest } = urlFilters;
    return rest;
  }, [urlFilters]);
  const setFilters = (f: Filters) => setUrlFilters({ ...f, at });
  const setAt = (iso: string | undefined) => setUrlFilters({ ...filters, at: iso });
  const storeId = filters.store_id ?? defaultStoreId ?? undefined;
  // the live list asks nothing while a past moment is shown
  const query = useMemo(() => ({ ...filters, store_id: at ? undefined : storeId }), [filters, storeId, at]);
  const list = useStoreList<StockRow>(listStock, query, limit, true);
  const [exporting, setExporting] = useState(false);

  const doExport = async (format: ExportFormat) => {
    setExporting(true);
    try {
      await exportStock(query, format);
    } catch (err) {
      message.error(errorMessage(err));
    } finally {
      setExporting(false);
    }
  };

  const openLedgerOf = (store: string, sku: string) => navigate(`/inventory/ledger?store_id=${encodeURIComponent(store)}&sku_id=${encodeURIComponent(sku)}`);
  const openLedger = (r: StockRow) => openLedgerOf(r.store_id, r.sku_id);
  const picker = <AsOfPicker key="at" at={at} onChange={setAt} />;

  const columns: ProColumns<StockRow>[] = [
    {
      title: '商品编码',
      dataIndex: 'sku_code',
      key: 'code',
      render: (_, r) => (
        <a onClick={() => openLedger(r)} style={{ fontFamily: 'monospace' }} data-testid={`stock-link-${r.sku_code}`}>
          {r.sku_code}
        </a>
      ),
    },
    {
      title: '商品名称',
      dataIndex: 'sku_name',
      key: 'name',
      render: (_, r) => (
        <>
          <a onClick={() => openLedger(r)}>{r.sku_name}</a>
          {isLow(r) && (
            <Tag color="orange" style={{ marginLeft: 8 }}>
              库存偏低
            </Tag>
          )}
        </>
      ),
    },
    { title: '类目', dataIndex: 'category_name', key: 'category', render: (_, r) => r.category_name ?? '—' },
    { title: '现有库存', dataIndex: 'on_hand', key: 'on_hand', align: 'right', render: (_, r) => <span data-testid="stock-on-hand">{big(r.on_hand, true)}</span> },
    { title: '已预留', dataIndex: 'reserved', key: 'reserved', align: 'right', tooltip: '已被线上订单占用、尚未出库', render: (_, r) => <span data-testid="stock-reserved">{big(r.reserved)}</span> },
    { title: '在途', dataIndex: 'in_transit', key: 'in_transit', align: 'right', tooltip: '其他门店已发出、本店尚未收到', render: (_, r) => <span data-testid="stock-in-transit">{big(r.in_transit)}</span> },
    { title: '可售', dataIndex: 'ats', key: 'ats', align: 'right', tooltip: '现有 − 已预留 + 在途', render: (_, r) => <span data-testid="stock-ats">{big(r.ats, true)}</span> },
    { title: '预警线', dataIndex: 'low_stock', key: 'low_stock', align: 'right', render: (_, r) => fmtQty(r.low_stock) },
    { title: '单位', dataIndex: 'unit', key: 'unit', render: (_, r) => r.unit ?? '—' },
    { title: '更新时间', dataIndex: 'updated_at', key: 'updated_at', render: (_, r) => formatDateTime(r.updated_at) },
  ];

  const applyFilters = (v: Filters) =>
    setFilters({ store_id: v.store_id, category_id: v.category_id, q: v.q?.trim(), below_threshold: v.below_threshold });

  return (
    <PageContainer title="库存总览" subTitle="点一行查看该商品的出入库流水">
      <FilterBar<Filters> values={{ ...filters, store_id: storeId }} onSearch={applyFilters} onReset={() => setUrlFilters({})} testId="stock-filter">
        <Form.Item name="store_id" label="门店">
          <Select showSearch optionFilterProp="label" options={options} placeholder="选择门店" data-testid="stock-filter-store" />
        </Form.Item>
        <Form.Item name="q" label="商品">
          <Input placeholder="名称 / 编码 / 条码" allowClear data-testid="stock-filter-q" />
        </Form.Item>
        <Form.Item name="category_id" label="类目">
          <CategoryTreeSelect tree={tree} placeholder="全部（含子类目）" />
        </Form.Item>
        <Form.Item name="below_threshold" label="只看">
          <Select allowClear placeholder="全部商品" options={[{ value: 'true', label: '库存偏低的商品' }]} data-testid="stock-filter-low" />
        </Form.Item>
      </FilterBar>
      {at ? (
        <StockAsOfTable
          storeId={storeId}
          at={at}
          limit={limit}
          setLimit={setLimit}
          ignoredFilters={!!(filters.q || filters.category_id || filters.below_threshold)}
          onBack={() => setAt(undefined)}
          onOpenLedger={(sku) => storeId && openLedgerOf(storeId, sku)}
          picker={picker}
        />
      ) : (
        <ListTable<StockRow>
          testId="stock-table"
          list={list}
          columns={columns}
          rowKey="sku_id"
          persistenceKey="ucm.inventory.stock.columns"
          headerTitle="库存"
          pager={{ limit, setLimit }}
          defaultHidden={['updated_at']}
          rowTestId={(r) => `stock-row-${r.sku_code}`}
          rowAttrs={(r) => ({ 'data-on-hand': String(r.on_hand), 'data-in-transit': String(r.in_transit), 'data-ats': String(r.ats), 'data-reserved': String(r.reserved) })}
          onRowClick={openLedger}
          toolBarExtra={
            <Space>
              {picker}
              <SavedViews<Filters> page="inventory.stock" current={filters} onApply={(s) => applyFilters(s ?? {})} />
            </Space>
          }
          toolBar={listActions({ onExport: (f) => void doExport(f), exporting, formats: ['csv', 'xlsx'] })}
        />
      )}
    </PageContainer>
  );
}
