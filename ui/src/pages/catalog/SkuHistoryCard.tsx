import { useCallback, useState } from 'react';
import { Alert, Card, Table, Typography } from 'antd';
import { skuHistory, type HistoryEntry } from '../../api/catalog';
import AuditDiff from '../../components/AuditDiff';
import CursorPager from '../../components/CursorPager';
import { useCursorList } from '../../hooks/useCursorList';
import { formatDateTime } from '../../utils/format';

const ACTIONS: Record<string, string> = {
  'catalog.sku.create': '新建商品',
  'catalog.sku.update': '修改商品',
  'catalog.sku.status': '修改状态',
  'catalog.sku.batch_status': '批量改状态',
  'catalog.price.create': '调价',
  'catalog.price.cancel': '取消调价',
  'catalog.image.add': '上传图片',
  'catalog.image.create': '上传图片',
  'catalog.image.delete': '删除图片',
  'catalog.image.order': '调整图片顺序',
  'catalog.image.main': '设置主图',
  'imports.commit': '导入',
  'imports.rollback': '导入回滚',
};

/** 操作记录: the SKU's audit entries, each expandable into a field diff. */
export default function SkuHistoryCard({ skuId, refreshKey }: { skuId: string; refreshKey?: unknown }) {
  const [limit, setLimit] = useState(20);
  const fetchPage = useCallback(
    (p: { limit: number; cursor: string | null }, signal: AbortSignal) => skuHistory(skuId, { limit: p.limit, cursor: p.cursor }, signal),
    [skuId],
  );
  const list = useCursorList<HistoryEntry>(fetchPage, `${skuId}:${String(refreshKey ?? '')}`, limit);
  return (
    <Card title="操作记录" data-testid="sku-history">
      {list.error && <Alert type="error" showIcon message={list.error} style={{ marginBottom: 12 }} />}
      <Table<HistoryEntry>
        size="small"
        rowKey="id"
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        expandable={{ expandedRowRender: (h) => <AuditDiff before={h.before} after={h.after} /> }}
        columns={[
          { title: '时间', dataIndex: 'at', width: 170, render: (t: string) => formatDateTime(t) },
          { title: '操作人', dataIndex: 'actor' },
          {
            title: '操作',
            dataIndex: 'action',
            render: (a: string) => (
              <span>
                {ACTIONS[a] ?? a}
                {ACTIONS[a] && (
                  <Typography.Text type="secondary" style={{ fontSize: 12, marginLeft: 6 }}>
                    {a}
                  </Typography.Text>
                )}
              </span>
            ),
          },
        ]}
        footer={() => (
          <CursorPager
            pageIndex={list.pageIndex}
            count={list.items.length}
            hasPrev={list.hasPrev}
            hasNext={list.hasNext}
            loading={list.loading}
            limit={limit}
            onPrev={list.prev}
            onNext={list.next}
            onFirst={list.first}
            onLimit={setLimit}
            testId="history-pager"
          />
        )}
      />
    </Card>
  );
}
