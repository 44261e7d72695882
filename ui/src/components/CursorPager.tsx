import { Button, Select, Space, Typography } from 'antd';
import { LeftOutlined, RightOutlined, VerticalRightOutlined } from '@ant-design/icons';
import { PAGE_SIZES } from '../hooks/useUrlFilters';

export interface CursorPagerProps {
  pageIndex: number;
  count: number;
  hasPrev: boolean;
  hasNext: boolean;
  loading?: boolean;
  limit: number;
  onPrev: () => void;
  onNext: () => void;
  onFirst: () => void;
  onLimit: (n: number) => void;
  testId?: string;
}

/** 上一页 / 下一页 for keyset pagination (no total count, no page jumps). */
export default function CursorPager(p: CursorPagerProps) {
  return (
    <div style={{ display: 'flex', justifyContent: 'flex-end', alignItems: 'center', gap: 12 }} data-testid={p.testId ?? 'pager'}>
      <Typography.Text type="secondary">
        第 {p.pageIndex} 页 · 本页 {p.count} 条
      </Typography.Text>
      <Space size={4}>
        <Button size="small" icon={<VerticalRightOutlined />} disabled={!p.hasPrev || p.loading} onClick={p.onFirst} aria-label="首页" />
        <Button size="small" icon={<LeftOutlined />} disabled={!p.hasPrev || p.loading} onClick={p.onPrev} data-testid="pager-prev">
          上一页
        </Button>
        <Button size="small" disabled={!p.hasNext || p.loading} onClick={p.onNext} data-testid="pager-next">
          下一页 <RightOutlined />
        </Button>
      </Space>
      <Select
        size="small"
        value={p.limit}
        onChange={p.onLimit}
        options={PAGE_SIZES.map((n) => ({ value: n, label: `${n} 条/页` }))}
        style={{ width: 100 }}
        aria-label="每页条数"
      />
    </div>
  );
}

/** What a pager needs from a `useCursorList` list. */
export interface PagedList {
  pageIndex: number;
  items: unknown[];
  hasPrev: boolean;
  hasNext: boolean;
  loading: boolean;
  prev: () => void;
  next: () => void;
  first: () => void;
}

/** The pager of a `useCursorList` list: `<CursorPager {...pagerProps(list, limit, setLimit)} />`. */
export function pagerProps(list: PagedList, limit: number, onLimit: (n: number) => void): CursorPagerProps {
  return {
    pageIndex: list.pageIndex,
    count: list.items.length,
    hasPrev: list.hasPrev,
    hasNext: list.hasNext,
    loading: list.loading,
    limit,
    onPrev: list.prev,
    onNext: list.next,
    onFirst: list.first,
    onLimit,
  };
}
