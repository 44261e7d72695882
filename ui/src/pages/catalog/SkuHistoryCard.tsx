import { useCallback, useState } from 'react';
import { Alert, Card, Table, Typography } from 'antd';
import { skuHistory, type HistoryEntry } from '../../api/catalog';
import AuditDiff from '../../components/AuditDiff';
import CursorPager, { pagerProps } from '../../components/CursorPager';
import { useCursorList } from '../../hooks/useCursorList';
import { useActorNames } from '../../hooks/useRefData';
import { formatDateTime } from '../../utils/format';
import { CATALOG_ACTION_LABELS } from './labels';


/** 操作记录: the SKU's audit entries, each expandable into a field diff. */
export default function SkuHistoryCard({ skuId, refreshKey }: { skuId: string; refreshKey?: unknown }) {
  const [limit, setLimit] = useState(20);
  const { actorName } = useActorNames();
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
          { title: '操作人', dataIndex: 'actor', render: (a: string) => actorName(a) },
          {
            title: '操作',
            dataIndex: 'action',
            render: (a: string) => (
              <span>
                {CATALOG_ACTION_LABELS[a] ?? a}
                {CATALOG_ACTION_LABELS[a] && (
                  <Typography.Text type="secondary" style={{ fontSize: 12, marginLeft: 6 }}>
                    {a}
                  </Typography.Text>
                )}
              </span>
            ),
          },
        ]}
        footer={() => (
          <CursorPager {...pagerProps(list, limit, setLimit)} testId="history-pager" />
        )}
      />
    </Card>
  );
}
