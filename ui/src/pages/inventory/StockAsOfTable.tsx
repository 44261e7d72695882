import type { ReactNode } from 'react';
import type { ProColumns } from '@ant-design/pro-components';
import { Alert, Button, DatePicker, Typography } from 'antd';
import { HistoryOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import { listStockAsOf, type StockAsOfRow } from '../../api/inventory';
import ListTable from '../../components/ListTable';
import { formatDateTime, fromApiTime, toApiTime } from '../../utils/format';
import { fmtQty, isNegative } from './labels';
import { useStoreList } from './useStoreList';

/** 历史时点: a date-time picker (Asia/Shanghai wall time) whose value goes out as ISO 8601 with offset. */
export function AsOfPicker({ at, onChange }: { at: string | undefined; onChange: (iso: string | undefined) => void }) {
  return (
    <DatePicker
      showTime={{ format: 'HH:mm' }}
      format="YYYY-MM-DD HH:mm"
      placeholder="历史时点（查看过去某一刻的库存）"
      style={{ width: 280 }}
      value={fromApiTime(at) ?? null}
      disabledDate={(d) => d.isAfter(dayjs(), 'day')}
      onChange={(d) => onChange(toApiTime(d))}
      suffixIcon={<HistoryOutlined />}
      data-testid="stock-at"
    />
  );
}

/**
 * 库存总览 at a past moment: on hand per SKU summed from the ledger (`/inventory/stock-as-of`),
 * with a banner naming the moment and a way back to now.
 */
export default function StockAsOfTable(p: {
  storeId: string | undefined;
  at: string;
  limit: number;
  setLimit: (n: number) => void;
  /** Filters of the live list the history cannot apply (商品, 类目, 只看). */
  ignoredFilters: boolean;
  onBack: () => void;
  onOpenLedger: (skuId: string) => void;
  picker: ReactNode;
}) {
  const list = useStoreList<StockAsOfRow>(listStockAsOf, { store_id: p.storeId, at: p.at }, p.limit, true);
  const openLedger = (r: StockAsOfRow) => p.onOpenLedger(r.sku_id);

  const columns: ProColumns<StockAsOfRow>[] = [
    {
      title: '商品编码',
      dataIndex: 'sku_code',
      key: 'code',
      render: (_, r) => (
        <a onClick={() => openLedger(r)} style={{ fontFamily: 'monospace' }}>
          {r.sku_code ?? r.sku_id}
        </a>
      ),
    },
    { title: '商品名称', dataIndex: 'sku_name', key: 'name', render: (_, r) => <a onClick={() => openLedger(r)}>{r.sku_name ?? '—'}</a> },
    {
      title: `${formatDateTime(p.at, 'MM-DD HH:mm')} 的库存`,
      dataIndex: 'on_hand',
      key: 'on_hand',
      align: 'right',
      render: (_, r) => (
        <Typography.Text strong type={isNegative(r.on_hand) ? 'danger' : undefined} style={{ fontSize: 18 }} data-testid="stock-asof-on-hand">
          {fmtQty(r.on_hand)}
        </Typography.Text>
      ),
    },
  ];

  return (
    <>
      <Alert
        type="warning"
        showIcon
        icon={<HistoryOutlined />}
        style={{ marginBottom: 16 }}
        data-testid="stock-as-of-banner"
        data-at={p.at}
        message={<span data-testid="stock-as-of-text">{`显示 ${formatDateTime(p.at, 'YYYY-MM-DD HH:mm')} 的库存（由流水汇总）`}</span>}
        description={
          <>
            这是当时的现有库存，只含那一刻之前已有出入库记录的商品；预留、在途和可售只看当前。
            {p.ignoredFilters && <Typography.Text type="secondary">（历史时点只按门店查看，商品、类目等筛选不适用。）</Typography.Text>}
          </>
        }
        action={
          <Button type="primary" size="small" onClick={p.onBack} data-testid="stock-as-of-back">
            回到当前库存
          </Button>
        }
      />
      <ListTable<StockAsOfRow>
        testId="stock-asof-table"
        list={list}
        columns={columns}
        rowKey="sku_id"
        persistenceKey="ucm.inventory.stock-as-of.columns"
        headerTitle="历史库存"
        pager={{ limit: p.limit, setLimit: p.setLimit }}
        rowTestId={(r) => `stock-asof-row-${r.sku_code ?? r.sku_id}`}
        rowAttrs={(r) => ({ 'data-on-hand': String(r.on_hand) })}
        onRowClick={openLedger}
        toolBarExtra={p.picker}
      />
    </>
  );
}
